//! Recipe step 6: the name's alias `A` and `AAAA` records → the distribution, then wait until
//! Route 53 has them everywhere. With DNS elsewhere, the record is handed to the owner instead.

use crate::{Deps, Flow, Start, StepError};
use edgestack_domain::stack::{DnsPurpose, Phase, StepStatus};
mod change;
mod records;
#[cfg(test)]
mod tests;

use change::already_in_sync;
pub use change::{change_or_check, write_action, Propagation};
pub use records::alias_changes;
use records::endpoint_records;

pub const STEP: &str = "create_dns_records";

pub async fn handle(deps: &Deps, flow: Flow) -> Result<Flow, StepError> {
    // Run again after it finished (a redrive, a retried Task whose answer was lost): the
    // records were INSYNC then, and a fresh change would only be PENDING again.
    if flow.change_id.is_none() && already_in_sync(deps, &flow).await? {
        return Ok(flow.done());
    }
    let stack = deps
        .begin(
            &flow.stack_id,
            STEP,
            Phase::CreatingDnsRecords,
            Start::provision(flow.polls),
        )
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
        return Ok(flow.done());
    };

    let client = deps.clients.route53.clone();
    let changes = match flow.change_id {
        Some(_) => Vec::new(),
        None => {
            let action = write_action(&client, zone.as_str(), &name, &distribution).await?;
            alias_changes(action, &name, &distribution)?
        }
    };
    let progress = change_or_check(
        &client,
        zone.as_str(),
        changes,
        &format!("edgestack {}", stack.id),
        flow.change_id.as_deref(),
    )
    .await?;
    let records = endpoint_records(&name, &distribution, true);
    let record = |s: &mut edgestack_domain::stack::Stack| {
        s.outputs
            .dns_records
            .retain(|r| r.purpose != DnsPurpose::Endpoint);
        s.outputs.dns_records.extend(records.clone());
    };
    let change_id = match progress {
        Propagation::InSync => {
            deps.finish(
                &flow.stack_id,
                STEP,
                StepStatus::Succeeded,
                format!("{name} → {distribution} (A, AAAA) INSYNC"),
                record,
            )
            .await?;
            return Ok(Flow {
                change_id: None,
                ..flow
            }
            .done());
        }
        Propagation::Pending(id) => id,
    };
    let flow = Flow {
        change_id: Some(change_id.clone()),
        ..flow
    };
    deps.wait_again(
        &stack,
        flow,
        STEP,
        Some((
            deps.settings.dns_deadline_seconds,
            "Route 53 to apply the alias records",
        )),
        |wait| format!("Route 53 change {change_id} PENDING; checking again in {wait} s"),
        record,
    )
    .await
}
