"""API Gateway's rules (local/strict/apigateway.py). Tests marked `rule` must fail on bare moto."""

import time

import pytest

from helpers import error_of, issued_certificate, request_certificate

rule = pytest.mark.rule


def _regional(apigw, name: str, arn: str):
    return apigw.create_domain_name(domainName=name, regionalCertificateArn=arn,
                                    endpointConfiguration={"types": ["REGIONAL"]})


def _throttled(call, *args, **kwargs):
    code, status, message = error_of(call, *args, **kwargs)
    assert (code, status, message) == ("TooManyRequestsException", 429, "Too Many Requests")


# API Gateway quotas: CreateDomainName 1 request every 30 s per account, not raisable.
@rule
def test_create_domain_name_once_per_window(stack):
    arn = issued_certificate(stack, "api.example.com")
    stack.config(apigateway_domain_window=30)  # 0.3 s here
    apigw = stack.client("apigateway", retries=1)
    _regional(apigw, "a.example.com", arn)
    _throttled(_regional, apigw, "b.example.com", arn)
    time.sleep(stack.seconds("apigateway_domain_window"))
    _regional(apigw, "b.example.com", arn)


# API Gateway quotas: DeleteDomainName 1 request every 30 s per account, not raisable; the
# answer carries x-amzn-ErrorType, as every REST-JSON error of API Gateway does.
@rule
def test_delete_domain_name_once_per_window(stack):
    arn = issued_certificate(stack, "api.example.com")
    stack.config(apigateway_domain_window=0)
    apigw = stack.client("apigateway", retries=1)
    _regional(apigw, "a.example.com", arn)
    _regional(apigw, "b.example.com", arn)
    stack.config(apigateway_domain_window=30)
    apigw.delete_domain_name(domainName="a.example.com")
    with pytest.raises(apigw.exceptions.TooManyRequestsException) as e:
        apigw.delete_domain_name(domainName="b.example.com")
    assert e.value.response["ResponseMetadata"]["HTTPHeaders"]["x-amzn-errortype"] == "TooManyRequestsException"
    time.sleep(stack.seconds("apigateway_domain_window"))
    apigw.delete_domain_name(domainName="b.example.com")


# API Gateway quotas: CreateDeployment 1 request every 5 s per account.
@rule
def test_create_deployment_once_per_window(stack):
    stack.config(apigateway_deployment_window=30, apigateway_rest_api_window=0)
    apigw = stack.client("apigateway", retries=1)
    api = apigw.create_rest_api(name="a", endpointConfiguration={"types": ["REGIONAL"]})["id"]
    root = apigw.get_resources(restApiId=api)["items"][0]["id"]
    apigw.put_method(restApiId=api, resourceId=root, httpMethod="GET", authorizationType="NONE")
    apigw.put_integration(restApiId=api, resourceId=root, httpMethod="GET", type="MOCK")
    apigw.create_deployment(restApiId=api, stageName="a")
    _throttled(apigw.create_deployment, restApiId=api, stageName="b")
    time.sleep(stack.seconds("apigateway_deployment_window"))
    apigw.create_deployment(restApiId=api, stageName="b")


# API Gateway quotas: CreateRestApi (Regional) 1 request every 3 s per account.
@rule
def test_create_rest_api_once_per_window(stack):
    stack.config(apigateway_rest_api_window=30)
    apigw = stack.client("apigateway", retries=1)
    apigw.create_rest_api(name="a", endpointConfiguration={"types": ["REGIONAL"]})
    _throttled(apigw.create_rest_api, name="b", endpointConfiguration={"types": ["REGIONAL"]})
    time.sleep(stack.seconds("apigateway_rest_api_window"))
    apigw.create_rest_api(name="b", endpointConfiguration={"types": ["REGIONAL"]})


# API Gateway API reference, CreateDomainName: the Regional certificate must be issued
# (BadRequestException "Certificate ... in account ... not yet issued").
@rule
def test_create_domain_name_refuses_a_certificate_not_issued(stack):
    stack.config(apigateway_domain_window=0)
    acm, apigw = stack.client("acm"), stack.client("apigateway")
    arn = request_certificate(acm, "api.example.com")
    code, status, message = error_of(_regional, apigw, "api.example.com", arn)
    assert (code, status) == ("BadRequestException", 400)
    assert message == f"Certificate {arn} in account 123456789012 not yet issued"
    assert apigw.get_domain_names()["items"] == []


# serverless-domain-manager #49: a Regional certificate must be in the API's region.
@rule
def test_create_domain_name_refuses_a_certificate_of_another_region(stack):
    stack.config(apigateway_domain_window=0)
    arn = issued_certificate(stack, "api.example.com")  # us-east-1
    apigw = stack.client("apigateway", region="eu-west-1")
    code, status, message = error_of(_regional, apigw, "api.example.com", arn)
    assert (code, status) == ("BadRequestException", 400)
    assert message == f"Invalid certificate ARN: {arn}. Certificate must be in 'eu-west-1'."


# API Gateway API reference, CreateDomainName errors: ConflictException (409) for a name that
# exists; the first domain name is left as it was.
@rule
def test_create_domain_name_conflicts_with_an_existing_name(stack):
    stack.config(apigateway_domain_window=0)
    arn = issued_certificate(stack, "api.example.com")
    apigw = stack.client("apigateway")
    _regional(apigw, "api.example.com", arn)
    before = apigw.get_domain_name(domainName="api.example.com")
    before.pop("ResponseMetadata")
    code, status, message = error_of(apigw.create_domain_name, domainName="api.example.com",
                                     regionalCertificateArn=arn, securityPolicy="TLS_1_2",
                                     endpointConfiguration={"types": ["REGIONAL"]})
    assert (code, status, message) == ("ConflictException", 409, "The domain name you provided already exists.")
    after = apigw.get_domain_name(domainName="api.example.com")
    after.pop("ResponseMetadata")
    assert after == before, "the existing domain is left as it was"


# API Gateway API reference, GetBasePathMappings: the collection of a domain name's mappings,
# empty before the first; NotFoundException for a name that does not exist.
@rule
def test_base_path_mappings_of_a_domain_never_mapped_are_none(stack):
    stack.config(apigateway_domain_window=0)
    arn = issued_certificate(stack, "api.example.com")
    apigw = stack.client("apigateway")
    _regional(apigw, "api.example.com", arn)
    assert apigw.get_base_path_mappings(domainName="api.example.com").get("items", []) == []
    code, status, _ = error_of(apigw.get_base_path_mappings, domainName="nothing.example.com")
    assert (code, status) == ("NotFoundException", 404)
