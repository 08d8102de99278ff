//! The API's logic against the in-memory store and a recording workflow starter: no emulator.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use edgestack_aws::store::{MemoryStore, StackStore};
use edgestack_aws::workflow::{WorkflowError, Workflows};
use edgestack_domain::permissions::Permissions;
use edgestack_domain::stack::StackId;
use lambda_http::aws_lambda_events::apigw::ApiGatewayProxyRequestContext;
use lambda_http::request::RequestContext;
use lambda_http::{Body, Request, RequestExt};
use serde_json::{json, Value};

use crate::app::{route, App};
use crate::operations::Operation;

#[derive(Default)]
struct RecordingWorkflows {
    calls: Mutex<Vec<String>>,
    fail_starts: bool,
    /// Starts fail without a clear answer (a timeout, a lost answer).
    unclear_starts: bool,
    /// What `provisioning_exists` answers after an unclear start.
    execution_exists: bool,
    /// Teardown executions that have ended: `(stack id, attempt)`.
    ended_teardowns: Mutex<Vec<(String, u32)>>,
}

impl RecordingWorkflows {
    fn record(&self, what: &str, id: &StackId) -> Result<(), WorkflowError> {
        self.calls.lock().unwrap().push(format!("{what} {id}"));
        if (self.fail_starts || self.unclear_starts) && what != "stop" {
            return Err(WorkflowError {
                action: "started",
                message: "injected".into(),
                outcome_unknown: self.unclear_starts,
            });
        }
        Ok(())
    }
    fn calls(&self) -> Vec<String> {
        self.calls.lock().unwrap().clone()
    }
}

#[async_trait]
impl Workflows for RecordingWorkflows {
    async fn start_provisioning(&self, id: &StackId) -> Result<(), WorkflowError> {
        self.record("provision", id)
    }
    async fn stop_provisioning(&self, id: &StackId) -> Result<(), WorkflowError> {
        self.record("stop", id)
    }
    async fn start_teardown(
        &self,
        id: &StackId,
        attempt: u32,
        after_provisioning: bool,
    ) -> Result<(), WorkflowError> {
        assert!(attempt >= 1, "teardown attempts count from 1");
        let settle = if after_provisioning { "+settle" } else { "" };
        self.record(&format!("teardown#{attempt}{settle}"), id)
    }
    async fn teardown_ended(&self, id: &StackId, attempt: u32) -> Result<bool, WorkflowError> {
        Ok(self
            .ended_teardowns
            .lock()
            .unwrap()
            .contains(&(id.to_string(), attempt)))
    }
    async fn provisioning_exists(&self, id: &StackId) -> Result<bool, WorkflowError> {
        self.calls.lock().unwrap().push(format!("exists? {id}"));
        Ok(self.execution_exists)
    }
}

struct Harness {
    app: App,
    store: Arc<MemoryStore>,
    workflows: Arc<RecordingWorkflows>,
}

fn harness_with(workflows: RecordingWorkflows) -> Harness {
    let store = Arc::new(MemoryStore::new());
    let workflows = Arc::new(workflows);
    let permissions = Permissions::from_json(
        r#"{"default": {"domain_suffixes": ["example.com"], "hosted_zone_ids": ["*"], "api_ids": ["*"]}}"#,
    )
    .unwrap();
    Harness {
        app: App {
            store: store.clone(),
            workflows: workflows.clone(),
            permissions,
        },
        store,
        workflows,
    }
}

fn harness() -> Harness {
    harness_with(RecordingWorkflows::default())
}

fn valid_body() -> Value {
    json!({"api_id": "a1b2c3d4e5", "region": "eu-west-1", "stage": "prod",
        "origin_headers": {"X-Origin-Verify": "sup3r-s3cret"}})
}

fn request(method: &str, uri: &str, principal: &str, body: Option<String>) -> Request {
    let (path, query) = uri.split_once('?').unwrap_or((uri, ""));
    let mut builder = http::Request::builder().method(method).uri(path);
    if body.is_some() {
        builder = builder.header("content-type", "application/json");
    }
    let params: HashMap<String, String> = url_pairs(query);
    builder
        .body(body.map(Body::from).unwrap_or(Body::Empty))
        .unwrap()
        .with_query_string_parameters(params)
        .with_request_context(as_api_gateway_names(principal))
}

/// The request context API Gateway's IAM authorizer hands the function for `caller`.
fn as_api_gateway_names(caller: &str) -> RequestContext {
    let mut context = ApiGatewayProxyRequestContext::default();
    context.identity.user_arn = Some(caller.to_owned());
    RequestContext::ApiGatewayV1(context)
}

fn url_pairs(query: &str) -> HashMap<String, String> {
    query
        .split('&')
        .filter(|p| !p.is_empty())
        .filter_map(|p| p.split_once('='))
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect()
}

async fn call(h: &Harness, req: Request) -> (u16, Value, http::HeaderMap) {
    let operation = route(req.uri().path())
        .and_then(|route| Operation::find(route.path, req.method().as_str()));
    let response = h.app.handle(req).await;
    let status = response.status().as_u16();
    let headers = response.headers().clone();
    let body = match response.into_body() {
        Body::Text(t) => serde_json::from_str(&t).unwrap(),
        other => panic!("unexpected body {other:?}"),
    };
    if let Some(operation) = operation {
        assert_declared(operation, status, &body, &headers);
    }
    (status, body, headers)
}

/// Every answer a test sees is one its operation declares (`crate::operations`, which the
/// contract test holds openapi.yaml to): its success with only the declared headers, or one of
/// its refusals.
fn assert_declared(operation: Operation, status: u16, body: &Value, headers: &http::HeaderMap) {
    if status == operation.success() {
        for name in headers.keys() {
            assert!(
                name == "content-type" || operation.success_headers().contains(&name.as_str()),
                "{operation:?} answered {status} with the undeclared header {name}"
            );
        }
        return;
    }
    let code = body["error"]["code"].as_str().unwrap_or_default();
    assert!(
        operation
            .refusals()
            .iter()
            .any(|refusal| refusal.code() == code && refusal.status() == status),
        "{operation:?} answered {status} {code}, which it does not declare: {body}"
    );
}

async fn post(h: &Harness, principal: &str, body: &Value) -> (u16, Value, http::HeaderMap) {
    call(
        h,
        request("POST", "/stacks", principal, Some(body.to_string())),
    )
    .await
}

fn error_fields(body: &Value) -> Vec<String> {
    body["error"]["details"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["field"].as_str().unwrap().to_owned())
        .collect()
}

async fn stored_count(h: &Harness, owner: &str) -> usize {
    let query = edgestack_aws::store::ListQuery {
        owner: owner.into(),
        status: None,
        limit: 100,
        after: None,
    };
    h.store.list(&query).await.unwrap().items.len()
}

#[tokio::test]
async fn a_valid_request_is_stored_and_starts_provisioning() {
    let h = harness();
    let (status, body, headers) = post(&h, "arn:a", &valid_body()).await;
    assert_eq!(status, 202, "{body}");
    let id = body["id"].as_str().unwrap();
    assert_eq!(headers["location"], format!("/stacks/{id}").as_str());
    assert_eq!(body["status"], "PENDING");
    assert_eq!(body["owner"], "arn:a");
    assert_eq!(body["request"]["origin_headers"]["X-Origin-Verify"], "***");
    assert!(!body.to_string().contains("sup3r-s3cret"));
    assert_eq!(h.workflows.calls(), [format!("provision {id}")]);
    let id = StackId::parse(id).unwrap();
    let stored = h.store.get(&id).await.unwrap().unwrap().value;
    assert_eq!(
        stored
            .request
            .origin_headers
            .values()
            .next()
            .unwrap()
            .expose(),
        "***",
        "the stack never holds the value"
    );
    let values = h.store.origin_header_values(&id).await.unwrap();
    assert_eq!(
        values.get("X-Origin-Verify").map(|v| v.expose()),
        Some("sup3r-s3cret"),
        "kept apart, for the step that sends it to CloudFront"
    );
}

#[tokio::test]
async fn a_stack_that_never_started_keeps_no_secret() {
    let h = harness_with(RecordingWorkflows {
        fail_starts: true,
        ..Default::default()
    });
    let (status, _, _) = post(&h, "arn:a", &valid_body()).await;
    assert_eq!(status, 503);
    let (_, listed, _) = call(&h, request("GET", "/stacks", "arn:a", None)).await;
    let id = StackId::parse(listed["items"][0]["id"].as_str().unwrap()).unwrap();
    assert!(h.store.origin_header_values(&id).await.unwrap().is_empty());
}

#[tokio::test]
async fn bad_requests_create_nothing_and_say_why() {
    let h = harness();
    let cases: Vec<(Request, u16, &str)> = vec![
        (
            request("POST", "/stacks", "arn:a", Some("{not json".into())),
            400,
            "malformed_json",
        ),
        (
            request(
                "POST",
                "/stacks",
                "arn:a",
                Some(json!({"api_id": 1, "colour": "x"}).to_string()),
            ),
            400,
            "validation_failed",
        ),
        (
            request("POST", "/stacks", "arn:a", Some("x".repeat(70_000))),
            413,
            "payload_too_large",
        ),
        (
            http::Request::builder()
                .method("POST")
                .uri("/stacks")
                .header("content-type", "text/plain")
                .body(Body::from(valid_body().to_string()))
                .unwrap()
                .with_request_context(as_api_gateway_names("arn:a")),
            415,
            "unsupported_media_type",
        ),
        (
            request("PUT", "/stacks", "arn:a", None),
            405,
            "method_not_allowed",
        ),
        (
            request("GET", "/nothing", "arn:a", None),
            404,
            "route_not_found",
        ),
    ];
    for (req, want_status, want_code) in cases {
        let (status, body, _) = call(&h, req).await;
        assert_eq!(
            (status, body["error"]["code"].as_str().unwrap()),
            (want_status, want_code),
            "{body}"
        );
        assert!(body["error"]["message"]
            .as_str()
            .is_some_and(|m| !m.is_empty()));
    }
    assert_eq!(stored_count(&h, "arn:a").await, 0);
    assert!(h.workflows.calls().is_empty());
}

#[tokio::test]
async fn every_invalid_field_is_named_at_once() {
    let h = harness();
    let (status, body, _) = post(&h, "arn:a", &json!({"api_id": "X", "region": "nowhere", "stage": "", "min_origin_tls": "SSLv3", "extra": 1})).await;
    assert_eq!(status, 400);
    assert_eq!(
        error_fields(&body),
        ["extra", "api_id", "region", "stage", "min_origin_tls"]
    );
}

#[tokio::test]
async fn a_bad_idempotency_key_is_named_with_the_bad_fields_of_the_body() {
    let h = harness();
    let mut req = request(
        "POST",
        "/stacks",
        "arn:a",
        Some(json!({"api_id": "X", "region": "eu-west-1", "stage": "prod"}).to_string()),
    );
    req.headers_mut()
        .insert("idempotency-key", "k".repeat(300).parse().unwrap());
    let (status, body, _) = call(&h, req).await;
    assert_eq!(status, 400);
    assert_eq!(error_fields(&body), ["api_id", "Idempotency-Key"]);

    let mut req = request("POST", "/stacks", "arn:a", Some(valid_body().to_string()));
    req.headers_mut()
        .insert("idempotency-key", "".parse().unwrap());
    let (status, body, _) = call(&h, req).await;
    assert_eq!(status, 400);
    assert_eq!(error_fields(&body), ["Idempotency-Key"]);

    // A tab is a valid header character but not a printable one, as the contract's pattern says.
    let mut req = request("POST", "/stacks", "arn:a", Some(valid_body().to_string()));
    req.headers_mut()
        .insert("idempotency-key", "a\tb".parse().unwrap());
    let (status, body, _) = call(&h, req).await;
    assert_eq!(status, 400);
    assert_eq!(error_fields(&body), ["Idempotency-Key"]);
    assert_eq!(stored_count(&h, "arn:a").await, 0);

    // A space is printable: such a key is accepted.
    let mut req = request("POST", "/stacks", "arn:a", Some(valid_body().to_string()));
    req.headers_mut()
        .insert("idempotency-key", "a b ~".parse().unwrap());
    let (status, _, _) = call(&h, req).await;
    assert_eq!(status, 202);
}

#[tokio::test]
async fn a_principal_outside_the_policy_is_refused_with_what_was_refused() {
    let h = harness();
    let mut body = valid_body();
    body["custom_domain"] = json!({"name": "api.elsewhere.net"});
    let (status, body, _) = post(&h, "arn:a", &body).await;
    assert_eq!(status, 403);
    assert_eq!(error_fields(&body), ["custom_domain.name"]);
    assert_eq!(stored_count(&h, "arn:a").await, 0);
}

#[tokio::test]
async fn a_request_whose_context_names_no_caller_is_401() {
    let h = harness();
    let req = request(
        "POST",
        "/stacks",
        "arn:ignored",
        Some(valid_body().to_string()),
    )
    .with_request_context(RequestContext::ApiGatewayV1(
        ApiGatewayProxyRequestContext::default(),
    ));
    let (status, body, _) = call(&h, req).await;
    assert_eq!(status, 401, "no caller in the request context: {body}");
}

#[tokio::test]
async fn an_idempotent_retry_returns_the_same_stack_and_starts_nothing_new() {
    let h = harness();
    let send = |body: Value, key: &str| {
        let mut req = request("POST", "/stacks", "arn:a", Some(body.to_string()));
        req.headers_mut()
            .insert("idempotency-key", key.parse().unwrap());
        req
    };
    let (s1, first, _) = call(&h, send(valid_body(), "k1")).await;
    let (s2, second, headers) = call(&h, send(valid_body(), "k1")).await;
    assert_eq!((s1, s2), (202, 202));
    assert_eq!(first["id"], second["id"]);
    assert_eq!(headers["idempotent-replayed"], "true");
    assert_eq!(stored_count(&h, "arn:a").await, 1);

    let mut other = valid_body();
    other["stage"] = json!("dev");
    let (s3, body, _) = call(&h, send(other, "k1")).await;
    assert_eq!(
        (s3, body["error"]["code"].as_str().unwrap()),
        (409, "idempotency_key_reused")
    );
    assert_eq!(stored_count(&h, "arn:a").await, 1);
}

#[tokio::test]
async fn a_replay_never_answers_with_a_stack_of_another_owner() {
    let h = harness();
    let send = || {
        let mut req = request("POST", "/stacks", "arn:a", Some(valid_body().to_string()));
        req.headers_mut()
            .insert("idempotency-key", "k1".parse().unwrap());
        req
    };
    let (_, first, _) = call(&h, send()).await;
    let id = StackId::parse(first["id"].as_str().unwrap()).unwrap();
    // However the key came to lead elsewhere, the stack it leads to is another owner's now.
    edgestack_aws::store::modify(h.store.as_ref(), &id, |s| {
        s.owner = "arn:b".into();
        Ok::<_, edgestack_aws::store::StoreError>(())
    })
    .await
    .unwrap();
    let (status, body, _) = call(&h, send()).await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (409, Some("idempotency_key_reused")),
        "{body}"
    );
    assert!(!body.to_string().contains(id.as_str()), "{body}");
}

#[tokio::test]
async fn another_principal_neither_sees_nor_deletes_a_stack() {
    let h = harness();
    let (_, created, _) = post(&h, "arn:a", &valid_body()).await;
    let uri = format!("/stacks/{}", created["id"].as_str().unwrap());
    assert_eq!(call(&h, request("GET", &uri, "arn:b", None)).await.0, 404);
    assert_eq!(
        call(&h, request("DELETE", &uri, "arn:b", None)).await.0,
        404
    );
    let (_, listed, _) = call(&h, request("GET", "/stacks", "arn:b", None)).await;
    assert_eq!(listed["items"], json!([]));
    assert_eq!(call(&h, request("GET", &uri, "arn:a", None)).await.0, 200);
    assert_eq!(
        call(&h, request("GET", "/stacks/stk_nonsense", "arn:a", None))
            .await
            .0,
        404
    );
}

#[tokio::test]
async fn pages_hold_every_stack_exactly_once_newest_first() {
    let h = harness();
    let mut created = Vec::new();
    for _ in 0..7 {
        created.push(
            post(&h, "arn:a", &valid_body()).await.1["id"]
                .as_str()
                .unwrap()
                .to_owned(),
        );
    }
    post(&h, "arn:b", &valid_body()).await;
    let mut seen = Vec::new();
    let mut token: Option<String> = None;
    loop {
        let uri = match &token {
            Some(t) => format!("/stacks?limit=3&next_token={t}"),
            None => "/stacks?limit=3".to_owned(),
        };
        let (status, page, _) = call(&h, request("GET", &uri, "arn:a", None)).await;
        assert_eq!(status, 200, "{page}");
        for stack in page["items"].as_array().unwrap() {
            seen.push((
                stack["created_at"].as_str().unwrap().to_owned(),
                stack["id"].as_str().unwrap().to_owned(),
            ));
        }
        match page["next_token"].as_str() {
            Some(t) => token = Some(t.to_owned()),
            None => break,
        }
    }
    let mut newest_first = seen.clone();
    newest_first.sort_by(|a, b| b.cmp(a));
    assert_eq!(
        seen, newest_first,
        "pages run newest first (ties broken by id)"
    );
    let mut ids: Vec<String> = seen.into_iter().map(|(_, id)| id).collect();
    ids.sort();
    created.sort();
    assert_eq!(
        ids, created,
        "every stack exactly once, and only the caller's"
    );
}

#[tokio::test]
async fn list_parameters_are_checked() {
    let h = harness();
    let (status, body, _) = call(
        &h,
        request(
            "GET",
            "/stacks?limit=0&status=GREEN&next_token=zzz&x=1",
            "arn:a",
            None,
        ),
    )
    .await;
    assert_eq!(status, 400);
    let mut fields = error_fields(&body);
    fields.sort();
    assert_eq!(fields, ["limit", "next_token", "status", "x"]);
}

#[tokio::test]
async fn list_filters_by_status() {
    let h = harness();
    post(&h, "arn:a", &valid_body()).await;
    let (_, pending, _) = call(&h, request("GET", "/stacks?status=PENDING", "arn:a", None)).await;
    let (_, ready, _) = call(&h, request("GET", "/stacks?status=READY", "arn:a", None)).await;
    assert_eq!(pending["items"].as_array().unwrap().len(), 1);
    assert_eq!(ready["items"].as_array().unwrap().len(), 0);
}

#[tokio::test]
async fn delete_stops_provisioning_then_tears_down_once() {
    let h = harness();
    let (_, created, _) = post(&h, "arn:a", &valid_body()).await;
    let id = created["id"].as_str().unwrap();
    let uri = format!("/stacks/{id}");
    let (status, body, _) = call(&h, request("DELETE", &uri, "arn:a", None)).await;
    assert_eq!(
        (status, body["status"].as_str().unwrap()),
        (202, "DELETING")
    );
    assert_eq!(
        h.workflows.calls(),
        [
            format!("provision {id}"),
            format!("stop {id}"),
            format!("teardown#1+settle {id}")
        ]
    );
    let (status, body, _) = call(&h, request("DELETE", &uri, "arn:a", None)).await;
    assert_eq!(
        (status, body["error"]["code"].as_str().unwrap()),
        (409, "delete_in_progress")
    );
}

#[tokio::test]
async fn a_delete_during_a_rollback_stops_it_so_that_one_teardown_undoes_the_stack() {
    let h = harness();
    let (_, created, _) = post(&h, "arn:a", &valid_body()).await;
    let id = StackId::parse(created["id"].as_str().unwrap()).unwrap();
    // Provisioning failed; its rollback runs in the provisioning execution.
    edgestack_aws::store::modify(h.store.as_ref(), &id, |s| {
        s.fail(edgestack_domain::stack::StackError {
            code: "api_not_found".into(),
            message: "no such API".into(),
            step: "validate".into(),
            rolled_back: false,
        })
        .expect("failed");
        Ok::<_, edgestack_aws::store::StoreError>(())
    })
    .await
    .unwrap();
    let (status, body, _) = call(
        &h,
        request("DELETE", &format!("/stacks/{id}"), "arn:a", None),
    )
    .await;
    assert_eq!(
        (status, body["phase"].as_str()),
        (202, Some("STOPPING_PROVISIONING")),
        "{body}"
    );
    assert_eq!(
        h.workflows.calls()[1..],
        [format!("stop {id}"), format!("teardown#1+settle {id}")]
    );
}

#[tokio::test]
async fn a_delete_of_a_rolled_back_stack_starts_its_teardown_at_once() {
    let h = harness();
    let (_, created, _) = post(&h, "arn:a", &valid_body()).await;
    let id = StackId::parse(created["id"].as_str().unwrap()).unwrap();
    edgestack_aws::store::modify(h.store.as_ref(), &id, |s| {
        s.fail(edgestack_domain::stack::StackError {
            code: "api_not_found".into(),
            message: "no such API".into(),
            step: "validate".into(),
            rolled_back: true,
        })
        .expect("failed");
        Ok::<_, edgestack_aws::store::StoreError>(())
    })
    .await
    .unwrap();
    let (status, _, _) = call(
        &h,
        request("DELETE", &format!("/stacks/{id}"), "arn:a", None),
    )
    .await;
    assert_eq!(status, 202);
    assert_eq!(h.workflows.calls()[1..], [format!("teardown#1 {id}")]);
}

#[tokio::test]
async fn a_delete_stuck_after_its_teardown_ended_starts_another_attempt() {
    let h = harness();
    let (_, created, _) = post(&h, "arn:a", &valid_body()).await;
    let id = created["id"].as_str().unwrap().to_owned();
    let uri = format!("/stacks/{id}");
    let (status, _, _) = call(&h, request("DELETE", &uri, "arn:a", None)).await;
    assert_eq!(status, 202);
    // Teardown #1 ends without finishing the stack (its failure recorder gave up too): the
    // stack stays DELETING, and only another DELETE can move it on.
    h.workflows
        .ended_teardowns
        .lock()
        .unwrap()
        .push((id.clone(), 1));
    let (status, body, _) = call(&h, request("DELETE", &uri, "arn:a", None)).await;
    assert_eq!(
        (status, body["status"].as_str()),
        (202, Some("DELETING")),
        "{body}"
    );
    assert_eq!(
        h.workflows.calls().last().cloned(),
        Some(format!("teardown#2 {id}"))
    );
    // While attempt #2 runs, a DELETE is a conflict again.
    let (status, body, _) = call(&h, request("DELETE", &uri, "arn:a", None)).await;
    assert_eq!(
        (status, body["error"]["code"].as_str().unwrap()),
        (409, "delete_in_progress")
    );
}

#[tokio::test]
async fn a_workflow_that_cannot_start_leaves_a_failed_stack_not_a_pending_one() {
    let h = harness_with(RecordingWorkflows {
        fail_starts: true,
        ..Default::default()
    });
    let (status, body, _) = post(&h, "arn:a", &valid_body()).await;
    assert_eq!(
        (status, body["error"]["code"].as_str().unwrap()),
        (503, "service_unavailable")
    );
    assert!(
        !body.to_string().contains("injected"),
        "internal causes stay in the log"
    );
    let (_, listed, _) = call(&h, request("GET", "/stacks", "arn:a", None)).await;
    assert_eq!(listed["items"][0]["status"], "FAILED");
    assert_eq!(listed["items"][0]["error"]["code"], "workflow_not_started");

    // Its custom domain name is free again: the same request, sent again, is not "taken".
    let mut named = valid_body();
    named["custom_domain"] = json!({"name": "api.example.com", "hosted_zone_id": "Z1"});
    let (first, _, _) = post(&h, "arn:a", &named).await;
    let (again, body, _) = post(&h, "arn:a", &named).await;
    assert_eq!(
        (first, again),
        (503, 503),
        "the second try reached the workflow again: {body}"
    );
}

/// A start that got no clear answer may have started the execution: the API looks before it
/// marks the stack FAILED and frees its name.
#[tokio::test]
async fn a_start_without_a_clear_answer_is_looked_up_before_the_stack_is_failed() {
    let mut named = valid_body();
    named["custom_domain"] = json!({"name": "api.example.com", "hosted_zone_id": "Z1"});

    let running = harness_with(RecordingWorkflows {
        unclear_starts: true,
        execution_exists: true,
        ..Default::default()
    });
    let (status, body, _) = post(&running, "arn:a", &named).await;
    assert_eq!(status, 202, "the execution runs: {body}");
    assert_eq!(body["status"], "PENDING", "{body}");
    let id = body["id"].as_str().unwrap().to_owned();
    assert!(running.workflows.calls().contains(&format!("exists? {id}")));
    let (again, taken, _) = post(&running, "arn:b", &named).await;
    assert_eq!(
        (again, taken["error"]["code"].as_str()),
        (409, Some("domain_taken")),
        "the name stays held by the running stack"
    );

    let absent = harness_with(RecordingWorkflows {
        unclear_starts: true,
        execution_exists: false,
        ..Default::default()
    });
    let (status, _, _) = post(&absent, "arn:a", &named).await;
    assert_eq!(status, 503);
    let (_, listed, _) = call(&absent, request("GET", "/stacks", "arn:a", None)).await;
    assert_eq!(listed["items"][0]["status"], "FAILED", "{listed}");
}

/// A clear refusal needs no look: nothing started.
#[tokio::test]
async fn a_refused_start_is_not_looked_up() {
    let h = harness_with(RecordingWorkflows {
        fail_starts: true,
        ..Default::default()
    });
    let (status, _, _) = post(&h, "arn:a", &valid_body()).await;
    assert_eq!(status, 503);
    assert!(
        !h.workflows.calls().iter().any(|c| c.starts_with("exists?")),
        "{:?}",
        h.workflows.calls()
    );
}

#[tokio::test]
async fn one_name_one_live_stack() {
    let h = harness();
    let mut body = valid_body();
    body["custom_domain"] = json!({"name": "api.example.com", "hosted_zone_id": "Z1"});
    let (first, _, _) = post(&h, "arn:a", &body).await;
    let (mine, mine_body, _) = post(&h, "arn:a", &body).await;
    let (theirs, theirs_body, _) = post(&h, "arn:b", &body).await;
    assert_eq!((first, mine, theirs), (202, 409, 409));
    assert_eq!(mine_body["error"]["code"], "domain_taken");
    assert!(
        mine_body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("stk_"),
        "the owner is told which of its stacks"
    );
    assert!(
        !theirs_body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("stk_"),
        "another team's stack id stays hidden"
    );
    assert_eq!(
        stored_count(&h, "arn:a").await + stored_count(&h, "arn:b").await,
        1
    );
}

#[tokio::test]
async fn a_stack_in_progress_shows_when_it_is_expected_ready_once_aws_was_observed() {
    use edgestack_domain::expectation::AwsWait;
    use edgestack_domain::timestamp::Timestamp;

    let h = harness();
    let mut body = valid_body();
    body["custom_domain"] =
        json!({"name": "api.example.com", "hosted_zone_id": "Z0123456789ABCDEFGHIJ"});
    let (status, created, _) = post(&h, "arn:a", &body).await;
    assert_eq!(status, 202, "{created}");
    let path = format!("/stacks/{}", created["id"].as_str().unwrap());
    let (_, shown, _) = call(&h, request("GET", &path, "arn:a", None)).await;
    assert!(
        shown.get("expected_ready_at").is_none(),
        "nothing observed yet, nothing expected: {shown}"
    );

    for (wait, millis) in [
        (AwsWait::CertificateIssuance, 120_000),
        (AwsWait::DistributionDeployment, 300_000),
        (AwsWait::DnsPropagation, 60_000),
    ] {
        h.store.observe(wait, millis).await.unwrap();
    }
    // Two stacks ahead in the queue at CreateDomainName, ten minutes apart: this one's turn
    // would be ten minutes after the second, later than its certificates.
    let call_name = "apigateway:CreateDomainName";
    let now = Timestamp::now();
    h.store.reserve_turn(call_name, 600_000, now).await.unwrap();
    let latest = h
        .store
        .reserve_turn(call_name, 600_000, now)
        .await
        .unwrap()
        .turn;
    let expected = latest.plus_seconds(600 + 300 + 60).to_string();

    let (status, shown, _) = call(&h, request("GET", &path, "arn:a", None)).await;
    assert_eq!(status, 200);
    assert_eq!(shown["expected_ready_at"], expected.as_str(), "{shown}");
    let (_, page, _) = call(&h, request("GET", "/stacks", "arn:a", None)).await;
    assert_eq!(page["items"][0]["expected_ready_at"], expected.as_str());
}
