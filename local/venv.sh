# Sourced by local/up.sh and local/test.sh: the local stack's tools, pinned in
# local/requirements.txt, in .local/venv; pip runs only when the pinned set changed, so a warm
# start is quick and offline. Sets VENV.
VENV="${VENV:-$ROOT/.local/venv}"
[[ -x "$VENV/bin/python" ]] || python3 -m venv "$VENV"
_want="$(sha256sum "$ROOT/local/requirements.txt" | cut -d' ' -f1)"
if [[ "$(cat "$VENV/.requirements.sha256" 2>/dev/null)" != "$_want" ]]; then
  echo "installing local/requirements.txt into $VENV"
  "$VENV/bin/pip" install --disable-pip-version-check -q -r "$ROOT/local/requirements.txt"
  echo "$_want" >"$VENV/.requirements.sha256"
fi
unset _want
