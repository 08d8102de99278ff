//! Step 1 of the recipe: check, before anything is created, that the stack can be built: the
//! API exists and is Regional, the stage is deployed, the hosted zone exists and holds the name.

use aws_sdk_apigateway::operation::get_domain_name::GetDomainNameError;
use aws_sdk_apigateway::operation::get_rest_api::GetRestApiError;
use aws_sdk_apigateway::operation::get_stage::GetStageError;
use aws_sdk_apigateway::types::EndpointType;
use aws_sdk_route53::operation::get_hosted_zone::GetHostedZoneError;
use aws_sdk_route53::types::RrType;

use super::error::from_sdk;
use super::{Deps, Flow, StepError};
use crate::aws::in_region;
use crate::request::StackRequest;
use crate::stack::{Phase, StepStatus};

pub const STEP: &str = "validate";

pub async fn handle(deps: &Deps, flow: Flow) -> Result<Flow, StepError> {
    let stack = deps.begin(&flow.stack_id, STEP, Phase::Validating).await?;
    let request = &stack.request;
    check_api(deps, request).await?;
    if let Some(zone_id) = request
        .custom_domain
        .as_ref()
        .and_then(|d| d.hosted_zone_id.as_ref())
    {
        check_zone(deps, request, zone_id.as_str()).await?;
        check_no_record_in_the_way(deps, request, zone_id.as_str()).await?;
    }
    if request.custom_domain.is_some() {
        check_no_custom_domain(deps, request).await?;
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

async fn check_api(deps: &Deps, request: &StackRequest) -> Result<(), StepError> {
    let client = aws_sdk_apigateway::Client::new(&in_region(&deps.sdk, request.region.as_str()));
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
    let client = aws_sdk_route53::Client::new(&deps.sdk);
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
async fn check_no_custom_domain(deps: &Deps, request: &StackRequest) -> Result<(), StepError> {
    let Some(domain) = &request.custom_domain else {
        return Ok(());
    };
    let client = aws_sdk_apigateway::Client::new(&in_region(&deps.sdk, request.region.as_str()));
    match client
        .get_domain_name()
        .domain_name(domain.name.as_str())
        .send()
        .await
    {
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
    request: &StackRequest,
    zone_id: &str,
) -> Result<(), StepError> {
    let Some(domain) = &request.custom_domain else {
        return Ok(());
    };
    let listed = aws_sdk_route53::Client::new(&deps.sdk)
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
