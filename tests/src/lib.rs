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
//! - The workflow end to end: a [`Team`] (its own principal, REST API and hosted zone) asks for
//!   stacks of each [`Shape`], an [`Api::watch`] records every state a stack was seen in while
//!   it is waited for, [`assert_ready_as_recipe_says`] reads back from the emulated account,
//!   field by field, what `recipe.md` prescribes, and [`Aws::footprint`] finds everything in
//!   the account that belongs to a stack (to show that a rollback or a teardown left nothing).
//!   [`invoke_function`] runs one step's Lambda directly, as a Task state would. The account
//!   is the strict one (`local/strict/`): it keeps AWS's waits (certificates, deployments,
//!   Route 53 propagation) at the time scale `local/up.sh` started it with.

pub mod account;
pub mod edge;

pub use account::StrictAccount;

use std::cell::RefCell;
use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
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
    pub secrets_table: String,
    pub provision_state_machine_arn: String,
    pub teardown_state_machine_arn: String,
    /// moto's own `/moto-api/` knobs, through the strict account.
    pub moto_url: String,
    /// cargo-lambda's Lambda Invoke API: `POST {url}/2015-03-31/functions/{name}/invocations`.
    pub lambda_invoke_url: String,
    /// CloudFront's and API Gateway's data plane (`local/strict/dataplane.py`).
    pub edge_url: String,
    /// The cache policy every `auth: iam` stack shares, which `local/up.sh` created as a
    /// deployment creates its own (`IAM_CACHE_POLICY_ID`).
    pub iam_cache_policy_id: String,
}

/// The repository's root: the parent of this crate.
pub fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("tests/ has a parent directory")
        .to_path_buf()
}

/// `KEY=VALUE` lines as a shell would source them (comments, an `export ` prefix, quotes), read
/// by `dotenvy`; a line it cannot read is left out.
pub fn parse_env_file(text: &str) -> BTreeMap<String, String> {
    dotenvy::from_read_iter(text.as_bytes())
        .filter_map(Result::ok)
        .collect()
}

impl LocalEnv {
    /// The local stack's settings, read once per test binary. Panics, saying what to do, when
    /// the local stack is not up.
    pub fn get() -> &'static LocalEnv {
        static ENV: OnceLock<LocalEnv> = OnceLock::new();
        ENV.get_or_init(|| {
            // Another checkout's local stack may be named explicitly.
            let path = std::env::var_os("EDGESTACK_ENV_FILE")
                .map(PathBuf::from)
                .unwrap_or_else(|| repo_root().join(".local/env"));
            Self::load(&path)
        })
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
            moto_url: required("MOTO_URL").trim_end_matches('/').to_owned(),
            lambda_invoke_url: required("LAMBDA_INVOKE_URL")
                .trim_end_matches('/')
                .to_owned(),
            edge_url: required("EDGE_URL").trim_end_matches('/').to_owned(),
            iam_cache_policy_id: required("IAM_CACHE_POLICY_ID"),
            aws_endpoint_url: required("AWS_ENDPOINT_URL"),
            access_key_id: required("AWS_ACCESS_KEY_ID"),
            secret_access_key: required("AWS_SECRET_ACCESS_KEY"),
            table: vars
                .get("STACKS_TABLE")
                .cloned()
                .unwrap_or_else(|| "edgestack-stacks".to_owned()),
            secrets_table: vars
                .get("SECRETS_TABLE")
                .cloned()
                .unwrap_or_else(|| "edgestack-secrets".to_owned()),
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

/// A principal no other test uses: a session of `arn:aws:iam::123456789012:role/test-<random>`.
pub fn random_principal() -> String {
    assumed_role(&format!("test-{}", random_suffix()))
}

/// The owner a caller acts for, as api.md says: an assumed role's session acts for the role
/// (`arn:aws:sts::A:assumed-role/ROLE/SESSION` -> `arn:aws:iam::A:role/ROLE`); any other caller
/// for itself. Written here again, apart from the code under test, as the contract states it.
pub fn owner_of(principal: &str) -> String {
    let parts: Vec<&str> = principal.splitn(6, ':').collect();
    if let ["arn", partition, "sts", "", account, resource] = parts.as_slice() {
        if let Some((role, _session)) = resource
            .strip_prefix("assumed-role/")
            .and_then(|r| r.split_once('/'))
        {
            return format!("arn:{partition}:iam::{account}:role/{role}");
        }
    }
    principal.to_owned()
}

/// A session of `role`, as API Gateway names the caller in the request context when it signed
/// with the role's temporary credentials: the session name changes per login, per CI run.
pub fn assumed_role(role: &str) -> String {
    format!(
        "arn:aws:sts::{ACCOUNT}:assumed-role/{role}/session-{}",
        random_suffix()
    )
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
    /// `GET /greetings` (open) and `GET /private` (`AWS_IAM`), answered by MOCK integrations,
    /// deployed to the stage `prod`.
    /// Returns the API's id.
    pub async fn create_regional_rest_api(&self, name: &str) -> String {
        self.create_team_api(name, None).await
    }

    /// The REST API whose id the signing roles' grants name ([`SIGNED_API_ID`]): found, or
    /// created with that id.
    pub async fn signed_api(&self) -> String {
        let apigw = self.apigateway_in(API_REGION);
        let found = retry_throttled("GetRestApi", || {
            let call = apigw.get_rest_api().rest_api_id(SIGNED_API_ID).send();
            async {
                match call.await {
                    Ok(_) => Ok(true),
                    Err(e)
                        if e.as_service_error()
                            .is_some_and(|e| e.is_not_found_exception()) =>
                    {
                        Ok(false)
                    }
                    Err(e) => Err(e),
                }
            }
        })
        .await;
        if found {
            return SIGNED_API_ID.to_owned();
        }
        let id = self
            .create_team_api("greetings-signed", Some(SIGNED_API_ID))
            .await;
        assert_eq!(id, SIGNED_API_ID, "the emulator took the id from the tag");
        id
    }

    /// A Regional REST API with `/greetings` (open) and `/private` (`AWS_IAM`) deployed to
    /// stage `prod`; with `id`, the emulator gives it that id (moto's `_custom_id_` tag: in AWS
    /// an API's id is never chosen, and the operator writes it into the policy instead).
    async fn create_team_api(&self, name: &str, id: Option<&str>) -> String {
        use aws_sdk_apigateway::types::{EndpointConfiguration, EndpointType};

        let apigw = self.apigateway_in(API_REGION);
        let api = retry_throttled("CreateRestApi", || {
            apigw
                .create_rest_api()
                .name(name)
                .set_tags(id.map(|id| HashMap::from([("_custom_id_".to_owned(), id.to_owned())])))
                .endpoint_configuration(
                    EndpointConfiguration::builder()
                        .types(EndpointType::Regional)
                        .build(),
                )
                .send()
        })
        .await;
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
        for (path, authorization, body) in [
            ("greetings", "NONE", GREETINGS_BODY),
            ("private", "AWS_IAM", PRIVATE_BODY),
        ] {
            mock_get(&apigw, &api_id, &root, path, authorization, body).await;
        }
        retry_throttled("CreateDeployment to stage prod", || {
            apigw
                .create_deployment()
                .rest_api_id(&api_id)
                .stage_name("prod")
                .send()
        })
        .await;
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
    /// `owner`) and the idempotency keys it used (`pk` = `IDEMPOTENCY#<n>:<principal>#...`,
    /// `n` the principal's length).
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
                AttributeValue::S(format!("IDEMPOTENCY#{}:{principal}#", principal.len())),
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

// ---------------------------------------------------------------------------------------------
// The workflow end to end: teams, shapes of stacks, watching a stack, reading the account back.
// ---------------------------------------------------------------------------------------------

/// The provisioning steps of `recipe.md` as a stack records them, in order.
pub const PROVISION_STEPS: [&str; 9] = [
    "validate",
    "request_certificates",
    "await_certificate_validation",
    "create_custom_domain",
    "create_distribution",
    "await_distribution_deployment",
    "create_dns_records",
    "smoke_test",
    "mark_ready",
];
/// The steps only a stack with a custom domain has.
pub const CUSTOM_DOMAIN_STEPS: [&str; 4] = [
    "request_certificates",
    "await_certificate_validation",
    "create_custom_domain",
    "create_dns_records",
];
/// Each provisioning step and the Lambda function (binary) that runs it.
pub const STEP_FUNCTIONS: [(&str, &str); 9] = [
    ("validate", "validate-request"),
    ("request_certificates", "request-certificates"),
    ("await_certificate_validation", "check-certificates"),
    ("create_custom_domain", "create-custom-domain"),
    ("create_distribution", "create-distribution"),
    ("await_distribution_deployment", "check-distribution"),
    ("create_dns_records", "create-dns-records"),
    ("smoke_test", "smoke-test"),
    ("mark_ready", "mark-ready"),
];
/// The teardown's steps, in the safe order of `recipe.md`.
pub const TEARDOWN_STEPS: [&str; 6] = [
    "delete_dns_records",
    "disable_distribution",
    "delete_distribution",
    "delete_custom_domain",
    "delete_certificates",
    "finish_teardown",
];
/// The phases of provisioning, in the recipe's order (`api.md`), with the first and last.
pub const PROVISION_PHASES: [&str; 10] = [
    "ACCEPTED",
    "VALIDATING",
    "REQUESTING_CERTIFICATES",
    "AWAITING_CERTIFICATE_VALIDATION",
    "CREATING_CUSTOM_DOMAIN",
    "CREATING_DISTRIBUTION",
    "AWAITING_DISTRIBUTION_DEPLOYMENT",
    "CREATING_DNS_RECORDS",
    "SMOKE_TESTING",
    "COMPLETE",
];

/// CloudFront's managed `CachingDisabled` cache policy.
pub const CACHING_DISABLED_POLICY: &str = "4135ea2d-6df8-44a3-9df3-4b5a84be39ad";
/// CloudFront's managed `AllViewerExceptHostHeader` origin request policy.
pub const ALL_VIEWER_EXCEPT_HOST_POLICY: &str = "b689b0a8-53d0-40ab-baf2-68738e2966ac";
/// CloudFront's managed `AllViewer` origin request policy.
pub const ALL_VIEWER_POLICY: &str = "216adef6-5c7f-47e4-b989-5492eafa07d3";
/// The hosted zone id of every CloudFront distribution, for alias records.
pub const CLOUDFRONT_ZONE_ID: &str = "Z2FDTNDATAQYW2";
/// The tag edgestack puts on every resource it creates.
pub const STACK_ID_TAG: &str = "edgestack:stack-id";
/// What cargo-lambda's function URL answers when it fails itself, not the function.
const EMULATOR_500: &str = "\"type\":\"https://httpstatuses.com/500\"";
/// CloudFront (and its certificates) live here.
pub const CLOUDFRONT_REGION: &str = "us-east-1";
/// What the team API's `GET /greetings` (open to anyone) answers.
pub const GREETINGS_BODY: &str = r#"{"message": "hello"}"#;
/// What the team API's `GET /private` (`AWS_IAM`: SigV4-signed callers only) answers.
pub const PRIVATE_BODY: &str = r#"{"message": "hello, signed caller"}"#;

/// `GET /{path}` under `root`, with `authorization` (`NONE`, `AWS_IAM`), answered by a MOCK
/// integration with `body`.
async fn mock_get(
    apigw: &aws_sdk_apigateway::Client,
    api_id: &str,
    root: &str,
    path: &str,
    authorization: &str,
    body: &str,
) {
    use aws_sdk_apigateway::types::IntegrationType;
    let resource = apigw
        .create_resource()
        .rest_api_id(api_id)
        .parent_id(root)
        .path_part(path)
        .send()
        .await
        .unwrap_or_else(|e| panic!("CreateResource /{path}: {e:?}"));
    let resource_id = resource.id().expect("a new resource has an id").to_owned();
    apigw
        .put_method()
        .rest_api_id(api_id)
        .resource_id(&resource_id)
        .http_method("GET")
        .authorization_type(authorization)
        .send()
        .await
        .unwrap_or_else(|e| panic!("PutMethod GET /{path}: {e:?}"));
    apigw
        .put_integration()
        .rest_api_id(api_id)
        .resource_id(&resource_id)
        .http_method("GET")
        .r#type(IntegrationType::Mock)
        .request_templates("application/json", r#"{"statusCode": 200}"#)
        .send()
        .await
        .unwrap_or_else(|e| panic!("PutIntegration MOCK /{path}: {e:?}"));
    apigw
        .put_method_response()
        .rest_api_id(api_id)
        .resource_id(&resource_id)
        .http_method("GET")
        .status_code("200")
        .send()
        .await
        .unwrap_or_else(|e| panic!("PutMethodResponse /{path}: {e:?}"));
    apigw
        .put_integration_response()
        .rest_api_id(api_id)
        .resource_id(&resource_id)
        .http_method("GET")
        .status_code("200")
        .response_templates("application/json", body)
        .send()
        .await
        .unwrap_or_else(|e| panic!("PutIntegrationResponse /{path}: {e:?}"));
}

/// The comment of a hosted zone that stands for an owner's DNS outside edgestack (another
/// provider): the strict account's ACM sees a validation record there as resolving, and the
/// footprint checks do not count what the owner wrote in it.
pub const OUTSIDE_DNS_COMMENT: &str = "the owner's own DNS, outside edgestack";

/// The shapes of stack in `recipe.md`, as the tests ask for them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shape {
    /// No custom domain, `auth: none`, the stage as origin path, `TLSv1.1` and up, `PriceClass_100`.
    Plain,
    /// No custom domain, `auth: iam`, no origin path (clients put the stage in the URL),
    /// `TLSv1` and up, `PriceClass_200`.
    Iam,
    /// A custom domain in a hosted zone edgestack writes to, `auth: none`, the defaults.
    CustomDomain,
    /// A custom domain whose DNS is elsewhere (no `hosted_zone_id`), `auth: iam`.
    OutsideDns,
}

impl Shape {
    pub fn has_custom_domain(self) -> bool {
        matches!(self, Shape::CustomDomain | Shape::OutsideDns)
    }
}

/// A hosted zone a test created for itself.
#[derive(Debug, Clone)]
pub struct Zone {
    /// The bare id (`Z...`), as a stack request names it.
    pub id: String,
    /// The zone's name, without the trailing dot.
    pub name: String,
}

/// A stack request and the secret it carries in `origin_headers`.
#[derive(Debug, Clone)]
pub struct StackSpec {
    pub body: Value,
    pub secret: String,
}

impl StackSpec {
    /// The same request with one more tag.
    pub fn with_tag(mut self, key: &str, value: &str) -> Self {
        self.body["tags"][key] = Value::String(value.to_owned());
        self
    }

    pub fn custom_domain_name(&self) -> Option<String> {
        self.body["custom_domain"]["name"]
            .as_str()
            .map(str::to_owned)
    }

    pub fn managed_dns(&self) -> bool {
        self.body["custom_domain"]["hosted_zone_id"].is_string()
    }

    /// The tags every resource of stack `id` must carry: the request's and edgestack's own.
    pub fn resource_tags(&self, id: &str) -> BTreeMap<String, String> {
        let mut tags: BTreeMap<String, String> = self.body["tags"]
            .as_object()
            .map(|tags| {
                tags.iter()
                    .map(|(k, v)| (k.clone(), v.as_str().unwrap_or_default().to_owned()))
                    .collect()
            })
            .unwrap_or_default();
        tags.insert(STACK_ID_TAG.to_owned(), id.to_owned());
        tags
    }
}

/// The id of the REST API that local/permissions.json names explicitly in the grants of the
/// signing roles ([`signing_principal`]): the smoke test signs only for an API the owner's
/// grant names, never through `"*"`.
pub const SIGNED_API_ID: &str = "signedapi1";

/// How many signing roles local/permissions.json grants (`edgestack-tests-signer-0` onwards).
const SIGNING_ROLES: usize = 12;

/// A session of a signing role no other team of this test process uses: its grant names
/// [`SIGNED_API_ID`] (local/permissions.json).
pub fn signing_principal() -> String {
    static NEXT: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    assert!(
        n < SIGNING_ROLES,
        "local/permissions.json grants {SIGNING_ROLES} signing roles; add more"
    );
    assumed_role(&format!("edgestack-tests-signer-{n}"))
}

/// One team as a test plays it: a principal of its own, a Regional REST API of its own and a
/// hosted zone of its own (`t<random>.example.com`), whose name `api.<zone>` nobody else uses.
pub struct Team {
    pub api: Api,
    pub aws: Aws,
    pub api_id: String,
    pub zone: Zone,
    /// Whether the team's grant names its API, so that the smoke test signs for it.
    pub named_in_grant: bool,
}

impl Team {
    /// A team whose grant allows any API through the default `"*"`: for `auth: iam` the smoke
    /// test does not sign.
    pub async fn new() -> Self {
        let aws = Aws::new().await;
        let suffix = random_suffix();
        let api_id = aws
            .create_regional_rest_api(&format!("greetings-{suffix}"))
            .await;
        Self::with(aws, api_id, Api::new(), false).await
    }

    /// A team whose grant names its API ([`SIGNED_API_ID`], shared by these teams): for
    /// `auth: iam` the smoke test signs.
    pub async fn signing() -> Self {
        // One creation per test process: tests start at once.
        static SIGNED_API: tokio::sync::OnceCell<String> = tokio::sync::OnceCell::const_new();
        let aws = Aws::new().await;
        let api_id = SIGNED_API.get_or_init(|| aws.signed_api()).await.clone();
        Self::with(aws, api_id, Api::as_principal(&signing_principal()), true).await
    }

    async fn with(aws: Aws, api_id: String, api: Api, named_in_grant: bool) -> Self {
        let zone = aws
            .create_zone(&format!("t{}.example.com", random_suffix()))
            .await;
        Self {
            api,
            aws,
            api_id,
            zone,
            named_in_grant,
        }
    }

    /// The custom domain name of this team's stacks.
    pub fn domain(&self) -> String {
        format!("api.{}", self.zone.name)
    }

    /// A request of `shape` for this team's API, with a fresh secret origin header and tags.
    pub fn request(&self, shape: Shape) -> StackSpec {
        let secret = format!("s3cret-{}", random_suffix());
        let mut body = serde_json::json!({
            "api_id": self.api_id,
            "region": API_REGION,
            "stage": "prod",
            "origin_headers": { "X-Origin-Verify": secret },
            "smoke_test_path": "/greetings",
            "tags": { "team": "payments", "cost-center": "cc-42" },
        });
        match shape {
            Shape::Plain => {
                body["auth"] = "none".into();
                body["origin_path"] = true.into();
                body["min_origin_tls"] = "TLSv1.1".into();
                body["price_class"] = "PriceClass_100".into();
            }
            Shape::Iam => {
                body["auth"] = "iam".into();
                body["origin_path"] = false.into();
                // Without an origin path, clients put the stage in the URL. The smoke test
                // calls the IAM-protected resource: its signature must be right.
                body["smoke_test_path"] = "/prod/private".into();
                body["min_origin_tls"] = "TLSv1".into();
                body["price_class"] = "PriceClass_200".into();
            }
            Shape::CustomDomain => {
                body["custom_domain"] =
                    serde_json::json!({ "name": self.domain(), "hosted_zone_id": self.zone.id });
            }
            Shape::OutsideDns => {
                body["auth"] = "iam".into();
                body["smoke_test_path"] = "/private".into();
                body["custom_domain"] = serde_json::json!({ "name": self.domain() });
                body["min_origin_tls"] = "TLSv1.2".into();
                body["price_class"] = "PriceClass_All".into();
            }
        }
        StackSpec { body, secret }
    }

    /// `POST /stacks` with `spec`, which must be accepted; returns the stack's id.
    pub async fn create(&self, spec: &StackSpec) -> String {
        let stack = self.api.create_stack(&spec.body).await;
        stack_id(&stack)
    }

    /// Everything of stack `id` in the account: see [`Aws::footprint`].
    pub async fn footprint(&self, id: &str, spec: &StackSpec) -> Footprint {
        self.aws
            .footprint(id, spec.custom_domain_name().as_deref(), &self.zone)
            .await
    }
}

/// The answers of the strict account that mean "not now": Route 53's five requests a second
/// and busy zones, API Gateway's per-account quotas, which parallel tests share.
pub const THROTTLES: &[&str] = &["Throttl", "TooManyRequests", "PriorRequestNotComplete"];

/// Calls `call` until its error no longer names one of `retryable` (see [`THROTTLES`]), and
/// panics on any other error, or after a minute of retries.
pub async fn retry_aws<T, E, F, Fut>(what: &str, retryable: &[&str], mut call: F) -> T
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, E>>,
    E: std::fmt::Debug,
{
    let deadline = std::time::Instant::now() + Duration::from_secs(60);
    loop {
        match call().await {
            Ok(out) => return out,
            Err(e) => {
                let text = format!("{e:?}");
                if !retryable.iter().any(|r| text.contains(r)) {
                    panic!("{what}: {text}");
                }
                assert!(
                    std::time::Instant::now() < deadline,
                    "{what}: still refused after a minute: {text}"
                );
                tokio::time::sleep(Duration::from_millis(250)).await;
            }
        }
    }
}

/// [`retry_aws`] through the account's rate limits.
pub async fn retry_throttled<T, E, F, Fut>(what: &str, call: F) -> T
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, E>>,
    E: std::fmt::Debug,
{
    retry_aws(what, THROTTLES, call).await
}

/// Whether one of the stack's steps is still under way (running, or waiting between polls).
pub fn has_step_under_way(stack: &Value) -> bool {
    stack["steps"].as_array().is_some_and(|steps| {
        steps
            .iter()
            .any(|s| s["status"] == "RUNNING" || s["status"] == "WAITING")
    })
}

/// Whether the stack's rollback (or teardown) has run to its end: its last step finished.
pub fn undo_finished(stack: &Value) -> bool {
    step(stack, "finish_teardown").is_some_and(|s| s["status"] == "SUCCEEDED")
}

/// A state no workflow moves a stack out of by itself: READY, DELETED, or FAILED once its
/// rollback (or failed teardown) has ended.
pub fn is_settled(stack: &Value) -> bool {
    match stack["status"].as_str() {
        Some("READY" | "DELETED") => true,
        Some("FAILED") => {
            let error = &stack["error"];
            (error["rolled_back"] == true && undo_finished(stack))
                || error["code"] == "workflow_not_started"
                || (error["code"] == "teardown_failed" && !has_step_under_way(stack))
        }
        _ => false,
    }
}

/// What one caller saw of a stack while waiting for it: every distinct state, in order, and
/// every answer's text (to show that no answer carried a secret).
#[derive(Debug, Default)]
pub struct Watch {
    pub snapshots: Vec<Value>,
    pub texts: Vec<String>,
}

impl Watch {
    fn record(&mut self, stack: Value, text: String) {
        if self.snapshots.last() != Some(&stack) {
            self.snapshots.push(stack);
        }
        self.texts.push(text);
    }

    /// The stack as last seen.
    pub fn last(&self) -> &Value {
        self.snapshots
            .last()
            .expect("a watch sees the stack at least once")
    }

    /// Whether some state seen satisfies `pred`.
    pub fn saw(&self, pred: impl Fn(&Value) -> bool) -> bool {
        self.snapshots.iter().any(pred)
    }

    /// The values of `field` (`status`, `phase`) in the order seen, each change once.
    pub fn sequence(&self, field: &str) -> Vec<String> {
        let mut seen: Vec<String> = Vec::new();
        for stack in &self.snapshots {
            let value = stack[field].as_str().unwrap_or_default().to_owned();
            if seen.last() != Some(&value) {
                seen.push(value);
            }
        }
        seen
    }

    /// Asserts that no answer carried `secret`.
    pub fn assert_never_showed(&self, secret: &str) {
        for text in &self.texts {
            assert!(
                !text.contains(secret),
                "an API answer showed a secret origin header value: {text}"
            );
        }
    }
}

/// The step record named `name` of a stack, if it has one.
pub fn step<'a>(stack: &'a Value, name: &str) -> Option<&'a Value> {
    stack["steps"]
        .as_array()?
        .iter()
        .find(|s| s["name"] == name)
}

/// The names of a stack's step records, in order.
pub fn step_names(stack: &Value) -> Vec<String> {
    stack["steps"]
        .as_array()
        .map(|steps| {
            steps
                .iter()
                .map(|s| s["name"].as_str().unwrap_or_default().to_owned())
                .collect()
        })
        .unwrap_or_default()
}

/// The stack's status.
pub fn status(stack: &Value) -> &str {
    stack["status"].as_str().unwrap_or_default()
}

fn summary(stack: &Value) -> String {
    serde_json::to_string_pretty(stack).unwrap_or_else(|_| stack.to_string())
}

impl Api {
    /// Polls `GET /stacks/{id}` until `done` holds for the stack, recording what it saw.
    /// Panics, showing the stack, when it settles (READY, DELETED, FAILED and rolled back)
    /// without `done` holding, or when [`PATIENCE`] runs out.
    pub async fn watch(&self, id: &str, what: &str, done: impl Fn(&Value) -> bool) -> Watch {
        self.watch_every(POLL_EVERY, id, what, done).await
    }

    /// [`Api::watch`], reading the stack every `interval`: to catch a state that lasts only a
    /// moment.
    pub async fn watch_every(
        &self,
        interval: Duration,
        id: &str,
        what: &str,
        done: impl Fn(&Value) -> bool,
    ) -> Watch {
        let log = RefCell::new(Watch::default());
        let (log_ref, done, path) = (&log, &done, &format!("/stacks/{id}"));
        let outcome = try_eventually_every(interval, move || async move {
            let reply = self.get(path).await;
            let stack = reply.expect(200);
            log_ref.borrow_mut().record(stack.clone(), reply.text);
            if done(&stack) {
                Some(true)
            } else if is_settled(&stack) {
                Some(false)
            } else {
                None
            }
        })
        .await;
        let watch = log.into_inner();
        match outcome {
            Some(true) => watch,
            Some(false) => panic!(
                "stack {id} settled before {what}; statuses seen {:?}, phases seen {:?}; \
                 it is now:\n{}",
                watch.sequence("status"),
                watch.sequence("phase"),
                summary(watch.last())
            ),
            None => panic!(
                "gave up waiting for {what} after {PATIENCE:?}; statuses seen {:?}, phases \
                 seen {:?}; stack {id} is now:\n{}",
                watch.sequence("status"),
                watch.sequence("phase"),
                summary(watch.last())
            ),
        }
    }

    /// Waits until the stack is `status`.
    pub async fn watch_until_status(&self, id: &str, wanted: &str) -> Watch {
        self.watch(id, &format!("stack {id} to be {wanted}"), |s| {
            status(s) == wanted
        })
        .await
    }

    /// Waits until the stack is `FAILED`, rolled back, and its rollback ran to its last step.
    pub async fn watch_until_rolled_back(&self, id: &str) -> Watch {
        self.watch(id, &format!("stack {id} to fail and be rolled back"), |s| {
            status(s) == "FAILED" && s["error"]["rolled_back"] == true && undo_finished(s)
        })
        .await
    }
}

/// `POST` to the Lambda Invoke API of the local stack: the function `name` (its binary name)
/// with `payload` as its event, exactly as a Step Functions Task invokes it.
pub async fn invoke_function(name: &str, payload: &Value) -> Reply {
    let http = reqwest::Client::builder()
        .timeout(Duration::from_secs(300))
        .build()
        .expect("an HTTP client builds");
    let url = format!(
        "{}/2015-03-31/functions/{name}/invocations",
        LocalEnv::get().lambda_invoke_url
    );
    let response = http
        .post(&url)
        .header(reqwest::header::CONTENT_TYPE, "application/json")
        .body(payload.to_string())
        .send()
        .await
        .unwrap_or_else(|e| panic!("POST {url}: {e}"));
    Api::read(response).await
}

/// Everything in the emulated account that belongs to one stack, each as one line.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Footprint {
    /// `<region> <arn>`: certificates for the stack's name or tagged with its id.
    pub certificates: BTreeSet<String>,
    /// `<id> <domain>`: distributions with the stack's comment, alias or tag.
    pub distributions: BTreeSet<String>,
    /// `<region> <name>`: API Gateway custom domains of the stack's name or tagged with its id.
    pub custom_domains: BTreeSet<String>,
    /// `<domain> <base path> -> <api>/<stage>` of those custom domains.
    pub base_path_mappings: BTreeSet<String>,
    /// `<name> <type> <target>`: the records of the test's zone, NS and SOA left out.
    pub records: BTreeSet<String>,
    /// Whether edgestack still keeps the stack's origin header values (its secrets table).
    pub origin_header_values: bool,
}

impl Footprint {
    pub fn is_empty(&self) -> bool {
        self.certificates.is_empty()
            && self.distributions.is_empty()
            && self.custom_domains.is_empty()
            && self.base_path_mappings.is_empty()
            && self.records.is_empty()
            && !self.origin_header_values
    }
}

fn same_name(a: &str, b: &str) -> bool {
    a.trim_end_matches('.')
        .eq_ignore_ascii_case(b.trim_end_matches('.'))
}

/// `a` is `name` or a name under it (`_x.api.example.com` is under `api.example.com`).
fn within(a: &str, name: &str) -> bool {
    let a = a.trim_end_matches('.').to_ascii_lowercase();
    let name = name.trim_end_matches('.').to_ascii_lowercase();
    a == name || a.ends_with(&format!(".{name}"))
}

fn render_record(set: &aws_sdk_route53::types::ResourceRecordSet) -> String {
    let target = match set.alias_target() {
        Some(alias) => format!(
            "ALIAS {} {}",
            alias.hosted_zone_id(),
            alias.dns_name().trim_end_matches('.')
        ),
        None => set
            .resource_records()
            .iter()
            .map(|r| r.value().trim_end_matches('.').to_owned())
            .collect::<Vec<_>>()
            .join(","),
    };
    format!(
        "{} {} {target}",
        set.name().trim_end_matches('.').to_ascii_lowercase(),
        set.r#type().as_str()
    )
}

impl Aws {
    /// A public hosted zone named `name`; moto allows several zones of one name, so the tests
    /// make the name unique themselves.
    pub async fn create_zone(&self, name: &str) -> Zone {
        self.zone_with_comment(name, None).await
    }

    /// A hosted zone that stands for the owner's DNS outside edgestack ([`OUTSIDE_DNS_COMMENT`]).
    pub async fn create_outside_zone(&self, name: &str) -> Zone {
        self.zone_with_comment(name, Some(OUTSIDE_DNS_COMMENT))
            .await
    }

    async fn zone_with_comment(&self, name: &str, comment: Option<&str>) -> Zone {
        let out = self
            .route53
            .create_hosted_zone()
            .name(name)
            .caller_reference(format!("edgestack-tests-{}", random_suffix()))
            .set_hosted_zone_config(comment.map(|c| {
                aws_sdk_route53::types::HostedZoneConfig::builder()
                    .comment(c)
                    .build()
            }))
            .send()
            .await
            .expect("CreateHostedZone");
        let id = out
            .hosted_zone()
            .expect("a new zone")
            .id()
            .trim_start_matches("/hostedzone/")
            .to_owned();
        Zone {
            id,
            name: name.to_owned(),
        }
    }

    /// A certificate for `name` in `region` that ACM issued, validated through a record in
    /// `zone` (someone else's: the tests stage what is in a stack's way with it).
    pub async fn issued_certificate(&self, name: &str, zone: &Zone, region: &str) -> String {
        use aws_sdk_acm::types::{CertificateStatus, ValidationMethod};
        let acm = self.acm_in(region);
        let arn = acm
            .request_certificate()
            .domain_name(name)
            .validation_method(ValidationMethod::Dns)
            .send()
            .await
            .expect("RequestCertificate")
            .certificate_arn
            .expect("a certificate ARN");
        let deadline = std::time::Instant::now() + Duration::from_secs(60);
        let mut record_written = false;
        loop {
            let certificate = acm
                .describe_certificate()
                .certificate_arn(&arn)
                .send()
                .await
                .expect("DescribeCertificate")
                .certificate
                .expect("a certificate");
            if certificate.status() == Some(&CertificateStatus::Issued) {
                return arn;
            }
            if !record_written {
                if let Some(record) = certificate
                    .domain_validation_options()
                    .first()
                    .and_then(|o| o.resource_record())
                {
                    self.upsert_cname(zone, record.name(), record.value()).await;
                    record_written = true;
                }
            }
            assert!(
                std::time::Instant::now() < deadline,
                "ACM did not issue {arn} within a minute"
            );
            tokio::time::sleep(Duration::from_millis(300)).await;
        }
    }

    /// The owner of outside DNS creates a CNAME in its own DNS.
    pub async fn create_cname(&self, zone: &Zone, name: &str, value: &str) {
        self.change_cname(
            zone,
            name,
            value,
            aws_sdk_route53::types::ChangeAction::Create,
        )
        .await
    }

    /// Writes a CNAME in `zone`, whether or not it is there.
    pub async fn upsert_cname(&self, zone: &Zone, name: &str, value: &str) {
        self.change_cname(
            zone,
            name,
            value,
            aws_sdk_route53::types::ChangeAction::Upsert,
        )
        .await
    }

    async fn change_cname(
        &self,
        zone: &Zone,
        name: &str,
        value: &str,
        action: aws_sdk_route53::types::ChangeAction,
    ) {
        use aws_sdk_route53::types::{
            Change, ChangeBatch, ResourceRecord, ResourceRecordSet, RrType,
        };
        let set = ResourceRecordSet::builder()
            .name(name)
            .r#type(RrType::Cname)
            .ttl(300)
            .resource_records(ResourceRecord::builder().value(value).build().unwrap())
            .build()
            .unwrap();
        let change = Change::builder()
            .action(action)
            .resource_record_set(set)
            .build()
            .unwrap();
        retry_throttled("ChangeResourceRecordSets", || {
            self.route53
                .change_resource_record_sets()
                .hosted_zone_id(&zone.id)
                .change_batch(
                    ChangeBatch::builder()
                        .changes(change.clone())
                        .build()
                        .unwrap(),
                )
                .send()
        })
        .await;
    }

    /// Every record set of a zone, NS and SOA included.
    pub async fn zone_records(
        &self,
        zone_id: &str,
    ) -> Vec<aws_sdk_route53::types::ResourceRecordSet> {
        let mut records = Vec::new();
        let mut start: Option<(String, aws_sdk_route53::types::RrType)> = None;
        loop {
            let mut request = self
                .route53
                .list_resource_record_sets()
                .hosted_zone_id(zone_id);
            if let Some((name, kind)) = start.take() {
                request = request.start_record_name(name).start_record_type(kind);
            }
            let out = request.send().await.expect("ListResourceRecordSets");
            records.extend(out.resource_record_sets().iter().cloned());
            match (
                out.is_truncated(),
                out.next_record_name(),
                out.next_record_type(),
            ) {
                (true, Some(name), Some(kind)) => start = Some((name.to_owned(), kind.clone())),
                _ => return records,
            }
        }
    }

    /// The records of a zone other than its NS and SOA, one line each.
    pub async fn zone_records_besides_ns_soa(&self, zone_id: &str) -> BTreeSet<String> {
        use aws_sdk_route53::types::RrType;
        self.zone_records(zone_id)
            .await
            .iter()
            .filter(|set| !matches!(set.r#type(), RrType::Ns | RrType::Soa))
            .map(render_record)
            .collect()
    }

    /// Every record, in every hosted zone of the account, of `name` or a name under it.
    pub async fn records_within_anywhere(&self, name: &str) -> BTreeSet<String> {
        let mut found = BTreeSet::new();
        let mut marker: Option<String> = None;
        loop {
            let out = self
                .route53
                .list_hosted_zones()
                .set_marker(marker.take())
                .send()
                .await
                .expect("ListHostedZones");
            for zone in out.hosted_zones() {
                if zone.config().and_then(|c| c.comment()) == Some(OUTSIDE_DNS_COMMENT) {
                    continue;
                }
                let id = zone.id().trim_start_matches("/hostedzone/");
                for set in self.zone_records(id).await {
                    if within(set.name(), name) {
                        found.insert(format!("{id}: {}", render_record(&set)));
                    }
                }
            }
            match out.next_marker() {
                Some(next) if out.is_truncated() && !next.is_empty() => {
                    marker = Some(next.to_owned())
                }
                _ => return found,
            }
        }
    }

    /// Every distribution in the account.
    pub async fn distributions(&self) -> Vec<aws_sdk_cloudfront::types::DistributionSummary> {
        let mut all = Vec::new();
        let mut marker: Option<String> = None;
        loop {
            let out = self
                .cloudfront
                .list_distributions()
                .set_marker(marker.take())
                .send()
                .await
                .expect("ListDistributions");
            let Some(list) = out.distribution_list() else {
                return all;
            };
            all.extend(list.items().iter().cloned());
            match list.next_marker() {
                Some(next) if list.is_truncated() && !next.is_empty() => {
                    marker = Some(next.to_owned())
                }
                _ => return all,
            }
        }
    }

    /// A distribution's tags (ListTagsForResource); `None` when it is gone.
    pub async fn distribution_tags(&self, arn: &str) -> Option<BTreeMap<String, String>> {
        let out = self
            .cloudfront
            .list_tags_for_resource()
            .resource(arn)
            .send()
            .await
            .ok()?;
        Some(
            out.tags()
                .map(|tags| {
                    tags.items()
                        .iter()
                        .map(|t| (t.key().to_owned(), t.value().unwrap_or_default().to_owned()))
                        .collect()
                })
                .unwrap_or_default(),
        )
    }

    /// A certificate's tags; `None` when it is gone.
    pub async fn certificate_tags(
        &self,
        region: &str,
        arn: &str,
    ) -> Option<BTreeMap<String, String>> {
        let out = self
            .acm_in(region)
            .list_tags_for_certificate()
            .certificate_arn(arn)
            .send()
            .await
            .ok()?;
        Some(
            out.tags()
                .iter()
                .map(|t| (t.key().to_owned(), t.value().unwrap_or_default().to_owned()))
                .collect(),
        )
    }

    /// Every certificate of a region: `(arn, domain name)`.
    pub async fn certificates_in(&self, region: &str) -> Vec<(String, String)> {
        use aws_sdk_acm::types::{Filters, KeyAlgorithm};
        let acm = self.acm_in(region);
        // ListCertificates shows RSA_1024 and RSA_2048 keys only, unless asked for the others.
        let every_key_type = Filters::builder()
            .set_key_types(Some(
                KeyAlgorithm::values()
                    .iter()
                    .map(|k| KeyAlgorithm::from(*k))
                    .collect(),
            ))
            .build();
        let mut all = Vec::new();
        let mut token: Option<String> = None;
        loop {
            let out = acm
                .list_certificates()
                .includes(every_key_type.clone())
                .set_next_token(token.take())
                .send()
                .await
                .expect("ListCertificates");
            for summary in out.certificate_summary_list() {
                all.push((
                    summary.certificate_arn().unwrap_or_default().to_owned(),
                    summary.domain_name().unwrap_or_default().to_owned(),
                ));
            }
            match out.next_token() {
                Some(next) if !next.is_empty() => token = Some(next.to_owned()),
                _ => return all,
            }
        }
    }

    /// Everything in the account that belongs to stack `id`: what carries its name `name` (a
    /// custom domain's) or its `edgestack:stack-id` tag or its distribution comment, and every
    /// record of `zone` other than NS and SOA (the zone is the test's own).
    pub async fn footprint(&self, id: &str, name: Option<&str>, zone: &Zone) -> Footprint {
        let mut found = Footprint::default();
        let ours = |tags: &BTreeMap<String, String>| {
            tags.get(STACK_ID_TAG).map(String::as_str) == Some(id)
        };
        for region in [CLOUDFRONT_REGION, API_REGION] {
            for (arn, domain) in self.certificates_in(region).await {
                let named = name.is_some_and(|n| same_name(&domain, n));
                let tagged = !named
                    && self
                        .certificate_tags(region, &arn)
                        .await
                        .is_some_and(|t| ours(&t));
                if named || tagged {
                    found.certificates.insert(format!("{region} {arn}"));
                }
            }
        }
        let comment = format!("edgestack {id}");
        for summary in self.distributions().await {
            let aliased = name.is_some_and(|n| {
                summary
                    .aliases()
                    .is_some_and(|a| a.items().iter().any(|alias| same_name(alias, n)))
            });
            let matches = summary.comment() == comment
                || aliased
                || self
                    .distribution_tags(summary.arn())
                    .await
                    .is_some_and(|t| ours(&t));
            if matches {
                found
                    .distributions
                    .insert(format!("{} {}", summary.id(), summary.domain_name()));
            }
        }
        for region in [API_REGION, CLOUDFRONT_REGION] {
            let apigw = self.apigateway_in(region);
            let domains = apigw
                .get_domain_names()
                .limit(500)
                .send()
                .await
                .expect("GetDomainNames");
            for domain in domains.items() {
                let domain_name = domain.domain_name().unwrap_or_default();
                let named = name.is_some_and(|n| same_name(domain_name, n));
                let tagged = domain
                    .tags()
                    .and_then(|t| t.get(STACK_ID_TAG))
                    .is_some_and(|t| t == id);
                if !(named || tagged) {
                    continue;
                }
                found
                    .custom_domains
                    .insert(format!("{region} {domain_name}"));
                if let Ok(mappings) = apigw
                    .get_base_path_mappings()
                    .domain_name(domain_name)
                    .send()
                    .await
                {
                    for m in mappings.items() {
                        found.base_path_mappings.insert(format!(
                            "{domain_name} {} -> {}/{}",
                            m.base_path().unwrap_or_default(),
                            m.rest_api_id().unwrap_or_default(),
                            m.stage().unwrap_or_default()
                        ));
                    }
                }
            }
        }
        found.records = self.zone_records_besides_ns_soa(&zone.id).await;
        found.origin_header_values = self.secrets_item(id).await.is_some();
        found
    }

    /// The item of the secrets table (`pk` = the stack id) that keeps the stack's origin
    /// header values, read consistently.
    pub async fn secrets_item(&self, stack_id: &str) -> Option<HashMap<String, AttributeValue>> {
        self.dynamodb
            .get_item()
            .table_name(&self.env.secrets_table)
            .key("pk", AttributeValue::S(stack_id.to_owned()))
            .consistent_read(true)
            .send()
            .await
            .expect("GetItem on the secrets table")
            .item
    }
}

fn string_set<'a>(items: impl IntoIterator<Item = &'a str>) -> BTreeSet<String> {
    items.into_iter().map(str::to_owned).collect()
}

/// What `recipe.md` prescribes for the stack `watch` last saw (READY), read back from the
/// emulated account field by field: the distribution, its tags, the certificates, the Regional
/// custom domain and its mapping, the DNS records, and the stack's own outputs and steps. Also
/// checks that the secret origin header value reached CloudFront and no answer of the API.
pub async fn assert_ready_as_recipe_says(team: &Team, spec: &StackSpec, watch: &Watch) {
    use aws_sdk_cloudfront::types::{
        MinimumProtocolVersion, OriginProtocolPolicy, PriceClass, SslSupportMethod,
        ViewerProtocolPolicy,
    };

    let aws = &team.aws;
    let stack = watch.last();
    let id = stack_id(stack);
    let body = &spec.body;
    let name = spec.custom_domain_name();
    let managed = spec.managed_dns();
    let auth = body["auth"].as_str().unwrap_or("none");
    let outputs = &stack["outputs"];
    let tags = spec.resource_tags(&id);
    let context = summary(stack);

    assert_eq!(status(stack), "READY", "{context}");
    assert!(
        stack["error"].is_null(),
        "a READY stack has no error: {context}"
    );

    // Every step of the recipe that applies, in order, each succeeded.
    let expected_steps: Vec<&str> = PROVISION_STEPS
        .iter()
        .copied()
        .filter(|s| name.is_some() || !CUSTOM_DOMAIN_STEPS.contains(s))
        .collect();
    assert_eq!(step_names(stack), expected_steps, "{context}");
    for record in stack["steps"].as_array().into_iter().flatten() {
        assert_eq!(record["status"], "SUCCEEDED", "step {record} in {context}");
        assert!(record["finished_at"].is_string(), "step {record}");
        assert!(record["started_at"].is_string(), "step {record}");
    }

    // The secret reached CloudFront (below), and no answer of the API ever showed it.
    watch.assert_never_showed(&spec.secret);
    assert_eq!(stack["request"]["origin_headers"]["X-Origin-Verify"], "***");

    // The distribution.
    let distribution_id = outputs["distribution_id"]
        .as_str()
        .unwrap_or_else(|| panic!("no outputs.distribution_id: {context}"));
    let distribution = aws
        .cloudfront
        .get_distribution()
        .id(distribution_id)
        .send()
        .await
        .expect("GetDistribution of the stack's distribution")
        .distribution
        .expect("a distribution");
    assert_eq!(distribution.status(), "Deployed");
    let distribution_domain = distribution.domain_name().to_owned();
    assert_eq!(
        outputs["distribution_domain_name"],
        distribution_domain.as_str()
    );
    let config = distribution
        .distribution_config()
        .expect("a distribution config");
    assert_eq!(config.caller_reference(), format!("edgestack-{id}"));
    assert_eq!(config.comment(), format!("edgestack {id}"));
    assert!(config.enabled());

    let origins = config.origins().expect("origins").items();
    assert_eq!(origins.len(), 1, "one origin: {origins:?}");
    let origin = &origins[0];
    let regional_domain_name = outputs["regional_domain_name"].as_str();
    match &name {
        None => {
            assert_eq!(
                origin.domain_name(),
                format!("{}.execute-api.{API_REGION}.amazonaws.com", team.api_id)
            );
            let expected_path = if body["origin_path"] == false {
                ""
            } else {
                "/prod"
            };
            assert_eq!(origin.origin_path().unwrap_or_default(), expected_path);
        }
        Some(_) => {
            let target = regional_domain_name
                .unwrap_or_else(|| panic!("no outputs.regional_domain_name: {context}"));
            assert!(
                target.starts_with("d-")
                    && target.ends_with(&format!(".execute-api.{API_REGION}.amazonaws.com")),
                "the origin is the Regional custom domain's target: {target}"
            );
            assert_eq!(origin.domain_name(), target);
            assert_eq!(
                origin.origin_path().unwrap_or_default(),
                "",
                "the base path mapping selects the stage"
            );
        }
    }
    let custom = origin
        .custom_origin_config()
        .expect("a custom origin config");
    assert_eq!(
        custom.origin_protocol_policy(),
        &OriginProtocolPolicy::HttpsOnly
    );
    let protocols: BTreeSet<String> = custom
        .origin_ssl_protocols()
        .expect("origin SSL protocols")
        .items()
        .iter()
        .map(|p| p.as_str().to_owned())
        .collect();
    let expected_protocols = match body["min_origin_tls"].as_str().unwrap_or("TLSv1.2") {
        "TLSv1" => string_set(["TLSv1", "TLSv1.1", "TLSv1.2"]),
        "TLSv1.1" => string_set(["TLSv1.1", "TLSv1.2"]),
        _ => string_set(["TLSv1.2"]),
    };
    assert_eq!(protocols, expected_protocols, "origin SSL protocols");
    let headers: Vec<(String, String)> = origin
        .custom_headers()
        .map(|h| {
            h.items()
                .iter()
                .map(|h| (h.header_name().to_owned(), h.header_value().to_owned()))
                .collect()
        })
        .unwrap_or_default();
    assert_eq!(
        headers,
        [("X-Origin-Verify".to_owned(), spec.secret.clone())],
        "the origin custom headers carry the secret to the origin"
    );

    let behavior = config
        .default_cache_behavior()
        .expect("a default cache behavior");
    assert_eq!(behavior.target_origin_id(), origin.id());
    assert_eq!(
        behavior.viewer_protocol_policy(),
        &ViewerProtocolPolicy::RedirectToHttps
    );
    let methods: BTreeSet<String> = behavior
        .allowed_methods()
        .expect("allowed methods")
        .items()
        .iter()
        .map(|m| m.as_str().to_owned())
        .collect();
    assert_eq!(
        methods,
        string_set(["GET", "HEAD", "OPTIONS", "PUT", "POST", "PATCH", "DELETE"])
    );
    let iam_cache_policy = LocalEnv::get().iam_cache_policy_id.clone();
    let expected_cache_policy = if auth == "iam" {
        iam_cache_policy.as_str()
    } else {
        CACHING_DISABLED_POLICY
    };
    assert_eq!(behavior.cache_policy_id(), Some(expected_cache_policy));
    let expected_request_policy = if name.is_some() {
        ALL_VIEWER_POLICY
    } else {
        ALL_VIEWER_EXCEPT_HOST_POLICY
    };
    assert_eq!(
        behavior.origin_request_policy_id(),
        Some(expected_request_policy)
    );

    let aliases: Vec<String> = config
        .aliases()
        .map(|a| a.items().to_vec())
        .unwrap_or_default();
    let viewer = config.viewer_certificate().expect("a viewer certificate");
    match &name {
        None => {
            assert!(aliases.is_empty(), "no alternate domain names: {aliases:?}");
            assert_eq!(viewer.cloud_front_default_certificate(), Some(true));
            assert!(
                viewer.acm_certificate_arn().unwrap_or_default().is_empty(),
                "{viewer:?}"
            );
        }
        Some(name) => {
            assert_eq!(aliases, std::slice::from_ref(name));
            // (moto reports CloudFrontDefaultCertificate true whatever was sent.)
            assert_eq!(
                viewer.acm_certificate_arn(),
                outputs["certificate_arn"].as_str(),
                "the us-east-1 certificate: {viewer:?}"
            );
            assert_eq!(
                viewer.ssl_support_method(),
                Some(&SslSupportMethod::SniOnly)
            );
            assert_eq!(
                viewer.minimum_protocol_version(),
                Some(&MinimumProtocolVersion::TlSv122021)
            );
        }
    }
    let expected_price = body["price_class"].as_str().unwrap_or("PriceClass_All");
    assert_eq!(
        config.price_class().map(PriceClass::as_str),
        Some(expected_price)
    );
    assert_eq!(
        aws.distribution_tags(distribution.arn()).await.as_ref(),
        Some(&tags),
        "the distribution's tags"
    );

    // The outputs a client needs.
    let endpoint = match &name {
        Some(name) => format!("https://{name}"),
        None => format!("https://{distribution_domain}"),
    };
    assert_eq!(outputs["endpoint_url"], endpoint.as_str(), "{context}");
    let smoke_path = body["smoke_test_path"].as_str().unwrap_or("/");
    assert_eq!(
        outputs["smoke_test"]["url"],
        format!("{endpoint}{smoke_path}").as_str(),
        "{context}"
    );
    // For `auth: iam` the smoke test signs only when the owner's grant names the API;
    // unsigned, API Gateway's own 403 shows the distribution reaches the API.
    let signed = auth == "iam" && team.named_in_grant;
    assert_eq!(outputs["smoke_test"]["signed"], signed, "{context}");
    let expected_status = if auth == "iam" && !signed { 403 } else { 200 };
    assert_eq!(
        outputs["smoke_test"]["status_code"], expected_status,
        "{context}"
    );
    assert!(outputs["smoke_test"]["at"].is_string(), "{context}");

    let Some(name) = name else {
        for field in [
            "certificate_arn",
            "regional_certificate_arn",
            "regional_domain_name",
        ] {
            assert!(
                outputs[field].is_null(),
                "no {field} without a custom domain: {context}"
            );
        }
        assert_eq!(outputs["dns_records"], serde_json::json!([]), "{context}");
        let records = aws.zone_records_besides_ns_soa(&team.zone.id).await;
        assert!(records.is_empty(), "nothing written in DNS: {records:?}");
        return;
    };

    // The certificates: one in us-east-1 (CloudFront's), one in the API's region, for the
    // name, DNS-validated with the same CNAME, issued, tagged.
    let edge_arn = outputs["certificate_arn"]
        .as_str()
        .unwrap_or_else(|| panic!("no outputs.certificate_arn: {context}"));
    let regional_arn = outputs["regional_certificate_arn"]
        .as_str()
        .unwrap_or_else(|| panic!("no outputs.regional_certificate_arn: {context}"));
    assert!(
        edge_arn.starts_with(&format!("arn:aws:acm:{CLOUDFRONT_REGION}:")),
        "{edge_arn}"
    );
    assert!(
        regional_arn.starts_with(&format!("arn:aws:acm:{API_REGION}:")),
        "{regional_arn}"
    );
    let mut validation_records = BTreeSet::new();
    for (region, arn) in [(CLOUDFRONT_REGION, edge_arn), (API_REGION, regional_arn)] {
        let certificate = aws
            .acm_in(region)
            .describe_certificate()
            .certificate_arn(arn)
            .send()
            .await
            .unwrap_or_else(|e| panic!("DescribeCertificate {arn}: {e:?}"))
            .certificate
            .expect("a certificate");
        assert_eq!(certificate.domain_name(), Some(name.as_str()), "{arn}");
        assert_eq!(
            certificate.status(),
            Some(&aws_sdk_acm::types::CertificateStatus::Issued),
            "{arn}"
        );
        let options = certificate.domain_validation_options();
        assert!(!options.is_empty(), "{arn} has no domain validation");
        for option in options {
            assert_eq!(
                option.validation_method(),
                Some(&aws_sdk_acm::types::ValidationMethod::Dns),
                "{arn}"
            );
            let record = option.resource_record().expect("a validation record");
            validation_records.insert((
                record.name().trim_end_matches('.').to_ascii_lowercase(),
                record.value().trim_end_matches('.').to_owned(),
            ));
        }
        assert_eq!(
            aws.certificate_tags(region, arn).await.as_ref(),
            Some(&tags),
            "the tags of {arn}"
        );
        let for_name: Vec<String> = aws
            .certificates_in(region)
            .await
            .into_iter()
            .filter(|(_, domain)| same_name(domain, &name))
            .map(|(arn, _)| arn)
            .collect();
        assert_eq!(
            for_name,
            [arn.to_owned()],
            "certificates for {name} in {region}"
        );
    }
    assert_eq!(
        validation_records.len(),
        1,
        "one validation CNAME serves both certificates: {validation_records:?}"
    );
    let (validation_name, validation_value) =
        validation_records.into_iter().next().expect("one record");

    // The Regional custom domain and its base path mapping.
    let apigw = aws.apigateway_in(API_REGION);
    let domain = apigw
        .get_domain_name()
        .domain_name(&name)
        .send()
        .await
        .unwrap_or_else(|e| panic!("GetDomainName {name} in {API_REGION}: {e:?}"));
    assert_eq!(
        domain
            .endpoint_configuration()
            .map(|c| c.types().to_vec())
            .unwrap_or_default(),
        [aws_sdk_apigateway::types::EndpointType::Regional]
    );
    assert_eq!(
        domain.security_policy(),
        Some(&aws_sdk_apigateway::types::SecurityPolicy::Tls12)
    );
    assert_eq!(domain.regional_certificate_arn(), Some(regional_arn));
    assert_eq!(domain.regional_domain_name(), regional_domain_name);
    let domain_tags: BTreeMap<String, String> = domain
        .tags()
        .map(|t| t.iter().map(|(k, v)| (k.clone(), v.clone())).collect())
        .unwrap_or_default();
    assert_eq!(domain_tags, tags, "the custom domain's tags");
    assert!(
        aws.apigateway_in(CLOUDFRONT_REGION)
            .get_domain_name()
            .domain_name(&name)
            .send()
            .await
            .is_err(),
        "no custom domain {name} in {CLOUDFRONT_REGION}: the API is in {API_REGION}"
    );
    let mappings = apigw
        .get_base_path_mappings()
        .domain_name(&name)
        .send()
        .await
        .expect("GetBasePathMappings");
    let mappings: Vec<(String, String, String)> = mappings
        .items()
        .iter()
        .map(|m| {
            (
                m.base_path().unwrap_or_default().to_owned(),
                m.rest_api_id().unwrap_or_default().to_owned(),
                m.stage().unwrap_or_default().to_owned(),
            )
        })
        .collect();
    assert_eq!(
        mappings,
        [("(none)".to_owned(), team.api_id.clone(), "prod".to_owned())],
        "one base path mapping of the root to the API's stage"
    );

    // DNS: in the zone, or handed to the owner.
    let mut dns_outputs: Vec<(String, String, String, String, bool)> = outputs["dns_records"]
        .as_array()
        .unwrap_or_else(|| panic!("no outputs.dns_records: {context}"))
        .iter()
        .map(|r| {
            (
                r["name"]
                    .as_str()
                    .unwrap_or_default()
                    .trim_end_matches('.')
                    .to_ascii_lowercase(),
                r["type"].as_str().unwrap_or_default().to_owned(),
                r["value"]
                    .as_str()
                    .unwrap_or_default()
                    .trim_end_matches('.')
                    .to_owned(),
                r["purpose"].as_str().unwrap_or_default().to_owned(),
                r["managed"].as_bool().unwrap_or(!managed),
            )
        })
        .collect();
    dns_outputs.sort();
    let validation = (
        validation_name.clone(),
        "CNAME".to_owned(),
        validation_value.clone(),
        "certificate_validation".to_owned(),
        managed,
    );
    let zone_records = aws.zone_records_besides_ns_soa(&team.zone.id).await;
    if managed {
        let alias_value = |record: &(String, String, String, String, bool)| {
            record.2.contains(distribution_domain.as_str())
        };
        assert_eq!(dns_outputs.len(), 3, "{dns_outputs:?}");
        assert!(dns_outputs.contains(&validation), "{dns_outputs:?}");
        for kind in ["A", "AAAA"] {
            assert!(
                dns_outputs.iter().any(|r| r.0 == name
                    && r.1 == kind
                    && r.3 == "endpoint"
                    && r.4
                    && alias_value(r)),
                "an {kind} record for {name} → {distribution_domain}: {dns_outputs:?}"
            );
        }
        let expected = string_set([
            format!("{validation_name} CNAME {validation_value}").as_str(),
            format!("{name} A ALIAS {CLOUDFRONT_ZONE_ID} {distribution_domain}").as_str(),
            format!("{name} AAAA ALIAS {CLOUDFRONT_ZONE_ID} {distribution_domain}").as_str(),
        ]);
        assert_eq!(
            zone_records, expected,
            "the records in zone {}",
            team.zone.id
        );
    } else {
        let endpoint_record = (
            name.clone(),
            "CNAME".to_owned(),
            distribution_domain.clone(),
            "endpoint".to_owned(),
            false,
        );
        let mut expected = vec![validation, endpoint_record];
        expected.sort();
        assert_eq!(dns_outputs, expected, "the records handed to the owner");
        assert!(
            zone_records.is_empty(),
            "outside DNS: nothing written in zone {}: {zone_records:?}",
            team.zone.id
        );
        let anywhere = aws.records_within_anywhere(&name).await;
        assert!(
            anywhere.is_empty(),
            "outside DNS: no record of {name} in any zone: {anywhere:?}"
        );
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
    fn principals_are_sessions_of_roles_of_their_own() {
        let (a, b) = (random_principal(), random_principal());
        assert!(
            a.starts_with("arn:aws:sts::123456789012:assumed-role/test-"),
            "{a}"
        );
        assert_ne!(owner_of(&a), owner_of(&b));
        assert!(
            owner_of(&a).starts_with("arn:aws:iam::123456789012:role/test-"),
            "{a}"
        );
    }
}
