//! A client of a stack's API as its team would be one: through the distribution (the local
//! data plane at `EDGE_URL`, which answers by `Host` as CloudFront does), signing with SigV4
//! exactly what the stack's `outputs.signing` says.

use std::time::SystemTime;

use aws_credential_types::Credentials;
use serde_json::Value;

use crate::{LocalEnv, Reply};

/// What a client signs, as a stack's `outputs.signing` gives it.
#[derive(Debug, Clone)]
pub struct Signing {
    pub host: String,
    pub path_prefix: String,
    pub region: String,
    pub service: String,
}

impl Signing {
    /// `outputs.signing` of a READY stack; panics when it is missing or malformed.
    pub fn of(stack: &Value) -> Self {
        let s = &stack["outputs"]["signing"];
        let field = |name: &str| {
            s[name]
                .as_str()
                .unwrap_or_else(|| panic!("outputs.signing.{name} missing: {stack}"))
                .to_owned()
        };
        Self {
            host: field("host"),
            path_prefix: field("path_prefix"),
            region: field("region"),
            service: field("service"),
        }
    }
}

/// The SigV4 headers of `GET https://{host}{path}` for `signing`'s region and service, with the
/// local account's credentials.
pub fn sigv4_headers(host: &str, path: &str, signing: &Signing) -> Vec<(String, String)> {
    let env = LocalEnv::get();
    let credentials = Credentials::new(
        &env.access_key_id,
        &env.secret_access_key,
        None,
        None,
        "edgestack-tests",
    );
    let url = format!("https://{host}{path}");
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
            headers: &[("host", host)],
            body: &[],
        },
    )
    .expect("a signature")
}

/// `GET {path}` through the distribution that serves `host`, with `headers`.
pub async fn get(host: &str, path: &str, headers: &[(String, String)]) -> Reply {
    let env = LocalEnv::get();
    let mut request = reqwest::Client::new()
        .get(format!("{}{path}", env.edge_url))
        .header("host", host);
    for (name, value) in headers {
        if name != "host" {
            request = request.header(name, value);
        }
    }
    let response = request
        .send()
        .await
        .unwrap_or_else(|e| panic!("GET {host}{path} through the edge: {e}"));
    let status = response.status().as_u16();
    let headers = response.headers().clone();
    let text = response.text().await.unwrap_or_default();
    Reply {
        status,
        headers,
        text,
    }
}

/// `GET {path}` through the distribution as the stack's outputs say: to the host of its
/// `endpoint_url`, signed per `outputs.signing` when the stack has one.
pub async fn call_as_outputs_say(stack: &Value, path: &str) -> Reply {
    let host = endpoint_host(stack);
    let headers = match stack["outputs"].get("signing") {
        Some(s) if !s.is_null() => {
            let signing = Signing::of(stack);
            sigv4_headers(
                &signing.host,
                &format!("{}{path}", signing.path_prefix),
                &signing,
            )
        }
        _ => Vec::new(),
    };
    get(&host, path, &headers).await
}

/// The host of a READY stack's `endpoint_url`.
pub fn endpoint_host(stack: &Value) -> String {
    stack["outputs"]["endpoint_url"]
        .as_str()
        .unwrap_or_else(|| panic!("no endpoint_url: {stack}"))
        .trim_start_matches("https://")
        .trim_end_matches('/')
        .to_owned()
}
