#!/usr/bin/env bash
# `make deploy` (after `make release`): sam build, then sam deploy --guided, of infra/template.yaml
# with the artifacts in target/lambda/. Needs AWS credentials for the target account (any way the
# AWS CLI takes them: AWS_PROFILE, environment, SSO). The guided deploy asks for the stack name,
# the region and every template parameter, and saves the answers in infra/samconfig.toml, which
# later runs reuse (`sam deploy` without --guided: DEPLOY_GUIDED=0 make deploy).
#
# aws-sam-cli comes pinned from PyPI (infra/requirements-deploy.txt) into its own venv,
# .local/sam-venv, on first use: its pins conflict with checkov's in .local/infra-venv.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
VENV="$ROOT/.local/sam-venv"
LAMBDA="${CARGO_TARGET_DIR:-$ROOT/target}/lambda"

[[ -f "$LAMBDA/ARCH" ]] || { echo "deploy: no release build in $LAMBDA; run make release" >&2; exit 1; }
arch="$(cat "$LAMBDA/ARCH")"
for manifest in functions/*/Cargo.toml; do
  b="$(basename "$(dirname "$manifest")")"
  [[ -f "$LAMBDA/$b/bootstrap.zip" ]] || { echo "deploy: $LAMBDA/$b/bootstrap.zip is missing; run make release" >&2; exit 1; }
done
if [[ "$LAMBDA" != "$ROOT/target/lambda" ]]; then
  echo "deploy: the template points at target/lambda/; CARGO_TARGET_DIR elsewhere is not supported" >&2
  exit 1
fi

[[ -x "$VENV/bin/python" ]] || python3 -m venv "$VENV"
want="$(sha256sum infra/requirements-deploy.txt | cut -d' ' -f1)"
if [[ "$(cat "$VENV/.requirements.sha256" 2>/dev/null)" != "$want" ]]; then
  echo "deploy: installing infra/requirements-deploy.txt (aws-sam-cli) into $VENV"
  "$VENV/bin/pip" install --disable-pip-version-check -q -r infra/requirements-deploy.txt
  echo "$want" >"$VENV/.requirements.sha256"
fi
export SAM_CLI_TELEMETRY="${SAM_CLI_TELEMETRY:-0}"

cd infra
"$VENV/bin/sam" build --template template.yaml --build-dir ../target/sam-build
if [[ "${DEPLOY_GUIDED:-1}" == 0 ]]; then
  # The parameters saved by the guided run apply; a --parameter-overrides here would replace them all.
  echo "deploy: using infra/samconfig.toml as saved; its Architecture must be $arch (this build's)"
  exec "$VENV/bin/sam" deploy --template-file ../target/sam-build/template.yaml --config-file samconfig.toml
fi
# The guided deploy asks for every parameter, offering this build's architecture as Architecture.
exec "$VENV/bin/sam" deploy --guided \
  --template-file ../target/sam-build/template.yaml \
  --config-file samconfig.toml \
  --capabilities CAPABILITY_IAM \
  --parameter-overrides "Architecture=$arch"
