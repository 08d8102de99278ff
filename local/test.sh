#!/usr/bin/env bash
# The strict account's own tests (local/tests, pytest): every rule against the account, and
# every rule test again against bare moto, where it must fail. Installs the pinned tools first.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# shellcheck source=local/venv.sh
source "$ROOT/local/venv.sh"
cd "$ROOT/local"
exec "$VENV/bin/python" -m pytest tests/ -q -p no:cacheprovider "$@"
