#!/usr/bin/env bash
# The one test command (`make test`): static checks, unit tests, then the end-to-end tests
# against a local stack that this script starts and always stops again.
#
#   fmt    cargo fmt --all --check
#   clippy cargo clippy --workspace --all-targets -- -D warnings
#   unit   cargo test --workspace --exclude edgestack-tests   (no emulator)
#   strict pytest local/tests: the strict account's rules, each also shown to fail on bare moto
#   up     local/up.sh (the strict account + cargo lambda watch on loopback), with
#          STRICT_TIME_SCALE=0.02: AWS's waits and rate windows at 1/50 (a distribution deploys
#          in 6 s, ACM issues 2.4 s after the validation record appears)
#   e2e    cargo test -p edgestack-tests --no-fail-fast (every test file, even after a failure),
#          with .local/env exported; the tests mostly wait on the workflows, so they run
#          E2E_TEST_THREADS (default 16) at a time, not one per core
#   contract  scripts/contract.sh: schemathesis against openapi.yaml on the local stack
#   unreliable  the ignored tests (tests/tests/unreliable_aws.rs and watcher.rs) alone, one at
#          a time (their faults and call counts are the whole account's): ten custom-domain
#          stacks at once with 20 % of the calls throttled; answers lost after the call took
#          effect; a watcher that resumes parked stacks, and one that misses its passes
#
# Every phase runs even when an earlier one failed (except e2e, which needs `up`), so that one
# run reports everything; the summary names the phases that failed and the exit status is
# non-zero if any did. A local stack that is already up is stopped first: the end-to-end tests
# run against a fresh one, and nothing this script started is left running.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

# A CI run builds everything once from nothing: incremental compilation would only add its
# caches (gigabytes: a CI run once failed on a full disk) and time. Developers keep theirs.
if [[ "${CI:-}" == "true" ]]; then
  export CARGO_INCREMENTAL=0
fi

started=$SECONDS
declare -a results=()
failed=()

banner() { printf '\n=== %s: %s\n' "$1" "$2"; }

# run PHASE DESCRIPTION COMMAND...: runs one phase and records its outcome.
run() {
  local phase=$1 what=$2
  shift 2
  banner "$phase" "$what"
  local t0=$SECONDS
  if "$@"; then
    results+=("ok      $phase ($((SECONDS - t0)) s)")
    return 0
  else
    local rc=$?
    results+=("FAILED  $phase ($((SECONDS - t0)) s, exit $rc)")
    failed+=("$phase")
    return "$rc"
  fi
}

stack_started=0
cleanup() {
  local rc=$?
  if ((stack_started)); then
    banner down "local/down.sh"
    local/down.sh || echo "test.sh: local/down.sh failed; check .local/pids" >&2
  fi
  printf '\n=== summary (%d s)\n' "$((SECONDS - started))"
  local line
  for line in "${results[@]}"; do echo "  $line"; done
  if ((${#failed[@]})); then
    echo "test.sh: FAILED phase(s): ${failed[*]}" >&2
    exit 1
  fi
  if ((rc != 0)); then
    echo "test.sh: interrupted or failed outside a phase (exit $rc)" >&2
    exit "$rc"
  fi
  echo "test.sh: all phases passed"
}
trap cleanup EXIT
# Ctrl-C or a CI cancel still reaches the EXIT trap, which stops the local stack.
trap 'exit 130' INT
trap 'exit 143' TERM

run fmt "cargo fmt --all --check" cargo fmt --all --check || true
run clippy "cargo clippy --workspace --all-targets -- -D warnings" \
  cargo clippy --workspace --all-targets -- -D warnings || true
run infra "scripts/check-infra.sh" scripts/check-infra.sh || true
run unit "cargo test --workspace --exclude edgestack-tests --exclude edgestack-cli" \
  cargo test --workspace --exclude edgestack-tests --exclude edgestack-cli || true
run strict "pytest local/tests (the strict account)" local/test.sh || true
# Build the end-to-end tests now, so that no compilation competes with the running stack.
run e2e-build "cargo test -p edgestack-tests -p edgestack-cli --no-run" \
  cargo test -p edgestack-tests -p edgestack-cli --no-run || true

if [[ -f .local/env ]] || compgen -G ".local/pids/*.pid" >/dev/null; then
  banner down "a local stack is already up; stopping it for a fresh one"
  local/down.sh
fi
stack_started=1
if run up "local/up.sh (STRICT_TIME_SCALE=0.02)" env STRICT_TIME_SCALE=0.02 local/up.sh; then
  run e2e "cargo test -p edgestack-tests -p edgestack-cli (against the local stack)" \
    env E2E_TEST_THREADS="${E2E_TEST_THREADS:-16}" bash -c 'set -a && source .local/env && set +a &&
      exec cargo test -p edgestack-tests -p edgestack-cli --no-fail-fast -- --test-threads="$E2E_TEST_THREADS"' || true
  run contract "scripts/contract.sh (schemathesis against the local stack)" scripts/contract.sh || true
  # Alone, last, one at a time: their faults apply to the whole account while they run.
  # The same packages as e2e, so the same build.
  run unreliable "cargo test ... -- --ignored (unreliable_aws.rs, watcher.rs: the whole account's)" \
    bash -c 'set -a && source .local/env && set +a &&
      exec cargo test -p edgestack-tests -p edgestack-cli -- --ignored --test-threads=1' || true
else
  results+=("skipped e2e (the local stack did not start; see .local/logs/)")
  failed+=("e2e")
fi
