//! One SDK configuration per cold start, shared by every client a function needs. Locally,
//! `AWS_ENDPOINT_URL` points all of them at the emulator; the code never knows the difference.

pub use aws_config::SdkConfig;

pub async fn load_config() -> SdkConfig {
    aws_config::load_defaults(aws_config::BehaviorVersion::latest()).await
}

/// The same configuration in another region (ACM for CloudFront lives in us-east-1; the
/// fronted API lives in the stack's region).
pub fn in_region(config: &SdkConfig, region: &str) -> SdkConfig {
    config
        .to_builder()
        .region(aws_config::Region::new(region.to_owned()))
        .build()
}
