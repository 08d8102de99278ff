//! Recipe step 8: the stack is `READY`, with the URL clients call.

use crate::{Deps, Flow, Start, StepError};
use edgestack_domain::stack::{Phase, Signing, StepStatus};

pub const STEP: &str = "mark_ready";

pub async fn handle(deps: &Deps, flow: Flow) -> Result<Flow, StepError> {
    let stack = deps
        .begin(&flow.stack_id, STEP, Phase::Complete, Start::Provision)
        .await?;
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{deps, no_aws};
    use edgestack_domain::stack::{Stack, Status};

    async fn stored(deps: &Deps, custom_domain: bool) -> Stack {
        let mut body = serde_json::json!({
            "api_id": "a1b2c3d4e5", "region": "eu-west-1", "stage": "prod", "auth": "iam"
        });
        if custom_domain {
            body["custom_domain"] = serde_json::json!({"name": "api.example.com"});
        }
        let request =
            edgestack_domain::request::StackRequest::from_json(&body).expect("a valid request");
        let mut stack = Stack::new(
            "arn:a".into(),
            request,
            edgestack_domain::timestamp::Timestamp::now(),
        );
        stack.begin_provisioning().expect("provisioning");
        stack.outputs.distribution_domain_name = Some("d111.cloudfront.net".into());
        deps.store.create(&stack, None).await.expect("stored");
        stack
    }

    #[tokio::test]
    async fn ready_with_the_url_and_the_signing_clients_need() {
        let deps = deps(no_aws());
        for (custom_domain, endpoint, signed_host) in [
            (
                false,
                "https://d111.cloudfront.net",
                "a1b2c3d4e5.execute-api.eu-west-1.amazonaws.com",
            ),
            (true, "https://api.example.com", "api.example.com"),
        ] {
            let stack = stored(&deps, custom_domain).await;
            handle(&deps, Flow::new(stack.id.clone()))
                .await
                .expect("ready");
            let now = deps.store.get(&stack.id).await.unwrap().unwrap().value;
            assert_eq!(now.status(), Status::Ready);
            assert_eq!(now.outputs.endpoint_url.as_deref(), Some(endpoint));
            assert_eq!(
                now.outputs.signing.map(|s| s.host).as_deref(),
                Some(signed_host)
            );
        }
    }

    #[tokio::test]
    async fn a_stack_deleted_meanwhile_is_not_marked_ready() {
        let deps = deps(no_aws());
        let stack = stored(&deps, false).await;
        edgestack_aws::store::modify(deps.store.as_ref(), &stack.id, |s| {
            s.start_deleting().expect("deleting");
            Ok::<_, StepError>(())
        })
        .await
        .expect("deleting");
        let err = handle(&deps, Flow::new(stack.id.clone()))
            .await
            .unwrap_err();
        assert_eq!(err.error_type(), "StackGone", "{err:?}");
        let now = deps.store.get(&stack.id).await.unwrap().unwrap().value;
        assert_eq!(now.status(), Status::Deleting);
    }
}
