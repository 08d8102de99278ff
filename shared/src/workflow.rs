//! Starting and stopping the two state machines. An execution is named after its stack, which
//! makes a repeated start harmless: Step Functions refuses a second execution of that name.

use async_trait::async_trait;
use aws_sdk_sfn::operation::describe_execution::DescribeExecutionError;
use aws_sdk_sfn::operation::start_execution::StartExecutionError;
use aws_sdk_sfn::operation::stop_execution::StopExecutionError;
use aws_sdk_sfn::types::ExecutionStatus;
use aws_sdk_sfn::Client;

use crate::stack::StackId;

#[derive(Debug, thiserror::Error)]
#[error("the workflow could not be {action}: {message}")]
pub struct WorkflowError {
    pub action: &'static str,
    pub message: String,
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
        let result = self
            .client
            .start_execution()
            .state_machine_arn(state_machine)
            .name(name)
            .input(input)
            .send()
            .await;
        match result {
            Ok(_) => Ok(()),
            Err(e)
                if matches!(
                    e.as_service_error(),
                    Some(StartExecutionError::ExecutionAlreadyExists(_))
                ) =>
            {
                Ok(())
            }
            Err(e) => Err(WorkflowError {
                action: "started",
                message: aws_sdk_sfn::error::DisplayErrorContext(e).to_string(),
            }),
        }
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
            Err(e) => Err(WorkflowError {
                action: "stopped",
                message: aws_sdk_sfn::error::DisplayErrorContext(e).to_string(),
            }),
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
        match self
            .client
            .describe_execution()
            .execution_arn(arn)
            .send()
            .await
        {
            Ok(out) => Ok(out.status() != &ExecutionStatus::Running),
            Err(e)
                if matches!(
                    e.as_service_error(),
                    Some(DescribeExecutionError::ExecutionDoesNotExist(_))
                ) =>
            {
                Ok(false)
            }
            Err(e) => Err(WorkflowError {
                action: "looked up",
                message: aws_sdk_sfn::error::DisplayErrorContext(e).to_string(),
            }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn execution_arns_follow_the_state_machine() {
        let id = StackId::parse("stk_abcdefghijklmnopqrst").unwrap();
        assert_eq!(
            execution_arn("arn:aws:states:us-east-1:123456789012:stateMachine:edgestack-provision", &id),
            "arn:aws:states:us-east-1:123456789012:execution:edgestack-provision:stk_abcdefghijklmnopqrst"
        );
    }
}
