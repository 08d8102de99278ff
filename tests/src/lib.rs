//! The harness of the end-to-end tests: they drive the local stack (`make up`) from outside,
//! through the provisioning API's HTTP interface and the emulated AWS account, exactly as a
//! caller and an operator would.
//!
//! - [`LocalEnv`]: the endpoints `local/up.sh` wrote to `.local/env`. A missing file is a loud
//!   failure, never a skipped test.
//! - [`Api`]: an HTTP client for `STACKS_API_URL` acting as one principal
//!   (`X-Edgestack-Principal`); [`random_principal`] gives every test its own, so that tests
//!   running in parallel never see each other's stacks.
//! - [`Aws`]: SDK clients for the emulated account, with helpers to look at the stacks table
//!   and the state machines' executions, and [`Aws::create_regional_rest_api`] to create what
//!   a stack fronts.
//! - [`assert_error`]: the one error shape of the contract.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::future::Future;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;
use std::time::Duration;

use aws_config::{BehaviorVersion, Region, SdkConfig};
use aws_sdk_dynamodb::types::AttributeValue;
use rand::distr::{Alphanumeric, SampleString};
use serde_json::Value;

/// The account moto emulates; `local/up.sh` names its ARNs in it.
pub const ACCOUNT: &str = "123456789012";
/// Where the tests create the Regional REST APIs that stacks front, as a team would.
pub const API_REGION: &str = "eu-west-1";
/// How long an asynchronous outcome is awaited before a test gives up. Generous on purpose:
/// the local stack may be rebuilding a function; this is a bound, never an assertion.
pub const PATIENCE: Duration = Duration::from_secs(180);
const POLL_EVERY: Duration = Duration::from_millis(500);
/// A GET unanswered for this long is sent again, at most [`GET_ATTEMPTS`] times in all
/// (long enough for `cargo lambda watch` to rebuild a function after a source change).
const GET_TIMEOUT: Duration = Duration::from_secs(90);
const GET_ATTEMPTS: usize = 4;

/// The endpoints and settings of the running local stack, read from `.local/env`.
#[derive(Debug, Clone)]
pub struct LocalEnv {
    pub stacks_api_url: String,
    pub aws_endpoint_url: String,
    pub region: String,
    pub access_key_id: String,
    pub secret_access_key: String,
    pub table: String,
    pub provision_state_machine_arn: String,
    pub teardown_state_machine_arn: String,
}

/// The repository's root: the parent of this crate.
pub fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("tests/ has a parent directory")
        .to_path_buf()
}

/// `KEY=VALUE` lines as a shell would source them: blank lines, comments, an `export ` prefix
/// and quotes around the value are allowed.
pub fn parse_env_file(text: &str) -> BTreeMap<String, String> {
    text.lines()
        .map(str::trim)
        .filter(|line| !line.is_empty() && !line.starts_with('#'))
        .filter_map(|line| {
            let line = line.strip_prefix("export ").unwrap_or(line);
            let (key, value) = line.split_once('=')?;
            let value = value.trim();
            let value = value
                .strip_prefix('"')
                .and_then(|v| v.strip_suffix('"'))
                .or_else(|| value.strip_prefix('\'').and_then(|v| v.strip_suffix('\'')))
                .unwrap_or(value);
            Some((key.trim().to_owned(), value.to_owned()))
        })
        .collect()
}

impl LocalEnv {
    /// The local stack's settings, read once per test binary. Panics, saying what to do, when
    /// the local stack is not up.
    pub fn get() -> &'static LocalEnv {
        static ENV: OnceLock<LocalEnv> = OnceLock::new();
        ENV.get_or_init(|| Self::load(&repo_root().join(".local/env")))
    }

    pub fn load(path: &Path) -> LocalEnv {
        let text = std::fs::read_to_string(path).unwrap_or_else(|e| {
            panic!(
                "\n\nThe end-to-end tests need the local stack, and {} cannot be read ({e}).\n\
                 Start the local stack with `make up` (stop it with `make down`), or run every \
                 test with `make test`, which starts and stops it.\n",
                path.display()
            )
        });
        let vars = parse_env_file(&text);
        let required = |key: &str| -> String {
            match vars.get(key) {
                Some(value) if !value.is_empty() => value.clone(),
                _ => panic!(
                    "{} has no {key}: it was not written by this version of local/up.sh. \
                     Restart the local stack: `make down && make up`.",
                    path.display()
                ),
            }
        };
        let region = required("AWS_REGION");
        let state_machine = |key: &str, name: &str| {
            vars.get(key)
                .cloned()
                .unwrap_or_else(|| format!("arn:aws:states:{region}:{ACCOUNT}:stateMachine:{name}"))
        };
        LocalEnv {
            stacks_api_url: required("STACKS_API_URL").trim_end_matches('/').to_owned(),
            aws_endpoint_url: required("AWS_ENDPOINT_URL"),
            access_key_id: required("AWS_ACCESS_KEY_ID"),
            secret_access_key: required("AWS_SECRET_ACCESS_KEY"),
            table: vars
                .get("STACKS_TABLE")
                .cloned()
                .unwrap_or_else(|| "edgestack-stacks".to_owned()),
            provision_state_machine_arn: state_machine(
                "PROVISION_STATE_MACHINE_ARN",
                "edgestack-provision",
            ),
            teardown_state_machine_arn: state_machine(
                "TEARDOWN_STATE_MACHINE_ARN",
                "edgestack-teardown",
            ),
            region,
        }
    }

    /// The provisioning execution of a stack: executions are named after their stack's id.
    pub fn provision_execution_arn(&self, stack_id: &str) -> String {
        format!(
            "{}:{stack_id}",
            self.provision_state_machine_arn
                .replacen(":stateMachine:", ":execution:", 1)
        )
    }
}

/// A principal no other test uses: `arn:aws:iam::123456789012:role/test-<random>`.
pub fn random_principal() -> String {
    format!("arn:aws:iam::{ACCOUNT}:role/test-{}", random_suffix())
}

/// Twelve random lower-case letters and digits, for names that must not collide.
pub fn random_suffix() -> String {
    Alphanumeric
        .sample_string(&mut rand::rng(), 12)
        .to_ascii_lowercase()
}

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
    pub principal: String,
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
        for _ in 0..attempts {
            let attempt = match request.try_clone() {
                Some(attempt) if safe => attempt.timeout(GET_TIMEOUT),
                Some(attempt) => attempt,
                None => panic!("a request with a streamed body cannot be sent by this harness"),
            };
            match attempt.send().await {
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

    async fn read(response: reqwest::Response) -> Reply {
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
pub async fn eventually<T, F, Fut>(what: &str, mut probe: F) -> T
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Option<T>>,
{
    let attempts = PATIENCE.as_millis() / POLL_EVERY.as_millis();
    for _ in 0..attempts {
        if let Some(found) = probe().await {
            return found;
        }
        tokio::time::sleep(POLL_EVERY).await;
    }
    panic!("gave up waiting for {what}")
}

/// SDK clients for the emulated AWS account, in the local stack's region unless named.
#[derive(Debug, Clone)]
pub struct Aws {
    pub config: SdkConfig,
    pub dynamodb: aws_sdk_dynamodb::Client,
    pub sfn: aws_sdk_sfn::Client,
    pub apigateway: aws_sdk_apigateway::Client,
    pub route53: aws_sdk_route53::Client,
    pub acm: aws_sdk_acm::Client,
    pub cloudfront: aws_sdk_cloudfront::Client,
    env: &'static LocalEnv,
}

impl Aws {
    pub async fn new() -> Self {
        let env = LocalEnv::get();
        let credentials = aws_sdk_dynamodb::config::Credentials::new(
            &env.access_key_id,
            &env.secret_access_key,
            None,
            None,
            "edgestack-tests",
        );
        // Everything explicit: nothing from the caller's shell or ~/.aws reaches the tests, so
        // they can never touch a real account.
        let config = aws_config::defaults(BehaviorVersion::latest())
            .endpoint_url(&env.aws_endpoint_url)
            .region(Region::new(env.region.clone()))
            .credentials_provider(credentials)
            .load()
            .await;
        Self {
            dynamodb: aws_sdk_dynamodb::Client::new(&config),
            sfn: aws_sdk_sfn::Client::new(&config),
            apigateway: aws_sdk_apigateway::Client::new(&config),
            route53: aws_sdk_route53::Client::new(&config),
            acm: aws_sdk_acm::Client::new(&config),
            cloudfront: aws_sdk_cloudfront::Client::new(&config),
            config,
            env,
        }
    }

    /// The same configuration in another region.
    pub fn config_in(&self, region: &str) -> SdkConfig {
        self.config
            .to_builder()
            .region(Region::new(region.to_owned()))
            .build()
    }

    /// API Gateway in `region`: moto keeps each region's APIs apart, as AWS does.
    pub fn apigateway_in(&self, region: &str) -> aws_sdk_apigateway::Client {
        aws_sdk_apigateway::Client::new(&self.config_in(region))
    }

    pub fn acm_in(&self, region: &str) -> aws_sdk_acm::Client {
        aws_sdk_acm::Client::new(&self.config_in(region))
    }

    pub fn env(&self) -> &'static LocalEnv {
        self.env
    }

    /// What a stack's prerequisites ask for: a REGIONAL REST API in [`API_REGION`] with a
    /// `GET /greetings` answered by a MOCK integration, deployed to the stage `prod`.
    /// Returns the API's id.
    pub async fn create_regional_rest_api(&self, name: &str) -> String {
        use aws_sdk_apigateway::types::{EndpointConfiguration, EndpointType, IntegrationType};

        let apigw = self.apigateway_in(API_REGION);
        let api = apigw
            .create_rest_api()
            .name(name)
            .endpoint_configuration(
                EndpointConfiguration::builder()
                    .types(EndpointType::Regional)
                    .build(),
            )
            .send()
            .await
            .expect("CreateRestApi");
        let api_id = api.id().expect("a new REST API has an id").to_owned();
        let resources = apigw
            .get_resources()
            .rest_api_id(&api_id)
            .send()
            .await
            .expect("GetResources");
        let root = resources
            .items()
            .iter()
            .find(|r| r.path() == Some("/"))
            .and_then(|r| r.id())
            .expect("a new REST API has a root resource")
            .to_owned();
        let greetings = apigw
            .create_resource()
            .rest_api_id(&api_id)
            .parent_id(root)
            .path_part("greetings")
            .send()
            .await
            .expect("CreateResource /greetings");
        let resource_id = greetings.id().expect("a new resource has an id").to_owned();
        apigw
            .put_method()
            .rest_api_id(&api_id)
            .resource_id(&resource_id)
            .http_method("GET")
            .authorization_type("NONE")
            .send()
            .await
            .expect("PutMethod GET /greetings");
        apigw
            .put_integration()
            .rest_api_id(&api_id)
            .resource_id(&resource_id)
            .http_method("GET")
            .r#type(IntegrationType::Mock)
            .request_templates("application/json", r#"{"statusCode": 200}"#)
            .send()
            .await
            .expect("PutIntegration MOCK");
        apigw
            .put_method_response()
            .rest_api_id(&api_id)
            .resource_id(&resource_id)
            .http_method("GET")
            .status_code("200")
            .send()
            .await
            .expect("PutMethodResponse 200");
        apigw
            .put_integration_response()
            .rest_api_id(&api_id)
            .resource_id(&resource_id)
            .http_method("GET")
            .status_code("200")
            .response_templates("application/json", r#"{"message": "hello"}"#)
            .send()
            .await
            .expect("PutIntegrationResponse 200");
        apigw
            .create_deployment()
            .rest_api_id(&api_id)
            .stage_name("prod")
            .send()
            .await
            .expect("CreateDeployment to stage prod");
        api_id
    }

    /// The stack's item in the stacks table (`pk` = `STACK#<id>`), read consistently.
    pub async fn stack_item(&self, stack_id: &str) -> Option<HashMap<String, AttributeValue>> {
        self.dynamodb
            .get_item()
            .table_name(&self.env.table)
            .key("pk", AttributeValue::S(format!("STACK#{stack_id}")))
            .consistent_read(true)
            .send()
            .await
            .expect("GetItem on the stacks table")
            .item
    }

    /// Every item of the stacks table that belongs to `principal`: its stacks (attribute
    /// `owner`) and the idempotency keys it used (`pk` = `IDEMPOTENCY#<principal>#...`).
    pub async fn items_of(&self, principal: &str) -> Vec<HashMap<String, AttributeValue>> {
        let pages: Vec<_> = self
            .dynamodb
            .scan()
            .table_name(&self.env.table)
            .consistent_read(true)
            .filter_expression("#o = :o OR begins_with(pk, :idem)")
            .expression_attribute_names("#o", "owner")
            .expression_attribute_values(":o", AttributeValue::S(principal.to_owned()))
            .expression_attribute_values(
                ":idem",
                AttributeValue::S(format!("IDEMPOTENCY#{principal}#")),
            )
            .into_paginator()
            .items()
            .send()
            .collect()
            .await;
        pages
            .into_iter()
            .collect::<Result<_, _>>()
            .expect("Scan of the stacks table")
    }

    /// The ids of `principal`'s stack items in the table (idempotency items left out).
    pub async fn stack_ids_of(&self, principal: &str) -> HashSet<String> {
        self.items_of(principal)
            .await
            .iter()
            .filter_map(|item| item.get("pk")?.as_s().ok()?.strip_prefix("STACK#"))
            .map(str::to_owned)
            .collect()
    }

    /// The names of every execution of the provisioning and teardown state machines.
    pub async fn execution_names(&self) -> HashSet<String> {
        let mut names = HashSet::new();
        for arn in [
            &self.env.provision_state_machine_arn,
            &self.env.teardown_state_machine_arn,
        ] {
            names.extend(self.executions_of(arn).await);
        }
        names
    }

    /// The names of every execution of the provisioning state machine.
    pub async fn provision_execution_names(&self) -> Vec<String> {
        self.executions_of(&self.env.provision_state_machine_arn)
            .await
    }

    async fn executions_of(&self, state_machine_arn: &str) -> Vec<String> {
        let pages: Vec<_> = self
            .sfn
            .list_executions()
            .state_machine_arn(state_machine_arn)
            .into_paginator()
            .items()
            .send()
            .collect()
            .await;
        pages
            .into_iter()
            .map(|e| e.expect("ListExecutions").name().to_owned())
            .collect()
    }

    /// Asserts that `principal` has nothing in the table and that no execution started since
    /// `before` (from [`Aws::execution_names`]) belongs to it. Executions are named after
    /// their stack (`<stack id>`, `<stack id>-teardown-<attempt>`) and a stack item is stored
    /// before its execution starts, so every execution other tests started meanwhile names a
    /// stack item of another owner.
    pub async fn assert_nothing_created(&self, principal: &str, before: &HashSet<String>) {
        let items = self.items_of(principal).await;
        assert!(
            items.is_empty(),
            "a refused request left {} item(s) in the table for {principal}: {items:?}",
            items.len()
        );
        for name in self.execution_names().await.difference(before) {
            // Stack ids hold no '-': what precedes the first one is the stack's id.
            let stack_id = name.split('-').next().unwrap_or(name);
            let owner = self
                .stack_item(stack_id)
                .await
                .and_then(|item| item.get("owner")?.as_s().ok().cloned());
            match owner {
                Some(owner) => assert_ne!(
                    owner, principal,
                    "a refused request started the execution {name}"
                ),
                None => panic!("execution {name} started, for no stored stack"),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn env_files_parse_as_a_shell_would_source_them() {
        let vars = parse_env_file(
            "# comment\n\nSTACKS_API_URL=http://127.0.0.1:1/lambda-url/api\n\
             export AWS_REGION=\"us-east-1\"\nAWS_ACCESS_KEY_ID='testing'\n",
        );
        assert_eq!(vars["STACKS_API_URL"], "http://127.0.0.1:1/lambda-url/api");
        assert_eq!(vars["AWS_REGION"], "us-east-1");
        assert_eq!(vars["AWS_ACCESS_KEY_ID"], "testing");
        assert_eq!(vars.len(), 3);
    }

    #[test]
    fn principals_are_iam_role_arns_and_differ() {
        let (a, b) = (random_principal(), random_principal());
        assert!(a.starts_with("arn:aws:iam::123456789012:role/test-"), "{a}");
        assert_ne!(a, b);
    }
}
