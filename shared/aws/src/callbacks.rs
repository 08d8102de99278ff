//! Resuming an execution that waits on a task token (a `.waitForTaskToken` task), and starting
//! the watcher that does so. The steps see the `Callbacks` trait; Step Functions is behind it.

use async_trait::async_trait;
use aws_sdk_sfn::error::SdkError;
use aws_sdk_sfn::operation::send_task_failure::SendTaskFailureError;
use aws_sdk_sfn::operation::send_task_success::SendTaskSuccessError;
use aws_sdk_sfn::operation::start_execution::StartExecutionError;
use aws_sdk_sfn::types::ExecutionStatus;
use aws_sdk_sfn::Client;

use crate::calls::DeclaredCalls;
use crate::config::{self, ConfigError};
use crate::sdk::SdkConfig;

/// The watcher state machine, for the functions that start it.
pub const WATCH_STATE_MACHINE_ARN: &str = "WATCH_STATE_MACHINE_ARN";

/// What became of an answer sent to a waiting task.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Delivery {
    /// The task took it: its execution goes on.
    Taken,
    /// Nothing waits on that token any more: the task timed out (and its retry waits on a new
    /// token), the execution was stopped or has ended, or Step Functions does not know the
    /// token (`TaskTimedOut`, `TaskDoesNotExist`, `InvalidToken`: the SendTaskSuccess API
    /// reference's errors).
    Stale,
}

/// What became of a request to start a watcher.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WatcherStart {
    /// Started now.
    Started,
    /// A watcher of that name runs already: it will see what was parked.
    Running,
    /// A watcher of that name existed and has ended (it failed, or ended as this was parked):
    /// the name is spent, and nothing watches under it.
    Ended,
}

#[derive(Debug, thiserror::Error)]
#[error("Step Functions could not {action}: {message}")]
pub struct CallbackError {
    pub action: &'static str,
    pub message: String,
}

impl CallbackError {
    fn of<E>(
        action: &'static str,
        err: SdkError<E, aws_sdk_sfn::config::http::HttpResponse>,
    ) -> Self
    where
        E: std::error::Error + Send + Sync + 'static,
    {
        Self {
            action,
            message: aws_sdk_sfn::error::DisplayErrorContext(err).to_string(),
        }
    }
}

#[async_trait]
pub trait Callbacks: Send + Sync {
    /// Ends the task waiting on `token` with `output` (its execution's next state input).
    async fn succeed(
        &self,
        token: &str,
        output: &serde_json::Value,
    ) -> Result<Delivery, CallbackError>;
    /// Fails the task waiting on `token` with `error` (a name the state machine's Retry and
    /// Catch match) and `cause`.
    async fn fail(&self, token: &str, error: &str, cause: &str) -> Result<Delivery, CallbackError>;
    /// Starts the watcher execution `name` with `input`. An execution of that name that already
    /// exists is left as it is: whoever started it first started the same watch.
    async fn start_watcher(
        &self,
        name: &str,
        input: &serde_json::Value,
    ) -> Result<WatcherStart, CallbackError>;
}

/// Callbacks through Step Functions.
pub struct StepFunctionsCallbacks {
    client: Client,
    watcher_arn: String,
}

impl StepFunctionsCallbacks {
    pub fn new(client: Client, watcher_arn: impl Into<String>) -> Self {
        Self {
            client,
            watcher_arn: watcher_arn.into(),
        }
    }

    /// The callbacks of a function whose environment names the watcher state machine.
    pub fn from_env(sdk: &SdkConfig, declared: &DeclaredCalls) -> Result<Self, ConfigError> {
        Ok(Self::new(
            crate::clients::Clients::sfn(sdk, declared),
            config::required(WATCH_STATE_MACHINE_ARN)?,
        ))
    }
}

#[async_trait]
impl Callbacks for StepFunctionsCallbacks {
    async fn succeed(
        &self,
        token: &str,
        output: &serde_json::Value,
    ) -> Result<Delivery, CallbackError> {
        match self
            .client
            .send_task_success()
            .task_token(token)
            .output(output.to_string())
            .send()
            .await
        {
            Ok(_) => Ok(Delivery::Taken),
            Err(e) => match e.as_service_error() {
                Some(
                    SendTaskSuccessError::TaskTimedOut(_)
                    | SendTaskSuccessError::TaskDoesNotExist(_)
                    | SendTaskSuccessError::InvalidToken(_),
                ) => Ok(Delivery::Stale),
                _ => Err(CallbackError::of("resume a waiting task", e)),
            },
        }
    }

    async fn fail(&self, token: &str, error: &str, cause: &str) -> Result<Delivery, CallbackError> {
        match self
            .client
            .send_task_failure()
            .task_token(token)
            .error(error)
            .cause(cause)
            .send()
            .await
        {
            Ok(_) => Ok(Delivery::Taken),
            Err(e) => match e.as_service_error() {
                Some(
                    SendTaskFailureError::TaskTimedOut(_)
                    | SendTaskFailureError::TaskDoesNotExist(_)
                    | SendTaskFailureError::InvalidToken(_),
                ) => Ok(Delivery::Stale),
                _ => Err(CallbackError::of("fail a waiting task", e)),
            },
        }
    }

    /// Step Functions refuses a second execution of a name (`ExecutionAlreadyExists`, for 90
    /// days), so whether the one that has it still runs is asked (`DescribeExecution`).
    async fn start_watcher(
        &self,
        name: &str,
        input: &serde_json::Value,
    ) -> Result<WatcherStart, CallbackError> {
        let started = self
            .client
            .start_execution()
            .state_machine_arn(&self.watcher_arn)
            .name(name)
            .input(input.to_string())
            .send()
            .await;
        match started {
            Ok(_) => return Ok(WatcherStart::Started),
            Err(e)
                if matches!(
                    e.as_service_error(),
                    Some(StartExecutionError::ExecutionAlreadyExists(_))
                ) => {}
            Err(e) => return Err(CallbackError::of("start the watcher", e)),
        }
        let execution = self
            .client
            .describe_execution()
            .execution_arn(format!(
                "{}:{name}",
                self.watcher_arn
                    .replacen(":stateMachine:", ":execution:", 1)
            ))
            .send()
            .await
            .map_err(|e| CallbackError::of("ask whether the watcher runs", e))?;
        Ok(match execution.status() {
            ExecutionStatus::Running => WatcherStart::Running,
            _ => WatcherStart::Ended,
        })
    }
}

/// For a function that never resumes a task: every call is refused, naming what is missing.
pub struct NoCallbacks;

#[async_trait]
impl Callbacks for NoCallbacks {
    async fn succeed(&self, _: &str, _: &serde_json::Value) -> Result<Delivery, CallbackError> {
        Err(Self::refusal("resume a waiting task"))
    }

    async fn fail(&self, _: &str, _: &str, _: &str) -> Result<Delivery, CallbackError> {
        Err(Self::refusal("fail a waiting task"))
    }

    async fn start_watcher(
        &self,
        _: &str,
        _: &serde_json::Value,
    ) -> Result<WatcherStart, CallbackError> {
        Err(Self::refusal("start the watcher"))
    }
}

impl NoCallbacks {
    fn refusal(action: &'static str) -> CallbackError {
        CallbackError {
            action,
            message: format!("this function has no {WATCH_STATE_MACHINE_ARN}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::{Callbacks, Delivery, StepFunctionsCallbacks, WatcherStart};
    use aws_sdk_sfn::operation::describe_execution::DescribeExecutionOutput;
    use aws_sdk_sfn::operation::send_task_failure::{SendTaskFailureError, SendTaskFailureOutput};
    use aws_sdk_sfn::operation::send_task_success::{SendTaskSuccessError, SendTaskSuccessOutput};
    use aws_sdk_sfn::operation::start_execution::{StartExecutionError, StartExecutionOutput};
    use aws_sdk_sfn::types::error::{
        ExecutionAlreadyExists, InvalidToken, TaskDoesNotExist, TaskTimedOut,
    };
    use aws_sdk_sfn::types::ExecutionStatus;
    use aws_smithy_mocks::{mock, mock_client, RuleMode};
    use aws_smithy_runtime_api::http::StatusCode;
    use aws_smithy_types::body::SdkBody;

    fn callbacks(client: aws_sdk_sfn::Client) -> StepFunctionsCallbacks {
        StepFunctionsCallbacks::new(client, "arn:aws:states:us-east-1:1:stateMachine:watch")
    }

    #[tokio::test]
    async fn an_answer_taken_is_taken_and_one_nobody_waits_for_is_stale() {
        let taken = mock!(aws_sdk_sfn::Client::send_task_success)
            .match_requests(|r| r.task_token() == Some("t1") && r.output() == Some("{\"a\":1}"))
            .then_output(|| SendTaskSuccessOutput::builder().build());
        let client = mock_client!(aws_sdk_sfn, [&taken]);
        let got = callbacks(client)
            .succeed("t1", &serde_json::json!({"a": 1}))
            .await
            .unwrap();
        assert_eq!(got, Delivery::Taken);

        let stale_errors: [fn() -> SendTaskSuccessError; 3] = [
            || SendTaskSuccessError::TaskTimedOut(TaskTimedOut::builder().build()),
            || SendTaskSuccessError::TaskDoesNotExist(TaskDoesNotExist::builder().build()),
            || SendTaskSuccessError::InvalidToken(InvalidToken::builder().build()),
        ];
        for stale in stale_errors {
            let rule = mock!(aws_sdk_sfn::Client::send_task_success).then_error(stale);
            let client = mock_client!(aws_sdk_sfn, [&rule]);
            let got = callbacks(client)
                .succeed("t1", &serde_json::json!({}))
                .await
                .unwrap();
            assert_eq!(got, Delivery::Stale);
        }
    }

    #[tokio::test]
    async fn a_failure_sent_names_the_error_and_a_stale_token_is_stale() {
        let sent = mock!(aws_sdk_sfn::Client::send_task_failure)
            .match_requests(|r| {
                r.error() == Some("DeadlineExceeded") && r.cause() == Some("too long")
            })
            .then_output(|| SendTaskFailureOutput::builder().build());
        let client = mock_client!(aws_sdk_sfn, [&sent]);
        let got = callbacks(client)
            .fail("t1", "DeadlineExceeded", "too long")
            .await
            .unwrap();
        assert_eq!(got, Delivery::Taken);

        let stale = mock!(aws_sdk_sfn::Client::send_task_failure)
            .then_error(|| SendTaskFailureError::TaskTimedOut(TaskTimedOut::builder().build()));
        let client = mock_client!(aws_sdk_sfn, [&stale]);
        let got = callbacks(client).fail("t1", "X", "y").await.unwrap();
        assert_eq!(got, Delivery::Stale);
    }

    #[tokio::test]
    async fn an_unclear_answer_is_an_error_so_the_answer_is_sent_again() {
        let broken = mock!(aws_sdk_sfn::Client::send_task_success).then_http_response(|| {
            aws_smithy_runtime_api::http::Response::new(
                StatusCode::try_from(500).unwrap(),
                SdkBody::from("{}"),
            )
        });
        let client = mock_client!(aws_sdk_sfn, RuleMode::MatchAny, [&broken]);
        let err = callbacks(client)
            .succeed("t1", &serde_json::json!({}))
            .await
            .unwrap_err();
        assert_eq!(err.action, "resume a waiting task");
    }

    #[tokio::test]
    async fn a_watcher_is_started_or_found_running_or_found_ended() {
        let started = mock!(aws_sdk_sfn::Client::start_execution)
            .match_requests(|r| r.name() == Some("watch-8") && r.input() == Some("{\"slot\":8}"))
            .then_output(|| {
                StartExecutionOutput::builder()
                    .execution_arn("arn:x")
                    .start_date(aws_smithy_types::DateTime::from_secs(0))
                    .build()
                    .unwrap()
            });
        let client = mock_client!(aws_sdk_sfn, [&started]);
        let got = callbacks(client)
            .start_watcher("watch-8", &serde_json::json!({"slot": 8}))
            .await
            .unwrap();
        assert_eq!(got, WatcherStart::Started);

        for (status, expected) in [
            (ExecutionStatus::Running, WatcherStart::Running),
            (ExecutionStatus::Succeeded, WatcherStart::Ended),
            (ExecutionStatus::Failed, WatcherStart::Ended),
            (ExecutionStatus::TimedOut, WatcherStart::Ended),
        ] {
            let exists = mock!(aws_sdk_sfn::Client::start_execution).then_error(|| {
                StartExecutionError::ExecutionAlreadyExists(
                    ExecutionAlreadyExists::builder().build(),
                )
            });
            let answer = status.clone();
            let described = mock!(aws_sdk_sfn::Client::describe_execution)
                .match_requests(|r| {
                    r.execution_arn() == Some("arn:aws:states:us-east-1:1:execution:watch:watch-7")
                })
                .then_output(move || {
                    DescribeExecutionOutput::builder()
                        .execution_arn("arn:aws:states:us-east-1:1:execution:watch:watch-7")
                        .state_machine_arn("arn:aws:states:us-east-1:1:stateMachine:watch")
                        .status(answer.clone())
                        .start_date(aws_smithy_types::DateTime::from_secs(0))
                        .build()
                        .unwrap()
                });
            let client = mock_client!(aws_sdk_sfn, RuleMode::MatchAny, [&exists, &described]);
            let got = callbacks(client)
                .start_watcher("watch-7", &serde_json::json!({"slot": 7}))
                .await
                .unwrap();
            assert_eq!(got, expected, "{status:?}");
        }
    }
}
