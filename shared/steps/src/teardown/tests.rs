//! The teardown steps against mocked AWS clients.

use super::*;
use crate::cloudfront::CLOUDFRONT_ZONE_ID;
use crate::testing::{
    clients_of, cname, deps, no_acm, no_apigateway, no_cloudfront, no_route53, zone_holding,
};
use crate::Flow;
use aws_sdk_acm::operation::delete_certificate::{DeleteCertificateError, DeleteCertificateOutput};
use aws_sdk_acm::operation::list_certificates::ListCertificatesOutput;
use aws_sdk_acm::operation::list_tags_for_certificate::ListTagsForCertificateOutput;
use aws_sdk_acm::types::error::ResourceInUseException;
use aws_sdk_acm::types::{CertificateSummary, Tag};
use aws_sdk_apigateway::operation::delete_domain_name::DeleteDomainNameError;
use aws_sdk_apigateway::operation::get_domain_name::GetDomainNameError;
use aws_sdk_cloudfront::operation::get_distribution_config::GetDistributionConfigError;
use aws_sdk_route53::operation::change_resource_record_sets::ChangeResourceRecordSetsOutput;
use aws_sdk_route53::types::{AliasTarget, ChangeInfo, ChangeStatus, ResourceRecordSet};
use aws_smithy_mocks::{mock, mock_client, Rule, RuleMode};
use edgestack_aws::store::modify;
use edgestack_domain::stack::{DnsPurpose, Phase};
use edgestack_domain::stack::{DnsRecord, Stack, StepStatus};
use edgestack_domain::tags::STACK_ID_TAG;
use edgestack_domain::timestamp::Timestamp;

const NAME: &str = "api.example.com";
const DISTRIBUTION: &str = "d111.cloudfront.net";
const EDGE_ARN: &str = "arn:aws:acm:us-east-1:123456789012:certificate/edge";
const REGIONAL_ARN: &str = "arn:aws:acm:eu-west-1:123456789012:certificate/regional";
const VALIDATION: &str = "_abc.api.example.com.";

/// A DELETING custom-domain stack of zone `zone` (none: outside DNS), as READY left it.
async fn stored(deps: &Deps, zone: Option<&str>, validation_created: bool) -> Stack {
    let mut domain = serde_json::json!({ "name": NAME });
    if let Some(zone) = zone {
        domain["hosted_zone_id"] = zone.into();
    }
    let request = edgestack_domain::request::StackRequest::from_json(&serde_json::json!({
        "api_id": "a1b2c3d4e5", "region": "eu-west-1", "stage": "prod",
        "custom_domain": domain
    }))
    .expect("a valid request");
    let mut stack = Stack::new("arn:a".into(), request, Timestamp::now());
    stack.start_deleting().expect("deleting");
    stack.outputs.distribution_domain_name = Some(DISTRIBUTION.into());
    stack.outputs.certificate_arn = Some(EDGE_ARN.into());
    stack.outputs.regional_certificate_arn = Some(REGIONAL_ARN.into());
    stack.outputs.dns_records.push(DnsRecord {
        name: VALIDATION.into(),
        record_type: "CNAME".into(),
        value: "_def.acm-validations.aws.".into(),
        purpose: DnsPurpose::CertificateValidation,
        managed: zone.is_some(),
        created: validation_created,
    });
    deps.store.create(&stack, None).await.expect("stored");
    stack
}

fn flow(stack: &Stack) -> Flow {
    Flow {
        teardown: true,
        ..Flow::new(stack.id.clone())
    }
}

async fn step_of(deps: &Deps, stack: &Stack, name: &str) -> edgestack_domain::stack::StepRecord {
    let now = deps.store.get(&stack.id).await.unwrap().unwrap().value;
    now.steps
        .into_iter()
        .find(|s| s.name == name)
        .unwrap_or_else(|| panic!("no step {name}"))
}

fn alias(name: &str, kind: RrType, target: &str) -> ResourceRecordSet {
    ResourceRecordSet::builder()
        .name(name)
        .r#type(kind)
        .alias_target(
            AliasTarget::builder()
                .hosted_zone_id(CLOUDFRONT_ZONE_ID)
                .dns_name(target)
                .evaluate_target_health(false)
                .build()
                .unwrap(),
        )
        .build()
        .unwrap()
}

fn changed() -> ChangeResourceRecordSetsOutput {
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
}

#[tokio::test]
async fn only_the_aliases_to_the_stacks_distribution_are_deleted() {
    let listed = zone_holding(vec![
        alias("api.example.com.", RrType::A, "d111.cloudfront.net."),
        alias("api.example.com.", RrType::Aaaa, "d111.cloudfront.net"),
        alias("api.example.com.", RrType::A, "d999.cloudfront.net."),
        alias("www.api.example.com.", RrType::A, "d111.cloudfront.net."),
    ]);
    let delete = mock!(aws_sdk_route53::Client::change_resource_record_sets)
        .match_requests(|r| {
            let changes = r.change_batch().map(|b| b.changes()).unwrap_or_default();
            changes.len() == 2
                && changes.iter().all(|c| {
                    c.action() == &ChangeAction::Delete
                        && c.resource_record_set()
                            .and_then(|s| s.alias_target())
                            .is_some_and(|a| a.dns_name().starts_with("d111"))
                })
        })
        .then_output(changed);
    let route53 = mock_client!(aws_sdk_route53, RuleMode::MatchAny, [&listed, &delete]);
    let deps = deps(clients_of(
        "delete-dns-records",
        no_cloudfront(),
        route53,
        no_acm(),
        no_apigateway(),
    ));
    let stack = stored(&deps, Some("Z1"), true).await;
    delete_dns_records(&deps, flow(&stack))
        .await
        .expect("deleted");
    assert_eq!(delete.num_calls(), 1);
    let step = step_of(&deps, &stack, DNS_STEP).await;
    assert_eq!(step.status, StepStatus::Succeeded);
    assert_eq!(step.detail.as_deref(), Some("2 alias records deleted"));
}

#[tokio::test]
async fn with_outside_dns_nothing_is_deleted_and_the_owner_is_told_to_remove_its_cname() {
    let deps = deps(clients_of(
        "delete-dns-records",
        no_cloudfront(),
        no_route53(),
        no_acm(),
        no_apigateway(),
    ));
    let stack = stored(&deps, None, false).await;
    delete_dns_records(&deps, flow(&stack)).await.expect("done");
    let detail = step_of(&deps, &stack, DNS_STEP)
        .await
        .detail
        .unwrap_or_default();
    assert!(
        detail.contains("remove your CNAME api.example.com → d111.cloudfront.net"),
        "{detail}"
    );
}

fn no_certificates_listed() -> Rule {
    mock!(aws_sdk_acm::Client::list_certificates)
        .then_output(|| ListCertificatesOutput::builder().build())
}

fn certificates_listed(arn: &'static str) -> Rule {
    mock!(aws_sdk_acm::Client::list_certificates).then_output(move || {
        ListCertificatesOutput::builder()
            .certificate_summary_list(
                CertificateSummary::builder()
                    .certificate_arn(arn)
                    .domain_name(NAME)
                    .build(),
            )
            .build()
    })
}

fn deleted_certificates() -> Rule {
    mock!(aws_sdk_acm::Client::delete_certificate)
        .then_output(|| DeleteCertificateOutput::builder().build())
}

#[tokio::test]
async fn a_certificate_still_in_use_is_waited_for() {
    let in_use = mock!(aws_sdk_acm::Client::delete_certificate)
        .match_requests(|r| r.certificate_arn() == Some(EDGE_ARN))
        .then_error(|| {
            DeleteCertificateError::ResourceInUseException(
                ResourceInUseException::builder().build(),
            )
        });
    let deleted = deleted_certificates();
    let listed = no_certificates_listed();
    let acm = mock_client!(
        aws_sdk_acm,
        RuleMode::MatchAny,
        [&in_use, &deleted, &listed]
    );
    let deps = deps(clients_of(
        "delete-certificates",
        no_cloudfront(),
        no_route53(),
        acm,
        no_apigateway(),
    ));
    let stack = stored(&deps, Some("Z1"), true).await;
    let next = delete_certificates(&deps, flow(&stack))
        .await
        .expect("waits");
    assert_eq!((next.ready, next.polls), (false, 1));
    assert!(next.wait_seconds > 0);
    assert_eq!(
        next.certificates_to_delete,
        [EDGE_ARN],
        "the next pass tries the one ACM still holds"
    );
    let listings = listed.num_calls();
    assert!(listings > 0, "the first pass looks for unrecorded ones");

    // The next pass deletes only what is left, in its own region, and lists nothing:
    // ListCertificates allows one request a second per account and region.
    let again = delete_certificates(&deps, next.clone())
        .await
        .expect("waits again");
    assert_eq!(listed.num_calls(), listings);
    assert_eq!(deleted.num_calls(), 1, "the regional one, once");
    assert_eq!(in_use.num_calls(), 2);
    assert_eq!(again.polls, 2);
    assert_eq!(again.certificates_to_delete, [EDGE_ARN]);
    let now = deps.store.get(&stack.id).await.unwrap().unwrap().value;
    assert_eq!(
        now.outputs.certificate_arn.as_deref(),
        Some(EDGE_ARN),
        "still to delete"
    );
    assert_eq!(
        now.outputs.regional_certificate_arn, None,
        "gone, forgotten"
    );
    assert_eq!(
        step_of(&deps, &stack, CERTIFICATES_STEP).await.status,
        StepStatus::Waiting
    );
}

#[tokio::test]
async fn a_validation_record_the_stack_did_not_create_is_kept() {
    let acm = mock_client!(
        aws_sdk_acm,
        RuleMode::MatchAny,
        [&deleted_certificates(), &no_certificates_listed()]
    );
    // No Route 53 call at all: the record is not the stack's.
    let deps = deps(clients_of(
        "delete-certificates",
        no_cloudfront(),
        no_route53(),
        acm,
        no_apigateway(),
    ));
    let stack = stored(&deps, Some("Z1"), false).await;
    let next = delete_certificates(&deps, flow(&stack))
        .await
        .expect("done");
    assert!(next.ready);
    let detail = step_of(&deps, &stack, CERTIFICATES_STEP)
        .await
        .detail
        .unwrap_or_default();
    assert!(
        detail.contains("kept") && detail.contains("before this stack"),
        "{detail}"
    );
}

#[tokio::test]
async fn a_validation_record_another_certificate_needs_is_kept() {
    // Another certificate for the name (not the stack's: no tag of it).
    let untagged = mock!(aws_sdk_acm::Client::list_tags_for_certificate)
        .then_output(|| ListTagsForCertificateOutput::builder().build());
    let acm = mock_client!(
        aws_sdk_acm,
        RuleMode::MatchAny,
        [
            &deleted_certificates(),
            &certificates_listed("arn:aws:acm:us-east-1:123456789012:certificate/other"),
            &untagged
        ]
    );
    let deps = deps(clients_of(
        "delete-certificates",
        no_cloudfront(),
        no_route53(),
        acm,
        no_apigateway(),
    ));
    let stack = stored(&deps, Some("Z1"), true).await;
    delete_certificates(&deps, flow(&stack))
        .await
        .expect("done");
    let detail = step_of(&deps, &stack, CERTIFICATES_STEP)
        .await
        .detail
        .unwrap_or_default();
    assert!(detail.contains("still uses it"), "{detail}");
}

#[tokio::test]
async fn a_validation_record_the_stack_created_and_nothing_needs_is_deleted() {
    let acm = mock_client!(
        aws_sdk_acm,
        RuleMode::MatchAny,
        [&deleted_certificates(), &no_certificates_listed()]
    );
    let listed = zone_holding(vec![cname(VALIDATION, "_def.acm-validations.aws")]);
    let delete = mock!(aws_sdk_route53::Client::change_resource_record_sets)
        .match_requests(|r| {
            r.change_batch()
                .map(|b| b.changes())
                .is_some_and(|c| c.len() == 1 && c[0].action() == &ChangeAction::Delete)
        })
        .then_output(changed);
    let route53 = mock_client!(aws_sdk_route53, RuleMode::MatchAny, [&listed, &delete]);
    let deps = deps(clients_of(
        "delete-certificates",
        no_cloudfront(),
        route53,
        acm,
        no_apigateway(),
    ));
    let stack = stored(&deps, Some("Z1"), true).await;
    delete_certificates(&deps, flow(&stack))
        .await
        .expect("done");
    assert_eq!(delete.num_calls(), 1);
    let now = deps.store.get(&stack.id).await.unwrap().unwrap().value;
    assert!(
        now.outputs
            .dns_records
            .iter()
            .all(|r| r.purpose != DnsPurpose::CertificateValidation),
        "{:?}",
        now.outputs.dns_records
    );
}

#[tokio::test]
async fn a_certificate_of_the_stack_its_outputs_never_named_is_found_by_tag_and_deleted() {
    const LOST: &str = "arn:aws:acm:us-east-1:123456789012:certificate/lost";
    let store_only = deps(crate::testing::no_aws());
    let stack = stored(&store_only, None, false).await;
    let stack_id = stack.id.to_string();
    let tagged = mock!(aws_sdk_acm::Client::list_tags_for_certificate)
        .match_requests(|r| r.certificate_arn() == Some(LOST))
        .then_output(move || {
            ListTagsForCertificateOutput::builder()
                .tags(
                    Tag::builder()
                        .key(STACK_ID_TAG)
                        .value(&stack_id)
                        .build()
                        .unwrap(),
                )
                .build()
        });
    let deleted_lost = mock!(aws_sdk_acm::Client::delete_certificate)
        .match_requests(|r| r.certificate_arn() == Some(LOST))
        .then_output(|| DeleteCertificateOutput::builder().build());
    let acm = mock_client!(
        aws_sdk_acm,
        RuleMode::MatchAny,
        [
            &deleted_lost,
            &deleted_certificates(),
            &certificates_listed(LOST),
            &tagged
        ]
    );
    let deps = Deps {
        clients: clients_of(
            "delete-certificates",
            no_cloudfront(),
            no_route53(),
            acm,
            no_apigateway(),
        ),
        ..store_only
    };
    delete_certificates(&deps, flow(&stack))
        .await
        .expect("done");
    // One mocked ACM answers for both regions: found in each listing, deleted once.
    assert_eq!(deleted_lost.num_calls(), 1);
}

// ---- the distribution: disabled with its ETag, deleted with its ETag -----------------

use aws_sdk_cloudfront::operation::delete_distribution::{
    DeleteDistributionError, DeleteDistributionOutput,
};
use aws_sdk_cloudfront::operation::get_distribution::GetDistributionOutput;
use aws_sdk_cloudfront::operation::get_distribution_config::GetDistributionConfigOutput;
use aws_sdk_cloudfront::operation::update_distribution::UpdateDistributionOutput;
use aws_sdk_cloudfront::types::error::{DistributionNotDisabled, NoSuchDistribution};
use aws_sdk_cloudfront::types::Distribution;

const DISTRIBUTION_ID: &str = "E1ABCDEF";

/// A DELETING stack without a custom domain whose distribution is `DISTRIBUTION_ID`.
async fn with_distribution(deps: &Deps) -> Stack {
    let request = edgestack_domain::request::StackRequest::from_json(&serde_json::json!({
        "api_id": "a1b2c3d4e5", "region": "eu-west-1", "stage": "prod"
    }))
    .expect("a valid request");
    let mut stack = Stack::new("arn:a".into(), request, Timestamp::now());
    stack.start_deleting().expect("deleting");
    stack.outputs.distribution_id = Some(DISTRIBUTION_ID.into());
    stack.outputs.distribution_domain_name = Some(DISTRIBUTION.into());
    deps.store.create(&stack, None).await.expect("stored");
    stack
}

/// The stack's distribution config as CloudFront would return it, `enabled` or not.
fn config_of(stack: &Stack, enabled: bool) -> aws_sdk_cloudfront::types::DistributionConfig {
    let mut config = crate::distribution_config::build(
        stack,
        &edgestack_aws::store::OriginHeaderValues::new(),
        &crate::distribution_config::EdgeSettings {
            iam_cache_policy_id: String::new(),
        },
    )
    .expect("a config");
    config.enabled = enabled;
    config
}

fn current_config(stack: &Stack, enabled: bool) -> Rule {
    let config = config_of(stack, enabled);
    mock!(aws_sdk_cloudfront::Client::get_distribution_config).then_output(move || {
        GetDistributionConfigOutput::builder()
            .distribution_config(config.clone())
            .e_tag("ETAG-7")
            .build()
    })
}

fn deployment(stack: &Stack, status: &'static str) -> Rule {
    let config = config_of(stack, false);
    mock!(aws_sdk_cloudfront::Client::get_distribution).then_output(move || {
        GetDistributionOutput::builder()
            .distribution(
                Distribution::builder()
                    .id(DISTRIBUTION_ID)
                    .arn("arn:aws:cloudfront::123456789012:distribution/E1ABCDEF")
                    .status(status)
                    .last_modified_time(aws_smithy_types::DateTime::from_secs(0))
                    .in_progress_invalidation_batches(0)
                    .domain_name(DISTRIBUTION)
                    .distribution_config(config.clone())
                    .build()
                    .expect("a distribution"),
            )
            .build()
    })
}

/// `Deps` over the same store as `store_only`, with CloudFront answering by `rules`.
fn with_cloudfront(function: &str, store_only: Deps, rules: &[&Rule]) -> Deps {
    let cloudfront = mock_client!(
        aws_sdk_cloudfront,
        RuleMode::MatchAny,
        rules.iter().copied()
    );
    Deps {
        clients: clients_of(
            function,
            cloudfront,
            no_route53(),
            no_acm(),
            no_apigateway(),
        ),
        ..store_only
    }
}

#[tokio::test]
async fn an_enabled_distribution_is_disabled_with_its_etag_and_then_waited_for() {
    let store_only = deps(crate::testing::no_aws());
    let stack = with_distribution(&store_only).await;
    let disable = mock!(aws_sdk_cloudfront::Client::update_distribution)
        .match_requests(|r| {
            r.id() == Some(DISTRIBUTION_ID)
                && r.if_match() == Some("ETAG-7")
                && r.distribution_config().is_some_and(|c| !c.enabled())
        })
        .then_output(|| UpdateDistributionOutput::builder().build());
    let deps = with_cloudfront(
        "disable-distribution",
        store_only,
        &[
            &current_config(&stack, true),
            &disable,
            &deployment(&stack, "InProgress"),
        ],
    );
    let next = disable_distribution(&deps, flow(&stack))
        .await
        .expect("disabling");
    assert_eq!(disable.num_calls(), 1);
    assert_eq!((next.ready, next.polls), (false, 1));
    let now = deps.store.get(&stack.id).await.unwrap().unwrap().value;
    assert_eq!(now.phase, Phase::AwaitingDistributionDisabled);
}

#[tokio::test]
async fn a_disabled_and_deployed_distribution_is_not_updated_again() {
    let store_only = deps(crate::testing::no_aws());
    let stack = with_distribution(&store_only).await;
    // No update rule: an update would fail the test.
    let deps = with_cloudfront(
        "disable-distribution",
        store_only,
        &[
            &current_config(&stack, false),
            &deployment(&stack, "Deployed"),
        ],
    );
    let next = disable_distribution(&deps, flow(&stack))
        .await
        .expect("disabled");
    assert!(next.ready);
    assert_eq!(
        step_of(&deps, &stack, DISABLE_STEP).await.status,
        StepStatus::Succeeded
    );
}

#[tokio::test]
async fn a_distribution_already_gone_is_done_for_both_steps() {
    let store_only = deps(crate::testing::no_aws());
    let stack = with_distribution(&store_only).await;
    let gone = mock!(aws_sdk_cloudfront::Client::get_distribution_config).then_error(|| {
        GetDistributionConfigError::NoSuchDistribution(NoSuchDistribution::builder().build())
    });
    let disabling = with_cloudfront("disable-distribution", store_only, &[&gone]);
    assert!(
        disable_distribution(&disabling, flow(&stack))
            .await
            .expect("done")
            .ready
    );
    let deps = with_cloudfront("delete-distribution", disabling, &[&gone]);
    delete_distribution(&deps, flow(&stack))
        .await
        .expect("done");
    let detail = step_of(&deps, &stack, DISTRIBUTION_STEP)
        .await
        .detail
        .unwrap_or_default();
    assert!(detail.contains("already gone"), "{detail}");
    let now = deps.store.get(&stack.id).await.unwrap().unwrap().value;
    assert_eq!(now.outputs.distribution_id, None);
}

#[tokio::test]
async fn a_disabled_distribution_is_deleted_with_its_etag() {
    let store_only = deps(crate::testing::no_aws());
    let stack = with_distribution(&store_only).await;
    let delete = mock!(aws_sdk_cloudfront::Client::delete_distribution)
        .match_requests(|r| r.id() == Some(DISTRIBUTION_ID) && r.if_match() == Some("ETAG-7"))
        .then_output(|| DeleteDistributionOutput::builder().build());
    let deps = with_cloudfront(
        "delete-distribution",
        store_only,
        &[&current_config(&stack, false), &delete],
    );
    delete_distribution(&deps, flow(&stack))
        .await
        .expect("deleted");
    assert_eq!(delete.num_calls(), 1);
    let now = deps.store.get(&stack.id).await.unwrap().unwrap().value;
    assert_eq!(
        (
            now.outputs.distribution_id,
            now.outputs.distribution_domain_name
        ),
        (None, None)
    );
}

#[tokio::test]
async fn a_distribution_not_yet_disabled_is_tried_again() {
    let store_only = deps(crate::testing::no_aws());
    let stack = with_distribution(&store_only).await;
    let not_disabled = mock!(aws_sdk_cloudfront::Client::delete_distribution).then_error(|| {
        DeleteDistributionError::DistributionNotDisabled(DistributionNotDisabled::builder().build())
    });
    let deps = with_cloudfront(
        "delete-distribution",
        store_only,
        &[&current_config(&stack, true), &not_disabled],
    );
    let err = delete_distribution(&deps, flow(&stack)).await.unwrap_err();
    assert_eq!(err.error_type(), "Transient", "{err:?}");
    let now = deps.store.get(&stack.id).await.unwrap().unwrap().value;
    assert_eq!(
        now.outputs.distribution_id.as_deref(),
        Some(DISTRIBUTION_ID),
        "still to delete"
    );
}

// ---- the custom domain: found by name, deleted only when it is the stack's -------------

use aws_sdk_apigateway::operation::delete_base_path_mapping::DeleteBasePathMappingOutput;
use aws_sdk_apigateway::operation::delete_domain_name::DeleteDomainNameOutput;
use aws_sdk_apigateway::operation::get_domain_name::GetDomainNameOutput;
use aws_sdk_apigateway::types::error::{NotFoundException, TooManyRequestsException};

/// `Deps` over the same store as `store_only`, with API Gateway answering by `rules`.
fn with_apigateway(store_only: Deps, rules: &[&Rule]) -> Deps {
    let apigateway = mock_client!(
        aws_sdk_apigateway,
        RuleMode::MatchAny,
        rules.iter().copied()
    );
    Deps {
        clients: clients_of(
            "delete-custom-domain",
            no_cloudfront(),
            no_route53(),
            no_acm(),
            apigateway,
        ),
        ..store_only
    }
}

fn domain_tagged(id: String) -> Rule {
    mock!(aws_sdk_apigateway::Client::get_domain_name)
        .match_requests(|r| r.domain_name() == Some(NAME))
        .then_output(move || {
            GetDomainNameOutput::builder()
                .domain_name(NAME)
                .tags(STACK_ID_TAG, id.clone())
                .build()
        })
}

fn domain_deleted() -> Rule {
    mock!(aws_sdk_apigateway::Client::delete_domain_name)
        .match_requests(|r| r.domain_name() == Some(NAME))
        .then_output(|| DeleteDomainNameOutput::builder().build())
}

#[tokio::test]
async fn the_stacks_domain_is_deleted_even_when_no_output_names_it() {
    let store_only = deps(crate::testing::no_aws());
    let stack = stored(&store_only, Some("Z1"), true).await;
    assert_eq!(stack.outputs.regional_domain_name, None, "never recorded");
    let deleted = domain_deleted();
    let deps = with_apigateway(
        store_only,
        &[&domain_tagged(stack.id.to_string()), &deleted],
    );
    delete_custom_domain(&deps, flow(&stack))
        .await
        .expect("deleted");
    assert_eq!(deleted.num_calls(), 1);
}

/// Another stack holds the account's current turn at DeleteDomainName: the domain is deleted
/// at this stack's turn, after a wait in the state machine, not before.
#[tokio::test]
async fn the_stacks_domain_is_deleted_at_its_turn() {
    let store_only = deps(crate::testing::no_aws());
    let stack = stored(&store_only, Some("Z1"), true).await;
    let now = edgestack_domain::timestamp::Timestamp::now();
    let ahead = store_only
        .store
        .reserve_turn(
            crate::pace::Paced::DeleteDomainName.call(),
            store_only.settings.domain_name_interval_millis,
            now,
        )
        .await
        .unwrap()
        .turn;
    let deleted = domain_deleted();
    let deps = with_apigateway(
        store_only,
        &[&domain_tagged(stack.id.to_string()), &deleted],
    );
    let waiting = delete_custom_domain(&deps, flow(&stack))
        .await
        .expect("waiting");
    assert!(!waiting.ready && waiting.turn_at.is_some(), "{waiting:?}");
    assert_eq!(deleted.num_calls(), 0, "not before its turn");
    // Meanwhile the stack ahead had its answer, a window ago.
    deps.store
        .hand_over(
            crate::pace::Paced::DeleteDomainName.call(),
            ahead,
            edgestack_domain::timestamp::Timestamp::now()
                .plus_millis(-deps.settings.domain_name_window_millis),
            1_000,
        )
        .await
        .unwrap();
    let turn = Flow {
        turn_at: Some(edgestack_domain::timestamp::Timestamp::now().plus_millis(-500)),
        ..waiting
    };
    assert!(
        delete_custom_domain(&deps, turn)
            .await
            .expect("deleted")
            .ready
    );
    assert_eq!(deleted.num_calls(), 1);
}

#[tokio::test]
async fn a_delete_throttled_at_its_turn_is_made_again_within_the_turn() {
    let store_only = deps(crate::testing::no_aws());
    let stack = stored(&store_only, Some("Z1"), true).await;
    let deleted = mock!(aws_sdk_apigateway::Client::delete_domain_name)
        .sequence()
        .http_response(|| {
            aws_smithy_runtime_api::http::Response::new(
                aws_smithy_runtime_api::http::StatusCode::try_from(429).unwrap(),
                aws_smithy_types::body::SdkBody::from(r#"{"message":"Too Many Requests"}"#),
            )
        })
        .output(|| DeleteDomainNameOutput::builder().build())
        .build();
    let deps = with_apigateway(
        store_only,
        &[&domain_tagged(stack.id.to_string()), &deleted],
    );
    assert!(
        delete_custom_domain(&deps, flow(&stack))
            .await
            .expect("deleted at the second try")
            .ready
    );
    assert_eq!(deleted.num_calls(), 2);
}

#[tokio::test]
async fn a_domain_of_the_name_that_is_not_the_stacks_is_left_alone() {
    let store_only = deps(crate::testing::no_aws());
    let stack = stored(&store_only, Some("Z1"), true).await;
    // No delete rule: a delete would fail the test.
    let deps = with_apigateway(
        store_only,
        &[&domain_tagged("stk_someoneelsesstack1".into())],
    );
    delete_custom_domain(&deps, flow(&stack))
        .await
        .expect("done");
    let detail = step_of(&deps, &stack, CUSTOM_DOMAIN_STEP)
        .await
        .detail
        .unwrap_or_default();
    assert!(detail.contains("not this stack's"), "{detail}");
}

#[tokio::test]
async fn a_domain_already_gone_is_done() {
    let store_only = deps(crate::testing::no_aws());
    let stack = stored(&store_only, Some("Z1"), true).await;
    let gone = mock!(aws_sdk_apigateway::Client::get_domain_name)
        .then_error(|| GetDomainNameError::NotFoundException(NotFoundException::builder().build()));
    let deps = with_apigateway(store_only, &[&gone]);
    delete_custom_domain(&deps, flow(&stack))
        .await
        .expect("done");
    let detail = step_of(&deps, &stack, CUSTOM_DOMAIN_STEP)
        .await
        .detail
        .unwrap_or_default();
    assert!(detail.contains("already gone"), "{detail}");
}

#[tokio::test]
async fn a_mapping_the_stack_made_goes_first_and_a_quota_refusal_is_waited_out() {
    let store_only = deps(crate::testing::no_aws());
    let mut stack = stored(&store_only, Some("Z1"), true).await;
    modify(store_only.store.as_ref(), &stack.id, |s| {
        s.begin_step(crate::provision::custom_domain::STEP, Timestamp::now());
        s.finish_step(
            crate::provision::custom_domain::STEP,
            StepStatus::Succeeded,
            None,
            Timestamp::now(),
        );
        Ok::<_, StepError>(())
    })
    .await
    .expect("mapped");
    stack = store_only
        .store
        .get(&stack.id)
        .await
        .unwrap()
        .unwrap()
        .value;
    let unmapped = mock!(aws_sdk_apigateway::Client::delete_base_path_mapping)
        .match_requests(|r| r.base_path() == Some("(none)"))
        .then_output(|| DeleteBasePathMappingOutput::builder().build());
    let throttled = mock!(aws_sdk_apigateway::Client::delete_domain_name).then_error(|| {
        DeleteDomainNameError::TooManyRequestsException(
            TooManyRequestsException::builder()
                .meta(
                    aws_smithy_types::error::ErrorMetadata::builder()
                        .code("TooManyRequestsException")
                        .build(),
                )
                .build(),
        )
    });
    let deps = with_apigateway(
        store_only,
        &[&domain_tagged(stack.id.to_string()), &unmapped, &throttled],
    );
    let err = delete_custom_domain(&deps, flow(&stack)).await.unwrap_err();
    assert_eq!(unmapped.num_calls(), 1);
    assert_eq!(err.error_type(), "RateLimited", "{err:?}");
    // Tried again only within the turn's grace (1 s, a try every twentieth of it).
    let calls = throttled.num_calls();
    assert!((2..=21).contains(&calls), "{calls} calls");
}

// ---- the last look: what appears late is undone again, a bounded number of times -------

#[tokio::test]
async fn what_keeps_appearing_after_the_undo_fails_it_after_its_passes() {
    let store_only = deps(crate::testing::no_aws());
    let stack = with_distribution(&store_only).await;
    let comment = crate::distribution_config::comment(&stack);
    let listed = mock!(aws_sdk_cloudfront::Client::list_distributions).then_output(move || {
        crate::testing::distributions_page(
            vec![crate::testing::distribution_summary(
                DISTRIBUTION_ID,
                "Deployed",
                &comment,
                &[],
            )],
            None,
        )
    });
    let cloudfront = mock_client!(aws_sdk_cloudfront, RuleMode::MatchAny, [&listed]);
    let deps = Deps {
        clients: clients_of(
            "finish-teardown",
            cloudfront,
            no_route53(),
            no_acm(),
            no_apigateway(),
        ),
        ..store_only
    };
    let mut flow = flow(&stack);
    for pass in 1..=MAX_PASSES {
        let again = finish(&deps, flow).await.expect("undoes again");
        assert!(!again.ready, "back to the first undo step");
        assert_eq!(again.undo_passes, pass);
        // The undo steps in between count their own waits from zero, not the passes.
        flow = Flow {
            polls: 0,
            ..again.done()
        };
    }
    let err = finish(&deps, flow).await.expect_err("gives up");
    assert_eq!(err.error_type(), "Internal");
    assert!(
        err.to_string().contains(&format!(
            "distribution {DISTRIBUTION_ID} is still there after {MAX_PASSES} passes"
        )),
        "{err}"
    );
}
