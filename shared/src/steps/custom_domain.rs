//! Recipe step 3: the Regional custom domain name (the same name as the distribution's alias,
//! else API Gateway answers 421 or 403) and its base path mapping to the API's stage. It gets no
//! DNS record of its own: the name's records point at CloudFront.

use aws_sdk_apigateway::operation::create_base_path_mapping::CreateBasePathMappingError;
use aws_sdk_apigateway::operation::get_domain_name::GetDomainNameError;
use aws_sdk_apigateway::types::{EndpointConfiguration, EndpointType, SecurityPolicy};

use super::error::{self, from_sdk};
use super::{Deps, Flow, StepError};
use crate::distribution::resource_tags;
use crate::stack::{Phase, StepStatus};

pub const STEP: &str = "create_custom_domain";
pub const STACK_ID_TAG: &str = "edgestack:stack-id";

pub async fn handle(deps: &Deps, flow: Flow) -> Result<Flow, StepError> {
    let stack = deps
        .begin(&flow.stack_id, STEP, Phase::CreatingCustomDomain)
        .await?;
    let request = &stack.request;
    let name = request
        .custom_domain
        .as_ref()
        .map(|d| d.name.to_string())
        .ok_or_else(|| StepError::Internal("custom domain step without a custom domain".into()))?;
    let certificate = stack
        .outputs
        .regional_certificate_arn
        .clone()
        .ok_or_else(|| StepError::Internal("no regional certificate".into()))?;
    let client = deps.clients.apigateway(request.region.as_str());

    let target = match client.get_domain_name().domain_name(&name).send().await {
        // Ours from an earlier attempt: reuse it. Anyone else's: never touch it.
        Ok(existing) => {
            let ours = existing
                .tags()
                .and_then(|t| t.get(STACK_ID_TAG))
                .is_some_and(|id| id == stack.id.as_str());
            if !ours {
                return Err(StepError::Conflict {
                    code: "custom_domain_exists",
                    message: format!("API Gateway already has a custom domain {name} in {} that edgestack did not create for this stack. Delete it or choose another name.", request.region),
                });
            }
            existing.regional_domain_name().map(str::to_owned)
        }
        Err(e)
            if matches!(
                e.as_service_error(),
                Some(GetDomainNameError::NotFoundException(_))
            ) =>
        {
            let mut create = client
                .create_domain_name()
                .domain_name(&name)
                .regional_certificate_arn(&certificate)
                .endpoint_configuration(
                    EndpointConfiguration::builder()
                        .types(EndpointType::Regional)
                        .build(),
                )
                .security_policy(SecurityPolicy::Tls12);
            for (key, value) in resource_tags(&stack) {
                create = create.tags(key, value);
            }
            create
                .send()
                .await
                .map_err(error::create_domain_name)?
                .regional_domain_name()
                .map(str::to_owned)
        }
        Err(e) => return Err(from_sdk(e)),
    };
    let target = target.ok_or_else(|| {
        StepError::Transient(format!(
            "API Gateway has not published the target of {name} yet"
        ))
    })?;
    deps.finish(
        &flow.stack_id,
        STEP,
        StepStatus::Running,
        format!("custom domain {name} → {target}"),
        |s| {
            s.outputs.regional_domain_name = Some(target.clone());
        },
    )
    .await?;

    // Create first: a mapping left by an earlier attempt answers Conflict, and is then read
    // back to make sure it is this stack's.
    let created = client
        .create_base_path_mapping()
        .domain_name(&name)
        .rest_api_id(request.api_id.as_str())
        .stage(request.stage.as_str())
        .send()
        .await;
    match created {
        Ok(_) => {}
        Err(e)
            if matches!(
                e.as_service_error(),
                Some(CreateBasePathMappingError::ConflictException(_))
            ) =>
        {
            let existing = client
                .get_base_path_mapping()
                .domain_name(&name)
                .base_path("(none)")
                .send()
                .await
                .map_err(from_sdk)?;
            if existing.rest_api_id() != Some(request.api_id.as_str())
                || existing.stage() != Some(request.stage.as_str())
            {
                return Err(StepError::Conflict {
                    code: "base_path_taken",
                    message: format!("{name} already maps its root to another API or stage. Remove that mapping first."),
                });
            }
        }
        Err(e) => return Err(from_sdk(e)),
    }
    let detail = format!(
        "custom domain {name} → {target}, mapped to {}/{}",
        request.api_id, request.stage
    );
    deps.finish(&flow.stack_id, STEP, StepStatus::Succeeded, detail, |_| {})
        .await?;
    Ok(flow)
}
