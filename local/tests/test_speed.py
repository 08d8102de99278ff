"""strict/speed.py keeps moto's answers as they were: certificates still differ, a definition
with a syntax error is still refused, executions of one state machine still run apart, and a
failed transaction still changes nothing; DynamoDB's writes are now one at a time, as atomic as
AWS's (racing conditional writes: one wins)."""

from __future__ import annotations

import json

import pytest
from helpers import error_of, issued_certificate, wait_until


@pytest.fixture
def executing(stack):
    """The account with moto's Step Functions engine on (its parser is the one kept per
    definition)."""
    assert stack.control("POST", "/moto-api/config", {"stepfunctions": {"execute_state_machine": True}})[0] == 201
    yield stack
    stack.control("POST", "/moto-api/config", {"stepfunctions": {"execute_state_machine": False}})


def test_certificates_signed_with_one_key_still_differ(stack):
    acm = stack.client("acm")
    first, second = issued_certificate(stack, "a.speed.example.com"), issued_certificate(stack, "b.speed.example.com")
    bodies = [acm.get_certificate(CertificateArn=arn)["Certificate"] for arn in (first, second)]
    assert bodies[0] != bodies[1]
    serials = [acm.describe_certificate(CertificateArn=arn)["Certificate"]["Serial"] for arn in (first, second)]
    assert serials[0] != serials[1]


def test_a_definition_with_a_syntax_error_is_still_refused_each_time(executing):
    sfn = executing.client("stepfunctions")
    broken = json.dumps({"StartAt": "P", "States": {"P": {"Type": "Nope", "End": True}}})
    for name in ("broken-1", "broken-2"):
        _, status, message = error_of(sfn.create_state_machine, name=name, definition=broken,
                                      roleArn="arn:aws:iam::123456789012:role/r")
        # moto's own answer, with or without the kept parse trees: no error code, ANTLR's message.
        assert status == 400 and 'mismatched input \'"Nope"\'' in message, message


def test_executions_of_one_definition_keep_their_own_input_and_output(executing):
    sfn = executing.client("stepfunctions")
    definition = json.dumps({"StartAt": "Echo", "States": {
        "Echo": {"Type": "Pass", "Parameters": {"seen.$": "$.value"}, "Next": "Done"},
        "Done": {"Type": "Succeed"}}})
    machine = sfn.create_state_machine(name="echo", definition=definition,
                                       roleArn="arn:aws:iam::123456789012:role/r")["stateMachineArn"]
    executions = {value: sfn.start_execution(stateMachineArn=machine, name=f"e{value}",
                                             input=json.dumps({"value": value}))["executionArn"]
                  for value in range(3)}

    def finished():
        return all(sfn.describe_execution(executionArn=arn)["status"] != "RUNNING" for arn in executions.values())

    assert wait_until(finished, 10, 0.05)
    for value, arn in executions.items():
        result = sfn.describe_execution(executionArn=arn)
        assert result["status"] == "SUCCEEDED", result
        assert json.loads(result["output"]) == {"seen": value}


def _table(stack, name: str):
    ddb = stack.client("dynamodb")
    ddb.create_table(TableName=name, BillingMode="PAY_PER_REQUEST",
                     AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
                     KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}])
    return ddb


def test_a_failed_transaction_puts_back_the_items_it_named_and_no_others(stack):
    ddb = _table(stack, "t")
    ddb.put_item(TableName="t", Item={"pk": {"S": "a"}, "v": {"N": "1"}})
    ddb.put_item(TableName="t", Item={"pk": {"S": "b"}, "v": {"N": "1"}})
    code, _, _ = error_of(ddb.transact_write_items, TransactItems=[
        {"Update": {"TableName": "t", "Key": {"pk": {"S": "a"}}, "UpdateExpression": "SET v = :two",
                    "ExpressionAttributeValues": {":two": {"N": "2"}}}},
        {"Put": {"TableName": "t", "Item": {"pk": {"S": "c"}, "v": {"N": "1"}}}},
        {"ConditionCheck": {"TableName": "t", "Key": {"pk": {"S": "b"}}, "ConditionExpression": "v = :two",
                            "ExpressionAttributeValues": {":two": {"N": "2"}}}},
    ])
    assert code == "TransactionCanceledException"
    items = {i["pk"]["S"]: i["v"]["N"] for i in ddb.scan(TableName="t")["Items"]}
    assert items == {"a": "1", "b": "1"}
    ddb.transact_write_items(TransactItems=[
        {"Update": {"TableName": "t", "Key": {"pk": {"S": "a"}}, "UpdateExpression": "SET v = :two",
                    "ExpressionAttributeValues": {":two": {"N": "2"}}}},
        {"Put": {"TableName": "t", "Item": {"pk": {"S": "c"}, "v": {"N": "1"}}}}])
    items = {i["pk"]["S"]: i["v"]["N"] for i in ddb.scan(TableName="t")["Items"]}
    assert items == {"a": "2", "b": "1", "c": "1"}


def test_of_racing_conditional_writes_to_one_item_exactly_one_wins(stack):
    from concurrent.futures import ThreadPoolExecutor

    from botocore.exceptions import ClientError

    ddb = _table(stack, "race")

    def create(n):
        try:
            ddb.put_item(TableName="race", Item={"pk": {"S": "one"}, "writer": {"N": str(n)}},
                         ConditionExpression="attribute_not_exists(pk)")
            return True
        except ClientError as e:
            assert e.response["Error"]["Code"] == "ConditionalCheckFailedException"
            return False

    for _ in range(5):
        ddb.delete_item(TableName="race", Key={"pk": {"S": "one"}})
        with ThreadPoolExecutor(16) as pool:
            assert sum(pool.map(create, range(16))) == 1
