"""schemathesis hooks for scripts/contract.sh (loaded through SCHEMATHESIS_HOOKS): every request
signed with SigV4, and a fix for Hypothesis on older CPython.

CPython 3.11 before 3.11.8 and 3.12 before 3.12.2 (gh-106905) can raise
`SystemError: AST constructor recursion depth mismatch` from `ast.parse` of a large module.
Hypothesis parses schemathesis' own sources that way only to describe a filter's lambda in a
strategy's repr; a failed description must not end a test run, so it falls back to the
placeholder hypothesis itself uses when it cannot find a lambda's source.
"""

from hypothesis.internal import lambda_sources

_describe = lambda_sources.lambda_description


def _lambda_description(f):
    try:
        return _describe(f)
    except SystemError:
        return "lambda: <unknown>"


lambda_sources.lambda_description = _lambda_description


import sys

import schemathesis

# ---- every request signed, as a team's client signs ---------------------------------------------
# The local stack serves the API as deployed: API Gateway verifies SigV4 (service execute-api)
# against credentials the account issued. The run signs as a session of a role of its own
# (CONTRACT_ROLE), made in the account (CONTRACT_ACCOUNT_URL) at the first request, so the
# stacks it lists are only its own.
import json
import os
import threading

import requests
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
from botocore.session import Session

_INVOKE_ANY_API = json.dumps({"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Action": "execute-api:Invoke", "Resource": "arn:aws:execute-api:*:*:*/*"}]})
_TRUST_THE_ACCOUNT = json.dumps({"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::123456789012:root"}, "Action": "sts:AssumeRole"}]})
_credentials: Credentials | None = None
_lock = threading.Lock()


def _session_credentials() -> Credentials:
    global _credentials
    with _lock:
        if _credentials is None:
            role = os.environ["CONTRACT_ROLE"]
            account = {"region_name": os.environ["CONTRACT_REGION"],
                       "endpoint_url": os.environ["CONTRACT_ACCOUNT_URL"],
                       # The local account's own keys: this never reaches a real account.
                       "aws_access_key_id": "testing", "aws_secret_access_key": "testing"}
            session = Session()
            iam = session.create_client("iam", **account)
            made = iam.create_role(RoleName=role, AssumeRolePolicyDocument=_TRUST_THE_ACCOUNT)["Role"]
            iam.put_role_policy(RoleName=role, PolicyName="invoke-edgestack", PolicyDocument=_INVOKE_ANY_API)
            given = session.create_client("sts", **account).assume_role(
                RoleArn=made["Arn"], RoleSessionName="contract-run")
            c = given["Credentials"]
            _credentials = Credentials(c["AccessKeyId"], c["SecretAccessKey"], c["SessionToken"])
            print(f"contract_hooks: signing as {given['AssumedRoleUser']['Arn']}", file=sys.stderr)
        return _credentials


class _SigV4(requests.auth.AuthBase):
    """Signs the request as prepared: its method, URL (this host and path, as API Gateway
    receives them), Content-Type and body."""

    def __call__(self, prepared: requests.PreparedRequest) -> requests.PreparedRequest:
        # requests writes a space in the query as `+`; SigV4 wants it as `%20` (a `+` is not
        # unreserved, so a literal one is sent `%2B`), and signers differ on what a `+` means.
        url, question, query = prepared.url.partition("?")
        if question:
            prepared.url = f"{url}?{query.replace('+', '%20')}"
        body = prepared.body or b""
        if isinstance(body, str):
            body = body.encode()
        headers = {k: v for k, v in prepared.headers.items() if k.lower() == "content-type"}
        signable = AWSRequest(method=prepared.method, url=prepared.url, data=body, headers=headers)
        SigV4Auth(_session_credentials(), "execute-api", os.environ["CONTRACT_REGION"]).add_auth(signable)
        for name in ("Authorization", "X-Amz-Date", "X-Amz-Security-Token"):
            prepared.headers[name] = signable.headers[name]
        return prepared


@schemathesis.hook
def before_call(context, case, kwargs) -> None:
    kwargs["auth"] = _SigV4()
