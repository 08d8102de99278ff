#!/usr/bin/env python3
"""Measures what one stack of each shape costs the workflow on the local stack: state
transitions (what a Standard workflow is billed for), Lambda invocations, and wall time.

Run with the local stack up (`make up`), from the repo root:
    .local/venv/bin/python bench/workflow_cost.py [--runs N]
It prints one line per shape and run; the figures in README.md come from it. The wall time is
the emulator's, on a shared 2-core machine: a figure to compare runs by, not AWS's timing.
"""

import argparse
import json
import os
import statistics
import time
import urllib.request
import uuid

import boto3

import signed


def env():
    values = {}
    with open(".local/env") as f:
        for line in f:
            key, _, value = line.strip().partition("=")
            if key:
                values[key] = value
    return values


_caller = None


def call(url, method="GET", body=None):
    """`url` signed by a session of a role of this run's own (bench/signed.py)."""
    global _caller
    if _caller is None:
        _caller = signed.Caller(env(), f"bench-cost-{uuid.uuid4().hex[:8]}")
    return _caller.call(url, method, body)


def regional_api(e):
    c = boto3.client("apigateway", region_name="eu-west-1", endpoint_url=e["AWS_ENDPOINT_URL"])
    api = c.create_rest_api(name="bench", endpointConfiguration={"types": ["REGIONAL"]})
    root = [r for r in c.get_resources(restApiId=api["id"])["items"] if r["path"] == "/"][0]
    res = c.create_resource(restApiId=api["id"], parentId=root["id"], pathPart="greetings")
    c.put_method(restApiId=api["id"], resourceId=res["id"], httpMethod="GET", authorizationType="NONE")
    c.put_integration(restApiId=api["id"], resourceId=res["id"], httpMethod="GET", type="MOCK")
    c.create_deployment(restApiId=api["id"], stageName="prod")
    return api["id"]


def zone(e, name):
    r53 = boto3.client("route53", endpoint_url=e["AWS_ENDPOINT_URL"])
    created = r53.create_hosted_zone(Name=name, CallerReference=str(uuid.uuid4()))
    return created["HostedZone"]["Id"].split("/")[-1]


def measure(e, body):
    started = time.monotonic()
    stack = call(e["STACKS_API_URL"] + "/stacks", "POST", body)
    while stack["status"] not in ("READY", "FAILED"):
        time.sleep(0.2)
        stack = call(e["STACKS_API_URL"] + "/stacks/" + stack["id"])
    elapsed = time.monotonic() - started
    sfn = boto3.client("stepfunctions", endpoint_url=e["AWS_ENDPOINT_URL"], region_name=e["AWS_REGION"])
    arn = e["PROVISION_STATE_MACHINE_ARN"].replace(":stateMachine:", ":execution:") + ":" + stack["id"]
    for _ in range(50):
        if sfn.describe_execution(executionArn=arn)["status"] != "RUNNING":
            break
        time.sleep(0.2)
    events = sfn.get_execution_history(executionArn=arn, maxResults=1000)["events"]
    transitions = sum(1 for ev in events if ev["type"].endswith("StateEntered"))
    invocations = sum(1 for ev in events if ev["type"] == "TaskScheduled")
    return stack["status"], transitions, invocations, elapsed


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    e = env()
    os.environ.update({k: v for k, v in e.items() if k.startswith("AWS_")})
    api = regional_api(e)
    for run in range(args.runs):
        suffix = uuid.uuid4().hex[:8]
        zone_name = f"b{suffix}.example.com"
        shapes = {
            "no custom domain, auth none": {"auth": "none"},
            "no custom domain, auth iam": {"auth": "iam"},
            "custom domain, Route 53": {"custom_domain": {"name": f"api.{zone_name}", "hosted_zone_id": zone(e, zone_name)}},
        }
        for shape, extra in shapes.items():
            body = {"api_id": api, "region": "eu-west-1", "stage": "prod", **extra}
            status, transitions, invocations, elapsed = measure(e, body)
            print(f"{shape:32} {status:6} transitions={transitions:3} lambda_invocations={invocations:3} wall={elapsed:5.1f}s")


if __name__ == "__main__":
    main()
