//! Recipe step 6: the name's alias `A` and `AAAA` records → the distribution, then wait until
//! Route 53 has them everywhere (parked for the watcher). With DNS elsewhere, the record is handed to the owner instead.

use crate::pace::Rated;
use crate::watch::Parking;
use crate::{Deps, Start, StepError};
use edgestack_aws::store::Awaited;
use edgestack_domain::stack::{DnsPurpose, Phase, StepStatus};
mod change;
mod records;
#[cfg(test)]
mod tests;

use change::already_in_sync;
pub use change::{change_records, change_status, write_action, Propagation};
pub use records::alias_changes;
use records::endpoint_records;

pub const STEP: &str = "create_dns_records";

/// Writes the alias records, then waits for Route 53 to apply them: `INSYNC` at once resumes
/// the execution; otherwise the execution is parked for the watcher (`crate::watch`), which asks
/// about the change and resumes it once in sync. With DNS elsewhere the record is handed to the
/// owner and the execution goes on.
pub async fn handle(deps: &Deps, parking: Parking) -> Result<(), StepError> {
    let flow = &parking.flow;
    // Run again after it finished (a redrive, a retried Task whose answer was lost): the
    // records were INSYNC then, and a fresh change would only be PENDING again.
    if already_in_sync(deps, flow).await? {
        return deps.resume(parking).await;
    }
    let stack = deps
        .begin(
            &flow.stack_id,
            STEP,
            Phase::CreatingDnsRecords,
            Start::Provision,
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
        return deps.resume(parking).await;
    };

    // A retry writes again (UPSERT, this stack's records already) and waits for that change.
    let client = deps.clients.route53.clone();
    let action = write_action(&client, zone.as_str(), &name, &distribution).await?;
    let changes = alias_changes(action, &name, &distribution)?;
    deps.at_rate(Rated::ChangeResourceRecordSets).await?;
    let progress = change_records(
        &client,
        zone.as_str(),
        changes,
        &format!("edgestack {}", stack.id),
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
            return deps.resume(parking).await;
        }
        Propagation::Pending(id) => id,
    };
    // Recorded before the wait: whatever becomes of it, the teardown knows the records.
    deps.checkpoint(
        &flow.stack_id,
        STEP,
        format!("{name} → {distribution} (A, AAAA) written"),
        record,
    )
    .await?;
    let detail = format!(
        "Route 53 change {change_id} PENDING; the watcher looks every {} ms",
        deps.settings.watch_interval_millis
    );
    deps.park(
        &stack,
        parking,
        STEP,
        Awaited::ChangeInSync { change_id },
        (
            deps.settings.dns_deadline_seconds,
            "Route 53 to apply the alias records",
        ),
        detail,
    )
    .await
}
