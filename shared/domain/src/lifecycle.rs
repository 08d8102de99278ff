//! A stack's lifecycle: the only code that changes its status. Each transition refuses what
//! must never happen; above all, a stack being deleted (or deleted) never goes back, whatever a
//! step that was still running when the `DELETE` came, or a failure recorder, does afterwards.
//!
//! ```text
//! PENDING ─begin_provisioning─▶ PROVISIONING ⇄ AWAITING_DNS ─mark_ready─▶ READY
//!    │                               │                                      │
//!    └─fail_to_start─▶ FAILED ◀─fail─┘                                      │
//!  any but DELETING/DELETED ─start_deleting─▶ DELETING ─mark_deleted─▶ DELETED
//!                                             │  ▲
//!                              fail_teardown ─┘  └─ start_deleting (from FAILED) / retry_deleting
//! ```

use std::fmt;

use crate::stack::{Stack, StackError, Status};

/// Why a transition was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// The stack is being deleted: its teardown owns it.
    Deleting,
    /// The stack is deleted.
    Deleted,
    /// The stack has failed: provisioning never goes on with it.
    Failed,
    /// The transition does not start from the stack's status.
    NotFrom(Status),
}

impl fmt::Display for Refusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Deleting => f.write_str("the stack is being deleted"),
            Self::Deleted => f.write_str("the stack is deleted"),
            Self::Failed => f.write_str("the stack has failed"),
            Self::NotFrom(status) => write!(f, "the stack is {}", status.as_str()),
        }
    }
}

impl std::error::Error for Refusal {}

impl Stack {
    pub fn status(&self) -> Status {
        self.status
    }

    /// Whether provisioning may go on: not for a stack being deleted or deleted (its teardown
    /// undoes it), nor for a failed one (an execution the API thought never started must not
    /// bring to life a stack whose name was freed).
    pub fn provisioning_may_go_on(&self) -> Result<(), Refusal> {
        match self.status {
            Status::Deleting => Err(Refusal::Deleting),
            Status::Deleted => Err(Refusal::Deleted),
            Status::Failed => Err(Refusal::Failed),
            _ => Ok(()),
        }
    }

    /// A provisioning step begins: `PENDING` becomes `PROVISIONING`.
    pub fn begin_provisioning(&mut self) -> Result<(), Refusal> {
        self.provisioning_may_go_on()?;
        if self.status == Status::Pending {
            self.status = Status::Provisioning;
        }
        Ok(())
    }

    /// The certificates wait for the owner's DNS: `PROVISIONING` becomes `AWAITING_DNS`. Any
    /// other status stays (a stack deleted meanwhile stays with its teardown).
    pub fn await_owner_dns(&mut self) {
        if self.status == Status::Provisioning {
            self.status = Status::AwaitingDns;
        }
    }

    /// The certificates are issued: `AWAITING_DNS` becomes `PROVISIONING` again.
    pub fn owner_dns_done(&mut self) {
        if self.status == Status::AwaitingDns {
            self.status = Status::Provisioning;
        }
    }

    /// Provisioning has ended: `READY`, with no error. Only from `PROVISIONING` or
    /// `AWAITING_DNS`: a stack deleted meanwhile stays with its teardown.
    pub fn mark_ready(&mut self) -> Result<(), Refusal> {
        match self.status {
            Status::Provisioning | Status::AwaitingDns => {
                self.status = Status::Ready;
                self.error = None;
                Ok(())
            }
            Status::Deleting => Err(Refusal::Deleting),
            Status::Deleted => Err(Refusal::Deleted),
            other => Err(Refusal::NotFrom(other)),
        }
    }

    /// Provisioning (or its rollback) failed: `FAILED`, with `error`. Refused for a stack
    /// being deleted or deleted: the teardown owns it, whatever provisioning left.
    pub fn fail(&mut self, error: StackError) -> Result<(), Refusal> {
        match self.status {
            Status::Deleting => Err(Refusal::Deleting),
            Status::Deleted => Err(Refusal::Deleted),
            _ => {
                self.status = Status::Failed;
                self.error = Some(error);
                Ok(())
            }
        }
    }

    /// The workflow never started: `PENDING` becomes `FAILED`. Refused once a step has moved
    /// the stack on (the execution runs after all).
    pub fn fail_to_start(&mut self, error: StackError) -> Result<(), Refusal> {
        if self.status != Status::Pending {
            return Err(Refusal::NotFrom(self.status));
        }
        self.status = Status::Failed;
        self.error = Some(error);
        Ok(())
    }

    /// A `DELETE`: `DELETING`, as the next teardown attempt. Refused while a teardown is under
    /// way and once deleted.
    pub fn start_deleting(&mut self) -> Result<(), Refusal> {
        match self.status {
            Status::Deleting => Err(Refusal::Deleting),
            Status::Deleted => Err(Refusal::Deleted),
            _ => {
                self.status = Status::Deleting;
                self.teardown_attempts += 1;
                Ok(())
            }
        }
    }

    /// Another teardown attempt of a stack stuck in `DELETING` whose attempt `seen` ended
    /// without finishing. Refused if anything moved meanwhile (another `DELETE` got there).
    pub fn retry_deleting(&mut self, seen: u32) -> Result<(), Refusal> {
        if self.status != Status::Deleting || self.teardown_attempts != seen {
            return Err(Refusal::NotFrom(self.status));
        }
        self.teardown_attempts += 1;
        Ok(())
    }

    /// The teardown failed and gave up: `DELETING` becomes `FAILED`, with `error`; a later
    /// `DELETE` starts again.
    pub fn fail_teardown(&mut self, error: StackError) -> Result<(), Refusal> {
        if self.status != Status::Deleting {
            return Err(Refusal::NotFrom(self.status));
        }
        self.status = Status::Failed;
        self.error = Some(error);
        Ok(())
    }

    /// The teardown has ended: `DELETING` becomes `DELETED`.
    pub fn mark_deleted(&mut self) -> Result<(), Refusal> {
        if self.status != Status::Deleting {
            return Err(Refusal::NotFrom(self.status));
        }
        self.status = Status::Deleted;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::timestamp::Timestamp;

    fn pending() -> Stack {
        let request = crate::request::StackRequest::from_json(&serde_json::json!({
            "api_id": "a1b2c3d4e5", "region": "eu-west-1", "stage": "prod"
        }))
        .expect("a valid request");
        Stack::new("arn:a".into(), request, Timestamp::now())
    }

    fn error(code: &str) -> StackError {
        StackError {
            code: code.into(),
            message: "m".into(),
            step: "s".into(),
            rolled_back: false,
        }
    }

    fn deleting() -> Stack {
        let mut stack = pending();
        stack.begin_provisioning().unwrap();
        stack.start_deleting().unwrap();
        stack
    }

    #[test]
    fn the_happy_path() {
        let mut stack = pending();
        stack.begin_provisioning().unwrap();
        assert_eq!(stack.status(), Status::Provisioning);
        stack.await_owner_dns();
        assert_eq!(stack.status(), Status::AwaitingDns);
        stack.owner_dns_done();
        stack.mark_ready().unwrap();
        assert_eq!(stack.status(), Status::Ready);
        stack.start_deleting().unwrap();
        assert_eq!(
            (stack.status(), stack.teardown_attempts),
            (Status::Deleting, 1)
        );
        stack.mark_deleted().unwrap();
        assert_eq!(stack.status(), Status::Deleted);
    }

    #[test]
    fn a_stack_being_deleted_never_goes_back() {
        let mut stack = deleting();
        assert_eq!(stack.begin_provisioning(), Err(Refusal::Deleting));
        stack.await_owner_dns();
        stack.owner_dns_done();
        assert_eq!(stack.mark_ready(), Err(Refusal::Deleting));
        assert_eq!(stack.fail(error("x")), Err(Refusal::Deleting));
        assert_eq!(
            stack.fail_to_start(error("x")),
            Err(Refusal::NotFrom(Status::Deleting))
        );
        assert_eq!(stack.start_deleting(), Err(Refusal::Deleting));
        assert_eq!(stack.status(), Status::Deleting);
        stack.mark_deleted().unwrap();
        for refused in [
            stack.begin_provisioning(),
            stack.mark_ready(),
            stack.fail(error("x")),
            stack.start_deleting(),
        ] {
            assert_eq!(refused, Err(Refusal::Deleted));
        }
        assert_eq!(stack.status(), Status::Deleted);
    }

    #[test]
    fn a_failed_stack_is_not_provisioned_but_may_be_deleted() {
        let mut stack = pending();
        stack.fail_to_start(error("workflow_not_started")).unwrap();
        assert_eq!(stack.begin_provisioning(), Err(Refusal::Failed));
        assert_eq!(stack.mark_ready(), Err(Refusal::NotFrom(Status::Failed)));
        stack.start_deleting().unwrap();
        assert_eq!(stack.status(), Status::Deleting);
    }

    #[test]
    fn a_start_that_failed_after_a_step_began_is_not_a_failure() {
        let mut stack = pending();
        stack.begin_provisioning().unwrap();
        assert_eq!(
            stack.fail_to_start(error("workflow_not_started")),
            Err(Refusal::NotFrom(Status::Provisioning))
        );
        assert_eq!(stack.status(), Status::Provisioning);
    }

    #[test]
    fn a_failed_teardown_may_be_started_again() {
        let mut stack = deleting();
        stack.fail_teardown(error("teardown_failed")).unwrap();
        assert_eq!(stack.status(), Status::Failed);
        stack.start_deleting().unwrap();
        assert_eq!(stack.teardown_attempts, 2);
        assert_eq!(
            stack.retry_deleting(1),
            Err(Refusal::NotFrom(Status::Deleting))
        );
        stack.retry_deleting(2).unwrap();
        assert_eq!(stack.teardown_attempts, 3);
    }

    #[test]
    fn the_owners_dns_wait_moves_only_a_provisioning_stack() {
        let mut stack = pending();
        stack.await_owner_dns();
        assert_eq!(
            stack.status(),
            Status::Pending,
            "not before provisioning began"
        );
        stack.begin_provisioning().unwrap();
        stack.owner_dns_done();
        assert_eq!(stack.status(), Status::Provisioning, "nothing to end");
        stack.mark_ready().unwrap();
        stack.await_owner_dns();
        assert_eq!(stack.status(), Status::Ready, "a READY stack stays READY");
    }
}
