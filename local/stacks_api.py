"""edgestack's provisioning REST API in the emulated account, as infra/template.yaml deploys it.

Read from the template itself, so that a change there is what the local stack serves: the
`StacksApi` resource (its stage, its default authorizer, its `GatewayResponses`) and the `Api`
events of the function whose `RestApiId` is `StacksApi` (each path and method, a Lambda proxy
integration to that function). The local data plane (strict/dataplane.py) serves it, verifies
SigV4 for its `AWS_IAM` methods and invokes the function through cargo-lambda, which knows it
by its binary name (the function's `Metadata.edgestack.binary`).

What SAM would add and the local stack has no use for is left out: the Lambda permission (the
local Lambda API checks none), access logs, tracing, method settings (throttling).
"""

from __future__ import annotations

from pathlib import Path

import yaml

API_NAME = "edgestack-api"


class _CfnLoader(yaml.SafeLoader):
    """YAML with CloudFormation's short-form tags (`!Ref X` -> {"Ref": "X"}, ...)."""


def _tag(loader: yaml.SafeLoader, suffix: str, node: yaml.Node):
    name = "Ref" if suffix == "Ref" else f"Fn::{suffix}"
    if isinstance(node, yaml.ScalarNode):
        value = loader.construct_scalar(node)
    elif isinstance(node, yaml.SequenceNode):
        value = loader.construct_sequence(node, deep=True)
    else:
        value = loader.construct_mapping(node, deep=True)
    return {name: value}


_CfnLoader.add_multi_constructor("!", _tag)


class Definition:
    """What of the template the local API is made of."""

    def __init__(self, template: dict):
        resources = template["Resources"]
        api = resources["StacksApi"]["Properties"]
        self.stage = _value(template, api["StageName"])
        self.default_authorization = (api.get("Auth") or {}).get("DefaultAuthorizer", "NONE")
        self.gateway_responses = api.get("GatewayResponses") or {}
        self.routes: list[tuple[str, str, str]] = []  # (path, METHOD, the function's binary)
        for resource in resources.values():
            if resource.get("Type") != "AWS::Serverless::Function":
                continue
            binary = ((resource.get("Metadata") or {}).get("edgestack") or {}).get("binary")
            for event in ((resource.get("Properties") or {}).get("Events") or {}).values():
                props = event.get("Properties") or {}
                if event.get("Type") == "Api" and props.get("RestApiId") == {"Ref": "StacksApi"}:
                    if not binary:
                        raise ValueError("a function behind StacksApi has no Metadata.edgestack.binary")
                    if "Auth" in props:
                        raise ValueError(f"{props['Path']} {props['Method']}: an event's own Auth is not "
                                         "served locally (local/stacks_api.py); extend it first")
                    self.routes.append((props["Path"], props["Method"].upper(), binary))
        if not self.routes:
            raise ValueError("no function has an Api event on StacksApi")

    @classmethod
    def read(cls, path: Path) -> "Definition":
        return cls(yaml.load(path.read_text(), Loader=_CfnLoader))


def _value(template: dict, value):
    """A literal, or a `!Ref` to a parameter: its default. Anything else is not read here."""
    if isinstance(value, dict) and "Ref" in value:
        return template["Parameters"][value["Ref"]]["Default"]
    if isinstance(value, dict):
        raise ValueError(f"{value}: only a literal or a !Ref to a parameter is read locally (local/stacks_api.py)")
    return value


def ensure(apigateway, definition: Definition, *, region: str, account: str) -> str:
    """Creates the API anew (an older one of the same name is deleted, so its id, and the URL
    .local/env holds, change) and deploys its stage. Returns its id."""
    for item in apigateway.get_rest_apis(limit=500).get("items", []):
        if item["name"] == API_NAME:
            apigateway.delete_rest_api(restApiId=item["id"])
    api = apigateway.create_rest_api(name=API_NAME, description="edgestack provisioning API (api.md)",
                                     endpointConfiguration={"types": ["REGIONAL"]})
    api_id = api["id"]
    resources = {"/": api["rootResourceId"]}
    for path, method, binary in definition.routes:
        parent = "/"
        for part in [p for p in path.split("/") if p]:
            here = parent.rstrip("/") + "/" + part
            if here not in resources:
                resources[here] = apigateway.create_resource(
                    restApiId=api_id, parentId=resources[parent], pathPart=part)["id"]
            parent = here
        apigateway.put_method(restApiId=api_id, resourceId=resources[parent], httpMethod=method,
                              authorizationType=definition.default_authorization)
        function = f"arn:aws:lambda:{region}:{account}:function:{binary}"
        apigateway.put_integration(
            restApiId=api_id, resourceId=resources[parent], httpMethod=method, type="AWS_PROXY",
            integrationHttpMethod="POST",
            uri=f"arn:aws:apigateway:{region}:lambda:path/2015-03-31/functions/{function}/invocations")
    for response_type, response in definition.gateway_responses.items():
        kwargs = {"restApiId": api_id, "responseType": response_type}
        if "StatusCode" in response:
            kwargs["statusCode"] = str(response["StatusCode"])
        if response.get("ResponseTemplates"):
            kwargs["responseTemplates"] = response["ResponseTemplates"]
        headers = (response.get("ResponseParameters") or {}).get("Headers") or {}
        if headers:
            kwargs["responseParameters"] = {f"gatewayresponse.header.{k}": v for k, v in headers.items()}
        apigateway.put_gateway_response(**kwargs)
    apigateway.create_deployment(restApiId=api_id, stageName=definition.stage)
    return api_id


def url(edge_url: str, api_id: str, stage: str) -> str:
    """Where the data plane serves the API's stage on this machine (strict/dataplane.py)."""
    return f"{edge_url.rstrip('/')}/restapis/{api_id}/{stage}/_user_request_"
