"""ACM's rules (JSON protocol, `X-Amz-Target: CertificateManager.*`), kept in front of moto.

moto is started with MOTO_ACM_VALIDATION_WAIT=0 (server.py), so it calls every certificate
ISSUED at once; this module owns the status that clients see.

- A DNS-validated certificate is `ISSUED` only `acm_issue` after the validation CNAME of every
  one of its names exists, with its value, in the account's public hosted zone for that name (the
  zone whose name is the longest suffix of the record's name). A zone that a test creates to
  stand for "outside DNS" counts the same: creating the record there is what the owner of
  outside DNS does. Until then `PENDING_VALIDATION` in DescribeCertificate, ListCertificates
  (and its `CertificateStatuses` filter) and each name's `ValidationStatus`. Source: ACM user
  guide, "DNS validation" (ACM issues the certificate once it finds the CNAME; "it can take
  up to 30 minutes"); moto issues after a fixed wait whatever DNS says. An EMAIL-validated
  certificate stays pending: nobody here answers the mail.
- `DomainValidationOptions` lacks `ResourceRecord` for `acm_record_lag` after the request.
  Source: ACM API reference, DescribeCertificate / ResourceRecord, and the retries every tool
  has for it (terraform-provider-aws and aws-cdk wait for the record to appear).
- `DeleteCertificate` answers `ResourceInUseException` (400) while a CloudFront distribution
  (ViewerCertificate.ACMCertificateArn) or an API Gateway domain name (certificateArn /
  regionalCertificateArn) uses the certificate, and for `acm_in_use_lag` after that user was
  deleted. Sources: ACM API reference, DeleteCertificate ("You cannot delete an ACM certificate
  that is being used by another AWS service"); the lag: aws-cdk #36265, serverless-domain-manager
  #32, terraform-provider-aws #3868. moto deletes it at once.
- `ListCertificates` returns only RSA_1024 and RSA_2048 certificates unless `Includes.keyTypes`
  says otherwise. Source: ACM API reference, ListCertificates / Filters.keyTypes ("Default
  filtering returns only RSA_1024 and RSA_2048 certificates"). moto lists every key type
  unless keyTypes is given.
- Each operation has its own request-rate quota per account per region, refused with
  `ThrottlingException` (400): RequestCertificate 5 a second, DescribeCertificate 10,
  ListCertificates 1, DeleteCertificate 10, ListTagsForCertificate 10, AddTagsToCertificate 5.
  Source: ACM user guide, Quotas, "API rate quotas" (quoted in
  https://newbetuts.com/70744470-rate-exceedingthrottling-issue-on-aws-services); a teardown
  that lists every certificate on each pass is what dflook/cloudformation-dns-certificate #12
  saw throttled with 40 certificates. moto has no rate limits.

For other modules:
    certificate_status(account, arn) -> (status, issued_at)
        the strict status ("PENDING_VALIDATION", "ISSUED", "EXPIRED", ...; "NOT_FOUND" for an
        unknown ARN) and the account clock time (`account.now()`) it became ISSUED, else None.
        An imported certificate counts as issued when it was first seen.
    note_certificate_released(account, arn)
        a distribution or a domain name that used `arn` was deleted (or stopped using it): the
        certificate stays in use for `acm_in_use_lag`.
    certificate_users(arn) -> list of ARNs of the distributions and domain names that use it.
"""

from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass, field

from . import route53
from .core import ACCOUNT_ID, Account, Forward, Request, Response

DEFAULT_KEY_TYPES = ["RSA_1024", "RSA_2048"]
# Fields a certificate has only once it is issued.
ISSUED_ONLY = ("IssuedAt", "NotBefore", "NotAfter", "Serial")


@dataclass
class State:
    requested: dict[str, float] = field(default_factory=dict)  # arn -> account clock of the request
    method: dict[str, str] = field(default_factory=dict)  # arn -> "DNS" | "EMAIL"
    issued: dict[str, float] = field(default_factory=dict)  # arn -> account clock of issuance
    released: dict[str, float] = field(default_factory=dict)  # arn -> when its last user went away
    lock: threading.Lock = field(default_factory=threading.Lock)


def state(account: Account) -> State:
    return account.state("acm", State)


# Requests a second per account per region (ACM's API rate quotas).
RATE_QUOTAS = {
    "RequestCertificate": 5,
    "DescribeCertificate": 10,
    "ListCertificates": 1,
    "DeleteCertificate": 10,
    "ListTagsForCertificate": 10,
    "AddTagsToCertificate": 5,
}


def install(account: Account) -> None:
    for operation, per_second in RATE_QUOTAS.items():
        account.limit("acm", [operation], per_second, "acm_window", status=400, code="ThrottlingException",
                      message="Rate exceeded", per_region=True)
    account.rule("acm", "RequestCertificate", _request(account))
    account.rule("acm", "DescribeCertificate", _describe(account))
    account.rule("acm", "ListCertificates", _list(account))
    account.rule("acm", "DeleteCertificate", _delete(account))


# ---- for other modules ------------------------------------------------------------------------

def certificate_status(account: Account, arn: str) -> tuple[str, float | None]:
    cert = _bundle(arn)
    if cert is None:
        return "NOT_FOUND", None
    status, issued_at, _ = _strict(account, arn, cert)
    return status, issued_at


def note_certificate_released(account: Account, arn: str) -> None:
    st = state(account)
    with st.lock:
        st.released[arn] = account.now()


def certificate_users(arn: str) -> list[str]:
    """The CloudFront distributions and API Gateway domain names (any region) that use `arn`."""
    users = []
    try:
        from moto.cloudfront.models import cloudfront_backends
        for dist in list(cloudfront_backends[ACCOUNT_ID]["aws"].distributions.values()):
            viewer = getattr(dist.distribution_config, "ViewerCertificate", None)
            if viewer is not None and getattr(viewer, "acm_certificate_arn", "") == arn:
                users.append(dist.arn)
    except KeyError:
        pass
    from moto.apigateway.models import apigateway_backends
    for region, backend in list(apigateway_backends[ACCOUNT_ID].items()):
        for domain in list(backend.domain_names.values()):
            if arn in (domain.certificate_arn, domain.regional_certificate_arn):
                users.append(f"arn:aws:apigateway:{region}::/domainnames/{domain.domain_name}")
    return users


# ---- the status -------------------------------------------------------------------------------

def _bundle(arn: str):
    from moto.acm.models import acm_backends
    try:
        region = arn.split(":")[3]
        return acm_backends[ACCOUNT_ID][region]._certificates.get(arn)
    except (IndexError, KeyError):
        return None


def _strict(account: Account, arn: str, cert) -> tuple[str, float | None, dict[str, str]]:
    """(status, issued at, {domain name: ValidationStatus}) as ACM would say it now."""
    st = state(account)
    now = account.now()
    cert.check()  # moto's own: EXPIRED past NotAfter
    if cert.type != "AMAZON_ISSUED" or cert.status not in ("ISSUED", "PENDING_VALIDATION"):
        with st.lock:
            issued_at = st.issued.setdefault(arn, now) if cert.status == "ISSUED" else None
        return cert.status, issued_at, {}
    with st.lock:
        requested = st.requested.setdefault(arn, now)
        method = st.method.get(arn, "DNS")
        issued_at = st.issued.get(arn)
    options = cert.describe()["Certificate"].get("DomainValidationOptions", [])
    if issued_at is not None:
        return "ISSUED", issued_at, {o["DomainName"]: "SUCCESS" for o in options}
    validated: dict[str, float | None] = {}
    for option in options:
        rr = option.get("ResourceRecord") or {}
        since = None
        if method == "DNS" and rr:
            since = route53.record_since(account, rr["Name"], rr.get("Type", "CNAME"), rr.get("Value"))
        # ACM can look only once the record exists and the request was made (a CNAME is the same
        # for a name in every region, so it may well exist before the request).
        validated[option["DomainName"]] = None if since is None else max(since, requested) + account.seconds("acm_issue")
    statuses = {d: "SUCCESS" if t is not None and t <= now else "PENDING_VALIDATION" for d, t in validated.items()}
    if validated and all(s == "SUCCESS" for s in statuses.values()):
        issued_at = max(t for t in validated.values() if t is not None)
        with st.lock:
            issued_at = st.issued.setdefault(arn, issued_at)
        return "ISSUED", issued_at, statuses
    return "PENDING_VALIDATION", None, statuses


def _wall(account: Account, clock: float) -> float:
    """An account clock time as epoch seconds (ACM's timestamps)."""
    return time.time() - (account.now() - clock)


def _rewrite(account: Account, arn: str, cert, summary: dict) -> str:
    """`summary` (a Certificate or a CertificateSummary) as ACM would say it now; its status."""
    status, issued_at, validation = _strict(account, arn, cert)
    summary["Status"] = status
    if status == "PENDING_VALIDATION":
        for name in ISSUED_ONLY:
            summary.pop(name, None)
    elif issued_at is not None and cert.type == "AMAZON_ISSUED" and "IssuedAt" in summary:
        summary["IssuedAt"] = _wall(account, issued_at)
    users = certificate_users(arn)
    if "InUseBy" in summary:
        summary["InUseBy"] = users
    if "InUse" in summary:
        summary["InUse"] = bool(users)
    st = state(account)
    lagging = account.now() - st.requested.get(arn, float("-inf")) < account.seconds("acm_record_lag")
    method = st.method.get(arn, "DNS")
    for option in summary.get("DomainValidationOptions", []):
        option["ValidationStatus"] = validation.get(option.get("DomainName"), option.get("ValidationStatus"))
        option["ValidationMethod"] = method
        if lagging or method != "DNS":
            option.pop("ResourceRecord", None)
    return status


# ---- rules ------------------------------------------------------------------------------------

def _json(resp: Response, body: dict) -> Response:
    return Response(resp.status, resp.headers, json.dumps(body).encode())


def _request(account: Account):
    def rule(req: Request, forward: Forward) -> Response:
        resp = forward(req)
        if resp.status < 300:
            arn = resp.json().get("CertificateArn")
            method = req.json().get("ValidationMethod") or "DNS"
            st = state(account)
            with st.lock:
                # An idempotent repeat (same token) answers the same ARN: its clock goes on.
                if arn and arn not in st.requested:
                    st.requested[arn] = account.now()
                    st.method[arn] = method.upper()
        return resp
    return rule


def _describe(account: Account):
    def rule(req: Request, forward: Forward) -> Response:
        resp = forward(req)
        if resp.status >= 300:
            return resp
        body = resp.json()
        arn = body.get("Certificate", {}).get("CertificateArn", "")
        cert = _bundle(arn)
        if cert is not None:
            _rewrite(account, arn, cert, body["Certificate"])
        return _json(resp, body)
    return rule


def _list(account: Account):
    def rule(req: Request, forward: Forward) -> Response:
        params = req.json()
        wanted = params.pop("CertificateStatuses", None) or None
        includes = params.setdefault("Includes", {})
        if not includes.get("keyTypes"):
            includes["keyTypes"] = DEFAULT_KEY_TYPES
        # moto filters on its own status: ask it for all, filter on the strict one here.
        resp = forward(Request(req.method, req.path, req.query, req.headers, json.dumps(params).encode(),
                               req.service, req.region, req.operation, req.route))
        if resp.status >= 300:
            return resp
        body = resp.json()
        kept = []
        for summary in body.get("CertificateSummaryList", []):
            arn = summary.get("CertificateArn", "")
            cert = _bundle(arn)
            status = _rewrite(account, arn, cert, summary) if cert is not None else summary.get("Status")
            if wanted is None or status in wanted:
                kept.append(summary)
        body["CertificateSummaryList"] = kept
        return _json(resp, body)
    return rule


def _delete(account: Account):
    def rule(req: Request, forward: Forward) -> Response:
        arn = req.json().get("CertificateArn", "")
        if _bundle(arn) is not None:
            st = state(account)
            released = st.released.get(arn)
            recently = released is not None and account.now() - released < account.seconds("acm_in_use_lag")
            if certificate_users(arn) or recently:
                # The message as ACM writes it (aws-cdk #36265).
                return account.error(req, 400, "ResourceInUseException",
                                     f"Certificate {arn} in account {ACCOUNT_ID} is in use.")
        resp = forward(req)
        if resp.status < 300:
            st = state(account)
            with st.lock:
                for table in (st.requested, st.method, st.issued, st.released):
                    table.pop(arn, None)
        return resp
    return rule
