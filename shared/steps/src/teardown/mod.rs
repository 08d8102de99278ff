//! Undoing a stack, in the safe order of `recipe.md`: DNS records first (a record left pointing
//! at a deleted distribution is a subdomain takeover waiting to happen), then the distribution
//! (disabled, deployed, deleted), the custom domain and its mapping, the certificates, and last
//! the validation records no other certificate still uses. The teardown workflow runs these for
//! `DELETE`; the provisioning workflow runs the same ones to roll back a failure. Every step
//! treats "already gone" as done, and never touches what this stack did not create.

use aws_sdk_route53::types::{Change, ChangeAction, ChangeBatch, RrType};

use crate::error::{self, from_sdk};
use crate::pace::Rated;
use crate::{Deps, StepError};

mod certificates;
mod custom_domain;
mod distribution;
mod dns;
mod finish;
mod lookup;
#[cfg(test)]
mod tests;

pub use certificates::delete_certificates;
pub use custom_domain::delete_custom_domain;
use custom_domain::{custom_domain_state, DomainState};
pub use distribution::{delete_distribution, disable_distribution};
pub use dns::delete_dns_records;
pub use finish::{finish, MAX_PASSES};
use lookup::{name_still_certified, tagged_certificates};

pub const DNS_STEP: &str = "delete_dns_records";
pub const DISABLE_STEP: &str = "disable_distribution";
pub const DISTRIBUTION_STEP: &str = "delete_distribution";
pub const CUSTOM_DOMAIN_STEP: &str = "delete_custom_domain";
pub const CERTIFICATES_STEP: &str = "delete_certificates";
pub const FINISH_STEP: &str = "finish_teardown";

fn same_name(a: &str, b: &str) -> bool {
    a.trim_end_matches('.')
        .eq_ignore_ascii_case(b.trim_end_matches('.'))
}

/// Deletes the record sets of `name` of these types that match `keep` — found first, since
/// Route 53 deletes only a record given exactly as it stands.
async fn delete_records(
    deps: &Deps,
    zone: &str,
    name: &str,
    types: &[RrType],
    ours: impl Fn(&aws_sdk_route53::types::ResourceRecordSet) -> bool,
) -> Result<usize, StepError> {
    let client = deps.clients.route53.clone();
    let listed = client
        .list_resource_record_sets()
        .hosted_zone_id(zone)
        .start_record_name(name)
        .max_items(20)
        .send()
        .await
        .map_err(from_sdk)?;
    let changes: Vec<Change> = listed
        .resource_record_sets()
        .iter()
        .filter(|set| same_name(set.name(), name) && types.contains(set.r#type()) && ours(set))
        .map(|set| {
            Change::builder()
                .action(ChangeAction::Delete)
                .resource_record_set(set.clone())
                .build()
                .map_err(|e| StepError::Internal(e.to_string()))
        })
        .collect::<Result<_, _>>()?;
    let count = changes.len();
    if count > 0 {
        deps.at_rate(Rated::ChangeResourceRecordSets).await?;
        client
            .change_resource_record_sets()
            .hosted_zone_id(zone)
            .change_batch(
                ChangeBatch::builder()
                    .set_changes(Some(changes))
                    .build()
                    .map_err(|e| StepError::Internal(e.to_string()))?,
            )
            .send()
            .await
            .map_err(error::change_listed_records)?;
    }
    Ok(count)
}
