//! Waiting until ACM has issued both certificates: checked once, then parked for the watcher
//! (`crate::watch`), which sees every parked stack's certificates in one listing per region.

use std::collections::HashMap;

use super::AWAIT_STEP;
use crate::cloudfront::CLOUDFRONT_REGION;
use aws_sdk_acm::types::CertificateStatus;

use crate::acm::scan_certificates;
use crate::error::{self, from_sdk};
use crate::watch::Parking;
use crate::{Deps, Start, StepError};
use edgestack_aws::store::{Awaited, CertificateRef};
use edgestack_domain::stack::{Phase, Stack, StepStatus};

pub(super) async fn status_of(
    deps: &Deps,
    region: &str,
    arn: &str,
) -> Result<CertificateStatus, StepError> {
    let out = deps
        .clients
        .acm(region)
        .describe_certificate()
        .certificate_arn(arn)
        .send()
        .await
        .map_err(from_sdk)?;
    out.certificate()
        .and_then(|c| c.status().cloned())
        .ok_or_else(|| StepError::Transient(format!("ACM reported no status for {arn}")))
}

/// The stack's certificates: us-east-1's, and the Regional one when it is another.
fn certificates_of(stack: &Stack) -> Result<Vec<CertificateRef>, StepError> {
    let missing = || StepError::Internal("no certificate to wait for".into());
    let edge = stack.outputs.certificate_arn.clone().ok_or_else(missing)?;
    let regional = stack
        .outputs
        .regional_certificate_arn
        .clone()
        .ok_or_else(missing)?;
    let mut certificates = vec![CertificateRef {
        region: CLOUDFRONT_REGION.to_owned(),
        arn: edge.clone(),
    }];
    if regional != edge {
        certificates.push(CertificateRef {
            region: stack.request.region.to_string(),
            arn: regional,
        });
    }
    Ok(certificates)
}

/// Whether the wait for `certificates` is over, from their statuses as ACM reports them:
/// `Ok(true)` once every one is issued, a failure as soon as one cannot be, `Ok(false)` while
/// any is still pending (or not reported yet).
pub fn certificates_issued(
    certificates: &[CertificateRef],
    statuses: &HashMap<String, CertificateStatus>,
) -> Result<bool, StepError> {
    let mut issued = true;
    for certificate in certificates {
        match statuses.get(&certificate.arn) {
            Some(status) => {
                if let Some(failure) =
                    error::certificate_status(status, &certificate.region, &certificate.arn)
                {
                    return Err(failure);
                }
                issued &= *status == CertificateStatus::Issued;
            }
            None => issued = false,
        }
    }
    Ok(issued)
}

/// Every certificate of the account in `region` and its status, every page read: one
/// listing tells the watcher about every parked stack's certificates in the region at once.
pub async fn certificate_statuses(
    deps: &Deps,
    region: &str,
) -> Result<HashMap<String, CertificateStatus>, StepError> {
    let mut statuses = HashMap::new();
    scan_certificates(deps, region, |c| {
        if let (Some(arn), Some(status)) = (c.certificate_arn(), c.status()) {
            statuses.insert(arn.to_owned(), status.clone());
        }
    })
    .await?;
    Ok(statuses)
}

/// What the stack becomes once its certificates are issued: a stack waiting on its owner's
/// DNS provisions again.
pub fn on_issued(stack: &mut Stack) {
    stack.owner_dns_done();
}

/// Waits for ACM to issue both certificates: checks once, and while any is pending parks the
/// execution for the watcher, which resumes it as soon as a pass sees both issued. A
/// certificate ACM cannot issue fails the step (`certificate_failed`, ...).
pub async fn handle_await(deps: &Deps, parking: Parking) -> Result<(), StepError> {
    let flow = &parking.flow;
    let stack = deps
        .begin(
            &flow.stack_id,
            AWAIT_STEP,
            Phase::AwaitingCertificateValidation,
            Start::provision(flow.polls),
        )
        .await?;
    let certificates = certificates_of(&stack)?;
    let mut statuses = HashMap::new();
    for certificate in &certificates {
        let status = status_of(deps, &certificate.region, &certificate.arn).await?;
        statuses.insert(certificate.arn.clone(), status);
    }
    if certificates_issued(&certificates, &statuses)? {
        deps.finish(
            &flow.stack_id,
            AWAIT_STEP,
            StepStatus::Succeeded,
            "certificates issued",
            on_issued,
        )
        .await?;
        return deps.resume(parking).await;
    }
    let detail = format!(
        "waiting for ACM to validate the certificates; the watcher looks every {} ms",
        deps.settings.watch_interval_millis
    );
    deps.park(
        &stack,
        parking,
        AWAIT_STEP,
        Awaited::CertificatesIssued { certificates },
        (
            deps.settings.certificate_deadline_seconds,
            "ACM to issue the certificates",
        ),
        detail,
    )
    .await
}
