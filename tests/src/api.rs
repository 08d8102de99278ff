//! The provisioning API over HTTP, as a caller uses it: one principal's client, its replies, the
//! contract's error shape, and waiting for something to become true.

use super::*;

/// One HTTP answer, read in full.
#[derive(Debug, Clone)]
pub struct Reply {
    pub status: u16,
    pub headers: reqwest::header::HeaderMap,
    pub text: String,
}

impl Reply {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// The body as JSON; panics with the body when it is not.
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.text).unwrap_or_else(|e| {
            panic!(
                "the {} answer is not JSON ({e}): {:?}",
                self.status, self.text
            )
        })
    }

    /// The body as JSON, after checking the status (the body is shown when it differs).
    pub fn expect(&self, status: u16) -> Value {
        assert_eq!(
            self.status, status,
            "expected HTTP {status}, got {}: {}",
            self.status, self.text
        );
        self.json()
    }
}

/// The provisioning API as one principal sees it: every request signed with SigV4 by a session
/// of the principal's role ([`session_credentials`]), as a team's client signs for the deployed
/// API, and sent to `STACKS_API_URL`, the local API Gateway.
#[derive(Debug, Clone)]
pub struct Api {
    http: reqwest::Client,
    base: String,
    region: String,
    /// Who calls, as the request context names it (a session of a role).
    pub principal: String,
    /// Who owns what it creates: [`owner_of`] the principal.
    pub owner: String,
    credentials: std::sync::Arc<tokio::sync::OnceCell<aws_credential_types::Credentials>>,
}

impl Api {
    /// A client acting as a principal of its own.
    pub fn new() -> Self {
        Self::as_principal(&random_principal())
    }

    /// A client signing as `principal`, a session of a role (`arn:aws:sts::A:assumed-role/R/S`):
    /// the role is made, and the session assumed, at its first request.
    pub fn as_principal(principal: &str) -> Self {
        role_and_session(principal);
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(300))
            .connect_timeout(Duration::from_secs(10))
            .build()
            .expect("an HTTP client builds");
        let env = LocalEnv::get();
        Self {
            http,
            base: env.stacks_api_url.clone(),
            region: env.region.clone(),
            principal: principal.to_owned(),
            owner: owner_of(principal),
            credentials: Default::default(),
        }
    }

    /// A client signing as `principal` with these `credentials` (which may not be its own).
    pub fn with_credentials(
        principal: &str,
        credentials: aws_credential_types::Credentials,
    ) -> Self {
        let api = Self::as_principal(principal);
        api.credentials
            .set(credentials)
            .expect("a new client has no credentials yet");
        api
    }

    /// `request` sent as it is, unsigned: what API Gateway answers a caller who did not sign.
    pub async fn send_unsigned(&self, request: reqwest::RequestBuilder) -> Reply {
        Self::read(request.send().await.expect("the local API Gateway answers")).await
    }

    /// A request to `path` (relative to `STACKS_API_URL`, e.g. `/stacks`), signed when sent.
    pub fn request(&self, method: reqwest::Method, path: &str) -> reqwest::RequestBuilder {
        self.http.request(method, format!("{}{path}", self.base))
    }

    /// `request` with SigV4's headers for this principal, signed now.
    async fn signed(&self, request: reqwest::RequestBuilder) -> reqwest::RequestBuilder {
        let credentials = self
            .credentials
            .get_or_init(|| session_credentials(&self.principal))
            .await;
        let built = request
            .try_clone()
            .expect("a request with a streamed body cannot be sent by this harness")
            .build()
            .expect("a request the harness built");
        let url = built.url().clone();
        let host = match url.port() {
            Some(port) => format!("{}:{port}", url.host_str().unwrap_or_default()),
            None => url.host_str().unwrap_or_default().to_owned(),
        };
        let body = built
            .body()
            .and_then(|b| b.as_bytes())
            .unwrap_or_default()
            .to_vec();
        let mut signed_headers: Vec<(String, String)> = vec![("host".into(), host)];
        for (name, value) in built.headers() {
            if let Ok(value) = value.to_str() {
                signed_headers.push((name.as_str().to_owned(), value.to_owned()));
            }
        }
        let pairs: Vec<(&str, &str)> = signed_headers
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        let signature = edgestack_sigv4::sign(
            &edgestack_sigv4::Scope {
                credentials,
                region: &self.region,
                service: "execute-api",
                time: std::time::SystemTime::now(),
            },
            &edgestack_sigv4::Request {
                method: built.method().as_str(),
                url: url.as_str(),
                headers: &pairs,
                body: &body,
            },
        )
        .expect("a signature");
        signature
            .into_iter()
            .filter(|(name, _)| !name.eq_ignore_ascii_case("host"))
            .fold(request, |request, (name, value)| {
                request.header(name, value)
            })
    }

    /// Signs and sends `request` and reads the whole answer. A GET that gets no answer is sent
    /// again (signed again) a few times; other methods are sent once, so that no test ever
    /// repeats a write without meaning to.
    pub async fn send(&self, request: reqwest::RequestBuilder) -> Reply {
        let safe = request
            .try_clone()
            .and_then(|r| r.build().ok())
            .is_some_and(|r| r.method() == reqwest::Method::GET);
        let attempts = if safe { GET_ATTEMPTS } else { 1 };
        let mut last_error = None;
        for _ in 0..attempts {
            let attempt = match request.try_clone() {
                Some(attempt) if safe => attempt.timeout(GET_TIMEOUT),
                Some(attempt) => attempt,
                None => panic!("a request with a streamed body cannot be sent by this harness"),
            };
            match self.signed(attempt).await.send().await {
                Ok(response) => return Self::read(response).await,
                Err(e) if e.is_timeout() || e.is_connect() || e.is_request() => {
                    last_error = Some(e);
                    tokio::time::sleep(Duration::from_secs(1)).await;
                }
                Err(e) => {
                    last_error = Some(e);
                    break;
                }
            }
        }
        panic!(
            "the provisioning API at {} did not answer ({attempts} attempt(s)): {}. Is the \
             local stack up (`make up`)? Its logs are in .local/logs/.",
            self.base,
            last_error.map(|e| e.to_string()).unwrap_or_default()
        )
    }

    pub(crate) async fn read(response: reqwest::Response) -> Reply {
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        let text = response
            .text()
            .await
            .expect("the answer's body can be read");
        Reply {
            status,
            headers,
            text,
        }
    }

    pub async fn get(&self, path: &str) -> Reply {
        self.send(self.request(reqwest::Method::GET, path)).await
    }

    pub async fn delete(&self, path: &str) -> Reply {
        self.send(self.request(reqwest::Method::DELETE, path)).await
    }

    /// `POST path` with `body` as `application/json`.
    pub async fn post_json(&self, path: &str, body: &Value) -> Reply {
        self.send(self.json_request(path, body)).await
    }

    /// `POST path` with `body` as `application/json` and an `Idempotency-Key`.
    pub async fn post_json_with_key(&self, path: &str, body: &Value, key: &str) -> Reply {
        self.send(self.json_request(path, body).header("Idempotency-Key", key))
            .await
    }

    /// `POST path` with exactly these bytes and this `Content-Type` (none when `None`).
    pub async fn post_raw(
        &self,
        path: &str,
        content_type: Option<&str>,
        body: impl Into<reqwest::Body>,
    ) -> Reply {
        let mut request = self.request(reqwest::Method::POST, path).body(body);
        if let Some(content_type) = content_type {
            request = request.header(reqwest::header::CONTENT_TYPE, content_type);
        }
        self.send(request).await
    }

    fn json_request(&self, path: &str, body: &Value) -> reqwest::RequestBuilder {
        self.request(reqwest::Method::POST, path)
            .header(reqwest::header::CONTENT_TYPE, "application/json")
            .body(body.to_string())
    }

    /// `POST /stacks` that must be accepted; returns the stack.
    pub async fn create_stack(&self, body: &Value) -> Value {
        self.post_json("/stacks", body).await.expect(202)
    }

    /// Every stack `GET /stacks` lists, following `next_token` to the end, page by page.
    pub async fn list_pages(&self, query: &[(&str, &str)]) -> Vec<Vec<Value>> {
        let mut pages = Vec::new();
        let mut token: Option<String> = None;
        loop {
            let mut params: Vec<(&str, &str)> = query.to_vec();
            if let Some(token) = &token {
                params.push(("next_token", token));
            }
            let reply = self
                .send(self.request(reqwest::Method::GET, "/stacks").query(&params))
                .await;
            let page = reply.expect(200);
            let items = page["items"]
                .as_array()
                .unwrap_or_else(|| panic!("a page without an items array: {page}"))
                .clone();
            pages.push(items);
            token = match &page["next_token"] {
                Value::Null => None,
                Value::String(next) if !next.is_empty() => Some(next.clone()),
                other => panic!("next_token must be a string or null, got {other}"),
            };
            if token.is_none() {
                return pages;
            }
            assert!(
                pages.len() < 1000,
                "GET /stacks kept returning a next_token"
            );
        }
    }

    /// The ids of every stack `GET /stacks` lists with `query`, in order.
    pub async fn list_ids(&self, query: &[(&str, &str)]) -> Vec<String> {
        self.list_pages(query)
            .await
            .into_iter()
            .flatten()
            .map(|stack| stack_id(&stack))
            .collect()
    }
}

impl Default for Api {
    fn default() -> Self {
        Self::new()
    }
}

/// A stack's `id`; panics when the value is not a stack.
pub fn stack_id(stack: &Value) -> String {
    stack["id"]
        .as_str()
        .unwrap_or_else(|| panic!("not a stack (no id): {stack}"))
        .to_owned()
}

/// Checks the contract's error shape: the status, `Content-Type: application/json`, and
/// `{"error": {"code", "message", "details": [{"field", "problem"}]}}`, with `code` equal to
/// `code` when one is given. Returns the fields that `details` names, in order.
pub fn assert_error(reply: &Reply, status: u16, code: Option<&str>) -> Vec<String> {
    assert_eq!(
        reply.status, status,
        "expected HTTP {status}, got {}: {}",
        reply.status, reply.text
    );
    let content_type = reply.header("content-type").unwrap_or_default();
    assert!(
        content_type.starts_with("application/json"),
        "an error must be sent as application/json, got {content_type:?}: {}",
        reply.text
    );
    let body = reply.json();
    let obj = body.as_object().expect("an error body is an object");
    assert_eq!(
        obj.keys().collect::<Vec<_>>(),
        ["error"],
        "an error body holds `error` only: {body}"
    );
    let error = &body["error"];
    let got_code = error["code"]
        .as_str()
        .unwrap_or_else(|| panic!("error.code must be a string: {body}"));
    assert!(!got_code.is_empty(), "error.code is empty: {body}");
    if let Some(code) = code {
        assert_eq!(got_code, code, "error.code: {body}");
    }
    assert!(
        error["message"]
            .as_str()
            .is_some_and(|m| !m.trim().is_empty()),
        "error.message must be a sentence: {body}"
    );
    let details = error["details"]
        .as_array()
        .unwrap_or_else(|| panic!("error.details must be an array: {body}"));
    details
        .iter()
        .map(|detail| {
            let field = detail["field"]
                .as_str()
                .unwrap_or_else(|| panic!("each detail names a field: {body}"));
            assert!(
                detail["problem"]
                    .as_str()
                    .is_some_and(|p| !p.trim().is_empty()),
                "each detail says what the problem is: {body}"
            );
            field.to_owned()
        })
        .collect()
}

/// Calls `probe` until it returns `Some`, at most for [`PATIENCE`]; panics naming `what`.
pub async fn eventually<T, F, Fut>(what: &str, probe: F) -> T
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Option<T>>,
{
    match try_eventually(probe).await {
        Some(found) => found,
        None => panic!("gave up waiting for {what}"),
    }
}

/// [`eventually`] for a caller that says itself what went wrong: `None` after [`PATIENCE`].
pub async fn try_eventually<T, F, Fut>(probe: F) -> Option<T>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Option<T>>,
{
    try_eventually_every(POLL_EVERY, probe).await
}

/// [`try_eventually`], probing every `interval` (for a state that lasts only a moment).
pub async fn try_eventually_every<T, F, Fut>(interval: Duration, mut probe: F) -> Option<T>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Option<T>>,
{
    let attempts = PATIENCE.as_millis() / interval.as_millis().max(1);
    for _ in 0..attempts {
        if let Some(found) = probe().await {
            return Some(found);
        }
        tokio::time::sleep(interval).await;
    }
    None
}
