//! Starting and stopping the two state machines. An execution is named after its stack, which
//! makes a repeated start harmless: Step Functions refuses a second execution of that name.

use async_trait::async_trait;
use aws_sdk_sfn::config::http::HttpResponse;
use aws_sdk_sfn::error::SdkError;
use aws_sdk_sfn::operation::describe_execution::DescribeExecutionError;
use aws_sdk_sfn::operation::start_execution::StartExecutionError;
use aws_sdk_sfn::operation::stop_execution::StopExecutionError;
use aws_sdk_sfn::types::ExecutionStatus;
use aws_sdk_sfn::Client;

use edgestack_domain::stack::StackId;

#[derive(Debug, thiserror::Error)]
#[error("the workflow could not be {action}: {message}")]
pub struct WorkflowError {
    pub action: &'static str,
    pub message: String,
    /// No clear answer came back (no connection, a timeout, a lost answer, a 5xx): the call may
    /// have taken effect. Only a refusal from Step Functions itself means it did not.
    pub outcome_unknown: bool,
}

impl WorkflowError {
    fn of<E>(
        action: &'static str,
        err: aws_sdk_sfn::error::SdkError<E, aws_sdk_sfn::config::http::HttpResponse>,
    ) -> Self
    where
        E: std::error::Error + Send + Sync + 'static,
    {
        use aws_sdk_sfn::error::SdkError;
        let outcome_unknown = match &err {
            SdkError::ServiceError(ctx) => ctx.raw().status().is_server_error(),
            _ => true,
        };
        Self {
            action,
            message: aws_sdk_sfn::error::DisplayErrorContext(err).to_string(),
            outcome_unknown,
        }
    }
}

#[async_trait]
pub trait Workflows: Send + Sync {
    async fn start_provisioning(&self, id: &StackId) -> Result<(), WorkflowError>;
    async fn stop_provisioning(&self, id: &StackId) -> Result<(), WorkflowError>;
    /// Starts teardown number `attempt` (from 1) of the stack.
    /// Starts teardown execution `attempt`. After `stop_provisioning`, `after_provisioning`: a
    /// step's Lambda may still be running (`StopExecution` does not stop one in flight) and make
    /// something after the teardown looked, so the teardown first waits out the longest a step
    /// can run.
    async fn start_teardown(
        &self,
        id: &StackId,
        attempt: u32,
        after_provisioning: bool,
    ) -> Result<(), WorkflowError>;
    /// Whether teardown execution `attempt` has ended (succeeded, failed, timed out, aborted);
    /// `false` while it runs, and when it never started.
    async fn teardown_ended(&self, id: &StackId, attempt: u32) -> Result<bool, WorkflowError>;
    /// Whether the stack's provisioning execution exists (in any state): after a start whose
    /// outcome is unknown, it tells whether the start took effect.
    async fn provisioning_exists(&self, id: &StackId) -> Result<bool, WorkflowError>;
}

/// The input every execution gets: the stack id, and nothing else (the record is the state).
pub fn execution_input(id: &StackId, teardown: bool) -> String {
    serde_json::json!({ "stack_id": id, "teardown": teardown }).to_string()
}

/// A teardown's input: it waits `wait_seconds` before its first step.
pub fn teardown_input(id: &StackId, wait_seconds: u64) -> String {
    serde_json::json!({ "stack_id": id, "teardown": true, "wait_seconds": wait_seconds })
        .to_string()
}

/// Starts execution `name` of `state_machine` with `input`, unless one of that name exists:
/// Step Functions refuses a second execution of a name, which makes a repeated start harmless.
async fn start_once(
    client: &Client,
    state_machine: &str,
    name: &str,
    input: String,
) -> Result<(), SdkError<StartExecutionError, HttpResponse>> {
    match client
        .start_execution()
        .state_machine_arn(state_machine)
        .name(name)
        .input(input)
        .send()
        .await
    {
        Ok(_) => Ok(()),
        Err(e)
            if matches!(
                e.as_service_error(),
                Some(StartExecutionError::ExecutionAlreadyExists(_))
            ) =>
        {
            Ok(())
        }
        Err(e) => Err(e),
    }
}

/// The longest a step's Lambda runs: its Task's `TimeoutSeconds` in the state machines (the
/// functions' own timeouts are shorter). `STEP_IN_FLIGHT_SECONDS` overrides it (the local stack).
pub const STEP_IN_FLIGHT_SECONDS: u64 = 60;

/// A provisioning execution is named after its stack; a teardown after its stack and attempt.
pub fn teardown_execution_name(id: &StackId, attempt: u32) -> String {
    format!("{id}-teardown-{attempt}")
}

pub struct StepFunctions {
    client: Client,
    provision_arn: String,
    teardown_arn: String,
    /// How long a teardown after a stopped provisioning waits before it looks.
    step_in_flight_seconds: u64,
}

impl StepFunctions {
    pub fn new(client: Client, provision_arn: String, teardown_arn: String) -> Self {
        let step_in_flight_seconds = std::env::var("STEP_IN_FLIGHT_SECONDS")
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(STEP_IN_FLIGHT_SECONDS);
        Self {
            client,
            provision_arn,
            teardown_arn,
            step_in_flight_seconds,
        }
    }

    async fn start(
        &self,
        state_machine: &str,
        name: &str,
        input: String,
    ) -> Result<(), WorkflowError> {
        start_once(&self.client, state_machine, name, input)
            .await
            .map_err(|e| WorkflowError::of("started", e))
    }
}

/// `arn:aws:states:r:a:stateMachine:m` + `id` → `arn:aws:states:r:a:execution:m:id`.
pub fn execution_arn(state_machine_arn: &str, id: &StackId) -> String {
    named_execution_arn(state_machine_arn, id.as_str())
}

fn named_execution_arn(state_machine_arn: &str, name: &str) -> String {
    format!(
        "{}:{name}",
        state_machine_arn.replacen(":stateMachine:", ":execution:", 1)
    )
}

#[async_trait]
impl Workflows for StepFunctions {
    async fn start_provisioning(&self, id: &StackId) -> Result<(), WorkflowError> {
        self.start(&self.provision_arn, id.as_str(), execution_input(id, false))
            .await
    }

    async fn stop_provisioning(&self, id: &StackId) -> Result<(), WorkflowError> {
        let result = self
            .client
            .stop_execution()
            .execution_arn(execution_arn(&self.provision_arn, id))
            .error("StackDeleted")
            .cause("The stack was deleted while it was being provisioned.")
            .send()
            .await;
        match result {
            Ok(_) => Ok(()),
            // Never started, or already finished: nothing to stop.
            Err(e)
                if matches!(
                    e.as_service_error(),
                    Some(StopExecutionError::ExecutionDoesNotExist(_))
                ) =>
            {
                Ok(())
            }
            Err(e) => Err(WorkflowError::of("stopped", e)),
        }
    }

    async fn start_teardown(
        &self,
        id: &StackId,
        attempt: u32,
        after_provisioning: bool,
    ) -> Result<(), WorkflowError> {
        let name = teardown_execution_name(id, attempt);
        let wait = if after_provisioning {
            self.step_in_flight_seconds
        } else {
            0
        };
        self.start(&self.teardown_arn, &name, teardown_input(id, wait))
            .await
    }

    async fn teardown_ended(&self, id: &StackId, attempt: u32) -> Result<bool, WorkflowError> {
        let arn = named_execution_arn(&self.teardown_arn, &teardown_execution_name(id, attempt));
        Ok(self
            .execution_status(arn)
            .await?
            .is_some_and(|status| status != ExecutionStatus::Running))
    }

    async fn provisioning_exists(&self, id: &StackId) -> Result<bool, WorkflowError> {
        Ok(self
            .execution_status(execution_arn(&self.provision_arn, id))
            .await?
            .is_some())
    }
}

impl StepFunctions {
    /// The execution's status, `None` when it does not exist.
    async fn execution_status(
        &self,
        arn: String,
    ) -> Result<Option<ExecutionStatus>, WorkflowError> {
        match self
            .client
            .describe_execution()
            .execution_arn(arn)
            .send()
            .await
        {
            Ok(out) => Ok(Some(out.status().clone())),
            Err(e)
                if matches!(
                    e.as_service_error(),
                    Some(DescribeExecutionError::ExecutionDoesNotExist(_))
                ) =>
            {
                Ok(None)
            }
            Err(e) => Err(WorkflowError::of("looked up", e)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_sdk_sfn::operation::describe_execution::DescribeExecutionOutput;
    use aws_sdk_sfn::types::error::{ExecutionDoesNotExist, ExecutionLimitExceeded};
    use aws_smithy_mocks::{mock, mock_client, RuleMode};

    const MACHINE: &str = "arn:aws:states:us-east-1:123456789012:stateMachine:provision";

    fn workflows(client: Client) -> StepFunctions {
        StepFunctions::new(client, MACHINE.into(), MACHINE.into())
    }

    fn id() -> StackId {
        StackId::parse("stk_abcdefghijklmnopqrst").unwrap()
    }

    #[tokio::test]
    async fn a_refused_start_is_a_clear_answer_and_a_server_error_is_not() {
        let refused = mock!(Client::start_execution).then_error(|| {
            StartExecutionError::ExecutionLimitExceeded(ExecutionLimitExceeded::builder().build())
        });
        let client = mock_client!(aws_sdk_sfn, RuleMode::MatchAny, [&refused]);
        let err = workflows(client)
            .start_provisioning(&id())
            .await
            .unwrap_err();
        assert!(!err.outcome_unknown, "{err}");

        let broken = mock!(Client::start_execution).then_http_response(|| {
            aws_smithy_runtime_api::http::Response::new(
                aws_smithy_runtime_api::http::StatusCode::try_from(500).unwrap(),
                aws_smithy_types::body::SdkBody::from(r#"{"__type":"InternalFailure"}"#),
            )
        });
        let client = mock_client!(aws_sdk_sfn, RuleMode::MatchAny, [&broken]);
        let err = workflows(client)
            .start_provisioning(&id())
            .await
            .unwrap_err();
        assert!(err.outcome_unknown, "a 5xx may have started it: {err}");
    }

    #[tokio::test]
    async fn an_execution_is_looked_up_by_its_stacks_name() {
        let found = mock!(Client::describe_execution)
            .match_requests(|r| {
                r.execution_arn()
                    .is_some_and(|a| a.ends_with(":execution:provision:stk_abcdefghijklmnopqrst"))
            })
            .then_output(|| {
                DescribeExecutionOutput::builder()
                    .execution_arn("arn")
                    .state_machine_arn(MACHINE)
                    .status(ExecutionStatus::Running)
                    .start_date(aws_smithy_types::DateTime::from_secs(0))
                    .build()
                    .unwrap()
            });
        let client = mock_client!(aws_sdk_sfn, RuleMode::MatchAny, [&found]);
        assert!(workflows(client).provisioning_exists(&id()).await.unwrap());

        let missing = mock!(Client::describe_execution).then_error(|| {
            DescribeExecutionError::ExecutionDoesNotExist(ExecutionDoesNotExist::builder().build())
        });
        let client = mock_client!(aws_sdk_sfn, RuleMode::MatchAny, [&missing]);
        assert!(!workflows(client).provisioning_exists(&id()).await.unwrap());
    }

    #[test]
    fn execution_arns_follow_the_state_machine() {
        let id = StackId::parse("stk_abcdefghijklmnopqrst").unwrap();
        assert_eq!(
            execution_arn("arn:aws:states:us-east-1:123456789012:stateMachine:edgestack-provision", &id),
            "arn:aws:states:us-east-1:123456789012:execution:edgestack-provision:stk_abcdefghijklmnopqrst"
        );
    }
}
