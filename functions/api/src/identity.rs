//! Who is calling: the IAM principal that API Gateway's IAM authorizer put in the request
//! context. On the local stack only, a caller may name itself in `X-Edgestack-Principal`.

use lambda_http::request::RequestContext;
use lambda_http::{Request, RequestExt};

pub const PRINCIPAL_HEADER: &str = "x-edgestack-principal";
/// The caller the local stack assumes when a request names none.
pub const DEFAULT_LOCAL_PRINCIPAL: &str = "arn:aws:iam::123456789012:user/local-developer";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IdentitySource {
    /// Deployed: only API Gateway's authorizer says who calls.
    RequestContext,
    /// The local stack: the header, else the default local principal.
    LocalHeader,
}

pub fn principal(source: IdentitySource, req: &Request) -> Option<String> {
    match source {
        IdentitySource::RequestContext => from_context(req),
        IdentitySource::LocalHeader => Some(
            req.headers()
                .get(PRINCIPAL_HEADER)
                .and_then(|v| v.to_str().ok())
                .map(str::trim)
                .filter(|v| !v.is_empty())
                .unwrap_or(DEFAULT_LOCAL_PRINCIPAL)
                .to_owned(),
        ),
    }
}

fn from_context(req: &Request) -> Option<String> {
    let arn = match req.request_context_ref()? {
        RequestContext::ApiGatewayV1(ctx) => ctx.identity.user_arn.clone(),
        RequestContext::ApiGatewayV2(ctx) => ctx
            .authorizer
            .as_ref()
            .and_then(|a| a.iam.as_ref())
            .and_then(|iam| iam.user_arn.clone()),
        _ => None,
    };
    arn.filter(|a| !a.is_empty())
}
