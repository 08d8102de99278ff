"""Who signed a request to an `AWS_IAM` method, and whether IAM lets that principal invoke it.

API Gateway's IAM authorization (API Gateway developer guide, "Control access to a REST API
with IAM permissions") accepts a SigV4 signature made with credentials the account issued, and
then evaluates the caller's identity-based policies for `execute-api:Invoke` on
`arn:aws:execute-api:REGION:ACCOUNT:API_ID/STAGE/METHOD/RESOURCE_PATH`. The signers here are:

- an IAM user's active access key (`CreateAccessKey`): `userArn` is the user's ARN, `caller`
  and `user` its unique id (`AIDA...`); its inline, attached and groups' policies apply;
- an STS `AssumeRole` session (access key, secret and session token, until its expiration):
  `userArn` is `arn:aws:sts::ACCOUNT:assumed-role/ROLE/SESSION`, `caller` and `user` are
  `ROLE_ID:SESSION`; the role's inline and attached policies apply;
- the account's own keys, `account.state("credentials")` (access key -> secret, or -> {"secret",
  "session_token", "arn"}): what the local stack's tools sign the control plane with
  (`testing`), as moto accepts them. They act as the account's administrator: no policy is
  evaluated for them.

Policies are evaluated with moto's IAMPolicy (Action and Resource wildcards, explicit Deny
first). Session policies passed to AssumeRole, permissions boundaries and `Condition` blocks
are not emulated faithfully (moto reads any condition as not met): edgestack and its tests
use none.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from typing import Callable

PARTITION = "aws"


@dataclass
class Signer:
    access_key: str
    secret: str
    session_token: str | None
    arn: str
    # API Gateway's $context.identity.caller and .user: the principal's unique id.
    principal_id: str
    expiration: dt.datetime | None
    # The identity-based policy documents (JSON text) that apply; None: the account's own key.
    policies: Callable[[], list[str]] | None

    @property
    def identity(self) -> dict:
        return {"accessKey": self.access_key, "arn": self.arn, "caller": self.principal_id,
                "user": self.principal_id}


def find(account_id: str, access_key: str, static: dict) -> Signer | None:
    """The signer whose access key is `access_key`, or None when the account issued no such key."""
    entry = static.get(access_key)
    if entry is not None:
        if isinstance(entry, str):
            secret, token, arn = entry, None, None
        else:
            secret = entry.get("secret") or entry.get("secret_access_key")
            token = entry.get("session_token") or entry.get("token")
            arn = entry.get("arn")
        arn = arn or f"arn:aws:iam::{account_id}:user/{access_key}"
        return Signer(access_key, secret, token, arn, access_key, None, None)
    return _iam_user(account_id, access_key) or _assumed_role(account_id, access_key)


def _iam_user(account_id: str, access_key: str) -> Signer | None:
    from moto.iam.models import iam_backends

    backend = iam_backends[account_id][PARTITION]
    for user in list(backend.users.values()):
        for key in list(user.access_keys):
            if key.access_key_id == access_key and key.status == "Active":
                return Signer(access_key, key.secret_access_key, None, user.arn, user.id, None,
                              lambda name=user.name: _user_policies(backend, name))
    return None


def _assumed_role(account_id: str, access_key: str) -> Signer | None:
    from moto.sts.models import sts_backends

    for session in list(sts_backends[account_id][PARTITION].assumed_roles):
        if session.access_key_id == access_key:
            role_name = session.role_arn.split("/")[-1]
            expiration = session.expiration
            if expiration.tzinfo is None:
                expiration = expiration.replace(tzinfo=dt.timezone.utc)
            from moto.iam.models import iam_backends

            backend = iam_backends[account_id][PARTITION]
            return Signer(access_key, session.secret_access_key, session.session_token, session.arn,
                          session.user_id, expiration, lambda: _role_policies(backend, role_name))
    return None


def _document(policy) -> str:
    """A policy document's JSON text, from an inline policy (text) or a managed one (versions)."""
    if isinstance(policy, str):
        return policy
    versions = getattr(policy, "versions", None)
    if versions is not None:
        return next(v.document for v in versions if v.is_default)
    return policy["policy_document"] if isinstance(policy, dict) else policy.document


def _user_policies(backend, name: str) -> list[str]:
    documents = [backend.get_user_policy(name, p)["policy_document"] for p in list(backend.list_user_policies(name))]
    documents += [_document(p) for p in backend.list_attached_user_policies(name)[0]]
    for group in backend.get_groups_for_user(name):
        documents += [backend.get_group_policy(group.name, p)["policy_document"]
                      for p in backend.list_group_policies(group.name)]
        documents += [_document(p) for p in backend.list_attached_group_policies(group.name)[0]]
    return documents


def _role_policies(backend, name: str) -> list[str]:
    documents = [backend.get_role_policy(name, p)[1] for p in list(backend.list_role_policies(name))]
    documents += [_document(p) for p in backend.list_attached_role_policies(name)[0]]
    return documents


def may_invoke(signer: Signer, resource_arn: str) -> bool:
    """IAM's evaluation of `execute-api:Invoke` on `resource_arn` for `signer`: an explicit Deny
    wins, else an Allow is needed (IAM user guide, "Policy evaluation logic")."""
    if signer.policies is None:
        return True
    from moto.iam.access_control import IAMPolicy, PermissionResult

    try:
        documents = signer.policies()
    except Exception:  # the user or role is gone (NoSuchEntity): IAM allows it nothing
        return False
    allowed = False
    for document in documents:
        if isinstance(document, dict):
            document = json.dumps(document)
        result = IAMPolicy(document).is_action_permitted("execute-api:Invoke", resource_arn)
        if result == PermissionResult.DENIED:
            return False
        allowed = allowed or result == PermissionResult.PERMITTED
    return allowed
