"""The release binaries' sizes and start-up time, for docs/benchmarks.md.

Start-up is measured as Lambda's runtime sees it from the function's side: from `exec` to the
binary's first call of the Lambda runtime API (`GET .../runtime/invocation/next`), which it makes
once its clients are built (one per cold start). A stub of the runtime API on loopback stands in
for Lambda; nothing reaches AWS, and the time Lambda itself takes to fetch and map the zip is
not in it. The binaries are the host's (`cargo build --release`, the release profile of
Cargo.toml); the artifacts `make release` builds for arm64 are the same code for another CPU.
"""

from __future__ import annotations

import argparse
import http.server
import os
import statistics
import subprocess
import threading
import time
from pathlib import Path

NEXT = "/2018-06-01/runtime/invocation/next"
INIT_ERROR = "/2018-06-01/runtime/init/error"

# What a function's configuration gives it in the template; the values only have to be there.
ENV = {
    "AWS_REGION": "us-east-1",
    "AWS_DEFAULT_REGION": "us-east-1",
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "128",
    "AWS_LAMBDA_FUNCTION_VERSION": "$LATEST",
    "AWS_LAMBDA_LOG_GROUP_NAME": "/aws/lambda/bench",
    "AWS_LAMBDA_LOG_STREAM_NAME": "bench",
    "STACKS_TABLE": "edgestack-stacks",
    "SECRETS_TABLE": "edgestack-secrets",
    "PROVISION_STATE_MACHINE_ARN": "arn:aws:states:us-east-1:123456789012:stateMachine:provision",
    "TEARDOWN_STATE_MACHINE_ARN": "arn:aws:states:us-east-1:123456789012:stateMachine:teardown",
    "WATCH_STATE_MACHINE_ARN": "arn:aws:states:us-east-1:123456789012:stateMachine:watch",
    "RUST_LOG": "off",
}
# The API's grants, as the local stack gives them.
PERMISSIONS = Path(__file__).resolve().parent.parent / "local" / "permissions.json"


class Stub(http.server.BaseHTTPRequestHandler):
    """The runtime API: notes the first `next` (and an init error), then holds the call open
    as Lambda does while no event waits."""

    seen: threading.Event
    first_next: float | None = None
    init_error: bytes | None = None

    def do_GET(self):  # noqa: N802 (the stdlib's name)
        if self.path == NEXT and self.server.first_next is None:
            self.server.first_next = time.monotonic()
            self.server.seen.set()
        time.sleep(5)

    def do_POST(self):  # noqa: N802
        length = int(self.headers.get("content-length", 0))
        body = self.rfile.read(length)
        if self.path == INIT_ERROR:
            self.server.init_error = body
            self.server.seen.set()
        self.send_response(202)
        self.end_headers()

    def log_message(self, *args):
        pass


def start_once(binary: Path, name: str) -> float:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Stub)
    server.daemon_threads = True
    server.first_next, server.init_error, server.seen = None, None, threading.Event()
    threading.Thread(target=server.serve_forever, daemon=True).start()
    env = dict(ENV, AWS_LAMBDA_RUNTIME_API=f"127.0.0.1:{server.server_address[1]}",
               AWS_LAMBDA_FUNCTION_NAME=name, PATH=os.environ.get("PATH", ""),
               EDGESTACK_PERMISSIONS=PERMISSIONS.read_text())
    started = time.monotonic()
    process = subprocess.Popen([str(binary)], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        while not server.seen.wait(0.05):
            if process.poll() is not None:
                raise RuntimeError(f"{name} ended before it called the runtime API: "
                                   f"{process.stderr.read()[:300]!r}")
            if time.monotonic() - started > 30:
                raise RuntimeError(f"{name}: no runtime API call within 30 s")
        if server.init_error is not None:
            raise RuntimeError(f"{name}: init failed: {server.init_error[:300]!r}")
        return (server.first_next - started) * 1000
    finally:
        process.kill()
        process.wait()
        server.shutdown()
        server.server_close()


def measure(release: Path, functions: list[str], runs: int) -> list[tuple[str, int, float]]:
    rows = []
    for name in functions:
        binary = release / name
        samples = [start_once(binary, name) for _ in range(runs)]
        rows.append((name, binary.stat().st_size, statistics.median(samples)))
    return rows


def table(rows: list[tuple[str, int, float]], runs: int, command: str) -> str:
    lines = [
        "## The release binaries",
        "",
        f"Built by `{command}` (the release profile of Cargo.toml, x86_64 host; `make release` builds "
        "the same code for arm64). Start-up: from `exec` to the binary's first call of the Lambda "
        f"runtime API, its clients built, against a stub of that API on loopback; the median of {runs} starts. "
        "Lambda's own time to fetch and map the code is not in it.",
        "",
        "| function | size | start-up, median |",
        "| --- | ---: | ---: |",
    ]
    for name, size, millis in rows:
        lines.append(f"| {name} | {size / 2**20:.1f} MiB | {millis:.1f} ms |")
    sizes = [size for _, size, _ in rows]
    times = [millis for _, _, millis in rows]
    lines.append(f"| all {len(rows)} | {min(sizes) / 2**20:.1f} to {max(sizes) / 2**20:.1f} MiB | "
                 f"{min(times):.1f} to {max(times):.1f} ms |")
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--release", type=Path, default=Path("target/release"))
    parser.add_argument("--functions", type=Path, default=Path("functions"))
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--command", default="cargo build --release --bins")
    parser.add_argument("--append", type=Path, help="add the table to this file (docs/benchmarks.md)")
    args = parser.parse_args()
    functions = sorted(p.name for p in args.functions.iterdir() if (p / "Cargo.toml").exists())
    text = table(measure(args.release, functions, args.runs), args.runs, args.command)
    if args.append:
        with args.append.open("a") as out:
            out.write("\n" + text)
    print(text)


if __name__ == "__main__":
    main()
