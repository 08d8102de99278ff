//! Recipe step 7: the seed's `curl -I`, done by the workflow: one request through the
//! distribution, SigV4-signed when the API uses IAM. Its result is recorded on the stack.

use edgestack_domain::timestamp::Timestamp;
use std::time::SystemTime;

use aws_credential_types::provider::ProvideCredentials;

use crate::{Deps, Flow, Start, StepError};
use edgestack_domain::permissions::Permissions;
use edgestack_domain::stack::{Phase, Signing, SmokeTestResult, Stack, StepStatus};
use edgestack_domain::validated::Principal;

pub const STEP: &str = "smoke_test";

/// Where the request goes, and (for `auth: iam`) what it signs: exactly what the stack's
/// outputs tell a client to sign (`Signing`), so the smoke test proves those instructions.
pub struct Target {
    pub host: String,
    pub path: String,
    pub signing: Option<Signing>,
}

/// Whether the smoke test signs for `stack`: its API needs a signature and the owner's grant
/// names that API explicitly (`Permissions::names_api`). Otherwise any team could make
/// edgestack send signed requests to another team's IAM-protected API and read the answers.
/// Without a permissions policy nothing is signed.
pub fn signs(permissions: Option<&Permissions>, stack: &Stack) -> bool {
    Signing::for_request(&stack.request).is_some()
        && permissions.is_some_and(|p| {
            p.names_api(
                &Principal::from_caller(&stack.owner),
                stack.request.api_id.as_str(),
            )
        })
}

pub fn target(stack: &Stack) -> Result<Target, StepError> {
    let request = &stack.request;
    let path = request
        .smoke_test_path
        .clone()
        .unwrap_or_else(|| "/".into());
    let host = match &request.custom_domain {
        Some(domain) => domain.name.to_string(),
        None => stack
            .outputs
            .distribution_domain_name
            .clone()
            .ok_or_else(|| StepError::Internal("no distribution to test".into()))?,
    };
    Ok(Target {
        host,
        path,
        signing: Signing::for_request(request),
    })
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
/// page does not). An IAM-protected API asked without a signature answers API Gateway's 403,
/// which proves the same: the distribution reaches the API.
pub fn passes(
    explicit_path: bool,
    unsigned_iam: bool,
    status: u16,
    from_api_gateway: bool,
) -> bool {
    if explicit_path && !unsigned_iam {
        (200..300).contains(&status)
    } else {
        from_api_gateway && status < 500
    }
}

async fn sigv4_headers(
    deps: &Deps,
    signing: &Signing,
    path: &str,
) -> Result<Vec<(String, String)>, StepError> {
    let provider = deps.sdk.credentials_provider().ok_or_else(|| {
        StepError::Internal("no AWS credentials to sign the smoke test with".into())
    })?;
    let credentials = provider
        .provide_credentials()
        .await
        .map_err(|e| StepError::Transient(format!("could not load credentials: {e}")))?;
    let url = format!("https://{}{}", signing.host, signing.signed_path(path));
    edgestack_sigv4::sign(
        &edgestack_sigv4::Scope {
            credentials: &credentials,
            region: &signing.region,
            service: &signing.service,
            time: SystemTime::now(),
        },
        &edgestack_sigv4::Request {
            method: "GET",
            url: &url,
            headers: &[("host", signing.host.as_str())],
            body: &[],
        },
    )
    .map_err(|e| StepError::Internal(e.to_string()))
}

pub async fn handle(deps: &Deps, flow: Flow) -> Result<Flow, StepError> {
    let stack = deps
        .begin(&flow.stack_id, STEP, Phase::SmokeTesting, Start::Provision)
        .await?;
    let target = target(&stack)?;
    let public_url = format!("https://{}{}", target.host, target.path);
    // Locally no DNS leads to the distribution: the request goes to the local data plane,
    // naming the host, as CloudFront's edge receives it.
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
    let signed = signs(deps.permissions.as_ref(), &stack);
    let unsigned_iam = target.signing.is_some() && !signed;
    if let Some(signing) = target.signing.as_ref().filter(|_| signed) {
        for (name, value) in sigv4_headers(deps, signing, &target.path).await? {
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
        signed,
        at: Timestamp::now(),
    };
    let unsigned_note = if unsigned_iam {
        format!(
            " unsigned: edgestack signs only for an API the permissions policy names for {} \
             (not through \"*\")",
            stack.owner
        )
    } else {
        String::new()
    };
    if !passes(explicit, unsigned_iam, status, from_api_gateway) {
        deps.checkpoint(
            &flow.stack_id,
            STEP,
            format!("GET {public_url} answered {status}{unsigned_note}; retrying"),
            |s| {
                s.outputs.smoke_test = Some(result.clone());
            },
        )
        .await?;
        return Err(StepError::SmokeTestFailed(format!(
            "GET {public_url} answered {status}{}",
            if explicit && !unsigned_iam {
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
        format!("GET {public_url} answered {status}{unsigned_note}"),
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

    fn stack(request: serde_json::Value) -> Stack {
        let request =
            edgestack_domain::request::StackRequest::from_json(&request).expect("a valid request");
        let mut stack = Stack::new("arn:a".into(), request, Timestamp::now());
        stack.outputs.distribution_domain_name = Some("d111.cloudfront.net".into());
        stack
    }

    #[test]
    fn without_a_custom_domain_the_signature_covers_the_origin_path_and_the_execute_api_host() {
        let t = target(&stack(serde_json::json!({
            "api_id": "a1b2c3d4e5", "region": "eu-west-1", "stage": "prod", "auth": "iam",
            "smoke_test_path": "/greetings"
        })))
        .expect("a target");
        assert_eq!(t.host, "d111.cloudfront.net");
        assert_eq!(t.path, "/greetings");
        let signing = t.signing.expect("iam signs");
        assert_eq!(
            signing.host,
            "a1b2c3d4e5.execute-api.eu-west-1.amazonaws.com"
        );
        assert_eq!(signing.signed_path(&t.path), "/prod/greetings");
        assert_eq!(
            (signing.region.as_str(), signing.service.as_str()),
            ("eu-west-1", "execute-api")
        );
    }

    #[test]
    fn without_an_origin_path_the_client_puts_the_stage_in_the_path_it_calls_and_signs() {
        let t = target(&stack(serde_json::json!({
            "api_id": "a1b2c3d4e5", "region": "eu-west-1", "stage": "prod", "auth": "iam",
            "origin_path": false, "smoke_test_path": "/prod/greetings"
        })))
        .expect("a target");
        assert_eq!(
            t.signing.expect("iam signs").signed_path(&t.path),
            "/prod/greetings"
        );
    }

    #[test]
    fn with_a_custom_domain_the_signature_covers_that_name_and_the_path_called() {
        let t = target(&stack(serde_json::json!({
            "api_id": "a1b2c3d4e5", "region": "eu-west-1", "stage": "prod", "auth": "iam",
            "custom_domain": {"name": "api.example.com"}, "smoke_test_path": "/greetings"
        })))
        .expect("a target");
        assert_eq!(t.host, "api.example.com");
        let signing = t.signing.expect("iam signs");
        assert_eq!(signing.host, "api.example.com");
        assert_eq!(signing.signed_path(&t.path), "/greetings");
    }

    #[test]
    fn an_open_api_signs_nothing() {
        let t = target(&stack(serde_json::json!({
            "api_id": "a1b2c3d4e5", "region": "eu-west-1", "stage": "prod"
        })))
        .expect("a target");
        assert!(t.signing.is_none());
    }

    #[test]
    fn an_owner_named_path_must_answer_2xx() {
        assert!(passes(true, false, 200, true));
        assert!(!passes(true, false, 403, true));
        assert!(!passes(true, false, 502, false));
    }

    #[test]
    fn without_a_path_any_answer_of_api_gateway_counts() {
        assert!(passes(false, false, 403, true), "an API need not serve /");
        assert!(
            !passes(false, false, 403, false),
            "CloudFront's own error page is no answer of the API"
        );
        assert!(!passes(false, false, 503, true));
    }

    #[test]
    fn unsigned_an_iam_api_passes_on_api_gateways_own_refusal() {
        assert!(passes(true, true, 403, true));
        assert!(!passes(true, true, 403, false));
        assert!(!passes(true, true, 502, true));
    }

    fn iam_stack(owner: &str, api_id: &str) -> Stack {
        let request = edgestack_domain::request::StackRequest::from_json(&serde_json::json!({
            "api_id": api_id, "region": "eu-west-1", "stage": "prod", "auth": "iam"
        }))
        .expect("a valid request");
        Stack::new(owner.into(), request, Timestamp::now())
    }

    #[test]
    fn it_signs_only_for_an_api_the_owners_grant_names() {
        let policy = Permissions::from_json(
            r#"{"default": {"api_ids": ["*"]},
                "principals": {"arn:aws:iam::123456789012:role/payments": {"api_ids": ["a1b2c3d4e5"]}}}"#,
        )
        .unwrap();
        let payments = "arn:aws:iam::123456789012:role/payments";
        assert!(signs(Some(&policy), &iam_stack(payments, "a1b2c3d4e5")));
        assert!(
            !signs(Some(&policy), &iam_stack(payments, "b1b2c3d4e5")),
            "not named"
        );
        assert!(
            !signs(
                Some(&policy),
                &iam_stack("arn:aws:iam::123456789012:role/other", "a1b2c3d4e5")
            ),
            "another team, allowed only through the default's \"*\""
        );
        assert!(!signs(None, &iam_stack(payments, "a1b2c3d4e5")));
        let open = stack(serde_json::json!({
            "api_id": "a1b2c3d4e5", "region": "eu-west-1", "stage": "prod"
        }));
        assert!(
            !signs(Some(&policy), &open),
            "an open API needs no signature"
        );
    }
}
