//! The distribution edgestack builds for a stack, as `recipe.md` prescribes for each of the
//! three shapes. Pure: from a stack to a `DistributionConfig`, so that every field is pinned
//! down by unit tests, and the step that calls CloudFront only sends it.

use aws_sdk_cloudfront::error::BuildError;
use aws_sdk_cloudfront::types::{
    Aliases, AllowedMethods, CachedMethods, CustomHeaders, CustomOriginConfig,
    DefaultCacheBehavior, DistributionConfig, HttpVersion, Method, MinimumProtocolVersion, Origin,
    OriginCustomHeader, OriginProtocolPolicy, OriginSslProtocols, Origins, PriceClass, SslProtocol,
    SslSupportMethod, Tag, Tags, ViewerCertificate, ViewerProtocolPolicy,
};

use edgestack_aws::store::OriginHeaderValues;
use edgestack_domain::stack::Stack;
use edgestack_domain::tags::resource_tags;
use edgestack_domain::validated::{Auth, TlsVersion};

pub const ORIGIN_ID: &str = "api-gateway";

/// CloudFront's managed `CachingDisabled` policy: API traffic is not cached unless asked.
pub const CACHING_DISABLED_POLICY: &str = "4135ea2d-6df8-44a3-9df3-4b5a84be39ad";
/// Managed `AllViewerExceptHostHeader`: everything but `Host`, which an execute-api origin
/// refuses with 403 when it is the viewer's.
pub const ALL_VIEWER_EXCEPT_HOST_POLICY: &str = "b689b0a8-53d0-40ab-baf2-68738e2966ac";
/// Managed `AllViewer`: everything including `Host`, which a Regional custom domain routes on.
pub const ALL_VIEWER_POLICY: &str = "216adef6-5c7f-47e4-b989-5492eafa07d3";

/// What the deployment decides once for every stack.
#[derive(Debug, Clone)]
pub struct EdgeSettings {
    /// The cache policy every `auth: iam` stack shares. `Authorization` cannot go into an
    /// origin request policy, only into a cache policy (whose TTLs then cannot all be 0), and
    /// an account has 20 cache policies at most: so the deployment creates this one once.
    pub iam_cache_policy_id: String,
}

/// The caller reference and comment both name the stack: a retried create is recognised.
pub fn caller_reference(stack: &Stack) -> String {
    format!("edgestack-{}", stack.id)
}

pub fn comment(stack: &Stack) -> String {
    format!("edgestack {}", stack.id)
}

/// The origin's host: the API's own execute-api host, or the Regional custom domain's target.
pub fn origin_domain(stack: &Stack) -> Option<String> {
    let request = &stack.request;
    match &request.custom_domain {
        None => Some(format!(
            "{}.execute-api.{}.amazonaws.com",
            request.api_id, request.region
        )),
        Some(_) => stack.outputs.regional_domain_name.clone(),
    }
}

fn ssl_protocols(min: TlsVersion) -> Result<OriginSslProtocols, BuildError> {
    let items: Vec<SslProtocol> = min
        .and_newer()
        .into_iter()
        .map(|v| SslProtocol::from(v.as_str()))
        .collect();
    OriginSslProtocols::builder()
        .quantity(items.len() as i32)
        .set_items(Some(items))
        .build()
}

fn allowed_methods() -> Result<AllowedMethods, BuildError> {
    let all = [
        Method::Get,
        Method::Head,
        Method::Options,
        Method::Put,
        Method::Post,
        Method::Patch,
        Method::Delete,
    ];
    AllowedMethods::builder()
        .quantity(all.len() as i32)
        .set_items(Some(all.to_vec()))
        .cached_methods(
            CachedMethods::builder()
                .quantity(2)
                .items(Method::Get)
                .items(Method::Head)
                .build()?,
        )
        .build()
}

/// The distribution for `stack`. The origin headers' values come from `header_values` (the
/// store keeps them apart from the stack, whose request shows `***` for each).
pub fn build(
    stack: &Stack,
    header_values: &OriginHeaderValues,
    settings: &EdgeSettings,
) -> Result<DistributionConfig, String> {
    let request = &stack.request;
    let origin_domain = origin_domain(stack)
        .ok_or("the Regional custom domain must exist before the distribution")?;
    let mut headers = Vec::new();
    for name in request.origin_headers.keys() {
        let value = header_values
            .get(name.as_str())
            .ok_or_else(|| format!("the value of origin header {name} is not stored"))?;
        headers.push(
            OriginCustomHeader::builder()
                .header_name(name.as_str())
                .header_value(value.expose())
                .build()
                .map_err(|e| e.to_string())?,
        );
    }
    let origin = Origin::builder()
        .id(ORIGIN_ID)
        .domain_name(origin_domain)
        .origin_path(request.distribution_origin_path())
        .custom_headers(
            CustomHeaders::builder()
                .quantity(headers.len() as i32)
                .set_items(Some(headers))
                .build()
                .map_err(|e| e.to_string())?,
        )
        .custom_origin_config(
            CustomOriginConfig::builder()
                .http_port(80)
                .https_port(443)
                .origin_protocol_policy(OriginProtocolPolicy::HttpsOnly)
                .origin_ssl_protocols(
                    ssl_protocols(request.min_origin_tls).map_err(|e| e.to_string())?,
                )
                .origin_read_timeout(30)
                .origin_keepalive_timeout(5)
                .build()
                .map_err(|e| e.to_string())?,
        )
        .build()
        .map_err(|e| e.to_string())?;

    let cache_policy = match request.auth {
        Auth::None => CACHING_DISABLED_POLICY.to_owned(),
        Auth::Iam => settings.iam_cache_policy_id.clone(),
    };
    let origin_request_policy = if request.custom_domain.is_some() {
        ALL_VIEWER_POLICY
    } else {
        ALL_VIEWER_EXCEPT_HOST_POLICY
    };
    let behavior = DefaultCacheBehavior::builder()
        .target_origin_id(ORIGIN_ID)
        .viewer_protocol_policy(ViewerProtocolPolicy::RedirectToHttps)
        .allowed_methods(allowed_methods().map_err(|e| e.to_string())?)
        .cache_policy_id(cache_policy)
        .origin_request_policy_id(origin_request_policy)
        .compress(true)
        .build()
        .map_err(|e| e.to_string())?;

    let (aliases, viewer_certificate) = match &request.custom_domain {
        None => (
            Aliases::builder()
                .quantity(0)
                .build()
                .map_err(|e| e.to_string())?,
            ViewerCertificate::builder()
                .cloud_front_default_certificate(true)
                .build(),
        ),
        Some(domain) => {
            let certificate = stack
                .outputs
                .certificate_arn
                .clone()
                .ok_or("the us-east-1 certificate must exist before the distribution")?;
            (
                Aliases::builder()
                    .quantity(1)
                    .items(domain.name.as_str())
                    .build()
                    .map_err(|e| e.to_string())?,
                ViewerCertificate::builder()
                    .acm_certificate_arn(certificate)
                    .ssl_support_method(SslSupportMethod::SniOnly)
                    .minimum_protocol_version(MinimumProtocolVersion::TlSv122021)
                    .build(),
            )
        }
    };

    DistributionConfig::builder()
        .caller_reference(caller_reference(stack))
        .comment(comment(stack))
        .enabled(true)
        .origins(
            Origins::builder()
                .quantity(1)
                .items(origin)
                .build()
                .map_err(|e| e.to_string())?,
        )
        .default_cache_behavior(behavior)
        .aliases(aliases)
        .viewer_certificate(viewer_certificate)
        .price_class(PriceClass::from(request.price_class.as_str()))
        .http_version(HttpVersion::Http2and3)
        .is_ipv6_enabled(true)
        .build()
        .map_err(|e| e.to_string())
}

pub fn tags(stack: &Stack) -> Result<Tags, String> {
    let mut items = Vec::new();
    for (key, value) in resource_tags(stack) {
        items.push(
            Tag::builder()
                .key(key)
                .value(value)
                .build()
                .map_err(|e| e.to_string())?,
        );
    }
    Ok(Tags::builder().set_items(Some(items)).build())
}

#[cfg(test)]
mod tests {
    use super::*;
    use edgestack_domain::request::StackRequest;
    use serde_json::json;

    fn stack(body: serde_json::Value) -> Stack {
        Stack::new(
            "arn:me".into(),
            StackRequest::from_json(&body).unwrap(),
            edgestack_domain::timestamp::Timestamp::now(),
        )
    }

    fn settings() -> EdgeSettings {
        EdgeSettings {
            iam_cache_policy_id: "iam-policy".into(),
        }
    }

    /// The values the store keeps for `s`: those of its request.
    fn values(s: &Stack) -> OriginHeaderValues {
        edgestack_aws::store::origin_header_values_of(s)
    }

    #[test]
    fn a_header_whose_value_is_not_stored_is_an_error_not_a_placeholder() {
        let s = stack(
            json!({"api_id": "a1b2c3d4e5", "region": "eu-west-1", "stage": "prod",
            "origin_headers": {"X-Origin-Verify": "s3cret"}}),
        );
        let err = build(&s, &OriginHeaderValues::new(), &settings()).unwrap_err();
        assert!(err.contains("X-Origin-Verify"), "{err}");
    }

    fn methods(config: &DistributionConfig) -> Vec<&str> {
        let allowed = config
            .default_cache_behavior()
            .unwrap()
            .allowed_methods()
            .unwrap();
        allowed.items().iter().map(|m| m.as_str()).collect()
    }

    #[test]
    fn no_custom_domain_auth_none() {
        let s = stack(
            json!({"api_id": "a1b2c3d4e5", "region": "eu-west-1", "stage": "prod",
            "origin_headers": {"X-Origin-Verify": "s3cret"}, "min_origin_tls": "TLSv1.1", "price_class": "PriceClass_100"}),
        );
        let c = build(&s, &values(&s), &settings()).unwrap();
        let origin = &c.origins().unwrap().items()[0];
        assert_eq!(
            origin.domain_name(),
            "a1b2c3d4e5.execute-api.eu-west-1.amazonaws.com"
        );
        assert_eq!(origin.origin_path(), Some("/prod"));
        let custom = origin.custom_origin_config().unwrap();
        assert_eq!(
            custom.origin_protocol_policy(),
            &OriginProtocolPolicy::HttpsOnly
        );
        let protocols: Vec<&str> = custom
            .origin_ssl_protocols()
            .unwrap()
            .items()
            .iter()
            .map(|p| p.as_str())
            .collect();
        assert_eq!(protocols, ["TLSv1.1", "TLSv1.2"]);
        let header = &origin.custom_headers().unwrap().items()[0];
        assert_eq!(
            (header.header_name(), header.header_value()),
            ("X-Origin-Verify", "s3cret")
        );
        let behavior = c.default_cache_behavior().unwrap();
        assert_eq!(
            behavior.viewer_protocol_policy(),
            &ViewerProtocolPolicy::RedirectToHttps
        );
        assert_eq!(behavior.cache_policy_id(), Some(CACHING_DISABLED_POLICY));
        assert_eq!(
            behavior.origin_request_policy_id(),
            Some(ALL_VIEWER_EXCEPT_HOST_POLICY)
        );
        assert_eq!(
            methods(&c),
            ["GET", "HEAD", "OPTIONS", "PUT", "POST", "PATCH", "DELETE"]
        );
        assert_eq!(
            c.viewer_certificate()
                .unwrap()
                .cloud_front_default_certificate(),
            Some(true)
        );
        assert_eq!(c.aliases().unwrap().quantity(), 0);
        assert_eq!(c.price_class(), Some(&PriceClass::PriceClass100));
        assert_eq!(c.caller_reference(), format!("edgestack-{}", s.id));
        assert!(c.enabled());
    }

    #[test]
    fn no_origin_path_when_clients_put_the_stage_in_the_url() {
        let s = stack(
            json!({"api_id": "a1b2c3d4e5", "region": "eu-west-1", "stage": "prod", "origin_path": false}),
        );
        let c = build(&s, &values(&s), &settings()).unwrap();
        assert_eq!(c.origins().unwrap().items()[0].origin_path(), Some(""));
    }

    #[test]
    fn iam_uses_the_shared_cache_policy_that_carries_authorization() {
        let s = stack(
            json!({"api_id": "a1b2c3d4e5", "region": "eu-west-1", "stage": "prod", "auth": "iam"}),
        );
        let behavior = build(&s, &values(&s), &settings())
            .unwrap()
            .default_cache_behavior()
            .unwrap()
            .clone();
        assert_eq!(behavior.cache_policy_id(), Some("iam-policy"));
        assert_eq!(
            behavior.origin_request_policy_id(),
            Some(ALL_VIEWER_EXCEPT_HOST_POLICY)
        );
    }

    #[test]
    fn a_custom_domain_forwards_host_and_serves_its_name_with_its_certificate() {
        let mut s = stack(
            json!({"api_id": "a1b2c3d4e5", "region": "eu-west-1", "stage": "prod",
            "custom_domain": {"name": "api.example.com", "hosted_zone_id": "Z1"}}),
        );
        assert!(
            build(&s, &values(&s), &settings()).is_err(),
            "needs the custom domain and certificate first"
        );
        s.outputs.regional_domain_name = Some("d-abc.execute-api.eu-west-1.amazonaws.com".into());
        s.outputs.certificate_arn = Some("arn:aws:acm:us-east-1:1:certificate/x".into());
        let c = build(&s, &values(&s), &settings()).unwrap();
        let origin = &c.origins().unwrap().items()[0];
        assert_eq!(
            origin.domain_name(),
            "d-abc.execute-api.eu-west-1.amazonaws.com"
        );
        assert_eq!(
            origin.origin_path(),
            Some(""),
            "the base path mapping selects the stage"
        );
        assert_eq!(
            c.default_cache_behavior()
                .unwrap()
                .origin_request_policy_id(),
            Some(ALL_VIEWER_POLICY)
        );
        assert_eq!(c.aliases().unwrap().items(), ["api.example.com"]);
        let cert = c.viewer_certificate().unwrap();
        assert_eq!(
            cert.acm_certificate_arn(),
            Some("arn:aws:acm:us-east-1:1:certificate/x")
        );
        assert_eq!(cert.ssl_support_method(), Some(&SslSupportMethod::SniOnly));
        assert_eq!(
            cert.minimum_protocol_version(),
            Some(&MinimumProtocolVersion::TlSv122021)
        );
    }
}
