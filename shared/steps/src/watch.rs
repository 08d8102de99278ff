//! Waits that notice at once, cheaply. A step that waits on AWS checks once; when the resource
//! is not ready yet, it parks its execution on a task token (a `.waitForTaskToken` task) and
//! hands the wait to the watcher. One watcher checks every parked stack in a single pass every
//! few seconds (one `ListDistributions` sweep covers every distribution, one `ListCertificates`
//! listing every certificate of a region, a `GetChange` each Route 53 change) and resumes each
//! execution as soon as its resource is ready, or fails it once it never will be or its
//! deadline passes.
//!
//! The watcher is an execution of the watch state machine per slot of time (`watch-{slot}`):
//! whoever parks a wait starts the current slot's watcher, Step Functions refuses a second
//! execution of one name, and a watcher that ends with waits still parked starts the next
//! slot's. A pass the watcher misses (a failed call, a watcher that never started) costs time,
//! never a stack: the parked task's own timeout (its `TimeoutSeconds`, 600 s) retries the step,
//! which checks again and parks anew.

use std::collections::{BTreeSet, HashMap, HashSet};
use std::time::Duration;

use aws_sdk_acm::types::CertificateStatus;
use futures::stream::{self, StreamExt};
use futures::FutureExt;

use serde::{Deserialize, Serialize};

use edgestack_aws::callbacks::{Delivery, WatcherStart};
use edgestack_aws::store::{with_causes, Awaited, Waiter};
use edgestack_domain::expectation::AwsWait;
use edgestack_domain::stack::{Stack, StepStatus};
use edgestack_domain::timestamp::Timestamp;

use crate::provision::certificates;
use crate::provision::distribution::find_distribution_statuses;
use crate::provision::dns::{self, Propagation};
use crate::{Deps, Flow, StepError};

/// What a parking step's Lambda is given: the state, and the token its execution waits on.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Parking {
    pub flow: Flow,
    pub task_token: String,
}

/// The watcher's input: the slot of time it watches (`slot_millis`-long slots since the epoch).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct WatchSlot {
    pub slot: i64,
}

impl WatchSlot {
    pub fn at(now: Timestamp, slot_millis: i64) -> Self {
        Self {
            slot: now.unix_millis().div_euclid(slot_millis.max(1)),
        }
    }

    /// The name of the slot's watcher execution.
    pub fn execution_name(self) -> String {
        format!("watch-{}", self.slot)
    }

    pub fn end(self, slot_millis: i64) -> Timestamp {
        Timestamp::from_unix_millis((self.slot + 1) * slot_millis)
    }

    pub fn next(self) -> Self {
        Self {
            slot: self.slot + 1,
        }
    }
}

/// What one pass did, for the log and the tests.
#[derive(Debug, Default, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Pass {
    /// Executions resumed: their resource is ready.
    pub resumed: usize,
    /// Executions failed: past their deadline, or their stack no longer provisions.
    pub failed: usize,
    /// Waits that ended because nothing waited on their token any more.
    pub stale: usize,
    /// Still waiting.
    pub waiting: usize,
}

/// What a whole watcher execution did.
#[derive(Debug, Default, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Watched {
    pub passes: u32,
    /// Passes that could not look (a failed call): the next pass, or the tasks' own timeout,
    /// makes up for them.
    pub missed: u32,
    pub resumed: usize,
    pub failed: usize,
    /// Whether it started the next slot's watcher (waits were still parked at its end).
    pub handed_over: bool,
}

impl Deps {
    /// Parks `parking`'s execution until the watcher sees `awaited` done: the wait of `step`
    /// is recorded on the stack (`detail`), handed to the watcher with its deadline, and the
    /// current slot's watcher is started. The execution goes on with `parking.flow` finished
    /// (`Flow::done`) when the watcher resumes it.
    pub async fn park(
        &self,
        stack: &Stack,
        parking: Parking,
        step: &str,
        awaited: Awaited,
        (deadline_seconds, what): (u64, &str),
        detail: String,
    ) -> Result<(), StepError> {
        self.check_deadline(stack, step, deadline_seconds, what)?;
        let started = stack
            .steps
            .iter()
            .find(|s| s.name == step)
            .map(|s| s.started_at)
            .unwrap_or_else(Timestamp::now);
        self.finish(&stack.id, step, StepStatus::Waiting, detail, |_| {})
            .await?;
        let waiter = Waiter {
            stack_id: stack.id.clone(),
            step: step.to_owned(),
            awaited,
            task_token: parking.task_token,
            resume_with: serde_json::to_value(parking.flow.done())
                .map_err(|e| StepError::Internal(format!("the flow does not serialize: {e}")))?,
            deadline: started.plus_seconds(deadline_seconds as i64),
        };
        self.store.park(&waiter).await?;
        self.start_watcher(WatchSlot::at(Timestamp::now(), self.slot_millis()))
            .await
    }

    /// Resumes `parking`'s execution at once: what it waits for is ready already.
    pub async fn resume(&self, parking: Parking) -> Result<(), StepError> {
        let output = serde_json::to_value(parking.flow.done())
            .map_err(|e| StepError::Internal(format!("the flow does not serialize: {e}")))?;
        // Stale: the task timed out meanwhile and its retry checks again, or the execution was
        // stopped; either way nothing is left to resume.
        self.callbacks
            .succeed(&parking.task_token, &output)
            .await
            .map_err(|e| StepError::Transient(e.to_string()))?;
        Ok(())
    }

    /// Starts `slot`'s watcher, or finds it running. One that has ended already (it failed, or
    /// ended its slot just as this was parked, its last read missing it) has spent the slot's
    /// name: then the next slot's watcher starts now, early, and watches until a slot's time
    /// from its start has passed.
    async fn start_watcher(&self, slot: WatchSlot) -> Result<(), StepError> {
        for slot in [slot, slot.next()] {
            let started = self
                .callbacks
                .start_watcher(
                    &slot.execution_name(),
                    &serde_json::to_value(slot).expect("a slot serializes"),
                )
                .await
                .map_err(|e| StepError::Transient(e.to_string()))?;
            if started != WatcherStart::Ended {
                return Ok(());
            }
            tracing::warn!(
                watcher = slot.execution_name(),
                "that watcher has ended; starting the next"
            );
        }
        // Both ended: the parked task's own timeout checks again.
        Ok(())
    }

    fn slot_millis(&self) -> i64 {
        self.settings.watch_slot_seconds as i64 * 1000
    }
}

/// The watcher: passes every `watch_interval_millis` until its slot ends; then, if waits are
/// still parked, it starts the next slot's watcher.
pub async fn watch(deps: &Deps, slot: WatchSlot) -> Result<Watched, StepError> {
    // A watcher started early (its slot's predecessor had ended) still runs one slot's time at
    // most: the function's timeout allows that and the hand-over.
    let end = slot
        .end(deps.slot_millis())
        .min(Timestamp::now().plus_millis(deps.slot_millis()));
    let interval = Duration::from_millis(deps.settings.watch_interval_millis.max(1));
    let mut watched = Watched::default();
    loop {
        let pass_started = tokio::time::Instant::now();
        watched.passes += 1;
        match pass(deps, Timestamp::now()).await {
            Ok(done) => {
                watched.resumed += done.resumed;
                watched.failed += done.failed;
            }
            Err(e) => {
                watched.missed += 1;
                tracing::warn!(error = %e, "a watcher pass could not look; the next one will");
            }
        }
        let left = end.millis_since(Timestamp::now());
        if left <= 0 {
            break;
        }
        // Passes start an interval apart: a slow pass (a throttled call tried again, a queue
        // at ACM's quota) does not push every later pass back by its own length.
        let slot_end = tokio::time::Instant::now() + Duration::from_millis(left as u64);
        tokio::time::sleep_until((pass_started + interval).min(slot_end)).await;
    }
    // Read after the slot is over: a wait parked before its end was parked when this slot's
    // watcher existed, so either it is seen here or its parker started the next slot itself.
    if !deps.store.parked().await?.is_empty() {
        // The slot after this one, or the current one if this watcher ran late (a retry, a
        // slow start): never a chain of watchers for slots already gone.
        let now = WatchSlot::at(Timestamp::now(), deps.slot_millis());
        deps.start_watcher(slot.next().max(now)).await?;
        watched.handed_over = true;
    }
    tracing::info!(?watched, "watcher done");
    Ok(watched)
}

/// How many parked waits a pass settles at once. Settling one that is done is a few calls
/// (its record, its task's resumption, its unparking); a burst's certificates issue within
/// seconds of each other, and one after another those calls would hold the last stack of a
/// pass back by all the others' round trips.
const SETTLED_AT_ONCE: usize = 8;

/// One look at every parked wait: resumes those whose resource is ready, fails those past their
/// deadline or whose stack no longer provisions, keeps the rest. What it reads does not grow
/// with the parked stacks one call each: one sweep of AWS (`Sweep`) and one batch read of their
/// records.
pub async fn pass(deps: &Deps, now: Timestamp) -> Result<Pass, StepError> {
    let waiters = deps.store.parked().await?;
    let mut done = Pass::default();
    if waiters.is_empty() {
        return Ok(done);
    }
    let sweep = Sweep::of(deps, &waiters).await?;
    let ids: Vec<_> = waiters.iter().map(|w| w.stack_id.clone()).collect();
    // A batch read that fails leaves every stack unread this pass, as if each read had failed:
    // the waits are looked at again next pass, and those past their deadline still fail.
    let stacks = deps.store.get_many(&ids).await.map_err(|e| with_causes(&e));
    let (sweep, stacks) = (&sweep, &stacks);
    let settled: Vec<_> = stream::iter(&waiters)
        .map(|waiter| async move {
            let stack = match stacks {
                Err(e) => Err(StepError::Transient(e.clone())),
                Ok(read) => match read.get(&waiter.stack_id) {
                    None => Ok(None),
                    Some(Ok(read)) => Ok(Some(&read.value)),
                    Some(Err(e)) => Err(StepError::Transient(with_causes(e))),
                },
            };
            let outcome = match stack {
                Ok(stack) => settle(deps, waiter, stack, sweep, now).await,
                Err(e) => Err(e),
            };
            match outcome {
                Ok((Settled::Waiting, _)) => (Settled::Waiting, None),
                Ok((settled, observed)) => {
                    end_wait(deps, waiter).await;
                    (settled, observed)
                }
                // One stack's failure is not the others': it is looked at again next pass,
                // unless its deadline has passed, which no failure may postpone.
                Err(e) => {
                    tracing::warn!(stack_id = %waiter.stack_id, error = %e, "could not settle a wait");
                    if now > waiter.deadline && give_up(deps, waiter).await.is_ok() {
                        end_wait(deps, waiter).await;
                        (Settled::Failed, None)
                    } else {
                        (Settled::Waiting, None)
                    }
                }
            }
        })
        .buffer_unordered(SETTLED_AT_ONCE)
        .collect()
        .await;
    for (settled, observed) in settled {
        match settled {
            Settled::Waiting => done.waiting += 1,
            Settled::Resumed => done.resumed += 1,
            Settled::Failed => done.failed += 1,
            Settled::Stale => done.stale += 1,
        }
        // One after another: every observation folds into one item, which concurrent writers
        // would contend for (and a loser's observation would be lost).
        if let Some((wait, millis)) = observed {
            if let Err(e) = deps.store.observe(wait, millis).await {
                tracing::warn!(wait = wait.as_str(), error = %e, "could not record how long AWS took");
            }
        }
    }
    tracing::info!(?done, "watcher pass");
    Ok(done)
}

/// Ends `waiter`'s wait in the store. One that cannot be ended is settled again next pass, where
/// its task's token is already used (Step Functions answers it stale) and it is ended then.
async fn end_wait(deps: &Deps, waiter: &Waiter) {
    if let Err(e) = deps.store.unpark(waiter).await {
        tracing::warn!(stack_id = %waiter.stack_id, error = %e, "could not end a settled wait");
    }
}

/// Fails `waiter`'s task as past its deadline.
async fn give_up(deps: &Deps, waiter: &Waiter) -> Result<Delivery, StepError> {
    let (error, cause) = StepError::DeadlineExceeded(format!(
        "gave up waiting at {} (its deadline was {})",
        waiter.step, waiter.deadline
    ))
    .into_task_failure();
    deps.callbacks
        .fail(&waiter.task_token, error, &cause)
        .await
        .map_err(|e| StepError::Transient(e.to_string()))
}

enum Settled {
    Waiting,
    Resumed,
    Failed,
    Stale,
}

impl From<Delivery> for Settled {
    fn from(delivery: Delivery) -> Self {
        match delivery {
            Delivery::Taken => Settled::Resumed,
            Delivery::Stale => Settled::Stale,
        }
    }
}

/// `GetChange` calls a second of passes: every Route 53 request of an account draws on one
/// bucket, refilled at five a second in the older quota the strict account keeps and ten in the
/// current one (Route 53 developer guide, "Throttling Amazon Route 53 API requests"); one a
/// second leaves the rest to the steps writing records. Changes are looked at oldest first
/// (earliest deadline), and Route 53 applies them within about a minute, so a burst of stacks
/// waiting on DNS drains in order.
const ROUTE53_LOOKS_PER_SECOND: u64 = 1;

/// At most this many `GetChange` calls a pass, its share of `ROUTE53_LOOKS_PER_SECOND`.
fn route53_looks_per_pass(settings: &crate::Settings) -> usize {
    let seconds = settings.watch_interval_millis / settings.rate_second_millis.max(1) as u64;
    (seconds * ROUTE53_LOOKS_PER_SECOND).max(1) as usize
}

/// What one pass read of AWS, for every parked wait at once: one `ListDistributions` sweep if
/// any stack waits on CloudFront, one `ListCertificates` listing per region in which any stack
/// waits on ACM, and a `GetChange` for each of the oldest Route 53 changes waited on.
#[derive(Debug, Default)]
struct Sweep {
    distributions: HashMap<String, String>,
    certificates: HashMap<String, CertificateStatus>,
    changes_in_sync: HashSet<String>,
}

impl Sweep {
    /// The three services are read at once: each has its own quota, and one held up (ACM's
    /// listing waits for its turn at one a second, a throttled `GetChange` is tried again) does
    /// not hold up the others' news.
    async fn of(deps: &Deps, waiters: &[Waiter]) -> Result<Self, StepError> {
        let (distributions, certificates, changes_in_sync) = futures::try_join!(
            Self::distributions(deps, waiters),
            Self::certificates(deps, waiters),
            Self::changes(deps, waiters).map(Ok),
        )?;
        Ok(Self {
            distributions,
            certificates,
            changes_in_sync,
        })
    }

    async fn distributions(
        deps: &Deps,
        waiters: &[Waiter],
    ) -> Result<HashMap<String, String>, StepError> {
        if !waiters
            .iter()
            .any(|w| matches!(w.awaited, Awaited::DistributionDeployed { .. }))
        {
            return Ok(HashMap::new());
        }
        find_distribution_statuses(&deps.clients.cloudfront).await
    }

    /// Each region its own listing, at once: ACM's quotas are per region.
    async fn certificates(
        deps: &Deps,
        waiters: &[Waiter],
    ) -> Result<HashMap<String, CertificateStatus>, StepError> {
        let regions: BTreeSet<&str> = waiters
            .iter()
            .flat_map(|w| match &w.awaited {
                Awaited::CertificatesIssued { certificates } => certificates.as_slice(),
                _ => &[],
            })
            .map(|c| c.region.as_str())
            .collect();
        let listings = futures::future::try_join_all(
            regions
                .into_iter()
                .map(|region| certificates::certificate_statuses(deps, region)),
        )
        .await?;
        Ok(listings.into_iter().flatten().collect())
    }

    async fn changes(deps: &Deps, waiters: &[Waiter]) -> HashSet<String> {
        let mut changes: Vec<(Timestamp, &str)> = waiters
            .iter()
            .filter_map(|w| match &w.awaited {
                Awaited::ChangeInSync { change_id } => Some((w.deadline, change_id.as_str())),
                _ => None,
            })
            .collect();
        changes.sort();
        let mut in_sync = HashSet::new();
        let looks = route53_looks_per_pass(&deps.settings);
        for (_, change_id) in changes.into_iter().take(looks) {
            // One change that cannot be read is looked at again next pass; the others are not
            // held up by it.
            match dns::change_status(&deps.clients.route53, change_id).await {
                Ok(Propagation::InSync) => {
                    in_sync.insert(change_id.to_owned());
                }
                Ok(Propagation::Pending(_)) => {}
                Err(e) => {
                    tracing::warn!(change_id, error = %e, "could not read a Route 53 change");
                }
            }
        }
        in_sync
    }

    /// Whether `awaited` is done (with the line the stack's step records), still waiting
    /// (`None`), or never will be (the failure the step would have failed with).
    fn look(&self, awaited: &Awaited) -> Result<Option<String>, StepError> {
        Ok(match awaited {
            Awaited::DistributionDeployed { distribution_id } => {
                (self.distributions.get(distribution_id).map(String::as_str) == Some("Deployed"))
                    .then(|| format!("distribution {distribution_id} is Deployed"))
            }
            Awaited::CertificatesIssued { certificates } => {
                certificates::certificates_issued(certificates, &self.certificates)?
                    .then(|| "certificates issued".to_owned())
            }
            Awaited::ChangeInSync { change_id } => self
                .changes_in_sync
                .contains(change_id)
                .then(|| format!("Route 53 change {change_id} INSYNC")),
        })
    }
}

/// What the stack becomes once `awaited` is done, as the step that parked would have made it.
fn on_ready(awaited: &Awaited, stack: &mut Stack) {
    match awaited {
        Awaited::CertificatesIssued { .. } => certificates::on_issued(stack),
        Awaited::DistributionDeployed { .. } | Awaited::ChangeInSync { .. } => {}
    }
}

/// How long AWS took, from the wait's start as `stack`'s steps recorded it until now, for the
/// durations a stack in progress is expected by. Observed at a pass, so up to one pass interval
/// late. An observation lost (a failed write) costs only the estimate's freshness.
fn observation(awaited: &Awaited, stack: &Stack) -> Option<(AwsWait, i64)> {
    let wait = match awaited {
        Awaited::CertificatesIssued { .. } => AwsWait::CertificateIssuance,
        Awaited::DistributionDeployed { .. } => AwsWait::DistributionDeployment,
        Awaited::ChangeInSync { .. } => AwsWait::DnsPropagation,
    };
    // An owner's outside DNS makes the issuance wait on the owner, not on ACM.
    let owner_dns = stack
        .request
        .custom_domain
        .as_ref()
        .is_some_and(|d| d.hosted_zone_id.is_none());
    if wait == AwsWait::CertificateIssuance && owner_dns {
        return None;
    }
    let started = wait.started(stack)?;
    Some((wait, Timestamp::now().millis_since(started)))
}

/// What became of a wait this pass, and how long AWS took when it ended with the resource ready.
type Outcome = (Settled, Option<(AwsWait, i64)>);

/// Records `waiter`'s step as succeeded, unless it has ended already: two watchers overlap at
/// a slot's handover, and the one whose pass comes second would record the step again after
/// the execution has gone on, undoing what the next step wrote (the turn a stack holds at
/// `CreateDomainName`, and with it its expected READY time). Whether this was the first record.
async fn end_step(deps: &Deps, waiter: &Waiter, detail: String) -> Result<bool, StepError> {
    let now = Timestamp::now();
    let mut first = false;
    edgestack_aws::store::modify(deps.store.as_ref(), &waiter.stack_id, |stack| {
        first = stack.steps.iter().any(|step| {
            step.name == waiter.step
                && matches!(step.status, StepStatus::Running | StepStatus::Waiting)
        });
        if first {
            on_ready(&waiter.awaited, stack);
            stack.finish_step(
                &waiter.step,
                StepStatus::Succeeded,
                Some(detail.clone()),
                now,
            );
        }
        Ok::<_, StepError>(())
    })
    .await?;
    Ok(first)
}

/// Settles `waiter`, whose stack's record (read in this pass) is `stack`.
async fn settle(
    deps: &Deps,
    waiter: &Waiter,
    stack: Option<&Stack>,
    sweep: &Sweep,
    now: Timestamp,
) -> Result<Outcome, StepError> {
    let fail = |error: StepError| async move {
        let (error, cause) = error.into_task_failure();
        let delivery = deps
            .callbacks
            .fail(&waiter.task_token, error, &cause)
            .await
            .map_err(|e| StepError::Transient(e.to_string()))?;
        Ok::<_, StepError>(match delivery {
            Delivery::Taken => (Settled::Failed, None),
            Delivery::Stale => (Settled::Stale, None),
        })
    };
    let still_provisioning = stack.is_some_and(|s| s.provisioning_may_go_on().is_ok());
    if !still_provisioning {
        return fail(StepError::StackGone(format!(
            "stack {} no longer provisions; its wait at {} ends",
            waiter.stack_id, waiter.step
        )))
        .await;
    }
    let ready = match sweep.look(&waiter.awaited) {
        Ok(ready) => ready,
        Err(never) => return fail(never).await,
    };
    if let Some(detail) = ready {
        let first = end_step(deps, waiter, detail).await?;
        let observed = stack
            .filter(|_| first)
            .and_then(|stack| observation(&waiter.awaited, stack));
        let delivery = deps
            .callbacks
            .succeed(&waiter.task_token, &waiter.resume_with)
            .await
            .map_err(|e| StepError::Transient(e.to_string()))?;
        return Ok((delivery.into(), observed));
    }
    if now > waiter.deadline {
        return Ok(match give_up(deps, waiter).await? {
            Delivery::Taken => (Settled::Failed, None),
            Delivery::Stale => (Settled::Stale, None),
        });
    }
    Ok((Settled::Waiting, None))
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use aws_sdk_cloudfront::operation::list_distributions::ListDistributionsError;
    use aws_sdk_cloudfront::Client;
    use aws_smithy_mocks::{mock, mock_client, Rule, RuleMode};
    use edgestack_aws::store::{Awaited, Waiter};
    use edgestack_domain::request::StackRequest;
    use edgestack_domain::stack::{Stack, StepStatus};
    use edgestack_domain::timestamp::Timestamp;

    use super::{pass, watch, Pass, WatchSlot};
    use crate::failure::explain;
    use crate::provision::certificates;
    use crate::provision::distribution::AWAIT_STEP;
    use crate::testing::{
        clients_of, deps, distribution_summary, distributions_page, no_acm, no_apigateway, no_aws,
        no_cloudfront, no_route53, RecordedCallbacks, Sent,
    };
    use crate::{CaughtError, Deps, Flow};
    use aws_sdk_acm::operation::list_certificates::ListCertificatesOutput;
    use aws_sdk_acm::types::{CertificateStatus, CertificateSummary};
    use aws_sdk_route53::operation::get_change::GetChangeOutput;
    use aws_sdk_route53::types::{ChangeInfo, ChangeStatus};
    use edgestack_aws::store::CertificateRef;
    use edgestack_domain::expectation::AwsWait;

    /// CloudFront listing distribution `E{n}` with `status` for each of `statuses`.
    fn listing(statuses: &'static [&'static str]) -> Rule {
        mock!(Client::list_distributions).then_output(move || {
            distributions_page(
                statuses
                    .iter()
                    .enumerate()
                    .map(|(n, status)| distribution_summary(&format!("E{n}"), status, "", &[]))
                    .collect(),
                None,
            )
        })
    }

    fn watcher_deps(
        rules: &[&Rule],
        callbacks: RecordedCallbacks,
    ) -> (Deps, Arc<RecordedCallbacks>) {
        let cloudfront = mock_client!(
            aws_sdk_cloudfront,
            RuleMode::MatchAny,
            rules.iter().copied()
        );
        let callbacks = Arc::new(callbacks);
        let deps = Deps {
            clients: clients_of("watch", cloudfront, no_route53(), no_acm(), no_apigateway()),
            callbacks: callbacks.clone(),
            ..deps(no_aws())
        };
        (deps, callbacks)
    }

    /// How long before a test's parking its distribution was created.
    const DEPLOYING_FOR_SECONDS: i64 = 300;

    /// A stack provisioning, waiting at the deployment of distribution `E{n}` (created
    /// [`DEPLOYING_FOR_SECONDS`] ago), parked on token `t{n}` with `deadline`.
    async fn parked(deps: &Deps, n: usize, deadline: Timestamp) -> Waiter {
        let request = StackRequest::from_json(&serde_json::json!({
            "api_id": "a1b2c3d4e5", "region": "eu-west-1", "stage": "prod"
        }))
        .expect("a valid request");
        let mut stack = Stack::new("arn:a".into(), request, Timestamp::now());
        stack.begin_provisioning().expect("provisioning");
        let created = Timestamp::now().plus_seconds(-DEPLOYING_FOR_SECONDS);
        stack.begin_step("create_distribution", created);
        stack.finish_step("create_distribution", StepStatus::Succeeded, None, created);
        stack.begin_step(AWAIT_STEP, Timestamp::now());
        deps.store.create(&stack, None).await.expect("stored");
        let waiter = Waiter {
            stack_id: stack.id.clone(),
            step: AWAIT_STEP.into(),
            awaited: Awaited::DistributionDeployed {
                distribution_id: format!("E{n}"),
            },
            task_token: format!("t{n}"),
            resume_with: serde_json::to_value(Flow::new(stack.id.clone()).done()).unwrap(),
            deadline,
        };
        deps.store.park(&waiter).await.expect("parked");
        waiter
    }

    fn later() -> Timestamp {
        Timestamp::now().plus_seconds(3600)
    }

    async fn step_status(deps: &Deps, waiter: &Waiter) -> StepStatus {
        let stack = deps
            .store
            .get(&waiter.stack_id)
            .await
            .unwrap()
            .unwrap()
            .value;
        stack
            .steps
            .iter()
            .find(|s| s.name == waiter.step)
            .unwrap()
            .status
    }

    #[tokio::test]
    async fn one_pass_resumes_every_deployed_distribution_and_keeps_the_others_waiting() {
        let list = listing(&["Deployed", "InProgress", "Deployed"]);
        let (deps, callbacks) = watcher_deps(&[&list], RecordedCallbacks::default());
        let first = parked(&deps, 0, later()).await;
        let waiting = parked(&deps, 1, later()).await;
        let third = parked(&deps, 2, later()).await;

        let done = pass(&deps, Timestamp::now()).await.expect("a pass");
        assert_eq!(
            done,
            Pass {
                resumed: 2,
                waiting: 1,
                ..Pass::default()
            }
        );
        assert_eq!(list.num_calls(), 1, "one sweep for every parked stack");
        let mut sent = callbacks.sent();
        sent.sort_by_key(|s| format!("{s:?}"));
        assert_eq!(
            sent,
            [
                Sent::Success {
                    token: "t0".into(),
                    output: first.resume_with.clone()
                },
                Sent::Success {
                    token: "t2".into(),
                    output: third.resume_with.clone()
                },
            ]
        );
        assert_eq!(
            deps.store.parked().await.unwrap(),
            std::slice::from_ref(&waiting)
        );
        assert_eq!(step_status(&deps, &first).await, StepStatus::Succeeded);
        assert_eq!(step_status(&deps, &waiting).await, StepStatus::Running);
    }

    #[tokio::test]
    async fn a_resumed_wait_is_observed_for_the_stacks_in_progress_to_be_expected_by() {
        let list = listing(&["Deployed", "InProgress"]);
        let (deps, _) = watcher_deps(&[&list], RecordedCallbacks::default());
        parked(&deps, 0, later()).await;
        parked(&deps, 1, later()).await;
        pass(&deps, Timestamp::now()).await.expect("a pass");
        let observed = deps.store.observed_durations().await.unwrap();
        let deployment = observed
            .get(AwsWait::DistributionDeployment)
            .expect("the deployed distribution was observed");
        assert!(
            (DEPLOYING_FOR_SECONDS * 1000..DEPLOYING_FOR_SECONDS * 2000).contains(&deployment),
            "from the distribution's creation until the pass saw it deployed: {deployment} ms"
        );
        assert_eq!(
            observed.get(AwsWait::CertificateIssuance),
            None,
            "only what was seen"
        );
    }

    #[tokio::test]
    async fn a_wait_past_its_deadline_fails_its_execution_as_the_step_would_have() {
        let list = listing(&["InProgress"]);
        let (deps, callbacks) = watcher_deps(&[&list], RecordedCallbacks::default());
        parked(&deps, 0, Timestamp::now().plus_seconds(-1)).await;

        let done = pass(&deps, Timestamp::now()).await.expect("a pass");
        assert_eq!(done.failed, 1, "{done:?}");
        let sent = callbacks.sent();
        let [Sent::Failure {
            token,
            error,
            cause,
        }] = sent.as_slice()
        else {
            panic!("{sent:?}");
        };
        assert_eq!((token.as_str(), error.as_str()), ("t0", "DeadlineExceeded"));
        // The failure recorder reads it as it reads a Lambda's failure.
        let (code, message) = explain(&CaughtError {
            error: error.clone(),
            cause: cause.clone(),
        });
        assert_eq!(code, "deadline_exceeded");
        assert!(message.contains(AWAIT_STEP), "{message}");
        assert!(deps.store.parked().await.unwrap().is_empty());
    }

    #[tokio::test]
    async fn no_failure_postpones_a_deadline() {
        // Deployed, but Step Functions does not take the answer: before the deadline the wait
        // is kept for the next pass; past it, the execution fails as past its deadline.
        let list = listing(&["Deployed", "Deployed"]);
        let failing = || RecordedCallbacks {
            success_fails: true,
            ..RecordedCallbacks::default()
        };
        let (deps, callbacks) = watcher_deps(&[&list], failing());
        let kept = parked(&deps, 0, later()).await;
        let done = pass(&deps, Timestamp::now()).await.expect("a pass");
        assert_eq!(done.waiting, 1, "{done:?}");
        assert_eq!(
            deps.store.parked().await.unwrap(),
            std::slice::from_ref(&kept)
        );
        assert!(callbacks.sent().is_empty());

        let (deps, callbacks) = watcher_deps(&[&list], failing());
        parked(&deps, 1, Timestamp::now().plus_seconds(-1)).await;
        let done = pass(&deps, Timestamp::now()).await.expect("a pass");
        assert_eq!(done.failed, 1, "{done:?}");
        assert!(
            matches!(callbacks.sent().as_slice(), [Sent::Failure { error, .. }] if error == "DeadlineExceeded"),
            "{:?}",
            callbacks.sent()
        );
        assert!(deps.store.parked().await.unwrap().is_empty());
    }

    #[tokio::test]
    async fn a_stack_deleted_while_parked_ends_its_wait_even_when_its_execution_is_gone() {
        let list = listing(&["InProgress"]);
        let (deps, callbacks) = watcher_deps(&[&list], RecordedCallbacks::with_stale(&["t0"]));
        let waiter = parked(&deps, 0, later()).await;
        edgestack_aws::store::modify(deps.store.as_ref(), &waiter.stack_id, |s| {
            s.start_deleting()
                .map_err(|r| crate::StepError::Internal(r.to_string()))
        })
        .await
        .expect("deleting");

        let done = pass(&deps, Timestamp::now()).await.expect("a pass");
        assert_eq!(done.stale, 1, "{done:?}");
        assert!(
            matches!(callbacks.sent().as_slice(), [Sent::Failure { error, .. }] if error == "StackGone"),
            "{:?}",
            callbacks.sent()
        );
        assert!(deps.store.parked().await.unwrap().is_empty());
    }

    #[tokio::test]
    async fn a_resumed_task_that_had_timed_out_ends_the_wait_without_an_error() {
        let list = listing(&["Deployed"]);
        let (deps, _) = watcher_deps(&[&list], RecordedCallbacks::with_stale(&["t0"]));
        parked(&deps, 0, later()).await;
        let done = pass(&deps, Timestamp::now()).await.expect("a pass");
        assert_eq!(done.stale, 1, "{done:?}");
        assert!(deps.store.parked().await.unwrap().is_empty());
    }

    #[tokio::test]
    async fn a_pass_that_cannot_look_keeps_every_wait_for_the_next() {
        let throttled = mock!(Client::list_distributions).then_error(|| {
            ListDistributionsError::generic(
                aws_sdk_cloudfront::error::ErrorMetadata::builder()
                    .code("Throttling")
                    .build(),
            )
        });
        let (deps, callbacks) = watcher_deps(&[&throttled], RecordedCallbacks::default());
        let waiter = parked(&deps, 0, later()).await;
        let err = pass(&deps, Timestamp::now()).await.unwrap_err();
        assert_eq!(err.error_type(), "Transient", "{err:?}");
        assert_eq!(
            deps.store.parked().await.unwrap(),
            std::slice::from_ref(&waiter)
        );
        assert!(callbacks.sent().is_empty());

        // The next pass sees it deployed.
        let list = listing(&["Deployed"]);
        let (next, callbacks) = watcher_deps(&[&list], RecordedCallbacks::default());
        let next = Deps {
            store: deps.store.clone(),
            ..next
        };
        assert_eq!(pass(&next, Timestamp::now()).await.unwrap().resumed, 1);
        assert_eq!(callbacks.sent().len(), 1);
    }

    #[tokio::test]
    async fn a_watcher_hands_over_to_the_next_slot_only_while_waits_are_parked() {
        let slot = WatchSlot::at(Timestamp::now(), 60_000);
        assert!(slot.execution_name().starts_with("watch-"));

        // Its slot (a second long) over: then the next slot's watcher, for the one still
        // deploying.
        let list = listing(&["InProgress"]);
        let (mut deps, callbacks) = watcher_deps(&[&list], RecordedCallbacks::default());
        deps.settings.watch_slot_seconds = 1;
        deps.settings.watch_interval_millis = 100;
        let slot = WatchSlot::at(Timestamp::now(), 1_000);
        parked(&deps, 0, later()).await;
        let watched = watch(&deps, slot).await.expect("watched");
        assert!(watched.passes >= 1 && watched.handed_over, "{watched:?}");
        assert_eq!(
            callbacks.sent(),
            [Sent::Watcher {
                name: slot.next().execution_name()
            }]
        );

        // A watcher that starts long after its slot: one pass, then the current slot's, not
        // a chain through every slot gone meanwhile.
        let (deps, callbacks) = watcher_deps(&[&list], RecordedCallbacks::default());
        parked(&deps, 0, later()).await;
        let watched = watch(&deps, WatchSlot { slot: 7 }).await.expect("watched");
        assert_eq!((watched.passes, watched.handed_over), (1, true));
        let current = WatchSlot::at(Timestamp::now(), 60_000);
        assert!(
            matches!(callbacks.sent().as_slice(), [Sent::Watcher { name }] if *name == current.execution_name() || *name == current.next().execution_name()),
            "{:?}",
            callbacks.sent()
        );

        // Nothing parked: it ends without a successor.
        let (deps, callbacks) = watcher_deps(&[], RecordedCallbacks::default());
        let watched = watch(&deps, WatchSlot { slot: 7 }).await.expect("watched");
        assert!(!watched.handed_over);
        assert!(callbacks.sent().is_empty());
    }

    /// ACM listing, in whichever region it is asked, each `(ARN, status)` of `certificates`.
    fn certificate_listing(certificates: &'static [(&'static str, &'static str)]) -> Rule {
        mock!(aws_sdk_acm::Client::list_certificates).then_output(move || {
            ListCertificatesOutput::builder()
                .set_certificate_summary_list(Some(
                    certificates
                        .iter()
                        .map(|(arn, status)| {
                            CertificateSummary::builder()
                                .certificate_arn(*arn)
                                .status(CertificateStatus::from(*status))
                                .build()
                        })
                        .collect(),
                ))
                .build()
        })
    }

    /// `Deps` for a watcher whose ACM answers with `list` in every region.
    fn acm_watcher_deps(list: &Rule) -> (Deps, Arc<RecordedCallbacks>) {
        let acm = mock_client!(aws_sdk_acm, RuleMode::MatchAny, [list]);
        let callbacks = Arc::new(RecordedCallbacks::default());
        let deps = Deps {
            clients: clients_of("watch", no_cloudfront(), no_route53(), acm, no_apigateway()),
            callbacks: callbacks.clone(),
            ..deps(no_aws())
        };
        (deps, callbacks)
    }

    /// A stack waiting on its owner's DNS for certificates `E{n}` (us-east-1) and `R{n}`
    /// (eu-west-1), parked on token `t{n}`.
    async fn parked_for_certificates(deps: &Deps, n: usize) -> Waiter {
        let request = StackRequest::from_json(&serde_json::json!({
            "api_id": "a1b2c3d4e5", "region": "eu-west-1", "stage": "prod",
            "custom_domain": {"name": format!("api{n}.example.com")}
        }))
        .expect("a valid request");
        let mut stack = Stack::new("arn:a".into(), request, Timestamp::now());
        stack.begin_provisioning().expect("provisioning");
        stack.await_owner_dns();
        stack.begin_step(certificates::AWAIT_STEP, Timestamp::now());
        deps.store.create(&stack, None).await.expect("stored");
        let waiter = Waiter {
            stack_id: stack.id.clone(),
            step: certificates::AWAIT_STEP.into(),
            awaited: Awaited::CertificatesIssued {
                certificates: vec![
                    CertificateRef {
                        region: "us-east-1".into(),
                        arn: format!("E{n}"),
                    },
                    CertificateRef {
                        region: "eu-west-1".into(),
                        arn: format!("R{n}"),
                    },
                ],
            },
            task_token: format!("t{n}"),
            resume_with: serde_json::to_value(Flow::new(stack.id.clone()).done()).unwrap(),
            deadline: later(),
        };
        deps.store.park(&waiter).await.expect("parked");
        waiter
    }

    #[tokio::test]
    async fn one_listing_a_region_settles_every_stack_waiting_on_its_certificates() {
        let list = certificate_listing(&[
            ("E0", "ISSUED"),
            ("R0", "ISSUED"),
            ("E1", "ISSUED"),
            ("R1", "PENDING_VALIDATION"),
            ("E2", "FAILED"),
            ("R2", "PENDING_VALIDATION"),
        ]);
        let (deps, callbacks) = acm_watcher_deps(&list);
        let issued = parked_for_certificates(&deps, 0).await;
        let pending = parked_for_certificates(&deps, 1).await;
        let failed = parked_for_certificates(&deps, 2).await;

        let done = pass(&deps, Timestamp::now()).await.expect("a pass");
        assert_eq!(
            done,
            Pass {
                resumed: 1,
                failed: 1,
                waiting: 1,
                ..Pass::default()
            }
        );
        assert_eq!(
            list.num_calls(),
            2,
            "one listing for each of the two regions"
        );
        let sent = callbacks.sent();
        assert!(
            sent.contains(&Sent::Success {
                token: "t0".into(),
                output: issued.resume_with.clone()
            }),
            "{sent:?}"
        );
        let failure = sent
            .iter()
            .find_map(|s| match s {
                Sent::Failure {
                    token,
                    error,
                    cause,
                } if token == "t2" => Some(CaughtError {
                    error: error.clone(),
                    cause: cause.clone(),
                }),
                _ => None,
            })
            .expect("the failed certificate's stack failed");
        assert_eq!(explain(&failure).0, "certificate_failed");
        assert_eq!(sent.len(), 2, "{sent:?}");
        assert_eq!(
            deps.store.parked().await.unwrap(),
            std::slice::from_ref(&pending)
        );
        // Issued: the step succeeded and the stack no longer waits on its owner's DNS.
        let now = deps
            .store
            .get(&issued.stack_id)
            .await
            .unwrap()
            .unwrap()
            .value;
        assert_eq!(now.status(), edgestack_domain::stack::Status::Provisioning);
        assert_eq!(step_status(&deps, &issued).await, StepStatus::Succeeded);
        assert_eq!(step_status(&deps, &failed).await, StepStatus::Running);
    }

    /// Two watchers overlap at a slot's handover: the second settles a wait the first has
    /// settled, after the execution went on to its turn at `CreateDomainName`. The step's
    /// record stays the first's, and the turn the stack holds stays shown.
    #[tokio::test]
    async fn a_wait_settled_twice_leaves_what_the_next_step_wrote() {
        let list = certificate_listing(&[("E0", "ISSUED"), ("R0", "ISSUED")]);
        let (deps, _) = acm_watcher_deps(&list);
        let waiter = parked_for_certificates(&deps, 0).await;
        let done = pass(&deps, Timestamp::now()).await.expect("a pass");
        assert_eq!(done.resumed, 1);
        let read = |deps: &Deps| {
            let store = deps.store.clone();
            let id = waiter.stack_id.clone();
            async move { store.get(&id).await.unwrap().unwrap().value }
        };
        let ended = read(&deps).await;
        let ended_at = ended
            .steps
            .iter()
            .find(|s| s.name == waiter.step)
            .and_then(|s| s.finished_at)
            .expect("the wait's step ended");

        // The execution goes on: its next step queues for its turn.
        let turn = Timestamp::now().plus_seconds(600);
        edgestack_aws::store::modify(deps.store.as_ref(), &waiter.stack_id, |stack| {
            stack.begin_step("create_custom_domain", Timestamp::now());
            stack.finish_step(
                "create_custom_domain",
                StepStatus::Waiting,
                None,
                Timestamp::now(),
            );
            stack.phase = edgestack_domain::stack::Phase::AwaitingTurn;
            stack.turn_at = Some(turn);
            Ok::<_, crate::StepError>(())
        })
        .await
        .unwrap();
        // The second watcher read the wait before the first ended it.
        deps.store.park(&waiter).await.unwrap();
        let version = |deps: &Deps| {
            let store = deps.store.clone();
            let id = waiter.stack_id.clone();
            async move { store.get(&id).await.unwrap().unwrap().version }
        };
        let written = version(&deps).await;
        pass(&deps, Timestamp::now()).await.expect("a pass");
        assert_eq!(
            version(&deps).await,
            written,
            "nothing written: the step going on writes without contending with it"
        );

        let after = read(&deps).await;
        assert_eq!(
            after.turn_at,
            Some(turn),
            "the turn it holds is still shown"
        );
        assert_eq!(after.phase, edgestack_domain::stack::Phase::AwaitingTurn);
        assert_eq!(
            after
                .steps
                .iter()
                .find(|s| s.name == waiter.step)
                .and_then(|s| s.finished_at),
            Some(ended_at),
            "the wait's step keeps its first record"
        );
        assert!(deps.store.parked().await.unwrap().is_empty());
    }

    #[tokio::test]
    async fn a_pass_asks_route53_about_the_oldest_changes_only_and_resumes_those_in_sync() {
        // Changes C0..C6, parked with deadlines in that order; C1 and C6 are in sync.
        let get_change = mock!(aws_sdk_route53::Client::get_change).then_output(|| {
            GetChangeOutput::builder()
                .change_info(
                    ChangeInfo::builder()
                        .id("/change/C")
                        .status(ChangeStatus::Pending)
                        .submitted_at(aws_smithy_types::DateTime::from_secs(0))
                        .build()
                        .unwrap(),
                )
                .build()
        });
        let in_sync = |id: &'static str| {
            mock!(aws_sdk_route53::Client::get_change)
                .match_requests(move |r| r.id() == Some(id))
                .then_output(move || {
                    GetChangeOutput::builder()
                        .change_info(
                            ChangeInfo::builder()
                                .id(format!("/change/{id}"))
                                .status(ChangeStatus::Insync)
                                .submitted_at(aws_smithy_types::DateTime::from_secs(0))
                                .build()
                                .unwrap(),
                        )
                        .build()
                })
        };
        let (c1, c6) = (in_sync("C1"), in_sync("C6"));
        let route53 = mock_client!(aws_sdk_route53, RuleMode::MatchAny, [&c1, &c6, &get_change]);
        let callbacks = Arc::new(RecordedCallbacks::default());
        let mut deps = Deps {
            clients: clients_of("watch", no_cloudfront(), route53, no_acm(), no_apigateway()),
            callbacks: callbacks.clone(),
            ..deps(no_aws())
        };
        // Passes 5 s apart: five looks a pass, Route 53's one a second.
        deps.settings.watch_interval_millis = 5_000;
        let mut waiters = Vec::new();
        for n in 0..7 {
            let mut waiter = parked(&deps, n, later().plus_seconds(n as i64)).await;
            deps.store.unpark(&waiter).await.expect("unparked");
            waiter.awaited = Awaited::ChangeInSync {
                change_id: format!("/change/C{n}"),
            };
            waiter.step = crate::provision::dns::STEP.into();
            deps.store.park(&waiter).await.expect("parked");
            waiters.push(waiter);
        }

        let done = pass(&deps, Timestamp::now()).await.expect("a pass");
        assert_eq!(
            done,
            Pass {
                resumed: 1,
                waiting: 6,
                ..Pass::default()
            }
        );
        assert_eq!(
            c1.num_calls() + c6.num_calls() + get_change.num_calls(),
            5,
            "no more than its share of Route 53's rate a pass"
        );
        assert_eq!(
            c6.num_calls(),
            0,
            "the newest change waits for a later pass"
        );
        assert_eq!(
            callbacks.sent(),
            [Sent::Success {
                token: "t1".into(),
                output: waiters[1].resume_with.clone()
            }]
        );
    }

    #[tokio::test]
    async fn a_parker_that_finds_its_slots_watcher_ended_starts_the_next_slots_now() {
        let slot = WatchSlot { slot: 7 };
        let callbacks = RecordedCallbacks {
            ended_watchers: [slot.execution_name()].into(),
            ..RecordedCallbacks::default()
        };
        let (deps, callbacks) = watcher_deps(&[], callbacks);
        deps.start_watcher(slot).await.expect("started");
        assert_eq!(
            callbacks.sent(),
            [
                Sent::Watcher {
                    name: slot.execution_name()
                },
                Sent::Watcher {
                    name: slot.next().execution_name()
                },
            ]
        );

        // Running (or just started): nothing more.
        let (deps, callbacks) = watcher_deps(&[], RecordedCallbacks::default());
        deps.start_watcher(slot).await.expect("started");
        assert_eq!(callbacks.sent().len(), 1);
    }

    #[tokio::test]
    async fn a_watcher_started_early_watches_one_slots_time_not_two() {
        // Started at the beginning of the slot before its own: without the cap it would pass
        // for two slots; a slow machine only makes fewer passes, never more.
        let list = listing(&["InProgress"]);
        let (mut deps, _) = watcher_deps(&[&list], RecordedCallbacks::default());
        deps.settings.watch_slot_seconds = 1;
        deps.settings.watch_interval_millis = 100;
        let now = WatchSlot::at(Timestamp::now(), 1_000);
        let watched = watch(&deps, now.next()).await.expect("watched");
        assert!(watched.passes <= 12, "{watched:?}");
    }

    #[test]
    fn a_pass_asks_route53_once_for_each_second_it_covers() {
        let mut settings = crate::Settings::default();
        let looks = |settings: &crate::Settings| super::route53_looks_per_pass(settings);
        assert_eq!(looks(&settings), 2, "AWS's 2 s passes");
        // The local account's time scaled down: its second with it.
        (settings.watch_interval_millis, settings.rate_second_millis) = (100, 20);
        assert_eq!(looks(&settings), 5);
        // Passes under a second apart still look once each.
        (settings.watch_interval_millis, settings.rate_second_millis) = (300, 1_000);
        assert_eq!(looks(&settings), 1);
    }

    #[test]
    fn slots_are_consecutive_spans_of_time() {
        let at = Timestamp::parse("2026-12-02T10:00:30Z").unwrap();
        let slot = WatchSlot::at(at, 60_000);
        assert_eq!(
            slot.end(60_000),
            Timestamp::parse("2026-12-02T10:01:00Z").unwrap()
        );
        assert_eq!(WatchSlot::at(slot.end(60_000), 60_000), slot.next());
    }
}
