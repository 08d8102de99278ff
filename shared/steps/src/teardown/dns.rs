//! Deleting the alias records first: a record left pointing at a deleted distribution is a
//! subdomain takeover waiting to happen.

use super::{delete_records, same_name, DNS_STEP};
use aws_sdk_route53::types::RrType;
use edgestack_domain::stack::{DnsPurpose, Phase, StepStatus};

use crate::cloudfront::CLOUDFRONT_ZONE_ID;
use crate::{Deps, Flow, Start, StepError};

pub async fn delete_dns_records(deps: &Deps, flow: Flow) -> Result<Flow, StepError> {
    let stack = deps
        .begin(
            &flow.stack_id,
            DNS_STEP,
            Phase::DeletingDnsRecords,
            Start::Undo,
        )
        .await?;
    let mut deleted = 0;
    let mut detail = None;
    if let (Some(domain), Some(distribution)) = (
        &stack.request.custom_domain,
        &stack.outputs.distribution_domain_name,
    ) {
        if domain.hosted_zone_id.is_none() {
            // Outside DNS: the owner's CNAME would point at a deleted distribution. Nobody can
            // take the name over through CloudFront without a trusted certificate for it
            // (README, "Outside DNS after a DELETE"), but the record should go.
            detail = Some(format!(
                "edgestack wrote no DNS record; remove your CNAME {} → {distribution}: the distribution is being deleted",
                domain.name
            ));
        }
        if let Some(zone) = &domain.hosted_zone_id {
            // Only aliases to this stack's distribution: never someone else's record.
            deleted = delete_records(
                deps,
                zone.as_str(),
                domain.name.as_str(),
                &[RrType::A, RrType::Aaaa],
                |set| {
                    set.alias_target().is_some_and(|a| {
                        a.hosted_zone_id() == CLOUDFRONT_ZONE_ID
                            && same_name(a.dns_name(), distribution)
                    })
                },
            )
            .await?;
        }
    }
    deps.finish(
        &flow.stack_id,
        DNS_STEP,
        StepStatus::Succeeded,
        detail.unwrap_or_else(|| format!("{deleted} alias records deleted")),
        |s| {
            s.outputs
                .dns_records
                .retain(|r| !(r.purpose == DnsPurpose::Endpoint && r.managed));
        },
    )
    .await?;
    // The first undo step: nothing of a provisioning wait (a poll count, a reserved turn)
    // carries over into the undoing.
    Ok(Flow {
        ready: false,
        polls: 0,
        wait_seconds: 0,
        turn_at: None,
        ..flow
    })
}
