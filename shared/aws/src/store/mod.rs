//! Where stacks live. The trait keeps the API and the steps apart from DynamoDB, so that their
//! logic is unit-tested against the in-memory store and runs in AWS against the real table.

mod dynamo;
mod memory;

use std::collections::HashMap;

use async_trait::async_trait;
use base64::Engine;
use serde::{Deserialize, Serialize};

pub use dynamo::DynamoStore;
pub use memory::MemoryStore;

use edgestack_domain::expectation::{AwsWait, ObservedDurations};
use edgestack_domain::secret::Secret;
use edgestack_domain::stack::{Stack, StackId, Status};
use edgestack_domain::timestamp::Timestamp;

/// How long an `Idempotency-Key` is remembered, as Stripe does.
pub const IDEMPOTENCY_KEY_TTL_SECONDS: i64 = 24 * 60 * 60;
/// How long a `DELETED` stack stays readable before the table's TTL removes it: long enough for
/// an owner or an audit to see what it was, far longer than an idempotency key lives (so that a
/// replayed `POST` always finds the stack its key names).
pub const DELETED_STACK_TTL_SECONDS: i64 = 30 * 24 * 60 * 60;

/// What the store's backend said, with its own source chain.
pub type BackendError = Box<dyn std::error::Error + Send + Sync>;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("no stack {0}")]
    NotFound(StackId),
    /// Someone else changed the record since it was read; read it again and retry.
    #[error("the stack changed while it was being updated")]
    Conflict,
    /// The backend asks callers to slow down (DynamoDB's throttling).
    #[error("the stack store is throttling requests")]
    Throttled(#[source] BackendError),
    #[error("the stack store failed")]
    Backend(#[source] BackendError),
    #[error("a stored stack could not be read: {0}")]
    Corrupt(String),
}

/// `err` and every error that caused it, as one line: for logs, which must say why.
pub fn with_causes(err: &(dyn std::error::Error + 'static)) -> String {
    let mut line = err.to_string();
    let mut source = err.source();
    while let Some(cause) = source {
        line.push_str(": ");
        line.push_str(&cause.to_string());
        source = cause.source();
    }
    line
}

/// What `get_many` read: each existing stack, or why it could not be read.
pub type Many = HashMap<StackId, Result<Versioned<Stack>, StoreError>>;

#[derive(Debug, Clone)]
pub struct Versioned<T> {
    pub value: T,
    pub version: u64,
}

/// An `Idempotency-Key` as one caller used it, with a digest of the request it came with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdempotencyKey {
    pub owner: String,
    pub key: String,
    pub request_digest: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CreateOutcome {
    Created,
    /// The key was used before with the same request: that request's stack.
    Replayed(StackId),
    /// The key was used before with a different request.
    KeyReused,
    /// Another live stack holds the custom domain name.
    NameTaken(StackId),
}

/// The name a stack claims: one live stack per custom domain name, taken with the stack in one
/// conditional write so that two racing requests cannot both win, released when the stack is
/// deleted or rolled back.
pub fn claimed_name(stack: &Stack) -> Option<&str> {
    stack
        .request
        .custom_domain
        .as_ref()
        .map(|domain| domain.name.as_str())
}

/// A position in an owner's list, newest first: the stack after which the next page starts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Cursor {
    #[serde(rename = "k")]
    pub created_key: String,
}

impl Cursor {
    pub fn after(stack: &Stack) -> Self {
        Self {
            created_key: created_key(stack),
        }
    }

    pub fn encode(&self) -> String {
        let json = serde_json::to_vec(self).expect("a cursor always serialises");
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(json)
    }

    pub fn decode(token: &str) -> Option<Self> {
        let json = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(token)
            .ok()?;
        let cursor: Self = serde_json::from_slice(&json).ok()?;
        let (_, id) = cursor.created_key.split_once('#')?;
        StackId::parse(id).map(|_| cursor)
    }
}

/// The list index's sort key: creation time, then id, so that equal times still order totally.
pub fn created_key(stack: &Stack) -> String {
    format!("{}#{}", stack.created_at, stack.id)
}

#[derive(Debug, Clone)]
pub struct ListQuery {
    pub owner: String,
    pub status: Option<Status>,
    pub limit: usize,
    pub after: Option<Cursor>,
}

#[derive(Debug, Clone)]
pub struct Page {
    pub items: Vec<Stack>,
    /// Present only when more stacks follow.
    pub next: Option<Cursor>,
}

#[async_trait]
pub trait StackStore: Send + Sync {
    /// Stores a new stack, atomically with its idempotency key and its name claim.
    async fn create(
        &self,
        stack: &Stack,
        idempotency: Option<&IdempotencyKey>,
    ) -> Result<CreateOutcome, StoreError>;

    async fn get(&self, id: &StackId) -> Result<Option<Versioned<Stack>>, StoreError>;

    /// The stacks of `ids` that exist, read at once: what the watcher reads each pass of every
    /// parked stack, in a few requests however many stacks wait. Each stack's read stands on
    /// its own: one that cannot be read is an error for that stack alone.
    async fn get_many(&self, ids: &[StackId]) -> Result<Many, StoreError>;

    /// Replaces the stack if it is still at `expected_version`; returns the new version.
    async fn replace(&self, stack: &Stack, expected_version: u64) -> Result<u64, StoreError>;

    async fn list(&self, query: &ListQuery) -> Result<Page, StoreError>;

    /// Frees the stack's name for other stacks, if this stack holds it.
    async fn release_claim(&self, stack: &Stack) -> Result<(), StoreError>;

    /// The values of the stack's origin headers. They are kept apart from the stack (which
    /// shows `***` for each) and only the step that sends them to CloudFront reads them.
    async fn origin_header_values(&self, id: &StackId) -> Result<OriginHeaderValues, StoreError>;

    /// Forgets the values of the stack's origin headers: once it is `DELETED` or rolled back,
    /// or never started, nothing needs them.
    async fn forget_origin_header_values(&self, id: &StackId) -> Result<(), StoreError>;

    /// Reserves the next turn at `call`, which the account may make once every
    /// `interval_millis`: `now` when the last turn reserved is at least that old, else that
    /// long after it (`next_turn`). Every execution of the account queues here, in the order
    /// they ask, so concurrent stacks take turns instead of colliding with AWS's rate limit.
    async fn reserve_turn(
        &self,
        call: &str,
        interval_millis: i64,
        now: Timestamp,
    ) -> Result<Reserved, StoreError>;

    /// Records that the call made at `turn` had AWS's answer at `answered_at` (or ended
    /// without one), `round_trip_millis` being what the next reservations allow for a call's
    /// round trip: the next turn's call need leave AWS's window only after the answer. An older
    /// turn's record never replaces a newer one's.
    async fn hand_over(
        &self,
        call: &str,
        turn: Timestamp,
        answered_at: Timestamp,
        round_trip_millis: i64,
    ) -> Result<(), StoreError>;

    /// When the call made at `turn` had its answer, if it was handed over (`hand_over`).
    async fn answered(&self, call: &str, turn: Timestamp) -> Result<Option<Timestamp>, StoreError>;

    /// The round trip handed over with the latest answer at `call`, if any was.
    async fn round_trip(&self, call: &str) -> Result<Option<i64>, StoreError>;

    /// The turn `reserve_turn` would give `call` if asked at `now`, reserving nothing: where a
    /// stack asking now would stand in the account's queue.
    async fn next_free_turn(&self, call: &str, now: Timestamp) -> Result<Timestamp, StoreError>;

    /// How long AWS's own waits took, as the watcher observed them (`observe`).
    async fn observed_durations(&self) -> Result<ObservedDurations, StoreError>;

    /// Takes one more observation of `wait` (`millis` long) into its running mean.
    async fn observe(&self, wait: AwsWait, millis: i64) -> Result<(), StoreError>;

    /// Hands `waiter` to the watcher, replacing the stack's earlier wait at the same step.
    async fn park(&self, waiter: &Waiter) -> Result<(), StoreError>;

    /// Every wait handed to the watcher and not yet ended, the oldest deadline first.
    async fn parked(&self) -> Result<Vec<Waiter>, StoreError>;

    /// Ends `waiter`'s wait, unless a newer one (another token) replaced it meanwhile.
    async fn unpark(&self, waiter: &Waiter) -> Result<(), StoreError>;
}

/// A provisioning wait handed to the watcher: the stack's execution waits on `task_token` (a
/// `.waitForTaskToken` task) until the watcher sees `awaited` done and resumes it with
/// `resume_with`, or fails it once `deadline` passes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Waiter {
    pub stack_id: StackId,
    /// The step that waits, as the stack's record names it.
    pub step: String,
    pub awaited: Awaited,
    pub task_token: String,
    /// The state the execution goes on with, as the step would have returned it.
    pub resume_with: serde_json::Value,
    pub deadline: Timestamp,
}

/// What a parked stack waits for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Awaited {
    /// CloudFront reports the distribution `Deployed`.
    DistributionDeployed { distribution_id: String },
    /// ACM reports every one of the certificates `ISSUED`.
    CertificatesIssued { certificates: Vec<CertificateRef> },
    /// Route 53 reports the change `INSYNC`.
    ChangeInSync { change_id: String },
}

/// A certificate, and the region whose ACM holds it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CertificateRef {
    pub region: String,
    pub arn: String,
}

/// A turn reserved at a paced call, and the turn reserved before it, if any: the call this
/// turn's must not crowd.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Reserved {
    pub turn: Timestamp,
    pub after: Option<Timestamp>,
}

/// The turn after `last` (the latest turn reserved at a call, if any), for a call allowed once
/// every `interval_millis`, asked for at `now`.
pub fn next_turn(last: Option<Timestamp>, interval_millis: i64, now: Timestamp) -> Timestamp {
    last.map(|last| last.plus_millis(interval_millis))
        .filter(|after_last| *after_last > now)
        .unwrap_or(now)
}

/// Origin header values by header name, as the stack's request named them.
pub type OriginHeaderValues = std::collections::BTreeMap<String, Secret>;

/// What a store keeps of `stack`'s secrets apart from it: each origin header's value.
pub fn origin_header_values_of(stack: &Stack) -> OriginHeaderValues {
    stack
        .request
        .origin_headers
        .iter()
        .map(|(name, value)| (name.to_string(), value.clone()))
        .collect()
}

/// `stack` as a store keeps it: every origin header value withheld (`***`).
pub fn withheld(stack: &Stack) -> Stack {
    let mut kept = stack.clone();
    for value in kept.request.origin_headers.values_mut() {
        *value = Secret::new(edgestack_domain::secret::REDACTED);
    }
    kept
}

/// Reads, changes and writes back a stack, retrying when another writer got there first, so
/// that no update is lost. `change` may refuse (its error is returned as is). A change that
/// leaves the stack as it was writes nothing: the write would only move `updated_at` and
/// contend with the stack's other writers.
pub async fn modify<S, E, F>(store: &S, id: &StackId, mut change: F) -> Result<Stack, E>
where
    S: StackStore + ?Sized,
    E: From<StoreError>,
    F: FnMut(&mut Stack) -> Result<(), E>,
{
    const ATTEMPTS: usize = 8;
    for attempt in 1..=ATTEMPTS {
        let Versioned { mut value, version } = store
            .get(id)
            .await?
            .ok_or_else(|| StoreError::NotFound(id.clone()))?;
        let read = value.clone();
        change(&mut value)?;
        if value == read {
            return Ok(value);
        }
        value.updated_at = edgestack_domain::timestamp::Timestamp::now();
        match store.replace(&value, version).await {
            Ok(_) => return Ok(value),
            Err(StoreError::Conflict) if attempt < ATTEMPTS => {
                tokio::time::sleep(std::time::Duration::from_millis(20 * attempt as u64)).await;
            }
            Err(e) => return Err(e.into()),
        }
    }
    Err(StoreError::Conflict.into())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_round_trip_and_reject_garbage() {
        let cursor = Cursor {
            created_key: "2026-11-25T10:00:00.000Z#stk_abcdefghijklmnopqrst".into(),
        };
        assert_eq!(Cursor::decode(&cursor.encode()), Some(cursor));
        assert_eq!(Cursor::decode("not a token"), None);
        assert_eq!(Cursor::decode("e30"), None, "{{}} is no cursor");
    }

    #[test]
    fn a_turn_is_now_unless_the_last_one_is_less_than_an_interval_old() {
        let now = Timestamp::parse("2026-12-02T10:00:00Z").unwrap();
        assert_eq!(next_turn(None, 30_000, now), now);
        assert_eq!(next_turn(Some(now.plus_seconds(-30)), 30_000, now), now);
        assert_eq!(
            next_turn(Some(now.plus_seconds(-10)), 30_000, now),
            now.plus_seconds(20)
        );
        // Others are queued already: after the last of them.
        assert_eq!(
            next_turn(Some(now.plus_seconds(90)), 30_000, now),
            now.plus_seconds(120)
        );
    }

    #[tokio::test]
    async fn stacks_asking_at_once_queue_one_interval_apart_per_call() {
        let store = MemoryStore::new();
        let now = Timestamp::parse("2026-12-02T10:00:00Z").unwrap();
        let mut turns = Vec::new();
        for _ in 0..3 {
            turns.push(
                store
                    .reserve_turn("apigateway:CreateDomainName", 30_000, now)
                    .await
                    .unwrap(),
            );
        }
        let reserved = |turn, after| Reserved { turn, after };
        assert_eq!(
            turns,
            [
                reserved(now, None),
                reserved(now.plus_seconds(30), Some(now)),
                reserved(now.plus_seconds(60), Some(now.plus_seconds(30)))
            ],
            "in the order they asked, each after the one before"
        );
        let other = store
            .reserve_turn("apigateway:DeleteDomainName", 30_000, now)
            .await
            .unwrap();
        assert_eq!(other, reserved(now, None), "each call has its own queue");
    }

    #[tokio::test]
    async fn a_turns_answer_is_handed_to_the_next_and_never_taken_back_by_an_older_one() {
        let store = MemoryStore::new();
        let call = "apigateway:CreateDomainName";
        let turn = Timestamp::parse("2026-12-02T10:00:00Z").unwrap();
        assert_eq!(store.answered(call, turn).await.unwrap(), None);
        store
            .hand_over(call, turn, turn.plus_millis(800), 800)
            .await
            .unwrap();
        assert_eq!(store.round_trip(call).await.unwrap(), Some(800));
        assert_eq!(
            store.answered(call, turn).await.unwrap(),
            Some(turn.plus_millis(800))
        );
        let next = turn.plus_seconds(31);
        assert_eq!(store.answered(call, next).await.unwrap(), None, "not yet");
        store
            .hand_over(call, next, next.plus_millis(500), 700)
            .await
            .unwrap();
        // A slow earlier call's record, late: the newer one stays.
        store
            .hand_over(call, turn, next.plus_seconds(5), 36_000)
            .await
            .unwrap();
        assert_eq!(store.round_trip(call).await.unwrap(), Some(700));
        assert_eq!(
            store.answered(call, next).await.unwrap(),
            Some(next.plus_millis(500))
        );
        assert_eq!(
            store
                .answered("apigateway:DeleteDomainName", turn)
                .await
                .unwrap(),
            None,
            "each call has its own"
        );
    }
    fn waiter(stack: &str, token: &str, deadline: &str) -> Waiter {
        Waiter {
            stack_id: StackId::parse(stack).expect("a stack id"),
            step: "await_distribution_deployment".into(),
            awaited: Awaited::DistributionDeployed {
                distribution_id: "E1".into(),
            },
            task_token: token.into(),
            resume_with: serde_json::json!({"stack_id": stack, "ready": true}),
            deadline: Timestamp::parse(deadline).unwrap(),
        }
    }

    #[tokio::test]
    async fn a_parked_wait_is_listed_until_unparked_and_a_newer_token_replaces_it() {
        let store = MemoryStore::new();
        let early = waiter("stk_aaaaaaaaaaaaaaaaaaaa", "t1", "2026-12-02T10:00:00Z");
        let late = waiter("stk_bbbbbbbbbbbbbbbbbbbb", "t2", "2026-12-02T11:00:00Z");
        store.park(&late).await.unwrap();
        store.park(&early).await.unwrap();
        assert_eq!(store.parked().await.unwrap(), [early.clone(), late.clone()]);

        // A retry of the step parks again with a new token: the old one ends nothing.
        let retried = waiter("stk_aaaaaaaaaaaaaaaaaaaa", "t3", "2026-12-02T10:00:00Z");
        store.park(&retried).await.unwrap();
        store.unpark(&early).await.unwrap();
        assert_eq!(
            store.parked().await.unwrap(),
            [retried.clone(), late.clone()]
        );

        store.unpark(&retried).await.unwrap();
        store.unpark(&late).await.unwrap();
        assert!(store.parked().await.unwrap().is_empty());
    }

    #[test]
    fn a_waiter_keeps_its_shape_in_a_document() {
        let w = waiter("stk_aaaaaaaaaaaaaaaaaaaa", "t1", "2026-12-02T10:00:00Z");
        let json = serde_json::to_value(&w).unwrap();
        assert_eq!(
            json["awaited"],
            serde_json::json!({"kind": "distribution_deployed", "distribution_id": "E1"})
        );
        assert_eq!(json["deadline"], "2026-12-02T10:00:00.000Z");
        assert_eq!(serde_json::from_value::<Waiter>(json).unwrap(), w);
    }
}
