#!/usr/bin/env bash
# The contract run: schemathesis (pinned in scripts/contract-requirements.txt, installed into
# .local/contract-venv on first use) sends generated requests, valid and invalid, to every
# operation of openapi.yaml on the running local stack, and checks every answer against the
# document: no 5xx, every status code, content type, header and body as documented.
#
#   scripts/contract.sh            against $STACKS_API_URL, else the one in .local/env
#   EDGESTACK_ENV_FILE=path ...    against the local stack that wrote that env file (first)
#   CONTRACT_MAX_EXAMPLES=50 ...   more cases per operation (default 20)
#   CONTRACT_TIMEOUT=900 ...       a longer hard time limit in seconds (default 600)
#
# Valid random requests start real workflows on the local stack; they fail at validation (the
# random api_ids name no REST API), so they leave nothing behind but their FAILED stacks, all of
# one principal of their own.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
VENV="$ROOT/.local/contract-venv"
REQUIREMENTS="$ROOT/scripts/contract-requirements.txt"
REPORTS="$ROOT/.local/contract-report"

# The local stack's env file (EDGESTACK_ENV_FILE, else .local/env): the API's URL (unless
# STACKS_API_URL names it), and the account that issues the run's credentials.
ENV_FILE="${EDGESTACK_ENV_FILE:-$ROOT/.local/env}"
if [[ ! -f "$ENV_FILE" ]]; then
  echo "contract.sh: no $ENV_FILE: start the local stack with \`make up\`" >&2
  exit 1
fi
from_env_file() { sed -n "s/^\(export \)\{0,1\}$1=//p" "$ENV_FILE" | tr -d "\"'" | tail -n 1; }
if [[ -n "${EDGESTACK_ENV_FILE:-}" || -z "${STACKS_API_URL:-}" ]]; then
  STACKS_API_URL="$(from_env_file STACKS_API_URL)"
fi
CONTRACT_ACCOUNT_URL="$(from_env_file AWS_ENDPOINT_URL)"
CONTRACT_REGION="$(from_env_file AWS_REGION)"
[[ -n "$STACKS_API_URL" && -n "$CONTRACT_ACCOUNT_URL" && -n "$CONTRACT_REGION" ]] || {
  echo "contract.sh: $ENV_FILE lacks STACKS_API_URL, AWS_ENDPOINT_URL or AWS_REGION" >&2
  exit 1
}
case "$STACKS_API_URL" in
http://127.0.0.1:* | http://localhost:* | http://\[::1\]:*) ;;
*)
  echo "contract.sh: $STACKS_API_URL is not a local stack; the contract run only targets loopback" >&2
  exit 1
  ;;
esac

# pip only when the pinned set changed, so a warm run is quick and offline.
[[ -x "$VENV/bin/python" ]] || python3 -m venv "$VENV"
want="$(sha256sum "$REQUIREMENTS" | cut -d' ' -f1)"
if [[ "$(cat "$VENV/.requirements.sha256" 2>/dev/null)" != "$want" ]]; then
  echo "installing scripts/contract-requirements.txt into $VENV"
  "$VENV/bin/pip" install --disable-pip-version-check -q -r "$REQUIREMENTS"
  echo "$want" >"$VENV/.requirements.sha256"
fi

# The document's security requirement is SigV4, which schemathesis cannot make: contract_hooks.py
# signs every request itself, and the run is against the document without its `security`
# (and nothing else changed), so that schemathesis neither adds nor strips an Authorization of
# its own. Unsigned and badly signed calls are tests/tests/gateway.rs's.
DOC="$ROOT/.local/contract-openapi.yaml"
"$VENV/bin/python" - "$ROOT/openapi.yaml" "$DOC" <<'PY'
import sys, yaml
doc = yaml.safe_load(open(sys.argv[1]))
doc.pop("security", None)
doc["components"].pop("securitySchemes", None)
yaml.safe_dump(doc, open(sys.argv[2], "w"), sort_keys=False, allow_unicode=True)
PY

# One role for the whole run, no one else's: the stacks it lists are only its own.
CONTRACT_ROLE="contract-$(date +%s)-$$"
mkdir -p "$REPORTS"
echo "schemathesis against $STACKS_API_URL as a session of role $CONTRACT_ROLE"
# Every check, but two that ask for another design: `use_after_free` wants a deleted resource
# to be 404, while a deleted stack stays readable as `DELETED` (api.md: `DELETING` → `DELETED`);
# `unsupported_method` wants an undocumented method to be 405, while API Gateway answers a
# method the API does not have itself, before the function, as a missing token (401 here, as
# openapi.yaml says).
# schemathesis keeps its cache of failures in its working directory: .local/contract.
mkdir -p "$ROOT/.local/contract"
cd "$ROOT/.local/contract"
# schemathesis' own --max-time would repeat the run until the budget is spent; the bound here
# is the number of examples, and `timeout` is the backstop.
exec timeout --signal=INT --kill-after=30 "${CONTRACT_TIMEOUT:-600}" \
  env PYTHONPATH="$ROOT/scripts" SCHEMATHESIS_HOOKS=contract_hooks \
  CONTRACT_ROLE="$CONTRACT_ROLE" CONTRACT_ACCOUNT_URL="$CONTRACT_ACCOUNT_URL" CONTRACT_REGION="$CONTRACT_REGION" \
  "$VENV/bin/schemathesis" --config-file "$ROOT/scripts/schemathesis.toml" run "$DOC" \
  --url "$STACKS_API_URL" \
  --max-examples "${CONTRACT_MAX_EXAMPLES:-20}" \
  --workers 2 \
  --request-timeout 60 \
  --checks all \
  --exclude-checks use_after_free,unsupported_method \
  --generation-deterministic \
  --report junit --report-dir "$REPORTS" \
  --output-sanitize false \
  --no-color
