//! What the steps' unit tests share: `Deps` over the in-memory store, with clients that are
//! mocked (`aws-smithy-mocks`), so that no test needs an emulator.

use std::sync::Arc;

use aws_smithy_mocks::mock_client;

use super::{Deps, Settings};
use crate::clients::Clients;
use crate::store::MemoryStore;

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

/// Clients of which none answers.
pub fn no_aws() -> Clients {
    Clients::given(no_cloudfront(), no_route53(), no_acm(), no_apigateway())
}

/// `Deps` over a fresh in-memory store with `clients` and the default settings.
pub fn deps(clients: Clients) -> Deps {
    Deps {
        store: Arc::new(MemoryStore::new()),
        clients,
        sdk: crate::aws::SdkConfig::builder()
            .behavior_version(aws_config::BehaviorVersion::latest())
            .build(),
        settings: Settings::default(),
        permissions: None,
    }
}
