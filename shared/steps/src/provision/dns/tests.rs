use super::*;
use aws_sdk_route53::types::{ChangeAction, ChangeStatus, ResourceRecordSet, RrType};

use crate::testing::{parking, RecordedCallbacks, Sent, TOKEN};
use crate::watch::Parking;
use crate::{Deps, Flow, StepError};
use aws_sdk_route53::operation::change_resource_record_sets::ChangeResourceRecordSetsOutput;
use aws_sdk_route53::operation::get_change::GetChangeOutput;
use aws_sdk_route53::types::ChangeInfo;
use aws_smithy_mocks::{mock, mock_client, RuleMode};
use edgestack_domain::stack::{DnsPurpose, StepStatus};
use std::sync::Arc;

fn info(id: &str, status: ChangeStatus) -> ChangeInfo {
    ChangeInfo::builder()
        .id(id)
        .status(status)
        .submitted_at(aws_smithy_types::DateTime::from_secs(0))
        .build()
        .expect("a change")
}

#[tokio::test]
async fn the_records_are_changed_once_and_then_the_change_is_asked_about() {
    let change = mock!(aws_sdk_route53::Client::change_resource_record_sets)
        .match_requests(|r| r.hosted_zone_id() == Some("Z1") && r.change_batch().is_some())
        .then_output(|| {
            ChangeResourceRecordSetsOutput::builder()
                .change_info(info("/change/C1", ChangeStatus::Pending))
                .build()
        });
    let pending = mock!(aws_sdk_route53::Client::get_change)
        .match_requests(|r| r.id() == Some("C1")) // the SDK trims "/change/"
        .sequence()
        .output(|| {
            GetChangeOutput::builder()
                .change_info(info("/change/C1", ChangeStatus::Pending))
                .build()
        })
        .output(|| {
            GetChangeOutput::builder()
                .change_info(info("/change/C1", ChangeStatus::Insync))
                .build()
        })
        .build();
    let client = mock_client!(aws_sdk_route53, RuleMode::MatchAny, [&change, &pending]);
    let changes = alias_changes(ChangeAction::Upsert, "api.example.com", "d1.cloudfront.net")
        .expect("changes");
    let got = change_records(&client, "Z1", changes, "c")
        .await
        .expect("changed");
    assert_eq!(got, Propagation::Pending("/change/C1".into()));
    assert_eq!(
        change_status(&client, "/change/C1").await.expect("asked"),
        Propagation::Pending("/change/C1".into())
    );
    assert_eq!(
        change_status(&client, "/change/C1").await.expect("asked"),
        Propagation::InSync
    );
    assert_eq!(change.num_calls(), 1, "no second change while waiting");
}

fn listing(sets: Vec<ResourceRecordSet>) -> aws_smithy_mocks::Rule {
    mock!(aws_sdk_route53::Client::list_resource_record_sets).then_output(move || {
        aws_sdk_route53::operation::list_resource_record_sets::ListResourceRecordSetsOutput::builder()
            .set_resource_record_sets(Some(sets.clone()))
            .is_truncated(false)
            .max_items(10)
            .build()
            .expect("a listing")
    })
}

fn alias(name: &str, to: &str) -> ResourceRecordSet {
    alias_changes(ChangeAction::Upsert, name, to).expect("changes")[0]
        .resource_record_set()
        .expect("a set")
        .clone()
}

fn plain_a(name: &str) -> ResourceRecordSet {
    ResourceRecordSet::builder()
        .name(name)
        .r#type(RrType::A)
        .ttl(300)
        .resource_records(
            aws_sdk_route53::types::ResourceRecord::builder()
                .value("192.0.2.10")
                .build()
                .expect("a record"),
        )
        .build()
        .expect("a set")
}

async fn action_with(sets: Vec<ResourceRecordSet>) -> Result<ChangeAction, StepError> {
    let rule = listing(sets);
    let client = mock_client!(aws_sdk_route53, [&rule]);
    write_action(&client, "Z1", "api.example.com", "d1.cloudfront.net").await
}

#[tokio::test]
async fn a_name_with_no_record_is_created_so_that_one_appearing_meanwhile_is_refused() {
    assert_eq!(
        action_with(vec![]).await.expect("an action"),
        ChangeAction::Create
    );
    let neighbour = alias("www.example.com.", "d9.cloudfront.net");
    assert_eq!(
        action_with(vec![neighbour]).await.expect("an action"),
        ChangeAction::Create,
        "another name's records are not in the way"
    );
}

#[tokio::test]
async fn this_stacks_own_records_are_written_again_with_upsert() {
    let ours = alias("api.example.com.", "d1.cloudfront.net.");
    assert_eq!(
        action_with(vec![ours]).await.expect("an action"),
        ChangeAction::Upsert
    );
}

#[tokio::test]
async fn a_record_that_appeared_while_the_stack_waited_is_never_overwritten() {
    for foreign in [
        plain_a("api.example.com."),
        alias("api.example.com.", "d9.cloudfront.net"),
    ] {
        let err = action_with(vec![foreign]).await.unwrap_err();
        assert!(err.to_string().starts_with("dns_record_exists: "), "{err}");
        assert_eq!(err.error_type(), "Conflict");
    }
}

#[tokio::test]
async fn a_create_refused_because_a_record_appeared_looks_again() {
    let refused = mock!(aws_sdk_route53::Client::change_resource_record_sets).then_error(|| {
        aws_sdk_route53::operation::change_resource_record_sets::ChangeResourceRecordSetsError::InvalidChangeBatch(
            aws_sdk_route53::types::error::InvalidChangeBatch::builder()
                .message("Tried to create resource record set [name='api.example.com.', type='A'] but it already exists")
                .build(),
        )
    });
    let client = mock_client!(aws_sdk_route53, [&refused]);
    let changes = alias_changes(ChangeAction::Create, "api.example.com", "d1.cloudfront.net")
        .expect("changes");
    let err = change_records(&client, "Z1", changes, "c")
        .await
        .unwrap_err();
    assert_eq!(err.error_type(), "Transient", "{err}");
}

#[tokio::test]
async fn a_throttled_get_change_is_transient() {
    let throttled = mock!(aws_sdk_route53::Client::get_change).then_http_response(|| {
        aws_smithy_runtime_api::http::Response::new(
            aws_smithy_runtime_api::http::StatusCode::try_from(400).unwrap(),
            aws_smithy_types::body::SdkBody::from(
                r#"<?xml version="1.0"?><ErrorResponse xmlns="https://route53.amazonaws.com/doc/2013-04-01/"><Error><Type>Sender</Type><Code>Throttling</Code><Message>Rate exceeded</Message></Error><RequestId>r</RequestId></ErrorResponse>"#,
            ),
        )
    });
    let client = mock_client!(aws_sdk_route53, [&throttled]);
    let err = change_status(&client, "/change/C1").await.unwrap_err();
    assert_eq!(err.error_type(), "Transient", "{err}");
}

// ---- the whole step ------------------------------------------------------------------

use crate::testing::{
    clients_of, deps, no_acm, no_apigateway, no_aws, no_cloudfront, no_route53, zone_holding,
};
use edgestack_domain::stack::Stack;

/// A stack whose distribution is made (`zone`: its hosted zone, none for outside DNS),
/// and `Deps` with Route 53 answering by `rules`.
async fn writing(zone: Option<&str>, rules: &[&aws_smithy_mocks::Rule]) -> (Deps, Stack) {
    let store_only = deps(no_aws());
    let mut domain = serde_json::json!({"name": "api.example.com"});
    if let Some(zone) = zone {
        domain["hosted_zone_id"] = zone.into();
    }
    let request = edgestack_domain::request::StackRequest::from_json(&serde_json::json!({
        "api_id": "a1b2c3d4e5", "region": "eu-west-1", "stage": "prod", "custom_domain": domain
    }))
    .expect("a valid request");
    let mut stack = Stack::new(
        "arn:a".into(),
        request,
        edgestack_domain::timestamp::Timestamp::now(),
    );
    stack.begin_provisioning().expect("provisioning");
    stack.outputs.distribution_domain_name = Some("d111.cloudfront.net".into());
    store_only.store.create(&stack, None).await.expect("stored");
    let route53 = if rules.is_empty() {
        no_route53()
    } else {
        mock_client!(aws_sdk_route53, RuleMode::MatchAny, rules.iter().copied())
    };
    let deps = Deps {
        clients: clients_of(
            "create-dns-records",
            no_cloudfront(),
            route53,
            no_acm(),
            no_apigateway(),
        ),
        ..store_only
    };
    (deps, stack)
}

/// `deps` answering waiting tasks through recorded callbacks, and the parking of `stack`.
fn recording(deps: Deps, stack: &Stack) -> (Deps, Arc<RecordedCallbacks>, Parking) {
    let (deps, callbacks) = crate::testing::recording(deps);
    (deps, callbacks, parking(stack))
}

fn resumed(stack: &Stack) -> Sent {
    Sent::Success {
        token: TOKEN.into(),
        output: serde_json::to_value(Flow::new(stack.id.clone()).done()).unwrap(),
    }
}

#[tokio::test]
async fn with_outside_dns_the_cname_is_handed_over_and_nothing_written() {
    let (deps, stack) = writing(None, &[]).await;
    let (deps, callbacks, parking) = recording(deps, &stack);
    handle(&deps, parking).await.expect("handed over");
    assert_eq!(callbacks.sent(), [resumed(&stack)]);
    let now = deps.store.get(&stack.id).await.unwrap().unwrap().value;
    let endpoint: Vec<_> = now
        .outputs
        .dns_records
        .iter()
        .filter(|r| r.purpose == DnsPurpose::Endpoint)
        .collect();
    assert_eq!(endpoint.len(), 1);
    assert_eq!(
        (
            endpoint[0].record_type.as_str(),
            endpoint[0].value.as_str(),
            endpoint[0].managed
        ),
        ("CNAME", "d111.cloudfront.net", false)
    );
}

fn created_pending() -> aws_smithy_mocks::Rule {
    mock!(aws_sdk_route53::Client::change_resource_record_sets)
        .match_requests(|r| {
            r.change_batch().is_some_and(|b| {
                b.changes().len() == 2
                    && b.changes()
                        .iter()
                        .all(|c| c.action() == &ChangeAction::Create)
            })
        })
        .then_output(|| {
            ChangeResourceRecordSetsOutput::builder()
                .change_info(info("/change/C1", ChangeStatus::Pending))
                .build()
        })
}

#[tokio::test]
async fn the_aliases_are_created_recorded_and_their_change_parked_for_the_watcher() {
    let created = created_pending();
    let (deps, stack) = writing(Some("Z1"), &[&zone_holding(vec![]), &created]).await;
    let (deps, callbacks, parking) = recording(deps, &stack);
    handle(&deps, parking).await.expect("parked");
    assert_eq!(created.num_calls(), 1);
    let parked = deps.store.parked().await.unwrap();
    let [waiter] = parked.as_slice() else {
        panic!("{parked:?}");
    };
    assert_eq!(
        (waiter.step.as_str(), waiter.task_token.as_str()),
        (STEP, TOKEN)
    );
    assert_eq!(
        waiter.awaited,
        edgestack_aws::store::Awaited::ChangeInSync {
            change_id: "/change/C1".into()
        }
    );
    match callbacks.sent().as_slice() {
        [Sent::Watcher { name }] => assert!(name.starts_with("watch-"), "{name}"),
        other => panic!("{other:?}"),
    }
    // The records are the stack's before the wait: a teardown meanwhile deletes them.
    let now = deps.store.get(&stack.id).await.unwrap().unwrap().value;
    assert_eq!(
        now.outputs
            .dns_records
            .iter()
            .filter(|r| r.purpose == DnsPurpose::Endpoint && r.managed && r.created)
            .count(),
        2
    );
    let step = now.steps.iter().find(|s| s.name == STEP).unwrap();
    assert_eq!(step.status, StepStatus::Waiting);
}

#[tokio::test]
async fn a_change_in_sync_at_once_resumes_without_parking() {
    let insync = mock!(aws_sdk_route53::Client::change_resource_record_sets).then_output(|| {
        ChangeResourceRecordSetsOutput::builder()
            .change_info(info("/change/C1", ChangeStatus::Insync))
            .build()
    });
    let (deps, stack) = writing(Some("Z1"), &[&zone_holding(vec![]), &insync]).await;
    let (deps, callbacks, parking) = recording(deps, &stack);
    handle(&deps, parking).await.expect("in sync");
    assert_eq!(callbacks.sent(), [resumed(&stack)]);
    assert!(deps.store.parked().await.unwrap().is_empty());
}

#[tokio::test]
async fn a_wait_past_its_deadline_fails_and_parks_nothing() {
    let created = created_pending();
    let (deps, stack) = writing(Some("Z1"), &[&zone_holding(vec![]), &created]).await;
    edgestack_aws::store::modify(deps.store.as_ref(), &stack.id, |s| {
        s.begin_step(
            STEP,
            edgestack_domain::timestamp::Timestamp::parse("2020-01-01T00:00:00.000Z").unwrap(),
        );
        s.finish_step(
            STEP,
            StepStatus::Waiting,
            None,
            edgestack_domain::timestamp::Timestamp::now(),
        );
        Ok::<_, StepError>(())
    })
    .await
    .expect("waiting since 2020");
    let (deps, callbacks, parking) = recording(deps, &stack);
    let err = handle(&deps, parking).await.unwrap_err();
    assert_eq!(err.error_type(), "DeadlineExceeded", "{err:?}");
    assert!(deps.store.parked().await.unwrap().is_empty());
    assert!(callbacks.sent().is_empty());
}

#[tokio::test]
async fn a_rerun_after_the_records_were_in_sync_changes_nothing() {
    let (deps, stack) = writing(Some("Z1"), &[]).await;
    edgestack_aws::store::modify(deps.store.as_ref(), &stack.id, |s| {
        s.begin_step(STEP, edgestack_domain::timestamp::Timestamp::now());
        s.finish_step(
            STEP,
            StepStatus::Succeeded,
            None,
            edgestack_domain::timestamp::Timestamp::now(),
        );
        Ok::<_, StepError>(())
    })
    .await
    .expect("succeeded before");
    // No Route 53 rule: any call would fail the test.
    let (deps, callbacks, parking) = recording(deps, &stack);
    handle(&deps, parking).await.expect("done");
    assert_eq!(callbacks.sent(), [resumed(&stack)]);
}
