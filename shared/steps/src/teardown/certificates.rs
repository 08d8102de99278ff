//! Deleting the certificates (once ACM lets go of them) and the validation record no other
//! certificate still uses.

use super::{
    delete_records, name_still_certified, same_name, tagged_certificates, CERTIFICATES_STEP,
};
use aws_sdk_route53::types::RrType;
use edgestack_aws::store::modify;
use edgestack_domain::stack::{DnsPurpose, Phase, StepStatus};

use crate::cloudfront::CLOUDFRONT_REGION;
use crate::error::{self, CertificateDeletion};
use crate::{Deps, Flow, Start, StepError};

pub(super) async fn delete_certificate(
    deps: &Deps,
    region: &str,
    arn: &str,
) -> Result<CertificateDeletion, StepError> {
    let client = deps.clients.acm(region);
    match client
        .delete_certificate()
        .certificate_arn(arn)
        .send()
        .await
    {
        Ok(_) => Ok(CertificateDeletion::Gone),
        Err(e) => error::delete_certificate(e),
    }
}

/// The region of an ACM certificate's ARN (`arn:aws:acm:REGION:ACCOUNT:certificate/ID`),
/// whose client deletes it.
fn certificate_region(arn: &str) -> Result<&str, StepError> {
    match arn.split(':').collect::<Vec<_>>().as_slice() {
        ["arn", _, "acm", region, ..] if !region.is_empty() => Ok(region),
        _ => Err(StepError::Internal(format!(
            "{arn} is not the ARN of an ACM certificate"
        ))),
    }
}

pub async fn delete_certificates(deps: &Deps, flow: Flow) -> Result<Flow, StepError> {
    let stack = deps
        .begin(
            &flow.stack_id,
            CERTIFICATES_STEP,
            Phase::DeletingCertificates,
            Start::undo(flow.polls),
        )
        .await?;
    let region = stack.request.region.to_string();
    // The first pass finds them all: those the outputs name and those of the stack that they
    // never named (a lost answer, a step in flight), by its tag. Later passes only try again
    // what ACM still held on to (a later pass with none is of a flow from before the list).
    let to_delete = if flow.polls == 0 || flow.certificates_to_delete.is_empty() {
        let mut arns: Vec<String> = Vec::new();
        let named = [
            &stack.outputs.regional_certificate_arn,
            &stack.outputs.certificate_arn,
        ];
        let tagged = tagged_certificates(deps, &stack).await?;
        for arn in named
            .into_iter()
            .flatten()
            .chain(tagged.iter().map(|(_, arn)| arn))
        {
            if !arns.contains(arn) {
                arns.push(arn.clone());
            }
        }
        arns
    } else {
        flow.certificates_to_delete.clone()
    };
    // Each on every pass: ACM may let go of any first.
    let mut held = Vec::new();
    for arn in to_delete {
        if delete_certificate(deps, certificate_region(&arn)?, &arn).await?
            == CertificateDeletion::InUse
        {
            held.push(arn);
        }
    }
    if !held.is_empty() {
        let flow = deps
            .wait_again(
                &stack,
                flow,
                CERTIFICATES_STEP,
                Some((
                    deps.settings.certificate_release_deadline_seconds,
                    "ACM to release the certificates",
                )),
                |wait| format!("ACM still counts a user of the certificates (it lets go minutes after a distribution or custom domain is deleted); trying again in {wait} s"),
                |s| {
                    let gone = |arn: &Option<String>| arn.as_ref().is_some_and(|a| !held.contains(a));
                    if gone(&s.outputs.regional_certificate_arn) {
                        s.outputs.regional_certificate_arn = None;
                    }
                    if gone(&s.outputs.certificate_arn) {
                        s.outputs.certificate_arn = None;
                    }
                },
            )
            .await?;
        return Ok(Flow {
            certificates_to_delete: held,
            ..flow
        });
    }
    deps.checkpoint(
        &flow.stack_id,
        CERTIFICATES_STEP,
        "certificates deleted",
        |s| {
            s.outputs.certificate_arn = None;
            s.outputs.regional_certificate_arn = None;
        },
    )
    .await?;

    let mut detail = "certificates deleted".to_owned();
    let validation = stack
        .outputs
        .dns_records
        .iter()
        .find(|r| r.purpose == DnsPurpose::CertificateValidation && r.managed)
        .cloned();
    if let (Some(record), Some(domain)) = (validation, &stack.request.custom_domain) {
        let zone = domain
            .hosted_zone_id
            .as_ref()
            .map(|z| z.to_string())
            .unwrap_or_default();
        let mut regions = vec![CLOUDFRONT_REGION.to_owned(), region.clone()];
        for extra in &deps.settings.certificate_regions {
            if !regions.contains(extra) {
                regions.push(extra.clone());
            }
        }
        modify(deps.store.as_ref(), &flow.stack_id, |s| {
            s.phase = Phase::DeletingValidationRecords;
            Ok::<_, StepError>(())
        })
        .await?;
        if !record.created {
            detail = format!("certificates deleted; validation record {} kept: it was in the zone before this stack (edgestack deletes only what it created)", record.name);
        } else if name_still_certified(deps, &regions, domain.name.as_str()).await? {
            detail = format!("certificates deleted; validation record {} kept: another certificate for {} still uses it", record.name, domain.name);
        } else {
            delete_records(deps, &zone, &record.name, &[RrType::Cname], |set| {
                set.resource_records()
                    .iter()
                    .any(|r| same_name(r.value(), &record.value))
            })
            .await?;
            detail = format!("certificates and validation record {} deleted", record.name);
        }
    }
    deps.finish(
        &flow.stack_id,
        CERTIFICATES_STEP,
        StepStatus::Succeeded,
        detail,
        |s| {
            s.outputs
                .dns_records
                .retain(|r| !(r.purpose == DnsPurpose::CertificateValidation && r.managed));
        },
    )
    .await?;
    Ok(flow.done())
}

#[cfg(test)]
mod tests {
    use super::certificate_region;

    #[test]
    fn a_certificate_is_deleted_in_the_region_its_arn_names() {
        assert_eq!(
            certificate_region("arn:aws:acm:eu-west-1:123456789012:certificate/abc").unwrap(),
            "eu-west-1"
        );
        assert_eq!(
            certificate_region("arn:aws-cn:acm:cn-north-1:123456789012:certificate/abc").unwrap(),
            "cn-north-1"
        );
        for not_one in [
            "",
            "abc",
            "arn:aws:acm::123:certificate/x",
            "arn:aws:s3:::bucket",
        ] {
            let e = certificate_region(not_one).unwrap_err().to_string();
            assert!(
                e.contains("not the ARN of an ACM certificate"),
                "{not_one}: {e}"
            );
        }
    }
}
