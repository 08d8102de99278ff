use std::collections::HashMap;

use async_trait::async_trait;
use aws_sdk_dynamodb::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_dynamodb::operation::delete_item::DeleteItemError;
use aws_sdk_dynamodb::operation::put_item::builders::PutItemFluentBuilder;
use aws_sdk_dynamodb::operation::put_item::PutItemError;
use aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsError;
use aws_sdk_dynamodb::types::{AttributeValue, KeysAndAttributes, Put, TransactWriteItem};
use aws_sdk_dynamodb::Client;

use super::{
    claimed_name, created_key, CreateOutcome, Cursor, IdempotencyKey, ListQuery, Many,
    OriginHeaderValues, Page, Reserved, StackStore, StoreError, Versioned, Waiter,
    DELETED_STACK_TTL_SECONDS, IDEMPOTENCY_KEY_TTL_SECONDS,
};
use edgestack_domain::expectation::{AwsWait, ObservedDurations};
use edgestack_domain::secret::Secret;
use edgestack_domain::stack::{Stack, StackId, Status};
use edgestack_domain::timestamp::Timestamp;

/// The list index: an owner's stacks by `created_key`.
pub const OWNER_INDEX: &str = "by_owner";

/// The stacks table. A stack item holds the stack as a JSON document plus the attributes that
/// are indexed or conditioned on. An idempotency item remembers a key for a day. Origin header
/// values live in a table of their own (`secrets_table`, pk = the stack id, `values` a map by
/// header name), which IAM lets only the API write and only create-distribution read; they are
/// written with the stack, in one transaction, and deleted when the stack is undone.
///
/// | item        | pk                           | other attributes                                        |
/// |-------------|------------------------------|---------------------------------------------------------|
/// | stack       | `STACK#{id}`                 | owner, created_key, status, version, document;          |
/// |             |                              | once `DELETED`, expires_at (kept 30 days)               |
/// | idempotency | `IDEMPOTENCY#{n}:{owner}#{key}` | stack_id, request_digest, expires_at (the table's TTL) |
///
/// The idempotency item's owner is length-prefixed (`n` its length in bytes): with `#` in an
/// owner or a key, `{owner}#{key}` alone could name one item for two callers.
/// | name claim  | `CLAIM#{domain name}`        | stack_id: the one live stack that may serve the name    |
/// | turn        | `TURN#{service:Operation}`   | turn_at: the latest turn reserved at a paced call,      |
/// |             |                              | interval_millis: the call's interval                    |
/// | answer      | `ANSWERED#{service:Operation}` | turn: the latest turn whose call was answered,        |
/// |             |                              | answered_at: when                                       |
/// | observed    | `OBSERVED#aws_waits`         | durations (JSON: each AWS wait's running mean), version |
/// | waiter      | `WAIT#{id}#{step}`           | owner `#watcher` (so the list index holds every waiter, |
/// |             |                              | created_key = its deadline), task_token, waiter (JSON), |
/// |             |                              | expires_at (a day past the deadline)                    |
pub struct DynamoStore {
    client: Client,
    table: String,
    /// Where origin header values are kept; only the functions that handle them have it.
    secrets_table: Option<String>,
}

fn s(value: impl Into<String>) -> AttributeValue {
    AttributeValue::S(value.into())
}

fn n(value: impl ToString) -> AttributeValue {
    AttributeValue::N(value.to_string())
}

/// DynamoDB's answer as a store error: its throttling (by error code, as the SDK parses it)
/// is `Throttled`, anything else `Backend`; the SDK error stays the source.
fn backend<E, R>(err: SdkError<E, R>) -> StoreError
where
    E: std::error::Error + ProvideErrorMetadata + Send + Sync + 'static,
    R: std::fmt::Debug + Send + Sync + 'static,
{
    const THROTTLING: [&str; 3] = [
        "ThrottlingException",
        "ProvisionedThroughputExceededException",
        "RequestLimitExceeded",
    ];
    let throttled = err.code().is_some_and(|code| THROTTLING.contains(&code));
    let source: super::BackendError = Box::new(err);
    if throttled {
        StoreError::Throttled(source)
    } else {
        StoreError::Backend(source)
    }
}

fn build_error(err: aws_sdk_dynamodb::error::BuildError) -> StoreError {
    StoreError::Backend(Box::new(err))
}

fn stack_pk(id: &StackId) -> String {
    format!("STACK#{id}")
}

fn idempotency_pk(key: &IdempotencyKey) -> String {
    format!("IDEMPOTENCY#{}:{}#{}", key.owner.len(), key.owner, key.key)
}

fn turn_pk(call: &str) -> String {
    format!("TURN#{call}")
}

fn answered_pk(call: &str) -> String {
    format!("ANSWERED#{call}")
}

const OBSERVED_PK: &str = "OBSERVED#aws_waits";

fn waiter_pk(waiter: &Waiter) -> String {
    format!("WAIT#{}#{}", waiter.stack_id, waiter.step)
}

/// The owner under which waiters are listed: not a principal (those are ARNs), so no caller's
/// list ever holds one.
const WAITERS_OWNER: &str = "#watcher";

/// How long after its deadline the table keeps a waiter nobody removed.
const WAITER_TTL_AFTER_DEADLINE_SECONDS: i64 = 24 * 60 * 60;

fn claim_pk(name: &str) -> String {
    format!("CLAIM#{name}")
}

fn epoch_seconds() -> i64 {
    time::OffsetDateTime::now_utc().unix_timestamp()
}

impl DynamoStore {
    /// Item `pk` of the table, read strongly where `consistent` (a queue's latest turn or
    /// answer, which a caller acts on).
    async fn item_at(
        &self,
        pk: String,
        consistent: bool,
    ) -> Result<Option<HashMap<String, AttributeValue>>, StoreError> {
        Ok(self
            .client
            .get_item()
            .table_name(&self.table)
            .key("pk", s(pk))
            .set_consistent_read(consistent.then_some(true))
            .send()
            .await
            .map_err(backend)?
            .item)
    }

    /// Deletes item `pk` if its `attribute` still holds `value`; an item gone or changed is left.
    async fn delete_if(&self, pk: String, attribute: &str, value: &str) -> Result<(), StoreError> {
        let result = self
            .client
            .delete_item()
            .table_name(&self.table)
            .key("pk", s(pk))
            .condition_expression("#a = :v")
            .expression_attribute_names("#a", attribute)
            .expression_attribute_values(":v", s(value))
            .send()
            .await;
        match result {
            Ok(_) => Ok(()),
            Err(e)
                if matches!(
                    e.as_service_error(),
                    Some(DeleteItemError::ConditionalCheckFailedException(_))
                ) =>
            {
                Ok(())
            }
            Err(e) => Err(backend(e)),
        }
    }

    fn read_waiter(item: &HashMap<String, AttributeValue>) -> Result<Waiter, StoreError> {
        let pk = item.get("pk").and_then(|v| v.as_s().ok());
        let Some(AttributeValue::S(document)) = item.get("waiter") else {
            return Err(StoreError::Corrupt(format!(
                "waiter {pk:?} has no document"
            )));
        };
        serde_json::from_str(document).map_err(|e| {
            StoreError::Corrupt(format!("waiter {pk:?} does not parse ({e}): {document}"))
        })
    }

    pub fn new(client: Client, table: impl Into<String>) -> Self {
        Self {
            client,
            table: table.into(),
            secrets_table: None,
        }
    }

    /// The store a function's environment names: the stacks table (`STACKS_TABLE`, required)
    /// and the table of origin header values (`SECRETS_TABLE`, only for the functions that
    /// write, read or forget them).
    /// Its client is held to the calls the function declares.
    pub fn from_env(
        sdk: &aws_config::SdkConfig,
        declared: &crate::calls::DeclaredCalls,
    ) -> Result<Self, crate::config::ConfigError> {
        use crate::config;
        let client = Client::from_conf(
            aws_sdk_dynamodb::config::Builder::from(sdk)
                .interceptor(declared.clone())
                .build(),
        );
        Ok(Self::new(client, config::required(config::STACKS_TABLE)?)
            .with_secrets_table(config::optional(config::SECRETS_TABLE)))
    }

    /// With the table of origin header values (`SECRETS_TABLE`).
    pub fn with_secrets_table(self, secrets_table: Option<String>) -> Self {
        Self {
            secrets_table,
            ..self
        }
    }

    fn secrets_table(&self) -> Result<&str, StoreError> {
        self.secrets_table.as_deref().ok_or_else(|| {
            StoreError::Backend(
                format!(
                    "this function has no {} to keep origin header values in",
                    crate::config::SECRETS_TABLE
                )
                .into(),
            )
        })
    }

    fn secrets_item(stack: &Stack) -> HashMap<String, AttributeValue> {
        let values = stack
            .request
            .origin_headers
            .iter()
            .map(|(name, value)| (name.to_string(), s(value.expose())))
            .collect();
        HashMap::from([
            ("pk".to_owned(), s(stack.id.as_str())),
            ("values".to_owned(), AttributeValue::M(values)),
        ])
    }

    fn stack_item(
        stack: &Stack,
        version: u64,
    ) -> Result<HashMap<String, AttributeValue>, StoreError> {
        let document =
            serde_json::to_string(stack).map_err(|e| StoreError::Corrupt(e.to_string()))?;
        let mut item = HashMap::from([
            ("pk".to_owned(), s(stack_pk(&stack.id))),
            ("owner".to_owned(), s(&stack.owner)),
            ("created_key".to_owned(), s(created_key(stack))),
            ("status".to_owned(), s(stack.status().as_str())),
            ("version".to_owned(), n(version)),
            ("teardown_attempts".to_owned(), n(stack.teardown_attempts)),
            ("document".to_owned(), s(document)),
        ]);
        if stack.status() == Status::Deleted {
            item.insert(
                "expires_at".to_owned(),
                n(epoch_seconds() + DELETED_STACK_TTL_SECONDS),
            );
        }
        Ok(item)
    }

    /// The observed durations and their version (0: none observed yet).
    async fn read_observed(
        &self,
        consistent: bool,
    ) -> Result<(ObservedDurations, u64), StoreError> {
        let item = self
            .client
            .get_item()
            .table_name(&self.table)
            .key("pk", s(OBSERVED_PK))
            .consistent_read(consistent)
            .send()
            .await
            .map_err(backend)?
            .item;
        let Some(item) = item else {
            return Ok((ObservedDurations::default(), 0));
        };
        let (durations, version) = json_and_version(&item, "observed durations", "durations")?;
        let observed =
            serde_json::from_str(durations).map_err(|e| StoreError::Corrupt(e.to_string()))?;
        Ok((observed, version))
    }

    fn read_stack(item: &HashMap<String, AttributeValue>) -> Result<Versioned<Stack>, StoreError> {
        let (document, version) = json_and_version(item, "stack item", "document")?;
        let mut stack: Stack =
            serde_json::from_str(document).map_err(|e| StoreError::Corrupt(e.to_string()))?;
        stack.teardown_attempts = item
            .get("teardown_attempts")
            .and_then(|v| v.as_n().ok())
            .and_then(|v| v.parse().ok())
            .unwrap_or(0);
        Ok(Versioned {
            value: stack,
            version,
        })
    }

    async fn read_claim(&self, name: &str) -> Result<Option<StackId>, StoreError> {
        let out = self
            .client
            .get_item()
            .table_name(&self.table)
            .key("pk", s(claim_pk(name)))
            .consistent_read(true)
            .send()
            .await
            .map_err(backend)?;
        Ok(out
            .item
            .as_ref()
            .and_then(|item| item.get("stack_id"))
            .and_then(|v| v.as_s().ok())
            .and_then(|id| StackId::parse(id)))
    }

    async fn read_idempotency(
        &self,
        key: &IdempotencyKey,
    ) -> Result<Option<(String, StackId)>, StoreError> {
        let out = self
            .client
            .get_item()
            .table_name(&self.table)
            .key("pk", s(idempotency_pk(key)))
            .consistent_read(true)
            .send()
            .await
            .map_err(backend)?;
        let Some(item) = out.item else {
            return Ok(None);
        };
        // An expired key is forgotten, as the write's condition takes it, though TTL has not
        // swept it yet: it neither explains a refusal nor replays.
        let expires_at = item
            .get("expires_at")
            .and_then(|v| v.as_n().ok())
            .and_then(|v| v.parse::<i64>().ok());
        if expires_at.is_some_and(|at| at < epoch_seconds()) {
            return Ok(None);
        }
        let digest = item.get("request_digest").and_then(|v| v.as_s().ok());
        let id = item
            .get("stack_id")
            .and_then(|v| v.as_s().ok())
            .and_then(|id| StackId::parse(id));
        match (digest, id) {
            (Some(digest), Some(id)) => Ok(Some((digest.clone(), id))),
            _ => Err(StoreError::Corrupt("idempotency item".into())),
        }
    }
}

/// How many times `create` writes when what refused the write is gone when read.
const CREATE_ATTEMPTS: usize = 3;

impl DynamoStore {
    /// One transactional write of a new stack, and when it is refused, what refused it. A
    /// refusal nothing explains any more (the name was released, the key expired, or another
    /// transaction held an item for a moment) is `Conflict`: writing again settles it.
    async fn try_create(
        &self,
        stack: &Stack,
        idempotency: Option<&IdempotencyKey>,
    ) -> Result<CreateOutcome, StoreError> {
        let build = |put: aws_sdk_dynamodb::types::builders::PutBuilder| {
            put.table_name(&self.table)
                .build()
                .map(|put| TransactWriteItem::builder().put(put).build())
                .map_err(build_error)
        };
        let mut items = vec![build(
            Put::builder()
                .set_item(Some(Self::stack_item(stack, 1)?))
                .condition_expression("attribute_not_exists(pk)"),
        )?];
        let now = epoch_seconds();
        if let Some(key) = idempotency {
            // An expired key whose item TTL has not swept yet counts as free.
            items.push(build(
                Put::builder()
                    .item("pk", s(idempotency_pk(key)))
                    .item("stack_id", s(stack.id.as_str()))
                    .item("request_digest", s(&key.request_digest))
                    .item("expires_at", n(now + IDEMPOTENCY_KEY_TTL_SECONDS))
                    .condition_expression("attribute_not_exists(pk) OR expires_at < :now")
                    .expression_attribute_values(":now", n(now)),
            )?);
        }
        if !stack.request.origin_headers.is_empty() {
            items.push(
                Put::builder()
                    .table_name(self.secrets_table()?)
                    .set_item(Some(Self::secrets_item(stack)))
                    .build()
                    .map(|put| TransactWriteItem::builder().put(put).build())
                    .map_err(build_error)?,
            );
        }
        if let Some(name) = claimed_name(stack) {
            items.push(build(
                Put::builder()
                    .item("pk", s(claim_pk(name)))
                    .item("stack_id", s(stack.id.as_str()))
                    .condition_expression("attribute_not_exists(pk)"),
            )?);
        }
        let result = self
            .client
            .transact_write_items()
            .set_transact_items(Some(items))
            .send()
            .await;
        match result {
            Ok(_) => Ok(CreateOutcome::Created),
            Err(e)
                if matches!(
                    e.as_service_error(),
                    Some(TransactWriteItemsError::TransactionCanceledException(_))
                ) =>
            {
                // Which condition failed: the key first (a replay wins over a taken name, the
                // replayed request holds the name itself), then the name.
                // A refusal by this very stack's items is an earlier attempt's write that landed
                // (its answer lost): the transaction wrote all of them, so the stack is created.
                if let Some(key) = idempotency {
                    match self.read_idempotency(key).await? {
                        Some((_, id)) if id == stack.id => return Ok(CreateOutcome::Created),
                        Some((digest, id)) if digest == key.request_digest => {
                            return Ok(CreateOutcome::Replayed(id))
                        }
                        Some(_) => return Ok(CreateOutcome::KeyReused),
                        None => {}
                    }
                }
                if let Some(name) = claimed_name(stack) {
                    match self.read_claim(name).await? {
                        Some(holder) if holder == stack.id => return Ok(CreateOutcome::Created),
                        Some(holder) => return Ok(CreateOutcome::NameTaken(holder)),
                        None => {}
                    }
                }
                Err(StoreError::Conflict)
            }
            Err(e) => Err(backend(e)),
        }
    }
}

#[async_trait]
impl StackStore for DynamoStore {
    async fn create(
        &self,
        stack: &Stack,
        idempotency: Option<&IdempotencyKey>,
    ) -> Result<CreateOutcome, StoreError> {
        // A failing stack releases its name while a new request for that name is refused by
        // it: the refusal is read after the release. Answering 503 would send the caller to
        // retry what this write can settle at once.
        let mut attempts = 0;
        loop {
            attempts += 1;
            match self.try_create(stack, idempotency).await {
                Err(StoreError::Conflict) if attempts < CREATE_ATTEMPTS => {
                    // Two creates whose transactions cancel each other part before writing again.
                    let pause =
                        20 * attempts as u64 + u64::from(stack.id.as_str().as_bytes()[4] % 20);
                    tokio::time::sleep(std::time::Duration::from_millis(pause)).await;
                }
                outcome => return outcome,
            }
        }
    }

    async fn release_claim(&self, stack: &Stack) -> Result<(), StoreError> {
        let Some(name) = claimed_name(stack) else {
            return Ok(());
        };
        // Released before, or another stack's now: nothing of ours to release.
        self.delete_if(claim_pk(name), "stack_id", stack.id.as_str())
            .await
    }

    async fn origin_header_values(&self, id: &StackId) -> Result<OriginHeaderValues, StoreError> {
        let out = self
            .client
            .get_item()
            .table_name(self.secrets_table()?)
            .key("pk", s(id.as_str()))
            .consistent_read(true)
            .send()
            .await
            .map_err(backend)?;
        let Some(item) = out.item else {
            return Ok(OriginHeaderValues::new());
        };
        let values = item
            .get("values")
            .and_then(|v| v.as_m().ok())
            .ok_or_else(|| StoreError::Corrupt("secrets item without values".into()))?;
        values
            .iter()
            .map(|(name, value)| {
                value
                    .as_s()
                    .map(|v| (name.clone(), Secret::new(v.clone())))
                    .map_err(|_| StoreError::Corrupt(format!("origin header {name}'s value")))
            })
            .collect()
    }

    async fn forget_origin_header_values(&self, id: &StackId) -> Result<(), StoreError> {
        self.client
            .delete_item()
            .table_name(self.secrets_table()?)
            .key("pk", s(id.as_str()))
            .send()
            .await
            .map_err(backend)?;
        Ok(())
    }

    async fn reserve_turn(
        &self,
        call: &str,
        interval_millis: i64,
        now: Timestamp,
    ) -> Result<Reserved, StoreError> {
        // Read the latest turn, write the next one on condition that nobody wrote meanwhile;
        // a writer that lost the race reads again and queues after the winner.
        const ATTEMPTS: usize = 16;
        for _ in 0..ATTEMPTS {
            let item = self.item_at(turn_pk(call), true).await?;
            // The condition names the value as stored, whatever its spelling.
            let stored = item.as_ref().and_then(|i| i.get("turn_at")).cloned();
            let last = match &stored {
                Some(AttributeValue::S(raw)) => {
                    Some(Timestamp::parse(raw).map_err(StoreError::Corrupt)?)
                }
                Some(other) => {
                    return Err(StoreError::Corrupt(format!(
                        "the turn of {call} is not a time: {other:?}"
                    )))
                }
                None => None,
            };
            let turn = super::next_turn(last, interval_millis, now);
            let mut put = self
                .client
                .put_item()
                .table_name(&self.table)
                .item("pk", s(turn_pk(call)))
                .item("turn_at", s(turn.to_string()))
                .item("interval_millis", n(interval_millis));
            put = match stored {
                Some(stored) => put
                    .condition_expression("turn_at = :last")
                    .expression_attribute_values(":last", stored),
                None => put.condition_expression("attribute_not_exists(pk)"),
            };
            if put_unless_changed(put).await? {
                return Ok(Reserved { turn, after: last });
            }
        }
        Err(StoreError::Conflict)
    }

    async fn hand_over(
        &self,
        call: &str,
        turn: Timestamp,
        answered_at: Timestamp,
        round_trip_millis: i64,
    ) -> Result<(), StoreError> {
        // Timestamps are fixed-width RFC 3339 in UTC: as text they sort as times do.
        let put = self
            .client
            .put_item()
            .table_name(&self.table)
            .item("pk", s(answered_pk(call)))
            .item("turn", s(turn.to_string()))
            .item("answered_at", s(answered_at.to_string()))
            .item("round_trip_millis", n(round_trip_millis))
            .condition_expression("attribute_not_exists(pk) OR #turn < :turn")
            .expression_attribute_names("#turn", "turn")
            .expression_attribute_values(":turn", s(turn.to_string()));
        // A failed condition: a newer turn's answer is recorded already, and stays.
        put_unless_changed(put).await.map(|_| ())
    }

    async fn answered(&self, call: &str, turn: Timestamp) -> Result<Option<Timestamp>, StoreError> {
        let Some(item) = self.item_at(answered_pk(call), true).await? else {
            return Ok(None);
        };
        let time = |name: &str| {
            item.get(name)
                .and_then(|v| v.as_s().ok())
                .ok_or_else(|| StoreError::Corrupt(format!("the answer of {call} without {name}")))
                .and_then(|raw| Timestamp::parse(raw).map_err(StoreError::Corrupt))
        };
        let handed = time("turn")?;
        Ok(if handed >= turn {
            Some(time("answered_at")?)
        } else {
            None
        })
    }

    async fn round_trip(&self, call: &str) -> Result<Option<i64>, StoreError> {
        let item = self.item_at(answered_pk(call), false).await?;
        match item.as_ref().and_then(|i| i.get("round_trip_millis")) {
            None => Ok(None),
            Some(AttributeValue::N(raw)) => raw.parse().map(Some).map_err(|_| {
                StoreError::Corrupt(format!("the round trip of {call} is not a number: {raw}"))
            }),
            Some(other) => Err(StoreError::Corrupt(format!(
                "the round trip of {call} is not a number: {other:?}"
            ))),
        }
    }

    async fn next_free_turn(&self, call: &str, now: Timestamp) -> Result<Timestamp, StoreError> {
        let Some(item) = self.item_at(turn_pk(call), false).await? else {
            return Ok(now);
        };
        let last = item
            .get("turn_at")
            .and_then(|v| v.as_s().ok())
            .map(|raw| Timestamp::parse(raw).map_err(StoreError::Corrupt))
            .transpose()?;
        // A turn reserved before the interval was kept with it: the queue ends at that turn.
        let interval_millis = item
            .get("interval_millis")
            .and_then(|v| v.as_n().ok())
            .and_then(|v| v.parse().ok())
            .unwrap_or(0);
        Ok(super::next_turn(last, interval_millis, now))
    }

    async fn observed_durations(&self) -> Result<ObservedDurations, StoreError> {
        Ok(self.read_observed(false).await?.0)
    }

    async fn observe(&self, wait: AwsWait, millis: i64) -> Result<(), StoreError> {
        // Read, fold in, write back on condition that nobody wrote meanwhile; a writer that
        // lost the race folds its observation into the winner's.
        const ATTEMPTS: usize = 4;
        for _ in 0..ATTEMPTS {
            let (mut observed, version) = self.read_observed(true).await?;
            observed.observe(wait, millis);
            let document =
                serde_json::to_string(&observed).map_err(|e| StoreError::Corrupt(e.to_string()))?;
            let put = self
                .client
                .put_item()
                .table_name(&self.table)
                .item("pk", s(OBSERVED_PK))
                .item("durations", s(document))
                .item("version", n(version + 1));
            let put = match version {
                0 => put.condition_expression("attribute_not_exists(pk)"),
                _ => put
                    .condition_expression("version = :version")
                    .expression_attribute_values(":version", n(version)),
            };
            if put_unless_changed(put).await? {
                return Ok(());
            }
        }
        Err(StoreError::Conflict)
    }

    async fn park(&self, waiter: &Waiter) -> Result<(), StoreError> {
        let document = serde_json::to_string(waiter)
            .map_err(|e| StoreError::Corrupt(format!("a waiter does not serialize: {e}")))?;
        self.client
            .put_item()
            .table_name(&self.table)
            .item("pk", s(waiter_pk(waiter)))
            .item("owner", s(WAITERS_OWNER))
            .item(
                "created_key",
                s(format!("{}#{}", waiter.deadline, waiter_pk(waiter))),
            )
            .item("task_token", s(&waiter.task_token))
            .item("waiter", s(document))
            // Whatever becomes of the watcher, the table's TTL removes a wait a day past its
            // deadline.
            .item(
                "expires_at",
                n(waiter.deadline.unix_millis() / 1000 + WAITER_TTL_AFTER_DEADLINE_SECONDS),
            )
            .send()
            .await
            .map_err(backend)?;
        Ok(())
    }

    async fn parked(&self) -> Result<Vec<Waiter>, StoreError> {
        let mut waiters = Vec::new();
        let mut start_key = None;
        loop {
            let out = self
                .client
                .query()
                .table_name(&self.table)
                .index_name(OWNER_INDEX)
                .key_condition_expression("#o = :o")
                .expression_attribute_names("#o", "owner")
                .expression_attribute_values(":o", s(WAITERS_OWNER))
                .set_exclusive_start_key(start_key.take())
                .send()
                .await
                .map_err(backend)?;
            for item in out.items() {
                // One unreadable waiter must not stop the watcher for every other stack: it is
                // left out (and logged); its task times out and its step checks again, and the
                // table's TTL removes the item.
                match Self::read_waiter(item) {
                    Ok(waiter) => waiters.push(waiter),
                    Err(e) => tracing::error!(error = %e, "a waiter is left out"),
                }
            }
            match out.last_evaluated_key {
                Some(key) if !key.is_empty() => start_key = Some(key),
                _ => return Ok(waiters),
            }
        }
    }

    async fn unpark(&self, waiter: &Waiter) -> Result<(), StoreError> {
        // Gone already, or replaced by a newer wait: either way this one is over.
        self.delete_if(waiter_pk(waiter), "task_token", &waiter.task_token)
            .await
    }

    async fn get(&self, id: &StackId) -> Result<Option<Versioned<Stack>>, StoreError> {
        let out = self
            .client
            .get_item()
            .table_name(&self.table)
            .key("pk", s(stack_pk(id)))
            .consistent_read(true)
            .send()
            .await
            .map_err(backend)?;
        out.item.as_ref().map(Self::read_stack).transpose()
    }

    async fn get_many(&self, ids: &[StackId]) -> Result<Many, StoreError> {
        // BatchGetItem takes at most 100 keys a request and refuses a repeated one.
        const KEYS_PER_REQUEST: usize = 100;
        let mut unique: Vec<&StackId> = ids.iter().collect();
        unique.sort();
        unique.dedup();
        let mut found = HashMap::new();
        for chunk in unique.chunks(KEYS_PER_REQUEST) {
            let keys = chunk
                .iter()
                .map(|id| HashMap::from([("pk".to_owned(), s(stack_pk(id)))]))
                .collect();
            let request = KeysAndAttributes::builder()
                .set_keys(Some(keys))
                .consistent_read(true)
                .build()
                .map_err(build_error)?;
            let out = self
                .client
                .batch_get_item()
                .request_items(&self.table, request)
                .send()
                .await
                .map_err(backend)?;
            for item in out
                .responses
                .and_then(|mut r| r.remove(&self.table))
                .unwrap_or_default()
            {
                let id = item
                    .get("pk")
                    .and_then(|v| v.as_s().ok())
                    .and_then(|pk| pk.strip_prefix("STACK#"))
                    .and_then(StackId::parse);
                if let Some(id) = id {
                    found.insert(id, Self::read_stack(&item));
                }
            }
            // Keys DynamoDB left unread (its throughput, its 16 MB answer) are read one by one,
            // with the SDK's own retries, rather than by a second retry loop of this store's.
            let unprocessed = out
                .unprocessed_keys
                .and_then(|mut u| u.remove(&self.table))
                .map(|k| k.keys)
                .unwrap_or_default();
            for id in chunk {
                let pk = stack_pk(id);
                let left = unprocessed
                    .iter()
                    .any(|key| key.get("pk").and_then(|v| v.as_s().ok()) == Some(&pk));
                if left {
                    if let Some(read) = self.get(id).await.transpose() {
                        found.insert((*id).clone(), read);
                    }
                }
            }
        }
        Ok(found)
    }

    async fn replace(&self, stack: &Stack, expected_version: u64) -> Result<u64, StoreError> {
        let version = expected_version + 1;
        let result = self
            .client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(Self::stack_item(stack, version)?))
            .condition_expression("#v = :expected")
            .expression_attribute_names("#v", "version")
            .expression_attribute_values(":expected", n(expected_version))
            .send()
            .await;
        match result {
            Ok(_) => Ok(version),
            Err(e)
                if matches!(
                    e.as_service_error(),
                    Some(PutItemError::ConditionalCheckFailedException(_))
                ) =>
            {
                match self.get(&stack.id).await? {
                    Some(_) => Err(StoreError::Conflict),
                    None => Err(StoreError::NotFound(stack.id.clone())),
                }
            }
            Err(e) => Err(backend(e)),
        }
    }

    async fn list(&self, query: &ListQuery) -> Result<Page, StoreError> {
        let mut items = Vec::new();
        let mut start_key = None;
        // One more than asked tells whether another page follows.
        while items.len() <= query.limit {
            let mut request = self
                .client
                .query()
                .table_name(&self.table)
                .index_name(OWNER_INDEX)
                .scan_index_forward(false)
                .expression_attribute_names("#o", "owner")
                .expression_attribute_values(":o", s(&query.owner))
                .set_exclusive_start_key(start_key.take());
            request = match &query.after {
                Some(after) => request
                    .key_condition_expression("#o = :o AND #k < :after")
                    .expression_attribute_names("#k", "created_key")
                    .expression_attribute_values(":after", s(&after.created_key)),
                None => request.key_condition_expression("#o = :o"),
            };
            if let Some(status) = query.status {
                request = request
                    .filter_expression("#s = :s")
                    .expression_attribute_names("#s", "status")
                    .expression_attribute_values(":s", s(status.as_str()));
            }
            let out = request.send().await.map_err(backend)?;
            for item in out.items() {
                items.push(Self::read_stack(item)?.value);
            }
            match out.last_evaluated_key {
                Some(key) if !key.is_empty() => start_key = Some(key),
                _ => break,
            }
        }
        let more = items.len() > query.limit;
        items.truncate(query.limit);
        let next = if more {
            items.last().map(Cursor::after)
        } else {
            None
        };
        Ok(Page { items, next })
    }
}

/// Sends a conditional put: false when its condition failed (somebody wrote first).
async fn put_unless_changed(put: PutItemFluentBuilder) -> Result<bool, StoreError> {
    match put.send().await {
        Ok(_) => Ok(true),
        Err(e)
            if matches!(
                e.as_service_error(),
                Some(PutItemError::ConditionalCheckFailedException(_))
            ) =>
        {
            Ok(false)
        }
        Err(e) => Err(backend(e)),
    }
}

/// An item's JSON attribute and its optimistic-locking version.
fn json_and_version<'a>(
    item: &'a HashMap<String, AttributeValue>,
    kind: &str,
    attribute: &str,
) -> Result<(&'a str, u64), StoreError> {
    let corrupt = |what: &str| StoreError::Corrupt(format!("{kind} without {what}"));
    let json = item
        .get(attribute)
        .and_then(|v| v.as_s().ok())
        .ok_or_else(|| corrupt(attribute))?;
    let version = item
        .get("version")
        .and_then(|v| v.as_n().ok())
        .and_then(|v| v.parse().ok())
        .ok_or_else(|| corrupt("version"))?;
    Ok((json, version))
}

#[cfg(test)]
mod tests {
    use super::*;
    use edgestack_domain::request::StackRequest;

    /// A waiter the table cannot read is left out, with the others still listed: one bad item
    /// must not stop the watcher for every stack.
    #[tokio::test]
    async fn an_unreadable_waiter_is_left_out_and_the_others_are_listed() {
        use aws_sdk_dynamodb::operation::query::QueryOutput;
        use aws_smithy_mocks::{mock, mock_client};

        let waiter = Waiter {
            stack_id: StackId::parse("stk_aaaaaaaaaaaaaaaaaaaa").unwrap(),
            step: "await_distribution_deployment".into(),
            awaited: super::super::Awaited::DistributionDeployed {
                distribution_id: "E1".into(),
            },
            task_token: "t1".into(),
            resume_with: serde_json::json!({"ready": true}),
            deadline: Timestamp::parse("2026-12-02T10:00:00Z").unwrap(),
        };
        let document = serde_json::to_string(&waiter).unwrap();
        let listed = mock!(Client::query)
            .match_requests(|r| {
                r.index_name() == Some(OWNER_INDEX)
                    && r.expression_attribute_values().and_then(|v| v.get(":o"))
                        == Some(&s(WAITERS_OWNER))
            })
            .then_output(move || {
                QueryOutput::builder()
                    .items(HashMap::from([
                        ("pk".to_owned(), s("WAIT#stk_b#x")),
                        ("waiter".to_owned(), s("{not json")),
                    ]))
                    .items(HashMap::from([("pk".to_owned(), s("WAIT#stk_c#x"))]))
                    .items(HashMap::from([
                        ("pk".to_owned(), s("WAIT#stk_aaaaaaaaaaaaaaaaaaaa#x")),
                        ("waiter".to_owned(), s(document.clone())),
                    ]))
                    .build()
            });
        let client = mock_client!(aws_sdk_dynamodb, [&listed]);
        let parked = DynamoStore::new(client, "stacks").parked().await.unwrap();
        assert_eq!(parked, [waiter]);
    }

    /// The watcher's batch read: each key asked once, consistently; a key DynamoDB leaves
    /// unprocessed is read on its own; a stack that does not exist is simply absent, and one
    /// that cannot be read is an error for it alone.
    #[tokio::test]
    async fn many_stacks_are_read_in_one_batch_and_an_unprocessed_key_on_its_own() {
        use aws_sdk_dynamodb::operation::batch_get_item::BatchGetItemOutput;
        use aws_sdk_dynamodb::operation::get_item::GetItemOutput;
        use aws_smithy_mocks::{mock, mock_client, RuleMode};

        let first = stack(Status::Pending);
        let mut second = stack(Status::Pending);
        second.id = StackId::parse("stk_bbbbbbbbbbbbbbbbbbbb").unwrap();
        let gone = StackId::parse("stk_cccccccccccccccccccc").unwrap();
        let unreadable = StackId::parse("stk_dddddddddddddddddddd").unwrap();
        let unreadable_item = HashMap::from([
            ("pk".to_owned(), s(stack_pk(&unreadable))),
            ("document".to_owned(), s("{not json")),
            ("version".to_owned(), n(1)),
        ]);
        let first_item = DynamoStore::stack_item(&first, 3).unwrap();
        let second_item = DynamoStore::stack_item(&second, 5).unwrap();
        let second_pk = stack_pk(&second.id);
        let mut asked: Vec<_> = [&first.id, &second.id, &gone, &unreadable]
            .map(stack_pk)
            .to_vec();
        asked.sort();
        let batch = mock!(Client::batch_get_item)
            .match_requests(move |r| {
                let wanted = &r.request_items().unwrap()["stacks"];
                let mut keys: Vec<_> = wanted
                    .keys()
                    .iter()
                    .map(|k| k["pk"].as_s().unwrap().clone())
                    .collect();
                keys.sort();
                wanted.consistent_read() == Some(true) && keys == asked
            })
            .then_output(move || {
                let unprocessed = KeysAndAttributes::builder()
                    .keys(HashMap::from([("pk".to_owned(), s(second_pk.clone()))]))
                    .build()
                    .unwrap();
                BatchGetItemOutput::builder()
                    .responses("stacks", vec![first_item.clone(), unreadable_item.clone()])
                    .unprocessed_keys("stacks", unprocessed)
                    .build()
            });
        let second_pk = stack_pk(&second.id);
        let one = mock!(Client::get_item)
            .match_requests(move |r| {
                r.key().and_then(|k| k.get("pk")) == Some(&s(second_pk.clone()))
                    && r.consistent_read() == Some(true)
            })
            .then_output(move || {
                GetItemOutput::builder()
                    .set_item(Some(second_item.clone()))
                    .build()
            });
        let client = mock_client!(aws_sdk_dynamodb, RuleMode::Sequential, [&batch, &one]);
        let ids = [
            first.id.clone(),
            second.id.clone(),
            gone.clone(),
            unreadable.clone(),
            first.id.clone(),
        ];
        let read = DynamoStore::new(client, "stacks")
            .get_many(&ids)
            .await
            .unwrap();
        assert_eq!(read.len(), 3);
        assert!(matches!(read[&unreadable], Err(StoreError::Corrupt(_))));
        assert_eq!(read[&first.id].as_ref().unwrap().version, 3);
        assert_eq!(read[&second.id].as_ref().unwrap().version, 5);
        assert!(!read.contains_key(&gone));
        assert_eq!((batch.num_calls(), one.num_calls()), (1, 1));
    }

    /// A name refused by a claim that is gone when read was released in between (a failing
    /// stack frees it): the write is sent again and the stack created, not a 503. A refusal
    /// that never explains itself stops after `CREATE_ATTEMPTS` writes, as `Conflict`.
    #[tokio::test]
    async fn a_name_released_while_it_refused_the_write_is_written_again() {
        use aws_sdk_dynamodb::operation::get_item::GetItemOutput;
        use aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsOutput;
        use aws_sdk_dynamodb::types::error::TransactionCanceledException;
        use aws_smithy_mocks::{mock, mock_client, RuleMode};

        let request = StackRequest::from_json(&serde_json::json!({
            "api_id": "a1b2c3d4e5", "region": "eu-west-1", "stage": "prod",
            "custom_domain": {"name": "api.example.com", "hosted_zone_id": "Z1"}
        }))
        .expect("a valid request");
        let stack = Stack::new(
            "arn:aws:iam::123456789012:role/team".into(),
            request,
            Timestamp::parse("2026-11-25T10:00:00Z").unwrap(),
        );
        let claim = claim_pk("api.example.com");
        let refused = || {
            mock!(Client::transact_write_items).then_error(|| {
                TransactWriteItemsError::TransactionCanceledException(
                    TransactionCanceledException::builder()
                        .message("ConditionalCheckFailed")
                        .build(),
                )
            })
        };
        let released = || {
            let claim = claim.clone();
            mock!(Client::get_item)
                .match_requests(move |r| r.key().and_then(|k| k.get("pk")) == Some(&s(&claim)))
                .then_output(|| GetItemOutput::builder().build())
        };
        let written = mock!(Client::transact_write_items)
            .then_output(|| TransactWriteItemsOutput::builder().build());

        let (first, gone) = (refused(), released());
        let client = mock_client!(
            aws_sdk_dynamodb,
            RuleMode::Sequential,
            [&first, &gone, &written]
        );
        let outcome = DynamoStore::new(client, "stacks")
            .create(&stack, None)
            .await;
        assert!(matches!(outcome, Ok(CreateOutcome::Created)), "{outcome:?}");
        assert_eq!(
            (first.num_calls(), gone.num_calls(), written.num_calls()),
            (1, 1, 1)
        );

        let always_refused = mock!(Client::transact_write_items)
            .sequence()
            .error(|| {
                TransactWriteItemsError::TransactionCanceledException(
                    TransactionCanceledException::builder().build(),
                )
            })
            .repeatedly()
            .build();
        let gone = released();
        let client = mock_client!(
            aws_sdk_dynamodb,
            RuleMode::MatchAny,
            [&always_refused, &gone]
        );
        let outcome = DynamoStore::new(client, "stacks")
            .create(&stack, None)
            .await;
        assert!(matches!(outcome, Err(StoreError::Conflict)), "{outcome:?}");
        assert_eq!(always_refused.num_calls(), CREATE_ATTEMPTS);
        assert_eq!(gone.num_calls(), CREATE_ATTEMPTS);

        // Refused by its own claim: an earlier attempt's write landed, its answer lost.
        let own = stack.id.as_str().to_owned();
        let held_by_itself = mock!(Client::get_item)
            .then_output(move || GetItemOutput::builder().item("stack_id", s(&own)).build());
        let first = refused();
        let client = mock_client!(
            aws_sdk_dynamodb,
            RuleMode::Sequential,
            [&first, &held_by_itself]
        );
        let outcome = DynamoStore::new(client, "stacks")
            .create(&stack, None)
            .await;
        assert!(matches!(outcome, Ok(CreateOutcome::Created)), "{outcome:?}");
        assert_eq!(first.num_calls(), 1);
    }

    /// A key past its 24 hours is forgotten, though DynamoDB's TTL has not swept it yet: it
    /// replays nothing and refuses nothing.
    #[tokio::test]
    async fn an_expired_idempotency_key_is_forgotten() {
        use aws_sdk_dynamodb::operation::get_item::GetItemOutput;
        use aws_smithy_mocks::{mock, mock_client, RuleMode};

        let key = IdempotencyKey {
            owner: "arn:a".into(),
            key: "k".into(),
            request_digest: "d".into(),
        };
        let item = |expires_at: i64| {
            move || {
                GetItemOutput::builder()
                    .item("stack_id", s("stk_aaaaaaaaaaaaaaaaaaaa"))
                    .item("request_digest", s("d"))
                    .item("expires_at", n(expires_at))
                    .build()
            }
        };
        let expired = mock!(Client::get_item).then_output(item(epoch_seconds() - 1));
        let live = mock!(Client::get_item).then_output(item(epoch_seconds() + 3600));
        let client = mock_client!(aws_sdk_dynamodb, RuleMode::Sequential, [&expired, &live]);
        let store = DynamoStore::new(client, "stacks");
        assert_eq!(store.read_idempotency(&key).await.unwrap(), None);
        let (digest, id) = store
            .read_idempotency(&key)
            .await
            .unwrap()
            .expect("a live key");
        assert_eq!(
            (digest.as_str(), id.as_str()),
            ("d", "stk_aaaaaaaaaaaaaaaaaaaa")
        );
    }

    /// Two executions reserve a turn at once: the one whose conditional write loses reads the
    /// winner's turn and queues an interval after it.
    #[tokio::test]
    async fn a_turn_lost_to_a_concurrent_reservation_is_taken_after_it() {
        use aws_sdk_dynamodb::operation::get_item::GetItemOutput;
        use aws_sdk_dynamodb::operation::put_item::PutItemOutput;
        use aws_sdk_dynamodb::types::error::ConditionalCheckFailedException;
        use aws_smithy_mocks::{mock, mock_client, RuleMode};

        let now = Timestamp::parse("2026-12-02T10:00:00Z").unwrap();
        let winners = now.plus_seconds(5);
        let with_turn = |turn: Option<Timestamp>| {
            move || {
                GetItemOutput::builder()
                    .set_item(turn.map(|t| {
                        HashMap::from([
                            ("pk".to_owned(), s("TURN#apigateway:CreateDomainName")),
                            ("turn_at".to_owned(), s(t.to_string())),
                        ])
                    }))
                    .build()
            }
        };
        let first_read = mock!(Client::get_item).then_output(with_turn(None));
        let lost = mock!(Client::put_item)
            .match_requests(|r| r.condition_expression() == Some("attribute_not_exists(pk)"))
            .then_error(|| {
                PutItemError::ConditionalCheckFailedException(
                    ConditionalCheckFailedException::builder().build(),
                )
            });
        let second_read = mock!(Client::get_item).then_output(with_turn(Some(winners)));
        let expected = winners.plus_seconds(30).to_string();
        let won = mock!(Client::put_item)
            .match_requests(move |r| {
                r.condition_expression() == Some("turn_at = :last")
                    && r.item().and_then(|i| i.get("turn_at")) == Some(&s(expected.clone()))
            })
            .then_output(|| PutItemOutput::builder().build());
        let client = mock_client!(
            aws_sdk_dynamodb,
            RuleMode::Sequential,
            [&first_read, &lost, &second_read, &won]
        );
        let reserved = DynamoStore::new(client, "stacks")
            .reserve_turn("apigateway:CreateDomainName", 30_000, now)
            .await
            .expect("a turn");
        assert_eq!(
            reserved,
            Reserved {
                turn: winners.plus_seconds(30),
                after: Some(winners)
            },
            "after the winner's"
        );
        assert_eq!(won.num_calls(), 1);
    }

    /// An answer is recorded only over an older turn's; read back, it counts for its own turn
    /// and earlier ones, not for a later turn's call.
    #[tokio::test]
    async fn a_turns_answer_is_recorded_over_older_ones_and_read_for_its_turn() {
        use aws_sdk_dynamodb::operation::get_item::GetItemOutput;
        use aws_sdk_dynamodb::operation::put_item::PutItemOutput;
        use aws_smithy_mocks::{mock, mock_client, RuleMode};

        let turn = Timestamp::parse("2026-12-02T10:00:00Z").unwrap();
        let answered_at = turn.plus_millis(700);
        let recorded = mock!(Client::put_item)
            .match_requests(move |r| {
                r.item().and_then(|i| i.get("pk"))
                    == Some(&s("ANSWERED#apigateway:CreateDomainName"))
                    && r.condition_expression() == Some("attribute_not_exists(pk) OR #turn < :turn")
                    && r.expression_attribute_values().and_then(|v| v.get(":turn"))
                        == Some(&s(turn.to_string()))
                    && r.item().and_then(|i| i.get("answered_at"))
                        == Some(&s(answered_at.to_string()))
                    && r.item().and_then(|i| i.get("round_trip_millis")) == Some(&n(650))
            })
            .then_output(|| PutItemOutput::builder().build());
        let stored = move || {
            GetItemOutput::builder()
                .set_item(Some(HashMap::from([
                    ("turn".to_owned(), s(turn.to_string())),
                    ("answered_at".to_owned(), s(answered_at.to_string())),
                    ("round_trip_millis".to_owned(), n(650)),
                ])))
                .build()
        };
        let read = mock!(Client::get_item)
            .match_requests(|r| r.consistent_read() == Some(true))
            .then_output(stored);
        // The round trip allowed for: any read will do, it only shapes the schedule.
        let read_round_trip = mock!(Client::get_item)
            .match_requests(|r| r.consistent_read().is_none())
            .then_output(stored);
        let client = mock_client!(
            aws_sdk_dynamodb,
            RuleMode::MatchAny,
            [&recorded, &read, &read_round_trip]
        );
        let store = DynamoStore::new(client, "stacks");
        let call = "apigateway:CreateDomainName";
        store.hand_over(call, turn, answered_at, 650).await.unwrap();
        assert_eq!(store.round_trip(call).await.unwrap(), Some(650));
        assert_eq!(recorded.num_calls(), 1);
        assert_eq!(store.answered(call, turn).await.unwrap(), Some(answered_at));
        assert_eq!(
            store.answered(call, turn.plus_seconds(-31)).await.unwrap(),
            Some(answered_at)
        );
        assert_eq!(
            store.answered(call, turn.plus_seconds(31)).await.unwrap(),
            None,
            "the next turn's call has not been answered"
        );
    }

    #[tokio::test]
    async fn the_next_free_turn_is_an_interval_after_the_latest_and_reserves_nothing() {
        use aws_sdk_dynamodb::operation::get_item::GetItemOutput;
        use aws_smithy_mocks::{mock, mock_client, RuleMode};

        let now = Timestamp::parse("2026-12-02T10:00:00Z").unwrap();
        let latest = now.plus_seconds(90);
        let read = mock!(Client::get_item)
            .match_requests(|r| {
                r.key().and_then(|k| k.get("pk")) == Some(&s("TURN#apigateway:CreateDomainName"))
            })
            .then_output(move || {
                GetItemOutput::builder()
                    .set_item(Some(HashMap::from([
                        ("turn_at".to_owned(), s(latest.to_string())),
                        ("interval_millis".to_owned(), n(30_000)),
                    ])))
                    .build()
            });
        let client = mock_client!(aws_sdk_dynamodb, RuleMode::Sequential, [&read]);
        let turn = DynamoStore::new(client, "stacks")
            .next_free_turn("apigateway:CreateDomainName", now)
            .await
            .expect("a turn");
        assert_eq!(turn, latest.plus_seconds(30));
    }

    #[tokio::test]
    async fn an_observation_lost_to_a_concurrent_one_is_folded_into_it() {
        use aws_sdk_dynamodb::operation::get_item::GetItemOutput;
        use aws_sdk_dynamodb::operation::put_item::PutItemOutput;
        use aws_sdk_dynamodb::types::error::ConditionalCheckFailedException;
        use aws_smithy_mocks::{mock, mock_client, RuleMode};

        let first_read = mock!(Client::get_item)
            .match_requests(|r| r.consistent_read() == Some(true))
            .then_output(|| GetItemOutput::builder().build());
        let lost = mock!(Client::put_item)
            .match_requests(|r| r.condition_expression() == Some("attribute_not_exists(pk)"))
            .then_error(|| {
                PutItemError::ConditionalCheckFailedException(
                    ConditionalCheckFailedException::builder().build(),
                )
            });
        let winners = ObservedDurations {
            distribution_deployment_millis: Some(100_000),
            ..ObservedDurations::default()
        };
        let winners_document = serde_json::to_string(&winners).unwrap();
        let second_read = mock!(Client::get_item).then_output(move || {
            GetItemOutput::builder()
                .set_item(Some(HashMap::from([
                    ("durations".to_owned(), s(winners_document.clone())),
                    ("version".to_owned(), n(1)),
                ])))
                .build()
        });
        let mut folded = winners.clone();
        folded.observe(AwsWait::DistributionDeployment, 200_000);
        let expected = serde_json::to_string(&folded).unwrap();
        let won = mock!(Client::put_item)
            .match_requests(move |r| {
                r.condition_expression() == Some("version = :version")
                    && r.expression_attribute_values()
                        .and_then(|v| v.get(":version"))
                        == Some(&n(1))
                    && r.item().and_then(|i| i.get("durations")) == Some(&s(expected.clone()))
                    && r.item().and_then(|i| i.get("version")) == Some(&n(2))
            })
            .then_output(|| PutItemOutput::builder().build());
        let client = mock_client!(
            aws_sdk_dynamodb,
            RuleMode::Sequential,
            [&first_read, &lost, &second_read, &won]
        );
        DynamoStore::new(client, "stacks")
            .observe(AwsWait::DistributionDeployment, 200_000)
            .await
            .expect("observed");
        assert_eq!(won.num_calls(), 1);
    }

    #[test]
    fn idempotency_keys_of_two_owners_never_share_an_item() {
        let key = |owner: &str, key: &str| IdempotencyKey {
            owner: owner.into(),
            key: key.into(),
            request_digest: String::new(),
        };
        assert_ne!(
            idempotency_pk(&key("arn:a#b", "c")),
            idempotency_pk(&key("arn:a", "b#c"))
        );
        assert_eq!(idempotency_pk(&key("arn:a", "k")), "IDEMPOTENCY#5:arn:a#k");
    }

    fn stack(status: Status) -> Stack {
        let request = StackRequest::from_json(&serde_json::json!({
            "api_id": "a1b2c3d4e5", "region": "eu-west-1", "stage": "prod",
            "origin_headers": {"X-Origin-Verify": "s3cret"}
        }))
        .expect("a valid request");
        let stack = Stack::new(
            "arn:aws:iam::123456789012:role/team".into(),
            request,
            edgestack_domain::timestamp::Timestamp::parse("2026-11-25T10:00:00Z").unwrap(),
        );
        // As a stored stack in that status reads back, with its secret as the API took it.
        let mut document = serde_json::to_value(&stack).expect("JSON");
        document["status"] = serde_json::to_value(status).expect("JSON");
        let mut read: Stack = serde_json::from_value(document).expect("a stack");
        read.request.origin_headers = stack.request.origin_headers;
        read
    }

    #[test]
    fn a_deleted_stack_expires_after_its_retention_and_no_other_does() {
        let before = epoch_seconds();
        let item = DynamoStore::stack_item(&stack(Status::Deleted), 3).expect("an item");
        let expires: i64 = item["expires_at"]
            .as_n()
            .expect("a number")
            .parse()
            .expect("seconds");
        assert!(
            (before + DELETED_STACK_TTL_SECONDS..=epoch_seconds() + DELETED_STACK_TTL_SECONDS)
                .contains(&expires)
        );
        for status in [
            Status::Pending,
            Status::Ready,
            Status::Failed,
            Status::Deleting,
        ] {
            let item = DynamoStore::stack_item(&stack(status), 3).expect("an item");
            assert!(!item.contains_key("expires_at"), "{status:?}");
        }
    }

    #[test]
    fn the_stack_item_never_holds_a_secret_and_reads_back_with_values_withheld() {
        let original = stack(Status::Ready);
        let item = DynamoStore::stack_item(&original, 7).expect("an item");
        assert!(
            !format!("{item:?}").contains("s3cret"),
            "no attribute of the stack item holds the value: {item:?}"
        );
        let read = DynamoStore::read_stack(&item).expect("a stack");
        assert_eq!(read.version, 7);
        assert_eq!(read.value, super::super::withheld(&original));
        assert_eq!(
            read.value
                .request
                .origin_headers
                .values()
                .next()
                .map(|v| v.expose()),
            Some("***")
        );
    }

    #[test]
    fn the_values_go_to_the_secrets_item_keyed_by_the_stack() {
        let original = stack(Status::Pending);
        let item = DynamoStore::secrets_item(&original);
        assert_eq!(item["pk"].as_s().unwrap(), original.id.as_str());
        assert_eq!(
            item["values"].as_m().unwrap()["X-Origin-Verify"]
                .as_s()
                .unwrap(),
            "s3cret"
        );
    }

    fn store_answering(rule: &aws_smithy_mocks::Rule) -> DynamoStore {
        let client = aws_smithy_mocks::mock_client!(
            aws_sdk_dynamodb,
            aws_smithy_mocks::RuleMode::MatchAny,
            [rule]
        );
        DynamoStore::new(client, "stacks")
    }

    #[tokio::test]
    async fn dynamodbs_throttling_is_a_type_and_keeps_its_source() {
        use aws_sdk_dynamodb::operation::get_item::GetItemError;
        use aws_sdk_dynamodb::types::error::ProvisionedThroughputExceededException;
        let throttled = aws_smithy_mocks::mock!(Client::get_item).then_error(|| {
            GetItemError::ProvisionedThroughputExceededException(
                ProvisionedThroughputExceededException::builder()
                    .meta(
                        aws_smithy_types::error::ErrorMetadata::builder()
                            .code("ProvisionedThroughputExceededException")
                            .build(),
                    )
                    .build(),
            )
        });
        let id = stack(Status::Ready).id;
        let err = store_answering(&throttled).get(&id).await.unwrap_err();
        assert!(matches!(err, StoreError::Throttled(_)), "{err:?}");
        assert!(
            super::super::with_causes(&err).contains("ProvisionedThroughputExceeded"),
            "{}",
            super::super::with_causes(&err)
        );
    }

    #[tokio::test]
    async fn any_other_failure_is_the_backends() {
        use aws_sdk_dynamodb::operation::get_item::GetItemError;
        use aws_sdk_dynamodb::types::error::ResourceNotFoundException;
        let missing_table = aws_smithy_mocks::mock!(Client::get_item).then_error(|| {
            GetItemError::ResourceNotFoundException(ResourceNotFoundException::builder().build())
        });
        let id = stack(Status::Ready).id;
        let err = store_answering(&missing_table).get(&id).await.unwrap_err();
        assert!(matches!(err, StoreError::Backend(_)), "{err:?}");
        assert!(
            std::error::Error::source(&err).is_some(),
            "the cause is kept"
        );
    }
}
