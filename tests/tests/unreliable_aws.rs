//! An unreliable AWS, staged with the strict account's injected faults:
//!
//! - a burst under a throttling account: ten custom-domain stacks asked for at once while a
//!   fifth of the account's calls to the services edgestack provisions (Route 53, ACM,
//!   CloudFront, API Gateway) are throttled, on top of the account's own rate limits (API
//!   Gateway's one `CreateDomainName` and `DeleteDomainName` every 30 seconds, Route 53's five
//!   requests a second, scaled like every wait of the local account): every stack reaches
//!   READY, every DELETE ends DELETED, nothing of any stack is left, and the stacks took turns
//!   at `CreateDomainName` and `DeleteDomainName` (the account's own limit refused none);
//! - answers lost after the call took effect: nothing is made twice, nothing is left;
//! - a DELETE while a slow call is in flight (`StopExecution` does not stop a Lambda), for
//!   validate, each step that creates something, and the wait for the alias records to
//!   propagate: what the Lambda makes after the DELETE is removed too;
//! - a certificate and a custom domain made but never recorded (every answer lost): the
//!   teardown finds them by the stack's tag and removes them;
//! - a stack behind others in the account's queue at `CreateDomainName` and `DeleteDomainName`
//!   waits for its turn in the state machine (`AWAITING_TURN`).
//!
//! The faults apply to the whole account, so these tests run alone and one at a time, after
//! the others: `scripts/test.sh`'s `unreliable` phase runs them with `--ignored`.

use std::time::Duration;

use edgestack_tests::{status, step, Shape, StrictAccount, Team};
use futures::future::join_all;
use serde_json::Value;

const STACKS: usize = 10;
const THROTTLED_SHARE: f64 = 0.2;

#[tokio::test]
#[ignore = "throttles the whole local account: run alone (scripts/test.sh's unreliable phase)"]
async fn ten_custom_domain_stacks_at_once_with_a_fifth_of_the_calls_throttled_all_become_ready_and_delete_cleanly(
) {
    let account = StrictAccount::get();
    let teams = join_all((0..STACKS).map(|_| Team::new())).await;
    let specs: Vec<_> = teams
        .iter()
        .map(|t| t.request(Shape::CustomDomain))
        .collect();
    account.reset_calls().await;
    account
        .throttle(
            &["route53:*", "acm:*", "cloudfront:*", "apigateway:*"],
            THROTTLED_SHARE,
        )
        .await;
    let ids = account
        .clearing_faults_after(async {
            let ids = join_all(
                teams
                    .iter()
                    .zip(&specs)
                    .map(|(team, spec)| team.create(spec)),
            )
            .await;
            let ready = join_all(
                teams
                    .iter()
                    .zip(&ids)
                    .map(|(team, id)| team.api.watch_until_status(id, "READY")),
            )
            .await;
            for watch in &ready {
                assert_eq!(status(watch.last()), "READY", "{}", watch.last());
            }
            let deleted = join_all(teams.iter().zip(&ids).map(|(team, id)| async move {
                team.api.delete(&format!("/stacks/{id}")).await.expect(202);
                team.api.watch_until_status(id, "DELETED").await
            }))
            .await;
            for watch in &deleted {
                assert_eq!(status(watch.last()), "DELETED", "{}", watch.last());
            }
            let queued = ready
                .iter()
                .chain(&deleted)
                .filter(|watch| watch.saw(|s| s["phase"] == "AWAITING_TURN"))
                .count();
            eprintln!("{queued} of the stacks' creations and deletions were seen AWAITING_TURN");
            ids
        })
        .await;
    // The stacks took turns at the calls the account allows once per window: none of them
    // collided with another's (the injected throttles aside, which are not the account's).
    let calls = account.calls().await;
    for paced in ["apigateway:CreateDomainName", "apigateway:DeleteDomainName"] {
        assert!(
            calls["calls"][paced].as_u64() >= Some(STACKS as u64),
            "{paced}: {calls}"
        );
        assert_eq!(
            calls["rate_limited"][paced].as_u64().unwrap_or(0),
            0,
            "{paced} refused by the account's rate limit: {calls}"
        );
    }
    // The footprint is read with an unthrottled account: it checks, it is not under test.
    for ((team, spec), id) in teams.iter().zip(&specs).zip(&ids) {
        let footprint = team.footprint(id, spec).await;
        assert!(footprint.is_empty(), "stack {id} left {footprint:#?}");
    }
}

/// Answers lost after the call took effect (the account did it; the caller saw a 503): every
/// create of the workflow is retried by the SDK and by the state machine, and each retry must
/// find what the lost call made instead of making a second one. Three custom-domain stacks with
/// a third of those answers lost: each READY with exactly one distribution, one custom domain
/// and its two certificates, then DELETED with nothing left.
#[tokio::test]
#[ignore = "loses answers in the whole local account: run alone (scripts/test.sh's unreliable phase)"]
async fn answers_lost_after_the_call_took_effect_make_nothing_twice() {
    let account = StrictAccount::get();
    let teams = join_all((0..3).map(|_| Team::new())).await;
    let specs: Vec<_> = teams
        .iter()
        .map(|t| t.request(Shape::CustomDomain))
        .collect();
    account
        .lose_answers(
            &[
                "acm:RequestCertificate",
                "apigateway:CreateDomainName",
                "apigateway:CreateBasePathMapping",
                "cloudfront:CreateDistributionWithTags",
                "cloudfront:UpdateDistribution",
                "route53:ChangeResourceRecordSets",
            ],
            1.0 / 3.0,
        )
        .await;
    let (ids, ready) = account
        .clearing_faults_after(async {
            let ids = join_all(
                teams
                    .iter()
                    .zip(&specs)
                    .map(|(team, spec)| team.create(spec)),
            )
            .await;
            let ready = join_all(
                teams
                    .iter()
                    .zip(&ids)
                    .map(|(team, id)| team.api.watch_until_status(id, "READY")),
            )
            .await;
            (ids, ready)
        })
        .await;
    for ((team, spec), (id, watch)) in teams.iter().zip(&specs).zip(ids.iter().zip(&ready)) {
        assert_eq!(status(watch.last()), "READY", "{}", watch.last());
        let footprint = team.footprint(id, spec).await;
        assert_eq!(footprint.distributions.len(), 1, "{id}: {footprint:#?}");
        assert_eq!(footprint.custom_domains.len(), 1, "{id}: {footprint:#?}");
        assert_eq!(footprint.certificates.len(), 2, "{id}: {footprint:#?}");
    }
    account
        .lose_answers(
            &[
                "acm:DeleteCertificate",
                "apigateway:DeleteDomainName",
                "cloudfront:UpdateDistribution",
                "cloudfront:DeleteDistribution",
                "route53:ChangeResourceRecordSets",
            ],
            1.0 / 3.0,
        )
        .await;
    let deleted = account
        .clearing_faults_after(join_all(teams.iter().zip(&ids).map(
            |(team, id)| async move {
                team.api.delete(&format!("/stacks/{id}")).await.expect(202);
                team.api.watch_until_status(id, "DELETED").await
            },
        )))
        .await;
    for ((team, spec), (id, watch)) in teams.iter().zip(&specs).zip(ids.iter().zip(&deleted)) {
        assert_eq!(status(watch.last()), "DELETED", "{}", watch.last());
        let footprint = team.footprint(id, spec).await;
        assert!(footprint.is_empty(), "stack {id} left {footprint:#?}");
    }
}

/// A DELETE while the create of the distribution is in flight: CloudFront is slow to answer,
/// the provisioning execution is stopped, but its Lambda runs on and the distribution is made
/// after the DELETE. The teardown waits out the longest a step runs before it looks, and finds
/// the distribution by the stack's own marks: DELETED, with nothing left.
#[tokio::test]
#[ignore = "slows the whole local account down: run alone (scripts/test.sh's unreliable phase)"]
async fn a_delete_while_a_slow_create_is_in_flight_leaves_nothing() {
    let account = StrictAccount::get();
    let team = Team::new().await;
    let spec = team.request(Shape::Plain);
    account
        .slow_down(&["cloudfront:CreateDistributionWithTags"], 4.0)
        .await;
    let id = account
        .clearing_faults_after(async {
            let id = team.create(&spec).await;
            team.api
                .watch_every(
                    std::time::Duration::from_millis(100),
                    &id,
                    "creating the distribution",
                    |s| s["phase"] == "CREATING_DISTRIBUTION",
                )
                .await;
            team.api.delete(&format!("/stacks/{id}")).await.expect(202);
            id
        })
        .await;
    let watch = team.api.watch_until_status(&id, "DELETED").await;
    assert_eq!(status(watch.last()), "DELETED", "{}", watch.last());
    let footprint = team.footprint(&id, &spec).await;
    assert!(footprint.is_empty(), "stack {id} left {footprint:#?}");
}

/// A DELETE while `operation` answers slowly, once the stack shows `when` (`what`): the
/// Lambda runs on after the provisioning is stopped, and whatever it makes after the DELETE,
/// the teardown still ends DELETED with nothing of the stack left.
async fn a_delete_while_slow(operation: &str, what: &str, when: impl Fn(&Value) -> bool) {
    let account = StrictAccount::get();
    let team = Team::new().await;
    let spec = team.request(Shape::CustomDomain);
    account.slow_down(&[operation], 4.0).await;
    let id = account
        .clearing_faults_after(async {
            let id = team.create(&spec).await;
            team.api
                .watch_every(Duration::from_millis(100), &id, what, &when)
                .await;
            team.api.delete(&format!("/stacks/{id}")).await.expect(202);
            id
        })
        .await;
    let watch = team.api.watch_until_status(&id, "DELETED").await;
    assert_eq!(status(watch.last()), "DELETED", "{}", watch.last());
    let footprint = team.footprint(&id, &spec).await;
    assert!(footprint.is_empty(), "stack {id} left {footprint:#?}");
}

/// A DELETE while the step in `phase` creates with the slow `operation`.
async fn a_delete_while_created_slowly(operation: &str, phase: &str) {
    a_delete_while_slow(operation, phase, |s| s["phase"] == phase).await;
}

#[tokio::test]
#[ignore = "slows the whole local account down: run alone (scripts/test.sh's unreliable phase)"]
async fn a_delete_while_the_request_is_validated_leaves_nothing() {
    a_delete_while_created_slowly("apigateway:GetRestApi", "VALIDATING").await;
}

#[tokio::test]
#[ignore = "slows the whole local account down: run alone (scripts/test.sh's unreliable phase)"]
async fn a_delete_while_certificates_are_requested_leaves_nothing() {
    a_delete_while_created_slowly("acm:RequestCertificate", "REQUESTING_CERTIFICATES").await;
}

#[tokio::test]
#[ignore = "slows the whole local account down: run alone (scripts/test.sh's unreliable phase)"]
async fn a_delete_while_the_custom_domain_is_created_leaves_nothing() {
    a_delete_while_created_slowly("apigateway:CreateDomainName", "CREATING_CUSTOM_DOMAIN").await;
}

#[tokio::test]
#[ignore = "slows the whole local account down: run alone (scripts/test.sh's unreliable phase)"]
async fn a_delete_while_the_alias_records_are_written_leaves_nothing() {
    a_delete_while_created_slowly("route53:ChangeResourceRecordSets", "CREATING_DNS_RECORDS").await;
}

/// The alias records written, the step waits for Route 53 to report the change INSYNC (each
/// `GetChange` slow): a DELETE then removes the records it is waiting for.
#[tokio::test]
#[ignore = "slows the whole local account down: run alone (scripts/test.sh's unreliable phase)"]
async fn a_delete_while_the_alias_records_propagate_leaves_nothing() {
    a_delete_while_slow("route53:GetChange", "the alias records to propagate", |s| {
        s["phase"] == "CREATING_DNS_RECORDS"
            && step(s, "create_dns_records").is_some_and(|t| t["status"] == "WAITING")
    })
    .await;
}

/// Every answer of `operation` lost: the resource is made but the stack never learns of it.
/// A DELETE once it exists finds it by the stack's tag and removes it.
async fn made_but_never_recorded_is_removed(
    operation: &str,
    unrecorded: impl Fn(&edgestack_tests::Footprint, &serde_json::Value) -> bool,
) {
    let account = StrictAccount::get();
    let team = Team::new().await;
    let spec = team.request(Shape::CustomDomain);
    account.lose_answers(&[operation], 1.0).await;
    let id = account
        .clearing_faults_after(async {
            let id = team.create(&spec).await;
            let deadline = std::time::Instant::now() + Duration::from_secs(120);
            loop {
                let stack = team.api.get(&format!("/stacks/{id}")).await.expect(200);
                if unrecorded(&team.footprint(&id, &spec).await, &stack) {
                    break;
                }
                assert!(
                    std::time::Instant::now() < deadline,
                    "{operation} never made anything unrecorded: {stack}"
                );
                tokio::time::sleep(Duration::from_millis(200)).await;
            }
            team.api.delete(&format!("/stacks/{id}")).await.expect(202);
            id
        })
        .await;
    let watch = team.api.watch_until_status(&id, "DELETED").await;
    assert_eq!(status(watch.last()), "DELETED", "{}", watch.last());
    let footprint = team.footprint(&id, &spec).await;
    assert!(footprint.is_empty(), "stack {id} left {footprint:#?}");
}

#[tokio::test]
#[ignore = "loses answers in the whole local account: run alone (scripts/test.sh's unreliable phase)"]
async fn a_certificate_never_recorded_is_found_by_its_tag_and_deleted() {
    made_but_never_recorded_is_removed("acm:RequestCertificate", |footprint, stack| {
        !footprint.certificates.is_empty() && stack["outputs"]["certificate_arn"].is_null()
    })
    .await;
}

#[tokio::test]
#[ignore = "loses answers in the whole local account: run alone (scripts/test.sh's unreliable phase)"]
async fn a_custom_domain_never_recorded_is_found_by_its_tag_and_deleted() {
    made_but_never_recorded_is_removed("apigateway:CreateDomainName", |footprint, stack| {
        !footprint.custom_domains.is_empty() && stack["outputs"]["regional_domain_name"].is_null()
    })
    .await;
}

/// Holds the account's queue at `call` (`service:Operation`) for another `seconds`, as a burst
/// of other stacks would: the turn reserved last is that far ahead.
async fn queue_ahead(team: &Team, call: &str, seconds: i64) {
    use aws_sdk_dynamodb::primitives::{DateTime, DateTimeFormat};
    use aws_sdk_dynamodb::types::AttributeValue;
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("after 1970")
        .as_secs() as i64;
    let turn = DateTime::from_secs(now + seconds)
        .fmt(DateTimeFormat::DateTime)
        .expect("an RFC 3339 time");
    team.aws
        .dynamodb
        .put_item()
        .table_name(&team.aws.env().table)
        .item("pk", AttributeValue::S(format!("TURN#{call}")))
        .item("turn_at", AttributeValue::S(turn))
        .send()
        .await
        .expect("the queue held");
}

/// Other stacks hold the account's turns at CreateDomainName and then at DeleteDomainName for
/// several seconds: the stack waits for its turn in the state machine, showing `AWAITING_TURN`
/// with the call and its turn, becomes READY, and at its DELETE waits again and ends DELETED
/// with nothing left.
#[tokio::test]
#[ignore = "holds the whole local account's queue: run alone (scripts/test.sh's unreliable phase)"]
async fn a_stack_behind_others_waits_for_its_turn_at_the_custom_domain_calls() {
    let team = Team::new().await;
    let spec = team.request(Shape::CustomDomain);
    queue_ahead(&team, "apigateway:CreateDomainName", 20).await;
    let id = team.create(&spec).await;
    let ready = team.api.watch_until_status(&id, "READY").await;
    assert_eq!(status(ready.last()), "READY", "{}", ready.last());
    let queued = |s: &Value, step_name: &str, call: &str| {
        s["phase"] == "AWAITING_TURN"
            && step(s, step_name).is_some_and(|t| {
                t["status"] == "WAITING" && t["detail"].as_str().is_some_and(|d| d.contains(call))
            })
    };
    assert!(
        ready.saw(|s| queued(s, "create_custom_domain", "apigateway:CreateDomainName")),
        "never seen waiting for its turn: {:?}",
        ready.sequence("phase")
    );

    queue_ahead(&team, "apigateway:DeleteDomainName", 20).await;
    team.api.delete(&format!("/stacks/{id}")).await.expect(202);
    let deleted = team.api.watch_until_status(&id, "DELETED").await;
    assert_eq!(status(deleted.last()), "DELETED", "{}", deleted.last());
    assert!(
        deleted.saw(|s| queued(s, "delete_custom_domain", "apigateway:DeleteDomainName")),
        "never seen waiting for its turn: {:?}",
        deleted.sequence("phase")
    );
    let footprint = team.footprint(&id, &spec).await;
    assert!(footprint.is_empty(), "stack {id} left {footprint:#?}");
}
