//! Requesting the two certificates (us-east-1 for CloudFront, the API's region for the Regional
//! custom domain) and writing the one validation record they share.

use super::validation_record::{
    create_cname, validation_record, validation_record_state, ValidationRecordState,
};
use super::{domain, idempotency_token, REQUEST_STEP};
use crate::cloudfront::CLOUDFRONT_REGION;
use aws_sdk_acm::types::{Tag, ValidationMethod};

use crate::error::from_sdk;
use crate::pace::Rated;
use crate::{Deps, Flow, Start, StepError};
use edgestack_domain::stack::{DnsPurpose, Phase, Stack, StepStatus};
use edgestack_domain::tags::resource_tags;

pub(super) async fn request_one(
    deps: &Deps,
    stack: &Stack,
    region: &str,
) -> Result<String, StepError> {
    deps.at_rate(Rated::RequestCertificate(region)).await?;
    let client = deps.clients.acm(region);
    let mut request = client
        .request_certificate()
        .domain_name(domain(stack)?)
        .validation_method(ValidationMethod::Dns)
        .idempotency_token(idempotency_token(stack));
    for (key, value) in resource_tags(stack) {
        request = request.tags(
            Tag::builder()
                .key(key)
                .value(value)
                .build()
                .map_err(|e| StepError::Internal(e.to_string()))?,
        );
    }
    let out = request.send().await.map_err(from_sdk)?;
    out.certificate_arn
        .ok_or_else(|| StepError::Internal("ACM returned no certificate ARN".into()))
}

pub async fn handle_request(deps: &Deps, flow: Flow) -> Result<Flow, StepError> {
    let run_started = tokio::time::Instant::now();
    let stack = deps
        .begin(
            &flow.stack_id,
            REQUEST_STEP,
            Phase::RequestingCertificates,
            Start::Provision,
        )
        .await?;
    let region = stack.request.region.to_string();
    let edge_arn = match &stack.outputs.certificate_arn {
        Some(arn) => arn.clone(),
        None => request_one(deps, &stack, CLOUDFRONT_REGION).await?,
    };
    // Record each ARN as soon as it exists, so that a failure later still knows what to undo.
    deps.checkpoint(
        &flow.stack_id,
        REQUEST_STEP,
        "us-east-1 certificate requested",
        |s| {
            s.outputs.certificate_arn = Some(edge_arn.clone());
        },
    )
    .await?;
    // In us-east-1 one certificate serves both CloudFront and the Regional custom domain.
    let regional_arn = match (&stack.outputs.regional_certificate_arn, region.as_str()) {
        (Some(arn), _) => arn.clone(),
        (None, CLOUDFRONT_REGION) => edge_arn.clone(),
        (None, _) => request_one(deps, &stack, &region).await?,
    };
    // Before the validation record is read (ACM publishes it seconds after the request, and
    // this step fails until it does): a failure from here on must still find both to undo.
    deps.checkpoint(
        &flow.stack_id,
        REQUEST_STEP,
        "certificates requested",
        |s| {
            s.outputs.regional_certificate_arn = Some(regional_arn.clone());
        },
    )
    .await?;
    let mut record = validation_record(deps, CLOUDFRONT_REGION, &edge_arn, run_started).await?;
    let zone = stack
        .request
        .custom_domain
        .as_ref()
        .and_then(|d| d.hosted_zone_id.clone());
    let mut existed = false;
    if let Some(zone) = &zone {
        let client = deps.clients.route53.clone();
        // Whether this stack created the record is what decides, at teardown, whether it may
        // delete it: an earlier attempt of this step recorded that it was about to.
        let created_before = stack.outputs.dns_records.iter().any(|r| {
            r.purpose == DnsPurpose::CertificateValidation && r.created && r.name == record.name
        });
        match validation_record_state(&client, zone.as_str(), &record).await? {
            ValidationRecordState::Present => {
                existed = !created_before;
                record.created = created_before;
            }
            ValidationRecordState::Absent => {
                record.created = true;
                record.managed = true;
                let intent = record.clone();
                deps.checkpoint(
                    &flow.stack_id,
                    REQUEST_STEP,
                    format!("writing validation record {}", record.name),
                    |s| {
                        s.outputs
                            .dns_records
                            .retain(|r| r.purpose != DnsPurpose::CertificateValidation);
                        s.outputs.dns_records.push(intent.clone());
                    },
                )
                .await?;
                deps.at_rate(Rated::ChangeResourceRecordSets).await?;
                create_cname(&client, zone.as_str(), &record).await?;
            }
            ValidationRecordState::Other(kind) => {
                return Err(StepError::Conflict {
                    code: "dns_record_exists",
                    message: format!(
                        "Hosted zone {zone} has a {kind} record at {}, where ACM's validation record for {} must go. Remove it, then create the stack again.",
                        record.name,
                        domain(&stack)?
                    ),
                });
            }
        }
        record.managed = true;
    }
    let detail = match &zone {
        Some(zone) if existed => format!(
            "certificates requested; validation record {} was already in {zone} (edgestack did not create it, and will not delete it)",
            record.name
        ),
        Some(zone) => format!(
            "certificates requested; validation record {} written in {zone}",
            record.name
        ),
        None => format!(
            "certificates requested; create the CNAME {} → {} in your DNS",
            record.name, record.value
        ),
    };
    deps.finish(
        &flow.stack_id,
        REQUEST_STEP,
        StepStatus::Succeeded,
        detail,
        |s| {
            s.outputs.certificate_arn = Some(edge_arn.clone());
            s.outputs.regional_certificate_arn = Some(regional_arn.clone());
            s.outputs
                .dns_records
                .retain(|r| r.purpose != DnsPurpose::CertificateValidation);
            s.outputs.dns_records.push(record.clone());
            if zone.is_none() {
                s.await_owner_dns();
            }
        },
    )
    .await?;
    Ok(Flow {
        ready: false,
        polls: 0,
        wait_seconds: 0,
        ..flow
    })
}
