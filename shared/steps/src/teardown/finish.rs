//! The end of an undo: a deleted stack is `DELETED`; a failed one is marked rolled back.

use super::{custom_domain_state, tagged_certificates, DomainState, FINISH_STEP};
use edgestack_domain::stack::{Phase, Status, StepStatus};

use crate::{Deps, Flow, Start, StepError};

/// How many times an undo goes round again for what appeared after it looked.
pub const MAX_PASSES: u32 = 3;

/// What of the stack is in the account although the undo steps looked for it: made by a step
/// that was still running when a DELETE came (`StopExecution` does not stop a Lambda in flight),
/// after the undo step for it had passed. Found by the stack's own marks, not its outputs.
async fn left_behind(
    deps: &Deps,
    stack: &edgestack_domain::stack::Stack,
) -> Result<Option<String>, StepError> {
    let client = deps.clients.cloudfront.clone();
    if let Some((id, _)) = crate::provision::distribution::find_existing(&client, stack).await? {
        return Ok(Some(format!("distribution {id}")));
    }
    if let Some((region, arn)) = tagged_certificates(deps, stack).await?.into_iter().next() {
        return Ok(Some(format!("certificate {arn} ({region})")));
    }
    if let Some(domain) = &stack.request.custom_domain {
        let client = deps.clients.apigateway(stack.request.region.as_str());
        if custom_domain_state(&client, stack, domain.name.as_str()).await? == DomainState::Ours {
            return Ok(Some(format!("custom domain {}", domain.name)));
        }
    }
    Ok(None)
}

pub async fn finish(deps: &Deps, flow: Flow) -> Result<Flow, StepError> {
    let stack = deps
        .begin(&flow.stack_id, FINISH_STEP, Phase::Deleted, Start::Undo)
        .await?;
    if let Some(what) = left_behind(deps, &stack).await? {
        let passes = flow.undo_passes;
        if passes >= MAX_PASSES {
            return Err(StepError::Internal(format!(
                "{what} is still there after {MAX_PASSES} passes of the undo steps"
            )));
        }
        // No deadline: the passes are counted instead.
        let flow = deps
            .wait_again(
                &stack,
                flow,
                FINISH_STEP,
                None,
                |wait| format!("{what} appeared after the undo steps looked (a step was still running); undoing again in {wait} s"),
                |_| {},
            )
            .await?;
        return Ok(Flow {
            undo_passes: passes + 1,
            ..flow
        });
    }
    deps.store.release_claim(&stack).await?;
    // Nothing will send the origin header values to CloudFront again.
    deps.store.forget_origin_header_values(&stack.id).await?;
    let deleting = stack.status() == Status::Deleting;
    let detail = if deleting {
        "stack deleted"
    } else {
        "everything the stack created was removed"
    };
    deps.finish(
        &flow.stack_id,
        FINISH_STEP,
        StepStatus::Succeeded,
        detail,
        |s| {
            if s.mark_deleted().is_ok() {
                s.outputs.endpoint_url = None;
            } else {
                s.phase = Phase::RolledBack;
                if let Some(error) = s.error.as_mut() {
                    error.rolled_back = true;
                }
            }
        },
    )
    .await?;
    Ok(flow.done())
}
