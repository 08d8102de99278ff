#!/usr/bin/env bash
# Stop what local/up.sh started, by the process ids it recorded. Safe to run any time.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
PIDS="$ROOT/.local/pids"

# cargo lambda watch starts each function in a session of its own, outside its process
# group; it ends them on SIGTERM, but not if it is killed, so note them before signalling.
descendants() {
  local child
  for child in $(ps -o pid= --ppid "$1" 2>/dev/null); do
    echo "$child"
    descendants "$child"
  done
}

# Functions first, so no invocation is cut off by the account vanishing underneath it.
for name in cargo-lambda account; do
  file="$PIDS/$name.pid"
  [[ -f "$file" ]] || continue
  pid="$(cat "$file")"
  # up.sh started each under setsid, so its pid is also its process group id.
  if kill -0 -- "-$pid" 2>/dev/null; then
    mapfile -t kids < <(descendants "$pid")
    kill -TERM -- "-$pid" 2>/dev/null || true
    for _ in $(seq 50); do
      kill -0 -- "-$pid" 2>/dev/null || break
      sleep 0.2
    done
    if kill -0 -- "-$pid" 2>/dev/null; then
      echo "$name (pid $pid) ignored SIGTERM for 10 s; sending SIGKILL"
      kill -KILL -- "-$pid" 2>/dev/null || true
    fi
    for kid in "${kids[@]}"; do kill -KILL "$kid" 2>/dev/null || true; done
    echo "stopped $name (pid $pid)"
  fi
  rm -f "$file"
done
rm -f "$ROOT/.local/env"
