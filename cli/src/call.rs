//! `edgestack call`: the request a team's client makes through a stack. It goes to the stack's
//! endpoint (locally: the data plane at `EDGE_URL`, naming the endpoint's host, since there is
//! no CloudFront on one machine) and, for `auth: iam`, carries a SigV4 signature for exactly
//! the host, path, region and service that `outputs.signing` names.

use std::time::Duration;

use aws_config::BehaviorVersion;
use edgestack_domain::stack::Stack;
use reqwest::{Method, Url};

use crate::client::{signature, Failure};

/// Where one call goes and what it signs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    /// Where the request is sent.
    pub url: Url,
    /// The `Host` it names, when that differs from the URL's (the local data plane).
    pub host: Option<String>,
    /// The URL a signature covers, when the stack's API needs one.
    pub signed_url: Option<Url>,
    pub region: Option<String>,
}

/// The target of `path` through `stack`, sent to `edge` (the local data plane) when given.
pub fn target(stack: &Stack, path: &str, edge: Option<&str>) -> Result<Target, String> {
    if !path.starts_with('/') {
        return Err(format!("the path must start with '/': {path:?}"));
    }
    let outputs = &stack.outputs;
    let endpoint = outputs.endpoint_url.as_deref().ok_or_else(|| {
        format!(
            "stack {} has no endpoint yet (status {}): call it once it is READY",
            stack.id,
            stack.status().as_str()
        )
    })?;
    let public = Url::parse(&format!("{}{path}", endpoint.trim_end_matches('/')))
        .map_err(|e| format!("{endpoint}{path} is not a URL: {e}"))?;
    let (url, host) = match edge {
        Some(edge) => (
            Url::parse(&format!("{}{path}", edge.trim_end_matches('/')))
                .map_err(|e| format!("EDGE_URL {edge}: {e}"))?,
            public.host_str().map(str::to_owned),
        ),
        None => (public, None),
    };
    let signing = outputs.signing.as_ref();
    let signed_url = signing
        .as_ref()
        .map(|s| {
            Url::parse(&format!("https://{}{}{path}", s.host, s.path_prefix))
                .map_err(|e| format!("cannot sign for {}: {e}", s.host))
        })
        .transpose()?;
    Ok(Target {
        url,
        host,
        signed_url,
        region: signing.map(|s| s.region.clone()),
    })
}

/// Sends the call; the answer's status and body.
pub async fn send(target: &Target, method: &Method, body: &[u8]) -> Result<(u16, String), Failure> {
    let http = reqwest::Client::builder()
        .timeout(Duration::from_secs(30))
        .redirect(reqwest::redirect::Policy::none())
        .user_agent(concat!("edgestack-cli/", env!("CARGO_PKG_VERSION")))
        .build()
        .map_err(|e| Failure::Setup(format!("cannot build an HTTP client: {e}")))?;
    let mut request = http.request(method.clone(), target.url.clone());
    if let Some(host) = &target.host {
        request = request.header("host", host);
    }
    if let (Some(signed_url), Some(region)) = (&target.signed_url, &target.region) {
        let config = aws_config::defaults(BehaviorVersion::latest()).load().await;
        let credentials = config.credentials_provider().ok_or_else(|| {
            Failure::Setup(
                "no AWS credentials to sign with: configure the standard AWS credentials chain"
                    .into(),
            )
        })?;
        for (name, value) in signature(&credentials, region, method, signed_url, &[], body).await? {
            if name != "host" {
                request = request.header(name, value);
            }
        }
    }
    if !body.is_empty() {
        request = request.body(body.to_vec());
    }
    let response = request
        .send()
        .await
        .map_err(|e| Failure::Transport(format!("no answer from {}: {e}", target.url)))?;
    let status = response.status().as_u16();
    let text = response
        .text()
        .await
        .map_err(|e| Failure::Transport(format!("the answer could not be read: {e}")))?;
    Ok((status, text))
}

#[cfg(test)]
mod tests {
    use serde_json::{json, Value};

    use super::*;

    fn stack(outputs: Value) -> Stack {
        crate::testing::stack(json!({"status": "READY", "outputs": outputs}))
    }

    #[test]
    fn an_iam_stack_without_custom_domain_is_signed_for_the_execute_api_host_and_origin_path() {
        let s = stack(json!({
            "endpoint_url": "https://d111.cloudfront.net",
            "signing": {"host": "a1.execute-api.eu-west-1.amazonaws.com", "path_prefix": "/prod",
                        "region": "eu-west-1", "service": "execute-api"}
        }));
        let t = target(&s, "/greetings", None).expect("a target");
        assert_eq!(t.url.as_str(), "https://d111.cloudfront.net/greetings");
        assert_eq!(t.host, None);
        assert_eq!(
            t.signed_url.expect("signed").as_str(),
            "https://a1.execute-api.eu-west-1.amazonaws.com/prod/greetings"
        );
        assert_eq!(t.region.as_deref(), Some("eu-west-1"));
    }

    #[test]
    fn locally_the_call_goes_to_the_data_plane_naming_the_endpoint_host() {
        let s = stack(json!({"endpoint_url": "https://api.example.com"}));
        let t = target(&s, "/greetings", Some("http://127.0.0.1:9000/")).expect("a target");
        assert_eq!(t.url.as_str(), "http://127.0.0.1:9000/greetings");
        assert_eq!(t.host.as_deref(), Some("api.example.com"));
        assert_eq!(t.signed_url, None, "auth: none signs nothing");
    }

    #[test]
    fn a_stack_without_an_endpoint_or_a_relative_path_is_refused() {
        let pending = crate::testing::stack(json!({"status": "PROVISIONING"}));
        let err = target(&pending, "/greetings", None).unwrap_err();
        assert!(err.contains("PROVISIONING"), "{err}");
        let ready = stack(json!({"endpoint_url": "https://api.example.com"}));
        assert!(target(&ready, "greetings", None).is_err());
    }
}
