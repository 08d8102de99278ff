//! Step 1 of the recipe: check, before anything is created, that the stack can be built: the
//! API exists and is Regional, the stage is deployed, the hosted zone exists and holds the name,
//! and nothing that is not this stack's already uses the name (a CloudFront alias, an API
//! Gateway custom domain, a DNS record). What this stack made itself never counts against it:
//! the step may run again (a retry, a redrive) after later steps created it.

use crate::{Deps, Flow, Start, StepError};
use edgestack_domain::permissions::Permissions;
use edgestack_domain::stack::{Phase, Stack, StepStatus};
use edgestack_domain::validated::Principal;
mod exists;
mod name_free;
#[cfg(test)]
mod tests;

use exists::{check_api, check_zone};
use name_free::{check_no_alias_in_use, check_no_custom_domain, check_no_record_in_the_way};

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
