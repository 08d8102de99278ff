//! The calls AWS allows an account only so often, taken in turns by every execution of the
//! account. Each workflow retrying on its own collides with the others: fifty stacks at once
//! need 25 minutes of `CreateDomainName` (one every 30 seconds), and most would exhaust their
//! retries. Instead a step reserves the next turn in the store before such a call, waits for
//! it (in the state machine when it is more than a moment away, shown as `AWAITING_TURN`) and
//! then calls. The reservation travels in the flow, so the step's next run does not queue
//! again (unless it comes too late for it: a retry queues anew).
//!
//! Turns are a schedule; what keeps AWS's window is the handover. A call's answer is recorded
//! with its turn (`StackStore::hand_over`), and the next turn's call goes once AWS's window has
//! passed since that answer: the earlier call reached AWS before its answer came back, so the
//! window is kept whatever the network's latency, and the interval between turns needs no
//! margin for a late run or a slow network. A turn whose predecessor never hands over (its
//! Lambda ended mid-call) goes a margin later than the predecessor could have called.
//!
//! A call AWS throttles at its turn is made again within the turn's grace, so a passing
//! throttle does not cost the stack a place at the back of the queue. The rate-limited retry of
//! the state machine stays as the backstop for callers outside edgestack.

use crate::{error, Deps, Flow, StepError};
use edgestack_aws::store::{Reserved, StoreError};
use edgestack_domain::stack::{Phase, Stack, StepStatus};
use edgestack_domain::timestamp::Timestamp;

/// A turn at most this far away is waited for in the Lambda: a Wait state counts whole
/// seconds and costs three transitions. A longer wait in the state machine ends this much
/// before the turn at least, so that the step's next run (a cold start, the Wait's rounding)
/// is there in time and waits the rest here.
const WAITED_IN_THE_LAMBDA_MILLIS: i64 = 3_000;
const WOKEN_BEFORE_THE_TURN_MILLIS: i64 = 2_000;

/// How late a run may still take its turn, and how long a throttled call is tried again: a
/// tenth of the interval, at most a second. The next turn's call waits for this one's answer,
/// so lateness costs the queue time, never AWS's window.
fn grace_millis(interval_millis: i64) -> i64 {
    (interval_millis / 10).min(1_000)
}

/// How long a call throttled at its turn pauses before it is made again: a twentieth of the
/// grace (50 ms in AWS). The pause is part of the round trip that the next turns are reserved apart
/// (`round_trip_allowance`), and a burst's turns are reserved early, from its first calls' round
/// trips: a throttled first call's pause is paid again by every later turn. Twenty tries at
/// most in a turn's grace, once per 30 s window.
fn throttled_try_pause_millis(grace_millis: i64) -> i64 {
    (grace_millis / 20).max(1)
}

/// How long past AWS's window (counted from the latest the turn before could have called) a
/// turn waits for that call's answer before it goes without: a call's way to AWS on a loaded
/// host. Only a Lambda that ended mid-call leaves its turn unanswered.
const UNANSWERED_MARGIN_MILLIS: i64 = 2_000;

/// The round trip the next turns allow for, given the one allowed so far and the call just
/// answered (its tries within the grace included): a slower call counts at once, a faster one
/// brings it down by an eighth of the difference. Turns reserved a window and this apart then
/// rarely wait for the answer before them, and a wait that does come does not pile up turn after
/// turn (a turn goes no sooner than reserved, so lateness adds up and earliness does not).
fn round_trip_allowance(allowed: Option<i64>, observed: i64) -> i64 {
    let observed = observed.max(0);
    match allowed {
        None => observed,
        Some(allowed) => observed.max(allowed - (allowed - observed) / 8),
    }
}

/// How often a turn looks again for the answer of the call before it.
const ANSWER_POLL_MILLIS: u64 = 25;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Paced {
    CreateDomainName,
    DeleteDomainName,
}

impl Paced {
    /// The call, as infra/calls.json names it.
    pub fn call(self) -> &'static str {
        match self {
            Self::CreateDomainName => "apigateway:CreateDomainName",
            Self::DeleteDomainName => "apigateway:DeleteDomainName",
        }
    }

    fn interval_millis(self, deps: &Deps) -> i64 {
        match self {
            Self::CreateDomainName | Self::DeleteDomainName => {
                deps.settings.domain_name_interval_millis
            }
        }
    }

    /// AWS's own window: how long after a call the account refuses the next.
    fn window_millis(self, deps: &Deps) -> i64 {
        match self {
            Self::CreateDomainName | Self::DeleteDomainName => {
                deps.settings.domain_name_window_millis
            }
        }
    }
}

/// Calls AWS allows an account (in a region, where the quota is per region) a few times a
/// second. Fifty stacks started at once would make theirs within the same second, and the SDK's
/// retries of the throttled ones collide again; instead each call takes the next slot in the
/// account's queue (`Deps::at_rate`), so the calls go out at the rate AWS allows. A throttle
/// that still comes (a caller outside edgestack) is the SDK's to retry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rated<'a> {
    /// ACM, in a region: 5 a second per account and region (ACM user guide, Quotas, API rate
    /// quotas).
    RequestCertificate(&'a str),
    /// ACM, in a region: 1 a second per account and region (same table).
    ListCertificates(&'a str),
    /// Route 53: five requests a second per account, every operation together (Route 53
    /// developer guide, Quotas on API requests). Changes take two of them: the rest is left to
    /// the reads (`GetChange`, `ListResourceRecordSets`) that are not queued.
    ChangeResourceRecordSets,
    /// CloudFront's changes to distributions (create, update, delete), one queue for all three:
    /// CloudFront answers `Throttling` ("Rate exceeded") under load but publishes no rate for
    /// its API (its Quotas page lists none). Five a second is half of what the strict account
    /// allows; a burst's teardown, which disables fifty distributions at once, is what meets it.
    CloudFrontChange,
}

impl Rated<'_> {
    /// The call, as infra/calls.json names it; for CloudFront's changes, the name of their one
    /// queue.
    pub fn call(self) -> &'static str {
        match self {
            Self::RequestCertificate(_) => "acm:RequestCertificate",
            Self::ListCertificates(_) => "acm:ListCertificates",
            Self::ChangeResourceRecordSets => "route53:ChangeResourceRecordSets",
            Self::CloudFrontChange => "cloudfront:changes",
        }
    }

    /// How many of these calls edgestack makes in one of AWS's seconds, all executions together.
    fn per_second(self) -> i64 {
        match self {
            Self::RequestCertificate(_) => 5,
            Self::ListCertificates(_) => 1,
            Self::ChangeResourceRecordSets => 2,
            Self::CloudFrontChange => 5,
        }
    }

    /// The account's queue for the call: one per region where AWS counts per region.
    fn queue(self) -> String {
        match self {
            Self::RequestCertificate(region) | Self::ListCertificates(region) => {
                format!("{}@{region}", self.call())
            }
            Self::ChangeResourceRecordSets | Self::CloudFrontChange => self.call().to_owned(),
        }
    }
}

/// The longest a step waits in its Lambda for a slot at a `Rated` call, in AWS's seconds: a
/// queue longer than that (a burst far beyond the rate) fails the run as `Transient`, and
/// the state machine's retry asks again later, well within the Lambda's timeout.
const RATE_SLOT_WAIT_SECONDS: i64 = 20;

impl Deps {
    /// Waits for the next slot at `rated`, taken in the account's queue.
    pub async fn at_rate(&self, rated: Rated<'_>) -> Result<(), StepError> {
        let second = self.settings.rate_second_millis;
        let interval = (second + rated.per_second() - 1) / rated.per_second();
        let now = Timestamp::now();
        let slot = self
            .store
            .reserve_turn(&rated.queue(), interval, now)
            .await?
            .turn;
        let millis = slot.millis_since(now);
        if millis > RATE_SLOT_WAIT_SECONDS * second {
            return Err(StepError::Transient(format!(
                "{}: the account's queue is {} s long (AWS allows {} a second)",
                rated.queue(),
                millis / second.max(1),
                rated.per_second()
            )));
        }
        if millis > 0 {
            tokio::time::sleep(std::time::Duration::from_millis(millis as u64)).await;
        }
        Ok(())
    }
}

/// How a paced call is made: once, without the SDK's own retries, which would come outside the
/// stack's turn (a throttled call retried a moment later lands in the next stack's window).
/// A failure goes back through the state machine's retry, and so to the queue.
pub fn once() -> aws_sdk_apigateway::config::Builder {
    aws_sdk_apigateway::config::Builder::default()
        .retry_config(aws_sdk_apigateway::config::retry::RetryConfig::disabled())
}

/// Whether the step may make its paced call now (in the turn it holds), with the flow to carry
/// on with or to hand the state machine for the wait.
#[derive(Debug)]
pub enum Turn {
    Now(Flow, Held),
    Later(Flow),
}

/// A turn a step holds: the account's window is the step's until it hands the turn over.
pub struct Held {
    store: std::sync::Arc<dyn edgestack_aws::store::StackStore>,
    paced: Paced,
    turn: Timestamp,
    grace_millis: i64,
}

impl std::fmt::Debug for Held {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Held")
            .field("paced", &self.paced)
            .field("turn", &self.turn)
            .finish_non_exhaustive()
    }
}

impl Held {
    /// Makes the paced call, and again while API Gateway throttles it and the turn's grace
    /// lasts, then hands the turn over with the time of the answer. Tries within the grace
    /// are safe for the next stack: its call waits for the answer to the last of them. The
    /// strict account throttles a share of calls at random, as a passing throttle does; a
    /// throttle that lasts (another client of the account took the window) outlives the grace
    /// and goes back to the state machine as `RateLimited`.
    pub async fn call<T, E, F, Fut>(self, mut call: F) -> Result<T, error::Sdk<E>>
    where
        F: FnMut() -> Fut,
        Fut: std::future::Future<Output = Result<T, error::Sdk<E>>>,
        E: aws_smithy_types::error::metadata::ProvideErrorMetadata,
    {
        let called_at = Timestamp::now();
        let until = called_at.plus_millis(self.grace_millis);
        let pause_millis = throttled_try_pause_millis(self.grace_millis);
        let answer = loop {
            match call().await {
                Err(e)
                    if error::is_too_many_requests(&e)
                        && Timestamp::now().plus_millis(pause_millis) <= until =>
                {
                    tokio::time::sleep(std::time::Duration::from_millis(pause_millis as u64)).await;
                }
                answer => break answer,
            }
        };
        let answered_at = Timestamp::now();
        let allowed = match self.store.round_trip(self.paced.call()).await {
            Ok(allowed) => allowed,
            Err(e) => {
                tracing::warn!(call = self.paced.call(), error = %e, "no round trip read");
                None
            }
        };
        let round_trip = round_trip_allowance(allowed, answered_at.millis_since(called_at));
        let handed = self
            .store
            .hand_over(self.paced.call(), self.turn, answered_at, round_trip)
            .await;
        if let Err(e) = handed {
            // The next turn goes a margin later instead (UNANSWERED_MARGIN_MILLIS).
            tracing::warn!(call = self.paced.call(), error = %e, "the turn was not handed over");
        }
        answer
    }
}

impl Deps {
    /// The stack's turn at `paced`: reserved on the first ask (kept in the flow), waited for
    /// here when it is a moment away, else recorded as the step waiting (`AWAITING_TURN`) and
    /// handed to the state machine, within `turn_deadline_seconds` of the step's start.
    pub async fn take_turn(
        &self,
        stack: &Stack,
        flow: Flow,
        step: &str,
        paced: Paced,
    ) -> Result<Turn, StepError> {
        let now = Timestamp::now();
        let interval = paced.interval_millis(self);
        // A run later than the grace (a retry of a call that failed at its turn) queues again
        // rather than crowd the next stack's turn.
        let kept = flow
            .turn_at
            .filter(|turn| now.millis_since(*turn) <= grace_millis(interval));
        let Reserved { turn, after } = match kept {
            Some(turn) => Reserved {
                turn,
                after: flow.turn_after,
            },
            None => {
                let apart = self.turns_apart(paced).await?;
                self.store.reserve_turn(paced.call(), apart, now).await?
            }
        };
        let millis = turn.millis_since(now);
        if millis <= WAITED_IN_THE_LAMBDA_MILLIS {
            if millis > 0 {
                tokio::time::sleep(std::time::Duration::from_millis(millis as u64)).await;
            }
            if let Some(after) = after {
                self.until_answered(paced, after).await?;
            }
            return Ok(Turn::Now(
                Flow {
                    turn_at: None,
                    turn_after: None,
                    ..flow
                },
                Held {
                    store: self.store.clone(),
                    paced,
                    turn,
                    grace_millis: grace_millis(interval),
                },
            ));
        }
        self.check_deadline(
            stack,
            step,
            self.settings.turn_deadline_seconds,
            &format!("its turn at {}", paced.call()),
        )?;
        self.finish(
            &flow.stack_id,
            step,
            StepStatus::Waiting,
            format!(
                "waiting for its turn at {} (the account may make it once every {} ms): {turn}",
                paced.call(),
                interval
            ),
            |s| {
                s.phase = Phase::AwaitingTurn;
                s.turn_at = Some(turn);
            },
        )
        .await?;
        Ok(Turn::Later(Flow {
            ready: false,
            polls: flow.polls + 1,
            wait_seconds: ((millis - WOKEN_BEFORE_THE_TURN_MILLIS).max(1_000) / 1_000) as u64,
            turn_at: Some(turn),
            turn_after: after,
            ..flow
        }))
    }

    /// How far apart the next turn is reserved from the last: AWS's window and the round trip
    /// of the calls made at their turns, as observed (`round_trip_allowance`), so that a turn
    /// rarely waits for the answer before it and the queue loses no more than that round trip a
    /// turn; before any call was observed, the configured interval (31 s in AWS).
    async fn turns_apart(&self, paced: Paced) -> Result<i64, StoreError> {
        let window = paced.window_millis(self);
        Ok(match self.store.round_trip(paced.call()).await? {
            Some(round_trip) => window + round_trip.clamp(0, window),
            None => paced.interval_millis(self),
        })
    }

    /// Waits until AWS's window has passed since the call of the turn `after` was answered,
    /// or, unanswered, until it cannot have called within the window.
    async fn until_answered(&self, paced: Paced, after: Timestamp) -> Result<(), StepError> {
        let window = paced.window_millis(self);
        let unanswered_by = after.plus_millis(
            grace_millis(paced.interval_millis(self)) + window + UNANSWERED_MARGIN_MILLIS,
        );
        loop {
            let now = Timestamp::now();
            if now >= unanswered_by {
                return Ok(());
            }
            if let Some(answered_at) = self.store.answered(paced.call(), after).await? {
                let rest = answered_at.plus_millis(window).millis_since(now);
                if rest > 0 {
                    tokio::time::sleep(std::time::Duration::from_millis(rest as u64)).await;
                }
                return Ok(());
            }
            tokio::time::sleep(std::time::Duration::from_millis(ANSWER_POLL_MILLIS)).await;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{deps, no_aws};
    use edgestack_domain::stack::{StackId, StepStatus};

    const STEP: &str = "create_custom_domain";

    /// A stack (for a name of its own) in `STEP` since `started_at`, stored in `deps`.
    async fn creating(deps: &Deps, started_at: Timestamp) -> Stack {
        static STACKS: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
        let n = STACKS.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let request = edgestack_domain::request::StackRequest::from_json(&serde_json::json!({
            "api_id": "a1b2c3d4e5", "region": "eu-west-1", "stage": "prod",
            "custom_domain": {"name": format!("api{n}.example.com"), "hosted_zone_id": "Z1"}
        }))
        .expect("a valid request");
        let mut stack = Stack::new("arn:a".into(), request, started_at);
        stack.begin_provisioning().expect("provisioning");
        stack.begin_step(STEP, started_at);
        let outcome = deps.store.create(&stack, None).await.expect("stored");
        assert!(matches!(
            outcome,
            edgestack_aws::store::CreateOutcome::Created
        ));
        stack
    }

    async fn stored(deps: &Deps, id: &StackId) -> Stack {
        deps.store.get(id).await.unwrap().unwrap().value
    }

    #[tokio::test]
    async fn the_first_to_ask_goes_at_once_and_the_next_waits_in_the_state_machine() {
        let deps = deps(no_aws());
        let first = creating(&deps, Timestamp::now()).await;
        let second = creating(&deps, Timestamp::now()).await;
        let go = deps
            .take_turn(
                &first,
                Flow::new(first.id.clone()),
                STEP,
                Paced::CreateDomainName,
            )
            .await
            .unwrap();
        assert!(
            matches!(go, Turn::Now(Flow { turn_at: None, .. }, _)),
            "{go:?}"
        );

        let wait = deps
            .take_turn(
                &second,
                Flow::new(second.id.clone()),
                STEP,
                Paced::CreateDomainName,
            )
            .await
            .unwrap();
        let Turn::Later(flow) = wait else {
            panic!("the second stack goes one interval later: {wait:?}")
        };
        assert!(!flow.ready);
        assert_eq!(flow.polls, 1, "its next run is a poll of the same step");
        // An interval apart, asked within the same moment: the state machine waits until a
        // moment before the turn, and the step's next run the rest.
        let interval = deps.settings.domain_name_interval_millis;
        let until_just_before = ((interval - WOKEN_BEFORE_THE_TURN_MILLIS) / 1_000) as u64;
        assert!(
            (until_just_before - 1..=until_just_before).contains(&flow.wait_seconds),
            "{flow:?}"
        );
        let turn = flow.turn_at.expect("the reserved turn travels in the flow");
        let shown = stored(&deps, &second.id).await;
        assert_eq!(shown.phase, Phase::AwaitingTurn);
        assert_eq!(
            shown.turn_at,
            Some(turn),
            "the stack shows when its turn comes"
        );
        assert_eq!(
            deps.store
                .next_free_turn(Paced::CreateDomainName.call(), Timestamp::now())
                .await
                .unwrap(),
            turn.plus_millis(interval),
            "a stack asking now would queue after it"
        );
        let step = shown.steps.iter().find(|s| s.name == STEP).unwrap();
        assert_eq!(step.status, StepStatus::Waiting);
        let detail = step.detail.as_deref().unwrap_or_default();
        assert!(
            detail.contains("apigateway:CreateDomainName") && detail.contains(&turn.to_string()),
            "{detail}"
        );
        assert_eq!(
            stored(&deps, &first.id).await.phase,
            first.phase,
            "the stack whose turn it is shows nothing of the queue"
        );
    }

    #[tokio::test]
    async fn a_turn_come_is_taken_without_queueing_again() {
        let deps = deps(no_aws());
        let stack = creating(&deps, Timestamp::now()).await;
        // A moment late, within the grace (a tenth of the interval, at most a second).
        let reserved = Timestamp::now().plus_millis(-500);
        let flow = Flow {
            turn_at: Some(reserved),
            polls: 3,
            ..Flow::new(stack.id.clone())
        };
        let go = deps
            .take_turn(&stack, flow, STEP, Paced::CreateDomainName)
            .await
            .unwrap();
        assert!(
            matches!(
                go,
                Turn::Now(
                    Flow {
                        turn_at: None,
                        polls: 3,
                        ..
                    },
                    _
                )
            ),
            "{go:?}"
        );
        // Nothing was reserved: the next to ask still goes at once.
        let next = deps
            .store
            .reserve_turn(
                Paced::CreateDomainName.call(),
                deps.settings.domain_name_interval_millis,
                Timestamp::now(),
            )
            .await
            .unwrap()
            .turn;
        assert!(next.millis_since(Timestamp::now()) <= 0, "{next}");
    }

    #[tokio::test]
    async fn a_turn_long_past_is_not_used_but_queued_for_again() {
        let deps = deps(no_aws());
        let stack = creating(&deps, Timestamp::now()).await;
        let interval = deps.settings.domain_name_interval_millis;
        let holder = deps
            .store
            .reserve_turn(Paced::CreateDomainName.call(), interval, Timestamp::now())
            .await
            .unwrap()
            .turn;
        // A retry, two seconds after the turn its input names: behind the current holder.
        let flow = Flow {
            turn_at: Some(Timestamp::now().plus_seconds(-2)),
            ..Flow::new(stack.id.clone())
        };
        let wait = deps
            .take_turn(&stack, flow, STEP, Paced::CreateDomainName)
            .await
            .unwrap();
        let Turn::Later(flow) = wait else {
            panic!("a stale turn queues again: {wait:?}")
        };
        assert_eq!(flow.turn_at, Some(holder.plus_millis(interval)));
    }

    #[tokio::test]
    async fn creating_and_deleting_domain_names_queue_apart() {
        let deps = deps(no_aws());
        let creator = creating(&deps, Timestamp::now()).await;
        let deleter = creating(&deps, Timestamp::now()).await;
        let first = deps
            .take_turn(
                &creator,
                Flow::new(creator.id.clone()),
                STEP,
                Paced::CreateDomainName,
            )
            .await
            .unwrap();
        let other = deps
            .take_turn(
                &deleter,
                Flow::new(deleter.id.clone()),
                STEP,
                Paced::DeleteDomainName,
            )
            .await
            .unwrap();
        assert!(matches!(first, Turn::Now(..)) && matches!(other, Turn::Now(..)));
    }

    /// Calls a few a second go out that far apart, every execution of the account together:
    /// each region apart where AWS counts each region apart. The clock is paused: a wait
    /// passes at once, and shows as time gone by.
    #[tokio::test(start_paused = true)]
    async fn calls_allowed_a_few_a_second_are_spread_at_that_rate() {
        let mut deps = deps(no_aws());
        deps.settings.rate_second_millis = 200;
        let listing = |region| Rated::ListCertificates(region);
        let before = Timestamp::now();
        let clock = tokio::time::Instant::now();
        deps.at_rate(listing("us-east-1")).await.unwrap();
        deps.at_rate(listing("eu-west-1")).await.unwrap();
        assert_eq!(
            clock.elapsed(),
            std::time::Duration::ZERO,
            "the first of each region's queue goes at once"
        );
        deps.at_rate(listing("us-east-1")).await.unwrap();
        assert!(
            clock.elapsed() > std::time::Duration::ZERO,
            "the second waits"
        );
        let next = |rated: Rated<'_>| {
            let queue = rated.queue();
            let store = deps.store.clone();
            async move { store.next_free_turn(&queue, before).await.unwrap() }
        };
        assert!(
            next(listing("us-east-1")).await >= before.plus_millis(400),
            "one ListCertificates a second per region: two slots taken"
        );
        // Five RequestCertificate a second: 40 ms apart here, in a queue of their own.
        for _ in 0..3 {
            deps.at_rate(Rated::RequestCertificate("us-east-1"))
                .await
                .unwrap();
        }
        assert!(next(Rated::RequestCertificate("us-east-1")).await >= before.plus_millis(120));
        // CloudFront's creates, updates and deletes share one queue, five a second.
        for _ in 0..2 {
            deps.at_rate(Rated::CloudFrontChange).await.unwrap();
        }
        assert!(next(Rated::CloudFrontChange).await >= before.plus_millis(80));
    }

    #[tokio::test(start_paused = true)]
    async fn a_queue_longer_than_a_lambda_should_wait_sends_the_step_back_to_the_state_machine() {
        let deps = deps(no_aws());
        let call = Rated::ChangeResourceRecordSets;
        let interval = deps.settings.rate_second_millis / 2;
        let now = Timestamp::now();
        for _ in 0..=(2 * RATE_SLOT_WAIT_SECONDS) {
            deps.store
                .reserve_turn(&call.queue(), interval, now)
                .await
                .unwrap();
        }
        let clock = tokio::time::Instant::now();
        let err = deps.at_rate(call).await.unwrap_err();
        assert_eq!(err.error_type(), "Transient");
        assert!(
            err.to_string().contains("route53:ChangeResourceRecordSets")
                && err.to_string().contains("queue is 20 s long"),
            "{err}"
        );
        assert_eq!(clock.elapsed(), std::time::Duration::ZERO, "no wait");
    }

    /// `Deps` whose account refuses a paced call within `window` ms of the last, with turns
    /// reserved `interval` ms apart: short enough for a test to wait.
    fn quick(window: i64, interval: i64) -> Deps {
        let mut deps = deps(no_aws());
        deps.settings.domain_name_window_millis = window;
        deps.settings.domain_name_interval_millis = interval;
        deps
    }

    type CreateError = aws_sdk_apigateway::operation::create_domain_name::CreateDomainNameError;

    async fn now_or_panic(deps: &Deps, stack: &Stack) -> (Flow, Held) {
        match deps
            .take_turn(
                stack,
                Flow::new(stack.id.clone()),
                STEP,
                Paced::CreateDomainName,
            )
            .await
            .unwrap()
        {
            Turn::Now(flow, held) => (flow, held),
            later => panic!("a turn a moment away is waited for in the Lambda: {later:?}"),
        }
    }

    /// Turns reserved closer than AWS's window (a schedule), yet the second call goes a whole
    /// window after the answer to the first: the first reached AWS before its answer came back.
    #[tokio::test]
    async fn a_turns_call_goes_a_window_after_the_answer_to_the_call_before() {
        let deps = quick(400, 300);
        let call = Paced::CreateDomainName.call();
        let first = creating(&deps, Timestamp::now()).await;
        let second = creating(&deps, Timestamp::now()).await;
        let (_, held) = now_or_panic(&deps, &first).await;
        let first_turn = held.turn;
        // The second asks while the first is about to call: the next turn, 300 ms on.
        let reserved = deps
            .store
            .reserve_turn(call, 300, Timestamp::now())
            .await
            .unwrap();
        let answer: Result<(), error::Sdk<CreateError>> = held
            .call(|| async {
                tokio::time::sleep(std::time::Duration::from_millis(50)).await;
                Ok(())
            })
            .await;
        answer.expect("answered");
        let answered_at = deps
            .store
            .answered(call, first_turn)
            .await
            .unwrap()
            .expect("the turn is handed over with its answer");

        let at_its_turn = Flow {
            turn_at: Some(reserved.turn),
            turn_after: reserved.after,
            ..Flow::new(second.id.clone())
        };
        let Turn::Now(flow, held) = deps
            .take_turn(&second, at_its_turn, STEP, Paced::CreateDomainName)
            .await
            .unwrap()
        else {
            panic!("its turn has come")
        };
        let went_at = Timestamp::now();
        assert!(
            went_at >= answered_at.plus_millis(400),
            "{went_at} is within AWS's window of the answer at {answered_at}"
        );
        assert_eq!(held.turn, first_turn.plus_millis(300), "its reserved turn");
        assert!(
            flow.turn_at.is_none() && flow.turn_after.is_none(),
            "{flow:?}"
        );
    }

    /// Once a call was answered at its turn, the next turns are reserved AWS's window and that
    /// call's round trip apart, not the configured interval with its guessed margin.
    #[tokio::test]
    async fn turns_are_reserved_the_window_and_the_observed_round_trip_apart() {
        let deps = quick(400, 5_000);
        let call = Paced::CreateDomainName.call();
        let first = creating(&deps, Timestamp::now()).await;
        let second = creating(&deps, Timestamp::now()).await;
        let (_, held) = now_or_panic(&deps, &first).await;
        let first_turn = held.turn;
        let answer: Result<(), error::Sdk<CreateError>> = held
            .call(|| async {
                tokio::time::sleep(std::time::Duration::from_millis(60)).await;
                Ok(())
            })
            .await;
        answer.expect("answered");
        let allowed = deps
            .store
            .round_trip(call)
            .await
            .unwrap()
            .expect("handed over with its round trip");
        assert!((60..400).contains(&allowed), "{allowed}");

        let (_, held) = now_or_panic(&deps, &second).await;
        assert_eq!(held.turn, first_turn.plus_millis(400 + allowed));
    }

    #[test]
    fn a_slow_call_counts_at_once_and_fast_ones_bring_the_allowance_down_slowly() {
        assert_eq!(round_trip_allowance(None, 300), 300, "the first observed");
        assert_eq!(round_trip_allowance(Some(300), 900), 900);
        assert_eq!(round_trip_allowance(Some(900), 100), 800);
        assert_eq!(round_trip_allowance(Some(800), 100), 713);
        assert_eq!(round_trip_allowance(Some(100), 100), 100);
        assert_eq!(
            round_trip_allowance(Some(100), -5),
            88,
            "a clock step counts as 0"
        );
    }

    /// The turn before was never answered (its Lambda ended mid-call): the next call goes only
    /// once that call cannot have reached AWS within the window, with a margin.
    #[tokio::test]
    async fn a_turn_after_a_call_never_answered_goes_a_margin_after_it_could_have_been() {
        let deps = quick(400, 100);
        let second = creating(&deps, Timestamp::now()).await;
        let unanswered = deps
            .store
            .reserve_turn(Paced::CreateDomainName.call(), 100, Timestamp::now())
            .await
            .unwrap()
            .turn;
        now_or_panic(&deps, &second).await;
        let went_at = Timestamp::now();
        let earliest = unanswered.plus_millis(grace_millis(100) + 400 + UNANSWERED_MARGIN_MILLIS);
        assert!(went_at >= earliest, "{went_at} before {earliest}");
    }

    /// A call that fails hands its turn over too: the next stack does not wait for a margin.
    #[tokio::test]
    async fn a_failed_call_hands_its_turn_over_as_well() {
        let deps = quick(400, 100);
        let stack = creating(&deps, Timestamp::now()).await;
        let (_, held) = now_or_panic(&deps, &stack).await;
        let turn = held.turn;
        let failed: Result<(), error::Sdk<CreateError>> = held
            .call(|| async {
                Err(
                    aws_smithy_runtime_api::client::result::SdkError::service_error(
                        CreateError::BadRequestException(
                            aws_sdk_apigateway::types::error::BadRequestException::builder()
                                .build(),
                        ),
                        aws_smithy_runtime_api::http::Response::new(
                            aws_smithy_runtime_api::http::StatusCode::try_from(400).unwrap(),
                            aws_smithy_types::body::SdkBody::empty(),
                        ),
                    ),
                )
            })
            .await;
        assert!(failed.is_err());
        assert!(deps
            .store
            .answered(Paced::CreateDomainName.call(), turn)
            .await
            .unwrap()
            .is_some());
    }

    #[tokio::test]
    async fn a_turn_waited_for_past_the_deadline_fails_the_stack() {
        let deps = deps(no_aws());
        let long_ago = Timestamp::now().plus_seconds(-3 * 3600);
        let stack = creating(&deps, long_ago).await;
        let flow = Flow {
            turn_at: Some(Timestamp::now().plus_seconds(60)),
            polls: 200,
            ..Flow::new(stack.id.clone())
        };
        let err = deps
            .take_turn(&stack, flow, STEP, Paced::CreateDomainName)
            .await
            .unwrap_err();
        assert!(matches!(err, StepError::DeadlineExceeded(_)), "{err:?}");
    }
}
