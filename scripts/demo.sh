#!/usr/bin/env bash
# `make demo`: the whole workflow on the local stack, as a team would see it.
#
#   1. local/up.sh (unless the local stack is already up); it stays up afterwards.
#   2. scripts/demo_team.py, in the emulated account: a Regional REST API `edgestack-demo` whose
#      GET /greetings is the team's Lambda function (local/greetings, a Lambda proxy
#      integration), deployed to `prod`, and a hosted zone `example.com` (both reused by later
#      runs).
#   3. `edgestack create --wait` (the CLI, cli/): a stack for that API at the custom domain
#      api.example.com (auth none, smoke test /greetings), its progress shown step by step until
#      READY. If a live stack of an earlier run holds that name (exit 7, conflict), the next free
#      one is used (api-2.example.com, ...).
#   4. scripts/demo_call.py: the outputs; then `edgestack call` makes the request a client
#      makes, through the distribution (locally: the data plane at EDGE_URL) to the API, and
#      the answer must be the function's.
#
# Exits 0 once the stack is READY and its distribution answers with the team's function, else
# 1 for another answer or the CLI's exit
# status (3: FAILED, 4: timed out...). The account keeps AWS's waits at STRICT_TIME_SCALE (0.05
# when this script starts the stack: a certificate issued 6 s after its validation record, a
# distribution deployed in 15 s).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

echo "=== starting the local stack (local/up.sh)"
local/up.sh
set -a
# shellcheck source=/dev/null
source .local/env
set +a
REGION=eu-west-1

echo
echo "=== building the edgestack CLI (cargo build -p edgestack-cli)"
cargo build --quiet -p edgestack-cli
EDGESTACK="$ROOT/target/debug/edgestack"

team_side="$(.local/venv/bin/python scripts/demo_team.py)"
# API_ID=... ZONE_ID=..., then the credentials of a session of the team's role, which the CLI
# signs with from here on (the standard credentials chain reads them from the environment).
eval "export $team_side"

echo
echo "=== asking edgestack for a CloudFront distribution in front of it, and following it"
status=1
stack_json=""
for n in $(seq 1 49); do
  if ((n == 1)); then name=api.example.com; else name="api-$n.example.com"; fi
  echo "\$ edgestack create --api-id $API_ID --region $REGION --stage prod --auth none \\"
  echo "    --custom-domain $name --hosted-zone-id $ZONE_ID --smoke-test-path /greetings --wait"
  set +e
  # The progress goes to standard error (this terminal); the final stack, as JSON, to stdout.
  stack_json="$("$EDGESTACK" create --name greetings-demo \
    --api-id "$API_ID" --region "$REGION" --stage prod --auth none \
    --custom-domain "$name" --hosted-zone-id "$ZONE_ID" --smoke-test-path /greetings \
    --tag team=demo --wait --timeout 10m --output json)"
  status=$?
  set -e
  if ((status == 7)); then
    echo "$name is held by a stack of an earlier run; trying the next name"
    continue
  fi
  break
done

if ((status == 0)); then
  printf '%s\n' "$stack_json" | .local/venv/bin/python scripts/demo_call.py
  id="$(printf '%s\n' "$stack_json" | .local/venv/bin/python -c 'import json, sys; print(json.load(sys.stdin)["id"])')"
  echo
  echo "=== the API through the distribution, as a client calls it"
  echo "\$ edgestack call $id /greetings"
  set +e
  answer="$("$EDGESTACK" call "$id" /greetings)"
  status=$?
  set -e
  printf '%s\n' "$answer"
  if ((status == 0)); then
    # The CLI prints the status, then the body.
    if printf '%s\n' "$answer" | tail -n +2 | .local/venv/bin/python -c 'import json, sys; sys.exit(json.load(sys.stdin).get("function") != "greetings")' 2>/dev/null; then
      echo "(the answer of the team's Lambda function greetings, through CloudFront and API Gateway)"
    else
      echo "demo: that is not the answer of the team's function greetings" >&2
      status=1
    fi
  fi
else
  echo
  echo "edgestack create exited $status (exit statuses: edgestack --help); the stack as last seen:"
  printf '%s\n' "$stack_json"
fi

cat <<EOF

The local stack is still up (endpoints in .local/env, logs in .local/logs/).
Stop it with: make down
EOF
exit "$status"
