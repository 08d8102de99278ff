#!/usr/bin/env python3
"""One loopback endpoint that looks like an AWS account to moto's Step Functions engine.

moto's engine calls Lambda through a boto3 client pointed at http://localhost:$MOTO_PORT.
Lambda Invoke calls go to cargo-lambda (which runs the real Rust binaries); everything else
goes to moto. cargo-lambda reports a function error as HTTP 500, while real Lambda answers 200
with `X-Amz-Function-Error: Unhandled`; only the latter lets Retry/Catch match `errorType`, so
this adapter reshapes the answer the way Lambda does.

Stdlib only, so it runs before (and without) the venv.
"""

import argparse
import http.client
import json
import os
import re
import sys
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

INVOKE_PATH = re.compile(r"^/2015-03-31/functions/[^/?]+/invocations(\?.*)?$")

# Connection-level headers describe one hop; relaying them would corrupt the next hop.
HOP_BY_HOP = {
    "connection", "keep-alive", "proxy-authenticate", "proxy-authorization",
    "te", "trailers", "transfer-encoding", "upgrade", "host", "content-length",
}

# A Lambda invocation may run as long as a real one (15 min); moto calls are quick but
# some (Step Functions with Wait states) hold no connection, so one generous limit is enough.
UPSTREAM_TIMEOUT = 900


class Handler(BaseHTTPRequestHandler):
    # HTTP/1.1 keeps boto3's and the SDK's connections alive; every answer sets Content-Length.
    protocol_version = "HTTP/1.1"
    moto_port: int
    lambda_port: int

    def _read_body(self) -> bytes:
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            chunks = []
            while True:
                size = int(self.rfile.readline().split(b";")[0].strip(), 16)
                if size == 0:
                    # Trailer section ends with an empty line.
                    while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                        pass
                    return b"".join(chunks)
                chunks.append(self.rfile.read(size))
                self.rfile.readline()
        return self.rfile.read(int(self.headers.get("Content-Length") or 0))

    def _forward(self, port: int, body: bytes):
        headers = {k: v for k, v in self.headers.items() if k.lower() not in HOP_BY_HOP}
        headers["Host"] = f"127.0.0.1:{port}"
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=UPSTREAM_TIMEOUT)
        try:
            # Send Content-Length even when empty: some servers refuse a bodyless POST/PUT.
            conn.request(self.command, self.path, body=body, headers=headers)
            resp = conn.getresponse()
            return resp.status, resp.getheaders(), resp.read()
        finally:
            conn.close()

    def _answer(self, status: int, headers, body: bytes):
        self.send_response(status)
        for k, v in headers:
            if k.lower() not in HOP_BY_HOP:
                self.send_header(k, v)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def _handle(self):
        started = time.monotonic()
        body = self._read_body()
        is_invoke = self.command == "POST" and INVOKE_PATH.match(self.path) is not None
        target, port = ("lambda", self.lambda_port) if is_invoke else ("moto", self.moto_port)
        note = ""
        try:
            status, headers, out = self._forward(port, body)
        except OSError as e:
            status, headers = 502, [("Content-Type", "application/json")]
            out = json.dumps({"message": f"local adapter: {target} unreachable: {e}"}).encode()
            note = " upstream-error"
        else:
            if is_invoke:
                status, headers, note = reshape_invoke(status, headers, out)
        self._answer(status, headers, out)
        # Method, path and outcome only: request and response bodies may hold secrets.
        ms = (time.monotonic() - started) * 1000
        print(f"{self.command} {self.path} -> {target} {status}{note} {ms:.0f}ms",
              file=sys.stderr, flush=True)

    do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = do_HEAD = do_OPTIONS = _handle

    def log_request(self, code="-", size="-"):
        pass  # _handle logs one line of its own, with the upstream's outcome.


def reshape_invoke(status: int, headers, body: bytes):
    """Turn cargo-lambda's answer into what the Lambda Invoke API would have said."""
    ours = {"x-amzn-requestid", "x-amz-executed-version", "x-amz-function-error"}
    headers = [(k, v) for k, v in headers if k.lower() not in ours]
    # botocore reads ResponseMetadata.RequestId from this header; moto's engine needs it.
    headers += [("x-amzn-RequestId", str(uuid.uuid4())), ("X-Amz-Executed-Version", "$LATEST")]
    if status >= 500:
        try:
            payload = json.loads(body)
        except ValueError:
            payload = None
        if isinstance(payload, dict) and "errorType" in payload:
            return 200, headers + [("X-Amz-Function-Error", "Unhandled")], " function-error"
    return status, headers, ""


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--port", type=int, default=os.environ.get("ADAPTER_PORT"))
    p.add_argument("--moto-port", type=int, default=os.environ.get("MOTO_SERVER_PORT"))
    p.add_argument("--lambda-port", type=int, default=os.environ.get("CARGO_LAMBDA_PORT"))
    a = p.parse_args()
    missing = [n for n in ("port", "moto_port", "lambda_port") if getattr(a, n) is None]
    if missing:
        p.error("missing: " + ", ".join("--" + n.replace("_", "-") for n in missing)
                + " (or ADAPTER_PORT / MOTO_SERVER_PORT / CARGO_LAMBDA_PORT)")
    Handler.moto_port, Handler.lambda_port = a.moto_port, a.lambda_port
    server = ThreadingHTTPServer(("127.0.0.1", a.port), Handler)
    server.daemon_threads = True
    print(f"lambda adapter on 127.0.0.1:{a.port}: invoke -> :{a.lambda_port}, rest -> :{a.moto_port}",
          file=sys.stderr, flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
