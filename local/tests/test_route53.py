"""Route 53's rules (local/strict/route53.py). Tests marked `rule` must fail on bare moto."""

import time

import pytest

from helpers import a_record, error_of, zone

rule = pytest.mark.rule


# Route 53 API reference, ChangeResourceRecordSets: PENDING is "the initial status of all change
# batch requests"; GetChange: INSYNC once the change has propagated (typically within 60 s).
@rule
def test_change_is_pending_then_insync(stack):
    stack.config(route53_insync=30)
    r53 = stack.client("route53")
    zid = zone(r53, "example.com")
    info = r53.change_resource_record_sets(
        HostedZoneId=zid, ChangeBatch={"Changes": [a_record("CREATE", "a.example.com", "192.0.2.1")]})["ChangeInfo"]
    assert info["Status"] == "PENDING"
    assert r53.get_change(Id=info["Id"])["ChangeInfo"]["Status"] == "PENDING"
    time.sleep(stack.seconds("route53_insync"))
    assert r53.get_change(Id=info["Id"])["ChangeInfo"] == {**info, "Status": "INSYNC"}


# Each change batch has an id of its own (moto gives every batch the same one).
@rule
def test_each_change_has_its_own_id(stack):
    r53 = stack.client("route53")
    zid = zone(r53, "example.com")
    ids = {r53.change_resource_record_sets(
        HostedZoneId=zid, ChangeBatch={"Changes": [a_record("UPSERT", "a.example.com", f"192.0.2.{i}")]}
    )["ChangeInfo"]["Id"] for i in range(3)}
    assert len(ids) == 3


# Route 53 API reference, GetChange errors: NoSuchChange (404) for an unknown change id.
@rule
def test_unknown_change_is_no_such_change(stack):
    r53 = stack.client("route53")
    assert error_of(r53.get_change, Id="/change/CNOSUCHCHANGE")[:2] == ("NoSuchChange", 404)


# Route 53 API reference, CreateHostedZone: its ChangeInfo is PENDING too.
@rule
def test_create_hosted_zone_is_pending(stack):
    r53 = stack.client("route53")
    info = r53.create_hosted_zone(Name="example.org", CallerReference="r1")["ChangeInfo"]
    assert info["Status"] == "PENDING"


# Route 53 developer guide, Quotas on API requests: five requests per second per account, all
# operations together; Throttling, HTTP 400.
@rule
def test_five_requests_per_window_per_account(stack):
    stack.config(route53_window=30)  # 0.3 s here: the burst below fits well inside it
    r53 = stack.client("route53", retries=1)
    zid = zone(r53, "example.com")
    r53.list_hosted_zones()
    r53.get_hosted_zone(Id=zid)
    r53.list_resource_record_sets(HostedZoneId=zid)
    r53.change_resource_record_sets(HostedZoneId=zid, ChangeBatch={"Changes": [a_record("CREATE", "a.example.com", "192.0.2.1")]})
    code, status, message = error_of(r53.list_hosted_zones)
    assert (code, status, message) == ("Throttling", 400, "Rate exceeded")
    time.sleep(stack.seconds("route53_window"))
    r53.list_hosted_zones()


# Route 53 API reference, ChangeResourceRecordSets errors: PriorRequestNotComplete while a prior
# change to the zone is being processed; another zone is not affected.
@rule
def test_prior_request_not_complete_for_a_busy_zone(stack):
    stack.config(route53_zone_busy=30)  # 0.3 s here
    r53 = stack.client("route53", retries=1)
    zid, other = zone(r53, "example.com"), zone(r53, "example.net")
    r53.change_resource_record_sets(HostedZoneId=zid, ChangeBatch={"Changes": [a_record("CREATE", "a.example.com", "192.0.2.1")]})
    code, status, _ = error_of(r53.change_resource_record_sets, HostedZoneId=zid,
                               ChangeBatch={"Changes": [a_record("CREATE", "b.example.com", "192.0.2.2")]})
    assert (code, status) == ("PriorRequestNotComplete", 400)
    r53.change_resource_record_sets(HostedZoneId=other, ChangeBatch={"Changes": [a_record("CREATE", "a.example.net", "192.0.2.1")]})
    time.sleep(stack.seconds("route53_zone_busy"))
    r53.change_resource_record_sets(HostedZoneId=zid, ChangeBatch={"Changes": [a_record("CREATE", "b.example.com", "192.0.2.2")]})


# Route 53 API reference, ChangeResourceRecordSets: CREATE "returns an error if a resource record
# set already exists"; the message is AWS's own.
@rule
def test_create_of_an_existing_record_is_invalid(stack):
    r53 = stack.client("route53")
    zid = zone(r53, "example.com")
    r53.change_resource_record_sets(HostedZoneId=zid, ChangeBatch={"Changes": [a_record("CREATE", "a.example.com", "192.0.2.1")]})
    code, status, message = error_of(r53.change_resource_record_sets, HostedZoneId=zid,
                                     ChangeBatch={"Changes": [a_record("CREATE", "a.example.com", "192.0.2.9")]})
    assert (code, status) == ("InvalidChangeBatch", 400)
    assert message == "[Tried to create resource record set [name='a.example.com.', type='A'] but it already exists]"
    records = r53.list_resource_record_sets(HostedZoneId=zid)["ResourceRecordSets"]
    assert [r["ResourceRecords"] for r in records if r["Type"] == "A"] == [[{"Value": "192.0.2.1"}]]


# Route 53 API reference, ChangeResourceRecordSets: DELETE needs the record's current values.
@rule
def test_delete_with_other_values_is_invalid(stack):
    r53 = stack.client("route53")
    zid = zone(r53, "example.com")
    r53.change_resource_record_sets(HostedZoneId=zid, ChangeBatch={"Changes": [a_record("CREATE", "a.example.com", "192.0.2.1")]})
    code, status, message = error_of(r53.change_resource_record_sets, HostedZoneId=zid,
                                     ChangeBatch={"Changes": [a_record("DELETE", "a.example.com", "192.0.2.9")]})
    assert (code, status) == ("InvalidChangeBatch", 400)
    assert message == ("[Tried to delete resource record set [name='a.example.com.', type='A'] "
                       "but the values provided do not match the current values]")
    code, _, message = error_of(r53.change_resource_record_sets, HostedZoneId=zid,
                                ChangeBatch={"Changes": [a_record("DELETE", "a.example.com", "192.0.2.1", ttl=300)]})
    assert code == "InvalidChangeBatch" and "do not match the current values" in message


# Route 53 API reference, ChangeResourceRecordSets: InvalidChangeBatch for a DELETE of a record
# set that does not exist.
@rule
def test_delete_of_a_missing_record_is_invalid(stack):
    r53 = stack.client("route53")
    zid = zone(r53, "example.com")
    code, status, message = error_of(r53.change_resource_record_sets, HostedZoneId=zid,
                                     ChangeBatch={"Changes": [a_record("DELETE", "a.example.com", "192.0.2.1")]})
    assert (code, status) == ("InvalidChangeBatch", 400)
    assert message == "[Tried to delete resource record set [name='a.example.com.', type='A'] but it was not found]"


# Not a rule of its own: what the checks above must still allow.
def test_valid_batches_are_accepted(stack):
    r53 = stack.client("route53")
    zid = zone(r53, "example.com")
    change = lambda *c: r53.change_resource_record_sets(HostedZoneId=zid, ChangeBatch={"Changes": list(c)})  # noqa: E731
    change(a_record("CREATE", "a.example.com", "192.0.2.1"))
    # A DELETE and a CREATE of one name in one batch; names compared without case or final dot.
    change(a_record("DELETE", "A.Example.com.", "192.0.2.1"), a_record("CREATE", "a.example.com", "192.0.2.2"))
    change(a_record("UPSERT", "a.example.com", "192.0.2.3"))
    change(a_record("DELETE", "a.example.com", "192.0.2.3"))
    # Created again after its deletion (moto alone refuses this, from its change journal).
    change(a_record("CREATE", "a.example.com", "192.0.2.1"))
    change(a_record("CREATE", "c.example.com", "Target.Example.com", rtype="CNAME"))
    change(a_record("DELETE", "c.example.com", "target.example.com.", rtype="CNAME"))
    alias = {"HostedZoneId": "Z2FDTNDATAQYW2", "DNSName": "d111111abcdef8.cloudfront.net", "EvaluateTargetHealth": False}
    change({"Action": "CREATE", "ResourceRecordSet": {"Name": "www.example.com", "Type": "A", "AliasTarget": alias}})
    change({"Action": "DELETE", "ResourceRecordSet": {"Name": "www.example.com", "Type": "A", "AliasTarget": alias}})
    names = {(r["Name"], r["Type"]) for r in r53.list_resource_record_sets(HostedZoneId=zid)["ResourceRecordSets"]}
    assert names == {("example.com.", "NS"), ("example.com.", "SOA"), ("a.example.com.", "A")}


def test_every_problem_of_a_batch_in_one_message(stack):
    r53 = stack.client("route53")
    zid = zone(r53, "example.com")
    r53.change_resource_record_sets(HostedZoneId=zid, ChangeBatch={"Changes": [a_record("CREATE", "a.example.com", "192.0.2.1")]})
    _, _, message = error_of(r53.change_resource_record_sets, HostedZoneId=zid, ChangeBatch={"Changes": [
        a_record("CREATE", "a.example.com", "192.0.2.1"), a_record("DELETE", "b.example.com", "192.0.2.1")]})
    assert message == ("[Tried to create resource record set [name='a.example.com.', type='A'] but it already exists, "
                       "Tried to delete resource record set [name='b.example.com.', type='A'] but it was not found]")
