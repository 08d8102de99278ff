"""`make demo`, the team's side: what the seed's prerequisites ask for, in the emulated account.

A Regional REST API `edgestack-demo` whose GET /greetings is the team's Lambda function
`greetings` (local/greetings) behind a Lambda proxy integration, deployed to `prod`, and a hosted
zone `example.com`; both reused by later runs. The team itself is an IAM role, `edgestack-demo`,
allowed to invoke APIs: the demo signs as a session of it, as a team's CI would after
`aws sts assume-role`. Tells what it did on standard error and prints one line on standard
output for scripts/demo.sh: `API_ID=... ZONE_ID=...` and the session's credentials
(`AWS_ACCESS_KEY_ID=...`, the emulated account's). Run with .local/env in the environment.
"""

import json
import os
import shlex
import sys
import uuid

import boto3

ENV = os.environ
REGION = "eu-west-1"
ACCOUNT = "123456789012"  # moto's default account, as local/up.sh has it
ZONE_REFERENCE = "edgestack-demo-zone"
TEAM_ROLE = "edgestack-demo"
INVOKE_ANY_API = json.dumps({"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Action": "execute-api:Invoke", "Resource": "arn:aws:execute-api:*:*:*/*"}]})
TRUST_THE_ACCOUNT = json.dumps({"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:root"}, "Action": "sts:AssumeRole"}]})


def say(text):
    print(text, file=sys.stderr, flush=True)


def aws(service, region="us-east-1"):
    # The emulated account only: endpoint and dummy keys from .local/env, never ~/.aws.
    return boto3.client(service, endpoint_url=ENV["AWS_ENDPOINT_URL"], region_name=region,
                        aws_access_key_id=ENV["AWS_ACCESS_KEY_ID"],
                        aws_secret_access_key=ENV["AWS_SECRET_ACCESS_KEY"])


def greetings_integration_uri():
    """The Lambda proxy integration's target: the team's function, by ARN, as AWS has it. In the
    emulated account the Lambda Invoke API is cargo-lambda's, which serves local/greetings."""
    function = f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:greetings"
    return f"arn:aws:apigateway:{REGION}:lambda:path/2015-03-31/functions/{function}/invocations"


def proxied_to_greetings(apigw, api_id):
    """Whether GET /greetings of `api_id` is the Lambda proxy integration of the function (an
    API of an earlier demo may still answer from a MOCK)."""
    for resource in apigw.get_resources(restApiId=api_id)["items"]:
        if resource["path"] == "/greetings":
            try:
                integration = apigw.get_integration(restApiId=api_id, resourceId=resource["id"],
                                                    httpMethod="GET")
            except apigw.exceptions.NotFoundException:
                return False
            return integration.get("type") == "AWS_PROXY" and integration.get("uri") == greetings_integration_uri()
    return False


def greetings_api():
    """The demo's REST API: reused if an earlier run made it as this one would, else created and
    deployed."""
    apigw = aws("apigateway", REGION)
    for api in apigw.get_rest_apis(limit=500).get("items", []):
        if api.get("name") == "edgestack-demo":
            try:
                apigw.get_stage(restApiId=api["id"], stageName="prod")
            except apigw.exceptions.NotFoundException:
                continue
            if proxied_to_greetings(apigw, api["id"]):
                say(f"REST API edgestack-demo ({api['id']}) in {REGION}: reused")
                return api["id"]
    api_id = apigw.create_rest_api(name="edgestack-demo",
                                   endpointConfiguration={"types": ["REGIONAL"]})["id"]
    root = next(r["id"] for r in apigw.get_resources(restApiId=api_id)["items"] if r["path"] == "/")
    resource = apigw.create_resource(restApiId=api_id, parentId=root, pathPart="greetings")["id"]
    apigw.put_method(restApiId=api_id, resourceId=resource, httpMethod="GET",
                     authorizationType="NONE")
    # A Lambda proxy integration is always invoked with POST, whatever the method's verb.
    apigw.put_integration(restApiId=api_id, resourceId=resource, httpMethod="GET", type="AWS_PROXY",
                          integrationHttpMethod="POST", uri=greetings_integration_uri())
    apigw.create_deployment(restApiId=api_id, stageName="prod")
    # In AWS the team also lets API Gateway invoke the function (lambda add-permission, principal
    # apigateway.amazonaws.com). The emulated account's Lambda is cargo-lambda, which keeps no
    # resource policy, so there is nothing to grant here.
    say(f"REST API edgestack-demo ({api_id}) in {REGION}: created, GET /greetings (the Lambda "
        "function greetings, proxy integration) deployed to prod")
    return api_id


def example_zone():
    route53 = aws("route53")
    for zone in route53.list_hosted_zones()["HostedZones"]:
        if zone["Name"] == "example.com." and zone["CallerReference"].startswith(ZONE_REFERENCE):
            zone_id = zone["Id"].split("/")[-1]
            say(f"hosted zone example.com ({zone_id}): reused")
            return zone_id
    zone = route53.create_hosted_zone(Name="example.com",
                                      CallerReference=f"{ZONE_REFERENCE}-{uuid.uuid4()}")
    zone_id = zone["HostedZone"]["Id"].split("/")[-1]
    say(f"hosted zone example.com ({zone_id}): created")
    return zone_id


def team_session():
    """Credentials of a session of the team's role (made on the first run)."""
    iam = aws("iam")
    try:
        iam.create_role(RoleName=TEAM_ROLE, AssumeRolePolicyDocument=TRUST_THE_ACCOUNT)
        say(f"IAM role {TEAM_ROLE}: created")
    except iam.exceptions.EntityAlreadyExistsException:
        say(f"IAM role {TEAM_ROLE}: already there")
    iam.put_role_policy(RoleName=TEAM_ROLE, PolicyName="invoke-apis", PolicyDocument=INVOKE_ANY_API)
    given = aws("sts").assume_role(RoleArn=f"arn:aws:iam::{ACCOUNT}:role/{TEAM_ROLE}",
                                   RoleSessionName="demo-session")
    say(f"signing as {given['AssumedRoleUser']['Arn']}")
    return given["Credentials"]


def main():
    say("\n=== the team's side: a Regional REST API, a hosted zone and a role in the emulated account")
    api_id, zone_id = greetings_api(), example_zone()
    session = team_session()
    # One line of shell assignments, for `eval "export ..."`.
    print(" ".join(f"{name}={shlex.quote(value)}" for name, value in [
        ("API_ID", api_id), ("ZONE_ID", zone_id), ("AWS_ACCESS_KEY_ID", session["AccessKeyId"]),
        ("AWS_SECRET_ACCESS_KEY", session["SecretAccessKey"]), ("AWS_SESSION_TOKEN", session["SessionToken"])]))


if __name__ == "__main__":
    main()
