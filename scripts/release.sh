#!/usr/bin/env bash
# The Lambda artifacts `infra/template.yaml` points at (`make release`): every function of
# functions/ built by cargo-lambda in the release profile, zipped as target/lambda/<binary>/bootstrap.zip,
# for arm64 (Graviton). Also writes target/lambda/ARCH (arm64 or x86_64), which `make deploy` passes
# to the template's Architecture parameter.
#
# arm64 needs the aarch64 standard library (`rustup target add aarch64-unknown-linux-gnu`) and zig to
# link (PyPI's ziglang, with cargo-lambda, into .local/infra-venv). Where either cannot be had, this
# says so and builds for x86_64, which Lambda runs too.
#
#   scripts/release.sh            arm64, or x86_64 if arm64 cannot be built here
#   RELEASE_ARCH=x86_64 scripts/release.sh
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
VENV="$ROOT/.local/infra-venv"
TARGET_DIR="${CARGO_TARGET_DIR:-$ROOT/target}"
OUT="$TARGET_DIR/lambda"

[[ -x "$VENV/bin/python" ]] || python3 -m venv "$VENV"
want="$(sha256sum infra/requirements-release.txt | cut -d' ' -f1)"
if [[ "$(cat "$VENV/.release.sha256" 2>/dev/null)" != "$want" ]]; then
  echo "release: installing infra/requirements-release.txt (cargo-lambda, ziglang) into $VENV"
  "$VENV/bin/pip" install --disable-pip-version-check -q -r infra/requirements-release.txt
  echo "$want" >"$VENV/.release.sha256"
fi
export PATH="$VENV/bin:$PATH"

# Every crate under functions/ is one Lambda; its binary is its folder's name.
bins=()
for manifest in functions/*/Cargo.toml; do bins+=("$(basename "$(dirname "$manifest")")"); done

arch="${RELEASE_ARCH:-arm64}"
if [[ "$arch" == arm64 ]]; then
  if ! command -v rustup >/dev/null; then
    echo "release: rustup is not here to add the aarch64 standard library; building for x86_64 instead" >&2
    arch=x86_64
  elif ! rustup target add aarch64-unknown-linux-gnu; then
    echo "release: the aarch64 standard library could not be fetched (rustup target add" >&2
    echo "release: aarch64-unknown-linux-gnu failed); building for x86_64 instead, which Lambda runs too" >&2
    arch=x86_64
  elif ! "$VENV/bin/python" -m ziglang version >/dev/null 2>&1; then
    echo "release: zig (PyPI's ziglang) is not usable to link for aarch64; building for x86_64 instead" >&2
    arch=x86_64
  fi
fi
case "$arch" in
  arm64) flag=--arm64 ;;
  x86_64) flag=--x86-64 ;;
  *) echo "release: RELEASE_ARCH must be arm64 or x86_64, not $arch" >&2; exit 2 ;;
esac

echo "release: building ${#bins[@]} functions for $arch (the release profile of Cargo.toml)"
start=$SECONDS
bin_args=()
for b in "${bins[@]}"; do bin_args+=(--bin "$b"); done
rm -f "$OUT/ARCH"
cargo lambda build --release "$flag" --output-format zip --lambda-dir "$OUT" "${bin_args[@]}"
echo "$arch" >"$OUT/ARCH"

elapsed=$((SECONDS - start))
"$VENV/bin/python" - "$OUT" "$arch" "$elapsed" "${bins[@]}" <<'PY'
import pathlib, sys, zipfile
out, arch, elapsed, bins = pathlib.Path(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4:]
mib = 1024 * 1024
print(f"\nrelease: {arch}, built in {elapsed} s; artifacts (zip; unzipped bootstrap):")
total = 0
for b in bins:
    path = out / b / "bootstrap.zip"
    if not path.is_file():
        sys.exit(f"release: {path} is missing")
    raw = zipfile.ZipFile(path).getinfo("bootstrap").file_size
    total += path.stat().st_size
    print(f"  {b:<22} {path.stat().st_size / mib:6.2f} MiB  {raw / mib:6.2f} MiB")
print(f"  {'all ' + str(len(bins)):<22} {total / mib:6.2f} MiB")
PY
