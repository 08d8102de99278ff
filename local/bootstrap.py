#!/usr/bin/env python3
"""Create the project's AWS resources in the emulated account: the stacks table, the state
machines from statemachine/*.asl.json, the CloudFront cache policy every `auth: iam` stack
shares (infra/template.yaml's IamAuthCachePolicy) and the provisioning REST API
(stacks_api.py). Safe to run again: what exists is kept, state machine definitions are updated
to the files' current content, and the REST API is made anew (a new id: local/up.sh writes
its URL to .local/env after).

Usage: bootstrap.py --endpoint http://127.0.0.1:PORT [--root REPO_ROOT] [--policy-id-file F]
                    [--edge-url http://127.0.0.1:EDGE --stacks-api-url-file F]
"""

import argparse
import json
import os
import re
import sys
from pathlib import Path

import boto3
from botocore.exceptions import ClientError

import stacks_api

REGION = os.environ.get("AWS_REGION", "us-east-1")
TABLE = os.environ.get("STACKS_TABLE", "edgestack-stacks")
SECRETS_TABLE = os.environ.get("SECRETS_TABLE", "edgestack-secrets")
# moto's default account; .local/env and the functions' environment name ARNs in it.
ACCOUNT = "123456789012"
ROLE_ARN = f"arn:aws:iam::{ACCOUNT}:role/edgestack-states"
STATE_MACHINES = {
    "edgestack-provision": "statemachine/provision.asl.json",
    "edgestack-teardown": "statemachine/teardown.asl.json",
    "edgestack-watch": "statemachine/watch.asl.json",
}
SUBSTITUTION = re.compile(r"\$\{([A-Za-z0-9_]+)\}")


class BootstrapError(Exception):
    pass


def function_binary(camel: str) -> str:
    """`ValidateRequest` -> `validate-request`: cargo-lambda knows functions by binary name."""
    return re.sub(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])", "-", camel).lower()


def substitute(text: str, source: str) -> str:
    # The same files deploy to AWS, where these are DefinitionSubstitutions holding ARNs.
    def one(m: re.Match) -> str:
        name = m.group(1)
        if name.endswith("Function") and len(name) > len("Function"):
            return function_binary(name[: -len("Function")])
        if name in os.environ:
            return os.environ[name]
        raise BootstrapError(f"{source}: no value for substitution ${{{name}}} "
                             f"(set the environment variable {name})")

    return SUBSTITUTION.sub(one, text)


def ensure_table(ddb) -> None:
    try:
        ddb.create_table(
            TableName=TABLE,
            BillingMode="PAY_PER_REQUEST",
            AttributeDefinitions=[
                {"AttributeName": "pk", "AttributeType": "S"},
                {"AttributeName": "owner", "AttributeType": "S"},
                {"AttributeName": "created_key", "AttributeType": "S"},
            ],
            KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
            GlobalSecondaryIndexes=[{
                "IndexName": "by_owner",
                "KeySchema": [
                    {"AttributeName": "owner", "KeyType": "HASH"},
                    {"AttributeName": "created_key", "KeyType": "RANGE"},
                ],
                "Projection": {"ProjectionType": "ALL"},
            }],
        )
        ddb.get_waiter("table_exists").wait(TableName=TABLE, WaiterConfig={"Delay": 1})
        print(f"table {TABLE}: created")
    except ddb.exceptions.ResourceInUseException:
        print(f"table {TABLE}: already there")


def ensure_secrets_table(ddb) -> None:
    # Origin header values, apart from the stacks (infra/template.yaml's SecretsTable).
    try:
        ddb.create_table(
            TableName=SECRETS_TABLE,
            BillingMode="PAY_PER_REQUEST",
            AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
            KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
        )
        ddb.get_waiter("table_exists").wait(TableName=SECRETS_TABLE, WaiterConfig={"Delay": 1})
        print(f"table {SECRETS_TABLE}: created")
    except ddb.exceptions.ResourceInUseException:
        print(f"table {SECRETS_TABLE}: already there")


PARKING = "arn:aws:states:::lambda:invoke.waitForTaskToken"


def scale_parked_timeouts(machine: dict, time_scale: float) -> dict:
    """A parked task's TimeoutSeconds is AWS time the task waits for the watcher (twice a usual
    deployment): scaled like the account's own durations, so that a deployment still fits in it
    locally and a watcher that misses its passes costs seconds, not minutes. Nothing else of the
    definition changes."""
    for state in machine.get("States", {}).values():
        if state.get("Resource") == PARKING and isinstance(state.get("TimeoutSeconds"), int):
            state["TimeoutSeconds"] = max(2, round(state["TimeoutSeconds"] * time_scale))
    return machine


def ensure_state_machine(sfn, root: Path, name: str, rel: str, time_scale: float) -> str:
    path = root / rel
    if not path.is_file():
        raise BootstrapError(f"state machine {name}: {path} does not exist")
    definition = substitute(path.read_text(), rel)
    try:
        machine = json.loads(definition)
    except ValueError as e:
        raise BootstrapError(f"{rel}: not valid JSON after substitution: {e}") from e
    definition = json.dumps(scale_parked_timeouts(machine, time_scale))
    arn = f"arn:aws:states:{REGION}:{ACCOUNT}:stateMachine:{name}"
    try:
        sfn.describe_state_machine(stateMachineArn=arn)
    except sfn.exceptions.StateMachineDoesNotExist:
        sfn.create_state_machine(name=name, definition=definition, roleArn=ROLE_ARN)
        print(f"state machine {name}: created from {rel}")
    else:
        sfn.update_state_machine(stateMachineArn=arn, definition=definition, roleArn=ROLE_ARN)
        print(f"state machine {name}: updated from {rel}")
    return arn


# infra/template.yaml's IamAuthCachePolicy, field for field: SigV4's headers reach the origin.
# Authorization can only go into a cache policy, and then not every TTL may be 0.
IAM_CACHE_POLICY = {
    "Name": "edgestack-iam-auth",
    "Comment": "edgestack auth iam - SigV4 headers reach the origin; no caching unless asked",
    "MinTTL": 0,
    "DefaultTTL": 0,
    "MaxTTL": 1,
    "ParametersInCacheKeyAndForwardedToOrigin": {
        "EnableAcceptEncodingGzip": True,
        "EnableAcceptEncodingBrotli": True,
        "HeadersConfig": {
            "HeaderBehavior": "whitelist",
            "Headers": {"Quantity": 4, "Items": ["Authorization", "X-Amz-Date",
                                                  "X-Amz-Security-Token", "X-Amz-Content-Sha256"]},
        },
        "QueryStringsConfig": {"QueryStringBehavior": "all"},
        "CookiesConfig": {"CookieBehavior": "all"},
    },
}


def ensure_iam_cache_policy(cloudfront) -> str:
    listed = cloudfront.list_cache_policies(Type="custom").get("CachePolicyList", {})
    for item in listed.get("Items", []) or []:
        policy = item["CachePolicy"]
        if policy["CachePolicyConfig"]["Name"] == IAM_CACHE_POLICY["Name"]:
            print(f"cache policy {IAM_CACHE_POLICY['Name']}: already there ({policy['Id']})")
            return policy["Id"]
    created = cloudfront.create_cache_policy(CachePolicyConfig=IAM_CACHE_POLICY)
    policy_id = created["CachePolicy"]["Id"]
    print(f"cache policy {IAM_CACHE_POLICY['Name']}: created ({policy_id})")
    return policy_id


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--endpoint", required=True, help="the emulated account's URL")
    p.add_argument("--policy-id-file", type=Path,
                   help="where to write the IAM cache policy's id (the functions' IAM_CACHE_POLICY_ID)")
    p.add_argument("--edge-url", help="the data plane's URL, where the provisioning API is served")
    p.add_argument("--stacks-api-url-file", type=Path,
                   help="where to write the provisioning API's URL (STACKS_API_URL)")
    p.add_argument("--root", default=Path(__file__).resolve().parent.parent, type=Path)
    p.add_argument("--time-scale", type=float, default=1.0,
                   help="the account's time scale (STRICT_TIME_SCALE), for parked tasks' timeouts")
    a = p.parse_args()
    # moto's dummy keys, always: this script must never reach a real account by accident.
    session = boto3.Session(aws_access_key_id="testing", aws_secret_access_key="testing",
                            region_name=REGION)
    ddb = session.client("dynamodb", endpoint_url=a.endpoint)
    sfn = session.client("stepfunctions", endpoint_url=a.endpoint)
    cloudfront = session.client("cloudfront", endpoint_url=a.endpoint)
    try:
        ensure_table(ddb)
        ensure_secrets_table(ddb)
        for name, rel in STATE_MACHINES.items():
            ensure_state_machine(sfn, a.root, name, rel, a.time_scale)
        policy_id = ensure_iam_cache_policy(cloudfront)
        if a.policy_id_file:
            a.policy_id_file.write_text(policy_id)
        if a.stacks_api_url_file:
            if not a.edge_url:
                raise BootstrapError("--stacks-api-url-file needs --edge-url")
            definition = stacks_api.Definition.read(a.root / "infra" / "template.yaml")
            api_id = stacks_api.ensure(session.client("apigateway", endpoint_url=a.endpoint), definition,
                                       region=REGION, account=ACCOUNT)
            a.stacks_api_url_file.write_text(stacks_api.url(a.edge_url, api_id, definition.stage))
            print(f"REST API {stacks_api.API_NAME}: {api_id}, stage {definition.stage}, "
                  f"{len(definition.routes)} methods")
    except (BootstrapError, ClientError, ValueError) as e:
        # moto validates definitions: a Task whose Resource is a bare function name is refused.
        print(f"bootstrap: {e}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
