//! The provisioning API end to end: the real `api` function under cargo-lambda, moto's DynamoDB
//! and Step Functions. Every test acts as a principal of its own, so the tests run in parallel
//! without seeing each other's stacks. Needs the local stack: `make up` (or `make test`).

use std::collections::{HashMap, HashSet};

use edgestack_tests::{
    assert_error, assumed_role, eventually, random_suffix, stack_id, Api, Aws, API_REGION,
};
use serde_json::{json, Value};

/// A request whose API does not exist: the API accepts it (whether the API exists is the
/// workflow's first step to find out), and its workflow fails fast without creating anything.
fn minimal_body() -> Value {
    json!({ "api_id": "a1b2c3d4e5", "region": "eu-west-1", "stage": "prod" })
}

/// `minimal_body` with `field` set to `value` (`a.b` sets `b` inside the object `a`).
fn body_with(field: &str, value: Value) -> Value {
    let mut body = minimal_body();
    match field.split_once('.') {
        Some((outer, inner)) => {
            body[outer] = json!({});
            body[outer][inner] = value;
        }
        None => body[field] = value,
    }
    body
}

/// What a stack's status may be once accepted and before anyone deletes it.
const LIVE_STATUSES: &[&str] = &["PENDING", "PROVISIONING", "AWAITING_DNS", "READY", "FAILED"];
const ALL_STATUSES: &[&str] = &[
    "PENDING",
    "PROVISIONING",
    "AWAITING_DNS",
    "READY",
    "FAILED",
    "DELETING",
    "DELETED",
];

fn status_of(stack: &Value) -> String {
    stack["status"]
        .as_str()
        .unwrap_or_else(|| panic!("a stack without a status: {stack}"))
        .to_owned()
}

#[tokio::test]
async fn a_valid_request_is_stored_and_starts_its_workflow() {
    let aws = Aws::new().await;
    let api = Api::new();
    let api_id = aws
        .create_regional_rest_api(&format!("greetings-{}", random_suffix()))
        .await;
    let secret = format!("s3cret-{}", random_suffix());
    let body = json!({
        "name": "greetings-prod",
        "api_id": api_id,
        "region": API_REGION,
        "stage": "prod",
        "origin_headers": { "X-Origin-Verify": secret },
        "price_class": "PriceClass_100",
        "smoke_test_path": "/greetings",
        "tags": { "team": "payments" }
    });

    let reply = api
        .send(
            api.request(reqwest::Method::POST, "/stacks")
                .header("content-type", "application/json; charset=utf-8")
                .body(body.to_string()),
        )
        .await;
    let stack = reply.expect(202);
    let id = stack_id(&stack);
    assert!(id.starts_with("stk_"), "{id}");
    assert_eq!(
        reply.header("location"),
        Some(format!("/stacks/{id}").as_str())
    );
    assert!(
        reply
            .header("content-type")
            .unwrap_or_default()
            .starts_with("application/json"),
        "{:?}",
        reply.headers
    );
    assert!(
        LIVE_STATUSES.contains(&status_of(&stack).as_str()),
        "{stack}"
    );
    assert_eq!(stack["owner"], api.owner.as_str());
    assert_eq!(stack["request"]["api_id"], api_id.as_str());
    assert_eq!(stack["request"]["region"], API_REGION);
    assert_eq!(stack["request"]["stage"], "prod");
    assert_eq!(stack["request"]["tags"]["team"], "payments");
    // The documented defaults are filled in.
    assert_eq!(stack["request"]["auth"], "none");
    assert_eq!(stack["request"]["origin_path"], true);
    assert_eq!(stack["request"]["min_origin_tls"], "TLSv1.2");
    assert_eq!(stack["request"]["origin_headers"]["X-Origin-Verify"], "***");
    assert!(
        !reply.text.contains(&secret),
        "the secret was echoed: {}",
        reply.text
    );

    // Stored...
    let item = aws
        .stack_item(&id)
        .await
        .unwrap_or_else(|| panic!("no item STACK#{id} in the stacks table"));
    assert_eq!(
        item.get("owner").and_then(|v| v.as_s().ok()),
        Some(&api.owner)
    );
    // ...the secret nowhere in the stack's item, only in the secrets table...
    assert!(
        !format!("{item:?}").contains(&secret),
        "the stack's item holds the secret: {item:?}"
    );
    let kept = aws
        .secrets_item(&id)
        .await
        .unwrap_or_else(|| panic!("no item {id} in the secrets table"));
    assert_eq!(
        kept.get("values")
            .and_then(|v| v.as_m().ok())
            .and_then(|m| m.get("X-Origin-Verify"))
            .and_then(|v| v.as_s().ok()),
        Some(&secret)
    );
    // ...and its workflow started, as an execution named after the stack.
    let execution = aws
        .sfn
        .describe_execution()
        .execution_arn(aws.env().provision_execution_arn(&id))
        .send()
        .await
        .unwrap_or_else(|e| panic!("no provisioning execution for {id}: {e:?}"));
    assert_eq!(execution.name(), Some(id.as_str()));
    assert_eq!(
        execution.state_machine_arn(),
        aws.env().provision_state_machine_arn
    );

    // The stack reads back, its progress under way, the secret still masked.
    let reply = api.get(&format!("/stacks/{id}")).await;
    let read = reply.expect(200);
    assert_eq!(stack_id(&read), id);
    assert_eq!(read["owner"], api.owner.as_str());
    assert_eq!(read["created_at"], stack["created_at"]);
    assert!(LIVE_STATUSES.contains(&status_of(&read).as_str()), "{read}");
    assert_eq!(read["request"]["origin_headers"]["X-Origin-Verify"], "***");
    assert!(!reply.text.contains(&secret), "GET echoed the secret");

    let reply = api.get("/stacks").await;
    let listed = reply.expect(200);
    assert_eq!(
        listed["items"].as_array().map(Vec::len),
        Some(1),
        "{listed}"
    );
    assert_eq!(stack_id(&listed["items"][0]), id);
    assert!(
        !reply.text.contains(&secret),
        "GET /stacks echoed the secret"
    );
}

#[tokio::test]
async fn a_refused_request_never_shows_the_secret_it_carried() {
    let aws = Aws::new().await;
    let api = Api::new();
    let before = aws.execution_names().await;
    let secret = format!("s3cret-{}", random_suffix());
    let mut body = body_with("origin_headers", json!({ "X-Origin-Verify": secret }));
    body["region"] = json!("mars");
    // A value with a control character is refused: the problem must not quote it either.
    body["origin_headers"]["X-Other"] = json!(format!("{secret}\u{7}"));
    let reply = api.post_json("/stacks", &body).await;
    let fields = assert_error(&reply, 400, None);
    assert!(fields.contains(&"region".to_owned()), "{fields:?}");
    assert!(
        fields.contains(&"origin_headers.X-Other".to_owned()),
        "{fields:?}"
    );
    assert!(
        !reply.text.contains(&secret),
        "the secret was echoed: {}",
        reply.text
    );
    aws.assert_nothing_created(&api.owner, &before).await;
}

/// One bad value for every field of the request in api.md, each on its own.
#[tokio::test]
async fn every_invalid_field_is_refused_with_its_name() {
    let aws = Aws::new().await;
    let api = Api::new();
    let before = aws.execution_names().await;
    let cases: Vec<(&str, Value, &str)> = vec![
        ("api_id", json!("NOT-AN-ID"), "api_id"),
        ("api_id", json!(12345), "api_id"),
        ("region", json!("mars"), "region"),
        ("stage", json!("a/b"), "stage"),
        ("stage", json!(""), "stage"),
        ("auth", json!("oauth"), "auth"),
        ("origin_path", json!("yes"), "origin_path"),
        ("custom_domain", json!("api.example.com"), "custom_domain"),
        (
            "custom_domain.name",
            json!("*.example.com"),
            "custom_domain.name",
        ),
        (
            "custom_domain.name",
            json!("not a domain"),
            "custom_domain.name",
        ),
        ("origin_headers", json!(["X-A", "b"]), "origin_headers"),
        ("min_origin_tls", json!("TLSv9"), "min_origin_tls"),
        ("price_class", json!("PriceClass_Cheap"), "price_class"),
        ("smoke_test_path", json!("greetings"), "smoke_test_path"),
        ("name", json!("not a label!"), "name"),
        ("tags", json!("team=payments"), "tags"),
    ];
    for (field, value, named) in cases {
        let body = body_with(field, value.clone());
        let reply = api.post_json("/stacks", &body).await;
        let fields = assert_error(&reply, 400, None);
        assert_eq!(fields, [named], "{field} = {value}: {}", reply.text);
    }

    // Fields inside objects are named by their path.
    let mut body = body_with(
        "custom_domain",
        json!({ "name": "api.example.com", "hosted_zone_id": "lower-case" }),
    );
    body["origin_headers"] = json!({ "Host": "x", "X-Empty": "" });
    body["tags"] = json!({ "aws:reserved": "1", "ok": ["not", "a", "string"] });
    let reply = api.post_json("/stacks", &body).await;
    let mut fields = assert_error(&reply, 400, None);
    fields.sort();
    assert_eq!(
        fields,
        [
            "custom_domain.hosted_zone_id",
            "origin_headers.Host",
            "origin_headers.X-Empty",
            "tags.aws:reserved",
            "tags.ok"
        ],
        "{}",
        reply.text
    );

    aws.assert_nothing_created(&api.owner, &before).await;
}

#[tokio::test]
async fn several_invalid_fields_are_all_named_at_once() {
    let aws = Aws::new().await;
    let api = Api::new();
    let before = aws.execution_names().await;
    let body = json!({
        "api_id": "NOPE", "region": "mars", "stage": "a/b", "auth": "oauth",
        "origin_path": "yes", "custom_domain": { "name": "*.example.com" },
        "min_origin_tls": "SSLv3", "price_class": "cheap", "smoke_test_path": "greetings",
        "colour": "blue"
    });
    let reply = api
        .post_json_with_key("/stacks", &body, &random_suffix())
        .await;
    let fields: HashSet<String> = assert_error(&reply, 400, None).into_iter().collect();
    let expected: HashSet<String> = [
        "api_id",
        "region",
        "stage",
        "auth",
        "origin_path",
        "custom_domain.name",
        "min_origin_tls",
        "price_class",
        "smoke_test_path",
        "colour",
    ]
    .map(String::from)
    .into();
    assert_eq!(fields, expected, "{}", reply.text);

    // Missing required fields are named too.
    let reply = api.post_json("/stacks", &json!({})).await;
    let fields: HashSet<String> = assert_error(&reply, 400, None).into_iter().collect();
    assert_eq!(
        fields,
        ["api_id", "region", "stage"].map(String::from).into(),
        "{}",
        reply.text
    );
    aws.assert_nothing_created(&api.owner, &before).await;
}

#[tokio::test]
async fn an_unknown_field_is_refused_with_its_name() {
    let aws = Aws::new().await;
    let api = Api::new();
    let before = aws.execution_names().await;
    let reply = api
        .post_json("/stacks", &body_with("min_tls", json!("TLSv1.2")))
        .await;
    assert_eq!(
        assert_error(&reply, 400, None),
        ["min_tls"],
        "{}",
        reply.text
    );
    let reply = api
        .post_json(
            "/stacks",
            &body_with(
                "custom_domain",
                json!({ "name": "api.example.com", "zone": "Z1" }),
            ),
        )
        .await;
    assert_eq!(
        assert_error(&reply, 400, None),
        ["custom_domain.zone"],
        "{}",
        reply.text
    );
    aws.assert_nothing_created(&api.owner, &before).await;
}

#[tokio::test]
async fn sslv3_is_refused() {
    let aws = Aws::new().await;
    let api = Api::new();
    let before = aws.execution_names().await;
    let reply = api
        .post_json("/stacks", &body_with("min_origin_tls", json!("SSLv3")))
        .await;
    assert_eq!(
        assert_error(&reply, 400, None),
        ["min_origin_tls"],
        "{}",
        reply.text
    );
    aws.assert_nothing_created(&api.owner, &before).await;

    // Every version the contract allows is accepted.
    for version in ["TLSv1.2", "TLSv1.1", "TLSv1"] {
        let stack = api
            .create_stack(&body_with("min_origin_tls", json!(version)))
            .await;
        assert_eq!(stack["request"]["min_origin_tls"], version);
    }
}

#[tokio::test]
async fn malformed_json_is_refused_as_malformed_json() {
    let aws = Aws::new().await;
    let api = Api::new();
    let before = aws.execution_names().await;
    for body in [
        r#"{"api_id": "a1b2c3d4e5", "region": "#,
        "",
        "not json at all",
    ] {
        let reply = api
            .post_raw("/stacks", Some("application/json"), body.to_owned())
            .await;
        assert_error(&reply, 400, Some("malformed_json"));
    }
    // JSON, but not an object.
    let reply = api.post_json("/stacks", &json!(["a1b2c3d4e5"])).await;
    assert_eq!(assert_error(&reply, 400, None).len(), 1, "{}", reply.text);
    aws.assert_nothing_created(&api.owner, &before).await;
}

#[tokio::test]
async fn a_body_that_is_not_declared_json_is_415() {
    let aws = Aws::new().await;
    let api = Api::new();
    let before = aws.execution_names().await;
    let valid = minimal_body().to_string();
    for content_type in [
        Some("text/plain"),
        Some("application/x-www-form-urlencoded"),
        None,
    ] {
        let reply = api.post_raw("/stacks", content_type, valid.clone()).await;
        assert_error(&reply, 415, None);
    }
    aws.assert_nothing_created(&api.owner, &before).await;
}

#[tokio::test]
async fn a_body_over_64_kib_is_413() {
    let aws = Aws::new().await;
    let api = Api::new();
    let before = aws.execution_names().await;
    // Valid JSON, just too large.
    let mut body = minimal_body();
    body["name"] = json!("x".repeat(64 * 1024 + 1));
    let reply = api.post_json("/stacks", &body).await;
    assert_error(&reply, 413, None);
    aws.assert_nothing_created(&api.owner, &before).await;
}

#[tokio::test]
async fn an_idempotent_retry_returns_the_same_stack_and_one_workflow() {
    let aws = Aws::new().await;
    let api = Api::new();
    let key = format!("retry-{}", random_suffix());
    let body = body_with("tags", json!({ "attempt": "first" }));

    let first = api.post_json_with_key("/stacks", &body, &key).await;
    let stack = first.expect(202);
    let id = stack_id(&stack);
    assert_ne!(first.header("idempotent-replayed"), Some("true"));

    // The same key and the same body (as a retry after a lost answer would send).
    let retry = api.post_json_with_key("/stacks", &body, &key).await;
    let replayed = retry.expect(202);
    assert_eq!(stack_id(&replayed), id);
    assert_eq!(retry.header("idempotent-replayed"), Some("true"));
    assert_eq!(
        retry.header("location"),
        Some(format!("/stacks/{id}").as_str())
    );
    assert_eq!(replayed["created_at"], stack["created_at"]);

    // The same key with another body is a conflict, and changes nothing.
    let other = body_with("tags", json!({ "attempt": "second" }));
    let reply = api.post_json_with_key("/stacks", &other, &key).await;
    assert_error(&reply, 409, Some("idempotency_key_reused"));

    // One stack, one execution.
    assert_eq!(
        aws.stack_ids_of(&api.owner).await,
        HashSet::from([id.clone()])
    );
    assert_eq!(api.list_ids(&[]).await, vec![id.clone()]);
    let ours = aws
        .provision_execution_names()
        .await
        .into_iter()
        .filter(|name| *name == id)
        .count();
    assert_eq!(ours, 1, "executions named {id}");

    // A key belongs to its principal: another one using it gets a stack of its own.
    let stranger = Api::new();
    let reply = stranger.post_json_with_key("/stacks", &body, &key).await;
    let theirs = reply.expect(202);
    assert_ne!(stack_id(&theirs), id);
    assert_eq!(theirs["owner"], stranger.owner.as_str());
    assert_ne!(reply.header("idempotent-replayed"), Some("true"));

    // A new key is a new request.
    let again = api
        .post_json_with_key("/stacks", &body, &format!("retry-{}", random_suffix()))
        .await
        .expect(202);
    assert_ne!(stack_id(&again), id);
    assert_eq!(aws.stack_ids_of(&api.owner).await.len(), 2);
}

#[tokio::test]
async fn another_principal_can_neither_see_nor_delete_a_stack() {
    let owner = Api::new();
    let stranger = Api::new();
    let stack = owner.create_stack(&minimal_body()).await;
    let id = stack_id(&stack);
    let path = format!("/stacks/{id}");

    let reply = stranger.get(&path).await;
    assert_error(&reply, 404, None);
    let not_found_code = reply.json()["error"]["code"].clone();
    assert!(!reply.text.contains(&owner.owner), "{}", reply.text);
    let reply = stranger.delete(&path).await;
    assert_error(&reply, 404, None);
    assert!(stranger.list_ids(&[]).await.is_empty());
    for status in ALL_STATUSES {
        assert!(
            !stranger.list_ids(&[("status", status)]).await.contains(&id),
            "listed to a stranger with status={status}"
        );
    }

    // Indistinguishable from a stack that does not exist at all.
    let reply = stranger.get("/stacks/stk_aaaaaaaaaaaaaaaaaaaa").await;
    assert_error(&reply, 404, None);
    assert_eq!(reply.json()["error"]["code"], not_found_code);

    // The owner's stack is untouched by the stranger's delete.
    let read = owner.get(&path).await.expect(200);
    assert!(LIVE_STATUSES.contains(&status_of(&read).as_str()), "{read}");
    assert_eq!(owner.list_ids(&[]).await, vec![id.clone()]);

    // The owner may delete it.
    let deleted = owner.delete(&path).await.expect(202);
    assert_eq!(stack_id(&deleted), id);
    assert_eq!(status_of(&deleted), "DELETING");
}

#[tokio::test]
async fn listing_returns_every_stack_once_newest_first() {
    let api = Api::new();
    let mut created = Vec::new();
    for i in 0..7 {
        let stack = api
            .create_stack(&body_with("name", json!(format!("stack-{i}"))))
            .await;
        created.push((
            stack["created_at"].as_str().expect("created_at").to_owned(),
            stack_id(&stack),
        ));
    }
    // Newest first: by created_at, then by id, both descending.
    created.sort();
    created.reverse();
    let expected: Vec<String> = created.into_iter().map(|(_, id)| id).collect();

    let pages = api.list_pages(&[("limit", "2")]).await;
    let sizes: Vec<usize> = pages.iter().map(Vec::len).collect();
    assert_eq!(sizes, [2, 2, 2, 1], "page sizes");
    let listed: Vec<Value> = pages.into_iter().flatten().collect();
    let ids: Vec<String> = listed.iter().map(stack_id).collect();
    assert_eq!(ids, expected, "every stack once, newest first");
    let keys: Vec<(String, String)> = listed
        .iter()
        .map(|s| (s["created_at"].as_str().unwrap().to_owned(), stack_id(s)))
        .collect();
    assert!(
        keys.windows(2).all(|w| w[0] > w[1]),
        "not ordered by (created_at, id) descending: {keys:?}"
    );
    for stack in &listed {
        assert_eq!(stack["owner"], api.owner.as_str());
    }

    // One page with everything; the default page size holds all seven.
    assert_eq!(api.list_ids(&[("limit", "100")]).await, expected);
    let all = api.get("/stacks").await.expect(200);
    assert_eq!(all["items"].as_array().map(Vec::len), Some(7));
    assert!(all["next_token"].is_null(), "{all}");
}

#[tokio::test]
async fn listing_filters_by_status() {
    let api = Api::new();
    let mut ids = Vec::new();
    for _ in 0..4 {
        ids.push(stack_id(&api.create_stack(&minimal_body()).await));
    }
    // Two deletions, so that the stacks are in different states.
    for id in &ids[..2] {
        let deleted = api.delete(&format!("/stacks/{id}")).await.expect(202);
        assert_eq!(status_of(&deleted), "DELETING");
    }

    // The workflows move the stacks on meanwhile: compare each filtered list with the stacks'
    // statuses read just before and just after it, until nothing moved in between.
    let (api, ids) = (&api, &ids);
    let statuses = move || async move {
        let mut statuses = HashMap::new();
        for id in ids {
            let stack = api.get(&format!("/stacks/{id}")).await.expect(200);
            statuses.insert(id.clone(), status_of(&stack));
        }
        statuses
    };
    let (statuses, filtered) = eventually(
        "a moment when no stack changed status",
        move || async move {
            let before = statuses().await;
            let mut filtered = HashMap::new();
            for status in ALL_STATUSES {
                let pages = api.list_pages(&[("status", status), ("limit", "1")]).await;
                let items: Vec<Value> = pages.into_iter().flatten().collect();
                for item in &items {
                    assert_eq!(status_of(item), *status, "status={status} listed {item}");
                }
                let ids: HashSet<String> = items.iter().map(stack_id).collect();
                filtered.insert(status.to_string(), ids);
            }
            (statuses().await == before).then_some((before, filtered))
        },
    )
    .await;
    for status in ALL_STATUSES {
        let expected: HashSet<String> = statuses
            .iter()
            .filter(|(_, s)| s == status)
            .map(|(id, _)| id.clone())
            .collect();
        assert_eq!(filtered[*status], expected, "status={status}");
    }
    for id in &ids[..2] {
        assert!(
            ["DELETING", "DELETED"].contains(&statuses[id].as_str()),
            "{id} was deleted, yet is {}",
            statuses[id]
        );
    }
}

#[tokio::test]
async fn bad_list_parameters_are_refused_with_their_names() {
    let api = Api::new();
    for (query, field) in [
        ("limit=0", "limit"),
        ("limit=101", "limit"),
        ("limit=two", "limit"),
        ("limit=-1", "limit"),
        ("status=RUNNING", "status"),
        ("next_token=not-a-token", "next_token"),
    ] {
        let reply = api.get(&format!("/stacks?{query}")).await;
        assert_eq!(
            assert_error(&reply, 400, None),
            [field],
            "{query}: {}",
            reply.text
        );
    }
    let reply = api
        .get("/stacks?limit=0&status=RUNNING&next_token=not-a-token")
        .await;
    let fields: HashSet<String> = assert_error(&reply, 400, None).into_iter().collect();
    assert_eq!(
        fields,
        ["limit", "status", "next_token"].map(String::from).into(),
        "{}",
        reply.text
    );
}

#[tokio::test]
async fn a_domain_outside_the_callers_permissions_is_403() {
    let aws = Aws::new().await;
    let api = Api::new();
    let before = aws.execution_names().await;
    let body = body_with("custom_domain.name", json!("api.forbidden.test"));
    let reply = api.post_json("/stacks", &body).await;
    assert_eq!(
        assert_error(&reply, 403, None),
        ["custom_domain.name"],
        "{}",
        reply.text
    );
    aws.assert_nothing_created(&api.owner, &before).await;

    // The policy allows example.com and example.org, and names under them.
    for name in ["api.example.com", "api.team.example.org"] {
        let stack = api
            .create_stack(&body_with("custom_domain.name", json!(name)))
            .await;
        assert_eq!(stack["request"]["custom_domain"]["name"], name);
    }
}

#[tokio::test]
async fn unknown_stacks_answer_with_the_error_shape() {
    let api = Api::new();
    assert_error(&api.get("/stacks/not-a-stack-id").await, 404, None);
    assert_error(
        &api.get("/stacks/stk_aaaaaaaaaaaaaaaaaaaa").await,
        404,
        None,
    );
    assert_error(
        &api.delete("/stacks/stk_aaaaaaaaaaaaaaaaaaaa").await,
        404,
        None,
    );
}

/// API Gateway names a caller that signed with an assumed role's credentials by its session,
/// which changes per login and per CI run. The role owns what its sessions create: the next
/// session reads, lists and deletes it; a session of another role sees none of it.
#[tokio::test]
async fn two_sessions_of_one_role_share_its_stacks_and_another_role_sees_none() {
    let role = format!("ci-{}", random_suffix());
    let yesterday = Api::as_principal(&assumed_role(&role));
    let today = Api::as_principal(&assumed_role(&role));
    let elsewhere = Api::new();
    assert_ne!(yesterday.principal, today.principal);

    let stack = yesterday.create_stack(&minimal_body()).await;
    let id = stack_id(&stack);
    assert_eq!(
        stack["owner"],
        format!("arn:aws:iam::123456789012:role/{role}"),
        "the role owns it, not the session: {stack}"
    );
    let path = format!("/stacks/{id}");

    assert_eq!(stack_id(&today.get(&path).await.expect(200)), id);
    assert_eq!(today.list_ids(&[]).await, std::slice::from_ref(&id));
    assert_error(&elsewhere.get(&path).await, 404, None);
    assert_error(&elsewhere.delete(&path).await, 404, None);
    assert!(elsewhere.list_ids(&[]).await.is_empty());

    let deleting = today.delete(&path).await.expect(202);
    assert_eq!(status_of(&deleting), "DELETING", "{deleting}");
    let seen = yesterday.get(&path).await.expect(200);
    assert!(
        ["DELETING", "DELETED"].contains(&status_of(&seen).as_str()),
        "{seen}"
    );
}
