//! Waits handed to the watcher (shared/steps/src/watch.rs), end to end on the local stack:
//!
//! - custom-domain stacks waiting for ACM to issue their certificates, for CloudFront to deploy
//!   and for Route 53 to apply their aliases are each checked once, parked, and resumed by the
//!   watcher's passes: no stack polls, and no stack's wait is retried;
//! - a watcher that misses its passes (every `ListDistributions` throttled) costs time, not the
//!   stack: each parked task times out and its step checks again by itself (the same attempt).
//!
//! Both read the account's call counts or throttle a call for the whole account, so they run
//! alone: `scripts/test.sh`'s `unreliable` phase runs them with `--ignored`.

use edgestack_tests::{status, step, Shape, StrictAccount, Team};
use futures::future::join_all;
use serde_json::Value;

const AWAIT_STEP: &str = "await_distribution_deployment";
const AWAIT_CERTIFICATES_STEP: &str = "await_certificate_validation";
const DNS_STEP: &str = "create_dns_records";
const STACKS: usize = 3;

fn count(calls: &Value, operation: &str) -> u64 {
    calls["calls"][operation].as_u64().unwrap_or(0)
}

#[tokio::test]
#[ignore = "counts the whole local account's calls: run alone (scripts/test.sh's unreliable phase)"]
async fn stacks_waiting_on_acm_cloudfront_and_route53_are_resumed_by_the_watcher_not_by_polling() {
    let account = StrictAccount::get();
    // A team each: a custom domain's name is one stack's at a time.
    let teams = join_all((0..STACKS).map(|_| Team::new())).await;
    account.reset_calls().await;
    let specs: Vec<_> = teams
        .iter()
        .map(|team| team.request(Shape::CustomDomain))
        .collect();
    let ids = join_all(
        teams
            .iter()
            .zip(&specs)
            .map(|(team, spec)| team.create(spec)),
    )
    .await;
    for watch in join_all(
        teams
            .iter()
            .zip(&ids)
            .map(|(team, id)| team.api.watch_until_status(id, "READY")),
    )
    .await
    {
        let ready = watch.last();
        assert_eq!(status(ready), "READY", "{ready}");
        for awaited in [AWAIT_CERTIFICATES_STEP, AWAIT_STEP, DNS_STEP] {
            let waited = step(ready, awaited).expect("the wait");
            assert_eq!(waited["status"], "SUCCEEDED", "{waited}");
            assert_eq!(waited["attempts"], 1, "resumed, never retried: {waited}");
        }
        assert!(
            watch.saw(|s| step(s, AWAIT_STEP).is_some_and(|t| t["status"] == "WAITING")),
            "never seen parked: {:?}",
            watch.sequence("phase")
        );
    }
    let calls = account.calls().await;
    assert_eq!(
        count(&calls, "cloudfront:GetDistribution"),
        STACKS as u64,
        "each stack looked at its own distribution once, then waited for the watcher: {calls}"
    );
    assert_eq!(
        count(&calls, "states:SendTaskSuccess"),
        3 * STACKS as u64,
        "each stack's three parked waits resumed once each: {calls}"
    );
    assert_eq!(
        count(&calls, "route53:ChangeResourceRecordSets"),
        2 * STACKS as u64,
        "each stack wrote its validation record and its aliases once, then waited: {calls}"
    );
    join_all(
        teams
            .iter()
            .zip(&specs)
            .zip(&ids)
            .map(|((team, spec), id)| async move {
                team.api.delete(&format!("/stacks/{id}")).await.expect(202);
                let deleted = team.api.watch_until_status(id, "DELETED").await;
                assert_eq!(status(deleted.last()), "DELETED", "{}", deleted.last());
                let footprint = team.footprint(id, spec).await;
                assert!(footprint.is_empty(), "stack {id} left {footprint:#?}");
            }),
    )
    .await;
}

#[tokio::test]
#[ignore = "throttles the whole local account: run alone (scripts/test.sh's unreliable phase)"]
async fn a_watcher_that_misses_its_passes_costs_time_not_the_stack() {
    let account = StrictAccount::get();
    let team = Team::new().await;
    let spec = team.request(Shape::Plain);
    let id = team.create(&spec).await;
    team.api
        .watch_every(
            std::time::Duration::from_millis(100),
            &id,
            "parked for the watcher",
            |s| step(s, AWAIT_STEP).is_some_and(|t| t["status"] == "WAITING"),
        )
        .await;
    // From here the watcher cannot see any distribution.
    account
        .throttle(&["cloudfront:ListDistributions"], 1.0)
        .await;
    let ready = account
        .clearing_faults_after(team.api.watch_until_status(&id, "READY"))
        .await;
    let last = ready.last();
    assert_eq!(status(last), "READY", "{last}");
    // The step checked again by itself: its parked task timed out and was retried. That is
    // the same attempt of the step, not a failure of it.
    let history = team
        .aws
        .sfn
        .get_execution_history()
        .execution_arn(team.aws.env().provision_execution_arn(&id))
        .max_results(1000)
        .send()
        .await
        .expect("the execution's history");
    let timed_out = history
        .events()
        .iter()
        .filter(|e| e.r#type() == &aws_sdk_sfn::types::HistoryEventType::TaskTimedOut)
        .count();
    assert!(timed_out >= 1, "no parked task timed out: {history:?}");
    let waited = step(last, AWAIT_STEP).expect("the wait for the deployment");
    assert_eq!(waited["attempts"], 1, "a wait checked again: {waited}");
    team.api.delete(&format!("/stacks/{id}")).await.expect(202);
    let deleted = team.api.watch_until_status(&id, "DELETED").await;
    assert_eq!(status(deleted.last()), "DELETED", "{}", deleted.last());
}
