"""ACM's rules (local/strict/acm.py). Tests marked `rule` must fail on bare moto."""

import datetime
import time

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from helpers import (create_validation_records, error_of, issued_certificate, request_certificate, status_of,
                     validation_records, wait_until, zone)

rule = pytest.mark.rule


def _listed(acm, **kwargs) -> dict[str, str]:
    return {c["CertificateArn"]: c["Status"] for c in acm.list_certificates(**kwargs)["CertificateSummaryList"]}


# ACM user guide, DNS validation: ACM issues the certificate only once it finds the validation
# CNAME in DNS. Until then PENDING_VALIDATION everywhere: DescribeCertificate, each name's
# ValidationStatus, ListCertificates and its status filter.
@rule
def test_pending_until_the_validation_record_exists(stack):
    stack.config(acm_issue=30, acm_record_lag=0)  # issued 0.3 s after the record, here
    acm, r53 = stack.client("acm"), stack.client("route53")
    arn = request_certificate(acm, "www.example.com", ["api.example.com"])
    records = validation_records(acm, arn)
    time.sleep(stack.seconds("acm_issue") * 1.5)  # long enough, but no record yet
    cert = acm.describe_certificate(CertificateArn=arn)["Certificate"]
    assert cert["Status"] == "PENDING_VALIDATION"
    assert {o["ValidationStatus"] for o in cert["DomainValidationOptions"]} == {"PENDING_VALIDATION"}
    assert "IssuedAt" not in cert
    assert _listed(acm) == {arn: "PENDING_VALIDATION"}
    assert _listed(acm, CertificateStatuses=["ISSUED"]) == {}
    assert _listed(acm, CertificateStatuses=["PENDING_VALIDATION"]) == {arn: "PENDING_VALIDATION"}

    # The owner of "outside DNS" creates the record: a zone of the account stands for it.
    create_validation_records(r53, zone(r53, "example.com"), records)
    assert status_of(acm, arn) == "PENDING_VALIDATION"  # ACM takes acm_issue to notice
    assert wait_until(lambda: status_of(acm, arn) == "ISSUED", stack.seconds("acm_issue") + 2)
    cert = acm.describe_certificate(CertificateArn=arn)["Certificate"]
    assert {o["ValidationStatus"] for o in cert["DomainValidationOptions"]} == {"SUCCESS"}
    assert _listed(acm, CertificateStatuses=["ISSUED"]) == {arn: "ISSUED"}


# The record must be in the zone for the name (the longest suffix), with the value ACM asked for.
@rule
def test_a_record_elsewhere_or_with_another_value_does_not_validate(stack):
    stack.config(acm_issue=0, acm_record_lag=0)
    acm, r53 = stack.client("acm"), stack.client("route53")
    arn = request_certificate(acm, "www.sub.example.com")
    (record,) = validation_records(acm, arn)
    parent, child = zone(r53, "example.com"), zone(r53, "sub.example.com")
    # In the parent zone: hidden by the delegated child zone, as in DNS.
    create_validation_records(r53, parent, [record])
    # In the right zone but with another value.
    create_validation_records(r53, child, [{**record, "Value": "_other.acm-validations.aws."}])
    time.sleep(0.1)
    assert status_of(acm, arn) == "PENDING_VALIDATION"
    create_validation_records(r53, child, [record])
    assert wait_until(lambda: status_of(acm, arn) == "ISSUED", 2)


# ACM API reference, DescribeCertificate: the ResourceRecord appears only after ACM made it;
# tools wait for it (terraform-provider-aws, aws-cdk).
@rule
def test_validation_record_appears_after_a_lag(stack):
    stack.config(acm_record_lag=30)  # 0.3 s here
    acm = stack.client("acm")
    arn = request_certificate(acm, "www.example.com")
    options = acm.describe_certificate(CertificateArn=arn)["Certificate"]["DomainValidationOptions"]
    assert [o.get("ResourceRecord") for o in options] == [None]
    assert options[0]["ValidationStatus"] == "PENDING_VALIDATION"
    time.sleep(stack.seconds("acm_record_lag"))
    (record,) = validation_records(acm, arn, timeout=0)
    assert record["Type"] == "CNAME" and record["Name"].endswith(".www.example.com.")


# ACM API reference, ListCertificates: default filtering returns only RSA_1024 and RSA_2048
# certificates; Includes.keyTypes asks for others.
@rule
def test_list_returns_only_rsa_unless_key_types_say_otherwise(stack):
    acm = stack.client("acm")
    rsa = request_certificate(acm, "www.example.com")
    ec_arn = acm.import_certificate(**_ec_certificate("ec.example.com"))["CertificateArn"]
    assert set(_listed(acm)) == {rsa}
    assert set(_listed(acm, Includes={"extendedKeyUsage": []})) == {rsa}
    assert set(_listed(acm, Includes={"keyTypes": ["EC_prime256v1"]})) == {ec_arn}
    assert set(_listed(acm, Includes={"keyTypes": ["RSA_2048", "EC_prime256v1"]})) == {rsa, ec_arn}


# ACM API reference, DeleteCertificate: ResourceInUseException while another service uses it.
@rule
def test_delete_of_a_certificate_in_use_by_a_domain_name(stack):
    stack.config(acm_in_use_lag=0, apigateway_domain_window=0)
    arn = issued_certificate(stack, "api.example.com")
    acm, apigw = stack.client("acm"), stack.client("apigateway")
    apigw.create_domain_name(domainName="api.example.com", regionalCertificateArn=arn,
                             endpointConfiguration={"types": ["REGIONAL"]})
    code, status, message = error_of(acm.delete_certificate, CertificateArn=arn)
    assert (code, status) == ("ResourceInUseException", 400)
    assert message == f"Certificate {arn} in account 123456789012 is in use."
    assert acm.describe_certificate(CertificateArn=arn)["Certificate"]["InUseBy"] == [
        "arn:aws:apigateway:us-east-1::/domainnames/api.example.com"]
    apigw.delete_domain_name(domainName="api.example.com")
    acm.delete_certificate(CertificateArn=arn)


# aws-cdk #36265, serverless-domain-manager #32, terraform-provider-aws #3868: the certificate
# stays in use for minutes after the domain name that used it was deleted.
@rule
def test_certificate_stays_in_use_after_its_user_is_deleted(stack):
    stack.config(acm_in_use_lag=50, apigateway_domain_window=0)  # 0.5 s here
    arn = issued_certificate(stack, "api.example.com")
    acm, apigw = stack.client("acm"), stack.client("apigateway")
    apigw.create_domain_name(domainName="api.example.com", regionalCertificateArn=arn,
                             endpointConfiguration={"types": ["REGIONAL"]})
    apigw.delete_domain_name(domainName="api.example.com")
    assert error_of(acm.delete_certificate, CertificateArn=arn)[0] == "ResourceInUseException"
    assert acm.describe_certificate(CertificateArn=arn)["Certificate"]["InUseBy"] == []
    time.sleep(stack.seconds("acm_in_use_lag"))
    acm.delete_certificate(CertificateArn=arn)


# A CloudFront distribution that names the certificate uses it too.
@rule
def test_delete_of_a_certificate_in_use_by_a_distribution(stack):
    stack.config(cloudfront_viewer_certificate_lag=0)
    arn = issued_certificate(stack, "www.example.com")
    acm, cf = stack.client("acm"), stack.client("cloudfront")
    origin = {"Id": "o", "DomainName": "origin.example.com",
              "CustomOriginConfig": {"HTTPPort": 80, "HTTPSPort": 443, "OriginProtocolPolicy": "https-only"}}
    cf.create_distribution(DistributionConfig={
        "CallerReference": "d1", "Comment": "", "Enabled": True,
        "Aliases": {"Quantity": 1, "Items": ["www.example.com"]},
        "Origins": {"Quantity": 1, "Items": [origin]},
        "DefaultCacheBehavior": {"TargetOriginId": "o", "ViewerProtocolPolicy": "redirect-to-https",
                                 "CachePolicyId": "658327ea-f89d-4fab-a63d-7e88639e58f6"},
        "ViewerCertificate": {"ACMCertificateArn": arn, "SSLSupportMethod": "sni-only",
                              "MinimumProtocolVersion": "TLSv1.2_2021"}})
    assert error_of(acm.delete_certificate, CertificateArn=arn)[:2] == ("ResourceInUseException", 400)


def _ec_certificate(name: str) -> dict:
    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = (x509.CertificateBuilder().subject_name(subject).issuer_name(subject).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now - datetime.timedelta(days=1))
            .not_valid_after(now + datetime.timedelta(days=30))
            .add_extension(x509.SubjectAlternativeName([x509.DNSName(name)]), critical=False)
            .sign(key, hashes.SHA256()))
    return {"Certificate": cert.public_bytes(serialization.Encoding.PEM),
            "PrivateKey": key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                            serialization.NoEncryption())}


# ACM user guide, Quotas, API rate quotas: each operation's own requests per second, per account
# per region (ListCertificates 1, RequestCertificate 5, ...); ThrottlingException, HTTP 400.
@rule
def test_each_operation_has_its_own_rate_per_region(stack):
    stack.config(acm_window=30)  # 0.3 s here: the calls below fit well inside it
    east, west = stack.client("acm", retries=1), stack.client("acm", "eu-west-1", retries=1)
    east.list_certificates()
    code, status, message = error_of(east.list_certificates)
    assert (code, status, message) == ("ThrottlingException", 400, "Rate exceeded")
    west.list_certificates()  # another region: a bucket of its own
    for n in range(5):  # another operation: its own five a second
        request_certificate(east, f"n{n}.example.com", [])
    assert error_of(request_certificate, east, "n5.example.com", [])[:2] == ("ThrottlingException", 400)
    time.sleep(stack.seconds("acm_window"))
    east.list_certificates()
