//! The provisioning API: its dependencies, built once per cold start, and its routes.

use std::sync::Arc;

use edgestack_aws::store::StackStore;
use edgestack_aws::workflow::Workflows;
use edgestack_domain::permissions::Permissions;
use lambda_http::{Body, Request, Response};
use percent_encoding::percent_decode_str;

use crate::error::ApiError;
use crate::handlers;
use crate::identity;
use crate::operations::{Operation, STACK, STACKS};

pub struct App {
    pub store: Arc<dyn StackStore>,
    pub workflows: Arc<dyn Workflows>,
    pub permissions: Permissions,
}

/// A request's path as one of the API's paths (`crate::operations`), with the stack id it
/// names, if any.
#[derive(Debug, PartialEq)]
pub(crate) struct Route {
    pub path: &'static str,
    pub id: Option<String>,
}

/// The path's segments from `stacks` on. A REST API's event may carry the stage in front of them
/// (`/prod/stacks/...`) or not; both route the same way. The path arrives still percent-encoded,
/// as the client sent it, while API Gateway matched the resource on the decoded segments: each
/// segment is decoded after the split (so `%2F` stays in its segment), and `/stacks/stk%5Fx`
/// names the same stack as `/stacks/stk_x`. What does not decode to UTF-8 names no stack.
pub(crate) fn route(path: &str) -> Option<Route> {
    let segments: Vec<String> = path
        .split('/')
        .filter(|s| !s.is_empty())
        .map(|s| percent_decode_str(s).decode_utf8_lossy().into_owned())
        .collect();
    let start = segments
        .iter()
        .position(|s| s == "stacks")
        .filter(|i| *i <= 1)?;
    match &segments[start + 1..] {
        [] => Some(Route {
            path: STACKS,
            id: None,
        }),
        [id] => Some(Route {
            path: STACK,
            id: Some(id.clone()),
        }),
        _ => None,
    }
}

impl App {
    pub async fn handle(&self, req: Request) -> Response<Body> {
        let method = req.method().clone();
        let path = req.uri().path().to_owned();
        let result = self.dispatch(req).await;
        let response = result.unwrap_or_else(ApiError::into_response);
        tracing::info!(%method, %path, status = response.status().as_u16(), "request");
        response
    }

    async fn dispatch(&self, req: Request) -> Result<Response<Body>, ApiError> {
        let path = req.uri().path().to_owned();
        let Some(route) = route(&path) else {
            return Err(ApiError::RouteNotFound(path));
        };
        let method = req.method().as_str().to_owned();
        let owner = identity::principal(&req).ok_or(ApiError::Unauthenticated)?;
        let Some(operation) = Operation::find(route.path, &method) else {
            return Err(ApiError::MethodNotAllowed {
                method,
                allow: Operation::allowed_on(route.path),
            });
        };
        // Only the paths with `{id}` carry one, and only their operations read it.
        let id = route.id.unwrap_or_default();
        let id = id.as_str();
        let owner_arn = owner.as_str();
        match operation {
            Operation::CreateStack => Ok(handlers::create(self, &owner, &req).await?),
            Operation::ListStacks => Ok(handlers::list(self, owner_arn, &req).await?),
            Operation::GetStack => Ok(handlers::get(self, owner_arn, id).await?),
            Operation::DeleteStack => Ok(handlers::delete(self, owner_arn, id).await?),
        }
    }
}

pub fn json_response(status: u16, body: &impl serde::Serialize) -> Response<Body> {
    let text = serde_json::to_string(body).expect("API bodies always serialise");
    Response::builder()
        .status(status)
        .header("content-type", "application/json")
        .body(Body::from(text))
        .expect("a status and a static header always build")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn routes_with_and_without_a_stage_prefix() {
        let stacks = Route {
            path: STACKS,
            id: None,
        };
        assert_eq!(route("/stacks"), Some(stacks));
        assert_eq!(route("/stacks/").map(|r| r.path), Some(STACKS));
        assert_eq!(
            route("/prod/stacks/stk_x"),
            Some(Route {
                path: STACK,
                id: Some("stk_x".into())
            })
        );
        assert_eq!(
            route("/prod/stacks/stk%5Fx").and_then(|r| r.id).as_deref(),
            Some("stk_x")
        );
        assert_eq!(route("/%73tacks").map(|r| r.path), Some(STACKS));
        assert_eq!(
            route("/stacks/a%2Fb").and_then(|r| r.id).as_deref(),
            Some("a/b")
        );
        // Control characters stay in the id, which then names no stack: never the list.
        assert_eq!(
            route("/stacks/%1E%0C").and_then(|r| r.id).as_deref(),
            Some("\u{1e}\u{c}")
        );
        assert!(route("/").is_none());
        assert!(route("/a/b/stacks").is_none());
        assert!(route("/stacks/x/y").is_none());
    }
}
