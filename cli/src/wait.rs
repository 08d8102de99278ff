//! Waiting for a stack to settle: `READY`, `FAILED` or `DELETED`, within a timeout, showing its
//! progress as it goes.

use std::future::Future;
use std::time::{Duration, Instant};

use edgestack_domain::stack::{Stack, Status, StepStatus};

use crate::client::{Answered, Client, Failure};
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
    pub fn for_stack(stack: &Stack) -> Goal {
        match stack.status() {
            Status::Deleting | Status::Deleted => Goal::Deleted,
            _ => Goal::Ready,
        }
    }
}

/// Whether a `FAILED` stack's workflow is done with it: the rollback ran to its end
/// (`rolled_back`), or the undo itself failed (`teardown_failed`, no step under way), or no
/// workflow ever started. Until then the rollback is still removing what the stack created.
fn failure_settled(stack: &Stack) -> bool {
    let Some(error) = &stack.error else {
        return false;
    };
    let step_under_way = stack
        .steps
        .iter()
        .any(|s| matches!(s.status, StepStatus::Running | StepStatus::Waiting));
    error.rolled_back
        || error.code == "workflow_not_started"
        || (error.code == "teardown_failed" && !step_under_way)
}

/// The exit status when the stack has settled, `None` while it has not.
pub fn settled(stack: &Stack, goal: Goal) -> Option<Exit> {
    match (stack.status(), goal) {
        (Status::Ready, _) => Some(Exit::Ok),
        (Status::Failed, _) if failure_settled(stack) => Some(Exit::Failed),
        (Status::Failed, _) => None,
        (Status::Deleted, Goal::Deleted) => Some(Exit::Ok),
        (Status::Deleted, Goal::Ready) => Some(Exit::Deleted),
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
    pub stack: Option<Answered>,
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
    first: Option<Answered>,
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
        if let Some(answered) = &last {
            let stack = &answered.stack;
            let goal = *goal.get_or_insert_with(|| Goal::for_stack(stack));
            progress.update(answered, start.elapsed());
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
                progress.finish(last.as_ref().map(|a| &a.stack), start.elapsed());
                return Err(failure);
            }
            Err(_elapsed) => {
                last_problem = Some("the last request was still unanswered at the deadline".into());
            }
        }
    }
    progress.finish(last.as_ref().map(|a| &a.stack), start.elapsed());
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
        Failure::Transport(message) | Failure::Setup(message) | Failure::Unreadable(message) => {
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
    use serde_json::{json, Value};

    use super::*;
    use crate::testing::stack as read;

    #[test]
    fn a_stack_settles_as_its_goal_says() {
        let stack = |status: &str| {
            read(json!({ "status": status,
                    "error": (status == "FAILED").then(|| json!({"code": "api_not_found", "rolled_back": true})) }))
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
            read(json!({ "status": "FAILED", "error": error,
                    "steps": [{"name": "delete_certificates", "status": step}] }))
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
            Goal::for_stack(&read(json!({"status": "PROVISIONING"}))),
            Goal::Ready
        );
        assert_eq!(
            Goal::for_stack(&read(json!({"status": "DELETING"}))),
            Goal::Deleted
        );
        assert_eq!(
            Goal::for_stack(&read(json!({"status": "DELETED"}))),
            Goal::Deleted
        );
    }
}
