//! The provisioning API: its dependencies, built once per cold start, and its routes.

use std::sync::Arc;

use edgestack_aws::store::StackStore;
use edgestack_aws::workflow::Workflows;
use edgestack_domain::permissions::Permissions;
use lambda_http::{Body, Request, Response};

use crate::error::ApiError;
use crate::handlers;
use crate::identity::{self, IdentitySource};

pub struct App {
    pub store: Arc<dyn StackStore>,
    pub workflows: Arc<dyn Workflows>,
    pub permissions: Permissions,
    pub identity: IdentitySource,
}

enum Route<'a> {
    Stacks,
    Stack(&'a str),
}

/// The path's segments from `stacks` on. API Gateway may leave the stage in front of them
/// (`/prod/stacks/...`), cargo-lambda does not; both route the same way.
fn route(path: &str) -> Option<Route<'_>> {
    let segments: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).collect();
    let start = segments
        .iter()
        .position(|s| *s == "stacks")
        .filter(|i| *i <= 1)?;
    match &segments[start + 1..] {
        [] => Some(Route::Stacks),
        [id] => Some(Route::Stack(id)),
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
        let owner = identity::principal(self.identity, &req).ok_or(ApiError::Unauthenticated)?;
        match (route, method.as_str()) {
            (Route::Stacks, "POST") => handlers::create(self, &owner, &req).await,
            (Route::Stacks, "GET") => handlers::list(self, owner.as_str(), &req).await,
            (Route::Stack(id), "GET") => handlers::get(self, owner.as_str(), id).await,
            (Route::Stack(id), "DELETE") => handlers::delete(self, owner.as_str(), id).await,
            (Route::Stacks, _) => Err(ApiError::MethodNotAllowed {
                method,
                allow: "GET, POST",
            }),
            (Route::Stack(_), _) => Err(ApiError::MethodNotAllowed {
                method,
                allow: "GET, DELETE",
            }),
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
        assert!(matches!(route("/stacks"), Some(Route::Stacks)));
        assert!(matches!(route("/stacks/"), Some(Route::Stacks)));
        assert!(matches!(
            route("/prod/stacks/stk_x"),
            Some(Route::Stack("stk_x"))
        ));
        assert!(route("/").is_none());
        assert!(route("/a/b/stacks").is_none());
        assert!(route("/stacks/x/y").is_none());
    }
}
