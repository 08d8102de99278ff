"""The account's control API (config, faults), the request log and the Lambda Invoke relay."""

import json
import time

import pytest

from helpers import a_record, error_of, zone


def test_config_reads_and_merges(stack):
    status, config = stack.control("GET", "/strict-api/config")
    assert status == 200 and config["time_scale"] == stack.account.config["time_scale"]
    assert config["route53_insync"] == 30.0
    merged = stack.config(route53_insync=60, time_scale=0.5)
    assert merged["route53_insync"] == 60 and merged["time_scale"] == 0.5
    assert stack.account.seconds("route53_insync") == 30.0
    # Unknown names and bad values are refused, and change nothing.
    for bad in ({"no_such": 1}, {"acm_issue": -1}, {"time_scale": 0}, {"acm_issue": "x"}):
        status, body = stack.control("POST", "/strict-api/config", bad)
        assert status == 400, bad
    assert stack.control("GET", "/strict-api/config")[1] == merged


def test_time_scale_shrinks_every_delay(stack):
    stack.config(time_scale=1.0, route53_insync=0.2)
    r53 = stack.client("route53")
    zid = zone(r53, "example.com")
    info = r53.change_resource_record_sets(
        HostedZoneId=zid, ChangeBatch={"Changes": [a_record("CREATE", "a.example.com", "192.0.2.1")]})["ChangeInfo"]
    assert r53.get_change(Id=info["Id"])["ChangeInfo"]["Status"] == "PENDING"
    time.sleep(0.2)
    assert r53.get_change(Id=info["Id"])["ChangeInfo"]["Status"] == "INSYNC"


def test_fault_throttle_per_operation(stack):
    r53 = stack.client("route53", retries=1)
    zid = zone(r53, "example.com")
    status, _ = stack.control("POST", "/strict-api/faults",
                              {"faults": [{"operation": "route53:ChangeResourceRecordSets", "throttle": 1}]})
    assert status == 200
    assert error_of(r53.change_resource_record_sets, HostedZoneId=zid, ChangeBatch={
        "Changes": [a_record("CREATE", "a.example.com", "192.0.2.1")]})[:2] == ("Throttling", 400)
    r53.list_hosted_zones()  # another operation: no fault
    assert stack.control("DELETE", "/strict-api/faults") == (200, {"faults": []})
    r53.change_resource_record_sets(HostedZoneId=zid, ChangeBatch={"Changes": [a_record("CREATE", "a.example.com", "192.0.2.1")]})


def test_fault_server_error_per_service_in_its_wire_format(stack):
    stack.control("POST", "/strict-api/faults", {"faults": [{"operation": "acm:*", "server_error": 1}]})
    acm, apigw = stack.client("acm", retries=1), stack.client("apigateway", retries=1)
    code, status, _ = error_of(acm.list_certificates)
    assert (code, status) == ("InternalFailure", 500)
    apigw.get_rest_apis()
    stack.control("POST", "/strict-api/faults", {"faults": [{"operation": "*", "server_error": 1}]})
    assert error_of(apigw.get_rest_apis)[:2] == ("InternalFailure", 500)


def test_fault_lost_answer_after_the_call_took_effect(stack):
    r53 = stack.client("route53", retries=1)
    stack.control("POST", "/strict-api/faults", {"faults": [{"operation": "route53:CreateHostedZone", "lose_answer": 1}]})
    assert error_of(r53.create_hosted_zone, Name="example.com", CallerReference="r")[1] == 503
    assert [z["Name"] for z in r53.list_hosted_zones()["HostedZones"]] == ["example.com."]


def test_fault_delay(stack):
    stack.control("POST", "/strict-api/faults", {"faults": [{"operation": "route53:ListHostedZones", "delay_seconds": 0.3}]})
    r53 = stack.client("route53")
    started = time.monotonic()
    r53.list_hosted_zones()
    assert time.monotonic() - started >= 0.3


def test_faults_are_checked(stack):
    for bad in ({"faults": {}}, {"faults": [{"operation": "*", "throttle": 2}]},
                {"faults": [{"operation": "*", "typo": 1}]}, {"faults": [{"delay_seconds": -1}]}):
        assert stack.control("POST", "/strict-api/faults", bad)[0] == 400, bad
    assert stack.control("GET", "/strict-api/faults") == (200, {"faults": []})


def test_moto_api_passes_to_moto_and_reset_clears_the_rules(stack):
    status, body = stack.control("POST", "/moto-api/config", {"batch": {"use_docker": False}})
    assert status == 201 and body["batch"] == {"use_docker": False}  # moto's own answer
    stack.control("POST", "/strict-api/faults", {"faults": [{"operation": "*", "throttle": 1}]})
    r53 = stack.client("route53")
    stack.control("DELETE", "/strict-api/faults")
    zone(r53, "example.com")
    assert stack.account._state
    stack.control("POST", "/strict-api/faults", {"faults": [{"operation": "*", "throttle": 1}]})
    assert stack.control("POST", "/moto-api/reset")[0] == 200
    assert stack.account.faults == [] and not stack.account._state
    assert r53.list_hosted_zones()["HostedZones"] == []


def test_request_log_has_no_bodies_or_header_values(stack, capsys):
    stack.control("POST", "/strict-api/faults", {"faults": [{"operation": "route53:*", "delay_seconds": 0}]})
    r53 = stack.client("route53")
    r53.create_hosted_zone(Name="secret-zone.example", CallerReference="secret-reference")
    log = capsys.readouterr().err
    assert "POST route53:CreateHostedZone -> 201" in log
    assert "secret" not in log and "testing" not in log and "Credential" not in log


# Lambda API reference, Invoke: a function error is HTTP 200 with X-Amz-Function-Error; Step
# Functions' Retry/Catch match the body's errorType (shared/spec/local-stack.md, "Two traps").
def test_lambda_invoke_function_error_is_reshaped(stack):
    stack.lambda_stub.answer = (500, {"Content-Type": "application/json"},
                                json.dumps({"errorType": "NotReady", "errorMessage": "later"}).encode())
    lam = stack.client("lambda", retries=1)
    out = lam.invoke(FunctionName="validate", Payload=b'{"x": 1}')
    assert out["StatusCode"] == 200 and out["FunctionError"] == "Unhandled"
    assert json.loads(out["Payload"].read()) == {"errorType": "NotReady", "errorMessage": "later"}
    assert out["ResponseMetadata"]["RequestId"]
    (seen,) = stack.lambda_stub.requests
    assert seen["path"] == "/2015-03-31/functions/validate/invocations" and seen["body"] == b'{"x": 1}'


def test_lambda_invoke_success_passes_through(stack):
    stack.lambda_stub.answer = (200, {"Content-Type": "application/json"}, b'{"ok": true}')
    out = stack.client("lambda").invoke(FunctionName="echo", Payload=b"{}")
    assert out["StatusCode"] == 200 and "FunctionError" not in out
    assert json.loads(out["Payload"].read()) == {"ok": True}
    assert out["ExecutedVersion"] == "$LATEST"


def test_lambda_invoke_without_cargo_lambda_is_a_service_error(stack):
    stack.lambda_stub.server.shutdown()
    stack.lambda_stub.server.server_close()
    try:
        lam = stack.client("lambda", retries=1)
        with pytest.raises(lam.exceptions.ServiceException):
            lam.invoke(FunctionName="echo", Payload=b"{}")
    finally:
        stack.lambda_stub.restart()


# shared/spec/local-stack.md, "Two traps": moto's Step Functions engine calls Lambda at
# localhost:$MOTO_PORT (the account); a function error must reach Retry/Catch by its errorType.
def test_step_functions_task_reaches_the_relay_and_catches_the_error_type(stack):
    stack.lambda_stub.answer = (500, {"Content-Type": "application/json"},
                                json.dumps({"errorType": "NotReady", "errorMessage": "later"}).encode())
    assert stack.control("POST", "/moto-api/config", {"stepfunctions": {"execute_state_machine": True}})[0] == 201
    try:
        sfn = stack.client("stepfunctions")
        definition = {"StartAt": "T", "States": {
            "T": {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke",
                  "Parameters": {"FunctionName": "validate", "Payload.$": "$"},
                  "Retry": [{"ErrorEquals": ["NotReady"], "IntervalSeconds": 1, "MaxAttempts": 1, "BackoffRate": 1}],
                  "Catch": [{"ErrorEquals": ["NotReady"], "Next": "Caught"}], "End": True},
            "Caught": {"Type": "Pass", "End": True}}}
        machine = sfn.create_state_machine(name="m", definition=json.dumps(definition),
                                           roleArn="arn:aws:iam::123456789012:role/r")["stateMachineArn"]
        execution = sfn.start_execution(stateMachineArn=machine, name="e1", input="{}")["executionArn"]
        from helpers import wait_until
        done = wait_until(lambda: sfn.describe_execution(executionArn=execution)["status"] != "RUNNING", 10, 0.1)
        assert done
        result = sfn.describe_execution(executionArn=execution)
        assert result["status"] == "SUCCEEDED", result
        assert json.loads(result["output"])["Error"] == "NotReady"
        assert len(stack.lambda_stub.requests) == 2  # the first try and one retry
    finally:
        stack.control("POST", "/moto-api/config", {"stepfunctions": {"execute_state_machine": False}})


def test_faults_apply_to_lambda_invoke_in_lambdas_wire_format(stack):
    lam = stack.client("lambda", retries=1)
    stack.control("POST", "/strict-api/faults", {"faults": [{"operation": "lambda:Invoke", "throttle": 1}]})
    assert error_of(lam.invoke, FunctionName="echo", Payload=b"{}")[:2] == ("TooManyRequestsException", 429)
    stack.control("POST", "/strict-api/faults", {"faults": [{"operation": "lambda:*", "server_error": 1}]})
    assert error_of(lam.invoke, FunctionName="echo", Payload=b"{}")[:2] == ("ServiceException", 500)
    assert stack.lambda_stub.requests == []  # refused before the function ran
    stack.control("POST", "/strict-api/faults", {"faults": [{"operation": "lambda:Invoke", "lose_answer": 1}]})
    assert error_of(lam.invoke, FunctionName="echo", Payload=b"{}")[:2] == ("ServiceException", 503)
    assert len(stack.lambda_stub.requests) == 1  # it ran


def test_calls_are_counted_with_the_rate_limited_ones_apart(stack):
    stack.control("DELETE", "/strict-api/calls")
    stack.config(apigateway_domain_window=30)
    apigw = stack.client("apigateway", retries=1)
    apigw.get_rest_apis()
    stack.control("POST", "/strict-api/faults",
                  {"faults": [{"operation": "apigateway:GetRestApis", "throttle": 1}]})
    assert error_of(apigw.get_rest_apis)[:2] == ("TooManyRequestsException", 429)
    stack.control("DELETE", "/strict-api/faults")
    apigw.create_domain_name(domainName="a.example.com", endpointConfiguration={"types": ["REGIONAL"]})
    assert error_of(apigw.create_domain_name, domainName="b.example.com",  # inside the window
                    endpointConfiguration={"types": ["REGIONAL"]})[:2] == ("TooManyRequestsException", 429)
    status, counts = stack.control("GET", "/strict-api/calls")
    assert status == 200
    assert counts["calls"]["apigateway:GetRestApis"] == 2
    assert counts["calls"]["apigateway:CreateDomainName"] == 2
    # The account's own limit, not the injected throttle.
    assert counts["rate_limited"] == {"apigateway:CreateDomainName": 1}
    assert stack.control("DELETE", "/strict-api/calls") == (200, {"calls": {}, "rate_limited": {}})
