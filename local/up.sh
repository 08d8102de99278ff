#!/usr/bin/env bash
# Start the local stack on loopback: the strict account (moto behind AWS's rules, with the
# CloudFront and API Gateway data plane: local/account.py) and `cargo lambda watch` (the real
# Rust functions); create the table, the state machines and the shared cache policy; write
# .local/env. Stop it with local/down.sh. Running it again while up changes nothing.
set -euo pipefail

# The repo root is this script's parent, so the same scripts serve any checkout.
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
STATE="$ROOT/.local"
VENV="$STATE/venv"
LOGS="$STATE/logs"
PIDS="$STATE/pids"
SERVICES=(account cargo-lambda)
REGION=us-east-1
ACCOUNT=123456789012 # moto's default account
PROVISION_ARN="arn:aws:states:$REGION:$ACCOUNT:stateMachine:edgestack-provision"
TEARDOWN_ARN="arn:aws:states:$REGION:$ACCOUNT:stateMachine:edgestack-teardown"
WATCH_ARN="arn:aws:states:$REGION:$ACCOUNT:stateMachine:edgestack-watch"

alive() { [[ -f "$PIDS/$1.pid" ]] && kill -0 "$(cat "$PIDS/$1.pid")" 2>/dev/null; }

running=0
for s in "${SERVICES[@]}"; do if alive "$s"; then running=$((running + 1)); fi; done
if ((running == ${#SERVICES[@]})) && [[ -f "$STATE/env" ]]; then
  echo "local stack already up (stop it with local/down.sh):"
  cat "$STATE/env"
  exit 0
fi
if compgen -G "$PIDS/*.pid" >/dev/null; then
  echo "a previous local stack is half up; stopping what is left of it"
  "$ROOT/local/down.sh"
fi
mkdir -p "$LOGS" "$PIDS"

# From here on, a failure stops whatever this run started; the logs stay for reading.
trap 'rc=$?; if ((rc != 0)); then "$ROOT/local/down.sh" >/dev/null 2>&1 || true; fi' EXIT
fail() {
  echo "up.sh: $1" >&2
  if [[ -n "${2:-}" && -f "$LOGS/$2.log" ]]; then
    echo "--- last lines of $LOGS/$2.log:" >&2
    tail -n 40 "$LOGS/$2.log" >&2
  fi
  exit 1
}

# Tools: pip only when the pinned set changed, so a warm `up` is quick and offline.
# shellcheck source=local/venv.sh
source "$ROOT/local/venv.sh"
PY="$VENV/bin/python"

PERMISSIONS="${EDGESTACK_PERMISSIONS:-$(cat local/permissions.json)}"
EDGESTACK_PERMISSIONS="$PERMISSIONS" "$PY" -c 'import json, os; json.loads(os.environ["EDGESTACK_PERMISSIONS"])' ||
  fail "EDGESTACK_PERMISSIONS (or local/permissions.json) is not valid JSON"

# cargo lambda watch builds a function lazily, with `cargo run --bin NAME`, on its first
# invocation. That build selects one package, so its feature set (and artifacts) can differ
# from `cargo build --workspace`'s; building each function the same way here pays that cost
# now, visibly, instead of inside a request or a Step Functions task.
# The functions: edgestack's (functions/) and the demo team's (local/greetings).
functions="$(cargo metadata --no-deps --format-version 1 | "$PY" -c '
import json, os, sys
roots = [os.path.join(sys.argv[1], d) + os.sep for d in ("functions", os.path.join("local", "greetings"))]
for p in json.load(sys.stdin)["packages"]:
    if any(p["manifest_path"].startswith(root) for root in roots):
        print(*(t["name"] for t in p["targets"] if "bin" in t["kind"]))
' "$ROOT")" || fail "cargo metadata failed: is the workspace's Cargo.toml valid?"
for f in $functions; do
  echo "building function $f"
  cargo build --bin "$f" || fail "function $f does not build"
done

# Distinct free ports: hold all sockets open while choosing so none repeats.
read -r ACCOUNT LAMBDA EDGE < <("$PY" -c '
import socket
socks = [socket.socket() for _ in range(3)]
for s in socks: s.bind(("127.0.0.1", 0))
print(*(s.getsockname()[1] for s in socks))')

start() { # NAME COMMAND...: its own session, so down.sh can end the whole process group
  local name=$1
  shift
  setsid "$@" >"$LOGS/$name.log" 2>&1 </dev/null &
  echo $! >"$PIDS/$name.pid"
}

# AWS's durations and rate windows, all multiplied by one scale (local/strict/core.py's
# DEFAULTS): 0.05 keeps AWS's proportions with a certificate issued in 6 s and a distribution
# deployed in 15 s. scripts/test.sh shrinks it further.
SCALE="${STRICT_TIME_SCALE:-0.05}"
[[ "$SCALE" =~ ^[0-9]*\.?[0-9]+$ ]] || fail "STRICT_TIME_SCALE must be a positive number, not '$SCALE'"
# moto's Step Functions engine calls Lambda at localhost:$MOTO_PORT: the account relays those
# calls to cargo-lambda and answers as Lambda does.
start account env MOTO_PORT="$ACCOUNT" "$PY" local/account.py --port "$ACCOUNT" \
  --lambda-port "$LAMBDA" --edge-port "$EDGE" --time-scale "$SCALE"

wait_http() { # NAME URL SECONDS: any HTTP answer counts; a dead process fails at once
  local deadline=$((SECONDS + $3))
  until curl -s -o /dev/null -m 2 "$2"; do
    alive "$1" || fail "$1 exited while starting" "$1"
    ((SECONDS < deadline)) || fail "$1 did not answer at $2 within $3 s" "$1"
    sleep 0.3
  done
}
wait_http account "http://127.0.0.1:$ACCOUNT/moto-api/" 60
wait_http account "http://127.0.0.1:$EDGE/" 30

# Without this, moto records executions but never runs the state machine.
curl -sf -o /dev/null -X POST -H 'Content-Type: application/json' \
  -d '{"stepfunctions": {"execute_state_machine": true}}' "http://127.0.0.1:$ACCOUNT/moto-api/config" ||
  fail "moto refused the Step Functions config" account

AWS_REGION="$REGION" "$PY" local/bootstrap.py --endpoint "http://127.0.0.1:$ACCOUNT" --root "$ROOT" \
  --time-scale "$SCALE" \
  --policy-id-file "$STATE/iam-cache-policy-id" \
  --edge-url "http://127.0.0.1:$EDGE" --stacks-api-url-file "$STATE/stacks-api-url" || fail "bootstrap failed"
# The provisioning API as infra/template.yaml deploys it (local/stacks_api.py): a REST API whose
# every method needs SigV4, served by the data plane, which invokes `api` through cargo-lambda.
STACKS_API_URL="$(cat "$STATE/stacks-api-url")"
IAM_CACHE_POLICY_ID="$(cat "$STATE/iam-cache-policy-id")"
# edgestack paces CreateDomainName and DeleteDomainName at the account's own rate limit (one
# every 30 s in AWS), which the local account scales with its time: each turn's call goes a
# window after the answer to the turn before (shared/steps/src/pace.rs). Turns are reserved the
# window plus the round trip observed at the last turns apart; before any was observed, the
# window plus a guessed one, which is not scaled (0.1 s here, 1 s in AWS). A slower one makes
# later turns drift later (each still waits for the answer before it), which a turn tolerates
# up to the window plus 2 s before it stops waiting for that answer.
DOMAIN_NAME_WINDOW_MILLIS="$(awk -v s="$SCALE" 'BEGIN { printf "%d", 30000 * s }')"
DOMAIN_NAME_INTERVAL_MILLIS="$(awk -v s="$SCALE" 'BEGIN { printf "%d", 30000 * s + 100 }')"
# The calls AWS allows a few a second (ACM's requests and listings, Route 53's changes) are
# spread over AWS's second, which the local account scales with its rate windows.
RATE_SECOND_MILLIS="$(awk -v s="$SCALE" 'BEGIN { v = 1000 * s; printf "%d", (v < 1 ? 1 : v) }')"

# The watcher (shared/steps/src/watch.rs) looks every 2 s in AWS, scaled like the account's time
# (as are parked tasks' timeouts: local/bootstrap.py), but not under 100 ms: the tests' tiny scale
# would otherwise have it look twenty times a second. Its slots are shorter than AWS's minute,
# so that the tests see watchers hand over to the next.
# The SDK's first backoff after a throttle (1 s in AWS: shared/aws/src/sdk.rs) waits out AWS's
# rate windows, so it is scaled with them.
SDK_INITIAL_BACKOFF_MILLIS="$(awk -v s="$SCALE" 'BEGIN { v = 1000 * s; printf "%d", (v < 1 ? 1 : v) }')"

WATCH_INTERVAL_MILLIS="$(awk -v s="$SCALE" 'BEGIN { v = 2000 * s; printf "%d", (v < 100 ? 100 : v) }')"
WATCH_SLOT_SECONDS=10

# A reload restarts every function and drops the invocations in flight, so tests and demos run
# without it; EDGESTACK_HOT_RELOAD=1 turns it on while editing code.
RELOAD="--ignore-changes"
[[ "${EDGESTACK_HOT_RELOAD:-0}" == 1 ]] && RELOAD=""
# cargo lambda watch runs one instance of each function unless told otherwise, so concurrent
# stacks (and the tests' parallel callers of the API) queue behind each other's invocations,
# where AWS would start more instances. LAMBDA_CONCURRENCY sets how many (per function).
CONCURRENCY="${LAMBDA_CONCURRENCY:-8}"
# Functions inherit the watch process's environment (tried: JSON values survive intact).
# Inheriting beats --env-var, which splits values on commas and prints them in its log.
# Any real AWS session or profile in the caller's shell must not reach the functions.
start cargo-lambda env -u AWS_PROFILE -u AWS_SESSION_TOKEN -u AWS_SECURITY_TOKEN \
  CARGO_LAMBDA_IGNORE_FILE="$ROOT/local/watch.ignore" \
  AWS_ENDPOINT_URL="http://127.0.0.1:$ACCOUNT" \
  AWS_REGION="$REGION" AWS_DEFAULT_REGION="$REGION" \
  AWS_ACCESS_KEY_ID=testing AWS_SECRET_ACCESS_KEY=testing \
  STACKS_TABLE=edgestack-stacks SECRETS_TABLE=edgestack-secrets \
  PROVISION_STATE_MACHINE_ARN="$PROVISION_ARN" TEARDOWN_STATE_MACHINE_ARN="$TEARDOWN_ARN" \
  EDGESTACK_PERMISSIONS="$PERMISSIONS" RUST_LOG=info \
  EDGE_OVERRIDE_URL="http://127.0.0.1:$EDGE" IAM_CACHE_POLICY_ID="$IAM_CACHE_POLICY_ID" \
  EDGESTACK_FAULT_INJECTION=true \
  POLL_BASE_SECONDS="${POLL_BASE_SECONDS:-1}" POLL_MAX_SECONDS="${POLL_MAX_SECONDS:-4}" \
  STEP_IN_FLIGHT_SECONDS="${STEP_IN_FLIGHT_SECONDS:-8}" \
  DOMAIN_NAME_WINDOW_MILLIS="$DOMAIN_NAME_WINDOW_MILLIS" DOMAIN_NAME_INTERVAL_MILLIS="$DOMAIN_NAME_INTERVAL_MILLIS" \
  RATE_SECOND_MILLIS="$RATE_SECOND_MILLIS" \
  WATCH_STATE_MACHINE_ARN="$WATCH_ARN" WATCH_INTERVAL_MILLIS="$WATCH_INTERVAL_MILLIS" \
  WATCH_SLOT_SECONDS="$WATCH_SLOT_SECONDS" SDK_INITIAL_BACKOFF_MILLIS="$SDK_INITIAL_BACKOFF_MILLIS" \
  "$VENV/bin/cargo-lambda" lambda watch --invoke-address 127.0.0.1 --invoke-port "$LAMBDA" \
  --concurrency "$CONCURRENCY" $RELOAD
# The functions are already built, so watch only has to open its port.
wait_http cargo-lambda "http://127.0.0.1:$LAMBDA/" 120

# cargo lambda starts a function's instances (all $CONCURRENCY of them) at its first invocation,
# each with `cargo run`, one at a time behind cargo's lock: seconds per function on this
# machine, and a minute for all of them, where AWS starts a Rust function in tens of
# milliseconds. Left to the first workflows, that start-up lands inside their steps (a burst's
# first steps took 2 to 4 s each) and in the benchmark's figures. So every function is invoked
# once here, with an event none accepts (it changes nothing), and then its instances are
# waited for: until cargo-lambda's log (where each instance's start writes) has been quiet for
# 3 s. Its lines interleave, so they cannot be counted.
echo "starting the functions' instances"
first_invocations=()
for f in $functions; do
  curl -s -o /dev/null -m 120 -X POST -d '{}' "http://127.0.0.1:$LAMBDA/2015-03-31/functions/$f/invocations" &
  first_invocations+=($!)
done
# (A bare `wait` would wait for the services started above too.)
wait "${first_invocations[@]}" || true
instances_deadline=$((SECONDS + 180)) quiet=0 size=-1
while ((quiet < 3)); do
  alive cargo-lambda || fail "cargo-lambda exited while starting the functions" cargo-lambda
  if ((SECONDS >= instances_deadline)); then
    echo "up.sh: the functions' instances were still starting after 180 s; going on" >&2
    break
  fi
  sleep 1
  now=$(stat -c %s "$LOGS/cargo-lambda.log")
  if ((now == size)); then quiet=$((quiet + 1)); else quiet=0 size=$now; fi
done

cat >"$STATE/env" <<EOF
STACKS_API_URL=$STACKS_API_URL
AWS_ENDPOINT_URL=http://127.0.0.1:$ACCOUNT
MOTO_URL=http://127.0.0.1:$ACCOUNT
LAMBDA_INVOKE_URL=http://127.0.0.1:$LAMBDA
EDGE_URL=http://127.0.0.1:$EDGE
AWS_REGION=$REGION
AWS_DEFAULT_REGION=$REGION
AWS_ACCESS_KEY_ID=testing
AWS_SECRET_ACCESS_KEY=testing
STACKS_TABLE=edgestack-stacks
SECRETS_TABLE=edgestack-secrets
PROVISION_STATE_MACHINE_ARN=$PROVISION_ARN
TEARDOWN_STATE_MACHINE_ARN=$TEARDOWN_ARN
WATCH_STATE_MACHINE_ARN=$WATCH_ARN
IAM_CACHE_POLICY_ID=$IAM_CACHE_POLICY_ID
STRICT_TIME_SCALE=$SCALE
EOF

cat <<EOF
local stack up:
  account (AWS_ENDPOINT_URL: moto behind the strict account's rules; Lambda invoke -> cargo-lambda)
                       http://127.0.0.1:$ACCOUNT   time scale $SCALE
  edge (CloudFront and API Gateway data plane)   http://127.0.0.1:$EDGE
  cargo lambda watch   http://127.0.0.1:$LAMBDA   functions: ${functions//$'\n'/ }
  API (SigV4)          $STACKS_API_URL
endpoints: $STATE/env (source it), logs: $LOGS, stop: local/down.sh
EOF
