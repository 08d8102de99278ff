"""The strict account's core: one WSGI application in front of moto's, in the same process.

Every request to `AWS_ENDPOINT_URL` passes through `Account.__call__`:

1. `/strict-api/...`: the account's own control API (config, faults, reset), never AWS's.
2. A Lambda Invoke: relayed to cargo-lambda (`lambda_invoke.py`), answered as Lambda would.
3. Otherwise the service, region and operation are read off the request (SigV4 credential
   scope, `X-Amz-Target`, or the REST route tables the service modules register); injected
   faults and the account's rate limits apply; then the service's rule, if one is registered
   for the operation, decides, calling `forward` to let moto do the work.

Service modules (`route53.py`, `acm.py`, ...) only register routes, limits and rules here, and
keep their own state on the `Account` through `account.state(name, factory)`. Every duration is
given at AWS's scale in `DEFAULTS` and read through `account.seconds(name)`, which multiplies it
by the one `time_scale`: shrinking the scale keeps AWS's proportions.
"""

from __future__ import annotations

import collections
import io
import json
import random
import re
import sys
import threading
import time
import uuid
from dataclasses import dataclass, field
from typing import Callable, Iterable

from werkzeug.wrappers import Request as WerkzeugRequest

# Durations and rate windows at AWS's own scale, in seconds; each with where it comes from.
DEFAULTS: dict[str, float] = {
    # Route 53: GetChange says INSYNC "typically within 60 seconds" (API reference, GetChange).
    "route53_insync": 30.0,
    # Route 53: 5 requests per second per account (Route 53 quotas).
    "route53_window": 1.0,
    # Route 53: PriorRequestNotComplete while a zone's previous change is processed. AWS does not
    # publish how long; clients see it for fractions of a second after a change (route53.py).
    "route53_zone_busy": 0.5,
    # ACM: issuance once the validation CNAME resolves (minutes in practice; ACM user guide).
    "acm_issue": 120.0,
    # ACM: DomainValidationOptions lacks ResourceRecord for the first seconds.
    "acm_record_lag": 5.0,
    # ACM: DeleteCertificate stays ResourceInUseException after the user is deleted
    # (10 to 20 minutes after an API Gateway domain: aws-cdk #36265).
    "acm_in_use_lag": 600.0,
    # ACM: each operation's requests per second, per account per region (acm.py RATE_QUOTAS).
    "acm_window": 1.0,
    # CloudFront: a created or updated distribution stays InProgress this long.
    "cloudfront_deploy": 300.0,
    # CloudFront: InvalidViewerCertificate for a short while after issuance
    # (terraform-provider-aws #4698 retries it for a minute).
    "cloudfront_viewer_certificate_lag": 30.0,
    # CloudFront mutating calls: a bucket of this many per window (throttles "under load").
    "cloudfront_mutations": 10.0,
    "cloudfront_window": 1.0,
    # API Gateway quotas: CreateDomainName / DeleteDomainName 1 per 30 s, CreateDeployment
    # 1 per 5 s, CreateRestApi (Regional) 1 per 3 s, per account, not raisable.
    "apigateway_domain_window": 30.0,
    "apigateway_deployment_window": 5.0,
    "apigateway_rest_api_window": 3.0,
}

ACCOUNT_ID = "123456789012"

# The wire format of each service's errors (its protocol), and the XML namespace where it has one.
PROTOCOLS = {
    "route53": ("rest-xml", "https://route53.amazonaws.com/doc/2013-04-01/"),
    "cloudfront": ("rest-xml", "http://cloudfront.amazonaws.com/doc/2020-05-31/"),
    "acm": ("json", None),
    "dynamodb": ("json", None),
    "states": ("json", None),
    "sts": ("query", None),
    "apigateway": ("rest-json", None),
}


@dataclass
class Request:
    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]  # lower-case names
    body: bytes
    service: str = ""
    region: str = "us-east-1"
    operation: str = ""
    route: dict[str, str] = field(default_factory=dict)  # the REST route's named groups

    def json(self) -> dict:
        return json.loads(self.body or b"{}")

    def form(self) -> dict[str, str]:
        """A form-encoded body (the query protocol's), one value per name."""
        from urllib.parse import parse_qs
        try:
            text = (self.body or b"").decode()
        except UnicodeDecodeError:
            return {}
        return {k: v[0] for k, v in parse_qs(text).items()}


@dataclass
class Response:
    status: int
    headers: list[tuple[str, str]]
    body: bytes

    def header(self, name: str) -> str | None:
        for k, v in self.headers:
            if k.lower() == name.lower():
                return v
        return None

    def json(self) -> dict:
        return json.loads(self.body or b"{}")


Forward = Callable[[Request], Response]
Rule = Callable[[Request, Forward], Response]


class RateLimit:
    """`count` accepted requests per sliding `window` (a duration name), counted apart for each
    key (a region, for a quota per region); refused ones don't count."""

    def __init__(self, account: "Account", count: float | str, window: str):
        self.account, self.count, self.window = account, count, window
        self.accepted: dict[str, list[float]] = {}
        self.lock = threading.Lock()

    def take(self, key: str = "") -> bool:
        count = self.count if isinstance(self.count, (int, float)) else self.account.config[self.count]
        now = self.account.now()
        with self.lock:
            span = self.account.seconds(self.window)
            accepted = self.accepted[key] = [t for t in self.accepted.get(key, []) if now - t < span]
            if len(accepted) >= count:
                return False
            accepted.append(now)
            return True


@dataclass
class Limit:
    service: str
    operations: frozenset[str] | None  # None: every operation of the service
    bucket: RateLimit
    status: int
    code: str
    message: str
    per_region: bool = False  # a quota "per account per region": each region its own bucket


class Account:
    def __init__(self, moto_app, *, time_scale: float = 1.0, log=sys.stderr):
        self.moto_app = moto_app
        self.config: dict[str, float] = dict(DEFAULTS, time_scale=time_scale)
        self.faults: list[dict] = []
        self.routes: dict[str, list[tuple[str, re.Pattern, str]]] = {}
        self.rules: dict[tuple[str, str], Rule] = {}
        self.limits: list[Limit] = []
        self.handlers: list[Callable[[Request], Response | None]] = []  # before service lookup
        self._state: dict[str, object] = {}
        self.lock = threading.RLock()
        self.log = log
        self.random = random.Random()
        # Per `service:Operation`: the calls that reached the account, and those its own rate
        # limits refused (not the injected throttles), since the last reset.
        self.calls: collections.Counter[str] = collections.Counter()
        self.rate_limited: collections.Counter[str] = collections.Counter()

    # ---- time -------------------------------------------------------------------------------
    def now(self) -> float:
        return time.monotonic()

    def seconds(self, name: str) -> float:
        """A duration of DEFAULTS at the account's current scale."""
        return self.config[name] * self.config["time_scale"]

    def reset(self) -> None:
        """A clean account for the rules: their state, the faults and the rate windows go; the
        config (durations, time scale) stays. moto's own state is reset by `/moto-api/reset`."""
        with self.lock:
            self._state.clear()
            self.faults = []
            self.calls.clear()
            self.rate_limited.clear()
            for limit in self.limits:
                with limit.bucket.lock:
                    limit.bucket.accepted = {}

    # ---- registration by the service modules -------------------------------------------------
    def route(self, service: str, method: str, pattern: str, operation: str) -> None:
        """A REST route: `pattern` is matched against the path (full match, named groups kept)."""
        self.routes.setdefault(service, []).append((method, re.compile(pattern), operation))

    def rule(self, service: str, operation: str, rule: Rule) -> None:
        self.rules[(service, operation)] = rule

    def limit(self, service: str, operations: Iterable[str] | None, count: float | str, window: str,
              *, status: int, code: str, message: str, per_region: bool = False) -> None:
        ops = frozenset(operations) if operations is not None else None
        self.limits.append(Limit(service, ops, RateLimit(self, count, window), status, code, message,
                                 per_region))

    def state(self, name: str, factory: Callable[[], object]):
        with self.lock:
            if name not in self._state:
                self._state[name] = factory()
            return self._state[name]

    # ---- answers -----------------------------------------------------------------------------
    def error(self, req: Request, status: int, code: str, message: str) -> Response:
        """An error as `req.service` sends it on the wire."""
        request_id = str(uuid.uuid4())
        protocol, namespace = PROTOCOLS.get(req.service, ("json", None))
        if protocol == "rest-xml" or protocol == "query":
            kind = "Receiver" if status >= 500 else "Sender"
            xmlns = f' xmlns="{namespace}"' if namespace else ""
            body = (f'<?xml version="1.0"?>\n<ErrorResponse{xmlns}><Error><Type>{kind}</Type>'
                    f"<Code>{code}</Code><Message>{_xml_escape(message)}</Message></Error>"
                    f"<RequestId>{request_id}</RequestId></ErrorResponse>").encode()
            return Response(status, [("Content-Type", "text/xml"), ("x-amzn-RequestId", request_id)], body)
        if protocol == "rest-json":
            body = json.dumps({"message": message}).encode()
            return Response(status, [("Content-Type", "application/json"), ("x-amzn-ErrorType", code),
                                     ("x-amzn-RequestId", request_id)], body)
        body = json.dumps({"__type": code, "message": message}).encode()
        return Response(status, [("Content-Type", "application/x-amz-json-1.1"),
                                 ("x-amzn-RequestId", request_id)], body)

    def throttled(self, req: Request) -> Response:
        if req.service == "apigateway":
            return self.error(req, 429, "TooManyRequestsException", "Too Many Requests")
        if req.service == "cloudfront":
            return self.error(req, 400, "Throttling", "Rate exceeded")
        if req.service in ("acm", "states"):
            return self.error(req, 400, "ThrottlingException", "Rate exceeded")
        if req.service == "dynamodb":
            return self.error(req, 400, "ThrottlingException", "Rate of requests exceeds the allowed throughput.")
        return self.error(req, 400, "Throttling", "Rate exceeded")

    # ---- the request path --------------------------------------------------------------------
    def forward(self, req: Request) -> Response:
        """Let moto answer `req` as it is (no rule, no fault, no limit)."""
        environ = {
            "REQUEST_METHOD": req.method,
            "PATH_INFO": req.path,
            "QUERY_STRING": "&".join(f"{_q(k)}={_q(v)}" for k, vs in req.query.items() for v in vs),
            "SERVER_NAME": "127.0.0.1",
            "SERVER_PORT": "0",
            "SERVER_PROTOCOL": "HTTP/1.1",
            "wsgi.version": (1, 0),
            "wsgi.url_scheme": "http",
            "wsgi.input": io.BytesIO(req.body),
            "wsgi.errors": sys.stderr,
            "wsgi.multithread": True,
            "wsgi.multiprocess": False,
            "wsgi.run_once": False,
            "CONTENT_LENGTH": str(len(req.body)),
        }
        for name, value in req.headers.items():
            if name == "content-type":
                environ["CONTENT_TYPE"] = value
            elif name != "content-length":
                environ["HTTP_" + name.upper().replace("-", "_")] = value
        return self.call_wsgi(self.moto_app, environ)

    @staticmethod
    def call_wsgi(app, environ) -> Response:
        captured: dict = {}

        def start_response(status, headers, exc_info=None):
            captured["status"] = int(status.split(" ", 1)[0])
            captured["headers"] = list(headers)
            return lambda data: captured.setdefault("written", []).append(data)

        chunks = app(environ, start_response)
        try:
            body = b"".join(captured.get("written", [])) + b"".join(chunks)
        finally:
            if hasattr(chunks, "close"):
                chunks.close()
        return Response(captured["status"], captured["headers"], body)

    def identify(self, req: Request) -> None:
        auth = req.headers.get("authorization", "")
        m = re.search(r"Credential=[^/]+/\d{8}/([^/]+)/([^/]+)/aws4_request", auth)
        if m:
            req.region, req.service = m.group(1), m.group(2)
        target = req.headers.get("x-amz-target", "")
        if target and "." in target:
            req.operation = target.rsplit(".", 1)[1]
            return
        if PROTOCOLS.get(req.service, ("", None))[0] == "query":
            # The query protocol names the operation in the form body (or the query string).
            action = req.form().get("Action") or (req.query.get("Action") or [None])[0]
            if action:
                req.operation = action
                return
        for method, pattern, operation in self.routes.get(req.service, []):
            if method != req.method:
                continue
            m = pattern.fullmatch(req.path)
            if m:
                req.operation, req.route = operation, m.groupdict()
                return

    def __call__(self, environ, start_response):
        wreq = WerkzeugRequest(environ)
        body = wreq.get_data(cache=True)
        req = Request(
            method=wreq.method,
            path=wreq.path,
            query={k: wreq.args.getlist(k) for k in wreq.args.keys()},
            headers={k.lower(): v for k, v in wreq.headers.items()},
            body=body,
        )
        started, cpu_started = self.now(), time.thread_time()
        resp = self.handle(req)
        headers = [(k, v) for k, v in resp.headers if k.lower() not in ("content-length", "transfer-encoding")]
        headers.append(("Content-Length", str(len(resp.body))))
        start_response(f"{resp.status} {_reason(resp.status)}", headers)
        # Method, operation and outcome only: bodies may carry secrets (origin header values).
        if not req.path.startswith("/moto-api"):
            # The CPU time is this request's thread's own: what the account spent on it, apart
            # from the time its thread waited for the others (one process, one interpreter lock).
            # The wall-clock time of the request's arrival leads, so that a run's calls can be
            # put in order afterwards (bench/burst.py keeps the log with its raw records).
            # One write per line: print's text and its newline are two, which the request
            # threads interleave.
            took = self.now() - started
            self.log.write(f"{time.time() - took:.3f} "
                           f"{req.method} {req.service or '-'}:{req.operation or req.path} -> {resp.status} "
                           f"{took * 1000:.0f}ms cpu {(time.thread_time() - cpu_started) * 1000:.0f}ms\n")
            self.log.flush()
        return [resp.body if req.method != "HEAD" else b""]

    def handle(self, req: Request) -> Response:
        for handler in self.handlers:
            resp = handler(req)
            if resp is not None:
                return resp
        self.identify(req)
        if not req.service or req.path.startswith("/moto-api"):
            return self.forward(req)
        operation = f"{req.service}:{req.operation}"
        with self.lock:
            self.calls[operation] += 1
        fault = self.fault_for(req)
        if fault is not None:
            delay = fault.get("delay_seconds", 0)
            if delay:
                time.sleep(delay)
            if self.random.random() < fault.get("throttle", 0):
                return self.throttled(req)
            if self.random.random() < fault.get("server_error", 0):
                return self.error(req, 500, "InternalFailure" if req.service != "route53" else "InternalError",
                                  "We encountered an internal error. Please try again.")
        for limit in self.limits:
            if limit.service == req.service and (limit.operations is None or req.operation in limit.operations):
                if not limit.bucket.take(req.region if limit.per_region else ""):
                    with self.lock:
                        self.rate_limited[operation] += 1
                    return self.error(req, limit.status, limit.code, limit.message)
        rule = self.rules.get((req.service, req.operation))
        resp = rule(req, self.forward) if rule else self.forward(req)
        if fault is not None and resp.status < 300 and self.random.random() < fault.get("lose_answer", 0):
            # The call took effect; its answer is lost on the way back (as a dropped connection
            # or a gateway's 5xx looks to the client), so the client cannot know it did.
            return self.error(req, 503, "ServiceUnavailable", "The answer was lost after the call took effect.")
        return resp

    # ---- faults ------------------------------------------------------------------------------
    def fault_for(self, req: Request) -> dict | None:
        """The first injected fault rule whose `operation` matches: `service:Operation`,
        `service:*`, or `*`."""
        for fault in self.faults:
            op = fault.get("operation", "*")
            if op in ("*", f"{req.service}:*", f"{req.service}:{req.operation}"):
                return fault
        return None


def _q(s: str) -> str:
    from urllib.parse import quote
    return quote(s, safe="")


def _xml_escape(s: str) -> str:
    return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _reason(status: int) -> str:
    from http import HTTPStatus
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Unknown"
