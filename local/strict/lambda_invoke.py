"""Lambda Invoke, relayed to cargo-lambda and answered as the real Lambda Invoke API would.

moto's Step Functions engine calls Lambda at http://localhost:$MOTO_PORT, which is the account;
`POST /2015-03-31/functions/{name}/invocations` goes on to cargo-lambda, which runs the real
Rust binaries. cargo-lambda 1.9 reports a function error as HTTP 500 with the error body and no
`X-Amz-Function-Error`; real Lambda answers 200 with `X-Amz-Function-Error: Unhandled` (Lambda
API reference, Invoke), and only that lets Step Functions' Retry/Catch match `errorType`
(tried: see shared/spec/local-stack.md, "Two traps").
"""

from __future__ import annotations

import http.client
import json
import re
import time
import uuid
from urllib.parse import urlencode

from .core import Account, Request, Response

INVOKE_PATH = re.compile(r"/2015-03-31/functions/[^/]+/invocations")

# Connection-level headers describe one hop; relaying them would corrupt the next hop.
HOP_BY_HOP = {
    "connection", "keep-alive", "proxy-authenticate", "proxy-authorization",
    "te", "trailers", "transfer-encoding", "upgrade", "host", "content-length",
}

# A Lambda invocation may run as long as a real one (15 minutes).
UPSTREAM_TIMEOUT = 900


def install(account: Account, lambda_port: int) -> None:
    def handler(req: Request) -> Response | None:
        if req.method != "POST" or not INVOKE_PATH.fullmatch(req.path):
            return None
        req.service, req.operation = "lambda", "Invoke"  # for the log and the fault list
        # Injected faults ("lambda:Invoke") as Lambda says them: Step Functions best practices
        # retry Lambda.ServiceException, Lambda.TooManyRequestsException... on every task.
        fault = account.fault_for(req)
        if fault is not None:
            if fault.get("delay_seconds"):
                time.sleep(fault["delay_seconds"])
            if account.random.random() < fault.get("throttle", 0):
                return lambda_error(429, "TooManyRequestsException", "User", "Rate Exceeded.",
                                    Reason="CallerRateLimitExceeded")
            if account.random.random() < fault.get("server_error", 0):
                return lambda_error(500, "ServiceException", "Service", "Lambda encountered an internal error.")
        resp = relay(req, lambda_port)
        if fault is not None and resp.status < 300 and account.random.random() < fault.get("lose_answer", 0):
            # The function ran; its answer is lost on the way back.
            return lambda_error(503, "ServiceException", "Service", "The answer was lost after the call took effect.")
        return resp

    account.handlers.append(handler)


def lambda_error(status: int, code: str, kind: str, message: str, **extra) -> Response:
    """An error of the Lambda API (REST-JSON: the code in x-amzn-ErrorType)."""
    body = json.dumps({"Type": kind, "message": message, **extra}).encode()
    return Response(status, [("Content-Type", "application/json"), ("x-amzn-ErrorType", code),
                             ("x-amzn-RequestId", str(uuid.uuid4()))], body)


def relay(req: Request, lambda_port: int) -> Response:
    headers = {k: v for k, v in req.headers.items() if k not in HOP_BY_HOP}
    headers["Host"] = f"127.0.0.1:{lambda_port}"
    query = urlencode([(k, v) for k, vs in req.query.items() for v in vs])
    conn = http.client.HTTPConnection("127.0.0.1", lambda_port, timeout=UPSTREAM_TIMEOUT)
    try:
        # Content-Length even when empty: some servers refuse a bodyless POST.
        conn.request("POST", req.path + (f"?{query}" if query else ""), body=req.body, headers=headers)
        upstream = conn.getresponse()
        status, out_headers, body = upstream.status, upstream.getheaders(), upstream.read()
    except OSError as e:
        # As Lambda's own service error, so the engine's Retry on Lambda.ServiceException applies.
        return lambda_error(502, "ServiceException", "Service", f"local account: cargo-lambda unreachable: {e}")
    finally:
        conn.close()
    status, out_headers = reshape(status, out_headers, body)
    return Response(status, [(k, v) for k, v in out_headers if k.lower() not in HOP_BY_HOP], body)


def reshape(status: int, headers, body: bytes):
    """cargo-lambda's answer as the Lambda Invoke API would have given it."""
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
            return 200, headers + [("X-Amz-Function-Error", "Unhandled")]
    return status, headers
