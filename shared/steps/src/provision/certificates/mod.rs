//! Recipe step 2: ACM certificates for the custom domain, in us-east-1 (CloudFront's) and in
//! the API's region (the Regional custom domain's), validated through DNS; then waits for ACM to issue them.

use crate::StepError;
use edgestack_domain::stack::Stack;

mod check;
mod request;
#[cfg(test)]
mod tests;
mod validation_record;

pub use check::{certificate_statuses, certificates_issued, handle_await, on_issued};
pub use request::handle_request;
pub use validation_record::{create_cname, validation_record_state, ValidationRecordState};

pub const REQUEST_STEP: &str = "request_certificates";
pub const AWAIT_STEP: &str = "await_certificate_validation";

/// ACM's idempotency token (at most 32 word characters), derived from the stack: a retried
/// request within an hour returns the same certificate instead of a second one.
pub fn idempotency_token(stack: &Stack) -> String {
    stack.id.as_str().replace('_', "")
}

fn domain(stack: &Stack) -> Result<&str, StepError> {
    stack
        .request
        .custom_domain
        .as_ref()
        .map(|d| d.name.as_str())
        .ok_or_else(|| {
            StepError::Internal("certificates for a stack without a custom domain".into())
        })
}
