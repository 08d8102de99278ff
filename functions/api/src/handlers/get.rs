//! `GET /stacks/{id}`.

use lambda_http::{Body, Response};

use super::owned;
use crate::app::{json_response, App};
use crate::error::{ApiError, ServiceFailure};
use crate::view::Expectations;

/// What `GET /stacks/{id}` can answer besides the stack.
#[derive(Debug, strum::EnumIter)]
pub enum GetRefusal {
    StackNotFound,
    Service(ServiceFailure),
}

impl From<GetRefusal> for ApiError {
    fn from(refusal: GetRefusal) -> Self {
        match refusal {
            GetRefusal::StackNotFound => Self::StackNotFound,
            GetRefusal::Service(failure) => failure.into(),
        }
    }
}

pub async fn get(app: &App, owner: &str, id: &str) -> Result<Response<Body>, GetRefusal> {
    let stack = owned(app, owner, id)
        .await?
        .ok_or(GetRefusal::StackNotFound)?;
    let expectations = Expectations::for_stacks(app, std::slice::from_ref(&stack)).await;
    Ok(json_response(200, &expectations.view(&stack)))
}
