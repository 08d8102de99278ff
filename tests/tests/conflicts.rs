//! A name that something else already uses, found before anything is created: a CloudFront
//! distribution of the account that has the name as an alias, an API Gateway custom domain of
//! the name, a DNS record for the name that edgestack did not write. Each ends the stack
//! `FAILED` at `validate` with a message that says what is in the way, and the account holds
//! nothing of the stack (only what was there before). A record someone writes after validate
//! is found right before the alias records are written, and left alone. Needs the local stack
//! (`make up`).

use aws_sdk_cloudfront::types::{
    Aliases, CustomOriginConfig, DefaultCacheBehavior, DistributionConfig, MinimumProtocolVersion,
    Origin, OriginProtocolPolicy, Origins, SslSupportMethod, ViewerCertificate,
    ViewerProtocolPolicy,
};
use aws_sdk_route53::types::{
    Change, ChangeAction, ChangeBatch, ResourceRecord, ResourceRecordSet, RrType,
};
use edgestack_tests::{
    random_suffix, retry_aws, retry_throttled, Footprint, Shape, Team, API_REGION,
};

/// Requests a custom-domain stack of the team's name, which something else already uses, and
/// checks that it fails at `validate` with `code`, naming `in_the_way` in its message, and
/// that the stack left nothing: what the account has under the name is `before`.
async fn refused_before_anything_is_created(
    team: &Team,
    code: &str,
    in_the_way: &str,
    before: Footprint,
) {
    let spec = team.request(Shape::CustomDomain);
    let id = team.create(&spec).await;
    let watch = team.api.watch_until_rolled_back(&id).await;
    let stack = watch.last();
    let error = &stack["error"];
    assert_eq!(error["code"], code, "{stack}");
    assert_eq!(error["step"], "validate", "{stack}");
    assert_eq!(error["rolled_back"], true, "{stack}");
    let message = error["message"].as_str().unwrap_or_default();
    assert!(
        message.contains(in_the_way) && message.contains(&team.domain()),
        "the message names what is in the way ({in_the_way}) and the name: {message}"
    );
    let after = team.footprint(&id, &spec).await;
    assert_eq!(
        after, before,
        "stack {id} changed the account, although it was refused at validate"
    );
}

#[tokio::test]
async fn a_distribution_with_the_name_as_alias_is_in_the_way() {
    let team = Team::new().await;
    let name = team.domain();
    let certificate = team
        .aws
        .issued_certificate(&name, &team.zone, "us-east-1")
        .await;
    let config = DistributionConfig::builder()
        .caller_reference(format!("someone-else-{}", random_suffix()))
        .comment("not edgestack's")
        .enabled(true)
        .aliases(
            Aliases::builder()
                .quantity(1)
                .items(&name)
                .build()
                .expect("aliases"),
        )
        .origins(
            Origins::builder()
                .quantity(1)
                .items(
                    Origin::builder()
                        .id("elsewhere")
                        .domain_name("origin.example.net")
                        .custom_origin_config(
                            CustomOriginConfig::builder()
                                .http_port(80)
                                .https_port(443)
                                .origin_protocol_policy(OriginProtocolPolicy::HttpsOnly)
                                .build()
                                .expect("origin config"),
                        )
                        .build()
                        .expect("an origin"),
                )
                .build()
                .expect("origins"),
        )
        .default_cache_behavior(
            DefaultCacheBehavior::builder()
                .target_origin_id("elsewhere")
                .viewer_protocol_policy(ViewerProtocolPolicy::RedirectToHttps)
                .cache_policy_id("4135ea2d-6df8-44a3-9df3-4b5a84be39ad")
                .build()
                .expect("a cache behavior"),
        )
        .viewer_certificate(
            ViewerCertificate::builder()
                .acm_certificate_arn(&certificate)
                .ssl_support_method(SslSupportMethod::SniOnly)
                .minimum_protocol_version(MinimumProtocolVersion::TlSv122021)
                .build(),
        )
        .build()
        .expect("a distribution config");
    // CloudFront takes an alias only with an issued certificate that covers it, and refuses
    // that certificate for a short while after ACM issued it.
    let theirs = retry_aws(
        "CreateDistribution",
        &["InvalidViewerCertificate", "Throttl"],
        || {
            team.aws
                .cloudfront
                .create_distribution()
                .distribution_config(config.clone())
                .send()
        },
    )
    .await
    .distribution
    .expect("a distribution")
    .id()
    .to_owned();

    let before = team
        .footprint("stk_none", &team.request(Shape::CustomDomain))
        .await;
    assert_eq!(before.distributions.len(), 1, "{before:#?}");
    refused_before_anything_is_created(&team, "alias_in_use", &theirs, before).await;
}

#[tokio::test]
async fn an_api_gateway_custom_domain_of_the_name_is_in_the_way() {
    let team = Team::new().await;
    // API Gateway takes only an issued certificate of the domain's region.
    let certificate = team
        .aws
        .issued_certificate(&team.domain(), &team.zone, API_REGION)
        .await;
    retry_throttled("CreateDomainName", || {
        team.aws
            .apigateway_in(API_REGION)
            .create_domain_name()
            .domain_name(team.domain())
            .regional_certificate_arn(&certificate)
            .endpoint_configuration(
                aws_sdk_apigateway::types::EndpointConfiguration::builder()
                    .types(aws_sdk_apigateway::types::EndpointType::Regional)
                    .build(),
            )
            .send()
    })
    .await;

    let before = team
        .footprint("stk_none", &team.request(Shape::CustomDomain))
        .await;
    assert_eq!(before.custom_domains.len(), 1, "{before:#?}");
    refused_before_anything_is_created(&team, "custom_domain_exists", API_REGION, before).await;
}

#[tokio::test]
async fn a_dns_record_edgestack_did_not_write_is_in_the_way() {
    let team = Team::new().await;
    someone_writes_an_a_record(&team, "192.0.2.10").await;

    let before = team
        .footprint("stk_none", &team.request(Shape::CustomDomain))
        .await;
    assert_eq!(before.records.len(), 1, "{before:#?}");
    refused_before_anything_is_created(&team, "dns_record_exists", "A record", before).await;
}

/// Validate looks for a record in the way minutes before the alias records are written; one
/// that someone creates meanwhile is found right before writing, never overwritten, and left
/// where it was when the stack is rolled back.
#[tokio::test]
async fn a_record_made_while_the_stack_waits_is_neither_overwritten_nor_deleted() {
    let team = Team::new().await;
    let spec = team.request(Shape::CustomDomain);
    let id = team.create(&spec).await;
    team.api
        .watch(&id, "past validate", |s| {
            s["steps"].as_array().is_some_and(|steps| {
                steps
                    .iter()
                    .any(|st| st["name"] == "validate" && st["status"] == "SUCCEEDED")
            })
        })
        .await;
    someone_writes_an_a_record(&team, "192.0.2.20").await;

    let watch = team.api.watch_until_rolled_back(&id).await;
    let stack = watch.last();
    assert_eq!(stack["error"]["code"], "dns_record_exists", "{stack}");
    assert_eq!(stack["error"]["step"], "create_dns_records", "{stack}");
    let footprint = team.footprint(&id, &spec).await;
    assert_eq!(
        footprint.records,
        [format!("{} A 192.0.2.20", team.domain())].into(),
        "only their record is left, as it was: {footprint:#?}"
    );
    assert!(
        footprint.distributions.is_empty() && footprint.custom_domains.is_empty(),
        "{footprint:#?}"
    );
}

/// Someone other than edgestack writes an `A` record for the team's name in its zone.
async fn someone_writes_an_a_record(team: &Team, address: &str) {
    let record = ResourceRecordSet::builder()
        .name(team.domain())
        .r#type(RrType::A)
        .ttl(300)
        .resource_records(
            ResourceRecord::builder()
                .value(address)
                .build()
                .expect("a record"),
        )
        .build()
        .expect("a record set");
    retry_throttled("ChangeResourceRecordSets", || {
        team.aws
            .route53
            .change_resource_record_sets()
            .hosted_zone_id(&team.zone.id)
            .change_batch(
                ChangeBatch::builder()
                    .changes(
                        Change::builder()
                            .action(ChangeAction::Create)
                            .resource_record_set(record.clone())
                            .build()
                            .expect("a change"),
                    )
                    .build()
                    .expect("a batch"),
            )
            .send()
    })
    .await;
}

/// The validation record is one per name and account, shared by every certificate for the name
/// in every region (ACM's "DNS validation" page). One that was in the zone before the stack
/// (here: left by an earlier certificate for the name, since deleted) is used, not recreated,
/// and outlives the stack: edgestack deletes only the records it created.
#[tokio::test]
async fn a_validation_record_that_was_there_before_outlives_the_stack() {
    let team = Team::new().await;
    let name = team.domain();
    let earlier = team
        .aws
        .issued_certificate(&name, &team.zone, "us-east-1")
        .await;
    retry_throttled("DeleteCertificate", || {
        team.aws
            .acm_in("us-east-1")
            .delete_certificate()
            .certificate_arn(&earlier)
            .send()
    })
    .await;
    let before = team.aws.zone_records_besides_ns_soa(&team.zone.id).await;
    assert_eq!(before.len(), 1, "the validation record: {before:?}");

    let spec = team.request(Shape::CustomDomain);
    let id = team.create(&spec).await;
    let ready = team.api.watch_until_status(&id, "READY").await;
    let stack = ready.last();
    let validation: Vec<_> = stack["outputs"]["dns_records"]
        .as_array()
        .expect("dns_records")
        .iter()
        .filter(|r| r["purpose"] == "certificate_validation")
        .collect();
    assert_eq!(validation.len(), 1, "{stack}");
    assert_eq!(
        (&validation[0]["managed"], &validation[0]["created"]),
        (&true.into(), &false.into()),
        "in the stack's zone, but not created by it: {stack}"
    );

    let reply = team.api.delete(&format!("/stacks/{id}")).await;
    assert_eq!(reply.status, 202, "{}", reply.text);
    let deleted = team.api.watch_until_status(&id, "DELETED").await;
    let after = team.footprint(&id, &spec).await;
    assert_eq!(
        after.records,
        before,
        "only what was there before is left: {}",
        deleted.last()
    );
    assert_eq!(
        Footprint {
            records: Default::default(),
            ..after
        },
        Footprint::default(),
        "nothing else of the stack is left"
    );
}
