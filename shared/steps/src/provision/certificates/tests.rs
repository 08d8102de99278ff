use super::*;
use aws_sdk_acm::types::CertificateStatus;
use aws_sdk_route53::types::{ChangeAction, ResourceRecord, ResourceRecordSet, RrType};

use crate::testing::{parking, recording, Sent, TOKEN};
use crate::{Deps, Flow, StepError};
use aws_sdk_route53::operation::list_resource_record_sets::ListResourceRecordSetsOutput;
use aws_smithy_mocks::{mock, mock_client, RuleMode};
use edgestack_aws::store::{Awaited, CertificateRef};
use edgestack_domain::stack::StepStatus;
use edgestack_domain::stack::{DnsPurpose, DnsRecord, Stack};
use edgestack_domain::timestamp::Timestamp;

fn record() -> DnsRecord {
    DnsRecord {
        name: "_abc.api.example.com.".into(),
        record_type: "CNAME".into(),
        value: "_def.acm-validations.aws.".into(),
        purpose: DnsPurpose::CertificateValidation,
        managed: false,
        created: false,
    }
}

fn set(name: &str, kind: RrType, value: &str) -> ResourceRecordSet {
    ResourceRecordSet::builder()
        .name(name)
        .r#type(kind)
        .ttl(300)
        .resource_records(ResourceRecord::builder().value(value).build().unwrap())
        .build()
        .unwrap()
}

async fn state_with(sets: Vec<ResourceRecordSet>) -> ValidationRecordState {
    let listed = mock!(aws_sdk_route53::Client::list_resource_record_sets)
        .match_requests(|r| {
            r.hosted_zone_id() == Some("Z1")
                && r.start_record_name() == Some("_abc.api.example.com.")
        })
        .then_output(move || {
            ListResourceRecordSetsOutput::builder()
                .set_resource_record_sets(Some(sets.clone()))
                .is_truncated(false)
                .max_items(10)
                .build()
                .unwrap()
        });
    let client = mock_client!(aws_sdk_route53, RuleMode::MatchAny, [&listed]);
    validation_record_state(&client, "Z1", &record())
        .await
        .expect("listed")
}

#[tokio::test]
async fn nothing_at_the_name_is_absent_even_with_records_after_it() {
    let later = set("api.example.com.", RrType::A, "192.0.2.1");
    assert_eq!(state_with(vec![later]).await, ValidationRecordState::Absent);
}

#[tokio::test]
async fn the_very_record_acm_asks_for_is_present_whatever_its_case_and_dot() {
    let same = set(
        "_ABC.api.example.com.",
        RrType::Cname,
        "_def.acm-validations.aws",
    );
    assert_eq!(state_with(vec![same]).await, ValidationRecordState::Present);
}

#[tokio::test]
async fn another_value_or_type_at_the_name_is_not_ours_to_overwrite() {
    let other = set(
        "_abc.api.example.com.",
        RrType::Cname,
        "elsewhere.example.net.",
    );
    assert_eq!(
        state_with(vec![other]).await,
        ValidationRecordState::Other("CNAME".into())
    );
    let txt = set("_abc.api.example.com.", RrType::Txt, "\"x\"");
    assert_eq!(
        state_with(vec![txt]).await,
        ValidationRecordState::Other("TXT".into())
    );
}

// ---- handle_request, with mocked ACM and Route 53 --------------------------------------

use crate::testing::{
    clients_of, cname, deps, no_apigateway, no_aws, no_cloudfront, no_route53, zone_holding,
};
use aws_sdk_acm::operation::describe_certificate::DescribeCertificateOutput;
use aws_sdk_acm::operation::request_certificate::RequestCertificateOutput;
use aws_sdk_acm::types::{CertificateDetail, DomainValidation};
use aws_sdk_route53::operation::change_resource_record_sets::ChangeResourceRecordSetsOutput;
use aws_sdk_route53::types::{ChangeInfo, ChangeStatus};
use aws_smithy_mocks::Rule;

const ARN: &str = "arn:aws:acm:us-east-1:123456789012:certificate/c";

fn requested() -> Rule {
    mock!(aws_sdk_acm::Client::request_certificate)
        .match_requests(|r| {
            r.domain_name() == Some("api.example.com")
                && r.idempotency_token().is_some()
                && r.tags().iter().any(|t| t.key() == "edgestack:stack-id")
        })
        .then_output(|| {
            RequestCertificateOutput::builder()
                .certificate_arn(ARN)
                .build()
        })
}

fn described(with_record: bool) -> Rule {
    mock!(aws_sdk_acm::Client::describe_certificate)
        .then_output(move || described_output(with_record))
}

fn described_output(with_record: bool) -> DescribeCertificateOutput {
    {
        let mut option = DomainValidation::builder().domain_name("api.example.com");
        if with_record {
            option = option.resource_record(
                aws_sdk_acm::types::ResourceRecord::builder()
                    .name("_abc.api.example.com.")
                    .r#type(aws_sdk_acm::types::RecordType::Cname)
                    .value("_def.acm-validations.aws.")
                    .build()
                    .unwrap(),
            );
        }
        DescribeCertificateOutput::builder()
            .certificate(
                CertificateDetail::builder()
                    .certificate_arn(ARN)
                    .domain_validation_options(option.build().unwrap())
                    .build(),
            )
            .build()
    }
}

fn created_cname() -> Rule {
    mock!(aws_sdk_route53::Client::change_resource_record_sets)
        .match_requests(|r| {
            r.change_batch().is_some_and(|b| {
                b.changes().len() == 1
                    && b.changes()[0].action() == &ChangeAction::Create
                    && b.changes()[0]
                        .resource_record_set()
                        .is_some_and(|s| s.r#type() == &RrType::Cname)
            })
        })
        .then_output(|| {
            ChangeResourceRecordSetsOutput::builder()
                .change_info(
                    ChangeInfo::builder()
                        .id("/change/C1")
                        .status(ChangeStatus::Pending)
                        .submitted_at(aws_smithy_types::DateTime::from_secs(0))
                        .build()
                        .unwrap(),
                )
                .build()
        })
}

/// A stack about to request its certificates (`zone`: its hosted zone, none for outside
/// DNS), changed by `prepare`, and `Deps` whose ACM and Route 53 answer by the rules.
async fn requesting(
    function: &str,
    zone: Option<&str>,
    prepare: impl FnOnce(&mut Stack),
    acm: &[&Rule],
    route53: &[&Rule],
) -> (Deps, Stack) {
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
    prepare(&mut stack);
    store_only.store.create(&stack, None).await.expect("stored");
    let acm = mock_client!(aws_sdk_acm, RuleMode::MatchAny, acm.iter().copied());
    let route53 = if route53.is_empty() {
        no_route53()
    } else {
        mock_client!(aws_sdk_route53, RuleMode::MatchAny, route53.iter().copied())
    };
    let deps = Deps {
        clients: clients_of(function, no_cloudfront(), route53, acm, no_apigateway()),
        ..store_only
    };
    (deps, stack)
}

async fn validation_of(deps: &Deps, stack: &Stack) -> DnsRecord {
    let now = deps.store.get(&stack.id).await.unwrap().unwrap().value;
    now.outputs
        .dns_records
        .into_iter()
        .find(|r| r.purpose == DnsPurpose::CertificateValidation)
        .expect("the validation record in the outputs")
}

#[tokio::test]
async fn a_missing_validation_record_is_created_and_known_as_the_stacks() {
    let create = created_cname();
    let (deps, stack) = requesting(
        "request-certificates",
        Some("Z1"),
        |_| {},
        &[&requested(), &described(true)],
        &[&zone_holding(vec![]), &create],
    )
    .await;
    handle_request(&deps, Flow::new(stack.id.clone()))
        .await
        .expect("requested");
    assert_eq!(create.num_calls(), 1);
    let record = validation_of(&deps, &stack).await;
    assert_eq!((record.managed, record.created), (true, true));
    let now = deps.store.get(&stack.id).await.unwrap().unwrap().value;
    assert_eq!(now.outputs.certificate_arn.as_deref(), Some(ARN));
    assert_eq!(now.outputs.regional_certificate_arn.as_deref(), Some(ARN));
}

#[tokio::test]
async fn a_validation_record_already_there_is_used_not_written_nor_claimed() {
    let (deps, stack) = requesting(
        "request-certificates",
        Some("Z1"),
        |_| {},
        &[&requested(), &described(true)],
        // No change rule: a write would fail the test.
        &[&zone_holding(vec![cname(
            "_abc.api.example.com.",
            "_def.acm-validations.aws.",
        )])],
    )
    .await;
    handle_request(&deps, Flow::new(stack.id.clone()))
        .await
        .expect("requested");
    let record = validation_of(&deps, &stack).await;
    assert_eq!((record.managed, record.created), (true, false));
}

#[tokio::test]
async fn a_retry_after_the_stack_wrote_the_record_still_knows_it_created_it() {
    let (deps, stack) = requesting(
        "request-certificates",
        Some("Z1"),
        |s| {
            s.outputs.certificate_arn = Some(ARN.into());
            s.outputs.regional_certificate_arn = Some(ARN.into());
            s.outputs.dns_records.push(DnsRecord {
                created: true,
                managed: true,
                ..record()
            });
        },
        // No request rule: the recorded certificates are not requested again.
        &[&described(true)],
        &[&zone_holding(vec![cname(
            "_abc.api.example.com.",
            "_def.acm-validations.aws.",
        )])],
    )
    .await;
    handle_request(&deps, Flow::new(stack.id.clone()))
        .await
        .expect("requested");
    assert!(validation_of(&deps, &stack).await.created);
}

#[tokio::test]
async fn something_else_where_the_validation_record_goes_is_a_conflict() {
    let (deps, stack) = requesting(
        "request-certificates",
        Some("Z1"),
        |_| {},
        &[&requested(), &described(true)],
        &[&zone_holding(vec![cname(
            "_abc.api.example.com.",
            "elsewhere.example.net.",
        )])],
    )
    .await;
    let err = handle_request(&deps, Flow::new(stack.id.clone()))
        .await
        .unwrap_err();
    assert!(
        matches!(
            &err,
            StepError::Conflict {
                code: "dns_record_exists",
                ..
            }
        ),
        "{err:?}"
    );
}

/// ACM publishes the record seconds after the request: the step looks again in its Lambda,
/// once an AWS second (tokio's paused clock: no real wait), and goes on once it is there.
#[tokio::test(start_paused = true)]
async fn a_record_published_seconds_after_the_request_is_waited_for_in_the_step() {
    let unpublished_then_published = mock!(aws_sdk_acm::Client::describe_certificate)
        .sequence()
        .output(|| described_output(false))
        .times(2)
        .output(|| described_output(true))
        .build();
    let (deps, stack) = requesting(
        "request-certificates",
        Some("Z1"),
        |_| {},
        &[&requested(), &unpublished_then_published],
        &[&zone_holding(vec![]), &created_cname()],
    )
    .await;
    let started = tokio::time::Instant::now();
    handle_request(&deps, Flow::new(stack.id.clone()))
        .await
        .expect("the record, at the third look");
    assert_eq!(unpublished_then_published.num_calls(), 3);
    assert_eq!(
        started.elapsed(),
        std::time::Duration::from_millis(2 * deps.settings.rate_second_millis as u64),
        "two pauses of an AWS second each"
    );
}

/// A run that spent most of its time in the account's queues looks once more at most, then
/// leaves the record to the state machine's retry: the Route 53 change and its queue must
/// still fit in the function's timeout.
#[tokio::test(start_paused = true)]
async fn a_run_long_in_the_queues_looks_for_the_record_no_longer() {
    let unpublished = described(false);
    let (deps, _) = requesting(
        "request-certificates",
        Some("Z1"),
        |_| {},
        &[&unpublished],
        &[],
    )
    .await;
    let second = deps.settings.rate_second_millis as u64;
    let run_started = tokio::time::Instant::now();
    tokio::time::advance(std::time::Duration::from_millis(14 * second)).await;
    let err = super::validation_record::validation_record(&deps, "us-east-1", ARN, run_started)
        .await
        .unwrap_err();
    assert_eq!(err.error_type(), "Settling");
    assert_eq!(
        unpublished.num_calls(),
        2,
        "14 s in: a look, a second's pause, a look at 15 s, and no more"
    );
}

#[tokio::test(start_paused = true)]
async fn before_acm_publishes_the_record_the_step_retries_with_the_certificates_recorded() {
    let unpublished = described(false);
    let (deps, stack) = requesting(
        "request-certificates",
        Some("Z1"),
        |_| {},
        &[&requested(), &unpublished],
        &[],
    )
    .await;
    let err = handle_request(&deps, Flow::new(stack.id.clone()))
        .await
        .unwrap_err();
    assert_eq!(
        err.error_type(),
        "Settling",
        "asked again every second: {err:?}"
    );
    assert_eq!(
        unpublished.num_calls(),
        8,
        "looked for it eight times first"
    );
    assert!(
        err.to_string().starts_with("aws_unavailable: "),
        "what stands if ACM never publishes it: {err}"
    );
    let now = deps.store.get(&stack.id).await.unwrap().unwrap().value;
    assert!(
        now.outputs.certificate_arn.is_some() && now.outputs.regional_certificate_arn.is_some(),
        "a failure from here on still finds both to undo"
    );
}

#[tokio::test]
async fn with_outside_dns_nothing_is_written_and_the_owner_is_asked() {
    let (deps, stack) = requesting(
        "request-certificates",
        None,
        |_| {},
        &[&requested(), &described(true)],
        &[],
    )
    .await;
    handle_request(&deps, Flow::new(stack.id.clone()))
        .await
        .expect("requested");
    let record = validation_of(&deps, &stack).await;
    assert_eq!((record.managed, record.created), (false, false));
    let now = deps.store.get(&stack.id).await.unwrap().unwrap().value;
    assert_eq!(now.status(), edgestack_domain::stack::Status::AwaitingDns);
}

// ---- handle_await, with a mocked ACM ---------------------------------------------------

const REGIONAL: &str = "arn:aws:acm:eu-west-1:123456789012:certificate/r";

fn with_status(arn: &'static str, status: CertificateStatus) -> Rule {
    mock!(aws_sdk_acm::Client::describe_certificate)
        .match_requests(move |r| r.certificate_arn() == Some(arn))
        .then_output(move || {
            DescribeCertificateOutput::builder()
                .certificate(
                    CertificateDetail::builder()
                        .certificate_arn(arn)
                        .status(status.clone())
                        .build(),
                )
                .build()
        })
}

/// A stack waiting for its two certificates (with outside DNS: `AWAITING_DNS`), the wait
/// begun at `started_at`.
async fn awaiting(started_at: Timestamp, acm: &[&Rule]) -> (Deps, Stack) {
    requesting(
        "check-certificates",
        None,
        |s| {
            s.begin_provisioning().expect("provisioning");
            s.await_owner_dns();
            s.outputs.certificate_arn = Some(ARN.into());
            s.outputs.regional_certificate_arn = Some(REGIONAL.into());
            s.begin_step(AWAIT_STEP, started_at);
        },
        acm,
        &[],
    )
    .await
}

#[tokio::test]
async fn both_issued_resumes_at_once_and_ends_the_owners_dns_wait() {
    let (deps, stack) = awaiting(
        Timestamp::now(),
        &[
            &with_status(ARN, CertificateStatus::Issued),
            &with_status(REGIONAL, CertificateStatus::Issued),
        ],
    )
    .await;
    let (deps, callbacks) = recording(deps);
    handle_await(&deps, parking(&stack)).await.expect("issued");
    assert_eq!(
        callbacks.sent(),
        [Sent::Success {
            token: TOKEN.into(),
            output: serde_json::to_value(Flow::new(stack.id.clone()).done()).unwrap()
        }]
    );
    assert!(deps.store.parked().await.unwrap().is_empty());
    let now = deps.store.get(&stack.id).await.unwrap().unwrap().value;
    assert_eq!(now.status(), edgestack_domain::stack::Status::Provisioning);
}

#[tokio::test]
async fn one_still_pending_parks_both_for_the_watcher_with_the_deadline() {
    let started = Timestamp::now();
    let (deps, stack) = awaiting(
        started,
        &[
            &with_status(ARN, CertificateStatus::Issued),
            &with_status(REGIONAL, CertificateStatus::PendingValidation),
        ],
    )
    .await;
    let (deps, callbacks) = recording(deps);
    handle_await(&deps, parking(&stack)).await.expect("parked");
    let parked = deps.store.parked().await.unwrap();
    let [waiter] = parked.as_slice() else {
        panic!("{parked:?}");
    };
    assert_eq!(
        (waiter.step.as_str(), waiter.task_token.as_str()),
        (AWAIT_STEP, TOKEN)
    );
    assert_eq!(
        waiter.awaited,
        Awaited::CertificatesIssued {
            certificates: vec![
                CertificateRef {
                    region: "us-east-1".into(),
                    arn: ARN.into()
                },
                CertificateRef {
                    region: "eu-west-1".into(),
                    arn: REGIONAL.into()
                },
            ]
        }
    );
    assert_eq!(
        waiter.deadline,
        started.plus_seconds(deps.settings.certificate_deadline_seconds as i64)
    );
    match callbacks.sent().as_slice() {
        [Sent::Watcher { name }] => assert!(name.starts_with("watch-"), "{name}"),
        other => panic!("{other:?}"),
    }
    let now = deps.store.get(&stack.id).await.unwrap().unwrap().value;
    assert_eq!(
        now.status(),
        edgestack_domain::stack::Status::AwaitingDns,
        "still the owner's turn"
    );
    let step = now.steps.iter().find(|s| s.name == AWAIT_STEP).unwrap();
    assert_eq!(step.status, StepStatus::Waiting);
}

#[tokio::test]
async fn a_certificate_acm_failed_fails_the_stack_with_a_reason_and_parks_nothing() {
    let (deps, stack) = awaiting(
        Timestamp::now(),
        &[
            &with_status(ARN, CertificateStatus::Failed),
            &with_status(REGIONAL, CertificateStatus::PendingValidation),
        ],
    )
    .await;
    let (deps, callbacks) = recording(deps);
    let err = handle_await(&deps, parking(&stack)).await.unwrap_err();
    let said = err.owner_message().expect("words for the owner");
    assert_eq!(said.code, "certificate_failed", "{err:?}");
    assert!(deps.store.parked().await.unwrap().is_empty());
    assert!(callbacks.sent().is_empty());
}

#[tokio::test]
async fn a_validation_past_its_deadline_fails_the_stack() {
    let (deps, stack) = awaiting(
        Timestamp::parse("2020-01-01T00:00:00.000Z").unwrap(),
        &[
            &with_status(ARN, CertificateStatus::PendingValidation),
            &with_status(REGIONAL, CertificateStatus::PendingValidation),
        ],
    )
    .await;
    let (deps, callbacks) = recording(deps);
    let err = handle_await(&deps, parking(&stack)).await.unwrap_err();
    assert_eq!(err.error_type(), "DeadlineExceeded", "{err:?}");
    assert!(deps.store.parked().await.unwrap().is_empty());
    assert!(callbacks.sent().is_empty());
}

#[test]
fn the_wait_ends_when_every_certificate_is_issued_or_one_never_will_be() {
    let both = [
        CertificateRef {
            region: "us-east-1".into(),
            arn: ARN.into(),
        },
        CertificateRef {
            region: "eu-west-1".into(),
            arn: REGIONAL.into(),
        },
    ];
    let statuses = |pairs: &[(&str, CertificateStatus)]| {
        pairs
            .iter()
            .map(|(arn, status)| (arn.to_string(), status.clone()))
            .collect::<std::collections::HashMap<_, _>>()
    };
    use CertificateStatus::{Issued, PendingValidation, ValidationTimedOut};
    assert!(certificates_issued(&both, &statuses(&[(ARN, Issued), (REGIONAL, Issued)])).unwrap());
    assert!(!certificates_issued(
        &both,
        &statuses(&[(ARN, Issued), (REGIONAL, PendingValidation)])
    )
    .unwrap());
    // Not listed yet (ACM lists a certificate moments after its request): still waiting.
    assert!(!certificates_issued(&both, &statuses(&[(ARN, Issued)])).unwrap());
    let never = certificates_issued(
        &both,
        &statuses(&[(ARN, Issued), (REGIONAL, ValidationTimedOut)]),
    )
    .unwrap_err();
    assert!(
        never.to_string().contains("eu-west-1"),
        "names the region: {never}"
    );
}
