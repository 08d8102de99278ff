//! Through the distribution, as a team's client calls it: for each shape of stack, a client
//! following the stack's outputs (its `endpoint_url`, and `signing` for `auth: iam`) gets the
//! API's own answer (the MOCK integration's body) through the local data plane, which routes
//! by `Host` as CloudFront and API Gateway do and verifies SigV4 as API Gateway does. An
//! unsigned call to an `AWS_IAM` method and a call signed for another path get API Gateway's
//! 403. Needs the local stack (`make up`).

use edgestack_tests::edge::{self, call_as_outputs_say, endpoint_host, sigv4_headers, Signing};
use edgestack_tests::{status, Shape, Team, GREETINGS_BODY, PRIVATE_BODY};
use serde_json::Value;

async fn ready(team: &Team, body: &Value) -> Value {
    let id = team
        .create(&edgestack_tests::StackSpec {
            body: body.clone(),
            secret: String::new(),
        })
        .await;
    let watch = team.api.watch_until_status(&id, "READY").await;
    let stack = watch.last().clone();
    assert_eq!(status(&stack), "READY", "{stack}");
    stack
}

fn same_json(reply: &edgestack_tests::Reply, expected: &str) {
    assert_eq!(reply.status, 200, "{}", reply.text);
    let got: Value = serde_json::from_str(&reply.text).expect("a JSON answer");
    let want: Value = serde_json::from_str(expected).expect("JSON");
    assert_eq!(got, want);
    assert!(
        reply.header("x-amzn-requestid").is_some(),
        "the answer is API Gateway's"
    );
}

/// An unsigned call, and one signed for a path other than the one called, get API Gateway's 403.
async fn signature_is_checked(stack: &Value, path: &str) {
    let host = endpoint_host(stack);
    let unsigned = edge::get(&host, path, &[]).await;
    assert_eq!(unsigned.status, 403, "unsigned: {}", unsigned.text);
    assert!(
        unsigned.text.contains("Missing Authentication Token"),
        "{}",
        unsigned.text
    );
    let signing = Signing::of(stack);
    let elsewhere = sigv4_headers(
        &signing.host,
        &format!("{}/greetings", signing.path_prefix),
        &signing,
    );
    let wrong = edge::get(&host, path, &elsewhere).await;
    assert_eq!(wrong.status, 403, "signed for another path: {}", wrong.text);
    assert!(
        wrong
            .text
            .contains("signature we calculated does not match"),
        "{}",
        wrong.text
    );
}

#[tokio::test]
async fn an_open_api_without_custom_domain_answers_through_the_distribution() {
    let team = Team::new().await;
    let stack = ready(&team, &team.request(Shape::Plain).body).await;
    same_json(
        &call_as_outputs_say(&stack, "/greetings").await,
        GREETINGS_BODY,
    );
}

/// The trap recipe.md names: with an origin path, CloudFront prepends the stage after the
/// client signed, so the client must sign `/{stage}{path}` for the execute-api host, as the
/// outputs say.
#[tokio::test]
async fn an_iam_api_behind_an_origin_path_answers_a_client_signing_as_the_outputs_say() {
    let team = Team::signing().await;
    let mut body = team.request(Shape::Iam).body;
    body["origin_path"] = true.into();
    body["smoke_test_path"] = "/private".into();
    let stack = ready(&team, &body).await;
    let signing = Signing::of(&stack);
    assert_eq!(signing.path_prefix, "/prod", "{stack}");
    assert_eq!(
        signing.host,
        format!(
            "{}.execute-api.{}.amazonaws.com",
            team.api_id,
            edgestack_tests::API_REGION
        )
    );
    same_json(&call_as_outputs_say(&stack, "/private").await, PRIVATE_BODY);
    signature_is_checked(&stack, "/private").await;
    let naive = sigv4_headers(&signing.host, "/private", &signing);
    let reply = edge::get(&endpoint_host(&stack), "/private", &naive).await;
    assert_eq!(
        reply.status, 403,
        "signing the path as called, without the origin path, is refused: {}",
        reply.text
    );
    assert!(
        reply
            .text
            .contains("signature we calculated does not match"),
        "{}",
        reply.text
    );
}

#[tokio::test]
async fn an_iam_api_without_origin_path_answers_a_client_signing_as_the_outputs_say() {
    let team = Team::signing().await;
    let stack = ready(&team, &team.request(Shape::Iam).body).await;
    assert_eq!(Signing::of(&stack).path_prefix, "", "{stack}");
    same_json(
        &call_as_outputs_say(&stack, "/prod/private").await,
        PRIVATE_BODY,
    );
    signature_is_checked(&stack, "/prod/private").await;
}

#[tokio::test]
async fn an_iam_api_on_a_custom_domain_answers_a_client_signing_the_custom_domain() {
    let team = Team::signing().await;
    let mut body = team.request(Shape::CustomDomain).body;
    body["auth"] = "iam".into();
    body["smoke_test_path"] = "/private".into();
    let stack = ready(&team, &body).await;
    let signing = Signing::of(&stack);
    assert_eq!(signing.host, team.domain(), "{stack}");
    assert_eq!(signing.path_prefix, "", "{stack}");
    same_json(&call_as_outputs_say(&stack, "/private").await, PRIVATE_BODY);
    same_json(
        &call_as_outputs_say(&stack, "/greetings").await,
        GREETINGS_BODY,
    );
    signature_is_checked(&stack, "/private").await;
}

/// The smoke test is no confused deputy: with the default grant's `"*"`, a team may put a
/// distribution in front of another team's IAM-protected API, but edgestack does not sign for
/// it (its signature would let the team read that API's answers). Unsigned, the smoke test
/// gets API Gateway's own 403, which still shows the distribution reaches the API.
#[tokio::test]
async fn the_smoke_test_does_not_sign_for_an_api_the_grant_names_only_through_a_star() {
    let owner_of_the_api = Team::signing().await;
    let other = Team::new().await;
    let mut body = other.request(Shape::Iam).body;
    body["api_id"] = owner_of_the_api.api_id.as_str().into();
    body["smoke_test_path"] = "/prod/private".into();
    let stack = ready(&other, &body).await;
    let smoke = &stack["outputs"]["smoke_test"];
    assert_eq!(smoke["signed"], false, "{stack}");
    assert_eq!(smoke["status_code"], 403, "{stack}");
    let detail = edgestack_tests::step(&stack, "smoke_test")
        .and_then(|s| s["detail"].as_str())
        .unwrap_or_default()
        .to_owned();
    assert!(
        detail.contains("unsigned") && detail.contains("permissions policy"),
        "the step says why it did not sign: {stack}"
    );

    // The API's own team, whose grant names it, gets a signed smoke test of the same path.
    let own = ready(
        &owner_of_the_api,
        &owner_of_the_api.request(Shape::Iam).body,
    )
    .await;
    let smoke = &own["outputs"]["smoke_test"];
    assert_eq!(
        (smoke["signed"].clone(), smoke["status_code"].clone()),
        (true.into(), 200.into()),
        "{own}"
    );
}
