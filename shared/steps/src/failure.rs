//! Where every `Catch` leads: the failure is written on the stack for a person to act on.

use edgestack_domain::timestamp::Timestamp;
use serde::Deserialize;

use crate::error::OwnerMessage;
use crate::{CaughtError, Deps, Flow, StepError};
use edgestack_aws::store::modify;
use edgestack_domain::stack::{StackError, StepStatus};

pub const STEP: &str = "record_failure";

#[derive(Deserialize)]
struct LambdaErrorBody {
    #[serde(rename = "errorMessage", default)]
    message: String,
}

/// The `(code, message)` a person reads, from what Step Functions caught. Step errors that
/// speak to the owner carry an `OwnerMessage` (JSON in the Lambda error's `errorMessage`); the
/// cause of an AWS outage or a bug is for the operator's log (the step logged it), not for the
/// stack's record.
pub fn explain(caught: &CaughtError) -> (String, String) {
    let said = serde_json::from_str::<LambdaErrorBody>(&caught.cause)
        .ok()
        .and_then(|body| serde_json::from_str::<OwnerMessage>(&body.message).ok());
    if let Some(OwnerMessage { code, message }) = said {
        return (code, message);
    }
    match caught.error.as_str() {
        "States.Timeout" => (
            "step_timed_out".into(),
            "A step took longer than its time limit, even after retries. Create the stack again; if it happens again, contact the platform team with the stack id.".into(),
        ),
        "RateLimited" => (
            "aws_rate_limited".into(),
            "An account-wide AWS rate limit (API Gateway allows one custom domain change every 30 seconds per account) kept this step waiting too long: many stacks are being created or deleted at once. Send the request again later (create the stack again, or DELETE it again if it was being deleted).".into(),
        ),
        "Transient" => (
            "aws_unavailable".into(),
            "AWS kept refusing or throttling the calls of this step even after retries. Create the stack again later; if it persists, contact the platform team with the stack id.".into(),
        ),
        _ => (
            "internal_error".into(),
            format!("The workflow failed unexpectedly ({}). Contact the platform team with the stack id.", caught.error),
        ),
    }
}

pub async fn handle(deps: &Deps, flow: Flow) -> Result<Flow, StepError> {
    let caught = flow.failure.clone().unwrap_or(CaughtError {
        error: "Unknown".into(),
        cause: String::new(),
    });
    let (code, message) = explain(&caught);
    let now = Timestamp::now();
    modify(deps.store.as_ref(), &flow.stack_id, |stack| {
        let failed_step = stack
            .steps
            .iter()
            .rev()
            .find(|s| matches!(s.status, StepStatus::Running | StepStatus::Waiting))
            .map(|s| s.name.clone())
            .unwrap_or_else(|| "unknown".into());
        // A rollback that failed keeps what the stack first failed of in its message.
        let message = match &stack.error {
            Some(earlier) if flow.teardown && earlier.code != "teardown_failed" => format!(
                "{message} This happened while undoing the stack after it failed at {} ({}: {}). What it created may remain (its outputs list it): DELETE the stack to undo it again.",
                earlier.step, earlier.code, earlier.message
            ),
            _ => message.clone(),
        };
        let error = StackError {
            code: if flow.teardown {
                "teardown_failed".into()
            } else {
                code.clone()
            },
            message: message.clone(),
            step: failed_step.clone(),
            // True only once the rollback has run to its end (teardown::finish), when the
            // name is free again: even a stack that created nothing has its claim to release.
            rolled_back: false,
        };
        // A teardown's failure ends its DELETING; provisioning's (or its rollback's) is refused
        // for a stack being deleted, which belongs to the teardown now, whatever provisioning
        // left (a DELETE stops a rollback and takes over).
        let recorded = if flow.teardown && !flow.rollback {
            stack.fail_teardown(error)
        } else {
            stack.fail(error)
        };
        if recorded.is_err() {
            return Ok::<_, StepError>(());
        }
        stack.finish_step(&failed_step, StepStatus::Failed, Some(message), now);
        if !flow.teardown {
            stack.phase = edgestack_domain::stack::Phase::RollingBack;
        }
        Ok(())
    })
    .await?;
    tracing::info!(stack_id = %flow.stack_id, code, "stack failed");
    Ok(flow)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What Step Functions catches from a Lambda that failed with `err`: the runtime's
    /// `{"errorType", "errorMessage"}` as the cause.
    fn caught(err: StepError) -> CaughtError {
        let diagnostic = lambda_runtime::Diagnostic::from(err);
        CaughtError {
            error: diagnostic.error_type.clone(),
            cause: serde_json::json!({
                "errorType": diagnostic.error_type,
                "errorMessage": diagnostic.error_message,
            })
            .to_string(),
        }
    }

    #[test]
    fn a_step_error_is_read_back_as_its_code_and_message() {
        let err = StepError::invalid("api_not_found", "No REST API x: exists in eu-west-1.");
        assert_eq!(
            explain(&caught(err)),
            (
                "api_not_found".into(),
                "No REST API x: exists in eu-west-1.".into()
            ),
            "a colon in the message is the message's"
        );
        let deadline = StepError::DeadlineExceeded("gave up after 1900 s".into());
        assert_eq!(
            explain(&caught(deadline)),
            ("deadline_exceeded".into(), "gave up after 1900 s".into())
        );
    }

    #[test]
    fn an_outage_is_explained_without_the_raw_sdk_error() {
        let caught = CaughtError {
            error: "Transient".into(),
            cause: r#"{"errorType":"Transient","errorMessage":"transient: service error: <!doctype html> raw: Response"}"#.into(),
        };
        let (code, message) = explain(&caught);
        assert_eq!(code, "aws_unavailable");
        assert!(
            !message.contains("doctype") && !message.contains("Response"),
            "{message}"
        );
    }

    #[test]
    fn a_timeout_is_explained_in_words() {
        let caught = CaughtError {
            error: "States.Timeout".into(),
            cause: String::new(),
        };
        assert_eq!(explain(&caught).0, "step_timed_out");
    }

    async fn deleting_stack(deps: &Deps) -> edgestack_domain::stack::StackId {
        let request = edgestack_domain::request::StackRequest::from_json(&serde_json::json!({
            "api_id": "a1b2c3d4e5", "region": "eu-west-1", "stage": "prod"
        }))
        .expect("a valid request");
        let mut stack =
            edgestack_domain::stack::Stack::new("arn:a".into(), request, Timestamp::now());
        stack.start_deleting().expect("deleting");
        deps.store.create(&stack, None).await.expect("stored");
        stack.id
    }

    fn deps() -> Deps {
        crate::testing::deps(crate::testing::no_aws())
    }

    fn failed(id: edgestack_domain::stack::StackId, rollback: bool) -> Flow {
        Flow {
            teardown: true,
            rollback,
            failure: Some(CaughtError {
                error: "Transient".into(),
                cause: String::new(),
            }),
            ..Flow::new(id)
        }
    }

    #[tokio::test]
    async fn a_rollback_that_fails_after_a_delete_took_the_stack_over_leaves_it_deleting() {
        let deps = deps();
        let id = deleting_stack(&deps).await;
        handle(&deps, failed(id.clone(), true))
            .await
            .expect("recorded");
        let stack = deps.store.get(&id).await.unwrap().unwrap().value;
        assert_eq!(stack.status(), edgestack_domain::stack::Status::Deleting);
        assert!(stack.error.is_none(), "{:?}", stack.error);
    }

    #[tokio::test]
    async fn a_teardown_that_fails_is_recorded_for_a_delete_again() {
        let deps = deps();
        let id = deleting_stack(&deps).await;
        handle(&deps, failed(id.clone(), false))
            .await
            .expect("recorded");
        let stack = deps.store.get(&id).await.unwrap().unwrap().value;
        assert_eq!(stack.status(), edgestack_domain::stack::Status::Failed);
        assert_eq!(stack.error.expect("an error").code, "teardown_failed");
    }
}
