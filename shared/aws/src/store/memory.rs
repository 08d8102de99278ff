use std::collections::HashMap;
use std::sync::Mutex;

use async_trait::async_trait;

use super::{
    claimed_name, created_key, next_turn, origin_header_values_of, withheld, CreateOutcome, Cursor,
    IdempotencyKey, ListQuery, Many, OriginHeaderValues, Page, Reserved, StackStore, StoreError,
    Versioned, Waiter,
};
use edgestack_domain::expectation::{AwsWait, ObservedDurations};
use edgestack_domain::stack::{Stack, StackId};
use edgestack_domain::timestamp::Timestamp;

/// The store's semantics without DynamoDB, for fast tests of the logic above it.
#[derive(Default)]
pub struct MemoryStore {
    inner: Mutex<Inner>,
}

#[derive(Default)]
struct Inner {
    stacks: HashMap<StackId, (Stack, u64)>,
    keys: HashMap<(String, String), (String, StackId)>,
    claims: HashMap<String, StackId>,
    /// Origin header values, apart from the stacks (which hold `***`), as in DynamoDB.
    secrets: HashMap<StackId, OriginHeaderValues>,
    /// The latest turn reserved at each paced call, and the call's interval.
    turns: HashMap<String, (Timestamp, i64)>,
    /// The latest turn whose call was answered at each paced call, and when.
    /// Per call: the latest turn handed over, its answer and the round trip handed with it.
    answers: HashMap<String, (Timestamp, Timestamp, i64)>,
    observed: ObservedDurations,
    /// Waits handed to the watcher, by stack and step.
    waiters: HashMap<(StackId, String), Waiter>,
}

impl MemoryStore {
    pub fn new() -> Self {
        Self::default()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.inner
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

#[async_trait]
impl StackStore for MemoryStore {
    async fn create(
        &self,
        stack: &Stack,
        idempotency: Option<&IdempotencyKey>,
    ) -> Result<CreateOutcome, StoreError> {
        let mut inner = self.lock();
        if let Some(key) = idempotency {
            let slot = (key.owner.clone(), key.key.clone());
            if let Some((digest, id)) = inner.keys.get(&slot) {
                return Ok(if *digest == key.request_digest {
                    CreateOutcome::Replayed(id.clone())
                } else {
                    CreateOutcome::KeyReused
                });
            }
        }
        if let Some(holder) = claimed_name(stack).and_then(|name| inner.claims.get(name)) {
            return Ok(CreateOutcome::NameTaken(holder.clone()));
        }
        if let Some(key) = idempotency {
            let slot = (key.owner.clone(), key.key.clone());
            inner
                .keys
                .insert(slot, (key.request_digest.clone(), stack.id.clone()));
        }
        if let Some(name) = claimed_name(stack) {
            inner.claims.insert(name.to_owned(), stack.id.clone());
        }
        if inner.stacks.contains_key(&stack.id) {
            return Err(StoreError::Conflict);
        }
        if !stack.request.origin_headers.is_empty() {
            inner
                .secrets
                .insert(stack.id.clone(), origin_header_values_of(stack));
        }
        inner.stacks.insert(stack.id.clone(), (withheld(stack), 1));
        Ok(CreateOutcome::Created)
    }

    async fn get(&self, id: &StackId) -> Result<Option<Versioned<Stack>>, StoreError> {
        Ok(self
            .lock()
            .stacks
            .get(id)
            .map(|(stack, version)| Versioned {
                value: stack.clone(),
                version: *version,
            }))
    }

    async fn get_many(&self, ids: &[StackId]) -> Result<Many, StoreError> {
        let inner = self.lock();
        Ok(ids
            .iter()
            .filter_map(|id| {
                inner.stacks.get(id).map(|(stack, version)| {
                    let stack = Versioned {
                        value: stack.clone(),
                        version: *version,
                    };
                    (id.clone(), Ok(stack))
                })
            })
            .collect())
    }

    async fn replace(&self, stack: &Stack, expected_version: u64) -> Result<u64, StoreError> {
        let mut inner = self.lock();
        match inner.stacks.get_mut(&stack.id) {
            Some((current, version)) if *version == expected_version => {
                *current = withheld(stack);
                *version += 1;
                Ok(*version)
            }
            Some(_) => Err(StoreError::Conflict),
            None => Err(StoreError::NotFound(stack.id.clone())),
        }
    }

    async fn release_claim(&self, stack: &Stack) -> Result<(), StoreError> {
        if let Some(name) = claimed_name(stack) {
            let mut inner = self.lock();
            if inner.claims.get(name) == Some(&stack.id) {
                inner.claims.remove(name);
            }
        }
        Ok(())
    }

    async fn list(&self, query: &ListQuery) -> Result<Page, StoreError> {
        let inner = self.lock();
        let mut mine: Vec<&Stack> = inner
            .stacks
            .values()
            .map(|(stack, _)| stack)
            .filter(|s| s.owner == query.owner)
            .filter(|s| query.status.is_none_or(|status| s.status() == status))
            .filter(|s| {
                query
                    .after
                    .as_ref()
                    .is_none_or(|after| created_key(s) < after.created_key)
            })
            .collect();
        mine.sort_by_key(|s| std::cmp::Reverse(created_key(s)));
        let more = mine.len() > query.limit;
        let items: Vec<Stack> = mine.into_iter().take(query.limit).cloned().collect();
        let next = if more {
            items.last().map(Cursor::after)
        } else {
            None
        };
        Ok(Page { items, next })
    }

    async fn origin_header_values(&self, id: &StackId) -> Result<OriginHeaderValues, StoreError> {
        Ok(self.lock().secrets.get(id).cloned().unwrap_or_default())
    }

    async fn forget_origin_header_values(&self, id: &StackId) -> Result<(), StoreError> {
        self.lock().secrets.remove(id);
        Ok(())
    }

    async fn reserve_turn(
        &self,
        call: &str,
        interval_millis: i64,
        now: Timestamp,
    ) -> Result<Reserved, StoreError> {
        let mut inner = self.lock();
        let last = inner.turns.get(call).map(|(turn, _)| *turn);
        let turn = next_turn(last, interval_millis, now);
        inner.turns.insert(call.to_owned(), (turn, interval_millis));
        Ok(Reserved { turn, after: last })
    }

    async fn hand_over(
        &self,
        call: &str,
        turn: Timestamp,
        answered_at: Timestamp,
        round_trip_millis: i64,
    ) -> Result<(), StoreError> {
        let mut inner = self.lock();
        let newer = inner
            .answers
            .get(call)
            .is_some_and(|(handed, _, _)| *handed >= turn);
        if !newer {
            inner
                .answers
                .insert(call.to_owned(), (turn, answered_at, round_trip_millis));
        }
        Ok(())
    }

    async fn round_trip(&self, call: &str) -> Result<Option<i64>, StoreError> {
        Ok(self.lock().answers.get(call).map(|(_, _, millis)| *millis))
    }

    async fn answered(&self, call: &str, turn: Timestamp) -> Result<Option<Timestamp>, StoreError> {
        Ok(self
            .lock()
            .answers
            .get(call)
            .filter(|(handed, _, _)| *handed >= turn)
            .map(|(_, at, _)| *at))
    }

    async fn next_free_turn(&self, call: &str, now: Timestamp) -> Result<Timestamp, StoreError> {
        Ok(match self.lock().turns.get(call) {
            Some((last, interval_millis)) => next_turn(Some(*last), *interval_millis, now),
            None => now,
        })
    }

    async fn observed_durations(&self) -> Result<ObservedDurations, StoreError> {
        Ok(self.lock().observed.clone())
    }

    async fn observe(&self, wait: AwsWait, millis: i64) -> Result<(), StoreError> {
        self.lock().observed.observe(wait, millis);
        Ok(())
    }

    async fn park(&self, waiter: &Waiter) -> Result<(), StoreError> {
        self.lock().waiters.insert(
            (waiter.stack_id.clone(), waiter.step.clone()),
            waiter.clone(),
        );
        Ok(())
    }

    async fn parked(&self) -> Result<Vec<Waiter>, StoreError> {
        let mut waiters: Vec<Waiter> = self.lock().waiters.values().cloned().collect();
        waiters.sort_by_key(|w| w.deadline);
        Ok(waiters)
    }

    async fn unpark(&self, waiter: &Waiter) -> Result<(), StoreError> {
        let mut inner = self.lock();
        let key = (waiter.stack_id.clone(), waiter.step.clone());
        if inner
            .waiters
            .get(&key)
            .is_some_and(|w| w.task_token == waiter.task_token)
        {
            inner.waiters.remove(&key);
        }
        Ok(())
    }
}
