//! The provisioning API over HTTP: one method per operation, every request signed with SigV4
//! (the local stack's API Gateway verifies signatures as a deployed one does), and safe retries.

// `Failure` carries the API's whole error body for `--output json`; it is made once per
// command and ends the process, so its size costs nothing worth boxing for.
#![allow(clippy::result_large_err)]

use std::time::{Duration, SystemTime};

use aws_config::BehaviorVersion;
use aws_credential_types::provider::{ProvideCredentials, SharedCredentialsProvider};
use edgestack_domain::stack::Stack;
use edgestack_domain::timestamp::Timestamp;
use reqwest::{Method, StatusCode, Url};
use serde_json::Value;

use crate::endpoint::Endpoint;
use crate::exit::Exit;

/// Long enough for `cargo lambda watch` to rebuild a function on the local stack.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(120);
const ATTEMPTS: u32 = 3;

/// Why a call did not return what was asked for.
#[derive(Debug, Clone, PartialEq)]
pub enum Failure {
    /// The API answered with an error.
    Api {
        status: u16,
        /// The contract's error code; `None` when the answer is not in the API's error shape
        /// (API Gateway's own 403 for a bad signature, a proxy's page).
        code: Option<String>,
        message: String,
        /// `(field, problem)`, every bad field at once.
        details: Vec<(String, String)>,
        /// The body as sent, for `--output json` (JSON when it was JSON).
        body: Value,
    },
    /// No answer, or one that could not be read.
    Transport(String),
    /// The client could not be set up (credentials, region).
    Setup(String),
    /// The API answered what this CLI cannot read (a stack of a newer API, a body that is not
    /// the contract's): asking again will not help.
    Unreadable(String),
}

impl Failure {
    pub fn exit(&self) -> Exit {
        match self {
            // A 404 that is not the API's "no such stack" means the endpoint is wrong.
            Failure::Api {
                status: 404,
                code: Some(code),
                ..
            } if code == "stack_not_found" => Exit::NotFound,
            Failure::Api { status: 404, .. } => Exit::Error,
            Failure::Api { status, .. } => Exit::for_http_status(*status),
            Failure::Transport(_) | Failure::Setup(_) | Failure::Unreadable(_) => Exit::Error,
        }
    }

    /// Worth another try: no answer, throttled, or a gateway or dependency that was unavailable.
    pub fn is_transient(&self) -> bool {
        match self {
            Failure::Transport(_) => true,
            Failure::Api { status, .. } => matches!(status, 429 | 502 | 503 | 504),
            Failure::Setup(_) | Failure::Unreadable(_) => false,
        }
    }

    /// Reads an error answer: the contract's `{"error": {...}}`, API Gateway's `{"message"}`,
    /// or anything else.
    pub fn from_answer(status: u16, text: &str) -> Failure {
        let body =
            serde_json::from_str::<Value>(text).unwrap_or_else(|_| Value::String(text.to_owned()));
        let error = &body["error"];
        let code = error["code"].as_str().map(str::to_owned);
        let message = error["message"]
            .as_str()
            .or_else(|| body["message"].as_str())
            .or_else(|| body["Message"].as_str())
            .map(str::to_owned)
            .unwrap_or_else(|| {
                let reason = StatusCode::from_u16(status)
                    .ok()
                    .and_then(|s| s.canonical_reason())
                    .unwrap_or("error");
                let snippet: String = text.chars().take(200).collect();
                if snippet.trim().is_empty() {
                    format!("HTTP {status} {reason}")
                } else {
                    format!("HTTP {status} {reason}: {}", snippet.trim())
                }
            });
        let details = error["details"]
            .as_array()
            .map(|items| {
                items
                    .iter()
                    .map(|d| {
                        (
                            d["field"].as_str().unwrap_or_default().to_owned(),
                            d["problem"].as_str().unwrap_or_default().to_owned(),
                        )
                    })
                    .collect()
            })
            .unwrap_or_default();
        Failure::Api {
            status,
            code,
            message,
            details,
            body,
        }
    }
}

/// How requests prove who calls: SigV4 with these credentials, for this region.
struct Caller {
    credentials: SharedCredentialsProvider,
    region: String,
}

pub struct Client {
    http: reqwest::Client,
    endpoint: Endpoint,
    caller: Caller,
}

/// A stack as the API answered it: read into the domain's `Stack` for everything the CLI decides
/// and shows, and kept as it came for `--output json`, which prints the API's answer unchanged
/// (a field this CLI does not know yet included).
#[derive(Debug, Clone, PartialEq)]
pub struct Answered {
    pub stack: Stack,
    pub json: Value,
}

impl Answered {
    pub fn read(json: Value) -> Result<Self, Failure> {
        let stack = serde_json::from_value(json.clone()).map_err(|e| {
            Failure::Unreadable(format!(
                "the API answered a stack this CLI cannot read ({e}); is the CLI older than the API?"
            ))
        })?;
        Ok(Self { stack, json })
    }

    /// When the API expects the stack to be READY, if it said (`expected_ready_at`).
    pub fn expected_ready_at(&self) -> Option<Timestamp> {
        let raw = self.json.get("expected_ready_at")?.as_str()?;
        Timestamp::parse(raw).ok()
    }
}

/// One page of `GET /stacks`.
#[derive(Debug, Clone)]
pub struct Page {
    pub items: Vec<Answered>,
    pub next_token: Option<String>,
    pub json: Value,
}

impl Page {
    fn read(json: Value) -> Result<Self, Failure> {
        #[derive(serde::Deserialize)]
        struct Shape {
            items: Vec<Value>,
            #[serde(default)]
            next_token: Option<String>,
        }
        let shape: Shape = serde_json::from_value(json.clone()).map_err(|e| {
            Failure::Unreadable(format!(
                "the API answered a page this CLI cannot read ({e})"
            ))
        })?;
        Ok(Self {
            items: shape
                .items
                .into_iter()
                .map(Answered::read)
                .collect::<Result<_, _>>()?,
            next_token: shape.next_token,
            json,
        })
    }
}

/// What `POST /stacks` returned.
pub struct Created {
    pub stack: Answered,
    /// The answer replays an earlier request with the same idempotency key.
    pub replayed: bool,
}

/// Settings for [`Client::new`] besides the endpoint.
#[derive(Debug, Clone, Default)]
pub struct Identity {
    pub profile: Option<String>,
    pub signing_region: Option<String>,
}

impl Client {
    pub async fn new(endpoint: Endpoint, identity: Identity) -> Result<Client, Failure> {
        let http = reqwest::Client::builder()
            .timeout(REQUEST_TIMEOUT)
            .connect_timeout(Duration::from_secs(10))
            .user_agent(concat!("edgestack-cli/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| Failure::Setup(format!("cannot build an HTTP client: {e}")))?;
        let mut loader = aws_config::defaults(BehaviorVersion::latest());
        if let Some(profile) = &identity.profile {
            loader = loader.profile_name(profile);
        } else if let Some(local) = endpoint
            .local_credentials
            .as_ref()
            .filter(|_| std::env::var_os("AWS_ACCESS_KEY_ID").is_none())
        {
            // The local stack's env file names the endpoint and the credentials its account
            // issued: a shell that has not sourced it still signs as the file says.
            loader = loader.credentials_provider(local.credentials.clone());
            if let Some(region) = &local.region {
                loader = loader.region(aws_config::Region::new(region.clone()));
            }
        }
        let config = loader.load().await;
        let credentials = config.credentials_provider().ok_or_else(|| {
            Failure::Setup(
                "no AWS credentials: configure the standard AWS credentials chain".into(),
            )
        })?;
        let region = identity
            .signing_region
            .clone()
            .or_else(|| endpoint.region_from_host())
            .or_else(|| config.region().map(|r| r.to_string()))
            .ok_or_else(|| {
                Failure::Setup(
                    "which region to sign for is unknown: pass --signing-region or set AWS_REGION"
                        .into(),
                )
            })?;
        let caller = Caller {
            credentials,
            region,
        };
        Ok(Client {
            http,
            endpoint,
            caller,
        })
    }

    /// Whether the API is the local stack's.
    pub fn is_local(&self) -> bool {
        self.endpoint.local
    }

    /// `POST /stacks`. Retried on no answer, 429 and 5xx-unavailable with the same idempotency
    /// key, so a retry never makes a second stack.
    pub async fn create(&self, body: &Value, idempotency_key: &str) -> Result<Created, Failure> {
        let bytes = serde_json::to_vec(body).expect("a JSON value serialises");
        let url = self.endpoint.url(&["stacks"]);
        let headers = [
            ("content-type", "application/json".to_owned()),
            ("idempotency-key", idempotency_key.to_owned()),
        ];
        let answer = self
            .with_retries(|| self.send(Method::POST, url.clone(), &headers, &bytes))
            .await?;
        let (json, replayed) = expect(answer, 202)?;
        Ok(Created {
            stack: Answered::read(json)?,
            replayed,
        })
    }

    /// `GET /stacks/{id}`.
    pub async fn get(&self, id: &str) -> Result<Answered, Failure> {
        let url = self.endpoint.url(&["stacks", id]);
        let answer = self
            .with_retries(|| self.send(Method::GET, url.clone(), &[], &[]))
            .await?;
        Answered::read(expect(answer, 200)?.0)
    }

    /// `GET /stacks` with these query parameters: one page.
    pub async fn list(&self, query: &[(&str, String)]) -> Result<Page, Failure> {
        let mut url = self.endpoint.url(&["stacks"]);
        if !query.is_empty() {
            url.query_pairs_mut().extend_pairs(query);
        }
        let answer = self
            .with_retries(|| self.send(Method::GET, url.clone(), &[], &[]))
            .await?;
        Page::read(expect(answer, 200)?.0)
    }

    /// `DELETE /stacks/{id}`. Sent once: a repeated delete is a 409, not a retry.
    pub async fn delete(&self, id: &str) -> Result<Answered, Failure> {
        let url = self.endpoint.url(&["stacks", id]);
        let answer = self.send(Method::DELETE, url, &[], &[]).await?;
        Answered::read(expect(answer, 202)?.0)
    }

    async fn with_retries<F, Fut>(&self, mut attempt: F) -> Result<Answer, Failure>
    where
        F: FnMut() -> Fut,
        Fut: std::future::Future<Output = Result<Answer, Failure>>,
    {
        let mut tries = 0;
        loop {
            tries += 1;
            let result = match attempt().await {
                Ok(answer) if (200..300).contains(&answer.status) => return Ok(answer),
                Ok(answer) => Err(Failure::from_answer(answer.status, &answer.text)),
                Err(failure) => Err(failure),
            };
            match result {
                Err(failure) if failure.is_transient() && tries < ATTEMPTS => {
                    tokio::time::sleep(Duration::from_millis(500 * 2u64.pow(tries - 1))).await;
                }
                other => return other,
            }
        }
    }

    async fn send(
        &self,
        method: Method,
        url: Url,
        headers: &[(&str, String)],
        body: &[u8],
    ) -> Result<Answer, Failure> {
        let mut request = self.http.request(method.clone(), url.clone());
        for (name, value) in headers {
            request = request.header(*name, value);
        }
        let Caller {
            credentials,
            region,
        } = &self.caller;
        for (name, value) in signature(credentials, region, &method, &url, headers, body).await? {
            request = request.header(name, value);
        }
        if !body.is_empty() {
            request = request.body(body.to_vec());
        }
        let response = request.send().await.map_err(|e| {
            Failure::Transport(format!(
                "no answer from {} ({}): {e}",
                self.endpoint.base, self.endpoint.source
            ))
        })?;
        let status = response.status().as_u16();
        let replayed = response
            .headers()
            .get("idempotent-replayed")
            .is_some_and(|v| v.as_bytes().eq_ignore_ascii_case(b"true"));
        let text = response
            .text()
            .await
            .map_err(|e| Failure::Transport(format!("the answer could not be read: {e}")))?;
        Ok(Answer {
            status,
            text,
            replayed,
        })
    }
}

struct Answer {
    status: u16,
    text: String,
    replayed: bool,
}

/// The answer's JSON when it has the expected status; its error otherwise.
fn expect(answer: Answer, status: u16) -> Result<(Value, bool), Failure> {
    if answer.status != status {
        return Err(Failure::from_answer(answer.status, &answer.text));
    }
    let value = serde_json::from_str(&answer.text).map_err(|e| {
        Failure::Transport(format!(
            "the API answered {status} with a body that is not JSON ({e}); is the endpoint the provisioning API?"
        ))
    })?;
    Ok((value, answer.replayed))
}

/// The SigV4 headers (service `execute-api`) for one request to `url`: the host and path a
/// signature covers are those API Gateway receives.
pub async fn signature(
    credentials: &SharedCredentialsProvider,
    region: &str,
    method: &Method,
    url: &Url,
    headers: &[(&str, String)],
    body: &[u8],
) -> Result<Vec<(String, String)>, Failure> {
    let credentials = credentials
        .provide_credentials()
        .await
        .map_err(|e| Failure::Setup(format!("could not load AWS credentials: {e}")))?;
    let host = match url.port() {
        Some(port) => format!("{}:{port}", url.host_str().unwrap_or_default()),
        None => url.host_str().unwrap_or_default().to_owned(),
    };
    let mut signed: Vec<(&str, &str)> = vec![("host", host.as_str())];
    signed.extend(headers.iter().map(|(name, value)| (*name, value.as_str())));
    edgestack_sigv4::sign(
        &edgestack_sigv4::Scope {
            credentials: &credentials,
            region,
            service: "execute-api",
            time: SystemTime::now(),
        },
        &edgestack_sigv4::Request {
            method: method.as_str(),
            url: url.as_str(),
            headers: &signed,
            body,
        },
    )
    .map_err(|e| Failure::Setup(e.to_string()))
}

#[cfg(test)]
mod tests {
    use aws_credential_types::Credentials;
    use serde_json::json;

    use super::*;

    #[test]
    fn an_api_error_is_read_with_every_detail() {
        let text = r#"{"error": {"code": "validation_failed", "message": "the request has invalid fields",
            "details": [{"field": "api_id", "problem": "must be ..."}, {"field": "region", "problem": "is required"}]}}"#;
        let failure = Failure::from_answer(400, text);
        let Failure::Api { code, details, .. } = &failure else {
            panic!("{failure:?}")
        };
        assert_eq!(code.as_deref(), Some("validation_failed"));
        assert_eq!(details.len(), 2);
        assert_eq!(details[1], ("region".to_owned(), "is required".to_owned()));
        assert_eq!(failure.exit(), Exit::BadRequest);
        assert!(!failure.is_transient());
    }

    #[test]
    fn error_answers_map_to_exit_codes() {
        let api = |status, code: &str| {
            Failure::from_answer(
                status,
                &json!({"error": {"code": code, "message": "m", "details": []}}).to_string(),
            )
        };
        assert_eq!(api(404, "stack_not_found").exit(), Exit::NotFound);
        // The endpoint is not the API (or not this version of it): not "no such stack".
        assert_eq!(api(404, "route_not_found").exit(), Exit::Error);
        assert_eq!(Failure::from_answer(404, "<html>").exit(), Exit::Error);
        assert_eq!(api(409, "delete_in_progress").exit(), Exit::Conflict);
        assert_eq!(api(413, "payload_too_large").exit(), Exit::BadRequest);
        assert_eq!(api(415, "unsupported_media_type").exit(), Exit::BadRequest);
        assert_eq!(api(401, "unauthenticated").exit(), Exit::Denied);
        assert_eq!(api(500, "internal_error").exit(), Exit::Error);
        assert!(api(503, "service_unavailable").is_transient());
        assert!(api(429, "throttled").is_transient());
        assert!(!api(500, "internal_error").is_transient());
        assert_eq!(Failure::Transport("x".into()).exit(), Exit::Error);
        assert_eq!(Failure::Setup("x".into()).exit(), Exit::Error);
    }

    #[test]
    fn api_gateways_own_refusal_is_read_too() {
        let failure = Failure::from_answer(403, r#"{"message":"Missing Authentication Token"}"#);
        let Failure::Api { code, message, .. } = &failure else {
            panic!()
        };
        assert_eq!(code, &None);
        assert_eq!(message, "Missing Authentication Token");
        assert_eq!(failure.exit(), Exit::Denied);
        let Failure::Api { message, .. } = Failure::from_answer(502, "Bad Gateway") else {
            panic!()
        };
        assert_eq!(message, "HTTP 502 Bad Gateway: Bad Gateway");
    }

    #[tokio::test]
    async fn a_signature_names_the_service_region_and_headers() {
        let credentials = SharedCredentialsProvider::new(Credentials::new(
            "AKIDEXAMPLE",
            "secret",
            None,
            None,
            "test",
        ));
        let url = Url::parse("https://a1b2c3d4e5.execute-api.eu-west-1.amazonaws.com/prod/stacks")
            .unwrap();
        let headers = [("content-type", "application/json".to_owned())];
        let signed = signature(
            &credentials,
            "eu-west-1",
            &Method::POST,
            &url,
            &headers,
            b"{}",
        )
        .await
        .unwrap();
        let authorization = &signed
            .iter()
            .find(|(name, _)| name == "authorization")
            .expect("an Authorization header")
            .1;
        assert!(
            authorization.starts_with("AWS4-HMAC-SHA256 Credential="),
            "{authorization}"
        );
        assert!(
            authorization.contains("/eu-west-1/execute-api/aws4_request"),
            "{authorization}"
        );
        assert!(
            authorization.contains("SignedHeaders=content-type;host;x-amz-date"),
            "{authorization}"
        );
        assert!(signed.iter().any(|(name, _)| name == "x-amz-date"));
    }
}
