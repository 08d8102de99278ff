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
    // Both on every pass: ACM may let go of either first.
    let regional = match &stack.outputs.regional_certificate_arn {
        Some(arn) => delete_certificate(deps, &region, arn).await?,
        None => CertificateDeletion::Gone,
    };
    let edge = match &stack.outputs.certificate_arn {
        Some(arn) => delete_certificate(deps, CLOUDFRONT_REGION, arn).await?,
        None => CertificateDeletion::Gone,
    };
    let gone = |d: CertificateDeletion| d == CertificateDeletion::Gone;
    // Those of the stack that its outputs never named (a lost answer, a step in flight).
    let mut unrecorded = CertificateDeletion::Gone;
    for (cert_region, arn) in tagged_certificates(deps, &stack).await? {
        if !gone(delete_certificate(deps, &cert_region, &arn).await?) {
            unrecorded = CertificateDeletion::InUse;
        }
    }
    if !gone(regional) || !gone(edge) || !gone(unrecorded) {
        return deps
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
                    if gone(regional) {
                        s.outputs.regional_certificate_arn = None;
                    }
                    if gone(edge) {
                        s.outputs.certificate_arn = None;
                    }
                },
            )
            .await;
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
