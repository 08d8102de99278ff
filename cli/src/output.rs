//! What the commands print. `--output json`: exactly one JSON document on standard output, the
//! API's own answer (a stack, a page, or its error). Text: a summary for people. Messages and
//! errors go to standard error either way.

use std::fmt::Write as _;

use edgestack_domain::stack::Stack;
use edgestack_domain::timestamp::Timestamp;
use serde::Serialize;
use serde_json::Value;

use crate::args::OutputFormat;
use crate::client::Failure;

/// An enum's name as the API writes it (`CREATING_DISTRIBUTION`, `certificate_validation`).
pub fn api_name<T: Serialize>(value: &T) -> String {
    match serde_json::to_value(value) {
        Ok(Value::String(name)) => name,
        _ => String::new(),
    }
}

pub fn json(value: &Value) -> String {
    serde_json::to_string_pretty(value).expect("a JSON value serialises")
}

/// When a stack is expected to be READY, for people: the time, and how long from `now`.
pub fn expected(at: Timestamp, now: Timestamp) -> String {
    let millis = at.millis_since(now);
    if millis <= 0 {
        return format!("{at} (any moment now)");
    }
    let wait = std::time::Duration::from_millis(millis as u64);
    format!("{at} (in {})", crate::progress::clock(wait))
}

/// A stack for people: what it is, where it stands, what it made, what went wrong; and, while it
/// provisions, when the API expects it to be READY.
pub fn stack_text(stack: &Stack, expected_ready_at: Option<Timestamp>) -> String {
    let mut out = String::new();
    let request = &stack.request;
    let mut row = |label: &str, value: &str| {
        if !value.is_empty() {
            let _ = writeln!(out, "{label:<10}{value}");
        }
    };
    row("id", stack.id.as_str());
    row("status", stack.status().as_str());
    row("phase", &api_name(&stack.phase));
    if let Some(at) = expected_ready_at {
        row(
            "expected",
            &format!("READY {}", expected(at, Timestamp::now())),
        );
    }
    row("name", request.name.as_deref().unwrap_or_default());
    let api = format!(
        "{} in {}, stage {}",
        request.api_id, request.region, request.stage
    );
    row("api", &api);
    if let Some(domain) = &request.custom_domain {
        row("domain", domain.name.as_str());
    }
    let outputs = &stack.outputs;
    row(
        "endpoint",
        outputs.endpoint_url.as_deref().unwrap_or_default(),
    );
    row("owner", &stack.owner);
    row("created", &stack.created_at.to_string());
    row("updated", &stack.updated_at.to_string());

    let named: Vec<(&str, &str)> = [
        ("distribution_id", &outputs.distribution_id),
        (
            "distribution_domain_name",
            &outputs.distribution_domain_name,
        ),
        ("certificate_arn", &outputs.certificate_arn),
        (
            "regional_certificate_arn",
            &outputs.regional_certificate_arn,
        ),
        ("regional_domain_name", &outputs.regional_domain_name),
    ]
    .into_iter()
    .filter_map(|(field, value)| value.as_deref().map(|v| (field, v)))
    .collect();
    if !named.is_empty() {
        out.push_str("outputs:\n");
        for (field, value) in named {
            let _ = writeln!(out, "  {field:<26}{value}");
        }
    }
    if let Some(smoke) = &outputs.smoke_test {
        let _ = writeln!(
            out,
            "smoke test: {} answered {} at {}",
            smoke.url, smoke.status_code, smoke.at
        );
    }
    if !outputs.dns_records.is_empty() {
        out.push_str("dns records:\n");
        for record in &outputs.dns_records {
            let who = if record.managed {
                "managed by edgestack"
            } else {
                "YOU create it"
            };
            let _ = writeln!(
                out,
                "  {} {} {} ({}, {who})",
                record.name,
                record.record_type,
                record.value,
                api_name(&record.purpose),
            );
        }
    }
    if !stack.steps.is_empty() {
        out.push_str("steps:\n");
        let width = stack.steps.iter().map(|s| s.name.len()).max().unwrap_or(0);
        for step in &stack.steps {
            let _ = write!(
                out,
                "  {:<width$}  {:<9}",
                step.name,
                api_name(&step.status)
            );
            if let Some(detail) = &step.detail {
                let _ = write!(out, "  {detail}");
            }
            out.push('\n');
        }
    }
    if let Some(error) = &stack.error {
        let _ = writeln!(out, "error:    {} (step {})", error.code, error.step);
        let _ = writeln!(out, "  {}", error.message);
        let _ = writeln!(
            out,
            "  {}",
            if error.rolled_back {
                "nothing was left behind"
            } else {
                "resources may remain: delete the stack to remove them"
            }
        );
    }
    out
}

/// A page of stacks as a table.
pub fn list_text<'a>(items: impl IntoIterator<Item = &'a Stack>) -> String {
    let rows: Vec<[String; 5]> = items
        .into_iter()
        .map(|stack| {
            let request = &stack.request;
            let what = match &request.custom_domain {
                Some(domain) => domain.name.to_string(),
                None => format!("{} ({})", request.api_id, request.region),
            };
            [
                stack.id.to_string(),
                stack.status().as_str().to_owned(),
                request.name.clone().unwrap_or_default(),
                what,
                stack.created_at.to_string(),
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
        Failure::Transport(message) | Failure::Setup(message) | Failure::Unreadable(message) => {
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

    fn ready() -> Stack {
        crate::testing::stack(json!({
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
                "smoke_test": { "url": "https://api.example.com/greetings", "status_code": 200, "at": "2026-11-25T10:04:10.000Z" }
            },
            "error": null
        }))
    }

    #[test]
    fn a_stack_reads_as_a_summary() {
        let text = stack_text(&ready(), None);
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
        assert!(
            !text.contains("expected"),
            "nothing expected of a READY stack"
        );
        let at = Timestamp::parse("2026-11-25T10:09:00Z").unwrap();
        let past = stack_text(&ready(), Some(at));
        assert!(
            past.contains(&format!("expected  READY {at} (any moment now)")),
            "{past}"
        );
    }

    #[test]
    fn a_failed_stack_says_why() {
        let mut stack = serde_json::to_value(ready()).unwrap();
        stack["status"] = json!("FAILED");
        stack["error"] = json!({ "code": "api_not_found", "message": "No REST API a1b2c3d4e5 exists.",
                                 "step": "validate", "rolled_back": true });
        let stack = crate::testing::stack(stack);
        let text = stack_text(&stack, None);
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
