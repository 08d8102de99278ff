"""STS's rules (local/strict/sts.py). Tests marked `rule` must fail on bare moto."""

import json

import pytest

from helpers import error_of

rule = pytest.mark.rule


def _role(stack, name: str, principal) -> str:
    document = {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": {"AWS": principal}, "Action": "sts:AssumeRole"}]}
    return stack.client("iam").create_role(RoleName=name, AssumeRolePolicyDocument=json.dumps(document))["Role"]["Arn"]


def test_a_role_that_trusts_the_account_is_assumed(stack):
    arn = _role(stack, "team", "arn:aws:iam::123456789012:root")
    given = stack.client("sts").assume_role(RoleArn=arn, RoleSessionName="ci-run")
    assert given["AssumedRoleUser"]["Arn"] == "arn:aws:sts::123456789012:assumed-role/team/ci-run"


# STS API reference, AssumeRole; IAM user guide, "Granting a user permissions to switch roles":
# only a role that exists, and whose trust policy names the caller (or its account), is assumed.
@rule
def test_a_role_that_does_not_exist_is_not_assumed(stack):
    code, status, message = error_of(stack.client("sts").assume_role,
                                     RoleArn="arn:aws:iam::123456789012:role/nobody", RoleSessionName="s1")
    assert (code, status) == ("AccessDenied", 403)
    assert message == ("User: arn:aws:iam::123456789012:user/testing is not authorized to perform: "
                       "sts:AssumeRole on resource: arn:aws:iam::123456789012:role/nobody")


@rule
def test_a_role_that_trusts_someone_else_is_not_assumed(stack):
    arn = _role(stack, "theirs", "arn:aws:iam::210987654321:root")
    code, status, _ = error_of(stack.client("sts").assume_role, RoleArn=arn, RoleSessionName="s1")
    assert (code, status) == ("AccessDenied", 403)
