//! What the steps' unit tests share: `Deps` over the in-memory store, with clients that are
//! mocked (`aws-smithy-mocks`), so that no test needs an emulator.

use std::sync::Arc;

use aws_smithy_mocks::mock_client;

use crate::{Deps, Settings};
use edgestack_aws::calls::DeclaredCalls;
use edgestack_aws::clients::Clients;
use edgestack_aws::store::MemoryStore;

/// A CloudFront client that answers nothing: a step that must not call CloudFront fails.
pub fn no_cloudfront() -> aws_sdk_cloudfront::Client {
    mock_client!(aws_sdk_cloudfront, [])
}

pub fn no_route53() -> aws_sdk_route53::Client {
    mock_client!(aws_sdk_route53, [])
}

pub fn no_acm() -> aws_sdk_acm::Client {
    mock_client!(aws_sdk_acm, [])
}

pub fn no_apigateway() -> aws_sdk_apigateway::Client {
    mock_client!(aws_sdk_apigateway, [])
}

/// Clients of which none answers, nor may be called.
pub fn no_aws() -> Clients {
    Clients::given(
        &DeclaredCalls::nothing(),
        no_cloudfront(),
        no_route53(),
        no_acm(),
        no_apigateway(),
    )
}

/// The mocked clients of `function` (its directory under `functions/`), held to the calls
/// infra/calls.json declares for it: a step's unit test fails on a call its function's role
/// would not be granted.
pub fn clients_of(
    function: &str,
    cloudfront: aws_sdk_cloudfront::Client,
    route53: aws_sdk_route53::Client,
    acm: aws_sdk_acm::Client,
    apigateway: aws_sdk_apigateway::Client,
) -> Clients {
    let declared = DeclaredCalls::of(function).expect("a function infra/calls.json declares");
    Clients::given(&declared, cloudfront, route53, acm, apigateway)
}

/// `Deps` over a fresh in-memory store with `clients` and the default settings.
pub fn deps(clients: Clients) -> Deps {
    Deps {
        store: Arc::new(MemoryStore::new()),
        clients,
        sdk: edgestack_aws::sdk::SdkConfig::builder()
            .behavior_version(aws_config::BehaviorVersion::latest())
            .build(),
        settings: Settings::default(),
        permissions: None,
    }
}

/// A CNAME record set, as Route 53 lists it.
pub fn cname(name: &str, value: &str) -> aws_sdk_route53::types::ResourceRecordSet {
    aws_sdk_route53::types::ResourceRecordSet::builder()
        .name(name)
        .r#type(aws_sdk_route53::types::RrType::Cname)
        .ttl(300)
        .resource_records(
            aws_sdk_route53::types::ResourceRecord::builder()
                .value(value)
                .build()
                .expect("a record"),
        )
        .build()
        .expect("a record set")
}

/// Route 53 listing `sets` for any name asked.
pub fn zone_holding(
    sets: Vec<aws_sdk_route53::types::ResourceRecordSet>,
) -> aws_smithy_mocks::Rule {
    use aws_sdk_route53::operation::list_resource_record_sets::ListResourceRecordSetsOutput;
    aws_smithy_mocks::mock!(aws_sdk_route53::Client::list_resource_record_sets).then_output(
        move || {
            ListResourceRecordSetsOutput::builder()
                .set_resource_record_sets(Some(sets.clone()))
                .is_truncated(false)
                .max_items(20)
                .build()
                .expect("a listing")
        },
    )
}
