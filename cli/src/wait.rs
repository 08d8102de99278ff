//! Waiting for a stack to settle: `READY`, `FAILED` or `DELETED`, within a timeout, showing its
//! progress as it goes.

use std::future::Future;
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::client::{Client, Failure};
use crate::exit::Exit;
use crate::progress::Progress;

/// How often the live display is redrawn while a request or a pause is under way.
const TICK: Duration = Duration::from_millis(120);
/// How long the look at the deadline may take.
const LAST_LOOK: Duration = Duration::from_secs(5);

/// What the wait is for, which decides what `DELETED` means.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Goal {
    Ready,
    Deleted,
}

impl Goal {
    /// A stack already being deleted is waited for until it is gone; any other until ready.
    pub fn for_stack(stack: &Value) -> Goal {
        match status(stack) {
            "DELETING" | "DELETED" => Goal::Deleted,
            _ => Goal::Ready,
        }
    }
}

pub fn status(stack: &Value) -> &str {
    stack["status"].as_str().unwrap_or_default()
}

/// Whether a `FAILED` stack's workflow is done with it: the rollback ran to its end
/// (`rolled_back`), or the undo itself failed (`teardown_failed`, no step under way), or no
/// workflow ever started. Until then the rollback is still removing what the stack created.
fn failure_settled(stack: &Value) -> bool {
    let error = &stack["error"];
    let step_under_way = stack["steps"].as_array().is_some_and(|steps| {
        steps
            .iter()
            .any(|s| s["status"] == "RUNNING" || s["status"] == "WAITING")
    });
    error["rolled_back"] == true
        || error["code"] == "workflow_not_started"
        || (error["code"] == "teardown_failed" && !step_under_way)
}

/// The exit status when the stack has settled, `None` while it has not.
pub fn settled(stack: &Value, goal: Goal) -> Option<Exit> {
    match (status(stack), goal) {
        ("READY", _) => Some(Exit::Ok),
        ("FAILED", _) if failure_settled(stack) => Some(Exit::Failed),
        ("FAILED", _) => None,
        ("DELETED", Goal::Deleted) => Some(Exit::Ok),
        ("DELETED", Goal::Ready) => Some(Exit::Deleted),
        _ => None,
    }
}

#[derive(Debug, Clone, Copy)]
pub struct Options {
    pub timeout: Duration,
    pub interval: Duration,
}

/// How a wait ended.
#[derive(Debug)]
pub struct End {
    /// The stack as last seen (none when it never could be read).
    pub stack: Option<Value>,
    pub exit: Exit,
    /// What went wrong last while looking, when the wait timed out.
    pub last_problem: Option<String>,
}

/// Polls `GET /stacks/{id}` until the stack settles or `options.timeout` passes. `first` is a
/// stack just returned by the API (by `create` or `delete`), shown before the first poll.
/// A transient failure (no answer, throttling, 5xx-unavailable) is shown and polled through; a
/// 404 or a refusal ends the wait with that failure.
pub async fn wait(
    client: &Client,
    id: &str,
    first: Option<Value>,
    goal: Option<Goal>,
    options: Options,
    progress: &mut dyn Progress,
) -> Result<End, Failure> {
    let start = Instant::now();
    let deadline = start + options.timeout;
    let mut goal = goal;
    let mut polled = first.is_some();
    let mut last = first;
    let mut last_problem = None;
    loop {
        if let Some(stack) = &last {
            let goal = *goal.get_or_insert_with(|| Goal::for_stack(stack));
            progress.update(stack, start.elapsed());
            if let Some(exit) = settled(stack, goal) {
                progress.finish(Some(stack), start.elapsed());
                return Ok(End {
                    stack: last,
                    exit,
                    last_problem: None,
                });
            }
        }
        if Instant::now() >= deadline {
            break;
        }
        if polled {
            // The pause ends at the deadline at the latest; one more look follows it.
            let pause = options
                .interval
                .min(deadline.saturating_duration_since(Instant::now()));
            ticking(tokio::time::sleep(pause), progress, start).await;
        }
        polled = true;
        let budget = deadline
            .saturating_duration_since(Instant::now())
            .max(LAST_LOOK);
        match ticking(
            tokio::time::timeout(budget, client.get(id)),
            progress,
            start,
        )
        .await
        {
            Ok(Ok(stack)) => {
                last = Some(stack);
                last_problem = None;
            }
            Ok(Err(failure)) if failure.is_transient() => {
                let problem = describe(&failure);
                progress.note(&format!("still trying: {problem}"), start.elapsed());
                last_problem = Some(problem);
            }
            Ok(Err(failure)) => {
                progress.finish(last.as_ref(), start.elapsed());
                return Err(failure);
            }
            Err(_elapsed) => {
                last_problem = Some("the last request was still unanswered at the deadline".into());
            }
        }
    }
    progress.finish(last.as_ref(), start.elapsed());
    Ok(End {
        stack: last,
        exit: Exit::TimedOut,
        last_problem,
    })
}

fn describe(failure: &Failure) -> String {
    match failure {
        Failure::Api {
            status, message, ..
        } => format!("HTTP {status}: {message}"),
        Failure::Transport(message) | Failure::Setup(message) | Failure::Usage(message) => {
            message.clone()
        }
    }
}

/// Runs `future` while redrawing the progress display (the elapsed time, the spinner).
async fn ticking<F: Future>(future: F, progress: &mut dyn Progress, start: Instant) -> F::Output {
    tokio::pin!(future);
    let mut ticks = tokio::time::interval(TICK);
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
    loop {
        tokio::select! {
            output = &mut future => return output,
            _ = ticks.tick() => progress.tick(start.elapsed()),
        }
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn a_stack_settles_as_its_goal_says() {
        let stack = |status: &str| {
            json!({ "id": "stk_x", "status": status,
                    "error": (status == "FAILED").then(|| json!({"code": "api_not_found", "rolled_back": true})) })
        };
        for (status, goal, exit) in [
            ("READY", Goal::Ready, Some(Exit::Ok)),
            ("FAILED", Goal::Ready, Some(Exit::Failed)),
            ("FAILED", Goal::Deleted, Some(Exit::Failed)),
            ("DELETED", Goal::Deleted, Some(Exit::Ok)),
            ("DELETED", Goal::Ready, Some(Exit::Deleted)),
            ("PENDING", Goal::Ready, None),
            ("PROVISIONING", Goal::Ready, None),
            // Outside DNS: the owner is creating the records; keep waiting.
            ("AWAITING_DNS", Goal::Ready, None),
            ("DELETING", Goal::Ready, None),
            ("DELETING", Goal::Deleted, None),
        ] {
            assert_eq!(settled(&stack(status), goal), exit, "{status} {goal:?}");
        }
    }

    #[test]
    fn a_failed_stack_settles_when_its_rollback_has_ended() {
        let failed = |error: Value, step: &str| {
            json!({ "id": "stk_x", "status": "FAILED", "error": error,
                    "steps": [{"name": "delete_certificates", "status": step}] })
        };
        let rolling_back = json!({"code": "injected_fault", "rolled_back": false});
        let rolled_back = json!({"code": "injected_fault", "rolled_back": true});
        let undo_failed = json!({"code": "teardown_failed", "rolled_back": false});
        assert_eq!(
            settled(&failed(rolling_back.clone(), "RUNNING"), Goal::Ready),
            None
        );
        assert_eq!(
            settled(&failed(rolling_back, "SUCCEEDED"), Goal::Ready),
            None
        );
        assert_eq!(
            settled(&failed(rolled_back, "SUCCEEDED"), Goal::Ready),
            Some(Exit::Failed)
        );
        assert_eq!(
            settled(&failed(undo_failed.clone(), "RUNNING"), Goal::Deleted),
            None
        );
        assert_eq!(
            settled(&failed(undo_failed, "FAILED"), Goal::Deleted),
            Some(Exit::Failed)
        );
    }

    #[test]
    fn the_goal_follows_the_stack() {
        assert_eq!(
            Goal::for_stack(&json!({"status": "PROVISIONING"})),
            Goal::Ready
        );
        assert_eq!(
            Goal::for_stack(&json!({"status": "DELETING"})),
            Goal::Deleted
        );
        assert_eq!(
            Goal::for_stack(&json!({"status": "DELETED"})),
            Goal::Deleted
        );
    }
}
