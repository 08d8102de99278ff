use super::*;
use aws_sdk_apigateway::operation::get_domain_name::GetDomainNameError;
use aws_sdk_apigateway::operation::get_rest_api::GetRestApiError;
use aws_sdk_apigateway::operation::get_stage::GetStageError;
use aws_sdk_apigateway::types::EndpointType;
use aws_sdk_route53::operation::get_hosted_zone::GetHostedZoneError;

use edgestack_domain::tags::STACK_ID_TAG;

use crate::distribution_config;
use crate::{Deps, Flow, StepError};
use aws_sdk_cloudfront::types::DistributionSummary;
use aws_smithy_mocks::{mock, mock_client, RuleMode};
use edgestack_domain::permissions::Permissions;
use edgestack_domain::request::StackRequest;
use edgestack_domain::stack::Stack;

fn stack() -> Stack {
    let request = StackRequest::from_json(&serde_json::json!({
        "api_id": "a1b2c3d4e5", "region": "eu-west-1", "stage": "prod",
        "custom_domain": {"name": "api.example.com", "hosted_zone_id": "Z0123456789ABCDEFGHIJ"}
    }))
    .expect("a valid request");
    Stack::new(
        "arn:aws:iam::123456789012:role/team".into(),
        request,
        edgestack_domain::timestamp::Timestamp::parse("2026-11-25T10:00:00Z").unwrap(),
    )
}

#[test]
fn a_grant_revoked_after_the_request_was_accepted_stops_the_stack() {
    let stack = stack();
    let granted = Permissions::from_json(
        r#"{"principals": {"arn:aws:iam::123456789012:role/team": {"domain_suffixes": ["example.com"], "hosted_zone_ids": ["*"], "api_ids": ["*"]}}}"#,
    )
    .unwrap();
    still_granted(&granted, &stack).expect("still granted");
    let revoked = Permissions::from_json(
        r#"{"principals": {"arn:aws:iam::123456789012:role/team": {"domain_suffixes": ["example.org"], "hosted_zone_ids": ["*"], "api_ids": ["*"]}}}"#,
    )
    .unwrap();
    let err = still_granted(&revoked, &stack).unwrap_err();
    assert_eq!(err.error_type(), "InvalidStack");
    assert!(
        err.to_string().starts_with("permission_revoked: ")
            && err.to_string().contains("custom_domain.name"),
        "{err}"
    );
}

fn summary(id: &str, comment: &str, aliases: &[&str]) -> DistributionSummary {
    distribution_summary(id, "Deployed", comment, aliases)
}

#[tokio::test]
async fn another_distribution_with_the_name_is_a_conflict_found_on_any_page() {
    let stack = stack();
    let first = mock!(aws_sdk_cloudfront::Client::list_distributions)
        .match_requests(|r| r.marker().is_none())
        .then_output(|| {
            distributions_page(
                vec![summary("E1", "someone else", &["www.example.com"])],
                Some("m1"),
            )
        });
    let second = mock!(aws_sdk_cloudfront::Client::list_distributions)
        .match_requests(|r| r.marker() == Some("m1"))
        .then_output(|| {
            distributions_page(vec![summary("E2", "theirs", &["API.example.com"])], None)
        });
    let client = mock_client!(aws_sdk_cloudfront, RuleMode::MatchAny, [&first, &second]);
    match check_no_alias_in_use(&client, &stack).await {
        Err(StepError::Conflict { code, message }) => {
            assert_eq!(code, "alias_in_use");
            assert!(
                message.contains("E2") && message.contains("api.example.com"),
                "{message}"
            );
        }
        other => panic!("expected a conflict, got {other:?}"),
    }
}

#[tokio::test]
async fn the_stacks_own_distribution_and_other_names_are_no_conflict() {
    let stack = stack();
    let own = distribution_config::comment(&stack);
    let rule = mock!(aws_sdk_cloudfront::Client::list_distributions).then_output(move || {
        distributions_page(
            vec![
                summary("E1", &own, &["api.example.com"]),
                summary("E2", "theirs", &["*.example.com", "www.example.com"]),
            ],
            None,
        )
    });
    let client = mock_client!(aws_sdk_cloudfront, [&rule]);
    assert!(check_no_alias_in_use(&client, &stack).await.is_ok());
}

// ---- the whole step, with mocked API Gateway, Route 53 and CloudFront -----------------

use crate::testing::{
    clients_of, cname, deps, distribution_summary, distributions_page, no_acm, no_aws, zone_holding,
};
use aws_sdk_apigateway::operation::get_domain_name::GetDomainNameOutput;
use aws_sdk_apigateway::operation::get_rest_api::GetRestApiOutput;
use aws_sdk_apigateway::operation::get_stage::GetStageOutput;
use aws_sdk_apigateway::types::error::NotFoundException;
use aws_sdk_apigateway::types::EndpointConfiguration;
use aws_sdk_route53::operation::get_hosted_zone::GetHostedZoneOutput;
use aws_sdk_route53::types::error::NoSuchHostedZone;
use aws_sdk_route53::types::HostedZone;
use aws_smithy_mocks::Rule;

const ZONE: &str = "Z0123456789ABCDEFGHIJ";

fn api(kind: EndpointType) -> Rule {
    mock!(aws_sdk_apigateway::Client::get_rest_api).then_output(move || {
        GetRestApiOutput::builder()
            .id("a1b2c3d4e5")
            .endpoint_configuration(EndpointConfiguration::builder().types(kind.clone()).build())
            .build()
    })
}

fn stage() -> Rule {
    mock!(aws_sdk_apigateway::Client::get_stage)
        .then_output(|| GetStageOutput::builder().stage_name("prod").build())
}

fn no_domain() -> Rule {
    mock!(aws_sdk_apigateway::Client::get_domain_name)
        .then_error(|| GetDomainNameError::NotFoundException(NotFoundException::builder().build()))
}

fn zone_named(name: &'static str) -> Rule {
    mock!(aws_sdk_route53::Client::get_hosted_zone).then_output(move || {
        GetHostedZoneOutput::builder()
            .hosted_zone(
                HostedZone::builder()
                    .id(format!("/hostedzone/{ZONE}"))
                    .name(name)
                    .caller_reference("c")
                    .build()
                    .expect("a zone"),
            )
            .build()
    })
}

fn no_distributions() -> Rule {
    mock!(aws_sdk_cloudfront::Client::list_distributions)
        .then_output(|| distributions_page(vec![], None))
}

/// The stack of `stack()` stored as PENDING, and `Deps` whose services answer by the rules.
async fn validating(
    apigateway: &[&Rule],
    route53: &[&Rule],
    cloudfront: &[&Rule],
) -> (Deps, Stack) {
    let store_only = deps(no_aws());
    let stack = stack();
    store_only.store.create(&stack, None).await.expect("stored");
    let deps = Deps {
        clients: clients_of(
            "validate-request",
            mock_client!(
                aws_sdk_cloudfront,
                RuleMode::MatchAny,
                cloudfront.iter().copied()
            ),
            mock_client!(aws_sdk_route53, RuleMode::MatchAny, route53.iter().copied()),
            no_acm(),
            mock_client!(
                aws_sdk_apigateway,
                RuleMode::MatchAny,
                apigateway.iter().copied()
            ),
        ),
        ..store_only
    };
    (deps, stack)
}

async fn refused_with(code: &str, apigateway: &[&Rule], route53: &[&Rule]) {
    let (deps, stack) = validating(apigateway, route53, &[&no_distributions()]).await;
    let err = handle(&deps, Flow::new(stack.id.clone()))
        .await
        .unwrap_err();
    assert_eq!(
        err.owner_message().map(|m| m.code),
        Some(code.to_owned()),
        "{err:?}"
    );
}

#[tokio::test]
async fn a_valid_request_routes_to_the_custom_domain_with_managed_dns() {
    let (deps, stack) = validating(
        &[&api(EndpointType::Regional), &stage(), &no_domain()],
        &[&zone_named("example.com."), &zone_holding(vec![])],
        &[&no_distributions()],
    )
    .await;
    let next = handle(&deps, Flow::new(stack.id.clone()))
        .await
        .expect("valid");
    assert_eq!((next.custom_domain, next.managed_dns), (true, true));
}

#[tokio::test]
async fn an_api_that_does_not_exist_is_refused() {
    let missing = mock!(aws_sdk_apigateway::Client::get_rest_api)
        .then_error(|| GetRestApiError::NotFoundException(NotFoundException::builder().build()));
    refused_with("api_not_found", &[&missing], &[]).await;
}

#[tokio::test]
async fn an_edge_optimized_api_is_refused() {
    refused_with("api_not_regional", &[&api(EndpointType::Edge)], &[]).await;
}

#[tokio::test]
async fn a_stage_that_is_not_deployed_is_refused() {
    let missing = mock!(aws_sdk_apigateway::Client::get_stage)
        .then_error(|| GetStageError::NotFoundException(NotFoundException::builder().build()));
    refused_with(
        "stage_not_found",
        &[&api(EndpointType::Regional), &missing],
        &[],
    )
    .await;
}

#[tokio::test]
async fn a_hosted_zone_that_does_not_exist_is_refused() {
    let missing = mock!(aws_sdk_route53::Client::get_hosted_zone)
        .then_error(|| GetHostedZoneError::NoSuchHostedZone(NoSuchHostedZone::builder().build()));
    refused_with(
        "hosted_zone_not_found",
        &[&api(EndpointType::Regional), &stage()],
        &[&missing],
    )
    .await;
}

#[tokio::test]
async fn a_zone_that_does_not_hold_the_name_is_refused() {
    refused_with(
        "name_outside_zone",
        &[&api(EndpointType::Regional), &stage()],
        &[&zone_named("example.org.")],
    )
    .await;
}

#[tokio::test]
async fn a_record_for_the_name_that_edgestack_did_not_write_is_refused() {
    refused_with(
        "dns_record_exists",
        &[&api(EndpointType::Regional), &stage()],
        &[
            &zone_named("example.com."),
            &zone_holding(vec![cname("api.example.com.", "elsewhere.example.net.")]),
        ],
    )
    .await;
}

#[tokio::test]
async fn someone_elses_custom_domain_of_the_name_is_refused() {
    let theirs = mock!(aws_sdk_apigateway::Client::get_domain_name).then_output(|| {
        GetDomainNameOutput::builder()
            .domain_name("api.example.com")
            .tags(STACK_ID_TAG, "stk_someoneelsesstack1")
            .build()
    });
    refused_with(
        "custom_domain_exists",
        &[&api(EndpointType::Regional), &stage(), &theirs],
        &[&zone_named("example.com."), &zone_holding(vec![])],
    )
    .await;
}
