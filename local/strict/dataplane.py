"""The data plane moto does not have: CloudFront's edge, and API Gateway's REST data plane behind it.

`make_app(account)` is one WSGI application (server.py serves it on `--edge-port`, in moto's
process, so it reads moto's backends directly). There is no DNS and no TLS on one machine: the
request's `Host` header says which name the client looked up, and loopback HTTP stands in for
HTTPS.

    Host = a distribution's dxxxx.cloudfront.net or one of its aliases  -> CloudFront (the edge)
    Host = {api_id}.execute-api.{region}.amazonaws.com                  -> API Gateway, directly
    Host = a Regional custom domain name (no distribution has it)       -> API Gateway, directly,
                                                                           at the domain's d-xxxx
                                                                           endpoint (its DNS target)
    anything else                                                       -> CloudFront's 403

The edge (CloudFront, as documented in its developer guide):
- answers only for a distribution that is enabled and Deployed (`cloudfront.distribution_status`).
  While an update is InProgress it keeps serving the configuration it last saw Deployed, as
  CloudFront's edges do; a distribution never seen Deployed does not answer (403, CloudFront's
  own HTML error, `X-Cache: Error from cloudfront`, no `x-amzn-RequestId`);
- checks the default cache behavior's allowed methods (and refuses a GET with a body);
  every request counts as HTTPS (loopback HTTP stands in for TLS), so redirect-to-https never
  redirects;
- builds the origin request: the origin's DomainName is the host it connects to, the
  OriginPath is prepended, query strings, cookies and headers go only as the cache policy and the
  origin request policy say (or the legacy ForwardedValues); `Host` only when a policy forwards
  it (AllViewer-type), else Host = the origin's domain; `Authorization` only when the cache
  policy (or legacy ForwardedValues) names it, or the origin request policy forwards all viewer
  headers (AllViewer, as CloudFront's "HTTP 401" page documents); then the origin custom
  headers, then CloudFront's own `Via`, `X-Forwarded-For`, `X-Amz-Cf-Id`, `User-Agent`;
- sends it to API Gateway in-process (an execute-api origin) or answers 502 (any other origin:
  there is nothing to connect to);
- adds `Via`, `X-Cache`, `X-Amz-Cf-Pop`, `X-Amz-Cf-Id` to the answer.

API Gateway (REST APIs) routes on the host it was reached at and the `Host` header:
- `{api_id}.execute-api...`: Host must be that name (else 403 Forbidden: the CloudFront trap of
  forwarding the viewer's Host); the path is `/{stage}/{resource...}`;
- a Regional custom domain's `d-xxxx.execute-api...`: Host must be a custom domain whose target
  is that endpoint, routed through its base path mappings; another name is 421 Misdirected
  Request (the seed's trap), the d-xxxx name itself 403 Forbidden;
- `/restapis/{api_id}/{stage}/_user_request_/...` on the edge's own address: that API's stage,
  as at its execute-api name (no such name resolves to this machine), with no Host to check;
- unknown stage, resource or method: Missing Authentication Token (403);
- AWS_IAM methods verify SigV4 (service execute-api, the API's region) against the method, path,
  query and headers as API Gateway received them, with credentials the account issued
  (signers.py: IAM users' access keys, STS sessions, the account's own keys), then IAM's
  policies for execute-api:Invoke; the caller goes into the proxy event's request context;
- what API Gateway answers itself (the errors above, a body over 10 MB, a failed integration)
  takes the API's gateway response of that type, else DEFAULT_4XX/5XX, else its own
  `{"message": ...}`;
- MOCK integrations answer their integration response; AWS_PROXY calls the Lambda Invoke API
  through the account (so cargo-lambda runs the function); other integration types answer 500.

One log line per request (method, host, path, status, what answered, the caller's ARN); never a
header value, never a query string: Authorization and origin custom headers are secrets. An
answer never holds a session token: the canonical request a bad signature is told has the
token's value redacted.
"""

from __future__ import annotations

import base64
import datetime as dt
import email.utils
import hashlib
import hmac
import json
import os
import re
import time
import uuid
from dataclasses import dataclass, field
from urllib.parse import quote, unquote, urlsplit

from . import core, signers

EXECUTE_API = re.compile(r"([a-z0-9-]+)\.execute-api\.([a-z0-9-]+)\.amazonaws\.com")
# A REST API's stage at the edge's own address (LocalStack's form of the same URL).
LOCAL_EXECUTE_API = re.compile(r"/restapis/([A-Za-z0-9]+)/([^/]+)/_user_request_(/.*)?")

# Connection-level headers describe one hop; never forwarded either way.
HOP_BY_HOP = {
    "connection", "keep-alive", "proxy-connection", "proxy-authenticate", "proxy-authorization",
    "te", "trailer", "trailers", "transfer-encoding", "upgrade", "content-length", "expect",
}

SIGV4_SKEW = dt.timedelta(minutes=15)


# ---- the request as one hop received it -----------------------------------------------------
@dataclass
class HttpRequest:
    method: str
    path: str  # as on the wire: percent-encoded
    query: str  # as on the wire, without '?'
    headers: list[tuple[str, str]]
    body: bytes
    client_ip: str = "127.0.0.1"

    def header(self, name: str) -> str | None:
        name = name.lower()
        values = [v for k, v in self.headers if k.lower() == name]
        return ",".join(values) if values else None

    @property
    def host(self) -> str:
        return _hostname(self.header("host") or "")


@dataclass
class Trace:
    """What answered, for the log line: names and decisions, never header values."""
    parts: list[str] = field(default_factory=list)

    def add(self, text: str) -> None:
        self.parts.append(text)


def _hostname(host: str) -> str:
    host = host.strip().lower().rstrip(".")
    if host.startswith("["):  # an IPv6 literal keeps its colons
        return host.split("]", 1)[0] + "]"
    return host.split(":", 1)[0]


def _cloudfront():
    """CloudFront's control plane: the status and policies a distribution's edge serves by (a
    function, so that a test can stand in for it)."""
    from . import cloudfront
    return cloudfront


def _account_id(account) -> str:
    return getattr(account, "account_id", None) or core.ACCOUNT_ID


def _truthy(value) -> bool:
    if isinstance(value, str):
        return value.strip().lower() == "true"
    return bool(value)


def _cf_id() -> str:
    return base64.urlsafe_b64encode(os.urandom(40)).decode()


def _apigw_id() -> str:
    return base64.b64encode(os.urandom(11)).decode()


def _listify(value) -> list:
    if value is None:
        return []
    if isinstance(value, dict):  # {"Quantity": n, "Items": [...]} or an XML-ish {"Items": {"Name": [...]}}
        value = value.get("Items") or []
        if isinstance(value, dict):
            value = next(iter(value.values()), [])
    if isinstance(value, (str, bytes)):
        return [value]
    return list(value)


# ---- the WSGI application ------------------------------------------------------------------
class DataPlane:
    def __init__(self, account):
        self.account = account
        # This edge's name, as CloudFront's Via names the edge server that answered.
        self.edge_name = f"{uuid.uuid4().hex}.cloudfront.net"
        self.pop = "LCL1-P1"

    # WSGI
    def __call__(self, environ, start_response):
        req = _from_environ(environ)
        trace = Trace()
        started = time.monotonic()
        try:
            resp = self.handle(req, trace)
        except Exception as e:  # an answer, and the reason in the log, rather than a dropped connection
            trace.add(f"internal error in the data plane: {type(e).__name__}: {e}")
            resp = _cloudfront_error(self, 502, "CloudFront wasn't able to connect to the origin.")
            import traceback
            traceback.print_exc(file=self.account.log)
        headers = [(k, v) for k, v in resp.headers if k.lower() not in HOP_BY_HOP]
        headers.append(("Content-Length", str(len(resp.body))))
        start_response(f"{resp.status} {core._reason(resp.status)}", headers)
        # One write per line, as the account's own (core.Account.__call__).
        self.account.log.write(f"dataplane: {req.method} {req.host or '-'} {req.path} -> {resp.status} "
                               f"[{'; '.join(trace.parts) or '-'}] {(time.monotonic() - started) * 1000:.0f}ms\n")
        self.account.log.flush()
        return [resp.body if req.method != "HEAD" else b""]

    def handle(self, req: HttpRequest, trace: Trace) -> core.Response:
        host = req.host
        found = self.distribution_for(host, trace)
        if found == "refused":  # a distribution has the name, and does not answer (yet)
            return _cloudfront_error(self, 403, "Bad request.")
        if found is not None:
            dist, config = found
            return self.edge(req, dist, config, trace)
        if EXECUTE_API.fullmatch(host):
            trace.add("direct to API Gateway")
            return self.api_gateway(host, req, trace)
        domain = self.custom_domain(host)
        if domain is not None:
            trace.add(f"direct to API Gateway custom domain {domain.domain_name}")
            return self.api_gateway(domain.regional_domain_name.lower(), req, trace)
        local = LOCAL_EXECUTE_API.fullmatch(req.path)
        if local is not None:
            trace.add("API Gateway at its local path")
            return self.local_api_gateway(local.group(1), local.group(2), local.group(3) or "", req, trace)
        trace.add("no distribution has this name")
        return _cloudfront_error(self, 403, "Bad request.")

    # ---- CloudFront ------------------------------------------------------------------------
    def distribution_for(self, host: str, trace: Trace):
        """(distribution, the config it serves) for `host`; "refused" when a distribution has the
        name but does not answer (why: in `trace`); None when no distribution has it."""
        from moto.cloudfront.models import cloudfront_backends

        backends = cloudfront_backends[_account_id(self.account)]
        if "aws" not in backends.keys():
            return None
        distributions = _snapshot(backends["aws"].distributions)
        deployed = self.account.state("dataplane.deployed", dict)  # id -> the config last seen Deployed
        exact, wildcard = [], []
        for dist in distributions:
            live = dist.distribution_config
            names = {dist.domain_name.lower()}
            last = deployed.get(dist.id)
            for config in (live, last):
                if config is not None:
                    names.update(a.lower().rstrip(".") for a in _listify(getattr(config, "Aliases", None)))
            if host in names:
                exact.append(dist)
            elif any(n.startswith("*.") and host.endswith(n[1:]) and "." not in host[: -len(n) + 1]
                     for n in names):
                wildcard.append(dist)
        candidates = exact or wildcard
        if not candidates:
            return None
        why = []
        for dist in candidates:
            status = self.distribution_status(dist)
            if status == "Deployed":
                deployed[dist.id] = dist.distribution_config
            config = deployed.get(dist.id)
            if config is None:
                why.append(f"distribution {dist.id} not yet Deployed ({status})")
                continue
            if not _serves(dist, config, host):
                why.append(f"distribution {dist.id} does not serve this name as deployed")
                continue
            if not _truthy(getattr(config, "Enabled", False)):
                why.append(f"distribution {dist.id} is disabled")
                continue
            if len(candidates) > 1:
                trace.add(f"{len(candidates)} distributions have this name (AWS refuses that)")
            trace.add(f"distribution {dist.id}" + ("" if status == "Deployed" else f" (serving its last Deployed config; {status})"))
            return dist, config
        trace.add("; ".join(why))
        return "refused"

    def distribution_status(self, dist) -> str:
        return _cloudfront().distribution_status(self.account, dist.id)

    def cache_policy(self, policy_id: str) -> dict | None:
        return _cloudfront().cache_policy_config(self.account, policy_id)

    def origin_request_policy(self, policy_id: str) -> dict | None:
        return _cloudfront().origin_request_policy_config(self.account, policy_id)

    def edge(self, req: HttpRequest, dist, config, trace: Trace) -> core.Response:
        behavior = config.DefaultCacheBehavior
        allowed = [m.upper() for m in _listify(getattr(behavior.allowed_methods, "items", None))] or ["GET", "HEAD"]
        if req.method.upper() not in allowed:
            trace.add(f"method not in the allowed methods {','.join(allowed)}")
            return _cloudfront_error(self, 403, "This distribution is not configured to allow the HTTP request "
                                                "method that was used for this request. The distribution supports "
                                                "only cachable requests.")
        if req.method.upper() == "GET" and req.body:
            trace.add("GET with a body")
            return _cloudfront_error(self, 403, "Bad request.")
        origins = {o.id: o for o in _listify(config.Origins)}
        origin = origins.get(behavior.target_origin_id)
        if origin is None:
            trace.add(f"no origin {behavior.target_origin_id}")
            return _cloudfront_error(self, 502, "CloudFront wasn't able to connect to the origin.")

        forwarding = Forwarding.of(self, behavior, trace)
        origin_host = origin.domain_name.lower()
        headers = forwarding.headers(req)
        if not any(k.lower() == "host" for k, _ in headers):
            headers.insert(0, ("Host", origin.domain_name))
        for custom in _listify(getattr(origin, "custom_headers", None)):
            name, value = custom.get("HeaderName"), custom.get("HeaderValue")
            if name:
                headers = [(k, v) for k, v in headers if k.lower() != name.lower()]
                headers.append((name, value or ""))
        xff = req.header("x-forwarded-for")
        headers += [
            ("X-Forwarded-For", f"{xff}, {req.client_ip}" if xff else req.client_ip),
            ("Via", f"1.1 {self.edge_name} (CloudFront)"),
            ("X-Amz-Cf-Id", _cf_id()),
        ]
        if not any(k.lower() == "user-agent" for k, _ in headers):
            headers.append(("User-Agent", "Amazon CloudFront"))
        origin_req = HttpRequest(
            method=req.method,
            path=(origin.origin_path or "").rstrip("/") + req.path,
            query=forwarding.query(req.query),
            headers=headers,
            body=req.body,
            client_ip=req.client_ip,
        )
        policy = getattr(getattr(origin, "custom_origin_config", None), "origin_protocol_policy", None)
        trace.add(f"origin {origin_host}")
        if EXECUTE_API.fullmatch(origin_host):
            if policy == "http-only":
                trace.add("origin protocol http-only: API Gateway has no HTTP endpoint")
                resp = _cloudfront_error(self, 502, "CloudFront wasn't able to connect to the origin.")
            else:
                resp = self.api_gateway(origin_host, origin_req, trace)
        else:
            trace.add("not an API Gateway origin: nothing to connect to here")
            resp = _cloudfront_error(self, 502, "CloudFront wasn't able to connect to the origin.")
        return self.edge_answer(resp)

    def edge_answer(self, resp: core.Response) -> core.Response:
        if resp.header("X-Cache"):  # CloudFront's own error page: already complete
            return resp
        headers = [(k, v) for k, v in resp.headers if k.lower() not in HOP_BY_HOP]
        via = f"1.1 {self.edge_name} (CloudFront)"
        upstream_via = resp.header("via")
        headers = [(k, v) for k, v in headers if k.lower() != "via"]
        headers += [
            ("X-Cache", "Error from cloudfront" if resp.status >= 400 else "Miss from cloudfront"),
            ("Via", f"{upstream_via}, {via}" if upstream_via else via),
            ("X-Amz-Cf-Pop", self.pop),
            ("X-Amz-Cf-Id", _cf_id()),
        ]
        return core.Response(resp.status, headers, resp.body)

    # ---- API Gateway -----------------------------------------------------------------------
    def apigateway_backend(self, region: str):
        from moto.apigateway.models import apigateway_backends

        backends = apigateway_backends[_account_id(self.account)]
        return backends[region] if region in backends.keys() else None

    def custom_domain(self, host: str):
        """The API Gateway custom domain named `host`, in any region that has one."""
        from moto.apigateway.models import apigateway_backends

        backends = apigateway_backends[_account_id(self.account)]
        for region in list(backends.keys()):
            for domain in _snapshot(backends[region].domain_names):
                if domain.domain_name.lower() == host and _is_regional(domain):
                    return domain
        return None

    def api_gateway(self, connected: str, req: HttpRequest, trace: Trace) -> core.Response:
        """API Gateway answering `req`, which reached it at the endpoint `connected`."""
        label, region = EXECUTE_API.fullmatch(connected).groups()
        host = req.host
        backend = self.apigateway_backend(region)
        segments = _segments(req.path)
        if label.startswith("d-"):
            domains = [d for d in _snapshot(backend.domain_names) if d.regional_domain_name.lower() == connected
                       and _is_regional(d)] if backend else []
            if not domains:
                trace.add(f"no Regional custom domain has the endpoint {connected}")
                return _forbidden()
            if host == connected:
                trace.add("Host is the custom domain's endpoint name, not a custom domain")
                return _forbidden()
            domain = next((d for d in domains if d.domain_name.lower() == host), None)
            if domain is None:
                trace.add(f"Host is not the custom domain behind {connected} "
                          f"({', '.join(d.domain_name for d in domains)})")
                return _apigw_answer(421, {"message": "Misdirected Request"})
            return self.through_mapping(backend, domain, region, req, segments, trace)
        api = backend.apis.get(label) if backend else None
        if api is None:
            trace.add(f"no REST API {label} in {region}")
            return _forbidden()
        if host != connected:
            trace.add("Host is not the API's execute-api name")
            return _forbidden()
        if _truthy(getattr(api, "disableExecuteApiEndpoint", False)):
            trace.add("the API's execute-api endpoint is disabled")
            return _forbidden()
        if not segments or not segments[0]:
            trace.add(f"api {api.id}: no stage in the path")
            return _gateway_answer(api, MISSING_TOKEN)
        stage = unquote(segments[0])
        return self.invoke(api, stage, region, req, segments[1:], trace, domain_name=connected)

    def local_api_gateway(self, api_id: str, stage: str, rest: str, req: HttpRequest, trace: Trace) -> core.Response:
        """A REST API reached at `/restapis/{api_id}/{stage}/_user_request_/...` on the edge's own
        address: no name resolves to this machine but its own, so a client that cannot send its
        own Host header (curl, the CLI, schemathesis) reaches the API here, with no name to
        check. Everything else is as at `{api_id}.execute-api.{region}.amazonaws.com/{stage}`;
        the signature is checked against the request as received (this host and this path)."""
        from moto.apigateway.models import apigateway_backends

        backends = apigateway_backends[_account_id(self.account)]
        for region in list(backends.keys()):
            api = backends[region].apis.get(api_id)
            if api is not None:
                return self.invoke(api, unquote(stage), region, req, _segments(rest), trace,
                                   domain_name=f"{api_id}.execute-api.{region}.amazonaws.com")
        trace.add(f"no REST API {api_id}")
        return _forbidden()

    def through_mapping(self, backend, domain, region, req, segments, trace) -> core.Response:
        mappings = dict(backend.base_path_mappings.get(domain.domain_name) or {})
        decoded = [unquote(s) for s in segments]
        chosen, rest = None, segments
        # The longest base path that is a prefix of the path, segment by segment; else '(none)'.
        for base_path, mapping in sorted(mappings.items(), key=lambda kv: -len(kv[0])):
            if base_path in ("(none)", ""):
                continue
            parts = base_path.strip("/").split("/")
            if decoded[: len(parts)] == parts:
                chosen, rest = mapping, segments[len(parts):]
                break
        if chosen is None:
            chosen = mappings.get("(none)") or mappings.get("")
        if chosen is None:
            trace.add(f"custom domain {domain.domain_name}: no base path mapping for this path")
            return _forbidden()
        api = backend.apis.get(chosen.rest_api_id)
        if api is None:
            trace.add(f"custom domain {domain.domain_name}: mapped API {chosen.rest_api_id} is gone")
            return _forbidden()
        stage = chosen.stage
        if not stage or stage == "(none)":
            if not rest or not rest[0]:
                trace.add(f"api {api.id}: no stage in the path")
                return _gateway_answer(api, MISSING_TOKEN)
            stage, rest = unquote(rest[0]), rest[1:]
        trace.add(f"custom domain {domain.domain_name}")
        return self.invoke(api, stage, region, req, rest, trace, domain_name=domain.domain_name)

    def invoke(self, api, stage_name, region, req, rest, trace, *, domain_name) -> core.Response:
        stage = api.stages.get(stage_name)
        if stage is None or not getattr(stage, "deployment_id", None):
            trace.add(f"api {api.id}: no stage {stage_name!r}")
            return _gateway_answer(api, MISSING_TOKEN)
        if len(req.body or b"") > MAX_PAYLOAD:
            trace.add(f"api {api.id}: payload over 10 MB")
            return _gateway_answer(api, TOO_LARGE)
        found = _match_resource(api, [unquote(s) for s in rest])
        if found is None:
            trace.add(f"api {api.id} stage {stage_name}: no resource for the path")
            return _gateway_answer(api, MISSING_TOKEN)
        resource, params = found
        method = resource.resource_methods.get(req.method.upper()) or resource.resource_methods.get("ANY")
        where = f"api {api.id} stage {stage_name} {req.method} {resource.get_path()}"
        if method is None:
            trace.add(f"{where}: no such method")
            return _gateway_answer(api, MISSING_TOKEN)
        signer = None
        auth_type = (method.authorization_type or "NONE").upper()
        if auth_type == "AWS_IAM":
            signer, error = self.verify_sigv4(req, region, trace)
            if error is None:
                # execute-api's resource: the stage, the method and the path as requested.
                resource_arn = (f"arn:aws:execute-api:{region}:{_account_id(self.account)}:{api.id}/"
                                f"{stage_name}/{req.method.upper()}/" + "/".join(unquote(s) for s in rest))
                if not signers.may_invoke(signer, resource_arn):
                    trace.add("IAM: execute-api:Invoke not allowed")
                    error = GatewayError(
                        "ACCESS_DENIED", 403,
                        f"User: {signer.arn} is not authorized to perform: execute-api:Invoke on resource: "
                        f"{resource_arn}", "AccessDeniedException")
            if error is not None:
                trace.add(where)
                return _gateway_answer(api, error)
        elif auth_type != "NONE":
            trace.add(f"{where}: authorization {auth_type} is not emulated")
            return _gateway_answer(api, INTERNAL)
        integration = method.method_integration
        kind = (integration.integration_type if integration else "none").upper()
        trace.add(f"{where} ({kind})")
        if integration is None:
            return _gateway_answer(api, INTERNAL)
        if kind == "MOCK":
            return _mock(integration, req, trace)
        if kind == "AWS_PROXY":
            context = ProxyContext(api=api, stage=stage, resource=resource, params=params, region=region,
                                   domain_name=domain_name, identity=signer.identity if signer else None,
                                   rest=rest)
            return self.lambda_proxy(integration, req, context, trace)
        trace.add(f"{kind} integrations are not emulated: 500")
        return _gateway_answer(api, INTERNAL)

    # ---- SigV4, as API Gateway checks it ----------------------------------------------------
    def credentials(self) -> dict:
        return self.account.state("credentials", lambda: {"testing": "testing"})

    def verify_sigv4(self, req: HttpRequest, region: str, trace: Trace):
        """(identity, None) when the signature holds, else (None, API Gateway's 403)."""
        auth = req.header("authorization")
        if not auth:
            trace.add("sigv4: no Authorization")
            return None, MISSING_TOKEN
        algorithm, _, rest = auth.strip().partition(" ")
        params: dict[str, str] = {}
        for part in rest.split(","):
            key, eq, value = part.strip().partition("=")
            if eq:
                params[key.strip()] = value.strip()
        amz_date = req.header("x-amz-date")
        date_header = req.header("date")
        missing = [f"Authorization header requires '{p}' parameter."
                   for p in ("Credential", "Signature", "SignedHeaders") if p not in params]
        if not amz_date and not date_header:
            missing.append("Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header.")
        if algorithm != "AWS4-HMAC-SHA256" or missing:
            trace.add("sigv4: incomplete Authorization")
            return None, GatewayError("INVALID_SIGNATURE", 403, error_type="IncompleteSignatureException", message= " ".join(missing) if missing else
                                      "Unsupported Authorization Type")
        scope = params["Credential"].split("/")
        if len(scope) != 5 or scope[4] != "aws4_request":
            trace.add("sigv4: malformed credential scope")
            return None, GatewayError("INVALID_SIGNATURE", 403, error_type="IncompleteSignatureException", message=
                                      "Credential must have exactly 5 slash-delimited elements, e.g. "
                                      "keyid/date/region/service/term, got '" + "/".join(scope[1:]) + "'")
        access_key, scope_date, scope_region, scope_service, _ = scope
        signer = signers.find(_account_id(self.account), access_key, self.credentials())
        token = signer.session_token if signer else None
        if signer is None or (token is not None and req.header("x-amz-security-token") != token):
            trace.add("sigv4: unknown access key")
            # No gateway response type is documented for an access key IAM does not know;
            # UNAUTHORIZED ("failed to authenticate the caller") is the nearest, and the template
            # gives it the status of INVALID_SIGNATURE.
            return None, GatewayError("UNAUTHORIZED", 403, "The security token included in the request is invalid.",
                                      "UnrecognizedClientException")
        if signer.expiration is not None and signer.expiration <= dt.datetime.now(dt.timezone.utc):
            trace.add("sigv4: session expired")
            return None, GatewayError("EXPIRED_TOKEN", 403, "The security token included in the request is expired",
                                      "ExpiredTokenException")
        signed_headers = params["SignedHeaders"].lower().split(";")
        if "host" not in signed_headers:
            trace.add("sigv4: host not signed")
            return None, GatewayError("INVALID_SIGNATURE", 403, error_type="IncompleteSignatureException", message=
                                      "'Host' or ':authority' must be a 'SignedHeader' in the AWS Authorization.")
        when = _parse_amz_date(amz_date) if amz_date else _parse_http_date(date_header)
        if when is None:
            trace.add("sigv4: unreadable date")
            return None, GatewayError("INVALID_SIGNATURE", 403, error_type="IncompleteSignatureException", message=
                                      "Date must be in ISO-8601 'basic format'. Got '" + (amz_date or date_header) + "'.")
        stamp = when.strftime("%Y%m%dT%H%M%SZ")
        now = dt.datetime.now(dt.timezone.utc).replace(microsecond=0)
        if when < now - SIGV4_SKEW:
            trace.add("sigv4: expired")
            return None, GatewayError("INVALID_SIGNATURE", 403, error_type="InvalidSignatureException", message=
                                      f"Signature expired: {stamp} is now earlier than "
                                      f"{(now - SIGV4_SKEW).strftime('%Y%m%dT%H%M%SZ')} "
                                      f"({now.strftime('%Y%m%dT%H%M%SZ')} - 15 min.)")
        if when > now + SIGV4_SKEW:
            trace.add("sigv4: not yet current")
            return None, GatewayError("INVALID_SIGNATURE", 403, error_type="InvalidSignatureException", message=
                                      f"Signature not yet current: {stamp} is still later than "
                                      f"{(now + SIGV4_SKEW).strftime('%Y%m%dT%H%M%SZ')} "
                                      f"({now.strftime('%Y%m%dT%H%M%SZ')} + 15 min.)")
        if scope_service != "execute-api":
            trace.add("sigv4: wrong service in scope")
            return None, GatewayError("INVALID_SIGNATURE", 403, error_type="InvalidSignatureException", message=
                                      "Credential should be scoped to correct service: 'execute-api'. ")
        if scope_region != region:
            trace.add("sigv4: wrong region in scope")
            return None, GatewayError("INVALID_SIGNATURE", 403, error_type="InvalidSignatureException", message=
                                      f"Credential should be scoped to a valid region, not '{scope_region}'. ")
        if scope_date != stamp[:8]:
            trace.add("sigv4: scope date differs from the request's date")
            return None, GatewayError("INVALID_SIGNATURE", 403, error_type="InvalidSignatureException", message=
                                      f"Date in Credential scope does not match YYYYMMDD from ISO-8601 version "
                                      f"of date from HTTP: '{scope_date}' != '{stamp[:8]}', from "
                                      f"'{'x-amz-date' if amz_date else 'date'}'.")
        canonical = canonical_request(req, signed_headers)
        credential_scope = "/".join(scope[1:])
        string_to_sign = "\n".join(["AWS4-HMAC-SHA256", stamp, credential_scope,
                                    hashlib.sha256(canonical.encode()).hexdigest()])
        key = _signing_key(signer.secret, scope_date, scope_region, scope_service)
        expected = hmac.new(key, string_to_sign.encode(), hashlib.sha256).hexdigest()
        if not hmac.compare_digest(expected, params["Signature"].lower()):
            trace.add("sigv4: signature does not match")
            return None, GatewayError("INVALID_SIGNATURE", 403, error_type="InvalidSignatureException", message=
                "The request signature we calculated does not match the signature you provided. Check your AWS "
                "Secret Access Key and signing method. Consult the service documentation for details.\n\n"
                f"The Canonical String for this request should have been\n'{_redacted(canonical, token)}'\n\n"
                f"The String-to-Sign should have been\n'{string_to_sign}'\n")
        trace.add(f"sigv4: ok ({signer.arn})")
        return signer, None

    # ---- Lambda proxy ----------------------------------------------------------------------
    def lambda_proxy(self, integration, req: HttpRequest, ctx: "ProxyContext", trace: Trace) -> core.Response:
        m = re.search(r":lambda:path/2015-03-31/functions/(.+)/invocations$", integration.uri or "")
        if not m:
            trace.add("AWS_PROXY: the integration URI names no Lambda function")
            return _gateway_answer(ctx.api, INTERNAL)
        function = m.group(1)
        qualifier = None
        arn = re.fullmatch(r"arn:aws[a-z-]*:lambda:[^:]+:\d{12}:function:([^:]+)(?::(.+))?", function)
        if arn:  # cargo-lambda knows a function by its name, AWS by its ARN
            function, qualifier = arn.group(1), arn.group(2)
        event = _proxy_event(req, ctx, self.account)
        invoke = core.Request(
            method="POST",
            path=f"/2015-03-31/functions/{quote(function, safe='')}/invocations",
            query={"Qualifier": [qualifier]} if qualifier else {},
            headers={"content-type": "application/json", "x-amz-invocation-type": "RequestResponse",
                     "host": "lambda.{}.amazonaws.com".format(ctx.region)},
            body=json.dumps(event).encode(),
        )
        answer = self.account.handle(invoke)
        if answer.status != 200:
            trace.add(f"AWS_PROXY: Lambda Invoke of {function} answered {answer.status}")
            return _gateway_answer(ctx.api, INTEGRATION_FAILURE)
        if answer.header("x-amz-function-error"):
            trace.add(f"AWS_PROXY: function {function} failed")
            return _gateway_answer(ctx.api, BAD_GATEWAY)
        try:
            out = json.loads(answer.body or b"null")
            status = int(out["statusCode"]) if isinstance(out, dict) and "statusCode" in out else None
        except (ValueError, TypeError):
            status = None
        if status is None or not isinstance(out, dict):
            trace.add(f"AWS_PROXY: function {function} returned a malformed proxy response")
            return _gateway_answer(ctx.api, BAD_GATEWAY)
        headers: list[tuple[str, str]] = []
        for name, value in (out.get("headers") or {}).items():
            headers.append((str(name), str(value)))
        for name, values in (out.get("multiValueHeaders") or {}).items():
            headers = [(k, v) for k, v in headers if k.lower() != str(name).lower()]
            headers += [(str(name), str(v)) for v in (values or [])]
        body = out.get("body")
        if body is None:
            raw = b""
        elif out.get("isBase64Encoded"):
            raw = base64.b64decode(body)
        else:
            raw = (body if isinstance(body, str) else json.dumps(body)).encode()
        if not any(k.lower() == "content-type" for k, _ in headers):
            headers.append(("Content-Type", "application/json"))
        return _apigw_response(status, headers, raw)


def make_app(account) -> DataPlane:
    """CloudFront's edge and API Gateway's data plane for `account`, as one WSGI application."""
    return DataPlane(account)


# ---- helpers: CloudFront --------------------------------------------------------------------
def _snapshot(d: dict) -> list:
    """The values of a dict other threads may be changing."""
    for _ in range(5):
        try:
            return list(d.values())
        except RuntimeError:
            continue
    return list(dict(d).values())


def _serves(dist, config, host: str) -> bool:
    names = {dist.domain_name.lower()} | {a.lower().rstrip(".") for a in _listify(getattr(config, "Aliases", None))}
    if host in names:
        return True
    return any(n.startswith("*.") and host.endswith(n[1:]) and "." not in host[: -len(n) + 1] for n in names)


class Forwarding:
    """What of the viewer's request goes to the origin: a cache policy and an origin request
    policy (or the legacy ForwardedValues), read the way CloudFront reads them."""

    def __init__(self):
        self.all_headers = False  # every viewer header (AllViewer-type)
        self.all_but: set[str] | None = None  # every viewer header but these (allExcept)
        self.named: set[str] = set()  # these headers
        self.authorization = False
        self.cookies = "none"  # none | all | whitelist | allExcept
        self.cookie_names: set[str] = set()
        self.queries = "none"
        self.query_names: set[str] = set()

    @classmethod
    def of(cls, plane: DataPlane, behavior, trace: Trace) -> "Forwarding":
        f = cls()
        cache_id = getattr(behavior, "cache_policy_id", "") or ""
        orp_id = getattr(behavior, "origin_request_policy_id", "") or ""
        if cache_id:
            cache = plane.cache_policy(cache_id)
            if cache is None:
                trace.add(f"unknown cache policy {cache_id}: forwarding nothing by it")
            else:
                p = cache.get("ParametersInCacheKeyAndForwardedToOrigin") or {}
                hc = p.get("HeadersConfig") or {}
                if (hc.get("HeaderBehavior") or "none") == "whitelist":
                    names = {h.lower() for h in _listify(hc.get("Headers"))}
                    f.named |= names
                    f.authorization |= "authorization" in names
                f._cookies(p.get("CookiesConfig") or {}, "CookieBehavior", "Cookies")
                f._queries(p.get("QueryStringsConfig") or {}, "QueryStringBehavior", "QueryStrings")
        else:  # legacy cache settings
            fv = getattr(behavior, "forwarded_values", None)
            names = {h.lower() for h in _listify(getattr(fv, "Headers", None))}
            if "*" in names:
                f.all_headers = f.authorization = True
            f.named |= names - {"*"}
            f.authorization |= "authorization" in names
            cookies = getattr(fv, "Cookies", None) or {}
            f._cookies({"CookieBehavior": cookies.get("Forward", "none"),
                        "Cookies": cookies.get("WhitelistedNames")}, "CookieBehavior", "Cookies")
            if _truthy(getattr(fv, "QueryString", False)):
                f.queries = "all"
        if orp_id:
            orp = plane.origin_request_policy(orp_id)
            if orp is None:
                trace.add(f"unknown origin request policy {orp_id}: forwarding nothing by it")
            else:
                hc = orp.get("HeadersConfig") or {}
                behavior_name = hc.get("HeaderBehavior") or "none"
                names = {h.lower() for h in _listify(hc.get("Headers"))}
                if behavior_name in ("allViewer", "allViewerAndWhitelistCloudFront"):
                    # "when you forward all viewer headers, CloudFront includes the Authorization
                    # header" (CloudFront developer guide, HTTP 401).
                    f.all_headers = f.authorization = True
                elif behavior_name == "allExcept":
                    f.all_but = names
                elif behavior_name == "whitelist":
                    f.named |= names
                    f.authorization |= "authorization" in names
                f._cookies(orp.get("CookiesConfig") or {}, "CookieBehavior", "Cookies")
                f._queries(orp.get("QueryStringsConfig") or {}, "QueryStringBehavior", "QueryStrings")
        return f

    def _cookies(self, config: dict, key: str, names_key: str) -> None:
        self.cookies, self.cookie_names = _union(self.cookies, self.cookie_names, config.get(key) or "none",
                                                 {n for n in _listify(config.get(names_key))})

    def _queries(self, config: dict, key: str, names_key: str) -> None:
        self.queries, self.query_names = _union(self.queries, self.query_names, config.get(key) or "none",
                                                {n for n in _listify(config.get(names_key))})

    def forwards(self, name: str) -> bool:
        name = name.lower()
        if name == "authorization":
            return self.authorization
        if self.all_headers or name in self.named:
            return True
        return self.all_but is not None and name not in self.all_but

    def headers(self, req: HttpRequest) -> list[tuple[str, str]]:
        out = []
        for name, value in req.headers:
            lower = name.lower()
            if lower in HOP_BY_HOP or lower.startswith("x-amz-cf-") or lower in ("via", "x-forwarded-for"):
                continue
            if lower == "cookie":
                value = _filter_pairs(value, "; ", self.cookies, self.cookie_names)
                if value:
                    out.append((name, value))
                continue
            if self.forwards(lower):
                out.append((name, value))
        return out

    def query(self, raw: str) -> str:
        return _filter_pairs(raw, "&", self.queries, self.query_names)


def _union(behavior_a: str, names_a: set, behavior_b: str, names_b: set) -> tuple[str, set]:
    """Two policies' query-string (or cookie) settings: what either forwards is forwarded."""
    if "all" in (behavior_a, behavior_b):
        return "all", set()
    if behavior_a == "none":
        return behavior_b, set(names_b)
    if behavior_b == "none":
        return behavior_a, set(names_a)
    if behavior_a == behavior_b == "whitelist":
        return "whitelist", names_a | names_b
    if behavior_a == behavior_b == "allExcept":
        return "allExcept", names_a & names_b
    allow, deny = (names_a, names_b) if behavior_a == "whitelist" else (names_b, names_a)
    return "allExcept", deny - allow


def _filter_pairs(raw: str, sep: str, behavior: str, names: set) -> str:
    if not raw or behavior == "none":
        return ""
    if behavior == "all":
        return raw
    kept = []
    for pair in raw.split(sep.strip() or sep):
        pair = pair.strip()
        if not pair:
            continue
        name = unquote(pair.split("=", 1)[0])
        if (behavior == "whitelist") == (name in names):
            kept.append(pair)
    return sep.join(kept)


def _cloudfront_error(plane: DataPlane, status: int, reason: str) -> core.Response:
    cf_id = _cf_id()
    title = {403: "403 ERROR", 502: "502 ERROR", 504: "504 Gateway Timeout ERROR"}.get(status, f"{status} ERROR")
    body = (
        '<!DOCTYPE HTML PUBLIC "-//W3C//DTD HTML 4.01 Transitional//EN" "http://www.w3.org/TR/html4/loose.dtd">\n'
        '<HTML><HEAD><META HTTP-EQUIV="Content-Type" CONTENT="text/html; charset=iso-8859-1">\n'
        "<TITLE>ERROR: The request could not be satisfied</TITLE>\n"
        f"</HEAD><BODY>\n<H1>{title}</H1>\n<H2>The request could not be satisfied.</H2>\n"
        '<HR noshade size="1px">\n'
        f"{reason}\nWe can't connect to the server for this app or website at this time. There might be too "
        "much traffic or a configuration error. Try again later, or contact the app or website owner.\n"
        '<BR clear="all">\n'
        "If you provide content to customers through CloudFront, you can find steps to troubleshoot and help "
        "prevent this error by reviewing the CloudFront documentation.\n"
        '<BR clear="all">\n<HR noshade size="1px">\n'
        f"<PRE>\nGenerated by cloudfront (CloudFront)\nRequest ID: {cf_id}\n</PRE>\n<ADDRESS>\n</ADDRESS>\n"
        "</BODY></HTML>"
    ).encode()
    return core.Response(status, [
        ("Server", "CloudFront"),
        ("Content-Type", "text/html"),
        ("X-Cache", "Error from cloudfront"),
        ("Via", f"1.1 {plane.edge_name} (CloudFront)"),
        ("X-Amz-Cf-Pop", plane.pop),
        ("X-Amz-Cf-Id", cf_id),
    ], body)


def _from_environ(environ) -> HttpRequest:
    raw_uri = environ.get("RAW_URI") or environ.get("REQUEST_URI")
    if raw_uri:
        target = urlsplit(raw_uri)  # also an absolute-form target (http://host/path)
        path, query = target.path, target.query
    else:
        path = quote(environ.get("PATH_INFO", "/").encode("latin-1"), safe="/!$&'()*+,;=:@-._~%")
        query = environ.get("QUERY_STRING", "")
    headers = []
    for key, value in environ.items():
        if key.startswith("HTTP_"):
            headers.append((key[5:].replace("_", "-").title(), value))
    if environ.get("CONTENT_TYPE"):
        headers.append(("Content-Type", environ["CONTENT_TYPE"]))
    try:
        length = int(environ.get("CONTENT_LENGTH") or 0)
    except ValueError:
        length = 0
    body = environ["wsgi.input"].read(length) if length > 0 else b""
    return HttpRequest(method=environ.get("REQUEST_METHOD", "GET").upper(), path=path or "/", query=query,
                       headers=headers, body=body, client_ip=environ.get("REMOTE_ADDR") or "127.0.0.1")


# ---- helpers: API Gateway --------------------------------------------------------------------
def _is_regional(domain) -> bool:
    types = [t.upper() for t in _listify((domain.endpoint_configuration or {}).get("types"))]
    if types:
        return "REGIONAL" in types
    # No endpoint configuration: AWS's default is EDGE; a regional certificate says Regional.
    return bool(getattr(domain, "regional_certificate_arn", None))


def _segments(path: str) -> list[str]:
    segments = path.split("?", 1)[0].split("/")[1:]
    if segments and segments[-1] == "":
        segments = segments[:-1]
    return segments


PATH_PARAM = re.compile(r"\{([^}+]+)(\+?)\}")


def _match_resource(api, segments: list[str]):
    """(resource, path parameters) for the decoded path segments after the stage, or None:
    a literal path part wins over `{param}`, which wins over `{proxy+}` (greedy, one or more)."""
    children: dict[str | None, list] = {}
    root = None
    for resource in _snapshot(api.resources):
        if resource.parent_id is None:
            root = resource
        children.setdefault(resource.parent_id, []).append(resource)
    if root is None:
        return None

    def walk(resource, rest, params):
        if not rest:
            return resource, params
        head, tail = rest[0], rest[1:]
        kids = children.get(resource.id, [])
        for kid in kids:
            if kid.path_part == head:
                found = walk(kid, tail, params)
                if found:
                    return found
        for kid in kids:
            m = PATH_PARAM.fullmatch(kid.path_part)
            if m and not m.group(2) and head != "":
                found = walk(kid, tail, {**params, m.group(1): head})
                if found:
                    return found
        for kid in kids:
            m = PATH_PARAM.fullmatch(kid.path_part)
            if m and m.group(2):
                return kid, {**params, m.group(1): "/".join(rest)}
        return None

    return walk(root, segments, {})


def _apigw_response(status: int, headers: list[tuple[str, str]], body: bytes) -> core.Response:
    headers = list(headers) + [
        ("x-amzn-RequestId", str(uuid.uuid4())),
        ("x-amz-apigw-id", _apigw_id()),
    ]
    return core.Response(status, headers, body)


def _apigw_answer(status: int, payload: dict, headers: list[tuple[str, str]] | None = None) -> core.Response:
    return _apigw_response(status, [("Content-Type", "application/json")] + list(headers or []),
                           json.dumps(payload).encode())


def _apigw_error(status: int, error_type: str, message: str) -> core.Response:
    return _apigw_answer(status, {"message": message}, [("x-amzn-ErrorType", error_type)])


@dataclass(frozen=True)
class GatewayError:
    """An answer API Gateway gives itself, before or instead of the integration: a gateway
    response type (API Gateway developer guide, "Gateway response types"), its default status,
    API Gateway's message and its x-amzn-ErrorType."""
    response_type: str
    status: int
    message: str
    error_type: str | None = None


MISSING_TOKEN = GatewayError("MISSING_AUTHENTICATION_TOKEN", 403, "Missing Authentication Token",
                             "MissingAuthenticationTokenException")
INTERNAL = GatewayError("DEFAULT_5XX", 500, "Internal server error")
BAD_GATEWAY = GatewayError("DEFAULT_5XX", 502, "Internal server error")
# The integration could not be called (Lambda refused the invocation): INTEGRATION_FAILURE,
# whose default status is 504 ("Gateway response types").
INTEGRATION_FAILURE = GatewayError("INTEGRATION_FAILURE", 504, "Internal server error")
# REST APIs take payloads up to 10 MB (API Gateway developer guide, "Amazon API Gateway quotas
# and important notes": payload size).
MAX_PAYLOAD = 10 * 1024 * 1024
TOO_LARGE = GatewayError("REQUEST_TOO_LARGE", 413, "Request Too Long")
CONTEXT_VARIABLE = re.compile(r"\$(?:\{)?context\.([A-Za-z0-9_.]+)(?:\})?")


def _redacted(canonical: str, token: str | None) -> str:
    """The canonical request as a bad signature is told it, without the session token's value."""
    return canonical.replace(token, "<redacted>") if token else canonical


def _gateway_answer(api, error: GatewayError) -> core.Response:
    """`error` as the API's gateway response of its type says (else its DEFAULT_4XX or
    DEFAULT_5XX, else API Gateway's own `{"message": ...}`): the status code, the response
    parameters' static header values, and the template with `$context` variables filled in."""
    responses = dict(getattr(api, "gateway_responses", None) or {}) if api is not None else {}
    fallback = "DEFAULT_4XX" if error.status < 500 else "DEFAULT_5XX"
    custom = responses.get(error.response_type) or responses.get(fallback)
    headers = [("x-amzn-ErrorType", error.error_type)] if error.error_type else []
    if custom is None:
        return _apigw_answer(error.status, {"message": error.message}, headers)
    status = int(custom.status_code) if custom.status_code not in (None, "") else error.status
    for key, value in (custom.response_parameters or {}).items():
        if key.startswith("gatewayresponse.header.") and isinstance(value, str) \
                and len(value) >= 2 and value[0] == value[-1] == "'":
            headers.append((key[len("gatewayresponse.header."):], value[1:-1]))
    templates = custom.response_templates or {}
    content_type, template = ("application/json", templates["application/json"]) \
        if "application/json" in templates else next(iter(templates.items()), ("application/json", None))
    if template is None:
        return _apigw_answer(status, {"message": error.message}, headers)
    variables = {"error.message": error.message, "error.messageString": json.dumps(error.message),
                 "error.responseType": error.response_type, "error.validationErrorString": ""}
    body = CONTEXT_VARIABLE.sub(lambda m: variables.get(m.group(1), ""), template)
    return _apigw_response(status, [("Content-Type", content_type)] + headers, body.encode())


def _forbidden() -> core.Response:
    return _apigw_error(403, "ForbiddenException", "Forbidden")


def _mock(integration, req: HttpRequest, trace: Trace) -> core.Response:
    templates = integration.request_templates or {}
    content_type = (req.header("content-type") or "application/json").split(";", 1)[0].strip().lower()
    template = templates.get(content_type)
    if template is None and templates:
        template = templates.get("application/json")
    source = template if template is not None else (req.body.decode("utf-8", "replace") if req.body else "")
    m = re.search(r'"?statusCode"?\s*:\s*"?(\d{3})', source or "")
    status = m.group(1) if m else "200"
    responses = dict(integration.integration_responses or {})
    chosen = None
    for response in responses.values():
        pattern = response.selection_pattern
        if pattern:
            try:
                if re.fullmatch(pattern, status):
                    chosen = response
                    break
            except re.error:
                continue
    if chosen is None:
        chosen = next((r for r in responses.values() if not r.selection_pattern), None)
    if chosen is None:
        trace.add(f"MOCK: no integration response for status {status} and no default")
        return _apigw_answer(500, {"message": "Internal server error"})
    response_templates = chosen.response_templates or {}
    body_template = response_templates.get("application/json")
    content_type = "application/json"
    if body_template is None and response_templates:
        content_type, body_template = next(iter(response_templates.items()))
    headers = [("Content-Type", content_type)]
    for key, value in (chosen.response_parameters or {}).items():
        if key.startswith("method.response.header.") and isinstance(value, str) \
                and len(value) >= 2 and value[0] == value[-1] == "'":
            headers.append((key[len("method.response.header."):], value[1:-1]))
    return _apigw_response(int(chosen.status_code), headers, (body_template or "").encode())


def _parse_amz_date(value: str):
    try:
        return dt.datetime.strptime(value.strip(), "%Y%m%dT%H%M%SZ").replace(tzinfo=dt.timezone.utc)
    except ValueError:
        return None


def _parse_http_date(value: str):
    try:
        parsed = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if parsed is None:
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=dt.timezone.utc)
    return parsed.astimezone(dt.timezone.utc)


def _aws_quote(s: str) -> str:
    return quote(s, safe="-_.~")


def canonical_request(req: HttpRequest, signed_headers: list[str]) -> str:
    """SigV4's canonical request for what API Gateway received (AWS General Reference, "Create a
    canonical request"): the path normalized and URI-encoded again, as every SDK signs for a
    service other than S3."""
    from botocore.utils import normalize_url_path

    path = quote(normalize_url_path(req.path), safe="/~")
    pairs = []
    if req.query:
        for pair in req.query.split("&"):
            if not pair:
                continue
            key, _, value = pair.partition("=")
            pairs.append((_aws_quote(unquote(key)), _aws_quote(unquote(value))))
    query = "&".join(f"{k}={v}" for k, v in sorted(pairs))
    lines = []
    for name in signed_headers:
        values = [v for k, v in req.headers if k.lower() == name]
        lines.append(f"{name}:{','.join(' '.join(v.split()) for v in values)}\n")
    payload = hashlib.sha256(req.body).hexdigest()
    return "\n".join([req.method.upper(), path, query, "".join(lines), ";".join(signed_headers), payload])


def _signing_key(secret: str, date: str, region: str, service: str) -> bytes:
    key = f"AWS4{secret}".encode()
    for part in (date, region, service, "aws4_request"):
        key = hmac.new(key, part.encode(), hashlib.sha256).digest()
    return key


@dataclass
class ProxyContext:
    api: object
    stage: object
    resource: object
    params: dict
    region: str
    domain_name: str
    identity: dict | None
    rest: list[str]


def _proxy_event(req: HttpRequest, ctx: ProxyContext, account) -> dict:
    """The Lambda proxy integration's input (payload format 1.0)."""
    headers: dict[str, str] = {}
    multi_headers: dict[str, list[str]] = {}
    for name, value in req.headers:
        headers[name] = value
        multi_headers.setdefault(name, []).append(value)
    queries: dict[str, str] = {}
    multi_queries: dict[str, list[str]] = {}
    for pair in (req.query or "").split("&"):
        if not pair:
            continue
        key, _, value = pair.partition("=")
        key, value = unquote(key.replace("+", " ")), unquote(value.replace("+", " "))
        queries[key] = value
        multi_queries.setdefault(key, []).append(value)
    resource_path = ctx.resource.get_path()
    # `path` is the path as the client asked: the base path included, the stage not for execute-api,
    # and still percent-encoded. A REST API hands the path on as received (an HTTP API decodes it):
    # https://github.com/middleapi/standard-server/pull/93, from live captures in hotsock/voker#8.
    # A decoded `/stacks/%1E%0C` would reach the function as `/stacks/\x1e\x0c`, which a URL
    # parser trims to `/stacks/`: another operation than the one API Gateway matched.
    on_execute_api = EXECUTE_API.fullmatch(ctx.domain_name) is not None
    path = req.path
    if on_execute_api:
        trailing = "/" if ctx.rest and req.path.endswith("/") else ""
        path = "/" + "/".join(ctx.rest) + trailing
    now = time.time()
    request_id = str(uuid.uuid4())
    identity = ctx.identity or {}
    body = req.body
    try:
        text, is_base64 = (body.decode("utf-8"), False) if body else (None, False)
    except UnicodeDecodeError:
        text, is_base64 = base64.b64encode(body).decode(), True
    return {
        "resource": resource_path,
        "path": path,
        "httpMethod": req.method.upper(),
        "headers": headers or None,
        "multiValueHeaders": multi_headers or None,
        "queryStringParameters": queries or None,
        "multiValueQueryStringParameters": multi_queries or None,
        "pathParameters": ctx.params or None,
        "stageVariables": dict(getattr(ctx.stage, "variables", None) or {}) or None,
        "requestContext": {
            "resourceId": ctx.resource.id,
            "resourcePath": resource_path,
            "httpMethod": req.method.upper(),
            "extendedRequestId": _apigw_id(),
            "requestTime": time.strftime("%d/%b/%Y:%H:%M:%S +0000", time.gmtime(now)),
            "path": f"/{ctx.stage.name}{path}" if LOCAL_EXECUTE_API.fullmatch(req.path) else req.path,
            "accountId": _account_id(account),
            "protocol": "HTTP/1.1",
            "stage": ctx.stage.name,
            "domainPrefix": ctx.domain_name.split(".", 1)[0],
            "requestTimeEpoch": int(now * 1000),
            "requestId": request_id,
            "identity": {
                "cognitoIdentityPoolId": None, "cognitoIdentityId": None, "cognitoAuthenticationType": None,
                "cognitoAuthenticationProvider": None, "principalOrgId": None,
                "accountId": _account_id(account) if identity else None,
                "caller": identity.get("caller"),
                "accessKey": identity.get("accessKey"),
                "user": identity.get("user"),
                "userArn": identity.get("arn"),
                "sourceIp": req.client_ip,
                "userAgent": req.header("user-agent"),
            },
            "domainName": ctx.domain_name,
            "apiId": ctx.api.id,
        },
        "body": text,
        "isBase64Encoded": is_base64,
    }
