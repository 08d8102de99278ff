"""The data plane (local/strict/dataplane.py): CloudFront's edge and API Gateway behind it.

Each test builds REST APIs (MOCK integrations), stages, custom domains and distributions with
boto3 in moto, behind a bare `core.Account` (no service rules: this file tests the data plane,
not the control-plane rules), and calls the edge over loopback HTTP with the `Host` a client
would use. CloudFront's distribution status and policies come from a stub of cloudfront.py's
three functions, so that each test decides when a distribution is Deployed; one test at the end
runs against the real cloudfront.py when it is there.

    .local/venv/bin/python -m pytest local/tests/test_dataplane.py -q
"""

from __future__ import annotations

import datetime as dt
import http.client
import io
import json
import os
import sys
import threading
import types

import pytest

LOCAL = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
if LOCAL not in sys.path:
    sys.path.insert(0, LOCAL)

import boto3  # noqa: E402
from botocore.auth import SigV4Auth  # noqa: E402
from botocore.awsrequest import AWSRequest  # noqa: E402
from botocore.credentials import Credentials  # noqa: E402

from strict import cloudfront, core, dataplane  # noqa: E402

REGION = "eu-west-1"
# CloudFront's managed policies (their real ids).
CACHING_DISABLED = "4135ea2d-6df8-44a3-9df3-4b5a84be39ad"
ALL_VIEWER = "216adef6-5c7f-47e4-b989-5492eafa07d3"
ALL_VIEWER_EXCEPT_HOST = "b689b0a8-53d0-40ab-baf2-68738e2966ac"
IAM_CACHE_POLICY = "edgestack-iam-policy"
SECRET_HEADER = ("X-Origin-Verify", "s3cr3t-origin-value")
MOCK_BODY = '{"greeting": "hello"}'

# The cache policy every `auth: iam` stack shares: Authorization in the cache key (so it reaches
# the origin), TTLs not all 0, as CloudFront requires of a policy that names Authorization.
IAM_POLICY_CONFIG = {
    "Name": "edgestack-iam", "MinTTL": 0, "DefaultTTL": 0, "MaxTTL": 1,
    "ParametersInCacheKeyAndForwardedToOrigin": {
        "EnableAcceptEncodingGzip": False,
        "HeadersConfig": {"HeaderBehavior": "whitelist", "Headers": {"Quantity": 1, "Items": ["Authorization"]}},
        "CookiesConfig": {"CookieBehavior": "none"},
        "QueryStringsConfig": {"QueryStringBehavior": "all"},
    },
}


class LogSink:
    def __init__(self):
        self.lines: list[str] = []
        self._buf = ""
        self.lock = threading.Lock()

    def write(self, s):
        with self.lock:
            self._buf += s
            while "\n" in self._buf:
                line, self._buf = self._buf.split("\n", 1)
                self.lines.append(line)
        return len(s)

    def flush(self):
        pass


def _serve(app):
    from werkzeug.serving import make_server

    server = make_server("127.0.0.1", 0, app, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


@pytest.fixture(scope="module")
def served():
    from moto.moto_server.werkzeug_app import DomainDispatcherApplication, create_backend_app

    log = LogSink()
    account = core.Account(DomainDispatcherApplication(create_backend_app), log=log)
    aws = _serve(account)
    edge = _serve(dataplane.make_app(account))
    yield types.SimpleNamespace(account=account, log=log, endpoint=f"http://127.0.0.1:{aws.port}",
                                edge_port=edge.port)
    edge.shutdown()
    aws.shutdown()


class Plane:
    """One test's view: boto3 clients, the CloudFront stub, and a viewer's HTTP calls."""

    def __init__(self, served, monkeypatch):
        self.account = served.account
        self.log = served.log
        self.endpoint = served.endpoint
        self.edge_port = served.edge_port
        self.status: dict[str, str] = {}  # distribution id -> status; default Deployed
        self.cache_policies = {IAM_CACHE_POLICY: IAM_POLICY_CONFIG}
        stub = types.SimpleNamespace(
            distribution_status=lambda account, dist_id: self.status.get(dist_id, "Deployed"),
            cache_policy_config=lambda account, pid: self.cache_policies.get(pid)
            or cloudfront.MANAGED_CACHE_POLICIES.get(pid),
            origin_request_policy_config=lambda account, pid: cloudfront.MANAGED_ORIGIN_REQUEST_POLICIES.get(pid),
        )
        monkeypatch.setattr(dataplane, "_cloudfront", lambda: stub)

    def client(self, service, region=REGION):
        return boto3.client(service, region_name=region, endpoint_url=self.endpoint,
                            aws_access_key_id="testing", aws_secret_access_key="testing")

    # ---- building blocks ----
    def api(self, *, auth="NONE", paths=("greetings",), stage="prod", methods=("GET",)):
        """A Regional REST API: each path (may hold {param} / {proxy+}) with MOCK methods."""
        ag = self.client("apigateway")
        api = ag.create_rest_api(name="t", endpointConfiguration={"types": ["REGIONAL"]})
        ids = {"": api["rootResourceId"]}
        for path in paths:
            parent = ""
            for part in path.split("/"):
                here = f"{parent}/{part}" if parent else part
                if here not in ids:
                    ids[here] = ag.create_resource(restApiId=api["id"], parentId=ids[parent], pathPart=part)["id"]
                parent = here
            for method in methods:
                self.mock_method(api["id"], ids[path], method, auth)
        ag.create_deployment(restApiId=api["id"], stageName=stage)
        return api["id"]

    def mock_method(self, api_id, resource_id, method, auth, body=MOCK_BODY):
        ag = self.client("apigateway")
        ag.put_method(restApiId=api_id, resourceId=resource_id, httpMethod=method, authorizationType=auth)
        ag.put_integration(restApiId=api_id, resourceId=resource_id, httpMethod=method, type="MOCK",
                           requestTemplates={"application/json": '{"statusCode": 200}'})
        ag.put_method_response(restApiId=api_id, resourceId=resource_id, httpMethod=method, statusCode="200",
                               responseParameters={"method.response.header.X-Mock": False})
        ag.put_integration_response(restApiId=api_id, resourceId=resource_id, httpMethod=method, statusCode="200",
                                    responseTemplates={"application/json": body},
                                    responseParameters={"method.response.header.X-Mock": "'yes'"})

    def custom_domain(self, name, api_id, stage="prod", base_path=None):
        ag = self.client("apigateway")
        domain = ag.create_domain_name(
            domainName=name, endpointConfiguration={"types": ["REGIONAL"]}, securityPolicy="TLS_1_2",
            regionalCertificateArn=f"arn:aws:acm:{REGION}:123456789012:certificate/abc")
        kwargs = {"basePath": base_path} if base_path else {}
        ag.create_base_path_mapping(domainName=name, restApiId=api_id, stage=stage, **kwargs)
        return domain["regionalDomainName"]

    def distribution(self, origin, *, origin_path="", cache=CACHING_DISABLED, orp=ALL_VIEWER_EXCEPT_HOST,
                     aliases=(), enabled=True, methods=("GET", "HEAD", "OPTIONS", "PUT", "POST", "PATCH", "DELETE"),
                     protocol="https-only"):
        cf = self.client("cloudfront", "us-east-1")
        behavior = {"TargetOriginId": "api", "ViewerProtocolPolicy": "redirect-to-https", "CachePolicyId": cache,
                    "AllowedMethods": {"Quantity": len(methods), "Items": list(methods),
                                       "CachedMethods": {"Quantity": 2, "Items": ["GET", "HEAD"]}}}
        if orp:
            behavior["OriginRequestPolicyId"] = orp
        d = cf.create_distribution(DistributionConfig={
            "CallerReference": os.urandom(8).hex(), "Comment": "", "Enabled": enabled,
            "Aliases": {"Quantity": len(aliases), "Items": list(aliases)},
            "Origins": {"Quantity": 1, "Items": [{
                "Id": "api", "DomainName": origin, "OriginPath": origin_path,
                "CustomHeaders": {"Quantity": 1, "Items": [{"HeaderName": SECRET_HEADER[0],
                                                            "HeaderValue": SECRET_HEADER[1]}]},
                "CustomOriginConfig": {"HTTPPort": 80, "HTTPSPort": 443, "OriginProtocolPolicy": protocol,
                                       "OriginSslProtocols": {"Quantity": 1, "Items": ["TLSv1.2"]}}}]},
            "DefaultCacheBehavior": behavior,
        })["Distribution"]
        return d["Id"], d["DomainName"]

    # ---- a viewer ----
    def call(self, host, path="/", *, method="GET", headers=None, body=b""):
        conn = http.client.HTTPConnection("127.0.0.1", self.edge_port, timeout=30)
        try:
            conn.request(method, path, body=body or None, headers={"Host": host, **(headers or {})})
            r = conn.getresponse()
            return types.SimpleNamespace(status=r.status, headers={k.lower(): v for k, v in r.getheaders()},
                                         body=r.read())
        finally:
            conn.close()

    def signed(self, sign_host, path, *, region=REGION, method="GET", body=b"", key=("testing", "testing"),
               when=None, service="execute-api"):
        """The SigV4 headers a client sends: signed for `sign_host` and `path` (with query)."""
        import botocore.auth
        from unittest import mock

        request = AWSRequest(method=method, url=f"https://{sign_host}{path}", data=body)
        auth = SigV4Auth(Credentials(*key), service, region)
        if when is None:
            auth.add_auth(request)
        else:
            with mock.patch.object(botocore.auth, "get_current_datetime",
                                   lambda: when.astimezone(dt.timezone.utc).replace(tzinfo=None)):
                auth.add_auth(request)
        return {k: v for k, v in request.headers.items() if k.lower() in ("authorization", "x-amz-date",
                                                                         "x-amz-security-token")}


@pytest.fixture
def plane(served, monkeypatch):
    status, _ = _post(served.endpoint + "/moto-api/reset")
    assert status == 200
    served.account.reset()
    p = Plane(served, monkeypatch)
    yield p


def _post(url):
    import urllib.request

    with urllib.request.urlopen(urllib.request.Request(url, data=b"", method="POST"), timeout=30) as r:
        return r.status, r.read()


def execute_api(api_id):
    return f"{api_id}.execute-api.{REGION}.amazonaws.com"


def assert_cloudfront_error(r, status=403):
    assert r.status == status
    assert r.headers["x-cache"] == "Error from cloudfront"
    assert "(CloudFront)" in r.headers["via"]
    assert r.headers["x-amz-cf-id"]
    assert "x-amzn-requestid" not in r.headers
    assert b"The request could not be satisfied" in r.body
    assert r.headers["content-type"] == "text/html"


def assert_apigw(r, status, message=None, error_type=None):
    assert r.status == status, (r.status, r.body)
    assert r.headers.get("x-amzn-requestid")
    assert r.headers.get("x-amz-apigw-id")
    if message is not None:
        assert json.loads(r.body)["message"].startswith(message), r.body
    if error_type is not None:
        assert r.headers.get("x-amzn-errortype") == error_type


def assert_through_cloudfront(r):
    assert r.headers["via"].endswith("(CloudFront)")
    assert r.headers["x-amz-cf-id"]
    assert r.headers["x-cache"] in ("Miss from cloudfront", "Error from cloudfront")


# ---- CloudFront: which distribution answers --------------------------------------------------
def test_unknown_host_is_cloudfronts_403(plane):
    r = plane.call("nobody.example.com", "/greetings")
    assert_cloudfront_error(r)
    assert any("nobody.example.com" in line and "-> 403" in line for line in plane.log.lines)


def test_distribution_answers_only_once_deployed_and_enabled(plane):
    api = plane.api()
    dist_id, domain = plane.distribution(execute_api(api), origin_path="/prod")
    plane.status[dist_id] = "InProgress"
    assert_cloudfront_error(plane.call(domain, "/greetings"))
    plane.status[dist_id] = "Deployed"
    r = plane.call(domain, "/greetings")
    assert r.status == 200 and r.body.decode() == MOCK_BODY
    # The name is case-insensitive, as DNS is.
    assert plane.call(domain.upper(), "/greetings").status == 200

    disabled_id, disabled = plane.distribution(execute_api(api), origin_path="/prod", enabled=False)
    assert_cloudfront_error(plane.call(disabled, "/greetings"))


def test_an_update_in_progress_keeps_serving_the_deployed_config(plane):
    api = plane.api()
    dist_id, domain = plane.distribution(execute_api(api), origin_path="/prod")
    assert plane.call(domain, "/greetings").status == 200  # seen Deployed
    cf = plane.client("cloudfront", "us-east-1")
    got = cf.get_distribution_config(Id=dist_id)
    config = got["DistributionConfig"]
    config["Enabled"] = False
    cf.update_distribution(Id=dist_id, IfMatch=got["ETag"], DistributionConfig=config)
    plane.status[dist_id] = "InProgress"
    assert plane.call(domain, "/greetings").status == 200  # the edges still have the enabled config
    plane.status[dist_id] = "Deployed"
    assert_cloudfront_error(plane.call(domain, "/greetings"))


def test_alias_answers_and_allowed_methods_are_checked(plane):
    api = plane.api(methods=("GET", "POST"))
    _, domain = plane.distribution(execute_api(api), origin_path="/prod", aliases=["API.example.com"],
                                   methods=("GET", "HEAD"))
    assert plane.call("api.example.com", "/greetings").status == 200
    r = plane.call(domain, "/greetings", method="POST", body=b"{}")
    assert_cloudfront_error(r)
    assert b"not configured to allow the HTTP request method" in r.body


# ---- shape 1: no custom domain, auth none, origin path ----------------------------------------
def test_no_custom_domain_auth_none_with_origin_path(plane):
    api = plane.api()
    _, domain = plane.distribution(execute_api(api), origin_path="/prod")
    r = plane.call(domain, "/greetings")
    assert r.status == 200
    assert r.body.decode() == MOCK_BODY
    assert r.headers["content-type"] == "application/json"
    assert r.headers["x-mock"] == "yes"  # the integration response's static header
    assert r.headers["x-amzn-requestid"] and r.headers["x-amz-apigw-id"]
    assert_through_cloudfront(r)
    assert r.headers["x-cache"] == "Miss from cloudfront"
    assert SECRET_HEADER[1] not in json.dumps(r.headers)


def test_trap_wrong_origin_path_is_missing_authentication_token(plane):
    api = plane.api()
    _, domain = plane.distribution(execute_api(api), origin_path="/staging")
    r = plane.call(domain, "/greetings")
    assert_apigw(r, 403, "Missing Authentication Token", "MissingAuthenticationTokenException")
    assert_through_cloudfront(r)
    assert r.headers["x-cache"] == "Error from cloudfront"
    # Without an origin path the viewer names the stage itself; a path the API lacks is the same 403.
    _, bare = plane.distribution(execute_api(api))
    assert plane.call(bare, "/prod/greetings").status == 200
    assert_apigw(plane.call(bare, "/greetings"), 403, "Missing Authentication Token")
    assert_apigw(plane.call(bare, "/prod/nothing"), 403, "Missing Authentication Token")
    assert_apigw(plane.call(bare, "/prod/greetings", method="DELETE"), 403, "Missing Authentication Token")


def test_trap_viewer_host_to_an_execute_api_origin_is_403(plane):
    api = plane.api()
    _, domain = plane.distribution(execute_api(api), origin_path="/prod", orp=ALL_VIEWER)
    r = plane.call(domain, "/greetings")
    assert_apigw(r, 403, "Forbidden", "ForbiddenException")
    assert_through_cloudfront(r)


# ---- shape 2: no custom domain, auth iam ------------------------------------------------------
def test_no_custom_domain_iam(plane):
    api = plane.api(auth="AWS_IAM")
    _, domain = plane.distribution(execute_api(api), origin_path="/prod", cache=IAM_CACHE_POLICY)
    # What the client signs: the execute-api host and the path API Gateway receives (stage first).
    ok = plane.call(domain, "/greetings", headers=plane.signed(execute_api(api), "/prod/greetings"))
    assert ok.status == 200, ok.body
    assert ok.body.decode() == MOCK_BODY

    unsigned = plane.call(domain, "/greetings")
    assert_apigw(unsigned, 403, "Missing Authentication Token", "MissingAuthenticationTokenException")

    other_path = plane.call(domain, "/greetings", headers=plane.signed(execute_api(api), "/prod/other"))
    assert_apigw(other_path, 403, "The request signature we calculated does not match", "InvalidSignatureException")
    assert b"/prod/greetings" in other_path.body  # the canonical string API Gateway computed

    viewer_path = plane.call(domain, "/greetings", headers=plane.signed(execute_api(api), "/greetings"))
    assert_apigw(viewer_path, 403, "The request signature we calculated does not match")

    viewer_host = plane.call(domain, "/greetings", headers=plane.signed(domain, "/prod/greetings"))
    assert_apigw(viewer_host, 403, "The request signature we calculated does not match")


def test_iam_query_strings_are_forwarded_and_signed(plane):
    api = plane.api(auth="AWS_IAM")
    _, domain = plane.distribution(execute_api(api), origin_path="/prod", cache=IAM_CACHE_POLICY)
    path = "/greetings?name=J%C3%BCrgen&a=1"
    r = plane.call(domain, path, headers=plane.signed(execute_api(api), "/prod" + path))
    assert r.status == 200, r.body


def test_iam_without_authorization_in_the_cache_policy_never_reaches_the_origin_signed(plane):
    api = plane.api(auth="AWS_IAM")
    _, domain = plane.distribution(execute_api(api), origin_path="/prod", cache=CACHING_DISABLED)
    r = plane.call(domain, "/greetings", headers=plane.signed(execute_api(api), "/prod/greetings"))
    # CloudFront dropped Authorization (AllViewerExceptHostHeader does not bring it back).
    assert_apigw(r, 403, "Missing Authentication Token")


def test_sigv4_errors_as_api_gateway_words_them(plane):
    api = plane.api(auth="AWS_IAM")
    host = execute_api(api)
    unknown = plane.call(host, "/prod/greetings", headers=plane.signed(host, "/prod/greetings", key=("AKIDUNKNOWN", "x")))
    assert_apigw(unknown, 403, "The security token included in the request is invalid.", "UnrecognizedClientException")

    old = dt.datetime.now(dt.timezone.utc) - dt.timedelta(minutes=20)
    expired = plane.call(host, "/prod/greetings", headers=plane.signed(host, "/prod/greetings", when=old))
    assert_apigw(expired, 403, "Signature expired", "InvalidSignatureException")
    recent = dt.datetime.now(dt.timezone.utc) - dt.timedelta(minutes=10)
    assert plane.call(host, "/prod/greetings", headers=plane.signed(host, "/prod/greetings", when=recent)).status == 200

    region = plane.call(host, "/prod/greetings", headers=plane.signed(host, "/prod/greetings", region="us-east-1"))
    assert_apigw(region, 403, "Credential should be scoped to a valid region", "InvalidSignatureException")

    bearer = plane.call(host, "/prod/greetings", headers={"Authorization": "Bearer abc"})
    assert_apigw(bearer, 403, "Authorization header requires", "IncompleteSignatureException")

    # Credentials added to the account at run time are honoured.
    plane.account.state("credentials", lambda: {"testing": "testing"})["AKIDLATER"] = "later-secret"
    later = plane.call(host, "/prod/greetings", headers=plane.signed(host, "/prod/greetings",
                                                                     key=("AKIDLATER", "later-secret")))
    assert later.status == 200, later.body
    wrong_secret = plane.call(host, "/prod/greetings", headers=plane.signed(host, "/prod/greetings",
                                                                            key=("AKIDLATER", "nope")))
    assert_apigw(wrong_secret, 403, "The request signature we calculated does not match")

    # Temporary credentials: the session token must come with them.
    plane.account.state("credentials", dict)["ASIATEMP"] = {"secret": "temp-secret", "session_token": "tok"}
    temp = plane.signed(host, "/prod/greetings", key=("ASIATEMP", "temp-secret", "tok"))
    assert plane.call(host, "/prod/greetings", headers=temp).status == 200
    forged = {**plane.signed(host, "/prod/greetings", key=("ASIATEMP", "temp-secret", "other"))}
    assert_apigw(plane.call(host, "/prod/greetings", headers=forged), 403,
                 "The security token included in the request is invalid.")


# ---- shape 3: custom domain -------------------------------------------------------------------
def test_custom_domain_iam(plane):
    api = plane.api(auth="AWS_IAM")
    target = plane.custom_domain("api.example.com", api)
    _, domain = plane.distribution(target, aliases=["api.example.com"], cache=IAM_CACHE_POLICY, orp=ALL_VIEWER)
    # The client signs the custom domain and the path it calls.
    r = plane.call("api.example.com", "/greetings", headers=plane.signed("api.example.com", "/greetings"))
    assert r.status == 200, r.body
    assert r.body.decode() == MOCK_BODY
    assert_through_cloudfront(r)
    assert_apigw(plane.call("api.example.com", "/greetings"), 403, "Missing Authentication Token")
    signed_execute_api = plane.call("api.example.com", "/greetings",
                                    headers=plane.signed(execute_api(api), "/prod/greetings"))
    assert_apigw(signed_execute_api, 403, "The request signature we calculated does not match")


def test_custom_domain_auth_none_and_base_paths(plane):
    api = plane.api()
    target = plane.custom_domain("api.example.com", api)
    plane.distribution(target, aliases=["api.example.com"], orp=ALL_VIEWER)
    assert plane.call("api.example.com", "/greetings").status == 200
    assert_apigw(plane.call("api.example.com", "/prod/greetings"), 403, "Missing Authentication Token")

    other = plane.api()
    target2 = plane.custom_domain("v.example.com", other, base_path="v1")
    plane.distribution(target2, aliases=["v.example.com"], orp=ALL_VIEWER)
    assert plane.call("v.example.com", "/v1/greetings").status == 200
    assert_apigw(plane.call("v.example.com", "/greetings"), 403, "Forbidden", "ForbiddenException")


def test_trap_custom_domain_differing_from_the_alias_is_421(plane):
    api = plane.api()
    target = plane.custom_domain("api.example.com", api)
    plane.distribution(target, aliases=["www.example.com"], orp=ALL_VIEWER)
    r = plane.call("www.example.com", "/greetings")
    assert_apigw(r, 421, "Misdirected Request")
    assert_through_cloudfront(r)


def test_custom_domain_origin_without_the_viewer_host_is_403(plane):
    api = plane.api()
    target = plane.custom_domain("api.example.com", api)
    plane.distribution(target, aliases=["api.example.com"], orp=ALL_VIEWER_EXCEPT_HOST)
    assert_apigw(plane.call("api.example.com", "/greetings"), 403, "Forbidden", "ForbiddenException")


# ---- API Gateway directly (no CloudFront) ------------------------------------------------------
def test_api_gateway_directly(plane):
    api = plane.api(auth="AWS_IAM")
    host = execute_api(api)
    r = plane.call(host, "/prod/greetings", headers=plane.signed(host, "/prod/greetings"))
    assert r.status == 200 and "x-amz-cf-id" not in r.headers
    target = plane.custom_domain("api.example.com", api)
    # No distribution has the name: DNS would lead to the domain's d-xxxx endpoint.
    assert plane.call("api.example.com", "/greetings",
                      headers=plane.signed("api.example.com", "/greetings")).status == 200
    assert_apigw(plane.call(target, "/greetings"), 403, "Forbidden")
    assert_apigw(plane.call(execute_api("nosuchapi1"), "/prod/greetings"), 403, "Forbidden")


def test_resource_matching(plane):
    api = plane.api(paths=("items/{id}", "items/special", "files/{proxy+}"))
    host = execute_api(api)
    ag = plane.client("apigateway")
    resources = {r["path"]: r["id"] for r in ag.get_resources(restApiId=api)["items"]}
    plane.mock_method(api, resources["/items/special"], "POST", "NONE", body='{"special": true}')
    plane.mock_method(api, resources["/"], "ANY", "NONE", body='{"root": true}')
    assert plane.call(host, "/prod/items/42").status == 200
    assert plane.call(host, "/prod/items/special").status == 200
    assert plane.call(host, "/prod/items/special", method="POST", body=b"{}").body == b'{"special": true}'
    assert plane.call(host, "/prod/files/a/b/c.txt").status == 200
    assert plane.call(host, "/prod/", method="PATCH").body == b'{"root": true}'
    assert plane.call(host, "/prod").body == b'{"root": true}'
    assert_apigw(plane.call(host, "/prod/files"), 403, "Missing Authentication Token")
    assert_apigw(plane.call(host, "/prod/items/42/more"), 403, "Missing Authentication Token")
    assert_apigw(plane.call(host, "/test/items/42"), 403, "Missing Authentication Token")


# ---- what reaches the origin (seen by a Lambda proxy integration) -------------------------------
def _lambda_api(plane, auth="NONE"):
    ag = plane.client("apigateway")
    api = ag.create_rest_api(name="l", endpointConfiguration={"types": ["REGIONAL"]})
    res = ag.create_resource(restApiId=api["id"], parentId=api["rootResourceId"], pathPart="{proxy+}")
    ag.put_method(restApiId=api["id"], resourceId=res["id"], httpMethod="ANY", authorizationType=auth)
    fn = f"arn:aws:lambda:{REGION}:123456789012:function:api"
    ag.put_integration(restApiId=api["id"], resourceId=res["id"], httpMethod="ANY", type="AWS_PROXY",
                       integrationHttpMethod="POST",
                       uri=f"arn:aws:apigateway:{REGION}:lambda:path/2015-03-31/functions/{fn}/invocations")
    ag.create_deployment(restApiId=api["id"], stageName="prod")
    return api["id"]


@pytest.fixture
def lambda_fn(plane):
    calls = []
    answer = {"payload": {"statusCode": 201, "headers": {"X-From": "lambda"}, "body": "made"}, "error": False}

    def handler(req):
        if not req.path.endswith("/invocations"):
            return None
        calls.append((req.path, json.loads(req.body)))
        if answer.get("refused"):  # Lambda's own refusal, as when it throttles an invocation
            return core.Response(429, [("Content-Type", "application/json")], b'{"message": "Rate exceeded"}')
        headers = [("Content-Type", "application/json")]
        if answer["error"]:
            headers.append(("X-Amz-Function-Error", "Unhandled"))
        return core.Response(200, headers, json.dumps(answer["payload"]).encode())

    plane.account.handlers.append(handler)
    yield types.SimpleNamespace(calls=calls, answer=answer)
    plane.account.handlers.remove(handler)


def test_what_the_origin_receives(plane, lambda_fn):
    api = _lambda_api(plane, auth="AWS_IAM")
    _, domain = plane.distribution(execute_api(api), origin_path="/prod", cache=IAM_CACHE_POLICY)
    signed = plane.signed(execute_api(api), "/prod/stacks/7?x=1")
    r = plane.call(domain, "/stacks/7?x=1", method="GET",
                   headers={**signed, "Cookie": "a=1", "X-Custom": "v", "User-Agent": "viewer/1",
                            SECRET_HEADER[0]: "forged"})
    assert r.status == 201 and r.body == b"made" and r.headers["x-from"] == "lambda"
    path, event = lambda_fn.calls[-1]
    assert path == "/2015-03-31/functions/api/invocations"
    headers = {k.lower(): v for k, v in event["headers"].items()}
    assert headers["host"] == execute_api(api)
    assert headers[SECRET_HEADER[0].lower()] == SECRET_HEADER[1]  # the origin's value wins
    assert headers["authorization"].startswith("AWS4-HMAC-SHA256")
    assert headers["x-custom"] == "v" and headers["cookie"] == "a=1" and headers["user-agent"] == "viewer/1"
    assert headers["via"].endswith("(CloudFront)") and headers["x-amz-cf-id"] and headers["x-forwarded-for"]
    assert event["path"] == "/stacks/7" and event["resource"] == "/{proxy+}"
    assert event["pathParameters"] == {"proxy": "stacks/7"}
    assert event["queryStringParameters"] == {"x": "1"}
    assert event["requestContext"]["stage"] == "prod"
    assert event["requestContext"]["identity"]["accessKey"] == "testing"

    # CachingDisabled and no origin request policy: nothing of the viewer's but the path.
    _, plain = plane.distribution(execute_api(_lambda_api(plane)), origin_path="/prod", orp=None)
    plane.call(plain, "/stacks?x=1", headers={"Cookie": "a=1", "X-Custom": "v"})
    _, event = lambda_fn.calls[-1]
    headers = {k.lower(): v for k, v in event["headers"].items()}
    assert "x-custom" not in headers and "cookie" not in headers
    assert headers["user-agent"] == "Amazon CloudFront"
    assert event["queryStringParameters"] is None

    # The log names what answered, never a header's value.
    text = "\n".join(plane.log.lines)
    assert SECRET_HEADER[1] not in text and "forged" not in text
    assert signed["Authorization"] not in text and "Signature=" not in text
    assert "x=1" not in text


def test_lambda_proxy_failures(plane, lambda_fn):
    host = execute_api(_lambda_api(plane))
    lambda_fn.answer["error"] = True
    assert_apigw(plane.call(host, "/prod/x"), 502, "Internal server error")
    lambda_fn.answer.update(error=False, payload={"not": "a proxy response"})
    assert_apigw(plane.call(host, "/prod/x"), 502, "Internal server error")
    # Lambda refused the invocation: the integration failed (INTEGRATION_FAILURE, 504).
    lambda_fn.answer.update(refused=True)
    assert_apigw(plane.call(host, "/prod/x"), 504, "Internal server error")


# ---- who signed: credentials the account issued, and IAM's say -------------------------------
INVOKE_ALL = json.dumps({"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Action": "execute-api:Invoke", "Resource": "arn:aws:execute-api:*:*:*/prod/*"}]})


def _team_role(plane, name, policy=INVOKE_ALL):
    iam = plane.client("iam", "us-east-1")
    role = iam.create_role(RoleName=name, AssumeRolePolicyDocument=json.dumps({
        "Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"AWS": "*"},
                                                "Action": "sts:AssumeRole"}]}))["Role"]
    if policy:
        iam.put_role_policy(RoleName=name, PolicyName="invoke", PolicyDocument=policy)
    return role


def _session(plane, role_arn, name):
    c = plane.client("sts", "us-east-1").assume_role(RoleArn=role_arn, RoleSessionName=name)["Credentials"]
    return c["AccessKeyId"], c["SecretAccessKey"], c["SessionToken"]


def test_an_assumed_role_session_is_the_caller_the_request_context_names(plane, lambda_fn):
    host = execute_api(_lambda_api(plane, auth="AWS_IAM"))
    role = _team_role(plane, "team-payments")
    key = _session(plane, role["Arn"], "ci-run-42")
    r = plane.call(host, "/prod/stacks", headers=plane.signed(host, "/prod/stacks", key=key))
    assert r.status == 201, r.body
    identity = lambda_fn.calls[-1][1]["requestContext"]["identity"]
    assert identity["userArn"] == "arn:aws:sts::123456789012:assumed-role/team-payments/ci-run-42"
    assert identity["caller"] == identity["user"] == f"{role['RoleId']}:ci-run-42"
    assert identity["accessKey"] == key[0] and identity["accountId"] == "123456789012"

    # The session's token must come with its key; a key the account never issued is unknown.
    forged = plane.signed(host, "/prod/stacks", key=(key[0], key[1], "another-token"))
    assert_apigw(plane.call(host, "/prod/stacks", headers=forged), 403,
                 "The security token included in the request is invalid.", "UnrecognizedClientException")
    made_up = plane.signed(host, "/prod/stacks", key=("ASIAMADEUP", "secret", "token"))
    assert_apigw(plane.call(host, "/prod/stacks", headers=made_up), 403,
                 "The security token included in the request is invalid.")

    # A bad signature is told the canonical request, without the session token in it.
    other_path = plane.call(host, "/prod/stacks", headers=plane.signed(host, "/prod/other", key=key))
    assert_apigw(other_path, 403, "The request signature we calculated does not match")
    assert key[2].encode() not in other_path.body and b"x-amz-security-token:<redacted>" in other_path.body

    # A session of a role deleted since: IAM allows it nothing.
    iam = plane.client("iam", "us-east-1")
    iam.delete_role_policy(RoleName="team-payments", PolicyName="invoke")
    iam.delete_role(RoleName="team-payments")
    assert_apigw(plane.call(host, "/prod/stacks", headers=plane.signed(host, "/prod/stacks", key=key)), 403,
                 "User: arn:aws:sts::123456789012:assumed-role/team-payments/ci-run-42 is not authorized",
                 "AccessDeniedException")


def test_an_expired_session_is_refused(plane, lambda_fn):
    from moto.sts.models import sts_backends

    host = execute_api(_lambda_api(plane, auth="AWS_IAM"))
    key = _session(plane, _team_role(plane, "team-old")["Arn"], "yesterday")
    session = next(s for s in sts_backends["123456789012"]["aws"].assumed_roles if s.access_key_id == key[0])
    session.expiration = dt.datetime.now(dt.timezone.utc).replace(tzinfo=None) - dt.timedelta(seconds=1)
    assert_apigw(plane.call(host, "/prod/stacks", headers=plane.signed(host, "/prod/stacks", key=key)), 403,
                 "The security token included in the request is expired", "ExpiredTokenException")


def test_an_iam_users_access_key_signs_and_its_policies_decide(plane, lambda_fn):
    host = execute_api(api := _lambda_api(plane, auth="AWS_IAM"))
    iam = plane.client("iam", "us-east-1")
    user = iam.create_user(UserName="portal")["User"]
    created = iam.create_access_key(UserName="portal")["AccessKey"]
    key = (created["AccessKeyId"], created["SecretAccessKey"])

    denied = plane.call(host, "/prod/stacks", headers=plane.signed(host, "/prod/stacks", key=key))
    assert_apigw(denied, 403, f"User: {user['Arn']} is not authorized to perform: execute-api:Invoke on "
                              f"resource: arn:aws:execute-api:{REGION}:123456789012:{api}/prod/GET/stacks",
                 "AccessDeniedException")
    assert not lambda_fn.calls

    iam.put_user_policy(UserName="portal", PolicyName="invoke", PolicyDocument=INVOKE_ALL)
    r = plane.call(host, "/prod/stacks", headers=plane.signed(host, "/prod/stacks", key=key))
    assert r.status == 201, r.body
    identity = lambda_fn.calls[-1][1]["requestContext"]["identity"]
    assert identity["userArn"] == user["Arn"] and identity["caller"] == user["UserId"]

    # An explicit Deny wins over the Allow.
    iam.put_user_policy(UserName="portal", PolicyName="no-deletes", PolicyDocument=json.dumps({
        "Version": "2012-10-17", "Statement": [{"Effect": "Deny", "Action": "execute-api:Invoke",
                                                "Resource": "arn:aws:execute-api:*:*:*/*/DELETE/*"}]}))
    gone = plane.call(host, "/prod/stacks/1", method="DELETE",
                      headers=plane.signed(host, "/prod/stacks/1", key=key, method="DELETE"))
    assert_apigw(gone, 403, f"User: {user['Arn']} is not authorized", "AccessDeniedException")
    # A deactivated key is no longer the account's.
    iam.update_access_key(UserName="portal", AccessKeyId=key[0], Status="Inactive")
    assert_apigw(plane.call(host, "/prod/stacks", headers=plane.signed(host, "/prod/stacks", key=key)), 403,
                 "The security token included in the request is invalid.")


def test_managed_policies_and_groups_count_for_an_iam_user(plane, lambda_fn):
    host = execute_api(_lambda_api(plane, auth="AWS_IAM"))
    iam = plane.client("iam", "us-east-1")
    iam.create_user(UserName="ci")
    created = iam.create_access_key(UserName="ci")["AccessKey"]
    key = (created["AccessKeyId"], created["SecretAccessKey"])
    call = lambda: plane.call(host, "/prod/stacks", headers=plane.signed(host, "/prod/stacks", key=key))  # noqa: E731
    assert call().status == 403
    policy = iam.create_policy(PolicyName="invoke", PolicyDocument=INVOKE_ALL)["Policy"]["Arn"]
    iam.create_group(GroupName="deployers")
    iam.attach_group_policy(GroupName="deployers", PolicyArn=policy)
    iam.add_user_to_group(GroupName="deployers", UserName="ci")
    assert call().status == 201, "a managed policy of the user's group allows it"
    iam.remove_user_from_group(GroupName="deployers", UserName="ci")
    assert call().status == 403
    iam.attach_user_policy(UserName="ci", PolicyArn=policy)
    assert call().status == 201, "the same policy attached to the user allows it"


ERROR_SHAPE = '{"error":{"code":"%s","message":$context.error.messageString,"details":[]}}'


def test_the_apis_gateway_responses_shape_api_gateways_own_answers(plane, lambda_fn):
    api = _lambda_api(plane, auth="AWS_IAM")
    host = execute_api(api)
    ag = plane.client("apigateway")
    ag.put_gateway_response(restApiId=api, responseType="MISSING_AUTHENTICATION_TOKEN", statusCode="401",
                            responseTemplates={"application/json": ERROR_SHAPE % "unauthenticated"})
    ag.put_gateway_response(restApiId=api, responseType="INVALID_SIGNATURE", statusCode="401",
                            responseTemplates={"application/json": ERROR_SHAPE % "unauthenticated"},
                            responseParameters={"gatewayresponse.header.X-Why": "'signature'"})
    ag.put_gateway_response(restApiId=api, responseType="DEFAULT_4XX",
                            responseTemplates={"application/json": ERROR_SHAPE % "refused"})

    unsigned = plane.call(host, "/prod/stacks")
    assert unsigned.status == 401 and unsigned.headers["x-amzn-errortype"] == "MissingAuthenticationTokenException"
    assert json.loads(unsigned.body) == {"error": {"code": "unauthenticated",
                                                   "message": "Missing Authentication Token", "details": []}}

    wrong = plane.call(host, "/prod/stacks", headers=plane.signed(host, "/prod/other"))
    assert wrong.status == 401 and wrong.headers["x-why"] == "signature"
    body = json.loads(wrong.body)["error"]
    assert body["code"] == "unauthenticated"
    assert body["message"].startswith("The request signature we calculated does not match")

    # No response of its own: DEFAULT_4XX's template, with the type's default status.
    key = _session(plane, _team_role(plane, "no-invoke", policy=None)["Arn"], "session")
    denied = plane.call(host, "/prod/stacks", headers=plane.signed(host, "/prod/stacks", key=key))
    assert denied.status == 403 and json.loads(denied.body)["error"]["code"] == "refused"

    too_large = b"x" * (10 * 1024 * 1024 + 1)
    big = plane.call(host, "/prod/stacks", method="POST", body=too_large,
                     headers=plane.signed(host, "/prod/stacks", method="POST", body=too_large))
    assert big.status == 413 and json.loads(big.body)["error"]["code"] == "refused"
    assert not lambda_fn.calls


def test_a_stage_at_the_edges_local_path(plane, lambda_fn):
    api = _lambda_api(plane, auth="AWS_IAM")
    here = f"127.0.0.1:{plane.edge_port}"
    path = f"/restapis/{api}/prod/_user_request_/stacks/7?x=1"
    r = plane.call(here, path, headers=plane.signed(here, path))
    assert r.status == 201, r.body
    event = lambda_fn.calls[-1][1]
    assert event["path"] == "/stacks/7" and event["pathParameters"] == {"proxy": "stacks/7"}
    assert event["requestContext"]["path"] == "/prod/stacks/7"
    assert event["requestContext"]["domainName"] == execute_api(api)

    # The path stays percent-encoded, as a REST API hands it on: decoded, `%1E%0C` would be
    # control characters a URL parser trims, and `/stacks/%1E%0C` would read as `/stacks/`.
    odd = f"/restapis/{api}/prod/_user_request_/stacks/%1E%0C"
    r = plane.call(here, odd, headers=plane.signed(here, odd))
    assert r.status == 201, r.body
    event = lambda_fn.calls[-1][1]
    assert event["path"] == "/stacks/%1E%0C" and event["requestContext"]["path"] == "/prod/stacks/%1E%0C"
    slash = f"/restapis/{api}/prod/_user_request_/stacks/"
    assert plane.call(here, slash, headers=plane.signed(here, slash)).status == 201
    assert lambda_fn.calls[-1][1]["path"] == "/stacks/"
    # Signed for the execute-api name, it does not verify here: the signature covers this host.
    assert_apigw(plane.call(here, path, headers=plane.signed(execute_api(api), "/prod/stacks/7?x=1")), 403,
                 "The request signature we calculated does not match")
    assert_apigw(plane.call(here, "/restapis/nosuchapi/prod/_user_request_/stacks"), 403, "Forbidden")


def test_other_integrations_answer_500(plane):
    ag = plane.client("apigateway")
    api = ag.create_rest_api(name="h", endpointConfiguration={"types": ["REGIONAL"]})
    ag.put_method(restApiId=api["id"], resourceId=api["rootResourceId"], httpMethod="GET", authorizationType="NONE")
    ag.put_integration(restApiId=api["id"], resourceId=api["rootResourceId"], httpMethod="GET", type="HTTP_PROXY",
                       integrationHttpMethod="GET", uri="https://example.com/")
    ag.create_deployment(restApiId=api["id"], stageName="prod")
    assert_apigw(plane.call(execute_api(api["id"]), "/prod/"), 500, "Internal server error")
    assert any("HTTP_PROXY integrations are not emulated" in line for line in plane.log.lines)


def test_one_log_line_per_request(plane):
    api = plane.api()
    dist_id, domain = plane.distribution(execute_api(api), origin_path="/prod")
    before = len(plane.log.lines)
    plane.call(domain, "/greetings")
    new = [line for line in plane.log.lines[before:] if line.startswith("dataplane:")]
    assert len(new) == 1
    assert f"GET {domain} /greetings -> 200" in new[0]
    assert dist_id in new[0] and api in new[0] and "MOCK" in new[0]


# ---- with the real cloudfront.py -----------------------------------------------------------------
def test_managed_policies_from_cloudfront_py(served, monkeypatch):
    cf = dataplane._cloudfront()
    for policy in (CACHING_DISABLED,):
        got = cf.cache_policy_config(served.account, policy)
        assert got is not None, policy
        assert got["ParametersInCacheKeyAndForwardedToOrigin"]["HeadersConfig"]["HeaderBehavior"] == "none"
    assert cf.origin_request_policy_config(served.account, ALL_VIEWER)["HeadersConfig"]["HeaderBehavior"] \
        in ("allViewer", "allViewerAndWhitelistCloudFront")
    except_host = cf.origin_request_policy_config(served.account, ALL_VIEWER_EXCEPT_HOST)["HeadersConfig"]
    plane = dataplane.make_app(served.account)
    forwarding = dataplane.Forwarding.of(plane, types.SimpleNamespace(
        cache_policy_id=CACHING_DISABLED, origin_request_policy_id=ALL_VIEWER_EXCEPT_HOST), dataplane.Trace())
    assert not forwarding.forwards("host") and forwarding.forwards("x-amz-date"), except_host
    forwarding = dataplane.Forwarding.of(plane, types.SimpleNamespace(
        cache_policy_id=CACHING_DISABLED, origin_request_policy_id=ALL_VIEWER), dataplane.Trace())
    assert forwarding.forwards("host")


# ---- end to end: the whole strict account (conftest's `stack`), with every module installed ---------
def test_end_to_end_through_the_strict_account(stack):
    """The real cloudfront.py decides when the distribution is Deployed and holds the IAM cache
    policy (CreateCachePolicy); the edge is the one server.py serves."""
    import time
    import urllib.parse

    if stack.edge_url is None or stack.bare:
        pytest.skip("the data plane is served only with the service modules installed")
    cf = stack.client("cloudfront")
    policy = cf.create_cache_policy(CachePolicyConfig={
        "Name": "edgestack-iam", "MinTTL": 0, "DefaultTTL": 0, "MaxTTL": 1,
        "ParametersInCacheKeyAndForwardedToOrigin": {
            "EnableAcceptEncodingGzip": False,
            "HeadersConfig": {"HeaderBehavior": "whitelist", "Headers": {"Quantity": 1, "Items": ["Authorization"]}},
            "CookiesConfig": {"CookieBehavior": "none"},
            "QueryStringsConfig": {"QueryStringBehavior": "none"},
        }})["CachePolicy"]["Id"]
    ag = stack.client("apigateway", REGION)
    api = ag.create_rest_api(name="e2e", endpointConfiguration={"types": ["REGIONAL"]})
    res = ag.create_resource(restApiId=api["id"], parentId=api["rootResourceId"], pathPart="greetings")
    ag.put_method(restApiId=api["id"], resourceId=res["id"], httpMethod="GET", authorizationType="AWS_IAM")
    ag.put_integration(restApiId=api["id"], resourceId=res["id"], httpMethod="GET", type="MOCK",
                       requestTemplates={"application/json": '{"statusCode": 200}'})
    ag.put_integration_response(restApiId=api["id"], resourceId=res["id"], httpMethod="GET", statusCode="200",
                                responseTemplates={"application/json": MOCK_BODY})
    ag.create_deployment(restApiId=api["id"], stageName="prod")
    origin = execute_api(api["id"])
    dist = cf.create_distribution(DistributionConfig={
        "CallerReference": "e2e", "Comment": "", "Enabled": True,
        "Origins": {"Quantity": 1, "Items": [{
            "Id": "api", "DomainName": origin, "OriginPath": "/prod",
            "CustomOriginConfig": {"HTTPPort": 80, "HTTPSPort": 443, "OriginProtocolPolicy": "https-only",
                                   "OriginSslProtocols": {"Quantity": 1, "Items": ["TLSv1.2"]}}}]},
        "DefaultCacheBehavior": {"TargetOriginId": "api", "ViewerProtocolPolicy": "redirect-to-https",
                                 "CachePolicyId": policy, "OriginRequestPolicyId": ALL_VIEWER_EXCEPT_HOST},
    })["Distribution"]
    port = urllib.parse.urlsplit(stack.edge_url).port

    def call(headers=None):
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        try:
            conn.request("GET", "/greetings", headers={"Host": dist["DomainName"], **(headers or {})})
            r = conn.getresponse()
            return r.status, {k.lower(): v for k, v in r.getheaders()}, r.read()
        finally:
            conn.close()

    status, headers, _ = call()
    assert (status, headers.get("x-cache")) == (403, "Error from cloudfront")  # InProgress
    deadline = time.monotonic() + max(30.0, 3 * stack.seconds("cloudfront_deploy"))
    while cf.get_distribution(Id=dist["Id"])["Distribution"]["Status"] != "Deployed":
        assert time.monotonic() < deadline, "the distribution never became Deployed"
        time.sleep(0.1)
    request = AWSRequest(method="GET", url=f"https://{origin}/prod/greetings")
    SigV4Auth(Credentials("testing", "testing"), "execute-api", REGION).add_auth(request)
    status, headers, body = call({k: v for k, v in request.headers.items()})
    assert (status, body.decode()) == (200, MOCK_BODY)
    assert headers["via"].endswith("(CloudFront)")
    status, _, body = call()
    assert status == 403 and json.loads(body)["message"] == "Missing Authentication Token"
