//! The API is there and Regional, its stage deployed, and the hosted zone holds the name.

use aws_sdk_apigateway::operation::get_rest_api::GetRestApiError;
use aws_sdk_apigateway::operation::get_stage::GetStageError;
use aws_sdk_apigateway::types::EndpointType;
use aws_sdk_route53::operation::get_hosted_zone::GetHostedZoneError;

use crate::error::from_sdk;
use crate::{Deps, StepError};
use edgestack_domain::request::StackRequest;

pub(super) async fn check_api(deps: &Deps, request: &StackRequest) -> Result<(), StepError> {
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

pub(super) async fn check_zone(
    deps: &Deps,
    request: &StackRequest,
    zone_id: &str,
) -> Result<(), StepError> {
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
