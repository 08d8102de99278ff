//! Who is calling: the IAM principal that API Gateway's IAM authorizer put in the request
//! context, as the owner it acts for (a role for its sessions: `Principal`). Locally, the data
//! plane's API Gateway puts it there the same way, from the credentials that signed the request.

use edgestack_domain::validated::Principal;
use lambda_http::request::RequestContext;
use lambda_http::{Request, RequestExt};

pub fn principal(req: &Request) -> Option<Principal> {
    caller(req).map(|arn| Principal::from_caller(&arn))
}

/// The caller's ARN as the request context carries it.
fn caller(req: &Request) -> Option<String> {
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

#[cfg(test)]
mod tests {
    use lambda_http::aws_lambda_events::apigw::ApiGatewayProxyRequestContext;
    use lambda_http::Body;

    use super::*;

    const SESSION: &str = "arn:aws:sts::123456789012:assumed-role/team-payments/ci-run-42";

    const ROLE: &str = "arn:aws:iam::123456789012:role/team-payments";

    #[test]
    fn api_gateway_names_an_assumed_role_caller_by_its_session_and_the_role_owns() {
        let mut context = ApiGatewayProxyRequestContext::default();
        context.identity.user_arn = Some(SESSION.into());
        let req = lambda_http::http::Request::builder()
            .uri("/stacks")
            .body(Body::Empty)
            .expect("a request")
            .with_request_context(RequestContext::ApiGatewayV1(context));
        assert_eq!(caller(&req).as_deref(), Some(SESSION));
        assert_eq!(
            principal(&req).map(|p| p.to_string()),
            Some(ROLE.to_owned())
        );
    }

    #[test]
    fn a_request_without_a_caller_in_its_context_has_no_principal() {
        let req = lambda_http::http::Request::builder()
            .uri("/stacks")
            .body(Body::Empty)
            .expect("a request")
            .with_request_context(RequestContext::ApiGatewayV1(
                ApiGatewayProxyRequestContext::default(),
            ));
        assert_eq!(principal(&req), None);
        let bare = lambda_http::http::Request::builder()
            .uri("/stacks")
            .header("x-edgestack-principal", SESSION)
            .body(Body::Empty)
            .expect("a request");
        assert_eq!(principal(&bare), None, "a header names no one");
    }
}
