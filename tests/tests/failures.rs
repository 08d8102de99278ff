//! What a failure, a teardown and a repeated step leave behind, end to end: the real API,
//! moto's Step Functions engine running `statemachine/*.asl.json`, the real step binaries, and
//! the emulated account searched for anything that belongs to the stack. Faults are injected
//! with the local stack's `fault-injection` tag. Each test is a team of its own, so the tests
//! run in parallel. Needs the local stack: `make up` (or `make test`).

use aws_sdk_sfn::types::ExecutionStatus;
use edgestack_tests::{
    assert_error, eventually, invoke_function, status, step, step_names, Footprint, Shape,
    StackSpec, Team, NO_TASK_TOKEN, PARKING_STEPS, PROVISION_STEPS, STEP_FUNCTIONS, TEARDOWN_STEPS,
};
use serde_json::{json, Value};
use std::time::Duration;

/// A step record's timestamp (RFC 3339, UTC, same precision throughout: they sort as text).
fn time_of<'a>(stack: &'a Value, step_name: &str, field: &str) -> &'a str {
    step(stack, step_name)
        .and_then(|s| s[field].as_str())
        .unwrap_or_else(|| panic!("step {step_name} has no {field}: {stack}"))
}

/// The undo steps ran in the safe order of `recipe.md`, each to its end: DNS records first,
/// finished before the distribution was disabled or deleted.
fn assert_undone_in_safe_order(stack: &Value) {
    let names = step_names(stack);
    let undo: Vec<&str> = names
        .iter()
        .map(String::as_str)
        .filter(|n| TEARDOWN_STEPS.contains(n))
        .collect();
    assert_eq!(undo, TEARDOWN_STEPS, "the undo steps, in order: {stack}");
    for name in TEARDOWN_STEPS {
        let record = step(stack, name).expect("recorded");
        assert!(
            record["status"] == "SUCCEEDED" || record["status"] == "SKIPPED",
            "undo step {name} did not finish: {stack}"
        );
    }
    let dns_done = time_of(stack, "delete_dns_records", "finished_at");
    for later in ["disable_distribution", "delete_distribution"] {
        let started = time_of(stack, later, "started_at");
        assert!(
            dns_done <= started,
            "delete_dns_records finished at {dns_done}, after {later} started at {started}"
        );
    }
}

fn assert_nothing_left(footprint: &Footprint, id: &str) {
    assert!(
        footprint.is_empty(),
        "stack {id} left this in the account: {footprint:#?}"
    );
}

/// What a READY stack of `shape` has in the account (so that an empty footprint later means
/// something: the same search found these).
fn assert_footprint_of_ready(shape: Shape, footprint: &Footprint) {
    let custom = shape.has_custom_domain();
    let managed = shape == Shape::CustomDomain;
    let counts = (
        footprint.certificates.len(),
        footprint.distributions.len(),
        footprint.custom_domains.len(),
        footprint.base_path_mappings.len(),
        footprint.records.len(),
    );
    let expected = match (custom, managed) {
        (false, _) => (0, 1, 0, 0, 0),
        (true, true) => (2, 1, 1, 1, 3),
        (true, false) => (2, 1, 1, 1, 0),
    };
    assert_eq!(
        counts, expected,
        "(certificates, distributions, custom domains, mappings, records) of a READY \
         {shape:?} stack: {footprint:#?}"
    );
    assert!(
        footprint.origin_header_values,
        "a READY stack's origin header values are kept (for its distribution): {footprint:#?}"
    );
}

// ----- 4. A failure at any step is recorded and rolled back -------------------------------

async fn a_fault_is_recorded_and_rolled_back(failing: &str) {
    let team = Team::new().await;
    let spec = team
        .request(Shape::CustomDomain)
        .with_tag("fault-injection", failing);
    let id = team.create(&spec).await;

    // The moment the stack says it is rolled back (read often, to see that moment), its name
    // is free for a new stack (this one fails at once, creating nothing), and nothing of it is
    // left in the account.
    let first = team
        .api
        .watch_every(
            Duration::from_millis(100),
            &id,
            "the stack to say it is rolled back",
            |s| status(s) == "FAILED" && s["error"]["rolled_back"] == true,
        )
        .await;
    let retry = spec.clone().with_tag("fault-injection", "validate");
    let reply = team.api.post_json("/stacks", &retry.body).await;
    assert_eq!(
        reply.status,
        202,
        "the name of stack {id} is not free again once it says it is rolled back ({}): {}",
        first.last(),
        reply.text
    );
    let retry_id = edgestack_tests::stack_id(&reply.json());
    assert_nothing_left(&team.footprint(&id, &spec).await, &id);

    // Then the record of what happened.
    let watch = team.api.watch_until_rolled_back(&id).await;
    let stack = watch.last();
    let error = &stack["error"];
    assert_eq!(error["code"], "injected_fault", "{stack}");
    assert_eq!(error["step"], failing, "{stack}");
    assert_eq!(error["rolled_back"], true, "{stack}");
    assert!(
        error["message"]
            .as_str()
            .is_some_and(|m| !m.trim().is_empty()),
        "{stack}"
    );
    assert_eq!(status(stack), "FAILED");
    for seen in [&first, &watch] {
        assert!(
            !seen.saw(|s| status(s) == "READY"),
            "{:?}",
            seen.sequence("status")
        );
        seen.assert_never_showed(&spec.secret);
    }

    // The recipe's steps up to the failing one ran, in order; that one failed; none after it.
    let upto = PROVISION_STEPS
        .iter()
        .position(|s| *s == failing)
        .expect("a provisioning step");
    let names = step_names(stack);
    let provisioning: Vec<&str> = names
        .iter()
        .map(String::as_str)
        .filter(|n| PROVISION_STEPS.contains(n))
        .collect();
    assert_eq!(provisioning, PROVISION_STEPS[..=upto], "{stack}");
    for name in &PROVISION_STEPS[..upto] {
        assert_eq!(
            step(stack, name).unwrap()["status"],
            "SUCCEEDED",
            "{name}: {stack}"
        );
    }
    assert_eq!(step(stack, failing).unwrap()["status"], "FAILED", "{stack}");
    assert_undone_in_safe_order(stack);
    assert_nothing_left(&team.footprint(&id, &spec).await, &id);

    // The second stack fails at once too, and leaves nothing either.
    team.api.watch_until_rolled_back(&retry_id).await;
    assert_nothing_left(&team.footprint(&retry_id, &retry).await, &retry_id);
}

macro_rules! rollback_tests {
    ($($test:ident => $step:literal,)*) => {$(
        #[tokio::test]
        async fn $test() {
            a_fault_is_recorded_and_rolled_back($step).await;
        }
    )*};
}

rollback_tests! {
    a_fault_at_validate_is_rolled_back => "validate",
    a_fault_at_request_certificates_is_rolled_back => "request_certificates",
    a_fault_at_await_certificate_validation_is_rolled_back => "await_certificate_validation",
    a_fault_at_create_custom_domain_is_rolled_back => "create_custom_domain",
    a_fault_at_create_distribution_is_rolled_back => "create_distribution",
    a_fault_at_await_distribution_deployment_is_rolled_back => "await_distribution_deployment",
    a_fault_at_create_dns_records_is_rolled_back => "create_dns_records",
    a_fault_at_smoke_test_is_rolled_back => "smoke_test",
    a_fault_at_mark_ready_is_rolled_back => "mark_ready",
}

/// A rollback that itself fails for good says so: the stack ends `FAILED` with
/// `teardown_failed` at the undo step that failed, keeping the first error in its message,
/// with no step left under way (a portal polling it knows it is over), and what remains is
/// what the steps before the failed one did not undo.
#[tokio::test]
async fn a_rollback_that_fails_is_recorded_with_what_remains() {
    let team = Team::new().await;
    let spec = team
        .request(Shape::CustomDomain)
        .with_tag("fault-injection", "create_distribution delete_certificates");
    let id = team.create(&spec).await;
    let watch = team
        .api
        .watch(&id, "the rollback to fail and say so", |s| {
            status(s) == "FAILED" && s["error"]["code"] == "teardown_failed"
        })
        .await;
    let stack = watch.last();
    let error = &stack["error"];
    assert_eq!(error["step"], "delete_certificates", "{stack}");
    assert_eq!(error["rolled_back"], false, "{stack}");
    let message = error["message"].as_str().unwrap_or_default();
    assert!(
        message.contains("create_distribution") && message.contains("injected_fault"),
        "the first failure is kept in the message: {message}"
    );
    assert!(
        !edgestack_tests::has_step_under_way(stack),
        "no step is left under way: {stack}"
    );
    assert_eq!(
        step(stack, "delete_certificates").map(|s| s["status"].clone()),
        Some(json!("FAILED")),
        "{stack}"
    );
    assert!(!watch.saw(|s| s["error"]["rolled_back"] == true));
    // The undo ran up to the certificates: the custom domain is gone, the certificates remain.
    let footprint = team.footprint(&id, &spec).await;
    assert_eq!(footprint.certificates.len(), 2, "{footprint:#?}");
    assert!(
        footprint.custom_domains.is_empty() && footprint.distributions.is_empty(),
        "{footprint:#?}"
    );
}

// ----- 5. Teardown ------------------------------------------------------------------------

async fn delete(team: &Team, id: &str) -> Value {
    let stack = team.api.delete(&format!("/stacks/{id}")).await.expect(202);
    assert_eq!(status(&stack), "DELETING", "{stack}");
    stack
}

async fn a_deleted_ready_stack_leaves_nothing(shape: Shape) {
    let team = Team::new().await;
    let spec = team.request(shape);
    let id = team.create(&spec).await;
    team.api.watch_until_status(&id, "READY").await;
    assert_footprint_of_ready(shape, &team.footprint(&id, &spec).await);

    delete(&team, &id).await;
    let watch = team.api.watch_until_status(&id, "DELETED").await;
    let stack = watch.last();
    assert!(stack["error"].is_null(), "{stack}");
    assert!(stack["outputs"]["endpoint_url"].is_null(), "{stack}");
    assert_undone_in_safe_order(stack);
    watch.assert_never_showed(&spec.secret);
    assert_nothing_left(&team.footprint(&id, &spec).await, &id);

    // Deleting it again is a conflict, and it still reads back as DELETED.
    assert_error(&team.api.delete(&format!("/stacks/{id}")).await, 409, None);
    let read = team.api.get(&format!("/stacks/{id}")).await.expect(200);
    assert_eq!(status(&read), "DELETED");

    // The table's TTL removes it in 30 days, not before.
    let item = team.aws.stack_item(&id).await.expect("the stack's item");
    let expires: u64 = item
        .get("expires_at")
        .and_then(|v| v.as_n().ok())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("a DELETED stack's item has an expires_at: {item:?}"));
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("after 1970")
        .as_secs();
    let days = (expires.saturating_sub(now) + 3600) / 86_400;
    assert_eq!(days, 30, "expires_at {expires} is {days} days away");
}

#[tokio::test]
async fn deleting_a_ready_stack_without_custom_domain_leaves_nothing() {
    a_deleted_ready_stack_leaves_nothing(Shape::Plain).await;
}

#[tokio::test]
async fn deleting_a_ready_iam_stack_leaves_nothing() {
    a_deleted_ready_stack_leaves_nothing(Shape::Iam).await;
}

#[tokio::test]
async fn deleting_a_ready_stack_with_a_custom_domain_leaves_nothing() {
    a_deleted_ready_stack_leaves_nothing(Shape::CustomDomain).await;
}

/// A DELETE while provisioning stops it; the second DELETE meanwhile is a conflict; in the
/// end nothing of the stack is left, also once the stopped provisioning has ended.
async fn a_delete_during_provisioning_leaves_nothing(team: &Team, spec: &StackSpec, id: &str) {
    let path = format!("/stacks/{id}");
    delete(team, id).await;
    assert_error(&team.api.delete(&path).await, 409, None);
    let watch = team.api.watch_until_status(id, "DELETED").await;
    assert!(
        !watch.saw(|s| status(s) == "READY"),
        "{:?}",
        watch.sequence("status")
    );
    let stack = watch.last();
    assert!(stack["error"].is_null(), "{stack}");
    assert_undone_in_safe_order(stack);
    assert_nothing_left(&team.footprint(id, spec).await, id);

    // The provisioning execution ends, stopped. (AWS aborts it at once. moto's engine lets a
    // Task in flight return first, and when that Task failed, here with `StackGone` because
    // its step found the stack being deleted, it reports the execution FAILED with that error
    // instead of ABORTED.) Whatever a step still in flight did meanwhile, nothing is left.
    let arn = team.aws.env().provision_execution_arn(id);
    let (sfn, arn_ref) = (&team.aws.sfn, &arn);
    let ended = eventually(&format!("{arn} to end"), || async move {
        let execution = sfn
            .describe_execution()
            .execution_arn(arn_ref)
            .send()
            .await
            .expect("DescribeExecution");
        (execution.status() != &ExecutionStatus::Running).then_some(execution)
    })
    .await;
    let how = (ended.status().clone(), ended.error().unwrap_or_default());
    assert!(
        matches!(
            how,
            (ExecutionStatus::Aborted | ExecutionStatus::Succeeded, _)
                | (ExecutionStatus::Failed, "StackGone")
        ),
        "{arn} ended {how:?}: {:?}",
        ended.cause()
    );
    assert_nothing_left(&team.footprint(id, spec).await, id);
    assert_eq!(status(&team.api.get(&path).await.expect(200)), "DELETED");
    assert_error(&team.api.delete(&path).await, 409, None);
}

#[tokio::test]
async fn a_delete_right_after_post_stops_provisioning_and_leaves_nothing() {
    let team = Team::new().await;
    let spec = team.request(Shape::CustomDomain);
    let id = team.create(&spec).await;
    a_delete_during_provisioning_leaves_nothing(&team, &spec, &id).await;
}

#[tokio::test]
async fn a_delete_while_the_distribution_deploys_leaves_nothing() {
    let team = Team::new().await;
    let spec = team.request(Shape::CustomDomain);
    let id = team.create(&spec).await;
    team.await_parked(&id, "await_distribution_deployment")
        .await;
    a_delete_during_provisioning_leaves_nothing(&team, &spec, &id).await;
}

#[tokio::test]
async fn a_delete_while_the_certificates_are_validated_leaves_nothing() {
    let team = Team::new().await;
    let spec = team.request(Shape::CustomDomain);
    let id = team.create(&spec).await;
    team.await_parked(&id, "await_certificate_validation").await;
    a_delete_during_provisioning_leaves_nothing(&team, &spec, &id).await;
}

/// A DELETE while the smoke test is retrying (its path answers 403, not the 2xx it must):
/// the last step of provisioning, everything made, nothing left after.
#[tokio::test]
async fn a_delete_while_the_smoke_test_retries_leaves_nothing() {
    let team = Team::new().await;
    let mut spec = team.request(Shape::CustomDomain);
    spec.body["smoke_test_path"] = "/nowhere".into();
    let id = team.create(&spec).await;
    team.api
        .watch(&id, "the smoke test to be retrying", |s| {
            s["phase"] == "SMOKE_TESTING"
                && step(s, "smoke_test").is_some_and(|t| t["attempts"].as_u64() >= Some(2))
        })
        .await;
    a_delete_during_provisioning_leaves_nothing(&team, &spec, &id).await;
}

/// A DELETE while a failed stack's rollback runs: the rollback is stopped and one teardown
/// undoes the stack, after the steps in flight; it ends DELETED with nothing left, and the
/// rollback's end never takes it back.
#[tokio::test]
async fn a_delete_during_a_rollback_leaves_nothing() {
    let team = Team::new().await;
    let spec = team
        .request(Shape::CustomDomain)
        .with_tag("fault-injection", "smoke_test");
    let id = team.create(&spec).await;
    team.api
        .watch(&id, "the rollback to be under way", |s| {
            status(s) == "FAILED"
                && s["error"]["rolled_back"] == false
                && s["steps"].as_array().is_some_and(|steps| {
                    steps
                        .iter()
                        .any(|st| st["name"] == "delete_dns_records" && st["status"] == "SUCCEEDED")
                })
        })
        .await;
    let stack = delete(&team, &id).await;
    assert_eq!(stack["phase"], "STOPPING_PROVISIONING", "{stack}");
    let watch = team.api.watch_until_status(&id, "DELETED").await;
    assert!(
        !watch.saw(|s| status(s) == "FAILED"),
        "a stopped rollback never takes the stack back: {:?}",
        watch.sequence("status")
    );
    assert_nothing_left(&team.footprint(&id, &spec).await, &id);
    assert_eq!(
        status(&team.api.get(&format!("/stacks/{id}")).await.expect(200)),
        "DELETED"
    );
}

// ----- 6. Every step is idempotent --------------------------------------------------------

/// The outputs, with what a repeated smoke test legitimately changes (when it ran) left out
/// and the DNS records in a fixed order (their order means nothing).
fn comparable_outputs(stack: &Value) -> Value {
    let mut outputs = stack["outputs"].clone();
    if let Some(smoke) = outputs["smoke_test"].as_object_mut() {
        smoke.remove("at");
    }
    if let Some(records) = outputs["dns_records"].as_array_mut() {
        records.sort_by_key(|r| r.to_string());
    }
    outputs
}

/// Runs `function` (recording `step_name`) again with `payload`, as a Step Functions retry
/// would; its output, or `None` with what went wrong added to `problems`.
async fn run_again(
    step_name: &str,
    function: &str,
    payload: &Value,
    problems: &mut Vec<String>,
) -> Option<Value> {
    let parking = PARKING_STEPS.contains(&step_name);
    let event = if parking {
        json!({ "flow": payload, "task_token": NO_TASK_TOKEN })
    } else {
        payload.clone()
    };
    let reply = invoke_function(function, &event).await;
    let out: Value = serde_json::from_str(&reply.text).unwrap_or(Value::Null);
    if reply.status != 200 || out.get("errorType").is_some() {
        problems.push(format!(
            "{function} ({step_name}) failed when run again: HTTP {} {}",
            reply.status, reply.text
        ));
        return None;
    }
    Some(out)
}

/// After steps ran again: the stack is still `wanted` without error, with the same outputs.
fn check_stack_unchanged(
    stack: &Value,
    wanted: &str,
    outputs_before: &Value,
    problems: &mut Vec<String>,
) {
    if status(stack) != wanted || !stack["error"].is_null() {
        problems.push(format!(
            "the stack is no longer {wanted} without error: {stack}"
        ));
    }
    if comparable_outputs(stack) != *outputs_before {
        problems.push(format!(
            "the outputs changed: before {outputs_before}, after {}",
            comparable_outputs(stack)
        ));
    }
}

#[tokio::test]
async fn every_provisioning_step_run_again_on_a_ready_stack_changes_nothing() {
    let team = Team::new().await;
    let spec = team.request(Shape::CustomDomain);
    let id = team.create(&spec).await;
    let ready = team.api.watch_until_status(&id, "READY").await;
    let before = team.footprint(&id, &spec).await;
    assert_footprint_of_ready(Shape::CustomDomain, &before);
    let outputs_before = comparable_outputs(ready.last());
    let distribution_id = ready.last()["outputs"]["distribution_id"]
        .as_str()
        .expect("a distribution")
        .to_owned();
    let config_of = || async {
        let out = team
            .aws
            .cloudfront
            .get_distribution_config()
            .id(&distribution_id)
            .send()
            .await
            .expect("GetDistributionConfig");
        format!("{:?}", out.distribution_config)
    };
    let config_before = config_of().await;

    // Every step runs again, whatever the one before it did; then every problem is reported.
    let payload = json!({ "stack_id": id, "custom_domain": true, "managed_dns": true });
    let mut problems = Vec::new();
    for (step_name, function) in STEP_FUNCTIONS {
        let out = run_again(step_name, function, &payload, &mut problems).await;
        if out.is_some() && PARKING_STEPS.contains(&step_name) {
            // It answers through the token; what it did is on the stack: finished, or parked.
            let stack = team.api.get(&format!("/stacks/{id}")).await.expect(200);
            let ran = step(&stack, step_name).map(|s| s["status"].clone());
            if ran != Some(json!("SUCCEEDED")) {
                problems.push(format!("{function} would wait again: {ran:?}"));
            }
        } else if let Some(out) = out {
            if out["stack_id"] != id.as_str() {
                problems.push(format!("{function} answered for another stack: {out}"));
            }
        }
        let after = team.footprint(&id, &spec).await;
        if after != before {
            problems.push(format!(
                "the account changed when {function} ran again: before {before:#?}, after \
                 {after:#?}"
            ));
        }
    }

    let stack = team.api.get(&format!("/stacks/{id}")).await.expect(200);
    check_stack_unchanged(&stack, "READY", &outputs_before, &mut problems);
    if config_of().await != config_before {
        problems.push("the distribution's config changed".to_owned());
    }
    assert!(
        problems.is_empty(),
        "running the provisioning steps again on READY stack {id}:\n{}",
        problems.join("\n")
    );
}

/// The teardown's functions, each with the step it records.
const TEARDOWN_FUNCTIONS: [(&str, &str); 6] = [
    ("delete_dns_records", "delete-dns-records"),
    ("disable_distribution", "disable-distribution"),
    ("delete_distribution", "delete-distribution"),
    ("delete_custom_domain", "delete-custom-domain"),
    ("delete_certificates", "delete-certificates"),
    ("finish_teardown", "finish-teardown"),
];

#[tokio::test]
async fn every_teardown_step_run_again_on_a_deleted_stack_changes_nothing() {
    let team = Team::new().await;
    let spec = team.request(Shape::CustomDomain);
    let id = team.create(&spec).await;
    team.api.watch_until_status(&id, "READY").await;
    delete(&team, &id).await;
    let deleted = team.api.watch_until_status(&id, "DELETED").await;
    let outputs_before = comparable_outputs(deleted.last());
    assert_nothing_left(&team.footprint(&id, &spec).await, &id);
    let zone_before = team.aws.zone_records_besides_ns_soa(&team.zone.id).await;

    // Step Functions may run any undo step again (a retry after a timeout, a redrive): each
    // finds its part already gone, says so, and touches nothing else.
    let payload =
        json!({ "stack_id": id, "custom_domain": true, "managed_dns": true, "teardown": true });
    let mut problems = Vec::new();
    for (step_name, function) in TEARDOWN_FUNCTIONS {
        let out = run_again(step_name, function, &payload, &mut problems).await;
        if let Some(out) = out {
            if step_name == "disable_distribution" && out["ready"] != true {
                problems.push(format!("{function} would wait again: {out}"));
            }
        }
        let footprint = team.footprint(&id, &spec).await;
        if !footprint.is_empty() {
            problems.push(format!("{function} left this: {footprint:#?}"));
        }
        let zone = team.aws.zone_records_besides_ns_soa(&team.zone.id).await;
        if zone != zone_before {
            problems.push(format!(
                "{function} changed the zone: {zone_before:?} -> {zone:?}"
            ));
        }
    }
    let stack = team.api.get(&format!("/stacks/{id}")).await.expect(200);
    check_stack_unchanged(&stack, "DELETED", &outputs_before, &mut problems);
    // The name stays free.
    let again = team.api.post_json("/stacks", &spec.body).await;
    if again.status != 202 {
        problems.push(format!(
            "the name is not free: {} {}",
            again.status, again.text
        ));
    }
    assert!(
        problems.is_empty(),
        "running the teardown steps again on DELETED stack {id}:\n{}",
        problems.join("\n")
    );
}
