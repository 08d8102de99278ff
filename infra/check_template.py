#!/usr/bin/env python3
"""What the deployment must be, beyond what cfn-lint and checkov know of this project.

Read on the template and on what SAM makes of it (the CloudFormation AWS deploys):
- the provisioning API: every method of every path requires SigV4 (AWS_IAM), API Gateway invokes
  the function with its own permission (not the caller's credentials), and nothing else serves it;
- every function: provided.al2023, arm64 (the Architecture parameter, arm64 by default), its own
  role, its own log group with a retention, JSON logs; STACKS_TABLE and RUST_LOG set; the API's
  settings only on the api; IAM_CACHE_POLICY_ID the one cache policy; never a local-only setting;
- the one cache policy for `auth: iam`: the SigV4 headers in its key, TTLs 0/0/1, all query
  strings and cookies;
- the table: on demand, point-in-time recovery, encryption, TTL on expires_at, the by_owner index;
- both state machines log (level ALL) to a log group with a retention;
- the alarms: failed and timed-out executions of both state machines, the API's 5xx;
- what API Gateway answers itself (no signature, denied, throttled, too large, the function
  failed) comes in the error shape of api.md, with a code and the status openapi.yaml gives it
  (which the API's contract test, functions/api/tests/openapi.rs, holds to the API's own errors).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from checks_common import ROOT, Paths, binary_of, load_template, report, resources, sam_transform  # noqa: E402

LOCAL_ONLY = ("EDGESTACK_FAULT_INJECTION", "EDGE_OVERRIDE_URL")
API_ONLY = ("PROVISION_STATE_MACHINE_ARN", "TEARDOWN_STATE_MACHINE_ARN")
# The permissions policy: the api checks a request against it, validate-request checks the grant
# again before anything is created (a grant revoked meanwhile stops the stack), smoke-test signs
# only for an API the owner's grant names.
PERMISSIONS_CHECKED_BY = {"api", "validate-request", "smoke-test"}
# Origin header values: the api writes them (and forgets those of a stack that never started),
# create-distribution alone reads them, finish-teardown forgets them. No other role may touch
# SecretsTable, and only the reader may GetItem it.
SECRETS_ACCESS = {
    "api": {"dynamodb:PutItem", "dynamodb:DeleteItem"},
    "create-distribution": {"dynamodb:GetItem"},
    "finish-teardown": {"dynamodb:DeleteItem"},
}
POLLING = {
    "disable-distribution",
    "delete-certificates",
    "finish-teardown",
}
SIGV4_HEADERS = {"authorization", "x-amz-date", "x-amz-security-token", "x-amz-content-sha256"}
# The gateway responses that must be in the error shape: every answer API Gateway gives the
# callers of an IAM-authorized Lambda proxy API without the function deciding it.
GATEWAY_RESPONSES = {
    "MISSING_AUTHENTICATION_TOKEN", "UNAUTHORIZED", "INVALID_SIGNATURE", "EXPIRED_TOKEN",
    "ACCESS_DENIED", "THROTTLED", "QUOTA_EXCEEDED", "REQUEST_TOO_LARGE", "UNSUPPORTED_MEDIA_TYPE",
    "INTEGRATION_FAILURE", "INTEGRATION_TIMEOUT", "DEFAULT_5XX",
}
OPENAPI = ROOT / "openapi.yaml"
HTTP_METHODS = {"get", "put", "post", "delete", "patch", "head", "options", "x-amazon-apigateway-any-method"}


def ref(value) -> str | None:
    if isinstance(value, dict):
        if "Ref" in value:
            return value["Ref"]
        att = value.get("Fn::GetAtt")
        if isinstance(att, list):
            return att[0]
        if isinstance(att, str):
            return att.split(".")[0]
    return None


def check_api(template: dict, transformed: dict) -> list[str]:
    problems: list[str] = []
    apis = resources(template, "AWS::Serverless::Api")
    if list(apis) != ["StacksApi"]:
        problems.append(f"expected exactly one AWS::Serverless::Api, StacksApi; found {sorted(apis)}")
    for other in ("AWS::Serverless::HttpApi", "AWS::ApiGatewayV2::Api", "AWS::Lambda::Url"):
        if resources(template, other):
            problems.append(f"{other} is not allowed: the provisioning API is the IAM-authorized REST API")
    api = apis.get("StacksApi", {}).get("Properties") or {}
    auth = api.get("Auth") or {}
    if auth.get("DefaultAuthorizer") != "AWS_IAM":
        problems.append("StacksApi: Auth.DefaultAuthorizer must be AWS_IAM")
    if auth.get("InvokeRole") != "NONE":
        problems.append("StacksApi: Auth.InvokeRole must be NONE (else callers need lambda:InvokeFunction)")
    if "DefinitionBody" in api or "DefinitionUri" in api:
        problems.append("StacksApi: no DefinitionBody/DefinitionUri (it would bypass the default authorizer)")

    rest_apis = resources(transformed, "AWS::ApiGateway::RestApi")
    methods = 0
    for logical_id, rest_api in rest_apis.items():
        body = (rest_api.get("Properties") or {}).get("Body") or {}
        definitions = body.get("securityDefinitions") or {}
        sigv4 = definitions.get("AWS_IAM", {}).get("x-amazon-apigateway-authtype")
        if sigv4 != "awsSigv4":
            problems.append(f"{logical_id}: no AWS_IAM (awsSigv4) security definition")
        for path, operations in (body.get("paths") or {}).items():
            for method, operation in operations.items():
                if method not in HTTP_METHODS:
                    continue
                methods += 1
                security = operation.get("security") or []
                if security != [{"AWS_IAM": []}]:
                    problems.append(f"{logical_id}: {method.upper()} {path} is not AWS_IAM-only (security {security})")
                integration = operation.get("x-amazon-apigateway-integration") or {}
                if "credentials" in integration:
                    problems.append(f"{logical_id}: {method.upper()} {path} invokes with credentials {integration['credentials']}")
    for logical_id, method in resources(transformed, "AWS::ApiGateway::Method").items():
        if (method.get("Properties") or {}).get("AuthorizationType") != "AWS_IAM":
            problems.append(f"{logical_id}: AuthorizationType must be AWS_IAM")
    want = {("post", "/stacks"), ("get", "/stacks"), ("get", "/stacks/{id}"), ("delete", "/stacks/{id}")}
    body = (rest_apis.get("StacksApi", {}).get("Properties") or {}).get("Body") or {}
    got = {(m, p) for p, ops in (body.get("paths") or {}).items() for m in ops if m in HTTP_METHODS}
    if got != want:
        problems.append(f"StacksApi serves {sorted(got)}, api.md has {sorted(want)}")
    if methods == 0:
        problems.append("the provisioning API has no methods")
    return problems


def api_error_statuses(openapi: Path = OPENAPI) -> dict[str, int]:
    """code -> status, as openapi.yaml documents them: each error response narrows the codes it
    carries, and ErrorCode's x-outside-operations names those of no operation."""
    import yaml  # cfn-lint's dependency, in the infra venv

    document = yaml.safe_load(openapi.read_text())

    def follow(value: dict) -> dict:
        while isinstance(value, dict) and "$ref" in value:
            target = document
            for part in value["$ref"].removeprefix("#/").split("/"):
                target = target[part]
            value = target
        return value

    statuses: dict[str, int] = {}

    def documented(code: str, status: int, where: str) -> None:
        if statuses.setdefault(code, status) != status:
            raise ValueError(f"{openapi}: {where} gives {code} the status {status}, elsewhere {statuses[code]}")

    for path, item in document["paths"].items():
        for method, operation in item.items():
            if method not in HTTP_METHODS:
                continue
            for status, response in (operation.get("responses") or {}).items():
                if int(status) < 400:
                    continue
                schema = follow(follow(response)["content"]["application/json"]["schema"])
                for part in schema.get("allOf", []):
                    code = part.get("properties", {}).get("error", {}).get("properties", {}).get("code", {})
                    for name in code.get("enum", []):
                        documented(name, int(status), f"{method.upper()} {path}")
    outside = document["components"]["schemas"]["ErrorCode"]["x-outside-operations"]
    for name, status in outside.items():
        documented(name, int(status), "ErrorCode's x-outside-operations")
    return statuses


def check_gateway_responses(template: dict) -> list[str]:
    problems: list[str] = []
    api = (resources(template, "AWS::Serverless::Api").get("StacksApi") or {}).get("Properties") or {}
    responses = api.get("GatewayResponses") or {}
    statuses = api_error_statuses()
    for kind in sorted(GATEWAY_RESPONSES - set(responses)):
        problems.append(f"StacksApi: GatewayResponses has no {kind}: API Gateway would answer it in its own shape, not api.md's")
    for kind, response in sorted(responses.items()):
        template_text = ((response or {}).get("ResponseTemplates") or {}).get("application/json")
        if not isinstance(template_text, str):
            problems.append(f"StacksApi: gateway response {kind} has no application/json template")
            continue
        try:
            body = json.loads(template_text.replace("$context.error.messageString", '"a message"'))
            error = body["error"]
            code, message, details = error["code"], error["message"], error["details"]
        except (ValueError, KeyError, TypeError) as e:
            problems.append(f"StacksApi: gateway response {kind} is not the error shape of api.md ({e!r}): {template_text}")
            continue
        if set(error) != {"code", "message", "details"} or not isinstance(message, str) or details != []:
            problems.append(f"StacksApi: gateway response {kind} is not the error shape of api.md: {template_text}")
        if code not in statuses:
            problems.append(f"StacksApi: gateway response {kind} has code {code}, which openapi.yaml does not have")
        elif str(response.get("StatusCode")) != str(statuses[code]):
            problems.append(
                f"StacksApi: gateway response {kind} answers {response.get('StatusCode')} with code {code}, "
                f"which openapi.yaml documents as {statuses[code]}"
            )
    return problems


def check_functions(template: dict) -> list[str]:
    problems: list[str] = []
    globals_ = (template.get("Globals") or {}).get("Function") or {}
    params = template.get("Parameters") or {}
    if globals_.get("Runtime") != "provided.al2023":
        problems.append("Globals.Function.Runtime must be provided.al2023")
    if globals_.get("Architectures") != [{"Ref": "Architecture"}] or (params.get("Architecture") or {}).get("Default") != "arm64":
        problems.append("every function must run on Architectures [!Ref Architecture], whose default is arm64")
    if globals_.get("Handler") != "bootstrap":
        problems.append("Globals.Function.Handler must be bootstrap")
    cache_policies = resources(template, "AWS::CloudFront::CachePolicy")
    roles_seen: dict[str, str] = {}
    groups_seen: dict[str, str] = {}
    for logical_id, function in resources(template, "AWS::Serverless::Function").items():
        props = function.get("Properties") or {}
        binary = binary_of(logical_id, function) or logical_id
        where = f"function {logical_id} ({binary})"
        for key in ("Runtime", "Architectures", "Handler"):
            if key in props:
                problems.append(f"{where}: {key} is set by Globals only")
        if "Policies" in props or "Role" not in props:
            problems.append(f"{where}: needs its own Role (no SAM Policies, which add managed policies)")
        role = ref(props.get("Role"))
        if role in roles_seen:
            problems.append(f"{where}: shares role {role} with {roles_seen[role]}")
        roles_seen[role] = logical_id
        logging = props.get("LoggingConfig") or {}
        if logging.get("LogFormat") != "JSON":
            problems.append(f"{where}: LoggingConfig.LogFormat must be JSON")
        group = ref(logging.get("LogGroup"))
        group_resource = resources(template, "AWS::Logs::LogGroup").get(group or "")
        if not group_resource:
            problems.append(f"{where}: LoggingConfig.LogGroup must be a log group of this template")
        elif "RetentionInDays" not in (group_resource.get("Properties") or {}):
            problems.append(f"{where}: its log group {group} has no retention")
        if group in groups_seen:
            problems.append(f"{where}: shares log group {group} with {groups_seen[group]}")
        groups_seen[group] = logical_id
        env = ((props.get("Environment") or {}).get("Variables")) or {}
        for name in LOCAL_ONLY:
            if name in env:
                problems.append(f"{where}: {name} is for the local stack only, never deployed")
        if ref(env.get("STACKS_TABLE")) != "StacksTable":
            problems.append(f"{where}: STACKS_TABLE must be !Ref StacksTable")
        if "RUST_LOG" not in env:
            problems.append(f"{where}: RUST_LOG is not set")
        for name in API_ONLY:
            if (name in env) != (binary == "api"):
                problems.append(f"{where}: {name} is the api's only" if name in env else f"{where}: {name} is not set")
        if ("EDGESTACK_PERMISSIONS" in env) != (binary in PERMISSIONS_CHECKED_BY):
            problems.append(f"{where}: EDGESTACK_PERMISSIONS belongs to {sorted(PERMISSIONS_CHECKED_BY)} only")
        elif binary in PERMISSIONS_CHECKED_BY:
            if ref(env.get("EDGESTACK_PERMISSIONS")) != "PermissionsPolicy":
                problems.append(f"{where}: EDGESTACK_PERMISSIONS must be the PermissionsPolicy parameter")
        if ("IAM_CACHE_POLICY_ID" in env) != (binary == "create-distribution"):
            problems.append(f"{where}: IAM_CACHE_POLICY_ID belongs to create-distribution only")
        if "IAM_CACHE_POLICY_ID" in env and ref(env["IAM_CACHE_POLICY_ID"]) not in cache_policies:
            problems.append(f"{where}: IAM_CACHE_POLICY_ID must be !Ref the template's cache policy")
        for name in ("POLL_BASE_SECONDS", "POLL_MAX_SECONDS"):
            if (name in env) != (binary in POLLING):
                problems.append(f"{where}: {name} belongs to the polling steps {sorted(POLLING)}")
        if ("SECRETS_TABLE" in env) != (binary in SECRETS_ACCESS):
            problems.append(f"{where}: SECRETS_TABLE belongs to {sorted(SECRETS_ACCESS)} only")
        elif "SECRETS_TABLE" in env and ref(env["SECRETS_TABLE"]) != "SecretsTable":
            problems.append(f"{where}: SECRETS_TABLE must be !Ref SecretsTable")
        granted = secrets_actions(template, role)
        if granted != SECRETS_ACCESS.get(binary, set()):
            problems.append(
                f"{where}: may do {sorted(granted) or 'nothing'} on SecretsTable; "
                f"it must be {sorted(SECRETS_ACCESS.get(binary, set())) or 'nothing'}"
            )
    return problems


def secrets_actions(template: dict, role: str | None) -> set[str]:
    """The actions `role` allows on SecretsTable (any statement naming it, or "*")."""
    props = ((template.get("Resources") or {}).get(role or "") or {}).get("Properties") or {}
    actions: set[str] = set()
    for policy in props.get("Policies") or []:
        statements = (policy.get("PolicyDocument") or {}).get("Statement") or []
        for statement in statements if isinstance(statements, list) else [statements]:
            if statement.get("Effect") != "Allow":
                continue
            found = statement.get("Resource")
            found = found if isinstance(found, list) else [found]
            if any(r == "*" or "SecretsTable" in json.dumps(r) for r in found):
                listed = statement.get("Action")
                listed = listed if isinstance(listed, list) else [listed]
                actions |= {a for a in listed if isinstance(a, str) and a.startswith("dynamodb:")}
    return actions


def check_cache_policy(template: dict) -> list[str]:
    policies = resources(template, "AWS::CloudFront::CachePolicy")
    if len(policies) != 1:
        return [f"expected ONE AWS::CloudFront::CachePolicy shared by every auth iam stack, found {len(policies)}"]
    (logical_id, policy), = policies.items()
    config = ((policy.get("Properties") or {}).get("CachePolicyConfig")) or {}
    problems = []
    if (config.get("MinTTL"), config.get("DefaultTTL"), config.get("MaxTTL")) != (0, 0, 1):
        problems.append(f"{logical_id}: TTLs must be MinTTL 0, DefaultTTL 0, MaxTTL 1")
    key = config.get("ParametersInCacheKeyAndForwardedToOrigin") or {}
    headers = key.get("HeadersConfig") or {}
    if headers.get("HeaderBehavior") != "whitelist" or {h.lower() for h in headers.get("Headers") or []} != SIGV4_HEADERS:
        problems.append(f"{logical_id}: the cache key must hold exactly the SigV4 headers {sorted(SIGV4_HEADERS)}")
    if (key.get("QueryStringsConfig") or {}).get("QueryStringBehavior") != "all":
        problems.append(f"{logical_id}: every query string must reach the origin")
    if (key.get("CookiesConfig") or {}).get("CookieBehavior") != "all":
        problems.append(f"{logical_id}: every cookie must reach the origin")
    return problems


def check_table(template: dict) -> list[str]:
    table = resources(template, "AWS::DynamoDB::Table").get("StacksTable")
    if not table:
        return ["no AWS::DynamoDB::Table StacksTable"]
    props = table.get("Properties") or {}
    problems = []
    if props.get("BillingMode") != "PAY_PER_REQUEST":
        problems.append("StacksTable: BillingMode must be PAY_PER_REQUEST")
    if not (props.get("PointInTimeRecoverySpecification") or {}).get("PointInTimeRecoveryEnabled"):
        problems.append("StacksTable: point-in-time recovery must be on")
    if not (props.get("SSESpecification") or {}).get("SSEEnabled"):
        problems.append("StacksTable: SSESpecification.SSEEnabled must be true")
    ttl = props.get("TimeToLiveSpecification") or {}
    if ttl != {"AttributeName": "expires_at", "Enabled": True}:
        problems.append("StacksTable: TTL must be on, on expires_at")
    if props.get("KeySchema") != [{"AttributeName": "pk", "KeyType": "HASH"}]:
        problems.append("StacksTable: the key must be pk (HASH) alone")
    indexes = {i.get("IndexName"): i for i in props.get("GlobalSecondaryIndexes") or []}
    by_owner = indexes.get("by_owner") or {}
    if by_owner.get("KeySchema") != [
        {"AttributeName": "owner", "KeyType": "HASH"},
        {"AttributeName": "created_key", "KeyType": "RANGE"},
    ] or (by_owner.get("Projection") or {}).get("ProjectionType") != "ALL":
        problems.append("StacksTable: index by_owner must be owner (HASH), created_key (RANGE), projection ALL")
    types = {a["AttributeName"]: a["AttributeType"] for a in props.get("AttributeDefinitions") or []}
    if types != {"pk": "S", "owner": "S", "created_key": "S"}:
        problems.append(f"StacksTable: attributes must be pk, owner, created_key, all S (got {types})")
    if table.get("DeletionPolicy") != "Retain":
        problems.append("StacksTable: DeletionPolicy must be Retain (it is the only record of what exists)")
    return problems


def check_operations(template: dict) -> list[str]:
    problems = []
    groups = resources(template, "AWS::Logs::LogGroup")
    for logical_id, group in groups.items():
        if "RetentionInDays" not in (group.get("Properties") or {}):
            problems.append(f"log group {logical_id}: no RetentionInDays")
    for logical_id, machine in resources(template, "AWS::Serverless::StateMachine").items():
        logging = (machine.get("Properties") or {}).get("Logging") or {}
        destinations = logging.get("Destinations") or []
        arns = [ref(((d.get("CloudWatchLogsLogGroup") or {}).get("LogGroupArn"))) for d in destinations]
        if logging.get("Level") != "ALL" or len(arns) != 1 or arns[0] not in groups:
            problems.append(f"state machine {logical_id}: must log at level ALL to a log group of this template")
    alarms = resources(template, "AWS::CloudWatch::Alarm").values()
    watched = set()
    for alarm in alarms:
        props = alarm.get("Properties") or {}
        dims = {d.get("Name"): ref(d.get("Value")) or repr(d.get("Value")) for d in props.get("Dimensions") or []}
        metric = props.get("MetricName")
        watched.add((props.get("Namespace"), metric if isinstance(metric, str) else repr(metric), dims.get("StateMachineArn")))
    for machine in resources(template, "AWS::Serverless::StateMachine"):
        for metric in ("ExecutionsFailed", "ExecutionsTimedOut"):
            if ("AWS/States", metric, machine) not in watched:
                problems.append(f"no alarm on {metric} of {machine}")
    if not any(ns == "AWS/ApiGateway" and metric == "5XXError" for ns, metric, _ in watched):
        problems.append("no alarm on the provisioning API's 5XXError")
    return problems


def check(paths: Paths = Paths()) -> list[str]:
    template = load_template(paths.template)
    transformed = sam_transform(template, paths.template.parent)
    return (
        check_api(template, transformed)
        + check_gateway_responses(template)
        + check_functions(template)
        + check_cache_policy(template)
        + check_table(template)
        + check_operations(template)
    )


if __name__ == "__main__":
    sys.exit(report("check_template", check()))
