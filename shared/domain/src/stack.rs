//! The stack record: what a caller asked for, where the workflow stands, and what it made.
//! The record in the store is the workflow's state; every step reads and writes it.

use std::fmt;

use crate::timestamp::Timestamp;
use rand::Rng;
use serde::{Deserialize, Serialize};

use crate::request::StackRequest;

/// `stk_` and 20 characters of lower-case base32: unguessable, URL-safe, sortable by nothing.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct StackId(String);

const ID_PREFIX: &str = "stk_";
const ID_ALPHABET: &[u8] = b"abcdefghijklmnopqrstuvwxyz234567";
const ID_RANDOM_LEN: usize = 20;

impl StackId {
    pub fn generate() -> Self {
        let mut rng = rand::rng();
        let random: String = (0..ID_RANDOM_LEN)
            .map(|_| ID_ALPHABET[rng.random_range(0..ID_ALPHABET.len())] as char)
            .collect();
        Self(format!("{ID_PREFIX}{random}"))
    }

    pub fn parse(raw: &str) -> Option<Self> {
        let random = raw.strip_prefix(ID_PREFIX)?;
        (random.len() == ID_RANDOM_LEN && random.bytes().all(|b| ID_ALPHABET.contains(&b)))
            .then(|| Self(raw.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for StackId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl TryFrom<String> for StackId {
    type Error = String;
    fn try_from(raw: String) -> Result<Self, String> {
        Self::parse(&raw).ok_or_else(|| format!("{raw} is not a stack id"))
    }
}

impl From<StackId> for String {
    fn from(id: StackId) -> String {
        id.0
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Status {
    Pending,
    Provisioning,
    AwaitingDns,
    Ready,
    Failed,
    Deleting,
    Deleted,
}

impl Status {
    pub const ALL: [Status; 7] = [
        Status::Pending,
        Status::Provisioning,
        Status::AwaitingDns,
        Status::Ready,
        Status::Failed,
        Status::Deleting,
        Status::Deleted,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Status::Pending => "PENDING",
            Status::Provisioning => "PROVISIONING",
            Status::AwaitingDns => "AWAITING_DNS",
            Status::Ready => "READY",
            Status::Failed => "FAILED",
            Status::Deleting => "DELETING",
            Status::Deleted => "DELETED",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.as_str() == raw)
    }

    /// The provisioning workflow may still be running in these states.
    pub fn is_provisioning(self) -> bool {
        matches!(
            self,
            Status::Pending | Status::Provisioning | Status::AwaitingDns
        )
    }
}

impl Stack {
    /// Whether the provisioning execution is still running: provisioning, or undoing itself
    /// after a failure (its rollback has not ended, and has not failed either).
    pub fn provisioning_execution_running(&self) -> bool {
        self.status.is_provisioning()
            || (self.status == Status::Failed
                && self
                    .error
                    .as_ref()
                    .is_some_and(|e| !e.rolled_back && e.code != "teardown_failed"))
    }
}

/// Where the workflow stands: the recipe's steps in order, then the teardown's own.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Phase {
    Accepted,
    Validating,
    RequestingCertificates,
    AwaitingCertificateValidation,
    /// Paused before a call AWS allows the account only so often (`CreateDomainName`,
    /// `DeleteDomainName`), until the stack's turn in the account-wide queue: a pause of the
    /// step it interrupts, which goes on afterwards under its own phase.
    AwaitingTurn,
    CreatingCustomDomain,
    CreatingDistribution,
    AwaitingDistributionDeployment,
    CreatingDnsRecords,
    SmokeTesting,
    Complete,
    RollingBack,
    RolledBack,
    StoppingProvisioning,
    DeletingDnsRecords,
    DisablingDistribution,
    AwaitingDistributionDisabled,
    DeletingDistribution,
    DeletingCustomDomain,
    DeletingCertificates,
    DeletingValidationRecords,
    Deleted,
}

impl Phase {
    /// Every phase, in the order a stack goes through them.
    pub const ALL: [Phase; 22] = [
        Phase::Accepted,
        Phase::Validating,
        Phase::RequestingCertificates,
        Phase::AwaitingCertificateValidation,
        Phase::AwaitingTurn,
        Phase::CreatingCustomDomain,
        Phase::CreatingDistribution,
        Phase::AwaitingDistributionDeployment,
        Phase::CreatingDnsRecords,
        Phase::SmokeTesting,
        Phase::Complete,
        Phase::RollingBack,
        Phase::RolledBack,
        Phase::StoppingProvisioning,
        Phase::DeletingDnsRecords,
        Phase::DisablingDistribution,
        Phase::AwaitingDistributionDisabled,
        Phase::DeletingDistribution,
        Phase::DeletingCustomDomain,
        Phase::DeletingCertificates,
        Phase::DeletingValidationRecords,
        Phase::Deleted,
    ];
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum StepStatus {
    Running,
    Waiting,
    Succeeded,
    Failed,
    Skipped,
}

impl StepStatus {
    pub const ALL: [StepStatus; 5] = [
        StepStatus::Running,
        StepStatus::Waiting,
        StepStatus::Succeeded,
        StepStatus::Failed,
        StepStatus::Skipped,
    ];
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StepRecord {
    pub name: String,
    pub status: StepStatus,
    pub started_at: Timestamp,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub finished_at: Option<Timestamp>,
    pub attempts: u32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DnsPurpose {
    CertificateValidation,
    Endpoint,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DnsRecord {
    pub name: String,
    #[serde(rename = "type")]
    pub record_type: String,
    pub value: String,
    pub purpose: DnsPurpose,
    /// True when edgestack writes the record in the stack's hosted zone; false when the owner
    /// of outside DNS must create it.
    pub managed: bool,
    /// True when this stack created the record (it was not in the zone before): only such a
    /// record is deleted with the stack.
    #[serde(default)]
    pub created: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SmokeTestResult {
    pub url: String,
    pub status_code: u16,
    /// Whether the request was SigV4-signed (see `steps::smoke_test::signs`).
    #[serde(default)]
    pub signed: bool,
    pub at: Timestamp,
}

/// What a client of an `auth: iam` stack signs with SigV4. A signature covers the host and the
/// path exactly as API Gateway receives them: without a custom domain CloudFront sends the
/// execute-api host and prepends the origin path, so a client calling
/// `https://{distribution}/greetings` through origin path `/prod` signs `/prod/greetings` for
/// `{api_id}.execute-api.{region}.amazonaws.com`; with a custom domain it signs that name and the
/// path it calls (recipe.md).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Signing {
    pub host: String,
    /// Put before the path the client calls, to make the path it signs.
    pub path_prefix: String,
    pub region: String,
    pub service: String,
}

impl Signing {
    pub const SERVICE: &'static str = "execute-api";

    /// What clients of a stack with this request sign; `None` when its API needs no signature.
    pub fn for_request(request: &crate::request::StackRequest) -> Option<Self> {
        if request.auth != crate::validated::Auth::Iam {
            return None;
        }
        let region = request.region.to_string();
        let (host, path_prefix) = match &request.custom_domain {
            Some(domain) => (domain.name.to_string(), String::new()),
            None => (
                format!("{}.execute-api.{region}.amazonaws.com", request.api_id),
                request.distribution_origin_path(),
            ),
        };
        Some(Self {
            host,
            path_prefix,
            region,
            service: Self::SERVICE.to_owned(),
        })
    }

    /// The path a client signs to call `path` through the distribution.
    pub fn signed_path(&self, path: &str) -> String {
        format!("{}{path}", self.path_prefix)
    }
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Outputs {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub distribution_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub distribution_domain_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub certificate_arn: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub regional_certificate_arn: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub regional_domain_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub endpoint_url: Option<String>,
    #[serde(default)]
    pub dns_records: Vec<DnsRecord>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub smoke_test: Option<SmokeTestResult>,
    /// For `auth: iam` stacks: what a client signs (and what the smoke test signed).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub signing: Option<Signing>,
}

/// Why a stack failed, written for the person who has to act on it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StackError {
    pub code: String,
    pub message: String,
    pub step: String,
    pub rolled_back: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Stack {
    pub id: StackId,
    /// Changed only by the lifecycle's transitions (`lifecycle.rs`); read with `status()`.
    pub(crate) status: Status,
    pub phase: Phase,
    pub owner: String,
    pub request: StackRequest,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
    pub steps: Vec<StepRecord>,
    pub outputs: Outputs,
    pub error: Option<StackError>,
    /// While the stack waits in `AWAITING_TURN`: when its turn at the rate-limited call comes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub turn_at: Option<Timestamp>,
    /// How many times a teardown was started; names each teardown execution, so that a
    /// `DELETE` after a failed teardown starts a fresh one. Bookkeeping, not part of the API's
    /// stack: the store keeps it in an attribute of its own.
    #[serde(skip)]
    pub teardown_attempts: u32,
}

impl Stack {
    pub fn new(owner: String, request: StackRequest, now: Timestamp) -> Self {
        Self {
            id: StackId::generate(),
            status: Status::Pending,
            phase: Phase::Accepted,
            owner,
            request,
            created_at: now,
            updated_at: now,
            steps: Vec::new(),
            outputs: Outputs::default(),
            error: None,
            turn_at: None,
            teardown_attempts: 0,
        }
    }

    /// Starts (or counts another attempt of) the step `name`, as Step Functions retries it. A
    /// step that had ended starts a new run (a second teardown after a failed one): its waits'
    /// deadlines count from now, not from its first run. A step that was waiting goes on with
    /// the same attempt: its wait's task timed out and was retried (a wait handed to the
    /// watcher is checked again every ten minutes), which is no failure of the step.
    pub fn begin_step(&mut self, name: &str, now: Timestamp) {
        match self.steps.iter_mut().find(|s| s.name == name) {
            Some(step) => {
                match step.status {
                    StepStatus::Waiting => {}
                    StepStatus::Running => step.attempts += 1,
                    StepStatus::Succeeded | StepStatus::Failed | StepStatus::Skipped => {
                        step.started_at = now;
                        step.attempts += 1;
                    }
                }
                step.status = StepStatus::Running;
                step.finished_at = None;
            }
            None => self.steps.push(StepRecord {
                name: name.to_owned(),
                status: StepStatus::Running,
                started_at: now,
                finished_at: None,
                attempts: 1,
                detail: None,
            }),
        }
    }

    /// Records how the step `name` ended (or that it is waiting), with a line for the reader.
    pub fn finish_step(
        &mut self,
        name: &str,
        status: StepStatus,
        detail: Option<String>,
        now: Timestamp,
    ) {
        if !self.steps.iter().any(|s| s.name == name) {
            self.begin_step(name, now);
        }
        if let Some(step) = self.steps.iter_mut().find(|s| s.name == name) {
            step.status = status;
            step.detail = detail;
            if status != StepStatus::Waiting {
                step.finished_at = Some(now);
            }
        }
        // A turn is waited for only by the step it paused.
        if status != StepStatus::Waiting {
            self.turn_at = None;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::timestamp::test_clock as t;

    #[test]
    fn generated_ids_parse_and_differ() {
        let a = StackId::generate();
        let b = StackId::generate();
        assert_ne!(a, b);
        assert_eq!(StackId::parse(a.as_str()), Some(a));
        assert_eq!(StackId::parse("stk_"), None);
        assert_eq!(StackId::parse("stk_ABCDEFGHIJKLMNOPQRST"), None);
    }

    #[test]
    fn statuses_round_trip_through_their_names() {
        for status in Status::ALL {
            assert_eq!(Status::parse(status.as_str()), Some(status));
            assert_eq!(serde_json::to_value(status).unwrap(), status.as_str());
        }
    }

    /// A stack without a custom domain, just asked for.
    fn plain_stack() -> Stack {
        let req = crate::request::StackRequest::from_json(
            &serde_json::json!({"api_id": "a1b2c3d4e5", "region": "eu-west-1", "stage": "prod"}),
        )
        .unwrap();
        Stack::new("me".into(), req, Timestamp::now())
    }

    #[test]
    fn a_waiting_step_run_again_goes_on_with_the_same_attempt() {
        let mut stack = plain_stack();
        stack.begin_step("await_distribution_deployment", t(1));
        stack.finish_step(
            "await_distribution_deployment",
            StepStatus::Waiting,
            Some("deploying".into()),
            t(2),
        );
        for again in 3..6 {
            stack.begin_step("await_distribution_deployment", t(again));
            assert_eq!(stack.steps[0].status, StepStatus::Running);
            stack.finish_step(
                "await_distribution_deployment",
                StepStatus::Waiting,
                Some("deploying".into()),
                t(again),
            );
        }
        assert_eq!(stack.steps[0].attempts, 1);
        assert_eq!(
            stack.steps[0].started_at,
            t(1),
            "its deadline counts from t(1)"
        );

        // A run that fails is retried: that is another attempt.
        stack.begin_step("await_distribution_deployment", t(7));
        stack.begin_step("await_distribution_deployment", t(8));
        assert_eq!(stack.steps[0].attempts, 2);
    }

    #[test]
    fn a_retried_step_counts_its_attempts() {
        let mut stack = plain_stack();
        stack.begin_step("validate", t(1));
        stack.begin_step("validate", t(2));
        stack.finish_step("validate", StepStatus::Succeeded, Some("ok".into()), t(3));
        assert_eq!(stack.steps.len(), 1);
        assert_eq!(stack.steps[0].attempts, 2);
        assert_eq!(stack.steps[0].started_at, t(1));
        assert_eq!(stack.steps[0].finished_at, Some(t(3)));
    }

    #[test]
    fn a_step_that_ended_starts_a_new_run_and_a_waiting_one_keeps_its_start() {
        let mut stack = plain_stack();
        stack.begin_step("delete_certificates", t(1));
        stack.finish_step("delete_certificates", StepStatus::Waiting, None, t(2));
        stack.begin_step("delete_certificates", t(3));
        assert_eq!(
            stack.steps[0].started_at,
            t(1),
            "a retry within one wait keeps its deadline"
        );
        stack.finish_step("delete_certificates", StepStatus::Failed, None, t(4));
        stack.begin_step("delete_certificates", t(5));
        assert_eq!(
            stack.steps[0].started_at,
            t(5),
            "a second teardown's wait has a deadline of its own"
        );
    }

    #[test]
    fn timestamps_are_rfc3339_utc_with_milliseconds() {
        let now = Timestamp::now().to_string();
        assert_eq!(now.len(), "2026-11-25T10:00:00.000Z".len(), "{now}");
        assert!(now.ends_with('Z'));
    }
}
