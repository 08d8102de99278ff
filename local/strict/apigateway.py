"""API Gateway's rules (REST-JSON, `x-amzn-ErrorType` names the error), kept in front of moto.

- Rate quotas per account, not raisable: `CreateDomainName` 1 request every 30 s and
  `DeleteDomainName` 1 every 30 s (each its own window), `CreateDeployment` 1 every 5 s,
  `CreateRestApi` (Regional) 1 every 3 s; beyond that `TooManyRequestsException`, HTTP 429.
  Source: API Gateway developer guide, "Amazon API Gateway quotas", "API Gateway quotas for
  creating, deploying and managing an API". moto has no limit.
- `CreateDomainName` refuses a Regional (or edge) ACM certificate that is not `ISSUED`
  (as acm.certificate_status says): `BadRequestException` 400, "Certificate ... in account ...
  not yet issued" (AWS's wording, as reported in public Terraform configurations and
  terraform-provider-aws issues). A Regional certificate from another region is refused as
  AWS does: "Invalid certificate ARN: .... Certificate must be in '<region>'."
  (serverless-domain-manager #49, #64). moto accepts any ARN.
- `CreateDomainName` for a name that exists: `ConflictException` 409, "The domain name you
  provided already exists." Source: API Gateway API reference, CreateDomainName errors. moto
  silently replaces the existing domain name.
- `GetBasePathMappings` of a domain name that exists and has no mapping yet answers an empty
  collection (`{"item": []}`), as the API reference's GetBasePathMappings describes it (a
  collection; NotFoundException only for a domain name that does not exist). moto fails with
  a KeyError (HTTP 500) for a domain that was never mapped.
- `DeleteDomainName` tells acm.py that the domain's certificates were released: ACM keeps them
  in use for a while after (aws-cdk #36265).
"""

from __future__ import annotations

from urllib.parse import unquote

from . import acm
from .core import ACCOUNT_ID, Account, Forward, Request, Response

TOO_MANY = "Too Many Requests"


def install(account: Account) -> None:
    for method, pattern, operation in [
        ("POST", r"/restapis", "CreateRestApi"),
        ("GET", r"/restapis", "GetRestApis"),
        ("GET", r"/restapis/(?P<api>[^/]+)", "GetRestApi"),
        ("DELETE", r"/restapis/(?P<api>[^/]+)", "DeleteRestApi"),
        ("POST", r"/restapis/(?P<api>[^/]+)/deployments", "CreateDeployment"),
        ("GET", r"/restapis/(?P<api>[^/]+)/deployments", "GetDeployments"),
        ("POST", r"/domainnames", "CreateDomainName"),
        ("GET", r"/domainnames", "GetDomainNames"),
        ("GET", r"/domainnames/(?P<domain>[^/]+)/?", "GetDomainName"),
        ("DELETE", r"/domainnames/(?P<domain>[^/]+)/?", "DeleteDomainName"),
        ("POST", r"/domainnames/(?P<domain>[^/]+)/basepathmappings", "CreateBasePathMapping"),
        ("GET", r"/domainnames/(?P<domain>[^/]+)/basepathmappings", "GetBasePathMappings"),
        ("DELETE", r"/domainnames/(?P<domain>[^/]+)/basepathmappings/(?P<base>[^/]+)", "DeleteBasePathMapping"),
        ("GET", r"/restapis/(?P<api>[^/]+)/stages/(?P<stage>[^/]+)", "GetStage"),
    ]:
        account.route("apigateway", method, pattern, operation)

    # API Gateway quotas: fixed per account, not raisable.
    for operation, window in [("CreateDomainName", "apigateway_domain_window"),
                              ("DeleteDomainName", "apigateway_domain_window"),
                              ("CreateDeployment", "apigateway_deployment_window"),
                              ("CreateRestApi", "apigateway_rest_api_window")]:
        account.limit("apigateway", [operation], 1, window, status=429, code="TooManyRequestsException",
                      message=TOO_MANY)

    account.rule("apigateway", "CreateDomainName", _create_domain_name(account))
    account.rule("apigateway", "DeleteDomainName", _delete_domain_name(account))
    account.rule("apigateway", "GetBasePathMappings", _base_path_mappings)


def _backend(region: str):
    from moto.apigateway.models import apigateway_backends
    return apigateway_backends[ACCOUNT_ID][region]


def _create_domain_name(account: Account):
    def rule(req: Request, forward: Forward) -> Response:
        try:
            params = req.json()
        except ValueError:
            return forward(req)
        name = params.get("domainName") or ""
        if name and name in _backend(req.region).domain_names:
            return account.error(req, 409, "ConflictException", "The domain name you provided already exists.")
        for key in ("regionalCertificateArn", "certificateArn"):
            arn = params.get(key)
            if not arn:
                continue
            # A Regional domain's certificate is in the API's region; an edge one's in us-east-1.
            must_be_in = req.region if key == "regionalCertificateArn" else "us-east-1"
            parts = arn.split(":")
            if len(parts) < 6 or parts[2] != "acm" or parts[3] != must_be_in:
                return account.error(req, 400, "BadRequestException",
                                     f"Invalid certificate ARN: {arn}. Certificate must be in '{must_be_in}'.")
            status, _ = acm.certificate_status(account, arn)
            if status == "NOT_FOUND":
                return account.error(req, 400, "BadRequestException", "The provided certificate does not exist.")
            if status != "ISSUED":
                return account.error(req, 400, "BadRequestException",
                                     f"Certificate {arn} in account {ACCOUNT_ID} not yet issued")
        return forward(req)
    return rule


def _base_path_mappings(req: Request, forward: Forward) -> Response:
    name = unquote(req.route.get("domain", ""))
    backend = _backend(req.region)
    if name in backend.domain_names and name not in backend.base_path_mappings:
        return Response(200, [("Content-Type", "application/json")], b'{"item": []}')
    return forward(req)


def _delete_domain_name(account: Account):
    def rule(req: Request, forward: Forward) -> Response:
        name = unquote(req.route.get("domain", ""))
        domain = _backend(req.region).domain_names.get(name)
        used = [a for a in (getattr(domain, "certificate_arn", None), getattr(domain, "regional_certificate_arn", None)) if a]
        resp = forward(req)
        if resp.status < 300:
            for arn in used:
                acm.note_certificate_released(account, arn)
        return resp
    return rule

