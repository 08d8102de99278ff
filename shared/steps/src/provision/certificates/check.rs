//! Waiting until ACM has issued both certificates, with a deadline.

use super::AWAIT_STEP;
use crate::cloudfront::CLOUDFRONT_REGION;
use aws_sdk_acm::types::CertificateStatus;

use crate::error::{self, from_sdk};
use crate::{Deps, Flow, Start, StepError};
use edgestack_domain::stack::{Phase, StepStatus};

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

pub async fn handle_check(deps: &Deps, flow: Flow) -> Result<Flow, StepError> {
    let stack = deps
        .begin(
            &flow.stack_id,
            AWAIT_STEP,
            Phase::AwaitingCertificateValidation,
            Start::provision(flow.polls),
        )
        .await?;
    let missing = || StepError::Internal("no certificate to wait for".into());
    let edge_arn = stack.outputs.certificate_arn.clone().ok_or_else(missing)?;
    let regional_arn = stack
        .outputs
        .regional_certificate_arn
        .clone()
        .ok_or_else(missing)?;
    let mut statuses = vec![(
        CLOUDFRONT_REGION.to_owned(),
        edge_arn.clone(),
        status_of(deps, CLOUDFRONT_REGION, &edge_arn).await?,
    )];
    if regional_arn != edge_arn {
        let region = stack.request.region.to_string();
        let status = status_of(deps, &region, &regional_arn).await?;
        statuses.push((region, regional_arn, status));
    }
    for (region, arn, status) in &statuses {
        if let Some(failure) = error::certificate_status(status, region, arn) {
            return Err(failure);
        }
    }
    if statuses
        .iter()
        .all(|(_, _, s)| *s == CertificateStatus::Issued)
    {
        deps.finish(
            &flow.stack_id,
            AWAIT_STEP,
            StepStatus::Succeeded,
            "certificates issued",
            |s| s.owner_dns_done(),
        )
        .await?;
        return Ok(flow.done());
    }
    let check = flow.polls + 1;
    deps.wait_again(
        &stack,
        flow,
        AWAIT_STEP,
        Some((
            deps.settings.certificate_deadline_seconds,
            "ACM to issue the certificates",
        )),
        |wait| {
            format!("waiting for ACM to validate the certificates; checking again in {wait} s (check {check})")
        },
        |_| {},
    )
    .await
}
