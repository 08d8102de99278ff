//! Watching a stack: every state it was seen in while it was waited for, and reading its steps.

use super::*;

/// Whether one of the stack's steps is still under way (running, or waiting between polls).
pub fn has_step_under_way(stack: &Value) -> bool {
    stack["steps"].as_array().is_some_and(|steps| {
        steps
            .iter()
            .any(|s| s["status"] == "RUNNING" || s["status"] == "WAITING")
    })
}

/// Whether the stack's rollback (or teardown) has run to its end: its last step finished.
pub fn undo_finished(stack: &Value) -> bool {
    step(stack, "finish_teardown").is_some_and(|s| s["status"] == "SUCCEEDED")
}

/// A state no workflow moves a stack out of by itself: READY, DELETED, or FAILED once its
/// rollback (or failed teardown) has ended.
pub fn is_settled(stack: &Value) -> bool {
    match stack["status"].as_str() {
        Some("READY" | "DELETED") => true,
        Some("FAILED") => {
            let error = &stack["error"];
            (error["rolled_back"] == true && undo_finished(stack))
                || error["code"] == "workflow_not_started"
                || (error["code"] == "teardown_failed" && !has_step_under_way(stack))
        }
        _ => false,
    }
}

/// What one caller saw of a stack while waiting for it: every distinct state, in order, and
/// every answer's text (to show that no answer carried a secret).
#[derive(Debug, Default)]
pub struct Watch {
    pub snapshots: Vec<Value>,
    pub texts: Vec<String>,
}

impl Watch {
    fn record(&mut self, stack: Value, text: String) {
        if self.snapshots.last() != Some(&stack) {
            self.snapshots.push(stack);
        }
        self.texts.push(text);
    }

    /// The stack as last seen.
    pub fn last(&self) -> &Value {
        self.snapshots
            .last()
            .expect("a watch sees the stack at least once")
    }

    /// Whether some state seen satisfies `pred`.
    pub fn saw(&self, pred: impl Fn(&Value) -> bool) -> bool {
        self.snapshots.iter().any(pred)
    }

    /// The values of `field` (`status`, `phase`) in the order seen, each change once.
    pub fn sequence(&self, field: &str) -> Vec<String> {
        let mut seen: Vec<String> = Vec::new();
        for stack in &self.snapshots {
            let value = stack[field].as_str().unwrap_or_default().to_owned();
            if seen.last() != Some(&value) {
                seen.push(value);
            }
        }
        seen
    }

    /// Asserts that no answer carried `secret`.
    pub fn assert_never_showed(&self, secret: &str) {
        for text in &self.texts {
            assert!(
                !text.contains(secret),
                "an API answer showed a secret origin header value: {text}"
            );
        }
    }
}

/// The step record named `name` of a stack, if it has one.
pub fn step<'a>(stack: &'a Value, name: &str) -> Option<&'a Value> {
    stack["steps"]
        .as_array()?
        .iter()
        .find(|s| s["name"] == name)
}

/// The names of a stack's step records, in order.
pub fn step_names(stack: &Value) -> Vec<String> {
    stack["steps"]
        .as_array()
        .map(|steps| {
            steps
                .iter()
                .map(|s| s["name"].as_str().unwrap_or_default().to_owned())
                .collect()
        })
        .unwrap_or_default()
}

/// The stack's status.
pub fn status(stack: &Value) -> &str {
    stack["status"].as_str().unwrap_or_default()
}

pub(crate) fn summary(stack: &Value) -> String {
    serde_json::to_string_pretty(stack).unwrap_or_else(|_| stack.to_string())
}

impl Api {
    /// Polls `GET /stacks/{id}` until `done` holds for the stack, recording what it saw.
    /// Panics, showing the stack, when it settles (READY, DELETED, FAILED and rolled back)
    /// without `done` holding, or when [`PATIENCE`] runs out.
    pub async fn watch(&self, id: &str, what: &str, done: impl Fn(&Value) -> bool) -> Watch {
        self.watch_every(POLL_EVERY, id, what, done).await
    }

    /// [`Api::watch`], reading the stack every `interval`: to catch a state that lasts only a
    /// moment.
    pub async fn watch_every(
        &self,
        interval: Duration,
        id: &str,
        what: &str,
        done: impl Fn(&Value) -> bool,
    ) -> Watch {
        let log = RefCell::new(Watch::default());
        let (log_ref, done, path) = (&log, &done, &format!("/stacks/{id}"));
        let outcome = try_eventually_every(interval, move || async move {
            let reply = self.get(path).await;
            let stack = reply.expect(200);
            log_ref.borrow_mut().record(stack.clone(), reply.text);
            if done(&stack) {
                Some(true)
            } else if is_settled(&stack) {
                Some(false)
            } else {
                None
            }
        })
        .await;
        let watch = log.into_inner();
        match outcome {
            Some(true) => watch,
            Some(false) => panic!(
                "stack {id} settled before {what}; statuses seen {:?}, phases seen {:?}; \
                 it is now:\n{}",
                watch.sequence("status"),
                watch.sequence("phase"),
                summary(watch.last())
            ),
            None => panic!(
                "gave up waiting for {what} after {PATIENCE:?}; statuses seen {:?}, phases \
                 seen {:?}; stack {id} is now:\n{}",
                watch.sequence("status"),
                watch.sequence("phase"),
                summary(watch.last())
            ),
        }
    }

    /// Waits until the stack is `status`.
    pub async fn watch_until_status(&self, id: &str, wanted: &str) -> Watch {
        self.watch(id, &format!("stack {id} to be {wanted}"), |s| {
            status(s) == wanted
        })
        .await
    }

    /// Waits until the stack is `FAILED`, rolled back, and its rollback ran to its last step.
    pub async fn watch_until_rolled_back(&self, id: &str) -> Watch {
        self.watch(id, &format!("stack {id} to fail and be rolled back"), |s| {
            status(s) == "FAILED" && s["error"]["rolled_back"] == true && undo_finished(s)
        })
        .await
    }
}
