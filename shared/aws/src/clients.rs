//! The AWS clients the workflow's steps call, built once per cold start and handed to each step
//! through its `Deps` (the aws-lambda-rust-runtime examples' pattern): a step never builds a
//! client, so a unit test hands it mocked ones (`aws-smithy-mocks`) and needs no emulator.
//! CloudFront and Route 53 are global; ACM and API Gateway are asked in a region (CloudFront's
//! certificates live in us-east-1, the fronted API in the stack's region), one client each.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use crate::calls::DeclaredCalls;
use crate::sdk::{in_region, SdkConfig};

type Make<C> = Arc<dyn Fn(&str) -> C + Send + Sync>;

/// One client per region, made on first use and kept.
struct PerRegion<C> {
    make: Make<C>,
    made: Mutex<HashMap<String, C>>,
}

impl<C: Clone> PerRegion<C> {
    fn new(make: Make<C>) -> Self {
        Self {
            make,
            made: Mutex::new(HashMap::new()),
        }
    }

    fn get(&self, region: &str) -> C {
        let mut made = self
            .made
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        made.entry(region.to_owned())
            .or_insert_with(|| (self.make)(region))
            .clone()
    }
}

pub struct Clients {
    pub cloudfront: aws_sdk_cloudfront::Client,
    pub route53: aws_sdk_route53::Client,
    acm: PerRegion<aws_sdk_acm::Client>,
    apigateway: PerRegion<aws_sdk_apigateway::Client>,
}

impl Clients {
    /// Every client held to the calls its function declares.
    pub fn from_config(sdk: &SdkConfig, declared: &DeclaredCalls) -> Self {
        let (for_acm, acm_calls) = (sdk.clone(), declared.clone());
        let (for_apigateway, apigateway_calls) = (sdk.clone(), declared.clone());
        Self {
            cloudfront: aws_sdk_cloudfront::Client::from_conf(
                aws_sdk_cloudfront::config::Builder::from(sdk)
                    .interceptor(declared.clone())
                    .build(),
            ),
            route53: aws_sdk_route53::Client::from_conf(
                aws_sdk_route53::config::Builder::from(sdk)
                    .interceptor(declared.clone())
                    .build(),
            ),
            acm: PerRegion::new(Arc::new(move |region| {
                aws_sdk_acm::Client::from_conf(
                    aws_sdk_acm::config::Builder::from(&in_region(&for_acm, region))
                        .interceptor(acm_calls.clone())
                        .build(),
                )
            })),
            apigateway: PerRegion::new(Arc::new(move |region| {
                aws_sdk_apigateway::Client::from_conf(
                    aws_sdk_apigateway::config::Builder::from(&in_region(&for_apigateway, region))
                        .interceptor(apigateway_calls.clone())
                        .build(),
                )
            })),
        }
    }

    /// Step Functions, for the API.
    pub fn sfn(sdk: &SdkConfig, declared: &DeclaredCalls) -> aws_sdk_sfn::Client {
        aws_sdk_sfn::Client::from_conf(
            aws_sdk_sfn::config::Builder::from(sdk)
                .interceptor(declared.clone())
                .build(),
        )
    }

    /// Given clients (mocked, in tests), each held to `declared` as a deployed function's are:
    /// a step that calls what its function does not declare fails its unit tests too. ACM and
    /// API Gateway answer the same in every region.
    pub fn given(
        declared: &DeclaredCalls,
        cloudfront: aws_sdk_cloudfront::Client,
        route53: aws_sdk_route53::Client,
        acm: aws_sdk_acm::Client,
        apigateway: aws_sdk_apigateway::Client,
    ) -> Self {
        let cloudfront = aws_sdk_cloudfront::Client::from_conf(
            cloudfront
                .config()
                .to_builder()
                .interceptor(declared.clone())
                .build(),
        );
        let route53 = aws_sdk_route53::Client::from_conf(
            route53
                .config()
                .to_builder()
                .interceptor(declared.clone())
                .build(),
        );
        let acm = aws_sdk_acm::Client::from_conf(
            acm.config()
                .to_builder()
                .interceptor(declared.clone())
                .build(),
        );
        let apigateway = aws_sdk_apigateway::Client::from_conf(
            apigateway
                .config()
                .to_builder()
                .interceptor(declared.clone())
                .build(),
        );
        Self {
            cloudfront,
            route53,
            acm: PerRegion::new(Arc::new(move |_| acm.clone())),
            apigateway: PerRegion::new(Arc::new(move |_| apigateway.clone())),
        }
    }

    /// ACM in `region`.
    pub fn acm(&self, region: &str) -> aws_sdk_acm::Client {
        self.acm.get(region)
    }

    /// API Gateway in `region`.
    pub fn apigateway(&self, region: &str) -> aws_sdk_apigateway::Client {
        self.apigateway.get(region)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};

    #[test]
    fn one_client_per_region_made_once() {
        let made = Arc::new(AtomicUsize::new(0));
        let counter = made.clone();
        let per_region = PerRegion::new(Arc::new(move |region: &str| {
            counter.fetch_add(1, Ordering::SeqCst);
            region.to_owned()
        }));
        assert_eq!(per_region.get("us-east-1"), "us-east-1");
        assert_eq!(per_region.get("eu-west-1"), "eu-west-1");
        assert_eq!(per_region.get("us-east-1"), "us-east-1");
        assert_eq!(made.load(Ordering::SeqCst), 2);
    }
}
