//! Deleting the Regional custom domain and its base path mapping, if they are this stack's.

use super::CUSTOM_DOMAIN_STEP;
use aws_sdk_apigateway::operation::delete_base_path_mapping::DeleteBasePathMappingError;
use aws_sdk_apigateway::operation::delete_domain_name::DeleteDomainNameError;
use aws_sdk_apigateway::operation::get_domain_name::GetDomainNameError;
use edgestack_domain::stack::{Phase, StepStatus};
use edgestack_domain::tags::STACK_ID_TAG;

use crate::error::{self, from_sdk};
use crate::pace::{self, Paced, Turn};
use crate::{Deps, Flow, Start, StepError};

/// What API Gateway has under the stack's custom domain name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum DomainState {
    Gone,
    /// There, without this stack's tag: someone else's.
    Foreign,
    Ours,
}

pub(super) async fn custom_domain_state(
    client: &aws_sdk_apigateway::Client,
    stack: &edgestack_domain::stack::Stack,
    name: &str,
) -> Result<DomainState, StepError> {
    match client.get_domain_name().domain_name(name).send().await {
        Ok(existing) => {
            let ours = existing
                .tags()
                .and_then(|t| t.get(STACK_ID_TAG))
                .is_some_and(|id| id == stack.id.as_str());
            Ok(if ours {
                DomainState::Ours
            } else {
                DomainState::Foreign
            })
        }
        Err(e)
            if matches!(
                e.as_service_error(),
                Some(GetDomainNameError::NotFoundException(_))
            ) =>
        {
            Ok(DomainState::Gone)
        }
        Err(e) => Err(from_sdk(e)),
    }
}

pub async fn delete_custom_domain(deps: &Deps, mut flow: Flow) -> Result<Flow, StepError> {
    let stack = deps
        .begin(
            &flow.stack_id,
            CUSTOM_DOMAIN_STEP,
            Phase::DeletingCustomDomain,
            Start::undo(flow.polls),
        )
        .await?;
    let mut detail = "no custom domain".to_owned();
    // Looked up by name, not by what the outputs recorded: a create whose answer was lost, or
    // whose Lambda died before recording it, made a domain that no output names. The stack's
    // tag tells its own from another's.
    if let Some(domain) = &stack.request.custom_domain {
        let name = domain.name.as_str();
        let client = deps.clients.apigateway(stack.request.region.as_str());
        match custom_domain_state(&client, &stack, name).await? {
            DomainState::Gone => {
                detail = format!("custom domain {name} was already gone");
            }
            DomainState::Foreign => {
                detail = format!("custom domain {name} is not this stack's; left alone");
            }
            DomainState::Ours => {
                // Only a mapping this stack made (its step finished); deleting the domain
                // takes any other mapping of it along anyway.
                let mapped = stack.steps.iter().any(|s| {
                    s.name == crate::provision::custom_domain::STEP
                        && s.status == StepStatus::Succeeded
                });
                if mapped {
                    match client
                        .delete_base_path_mapping()
                        .domain_name(name)
                        .base_path("(none)")
                        .send()
                        .await
                    {
                        Ok(_) => {}
                        Err(e)
                            if matches!(
                                e.as_service_error(),
                                Some(DeleteBasePathMappingError::NotFoundException(_))
                            ) => {}
                        Err(e) => return Err(from_sdk(e)),
                    }
                }
                let held;
                (flow, held) = match deps
                    .take_turn(&stack, flow, CUSTOM_DOMAIN_STEP, Paced::DeleteDomainName)
                    .await?
                {
                    Turn::Now(flow, held) => (flow, held),
                    Turn::Later(flow) => return Ok(flow),
                };
                let deleted = held
                    .call(|| {
                        client
                            .delete_domain_name()
                            .domain_name(name)
                            .customize()
                            .config_override(pace::once())
                            .send()
                    })
                    .await;
                match deleted {
                    Ok(_) => {}
                    Err(e)
                        if matches!(
                            e.as_service_error(),
                            Some(DeleteDomainNameError::NotFoundException(_))
                        ) => {}
                    Err(e) => return Err(error::domain_name_call(e)),
                }
                detail = format!("custom domain {name} and its mapping deleted");
            }
        }
    }
    deps.finish(
        &flow.stack_id,
        CUSTOM_DOMAIN_STEP,
        StepStatus::Succeeded,
        detail,
        |s| {
            s.outputs.regional_domain_name = None;
        },
    )
    .await?;
    Ok(flow.done())
}
