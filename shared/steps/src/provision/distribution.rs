//! Recipe steps 4 and 5: create the distribution, then wait until CloudFront has deployed it.

use aws_sdk_cloudfront::error::SdkError;
use aws_sdk_cloudfront::operation::list_distributions::ListDistributionsError;
use aws_sdk_cloudfront::types::{DistributionConfigWithTags, DistributionSummary};
use aws_sdk_cloudfront::Client;
use aws_smithy_runtime_api::client::orchestrator::HttpResponse;

use std::collections::HashMap;

use edgestack_aws::store::Awaited;

use crate::distribution_config::{self, EdgeSettings};
use crate::error::{self, describe, from_sdk};
use crate::pace::Rated;
use crate::watch::Parking;
use crate::{Deps, Flow, Start, StepError};
use edgestack_domain::stack::{Phase, Stack, StepStatus};

pub const CREATE_STEP: &str = "create_distribution";
pub const AWAIT_STEP: &str = "await_distribution_deployment";

/// Hands the account's distributions to `visit`, page by page, until it answers `false` or
/// every page is read.
async fn scan_distributions(
    client: &Client,
    mut visit: impl FnMut(&DistributionSummary) -> bool,
) -> Result<(), SdkError<ListDistributionsError, HttpResponse>> {
    let mut marker: Option<String> = None;
    loop {
        let out = client
            .list_distributions()
            .set_marker(marker.take())
            .send()
            .await?;
        let Some(list) = out.distribution_list else {
            return Ok(());
        };
        if !list.items().iter().all(&mut visit) {
            return Ok(());
        }
        match list.next_marker() {
            Some(next) if list.is_truncated() && !next.is_empty() => marker = Some(next.to_owned()),
            _ => return Ok(()),
        }
    }
}

/// The first of the account's distributions that `wanted` picks, every page read.
pub async fn find_distribution(
    client: &Client,
    wanted: impl Fn(&DistributionSummary) -> bool,
) -> Result<Option<DistributionSummary>, SdkError<ListDistributionsError, HttpResponse>> {
    let mut found = None;
    scan_distributions(client, |d| {
        if wanted(d) {
            found = Some(d.clone());
        }
        found.is_none()
    })
    .await?;
    Ok(found)
}

/// A distribution of this stack's that already exists, found by the comment that names the
/// stack: a create that timed out after CloudFront accepted it must not make a second one.
pub async fn find_existing(
    client: &Client,
    stack: &Stack,
) -> Result<Option<(String, String)>, StepError> {
    let comment = distribution_config::comment(stack);
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
    if stack.request.auth == edgestack_domain::validated::Auth::Iam
        && settings.iam_cache_policy_id.is_empty()
    {
        return Err(StepError::Internal(
            "IAM_CACHE_POLICY_ID is not configured, so an auth: iam stack cannot forward Authorization".into(),
        ));
    }
    // The only read of the origin header values: they go to CloudFront and nowhere else.
    let header_values = deps.store.origin_header_values(&stack.id).await?;
    let config = distribution_config::build(stack, &header_values, &settings)
        .map_err(StepError::Internal)?;
    let tags = distribution_config::tags(stack).map_err(StepError::Internal)?;
    deps.at_rate(Rated::CloudFrontChange).await?;
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
        .begin(
            &flow.stack_id,
            CREATE_STEP,
            Phase::CreatingDistribution,
            Start::Provision,
        )
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

/// Waits for CloudFront to deploy the distribution: checks once, and if it is not `Deployed`
/// yet, parks the execution for the watcher (`crate::watch`), which resumes it as soon as a
/// pass sees it deployed.
pub async fn handle_await(deps: &Deps, parking: Parking) -> Result<(), StepError> {
    let flow = &parking.flow;
    let stack = deps
        .begin(
            &flow.stack_id,
            AWAIT_STEP,
            Phase::AwaitingDistributionDeployment,
            Start::provision(flow.polls),
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
        return deps.resume(parking).await;
    }
    let detail = format!(
        "CloudFront reports {status}; the watcher looks every {} ms",
        deps.settings.watch_interval_millis
    );
    deps.park(
        &stack,
        parking,
        AWAIT_STEP,
        Awaited::DistributionDeployed {
            distribution_id: id,
        },
        (
            deps.settings.distribution_deadline_seconds,
            "the distribution to deploy",
        ),
        detail,
    )
    .await
}

/// Every distribution of the account and its status (`InProgress`, `Deployed`), every page
/// read: one sweep tells the watcher about every parked stack at once.
pub async fn find_distribution_statuses(
    client: &Client,
) -> Result<HashMap<String, String>, StepError> {
    let mut statuses = HashMap::new();
    scan_distributions(client, |d| {
        statuses.insert(d.id().to_owned(), d.status().to_owned());
        true
    })
    .await
    .map_err(from_sdk)?;
    Ok(statuses)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{
        clients_of, deps, no_acm, no_apigateway, no_aws, no_route53, parking, recording, Sent,
        TOKEN,
    };
    use aws_sdk_cloudfront::operation::create_distribution_with_tags::CreateDistributionWithTagsOutput;
    use aws_sdk_cloudfront::operation::get_distribution::GetDistributionOutput;
    use aws_sdk_cloudfront::operation::list_distributions::ListDistributionsOutput;
    use aws_sdk_cloudfront::types::{Distribution, DistributionList};
    use aws_smithy_mocks::{mock, mock_client, Rule, RuleMode};
    use edgestack_domain::timestamp::Timestamp;

    const ID: &str = "E1ABCDEF";
    const DOMAIN: &str = "d111.cloudfront.net";

    /// A provisioning stack without a custom domain, with a secret origin header, its step
    /// `step` begun at `started_at`; and `Deps` over its store with CloudFront answering `rules`.
    async fn provisioning(step: &str, started_at: Timestamp, rules: &[&Rule]) -> (Deps, Stack) {
        let store_only = deps(no_aws());
        let request = edgestack_domain::request::StackRequest::from_json(&serde_json::json!({
            "api_id": "a1b2c3d4e5", "region": "eu-west-1", "stage": "prod",
            "origin_headers": {"X-Origin-Verify": "s3cret"}
        }))
        .expect("a valid request");
        let mut stack = Stack::new(
            "arn:a".into(),
            request,
            edgestack_domain::timestamp::Timestamp::now(),
        );
        stack.begin_provisioning().expect("provisioning");
        stack.begin_step(step, started_at);
        stack.outputs.distribution_id = (step == AWAIT_STEP).then(|| ID.to_owned());
        store_only.store.create(&stack, None).await.expect("stored");
        let cloudfront = mock_client!(
            aws_sdk_cloudfront,
            RuleMode::MatchAny,
            rules.iter().copied()
        );
        let function = if step == CREATE_STEP {
            "create-distribution"
        } else {
            "check-distribution"
        };
        let deps = Deps {
            clients: clients_of(
                function,
                cloudfront,
                no_route53(),
                no_acm(),
                no_apigateway(),
            ),
            ..store_only
        };
        (deps, stack)
    }

    fn distribution(status: &str) -> Distribution {
        let request = edgestack_domain::request::StackRequest::from_json(&serde_json::json!({
            "api_id": "a1b2c3d4e5", "region": "eu-west-1", "stage": "prod"
        }))
        .expect("a valid request");
        let stack = Stack::new(
            "arn:a".into(),
            request,
            edgestack_domain::timestamp::Timestamp::now(),
        );
        let config = distribution_config::build(
            &stack,
            &edgestack_aws::store::OriginHeaderValues::new(),
            &EdgeSettings {
                iam_cache_policy_id: String::new(),
            },
        )
        .expect("a config");
        Distribution::builder()
            .id(ID)
            .arn("arn:aws:cloudfront::123456789012:distribution/E1ABCDEF")
            .status(status)
            .last_modified_time(aws_smithy_types::DateTime::from_secs(0))
            .in_progress_invalidation_batches(0)
            .domain_name(DOMAIN)
            .distribution_config(config)
            .build()
            .expect("a distribution")
    }

    fn none_listed() -> Rule {
        mock!(Client::list_distributions).then_output(|| {
            ListDistributionsOutput::builder()
                .distribution_list(
                    DistributionList::builder()
                        .marker("")
                        .max_items(100)
                        .is_truncated(false)
                        .quantity(0)
                        .build()
                        .expect("a list"),
                )
                .build()
        })
    }

    #[tokio::test]
    async fn a_new_distribution_is_created_tagged_with_the_secret_only_cloudfront_gets() {
        let created = mock!(Client::create_distribution_with_tags)
            .match_requests(|r| {
                let with_tags = r.distribution_config_with_tags();
                let header_value = with_tags
                    .and_then(|c| c.distribution_config())
                    .and_then(|c| c.origins())
                    .and_then(|o| o.items().first())
                    .and_then(|o| o.custom_headers())
                    .and_then(|h| h.items().first())
                    .map(|h| h.header_value().to_owned());
                let tagged = with_tags.and_then(|c| c.tags()).is_some_and(|t| {
                    t.items()
                        .iter()
                        .any(|t| t.key() == edgestack_domain::tags::STACK_ID_TAG)
                });
                header_value.as_deref() == Some("s3cret") && tagged
            })
            .then_output(|| {
                CreateDistributionWithTagsOutput::builder()
                    .distribution(distribution("InProgress"))
                    .build()
            });
        let (deps, stack) =
            provisioning(CREATE_STEP, Timestamp::now(), &[&none_listed(), &created]).await;
        handle_create(&deps, Flow::new(stack.id.clone()))
            .await
            .expect("created");
        assert_eq!(created.num_calls(), 1);
        let now = deps.store.get(&stack.id).await.unwrap().unwrap().value;
        assert_eq!(
            (
                now.outputs.distribution_id.as_deref(),
                now.outputs.distribution_domain_name.as_deref()
            ),
            (Some(ID), Some(DOMAIN))
        );
        assert!(
            !serde_json::to_string(&now).unwrap().contains("s3cret"),
            "the stack never holds the secret"
        );
    }

    fn deployment(status: &'static str) -> Rule {
        mock!(Client::get_distribution)
            .match_requests(|r| r.id() == Some(ID))
            .then_output(move || {
                GetDistributionOutput::builder()
                    .distribution(distribution(status))
                    .build()
            })
    }

    #[tokio::test]
    async fn a_deployed_distribution_resumes_the_execution_at_once() {
        let (deps, stack) =
            provisioning(AWAIT_STEP, Timestamp::now(), &[&deployment("Deployed")]).await;
        let (deps, callbacks) = recording(deps);
        handle_await(&deps, parking(&stack)).await.expect("resumed");
        let resumed = serde_json::to_value(Flow::new(stack.id.clone()).done()).unwrap();
        assert_eq!(
            callbacks.sent(),
            [Sent::Success {
                token: TOKEN.into(),
                output: resumed
            }]
        );
        assert!(deps.store.parked().await.unwrap().is_empty());
        let now = deps.store.get(&stack.id).await.unwrap().unwrap().value;
        let step = now.steps.iter().find(|s| s.name == AWAIT_STEP).unwrap();
        assert_eq!(step.status, StepStatus::Succeeded);
    }

    #[tokio::test]
    async fn a_deploying_distribution_is_parked_for_the_watcher_with_its_deadline() {
        let started = Timestamp::now();
        let (deps, stack) = provisioning(AWAIT_STEP, started, &[&deployment("InProgress")]).await;
        let (deps, callbacks) = recording(deps);
        handle_await(&deps, parking(&stack)).await.expect("parked");

        let parked = deps.store.parked().await.unwrap();
        assert_eq!(parked.len(), 1, "{parked:?}");
        let waiter = &parked[0];
        assert_eq!(
            (
                &waiter.stack_id,
                waiter.step.as_str(),
                waiter.task_token.as_str()
            ),
            (&stack.id, AWAIT_STEP, TOKEN)
        );
        assert_eq!(
            waiter.awaited,
            Awaited::DistributionDeployed {
                distribution_id: ID.into()
            }
        );
        assert_eq!(
            waiter.deadline,
            started.plus_seconds(deps.settings.distribution_deadline_seconds as i64)
        );
        assert_eq!(waiter.resume_with["ready"], true);
        // Nothing resumed yet; the current slot's watcher was started.
        match callbacks.sent().as_slice() {
            [Sent::Watcher { name }] => assert!(name.starts_with("watch-"), "{name}"),
            other => panic!("{other:?}"),
        }
        let now = deps.store.get(&stack.id).await.unwrap().unwrap().value;
        let step = now.steps.iter().find(|s| s.name == AWAIT_STEP).unwrap();
        assert_eq!(step.status, StepStatus::Waiting);
        assert!(
            step.detail.as_deref().unwrap_or("").contains("InProgress"),
            "{step:?}"
        );
    }

    #[tokio::test]
    async fn a_deployment_past_its_deadline_fails_the_stack_and_parks_nothing() {
        let (deps, stack) = provisioning(
            AWAIT_STEP,
            Timestamp::parse("2020-01-01T00:00:00.000Z").unwrap(),
            &[&deployment("InProgress")],
        )
        .await;
        let (deps, callbacks) = recording(deps);
        let err = handle_await(&deps, parking(&stack)).await.unwrap_err();
        assert_eq!(err.error_type(), "DeadlineExceeded", "{err:?}");
        assert!(deps.store.parked().await.unwrap().is_empty());
        assert!(callbacks.sent().is_empty());
    }
}
