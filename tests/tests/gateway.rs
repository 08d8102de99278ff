//! edgestack's API as deployed, behind API Gateway (the local data plane serves the REST API
//! local/stacks_api.py made from infra/template.yaml): the caller is whoever signed, and API
//! Gateway's own answers come from the template's GatewayResponses in the contract's error
//! shape. Needs the local stack (`make up`).

use edgestack_tests::{
    assert_error, assumed_role, random_suffix, session_credentials, session_credentials_with,
    stack_id, Api,
};
use serde_json::json;

fn minimal_body() -> serde_json::Value {
    json!({"api_id": "a1b2c3d4e5", "region": "eu-west-1", "stage": "prod"})
}

/// The role owns what a session of it creates: a second session, with credentials of its own,
/// reads it back and lists it.
#[tokio::test]
async fn a_stack_made_with_one_session_of_a_role_is_read_by_another_session_of_it() {
    let role = format!("team-{}", random_suffix());
    let (first, second) = (assumed_role(&role), assumed_role(&role));
    let made_by = Api::with_credentials(&first, session_credentials(&first).await);
    let read_by = Api::with_credentials(&second, session_credentials(&second).await);
    let stack = made_by.create_stack(&minimal_body()).await;
    assert_eq!(
        stack["owner"],
        format!("arn:aws:iam::123456789012:role/{role}"),
        "{stack}"
    );
    let id = stack_id(&stack);
    let read = read_by.get(&format!("/stacks/{id}")).await.expect(200);
    assert_eq!(read["owner"], stack["owner"]);
    // The same path percent-encoded is the same stack, as API Gateway matched it.
    let encoded = read_by
        .get(&format!("/stacks/{}", id.replacen('_', "%5F", 1)))
        .await
        .expect(200);
    assert_eq!(encoded["id"], read["id"]);
    assert_eq!(read_by.list_ids(&[]).await, vec![id]);
}

/// API Gateway answers before the function runs: an unsigned call, a bad signature, a caller
/// IAM does not allow, a body over its 10 MB. Each comes in the error shape, with the status
/// the template's GatewayResponses give it.
#[tokio::test]
async fn api_gateways_own_refusals_come_in_the_error_shape() {
    let api = Api::new();
    let unsigned = api
        .send_unsigned(api.request(reqwest::Method::GET, "/stacks"))
        .await;
    assert_error(&unsigned, 401, Some("unauthenticated"));
    assert_eq!(
        unsigned.json()["error"]["message"],
        "Missing Authentication Token"
    );

    let principal = assumed_role(&format!("team-{}", random_suffix()));
    let real = session_credentials(&principal).await;
    let forged = aws_credential_types::Credentials::new(
        real.access_key_id(),
        "not-the-secret",
        real.session_token().map(str::to_owned),
        None,
        "forged",
    );
    let wrong = Api::with_credentials(&principal, forged)
        .get("/stacks")
        .await;
    assert_error(&wrong, 401, Some("unauthenticated"));
    assert!(
        wrong.json()["error"]["message"]
            .as_str()
            .unwrap_or_default()
            .starts_with("The request signature we calculated does not match"),
        "{}",
        wrong.text
    );

    let outsider = assumed_role(&format!("no-invoke-{}", random_suffix()));
    let denied = Api::with_credentials(&outsider, session_credentials_with(&outsider, None).await)
        .get("/stacks")
        .await;
    let fields = assert_error(&denied, 403, Some("forbidden"));
    assert!(fields.is_empty());
    assert!(
        denied
            .text
            .contains("is not authorized to perform: execute-api:Invoke"),
        "{}",
        denied.text
    );

    let huge = vec![b'x'; 10 * 1024 * 1024 + 1];
    let too_large = api
        .post_raw("/stacks", Some("application/json"), huge)
        .await;
    assert_error(&too_large, 413, Some("payload_too_large"));
}

/// A path or method the API does not have is API Gateway's "Missing Authentication Token"
/// even when signed (the function never runs), as deployed; a stack the caller does not have
/// is the function's 404.
#[tokio::test]
async fn routes_the_api_lacks_are_api_gateways_answer_and_unknown_stacks_the_functions() {
    let api = Api::new();
    assert_error(
        &api.get("/nothing-here").await,
        401,
        Some("unauthenticated"),
    );
    let put = api.send(api.request(reqwest::Method::PUT, "/stacks")).await;
    assert_error(&put, 401, Some("unauthenticated"));
    assert_error(
        &api.get("/stacks/stk_aaaaaaaaaaaaaaaaaaaa").await,
        404,
        Some("stack_not_found"),
    );
    // Control characters in the id are still a stack the caller does not have, never the list:
    // the function routes the path as API Gateway matched it.
    assert_error(
        &api.get("/stacks/%1E%0C").await,
        404,
        Some("stack_not_found"),
    );
}
