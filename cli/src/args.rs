//! The command line (clap derive), and how `create`'s flags become a request body.
//!
//! The CLI does not validate a request's fields itself: the API names every bad field at once,
//! and the CLI shows that answer. Flags only give the body its shape.

use std::path::{Path, PathBuf};
use std::time::Duration;

use clap::{Args, Parser, Subcommand, ValueEnum};
use serde_json::{Map, Value};

use crate::exit::Exit;

#[derive(Debug, Parser)]
#[command(
    name = "edgestack",
    version,
    about = "Ask edgestack for a CloudFront distribution in front of a Regional API Gateway REST API, and follow it.",
    long_about = None,
    after_help = after_help(),
)]
pub struct Cli {
    #[command(flatten)]
    pub global: GlobalArgs,
    #[command(subcommand)]
    pub command: Command,
}

fn after_help() -> String {
    format!(
        "Where the API is: --endpoint (or EDGESTACK_ENDPOINT); else the local stack's env file \
         (--env-file, EDGESTACK_ENV_FILE, STACKS_API_URL, or .local/env in this directory or a \
         parent). Every request is signed with SigV4 (service execute-api) by the standard AWS \
         credentials chain, or for the local stack by the credentials its env file names when \
         the chain has none in the environment.\n\n{}",
        Exit::help_table()
    )
}

#[derive(Debug, Args)]
#[command(next_help_heading = "Global options")]
pub struct GlobalArgs {
    /// The provisioning API's base URL, e.g. https://a1b2c3d4e5.execute-api.eu-west-1.amazonaws.com/prod
    #[arg(long, global = true, env = "EDGESTACK_ENDPOINT", value_name = "URL")]
    pub endpoint: Option<String>,

    /// The local stack's env file, whose STACKS_API_URL is the endpoint [default: .local/env here or in a parent]
    #[arg(long, global = true, env = "EDGESTACK_ENV_FILE", value_name = "PATH")]
    pub env_file: Option<PathBuf>,

    /// The AWS profile whose credentials sign the requests [default: the standard credentials chain; for the local stack's env file, the credentials it names]
    #[arg(long, global = true, value_name = "NAME")]
    pub profile: Option<String>,

    /// The region to sign for [default: from the endpoint's host name, else the AWS configuration]
    #[arg(long, global = true, value_name = "REGION")]
    pub signing_region: Option<String>,

    /// text for people; json prints exactly one JSON document on standard output (the API's answer)
    #[arg(long, short, global = true, value_enum, default_value_t = OutputFormat::Text)]
    pub output: OutputFormat,

    /// No progress display while waiting
    #[arg(long, short, global = true)]
    pub quiet: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum OutputFormat {
    Text,
    Json,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Ask for a stack (POST /stacks); with --wait, wait until it is READY or FAILED
    Create(Box<CreateArgs>),
    /// Show one stack (GET /stacks/{id})
    Get(IdArg),
    /// List your stacks, newest first (GET /stacks)
    List(ListArgs),
    /// Tear a stack down (DELETE /stacks/{id}); with --wait, wait until it is DELETED
    Delete(DeleteArgs),
    /// Wait until a stack is READY, FAILED or DELETED, showing its progress
    Wait(WaitArgs),
    /// Call the stack's API through its distribution, as a team's client would: to its
    /// endpoint, SigV4-signed (standard credentials chain) as `outputs.signing` says for
    /// `auth: iam`; locally through the data plane at EDGE_URL. Prints the status and the body;
    /// exits 0 on a 2xx answer, 1 otherwise
    Call(CallArgs),
}

#[derive(Debug, Args)]
pub struct CallArgs {
    /// The stack's id (stk_...)
    pub id: String,

    /// The path to call through the distribution, e.g. /greetings
    pub path: String,

    /// The HTTP method
    #[arg(long, short = 'X', default_value = "GET")]
    pub method: String,

    /// A request body
    #[arg(long, short = 'd')]
    pub data: Option<String>,
}

#[derive(Debug, Args)]
pub struct IdArg {
    /// The stack's id (stk_...)
    pub id: String,
}

#[derive(Debug, Args)]
pub struct CreateArgs {
    /// The request as a JSON file ("-": standard input); flags given as well override its fields
    #[arg(long, short, value_name = "PATH")]
    pub file: Option<PathBuf>,

    /// A label for the stack
    #[arg(long)]
    pub name: Option<String>,

    /// The Regional API Gateway REST API to front, e.g. a1b2c3d4e5
    #[arg(long, required_unless_present = "file")]
    pub api_id: Option<String>,

    /// That API's region, e.g. eu-west-1
    #[arg(long, required_unless_present = "file")]
    pub region: Option<String>,

    /// The deployed stage to serve, e.g. prod
    #[arg(long, required_unless_present = "file")]
    pub stage: Option<String>,

    /// none or iam (iam: the Authorization header and every SigV4 header reach the API) [API default: none]
    #[arg(long, value_name = "none|iam")]
    pub auth: Option<String>,

    /// true: /{stage} is the origin path and clients call /{resource}; false: clients put the stage in the URL [API default: true]
    #[arg(long, value_name = "true|false", action = clap::ArgAction::Set)]
    pub origin_path: Option<bool>,

    /// Serve the API at this name, e.g. api.example.com (custom_domain.name)
    #[arg(long, value_name = "NAME")]
    pub custom_domain: Option<String>,

    /// The Route 53 zone that holds the custom domain (custom_domain.hosted_zone_id); absent: you create the DNS records
    #[arg(long, value_name = "ID")]
    pub hosted_zone_id: Option<String>,

    /// A header CloudFront sends to the origin, repeatable; NAME=@PATH reads the secret value from a file
    #[arg(long = "origin-header", value_name = "NAME=VALUE", value_parser = key_value)]
    pub origin_headers: Vec<(String, String)>,

    /// TLSv1.2, TLSv1.1 or TLSv1 [API default: TLSv1.2]
    #[arg(long, value_name = "VERSION")]
    pub min_origin_tls: Option<String>,

    /// PriceClass_100, PriceClass_200 or PriceClass_All [API default: PriceClass_All]
    #[arg(long, value_name = "CLASS")]
    pub price_class: Option<String>,

    /// The resource the smoke test requests, e.g. /greetings (it must answer 2xx)
    #[arg(long, value_name = "PATH")]
    pub smoke_test_path: Option<String>,

    /// A tag, repeatable: on the stack and on every AWS resource it creates
    #[arg(long = "tag", value_name = "KEY=VALUE", value_parser = key_value)]
    pub tags: Vec<(String, String)>,

    /// Makes a retry safe: the same key and body return the first stack [default: a new random key, reused by the CLI's own retries]
    #[arg(long, value_name = "KEY")]
    pub idempotency_key: Option<String>,

    #[command(flatten)]
    pub wait: WaitFlags,
}

#[derive(Debug, Args)]
pub struct WaitFlags {
    /// Wait until the stack settles, showing its progress
    #[arg(long)]
    pub wait: bool,

    /// With --wait: give up after this long (e.g. 90s, 30m, 1h)
    #[arg(long, value_name = "DURATION", default_value = "30m", value_parser = duration)]
    pub timeout: Duration,

    /// With --wait: how often to look
    #[arg(long, value_name = "DURATION", default_value = "2s", value_parser = duration)]
    pub interval: Duration,
}

#[derive(Debug, Args)]
pub struct WaitArgs {
    /// The stack's id (stk_...)
    pub id: String,

    /// Give up after this long (e.g. 90s, 30m, 1h)
    #[arg(long, value_name = "DURATION", default_value = "30m", value_parser = duration)]
    pub timeout: Duration,

    /// How often to look
    #[arg(long, value_name = "DURATION", default_value = "2s", value_parser = duration)]
    pub interval: Duration,
}

#[derive(Debug, Args)]
pub struct DeleteArgs {
    /// The stack's id (stk_...)
    pub id: String,

    #[command(flatten)]
    pub wait: WaitFlags,
}

#[derive(Debug, Args)]
pub struct ListArgs {
    /// Only stacks in this status (PENDING, PROVISIONING, AWAITING_DNS, READY, FAILED, DELETING, DELETED)
    #[arg(long)]
    pub status: Option<String>,

    /// At most this many stacks per page (1 to 100) [API default: 20]
    #[arg(long)]
    pub limit: Option<u32>,

    /// Start after the page that returned this token
    #[arg(long, value_name = "TOKEN", conflicts_with = "all")]
    pub next_token: Option<String>,

    /// Every page, not just the first
    #[arg(long)]
    pub all: bool,
}

impl ListArgs {
    /// The query string's pairs, in a fixed order.
    pub fn query(&self, next_token: Option<&str>) -> Vec<(&'static str, String)> {
        let mut query = Vec::new();
        if let Some(status) = &self.status {
            query.push(("status", status.clone()));
        }
        if let Some(limit) = self.limit {
            query.push(("limit", limit.to_string()));
        }
        if let Some(token) = next_token.or(self.next_token.as_deref()) {
            query.push(("next_token", token.to_owned()));
        }
        query
    }
}

/// `KEY=VALUE`: the value may be empty and may contain `=`; the key may not be empty.
fn key_value(raw: &str) -> Result<(String, String), String> {
    match raw.split_once('=') {
        Some((key, value)) if !key.is_empty() => Ok((key.to_owned(), value.to_owned())),
        _ => Err(format!("expected KEY=VALUE, got {raw:?}")),
    }
}

/// `500ms`, `90s`, `90` (seconds), `30m`, `1h`.
pub fn duration(raw: &str) -> Result<Duration, String> {
    let raw = raw.trim();
    let split = raw.find(|c: char| !c.is_ascii_digit()).unwrap_or(raw.len());
    let (number, unit) = raw.split_at(split);
    let n: u64 = number
        .parse()
        .map_err(|_| format!("expected a duration such as 90s, 30m or 1h, got {raw:?}"))?;
    let duration = match unit {
        "ms" => Duration::from_millis(n),
        "" | "s" => Duration::from_secs(n),
        "m" => Duration::from_secs(n * 60),
        "h" => Duration::from_secs(n * 3600),
        _ => {
            return Err(format!(
                "unknown unit {unit:?} in {raw:?}: use ms, s, m or h"
            ))
        }
    };
    Ok(duration)
}

/// Reads `--file` and the `@PATH` values; `-` is standard input. Injected so that the mapping
/// is tested without files.
pub trait ReadSource {
    fn read(&self, path: &Path) -> std::io::Result<String>;
}

/// The real file system and standard input.
pub struct Files;

impl ReadSource for Files {
    fn read(&self, path: &Path) -> std::io::Result<String> {
        if path == Path::new("-") {
            std::io::read_to_string(std::io::stdin())
        } else {
            std::fs::read_to_string(path)
        }
    }
}

impl CreateArgs {
    /// The body of `POST /stacks`: `--file`'s object, if any, with every flag given set on it.
    /// Maps (`origin_headers`, `tags`) are merged key by key, a flag winning over the file.
    pub fn request(&self, files: &dyn ReadSource) -> Result<Value, String> {
        let mut body = match &self.file {
            None => Map::new(),
            Some(path) => {
                let text = files
                    .read(path)
                    .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
                match serde_json::from_str::<Value>(&text) {
                    Ok(Value::Object(map)) => map,
                    Ok(_) => return Err(format!("{} must hold a JSON object", path.display())),
                    Err(e) => return Err(format!("{} is not JSON: {e}", path.display())),
                }
            }
        };
        let strings = [
            ("name", &self.name),
            ("api_id", &self.api_id),
            ("region", &self.region),
            ("stage", &self.stage),
            ("auth", &self.auth),
            ("min_origin_tls", &self.min_origin_tls),
            ("price_class", &self.price_class),
            ("smoke_test_path", &self.smoke_test_path),
        ];
        for (field, value) in strings {
            if let Some(value) = value {
                body.insert(field.to_owned(), Value::String(value.clone()));
            }
        }
        if let Some(origin_path) = self.origin_path {
            body.insert("origin_path".into(), Value::Bool(origin_path));
        }
        if self.custom_domain.is_some() || self.hosted_zone_id.is_some() {
            let domain = object_at(&mut body, "custom_domain")?;
            if let Some(name) = &self.custom_domain {
                domain.insert("name".into(), Value::String(name.clone()));
            }
            if let Some(zone) = &self.hosted_zone_id {
                domain.insert("hosted_zone_id".into(), Value::String(zone.clone()));
            }
        }
        if !self.origin_headers.is_empty() {
            let headers = object_at(&mut body, "origin_headers")?;
            for (name, value) in &self.origin_headers {
                let value = match value.strip_prefix('@') {
                    Some(path) => {
                        let text = files.read(Path::new(path)).map_err(|e| {
                            format!(
                                "cannot read the value of origin header {name} from {path}: {e}"
                            )
                        })?;
                        text.trim_end_matches(['\r', '\n']).to_owned()
                    }
                    None => value.clone(),
                };
                headers.insert(name.clone(), Value::String(value));
            }
        }
        if !self.tags.is_empty() {
            let tags = object_at(&mut body, "tags")?;
            for (key, value) in &self.tags {
                tags.insert(key.clone(), Value::String(value.clone()));
            }
        }
        Ok(Value::Object(body))
    }
}

/// The object at `field`, created when absent or null.
fn object_at<'a>(
    body: &'a mut Map<String, Value>,
    field: &str,
) -> Result<&'a mut Map<String, Value>, String> {
    let slot = body
        .entry(field.to_owned())
        .or_insert_with(|| Value::Object(Map::new()));
    if slot.is_null() {
        *slot = Value::Object(Map::new());
    }
    slot.as_object_mut()
        .ok_or_else(|| format!("the file's {field} is not an object, so flags cannot add to it"))
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use clap::CommandFactory;
    use serde_json::json;

    use super::*;

    struct FakeFiles(HashMap<&'static str, &'static str>);

    impl ReadSource for FakeFiles {
        fn read(&self, path: &Path) -> std::io::Result<String> {
            self.0
                .get(path.to_str().unwrap())
                .map(|s| s.to_string())
                .ok_or_else(|| std::io::Error::new(std::io::ErrorKind::NotFound, "no such file"))
        }
    }

    fn no_files() -> FakeFiles {
        FakeFiles(HashMap::new())
    }

    fn parse(args: &[&str]) -> Cli {
        let mut argv = vec!["edgestack"];
        argv.extend_from_slice(args);
        Cli::try_parse_from(argv).unwrap_or_else(|e| panic!("{args:?}: {e}"))
    }

    fn create_args(args: &[&str]) -> CreateArgs {
        let mut argv = vec!["create"];
        argv.extend_from_slice(args);
        match parse(&argv).command {
            Command::Create(create) => *create,
            other => panic!("not create: {other:?}"),
        }
    }

    #[test]
    fn the_command_line_is_well_formed() {
        Cli::command().debug_assert();
    }

    #[test]
    fn every_request_field_has_a_flag() {
        let args = create_args(&[
            "--name",
            "greetings-prod",
            "--api-id",
            "a1b2c3d4e5",
            "--region",
            "eu-west-1",
            "--stage",
            "prod",
            "--auth",
            "none",
            "--origin-path",
            "true",
            "--custom-domain",
            "api.example.com",
            "--hosted-zone-id",
            "Z0123456789ABCDEFGHIJ",
            "--origin-header",
            "X-Origin-Verify=a-shared-secret",
            "--min-origin-tls",
            "TLSv1.2",
            "--price-class",
            "PriceClass_All",
            "--smoke-test-path",
            "/greetings",
            "--tag",
            "team=payments",
        ]);
        // The contract's own example of a full request (api.md).
        let expected = json!({
            "name": "greetings-prod",
            "api_id": "a1b2c3d4e5",
            "region": "eu-west-1",
            "stage": "prod",
            "auth": "none",
            "origin_path": true,
            "custom_domain": { "name": "api.example.com", "hosted_zone_id": "Z0123456789ABCDEFGHIJ" },
            "origin_headers": { "X-Origin-Verify": "a-shared-secret" },
            "min_origin_tls": "TLSv1.2",
            "price_class": "PriceClass_All",
            "smoke_test_path": "/greetings",
            "tags": { "team": "payments" }
        });
        assert_eq!(args.request(&no_files()).unwrap(), expected);
    }

    #[test]
    fn a_minimal_request_sends_only_what_was_given() {
        let args = create_args(&[
            "--api-id",
            "a1b2c3d4e5",
            "--region",
            "eu-west-1",
            "--stage",
            "prod",
        ]);
        assert_eq!(
            args.request(&no_files()).unwrap(),
            json!({ "api_id": "a1b2c3d4e5", "region": "eu-west-1", "stage": "prod" })
        );
        assert!(!args.wait.wait);
        assert_eq!(args.wait.timeout, Duration::from_secs(1800));
    }

    #[test]
    fn the_required_fields_are_required_without_a_file() {
        let err =
            Cli::try_parse_from(["edgestack", "create", "--api-id", "a1b2c3d4e5"]).unwrap_err();
        assert_eq!(err.kind(), clap::error::ErrorKind::MissingRequiredArgument);
        assert!(err.use_stderr());
        let text = err.to_string();
        assert!(
            text.contains("--region") && text.contains("--stage"),
            "{text}"
        );
    }

    #[test]
    fn flags_override_the_file_and_merge_into_its_maps() {
        let files = FakeFiles(HashMap::from([(
            "req.json",
            r#"{"api_id": "a1b2c3d4e5", "region": "eu-west-1", "stage": "dev",
                "custom_domain": {"name": "old.example.com"},
                "tags": {"team": "payments", "env": "dev"}}"#,
        )]));
        let args = create_args(&[
            "--file",
            "req.json",
            "--stage",
            "prod",
            "--hosted-zone-id",
            "Z1",
            "--tag",
            "env=prod",
            "--origin-path",
            "false",
        ]);
        assert_eq!(
            args.request(&files).unwrap(),
            json!({
                "api_id": "a1b2c3d4e5", "region": "eu-west-1", "stage": "prod",
                "origin_path": false,
                "custom_domain": {"name": "old.example.com", "hosted_zone_id": "Z1"},
                "tags": {"team": "payments", "env": "prod"}
            })
        );
    }

    #[test]
    fn the_file_alone_is_sent_as_it_is() {
        let files = FakeFiles(HashMap::from([(
            "-",
            r#"{"api_id": "x", "colour": "blue"}"#,
        )]));
        let args = create_args(&["--file", "-"]);
        // Unknown or bad fields are the API's to name, all at once.
        assert_eq!(
            args.request(&files).unwrap(),
            json!({"api_id": "x", "colour": "blue"})
        );
    }

    #[test]
    fn a_file_that_is_not_a_json_object_is_refused() {
        let files = FakeFiles(HashMap::from([("a.json", "[1, 2]"), ("b.json", "{nope")]));
        for (path, problem) in [
            ("a.json", "must hold a JSON object"),
            ("b.json", "is not JSON"),
            ("missing.json", "cannot read missing.json"),
        ] {
            let err = create_args(&["--file", path]).request(&files).unwrap_err();
            assert!(err.contains(problem), "{path}: {err}");
        }
    }

    #[test]
    fn a_secret_header_value_can_come_from_a_file() {
        let files = FakeFiles(HashMap::from([("secret.txt", "s3cr3t=with=equals\n")]));
        let args = create_args(&[
            "--api-id",
            "a1b2c3d4e5",
            "--region",
            "eu-west-1",
            "--stage",
            "prod",
            "--origin-header",
            "X-Origin-Verify=@secret.txt",
            "--origin-header",
            "X-Plain=a=b",
        ]);
        let body = args.request(&files).unwrap();
        assert_eq!(
            body["origin_headers"]["X-Origin-Verify"],
            "s3cr3t=with=equals"
        );
        assert_eq!(body["origin_headers"]["X-Plain"], "a=b");
    }

    #[test]
    fn key_values_need_a_key() {
        assert_eq!(key_value("a=").unwrap(), ("a".into(), String::new()));
        assert!(key_value("=b").is_err());
        assert!(key_value("ab").is_err());
        let err = Cli::try_parse_from([
            "edgestack",
            "create",
            "--api-id",
            "a",
            "--region",
            "r",
            "--stage",
            "s",
            "--tag",
            "nope",
        ])
        .unwrap_err();
        assert_eq!(err.kind(), clap::error::ErrorKind::ValueValidation);
    }

    #[test]
    fn durations_read_as_people_write_them() {
        assert_eq!(duration("500ms").unwrap(), Duration::from_millis(500));
        assert_eq!(duration("90").unwrap(), Duration::from_secs(90));
        assert_eq!(duration("90s").unwrap(), Duration::from_secs(90));
        assert_eq!(duration("30m").unwrap(), Duration::from_secs(1800));
        assert_eq!(duration("1h").unwrap(), Duration::from_secs(3600));
        for bad in ["", "m", "1d", "-1s", "1.5s"] {
            assert!(duration(bad).is_err(), "{bad} accepted");
        }
    }

    #[test]
    fn global_flags_go_anywhere() {
        let cli = parse(&[
            "get",
            "stk_x",
            "--output",
            "json",
            "--endpoint",
            "http://127.0.0.1:1/api",
        ]);
        assert_eq!(cli.global.output, OutputFormat::Json);
        assert_eq!(
            cli.global.endpoint.as_deref(),
            Some("http://127.0.0.1:1/api")
        );
        assert!(matches!(cli.command, Command::Get(IdArg { ref id }) if id == "stk_x"));
    }

    #[test]
    fn list_flags_become_the_query() {
        let cli = parse(&["list", "--status", "READY", "--limit", "5"]);
        let Command::List(list) = cli.command else {
            panic!("not list")
        };
        assert_eq!(
            list.query(None),
            vec![("status", "READY".to_owned()), ("limit", "5".to_owned())]
        );
        assert_eq!(list.query(Some("t"))[2], ("next_token", "t".to_owned()));
        assert!(Cli::try_parse_from(["edgestack", "list", "--all", "--next-token", "t"]).is_err());
    }

    #[test]
    fn wait_and_delete_take_a_timeout() {
        let cli = parse(&["wait", "stk_x", "--timeout", "5m", "--interval", "1s"]);
        let Command::Wait(wait) = cli.command else {
            panic!("not wait")
        };
        assert_eq!(wait.timeout, Duration::from_secs(300));
        assert_eq!(wait.interval, Duration::from_secs(1));
        let cli = parse(&["delete", "stk_x", "--wait"]);
        let Command::Delete(delete) = cli.command else {
            panic!("not delete")
        };
        assert!(delete.wait.wait);
    }

    #[test]
    fn help_and_version_are_not_errors() {
        for flag in ["--help", "--version"] {
            let err = Cli::try_parse_from(["edgestack", flag]).unwrap_err();
            assert!(!err.use_stderr(), "{flag}");
        }
        let err = Cli::try_parse_from(["edgestack", "--help"]).unwrap_err();
        assert!(err.to_string().contains("Exit status:"));
    }
}
