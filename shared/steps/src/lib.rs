//! The workflow's steps. Each is a plain `async fn(&Deps, Flow) -> Result<Flow, StepError>`
//! that one thin binary under `functions/` hands to the Lambda runtime. The stack record is the
//! state: between states only the stack id and a few routing flags travel (`Flow`).
//!
//! `provision` holds the steps that build a stack, `teardown` those that undo one (for a
//! `DELETE`, and for a rollback inside the provisioning workflow). `StepError`'s variant names
//! are the state machines' contract (their `Retry` and `Catch` match them).

pub mod acm;
pub mod cloudfront;
mod deps;
pub mod distribution_config;
mod error;
pub mod failure;
pub mod pace;
pub mod provision;
pub mod teardown;
#[cfg(test)]
pub(crate) mod testing;
pub mod watch;

use serde::{Deserialize, Serialize};

pub use deps::{Deps, Settings, Start, FAULT_INJECTION_TAG};
pub use error::StepError;

use edgestack_domain::stack::StackId;

/// What one state hands the next. Choice states route on `custom_domain`, `managed_dns` and
/// `ready`; Wait states wait `wait_seconds`; Catch puts the failure under `failure`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Flow {
    pub stack_id: StackId,
    #[serde(default)]
    pub custom_domain: bool,
    #[serde(default)]
    pub managed_dns: bool,
    #[serde(default)]
    pub ready: bool,
    #[serde(default)]
    pub polls: u32,
    #[serde(default)]
    pub wait_seconds: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub failure: Option<CaughtError>,
    /// Set in the input of a teardown execution, so that a failure there is recorded as a
    /// failed teardown rather than ignored as a stack being deleted.
    #[serde(default)]
    pub teardown: bool,
    /// Set with `teardown` when the failure is of a rollback (inside the provisioning
    /// execution), which a DELETE may have taken over: then the stack is the teardown's.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub rollback: bool,
    /// The turn this stack reserved at a paced call (`crate::pace`), while it waits for it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub turn_at: Option<edgestack_domain::timestamp::Timestamp>,
    /// The turn reserved before `turn_at`, whose call's answer it waits for.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub turn_after: Option<edgestack_domain::timestamp::Timestamp>,
    /// The certificates an undo's `delete_certificates` still has to delete (ARNs), as its
    /// first pass found them: ACM lets go of a certificate minutes after its user is deleted,
    /// and the passes meanwhile try these again rather than list the account's certificates
    /// each time (ListCertificates: one request a second per account and region).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub certificates_to_delete: Vec<String>,
    /// How many times an undo has gone round its steps again for what appeared after they
    /// looked (`teardown::MAX_PASSES`). Kept apart from `polls`, which each step's own waits
    /// count from zero.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub undo_passes: u32,
}

fn is_zero(n: &u32) -> bool {
    *n == 0
}

impl Flow {
    pub fn new(stack_id: StackId) -> Self {
        Self {
            stack_id,
            custom_domain: false,
            managed_dns: false,
            ready: false,
            polls: 0,
            wait_seconds: 0,
            failure: None,
            teardown: false,
            rollback: false,
            turn_at: None,
            turn_after: None,
            certificates_to_delete: Vec::new(),
            undo_passes: 0,
        }
    }

    /// The step (and any wait of it) is over: the state machine goes on to the next step, whose
    /// own waits count from zero.
    pub fn done(self) -> Self {
        Self {
            ready: true,
            polls: 0,
            wait_seconds: 0,
            certificates_to_delete: Vec::new(),
            ..self
        }
    }
}

/// What a `Catch` with `ResultPath: $.failure` puts in the state: the error name and its cause
/// (for a Lambda error, the function's `{"errorType", "errorMessage"}` as a JSON string).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CaughtError {
    #[serde(rename = "Error", default)]
    pub error: String,
    #[serde(rename = "Cause", default)]
    pub cause: String,
}

/// Runs a step as the Lambda function `function` (its directory under `functions/`): clients
/// built once per cold start, then one call per event.
pub async fn run<F, Fut>(function: &str, step: F) -> Result<(), lambda_runtime::Error>
where
    F: Fn(std::sync::Arc<Deps>, Flow) -> Fut,
    Fut: std::future::Future<Output = Result<Flow, StepError>>,
{
    run_on(function, step, |flow: &Flow| Some(flow.stack_id.clone())).await
}

/// Runs a step that may park its execution (`watch`): it is given the state and the task
/// token, and answers through the token, not its return value.
pub async fn run_parking<F, Fut>(function: &str, step: F) -> Result<(), lambda_runtime::Error>
where
    F: Fn(std::sync::Arc<Deps>, watch::Parking) -> Fut,
    Fut: std::future::Future<Output = Result<(), StepError>>,
{
    run_on(function, step, |parking: &watch::Parking| {
        Some(parking.flow.stack_id.clone())
    })
    .await
}

/// Runs the watcher (`watch::watch`) as the Lambda function `function`.
pub async fn run_watcher(function: &str) -> Result<(), lambda_runtime::Error> {
    run_on(
        function,
        |deps, slot: watch::WatchSlot| async move { watch::watch(&deps, slot).await },
        |_| None,
    )
    .await
}

async fn run_on<E, R, F, Fut>(
    function: &str,
    handler: F,
    stack_of: impl Fn(&E) -> Option<StackId>,
) -> Result<(), lambda_runtime::Error>
where
    E: serde::de::DeserializeOwned,
    R: Serialize,
    F: Fn(std::sync::Arc<Deps>, E) -> Fut,
    Fut: std::future::Future<Output = Result<R, StepError>>,
{
    edgestack_aws::telemetry::init();
    let deps = std::sync::Arc::new(Deps::from_env(function).await?);
    lambda_runtime::run(lambda_runtime::service_fn(
        |event: lambda_runtime::LambdaEvent<E>| {
            let deps = std::sync::Arc::clone(&deps);
            let payload = event.payload;
            // Every log line of an invocation for a stack carries the stack id.
            let span = match stack_of(&payload) {
                Some(id) => tracing::info_span!("step", stack_id = %id),
                None => tracing::info_span!("step"),
            };
            // Boxed: the handler's future stays out of the runtime's own future type, which
            // would otherwise grow past the compiler's query depth for the larger steps.
            Box::pin(tracing::Instrument::instrument(
                handler(deps, payload),
                span,
            ))
        },
    ))
    .await
}
