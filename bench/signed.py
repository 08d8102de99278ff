"""The provisioning API called as a team's client calls it: each request signed with SigV4
(service execute-api) by a session of an IAM role of the caller's own, which the local account
makes and issues (`boto3`'s IAM and STS against AWS_ENDPOINT_URL; `botocore` signs)."""

import json
import urllib.error
import urllib.request

import boto3
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

INVOKE_ANY_API = json.dumps({"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Action": "execute-api:Invoke", "Resource": "arn:aws:execute-api:*:*:*/*"}]})
MAX_SESSION_SECONDS = 12 * 3600
TRUST_THE_ACCOUNT = json.dumps({"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::123456789012:root"}, "Action": "sts:AssumeRole"}]})


class Caller:
    """A session of role `role` (made with an invoke policy) signing calls to the API."""

    def __init__(self, e: dict, role: str):
        account = {"region_name": e["AWS_REGION"], "endpoint_url": e["AWS_ENDPOINT_URL"],
                   "aws_access_key_id": e["AWS_ACCESS_KEY_ID"], "aws_secret_access_key": e["AWS_SECRET_ACCESS_KEY"]}
        iam = boto3.client("iam", **account)
        # Sessions last an hour unless asked for longer; a benchmark at a larger time scale runs
        # longer than that, up to the role's maximum (12 hours).
        arn = iam.create_role(RoleName=role, AssumeRolePolicyDocument=TRUST_THE_ACCOUNT,
                              MaxSessionDuration=MAX_SESSION_SECONDS)["Role"]["Arn"]
        iam.put_role_policy(RoleName=role, PolicyName="invoke-edgestack", PolicyDocument=INVOKE_ANY_API)
        c = boto3.client("sts", **account).assume_role(RoleArn=arn, RoleSessionName="bench",
                                                       DurationSeconds=MAX_SESSION_SECONDS)["Credentials"]
        self.credentials = Credentials(c["AccessKeyId"], c["SecretAccessKey"], c["SessionToken"])
        self.region = e["AWS_REGION"]
        self.owner = arn

    def request(self, url: str, method: str = "GET", body=None) -> urllib.request.Request:
        """`url` as a urllib request, signed now (a retry must sign again)."""
        data = json.dumps(body).encode() if body is not None else b""
        signable = AWSRequest(method=method, url=url, data=data, headers={"Content-Type": "application/json"})
        SigV4Auth(self.credentials, "execute-api", self.region).add_auth(signable)
        return urllib.request.Request(url, data=data or None, method=method, headers=dict(signable.headers))

    def call(self, url: str, method: str = "GET", body=None, timeout: float = 60):
        with urllib.request.urlopen(self.request(url, method, body), timeout=timeout) as response:
            text = response.read()
            return json.loads(text) if text else {}
