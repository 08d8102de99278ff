"""STS's rules (query protocol), kept in front of moto.

- `AssumeRole` needs a role that exists and whose trust policy lets the caller assume it: an
  `Allow` statement for `sts:AssumeRole` naming as its `AWS` principal the caller's ARN, its
  account (`arn:aws:iam::ACCOUNT:root` or the bare id), or `*`. Otherwise `AccessDenied`, HTTP
  403, "User: CALLER is not authorized to perform: sts:AssumeRole on resource: ROLE". Source:
  IAM user guide, "Granting a user permissions to switch roles" (the trust policy must name
  the account or the user) and STS API reference, AssumeRole errors. moto issues credentials
  for any role ARN, even one that does not exist. The caller's own identity policy (which must
  allow sts:AssumeRole when the trust policy names only the account) is not evaluated.
"""

from __future__ import annotations

import json

from .core import ACCOUNT_ID, Account, Forward, Request, Response


def install(account: Account) -> None:
    account.rule("sts", "AssumeRole", _assume_role(account))


def _caller(account: Account, req: Request) -> str:
    """The signer's ARN, as signers.py resolves it (the account's own keys are user/KEY)."""
    from . import signers

    auth = req.headers.get("authorization", "")
    key = auth.split("Credential=", 1)[1].split("/", 1)[0] if "Credential=" in auth else ""
    found = signers.find(ACCOUNT_ID, key, account.state("credentials", lambda: {"testing": "testing"}))
    return found.arn if found else f"arn:aws:iam::{ACCOUNT_ID}:user/{key or 'anonymous'}"


def _listed(value) -> list:
    return value if isinstance(value, list) else [value]


def trusts(document: str | dict, caller: str) -> bool:
    """Whether a trust policy allows `caller` to assume the role."""
    policy = json.loads(document) if isinstance(document, str) else document
    accepted = {"*", ACCOUNT_ID, f"arn:aws:iam::{ACCOUNT_ID}:root", caller}
    for statement in _listed(policy.get("Statement", [])):
        if statement.get("Effect") != "Allow":
            continue
        if not any(a in ("sts:AssumeRole", "sts:*", "*") for a in _listed(statement.get("Action", []))):
            continue
        principal = statement.get("Principal")
        named = _listed(principal.get("AWS", [])) if isinstance(principal, dict) else _listed(principal)
        if any(p in accepted for p in named):
            return True
    return False


def _assume_role(account: Account):
    def rule(req: Request, forward: Forward) -> Response:
        from moto.iam.models import iam_backends

        arn = req.form().get("RoleArn", "")
        role = next((r for r in list(iam_backends[ACCOUNT_ID]["aws"].roles.values()) if r.arn == arn), None)
        caller = _caller(account, req)
        if role is None or not trusts(role.assume_role_policy_document, caller):
            return account.error(req, 403, "AccessDenied",
                                 f"User: {caller} is not authorized to perform: sts:AssumeRole on resource: {arn}")
        return forward(req)
    return rule
