//! `openapi.yaml` against the implementation, without a running stack:
//!
//! - paths, methods, success statuses and headers, and every operation's error codes against
//!   `edgestack_api::operations` (each handler's refusal type), and every code's status
//!   against `ApiError` itself; the API's unit tests check that the handlers answer only what
//!   their operation declares;
//! - the schemas against the implementation's own types (`edgestack_domain::stack`, `::request`):
//!   a stack with every field set and a fresh one validate, and every documented property is one
//!   the implementation writes; the request schema accepts and refuses what
//!   `StackRequest::from_json` accepts and refuses, case by case.
//!
//! What the live API answers is checked against the same document by schemathesis
//! (`scripts/contract.sh`) and by `tests/cli.rs`.

use edgestack_domain::timestamp::Timestamp;
use std::collections::{BTreeMap, BTreeSet};

use edgestack_api::error::ApiError;
use edgestack_api::handlers::{DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE, QUERY_PARAMETERS};
use edgestack_api::operations::Operation;
use edgestack_api::view::StackView;
use edgestack_aws::store::Cursor;
use edgestack_domain::request::StackRequest;
use edgestack_domain::stack::{
    DnsPurpose, DnsRecord, Outputs, Phase, Signing, SmokeTestResult, Stack, StackError, Status,
    StepStatus,
};
use edgestack_domain::validated::FieldError;
use edgestack_tests::contract::{assert_matches_schema, document, schema_errors};
use serde_json::{json, Value};
use strum::IntoEnumIterator;

const ERRORS: &str = "ApiError (functions/api/src/error.rs)";
const OPERATIONS: &str = "edgestack_api::operations";
const METHODS: [&str; 8] = [
    "get", "put", "post", "delete", "options", "head", "patch", "trace",
];

/// Every kind of ApiError with its code and status, from the type itself.
struct ErrorTable {
    status_of: BTreeMap<String, u16>,
}

impl ErrorTable {
    fn read() -> Self {
        let status_of = ApiError::iter()
            .map(|e| (e.code().to_owned(), e.status()))
            .collect();
        Self { status_of }
    }

    fn codes(&self) -> BTreeSet<String> {
        self.status_of.keys().cloned().collect()
    }

    fn status_of_code(&self, code: &str) -> u16 {
        *self.status_of.get(code).unwrap_or_else(|| {
            panic!("openapi.yaml names the error code {code}, which {ERRORS} does not have")
        })
    }
}

/// `(path, method)` of an operation, as openapi.yaml keys it.
fn key(op: Operation) -> (String, String) {
    (op.path().to_owned(), op.method().to_lowercase())
}

/// The codes of every refusal `op` declares.
fn refusal_codes(op: Operation) -> BTreeSet<String> {
    op.refusals().iter().map(|e| e.code().to_owned()).collect()
}

// ---------------------------------------------------------------------------------------------
// Reading the document.

/// Follows `$ref`s within the document.
fn resolve(value: &Value) -> &Value {
    let mut value = value;
    while let Some(reference) = value.get("$ref").and_then(Value::as_str) {
        let pointer = reference
            .strip_prefix('#')
            .unwrap_or_else(|| panic!("an external $ref: {reference}"));
        value = document()
            .pointer(pointer)
            .unwrap_or_else(|| panic!("openapi.yaml's {reference} leads nowhere"));
    }
    value
}

/// `(path, method) -> operation`.
fn operations() -> BTreeMap<(String, String), &'static Value> {
    let mut ops = BTreeMap::new();
    for (path, item) in document()["paths"].as_object().expect("paths") {
        for (key, op) in item.as_object().unwrap() {
            if METHODS.contains(&key.as_str()) {
                ops.insert((path.clone(), key.clone()), op);
            }
        }
    }
    ops
}

/// The error codes a documented error response can carry: its schema narrows `error.code`.
fn documented_codes(response: &Value) -> BTreeSet<String> {
    let schema = resolve(&resolve(response)["content"]["application/json"]["schema"]);
    let narrowed = schema["allOf"]
        .as_array()
        .and_then(|parts| {
            parts
                .iter()
                .find_map(|p| p["properties"]["error"]["properties"]["code"]["enum"].as_array())
        })
        .unwrap_or_else(|| {
            panic!("an error response whose schema does not name its codes: {schema}")
        });
    narrowed
        .iter()
        .map(|c| c.as_str().unwrap().to_owned())
        .collect()
}

fn enum_of(schema: &str) -> Vec<String> {
    document()["components"]["schemas"][schema]["enum"]
        .as_array()
        .unwrap_or_else(|| panic!("{schema} has no enum"))
        .iter()
        .filter_map(|v| v.as_str().map(str::to_owned))
        .collect()
}

// ---------------------------------------------------------------------------------------------
// Paths, methods, statuses, error codes.

#[test]
fn the_document_is_openapi_3_1_and_every_ref_resolves() {
    let doc = document();
    assert!(
        doc["openapi"].as_str().unwrap().starts_with("3.1"),
        "OpenAPI 3.1"
    );
    fn walk(value: &Value) {
        match value {
            Value::Object(map) => {
                if map.contains_key("$ref") {
                    resolve(value);
                }
                map.values().for_each(walk);
            }
            Value::Array(items) => items.iter().for_each(walk),
            _ => {}
        }
    }
    walk(doc);
    for name in document()["components"]["schemas"]
        .as_object()
        .unwrap()
        .keys()
    {
        edgestack_tests::contract::validator(name);
    }
}

#[test]
fn every_operation_is_documented_and_nothing_else() {
    let implemented: BTreeSet<(String, String)> = Operation::iter().map(key).collect();
    let documented: BTreeSet<(String, String)> = operations().keys().cloned().collect();
    assert_eq!(
        documented, implemented,
        "openapi.yaml's operations against {OPERATIONS}"
    );
    let paths: BTreeSet<&String> = documented.iter().map(|(path, _)| path).collect();
    for path in paths {
        let documented: BTreeSet<String> = documented
            .iter()
            .filter(|(p, _)| p == path)
            .map(|(_, m)| m.clone())
            .collect();
        let allow: BTreeSet<String> = Operation::allowed_on(path)
            .split(", ")
            .map(str::to_lowercase)
            .collect();
        assert_eq!(documented, allow, "the Allow list of {path}");
    }
}

#[test]
fn every_error_code_is_documented_with_its_status() {
    let errors = ErrorTable::read();
    let all_codes = errors.codes();
    let enum_codes: BTreeSet<String> = enum_of("ErrorCode").into_iter().collect();
    assert_eq!(enum_codes, all_codes, "ErrorCode's enum against {ERRORS}");

    let mut documented = BTreeSet::new();
    for ((path, method), op) in operations() {
        for (status, response) in op["responses"].as_object().unwrap() {
            let status: u16 = status.parse().expect("numeric statuses");
            if status < 400 {
                continue;
            }
            for code in documented_codes(response) {
                assert_eq!(
                    errors.status_of_code(&code),
                    status,
                    "{method} {path} documents {code} as {status}; {ERRORS} says otherwise"
                );
                documented.insert(code);
            }
        }
    }
    let outside = document()["components"]["schemas"]["ErrorCode"]["x-outside-operations"]
        .as_object()
        .expect("ErrorCode names the codes outside any operation");
    for (code, status) in outside {
        assert_eq!(
            u64::from(errors.status_of_code(code)),
            status.as_u64().unwrap(),
            "{code}'s status"
        );
        documented.insert(code.clone());
    }
    assert_eq!(
        documented, all_codes,
        "every code of {ERRORS} appears in openapi.yaml's responses"
    );
    // The codes outside operations are those no operation refuses with: the router's own
    // (unknown paths, other methods).
    let of_operations: BTreeSet<String> = Operation::iter().flat_map(refusal_codes).collect();
    assert_eq!(
        outside.keys().cloned().collect::<BTreeSet<_>>(),
        &all_codes - &of_operations,
        "the codes outside every operation"
    );
}

#[test]
fn every_operation_documents_exactly_what_it_can_answer() {
    let errors = ErrorTable::read();
    for op in Operation::iter() {
        let doc = operations()[&key(op)];
        let label = format!("{} {} ({op:?})", op.method(), op.path());
        let mut documented = BTreeSet::new();
        let mut successes = BTreeSet::new();
        for (status, response) in doc["responses"].as_object().unwrap() {
            let status: u16 = status.parse().unwrap();
            if status < 400 {
                successes.insert(status);
                let headers: BTreeSet<String> = resolve(response)["headers"]
                    .as_object()
                    .map(|h| h.keys().map(|k| k.to_lowercase()).collect())
                    .unwrap_or_default();
                let declared: BTreeSet<String> =
                    op.success_headers().iter().map(|h| h.to_string()).collect();
                assert_eq!(headers, declared, "{label}: the headers of {status}");
            } else {
                documented.extend(documented_codes(response));
            }
        }
        assert_eq!(
            successes,
            BTreeSet::from([op.success()]),
            "{label}: success"
        );
        let expected = refusal_codes(op);
        assert!(
            expected
                .iter()
                .all(|code| errors.status_of_code(code) >= 400),
            "{label}: a refusal with a success status"
        );
        assert_eq!(documented, expected, "{label}: error codes");
    }
}

#[test]
fn the_list_query_is_documented_as_implemented() {
    let op = operations()[&key(Operation::ListStacks)];
    let params: BTreeMap<String, &Value> = op["parameters"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| (p["name"].as_str().unwrap().to_owned(), p))
        .collect();
    assert_eq!(
        params.keys().cloned().collect::<BTreeSet<_>>(),
        QUERY_PARAMETERS.map(str::to_owned).into()
    );
    let limit = &params["limit"]["schema"];
    assert_eq!(limit["maximum"].as_u64(), Some(MAX_PAGE_SIZE as u64));
    assert_eq!(limit["default"].as_u64(), Some(DEFAULT_PAGE_SIZE as u64));
    assert_eq!(limit["minimum"].as_u64(), Some(1));
    assert_eq!(
        resolve(&params["status"]["schema"])["enum"],
        json!(Status::ALL.map(|s| s.as_str()))
    );
}

// ---------------------------------------------------------------------------------------------
// Schemas against the implementation's types.

#[test]
fn the_enums_are_the_implementations() {
    // Each enum's values as the implementation writes them.
    fn names<T: serde::Serialize>(all: &[T]) -> Vec<String> {
        all.iter()
            .map(|v| {
                serde_json::to_value(v)
                    .unwrap()
                    .as_str()
                    .unwrap()
                    .to_owned()
            })
            .collect()
    }
    assert_eq!(
        enum_of("Status"),
        Status::ALL.map(|s| s.as_str().to_owned())
    );
    assert_eq!(enum_of("Status"), names(&Status::ALL));
    assert_eq!(enum_of("Phase"), names(&Phase::ALL));
    for phase in enum_of("Phase") {
        let parsed: Phase = serde_json::from_value(json!(phase)).expect("a phase");
        assert_eq!(serde_json::to_value(parsed).unwrap(), json!(phase));
    }
    let step_statuses =
        &document()["components"]["schemas"]["Step"]["properties"]["status"]["enum"];
    assert_eq!(step_statuses, &json!(names(&StepStatus::ALL)));
    for status in step_statuses.as_array().unwrap() {
        let _: StepStatus = serde_json::from_value(status.clone()).expect("a step status");
    }
    let purposes =
        &document()["components"]["schemas"]["DnsRecord"]["properties"]["purpose"]["enum"];
    assert_eq!(
        purposes,
        &json!([DnsPurpose::CertificateValidation, DnsPurpose::Endpoint])
    );
}

fn full_request() -> Value {
    document()["components"]["examples"]["FullRequest"]["value"].clone()
}

/// A stack with every field the implementation can write.
fn everything_set() -> Stack {
    let request = StackRequest::from_json(&full_request()).expect("the full example is accepted");
    let now = Timestamp::now();
    let mut stack = Stack::new(
        "arn:aws:iam::123456789012:role/team-payments".into(),
        request,
        now,
    );
    stack.begin_step("validate", now);
    stack.finish_step(
        "validate",
        StepStatus::Succeeded,
        Some("API a1b2c3d4e5 found".into()),
        now,
    );
    stack.begin_step("create_distribution", now);
    stack.begin_step("create_distribution", now);
    stack.phase = Phase::RollingBack;
    stack.turn_at = Some(now);
    stack.outputs = Outputs {
        distribution_id: Some("E2ABCDEF".into()),
        distribution_domain_name: Some("d111111abcdef8.cloudfront.net".into()),
        certificate_arn: Some("arn:aws:acm:us-east-1:123456789012:certificate/x".into()),
        regional_certificate_arn: Some("arn:aws:acm:eu-west-1:123456789012:certificate/y".into()),
        regional_domain_name: Some("d-abc123.execute-api.eu-west-1.amazonaws.com".into()),
        endpoint_url: Some("https://api.example.com".into()),
        dns_records: vec![DnsRecord {
            name: "_x.api.example.com".into(),
            record_type: "CNAME".into(),
            value: "_y.acm-validations.aws".into(),
            purpose: DnsPurpose::CertificateValidation,
            managed: true,
            created: true,
        }],
        smoke_test: Some(SmokeTestResult {
            url: "https://api.example.com/greetings".into(),
            status_code: 200,
            signed: true,
            at: now,
        }),
        signing: Some(Signing {
            host: "api.example.com".into(),
            path_prefix: String::new(),
            region: "eu-west-1".into(),
            service: Signing::SERVICE.into(),
        }),
    };
    stack
        .fail(StackError {
            code: "distribution_failed".into(),
            message: "CloudFront refused the distribution.".into(),
            step: "create_distribution".into(),
            rolled_back: false,
        })
        .expect("failed");
    stack.teardown_attempts = 1;
    stack
}

/// Every property the schema declares (down through objects and arrays) that `value` lacks.
fn undocumented_gaps(schema: &Value, value: &Value, path: &str, missing: &mut Vec<String>) {
    let schema = resolve(schema);
    if let Some(branches) = schema["oneOf"]
        .as_array()
        .or_else(|| schema["anyOf"].as_array())
    {
        for branch in branches {
            if resolve(branch)["type"] != json!("null") && !value.is_null() {
                undocumented_gaps(branch, value, path, missing);
            }
        }
        return;
    }
    if let Some(properties) = schema["properties"].as_object() {
        for (name, property) in properties {
            match value.get(name) {
                Some(inner) => {
                    undocumented_gaps(property, inner, &format!("{path}.{name}"), missing)
                }
                None => missing.push(format!("{path}.{name}")),
            }
        }
    }
    if let (Some(items), Some(first)) = (
        schema.get("items"),
        value.as_array().and_then(|a| a.first()),
    ) {
        undocumented_gaps(items, first, &format!("{path}[0]"), missing);
    }
}

#[test]
fn a_stack_with_everything_set_matches_and_fills_the_schema() {
    let stack = serde_json::to_value(StackView {
        stack: &everything_set(),
        expected_ready_at: Some(Timestamp::now()),
    })
    .unwrap();
    assert_matches_schema("Stack", &stack);
    let mut missing = Vec::new();
    undocumented_gaps(
        &document()["components"]["schemas"]["Stack"],
        &stack,
        "stack",
        &mut missing,
    );
    assert!(
        missing.is_empty(),
        "documented, but never written by the implementation: {missing:?}"
    );
    assert_eq!(stack["request"]["origin_headers"]["X-Origin-Verify"], "***");
}

#[test]
fn a_fresh_stack_and_a_page_match_the_schemas() {
    let request = StackRequest::from_json(
        &json!({"api_id": "a1b2c3d4e5", "region": "eu-west-1", "stage": "prod"}),
    )
    .unwrap();
    let stack = Stack::new(
        "arn:aws:iam::123456789012:role/team-payments".into(),
        request,
        Timestamp::now(),
    );
    let value = serde_json::to_value(&stack).unwrap();
    assert_matches_schema("Stack", &value);
    assert_eq!(value["error"], Value::Null);
    assert!(value.get("teardown_attempts").is_none());
    let token = Cursor::after(&stack).encode();
    assert_matches_schema(
        "StackPage",
        &json!({ "items": [value], "next_token": token }),
    );
    assert_matches_schema("StackPage", &json!({ "items": [], "next_token": null }));
    assert!(
        !schema_errors("StackPage", &json!({ "items": [] })).is_empty(),
        "next_token is always there"
    );
    assert_matches_schema(
        "FieldError",
        &serde_json::to_value(FieldError::new("api_id", "is required")).unwrap(),
    );
}

#[test]
fn the_shown_request_has_every_field_of_the_request() {
    let accepted: BTreeSet<String> = document()["components"]["schemas"]["StackRequest"]
        ["properties"]
        .as_object()
        .unwrap()
        .keys()
        .cloned()
        .collect();
    let shown = serde_json::to_value(everything_set()).unwrap()["request"].clone();
    let written: BTreeSet<String> = shown.as_object().unwrap().keys().cloned().collect();
    assert_eq!(
        accepted, written,
        "what a request may say against what a stack shows of it"
    );
    assert_eq!(
        full_request()
            .as_object()
            .unwrap()
            .keys()
            .cloned()
            .collect::<BTreeSet<_>>(),
        accepted
    );
}

/// Requests the schema and `StackRequest::from_json` must both accept.
fn good_requests() -> Vec<Value> {
    let base = json!({"api_id": "a1b2c3d4e5", "region": "eu-west-1", "stage": "prod"});
    let with = |field: &str, value: Value| {
        let mut body = base.clone();
        body[field] = value;
        body
    };
    vec![
        base.clone(),
        full_request(),
        document()["components"]["examples"]["MinimalRequest"]["value"].clone(),
        with("name", json!("greetings.prod_v2-x")),
        with("name", json!("a".repeat(128))),
        with("name", Value::Null),
        with("region", json!("us-gov-west-1")),
        with("region", json!("ap-southeast-255")),
        with("region", json!("eu-west-10")),
        with("stage", json!("prod_v2-X")),
        with("auth", json!("iam")),
        with("auth", Value::Null),
        with("origin_path", json!(false)),
        with("origin_path", Value::Null),
        with("custom_domain", json!({"name": "API.Example.com."})),
        with(
            "custom_domain",
            json!({"name": "a-b.c1.example.org", "hosted_zone_id": "/hostedzone/Z1"}),
        ),
        with(
            "custom_domain",
            json!({"name": "api.example.com", "hosted_zone_id": null}),
        ),
        with("custom_domain", Value::Null),
        with(
            "origin_headers",
            json!({"X-Origin-Verify": "s3cr3t value ~!", "x_custom.1": "a"}),
        ),
        with("origin_headers", json!({})),
        with("origin_headers", Value::Null),
        with("min_origin_tls", json!("TLSv1")),
        with("price_class", json!("PriceClass_100")),
        with("smoke_test_path", json!("/greetings/{id}?q=1")),
        with("smoke_test_path", json!("/")),
        with(
            "tags",
            json!({"team": "payments", "cost centre": "a:b/c=d+e-f@g", "équipe": "paiements", "empty": ""}),
        ),
        with("tags", Value::Null),
    ]
}

/// Requests the schema and `StackRequest::from_json` must both refuse.
fn bad_requests() -> Vec<Value> {
    let base = json!({"api_id": "a1b2c3d4e5", "region": "eu-west-1", "stage": "prod"});
    let with = |field: &str, value: Value| {
        let mut body = base.clone();
        body[field] = value;
        body
    };
    let without = |field: &str| {
        let mut body = base.clone();
        body.as_object_mut().unwrap().remove(field);
        body
    };
    let many_headers: serde_json::Map<String, Value> =
        (0..11).map(|i| (format!("X-H{i}"), json!("v"))).collect();
    let many_tags: serde_json::Map<String, Value> =
        (0..41).map(|i| (format!("t{i}"), json!("v"))).collect();
    vec![
        json!([]),
        json!("text"),
        json!({}),
        without("api_id"),
        without("region"),
        without("stage"),
        with("api_id", Value::Null),
        with("colour", json!("blue")),
        with("name", json!("")),
        with("name", json!("a b")),
        with("name", json!("a".repeat(129))),
        with("api_id", json!("A1B2C3D4E5")),
        with("api_id", json!("a1b2")),
        with("api_id", json!(12345)),
        with("region", json!("eu-west")),
        with("region", json!("EU-WEST-1")),
        with("region", json!("eu-west-256")),
        with("region", json!("e-west-1")),
        with("stage", json!("a/b")),
        with("stage", json!("")),
        with("auth", json!("oauth")),
        with("origin_path", json!("yes")),
        with("custom_domain", json!("api.example.com")),
        with("custom_domain", json!({})),
        with("custom_domain", json!({"name": "*.example.com"})),
        with("custom_domain", json!({"name": "localhost"})),
        with("custom_domain", json!({"name": "10.0.0.1"})),
        with("custom_domain", json!({"name": "-a.example.com"})),
        with("custom_domain", json!({"name": "a_b.example.com"})),
        with("custom_domain", json!({"name": "x.CloudFront.net"})),
        with(
            "custom_domain",
            json!({"name": "api.execute-api.eu-west-1.amazonaws.com"}),
        ),
        with(
            "custom_domain",
            json!({"name": format!("{}.example.com", "a".repeat(64))}),
        ),
        with(
            "custom_domain",
            json!({"name": "api.example.com", "hosted_zone_id": "z123"}),
        ),
        with(
            "custom_domain",
            json!({"name": "api.example.com", "zone": "Z1"}),
        ),
        with("origin_headers", json!({"Host": "x"})),
        with("origin_headers", json!({"AUTHORIZATION": "x"})),
        with("origin_headers", json!({"X-Amz-Date": "x"})),
        with("origin_headers", json!({"x-amzn-trace-id": "x"})),
        with("origin_headers", json!({"X-Edge-Location": "x"})),
        with("origin_headers", json!({"Bad Header": "x"})),
        with("origin_headers", json!({"X-Ok": ""})),
        with("origin_headers", json!({"X-Ok": "bell\u{7}"})),
        with("origin_headers", json!({"X-Ok": "é"})),
        with("origin_headers", json!({"X-Ok": 1})),
        with("origin_headers", json!({"X-Ok": "a".repeat(1784)})),
        with("origin_headers", Value::Object(many_headers)),
        with("origin_headers", json!(["X-Ok"])),
        with("min_origin_tls", json!("SSLv3")),
        with("price_class", json!("cheap")),
        with("smoke_test_path", json!("greetings")),
        with("smoke_test_path", json!("//evil.example.com/")),
        with("smoke_test_path", json!("/a b")),
        with("smoke_test_path", json!("/a#b")),
        with("smoke_test_path", json!(format!("/{}", "a".repeat(1024)))),
        with("tags", json!({"aws:x": "1"})),
        with("tags", json!({"AWS:x": "1"})),
        with("tags", json!({"edgestack:stack-id": "1"})),
        with("tags", json!({"": "1"})),
        with("tags", json!({"a".repeat(129): "1"})),
        with("tags", json!({"team": "a".repeat(257)})),
        with("tags", json!({"team": "€"})),
        with("tags", json!({"team!": "x"})),
        with("tags", json!({"team": 1})),
        with("tags", Value::Object(many_tags)),
        with("region", json!("eu-west-+1")),
        with("region", json!("eu-west-001")),
        with("region", json!("ge-bd-pw-04")),
        with("region", json!("eu-west-0")),
    ]
}

/// Where the schema cannot say what the implementation checks, or the implementation is looser
/// than the contract: the schema accepts, the implementation refuses, or the other way round.
/// Each is listed so that a change on either side shows here.
fn known_divergences() -> Vec<(Value, &'static str)> {
    let base = json!({"api_id": "a1b2c3d4e5", "region": "eu-west-1", "stage": "prod"});
    let with = |field: &str, value: Value| {
        let mut body = base.clone();
        body[field] = value;
        body
    };
    vec![
        // Names are unique regardless of case: JSON Schema compares property names exactly.
        (
            with("origin_headers", json!({"X-A": "1", "x-a": "2"})),
            "schema accepts, implementation refuses",
        ),
        // The limit is 1024 bytes; JSON Schema counts characters.
        (
            with("smoke_test_path", json!(format!("/{}", "é".repeat(600)))),
            "schema accepts, implementation refuses",
        ),
    ]
}

#[test]
fn the_request_schema_accepts_and_refuses_what_the_implementation_does() {
    for body in good_requests() {
        assert!(
            StackRequest::from_json(&body).is_ok(),
            "the implementation refuses {body}"
        );
        let errors = schema_errors("StackRequest", &body);
        assert!(errors.is_empty(), "the schema refuses {body}: {errors:?}");
    }
    for body in bad_requests() {
        assert!(
            StackRequest::from_json(&body).is_err(),
            "the implementation accepts {body}"
        );
        assert!(
            !schema_errors("StackRequest", &body).is_empty(),
            "the schema accepts {body}"
        );
    }
    for (body, divergence) in known_divergences() {
        let implementation = StackRequest::from_json(&body).is_ok();
        let schema = schema_errors("StackRequest", &body).is_empty();
        let observed = match (schema, implementation) {
            (true, false) => "schema accepts, implementation refuses",
            (false, true) => "schema refuses, implementation accepts",
            _ => "they agree",
        };
        assert_eq!(
            observed, divergence,
            "{body}: no longer a known divergence; update known_divergences()"
        );
    }
}

#[test]
fn the_documented_examples_are_accepted() {
    for (name, example) in document()["components"]["examples"].as_object().unwrap() {
        let value = &example["value"];
        assert!(
            StackRequest::from_json(value).is_ok(),
            "example {name} is refused"
        );
        assert_matches_schema("StackRequest", value);
    }
}
