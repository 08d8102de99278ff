//! Recipe step 8: the stack is `READY`, with the URL clients call.

use super::{Deps, Flow, StepError};
use crate::stack::{Phase, Signing, StepStatus};

pub const STEP: &str = "mark_ready";

pub async fn handle(deps: &Deps, flow: Flow) -> Result<Flow, StepError> {
    let stack = deps.begin(&flow.stack_id, STEP, Phase::Complete).await?;
    let host = match &stack.request.custom_domain {
        Some(domain) => domain.name.to_string(),
        None => stack
            .outputs
            .distribution_domain_name
            .clone()
            .ok_or_else(|| StepError::Internal("READY without a distribution".into()))?,
    };
    let endpoint = format!("https://{host}");
    deps.finish(
        &flow.stack_id,
        STEP,
        StepStatus::Succeeded,
        format!("clients call {endpoint}"),
        |s| {
            s.outputs.endpoint_url = Some(endpoint.clone());
            s.outputs.signing = Signing::for_request(&s.request);
            // A stack deleted meanwhile stays with its teardown (the lifecycle refuses).
            let _ = s.mark_ready();
        },
    )
    .await?;
    Ok(flow)
}
