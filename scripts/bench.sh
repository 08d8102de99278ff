#!/usr/bin/env bash
# make bench: the burst benchmark (bench/burst.py) on a local stack of its own, started here and
# stopped after, whatever happens. It writes docs/benchmarks.md. Knobs: BENCH_STACKS (50),
# BENCH_THROTTLED (0.3, the share of Route 53, ACM, CloudFront and API Gateway calls throttled),
# STRICT_TIME_SCALE (0.1: AWS's durations and rate windows at 1/10). The scale is larger than the
# tests' 0.02 because edgestack's own costs here (the emulator's round trips, the state
# machine's whole-second retries) do not scale: at 1/50 they outweigh AWS's scaled waits and
# the figures say more about this machine than about the workflow.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
STACKS="${BENCH_STACKS:-50}"
THROTTLED="${BENCH_THROTTLED:-0.3}"
SCALE="${STRICT_TIME_SCALE:-0.1}"

local/down.sh >/dev/null 2>&1 || true
trap 'local/down.sh >/dev/null 2>&1 || true' EXIT
STRICT_TIME_SCALE="$SCALE" local/up.sh
.local/venv/bin/python bench/burst.py --stacks "$STACKS" --throttled "$THROTTLED" \
  --command "make bench (BENCH_STACKS=$STACKS BENCH_THROTTLED=$THROTTLED STRICT_TIME_SCALE=$SCALE)"
