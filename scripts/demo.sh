#!/usr/bin/env bash
# `make demo`: the whole workflow on the local stack, as a team would see it.
#
#   1. local/up.sh (unless the local stack is already up); it stays up afterwards.
#   2. In the emulated account: a Regional REST API `edgestack-demo` with GET /greetings (a MOCK
#      integration) deployed to `prod`, and a hosted zone `example.com` (both reused by later
#      runs).
#   3. POST /stacks: a stack for that API at the custom domain api.example.com (auth none,
#      smoke test /greetings). If a live stack of an earlier run holds that name, the next free
#      one is used (api-2.example.com, ...).
#   4. Its progress, step by step, as GET /stacks/{id} shows it, until READY (exit 0) or FAILED
#      (exit 1); then its outputs and how to call the API through the distribution.
#
# The emulator is made about as slow as AWS, scaled down: certificates stay pending for
# MOTO_ACM_VALIDATION_WAIT seconds (default 10, when this script starts the stack) and a
# distribution InProgress for DEMO_CLOUDFRONT_POLLS polls (default 3; moto's setting is global).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

echo "=== starting the local stack (local/up.sh)"
MOTO_ACM_VALIDATION_WAIT="${MOTO_ACM_VALIDATION_WAIT:-10}" local/up.sh
set -a
# shellcheck source=/dev/null
source .local/env
set +a

export DEMO_CLOUDFRONT_POLLS="${DEMO_CLOUDFRONT_POLLS:-3}"
status=0
.local/venv/bin/python - <<'PY' || status=$?
import json
import os
import sys
import time
import urllib.error
import urllib.request
import uuid

import boto3

ENV = os.environ
API = ENV["STACKS_API_URL"].rstrip("/")
EDGE = ENV["EDGE_URL"].rstrip("/")
MOTO = ENV["MOTO_URL"].rstrip("/")
PRINCIPAL = "arn:aws:iam::123456789012:role/edgestack-demo"
REGION = "eu-west-1"
ZONE_REFERENCE = "edgestack-demo-zone"
PATIENCE = 600  # seconds: a bound for the local stack, far above what it takes


def aws(service, region="us-east-1"):
    # The emulated account only: endpoint and dummy keys from .local/env, never ~/.aws.
    return boto3.client(service, endpoint_url=ENV["AWS_ENDPOINT_URL"], region_name=region,
                        aws_access_key_id=ENV["AWS_ACCESS_KEY_ID"],
                        aws_secret_access_key=ENV["AWS_SECRET_ACCESS_KEY"])


def call(method, path, body=None, headers=None):
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(f"{API}{path}", data=data, method=method)
    request.add_header("X-Edgestack-Principal", PRINCIPAL)
    if data is not None:
        request.add_header("Content-Type", "application/json")
    for key, value in (headers or {}).items():
        request.add_header(key, value)
    try:
        with urllib.request.urlopen(request, timeout=120) as response:
            return response.status, json.loads(response.read() or b"null")
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read() or b"null")


def greetings_api():
    """The demo's REST API: reused if an earlier run made it, else created and deployed."""
    apigw = aws("apigateway", REGION)
    for api in apigw.get_rest_apis(limit=500).get("items", []):
        if api.get("name") == "edgestack-demo":
            try:
                apigw.get_stage(restApiId=api["id"], stageName="prod")
                print(f"REST API edgestack-demo ({api['id']}) in {REGION}: reused")
                return api["id"]
            except apigw.exceptions.NotFoundException:
                pass
    api_id = apigw.create_rest_api(name="edgestack-demo",
                                   endpointConfiguration={"types": ["REGIONAL"]})["id"]
    root = next(r["id"] for r in apigw.get_resources(restApiId=api_id)["items"] if r["path"] == "/")
    resource = apigw.create_resource(restApiId=api_id, parentId=root, pathPart="greetings")["id"]
    apigw.put_method(restApiId=api_id, resourceId=resource, httpMethod="GET",
                     authorizationType="NONE")
    apigw.put_integration(restApiId=api_id, resourceId=resource, httpMethod="GET", type="MOCK",
                          requestTemplates={"application/json": '{"statusCode": 200}'})
    apigw.put_method_response(restApiId=api_id, resourceId=resource, httpMethod="GET",
                              statusCode="200")
    apigw.put_integration_response(restApiId=api_id, resourceId=resource, httpMethod="GET",
                                   statusCode="200",
                                   responseTemplates={"application/json": '{"message": "hello"}'})
    apigw.create_deployment(restApiId=api_id, stageName="prod")
    print(f"REST API edgestack-demo ({api_id}) in {REGION}: created, GET /greetings (MOCK) "
          "deployed to prod")
    return api_id


def example_zone():
    route53 = aws("route53")
    for zone in route53.list_hosted_zones()["HostedZones"]:
        if zone["Name"] == "example.com." and zone["CallerReference"].startswith(ZONE_REFERENCE):
            zone_id = zone["Id"].split("/")[-1]
            print(f"hosted zone example.com ({zone_id}): reused")
            return zone_id
    zone = route53.create_hosted_zone(Name="example.com",
                                      CallerReference=f"{ZONE_REFERENCE}-{uuid.uuid4()}")
    zone_id = zone["HostedZone"]["Id"].split("/")[-1]
    print(f"hosted zone example.com ({zone_id}): created")
    return zone_id


def slow_cloudfront(polls):
    request = urllib.request.Request(
        f"{MOTO}/moto-api/state-manager/set-transition", method="POST",
        data=json.dumps({"model_name": "cloudfront::distribution",
                         "transition": {"progression": "manual", "times": polls}}).encode(),
        headers={"Content-Type": "application/json"})
    urllib.request.urlopen(request, timeout=30).read()


def create_stack(api_id, zone_id):
    """POST /stacks for api.example.com, or the next name a live stack does not hold."""
    for n in range(1, 50):
        name = "api.example.com" if n == 1 else f"api-{n}.example.com"
        body = {
            "name": "greetings-demo",
            "api_id": api_id,
            "region": REGION,
            "stage": "prod",
            "auth": "none",
            "custom_domain": {"name": name, "hosted_zone_id": zone_id},
            "smoke_test_path": "/greetings",
            "tags": {"team": "demo"},
        }
        status, stack = call("POST", "/stacks", body, {"Idempotency-Key": str(uuid.uuid4())})
        if status == 202:
            print(f"\nPOST /stacks → 202: stack {stack['id']} for https://{name}")
            return stack
        code = (stack or {}).get("error", {}).get("code")
        if status == 409 and code == "domain_taken":
            print(f"{name} is held by a stack of an earlier run; trying the next name")
            continue
        sys.exit(f"POST /stacks answered {status}: {json.dumps(stack, indent=2)}")
    sys.exit("no free name under example.com; stop the stack (make down) and start afresh")


def follow(stack_id):
    """Prints each change of status, phase and step as GET /stacks/{id} shows it."""
    started = time.monotonic()
    last_status = last_phase = None
    steps = {}

    def say(text):
        print(f"[{time.monotonic() - started:6.1f}s] {text}", flush=True)

    while time.monotonic() - started < PATIENCE:
        code, stack = call("GET", f"/stacks/{stack_id}")
        if code != 200:
            sys.exit(f"GET /stacks/{stack_id} answered {code}: {stack}")
        if (stack["status"], stack["phase"]) != (last_status, last_phase):
            say(f"status {stack['status']}, phase {stack['phase']}")
            last_status, last_phase = stack["status"], stack["phase"]
        for step in stack["steps"]:
            seen = (step["status"], step.get("detail"), step["attempts"])
            if steps.get(step["name"]) != seen:
                steps[step["name"]] = seen
                detail = f" — {step['detail']}" if step.get("detail") else ""
                retry = f" (attempt {step['attempts']})" if step["attempts"] > 1 else ""
                say(f"    {step['name']}: {step['status']}{retry}{detail}")
        if stack["status"] in ("READY", "DELETED"):
            return stack
        if stack["status"] == "FAILED" and (stack.get("error") or {}).get("rolled_back"):
            return stack
        time.sleep(0.5)
    sys.exit(f"stack {stack_id} did not settle within {PATIENCE} s; see .local/logs/")


def main():
    print("\n=== the team's side: a Regional REST API and a hosted zone in the emulated account")
    api_id = greetings_api()
    zone_id = example_zone()
    polls = int(ENV.get("DEMO_CLOUDFRONT_POLLS", "3"))
    slow_cloudfront(polls)
    print(f"(emulated CloudFront keeps a distribution InProgress for {polls} polls)")

    print("\n=== asking edgestack for a CloudFront distribution in front of it")
    stack = create_stack(api_id, zone_id)
    stack = follow(stack["id"])

    if stack["status"] != "READY":
        print(f"\nstack {stack['id']} is {stack['status']}:")
        print(json.dumps(stack.get("error"), indent=2))
        sys.exit(1)

    outputs = stack["outputs"]
    name = stack["request"]["custom_domain"]["name"]
    print(f"\n=== stack {stack['id']} is READY; its outputs:")
    print(json.dumps(outputs, indent=2))
    print(f"""
Call the API through the distribution (in AWS, once DNS has it):
  curl {outputs['endpoint_url']}/greetings
Locally there is no CloudFront data plane; the edge stand-in (local/edge.py) answers for the
distribution's names:
  curl -H 'Host: {name}' {EDGE}/greetings""")
    request = urllib.request.Request(f"{EDGE}/greetings", headers={"Host": name})
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            print(f"  → {response.status} {response.read().decode()}")
    except urllib.error.HTTPError as e:
        print(f"  → {e.code} {e.read().decode()}")
    print(f"""
See the stack:     curl -s -H 'X-Edgestack-Principal: {PRINCIPAL}' {API}/stacks/{stack['id']}
Tear it down:      curl -s -X DELETE -H 'X-Edgestack-Principal: {PRINCIPAL}' {API}/stacks/{stack['id']}""")


main()
PY

cat <<EOF

The local stack is still up (endpoints in .local/env, logs in .local/logs/).
Stop it with: make down
EOF
exit "$status"
