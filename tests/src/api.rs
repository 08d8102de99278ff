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

/// The provisioning API as one principal sees it.
#[derive(Debug, Clone)]
pub struct Api {
    http: reqwest::Client,
    base: String,
    /// Who calls, as the request context names it (a session of a role).
    pub principal: String,
    /// Who owns what it creates: [`owner_of`] the principal.
    pub owner: String,
}

impl Api {
    /// A client acting as a principal of its own.
    pub fn new() -> Self {
        Self::as_principal(&random_principal())
    }

    pub fn as_principal(principal: &str) -> Self {
        let http = reqwest::Client::builder()
            // A function may be rebuilding after a source change: wait for it.
            .timeout(Duration::from_secs(300))
            .connect_timeout(Duration::from_secs(10))
            .build()
            .expect("an HTTP client builds");
        Self {
            http,
            base: LocalEnv::get().stacks_api_url.clone(),
            principal: principal.to_owned(),
            owner: owner_of(principal),
        }
    }

    /// A request to `path` (relative to `STACKS_API_URL`, e.g. `/stacks`) as this principal.
    pub fn request(&self, method: reqwest::Method, path: &str) -> reqwest::RequestBuilder {
        self.http
            .request(method, format!("{}{path}", self.base))
            .header("X-Edgestack-Principal", &self.principal)
    }

    /// Sends `request` and reads the whole answer. A GET that gets no answer is sent again a
    /// few times: `cargo lambda watch` restarts the functions when files in the repository
    /// change, and an invocation in flight at that moment is never answered. Other methods are
    /// sent once, so that no test ever repeats a write without meaning to.
    pub async fn send(&self, request: reqwest::RequestBuilder) -> Reply {
        let safe = request
            .try_clone()
            .and_then(|r| r.build().ok())
            .is_some_and(|r| r.method() == reqwest::Method::GET);
        let attempts = if safe { GET_ATTEMPTS } else { 1 };
        let mut last_error = None;
        let mut last_reply = None;
        for _ in 0..attempts {
            let attempt = match request.try_clone() {
                Some(attempt) if safe => attempt.timeout(GET_TIMEOUT),
                Some(attempt) => attempt,
                None => panic!("a request with a streamed body cannot be sent by this harness"),
            };
            match attempt.send().await {
                Ok(response) => {
                    let reply = Self::read(response).await;
                    // cargo-lambda's function URL now and then answers a request under load
                    // with a 500 problem document of its own instead of invoking the function
                    // (which only ever answers in api.md's error shape). A GET is asked again;
                    // a 500 that persists (a panic in the function comes back the same way)
                    // is returned as it is.
                    if safe && reply.status == 500 && reply.text.contains(EMULATOR_500) {
                        tokio::time::sleep(Duration::from_secs(1)).await;
                        last_reply = Some(reply);
                        continue;
                    }
                    return reply;
                }
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
        if let Some(reply) = last_reply {
            return reply;
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
