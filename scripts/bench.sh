#!/usr/bin/env bash
# make bench: the burst benchmark (bench/burst.py) on a local stack of its own, started here and
# stopped after, whatever happens. It writes docs/benchmarks.md. Knobs: BENCH_STACKS (50),
# BENCH_THROTTLED (0.3, the share of Route 53, ACM, CloudFront and API Gateway calls throttled),
# STRICT_TIME_SCALE (0.5: AWS's durations and rate windows halved, about 40 minutes a run). The
# scale is far larger than the tests' 0.02 because edgestack's own costs here (the emulator's
# round trips, Lambda invocations queued on two cores, the state machine's whole-second retries)
# do not scale: the smaller the scale, the more they outweigh AWS's scaled waits and the more
# the figures say about this machine instead of the workflow (at 0.1 the median readiness lag
# was three times its share at 0.5).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
STACKS="${BENCH_STACKS:-50}"
THROTTLED="${BENCH_THROTTLED:-0.3}"
SCALE="${STRICT_TIME_SCALE:-0.5}"

local/down.sh >/dev/null 2>&1 || true
trap 'local/down.sh >/dev/null 2>&1 || true' EXIT
STRICT_TIME_SCALE="$SCALE" local/up.sh
# The run's raw records (the stacks as the API answered them, and the account's log of every
# call with its time) stay in .local/bench/, for a closer look than the report's.
RAW=".local/bench/$(date -u +%Y%m%dT%H%M%SZ)"
mkdir -p "$RAW"
status=0
.local/venv/bin/python bench/burst.py --stacks "$STACKS" --throttled "$THROTTLED" --raw "$RAW/stacks.json" \
  --command "make bench (BENCH_STACKS=$STACKS BENCH_THROTTLED=$THROTTLED STRICT_TIME_SCALE=$SCALE)" || status=$?
cp .local/logs/account.log "$RAW/" 2>/dev/null || true
echo "raw records: $RAW"
[[ $status == 0 ]] || exit "$status"
local/down.sh >/dev/null 2>&1 || true

# The release binaries' sizes and start-up (bench/startup.py), after the burst so that the build
# does not compete with it. From nothing the release build (fat LTO, one codegen unit) takes 25
# to 40 minutes on a 2-core machine; BENCH_RELEASE=0 leaves it out and says so.
if [[ "${BENCH_RELEASE:-1}" == 1 ]]; then
  cargo build --release --bins
  .local/venv/bin/python bench/startup.py --release target/release --append docs/benchmarks.md \
    --command "cargo build --release --bins (make bench)"
else
  printf '\n## The release binaries\n\nNot measured in this run (BENCH_RELEASE=0).\n' >> docs/benchmarks.md
fi
