"""Route 53's rules (REST-XML), kept in front of moto.

- Every answer that carries a `ChangeInfo` (ChangeResourceRecordSets, Create/DeleteHostedZone,
  (Dis)AssociateVPC...) says `PENDING` with a change id of its own; `GetChange` says `PENDING`
  until `route53_insync` after the change, then `INSYNC`; an unknown id is `NoSuchChange`.
  Source: Route 53 API reference, ChangeResourceRecordSets ("PENDING indicates that the changes
  in this request have not propagated to all Amazon Route 53 DNS servers. This is the initial
  status of all change batch requests.") and GetChange ("INSYNC ... typically within 60 s").
  moto answers INSYNC at once, with one fixed change id for every batch.
- 5 requests per second per account across all Route 53 API operations: `Throttling`, HTTP 400.
  Source: Route 53 developer guide, Quotas, "Quotas on Route 53 API requests" ("five requests
  per second per AWS account"). moto has no limit.
- `PriorRequestNotComplete` (400) for a change to a zone while a previous change to that zone
  is still being processed. Source: Route 53 API reference, ChangeResourceRecordSets errors
  ("If you already submitted a request and the request hasn't been processed yet"). AWS does
  not say how long processing takes; the SDKs and tools that retry it (terraform-provider-aws,
  aws-cdk) see it for fractions of a second after a change, so it is modelled here as
  `route53_zone_busy` = 0.5 s (AWS scale) after each accepted change to the zone.
- `InvalidChangeBatch` (400) for a CREATE of a record set that exists and for a DELETE of one that
  does not exist or whose values differ, all of a batch's problems in one message, as AWS writes
  them: "[Tried to create resource record set [name='x.', type='A'] but it already exists]".
  Source: Route 53 API reference, ChangeResourceRecordSets (CREATE "returns an error if a
  resource record set already exists"; DELETE needs "all the same values"). moto checks CREATE
  against its change journal only (a CREATE with other values is accepted, and a record deleted
  and created again is refused), and answers a bad DELETE with `InvalidInput`.

Other modules: `record_since(account, name, rtype, value)` tells when a record came to exist in
the account's public hosted zones (ACM's DNS validation uses it).
"""

from __future__ import annotations

import copy
import random
import re
import string
import threading
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field

from .core import ACCOUNT_ID, Account, Forward, Request, Response

NS = "{https://route53.amazonaws.com/doc/2013-04-01/}"
V = r"/(?P<version>[\d-]+)"
ZONE = V + r"/hostedzone/(?P<zone>[^/]+)"

# The operations that answer a ChangeInfo: each gets a change id that GetChange knows.
CHANGE_OPERATIONS = ("CreateHostedZone", "DeleteHostedZone", "ChangeResourceRecordSets",
                     "AssociateVPCWithHostedZone", "DisassociateVPCFromHostedZone")

# Record types whose values are domain names: compared without case or the final dot.
NAME_VALUED = {"CNAME", "NS", "PTR"}


@dataclass
class State:
    # change id -> (submitted at on the account clock, SubmittedAt as first answered)
    changes: dict[str, tuple[float, bytes]] = field(default_factory=dict)
    busy_until: dict[str, float] = field(default_factory=dict)  # zone id -> end of its processing
    since: dict[tuple, float] = field(default_factory=dict)  # (zone, name, type, value) -> created at
    lock: threading.Lock = field(default_factory=threading.Lock)


def state(account: Account) -> State:
    return account.state("route53", State)


def install(account: Account) -> None:
    for method, pattern, operation in [
        ("POST", V + r"/hostedzone", "CreateHostedZone"),
        ("GET", V + r"/hostedzone", "ListHostedZones"),
        ("GET", V + r"/hostedzonesbyname", "ListHostedZonesByName"),
        ("GET", V + r"/hostedzonecount", "GetHostedZoneCount"),
        ("GET", ZONE, "GetHostedZone"),
        ("DELETE", ZONE, "DeleteHostedZone"),
        ("POST", ZONE, "UpdateHostedZoneComment"),
        ("POST", ZONE + r"/rrset/?", "ChangeResourceRecordSets"),
        ("GET", ZONE + r"/rrset/?", "ListResourceRecordSets"),
        ("POST", ZONE + r"/associatevpc/?", "AssociateVPCWithHostedZone"),
        ("POST", ZONE + r"/disassociatevpc/?", "DisassociateVPCFromHostedZone"),
        ("GET", V + r"/change/(?P<change>[^/]+)", "GetChange"),
        ("GET", V + r"/tags/hostedzone/(?P<zone>[^/]+)", "ListTagsForResource"),
        ("POST", V + r"/tags/hostedzone/(?P<zone>[^/]+)", "ChangeTagsForResource"),
    ]:
        account.route("route53", method, pattern, operation)

    # Route 53 quotas: five requests per second per account, every operation counted.
    account.limit("route53", None, 5, "route53_window", status=400, code="Throttling", message="Rate exceeded")

    for operation in CHANGE_OPERATIONS:
        account.rule("route53", operation, _pending(account))
    account.rule("route53", "ChangeResourceRecordSets", _change_rrsets(account))
    account.rule("route53", "GetChange", _get_change(account))
    _patch_moto()


# ---- PENDING, then INSYNC ---------------------------------------------------------------------

def _new_change_id() -> str:
    # AWS's change ids: "C" and upper-case letters and digits, e.g. C2682N5HXP0BZ4.
    return "C" + "".join(random.choices(string.ascii_uppercase + string.digits, k=20))


def _mark_pending(account: Account, resp: Response) -> Response:
    """moto's INSYNC ChangeInfo rewritten as AWS's first answer: a new change id, PENDING."""
    if resp.status >= 300 or b"<ChangeInfo>" not in resp.body:
        return resp
    change_id = _new_change_id()
    submitted = re.search(rb"<SubmittedAt>([^<]*)</SubmittedAt>", resp.body)
    with state(account).lock:
        state(account).changes[change_id] = (account.now(), submitted.group(1) if submitted else b"")

    def rewrite(m: re.Match) -> bytes:
        info = re.sub(rb"<Id>[^<]*</Id>", f"<Id>/change/{change_id}</Id>".encode(), m.group(0), count=1)
        return re.sub(rb"<Status>[^<]*</Status>", b"<Status>PENDING</Status>", info, count=1)

    body = re.sub(rb"<ChangeInfo>.*?</ChangeInfo>", rewrite, resp.body, count=1, flags=re.S)
    return Response(resp.status, resp.headers, body)


def _pending(account: Account):
    def rule(req: Request, forward: Forward) -> Response:
        return _mark_pending(account, forward(req))
    return rule


def _get_change(account: Account):
    def rule(req: Request, forward: Forward) -> Response:
        change_id = req.route["change"].rsplit("/", 1)[-1]
        known = state(account).changes.get(change_id)
        if known is None:
            return account.error(req, 404, "NoSuchChange", "A change with the specified change ID does not exist.")
        resp = forward(req)
        if resp.status >= 300:
            return resp
        submitted, submitted_at = known
        status = b"INSYNC" if account.now() - submitted >= account.seconds("route53_insync") else b"PENDING"
        body = re.sub(rb"<Id>[^<]*</Id>", f"<Id>/change/{change_id}</Id>".encode(), resp.body, count=1)
        body = re.sub(rb"<Status>[^<]*</Status>", b"<Status>" + status + b"</Status>", body, count=1)
        if submitted_at:  # moto says "now"; AWS says when the change was submitted
            body = re.sub(rb"<SubmittedAt>[^<]*</SubmittedAt>", b"<SubmittedAt>" + submitted_at + b"</SubmittedAt>",
                          body, count=1)
        return Response(resp.status, resp.headers, body)
    return rule


# ---- ChangeResourceRecordSets: a busy zone, and the batch checked against the zone -----------

def _change_rrsets(account: Account):
    lock = threading.Lock()  # one batch at a time: checked and applied against the same records

    def rule(req: Request, forward: Forward) -> Response:
        zone_id = req.route["zone"].rsplit("/", 1)[-1]
        try:
            changes = _parse_changes(req.body)
        except (ET.ParseError, ValueError):
            return forward(req)  # moto reports a malformed request as it does
        st = state(account)
        with lock:
            now = account.now()
            if now < st.busy_until.get(zone_id, float("-inf")):
                return account.error(req, 400, "PriorRequestNotComplete",
                                     "The request was rejected because Route 53 was still processing a prior request.")
            zone = _zone(zone_id)
            if zone is None:
                return forward(req)  # NoSuchHostedZone, as moto says it
            records = {_key(r["name"], r["type"], r["set_id"]): r for r in map(_from_moto, zone.rrsets)}
            before = copy.deepcopy(records)
            problems = _check(changes, records)
            if problems:
                return account.error(req, 400, "InvalidChangeBatch", "[" + ", ".join(problems) + "]")
            resp = forward(req)
            if resp.status < 300:
                st.busy_until[zone_id] = now + account.seconds("route53_zone_busy")
                _note_times(st, zone_id, before, records, now)
            return _mark_pending(account, resp)
    return rule


def _parse_changes(body: bytes) -> list[dict]:
    root = ET.fromstring(body)
    changes = []
    for change in root.iter(NS + "Change"):
        rrset = change.find(NS + "ResourceRecordSet")
        if rrset is None:
            raise ValueError("no ResourceRecordSet")
        alias = rrset.find(NS + "AliasTarget")
        changes.append({
            "action": (change.findtext(NS + "Action") or "").strip(),
            "name": rrset.findtext(NS + "Name") or "",
            "type": (rrset.findtext(NS + "Type") or "").strip(),
            "set_id": rrset.findtext(NS + "SetIdentifier"),
            "ttl": rrset.findtext(NS + "TTL"),
            "values": [v.text or "" for v in rrset.iter(NS + "Value")],
            "alias": None if alias is None else {
                "zone": alias.findtext(NS + "HostedZoneId") or "",
                "dns": alias.findtext(NS + "DNSName") or "",
                "health": alias.findtext(NS + "EvaluateTargetHealth") or "false",
            },
        })
    return changes


def _check(changes: list[dict], records: dict) -> list[str]:
    """AWS's InvalidChangeBatch messages for `changes` applied in order to `records` (which this
    updates as the batch would: a DELETE then a CREATE of one name in one batch is valid)."""
    problems = []
    for c in changes:
        key = _key(c["name"], c["type"], c["set_id"])
        where = f"[name='{key[0]}', type='{c['type']}'" + (f", set-identifier='{c['set_id']}'" if c["set_id"] else "") + "]"
        if c["action"] == "CREATE":
            if key in records:
                problems.append(f"Tried to create resource record set {where} but it already exists")
            else:
                records[key] = c
        elif c["action"] == "DELETE":
            current = records.get(key)
            if current is None:
                problems.append(f"Tried to delete resource record set {where} but it was not found")
            elif _values(current) != _values(c):
                problems.append(f"Tried to delete resource record set {where} "
                                "but the values provided do not match the current values")
            else:
                del records[key]
        elif c["action"] == "UPSERT":
            records[key] = c
    return problems


def _norm_name(name: str) -> str:
    # Route 53 keeps names in lower case, fully qualified, with "*" written as \052.
    name = name.strip().lower().replace("\\052", "*")
    return name if name.endswith(".") else name + "."


def _key(name: str, rtype: str, set_id) -> tuple:
    return (_norm_name(name), rtype.upper(), set_id or None)


def _values(r: dict) -> tuple:
    """What a DELETE must repeat: the TTL and the values, or the alias target."""
    if r.get("alias"):
        a = r["alias"]
        return ("alias", a["zone"].rsplit("/", 1)[-1], _norm_name(a["dns"]), str(a["health"]).lower())
    values = r.get("values") or []
    if r["type"].upper() in NAME_VALUED:
        values = [_norm_name(v) for v in values]
    else:
        values = [v.strip() for v in values]
    return ("records", str(r.get("ttl")).strip(), tuple(sorted(values)))


def _from_moto(rrset) -> dict:
    """moto's RecordSet as a parsed change's record (values may be strings or {"Value": ...})."""
    alias = rrset.alias_target
    return {
        "name": rrset.name, "type": rrset.type or "", "set_id": rrset.set_identifier,
        "ttl": rrset.ttl,
        "values": [v["Value"] if isinstance(v, dict) else str(v) for v in (rrset.records or [])],
        "alias": None if not alias else {
            "zone": alias.get("HostedZoneId", ""), "dns": alias.get("DNSName", ""),
            "health": str(alias.get("EvaluateTargetHealth", "false")),
        },
    }


def _note_times(st: State, zone_id: str, before: dict, after: dict, now: float) -> None:
    """When each record value came to exist: a value that an UPSERT keeps keeps its time."""
    def value_set(records: dict, key) -> set:
        r = records.get(key)
        return set() if r is None or r.get("alias") else set(_values(r)[-1])

    with st.lock:
        for key in set(before) | set(after):
            old, new = value_set(before, key), value_set(after, key)
            for value in old - new:
                st.since.pop((zone_id, key[0], key[1], value), None)
            for value in new - old:
                st.since[(zone_id, key[0], key[1], value)] = now


# ---- moto's backend ---------------------------------------------------------------------------

def _backend():
    from moto.route53.models import route53_backends
    return route53_backends[ACCOUNT_ID]["aws"]


def _zone(zone_id: str):
    return _backend().zones.get(zone_id)


def record_since(account: Account, name: str, rtype: str, value: str | None = None) -> float | None:
    """When (account clock) the record `name`/`rtype` (with `value`, if given) came to exist in
    the account's public hosted zone for it, the zone whose name is the longest suffix of
    `name`; None while it does not exist. A zone made to stand for "outside DNS" counts the same.
    """
    name = _norm_name(name)
    zones = [z for z in list(_backend().zones.values()) if not getattr(z, "private_zone", False)
             and (name == _norm_name(z.name) or name.endswith("." + _norm_name(z.name)))]
    if not zones:
        return None
    longest = max(len(_norm_name(z.name)) for z in zones)
    st = state(account)
    found = []
    for zone in (z for z in zones if len(_norm_name(z.name)) == longest):
        for rrset in list(zone.rrsets):
            r = _from_moto(rrset)
            if _norm_name(r["name"]) != name or r["type"].upper() != rtype.upper() or r["alias"]:
                continue
            values = _values(r)[-1]
            wanted = [_norm_name(value) if rtype.upper() in NAME_VALUED else value] if value else values
            for v in wanted:
                if v in values:
                    # A record made without this module (before it, or through CloudFormation):
                    # it exists from the first time it is seen.
                    with st.lock:
                        found.append(st.since.setdefault((zone.resource_id, name, rtype.upper(), v), account.now()))
    return min(found) if found else None


_patched = False


def _patch_moto() -> None:
    """moto's own pre-checks compare a batch with its change journal, not with the zone: once
    this module has checked the batch against the zone's records, they only get in the way
    (a record deleted and created again is refused as existing). Pinned to moto 5.2.5's
    Route53Backend.change_resource_record_sets, less its two pre-check loops, with names in
    lower case."""
    global _patched
    if _patched:
        return
    from moto.route53 import models
    from moto.route53.exceptions import DnsNameInvalidForZone, InvalidActionValue
    from moto.route53.utils import validate_domain_name

    def change_resource_record_sets(self, zoneid, change_list):
        the_zone = self.get_hosted_zone(zoneid)
        for value in change_list:
            validate_domain_name(value["ResourceRecordSet"]["Name"], code="InvalidChangeBatch")
        for value in change_list:
            original_change = copy.deepcopy(value)
            action = value["Action"]
            if action not in ("CREATE", "UPSERT", "DELETE"):
                raise InvalidActionValue(action)
            record_set = value["ResourceRecordSet"]
            # Route 53 names are case-insensitive and kept in lower case; moto compares them as given.
            record_set["Name"] = record_set["Name"].lower()
            if not record_set["Name"].strip(".").endswith(the_zone.name.strip(".")):
                raise DnsNameInvalidForZone(name=record_set["Name"], zone_name=the_zone.name)
            if not record_set["Name"].endswith("."):
                record_set["Name"] += "."
            if action in ("CREATE", "UPSERT"):
                if "ResourceRecords" in record_set:
                    record_set["ResourceRecords"] = [x["Value"] for x in record_set["ResourceRecords"]]
                if action == "CREATE":
                    the_zone.add_rrset(record_set)
                else:
                    the_zone.upsert_rrset(record_set)
            elif action == "DELETE":
                if "SetIdentifier" in record_set:
                    the_zone.delete_rrset_by_id(record_set["SetIdentifier"])
                else:
                    the_zone.delete_rrset(record_set)
            the_zone.rr_changes.append(original_change)

    models.Route53Backend.change_resource_record_sets = change_resource_record_sets
    _patched = True
