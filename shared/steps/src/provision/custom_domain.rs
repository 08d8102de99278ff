//! Recipe step 3: the Regional custom domain name (the same name as the distribution's alias,
//! else API Gateway answers 421 or 403) and its base path mapping to the API's stage. It gets no
//! DNS record of its own: the name's records point at CloudFront.

use aws_sdk_apigateway::operation::create_base_path_mapping::CreateBasePathMappingError;
use aws_sdk_apigateway::operation::get_domain_name::GetDomainNameError;
use aws_sdk_apigateway::types::{EndpointConfiguration, EndpointType, SecurityPolicy};

use crate::error::{self, from_sdk};
use crate::pace::{self, Paced, Turn};
use crate::{Deps, Flow, Start, StepError};
use edgestack_domain::stack::{Phase, StepStatus};
use edgestack_domain::tags::{resource_tags, STACK_ID_TAG};

pub const STEP: &str = "create_custom_domain";

pub async fn handle(deps: &Deps, mut flow: Flow) -> Result<Flow, StepError> {
    let stack = deps
        .begin(
            &flow.stack_id,
            STEP,
            Phase::CreatingCustomDomain,
            Start::provision(flow.polls),
        )
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

    let found = match client.get_domain_name().domain_name(&name).send().await {
        Ok(existing) => Some(existing),
        Err(e)
            if matches!(
                e.as_service_error(),
                Some(GetDomainNameError::NotFoundException(_))
            ) =>
        {
            None
        }
        Err(e) => return Err(from_sdk(e)),
    };
    let target = match found {
        // Ours from an earlier attempt: reuse it. Anyone else's: never touch it.
        Some(existing) => {
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
        None => {
            let held;
            (flow, held) = match deps
                .take_turn(&stack, flow, STEP, Paced::CreateDomainName)
                .await?
            {
                Turn::Now(flow, held) => (flow, held),
                Turn::Later(flow) => return Ok(flow),
            };
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
            held.call(|| {
                create
                    .clone()
                    .customize()
                    .config_override(pace::once())
                    .send()
            })
            .await
            .map_err(error::create_domain_name)?
            .regional_domain_name()
            .map(str::to_owned)
        }
    };
    let target = target.ok_or_else(|| {
        StepError::Transient(format!(
            "API Gateway has not published the target of {name} yet"
        ))
    })?;
    deps.checkpoint(
        &flow.stack_id,
        STEP,
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
    Ok(flow.done())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{clients_of, deps, no_acm, no_aws, no_cloudfront, no_route53};
    use aws_sdk_apigateway::operation::create_base_path_mapping::CreateBasePathMappingOutput;
    use aws_sdk_apigateway::operation::create_domain_name::{
        CreateDomainNameError, CreateDomainNameOutput,
    };
    use aws_sdk_apigateway::operation::get_base_path_mapping::GetBasePathMappingOutput;
    use aws_sdk_apigateway::operation::get_domain_name::GetDomainNameOutput;
    use aws_sdk_apigateway::types::error::{
        ConflictException, NotFoundException, TooManyRequestsException,
    };
    use aws_smithy_mocks::{mock, mock_client, Rule, RuleMode};
    use edgestack_domain::stack::Stack;

    const NAME: &str = "api.example.com";
    const TARGET: &str = "d-abc123.execute-api.eu-west-1.amazonaws.com";

    /// `deps` with API Gateway answering by `rules`.
    fn answering(deps: Deps, rules: &[&Rule]) -> Deps {
        let apigateway = mock_client!(
            aws_sdk_apigateway,
            RuleMode::MatchAny,
            rules.iter().copied()
        );
        Deps {
            clients: clients_of(
                "create-custom-domain",
                no_cloudfront(),
                no_route53(),
                no_acm(),
                apigateway,
            ),
            ..deps
        }
    }

    /// A stack whose certificates are issued, and `Deps` whose API Gateway answers by `rules`.
    async fn provisioning(rules: &[&Rule]) -> (Deps, Stack) {
        let store_only = deps(no_aws());
        let request = edgestack_domain::request::StackRequest::from_json(&serde_json::json!({
            "api_id": "a1b2c3d4e5", "region": "eu-west-1", "stage": "prod",
            "custom_domain": {"name": NAME, "hosted_zone_id": "Z1"}
        }))
        .expect("a valid request");
        let mut stack = Stack::new(
            "arn:a".into(),
            request,
            edgestack_domain::timestamp::Timestamp::now(),
        );
        stack.begin_provisioning().expect("provisioning");
        stack.outputs.regional_certificate_arn =
            Some("arn:aws:acm:eu-west-1:123456789012:certificate/r".into());
        store_only.store.create(&stack, None).await.expect("stored");
        let deps = answering(store_only, rules);
        (deps, stack)
    }

    fn not_found() -> Rule {
        mock!(aws_sdk_apigateway::Client::get_domain_name).then_error(|| {
            GetDomainNameError::NotFoundException(NotFoundException::builder().build())
        })
    }

    fn found(tagged_with: &'static str) -> Rule {
        mock!(aws_sdk_apigateway::Client::get_domain_name).then_output(move || {
            GetDomainNameOutput::builder()
                .domain_name(NAME)
                .regional_domain_name(TARGET)
                .tags(STACK_ID_TAG, tagged_with)
                .build()
        })
    }

    fn mapped() -> Rule {
        mock!(aws_sdk_apigateway::Client::create_base_path_mapping)
            .match_requests(|r| r.rest_api_id() == Some("a1b2c3d4e5") && r.stage() == Some("prod"))
            .then_output(|| CreateBasePathMappingOutput::builder().build())
    }

    async fn outputs(deps: &Deps, stack: &Stack) -> Stack {
        deps.store.get(&stack.id).await.unwrap().unwrap().value
    }

    #[tokio::test]
    async fn a_new_name_is_created_regional_tls12_tagged_and_mapped() {
        let create = mock!(aws_sdk_apigateway::Client::create_domain_name)
            .match_requests(|r| {
                r.domain_name() == Some(NAME)
                    && r.security_policy() == Some(&SecurityPolicy::Tls12)
                    && r.endpoint_configuration()
                        .is_some_and(|c| c.types() == [EndpointType::Regional])
                    && r.tags().is_some_and(|t| t.contains_key(STACK_ID_TAG))
            })
            .then_output(|| {
                CreateDomainNameOutput::builder()
                    .regional_domain_name(TARGET)
                    .build()
            });
        let (deps, stack) = provisioning(&[&not_found(), &create, &mapped()]).await;
        handle(&deps, Flow::new(stack.id.clone()))
            .await
            .expect("created");
        assert_eq!(create.num_calls(), 1);
        let after = outputs(&deps, &stack).await;
        assert_eq!(after.outputs.regional_domain_name.as_deref(), Some(TARGET));
    }

    /// Another stack holds the account's current turn at CreateDomainName: this one is not
    /// created now but waits in the state machine, and is created when its turn has come.
    #[tokio::test]
    async fn a_name_whose_turn_has_not_come_waits_and_is_created_at_its_turn() {
        let create = mock!(aws_sdk_apigateway::Client::create_domain_name).then_output(|| {
            CreateDomainNameOutput::builder()
                .regional_domain_name(TARGET)
                .build()
        });
        let (deps, stack) = provisioning(&[&not_found(), &create, &mapped()]).await;
        let now = edgestack_domain::timestamp::Timestamp::now();
        let ahead = deps
            .store
            .reserve_turn(
                crate::pace::Paced::CreateDomainName.call(),
                deps.settings.domain_name_interval_millis,
                now,
            )
            .await
            .unwrap()
            .turn;
        let waiting = handle(&deps, Flow::new(stack.id.clone()))
            .await
            .expect("waiting");
        assert!(!waiting.ready && waiting.wait_seconds >= 20, "{waiting:?}");
        assert_eq!(create.num_calls(), 0, "not before its turn");
        assert_eq!(outputs(&deps, &stack).await.phase, Phase::AwaitingTurn);

        // The Wait state over: its turn has come.
        // Meanwhile the stack ahead had its answer, a window ago.
        deps.store
            .hand_over(
                crate::pace::Paced::CreateDomainName.call(),
                ahead,
                edgestack_domain::timestamp::Timestamp::now()
                    .plus_millis(-deps.settings.domain_name_window_millis),
                1_000,
            )
            .await
            .unwrap();
        let turn = Flow {
            turn_at: Some(edgestack_domain::timestamp::Timestamp::now().plus_millis(-500)),
            ..waiting
        };
        let done = handle(&deps, turn).await.expect("created");
        assert_eq!(create.num_calls(), 1);
        assert!(done.ready && done.turn_at.is_none(), "{done:?}");
        let after = outputs(&deps, &stack).await;
        assert_eq!(after.outputs.regional_domain_name.as_deref(), Some(TARGET));
    }

    fn too_many_requests() -> aws_smithy_runtime_api::http::Response {
        aws_smithy_runtime_api::http::Response::new(
            aws_smithy_runtime_api::http::StatusCode::try_from(429).unwrap(),
            aws_smithy_types::body::SdkBody::from(r#"{"message":"Too Many Requests"}"#),
        )
    }

    /// A passing throttle at the stack's turn: the call is made again within the turn, and the
    /// stack keeps its place instead of queueing anew.
    #[tokio::test]
    async fn a_call_throttled_at_its_turn_is_made_again_within_the_turn() {
        let create = mock!(aws_sdk_apigateway::Client::create_domain_name)
            .sequence()
            .http_response(too_many_requests)
            .output(|| {
                CreateDomainNameOutput::builder()
                    .regional_domain_name(TARGET)
                    .build()
            })
            .build();
        let (deps, stack) = provisioning(&[&not_found(), &create, &mapped()]).await;
        let done = handle(&deps, Flow::new(stack.id.clone()))
            .await
            .expect("created at the second try");
        assert!(done.ready, "{done:?}");
        assert_eq!(create.num_calls(), 2);
        let after = outputs(&deps, &stack).await;
        assert_eq!(after.outputs.regional_domain_name.as_deref(), Some(TARGET));
    }

    #[tokio::test]
    async fn the_stacks_own_domain_from_an_earlier_attempt_is_reused_and_its_mapping_read_back() {
        let mapping_exists = mock!(aws_sdk_apigateway::Client::create_base_path_mapping)
            .then_error(|| {
                CreateBasePathMappingError::ConflictException(ConflictException::builder().build())
            });
        let same_mapping =
            mock!(aws_sdk_apigateway::Client::get_base_path_mapping).then_output(|| {
                GetBasePathMappingOutput::builder()
                    .rest_api_id("a1b2c3d4e5")
                    .stage("prod")
                    .build()
            });
        // The stack id is known once stored: tag the found domain with it.
        let (deps, stack) = provisioning(&[]).await;
        let id: &'static str = Box::leak(stack.id.to_string().into_boxed_str());
        let ours = found(id);
        let deps = answering(deps, &[&ours, &mapping_exists, &same_mapping]);
        handle(&deps, Flow::new(stack.id.clone()))
            .await
            .expect("reused");
        assert_eq!(same_mapping.num_calls(), 1);
        let after = outputs(&deps, &stack).await;
        assert_eq!(after.outputs.regional_domain_name.as_deref(), Some(TARGET));
    }

    #[tokio::test]
    async fn a_domain_of_the_name_that_is_not_the_stacks_is_never_touched() {
        let theirs = found("stk_someoneelsesstack1");
        let (deps, stack) = provisioning(&[&theirs]).await;
        let err = handle(&deps, Flow::new(stack.id.clone()))
            .await
            .unwrap_err();
        assert!(
            matches!(
                &err,
                StepError::Conflict {
                    code: "custom_domain_exists",
                    ..
                }
            ),
            "{err:?}"
        );
    }

    #[tokio::test]
    async fn a_create_that_meets_a_domain_made_meanwhile_reads_it_again() {
        let conflict = mock!(aws_sdk_apigateway::Client::create_domain_name).then_error(|| {
            CreateDomainNameError::ConflictException(ConflictException::builder().build())
        });
        let (deps, stack) = provisioning(&[&not_found(), &conflict]).await;
        let err = handle(&deps, Flow::new(stack.id.clone()))
            .await
            .unwrap_err();
        assert_eq!(err.error_type(), "Transient", "{err:?}");
    }

    #[tokio::test]
    async fn the_accounts_custom_domain_quota_is_waited_out() {
        let throttled = mock!(aws_sdk_apigateway::Client::create_domain_name).then_error(|| {
            // As the SDK parses API Gateway's 429: the code is in the error's metadata.
            CreateDomainNameError::TooManyRequestsException(
                TooManyRequestsException::builder()
                    .meta(
                        aws_smithy_types::error::ErrorMetadata::builder()
                            .code("TooManyRequestsException")
                            .build(),
                    )
                    .build(),
            )
        });
        let (deps, stack) = provisioning(&[&not_found(), &throttled]).await;
        let err = handle(&deps, Flow::new(stack.id.clone()))
            .await
            .unwrap_err();
        assert_eq!(err.error_type(), "RateLimited", "{err:?}");
        // A throttle that outlasts the turn's grace (1 s here, tried again every twentieth of
        // it) goes back to the state machine: never more tries than the grace holds.
        let calls = throttled.num_calls();
        assert!((2..=21).contains(&calls), "{calls} calls");
        assert_eq!(
            outputs(&deps, &stack).await.outputs.regional_domain_name,
            None
        );
    }

    #[tokio::test]
    async fn a_root_mapped_to_another_api_is_a_conflict() {
        let create = mock!(aws_sdk_apigateway::Client::create_domain_name).then_output(|| {
            CreateDomainNameOutput::builder()
                .regional_domain_name(TARGET)
                .build()
        });
        let mapping_exists = mock!(aws_sdk_apigateway::Client::create_base_path_mapping)
            .then_error(|| {
                CreateBasePathMappingError::ConflictException(ConflictException::builder().build())
            });
        let other = mock!(aws_sdk_apigateway::Client::get_base_path_mapping).then_output(|| {
            GetBasePathMappingOutput::builder()
                .rest_api_id("zzzzzzzzzz")
                .stage("prod")
                .build()
        });
        let (deps, stack) = provisioning(&[&not_found(), &create, &mapping_exists, &other]).await;
        let err = handle(&deps, Flow::new(stack.id.clone()))
            .await
            .unwrap_err();
        assert!(
            matches!(
                &err,
                StepError::Conflict {
                    code: "base_path_taken",
                    ..
                }
            ),
            "{err:?}"
        );
    }
}
