//! The validation CNAME: what ACM asks for, what the zone holds, and writing it only where absent.

use aws_sdk_route53::types::{
    Change, ChangeAction, ChangeBatch, ResourceRecord, ResourceRecordSet, RrType,
};

use crate::error::{self, describe, from_sdk};
use crate::{Deps, StepError};
use edgestack_domain::stack::{DnsPurpose, DnsRecord};

/// How often, in AWS's seconds, the request step looks again for the validation record, and
/// how many times before it leaves the wait to the state machine's retry. ACM publishes the
/// record a few seconds after the request (the strict account: `acm_record_lag`, 5 s); looking
/// in the Lambda, on AWS's clock, spares a retry's state transitions and the whole second a
/// Step Functions retry waits at the least. One look a second per waiting stack is what the
/// retry asked of ACM before; the SDK retries a throttled look.
const RECORD_LOOK_EVERY_SECONDS: i64 = 1;
const RECORD_LOOKS: i64 = 8;
/// No look again once the step's run has lasted this many of AWS's seconds: its queue waits
/// (up to 20 s at each paced call) and the Route 53 change still to come must fit in the
/// function's 45 s timeout, and a retry starts them afresh.
const RECORD_LOOKS_WITHIN_SECONDS: i64 = 15;

/// The CNAME that proves control of the name. ACM gives the same one for the same name in
/// every region, so one record validates both certificates.
/// `run_started` is when the step's run began, for `RECORD_LOOKS_WITHIN_SECONDS`.
pub(super) async fn validation_record(
    deps: &Deps,
    region: &str,
    arn: &str,
    run_started: tokio::time::Instant,
) -> Result<DnsRecord, StepError> {
    let second = deps.settings.rate_second_millis.max(1) as u64;
    let pause = std::time::Duration::from_millis(RECORD_LOOK_EVERY_SECONDS as u64 * second);
    let looks_end =
        run_started + std::time::Duration::from_millis(RECORD_LOOKS_WITHIN_SECONDS as u64 * second);
    for look in 1..=RECORD_LOOKS {
        if let Some(record) = published_record(deps, region, arn).await? {
            return Ok(record);
        }
        if look == RECORD_LOOKS || tokio::time::Instant::now() + pause > looks_end {
            break;
        }
        tokio::time::sleep(pause).await;
    }
    // Asked again by the state machine's retry, each second.
    Err(StepError::Settling {
        code: "aws_unavailable",
        message: format!("ACM has not published the validation record of {arn}"),
    })
}

/// The validation record, if ACM has published it yet.
async fn published_record(
    deps: &Deps,
    region: &str,
    arn: &str,
) -> Result<Option<DnsRecord>, StepError> {
    let client = deps.clients.acm(region);
    let out = client
        .describe_certificate()
        .certificate_arn(arn)
        .send()
        .await
        .map_err(|e| StepError::Transient(describe(&e)))?;
    Ok(out
        .certificate()
        .and_then(|c| c.domain_validation_options().first())
        .and_then(|o| o.resource_record())
        .map(|record| DnsRecord {
            name: record.name().to_owned(),
            record_type: record.r#type().as_str().to_owned(),
            value: record.value().to_owned(),
            purpose: DnsPurpose::CertificateValidation,
            managed: false,
            created: false,
        }))
}

/// What the zone holds where the validation record goes.
#[derive(Debug, PartialEq, Eq)]
pub enum ValidationRecordState {
    Absent,
    /// The very record ACM asks for: made by an earlier certificate of the account for this
    /// name (ACM gives one record per name and account, in every region), or by this stack.
    Present,
    /// Something else at that name: not edgestack's to overwrite.
    Other(String),
}

pub async fn validation_record_state(
    client: &aws_sdk_route53::Client,
    zone_id: &str,
    record: &DnsRecord,
) -> Result<ValidationRecordState, StepError> {
    let listed = client
        .list_resource_record_sets()
        .hosted_zone_id(zone_id)
        .start_record_name(&record.name)
        .max_items(10)
        .send()
        .await
        .map_err(from_sdk)?;
    let same = |a: &str, b: &str| {
        a.trim_end_matches('.')
            .eq_ignore_ascii_case(b.trim_end_matches('.'))
    };
    for set in listed.resource_record_sets() {
        if !same(set.name(), &record.name) {
            continue;
        }
        let ours = set.r#type() == &RrType::Cname
            && set
                .resource_records()
                .iter()
                .any(|r| same(r.value(), &record.value));
        return Ok(if ours {
            ValidationRecordState::Present
        } else {
            ValidationRecordState::Other(set.r#type().as_str().to_owned())
        });
    }
    Ok(ValidationRecordState::Absent)
}

/// Creates the validation CNAME where the zone has none (`CREATE`: Route 53 refuses it if one
/// appeared since the zone was listed, and the step looks again).
pub async fn create_cname(
    client: &aws_sdk_route53::Client,
    zone_id: &str,
    record: &DnsRecord,
) -> Result<String, StepError> {
    let set = ResourceRecordSet::builder()
        .name(&record.name)
        .r#type(RrType::Cname)
        .ttl(300)
        .resource_records(
            ResourceRecord::builder()
                .value(&record.value)
                .build()
                .map_err(|e| StepError::Internal(e.to_string()))?,
        )
        .build()
        .map_err(|e| StepError::Internal(e.to_string()))?;
    let change = Change::builder()
        .action(ChangeAction::Create)
        .resource_record_set(set)
        .build()
        .map_err(|e| StepError::Internal(e.to_string()))?;
    let out = client
        .change_resource_record_sets()
        .hosted_zone_id(zone_id)
        .change_batch(
            ChangeBatch::builder()
                .changes(change)
                .comment("edgestack certificate validation")
                .build()
                .map_err(|e| StepError::Internal(e.to_string()))?,
        )
        .send()
        .await
        .map_err(error::change_listed_records)?;
    Ok(out
        .change_info()
        .map(|c| c.id().to_owned())
        .unwrap_or_default())
}
