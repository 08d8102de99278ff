use edgestack_domain::timestamp::Timestamp;
use std::sync::Arc;

use edgestack_aws::callbacks::{
    Callbacks, NoCallbacks, StepFunctionsCallbacks, WATCH_STATE_MACHINE_ARN,
};
use edgestack_aws::calls::DeclaredCalls;
use edgestack_aws::clients::Clients;
use edgestack_aws::config;
use edgestack_aws::sdk::SdkConfig;
use edgestack_aws::store::{modify, DynamoStore, StackStore};
use edgestack_domain::lifecycle::Refusal;
use edgestack_domain::permissions::Permissions;
use edgestack_domain::stack::{Phase, Stack, StackId, StepStatus};

use crate::{Flow, StepError};

/// How the workflow paces its waits. Production waits minutes; the local stack seconds.
#[derive(Debug, Clone)]
pub struct Settings {
    /// The first poll interval; each later one doubles, up to `poll_max_seconds`.
    pub poll_base_seconds: u64,
    pub poll_max_seconds: u64,
    /// How long to wait for ACM to issue the certificates (ACM itself gives up after 72 h).
    pub certificate_deadline_seconds: u64,
    /// How long to wait for a distribution to reach `Deployed`.
    pub distribution_deadline_seconds: u64,
    /// How long to wait for Route 53 to apply a change (`INSYNC` typically within 60 s).
    pub dns_deadline_seconds: u64,
    /// How long to wait for ACM to let go of a certificate whose user was deleted (reports
    /// say 10 to 20 minutes after an API Gateway domain).
    pub certificate_release_deadline_seconds: u64,
    /// The cache policy every `auth: iam` stack shares, created once by the deployment.
    pub iam_cache_policy_id: Option<String>,
    /// Local stack only: where requests for a distribution's host really go (the local
    /// CloudFront data plane: no DNS names the distributions on one machine), e.g.
    /// `http://127.0.0.1:8080`.
    pub edge_override: Option<String>,
    /// Local stack only: a stack tagged `fault-injection: <step>` fails at that step, so that
    /// tests can show what every failure leaves behind. Never set in a deployed configuration.
    pub fault_injection: bool,
    /// Regions besides us-east-1 and the stack's own where the account keeps ACM certificates
    /// (`CERTIFICATE_REGIONS`, comma-separated): a validation record edgestack created is
    /// deleted only when no certificate in any of them names the domain (the record is one per
    /// name and account, shared by certificates in every region).
    pub certificate_regions: Vec<String>,
    /// AWS's window for `CreateDomainName`, and for `DeleteDomainName`: once every 30 seconds
    /// per account, not raisable (API Gateway developer guide, "Amazon API Gateway quotas").
    /// A turn's call goes this long after the answer to the turn before (`crate::pace`).
    /// Locally, scaled with the account's time.
    pub domain_name_window_millis: i64,
    /// How far apart the turns at those calls are reserved until a call's round trip has been
    /// observed (then the window and that round trip: `crate::pace`): the window and a guess.
    /// It also sets how late a run may still take its turn (a tenth of it, at most a second).
    pub domain_name_interval_millis: i64,
    /// The second of AWS's requests-a-second quotas (`crate::pace::Rated`): 1000 ms in AWS;
    /// the local account scales its rate windows, and local/up.sh this with them.
    pub rate_second_millis: i64,
    /// How long a stack may wait for its turn at a paced call before it fails: fifty stacks
    /// asking at once take 25 minutes of `CreateDomainName` turns.
    pub turn_deadline_seconds: u64,
    /// How often the watcher looks at every parked wait (`crate::watch`): what a wait costs
    /// beyond AWS's own time is at most this, plus the pass itself. 2 s in AWS: a custom-domain
    /// stack waits three times, each seen half a pass late on average (at 5 s passes, 7.5 s of
    /// the 23 s that are 5 % of AWS's own 455 s); ACM's one `ListCertificates` a second per
    /// region leaves half its quota to the steps.
    pub watch_interval_millis: u64,
    /// How long one watcher execution watches before the next slot's takes over.
    pub watch_slot_seconds: u64,
}

/// The tag that names the step to fail at, when fault injection is on.
pub const FAULT_INJECTION_TAG: &str = "fault-injection";

impl Default for Settings {
    fn default() -> Self {
        Self {
            poll_base_seconds: 15,
            poll_max_seconds: 300,
            certificate_deadline_seconds: 72 * 3600,
            distribution_deadline_seconds: 3600,
            dns_deadline_seconds: 1800,
            certificate_release_deadline_seconds: 3600,
            iam_cache_policy_id: None,
            edge_override: None,
            fault_injection: false,
            certificate_regions: Vec::new(),
            domain_name_window_millis: 30_000,
            domain_name_interval_millis: 31_000,
            rate_second_millis: 1_000,
            turn_deadline_seconds: 2 * 3600,
            watch_interval_millis: 2_000,
            watch_slot_seconds: 60,
        }
    }
}

impl Settings {
    fn from_env() -> Result<Self, config::ConfigError> {
        let defaults = Self::default();
        let read = |name: &'static str, default: u64| -> Result<u64, config::ConfigError> {
            match std::env::var(name) {
                Err(_) => Ok(default),
                Ok(raw) => raw.parse().map_err(|_| config::ConfigError {
                    name,
                    problem: format!("{raw:?} is not a whole number of seconds"),
                }),
            }
        };
        Ok(Self {
            poll_base_seconds: read("POLL_BASE_SECONDS", defaults.poll_base_seconds)?.max(1),
            poll_max_seconds: read("POLL_MAX_SECONDS", defaults.poll_max_seconds)?.max(1),
            certificate_deadline_seconds: read(
                "CERTIFICATE_DEADLINE_SECONDS",
                defaults.certificate_deadline_seconds,
            )?,
            distribution_deadline_seconds: read(
                "DISTRIBUTION_DEADLINE_SECONDS",
                defaults.distribution_deadline_seconds,
            )?,
            dns_deadline_seconds: read("DNS_DEADLINE_SECONDS", defaults.dns_deadline_seconds)?,
            certificate_release_deadline_seconds: read(
                "CERTIFICATE_RELEASE_DEADLINE_SECONDS",
                defaults.certificate_release_deadline_seconds,
            )?,
            iam_cache_policy_id: std::env::var("IAM_CACHE_POLICY_ID")
                .ok()
                .filter(|v| !v.is_empty()),
            edge_override: std::env::var("EDGE_OVERRIDE_URL")
                .ok()
                .filter(|v| !v.is_empty()),
            fault_injection: config::flag("EDGESTACK_FAULT_INJECTION"),
            certificate_regions: config::optional("CERTIFICATE_REGIONS")
                .map(|list| {
                    list.split(',')
                        .map(|r| r.trim().to_owned())
                        .filter(|r| !r.is_empty())
                        .collect()
                })
                .unwrap_or_default(),
            domain_name_window_millis: read(
                "DOMAIN_NAME_WINDOW_MILLIS",
                defaults.domain_name_window_millis as u64,
            )? as i64,
            domain_name_interval_millis: read(
                "DOMAIN_NAME_INTERVAL_MILLIS",
                defaults.domain_name_interval_millis as u64,
            )? as i64,
            rate_second_millis: (read("RATE_SECOND_MILLIS", defaults.rate_second_millis as u64)?
                as i64)
                .max(1),
            turn_deadline_seconds: read("TURN_DEADLINE_SECONDS", defaults.turn_deadline_seconds)?,
            watch_interval_millis: read("WATCH_INTERVAL_MILLIS", defaults.watch_interval_millis)?
                .max(1),
            watch_slot_seconds: read("WATCH_SLOT_SECONDS", defaults.watch_slot_seconds)?.max(1),
        })
    }

    /// The wait before poll number `polls` (0-based): base, 2×base, 4×base, … up to the max.
    pub fn poll_interval(&self, polls: u32) -> u64 {
        let factor = 1u64.checked_shl(polls.min(20)).unwrap_or(u64::MAX);
        self.poll_base_seconds
            .saturating_mul(factor)
            .min(self.poll_max_seconds)
    }
}

/// Provisioning refused by the lifecycle (`Stack::provisioning_may_go_on`): the state machine
/// ends on `StackGone` without a rollback.
fn stops(stack: &Stack, refusal: Refusal) -> StepError {
    StepError::StackGone(format!("stack {}: {refusal}; provisioning stops", stack.id))
}

/// Everything a step needs, built once per cold start.
/// How a run of a step starts: what `Deps::begin` records and what it refuses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Start {
    /// A provisioning step's run, or a retry of it: refused once the stack is being deleted.
    Provision,
    /// A later poll of a provisioning wait: refused likewise; the step's start is kept.
    ProvisionPoll,
    /// An undo step (a teardown, or the rollback of a failure): it works on a stack being
    /// deleted or failed, which is what undoing is for.
    Undo,
    /// A later poll of an undo wait.
    UndoPoll,
}

impl Start {
    /// A provisioning step that waits: its first run, or the `polls`-th poll.
    pub fn provision(polls: u32) -> Self {
        if polls == 0 {
            Self::Provision
        } else {
            Self::ProvisionPoll
        }
    }

    /// An undo step that waits: its first run, or the `polls`-th poll.
    pub fn undo(polls: u32) -> Self {
        if polls == 0 {
            Self::Undo
        } else {
            Self::UndoPoll
        }
    }
}

pub struct Deps {
    pub store: Arc<dyn StackStore>,
    /// The AWS clients the steps call.
    pub clients: Clients,
    /// The configuration they came from: the smoke test signs with its credentials.
    pub sdk: SdkConfig,
    pub settings: Settings,
    /// The permissions policy, where the function checks grants (validate-request): a grant
    /// revoked after the request was accepted stops the stack before anything is created.
    pub permissions: Option<Permissions>,
    /// Resuming parked executions and starting the watcher (`crate::watch`), for the functions
    /// whose environment names the watcher; refused for the others.
    pub callbacks: Arc<dyn Callbacks>,
}

impl Deps {
    /// The context of `function` (its directory under `functions/`): its clients may make only
    /// the calls it declares in infra/calls.json.
    pub async fn from_env(function: &str) -> Result<Self, config::ConfigError> {
        let declared = DeclaredCalls::of(function)?;
        let sdk = edgestack_aws::sdk::load_config().await?;
        let store = DynamoStore::from_env(&sdk, &declared)?;
        let permissions = match std::env::var(config::PERMISSIONS) {
            Ok(_) => Some(config::permissions()?),
            Err(_) => None,
        };
        let callbacks: Arc<dyn Callbacks> = match config::optional(WATCH_STATE_MACHINE_ARN) {
            Some(_) => Arc::new(StepFunctionsCallbacks::from_env(&sdk, &declared)?),
            None => Arc::new(NoCallbacks),
        };
        Ok(Self {
            store: Arc::new(store),
            clients: Clients::from_config(&sdk, &declared),
            callbacks,
            sdk,
            settings: Settings::from_env()?,
            permissions,
        })
    }

    /// Starts a run of `step` as `start` says: a first run (or a retry) records the step as
    /// running, another attempt if it ran before, and the stack as in `phase`; a later poll of a
    /// wait only reads the stack, so that `attempts` counts retries, not polls. The one place a
    /// step's start is guarded: provisioning stops once the stack is being deleted.
    pub async fn begin(
        &self,
        id: &StackId,
        step: &str,
        phase: Phase,
        start: Start,
    ) -> Result<Stack, StepError> {
        let provisioning = matches!(start, Start::Provision | Start::ProvisionPoll);
        if matches!(start, Start::ProvisionPoll | Start::UndoPoll) {
            let stack = self
                .store
                .get(id)
                .await?
                .ok_or_else(|| StepError::StackGone(format!("stack {id} does not exist")))?
                .value;
            if provisioning {
                stack
                    .provisioning_may_go_on()
                    .map_err(|refusal| stops(&stack, refusal))?;
            }
            return Ok(stack);
        }
        let now = Timestamp::now();
        modify(self.store.as_ref(), id, |stack| {
            if provisioning {
                stack
                    .begin_provisioning()
                    .map_err(|refusal| stops(stack, refusal))?;
            }
            stack.phase = phase;
            stack.begin_step(step, now);
            Ok(())
        })
        .await
        .and_then(|stack| self.injected_fault(stack, step))
    }

    /// On the local stack only: the tag `fault-injection` names the steps (space-separated,
    /// provisioning or undo steps) that fail for this stack.
    fn injected_fault(&self, stack: Stack, step: &str) -> Result<Stack, StepError> {
        if self.settings.fault_injection
            && stack
                .request
                .tags
                .get(FAULT_INJECTION_TAG)
                .is_some_and(|steps| steps.split_whitespace().any(|s| s == step))
        {
            return Err(StepError::invalid(
                "injected_fault",
                format!("a fault was injected at {step} (local stack only)"),
            ));
        }
        Ok(stack)
    }

    /// Fails with `DeadlineExceeded` once `step` has waited longer than `deadline_seconds`.
    pub fn check_deadline(
        &self,
        stack: &Stack,
        step: &str,
        deadline_seconds: u64,
        what: &str,
    ) -> Result<(), StepError> {
        // Every wait begins its step first, so the record is there; without one there is no
        // start to count from.
        let Some(started) = stack
            .steps
            .iter()
            .find(|s| s.name == step)
            .map(|s| s.started_at)
        else {
            return Ok(());
        };
        let waited = started.seconds_ago();
        if waited > deadline_seconds as i64 {
            return Err(StepError::DeadlineExceeded(format!(
                "gave up after {waited} s waiting for {what} (the deadline is {deadline_seconds} s)"
            )));
        }
        Ok(())
    }

    /// The wait of `step` goes on: past its deadline (`deadline`: seconds since the step
    /// started, and what is awaited) the stack fails; otherwise the step is recorded as waiting,
    /// with `detail` (given the seconds until the next check) and `change`, and the flow that
    /// comes back after those seconds is returned. Every wait of the workflow ends this way.
    pub async fn wait_again(
        &self,
        stack: &Stack,
        flow: Flow,
        step: &str,
        deadline: Option<(u64, &str)>,
        detail: impl FnOnce(u64) -> String,
        change: impl FnMut(&mut Stack),
    ) -> Result<Flow, StepError> {
        if let Some((seconds, what)) = deadline {
            self.check_deadline(stack, step, seconds, what)?;
        }
        let wait = self.settings.poll_interval(flow.polls);
        self.finish(
            &flow.stack_id,
            step,
            StepStatus::Waiting,
            detail(wait),
            change,
        )
        .await?;
        Ok(Flow {
            ready: false,
            polls: flow.polls + 1,
            wait_seconds: wait,
            ..flow
        })
    }

    /// Records what a still-running `step` has made so far (`change`), so that a retry after a
    /// timeout or a lost answer finds it rather than making it again.
    pub async fn checkpoint(
        &self,
        id: &StackId,
        step: &str,
        detail: impl Into<String>,
        change: impl FnMut(&mut Stack),
    ) -> Result<Stack, StepError> {
        self.finish(id, step, StepStatus::Running, detail, change)
            .await
    }

    /// Records how `step` ended, with `change` applying what it produced to the record.
    pub async fn finish(
        &self,
        id: &StackId,
        step: &str,
        status: StepStatus,
        detail: impl Into<String>,
        mut change: impl FnMut(&mut Stack),
    ) -> Result<Stack, StepError> {
        let detail = detail.into();
        let now = Timestamp::now();
        modify(self.store.as_ref(), id, |stack| {
            // A status changes only through the lifecycle's transitions, which keep a stack
            // deleted meanwhile with its teardown.
            change(stack);
            stack.finish_step(step, status, Some(detail.clone()), now);
            Ok::<_, StepError>(())
        })
        .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use edgestack_domain::request::StackRequest;

    #[tokio::test]
    async fn a_step_finishing_after_a_delete_leaves_the_stack_to_the_teardown() {
        let deps = crate::testing::deps(crate::testing::no_aws());
        let request = StackRequest::from_json(&serde_json::json!({
            "api_id": "a1b2c3d4e5", "region": "eu-west-1", "stage": "prod",
            "custom_domain": {"name": "api.example.com"}
        }))
        .expect("a valid request");
        let stack = Stack::new("arn:a".into(), request, Timestamp::now());
        deps.store.create(&stack, None).await.expect("stored");
        deps.begin(
            &stack.id,
            "request_certificates",
            Phase::RequestingCertificates,
            Start::Provision,
        )
        .await
        .expect("begun");
        // DELETE arrives while the step runs.
        modify(deps.store.as_ref(), &stack.id, |s| {
            s.start_deleting().expect("deleting");
            Ok::<_, StepError>(())
        })
        .await
        .expect("deleting");
        let finished = deps
            .finish(
                &stack.id,
                "request_certificates",
                StepStatus::Succeeded,
                "requested",
                |s| {
                    s.await_owner_dns();
                    s.outputs.certificate_arn =
                        Some("arn:aws:acm:us-east-1:1:certificate/x".into());
                },
            )
            .await
            .expect("finished");
        assert_eq!(finished.status(), edgestack_domain::stack::Status::Deleting);
        assert!(
            finished.outputs.certificate_arn.is_some(),
            "what the step made is recorded, for the teardown to remove"
        );
        // The teardown's own end still moves it on.
        let deleted = deps
            .finish(
                &stack.id,
                "finish_teardown",
                StepStatus::Succeeded,
                "deleted",
                |s| {
                    s.mark_deleted().expect("deleted");
                },
            )
            .await
            .expect("finished");
        assert_eq!(deleted.status(), edgestack_domain::stack::Status::Deleted);
    }

    #[tokio::test]
    async fn no_step_provisions_a_failed_stack() {
        let deps = crate::testing::deps(crate::testing::no_aws());
        let request = StackRequest::from_json(&serde_json::json!({
            "api_id": "a1b2c3d4e5", "region": "eu-west-1", "stage": "prod"
        }))
        .expect("a valid request");
        let mut stack = Stack::new("arn:a".into(), request, Timestamp::now());
        // The API marked it FAILED (the start got no answer), and then the execution started.
        stack
            .fail_to_start(edgestack_domain::stack::StackError {
                code: "workflow_not_started".into(),
                message: "no answer".into(),
                step: "start".into(),
                rolled_back: true,
            })
            .expect("failed");
        deps.store.create(&stack, None).await.expect("stored");
        let refused = deps
            .begin(
                &stack.id,
                "validate_request",
                Phase::Validating,
                Start::Provision,
            )
            .await
            .expect_err("a FAILED stack is not provisioned");
        assert_eq!(refused.error_type(), "StackGone", "{refused}");
        let refused = deps
            .begin(
                &stack.id,
                "check_certificates",
                Phase::AwaitingCertificateValidation,
                Start::provision(3),
            )
            .await
            .expect_err("nor polled further");
        assert_eq!(refused.error_type(), "StackGone", "{refused}");
        let after = deps.store.get(&stack.id).await.unwrap().unwrap().value;
        assert_eq!(after.status(), edgestack_domain::stack::Status::Failed);
        assert!(after.steps.is_empty(), "no step began: {:?}", after.steps);
    }

    #[test]
    fn poll_intervals_grow_to_a_ceiling() {
        let s = Settings {
            poll_base_seconds: 5,
            poll_max_seconds: 60,
            ..Settings::default()
        };
        let got: Vec<u64> = (0..6).map(|n| s.poll_interval(n)).collect();
        assert_eq!(got, [5, 10, 20, 40, 60, 60]);
        assert_eq!(s.poll_interval(u32::MAX), 60);
    }
}
