//! What the commands print. `--output json`: exactly one JSON document on standard output, the
//! API's own answer (a stack, a page, or its error). Text: a summary for people. Messages and
//! errors go to standard error either way.

use std::fmt::Write as _;

use serde_json::Value;

use crate::args::OutputFormat;
use crate::client::Failure;

fn text<'a>(value: &'a Value, field: &str) -> &'a str {
    value[field].as_str().unwrap_or_default()
}

pub fn json(value: &Value) -> String {
    serde_json::to_string_pretty(value).expect("a JSON value serialises")
}

/// A stack for people: what it is, where it stands, what it made, what went wrong.
pub fn stack_text(stack: &Value) -> String {
    let mut out = String::new();
    let request = &stack["request"];
    let mut row = |label: &str, value: &str| {
        if !value.is_empty() {
            let _ = writeln!(out, "{label:<10}{value}");
        }
    };
    row("id", text(stack, "id"));
    row("status", text(stack, "status"));
    row("phase", text(stack, "phase"));
    row("name", text(request, "name"));
    let api = format!(
        "{} in {}, stage {}",
        text(request, "api_id"),
        text(request, "region"),
        text(request, "stage")
    );
    row("api", &api);
    row("domain", text(&request["custom_domain"], "name"));
    row("endpoint", text(&stack["outputs"], "endpoint_url"));
    row("owner", text(stack, "owner"));
    row("created", text(stack, "created_at"));
    row("updated", text(stack, "updated_at"));

    let outputs = &stack["outputs"];
    let named: Vec<(&str, &str)> = [
        "distribution_id",
        "distribution_domain_name",
        "certificate_arn",
        "regional_certificate_arn",
        "regional_domain_name",
    ]
    .into_iter()
    .map(|field| (field, text(outputs, field)))
    .filter(|(_, value)| !value.is_empty())
    .collect();
    if !named.is_empty() {
        out.push_str("outputs:\n");
        for (field, value) in named {
            let _ = writeln!(out, "  {field:<26}{value}");
        }
    }
    if let Some(smoke) = outputs["smoke_test"].as_object() {
        let _ = writeln!(
            out,
            "smoke test: {} answered {} at {}",
            smoke.get("url").and_then(Value::as_str).unwrap_or_default(),
            smoke
                .get("status_code")
                .and_then(Value::as_u64)
                .unwrap_or_default(),
            smoke.get("at").and_then(Value::as_str).unwrap_or_default(),
        );
    }
    if let Some(records) = outputs["dns_records"].as_array().filter(|r| !r.is_empty()) {
        out.push_str("dns records:\n");
        for record in records {
            let who = if record["managed"] == Value::Bool(true) {
                "managed by edgestack"
            } else {
                "YOU create it"
            };
            let _ = writeln!(
                out,
                "  {} {} {} ({}, {who})",
                text(record, "name"),
                text(record, "type"),
                text(record, "value"),
                text(record, "purpose"),
            );
        }
    }
    if let Some(steps) = stack["steps"].as_array().filter(|s| !s.is_empty()) {
        out.push_str("steps:\n");
        let width = steps
            .iter()
            .map(|s| text(s, "name").len())
            .max()
            .unwrap_or(0);
        for step in steps {
            let _ = write!(
                out,
                "  {:<width$}  {:<9}",
                text(step, "name"),
                text(step, "status")
            );
            if let Some(detail) = step["detail"].as_str() {
                let _ = write!(out, "  {detail}");
            }
            out.push('\n');
        }
    }
    if let Some(error) = stack["error"].as_object() {
        let field = |name: &str| error.get(name).and_then(Value::as_str).unwrap_or_default();
        let _ = writeln!(out, "error:    {} (step {})", field("code"), field("step"));
        let _ = writeln!(out, "  {}", field("message"));
        let rolled_back = error.get("rolled_back") == Some(&Value::Bool(true));
        let _ = writeln!(
            out,
            "  {}",
            if rolled_back {
                "nothing was left behind"
            } else {
                "resources may remain: delete the stack to remove them"
            }
        );
    }
    out
}

/// A page of stacks as a table.
pub fn list_text(items: &[Value]) -> String {
    let rows: Vec<[String; 5]> = items
        .iter()
        .map(|stack| {
            let request = &stack["request"];
            let what = match text(&request["custom_domain"], "name") {
                "" => format!("{} ({})", text(request, "api_id"), text(request, "region")),
                domain => domain.to_owned(),
            };
            [
                text(stack, "id").to_owned(),
                text(stack, "status").to_owned(),
                text(request, "name").to_owned(),
                what,
                text(stack, "created_at").to_owned(),
            ]
        })
        .collect();
    let header = ["ID", "STATUS", "NAME", "API OR DOMAIN", "CREATED"].map(str::to_owned);
    let mut widths = header.clone().map(|h| h.len());
    for row in &rows {
        for (width, cell) in widths.iter_mut().zip(row) {
            *width = (*width).max(cell.chars().count());
        }
    }
    let mut out = String::new();
    for row in std::iter::once(&header).chain(&rows) {
        let line: Vec<String> = row
            .iter()
            .zip(widths)
            .map(|(cell, width)| format!("{cell:<width$}"))
            .collect();
        out.push_str(line.join("  ").trim_end());
        out.push('\n');
    }
    out
}

/// A failure for people, for standard error.
pub fn failure_text(failure: &Failure) -> String {
    match failure {
        Failure::Api {
            status,
            code,
            message,
            details,
            ..
        } => {
            let mut out = match code {
                Some(code) => format!("error: {message} ({code}, HTTP {status})\n"),
                None => format!("error: {message} (HTTP {status})\n"),
            };
            for (field, problem) in details {
                let _ = writeln!(out, "  {field}: {problem}");
            }
            out
        }
        Failure::Transport(message) | Failure::Setup(message) | Failure::Usage(message) => {
            format!("error: {message}\n")
        }
    }
}

/// Where a failure goes: `--output json` puts the API's error document on standard output too,
/// so that a script reads one JSON document whatever happened.
pub fn print_failure(format: OutputFormat, failure: &Failure) {
    eprint!("{}", failure_text(failure));
    if let (OutputFormat::Json, Failure::Api { body, .. }) = (format, failure) {
        if body.is_object() {
            println!("{}", json(body));
        }
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn ready() -> Value {
        json!({
            "id": "stk_a2b3c4d5e6f7g2h3i4j5", "status": "READY", "phase": "COMPLETE",
            "owner": "arn:aws:iam::123456789012:role/team-payments",
            "request": { "name": "greetings-prod", "api_id": "a1b2c3d4e5", "region": "eu-west-1", "stage": "prod",
                         "custom_domain": { "name": "api.example.com" } },
            "created_at": "2026-11-25T10:00:00.000Z", "updated_at": "2026-11-25T10:04:12.000Z",
            "steps": [ { "name": "validate", "status": "SUCCEEDED", "attempts": 1, "detail": "API found" } ],
            "outputs": {
                "distribution_id": "E2ABC", "endpoint_url": "https://api.example.com",
                "dns_records": [ { "name": "_x.api.example.com", "type": "CNAME", "value": "_y",
                                   "purpose": "certificate_validation", "managed": false } ],
                "smoke_test": { "url": "https://api.example.com/greetings", "status_code": 200, "at": "t" }
            },
            "error": null
        })
    }

    #[test]
    fn a_stack_reads_as_a_summary() {
        let text = stack_text(&ready());
        for expected in [
            "id        stk_a2b3c4d5e6f7g2h3i4j5",
            "status    READY",
            "api       a1b2c3d4e5 in eu-west-1, stage prod",
            "domain    api.example.com",
            "endpoint  https://api.example.com",
            "  distribution_id           E2ABC",
            "smoke test: https://api.example.com/greetings answered 200",
            "_x.api.example.com CNAME _y (certificate_validation, YOU create it)",
            "validate  SUCCEEDED  API found",
        ] {
            assert!(text.contains(expected), "{expected:?} not in\n{text}");
        }
        assert!(!text.contains("error:"));
    }

    #[test]
    fn a_failed_stack_says_why() {
        let mut stack = ready();
        stack["status"] = json!("FAILED");
        stack["error"] = json!({ "code": "api_not_found", "message": "No REST API a1b2c3d4e5 exists.",
                                 "step": "validate", "rolled_back": true });
        let text = stack_text(&stack);
        assert!(
            text.contains("error:    api_not_found (step validate)"),
            "{text}"
        );
        assert!(text.contains("No REST API a1b2c3d4e5 exists."), "{text}");
        assert!(text.contains("nothing was left behind"), "{text}");
    }

    #[test]
    fn a_list_is_a_table() {
        let text = list_text(&[ready()]);
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), 2);
        assert!(lines[0].starts_with("ID"));
        assert!(
            lines[1].starts_with("stk_a2b3c4d5e6f7g2h3i4j5  READY"),
            "{text}"
        );
        assert!(lines[1].contains("api.example.com"));
        assert_eq!(list_text(&[]).lines().count(), 1);
    }

    #[test]
    fn an_api_error_names_every_field() {
        let failure = Failure::from_answer(
            400,
            r#"{"error": {"code": "validation_failed", "message": "the request has invalid fields",
                "details": [{"field": "api_id", "problem": "must be 10"}]}}"#,
        );
        assert_eq!(
            failure_text(&failure),
            "error: the request has invalid fields (validation_failed, HTTP 400)\n  api_id: must be 10\n"
        );
    }
}
