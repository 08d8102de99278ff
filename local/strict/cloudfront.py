"""CloudFront in the strict account: AWS's rules that moto 5.2.5 does not keep.

CloudFront is REST-XML under `/2020-05-31/`. moto answers the distribution operations; the rules
here decide before it (and rewrite its answers where it is kinder than AWS), and this module
answers by itself what moto lacks: cache and origin request policies, `ListConflictingAliases`.
Each rule names its source, as the table "The strict account" in local-stack.md does:

1. Status: a created or updated distribution is `InProgress` for `cloudfront_deploy`, then
   `Deployed` (moto's state manager is not used: the module keeps the time of every change).
2. `CNAMEAlreadyExists` when another distribution, of this account or another one (the staged
   "foreign" aliases), has one of the aliases.
3. `InvalidViewerCertificate` when the ACM certificate is not ISSUED, not in us-east-1, does not
   cover every alias, or was issued less than `cloudfront_viewer_certificate_lag` ago.
4. `If-Match`: `InvalidIfMatchVersion` when missing, `PreconditionFailed` when stale (the ETag
   changes on every update); `DistributionNotDisabled` when deleting a distribution that is
   enabled or not yet `Deployed`; `DistributionAlreadyExists` for a caller reference reused with
   another config (the same config answers as the first create did).
5. Cache and origin request policies as an API, with the managed ones, the quotas of 20, the
   "caching disabled" rule and `NoSuchCachePolicy` / `NoSuchOriginRequestPolicy` for a
   distribution that names an unknown one.
6. `ListConflictingAliases`, with other accounts' ids partially hidden.
7. Mutating calls throttle (`Throttling`, 400) beyond `cloudfront_mutations` per
   `cloudfront_window`.

Used by other modules: `distribution_status`, `cache_policy_config`,
`origin_request_policy_config`. The module's state lives in `account.state(...)`, so
`Account.reset()` (on `POST /moto-api/reset` or `/strict-api/reset`) clears it.

Control endpoint (tests stage another account's distribution):
    POST   /strict-api/cloudfront/foreign-aliases  {"aliases": ["www.example.com", ...]}  replaces
    GET    /strict-api/cloudfront/foreign-aliases  -> {"aliases": [...]}
    DELETE /strict-api/cloudfront/foreign-aliases  none
"""

from __future__ import annotations

import copy
import datetime
import hashlib
import json
import re
import threading
import uuid
import xml.etree.ElementTree as ET
from typing import Any

from . import core
from .core import Account, Request, Response

API = "/2020-05-31"
NAMESPACE = "http://cloudfront.amazonaws.com/doc/2020-05-31/"
LOCATION = "https://cloudfront.amazonaws.com" + API

# Module state on the Account (`account.state`).
S_DEPLOYS = "cloudfront.deploys"            # distribution id -> clock time it is Deployed
S_CREATES = "cloudfront.creates"            # caller reference -> (distribution id, parsed config)
S_FOREIGN = "cloudfront.foreign_aliases"    # aliases held by distributions of other accounts
S_CACHE = "cloudfront.cache_policies"       # custom cache policy id -> record
S_ORIGIN = "cloudfront.origin_request_policies"  # custom origin request policy id -> record
S_LOCK = "cloudfront.lock"

MUTATIONS = (
    "CreateDistribution", "CreateDistributionWithTags", "UpdateDistribution", "DeleteDistribution",
    "CreateCachePolicy", "UpdateCachePolicy", "DeleteCachePolicy",
    "CreateOriginRequestPolicy", "UpdateOriginRequestPolicy", "DeleteOriginRequestPolicy",
)

# ---- AWS's messages -----------------------------------------------------------------------------
# CloudFront API reference (error descriptions) and the messages AWS sends, as reported verbatim
# in public issues (cited where used).
MSG_NO_DISTRIBUTION = "The specified distribution does not exist."
MSG_IF_MATCH = "The If-Match version is missing or not valid for the resource."
MSG_PRECONDITION = "The precondition given in one or more of the request-header fields evaluated to false."
MSG_NOT_DISABLED = ("The specified CloudFront distribution is not disabled. You must disable the "
                    "distribution before you can delete it.")
MSG_CNAME = "One or more of the CNAMEs you provided are already associated with a different resource."
MSG_CERT_INVALID = ("The specified SSL certificate doesn't exist, isn't in us-east-1 region, isn't valid, "
                    "or doesn't include a valid certificate chain.")
MSG_CERT_COVER = ("The certificate that is attached to your distribution doesn't cover the alternate domain "
                  "name (CNAME) that you're trying to add. For more details, see: "
                  "https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/CNAMEs.html"
                  "#alternate-domain-names-requirements")
MSG_CERT_NEEDED = ("To add an alternate domain name (CNAME) to a CloudFront distribution, you must attach a "
                   "trusted certificate that validates your authorization to use the domain name. For more "
                   "details, see: https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/"
                   "CNAMEs.html#alternate-domain-names-requirements")
MSG_ILLEGAL_UPDATE = "The update contains modifications that are not allowed."
MSG_MALFORMED = "The XML you provided was not well-formed or did not validate against our published schema."
MSG_NO_CACHE_POLICY = "The cache policy does not exist."
MSG_NO_ORIGIN_POLICY = "The origin request policy does not exist."
MSG_QUANTITIES = "The value of Quantity and the size of Items don't match."


class Refusal(Exception):
    """An AWS error to answer with."""

    def __init__(self, status: int, code: str, message: str):
        super().__init__(f"{code}: {message}")
        self.status, self.code, self.message = status, code, message


# ---- the wire format, driven by botocore's model of CloudFront (the model the SDKs are built from)

_model_lock = threading.Lock()
_model = None


def model():
    global _model
    with _model_lock:
        if _model is None:
            import botocore.session
            _model = botocore.session.get_session().get_service_model("cloudfront")
        return _model


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def parse_shape(shape, elem) -> Any:
    """The value of XML element `elem` as `shape` says (boto3's dict form)."""
    kind = shape.type_name
    if kind == "structure":
        out: dict[str, Any] = {}
        children = {}
        for child in elem:
            children.setdefault(_local(child.tag), child)
        for name, member in shape.members.items():
            child = children.get(member.serialization.get("name", name))
            if child is not None:
                out[name] = parse_shape(member, child)
        return out
    if kind == "list":
        tag = shape.member.serialization.get("name", "member")
        return [parse_shape(shape.member, c) for c in elem if _local(c.tag) == tag]
    text = (elem.text or "").strip() if kind != "string" else (elem.text or "")
    if kind in ("integer", "long"):
        try:
            return int(text)
        except ValueError:
            raise Refusal(400, "MalformedInput", f"The value {text!r} is not a valid number.")
    if kind == "boolean":
        if text not in ("true", "false"):
            raise Refusal(400, "MalformedInput", f"The value {text!r} is not a valid boolean.")
        return text == "true"
    return text


def parse_body(body: bytes, shape_name: str) -> dict:
    try:
        root = ET.fromstring(body)
    except ET.ParseError:
        raise Refusal(400, "MalformedXML", MSG_MALFORMED)
    if _local(root.tag) != shape_name:
        raise Refusal(400, "MalformedXML", MSG_MALFORMED)
    return parse_shape(model().shape_for(shape_name), root)


def _esc(s: str) -> str:
    return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def to_xml(shape, value: Any, tag: str, xmlns: bool = False) -> str:
    """`value` (boto3's dict form) as the element `tag` of `shape`, members in the model's order."""
    attrs = f' xmlns="{NAMESPACE}"' if xmlns else ""
    kind = shape.type_name
    if kind == "structure":
        inner = "".join(
            to_xml(member, value[name], member.serialization.get("name", name))
            for name, member in shape.members.items() if value.get(name) is not None)
    elif kind == "list":
        child = shape.member.serialization.get("name", "member")
        inner = "".join(to_xml(shape.member, v, child) for v in value)
    elif kind == "boolean":
        inner = "true" if value else "false"
    else:
        inner = _esc(str(value))
    return f"<{tag}{attrs}>{inner}</{tag}>"


def xml_document(shape_name: str, value: dict) -> bytes:
    return ('<?xml version="1.0" encoding="UTF-8"?>\n'
            + to_xml(model().shape_for(shape_name), value, shape_name, xmlns=True)).encode()


def answer(status: int, shape_name: str | None, value: dict | None, **headers: str) -> Response:
    hs = [("Content-Type", "text/xml"), ("x-amzn-RequestId", str(uuid.uuid4()))]
    hs += [(k.replace("_", "-") if k != "ETag" else k, v) for k, v in headers.items()]
    body = xml_document(shape_name, value) if shape_name else b""
    return Response(status, hs, body)


def _timestamp(when: datetime.datetime | None = None) -> str:
    when = when or datetime.datetime.now(datetime.timezone.utc)
    return when.strftime("%Y-%m-%dT%H:%M:%S.") + f"{when.microsecond // 1000:03d}Z"


def _etag() -> str:
    # CloudFront's ETags look like E2QWRUHAPOMQZL: an E and 13 upper-case letters and digits.
    return "E" + uuid.uuid4().hex.upper()[:13]


# ---- moto's side ------------------------------------------------------------------------------

def backend():
    from moto.cloudfront.models import cloudfront_backends
    return cloudfront_backends[core.ACCOUNT_ID]["aws"]


def _distributions() -> dict:
    return backend().distributions


_patched = False


def _patch_moto() -> None:
    """A distribution this module tracks takes its `Status` from here (GetDistribution,
    ListDistributions, ...); others keep moto's state manager, so a bare moto is unchanged."""
    global _patched
    if _patched:
        return
    from moto.cloudfront.models import Distribution
    from moto.moto_api._internal.managed_state_model import ManagedState

    base = ManagedState.status

    def fget(self):
        strict = self.__dict__.get("_strict_status")
        return strict() if strict is not None else base.fget(self)

    def fset(self, value):
        base.fset(self, value)

    Distribution.status = property(fget, fset)

    # moto answers every behavior with ForwardedValues and TTLs of its own making, also one
    # with a cache policy: read back (GetDistributionConfig) and sent again (UpdateDistribution),
    # as every disable does, AWS would refuse that config. CloudFront leaves them out of a
    # behavior that has a cache policy (API reference, DefaultCacheBehavior: ForwardedValues
    # and the TTLs are the legacy settings, used only without a cache policy).
    from moto.cloudfront.models import DefaultCacheBehaviour, ViewerCertificate

    behaviour_init = DefaultCacheBehaviour.__init__

    def init_behaviour(self, config):
        behaviour_init(self, config)
        if config.get("CachePolicyId"):
            self.forwarded_values = None
            for name in ("min_ttl", "default_ttl", "max_ttl"):
                if config.get({"min_ttl": "MinTTL", "default_ttl": "DefaultTTL", "max_ttl": "MaxTTL"}[name]) is None:
                    setattr(self, name, None)

    DefaultCacheBehaviour.__init__ = init_behaviour

    # moto says CloudFrontDefaultCertificate=true and source "cloudfront" whatever certificate
    # the distribution has; CloudFront says false and "acm" for an ACM certificate.
    certificate_init = ViewerCertificate.__init__

    def init_certificate(self, config):
        certificate_init(self, config)
        if self.acm_certificate_arn or self.iam_certificate_id:
            self.cloud_front_default_certificate = bool(config.get("CloudFrontDefaultCertificate", False))
            self.certificate_source = "acm" if self.acm_certificate_arn else "iam"
            self.certificate = self.acm_certificate_arn or self.iam_certificate_id

    ViewerCertificate.__init__ = init_certificate
    _patched = True


def _aliases_of(dist) -> list[str]:
    aliases = getattr(dist.distribution_config, "Aliases", None) or {}
    items = aliases.get("Items") or []
    if isinstance(items, dict):  # moto may keep the XML's {"CNAME": [...]} form
        items = items.get("CNAME") or []
    if isinstance(items, str):
        items = [items]
    return [str(a) for a in items]


def _certificate_of(dist) -> str:
    vc = getattr(dist.distribution_config, "ViewerCertificate", None)
    return (getattr(vc, "acm_certificate_arn", "") or "") if vc is not None else ""


def _enabled(dist) -> bool:
    value = getattr(dist.distribution_config, "Enabled", False)
    return value is True or str(value).lower() == "true"


def _behavior_policies(dist) -> list[tuple[str, str]]:
    """(cache policy id, origin request policy id) of each of a moto distribution's behaviors."""
    config = dist.distribution_config
    behaviors = [config.DefaultCacheBehavior]
    items = (getattr(config, "CacheBehaviors", None) or {}).get("Items") or []
    behaviors += [b for b in items if not isinstance(b, dict)]
    return [(getattr(b, "cache_policy_id", "") or "", getattr(b, "origin_request_policy_id", "") or "")
            for b in behaviors]


# ---- names (DNS rules for wildcards) -----------------------------------------------------------

def _norm(name: str) -> str:
    return name.strip().rstrip(".").lower()


def covers(pattern: str, name: str) -> bool:
    """Whether certificate name `pattern` covers `name`: equal, or `*.rest` for one more label
    (`*.example.com` covers `www.example.com`, not `example.com` nor `a.b.example.com`; a
    wildcard alias needs the same wildcard on the certificate)."""
    pattern, name = _norm(pattern), _norm(name)
    if pattern == name:
        return True
    if pattern.startswith("*.") and not name.startswith("*."):
        head, _, rest = name.partition(".")
        return bool(head) and rest == pattern[2:]
    return False


def overlaps(a: str, b: str) -> bool:
    """Whether two aliases overlap as ListConflictingAliases reports them: equal, or one a
    wildcard that covers the other."""
    return covers(a, b) or covers(b, a)


# ---- rule 1: status -----------------------------------------------------------------------------

def distribution_status(account: Account, distribution_id: str) -> str:
    """`InProgress` until `cloudfront_deploy` (scaled, as it was at the change) after the
    distribution's last create or update, then `Deployed`. A distribution this module did not
    see change (made before `install`, or unknown) is `Deployed`."""
    deploys = account.state(S_DEPLOYS, dict)
    ready_at = deploys.get(distribution_id)
    if ready_at is None or account.now() >= ready_at:
        return "Deployed"
    return "InProgress"


def _changed(account: Account, dist) -> None:
    """A create or update took effect: InProgress from now (CloudFront API reference,
    GetDistribution: "InProgress" while the change propagates)."""
    account.state(S_DEPLOYS, dict)[dist.distribution_id] = account.now() + account.seconds("cloudfront_deploy")
    dist.last_modified_time = _timestamp()
    dist_id = dist.distribution_id
    dist._strict_status = lambda: distribution_status(account, dist_id)


def _rewrite(resp: Response, dist, account: Account) -> Response:
    """moto serialised its answer before the change was recorded: the distribution's Status,
    LastModifiedTime and ETag as they are now."""
    body = resp.body.decode()
    body = re.sub(r"<Status>[^<]*</Status>", f"<Status>{distribution_status(account, dist.distribution_id)}</Status>",
                  body, count=1)
    body = re.sub(r"<LastModifiedTime>[^<]*</LastModifiedTime>",
                  f"<LastModifiedTime>{dist.last_modified_time}</LastModifiedTime>", body, count=1)
    headers = [(k, v) for k, v in resp.headers if k.lower() != "etag"] + [("ETag", dist.etag)]
    return Response(resp.status, headers, body.encode())


# ---- rule 3: certificates -----------------------------------------------------------------------

def _certificate_status(account: Account, arn: str) -> tuple[str | None, float | None]:
    """(status, clock time it was issued or None) as the strict ACM (acm.py) has it; None as
    the status: no such certificate."""
    from . import acm
    status, issued_at = acm.certificate_status(account, arn)
    return (None, None) if status == "NOT_FOUND" else (status, issued_at)


def _moto_certificate(arn: str):
    parts = arn.split(":")
    if len(parts) < 6 or parts[2] != "acm":
        return None
    from moto.acm.models import acm_backends
    try:
        return acm_backends[parts[4]][parts[3]]._certificates.get(arn)
    except Exception:
        return None


def _certificate_names(arn: str) -> list[str]:
    cert = _moto_certificate(arn)
    if cert is None:
        return []
    return [n for n in [cert.common_name, *cert.sans] if n]


def _release_certificate(account: Account, arn: str) -> None:
    if not arn:
        return
    try:
        from . import acm
        release = getattr(acm, "note_certificate_released")
    except (ImportError, AttributeError):
        return
    release(account, arn)


def check_viewer_certificate(account: Account, config: dict) -> None:
    # CloudFront developer guide, alternate domain name requirements: a trusted certificate
    # that covers every alias; CloudFront reads ACM certificates from us-east-1 only; the
    # certificate must be ISSUED; and terraform-provider-aws #4698 retries
    # InvalidViewerCertificate for a minute after issuance (ACM's eventual consistency).
    aliases = _config_aliases(config)
    vc = config.get("ViewerCertificate") or {}
    arn = vc.get("ACMCertificateArn") or ""
    if arn:
        parts = arn.split(":")
        if len(parts) < 6 or parts[2] != "acm" or parts[3] != "us-east-1":
            raise Refusal(400, "InvalidViewerCertificate", MSG_CERT_INVALID)
        status, issued_at = _certificate_status(account, arn)
        if status != "ISSUED":
            raise Refusal(400, "InvalidViewerCertificate", MSG_CERT_INVALID)
        if issued_at is not None and account.now() - issued_at < account.seconds("cloudfront_viewer_certificate_lag"):
            raise Refusal(400, "InvalidViewerCertificate", MSG_CERT_INVALID)
        names = _certificate_names(arn)
        for alias in aliases:
            if not any(covers(n, alias) for n in names):
                raise Refusal(400, "InvalidViewerCertificate", MSG_CERT_COVER)
    elif aliases and not vc.get("IAMCertificateId"):
        raise Refusal(400, "InvalidViewerCertificate", MSG_CERT_NEEDED)


# ---- rule 2: aliases ----------------------------------------------------------------------------

def _config_aliases(config: dict) -> list[str]:
    return list((config.get("Aliases") or {}).get("Items") or [])


def check_aliases(account: Account, config: dict, own_id: str | None) -> None:
    # CloudFront developer guide: an alternate domain name can be on one distribution only, in
    # all of AWS; CNAMEAlreadyExists (409) otherwise, whichever account holds it.
    wanted = {_norm(a) for a in _config_aliases(config)}
    if not wanted:
        return
    # Another account's: only for a name this distribution does not have already (a name staged
    # as foreign after it was added here stays with this distribution).
    own = _distributions().get(own_id) if own_id else None
    added = wanted - ({_norm(a) for a in _aliases_of(own)} if own is not None else set())
    foreign = {_norm(a) for a in account.state(S_FOREIGN, set)}
    if added & foreign:
        raise Refusal(409, "CNAMEAlreadyExists", MSG_CNAME)
    for dist_id, dist in list(_distributions().items()):
        if dist_id != own_id and wanted & {_norm(a) for a in _aliases_of(dist)}:
            raise Refusal(409, "CNAMEAlreadyExists", MSG_CNAME)


# ---- quantities and behaviors --------------------------------------------------------------------

def _check_quantities(value: Any) -> None:
    # CloudFront API reference: InconsistentQuantities when a Quantity is not the size of Items.
    if isinstance(value, dict):
        if "Quantity" in value and isinstance(value.get("Quantity"), int):
            items = value.get("Items")
            if len(items or []) != value["Quantity"]:
                raise Refusal(400, "InconsistentQuantities", MSG_QUANTITIES)
        for v in value.values():
            _check_quantities(v)
    elif isinstance(value, list):
        for v in value:
            _check_quantities(v)


def _config_behaviors(config: dict) -> list[dict]:
    behaviors = [config.get("DefaultCacheBehavior") or {}]
    behaviors += (config.get("CacheBehaviors") or {}).get("Items") or []
    return behaviors


def check_behaviors(account: Account, config: dict) -> None:
    # CloudFront API reference, CreateDistribution / UpdateDistribution: NoSuchCachePolicy and
    # NoSuchOriginRequestPolicy (404) for an unknown policy id; terraform-aws-cloudfront #71:
    # "InvalidArgument: The parameter ForwardedValues cannot be used when a cache policy is
    # associated to the cache behavior."
    for b in _config_behaviors(config):
        cache_id = b.get("CachePolicyId") or ""
        origin_id = b.get("OriginRequestPolicyId") or ""
        if cache_id and cache_policy_config(account, cache_id) is None:
            raise Refusal(404, "NoSuchCachePolicy", MSG_NO_CACHE_POLICY)
        if origin_id and origin_request_policy_config(account, origin_id) is None:
            raise Refusal(404, "NoSuchOriginRequestPolicy", MSG_NO_ORIGIN_POLICY)
        if cache_id and "ForwardedValues" in b:
            raise Refusal(400, "InvalidArgument", "The parameter ForwardedValues cannot be used when a "
                                                  "cache policy is associated to the cache behavior.")


# ---- the distribution rules ----------------------------------------------------------------------

def _lock(account: Account) -> threading.RLock:
    return account.state(S_LOCK, threading.RLock)


def _refuse(account: Account, req: Request, r: Refusal) -> Response:
    return account.error(req, r.status, r.code, r.message)


def create_distribution(account: Account):
    def rule(req: Request, forward) -> Response:
        with_tags = "WithTags" in req.query
        try:
            if with_tags:
                config = parse_body(req.body, "DistributionConfigWithTags").get("DistributionConfig") or {}
            else:
                config = parse_body(req.body, "DistributionConfig")
        except Refusal as r:
            return _refuse(account, req, r)
        with _lock(account):
            try:
                # CloudFront API reference, DistributionConfig.CallerReference: the same caller
                # reference with the same config answers as the first request did; with another
                # config, DistributionAlreadyExists (409, moto's answer kept).
                reference = config.get("CallerReference") or ""
                existing = backend()._distribution_with_caller_reference(reference) if reference else None
                if existing is not None:
                    seen = account.state(S_CREATES, dict).get(reference)
                    if seen is not None and seen[0] == existing.distribution_id and seen[1] == config:
                        return _replay_create(req, forward, existing)
                    return forward(req)
                _check_quantities(config)
                check_behaviors(account, config)
                check_viewer_certificate(account, config)
                check_aliases(account, config, None)
            except Refusal as r:
                return _refuse(account, req, r)
            resp = forward(req)
            if resp.status != 201:
                return resp
            dist_id = _id_in(resp.body)
            dist = _distributions().get(dist_id)
            if dist is None:
                return resp
            account.state(S_CREATES, dict)[reference] = (dist_id, copy.deepcopy(config))
            dist.etag = _etag()
            _changed(account, dist)
            return _rewrite(resp, dist, account)
    return rule


def _id_in(body: bytes) -> str:
    m = re.search(rb"<Id>([^<]+)</Id>", body)
    return m.group(1).decode() if m else ""


def _replay_create(req: Request, forward, dist) -> Response:
    got = forward(Request("GET", f"{API}/distribution/{dist.distribution_id}", {}, req.headers, b"",
                          service=req.service, region=req.region, operation="GetDistribution"))
    headers = got.headers + [("Location", f"{LOCATION}/distribution/{dist.distribution_id}")]
    return Response(201 if got.status == 200 else got.status, headers, got.body)


def _if_match(req: Request, current: str) -> None:
    # CloudFront API reference, UpdateDistribution / DeleteDistribution: InvalidIfMatchVersion
    # (400) without If-Match, PreconditionFailed (412) when it is not the current ETag.
    given = req.headers.get("if-match", "").strip()
    if not given:
        raise Refusal(400, "InvalidIfMatchVersion", MSG_IF_MATCH)
    if given != current:
        raise Refusal(412, "PreconditionFailed", MSG_PRECONDITION)


def update_distribution(account: Account):
    def rule(req: Request, forward) -> Response:
        dist_id = req.route.get("id", "")
        with _lock(account):
            try:
                dist = _distributions().get(dist_id)
                if dist is None:
                    raise Refusal(404, "NoSuchDistribution", MSG_NO_DISTRIBUTION)
                _if_match(req, dist.etag)
                config = parse_body(req.body, "DistributionConfig")
                # CloudFront API reference, UpdateDistribution: the caller reference cannot change.
                if config.get("CallerReference", "") != dist.distribution_config.caller_reference:
                    raise Refusal(400, "IllegalUpdate", MSG_ILLEGAL_UPDATE)
                _check_quantities(config)
                check_behaviors(account, config)
                check_viewer_certificate(account, config)
                check_aliases(account, config, dist_id)
            except Refusal as r:
                return _refuse(account, req, r)
            before = _certificate_of(dist)
            resp = forward(req)
            if resp.status != 200:
                return resp
            # moto keeps one ETag for ever; CloudFront's changes with every update.
            dist.etag = _etag()
            _changed(account, dist)
            if before and before != _certificate_of(dist):
                _release_certificate(account, before)
            return _rewrite(resp, dist, account)
    return rule


def delete_distribution(account: Account):
    def rule(req: Request, forward) -> Response:
        dist_id = req.route.get("id", "")
        with _lock(account):
            try:
                dist = _distributions().get(dist_id)
                if dist is None:
                    raise Refusal(404, "NoSuchDistribution", MSG_NO_DISTRIBUTION)
                _if_match(req, dist.etag)
                # CloudFront API reference, DeleteDistribution: disable it, wait until the
                # disabling is Deployed, then delete; DistributionNotDisabled (409) before.
                if _enabled(dist) or distribution_status(account, dist_id) != "Deployed":
                    raise Refusal(409, "DistributionNotDisabled", MSG_NOT_DISABLED)
            except Refusal as r:
                return _refuse(account, req, r)
            certificate = _certificate_of(dist)
            resp = forward(req)
            if resp.status >= 300:
                return resp
            account.state(S_DEPLOYS, dict).pop(dist_id, None)
            _release_certificate(account, certificate)
            return resp
    return rule


# ---- rule 5: cache and origin request policies ---------------------------------------------------

# The managed policies, with their ids and configs as CloudFront's developer guide lists them
# ("Use managed cache policies", "Use managed origin request policies").
_MANAGED_TIME = "2020-10-29T18:13:07.187Z"

MANAGED_CACHE_POLICIES: dict[str, dict] = {
    "4135ea2d-6df8-44a3-9df3-4b5a84be39ad": {
        "Comment": "Policy with caching disabled",
        "Name": "Managed-CachingDisabled",
        "DefaultTTL": 0, "MaxTTL": 0, "MinTTL": 0,
        "ParametersInCacheKeyAndForwardedToOrigin": {
            "EnableAcceptEncodingGzip": False, "EnableAcceptEncodingBrotli": False,
            "HeadersConfig": {"HeaderBehavior": "none"},
            "CookiesConfig": {"CookieBehavior": "none"},
            "QueryStringsConfig": {"QueryStringBehavior": "none"},
        },
    },
    "658327ea-f89d-4fab-a63d-7e88639e58f6": {
        "Comment": "Policy with caching enabled. Supports Gzip and Brotli compression.",
        "Name": "Managed-CachingOptimized",
        "DefaultTTL": 86400, "MaxTTL": 31536000, "MinTTL": 1,
        "ParametersInCacheKeyAndForwardedToOrigin": {
            "EnableAcceptEncodingGzip": True, "EnableAcceptEncodingBrotli": True,
            "HeadersConfig": {"HeaderBehavior": "none"},
            "CookiesConfig": {"CookieBehavior": "none"},
            "QueryStringsConfig": {"QueryStringBehavior": "none"},
        },
    },
    "b2884449-e4de-46a7-ac36-70bc7f1ddd6d": {
        "Comment": "Default policy when compression is disabled",
        "Name": "Managed-CachingOptimizedForUncompressedObjects",
        "DefaultTTL": 86400, "MaxTTL": 31536000, "MinTTL": 1,
        "ParametersInCacheKeyAndForwardedToOrigin": {
            "EnableAcceptEncodingGzip": False, "EnableAcceptEncodingBrotli": False,
            "HeadersConfig": {"HeaderBehavior": "none"},
            "CookiesConfig": {"CookieBehavior": "none"},
            "QueryStringsConfig": {"QueryStringBehavior": "none"},
        },
    },
}

MANAGED_ORIGIN_REQUEST_POLICIES: dict[str, dict] = {
    "216adef6-5c7f-47e4-b989-5492eafa07d3": {
        "Comment": "Policy to forward all parameters in viewer requests",
        "Name": "Managed-AllViewer",
        "HeadersConfig": {"HeaderBehavior": "allViewer"},
        "CookiesConfig": {"CookieBehavior": "all"},
        "QueryStringsConfig": {"QueryStringBehavior": "all"},
    },
    "b689b0a8-53d0-40ab-baf2-68738e2966ac": {
        "Comment": "Policy to forward all parameters in viewer requests except for the Host header",
        "Name": "Managed-AllViewerExceptHostHeader",
        "HeadersConfig": {"HeaderBehavior": "allExcept", "Headers": {"Quantity": 1, "Items": ["host"]}},
        "CookiesConfig": {"CookieBehavior": "all"},
        "QueryStringsConfig": {"QueryStringBehavior": "all"},
    },
    "88a5eaf4-2fd4-4709-b370-b4c650ea3fcf": {
        "Comment": "Policy for S3 origin with CORS",
        "Name": "Managed-CORS-S3Origin",
        "HeadersConfig": {"HeaderBehavior": "whitelist", "Headers": {
            "Quantity": 3, "Items": ["origin", "access-control-request-headers", "access-control-request-method"]}},
        "CookiesConfig": {"CookieBehavior": "none"},
        "QueryStringsConfig": {"QueryStringBehavior": "none"},
    },
    "59781a5b-3903-41f3-afcb-af62929ccde1": {
        "Comment": "Policy for custom origin with CORS",
        "Name": "Managed-CORS-CustomOrigin",
        "HeadersConfig": {"HeaderBehavior": "whitelist", "Headers": {"Quantity": 1, "Items": ["origin"]}},
        "CookiesConfig": {"CookieBehavior": "none"},
        "QueryStringsConfig": {"QueryStringBehavior": "none"},
    },
    "acba4595-bd28-49b8-b9fe-13317c0390fa": {
        "Comment": "Policy for forwarding user-agent and referer headers",
        "Name": "Managed-UserAgentRefererHeaders",
        "HeadersConfig": {"HeaderBehavior": "whitelist", "Headers": {"Quantity": 2, "Items": ["user-agent", "referer"]}},
        "CookiesConfig": {"CookieBehavior": "none"},
        "QueryStringsConfig": {"QueryStringBehavior": "none"},
    },
}

# Managed policies have fixed ETags (they never change).
_MANAGED_ETAG = {pid: "E" + hashlib.sha1(pid.encode()).hexdigest().upper()[:13]
                 for pid in [*MANAGED_CACHE_POLICIES, *MANAGED_ORIGIN_REQUEST_POLICIES]}


class PolicyKind:
    """What differs between cache policies and origin request policies."""

    def __init__(self, noun: str, resource: str, state: str, managed: dict[str, dict]):
        self.noun = noun                                    # "CachePolicy"
        self.resource = resource                            # "cache-policy"
        self.state = state
        self.managed = managed
        self.config_shape = f"{noun}Config"
        self.list_shape = f"{noun}List"
        self.summary = f"{noun}Summary"
        words = re.sub(r"(?<=[a-z])(?=[A-Z])", " ", noun).lower()  # "cache policy"
        self.words = words
        self.no_such = f"NoSuch{noun}"
        self.no_such_message = f"The {words} does not exist."
        self.exists = f"{noun}AlreadyExists"
        self.exists_message = (f"A {words} with this name already exists. You must provide a unique name. "
                               f"To modify an existing {words}, use Update{noun}.")
        plural = {"CachePolicy": "CachePolicies", "OriginRequestPolicy": "OriginRequestPolicies"}[noun]
        self.too_many = f"TooMany{plural}"
        self.too_many_message = f"You have reached the maximum number of {words.replace('policy', 'policies')} for this Amazon Web Services account."
        self.in_use = f"{noun}InUse"
        self.in_use_message = f"Cannot delete the {words} because it is attached to one or more cache behaviors."
        self.quota = 20  # CloudFront quotas: 20 cache policies, 20 origin request policies per account.

    def custom(self, account: Account) -> dict[str, dict]:
        return account.state(self.state, dict)

    def record(self, account: Account, policy_id: str) -> dict | None:
        if policy_id in self.managed:
            return {"id": policy_id, "config": self.managed[policy_id], "etag": _MANAGED_ETAG[policy_id],
                    "modified": _MANAGED_TIME, "type": "managed"}
        r = self.custom(account).get(policy_id)
        return dict(r, type="custom") if r is not None else None

    def records(self, account: Account) -> list[dict]:
        out = [self.record(account, pid) for pid in self.managed]
        out += [dict(r, type="custom") for r in self.custom(account).values()]
        return out

    def policy(self, r: dict) -> dict:
        return {"Id": r["id"], "LastModifiedTime": r["modified"], self.config_shape: r["config"]}

    def in_use_by(self, policy_id: str) -> bool:
        index = 0 if self.noun == "CachePolicy" else 1
        return any(p[index] == policy_id for d in _distributions().values() for p in _behavior_policies(d))


CACHE = PolicyKind("CachePolicy", "cache-policy", S_CACHE, MANAGED_CACHE_POLICIES)
ORIGIN = PolicyKind("OriginRequestPolicy", "origin-request-policy", S_ORIGIN, MANAGED_ORIGIN_REQUEST_POLICIES)


def cache_policy_config(account: Account, policy_id: str) -> dict | None:
    """The CachePolicyConfig (boto3's shape) of a managed or custom cache policy, or None."""
    r = CACHE.record(account, policy_id)
    return copy.deepcopy(r["config"]) if r else None


def origin_request_policy_config(account: Account, policy_id: str) -> dict | None:
    """The OriginRequestPolicyConfig (boto3's shape) of a managed or custom policy, or None."""
    r = ORIGIN.record(account, policy_id)
    return copy.deepcopy(r["config"]) if r else None


def _names(config: dict | None, key: str) -> list[str]:
    return list(((config or {}).get(key) or {}).get("Items") or [])


def _require(config: dict, *keys: str) -> None:
    for k in keys:
        if config.get(k) is None:
            raise Refusal(400, "InvalidArgument", f"The parameter {k} is required.")


def validate_cache_policy(config: dict) -> dict:
    _require(config, "Name", "MinTTL", "ParametersInCacheKeyAndForwardedToOrigin")
    params = config["ParametersInCacheKeyAndForwardedToOrigin"]
    _require(params, "EnableAcceptEncodingGzip", "HeadersConfig", "CookiesConfig", "QueryStringsConfig")
    _check_quantities(config)
    config = copy.deepcopy(config)
    # CloudFront API reference, CachePolicyConfig: DefaultTTL defaults to 86400 (or MinTTL when
    # larger), MaxTTL to 31536000 (or DefaultTTL when larger).
    if config.get("DefaultTTL") is None:
        config["DefaultTTL"] = max(86400, config["MinTTL"])
        if config.get("MaxTTL") is not None:
            config["DefaultTTL"] = max(config["MinTTL"], min(config["DefaultTTL"], config["MaxTTL"]))
    if config.get("MaxTTL") is None:
        config["MaxTTL"] = max(31536000, config["DefaultTTL"])
    # CloudFront quotas: 10 headers, 10 cookies, 10 query strings in a cache policy.
    headers = params["HeadersConfig"]
    cookies = params["CookiesConfig"]
    queries = params["QueryStringsConfig"]
    if len(_names(headers, "Headers")) > 10:
        raise Refusal(400, "TooManyHeadersInCachePolicy", "The number of headers in the cache policy exceeds the maximum.")
    if len(_names(cookies, "Cookies")) > 10:
        raise Refusal(400, "TooManyCookiesInCachePolicy", "The number of cookies in the cache policy exceeds the maximum.")
    if len(_names(queries, "QueryStrings")) > 10:
        raise Refusal(400, "TooManyQueryStringsInCachePolicy",
                      "The number of query strings in the cache policy exceeds the maximum.")
    # A policy whose TTLs are all 0 disables caching and can have nothing in its cache key: so
    # a policy that forwards Authorization (only a cache policy can) cannot have every TTL at 0.
    # AWS's messages, verbatim: sladg/nextjs-lambda #89 ("The parameter HeaderBehavior is invalid
    # for policy with caching disabled."), ballPointPenguin/artificial-u #116 (the same for
    # EnableAcceptEncodingGzip); developer guide, "Understand cache policies".
    if config["MinTTL"] == 0 and config["DefaultTTL"] == 0 and config["MaxTTL"] == 0:
        for field, value, off in (("HeaderBehavior", headers.get("HeaderBehavior"), "none"),
                                  ("CookieBehavior", cookies.get("CookieBehavior"), "none"),
                                  ("QueryStringBehavior", queries.get("QueryStringBehavior"), "none"),
                                  ("EnableAcceptEncodingGzip", params.get("EnableAcceptEncodingGzip"), False),
                                  ("EnableAcceptEncodingBrotli", params.get("EnableAcceptEncodingBrotli") or False, False)):
            if value != off:
                raise Refusal(400, "InvalidArgument", f"The parameter {field} is invalid for policy with caching disabled.")
    return config


def validate_origin_request_policy(config: dict) -> dict:
    _require(config, "Name", "HeadersConfig", "CookiesConfig", "QueryStringsConfig")
    _check_quantities(config)
    # Authorization and Accept-Encoding cannot be in an origin request policy (only in a cache
    # policy): "InvalidArgument: The parameter Headers contains Authorization that is not
    # allowed." (aws-cdk #13408, #15286; CloudFront developer guide, origin request policies).
    for name in _names(config["HeadersConfig"], "Headers"):
        if name.strip().lower() in ("authorization", "accept-encoding"):
            raise Refusal(400, "InvalidArgument", f"The parameter Headers contains {name} that is not allowed.")
    if len(_names(config["HeadersConfig"], "Headers")) > 30:
        raise Refusal(400, "TooManyHeadersInOriginRequestPolicy",
                      "The number of headers in the origin request policy exceeds the maximum.")
    return copy.deepcopy(config)


def _validate(kind: PolicyKind, config: dict) -> dict:
    return validate_cache_policy(config) if kind is CACHE else validate_origin_request_policy(config)


def _name_taken(kind: PolicyKind, account: Account, name: str, except_id: str | None) -> bool:
    return any(r["config"].get("Name") == name and r["id"] != except_id for r in kind.records(account))


def policy_rules(account: Account, kind: PolicyKind) -> dict[str, Any]:
    def create(req: Request, forward) -> Response:
        try:
            config = _validate(kind, parse_body(req.body, kind.config_shape))
            with _lock(account):
                custom = kind.custom(account)
                if _name_taken(kind, account, config["Name"], None):
                    raise Refusal(409, kind.exists, kind.exists_message)
                if len(custom) >= kind.quota:
                    raise Refusal(400, kind.too_many, kind.too_many_message)
                pid = str(uuid.uuid4())
                custom[pid] = {"id": pid, "config": config, "etag": _etag(), "modified": _timestamp()}
                r = kind.record(account, pid)
        except Refusal as e:
            return _refuse(account, req, e)
        return answer(201, kind.noun, kind.policy(r), ETag=r["etag"],
                      Location=f"{LOCATION}/{kind.resource}/{pid}")

    def get(req: Request, forward) -> Response:
        r = kind.record(account, req.route.get("id", ""))
        if r is None:
            return account.error(req, 404, kind.no_such, kind.no_such_message)
        return answer(200, kind.noun, kind.policy(r), ETag=r["etag"])

    def get_config(req: Request, forward) -> Response:
        r = kind.record(account, req.route.get("id", ""))
        if r is None:
            return account.error(req, 404, kind.no_such, kind.no_such_message)
        return answer(200, kind.config_shape, r["config"], ETag=r["etag"])

    def list_(req: Request, forward) -> Response:
        try:
            wanted = (req.query.get("Type") or [""])[0]
            if wanted not in ("", "managed", "custom"):
                raise Refusal(400, "InvalidArgument", f"The parameter Type has an invalid value: {wanted}.")
            max_items = _int_param(req, "MaxItems", 100)
            marker = (req.query.get("Marker") or [""])[0]
        except Refusal as e:
            return _refuse(account, req, e)
        records = [r for r in kind.records(account) if not wanted or r["type"] == wanted]
        start = 0
        if marker:
            ids = [r["id"] for r in records]
            start = ids.index(marker) if marker in ids else len(records)
        page = records[start:start + max_items]
        value: dict[str, Any] = {"MaxItems": max_items, "Quantity": len(page)}
        if start + max_items < len(records):
            value["NextMarker"] = records[start + max_items]["id"]
        if page:
            value["Items"] = [{"Type": r["type"], kind.noun: kind.policy(r)} for r in page]
        return answer(200, kind.list_shape, value)

    def update(req: Request, forward) -> Response:
        pid = req.route.get("id", "")
        try:
            with _lock(account):
                r = kind.record(account, pid)
                if r is None:
                    raise Refusal(404, kind.no_such, kind.no_such_message)
                _if_match(req, r["etag"])
                if r["type"] == "managed":
                    raise Refusal(400, "IllegalUpdate", MSG_ILLEGAL_UPDATE)
                config = _validate(kind, parse_body(req.body, kind.config_shape))
                if _name_taken(kind, account, config["Name"], pid):
                    raise Refusal(409, kind.exists, kind.exists_message)
                kind.custom(account)[pid] = {"id": pid, "config": config, "etag": _etag(), "modified": _timestamp()}
                r = kind.record(account, pid)
        except Refusal as e:
            return _refuse(account, req, e)
        return answer(200, kind.noun, kind.policy(r), ETag=r["etag"])

    def delete(req: Request, forward) -> Response:
        pid = req.route.get("id", "")
        try:
            with _lock(account):
                r = kind.record(account, pid)
                if r is None:
                    raise Refusal(404, kind.no_such, kind.no_such_message)
                _if_match(req, r["etag"])
                if r["type"] == "managed":
                    raise Refusal(400, "IllegalDelete", "Managed policies cannot be deleted.")
                if kind.in_use_by(pid):
                    raise Refusal(409, kind.in_use, kind.in_use_message)
                kind.custom(account).pop(pid, None)
        except Refusal as e:
            return _refuse(account, req, e)
        return answer(204, None, None)

    n = kind.noun
    return {f"Create{n}": create, f"Get{n}": get, f"Get{n}Config": get_config,
            f"List{n.replace('Policy', 'Policies')}": list_, f"Update{n}": update, f"Delete{n}": delete}


def _int_param(req: Request, name: str, default: int) -> int:
    raw = (req.query.get(name) or [""])[0]
    if not raw:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise Refusal(400, "InvalidArgument", f"The parameter {name} is not a valid integer.")
    if value < 1:
        raise Refusal(400, "InvalidArgument", f"The parameter {name} must be at least 1.")
    return value


# ---- rule 6: ListConflictingAliases --------------------------------------------------------------

def _foreign_ids(alias: str) -> tuple[str, str]:
    """A stable distribution id and account id for another account's alias."""
    h = hashlib.sha256(_norm(alias).encode()).hexdigest().upper()
    account_id = str(int(h[:16], 16))[-12:].rjust(12, "1")
    if account_id == core.ACCOUNT_ID:
        account_id = "210987654321"
    return "E" + h[16:29], account_id


def _mask(value: str, visible: int) -> str:
    return "*" * max(len(value) - visible, 0) + value[-visible:]


def list_conflicting_aliases(account: Account):
    def rule(req: Request, forward) -> Response:
        # CloudFront API reference, ListConflictingAliases and ConflictingAlias: the aliases
        # that equal or overlap (a wildcard covering it, or covered by it) the given one, with
        # the distribution and account ids "partially hidden" for ones that you don't own.
        try:
            dist_id = (req.query.get("DistributionId") or [""])[0]
            alias = (req.query.get("Alias") or [""])[0]
            if not dist_id:
                raise Refusal(400, "InvalidArgument", "The parameter DistributionId is required.")
            if not alias:
                raise Refusal(400, "InvalidArgument", "The parameter Alias is required.")
            if dist_id not in _distributions():
                raise Refusal(404, "NoSuchDistribution", MSG_NO_DISTRIBUTION)
            max_items = _int_param(req, "MaxItems", 100)
            marker = (req.query.get("Marker") or [""])[0]
        except Refusal as e:
            return _refuse(account, req, e)
        found: list[dict] = []
        for did, dist in sorted(_distributions().items()):
            for a in _aliases_of(dist):
                if overlaps(a, alias):
                    found.append({"Alias": a, "DistributionId": did, "AccountId": core.ACCOUNT_ID})
        for a in sorted(account.state(S_FOREIGN, set)):
            if overlaps(a, alias):
                fid, facct = _foreign_ids(a)
                found.append({"Alias": a, "DistributionId": _mask(fid, 6), "AccountId": _mask(facct, 6)})
        start = int(marker) if marker.isdigit() else 0
        page = found[start:start + max_items]
        value: dict[str, Any] = {"MaxItems": max_items, "Quantity": len(page), "Items": page}
        if start + max_items < len(found):
            value["NextMarker"] = str(start + max_items)
        return answer(200, "ConflictingAliasesList", value)
    return rule


# ---- the control endpoint ------------------------------------------------------------------------

CONTROL = "/strict-api/cloudfront/foreign-aliases"


def control_handler(account: Account):
    def handler(req: Request) -> Response | None:
        if req.path != CONTROL:
            return None
        foreign = account.state(S_FOREIGN, set)
        if req.method == "POST":
            try:
                aliases = req.json().get("aliases")
                if not isinstance(aliases, list) or not all(isinstance(a, str) for a in aliases):
                    raise ValueError("aliases must be a list of names")
            except ValueError as e:
                return Response(400, [("Content-Type", "application/json")],
                                json.dumps({"message": str(e)}).encode())
            with account.lock:
                foreign.clear()
                foreign.update(_norm(a) for a in aliases)
        elif req.method == "DELETE":
            foreign.clear()
        elif req.method != "GET":
            return Response(405, [("Content-Type", "application/json")], b'{"message": "GET, POST or DELETE"}')
        return Response(200, [("Content-Type", "application/json")],
                        json.dumps({"aliases": sorted(foreign)}).encode())
    return handler


# ---- installation ----------------------------------------------------------------------------------

ROUTES = [
    ("POST", rf"{API}/distribution", "CreateDistribution"),  # ?WithTags: CreateDistributionWithTags
    ("GET", rf"{API}/distribution", "ListDistributions"),
    ("GET", rf"{API}/distribution/(?P<id>[^/]+)", "GetDistribution"),
    ("GET", rf"{API}/distribution/(?P<id>[^/]+)/config", "GetDistributionConfig"),
    ("PUT", rf"{API}/distribution/(?P<id>[^/]+)/config", "UpdateDistribution"),
    ("DELETE", rf"{API}/distribution/(?P<id>[^/]+)", "DeleteDistribution"),
    ("POST", rf"{API}/distribution/(?P<id>[^/]+)/invalidation", "CreateInvalidation"),
    ("GET", rf"{API}/distribution/(?P<id>[^/]+)/invalidation", "ListInvalidations"),
    ("GET", rf"{API}/distribution/(?P<id>[^/]+)/invalidation/(?P<invalidation>[^/]+)", "GetInvalidation"),
    ("GET", rf"{API}/tagging", "ListTagsForResource"),
    ("POST", rf"{API}/tagging", "TagResource"),  # ?Operation=Untag: UntagResource
    ("GET", rf"{API}/conflicting-alias", "ListConflictingAliases"),
]
for _kind in ("cache-policy", "origin-request-policy"):
    _noun = "CachePolicy" if _kind == "cache-policy" else "OriginRequestPolicy"
    _plural = _noun.replace("Policy", "Policies")
    ROUTES += [
        ("POST", rf"{API}/{_kind}", f"Create{_noun}"),
        ("GET", rf"{API}/{_kind}", f"List{_plural}"),
        ("GET", rf"{API}/{_kind}/(?P<id>[^/]+)", f"Get{_noun}"),
        ("GET", rf"{API}/{_kind}/(?P<id>[^/]+)/config", f"Get{_noun}Config"),
        ("PUT", rf"{API}/{_kind}/(?P<id>[^/]+)", f"Update{_noun}"),
        ("DELETE", rf"{API}/{_kind}/(?P<id>[^/]+)", f"Delete{_noun}"),
    ]


def install(account: Account) -> None:
    _patch_moto()
    model()
    for method, pattern, operation in ROUTES:
        account.route("cloudfront", method, pattern, operation)

    # Two operations share a path and differ by a query flag; the route tables match paths
    # only, so the operation is named here (faults and limits can then name it).
    identify = account.identify

    def identify_cloudfront(req: Request) -> None:
        identify(req)
        if req.service != "cloudfront":
            return
        if req.operation == "CreateDistribution" and "WithTags" in req.query:
            req.operation = "CreateDistributionWithTags"
        elif req.operation == "TagResource" and (req.query.get("Operation") or [""])[0] == "Untag":
            req.operation = "UntagResource"

    account.identify = identify_cloudfront

    create = create_distribution(account)
    account.rule("cloudfront", "CreateDistribution", create)
    account.rule("cloudfront", "CreateDistributionWithTags", create)
    account.rule("cloudfront", "UpdateDistribution", update_distribution(account))
    account.rule("cloudfront", "DeleteDistribution", delete_distribution(account))
    for kind in (CACHE, ORIGIN):
        for operation, rule in policy_rules(account, kind).items():
            account.rule("cloudfront", operation, rule)
    account.rule("cloudfront", "ListConflictingAliases", list_conflicting_aliases(account))

    # CloudFront quotas / API reference: distribution and policy changes throttle under load
    # ("Throttling", HTTP 400, "Rate exceeded").
    account.limit("cloudfront", MUTATIONS, "cloudfront_mutations", "cloudfront_window",
                  status=400, code="Throttling", message="Rate exceeded")
    # First: control.py answers every other /strict-api/ path itself (404 for unknown ones).
    account.handlers.insert(0, control_handler(account))
