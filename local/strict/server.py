"""Serve the strict account: moto's application behind `core.Account`, in one process.

    python local/account.py --port A --lambda-port L [--edge-port E] [--time-scale S]

`--port` is what `AWS_ENDPOINT_URL` points at. moto's Step Functions engine calls Lambda at
`http://localhost:$MOTO_PORT`, so `MOTO_PORT` must be that same port: the account relays
Lambda Invoke to cargo-lambda at `--lambda-port` (`lambda_invoke.py`). `--edge-port` serves
the data plane (`dataplane.make_app(account)`) when that module exists.

`start()` is the same thing for tests: it binds free loopback ports when given 0 and serves
from daemon threads of the calling process; `bare=True` installs no service module (plain
moto behind the core), which is how the tests show that each rule is the account's, not moto's.
"""

from __future__ import annotations

import argparse
import importlib
import logging
import os
import socket
import sys
import threading
from dataclasses import dataclass, field

# moto reads some settings when it is imported: set them first.
# ACM: acm.py owns the certificate status; moto would otherwise issue after 60 s on its own.
os.environ["MOTO_ACM_VALIDATION_WAIT"] = "0"

# Every service module; optional ones are written by others and may not exist yet.
SERVICE_MODULES = ("route53", "acm", "apigateway", "cloudfront", "sts", "dataplane")
REQUIRED_MODULES = ("route53", "acm", "apigateway")


@dataclass
class Running:
    """A started account: its endpoint, its data-plane URL (or None), and the Account."""
    account: object
    endpoint: str
    edge_url: str | None
    port: int
    lambda_port: int | None
    installed: list[str]
    _servers: list = field(default_factory=list)

    def stop(self) -> None:
        for server in self._servers:
            server.shutdown()
            server.server_close()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _import(name: str):
    """A service module of this package, or None when it is optional and not there."""
    package = __package__ or "strict"
    try:
        return importlib.import_module(f"{package}.{name}")
    except ModuleNotFoundError as e:
        if name in REQUIRED_MODULES or e.name not in (f"{package}.{name}",):
            raise
        return None


def build(*, lambda_port: int | None, time_scale: float, bare: bool = False, log=sys.stderr):
    """moto's application wrapped in an Account with every available service module installed.

    Returns (account, installed module names, the dataplane module or None)."""
    from moto.moto_server.werkzeug_app import DomainDispatcherApplication, create_backend_app

    from . import control, core, lambda_invoke, speed

    speed.install()
    account = core.Account(DomainDispatcherApplication(create_backend_app), time_scale=time_scale, log=log)
    # The control API and the Lambda relay are the account's plumbing, present even when bare.
    control.install(account)
    if lambda_port is not None:
        lambda_invoke.install(account, lambda_port)
    installed: list[str] = []
    dataplane = None
    if not bare:
        for name in SERVICE_MODULES:
            module = _import(name)
            if module is None:
                continue
            if hasattr(module, "install"):
                module.install(account)
                installed.append(name)
            if name == "dataplane":
                dataplane = module
    return account, installed, dataplane


def _serve(app, host: str, port: int):
    from moto.moto_server.werkzeug_app import MotoRequestHandler
    from werkzeug.serving import make_server

    # The account logs one line per request itself; werkzeug's own line would double it.
    logging.getLogger("werkzeug").setLevel(logging.WARNING)

    server = make_server(host, port, app, threaded=True, request_handler=MotoRequestHandler)
    threading.Thread(target=server.serve_forever, name=f"serve:{server.port}", daemon=True).start()
    return server


def start(*, port: int = 0, lambda_port: int | None = None, edge_port: int | None = None,
          time_scale: float = 1.0, bare: bool = False, host: str = "127.0.0.1", log=sys.stderr) -> Running:
    """Serve the account (and the data plane) from daemon threads; port 0 picks a free one.

    MOTO_PORT is set to the account's port: the process serves one account at a time."""
    port = port or free_port()
    os.environ["MOTO_PORT"] = str(port)  # read by moto at each Step Functions Lambda call
    account, installed, dataplane = build(lambda_port=lambda_port, time_scale=time_scale, bare=bare, log=log)
    servers = [_serve(account, host, port)]
    edge_url = None
    if dataplane is not None and hasattr(dataplane, "make_app") and edge_port is not None:
        edge = _serve(dataplane.make_app(account), host, edge_port or free_port())
        servers.append(edge)
        edge_url = f"http://{host}:{edge.port}"
    return Running(account, f"http://{host}:{port}", edge_url, port, lambda_port, installed, servers)


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description="The strict account: moto behind AWS's rules.")
    p.add_argument("--port", type=int, required=True, help="the account's port (AWS_ENDPOINT_URL)")
    p.add_argument("--lambda-port", type=int, required=True, help="cargo-lambda's Invoke API port")
    p.add_argument("--edge-port", type=int, default=None, help="the data plane's port (optional)")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--time-scale", type=float, default=float(os.environ.get("STRICT_TIME_SCALE", "1.0")),
                   help="multiplies every AWS delay and rate window (default: STRICT_TIME_SCALE or 1)")
    p.add_argument("--bare", action="store_true", help="no service rules: plain moto behind the core")
    a = p.parse_args(argv)
    # Before moto is imported anywhere in this process (build() imports it).
    os.environ["MOTO_PORT"] = str(a.port)
    running = start(port=a.port, lambda_port=a.lambda_port, edge_port=a.edge_port,
                    time_scale=a.time_scale, bare=a.bare, host=a.host)
    print(f"strict account on {running.endpoint} (time scale {a.time_scale}; rules: "
          f"{', '.join(running.installed) or 'none'}); Lambda invoke -> 127.0.0.1:{a.lambda_port}"
          + (f"; edge on {running.edge_url}" if running.edge_url else ""), file=sys.stderr, flush=True)
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        pass
    finally:
        running.stop()
