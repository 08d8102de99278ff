//! The local stack as the tests find it: its endpoints (`.local/env`), the account, and the
//! principals tests act as.

use super::*;

/// The account moto emulates; `local/up.sh` names its ARNs in it.
pub const ACCOUNT: &str = "123456789012";
/// Where the tests create the Regional REST APIs that stacks front, as a team would.
pub const API_REGION: &str = "eu-west-1";
/// How long an asynchronous outcome is awaited before a test gives up. Generous on purpose:
/// the local stack may be rebuilding a function; this is a bound, never an assertion.
pub const PATIENCE: Duration = Duration::from_secs(180);
pub(crate) const POLL_EVERY: Duration = Duration::from_millis(500);
/// A GET unanswered for this long is sent again, at most [`GET_ATTEMPTS`] times in all
/// (long enough for `cargo lambda watch` to rebuild a function after a source change).
pub(crate) const GET_TIMEOUT: Duration = Duration::from_secs(90);
pub(crate) const GET_ATTEMPTS: usize = 4;

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
