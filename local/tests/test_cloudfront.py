"""CloudFront's rules (local/strict/cloudfront.py), through boto3 against the whole account.

Tests marked `rule` must fail on bare moto (`pytest --bare`)."""

import time

import pytest

from helpers import error_of, wait_until
from strict import cloudfront

rule = pytest.mark.rule

CACHING_DISABLED = "4135ea2d-6df8-44a3-9df3-4b5a84be39ad"
CACHING_OPTIMIZED = "658327ea-f89d-4fab-a63d-7e88639e58f6"
ALL_VIEWER = "216adef6-5c7f-47e4-b989-5492eafa07d3"
ALL_VIEWER_EXCEPT_HOST = "b689b0a8-53d0-40ab-baf2-68738e2966ac"
ORIGIN_HOST = "abc123defg.execute-api.eu-west-1.amazonaws.com"


def fast(stack, **more):
    """Short AWS durations (seconds at AWS's scale; the time scale shrinks them again)."""
    stack.config(acm_issue=5, acm_record_lag=0, cloudfront_deploy=40, cloudfront_viewer_certificate_lag=0,
                 **more)


def dist_config(ref, aliases=(), certificate=None, enabled=True, cache_policy=CACHING_DISABLED,
                origin_policy=ALL_VIEWER_EXCEPT_HOST, comment=None):
    """A distribution as edgestack builds one (shared/steps/src/distribution_config.rs)."""
    methods = ["GET", "HEAD", "OPTIONS", "PUT", "POST", "PATCH", "DELETE"]
    behavior = {
        "TargetOriginId": "api-gateway",
        "ViewerProtocolPolicy": "redirect-to-https",
        "AllowedMethods": {"Quantity": 7, "Items": methods,
                           "CachedMethods": {"Quantity": 2, "Items": ["GET", "HEAD"]}},
        "Compress": True,
        "CachePolicyId": cache_policy,
    }
    if origin_policy:
        behavior["OriginRequestPolicyId"] = origin_policy
    if certificate:
        viewer = {"ACMCertificateArn": certificate, "SSLSupportMethod": "sni-only",
                  "MinimumProtocolVersion": "TLSv1.2_2021"}
    else:
        viewer = {"CloudFrontDefaultCertificate": True}
    return {
        "CallerReference": ref,
        "Comment": comment if comment is not None else f"edgestack {ref}",
        "Enabled": enabled,
        "Aliases": {"Quantity": len(aliases), "Items": list(aliases)},
        "Origins": {"Quantity": 1, "Items": [{
            "Id": "api-gateway", "DomainName": ORIGIN_HOST, "OriginPath": "/prod",
            "CustomHeaders": {"Quantity": 0, "Items": []},
            "CustomOriginConfig": {"HTTPPort": 80, "HTTPSPort": 443, "OriginProtocolPolicy": "https-only",
                                   "OriginSslProtocols": {"Quantity": 1, "Items": ["TLSv1.2"]},
                                   "OriginReadTimeout": 30, "OriginKeepaliveTimeout": 5}}]},
        "DefaultCacheBehavior": behavior,
        "ViewerCertificate": viewer,
        "PriceClass": "PriceClass_100",
        "HttpVersion": "http2and3",
        "IsIPV6Enabled": True,
    }


def create(cf, config, tags=()):
    return cf.create_distribution_with_tags(DistributionConfigWithTags={
        "DistributionConfig": config, "Tags": {"Items": [{"Key": k, "Value": v} for k, v in tags]}})


def zone_id(r53, name="example.com"):
    for z in r53.list_hosted_zones()["HostedZones"]:
        if z["Name"].rstrip(".") == name:
            return z["Id"]
    return r53.create_hosted_zone(Name=name, CallerReference=f"{name}-{time.monotonic_ns()}")["HostedZone"]["Id"]


def certificate(stack, name, sans=(), region="us-east-1", validate=True):
    """An ACM certificate, DNS-validated through the account's Route 53 zone for example.com
    (the strict ACM issues it once the validation CNAME exists); PENDING_VALIDATION when not
    `validate`."""
    acm = stack.client("acm", region)
    arn = acm.request_certificate(DomainName=name, ValidationMethod="DNS",
                                  SubjectAlternativeNames=[name, *sans])["CertificateArn"]
    if not validate:
        return arn

    def options():
        opts = acm.describe_certificate(CertificateArn=arn)["Certificate"].get("DomainValidationOptions", [])
        return opts if opts and all("ResourceRecord" in o for o in opts) else None

    opts = wait_until(options, 5)
    assert opts, "ACM gave no validation records"
    r53 = stack.client("route53")
    records = {o["ResourceRecord"]["Name"]: o["ResourceRecord"]["Value"] for o in opts}
    r53.change_resource_record_sets(HostedZoneId=zone_id(r53), ChangeBatch={"Changes": [
        {"Action": "UPSERT", "ResourceRecordSet": {"Name": n, "Type": "CNAME", "TTL": 300,
                                                   "ResourceRecords": [{"Value": v}]}}
        for n, v in records.items()]})
    issued = wait_until(lambda: acm.describe_certificate(CertificateArn=arn)["Certificate"]["Status"] == "ISSUED",
                        5 + stack.seconds("acm_issue") * 3)
    assert issued, "the certificate was not issued"
    return arn


def wait_deployed(cf, dist_id, stack):
    return wait_until(lambda: cf.get_distribution(Id=dist_id)["Distribution"]["Status"] == "Deployed",
                      stack.seconds("cloudfront_deploy") * 3 + 1)


# 1. CloudFront API reference, GetDistribution / DistributionSummary: Status is InProgress while
# a change propagates (minutes in AWS), then Deployed; every create and update starts it again,
# and every update changes the ETag (GetDistributionConfig gives the one to send as If-Match).
@rule
def test_status_in_progress_after_each_change_then_deployed(stack):
    fast(stack)
    cf = stack.client("cloudfront")
    created = create(cf, dist_config("status"), tags=[("edgestack:stack-id", "status")])
    dist_id = created["Distribution"]["Id"]
    assert created["Distribution"]["Status"] == "InProgress"
    assert cf.get_distribution(Id=dist_id)["Distribution"]["Status"] == "InProgress"
    assert cf.get_distribution(Id=dist_id)["Distribution"]["Status"] == "InProgress"
    [summary] = cf.list_distributions()["DistributionList"]["Items"]
    assert summary["Status"] == "InProgress"
    assert cloudfront.distribution_status(stack.account, dist_id) == "InProgress"

    assert wait_deployed(cf, dist_id, stack)
    assert cf.list_distributions()["DistributionList"]["Items"][0]["Status"] == "Deployed"
    assert cloudfront.distribution_status(stack.account, dist_id) == "Deployed"

    got = cf.get_distribution_config(Id=dist_id)
    assert got["ETag"] == created["ETag"] == cf.get_distribution(Id=dist_id)["ETag"]
    config = got["DistributionConfig"]
    config["Comment"] = "changed"
    updated = cf.update_distribution(Id=dist_id, IfMatch=got["ETag"], DistributionConfig=config)
    assert updated["Distribution"]["Status"] == "InProgress"
    assert updated["ETag"] != got["ETag"]
    after = cf.get_distribution(Id=dist_id)
    assert after["Distribution"]["Status"] == "InProgress"
    assert after["ETag"] == updated["ETag"] == cf.get_distribution_config(Id=dist_id)["ETag"]
    assert cf.list_distributions()["DistributionList"]["Items"][0]["Status"] == "InProgress"
    assert wait_deployed(cf, dist_id, stack)


# 2. CloudFront developer guide, "Use custom URLs by adding alternate domain names": a name can
# be an alternate domain name of one distribution only, in this or any other account:
# CNAMEAlreadyExists (409).
@rule
def test_alias_on_another_distribution_is_cname_already_exists(stack):
    fast(stack)
    cf = stack.client("cloudfront")
    cert = certificate(stack, "*.example.com")
    create(cf, dist_config("one", aliases=["api.example.com"], certificate=cert))
    code, status, message = error_of(create, cf, dist_config("two", aliases=["API.example.com"], certificate=cert))
    assert (code, status) == ("CNAMEAlreadyExists", 409)
    assert message == "One or more of the CNAMEs you provided are already associated with a different resource."

    two = create(cf, dist_config("two", aliases=["www.example.com"], certificate=cert))
    config = dist_config("two", aliases=["www.example.com", "api.example.com"], certificate=cert)
    assert error_of(cf.update_distribution, Id=two["Distribution"]["Id"], IfMatch=two["ETag"],
                    DistributionConfig=config)[:2] == ("CNAMEAlreadyExists", 409)
    # Its own aliases are not a conflict.
    cf.update_distribution(Id=two["Distribution"]["Id"], IfMatch=two["ETag"],
                           DistributionConfig=dist_config("two", aliases=["www.example.com"], certificate=cert))

    # Another account's distribution has shop.example.com.
    status, body = stack.control("POST", "/strict-api/cloudfront/foreign-aliases", {"aliases": ["shop.example.com"]})
    assert (status, body) == (200, {"aliases": ["shop.example.com"]})
    assert stack.control("GET", "/strict-api/cloudfront/foreign-aliases")[1] == {"aliases": ["shop.example.com"]}
    assert error_of(create, cf, dist_config("three", aliases=["shop.example.com"], certificate=cert))[:2] == \
        ("CNAMEAlreadyExists", 409)
    create(cf, dist_config("three", aliases=["blog.example.com"], certificate=cert))


# 3. CloudFront developer guide, alternate domain name requirements, and terraform-provider-aws
# #4698 (retries InvalidViewerCertificate for a minute after issuance): the ACM certificate must
# be ISSUED, in us-east-1, cover every alias, and CloudFront sees it only a while after issuance.
@rule
def test_viewer_certificate_must_be_issued_in_us_east_1_and_cover_the_aliases(stack):
    fast(stack)
    cf = stack.client("cloudfront")
    invalid = "The specified SSL certificate doesn't exist, isn't in us-east-1 region, isn't valid, " \
              "or doesn't include a valid certificate chain."

    pending = certificate(stack, "api.example.com", validate=False)
    assert error_of(create, cf, dist_config("p", aliases=["api.example.com"], certificate=pending)) == \
        ("InvalidViewerCertificate", 400, invalid)

    regional = certificate(stack, "api.example.com", region="eu-west-1")
    assert error_of(create, cf, dist_config("r", aliases=["api.example.com"], certificate=regional)) == \
        ("InvalidViewerCertificate", 400, invalid)

    wildcard = certificate(stack, "*.example.com")
    for alias in ("example.com", "a.b.example.com", "*.example.com.evil.net"):
        code, status, message = error_of(create, cf, dist_config("w", aliases=[alias], certificate=wildcard))
        assert (code, status) == ("InvalidViewerCertificate", 400), alias
        assert "doesn't cover the alternate domain name" in message
    create(cf, dist_config("w", aliases=["api.example.com"], certificate=wildcard))

    # An alias needs a certificate: the default *.cloudfront.net one covers none.
    code, status, message = error_of(create, cf, dist_config("d", aliases=["x.example.com"]))
    assert (code, status) == ("InvalidViewerCertificate", 400)
    assert "you must attach a trusted certificate" in message

    # Just issued: not yet usable by CloudFront.
    stack.config(cloudfront_viewer_certificate_lag=60)
    fresh = certificate(stack, "fresh.example.com")
    assert error_of(create, cf, dist_config("f", aliases=["fresh.example.com"], certificate=fresh)) == \
        ("InvalidViewerCertificate", 400, invalid)
    time.sleep(stack.seconds("cloudfront_viewer_certificate_lag"))
    create(cf, dist_config("f", aliases=["fresh.example.com"], certificate=fresh))


# 4. CloudFront API reference, UpdateDistribution / DeleteDistribution: InvalidIfMatchVersion
# (400) without If-Match, PreconditionFailed (412) with a stale one; DistributionNotDisabled
# (409) until the distribution is disabled and that change is Deployed. ACM (DeleteCertificate)
# keeps the certificate in use for a while after the distribution is gone.
@rule
def test_if_match_and_delete_only_once_disabled_and_deployed(stack):
    fast(stack, acm_in_use_lag=600)
    cf = stack.client("cloudfront")
    acm = stack.client("acm")
    cert = certificate(stack, "api.example.com")
    created = create(cf, dist_config("del", aliases=["api.example.com"], certificate=cert))
    dist_id, first = created["Distribution"]["Id"], created["ETag"]
    config = cf.get_distribution_config(Id=dist_id)["DistributionConfig"]

    assert error_of(cf.update_distribution, Id=dist_id, DistributionConfig=config)[:2] == ("InvalidIfMatchVersion", 400)
    assert error_of(cf.update_distribution, Id=dist_id, IfMatch="E2QWRUHAPOMQZL", DistributionConfig=config)[:2] == \
        ("PreconditionFailed", 412)
    assert wait_deployed(cf, dist_id, stack)
    assert error_of(cf.delete_distribution, Id=dist_id, IfMatch=first)[:2] == ("DistributionNotDisabled", 409)

    config["Enabled"] = False
    second = cf.update_distribution(Id=dist_id, IfMatch=first, DistributionConfig=config)["ETag"]
    # The first ETag is stale now.
    assert error_of(cf.update_distribution, Id=dist_id, IfMatch=first, DistributionConfig=config)[:2] == \
        ("PreconditionFailed", 412)
    # Disabled, but the disabling is not Deployed yet.
    assert error_of(cf.delete_distribution, Id=dist_id, IfMatch=second)[:2] == ("DistributionNotDisabled", 409)
    assert wait_deployed(cf, dist_id, stack)
    assert error_of(cf.delete_distribution, Id=dist_id)[:2] == ("InvalidIfMatchVersion", 400)
    assert error_of(cf.delete_distribution, Id=dist_id, IfMatch=first)[:2] == ("PreconditionFailed", 412)
    cf.delete_distribution(Id=dist_id, IfMatch=second)
    assert error_of(cf.get_distribution, Id=dist_id)[:2] == ("NoSuchDistribution", 404)
    assert error_of(cf.delete_distribution, Id=dist_id, IfMatch=second)[:2] == ("NoSuchDistribution", 404)
    # The certificate was released just now: still in use for ACM.
    assert error_of(acm.delete_certificate, CertificateArn=cert)[:2] == ("ResourceInUseException", 400)


# 4. CloudFront API reference, DistributionConfig.CallerReference: the same caller reference
# with the same config answers as the first request did; with another config,
# DistributionAlreadyExists (409).
@rule
def test_caller_reference_replay_and_distribution_already_exists(stack):
    fast(stack)
    cf = stack.client("cloudfront")
    first = create(cf, dist_config("ref"))
    again = create(cf, dist_config("ref"))
    assert again["Distribution"]["Id"] == first["Distribution"]["Id"]
    assert len(cf.list_distributions()["DistributionList"]["Items"]) == 1
    code, status, message = error_of(create, cf, dist_config("ref", comment="another"))
    assert (code, status) == ("DistributionAlreadyExists", 409)
    assert first["Distribution"]["Id"] in message


# 5. CloudFront developer guide, "Use managed cache policies" / "managed origin request policies":
# the managed policies exist in every account with these ids and configs.
@rule
def test_managed_policies(stack):
    cf = stack.client("cloudfront")
    disabled = cf.get_cache_policy(Id=CACHING_DISABLED)
    config = disabled["CachePolicy"]["CachePolicyConfig"]
    assert disabled["CachePolicy"]["Id"] == CACHING_DISABLED and disabled["ETag"]
    assert config["Name"] == "Managed-CachingDisabled"
    assert (config["MinTTL"], config["DefaultTTL"], config["MaxTTL"]) == (0, 0, 0)
    params = config["ParametersInCacheKeyAndForwardedToOrigin"]
    assert params["HeadersConfig"] == {"HeaderBehavior": "none"}
    assert params["EnableAcceptEncodingGzip"] is False
    optimized = cf.get_cache_policy_config(Id=CACHING_OPTIMIZED)["CachePolicyConfig"]
    assert (optimized["Name"], optimized["MinTTL"], optimized["DefaultTTL"], optimized["MaxTTL"]) == \
        ("Managed-CachingOptimized", 1, 86400, 31536000)
    assert optimized["ParametersInCacheKeyAndForwardedToOrigin"]["EnableAcceptEncodingBrotli"] is True

    managed = cf.list_cache_policies(Type="managed")["CachePolicyList"]
    ids = [i["CachePolicy"]["Id"] for i in managed["Items"]]
    assert {CACHING_DISABLED, CACHING_OPTIMIZED} <= set(ids)
    assert all(i["Type"] == "managed" for i in managed["Items"]) and managed["Quantity"] == len(ids)
    assert cf.list_cache_policies(Type="custom")["CachePolicyList"]["Quantity"] == 0

    except_host = cf.get_origin_request_policy(Id=ALL_VIEWER_EXCEPT_HOST)["OriginRequestPolicy"]
    assert except_host["OriginRequestPolicyConfig"] == {
        "Comment": "Policy to forward all parameters in viewer requests except for the Host header",
        "Name": "Managed-AllViewerExceptHostHeader",
        "HeadersConfig": {"HeaderBehavior": "allExcept", "Headers": {"Quantity": 1, "Items": ["host"]}},
        "CookiesConfig": {"CookieBehavior": "all"},
        "QueryStringsConfig": {"QueryStringBehavior": "all"},
    }
    all_viewer = cf.get_origin_request_policy_config(Id=ALL_VIEWER)["OriginRequestPolicyConfig"]
    assert all_viewer["HeadersConfig"] == {"HeaderBehavior": "allViewer"}
    listed = cf.list_origin_request_policies(Type="managed")["OriginRequestPolicyList"]["Items"]
    assert {ALL_VIEWER, ALL_VIEWER_EXCEPT_HOST} <= {i["OriginRequestPolicy"]["Id"] for i in listed}
    assert error_of(cf.get_cache_policy, Id="00000000-0000-0000-0000-000000000000")[:2] == ("NoSuchCachePolicy", 404)
    assert error_of(cf.get_origin_request_policy, Id="nope")[:2] == ("NoSuchOriginRequestPolicy", 404)

    # For the data plane.
    assert cloudfront.cache_policy_config(stack.account, CACHING_DISABLED)["MaxTTL"] == 0
    assert cloudfront.origin_request_policy_config(stack.account, ALL_VIEWER)["Name"] == "Managed-AllViewer"
    assert cloudfront.cache_policy_config(stack.account, "nope") is None


def cache_policy(name, headers=("Authorization",), ttl=(1, 1, 1)):
    return {
        "Name": name, "Comment": "edgestack iam",
        "MinTTL": ttl[0], "DefaultTTL": ttl[1], "MaxTTL": ttl[2],
        "ParametersInCacheKeyAndForwardedToOrigin": {
            "EnableAcceptEncodingGzip": False, "EnableAcceptEncodingBrotli": False,
            "HeadersConfig": {"HeaderBehavior": "whitelist" if headers else "none",
                              **({"Headers": {"Quantity": len(headers), "Items": list(headers)}} if headers else {})},
            "CookiesConfig": {"CookieBehavior": "none"},
            "QueryStringsConfig": {"QueryStringBehavior": "none"},
        },
    }


# 5. CloudFront API reference, CreateCachePolicy and friends; the caching-disabled rule, with
# AWS's message (sladg/nextjs-lambda #89): a policy that forwards Authorization cannot have
# every TTL at 0; CachePolicyAlreadyExists for a name in use; If-Match on delete; a policy in
# use cannot be deleted.
@rule
def test_custom_cache_policies(stack):
    fast(stack)
    cf = stack.client("cloudfront")
    code, status, message = error_of(cf.create_cache_policy, CachePolicyConfig=cache_policy("no-ttl", ttl=(0, 0, 0)))
    assert (code, status, message) == (
        "InvalidArgument", 400, "The parameter HeaderBehavior is invalid for policy with caching disabled.")

    created = cf.create_cache_policy(CachePolicyConfig=cache_policy("edgestack-iam"))
    assert created["ResponseMetadata"]["HTTPStatusCode"] == 201
    pid, etag = created["CachePolicy"]["Id"], created["ETag"]
    assert created["Location"].endswith(f"/2020-05-31/cache-policy/{pid}")
    got = cf.get_cache_policy(Id=pid)
    assert got["ETag"] == etag
    assert got["CachePolicy"]["CachePolicyConfig"] == cache_policy("edgestack-iam")
    [custom] = cf.list_cache_policies(Type="custom")["CachePolicyList"]["Items"]
    assert (custom["Type"], custom["CachePolicy"]["Id"]) == ("custom", pid)
    assert cloudfront.cache_policy_config(stack.account, pid) == cache_policy("edgestack-iam")

    assert error_of(cf.create_cache_policy, CachePolicyConfig=cache_policy("edgestack-iam"))[:2] == \
        ("CachePolicyAlreadyExists", 409)

    # Update: If-Match, a new ETag, the same rules.
    assert error_of(cf.update_cache_policy, Id=pid, IfMatch="ESTALE", CachePolicyConfig=cache_policy("x"))[:2] == \
        ("PreconditionFailed", 412)
    assert error_of(cf.update_cache_policy, Id=pid, IfMatch=etag,
                    CachePolicyConfig=cache_policy("edgestack-iam", ttl=(0, 0, 0)))[:2] == ("InvalidArgument", 400)
    updated = cf.update_cache_policy(Id=pid, IfMatch=etag, CachePolicyConfig=cache_policy("edgestack-iam", ttl=(1, 5, 10)))
    assert updated["ETag"] != etag and updated["CachePolicy"]["CachePolicyConfig"]["DefaultTTL"] == 5
    etag = updated["ETag"]

    # In use by a distribution: not deletable.
    dist = create(cf, dist_config("iam", cache_policy=pid))
    assert error_of(cf.delete_cache_policy, Id=pid)[:2] == ("InvalidIfMatchVersion", 400)
    assert error_of(cf.delete_cache_policy, Id=pid, IfMatch=created["ETag"])[:2] == ("PreconditionFailed", 412)
    assert error_of(cf.delete_cache_policy, Id=pid, IfMatch=etag)[:2] == ("CachePolicyInUse", 409)
    assert error_of(cf.delete_cache_policy, Id=CACHING_DISABLED,
                    IfMatch=cf.get_cache_policy(Id=CACHING_DISABLED)["ETag"])[:2] == ("IllegalDelete", 400)
    config = dist_config("iam", cache_policy=CACHING_DISABLED)
    cf.update_distribution(Id=dist["Distribution"]["Id"], IfMatch=dist["ETag"], DistributionConfig=config)
    cf.delete_cache_policy(Id=pid, IfMatch=etag)
    assert error_of(cf.get_cache_policy, Id=pid)[:2] == ("NoSuchCachePolicy", 404)


# 5. CloudFront quotas: 20 cache policies per account, not raisable (TooManyCachePolicies).
@rule
def test_at_most_twenty_cache_policies(stack):
    cf = stack.client("cloudfront")
    for i in range(20):
        cf.create_cache_policy(CachePolicyConfig=cache_policy(f"p{i}", headers=()))
    code, status, _ = error_of(cf.create_cache_policy, CachePolicyConfig=cache_policy("p20", headers=()))
    assert (code, status) == ("TooManyCachePolicies", 400)
    listed = cf.list_cache_policies(Type="custom", MaxItems="15")["CachePolicyList"]
    assert listed["Quantity"] == 15 and listed["NextMarker"]
    rest = cf.list_cache_policies(Type="custom", Marker=listed["NextMarker"])["CachePolicyList"]
    assert rest["Quantity"] == 5 and "NextMarker" not in rest


# 5. Authorization cannot go into an origin request policy: "InvalidArgument: The parameter
# Headers contains Authorization that is not allowed." (aws-cdk #13408, #15286).
@rule
def test_origin_request_policy_refuses_authorization(stack):
    cf = stack.client("cloudfront")
    config = {"Name": "auth", "HeadersConfig": {"HeaderBehavior": "whitelist",
                                                "Headers": {"Quantity": 2, "Items": ["X-Api-Key", "Authorization"]}},
              "CookiesConfig": {"CookieBehavior": "none"}, "QueryStringsConfig": {"QueryStringBehavior": "all"}}
    assert error_of(cf.create_origin_request_policy, OriginRequestPolicyConfig=config) == \
        ("InvalidArgument", 400, "The parameter Headers contains Authorization that is not allowed.")
    config["HeadersConfig"]["Headers"] = {"Quantity": 1, "Items": ["X-Api-Key"]}
    pid = cf.create_origin_request_policy(OriginRequestPolicyConfig=config)["OriginRequestPolicy"]["Id"]
    assert cloudfront.origin_request_policy_config(stack.account, pid)["HeadersConfig"]["Headers"]["Items"] == ["X-Api-Key"]


# 5. CloudFront API reference, CreateDistribution errors: NoSuchCachePolicy and
# NoSuchOriginRequestPolicy (404) for a policy id that does not exist (moto stores any id).
@rule
def test_distribution_with_unknown_policy_is_refused(stack):
    fast(stack)
    cf = stack.client("cloudfront")
    assert error_of(create, cf, dist_config("u", cache_policy="11111111-2222-3333-4444-555555555555")) == \
        ("NoSuchCachePolicy", 404, "The cache policy does not exist.")
    assert error_of(create, cf, dist_config("u", origin_policy="11111111-2222-3333-4444-555555555555")) == \
        ("NoSuchOriginRequestPolicy", 404, "The origin request policy does not exist.")
    created = create(cf, dist_config("u", cache_policy=CACHING_OPTIMIZED, origin_policy=ALL_VIEWER))
    config = dist_config("u", cache_policy="nope")
    assert error_of(cf.update_distribution, Id=created["Distribution"]["Id"], IfMatch=created["ETag"],
                    DistributionConfig=config)[:2] == ("NoSuchCachePolicy", 404)


# 6. CloudFront API reference, ListConflictingAliases / ConflictingAlias: the aliases equal to or
# overlapping the given one (a wildcard covering it, or covered by it), other accounts' ids
# partially hidden.
@rule
def test_list_conflicting_aliases(stack):
    fast(stack)
    cf = stack.client("cloudfront")
    cert = certificate(stack, "*.example.com", sans=["example.com"])
    one = create(cf, dist_config("one", aliases=["api.example.com"], certificate=cert))["Distribution"]["Id"]
    two = create(cf, dist_config("two", aliases=["*.example.com"], certificate=cert))["Distribution"]["Id"]
    create(cf, dist_config("three", aliases=["example.com"], certificate=cert))
    stack.control("POST", "/strict-api/cloudfront/foreign-aliases", {"aliases": ["shop.example.com", "www.other.org"]})

    found = cf.list_conflicting_aliases(DistributionId=one, Alias="api.example.com")["ConflictingAliasesList"]
    assert found["Quantity"] == 2
    assert sorted((i["Alias"], i["DistributionId"], i["AccountId"]) for i in found["Items"]) == [
        ("*.example.com", two, "123456789012"), ("api.example.com", one, "123456789012")]

    found = cf.list_conflicting_aliases(DistributionId=one, Alias="*.example.com")["ConflictingAliasesList"]
    by_alias = {i["Alias"]: i for i in found["Items"]}
    assert set(by_alias) == {"api.example.com", "*.example.com", "shop.example.com"}
    foreign = by_alias["shop.example.com"]
    assert foreign["AccountId"].startswith("******") and foreign["AccountId"] != "123456789012"
    assert len(foreign["AccountId"]) == 12
    assert foreign["DistributionId"].startswith("*") and foreign["DistributionId"][-6:].strip("*")

    assert error_of(cf.list_conflicting_aliases, DistributionId="ENOSUCH", Alias="api.example.com")[:2] == \
        ("NoSuchDistribution", 404)


# 7. CloudFront quotas / API reference: mutating calls throttle under load (Throttling, 400,
# "Rate exceeded"); reads are not counted.
@rule
def test_mutations_throttle(stack):
    stack.config(cloudfront_mutations=3, cloudfront_window=100)  # 3 per second here
    cf = stack.client("cloudfront", retries=1)
    for i in range(3):
        cf.create_cache_policy(CachePolicyConfig=cache_policy(f"t{i}", headers=()))
    assert error_of(cf.create_cache_policy, CachePolicyConfig=cache_policy("t3", headers=())) == \
        ("Throttling", 400, "Rate exceeded")
    assert error_of(create, cf, dist_config("t"))[:2] == ("Throttling", 400)
    cf.get_cache_policy(Id=CACHING_DISABLED)
    cf.list_distributions()
    time.sleep(stack.seconds("cloudfront_window"))
    create(cf, dist_config("t"))
