//! Disabling the distribution, waiting for CloudFront to deploy that, and deleting it.

use super::{DISABLE_STEP, DISTRIBUTION_STEP};
use aws_sdk_cloudfront::operation::get_distribution_config::GetDistributionConfigError;
use edgestack_domain::stack::{Phase, StepStatus};

use crate::error::{self, from_sdk};
use crate::pace::Rated;
use crate::{Deps, Flow, Start, StepError};

/// Disables the distribution (with its ETag) and waits until CloudFront has deployed that.
pub async fn disable_distribution(deps: &Deps, flow: Flow) -> Result<Flow, StepError> {
    let stack = deps
        .begin(
            &flow.stack_id,
            DISABLE_STEP,
            Phase::DisablingDistribution,
            Start::undo(flow.polls),
        )
        .await?;
    let client = deps.clients.cloudfront.clone();
    // What the outputs name, else what the stack's comment finds: a create whose answer was lost,
    // or that ran on while a DELETE came, made a distribution no output records.
    let id = match stack.outputs.distribution_id.clone() {
        Some(id) => Some(id),
        None => match crate::provision::distribution::find_existing(&client, &stack).await? {
            Some((id, domain)) => {
                // Recorded, for the delete step after this one.
                deps.checkpoint(
                    &flow.stack_id,
                    DISABLE_STEP,
                    format!("found distribution {id}, which the stack had not recorded"),
                    |s| {
                        s.outputs.distribution_id = Some(id.clone());
                        s.outputs.distribution_domain_name = Some(domain.clone());
                    },
                )
                .await?;
                Some(id)
            }
            None => None,
        },
    };
    let Some(id) = id else {
        deps.finish(
            &flow.stack_id,
            DISABLE_STEP,
            StepStatus::Skipped,
            "no distribution",
            |_| {},
        )
        .await?;
        return Ok(flow.done());
    };
    let current = match client.get_distribution_config().id(&id).send().await {
        Ok(out) => out,
        Err(e)
            if matches!(
                e.as_service_error(),
                Some(GetDistributionConfigError::NoSuchDistribution(_))
            ) =>
        {
            deps.finish(
                &flow.stack_id,
                DISABLE_STEP,
                StepStatus::Succeeded,
                format!("distribution {id} is already gone"),
                |_| {},
            )
            .await?;
            return Ok(flow.done());
        }
        Err(e) => return Err(from_sdk(e)),
    };
    let config = current
        .distribution_config
        .ok_or_else(|| StepError::Internal("no distribution config".into()))?;
    if config.enabled() {
        let etag = current.e_tag.unwrap_or_default();
        let mut config = config;
        config.enabled = false;
        deps.at_rate(Rated::CloudFrontChange).await?;
        match client
            .update_distribution()
            .id(&id)
            .if_match(etag)
            .distribution_config(config)
            .send()
            .await
        {
            Ok(_) => {}
            Err(e) => error::disable_distribution(e, &id)?,
        }
    }
    let status = client
        .get_distribution()
        .id(&id)
        .send()
        .await
        .map_err(from_sdk)?
        .distribution()
        .map(|d| d.status().to_owned())
        .unwrap_or_default();
    if status == "Deployed" {
        deps.finish(
            &flow.stack_id,
            DISABLE_STEP,
            StepStatus::Succeeded,
            format!("distribution {id} disabled"),
            |_| {},
        )
        .await?;
        return Ok(flow.done());
    }
    deps.wait_again(
        &stack,
        flow,
        DISABLE_STEP,
        Some((
            deps.settings.distribution_deadline_seconds,
            "CloudFront to deploy the disabled distribution",
        )),
        |wait| format!("waiting for CloudFront to deploy the disabled distribution ({status}); next check in {wait} s"),
        |s| s.phase = Phase::AwaitingDistributionDisabled,
    )
    .await
}

pub async fn delete_distribution(deps: &Deps, flow: Flow) -> Result<Flow, StepError> {
    let stack = deps
        .begin(
            &flow.stack_id,
            DISTRIBUTION_STEP,
            Phase::DeletingDistribution,
            Start::Undo,
        )
        .await?;
    let detail = match stack.outputs.distribution_id.clone() {
        None => "no distribution".to_owned(),
        Some(id) => {
            let client = deps.clients.cloudfront.clone();
            match client.get_distribution_config().id(&id).send().await {
                Err(e)
                    if matches!(
                        e.as_service_error(),
                        Some(GetDistributionConfigError::NoSuchDistribution(_))
                    ) =>
                {
                    format!("distribution {id} was already gone")
                }
                Err(e) => return Err(from_sdk(e)),
                Ok(current) => {
                    let etag = current.e_tag.unwrap_or_default();
                    deps.at_rate(Rated::CloudFrontChange).await?;
                    match client
                        .delete_distribution()
                        .id(&id)
                        .if_match(etag)
                        .send()
                        .await
                    {
                        Ok(_) => format!("distribution {id} deleted"),
                        Err(e) => {
                            error::delete_distribution(e, &id)?;
                            format!("distribution {id} was already gone")
                        }
                    }
                }
            }
        }
    };
    deps.finish(
        &flow.stack_id,
        DISTRIBUTION_STEP,
        StepStatus::Succeeded,
        detail,
        |s| {
            s.outputs.distribution_id = None;
            s.outputs.distribution_domain_name = None;
        },
    )
    .await?;
    Ok(flow)
}
