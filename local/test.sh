#!/usr/bin/env bash
# The strict account's own tests (local/tests, pytest): every rule against the account, and
# every rule test again against bare moto, where it must fail. Installs the pinned tools first.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="$ROOT/.local/venv"
cd "$ROOT"
[[ -x "$VENV/bin/python" ]] || python3 -m venv "$VENV"
want="$(sha256sum local/requirements.txt | cut -d' ' -f1)"
if [[ "$(cat "$VENV/.requirements.sha256" 2>/dev/null)" != "$want" ]]; then
  echo "installing local/requirements.txt into $VENV"
  "$VENV/bin/pip" install --disable-pip-version-check -q -r local/requirements.txt
  echo "$want" >"$VENV/.requirements.sha256"
fi
cd local
exec "$VENV/bin/python" -m pytest tests/ -q -p no:cacheprovider "$@"
