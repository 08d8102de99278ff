//! Recipe steps 4 and 5: create the distribution, then poll until CloudFront has deployed it.

use aws_sdk_cloudfront::error::SdkError;
use aws_sdk_cloudfront::operation::list_distributions::ListDistributionsError;
use aws_sdk_cloudfront::types::{DistributionConfigWithTags, DistributionSummary};
use aws_sdk_cloudfront::Client;
use aws_smithy_runtime_api::client::orchestrator::HttpResponse;

use super::error::{self, describe, from_sdk};
use super::{Deps, Flow, StepError};
use crate::distribution::{self, EdgeSettings};
use crate::stack::{Phase, Stack, StepStatus};

pub const CREATE_STEP: &str = "create_distribution";
pub const AWAIT_STEP: &str = "await_distribution_deployment";

/// The first of the account's distributions that `wanted` picks, every page read.
pub async fn find_distribution(
    client: &Client,
    wanted: impl Fn(&DistributionSummary) -> bool,
) -> Result<Option<DistributionSummary>, SdkError<ListDistributionsError, HttpResponse>> {
    let mut marker: Option<String> = None;
    loop {
        let out = client
            .list_distributions()
            .set_marker(marker.take())
            .send()
            .await?;
        let Some(list) = out.distribution_list else {
            return Ok(None);
        };
        if let Some(found) = list.items().iter().find(|d| wanted(d)) {
            return Ok(Some(found.clone()));
        }
        match list.next_marker() {
            Some(next) if list.is_truncated() && !next.is_empty() => marker = Some(next.to_owned()),
            _ => return Ok(None),
        }
    }
}

/// A distribution of this stack's that already exists, found by the comment that names the
/// stack: a create that timed out after CloudFront accepted it must not make a second one.
pub async fn find_existing(
    client: &Client,
    stack: &Stack,
) -> Result<Option<(String, String)>, StepError> {
    let comment = distribution::comment(stack);
    let found = find_distribution(client, |d| d.comment() == comment)
        .await
        .map_err(|e| StepError::Transient(describe(&e)))?;
    Ok(found.map(|d| (d.id().to_owned(), d.domain_name().to_owned())))
}

async fn create(
    client: &Client,
    deps: &Deps,
    stack: &Stack,
) -> Result<(String, String), StepError> {
    let settings = EdgeSettings {
        iam_cache_policy_id: deps
            .settings
            .iam_cache_policy_id
            .clone()
            .unwrap_or_default(),
    };
    if stack.request.auth == crate::validated::Auth::Iam && settings.iam_cache_policy_id.is_empty()
    {
        return Err(StepError::Internal(
            "IAM_CACHE_POLICY_ID is not configured, so an auth: iam stack cannot forward Authorization".into(),
        ));
    }
    // The only read of the origin header values: they go to CloudFront and nowhere else.
    let header_values = deps.store.origin_header_values(&stack.id).await?;
    let config =
        distribution::build(stack, &header_values, &settings).map_err(StepError::Internal)?;
    let tags = distribution::tags(stack).map_err(StepError::Internal)?;
    let result = client
        .create_distribution_with_tags()
        .distribution_config_with_tags(
            DistributionConfigWithTags::builder()
                .distribution_config(config)
                .tags(tags)
                .build(),
        )
        .send()
        .await;
    match result {
        Ok(out) => {
            let d = out
                .distribution
                .ok_or_else(|| StepError::Internal("CloudFront returned no distribution".into()))?;
            Ok((d.id().to_owned(), d.domain_name().to_owned()))
        }
        Err(e) => Err(error::create_distribution(
            e,
            stack
                .request
                .custom_domain
                .as_ref()
                .map(|d| d.name.as_str())
                .unwrap_or("this name"),
        )),
    }
}

pub async fn handle_create(deps: &Deps, flow: Flow) -> Result<Flow, StepError> {
    let stack = deps
        .begin(&flow.stack_id, CREATE_STEP, Phase::CreatingDistribution)
        .await?;
    let client = deps.clients.cloudfront.clone();
    let (id, domain) = match (
        &stack.outputs.distribution_id,
        &stack.outputs.distribution_domain_name,
    ) {
        (Some(id), Some(domain)) => (id.clone(), domain.clone()),
        _ => match find_existing(&client, &stack).await? {
            Some(found) => found,
            None => create(&client, deps, &stack).await?,
        },
    };
    let detail = format!("distribution {id} ({domain}) created");
    deps.finish(
        &flow.stack_id,
        CREATE_STEP,
        StepStatus::Succeeded,
        detail,
        |s| {
            s.outputs.distribution_id = Some(id.clone());
            s.outputs.distribution_domain_name = Some(domain.clone());
        },
    )
    .await?;
    Ok(Flow {
        ready: false,
        polls: 0,
        wait_seconds: 0,
        ..flow
    })
}

pub async fn handle_check(deps: &Deps, flow: Flow) -> Result<Flow, StepError> {
    let stack = deps
        .begin_poll(
            &flow.stack_id,
            AWAIT_STEP,
            Phase::AwaitingDistributionDeployment,
            flow.polls,
        )
        .await?;
    let id = stack
        .outputs
        .distribution_id
        .clone()
        .ok_or_else(|| StepError::Internal("no distribution to wait for".into()))?;
    let out = deps
        .clients
        .cloudfront
        .clone()
        .get_distribution()
        .id(&id)
        .send()
        .await
        .map_err(from_sdk)?;
    let status = out
        .distribution()
        .map(|d| d.status().to_owned())
        .unwrap_or_default();
    if status == "Deployed" {
        deps.finish(
            &flow.stack_id,
            AWAIT_STEP,
            StepStatus::Succeeded,
            format!("distribution {id} is Deployed"),
            |_| {},
        )
        .await?;
        return Ok(Flow {
            ready: true,
            polls: 0,
            wait_seconds: 0,
            ..flow
        });
    }
    deps.check_deadline(
        &stack,
        AWAIT_STEP,
        deps.settings.distribution_deadline_seconds,
        "the distribution to deploy",
    )?;
    let wait = deps.settings.poll_interval(flow.polls);
    deps.finish(
        &flow.stack_id,
        AWAIT_STEP,
        StepStatus::Waiting,
        format!(
            "CloudFront reports {status}; checking again in {wait} s (check {})",
            flow.polls + 1
        ),
        |_| {},
    )
    .await?;
    Ok(Flow {
        ready: false,
        polls: flow.polls + 1,
        wait_seconds: wait,
        ..flow
    })
}
