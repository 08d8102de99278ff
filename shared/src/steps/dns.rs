//! Recipe step 6: the name's alias `A` and `AAAA` records → the distribution, then wait until
//! Route 53 has them everywhere. With DNS elsewhere, the record is handed to the owner instead.

use aws_sdk_route53::types::{
    AliasTarget, Change, ChangeAction, ChangeBatch, ChangeStatus, ResourceRecordSet, RrType,
};

use super::error;
use super::{Deps, Flow, StepError};
use crate::stack::{DnsPurpose, DnsRecord, Phase, StepStatus};

pub const STEP: &str = "create_dns_records";
/// The hosted zone id of every CloudFront distribution, for alias records.
pub const CLOUDFRONT_ZONE_ID: &str = "Z2FDTNDATAQYW2";

/// The alias records for `name` → `distribution`, for UPSERT or DELETE.
pub fn alias_changes(
    action: ChangeAction,
    name: &str,
    distribution: &str,
) -> Result<Vec<Change>, StepError> {
    let mut changes = Vec::new();
    for record_type in [RrType::A, RrType::Aaaa] {
        let set = ResourceRecordSet::builder()
            .name(name)
            .r#type(record_type)
            .alias_target(
                AliasTarget::builder()
                    .hosted_zone_id(CLOUDFRONT_ZONE_ID)
                    .dns_name(distribution)
                    .evaluate_target_health(false)
                    .build()
                    .map_err(|e| StepError::Internal(e.to_string()))?,
            )
            .build()
            .map_err(|e| StepError::Internal(e.to_string()))?;
        changes.push(
            Change::builder()
                .action(action.clone())
                .resource_record_set(set)
                .build()
                .map_err(|e| StepError::Internal(e.to_string()))?,
        );
    }
    Ok(changes)
}

fn endpoint_records(name: &str, distribution: &str, managed: bool) -> Vec<DnsRecord> {
    if managed {
        ["A", "AAAA"]
            .into_iter()
            .map(|t| DnsRecord {
                name: name.to_owned(),
                record_type: t.to_owned(),
                value: format!("ALIAS {distribution} ({CLOUDFRONT_ZONE_ID})"),
                purpose: DnsPurpose::Endpoint,
                managed: true,
            })
            .collect()
    } else {
        vec![DnsRecord {
            name: name.to_owned(),
            record_type: "CNAME".to_owned(),
            value: distribution.to_owned(),
            purpose: DnsPurpose::Endpoint,
            managed: false,
        }]
    }
}

pub async fn handle(deps: &Deps, flow: Flow) -> Result<Flow, StepError> {
    let stack = deps
        .begin_poll(&flow.stack_id, STEP, Phase::CreatingDnsRecords, flow.polls)
        .await?;
    let domain = stack.request.custom_domain.clone().ok_or_else(|| {
        StepError::Internal("DNS records for a stack without a custom domain".into())
    })?;
    let distribution = stack
        .outputs
        .distribution_domain_name
        .clone()
        .ok_or_else(|| StepError::Internal("DNS records before the distribution".into()))?;
    let name = domain.name.to_string();
    let Some(zone) = domain.hosted_zone_id else {
        let records = endpoint_records(&name, &distribution, false);
        let detail = format!("create the CNAME {name} → {distribution} in your DNS");
        deps.finish(&flow.stack_id, STEP, StepStatus::Succeeded, detail, |s| {
            s.outputs
                .dns_records
                .retain(|r| r.purpose != DnsPurpose::Endpoint);
            s.outputs.dns_records.extend(records.clone());
        })
        .await?;
        return Ok(Flow {
            ready: true,
            polls: 0,
            wait_seconds: 0,
            ..flow
        });
    };

    // UPSERT on every poll: the same records again change nothing, and the answer's change id
    // is the one to wait for.
    let changes = alias_changes(ChangeAction::Upsert, &name, &distribution)?;
    let out = aws_sdk_route53::Client::new(&deps.sdk)
        .change_resource_record_sets()
        .hosted_zone_id(zone.as_str())
        .change_batch(
            ChangeBatch::builder()
                .set_changes(Some(changes))
                .comment(format!("edgestack {}", stack.id))
                .build()
                .map_err(|e| StepError::Internal(e.to_string()))?,
        )
        .send()
        .await
        .map_err(error::change_records)?;
    let records = endpoint_records(&name, &distribution, true);
    let in_sync = out
        .change_info()
        .is_some_and(|c| *c.status() == ChangeStatus::Insync);
    if in_sync {
        deps.finish(
            &flow.stack_id,
            STEP,
            StepStatus::Succeeded,
            format!("{name} → {distribution} (A, AAAA) INSYNC"),
            |s| {
                s.outputs
                    .dns_records
                    .retain(|r| r.purpose != DnsPurpose::Endpoint);
                s.outputs.dns_records.extend(records.clone());
            },
        )
        .await?;
        return Ok(Flow {
            ready: true,
            polls: 0,
            wait_seconds: 0,
            ..flow
        });
    }
    let wait = deps.settings.poll_interval(flow.polls);
    deps.finish(
        &flow.stack_id,
        STEP,
        StepStatus::Waiting,
        format!("Route 53 change PENDING; checking again in {wait} s"),
        |s| {
            s.outputs
                .dns_records
                .retain(|r| r.purpose != DnsPurpose::Endpoint);
            s.outputs.dns_records.extend(records.clone());
        },
    )
    .await?;
    Ok(Flow {
        ready: false,
        polls: flow.polls + 1,
        wait_seconds: wait,
        ..flow
    })
}
