//! `GET /stacks`: the caller's stacks, newest first, a page at a time.

use edgestack_aws::store::{Cursor, ListQuery};
use edgestack_domain::stack::Status;
use edgestack_domain::validated::FieldError;
use lambda_http::{Body, Request, RequestExt, Response};
use serde_json::json;

use crate::app::{json_response, App};
use crate::error::{ApiError, ServiceFailure};
use crate::view::Expectations;

/// The query parameters `GET /stacks` knows; any other is refused by name.
pub const QUERY_PARAMETERS: [&str; 3] = ["status", "limit", "next_token"];
pub const DEFAULT_PAGE_SIZE: usize = 20;
pub const MAX_PAGE_SIZE: usize = 100;

/// What `GET /stacks` can answer besides a page.
#[derive(Debug, strum::EnumIter)]
pub enum ListRefusal {
    Validation(Vec<FieldError>),
    Service(ServiceFailure),
}

impl From<ListRefusal> for ApiError {
    fn from(refusal: ListRefusal) -> Self {
        match refusal {
            ListRefusal::Validation(problems) => Self::Validation(problems),
            ListRefusal::Service(failure) => failure.into(),
        }
    }
}

pub async fn list(app: &App, owner: &str, req: &Request) -> Result<Response<Body>, ListRefusal> {
    let params = req.query_string_parameters();
    let mut problems = Vec::new();
    for (name, _) in params.iter() {
        if !QUERY_PARAMETERS.contains(&name) {
            problems.push(FieldError::new(
                name,
                "is not a known query parameter; use status, limit or next_token",
            ));
        }
    }
    let status = match params.first("status") {
        None | Some("") => None,
        Some(raw) => Status::parse(raw).or_else(|| {
            let names: Vec<&str> = Status::ALL.iter().map(|s| s.as_str()).collect();
            problems.push(FieldError::new(
                "status",
                format!("must be one of {}", names.join(", ")),
            ));
            None
        }),
    };
    let limit = match params.first("limit") {
        None | Some("") => DEFAULT_PAGE_SIZE,
        Some(raw) => match raw.parse::<usize>() {
            Ok(n) if (1..=MAX_PAGE_SIZE).contains(&n) => n,
            _ => {
                problems.push(FieldError::new(
                    "limit",
                    format!("must be a whole number from 1 to {MAX_PAGE_SIZE}"),
                ));
                DEFAULT_PAGE_SIZE
            }
        },
    };
    let after = match params.first("next_token") {
        None | Some("") => None,
        Some(raw) => Cursor::decode(raw).or_else(|| {
            problems.push(FieldError::new(
                "next_token",
                "is not a token this API returned",
            ));
            None
        }),
    };
    if !problems.is_empty() {
        return Err(ListRefusal::Validation(problems));
    }
    let page = app
        .store
        .list(&ListQuery {
            owner: owner.to_owned(),
            status,
            limit,
            after,
        })
        .await?;
    let expectations = Expectations::for_stacks(app, &page.items).await;
    let items: Vec<_> = page.items.iter().map(|s| expectations.view(s)).collect();
    Ok(json_response(
        200,
        &json!({ "items": items, "next_token": page.next.map(|c| c.encode()) }),
    ))
}
