//! Recipe step 7: the seed's `curl -I`, done by the workflow: one request through the
//! distribution, SigV4-signed when the API uses IAM. Its result is recorded on the stack.

use std::time::SystemTime;

use aws_credential_types::provider::ProvideCredentials;
use aws_sigv4::http_request::{sign, SignableBody, SignableRequest, SigningSettings};
use aws_sigv4::sign::v4;

use super::{Deps, Flow, StepError};
use crate::domain::Auth;
use crate::stack::{now_rfc3339, Phase, SmokeTestResult, Stack, StepStatus};

pub const STEP: &str = "smoke_test";

/// Where the request goes, and the host it is signed for. Without a custom domain CloudFront
/// sends the origin's own host to API Gateway, so that is the host a signature must name.
pub struct Target {
    pub host: String,
    pub path: String,
    pub signing_host: String,
}

pub fn target(stack: &Stack) -> Result<Target, StepError> {
    let request = &stack.request;
    let path = request
        .smoke_test_path
        .clone()
        .unwrap_or_else(|| "/".into());
    match &request.custom_domain {
        Some(domain) => Ok(Target {
            host: domain.name.to_string(),
            path,
            signing_host: domain.name.to_string(),
        }),
        None => Ok(Target {
            host: stack
                .outputs
                .distribution_domain_name
                .clone()
                .ok_or_else(|| StepError::Internal("no distribution to test".into()))?,
            path,
            signing_host: format!(
                "{}.execute-api.{}.amazonaws.com",
                request.api_id, request.region
            ),
        }),
    }
}

fn target_distribution(stack: &Stack) -> String {
    stack
        .outputs
        .distribution_domain_name
        .clone()
        .unwrap_or_default()
}

/// With a path the owner named, it must answer 2xx. Without one, `/` is asked and any answer
/// API Gateway itself produced counts (it always sets `x-amzn-RequestId`; a CloudFront error
/// page does not).
pub fn passes(explicit_path: bool, status: u16, from_api_gateway: bool) -> bool {
    if explicit_path {
        (200..300).contains(&status)
    } else {
        from_api_gateway && status < 500
    }
}

async fn sigv4_headers(
    deps: &Deps,
    region: &str,
    target: &Target,
) -> Result<Vec<(String, String)>, StepError> {
    let provider = deps.sdk.credentials_provider().ok_or_else(|| {
        StepError::Internal("no AWS credentials to sign the smoke test with".into())
    })?;
    let credentials = provider
        .provide_credentials()
        .await
        .map_err(|e| StepError::Transient(format!("could not load credentials: {e}")))?;
    let identity = credentials.into();
    let params = v4::SigningParams::builder()
        .identity(&identity)
        .region(region)
        .name("execute-api")
        .time(SystemTime::now())
        .settings(SigningSettings::default())
        .build()
        .map_err(|e| StepError::Internal(e.to_string()))?
        .into();
    let url = format!("https://{}{}", target.signing_host, target.path);
    let signable = SignableRequest::new(
        "GET",
        &url,
        [("host", target.signing_host.as_str())].into_iter(),
        SignableBody::Bytes(&[]),
    )
    .map_err(|e| StepError::Internal(e.to_string()))?;
    let (instructions, _) = sign(signable, &params)
        .map_err(|e| StepError::Internal(e.to_string()))?
        .into_parts();
    Ok(instructions
        .headers()
        .map(|(name, value)| (name.to_owned(), value.to_owned()))
        .collect())
}

pub async fn handle(deps: &Deps, flow: Flow) -> Result<Flow, StepError> {
    let stack = deps
        .begin(&flow.stack_id, STEP, Phase::SmokeTesting)
        .await?;
    let target = target(&stack)?;
    let public_url = format!("https://{}{}", target.host, target.path);
    // Locally there is no CloudFront: the request goes to the local edge, naming the host.
    let url = match &deps.settings.edge_override {
        Some(base) => format!("{}{}", base.trim_end_matches('/'), target.path),
        None => public_url.clone(),
    };
    let mut client = reqwest::Client::builder();
    // A custom domain is asked for at the distribution's own address, so the test reaches the
    // distribution this stack made, whatever the name's DNS says (or before the owner of
    // outside DNS has created the record).
    if deps.settings.edge_override.is_none() && target.host != target_distribution(&stack) {
        let address = format!("{}:443", target_distribution(&stack));
        let resolved = tokio::net::lookup_host(&address)
            .await
            .ok()
            .and_then(|mut addresses| addresses.next())
            .ok_or_else(|| StepError::SmokeTestFailed(format!("{address} does not resolve yet")))?;
        client = client.resolve(&target.host, resolved);
    }
    let client = client
        .timeout(std::time::Duration::from_secs(20))
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .map_err(|e| StepError::Internal(e.to_string()))?;
    let mut request = client
        .get(&url)
        .header("host", &target.host)
        .header("user-agent", "edgestack-smoke-test");
    if stack.request.auth == Auth::Iam {
        for (name, value) in sigv4_headers(deps, stack.request.region.as_str(), &target).await? {
            if name != "host" {
                request = request.header(name, value);
            }
        }
    }
    let response = request
        .send()
        .await
        .map_err(|e| StepError::SmokeTestFailed(format!("GET {public_url} got no answer: {e}")))?;
    let status = response.status().as_u16();
    let from_api_gateway = response.headers().contains_key("x-amzn-requestid");
    let explicit = stack.request.smoke_test_path.is_some();
    let result = SmokeTestResult {
        url: public_url.clone(),
        status_code: status,
        at: now_rfc3339(),
    };
    if !passes(explicit, status, from_api_gateway) {
        deps.finish(
            &flow.stack_id,
            STEP,
            StepStatus::Running,
            format!("GET {public_url} answered {status}; retrying"),
            |s| {
                s.outputs.smoke_test = Some(result.clone());
            },
        )
        .await?;
        return Err(StepError::SmokeTestFailed(format!(
            "GET {public_url} answered {status}{}",
            if explicit {
                ", not 2xx"
            } else {
                " without API Gateway's x-amzn-RequestId"
            }
        )));
    }
    deps.finish(
        &flow.stack_id,
        STEP,
        StepStatus::Succeeded,
        format!("GET {public_url} answered {status}"),
        |s| {
            s.outputs.smoke_test = Some(result.clone());
        },
    )
    .await?;
    Ok(flow)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_owner_named_path_must_answer_2xx() {
        assert!(passes(true, 200, true));
        assert!(!passes(true, 403, true));
        assert!(!passes(true, 502, false));
    }

    #[test]
    fn without_a_path_any_answer_of_api_gateway_counts() {
        assert!(passes(false, 403, true), "an API need not serve /");
        assert!(
            !passes(false, 403, false),
            "CloudFront's own error page is no answer of the API"
        );
        assert!(!passes(false, 503, true));
    }
}
