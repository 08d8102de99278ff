//! Writing the alias records once, never over someone else's, and asking Route 53 about that
//! change.

use super::STEP;
use aws_sdk_route53::types::{Change, ChangeAction, ChangeBatch, ChangeStatus, RrType};

use crate::cloudfront::CLOUDFRONT_ZONE_ID;
use crate::error;
use crate::{Deps, Flow, StepError};
use edgestack_domain::stack::StepStatus;

/// Where the alias records stand in Route 53.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Propagation {
    /// The change reached every Route 53 server.
    InSync,
    /// Route 53 is still applying the change with this id.
    Pending(String),
}

/// How to write the alias records, decided right before writing them: validate looked minutes
/// ago, and a record someone made meanwhile must not be overwritten (and then deleted with the
/// stack). `CREATE` when the name has no record: Route 53 refuses it if one appears between
/// this look and the write (`InvalidChangeBatch`), and the step looks again. `UPSERT` when the
/// records are this stack's already (a retry). Anything else in the way is a conflict.
pub async fn write_action(
    client: &aws_sdk_route53::Client,
    zone: &str,
    name: &str,
    distribution: &str,
) -> Result<ChangeAction, StepError> {
    let listed = client
        .list_resource_record_sets()
        .hosted_zone_id(zone)
        .start_record_name(name)
        .max_items(10)
        .send()
        .await
        .map_err(error::from_sdk)?;
    let same_name = |n: &str| {
        n.trim_end_matches('.')
            .eq_ignore_ascii_case(name.trim_end_matches('.'))
    };
    let mut ours = false;
    for set in listed.resource_record_sets() {
        if !same_name(set.name())
            || !matches!(set.r#type(), RrType::A | RrType::Aaaa | RrType::Cname)
        {
            continue;
        }
        let to_us = set.alias_target().is_some_and(|a| {
            a.hosted_zone_id() == CLOUDFRONT_ZONE_ID
                && a.dns_name()
                    .trim_end_matches('.')
                    .eq_ignore_ascii_case(distribution.trim_end_matches('.'))
        });
        if !to_us {
            return Err(StepError::Conflict {
                code: "dns_record_exists",
                message: format!(
                    "Hosted zone {zone} got a {} record for {name} that edgestack did not create while the stack was being provisioned. Remove it, then create the stack again.",
                    set.r#type().as_str()
                ),
            });
        }
        ours = true;
    }
    Ok(if ours {
        ChangeAction::Upsert
    } else {
        ChangeAction::Create
    })
}

pub(super) async fn already_in_sync(deps: &Deps, flow: &Flow) -> Result<bool, StepError> {
    Ok(deps.store.get(&flow.stack_id).await?.is_some_and(|stack| {
        stack
            .value
            .steps
            .iter()
            .any(|s| s.name == STEP && s.status == StepStatus::Succeeded)
    }))
}

/// Route 53 answers every `ChangeResourceRecordSets` `PENDING` ("the initial status of all
/// change batch requests") and says `INSYNC` only through `GetChange` (Route 53 API reference,
/// GetChange). So the records are changed once, and the wait asks about that change
/// ([`change_status`]): a fresh `UPSERT` on every look would be a new change, `PENDING` again.
pub async fn change_records(
    client: &aws_sdk_route53::Client,
    zone: &str,
    changes: Vec<Change>,
    comment: &str,
) -> Result<Propagation, StepError> {
    let info = client
        .change_resource_record_sets()
        .hosted_zone_id(zone)
        .change_batch(
            ChangeBatch::builder()
                .set_changes(Some(changes))
                .comment(comment)
                .build()
                .map_err(|e| StepError::Internal(e.to_string()))?,
        )
        .send()
        .await
        .map_err(error::change_listed_records)?
        .change_info;
    propagation(info)
}

/// Where the change `change_id` stands.
pub async fn change_status(
    client: &aws_sdk_route53::Client,
    change_id: &str,
) -> Result<Propagation, StepError> {
    let info = client
        .get_change()
        .id(change_id)
        .send()
        .await
        .map_err(error::from_sdk)?
        .change_info;
    propagation(info)
}

fn propagation(info: Option<aws_sdk_route53::types::ChangeInfo>) -> Result<Propagation, StepError> {
    let info = info.ok_or_else(|| StepError::Transient("Route 53 returned no change".into()))?;
    Ok(match info.status() {
        ChangeStatus::Insync => Propagation::InSync,
        _ => Propagation::Pending(info.id().to_owned()),
    })
}
