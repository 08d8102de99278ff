//! Step 1 of the recipe: check, before anything is created, that the stack can be built: the
//! API exists and is Regional, the stage is deployed, the hosted zone exists and holds the name,
//! and nothing that is not this stack's already uses the name (a CloudFront alias, an API
//! Gateway custom domain, a DNS record). What this stack made itself never counts against it:
//! the step may run again (a retry, a redrive) after later steps created it.

use aws_sdk_apigateway::operation::get_domain_name::GetDomainNameError;
use aws_sdk_apigateway::operation::get_rest_api::GetRestApiError;
use aws_sdk_apigateway::operation::get_stage::GetStageError;
use aws_sdk_apigateway::types::EndpointType;
use aws_sdk_route53::operation::get_hosted_zone::GetHostedZoneError;
use aws_sdk_route53::types::RrType;

use super::distribution::find_distribution;
use edgestack_domain::tags::STACK_ID_TAG;

use crate::distribution_config;
use crate::error::from_sdk;
use crate::{Deps, Flow, Start, StepError};
use edgestack_domain::permissions::Permissions;
use edgestack_domain::request::StackRequest;
use edgestack_domain::stack::{Phase, Stack, StepStatus};
use edgestack_domain::validated::Principal;

pub const STEP: &str = "validate";

pub async fn handle(deps: &Deps, flow: Flow) -> Result<Flow, StepError> {
    let stack = deps
        .begin(&flow.stack_id, STEP, Phase::Validating, Start::Provision)
        .await?;
    let request = &stack.request;
    if let Some(policy) = &deps.permissions {
        still_granted(policy, &stack)?;
    }
    check_api(deps, request).await?;
    if let Some(zone_id) = request
        .custom_domain
        .as_ref()
        .and_then(|d| d.hosted_zone_id.as_ref())
    {
        check_zone(deps, request, zone_id.as_str()).await?;
        check_no_record_in_the_way(deps, &stack, zone_id.as_str()).await?;
    }
    if request.custom_domain.is_some() {
        check_no_custom_domain(deps, &stack).await?;
        check_no_alias_in_use(&deps.clients.cloudfront.clone(), &stack).await?;
    }
    let detail = format!(
        "API {} in {} is Regional and stage {} is deployed",
        request.api_id, request.region, request.stage
    );
    deps.finish(&flow.stack_id, STEP, StepStatus::Succeeded, detail, |_| {})
        .await?;
    Ok(Flow {
        custom_domain: request.custom_domain.is_some(),
        managed_dns: request
            .custom_domain
            .as_ref()
            .is_some_and(|d| d.hosted_zone_id.is_some()),
        ..flow
    })
}

/// The owner's grant, read again: one revoked after the request was accepted stops the stack
/// before anything is created.
pub fn still_granted(policy: &Permissions, stack: &Stack) -> Result<(), StepError> {
    let refused = policy.refusals(&Principal::from_caller(&stack.owner), &stack.request);
    if refused.is_empty() {
        return Ok(());
    }
    let what: Vec<String> = refused
        .iter()
        .map(|e| format!("{}: {}", e.field, e.problem))
        .collect();
    Err(StepError::invalid(
        "permission_revoked",
        format!(
            "The permissions policy no longer allows this stack ({}). Ask the platform team for the grant, then create it again.",
            what.join("; ")
        ),
    ))
}

async fn check_api(deps: &Deps, request: &StackRequest) -> Result<(), StepError> {
    let client = deps.clients.apigateway(request.region.as_str());
    let api = match client.get_rest_api().rest_api_id(request.api_id.as_str()).send().await {
        Ok(api) => api,
        Err(e) if matches!(e.as_service_error(), Some(GetRestApiError::NotFoundException(_))) => {
            return Err(StepError::invalid(
                "api_not_found",
                format!(
                    "No REST API {} exists in {}. Check api_id and region (HTTP APIs are not supported).",
                    request.api_id, request.region
                ),
            ))
        }
        Err(e) => return Err(from_sdk(e)),
    };
    let regional = api
        .endpoint_configuration()
        .is_some_and(|c| c.types().contains(&EndpointType::Regional));
    if !regional {
        return Err(StepError::invalid(
            "api_not_regional",
            format!(
                "API {} is not a Regional API. Change its endpoint type to Regional first: an edge-optimized API already has a CloudFront distribution of AWS's.",
                request.api_id
            ),
        ));
    }
    match client
        .get_stage()
        .rest_api_id(request.api_id.as_str())
        .stage_name(request.stage.as_str())
        .send()
        .await
    {
        Ok(_) => Ok(()),
        Err(e)
            if matches!(
                e.as_service_error(),
                Some(GetStageError::NotFoundException(_))
            ) =>
        {
            Err(StepError::invalid(
                "stage_not_found",
                format!(
                    "API {} has no stage {}. Deploy the API to that stage first.",
                    request.api_id, request.stage
                ),
            ))
        }
        Err(e) => Err(from_sdk(e)),
    }
}

async fn check_zone(deps: &Deps, request: &StackRequest, zone_id: &str) -> Result<(), StepError> {
    let client = deps.clients.route53.clone();
    let zone = match client.get_hosted_zone().id(zone_id).send().await {
        Ok(out) => out.hosted_zone,
        Err(e) if matches!(e.as_service_error(), Some(GetHostedZoneError::NoSuchHostedZone(_))) => {
            return Err(StepError::invalid(
                "hosted_zone_not_found",
                format!("No hosted zone {zone_id} exists in this account. Check custom_domain.hosted_zone_id, or leave it out to manage DNS yourself."),
            ))
        }
        Err(e) => return Err(from_sdk(e)),
    };
    let zone_name = zone
        .as_ref()
        .map(|z| z.name().trim_end_matches('.').to_owned())
        .unwrap_or_default();
    let name = request
        .custom_domain
        .as_ref()
        .map(|d| &d.name)
        .ok_or_else(|| StepError::Internal("zone check without a custom domain".into()))?;
    if !name.is_within(&zone_name) {
        return Err(StepError::invalid(
            "name_outside_zone",
            format!("{name} is not in hosted zone {zone_id} ({zone_name}). Name the zone that holds it."),
        ));
    }
    Ok(())
}

/// API Gateway allows one custom domain of a name per region; someone else's must stay theirs.
async fn check_no_custom_domain(deps: &Deps, stack: &Stack) -> Result<(), StepError> {
    let request = &stack.request;
    let Some(domain) = &request.custom_domain else {
        return Ok(());
    };
    let client = deps.clients.apigateway(request.region.as_str());
    match client
        .get_domain_name()
        .domain_name(domain.name.as_str())
        .send()
        .await
    {
        Ok(existing)
            if existing
                .tags()
                .and_then(|t| t.get(STACK_ID_TAG))
                .is_some_and(|id| id == stack.id.as_str()) =>
        {
            Ok(())
        }
        Ok(_) => Err(StepError::Conflict {
            code: "custom_domain_exists",
            message: format!(
                "API Gateway in {} already has a custom domain {}. Delete it, or choose another name.",
                request.region, domain.name
            ),
        }),
        Err(e) if matches!(e.as_service_error(), Some(GetDomainNameError::NotFoundException(_))) => Ok(()),
        Err(e) => Err(from_sdk(e)),
    }
}

/// A record for the name that edgestack did not write (an A, AAAA or CNAME) would be
/// overwritten by the alias records, or would keep serving something else: refuse up front.
async fn check_no_record_in_the_way(
    deps: &Deps,
    stack: &Stack,
    zone_id: &str,
) -> Result<(), StepError> {
    let Some(domain) = &stack.request.custom_domain else {
        return Ok(());
    };
    let listed = deps
        .clients
        .route53
        .clone()
        .list_resource_record_sets()
        .hosted_zone_id(zone_id)
        .start_record_name(domain.name.as_str())
        .max_items(10)
        .send()
        .await
        .map_err(from_sdk)?;
    let in_the_way = listed.resource_record_sets().iter().find(|set| {
        set.name()
            .trim_end_matches('.')
            .eq_ignore_ascii_case(domain.name.as_str())
            && matches!(set.r#type(), RrType::A | RrType::Aaaa | RrType::Cname)
            && !stack.outputs.dns_records.iter().any(|ours| {
                ours.managed
                    && ours.record_type == set.r#type().as_str()
                    && ours
                        .name
                        .trim_end_matches('.')
                        .eq_ignore_ascii_case(domain.name.as_str())
            })
    });
    match in_the_way {
        Some(set) => Err(StepError::Conflict {
            code: "dns_record_exists",
            message: format!(
                "Hosted zone {zone_id} already has a {} record for {} that edgestack did not create. Remove it first, or choose another name.",
                set.r#type().as_str(),
                domain.name
            ),
        }),
        None => Ok(()),
    }
}

/// CloudFront lets one distribution in all of AWS carry a name as an alternate domain name. One
/// of this account's that already carries it would make the create fail late, after the
/// certificates and the custom domain were made; find it now. (Another account's is found by
/// CloudFront at create time, `CNAMEAlreadyExists`, and rolled back: `ListConflictingAliases`
/// needs a distribution of ours to ask about, which does not exist before the create.)
async fn check_no_alias_in_use(
    client: &aws_sdk_cloudfront::Client,
    stack: &Stack,
) -> Result<(), StepError> {
    let Some(domain) = &stack.request.custom_domain else {
        return Ok(());
    };
    let ours = distribution_config::comment(stack);
    let holder = find_distribution(client, |d| {
        d.comment() != ours
            && d.aliases().is_some_and(|a| {
                a.items()
                    .iter()
                    .any(|alias| alias.eq_ignore_ascii_case(domain.name.as_str()))
            })
    })
    .await
    .map_err(from_sdk)?;
    match holder {
        Some(holder) => Err(StepError::Conflict {
            code: "alias_in_use",
            message: format!(
                "CloudFront distribution {} in this account already serves {} as an alternate domain name. Remove the name from it, or choose another name.",
                holder.id(),
                domain.name
            ),
        }),
        None => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_sdk_cloudfront::operation::list_distributions::ListDistributionsOutput;
    use aws_sdk_cloudfront::types::{Aliases, DistributionList, DistributionSummary};
    use aws_smithy_mocks::{mock, mock_client, RuleMode};
    use edgestack_domain::request::StackRequest;

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
        DistributionSummary::builder()
            .id(id)
            .arn(format!(
                "arn:aws:cloudfront::123456789012:distribution/{id}"
            ))
            .status("Deployed")
            .last_modified_time(aws_smithy_types::DateTime::from_secs(0))
            .domain_name(format!("{}.cloudfront.net", id.to_lowercase()))
            .enabled(true)
            .http_version(aws_sdk_cloudfront::types::HttpVersion::Http2)
            .price_class(aws_sdk_cloudfront::types::PriceClass::PriceClassAll)
            .staging(false)
            .is_ipv6_enabled(true)
            .web_acl_id("")
            .comment(comment)
            .aliases(
                Aliases::builder()
                    .quantity(aliases.len() as i32)
                    .set_items(Some(aliases.iter().map(|a| (*a).to_owned()).collect()))
                    .build()
                    .expect("aliases"),
            )
            .build()
            .expect("a summary")
    }

    fn page(items: Vec<DistributionSummary>, next: Option<&str>) -> ListDistributionsOutput {
        ListDistributionsOutput::builder()
            .distribution_list(
                DistributionList::builder()
                    .marker("")
                    .max_items(100)
                    .is_truncated(next.is_some())
                    .set_next_marker(next.map(str::to_owned))
                    .quantity(items.len() as i32)
                    .set_items(Some(items))
                    .build()
                    .expect("a page"),
            )
            .build()
    }

    #[tokio::test]
    async fn another_distribution_with_the_name_is_a_conflict_found_on_any_page() {
        let stack = stack();
        let first = mock!(aws_sdk_cloudfront::Client::list_distributions)
            .match_requests(|r| r.marker().is_none())
            .then_output(|| {
                page(
                    vec![summary("E1", "someone else", &["www.example.com"])],
                    Some("m1"),
                )
            });
        let second = mock!(aws_sdk_cloudfront::Client::list_distributions)
            .match_requests(|r| r.marker() == Some("m1"))
            .then_output(|| page(vec![summary("E2", "theirs", &["API.example.com"])], None));
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
            page(
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

    use crate::testing::{cname, deps, no_acm, no_aws, zone_holding};
    use aws_sdk_apigateway::operation::get_domain_name::GetDomainNameOutput;
    use aws_sdk_apigateway::operation::get_rest_api::GetRestApiOutput;
    use aws_sdk_apigateway::operation::get_stage::GetStageOutput;
    use aws_sdk_apigateway::types::error::NotFoundException;
    use aws_sdk_apigateway::types::EndpointConfiguration;
    use aws_sdk_route53::operation::get_hosted_zone::GetHostedZoneOutput;
    use aws_sdk_route53::types::error::NoSuchHostedZone;
    use aws_sdk_route53::types::HostedZone;
    use aws_smithy_mocks::Rule;
    use edgestack_aws::clients::Clients;

    const ZONE: &str = "Z0123456789ABCDEFGHIJ";

    fn api(kind: EndpointType) -> Rule {
        mock!(aws_sdk_apigateway::Client::get_rest_api).then_output(move || {
            GetRestApiOutput::builder()
                .id("a1b2c3d4e5")
                .endpoint_configuration(
                    EndpointConfiguration::builder().types(kind.clone()).build(),
                )
                .build()
        })
    }

    fn stage() -> Rule {
        mock!(aws_sdk_apigateway::Client::get_stage)
            .then_output(|| GetStageOutput::builder().stage_name("prod").build())
    }

    fn no_domain() -> Rule {
        mock!(aws_sdk_apigateway::Client::get_domain_name).then_error(|| {
            GetDomainNameError::NotFoundException(NotFoundException::builder().build())
        })
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
        mock!(aws_sdk_cloudfront::Client::list_distributions).then_output(|| page(vec![], None))
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
            clients: Clients::given(
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
        let missing = mock!(aws_sdk_apigateway::Client::get_rest_api).then_error(|| {
            GetRestApiError::NotFoundException(NotFoundException::builder().build())
        });
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
        let missing = mock!(aws_sdk_route53::Client::get_hosted_zone).then_error(|| {
            GetHostedZoneError::NoSuchHostedZone(NoSuchHostedZone::builder().build())
        });
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
}
