"""The infra checks fail when what they check regresses: each test breaks a copy of the template,
a state machine file, a crate list or the code, and expects the check to name the breakage.

Run by scripts/check-infra.sh (python -m unittest infra/test_checks.py) in the infra venv.
"""

from __future__ import annotations

import json
import shutil
import sys
import tempfile
import unittest
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import check_asl  # noqa: E402
import check_iam  # noqa: E402
import check_substitutions  # noqa: E402
import check_template  # noqa: E402
from checks_common import ROOT, Paths  # noqa: E402

REFERENCE = check_iam.load_iam_reference()


class Copy:
    """A scratch copy of the template, the state machines and the crates' manifests."""

    def __init__(self) -> None:
        self.dir = Path(tempfile.mkdtemp(prefix="edgestack-infra-"))
        shutil.copytree(ROOT / "infra", self.dir / "infra", ignore=shutil.ignore_patterns("__pycache__"))
        shutil.copytree(ROOT / "statemachine", self.dir / "statemachine")
        for manifest in (ROOT / "functions").glob("*/Cargo.toml"):
            target = self.dir / "functions" / manifest.parent.name / "Cargo.toml"
            target.parent.mkdir(parents=True)
            shutil.copy(manifest, target)
        self.paths = Paths(
            root=self.dir,
            template=self.dir / "infra" / "template.yaml",
            statemachines=self.dir / "statemachine",
            functions=self.dir / "functions",
            calls=self.dir / "infra" / "calls.json",
        )

    def edit_template(self, old: str, new: str, count: int = 1) -> None:
        text = self.paths.template.read_text()
        assert text.count(old) >= count, f"the test's anchor is not in the template: {old!r}"
        self.paths.template.write_text(text.replace(old, new, count))

    def edit_calls(self, function: str, change) -> None:
        calls = json.loads(self.paths.calls.read_text())
        calls[function] = sorted(change(set(calls[function])))
        self.paths.calls.write_text(json.dumps(calls, indent=2))

    def edit_asl(self, name: str, change) -> None:
        path = self.paths.statemachines / name
        machine = json.loads(path.read_text())
        change(machine)
        path.write_text(json.dumps(machine, indent=2))

    def close(self) -> None:
        shutil.rmtree(self.dir, ignore_errors=True)


class Case(unittest.TestCase):
    def setUp(self) -> None:
        self.copy = Copy()
        self.addCleanup(self.copy.close)

    def assertFinds(self, problems: list[str], *fragments: str) -> None:
        self.assertTrue(problems, "the check passed on a broken copy")
        for fragment in fragments:
            self.assertTrue(
                any(fragment in p for p in problems), f"no problem mentions {fragment!r}: {problems}"
            )


class TheRepoPasses(Case):
    def test_every_check_passes_on_the_unbroken_copy(self) -> None:
        p = self.copy.paths
        self.assertEqual(check_asl.check(p), [])
        self.assertEqual(check_substitutions.check(p), [])
        self.assertEqual(check_template.check(p), [])
        self.assertEqual(check_iam.check(p, REFERENCE, code=False), [])


class Substitutions(Case):
    def test_a_substitution_the_template_does_not_provide(self) -> None:
        self.copy.edit_template("        SmokeTestFunction: !GetAtt SmokeTestFunction.Arn\n", "")
        self.assertFinds(check_substitutions.check(self.copy.paths), "${SmokeTestFunction} is not provided")

    def test_a_state_machine_naming_a_function_the_template_does_not_define(self) -> None:
        def rename(machine):
            machine["States"]["MarkReady"]["Parameters"]["FunctionName"] = "${MarkDoneFunction}"

        self.copy.edit_asl("provision.asl.json", rename)
        self.assertFinds(
            check_substitutions.check(self.copy.paths),
            "${MarkDoneFunction} is not provided",
            "substitution MarkReadyFunction is not used",
        )

    def test_a_substitution_pointing_at_another_binary(self) -> None:
        self.copy.edit_template(
            "        MarkReadyFunction: !GetAtt MarkReadyFunction.Arn",
            "        MarkReadyFunction: !GetAtt RecordFailureFunction.Arn",
        )
        self.assertFinds(check_substitutions.check(self.copy.paths), "deploys 'record-failure', not binary 'mark-ready'")

    def test_a_substitution_that_is_not_a_function_arn(self) -> None:
        self.copy.edit_template(
            "        MarkReadyFunction: !GetAtt MarkReadyFunction.Arn",
            "        MarkReadyFunction: mark-ready",
        )
        self.assertFinds(check_substitutions.check(self.copy.paths), "must be the Arn of a function")

    def test_a_crate_without_a_function(self) -> None:
        new = self.copy.paths.functions / "purge-stacks"
        new.mkdir()
        (new / "Cargo.toml").write_text('[package]\nname = "purge-stacks"\n')
        self.assertFinds(check_substitutions.check(self.copy.paths), "functions/purge-stacks: deployed by 0 functions")

    def test_a_function_whose_code_uri_and_binary_disagree(self) -> None:
        self.copy.edit_template(
            "CodeUri: ../target/lambda/smoke-test/bootstrap.zip", "CodeUri: ../target/lambda/smoke_test/bootstrap.zip"
        )
        self.assertFinds(check_substitutions.check(self.copy.paths), "function SmokeTestFunction: CodeUri must be")

    def test_a_state_machine_file_nothing_deploys(self) -> None:
        shutil.copy(self.copy.paths.statemachines / "teardown.asl.json", self.copy.paths.statemachines / "purge.asl.json")
        self.assertFinds(check_substitutions.check(self.copy.paths), "statemachine/purge.asl.json is deployed by no state machine")


class StateMachineStructure(Case):
    def test_a_transition_to_a_missing_state(self) -> None:
        self.copy.edit_asl("teardown.asl.json", lambda m: m["States"]["DeleteDnsRecords"].update(Next="DisableDistributon"))
        self.assertFinds(check_asl.check(self.copy.paths), "goes to 'DisableDistributon', which is not a state")

    def test_an_unreachable_state(self) -> None:
        self.copy.edit_asl("teardown.asl.json", lambda m: m["States"].update(Orphan={"Type": "Succeed"}))
        self.assertFinds(check_asl.check(self.copy.paths), "state Orphan is unreachable")

    def test_a_loop_without_a_way_out(self) -> None:
        def loop(machine):
            machine["States"]["WaitForDisabledDistribution"]["Next"] = "WaitForDisabledDistribution"
            machine["States"]["DistributionDisabled"]["Choices"] = []
            machine["States"]["DistributionDisabled"]["Default"] = "WaitForDisabledDistribution"

        self.copy.edit_asl("teardown.asl.json", loop)
        self.assertFinds(check_asl.check(self.copy.paths), "from state WaitForDisabledDistribution no terminal state")

    def test_a_fixed_wait_and_a_task_without_a_function_substitution(self) -> None:
        def break_it(machine):
            machine["States"]["WaitForCreateDomainNameTurn"] = {"Type": "Wait", "Seconds": 60, "Next": "CreateCustomDomain"}
            machine["States"]["MarkReady"]["Parameters"]["FunctionName"] = "mark-ready"
            machine["States"]["SmokeTest"]["Resource"] = "arn:aws:lambda:us-east-1:123456789012:function:smoke-test"

        self.copy.edit_asl("provision.asl.json", break_it)
        self.assertFinds(
            check_asl.check(self.copy.paths),
            "a Wait must use SecondsPath",
            "FunctionName must be a ${<Name>Function} substitution",
            "Resource must be arn:aws:states:::lambda:invoke",
        )

    def test_a_lambda_task_that_does_not_retry_lambdas_own_errors(self) -> None:
        def drop(machine):
            for retrier in machine["States"]["SmokeTest"]["Retry"]:
                retrier["ErrorEquals"] = [e for e in retrier["ErrorEquals"] if e != "Lambda.ClientExecutionTimeoutException"]

        self.copy.edit_asl("provision.asl.json", drop)
        self.assertFinds(check_asl.check(self.copy.paths), "SmokeTest: does not retry Lambda.ClientExecutionTimeoutException")

    def test_a_parked_task_that_would_wait_for_good(self) -> None:
        def break_it(machine):
            parked = machine["States"]["AwaitDistribution"]
            parked["Retry"] = [r for r in parked["Retry"] if "States.Timeout" not in r["ErrorEquals"]]
            del parked["TimeoutSeconds"]
            parked["Parameters"]["Payload"] = {"flow.$": "$"}

        self.copy.edit_asl("provision.asl.json", break_it)
        self.assertFinds(
            check_asl.check(self.copy.paths),
            "AwaitDistribution: a parking task must retry States.Timeout",
            "AwaitDistribution: a parking task needs a TimeoutSeconds",
            "AwaitDistribution: a parking task's payload must be",
        )

    def test_statelint_rejects_a_broken_file(self) -> None:
        from statelint.config import Config
        from statelint.linter import Linter

        self.copy.edit_asl("teardown.asl.json", lambda m: m.pop("StartAt"))
        path = str(self.copy.paths.statemachines / "teardown.asl.json")
        self.assertTrue(Linter.validate(path, Config(None, False, False)))


class Iam(Case):
    def iam(self) -> list[str]:
        return check_iam.check(self.copy.paths, REFERENCE, code=False)

    def test_a_wildcard_action(self) -> None:
        self.copy.edit_template("              Action: cloudfront:GetDistribution\n", "              Action: cloudfront:*\n")
        self.assertFinds(self.iam(), "wildcard action 'cloudfront:*'")

    def test_a_wildcard_resource_where_aws_offers_narrower(self) -> None:
        self.copy.edit_template(
            "              Action: acm:DescribeCertificate\n              Resource: !Sub arn:${AWS::Partition}:acm:*:${AWS::AccountId}:certificate/*",
            '              Action: acm:DescribeCertificate\n              Resource: "*"',
        )
        self.assertFinds(self.iam(), 'acm:DescribeCertificate on "*", but AWS supports narrower resources')

    def test_a_resource_of_the_wrong_type(self) -> None:
        self.copy.edit_template(
            "              Action: cloudfront:GetDistribution\n              Resource: !Sub arn:${AWS::Partition}:cloudfront::${AWS::AccountId}:distribution/*",
            "              Action: cloudfront:GetDistribution\n              Resource: !Sub arn:${AWS::Partition}:acm:*:${AWS::AccountId}:certificate/*",
        )
        self.assertFinds(self.iam(), "is not a resource cloudfront:GetDistribution applies to")

    def test_an_action_that_does_not_exist(self) -> None:
        self.copy.edit_template("              Action: cloudfront:CreateDistribution\n", "              Action: cloudfront:CreateDistributionWithTags\n")
        self.assertFinds(self.iam(), "cloudfront:CreateDistributionWithTags is not an IAM action")

    def test_an_action_the_function_does_not_call(self) -> None:
        self.copy.edit_template(
            "                - dynamodb:DeleteItem\n", "                - dynamodb:DeleteItem\n                - dynamodb:Scan\n"
        )
        self.assertFinds(self.iam(), "allows dynamodb:Scan, which api does not call")

    def test_an_action_the_function_needs_is_gone(self) -> None:
        # The api's two grants of it: on the stacks table and on the secrets table.
        self.copy.edit_template("                - dynamodb:DeleteItem\n", "", count=2)
        self.assertFinds(self.iam(), "lacks dynamodb:DeleteItem, which api calls")

    def test_a_state_machine_that_may_invoke_a_function_it_does_not_run(self) -> None:
        self.copy.edit_template(
            "                - !GetAtt RecordFailureFunction.Arn\n            - Sid: DeliverExecutionLogs",
            "                - !GetAtt RecordFailureFunction.Arn\n                - !GetAtt ApiFunction.Arn\n            - Sid: DeliverExecutionLogs",
        )
        self.assertFinds(self.iam(), "TeardownStateMachine's role may invoke", "which teardown.asl.json does not run")

    def test_a_state_machine_that_may_not_invoke_a_function_it_runs(self) -> None:
        self.copy.edit_template(
            "                - !GetAtt MarkReadyFunction.Arn\n                - !GetAtt RecordFailureFunction.Arn\n", "                - !GetAtt RecordFailureFunction.Arn\n"
        )
        self.assertFinds(self.iam(), "ProvisionStateMachine's role may not invoke", "MarkReadyFunction")

    def test_a_route53_grant_that_lost_its_conditions(self) -> None:
        self.copy.edit_template(
            "              Condition:\n                ForAllValues:StringEquals:\n                  route53:ChangeResourceRecordSetsRecordTypes: [A, AAAA]\n                  route53:ChangeResourceRecordSetsActions: [DELETE]\n",
            "",
        )
        self.assertFinds(self.iam(), "Route 53 changes must be pinned")

    def test_a_destructive_grant_that_lost_its_tag_condition(self) -> None:
        self.copy.edit_template(
            "              Action: acm:DeleteCertificate\n"
            "              Resource: !Sub arn:${AWS::Partition}:acm:*:${AWS::AccountId}:certificate/*\n"
            "              Condition:\n                StringLike:\n                  aws:ResourceTag/edgestack:stack-id: stk_*\n",
            "              Action: acm:DeleteCertificate\n"
            "              Resource: !Sub arn:${AWS::Partition}:acm:*:${AWS::AccountId}:certificate/*\n",
        )
        self.assertFinds(self.iam(), "acm:DeleteCertificate must be conditioned on the resource's edgestack:stack-id tag")

    def test_a_role_sam_would_make(self) -> None:
        self.copy.edit_template(
            "      Role: !GetAtt MarkReadyRole.Arn\n",
            "      Policies:\n        - DynamoDBCrudPolicy:\n            TableName: !Ref StacksTable\n",
        )
        self.assertFinds(self.iam(), "belongs to no function or state machine")

    def with_calls(self) -> list[str]:
        """check_iam with the declared calls too (it asks cargo metadata for the SDK's operations)."""
        return check_iam.check(self.copy.paths, REFERENCE)

    def test_a_new_call_nobody_may_make(self) -> None:
        self.copy.edit_calls("api", lambda calls: calls | {"dynamodb:Scan"})
        self.assertFinds(self.with_calls(), "api declares dynamodb:Scan: map scan to its IAM actions")

    def test_a_declared_call_the_sdk_does_not_have(self) -> None:
        self.copy.edit_calls("validate-request", lambda calls: calls | {"apigateway:GetDomainNamez"})
        self.assertFinds(self.with_calls(), "validate-request declares apigateway:GetDomainNamez, which no aws-sdk-* crate")

    def test_a_declared_call_whose_role_lacks_the_action(self) -> None:
        self.copy.edit_calls("mark-ready", lambda calls: calls | {"cloudfront:GetDistribution"})
        self.assertFinds(
            self.with_calls(),
            "mark-ready calls cloudfront:GetDistribution, which needs cloudfront:GetDistribution; its role does not allow it",
        )

    def test_a_grant_no_declared_call_needs(self) -> None:
        self.copy.edit_calls("check-distribution", lambda calls: calls - {"cloudfront:GetDistribution"})
        self.assertFinds(
            self.with_calls(), "check-distribution's role allows cloudfront:GetDistribution, which none of its declared calls needs"
        )

    def test_a_function_without_declared_calls(self) -> None:
        calls = json.loads(self.copy.paths.calls.read_text())
        del calls["smoke-test"]
        self.copy.paths.calls.write_text(json.dumps(calls))
        self.assertFinds(self.with_calls(), "infra/calls.json declares no calls for functions/smoke-test")

    def test_a_call_outside_the_resources_its_role_allows(self) -> None:
        self.copy.edit_template(
            "                - !Sub arn:${AWS::Partition}:apigateway:*::/restapis/*\n"
            "                # GetDomainName: is the name already an API Gateway custom domain?\n"
            "                - !Sub arn:${AWS::Partition}:apigateway:*::/domainnames/*\n",
            "                - !Sub arn:${AWS::Partition}:apigateway:*::/restapis/*\n",
        )
        self.assertFinds(
            self.with_calls(),
            "validate-request calls apigateway:GetDomainName: its role allows "
            "apigateway:GET on ['/restapis/*'], not on /domainnames/api.example.com",
        )

    def test_a_call_whose_role_lacks_the_action(self) -> None:
        self.copy.edit_template(
            "                - route53:GetHostedZone\n                # Is there a record for the name that edgestack did not write?\n"
            "                - route53:ListResourceRecordSets\n",
            "                - route53:GetHostedZone\n",
        )
        self.assertFinds(
            self.with_calls(),
            "validate-request calls route53:ListResourceRecordSets, which needs route53:ListResourceRecordSets; its role does not allow it",
        )

    def test_wildcard_arns_are_matched_against_aws_formats(self) -> None:
        acm = "arn:${Partition}:acm:${Region}:${Account}:certificate/${CertificateId}"
        self.assertTrue(check_iam.globs_intersect("arn:aws:acm:*:123456789012:certificate/*", acm))
        self.assertFalse(check_iam.globs_intersect("arn:aws:cloudfront::123456789012:distribution/*", acm))
        stream = "arn:${Partition}:logs:${Region}:${Account}:log-group:${LogGroupName}:log-stream:${LogStreamName}"
        self.assertTrue(check_iam.globs_intersect("arn:aws:logs:us-east-1:123456789012:log-group:/aws/lambda/x:*", stream))


class Template(Case):
    def check(self) -> list[str]:
        return check_template.check(self.copy.paths)

    def test_a_method_without_iam_authorization(self) -> None:
        self.copy.edit_template(
            "Properties: { RestApiId: !Ref StacksApi, Path: /stacks, Method: get }",
            "Properties: { RestApiId: !Ref StacksApi, Path: /stacks, Method: get, Auth: { Authorizer: NONE } }",
        )
        self.assertFinds(self.check(), "GET /stacks is not AWS_IAM-only")

    def test_callers_credentials_for_the_integration(self) -> None:
        self.copy.edit_template("        InvokeRole: NONE\n", "")
        self.assertFinds(self.check(), "Auth.InvokeRole must be NONE", "invokes with credentials")

    def test_gateway_responses_outside_the_error_shape(self) -> None:
        self.copy.edit_template(
            "        ACCESS_DENIED:\n          StatusCode: \"403\"\n",
            "        ACCESS_DENIED:\n          StatusCode: \"401\"\n",
        )
        self.copy.edit_template('{"error":{"code":"throttled","message"', '{"error":{"code":"slow_down","message"')
        self.copy.edit_template('{"error":{"code":"payload_too_large","message":$context.error.messageString,"details":[]}}',
                                '{"message":$context.error.messageString}')
        self.copy.edit_template("        DEFAULT_5XX:\n", "        DEFAULT_4XX:\n")
        self.assertFinds(
            self.check(),
            "gateway response ACCESS_DENIED answers 401 with code forbidden, which openapi.yaml documents as 403",
            "gateway response THROTTLED has code slow_down",
            "gateway response REQUEST_TOO_LARGE is not the error shape",
            "GatewayResponses has no DEFAULT_5XX",
        )

    def test_the_error_codes_are_read_from_openapi_yaml(self) -> None:
        statuses = check_template.api_error_statuses()
        self.assertEqual(statuses["unauthenticated"], 401)
        self.assertEqual(statuses["stack_not_found"], 404)
        self.assertEqual(statuses["route_not_found"], 404)
        self.assertEqual(statuses["domain_taken"], 409)
        self.assertEqual(statuses["service_unavailable"], 503)
        self.assertEqual(len(statuses), 16)

    def test_a_role_that_may_read_the_origin_header_values(self) -> None:
        self.copy.edit_template(
            "              Action: dynamodb:DeleteItem\n              Resource: !GetAtt SecretsTable.Arn\n",
            "              Action:\n                - dynamodb:DeleteItem\n                - dynamodb:GetItem\n"
            "              Resource: !GetAtt SecretsTable.Arn\n",
        )
        self.assertFinds(self.check(), "FinishTeardownFunction (finish-teardown): may do ['dynamodb:DeleteItem', 'dynamodb:GetItem'] on SecretsTable")

    def test_a_local_only_setting_deployed(self) -> None:
        self.copy.edit_template(
            "          EDGESTACK_PERMISSIONS: !Ref PermissionsPolicy\n",
            "          EDGESTACK_PERMISSIONS: !Ref PermissionsPolicy\n          EDGESTACK_FAULT_INJECTION: \"true\"\n",
        )
        self.assertFinds(self.check(), "EDGESTACK_FAULT_INJECTION is for the local stack only")

    def test_a_cache_policy_that_drops_a_signature_header(self) -> None:
        self.copy.edit_template("              - X-Amz-Security-Token\n", "")
        self.assertFinds(self.check(), "the cache key must hold exactly the SigV4 headers")

    def test_a_second_cache_policy(self) -> None:
        self.copy.edit_template("  IamAuthCachePolicy:\n", "  OtherPolicy:\n    Type: AWS::CloudFront::CachePolicy\n    Properties: {}\n  IamAuthCachePolicy:\n")
        self.assertFinds(self.check(), "expected ONE AWS::CloudFront::CachePolicy")

    def test_the_table_without_ttl_or_recovery(self) -> None:
        self.copy.edit_template("        AttributeName: expires_at\n        Enabled: true\n", "        AttributeName: expires_at\n        Enabled: false\n")
        self.copy.edit_template("        PointInTimeRecoveryEnabled: true\n", "        PointInTimeRecoveryEnabled: false\n")
        self.assertFinds(self.check(), "TTL must be on, on expires_at", "point-in-time recovery must be on")

    def test_a_missing_alarm(self) -> None:
        self.copy.edit_template("      MetricName: ExecutionsTimedOut\n", "      MetricName: ExecutionsSucceeded\n")
        self.assertFinds(self.check(), "no alarm on ExecutionsTimedOut of ProvisionStateMachine")

    def test_a_log_group_without_retention(self) -> None:
        self.copy.edit_template(
            "      LogGroupName: !Sub /aws/lambda/${AWS::StackName}-smoke-test\n      RetentionInDays: !Ref LogRetentionInDays\n",
            "      LogGroupName: !Sub /aws/lambda/${AWS::StackName}-smoke-test\n",
        )
        self.assertFinds(self.check(), "log group SmokeTestLogGroup: no RetentionInDays")


class Linters(Case):
    def test_cfn_lint_rejects_an_invalid_template(self) -> None:
        from cfnlint.api import lint_file

        self.copy.edit_template("      BillingMode: PAY_PER_REQUEST\n", "      BillingMode: ON_DEMAND\n")
        matches = lint_file(self.copy.paths.template)
        self.assertTrue([m for m in matches if m.rule.id.startswith("E")], "cfn-lint passed an invalid BillingMode")

    def test_checkov_fails_a_finding_without_its_skip(self) -> None:
        import subprocess

        self.copy.edit_template(
            "          - id: CKV_AWS_119\n", "          - id: CKV_AWS_0\n"
        )
        checkov = Path(sys.executable).parent / "checkov"
        result = subprocess.run(
            [str(checkov), "--quiet", "--compact", "--skip-download", "--framework", "cloudformation",
             "-f", str(self.copy.paths.template)],
            capture_output=True, text=True,
        )
        self.assertNotEqual(result.returncode, 0, result.stdout)
        self.assertIn("CKV_AWS_119", result.stdout)


if __name__ == "__main__":
    unittest.main()
