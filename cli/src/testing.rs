//! Stacks for the CLI's unit tests: the fields a test names, on top of a valid stack, read
//! through the domain's `Stack` as an answer of the API would be.

use edgestack_domain::request::StackRequest;
use edgestack_domain::stack::Stack;
use serde_json::{json, Value};

use crate::client::Answered;

const AT: &str = "2026-11-25T10:00:00.000Z";

/// `fields` over a PENDING stack `stk_aaaaaaaaaaaaaaaaaaaa`; a step or an error names only what
/// the test is about, the rest is filled in.
pub fn stack(fields: Value) -> Stack {
    answered(fields).stack
}

pub fn answered(fields: Value) -> Answered {
    // The request as the API shows it: every default filled in by the domain's own reading.
    let mut request = serde_json::to_value(
        StackRequest::from_json(
            &json!({"api_id": "a1b2c3d4e5", "region": "eu-west-1", "stage": "prod"}),
        )
        .expect("a valid request"),
    )
    .expect("JSON");
    let mut fields = fields;
    if let Some(named) = fields.as_object_mut().and_then(|f| f.remove("request")) {
        for (key, value) in named.as_object().expect("request fields").clone() {
            request[key] = value;
        }
    }
    let mut stack = json!({
        "id": "stk_aaaaaaaaaaaaaaaaaaaa",
        "status": "PENDING",
        "phase": "ACCEPTED",
        "owner": "arn:aws:iam::123456789012:role/team",
        "request": request,
        "created_at": AT,
        "updated_at": AT,
        "steps": [],
        "outputs": {},
        "error": null,
    });
    for (key, value) in fields.as_object().expect("an object of fields").clone() {
        stack[key] = value;
    }
    if let Some(steps) = stack["steps"].as_array_mut() {
        for step in steps {
            fill(
                step,
                json!({"status": "RUNNING", "started_at": AT, "attempts": 1}),
            );
        }
    }
    if stack["error"].is_object() {
        fill(
            &mut stack["error"],
            json!({"code": "internal", "message": "", "step": "validate", "rolled_back": false}),
        );
    }
    Answered::read(stack).expect("a stack the CLI reads")
}

fn fill(value: &mut Value, defaults: Value) {
    for (key, default) in defaults.as_object().expect("defaults").clone() {
        if value.get(&key).is_none() {
            value[key] = default;
        }
    }
}
