//! What CloudFront fixes for every stack, which provisioning and teardown steps alike rely on.

/// CloudFront only takes certificates from this region (ACM's "Requirements for using
/// SSL/TLS certificates with CloudFront").
pub const CLOUDFRONT_REGION: &str = "us-east-1";
/// The hosted zone id of every CloudFront distribution, which alias records name.
pub const CLOUDFRONT_ZONE_ID: &str = "Z2FDTNDATAQYW2";
