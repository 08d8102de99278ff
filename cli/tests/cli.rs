//! The `edgestack` binary against the local stack, as a team's script would run it: every
//! command, the progress while waiting, `--output json`, and each exit status.
//!
//! Needs the local stack (`make up`). Its settings are read from the file named by
//! `EDGESTACK_ENV_FILE`, else from `.local/env` at the repository's root; a missing file is a
//! loud failure, never a skipped test. Every test acts as a principal of its own (a session of
//! a role of its own, whose credentials the CLI finds in its environment), so the tests run in
//! parallel without seeing each other's stacks.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

use edgestack_tests::contract::{assert_matches_schema, repo_root};
use edgestack_tests::{random_principal, random_suffix};
use serde_json::Value;

/// Where the tests' REST APIs live, and so the region their stacks name.
const API_REGION: &str = "eu-west-1";
/// Far above the local stack's few seconds: a bound, never an expectation.
const PATIENCE: &str = "180s";
const EXIT_OK: i32 = 0;
const EXIT_ERROR: i32 = 1;
const EXIT_USAGE: i32 = 2;
const EXIT_FAILED: i32 = 3;
const EXIT_TIMED_OUT: i32 = 4;
const EXIT_BAD_REQUEST: i32 = 5;
const EXIT_NOT_FOUND: i32 = 6;
const EXIT_CONFLICT: i32 = 7;
const EXIT_DENIED: i32 = 8;
const EXIT_DELETED: i32 = 9;

struct LocalStack {
    env_file: PathBuf,
}

impl LocalStack {
    fn get() -> &'static LocalStack {
        static STACK: OnceLock<LocalStack> = OnceLock::new();
        STACK.get_or_init(|| {
            let env_file = std::env::var_os("EDGESTACK_ENV_FILE")
                .map(PathBuf::from)
                .unwrap_or_else(|| repo_root().join(".local/env"));
            assert!(
                env_file.is_file(),
                "\n\nThe CLI's tests need the local stack, and {} does not exist.\n\
                 Start it with `make up` (stop it with `make down`), or name another stack's \
                 env file in EDGESTACK_ENV_FILE.\n",
                env_file.display()
            );
            LocalStack { env_file }
        })
    }
}

/// One run of the binary, read in full.
#[derive(Debug)]
struct Run {
    code: i32,
    stdout: String,
    stderr: String,
    what: String,
}

impl Run {
    /// Standard output as one JSON document (panics, showing the run, when it is not).
    fn json(&self) -> Value {
        serde_json::from_str(&self.stdout).unwrap_or_else(|e| {
            panic!(
                "{}: standard output is not one JSON document ({e}):\n{self:#?}",
                self.what
            )
        })
    }

    fn expect(&self, code: i32) -> &Self {
        assert_eq!(self.code, code, "{}: exit status\n{self:#?}", self.what);
        self
    }
}

/// Runs `edgestack args...` as `principal` against the local stack, from a directory with no
/// `.local/env` of its own.
fn edgestack(principal: &str, args: &[&str]) -> Run {
    edgestack_in(&std::env::temp_dir(), principal, args, true)
}

fn edgestack_in(dir: &Path, principal: &str, args: &[&str], env_file: bool) -> Run {
    run(
        command(dir, principal, args, env_file),
        format!("edgestack {}", args.join(" ")),
    )
}

/// Runs `command` to its end.
fn run(mut command: Command, what: String) -> Run {
    let output = command.output().expect("the edgestack binary runs");
    Run {
        code: output.status.code().expect("the binary exits by itself"),
        stdout: String::from_utf8(output.stdout).expect("UTF-8 output"),
        stderr: String::from_utf8(output.stderr).expect("UTF-8 errors"),
        what,
    }
}

/// The temporary credentials of `principal`, a session of a role (made at its first use): the
/// standard credentials chain hands them to the CLI from the environment, as after
/// `aws sts assume-role` in a team's CI.
fn session_of(principal: &str) -> aws_credential_types::Credentials {
    static SESSIONS: OnceLock<
        std::sync::Mutex<std::collections::HashMap<String, aws_credential_types::Credentials>>,
    > = OnceLock::new();
    let sessions = SESSIONS.get_or_init(Default::default);
    if let Some(found) = sessions.lock().unwrap().get(principal) {
        return found.clone();
    }
    let made = tokio::runtime::Runtime::new()
        .expect("a runtime")
        .block_on(edgestack_tests::session_credentials(principal));
    sessions
        .lock()
        .unwrap()
        .insert(principal.to_owned(), made.clone());
    made
}

/// The `edgestack args...` command as [`edgestack_in`] runs it, signing as `principal`, not yet
/// started.
fn command(dir: &Path, principal: &str, args: &[&str], env_file: bool) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_edgestack"));
    let credentials = session_of(principal);
    command
        .args(args)
        .current_dir(dir)
        .env("AWS_ACCESS_KEY_ID", credentials.access_key_id())
        .env("AWS_SECRET_ACCESS_KEY", credentials.secret_access_key())
        .env(
            "AWS_SESSION_TOKEN",
            credentials.session_token().unwrap_or_default(),
        )
        .env("AWS_REGION", &edgestack_tests::LocalEnv::get().region)
        .env_remove("AWS_PROFILE")
        .env("NO_COLOR", "1")
        .env_remove("EDGESTACK_ENDPOINT")
        .env_remove("EDGESTACK_ENV_FILE")
        .env_remove("STACKS_API_URL");
    if env_file {
        command.env("EDGESTACK_ENV_FILE", &LocalStack::get().env_file);
    }
    command
}

/// A Regional REST API in the emulated account with `GET /greetings` (open) and
/// `GET /private` (`AWS_IAM`), MOCK integrations deployed to `prod`: what a team's stack
/// fronts, made by the end-to-end harness. One per test binary.
fn rest_api() -> &'static str {
    static API: OnceLock<String> = OnceLock::new();
    API.get_or_init(|| {
        let runtime = tokio::runtime::Runtime::new().expect("a runtime");
        runtime.block_on(async {
            edgestack_tests::Aws::new()
                .await
                .create_regional_rest_api(&format!("cli-greetings-{}", random_suffix()))
                .await
        })
    })
}

fn id_of(stack: &Value) -> String {
    stack["id"]
        .as_str()
        .unwrap_or_else(|| panic!("not a stack: {stack}"))
        .to_owned()
}

/// A request for an API that does not exist: accepted, then `FAILED` at validation.
const NO_SUCH_API: [&str; 6] = [
    "--api-id",
    "a1b2c3d4e5",
    "--region",
    API_REGION,
    "--stage",
    "prod",
];

#[test]
fn create_then_wait_shows_the_progress_until_ready_then_delete() {
    let me = random_principal();
    let api = rest_api();
    let created = edgestack(
        &me,
        &[
            "create",
            "--api-id",
            api,
            "--region",
            API_REGION,
            "--stage",
            "prod",
            "--name",
            "cli-greetings",
            "--smoke-test-path",
            "/greetings",
            "--tag",
            "suite=cli",
            "--output",
            "json",
        ],
    );
    created.expect(EXIT_OK);
    let stack = created.json();
    assert_matches_schema("Stack", &stack);
    assert_eq!(stack["status"], "PENDING");
    assert_eq!(stack["request"]["tags"]["suite"], "cli");
    let id = id_of(&stack);

    // Standard error is a pipe here: one plain line per change.
    let waited = edgestack(
        &me,
        &["wait", &id, "--timeout", PATIENCE, "--interval", "300ms"],
    );
    waited.expect(EXIT_OK);
    assert!(
        waited.stdout.contains(&format!("id        {id}")),
        "{waited:#?}"
    );
    assert!(waited.stdout.contains("status    READY"), "{waited:#?}");
    assert!(
        waited
            .stderr
            .contains(&format!("{id} READY (phase COMPLETE)")),
        "{waited:#?}"
    );
    for step in [
        "validate",
        "create_distribution",
        "smoke_test",
        "mark_ready",
    ] {
        assert!(
            waited.stderr.contains(&format!("step {step}: SUCCEEDED")),
            "the progress does not show {step}:\n{}",
            waited.stderr
        );
    }
    assert!(
        !waited.stderr.contains('\x1b'),
        "no terminal codes when piped: {:?}",
        waited.stderr
    );

    let got = edgestack(&me, &["get", &id, "-o", "json"]);
    got.expect(EXIT_OK);
    let ready = got.json();
    assert_matches_schema("Stack", &ready);
    assert_eq!(ready["status"], "READY");
    assert!(ready["outputs"]["distribution_id"].is_string(), "{ready}");

    let listed = edgestack(&me, &["list", "-o", "json"]);
    listed.expect(EXIT_OK);
    let page = listed.json();
    assert_matches_schema("StackPage", &page);
    assert_eq!(page["items"][0]["id"], id.as_str());
    let table = edgestack(&me, &["list", "--status", "READY", "--all"]);
    table.expect(EXIT_OK);
    assert!(table.stdout.starts_with("ID"), "{table:#?}");
    assert!(
        table.stdout.contains(&id) && table.stdout.contains("cli-greetings"),
        "{table:#?}"
    );

    let deleted = edgestack(
        &me,
        &[
            "delete",
            &id,
            "--wait",
            "--timeout",
            PATIENCE,
            "--interval",
            "300ms",
            "-o",
            "json",
        ],
    );
    deleted.expect(EXIT_OK);
    let gone = deleted.json();
    assert_matches_schema("Stack", &gone);
    assert_eq!(gone["status"], "DELETED");
    assert!(
        deleted.stderr.contains("step finish_teardown: SUCCEEDED"),
        "{deleted:#?}"
    );

    // Waiting on a deleted stack is done at once; deleting it again is a conflict.
    edgestack(&me, &["wait", &id, "--timeout", PATIENCE]).expect(EXIT_OK);
    let again = edgestack(&me, &["delete", &id]);
    again.expect(EXIT_CONFLICT);
    assert!(again.stderr.contains("already_deleted"), "{again:#?}");
}

#[test]
fn create_with_wait_and_json_output_prints_exactly_the_final_stack() {
    let me = random_principal();
    let run = edgestack(
        &me,
        &[
            "create",
            "--api-id",
            rest_api(),
            "--region",
            API_REGION,
            "--stage",
            "prod",
            "--wait",
            "--timeout",
            PATIENCE,
            "--interval",
            "300ms",
            "--output",
            "json",
        ],
    );
    run.expect(EXIT_OK);
    let stack = run.json();
    assert_eq!(stack["status"], "READY", "{stack}");
    assert_matches_schema("Stack", &stack);
    // The progress went to standard error, standard output holds nothing but the document.
    assert!(run.stderr.contains("READY (phase COMPLETE)"), "{run:#?}");
    let quiet = edgestack(&me, &["wait", &id_of(&stack), "--quiet", "-o", "json"]);
    quiet.expect(EXIT_OK);
    assert_eq!(quiet.stderr, "", "--quiet shows no progress");
    assert_eq!(quiet.json()["id"], stack["id"]);
    edgestack(
        &me,
        &[
            "delete",
            &id_of(&stack),
            "--wait",
            "--timeout",
            PATIENCE,
            "-q",
        ],
    )
    .expect(EXIT_OK);
}

#[test]
fn a_stack_that_fails_exits_3_and_says_why() {
    let me = random_principal();
    let run = edgestack(
        &me,
        &[
            "create",
            "--api-id",
            rest_api(),
            "--region",
            API_REGION,
            "--stage",
            "prod",
            "--tag",
            "fault-injection=create_distribution",
            "--wait",
            "--timeout",
            PATIENCE,
            "--interval",
            "300ms",
            "-o",
            "json",
        ],
    );
    let stack = run.json();
    assert_ne!(
        stack["status"], "READY",
        "the fault was not injected: is the local stack started with EDGESTACK_FAULT_INJECTION?"
    );
    run.expect(EXIT_FAILED);
    assert_matches_schema("Stack", &stack);
    assert_eq!(stack["status"], "FAILED");
    assert_eq!(stack["error"]["step"], "create_distribution", "{stack}");
    assert!(run.stderr.contains("FAILED"), "{run:#?}");

    // The text output names the error for a person.
    let shown = edgestack(&me, &["get", &id_of(&stack)]);
    shown.expect(EXIT_OK);
    assert!(
        shown.stdout.contains("error:") && shown.stdout.contains("(step create_distribution)"),
        "{shown:#?}"
    );
    // And waiting on it again ends the same way.
    edgestack(&me, &["wait", &id_of(&stack), "--timeout", PATIENCE]).expect(EXIT_FAILED);
}

#[test]
fn a_bad_request_exits_5_naming_every_bad_field() {
    let me = random_principal();
    let run = edgestack(
        &me,
        &[
            "create", "--api-id", "NOPE", "--region", "mars", "--stage", "prod",
        ],
    );
    run.expect(EXIT_BAD_REQUEST);
    assert!(
        run.stderr.contains("validation_failed, HTTP 400"),
        "{run:#?}"
    );
    assert!(
        run.stderr.contains("  api_id: ") && run.stderr.contains("  region: "),
        "{run:#?}"
    );
    assert_eq!(run.stdout, "");

    let json = edgestack(
        &me,
        &[
            "create", "--api-id", "NOPE", "--region", "mars", "--stage", "prod", "-o", "json",
        ],
    );
    json.expect(EXIT_BAD_REQUEST);
    let error = json.json();
    assert_matches_schema("Error", &error);
    assert_eq!(error["error"]["code"], "validation_failed");

    // A file's fields are the API's to judge, all at once.
    let file = std::env::temp_dir().join(format!("edgestack-cli-{}.json", random_suffix()));
    std::fs::write(
        &file,
        r#"{"api_id": "a1b2c3d4e5", "region": "eu-west-1", "stage": "prod", "colour": "blue"}"#,
    )
    .unwrap();
    let from_file = edgestack(
        &me,
        &[
            "create",
            "--file",
            file.to_str().unwrap(),
            "--min-origin-tls",
            "SSLv3",
        ],
    );
    from_file.expect(EXIT_BAD_REQUEST);
    assert!(
        from_file.stderr.contains("  colour: is not a known field"),
        "{from_file:#?}"
    );
    assert!(
        from_file
            .stderr
            .contains("  min_origin_tls: SSLv3 is refused"),
        "{from_file:#?}"
    );
    std::fs::remove_file(&file).unwrap();

    // Nothing was created by any of them.
    let listed = edgestack(&me, &["list", "-o", "json"]).json();
    assert_eq!(listed["items"], Value::Array(vec![]), "{listed}");
}

#[test]
fn a_stack_that_is_not_the_callers_exits_6() {
    let me = random_principal();
    for args in [
        vec!["get", "stk_aaaaaaaaaaaaaaaaaaaa"],
        vec!["get", "not-an-id"],
        vec!["wait", "stk_aaaaaaaaaaaaaaaaaaaa", "--timeout", PATIENCE],
        vec!["delete", "stk_aaaaaaaaaaaaaaaaaaaa"],
    ] {
        let run = edgestack(&me, &args);
        run.expect(EXIT_NOT_FOUND);
        assert!(run.stderr.contains("stack_not_found, HTTP 404"), "{run:#?}");
    }
    // Another team's stack does not exist for this caller.
    let theirs = edgestack(
        &random_principal(),
        &[&["create"][..], &NO_SUCH_API[..], &["-o", "json"]].concat(),
    );
    theirs.expect(EXIT_OK);
    let id = id_of(&theirs.json());
    edgestack(&me, &["get", &id]).expect(EXIT_NOT_FOUND);
    edgestack(&me, &["delete", &id]).expect(EXIT_NOT_FOUND);
    let json = edgestack(&me, &["get", &id, "-o", "json"]);
    json.expect(EXIT_NOT_FOUND);
    assert_eq!(json.json()["error"]["code"], "stack_not_found");
}

#[test]
fn a_wait_that_runs_out_of_time_exits_4_with_the_stack_as_last_seen() {
    let me = random_principal();
    // The answer to a create is always PENDING; a wait of no time at all looks no further.
    let run = edgestack(
        &me,
        &[
            &["create"][..],
            &NO_SUCH_API[..],
            &["--wait", "--timeout", "0s", "-o", "json"],
        ]
        .concat(),
    );
    run.expect(EXIT_TIMED_OUT);
    let stack = run.json();
    assert_eq!(stack["status"], "PENDING");
    assert!(run.stderr.contains("timed out after 0:00"), "{run:#?}");
    assert!(
        run.stderr
            .contains(&format!("edgestack wait {}", id_of(&stack))),
        "{run:#?}"
    );
}

#[test]
fn conflicts_exit_7_and_a_replay_returns_the_same_stack() {
    let me = random_principal();
    let key = format!("cli-test-{}", random_suffix());
    let first = edgestack(
        &me,
        &[
            &["create"][..],
            &NO_SUCH_API[..],
            &["--idempotency-key", &key, "-o", "json"],
        ]
        .concat(),
    );
    first.expect(EXIT_OK);
    let again = edgestack(
        &me,
        &[
            &["create"][..],
            &NO_SUCH_API[..],
            &["--idempotency-key", &key, "-o", "json"],
        ]
        .concat(),
    );
    again.expect(EXIT_OK);
    assert_eq!(
        again.json()["id"],
        first.json()["id"],
        "the same key and body: the same stack"
    );
    assert!(
        again.stderr.contains("used before with the same request"),
        "{again:#?}"
    );
    let other = edgestack(
        &me,
        &[
            "create",
            "--api-id",
            "b1b2c3d4e5",
            "--region",
            API_REGION,
            "--stage",
            "prod",
            "--idempotency-key",
            &key,
        ],
    );
    other.expect(EXIT_CONFLICT);
    assert!(
        other.stderr.contains("idempotency_key_reused, HTTP 409"),
        "{other:#?}"
    );
}

#[test]
fn a_domain_the_caller_may_not_use_exits_8() {
    let me = random_principal();
    let run = edgestack(
        &me,
        &[
            &["create"][..],
            &NO_SUCH_API[..],
            &["--custom-domain", "api.not-allowed.test"],
        ]
        .concat(),
    );
    run.expect(EXIT_DENIED);
    assert!(run.stderr.contains("forbidden, HTTP 403"), "{run:#?}");
    assert!(run.stderr.contains("  custom_domain.name: "), "{run:#?}");
}

#[test]
fn usage_errors_exit_2_before_anything_is_sent() {
    let me = random_principal();
    for (args, says) in [
        (vec!["create", "--api-id", "a1b2c3d4e5"], "--region"),
        (
            vec!["create", "--file", "/nonexistent/request.json"],
            "cannot read /nonexistent/request.json",
        ),
        (vec!["wait", "stk_x", "--timeout", "soon"], "duration"),
        (
            vec![
                "create", "--api-id", "a", "--region", "r", "--stage", "s", "--tag", "novalue",
            ],
            "KEY=VALUE",
        ),
        (
            vec![
                "--endpoint",
                "https://a1b2c3d4e5.execute-api.eu-west-1.amazonaws.com/prod",
                "--principal",
                "arn:x",
                "get",
                "stk_x",
            ],
            // Who calls is whoever signed: there is no flag to name oneself.
            "unexpected argument '--principal'",
        ),
        (
            vec!["--endpoint", "ftp://example.com", "get", "stk_x"],
            "not an http(s) URL",
        ),
    ] {
        let run = edgestack(&me, &args);
        run.expect(EXIT_USAGE);
        assert!(
            run.stderr.contains(says),
            "{args:?} does not say {says:?}:\n{run:#?}"
        );
    }
    let help = edgestack(&me, &["--help"]);
    help.expect(EXIT_OK);
    assert!(
        help.stdout.contains("Exit status:") && help.stdout.contains(" 4  wait timed out"),
        "{help:#?}"
    );
}

#[test]
fn no_answer_exits_1() {
    // A port that was just free: nothing listens there.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let endpoint = format!("http://127.0.0.1:{port}/api");
    let run = edgestack(
        &random_principal(),
        &["--endpoint", &endpoint, "get", "stk_aaaaaaaaaaaaaaaaaaaa"],
    );
    run.expect(EXIT_ERROR);
    assert!(run.stderr.contains("no answer from"), "{run:#?}");
}

#[test]
fn the_local_stack_is_found_from_the_working_directory() {
    let root = std::env::temp_dir().join(format!("edgestack-cli-repo-{}", random_suffix()));
    std::fs::create_dir_all(root.join(".local")).unwrap();
    std::fs::create_dir_all(root.join("some/dir")).unwrap();
    std::fs::copy(&LocalStack::get().env_file, root.join(".local/env")).unwrap();
    let me = random_principal();
    let found = edgestack_in(&root.join("some/dir"), &me, &["list", "-o", "json"], false);
    found.expect(EXIT_OK);
    assert_eq!(found.json()["items"], Value::Array(vec![]));
    let nowhere = std::env::temp_dir().join(format!("edgestack-cli-empty-{}", random_suffix()));
    std::fs::create_dir_all(&nowhere).unwrap();
    let lost = edgestack_in(&nowhere, &me, &["list"], false);
    lost.expect(EXIT_USAGE);
    assert!(lost.stderr.contains("no endpoint"), "{lost:#?}");

    // A shell with no credentials of its own signs with those the env file names (the
    // account's own keys): the local API Gateway accepts them.
    let mut bare = command(&root.join("some/dir"), &me, &["list", "-o", "json"], false);
    for name in [
        "AWS_ACCESS_KEY_ID",
        "AWS_SECRET_ACCESS_KEY",
        "AWS_SESSION_TOKEN",
        "AWS_REGION",
    ] {
        bare.env_remove(name);
    }
    let as_the_file_says = run(bare, "edgestack list (the env file's credentials)".into());
    as_the_file_says.expect(EXIT_OK);
    assert!(as_the_file_says.json()["items"].is_array());
    std::fs::remove_dir_all(root).unwrap();
    std::fs::remove_dir_all(nowhere).unwrap();
}

#[test]
fn a_stack_deleted_while_waited_for_exits_9() {
    use std::io::{BufRead, BufReader, Read};
    use std::process::Stdio;

    let me = random_principal();
    // Outside DNS: the stack waits for its certificates (pending for a while on the local
    // stack the tests run), long enough to be deleted while a wait for READY follows it.
    let name = format!("api.w{}.example.com", random_suffix());
    let created = edgestack(
        &me,
        &[
            "create",
            "--api-id",
            rest_api(),
            "--region",
            API_REGION,
            "--stage",
            "prod",
            "--custom-domain",
            &name,
            "-o",
            "json",
        ],
    );
    created.expect(EXIT_OK);
    let id = id_of(&created.json());

    let mut wait = command(
        &std::env::temp_dir(),
        &me,
        &["wait", &id, "--timeout", PATIENCE, "-o", "json"],
        true,
    )
    .stdout(Stdio::piped())
    .stderr(Stdio::piped())
    .spawn()
    .expect("the edgestack binary runs");
    // Its first progress line: it has seen the stack, not yet deleted, and waits for READY.
    let mut progress = BufReader::new(wait.stderr.take().expect("stderr"));
    let mut first = String::new();
    progress.read_line(&mut first).expect("a progress line");
    assert!(!first.contains("DELETING"), "{first}");

    edgestack(&me, &["delete", &id]).expect(EXIT_OK);

    let mut rest = String::new();
    progress
        .read_to_string(&mut rest)
        .expect("the rest of the progress");
    let mut stdout = String::new();
    wait.stdout
        .take()
        .expect("stdout")
        .read_to_string(&mut stdout)
        .expect("the final stack");
    let code = wait.wait().expect("the wait ends").code();
    assert_eq!(
        code,
        Some(EXIT_DELETED),
        "progress:\n{first}{rest}\nstdout:\n{stdout}"
    );
    let stack: Value = serde_json::from_str(&stdout).expect("one JSON document");
    assert_eq!(stack["status"], "DELETED", "{stack}");
    assert!(
        rest.contains("DELETED"),
        "the progress showed the deletion: {rest}"
    );
}

/// `edgestack call`: the request a team's client makes through a READY stack. For `auth: iam`
/// it signs what `outputs.signing` says (the execute-api host and `/prod` before the path,
/// behind an origin path), from the standard credentials chain; the data plane checks that
/// signature as API Gateway would and answers with the API's own MOCK body.
#[test]
fn call_reaches_the_api_through_the_distribution_signed_as_the_outputs_say() {
    let me = random_principal();
    let created = edgestack(
        &me,
        &[
            "create",
            "--api-id",
            rest_api(),
            "--region",
            API_REGION,
            "--stage",
            "prod",
            "--auth",
            "iam",
            "--origin-path",
            "true",
            "--smoke-test-path",
            "/private",
            "--wait",
            "--timeout",
            PATIENCE,
            "--output",
            "json",
        ],
    );
    created.expect(EXIT_OK);
    let id = id_of(&created.json());
    let call = |path: &str| {
        // The team's session signs for its own API as it does for edgestack's.
        let mut command = command(&std::env::temp_dir(), &me, &["call", &id, path], true);
        command.env_remove("EDGE_URL");
        run(command, format!("edgestack call {id} {path}"))
    };
    let private = call("/private");
    private.expect(EXIT_OK);
    let (status, body) = private
        .stdout
        .split_once('\n')
        .unwrap_or_else(|| panic!("a status line and a body: {private:#?}"));
    assert_eq!(status, "200", "{private:#?}");
    assert_eq!(
        serde_json::from_str::<Value>(body.trim()).expect("the API's JSON"),
        serde_json::from_str::<Value>(edgestack_tests::PRIVATE_BODY).unwrap()
    );
    // A path the API does not have: API Gateway's own 403, and a failing exit status.
    let missing = call("/nowhere");
    missing.expect(EXIT_ERROR);
    assert!(missing.stdout.starts_with("403\n"), "{missing:#?}");
    assert!(
        missing.stdout.contains("Missing Authentication Token"),
        "{missing:#?}"
    );
}
