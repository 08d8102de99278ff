//! `make demo`'s team API: the Lambda function behind `GET /greetings` of the team's Regional
//! REST API, through a Lambda proxy integration (`AWS_PROXY`), as the seed's prerequisite has
//! it. Not part of edgestack: the demo deploys it into the emulated account as a team would
//! deploy its own function, and edgestack only puts CloudFront in front of it.

use lambda_http::{run, service_fn, Body, Error, Request, RequestExt, Response};

/// Greets whoever `?name=` names, and says which stage and path API Gateway handed it, so that
/// a call through CloudFront shows the origin path arrived.
async fn greet(request: Request) -> Result<Response<Body>, Error> {
    let name = request
        .query_string_parameters_ref()
        .and_then(|q| q.first("name"))
        .unwrap_or("world")
        .to_owned();
    let context = request.request_context_ref();
    let stage = context.and_then(|c| match c {
        lambda_http::request::RequestContext::ApiGatewayV1(c) => c.stage.clone(),
        _ => None,
    });
    let body = serde_json::json!({
        "message": format!("Hello, {name}!"),
        "function": "greetings",
        "stage": stage,
        "path": request.uri().path(),
    });
    Ok(Response::builder()
        .status(200)
        .header("content-type", "application/json")
        .body(Body::Text(body.to_string()))?)
}

#[tokio::main]
async fn main() -> Result<(), Error> {
    run(service_fn(greet)).await
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use lambda_http::{Body, Request, RequestExt};

    use super::greet;

    fn text(body: &Body) -> serde_json::Value {
        match body {
            Body::Text(t) => serde_json::from_str(t).expect("JSON"),
            other => panic!("a text body, not {other:?}"),
        }
    }

    #[tokio::test]
    async fn greets_the_name_asked_for_or_the_world() {
        let asked = Request::default()
            .with_query_string_parameters(HashMap::from([("name".to_owned(), "team".to_owned())]));
        let answer = greet(asked).await.expect("an answer");
        assert_eq!(answer.status(), 200);
        assert_eq!(answer.headers()["content-type"], "application/json");
        assert_eq!(text(answer.body())["message"], "Hello, team!");
        let anyone = greet(Request::default()).await.expect("an answer");
        assert_eq!(text(anyone.body())["message"], "Hello, world!");
        assert_eq!(text(anyone.body())["function"], "greetings");
    }
}
