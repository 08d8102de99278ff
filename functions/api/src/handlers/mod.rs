//! One module per operation of the contract in `api.md`. Each handler returns its own refusal
//! type, so what an operation can answer is a type: `crate::operations` lists them for the
//! router and the contract test, and `crate::error` maps each to its status in one place.

mod create;
mod delete;
mod get;
mod list;

pub use create::{create, CreateRefusal, MAX_BODY_BYTES};
pub use delete::{delete, DeleteRefusal};
pub use get::{get, GetRefusal};
pub use list::{list, ListRefusal, DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE, QUERY_PARAMETERS};

use edgestack_aws::store::StoreError;
use edgestack_aws::workflow::WorkflowError;
use edgestack_domain::stack::{Stack, StackId};
use lambda_http::{Body, Response};

use crate::app::{json_response, App};
use crate::error::ServiceFailure;

/// `202 Accepted` with the stack and where to poll it.
fn accepted(stack: &Stack) -> Response<Body> {
    let mut response = json_response(202, stack);
    let location = format!("/stacks/{}", stack.id);
    response.headers_mut().insert(
        "location",
        location
            .parse()
            .expect("a stack id is a valid header value"),
    );
    response
}

/// The caller's own stack, or `None`: another caller's stack does not exist for this one.
async fn owned(app: &App, owner: &str, raw_id: &str) -> Result<Option<Stack>, StoreError> {
    let Some(id) = StackId::parse(raw_id) else {
        return Ok(None);
    };
    Ok(app
        .store
        .get(&id)
        .await?
        .map(|found| found.value)
        .filter(|stack| stack.owner == owner))
}

/// Every operation's refusals take what any request may meet in the store and the workflow
/// engine as `Service`.
macro_rules! refusals_include_service_failures {
    ($($refusal:ident),+) => {$(
        impl From<ServiceFailure> for $refusal {
            fn from(failure: ServiceFailure) -> Self {
                Self::Service(failure)
            }
        }

        impl From<StoreError> for $refusal {
            fn from(err: StoreError) -> Self {
                Self::Service(err.into())
            }
        }

        impl From<WorkflowError> for $refusal {
            fn from(err: WorkflowError) -> Self {
                Self::Service(err.into())
            }
        }
    )+};
}

refusals_include_service_failures!(CreateRefusal, DeleteRefusal, GetRefusal, ListRefusal);
