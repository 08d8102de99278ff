//! The stack as `GET` answers it: the stored record, plus, while it provisions, when it is
//! expected to be READY (`expected_ready_at`), worked out at the moment of the answer from the
//! AWS durations the watcher observed and the account's queue at `CreateDomainName`.

use edgestack_domain::expectation::{expected_ready_at, ObservedDurations};
use edgestack_domain::stack::Stack;
use edgestack_domain::timestamp::Timestamp;
use serde::Serialize;

use crate::app::App;

/// The call whose queue a custom-domain stack waits in (`steps::pace`).
const QUEUED_CALL: &str = "apigateway:CreateDomainName";

#[derive(Debug, Serialize)]
pub struct StackView<'a> {
    #[serde(flatten)]
    pub stack: &'a Stack,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expected_ready_at: Option<Timestamp>,
}

/// What the expectations of one answer's stacks are worked out from, read once per answer.
pub struct Expectations {
    now: Timestamp,
    observed: ObservedDurations,
    next_turn: Option<Timestamp>,
}

impl Expectations {
    /// Reads what `stacks` need: nothing when none of them provisions. A read that fails
    /// leaves the answer without expectations, never fails it: the estimate is a courtesy.
    pub async fn for_stacks(app: &App, stacks: &[Stack]) -> Self {
        let now = Timestamp::now();
        let mut expectations = Self {
            now,
            observed: ObservedDurations::default(),
            next_turn: None,
        };
        if !stacks.iter().any(|s| s.status().is_provisioning()) {
            return expectations;
        }
        match app.store.observed_durations().await {
            Ok(observed) => expectations.observed = observed,
            Err(e) => tracing::warn!(error = %e, "could not read the observed durations"),
        }
        if stacks.iter().any(|s| s.request.custom_domain.is_some()) {
            match app.store.next_free_turn(QUEUED_CALL, now).await {
                Ok(turn) => expectations.next_turn = Some(turn),
                Err(e) => tracing::warn!(error = %e, "could not read the account's queue"),
            }
        }
        expectations
    }

    pub fn view<'a>(&self, stack: &'a Stack) -> StackView<'a> {
        StackView {
            stack,
            expected_ready_at: expected_ready_at(stack, self.now, &self.observed, self.next_turn),
        }
    }
}
