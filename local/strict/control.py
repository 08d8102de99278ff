"""The account's own control API, at `/strict-api/...` on the account's endpoint (never AWS's).

    GET  /strict-api/config   -> {"time_scale": 1.0, "route53_insync": 30.0, ...}
    POST /strict-api/config   {"time_scale": 0.01, "acm_issue": 60}   merges, answers the config
    POST /strict-api/faults   {"faults": [{"operation": "route53:ChangeResourceRecordSets",
                                "throttle": 0.2, "server_error": 0.1, "delay_seconds": 0.5,
                                "lose_answer": 0.1}]}                  replaces the fault list
    GET  /strict-api/faults   -> {"faults": [...]}
    DELETE /strict-api/faults                                          no faults
    GET  /strict-api/calls    -> {"calls": {"apigateway:CreateDomainName": 12, ...},
                                  "rate_limited": {...}}   per operation since the last reset
                                  (rate_limited: refused by the account's own rate limits)
    DELETE /strict-api/calls                                           counts from zero
    POST /strict-api/reset                                             the rules' state, faults, windows,
                                                                        counts

`POST /moto-api/reset` still goes to moto unchanged; the rules' state is cleared with it, since
it describes resources that moto has just forgotten. Durations are in seconds at AWS's scale
(core.DEFAULTS); `time_scale` multiplies them all.
"""

from __future__ import annotations

import json
import uuid

from .core import Account, Request, Response

FAULT_KEYS = {"operation", "throttle", "server_error", "delay_seconds", "lose_answer"}
PROBABILITIES = ("throttle", "server_error", "lose_answer")


def install(account: Account) -> None:
    def handler(req: Request) -> Response | None:
        if req.path == "/moto-api/reset" and req.method == "POST":
            account.reset()
            return None  # and on to moto
        if not req.path.startswith("/strict-api/"):
            return None
        req.service, req.operation = "strict-api", req.path[len("/strict-api/"):]
        try:
            return _control(account, req)
        except (ValueError, TypeError) as e:  # JSON decode errors are ValueErrors
            return _answer(400, {"message": str(e)})

    account.handlers.append(handler)


def _control(account: Account, req: Request) -> Response:
    what = req.path[len("/strict-api/"):].strip("/")
    if what == "config":
        if req.method == "GET":
            return _answer(200, account.config)
        if req.method == "POST":
            changes = req.json()
            _check_config(account, changes)
            with account.lock:
                account.config.update({k: float(v) for k, v in changes.items()})
            return _answer(200, account.config)
    elif what == "faults":
        if req.method == "GET":
            return _answer(200, {"faults": account.faults})
        if req.method == "POST":
            faults = req.json().get("faults")
            _check_faults(faults)
            account.faults = faults  # one assignment: a request sees the old list or the new
            return _answer(200, {"faults": account.faults})
        if req.method == "DELETE":
            account.faults = []
            return _answer(200, {"faults": []})
    elif what == "calls":
        if req.method == "GET":
            with account.lock:
                return _answer(200, {"calls": dict(account.calls), "rate_limited": dict(account.rate_limited)})
        if req.method == "DELETE":
            with account.lock:
                account.calls.clear()
                account.rate_limited.clear()
            return _answer(200, {"calls": {}, "rate_limited": {}})
    elif what == "reset" and req.method == "POST":
        account.reset()
        return _answer(200, {})
    else:
        return _answer(404, {"message": f"no such control resource: {what}"})
    return _answer(405, {"message": f"{req.method} not allowed on /strict-api/{what}"})


def _check_config(account: Account, changes) -> None:
    if not isinstance(changes, dict):
        raise ValueError("the config is a JSON object of names to seconds")
    for name, value in changes.items():
        if name not in account.config:
            raise ValueError(f"unknown config name {name!r}; known: {sorted(account.config)}")
        if isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0:
            raise ValueError(f"{name} must be a number >= 0")
        if name == "time_scale" and value == 0:
            raise ValueError("time_scale must be > 0")


def _check_faults(faults) -> None:
    if not isinstance(faults, list):
        raise ValueError('expected {"faults": [...]}')
    for fault in faults:
        if not isinstance(fault, dict) or not isinstance(fault.get("operation", "*"), str):
            raise ValueError("each fault is an object with an \"operation\" string")
        unknown = set(fault) - FAULT_KEYS
        if unknown:
            raise ValueError(f"unknown fault keys {sorted(unknown)}; known: {sorted(FAULT_KEYS)}")
        for key in PROBABILITIES:
            p = fault.get(key, 0)
            if isinstance(p, bool) or not isinstance(p, (int, float)) or not 0 <= p <= 1:
                raise ValueError(f"{key} is a probability between 0 and 1")
        d = fault.get("delay_seconds", 0)
        if isinstance(d, bool) or not isinstance(d, (int, float)) or d < 0:
            raise ValueError("delay_seconds must be a number >= 0")


def _answer(status: int, body: dict) -> Response:
    return Response(status, [("Content-Type", "application/json"), ("x-amzn-RequestId", str(uuid.uuid4()))],
                    json.dumps(body).encode())
