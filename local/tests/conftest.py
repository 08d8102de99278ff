"""Fixtures: the whole strict account served in this process, on free loopback ports.

    def test_x(stack):               # a clean account for each test (moto and the rules reset)
        r53 = stack.client("route53")
        stack.config(route53_insync=60)   # durations at AWS's scale; time_scale shrinks them all

`stack.endpoint` is the account (AWS_ENDPOINT_URL), `stack.edge_url` the data plane (None when
local/strict/dataplane.py is not there), `stack.account` the core.Account itself,
`stack.lambda_stub` a fake cargo-lambda that the account relays Lambda Invoke to.

`pytest --bare` serves the same account with no service module installed (plain moto behind
the core). test_meta.py runs every test marked `rule` that way and requires each one to FAIL,
so that no rule test passes on moto's own kindness.

moto's backends are global to the process, so the process serves one account, started once
per session; each test gets it reset (`POST /moto-api/reset`, which also clears the rules'
state) with the config put back.
"""

from __future__ import annotations

import json
import os
import sys
import threading
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

LOCAL = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
if LOCAL not in sys.path:
    sys.path.insert(0, LOCAL)

# Dummy credentials and no real profile: nothing here may reach a real AWS account.
for _name in ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN", "AWS_ENDPOINT_URL"):
    os.environ.pop(_name, None)
os.environ.update(AWS_ACCESS_KEY_ID="testing", AWS_SECRET_ACCESS_KEY="testing",
                  AWS_DEFAULT_REGION="us-east-1", AWS_REGION="us-east-1")

# 1 s of AWS time is 10 ms here: Route 53's INSYNC after 0.3 s, ACM's issue after 1.2 s.
TIME_SCALE = float(os.environ.get("STRICT_TEST_TIME_SCALE", "0.01"))


def pytest_addoption(parser):
    parser.addoption("--bare", action="store_true",
                     help="serve plain moto behind the core (no service rules): rule tests must fail")


def pytest_configure(config):
    config.addinivalue_line("markers", "rule: a test of one of AWS's rules; it must fail against --bare")
    config.rule_items = []


def pytest_collection_modifyitems(config, items):
    # Every collected rule test, for test_meta.py, which checks that each fails on bare moto.
    config.rule_items = [item for item in items if item.get_closest_marker("rule")]


class LambdaStub:
    """A stand-in for cargo-lambda's Invoke API: records requests, answers what it is told."""

    def __init__(self):
        self.requests: list[dict] = []
        self.answer = (200, {"Content-Type": "application/json"}, b'{"ok": true}')
        stub = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                stub.requests.append({"path": self.path, "headers": dict(self.headers), "body": body})
                status, headers, out = stub.answer
                self.send_response(status)
                for k, v in headers.items():
                    self.send_header(k, v)
                self.send_header("Content-Length", str(len(out)))
                self.end_headers()
                self.wfile.write(out)

            def log_message(self, *args):
                pass

        self.handler = Handler
        self.port = 0
        self.restart()

    def restart(self):
        """Serve (again) on the same port: a test may stop it to play a dead cargo-lambda."""
        self.server = ThreadingHTTPServer(("127.0.0.1", self.port), self.handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()


class Stack:
    def __init__(self, running, lambda_stub: LambdaStub, bare: bool):
        self.running = running
        self.account = running.account
        self.endpoint = running.endpoint
        self.edge_url = running.edge_url
        self.lambda_stub = lambda_stub
        self.bare = bare
        self._defaults = dict(running.account.config)

    def client(self, service: str, region: str = "us-east-1", *, retries: int | None = None):
        """A boto3 client of the account. `retries=1` makes a single attempt (botocore's
        total_max_attempts): a test of a throttle must see it, not botocore's automatic retry."""
        import boto3
        from botocore.config import Config

        config = Config(retries={"total_max_attempts": retries, "mode": "standard"}) if retries else None
        return boto3.client(service, region_name=region, endpoint_url=self.endpoint,
                            aws_access_key_id="testing", aws_secret_access_key="testing", config=config)

    def control(self, method: str, path: str, body: dict | None = None) -> tuple[int, dict]:
        """A call to the account's HTTP API (`/strict-api/...`, `/moto-api/...`): (status, JSON)."""
        data = json.dumps(body).encode() if body is not None else None
        req = urllib.request.Request(self.endpoint + path, data=data, method=method,
                                     headers={"Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(req, timeout=30) as r:
                raw, status = r.read(), r.status
        except urllib.error.HTTPError as e:
            raw, status = e.read(), e.code
        try:
            return status, json.loads(raw or b"{}")
        except ValueError:
            return status, {"raw": raw.decode(errors="replace")}

    def config(self, **durations: float) -> dict:
        """Merge durations (AWS's scale, seconds) into the account's config."""
        status, body = self.control("POST", "/strict-api/config", durations)
        assert status == 200, body
        return body

    def seconds(self, name: str) -> float:
        """A duration at the account's scale: how long a test has to wait for it."""
        return self.account.seconds(name)

    def reset(self) -> None:
        self.account.config.clear()
        self.account.config.update(self._defaults)
        status, body = self.control("POST", "/moto-api/reset")
        assert status == 200, body
        self.lambda_stub.requests.clear()
        self.lambda_stub.answer = (200, {"Content-Type": "application/json"}, b'{"ok": true}')


@pytest.fixture(scope="session")
def stack_server(request):
    from strict import server

    bare = request.config.getoption("--bare")
    stub = LambdaStub()
    # The request log goes to a file-like sink that pytest captures per test.
    running = server.start(port=0, lambda_port=stub.port, edge_port=0, time_scale=TIME_SCALE,
                           bare=bare, log=_StderrNow())
    yield Stack(running, stub, bare)
    running.stop()
    stub.server.shutdown()


@pytest.fixture
def stack(stack_server):
    """The account, clean: moto reset, the rules' state, faults and rate windows cleared,
    the config back to its start."""
    stack_server.reset()
    yield stack_server


@pytest.fixture
def bare(request) -> bool:
    return request.config.getoption("--bare")


class _StderrNow:
    """sys.stderr as it is at each write: pytest swaps it per test to capture the log."""

    def write(self, s):
        return sys.stderr.write(s)

    def flush(self):
        sys.stderr.flush()
