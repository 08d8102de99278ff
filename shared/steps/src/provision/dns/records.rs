//! The records the name needs: alias `A` and `AAAA` into the zone, or a CNAME for the owner.

use aws_sdk_route53::types::{AliasTarget, Change, ChangeAction, ResourceRecordSet, RrType};

use crate::cloudfront::CLOUDFRONT_ZONE_ID;
use crate::StepError;
use edgestack_domain::stack::{DnsPurpose, DnsRecord};

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

pub(super) fn endpoint_records(name: &str, distribution: &str, managed: bool) -> Vec<DnsRecord> {
    if managed {
        ["A", "AAAA"]
            .into_iter()
            .map(|t| DnsRecord {
                name: name.to_owned(),
                record_type: t.to_owned(),
                value: format!("ALIAS {distribution} ({CLOUDFRONT_ZONE_ID})"),
                purpose: DnsPurpose::Endpoint,
                managed: true,
                // Written with CREATE where the name had none (`write_action`).
                created: true,
            })
            .collect()
    } else {
        vec![DnsRecord {
            name: name.to_owned(),
            record_type: "CNAME".to_owned(),
            value: distribution.to_owned(),
            purpose: DnsPurpose::Endpoint,
            managed: false,
            created: false,
        }]
    }
}
