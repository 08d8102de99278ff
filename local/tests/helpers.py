"""Small helpers shared by the tests."""

from __future__ import annotations

import time

import pytest
from botocore.exceptions import ClientError


def error_of(call, *args, **kwargs) -> tuple[str, int, str]:
    """(code, HTTP status, message) of the ClientError that `call` must raise."""
    with pytest.raises(ClientError) as e:
        call(*args, **kwargs)
    err = e.value.response
    return err["Error"]["Code"], err["ResponseMetadata"]["HTTPStatusCode"], err["Error"].get("Message", "")


def wait_until(predicate, timeout: float, step: float = 0.02):
    """Poll `predicate` until it is truthy (returned) or `timeout` passes (its last value)."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value or time.monotonic() > deadline:
            return value
        time.sleep(step)


def a_record(action: str, name: str, value: str, ttl: int = 60, rtype: str = "A") -> dict:
    return {"Action": action, "ResourceRecordSet": {"Name": name, "Type": rtype, "TTL": ttl,
                                                      "ResourceRecords": [{"Value": value}]}}


def zone(r53, name: str) -> str:
    return r53.create_hosted_zone(Name=name, CallerReference=f"{name}-{time.monotonic_ns()}")["HostedZone"]["Id"]


def request_certificate(acm, domain: str, sans: list[str] | None = None) -> str:
    kwargs = {"SubjectAlternativeNames": sans} if sans else {}
    return acm.request_certificate(DomainName=domain, ValidationMethod="DNS", **kwargs)["CertificateArn"]


def validation_records(acm, arn: str, timeout: float = 5) -> list[dict]:
    """The certificate's validation CNAMEs, once ACM gives them (after acm_record_lag)."""
    def records():
        options = acm.describe_certificate(CertificateArn=arn)["Certificate"]["DomainValidationOptions"]
        return [o["ResourceRecord"] for o in options] if all("ResourceRecord" in o for o in options) else None
    found = wait_until(records, timeout)
    assert found, "no validation record within the timeout"
    return found


def create_validation_records(r53, zone_id: str, records: list[dict]) -> None:
    unique = {(r["Name"], r["Value"]) for r in records}
    r53.change_resource_record_sets(HostedZoneId=zone_id, ChangeBatch={"Changes": [
        {"Action": "UPSERT", "ResourceRecordSet": {"Name": name, "Type": "CNAME", "TTL": 300,
                                                   "ResourceRecords": [{"Value": value}]}}
        for name, value in sorted(unique)]})


def status_of(acm, arn: str) -> str:
    return acm.describe_certificate(CertificateArn=arn)["Certificate"]["Status"]


def issued_certificate(stack, domain: str) -> str:
    """A DNS-validated certificate for `domain`, issued (its zone is made here)."""
    acm, r53 = stack.client("acm"), stack.client("route53")
    stack.config(acm_issue=0, acm_record_lag=0)
    arn = request_certificate(acm, domain)
    zone_name = domain.split(".", 1)[1] if domain.count(".") > 1 else domain
    create_validation_records(r53, zone(r53, zone_name), validation_records(acm, arn))
    assert wait_until(lambda: status_of(acm, arn) == "ISSUED", 5)
    return arn
