//! The provisioning workflow end to end: the real API, moto's Step Functions engine running
//! `statemachine/provision.asl.json`, the real step binaries under cargo-lambda, and the
//! strict account read back field by field against `recipe.md`. Each test is a team of its
//! own (principal, REST API, hosted zone, custom domain name), so the tests run in parallel.
//! Needs the local stack as `scripts/test.sh` starts it (`STRICT_TIME_SCALE=0.02`).

use edgestack_tests::{assert_ready_as_recipe_says, status, step, Shape, Team, PROVISION_PHASES};
use serde_json::Value;

async fn provisions_as_the_recipe_says(team: Team, shape: Shape) {
    let spec = team.request(shape);
    let id = team.create(&spec).await;
    let watch = team.api.watch_until_status(&id, "READY").await;
    assert_ready_as_recipe_says(&team, &spec, &watch).await;
    // Provisioning moved forward through the recipe, never back.
    assert_phases_in_recipe_order(&watch.sequence("phase"));
    // The list shows it READY too, with the secret masked.
    let listed = team.api.get("/stacks?status=READY").await;
    let page = listed.expect(200);
    assert_eq!(page["items"][0]["id"], id.as_str(), "{page}");
    assert!(
        !listed.text.contains(&spec.secret),
        "GET /stacks showed the secret"
    );
}

/// The phases seen are the recipe's, in its order (some are too quick to be seen), with
/// `AWAITING_TURN` a pause of the step under way wherever it falls.
fn assert_phases_in_recipe_order(phases: &[String]) {
    let mut last = 0;
    for phase in phases.iter().filter(|p| *p != "AWAITING_TURN") {
        let at = PROVISION_PHASES
            .iter()
            .position(|p| p == phase)
            .unwrap_or_else(|| panic!("phase {phase} is none of provisioning's: {phases:?}"));
        assert!(at >= last, "phases went backwards: {phases:?}");
        last = at;
    }
}

#[tokio::test]
async fn a_stack_without_custom_domain_and_auth_none_is_built_as_the_recipe_says() {
    provisions_as_the_recipe_says(Team::new().await, Shape::Plain).await;
}

#[tokio::test]
async fn a_stack_without_custom_domain_and_auth_iam_is_built_as_the_recipe_says() {
    // A team whose grant names its API: the smoke test signs.
    provisions_as_the_recipe_says(Team::signing().await, Shape::Iam).await;
}

#[tokio::test]
async fn a_stack_with_a_custom_domain_is_built_as_the_recipe_says() {
    provisions_as_the_recipe_says(Team::new().await, Shape::CustomDomain).await;
}

fn waiting_in(stack: &Value, phase: &str, step_name: &str) -> bool {
    stack["phase"] == phase && step(stack, step_name).is_some_and(|s| s["status"] == "WAITING")
}

/// With DNS elsewhere, the stack waits in AWAITING_DNS showing the validation record the owner
/// must create: ACM issues nothing until that record resolves (the strict account keeps that
/// rule). Once the owner creates it in its own DNS, the stack goes on by itself and ends READY
/// handing over the record for the name; edgestack writes no record anywhere (not even in a
/// zone of the account that would hold the name).
#[tokio::test]
async fn outside_dns_waits_for_the_owner_and_hands_over_the_records() {
    let team = Team::new().await;
    let spec = team.request(Shape::OutsideDns);
    let name = team.domain();
    let id = team.create(&spec).await;

    // Wait until the stack shows AWAITING_DNS, and check there and then that the
    // certificates are still pending.
    let awaiting = team
        .api
        .watch(&id, "AWAITING_DNS with the validation record", |s| {
            status(s) == "AWAITING_DNS"
                && s["outputs"]["certificate_arn"].is_string()
                && s["outputs"]["dns_records"]
                    .as_array()
                    .is_some_and(|r| !r.is_empty())
        })
        .await;
    let stack = awaiting.last().clone();
    let edge_arn = stack["outputs"]["certificate_arn"]
        .as_str()
        .unwrap()
        .to_owned();
    let pending = team
        .aws
        .acm_in("us-east-1")
        .describe_certificate()
        .certificate_arn(&edge_arn)
        .send()
        .await
        .expect("DescribeCertificate")
        .certificate
        .expect("a certificate");
    assert_eq!(
        pending.status(),
        Some(&aws_sdk_acm::types::CertificateStatus::PendingValidation),
        "AWAITING_DNS while the certificate is pending: {stack}"
    );
    let acm_record = pending.domain_validation_options()[0]
        .resource_record()
        .expect("ACM's validation record")
        .clone();
    let records = stack["outputs"]["dns_records"].as_array().unwrap();
    assert_eq!(
        records.len(),
        1,
        "only the validation record so far: {stack}"
    );
    let record = &records[0];
    assert_eq!(record["purpose"], "certificate_validation", "{stack}");
    assert_eq!(record["type"], "CNAME", "{stack}");
    assert_eq!(record["managed"], false, "the owner creates it: {stack}");
    assert_eq!(
        record["name"].as_str().unwrap().trim_end_matches('.'),
        acm_record.name().trim_end_matches('.')
    );
    assert_eq!(
        record["value"].as_str().unwrap().trim_end_matches('.'),
        acm_record.value().trim_end_matches('.')
    );
    assert!(stack["error"].is_null(), "{stack}");

    // Without the record, ACM never issues: the stack keeps waiting for its owner.
    tokio::time::sleep(std::time::Duration::from_secs(5)).await;
    let still = team.api.get(&format!("/stacks/{id}")).await.expect(200);
    assert_eq!(status(&still), "AWAITING_DNS", "{still}");

    // The owner creates the record in its own DNS; the stack goes on by itself.
    let owner_dns = team.aws.create_outside_zone(&name).await;
    team.aws
        .create_cname(&owner_dns, acm_record.name(), acm_record.value())
        .await;
    let watch = team.api.watch_until_status(&id, "READY").await;
    assert!(
        !watch.saw(|s| status(s) == "FAILED"),
        "{:?}",
        watch.sequence("status")
    );
    assert_eq!(
        step(watch.last(), "await_certificate_validation").map(|s| s["status"].clone()),
        Some("SUCCEEDED".into())
    );
    assert_ready_as_recipe_says(&team, &spec, &watch).await;
    awaiting.assert_never_showed(&spec.secret);
    let anywhere = team.aws.records_within_anywhere(&name).await;
    assert!(anywhere.is_empty(), "{anywhere:?}");

    // Deleted, the stack tells the owner to remove its CNAME to the distribution (edgestack
    // cannot, and the README says why deleting the distribution first is safe).
    let distribution = watch.last()["outputs"]["distribution_domain_name"]
        .as_str()
        .expect("a distribution")
        .to_owned();
    let reply = team.api.delete(&format!("/stacks/{id}")).await;
    assert_eq!(reply.status, 202, "{}", reply.text);
    let deleted = team.api.watch_until_status(&id, "DELETED").await;
    let detail = step(deleted.last(), "delete_dns_records")
        .and_then(|s| s["detail"].as_str().map(str::to_owned))
        .unwrap_or_default();
    assert!(
        detail.contains("remove your CNAME")
            && detail.contains(&name)
            && detail.contains(&distribution),
        "{}",
        deleted.last()
    );
}

/// With ACM and CloudFront as slow as AWS (certificates pending for a while, a distribution
/// InProgress for several polls), the stack shows each wait as it happens: the phase and the
/// waiting step's detail, before READY.
#[tokio::test]
async fn a_slow_aws_shows_each_wait_before_ready() {
    let team = Team::new().await;
    let spec = team.request(Shape::CustomDomain);
    let id = team.create(&spec).await;
    let watch = team.api.watch_until_status(&id, "READY").await;

    let certificates = watch
        .snapshots
        .iter()
        .position(|s| {
            waiting_in(
                s,
                "AWAITING_CERTIFICATE_VALIDATION",
                "await_certificate_validation",
            )
        })
        .unwrap_or_else(|| {
            panic!(
                "never seen waiting for the certificates; phases seen {:?}",
                watch.sequence("phase")
            )
        });
    let detail = step(
        &watch.snapshots[certificates],
        "await_certificate_validation",
    )
    .and_then(|s| s["detail"].as_str())
    .unwrap_or_default()
    .to_owned();
    assert!(
        detail.to_lowercase().contains("waiting"),
        "the detail says what it waits for: {detail:?}"
    );
    assert_eq!(status(&watch.snapshots[certificates]), "PROVISIONING");

    let distribution = watch
        .snapshots
        .iter()
        .position(|s| {
            waiting_in(
                s,
                "AWAITING_DISTRIBUTION_DEPLOYMENT",
                "await_distribution_deployment",
            )
        })
        .unwrap_or_else(|| {
            panic!(
                "never seen waiting for the distribution; phases seen {:?}",
                watch.sequence("phase")
            )
        });
    let seen = &watch.snapshots[distribution];
    let detail = step(seen, "await_distribution_deployment")
        .and_then(|s| s["detail"].as_str())
        .unwrap_or_default();
    assert!(
        detail.contains("InProgress"),
        "the detail says what CloudFront reports: {detail:?}"
    );
    assert!(seen["outputs"]["distribution_id"].is_string(), "{seen}");
    assert!(
        certificates < distribution,
        "certificates are awaited first"
    );
    assert_eq!(
        step(seen, "await_certificate_validation").map(|s| s["status"].clone()),
        Some("SUCCEEDED".into())
    );

    assert_phases_in_recipe_order(&watch.sequence("phase"));
    let statuses = watch.sequence("status");
    assert!(
        statuses
            .iter()
            .all(|s| ["PENDING", "PROVISIONING", "READY"].contains(&s.as_str())),
        "a stack in a managed zone never waits for its owner: {statuses:?}"
    );
    assert_ready_as_recipe_says(&team, &spec, &watch).await;
}

/// Once the watcher has seen each of AWS's waits end (a custom-domain stack in a managed zone
/// parks on all three), a stack in progress says when it is expected to be READY, at every read
/// until it is; a READY stack says nothing of it. (How close the expectation comes is measured
/// by `make bench`, not asserted here: these machines' speed varies.)
#[tokio::test]
async fn a_stack_in_progress_says_when_it_is_expected_ready() {
    // Another team first (a team has one custom domain name).
    let earlier = Team::new().await;
    let first = earlier.create(&earlier.request(Shape::CustomDomain)).await;
    earlier.api.watch_until_status(&first, "READY").await;

    let team = Team::new().await;
    let spec = team.request(Shape::CustomDomain);
    let id = team.create(&spec).await;
    let watch = team.api.watch_until_status(&id, "READY").await;
    for stack in &watch.snapshots {
        let expected = &stack["expected_ready_at"];
        if status(stack) == "READY" {
            assert!(expected.is_null(), "{stack}");
            continue;
        }
        let at = expected
            .as_str()
            .unwrap_or_else(|| panic!("every read in progress expects a time: {stack}"));
        assert!(
            at >= stack["created_at"].as_str().unwrap(),
            "expected after it was asked for: {stack}"
        );
    }
    assert_ready_as_recipe_says(&team, &spec, &watch).await;
}
