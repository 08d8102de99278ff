//! What `recipe.md` prescribes, checked field by field against the emulated account: the
//! steps and phases in order, the managed policies, and a READY stack read back.

use super::*;

/// The provisioning steps of `recipe.md` as a stack records them, in order.
pub const PROVISION_STEPS: [&str; 9] = [
    "validate",
    "request_certificates",
    "await_certificate_validation",
    "create_custom_domain",
    "create_distribution",
    "await_distribution_deployment",
    "create_dns_records",
    "smoke_test",
    "mark_ready",
];
/// The steps only a stack with a custom domain has.
pub const CUSTOM_DOMAIN_STEPS: [&str; 4] = [
    "request_certificates",
    "await_certificate_validation",
    "create_custom_domain",
    "create_dns_records",
];
/// Each provisioning step and the Lambda function (binary) that runs it.
pub const STEP_FUNCTIONS: [(&str, &str); 9] = [
    ("validate", "validate-request"),
    ("request_certificates", "request-certificates"),
    ("await_certificate_validation", "check-certificates"),
    ("create_custom_domain", "create-custom-domain"),
    ("create_distribution", "create-distribution"),
    ("await_distribution_deployment", "check-distribution"),
    ("create_dns_records", "create-dns-records"),
    ("smoke_test", "smoke-test"),
    ("mark_ready", "mark-ready"),
];
/// The steps that park their execution for the watcher (`lambda:invoke.waitForTaskToken`):
/// their function is given the state as `flow` with the task's token, and answers through the
/// token, not its return value.
pub const PARKING_STEPS: [&str; 3] = [
    "await_certificate_validation",
    "await_distribution_deployment",
    "create_dns_records",
];
/// A task token no execution waits on, for running a parking step by hand.
pub const NO_TASK_TOKEN: &str = "nothing-waits-on-this-token";
/// The teardown's steps, in the safe order of `recipe.md`.
pub const TEARDOWN_STEPS: [&str; 6] = [
    "delete_dns_records",
    "disable_distribution",
    "delete_distribution",
    "delete_custom_domain",
    "delete_certificates",
    "finish_teardown",
];
/// The phases of provisioning, in the recipe's order (`api.md`), with the first and last.
pub const PROVISION_PHASES: [&str; 10] = [
    "ACCEPTED",
    "VALIDATING",
    "REQUESTING_CERTIFICATES",
    "AWAITING_CERTIFICATE_VALIDATION",
    "CREATING_CUSTOM_DOMAIN",
    "CREATING_DISTRIBUTION",
    "AWAITING_DISTRIBUTION_DEPLOYMENT",
    "CREATING_DNS_RECORDS",
    "SMOKE_TESTING",
    "COMPLETE",
];

/// CloudFront's managed `CachingDisabled` cache policy.
pub const CACHING_DISABLED_POLICY: &str = "4135ea2d-6df8-44a3-9df3-4b5a84be39ad";
/// CloudFront's managed `AllViewerExceptHostHeader` origin request policy.
pub const ALL_VIEWER_EXCEPT_HOST_POLICY: &str = "b689b0a8-53d0-40ab-baf2-68738e2966ac";
/// CloudFront's managed `AllViewer` origin request policy.
pub const ALL_VIEWER_POLICY: &str = "216adef6-5c7f-47e4-b989-5492eafa07d3";
/// The hosted zone id of every CloudFront distribution, for alias records.
pub const CLOUDFRONT_ZONE_ID: &str = "Z2FDTNDATAQYW2";
/// The tag edgestack puts on every resource it creates.
pub const STACK_ID_TAG: &str = "edgestack:stack-id";
/// CloudFront (and its certificates) live here.
pub const CLOUDFRONT_REGION: &str = "us-east-1";
/// What the team API's `GET /greetings` (open to anyone) answers.
pub const GREETINGS_BODY: &str = r#"{"message": "hello"}"#;
/// What the team API's `GET /private` (`AWS_IAM`: SigV4-signed callers only) answers.
pub const PRIVATE_BODY: &str = r#"{"message": "hello, signed caller"}"#;

/// What `recipe.md` prescribes for the stack `watch` last saw (READY), read back from the
/// emulated account field by field: the distribution, its tags, the certificates, the Regional
/// custom domain and its mapping, the DNS records, and the stack's own outputs and steps. Also
/// checks that the secret origin header value reached CloudFront and no answer of the API.
pub async fn assert_ready_as_recipe_says(team: &Team, spec: &StackSpec, watch: &Watch) {
    let ready = Ready::new(team, spec, watch.last());
    ready.steps_and_secret(spec, watch);
    let distribution_domain = ready.distribution().await;
    ready.outputs(&distribution_domain);
    let Some(name) = ready.name.clone() else {
        ready.nothing_of_a_custom_domain().await;
        return;
    };
    let validation = ready.certificates(name.clone()).await;
    ready.custom_domain(name.clone()).await;
    ready.dns(name, distribution_domain, validation).await;
}

/// A READY stack and what its request asked for: what each part of the recipe's checks reads.
struct Ready<'a> {
    aws: &'a Aws,
    team: &'a Team,
    stack: &'a Value,
    id: String,
    body: &'a Value,
    name: Option<String>,
    managed: bool,
    auth: &'a str,
    outputs: &'a Value,
    tags: BTreeMap<String, String>,
    secret: String,
    context: String,
}

impl<'a> Ready<'a> {
    fn new(team: &'a Team, spec: &'a StackSpec, stack: &'a Value) -> Self {
        Self {
            aws: &team.aws,
            team,
            stack,
            id: stack_id(stack),
            body: &spec.body,
            name: spec.custom_domain_name(),
            managed: spec.managed_dns(),
            auth: spec.body["auth"].as_str().unwrap_or("none"),
            outputs: &stack["outputs"],
            tags: spec.resource_tags(&stack_id(stack)),
            secret: spec.secret.clone(),
            context: summary(stack),
        }
    }

    /// Every step of the recipe that applies ran and succeeded, and the secret never showed.
    fn steps_and_secret(&self, spec: &StackSpec, watch: &Watch) {
        let (stack, name, context) = (self.stack, &self.name, &self.context);
        assert_eq!(status(stack), "READY", "{context}");
        assert!(
            stack["error"].is_null(),
            "a READY stack has no error: {context}"
        );

        // Every step of the recipe that applies, in order, each succeeded.
        let expected_steps: Vec<&str> = PROVISION_STEPS
            .iter()
            .copied()
            .filter(|s| name.is_some() || !CUSTOM_DOMAIN_STEPS.contains(s))
            .collect();
        assert_eq!(step_names(stack), expected_steps, "{context}");
        for record in stack["steps"].as_array().into_iter().flatten() {
            assert_eq!(record["status"], "SUCCEEDED", "step {record} in {context}");
            assert!(record["finished_at"].is_string(), "step {record}");
            assert!(record["started_at"].is_string(), "step {record}");
        }

        // The secret reached CloudFront (below), and no answer of the API ever showed it.
        watch.assert_never_showed(&spec.secret);
        assert_eq!(stack["request"]["origin_headers"]["X-Origin-Verify"], "***");
    }

    /// The distribution, field by field; its domain name.
    async fn distribution(&self) -> String {
        use aws_sdk_cloudfront::types::{
            MinimumProtocolVersion, OriginProtocolPolicy, PriceClass, SslSupportMethod,
            ViewerProtocolPolicy,
        };
        let (aws, team, id, body, name) = (self.aws, self.team, &self.id, self.body, &self.name);
        let (auth, outputs, tags, context) =
            (self.auth, self.outputs, self.tags.clone(), &self.context);
        // The distribution.
        let distribution_id = outputs["distribution_id"]
            .as_str()
            .unwrap_or_else(|| panic!("no outputs.distribution_id: {context}"));
        let distribution = aws
            .cloudfront
            .get_distribution()
            .id(distribution_id)
            .send()
            .await
            .expect("GetDistribution of the stack's distribution")
            .distribution
            .expect("a distribution");
        assert_eq!(distribution.status(), "Deployed");
        let distribution_domain = distribution.domain_name().to_owned();
        assert_eq!(
            outputs["distribution_domain_name"],
            distribution_domain.as_str()
        );
        let config = distribution
            .distribution_config()
            .expect("a distribution config");
        assert_eq!(config.caller_reference(), format!("edgestack-{id}"));
        assert_eq!(config.comment(), format!("edgestack {id}"));
        assert!(config.enabled());

        let origins = config.origins().expect("origins").items();
        assert_eq!(origins.len(), 1, "one origin: {origins:?}");
        let origin = &origins[0];
        let regional_domain_name = outputs["regional_domain_name"].as_str();
        match &name {
            None => {
                assert_eq!(
                    origin.domain_name(),
                    format!("{}.execute-api.{API_REGION}.amazonaws.com", team.api_id)
                );
                let expected_path = if body["origin_path"] == false {
                    ""
                } else {
                    "/prod"
                };
                assert_eq!(origin.origin_path().unwrap_or_default(), expected_path);
            }
            Some(_) => {
                let target = regional_domain_name
                    .unwrap_or_else(|| panic!("no outputs.regional_domain_name: {context}"));
                assert!(
                    target.starts_with("d-")
                        && target.ends_with(&format!(".execute-api.{API_REGION}.amazonaws.com")),
                    "the origin is the Regional custom domain's target: {target}"
                );
                assert_eq!(origin.domain_name(), target);
                assert_eq!(
                    origin.origin_path().unwrap_or_default(),
                    "",
                    "the base path mapping selects the stage"
                );
            }
        }
        let custom = origin
            .custom_origin_config()
            .expect("a custom origin config");
        assert_eq!(
            custom.origin_protocol_policy(),
            &OriginProtocolPolicy::HttpsOnly
        );
        let protocols: BTreeSet<String> = custom
            .origin_ssl_protocols()
            .expect("origin SSL protocols")
            .items()
            .iter()
            .map(|p| p.as_str().to_owned())
            .collect();
        let expected_protocols = match body["min_origin_tls"].as_str().unwrap_or("TLSv1.2") {
            "TLSv1" => string_set(["TLSv1", "TLSv1.1", "TLSv1.2"]),
            "TLSv1.1" => string_set(["TLSv1.1", "TLSv1.2"]),
            _ => string_set(["TLSv1.2"]),
        };
        assert_eq!(protocols, expected_protocols, "origin SSL protocols");
        let headers: Vec<(String, String)> = origin
            .custom_headers()
            .map(|h| {
                h.items()
                    .iter()
                    .map(|h| (h.header_name().to_owned(), h.header_value().to_owned()))
                    .collect()
            })
            .unwrap_or_default();
        assert_eq!(
            headers,
            [("X-Origin-Verify".to_owned(), self.secret.clone())],
            "the origin custom headers carry the secret to the origin"
        );

        let behavior = config
            .default_cache_behavior()
            .expect("a default cache behavior");
        assert_eq!(behavior.target_origin_id(), origin.id());
        assert_eq!(
            behavior.viewer_protocol_policy(),
            &ViewerProtocolPolicy::RedirectToHttps
        );
        let methods: BTreeSet<String> = behavior
            .allowed_methods()
            .expect("allowed methods")
            .items()
            .iter()
            .map(|m| m.as_str().to_owned())
            .collect();
        assert_eq!(
            methods,
            string_set(["GET", "HEAD", "OPTIONS", "PUT", "POST", "PATCH", "DELETE"])
        );
        let iam_cache_policy = LocalEnv::get().iam_cache_policy_id.clone();
        let expected_cache_policy = if auth == "iam" {
            iam_cache_policy.as_str()
        } else {
            CACHING_DISABLED_POLICY
        };
        assert_eq!(behavior.cache_policy_id(), Some(expected_cache_policy));
        let expected_request_policy = if name.is_some() {
            ALL_VIEWER_POLICY
        } else {
            ALL_VIEWER_EXCEPT_HOST_POLICY
        };
        assert_eq!(
            behavior.origin_request_policy_id(),
            Some(expected_request_policy)
        );

        let aliases: Vec<String> = config
            .aliases()
            .map(|a| a.items().to_vec())
            .unwrap_or_default();
        let viewer = config.viewer_certificate().expect("a viewer certificate");
        match &name {
            None => {
                assert!(aliases.is_empty(), "no alternate domain names: {aliases:?}");
                assert_eq!(viewer.cloud_front_default_certificate(), Some(true));
                assert!(
                    viewer.acm_certificate_arn().unwrap_or_default().is_empty(),
                    "{viewer:?}"
                );
            }
            Some(name) => {
                assert_eq!(aliases, std::slice::from_ref(name));
                // (moto reports CloudFrontDefaultCertificate true whatever was sent.)
                assert_eq!(
                    viewer.acm_certificate_arn(),
                    outputs["certificate_arn"].as_str(),
                    "the us-east-1 certificate: {viewer:?}"
                );
                assert_eq!(
                    viewer.ssl_support_method(),
                    Some(&SslSupportMethod::SniOnly)
                );
                assert_eq!(
                    viewer.minimum_protocol_version(),
                    Some(&MinimumProtocolVersion::TlSv122021)
                );
            }
        }
        let expected_price = body["price_class"].as_str().unwrap_or("PriceClass_All");
        assert_eq!(
            config.price_class().map(PriceClass::as_str),
            Some(expected_price)
        );
        assert_eq!(
            aws.distribution_tags(distribution.arn()).await.as_ref(),
            Some(&tags),
            "the distribution's tags"
        );

        distribution_domain
    }

    /// The outputs a client needs: the endpoint and the smoke test's result.
    fn outputs(&self, distribution_domain: &str) {
        let (team, body, name, auth) = (self.team, self.body, &self.name, self.auth);
        let (outputs, context) = (self.outputs, &self.context);
        // The outputs a client needs.
        let endpoint = match &name {
            Some(name) => format!("https://{name}"),
            None => format!("https://{distribution_domain}"),
        };
        assert_eq!(outputs["endpoint_url"], endpoint.as_str(), "{context}");
        let smoke_path = body["smoke_test_path"].as_str().unwrap_or("/");
        assert_eq!(
            outputs["smoke_test"]["url"],
            format!("{endpoint}{smoke_path}").as_str(),
            "{context}"
        );
        // For `auth: iam` the smoke test signs only when the owner's grant names the API;
        // unsigned, API Gateway's own 403 shows the distribution reaches the API.
        let signed = auth == "iam" && team.named_in_grant;
        assert_eq!(outputs["smoke_test"]["signed"], signed, "{context}");
        let expected_status = if auth == "iam" && !signed { 403 } else { 200 };
        assert_eq!(
            outputs["smoke_test"]["status_code"], expected_status,
            "{context}"
        );
        assert!(outputs["smoke_test"]["at"].is_string(), "{context}");
    }

    /// Without a custom domain: no certificate, no custom domain, nothing in DNS.
    async fn nothing_of_a_custom_domain(&self) {
        let (aws, team, outputs, context) = (self.aws, self.team, self.outputs, &self.context);
        for field in [
            "certificate_arn",
            "regional_certificate_arn",
            "regional_domain_name",
        ] {
            assert!(
                outputs[field].is_null(),
                "no {field} without a custom domain: {context}"
            );
        }
        assert_eq!(outputs["dns_records"], serde_json::json!([]), "{context}");
        let records = aws.zone_records_besides_ns_soa(&team.zone.id).await;
        assert!(records.is_empty(), "nothing written in DNS: {records:?}");
    }

    /// The certificates; the one validation record (name, value) they share.
    async fn certificates(&self, name: String) -> (String, String) {
        let (aws, outputs, tags, context) =
            (self.aws, self.outputs, self.tags.clone(), &self.context);
        // The certificates: one in us-east-1 (CloudFront's), one in the API's region, for the
        // name, DNS-validated with the same CNAME, issued, tagged.
        let edge_arn = outputs["certificate_arn"]
            .as_str()
            .unwrap_or_else(|| panic!("no outputs.certificate_arn: {context}"));
        let regional_arn = outputs["regional_certificate_arn"]
            .as_str()
            .unwrap_or_else(|| panic!("no outputs.regional_certificate_arn: {context}"));
        assert!(
            edge_arn.starts_with(&format!("arn:aws:acm:{CLOUDFRONT_REGION}:")),
            "{edge_arn}"
        );
        assert!(
            regional_arn.starts_with(&format!("arn:aws:acm:{API_REGION}:")),
            "{regional_arn}"
        );
        let mut validation_records = BTreeSet::new();
        for (region, arn) in [(CLOUDFRONT_REGION, edge_arn), (API_REGION, regional_arn)] {
            let certificate = aws
                .acm_in(region)
                .describe_certificate()
                .certificate_arn(arn)
                .send()
                .await
                .unwrap_or_else(|e| panic!("DescribeCertificate {arn}: {e:?}"))
                .certificate
                .expect("a certificate");
            assert_eq!(certificate.domain_name(), Some(name.as_str()), "{arn}");
            assert_eq!(
                certificate.status(),
                Some(&aws_sdk_acm::types::CertificateStatus::Issued),
                "{arn}"
            );
            let options = certificate.domain_validation_options();
            assert!(!options.is_empty(), "{arn} has no domain validation");
            for option in options {
                assert_eq!(
                    option.validation_method(),
                    Some(&aws_sdk_acm::types::ValidationMethod::Dns),
                    "{arn}"
                );
                let record = option.resource_record().expect("a validation record");
                validation_records.insert((
                    record.name().trim_end_matches('.').to_ascii_lowercase(),
                    record.value().trim_end_matches('.').to_owned(),
                ));
            }
            assert_eq!(
                aws.certificate_tags(region, arn).await.as_ref(),
                Some(&tags),
                "the tags of {arn}"
            );
            let for_name: Vec<String> = aws
                .certificates_in(region)
                .await
                .into_iter()
                .filter(|(_, domain)| same_name(domain, &name))
                .map(|(arn, _)| arn)
                .collect();
            assert_eq!(
                for_name,
                [arn.to_owned()],
                "certificates for {name} in {region}"
            );
        }
        assert_eq!(
            validation_records.len(),
            1,
            "one validation CNAME serves both certificates: {validation_records:?}"
        );
        let (validation_name, validation_value) =
            validation_records.into_iter().next().expect("one record");

        (validation_name, validation_value)
    }

    /// The Regional custom domain and its base path mapping.
    async fn custom_domain(&self, name: String) {
        let (aws, team, tags, context) = (self.aws, self.team, self.tags.clone(), &self.context);
        let regional_arn = self.outputs["regional_certificate_arn"]
            .as_str()
            .unwrap_or_else(|| panic!("no outputs.regional_certificate_arn: {context}"));
        let regional_domain_name = self.outputs["regional_domain_name"].as_str();
        // The Regional custom domain and its base path mapping.
        let apigw = aws.apigateway_in(API_REGION);
        let domain = apigw
            .get_domain_name()
            .domain_name(&name)
            .send()
            .await
            .unwrap_or_else(|e| panic!("GetDomainName {name} in {API_REGION}: {e:?}"));
        assert_eq!(
            domain
                .endpoint_configuration()
                .map(|c| c.types().to_vec())
                .unwrap_or_default(),
            [aws_sdk_apigateway::types::EndpointType::Regional]
        );
        assert_eq!(
            domain.security_policy(),
            Some(&aws_sdk_apigateway::types::SecurityPolicy::Tls12)
        );
        assert_eq!(domain.regional_certificate_arn(), Some(regional_arn));
        assert_eq!(domain.regional_domain_name(), regional_domain_name);
        let domain_tags: BTreeMap<String, String> = domain
            .tags()
            .map(|t| t.iter().map(|(k, v)| (k.clone(), v.clone())).collect())
            .unwrap_or_default();
        assert_eq!(domain_tags, tags, "the custom domain's tags");
        assert!(
            aws.apigateway_in(CLOUDFRONT_REGION)
                .get_domain_name()
                .domain_name(&name)
                .send()
                .await
                .is_err(),
            "no custom domain {name} in {CLOUDFRONT_REGION}: the API is in {API_REGION}"
        );
        let mappings = apigw
            .get_base_path_mappings()
            .domain_name(&name)
            .send()
            .await
            .expect("GetBasePathMappings");
        let mappings: Vec<(String, String, String)> = mappings
            .items()
            .iter()
            .map(|m| {
                (
                    m.base_path().unwrap_or_default().to_owned(),
                    m.rest_api_id().unwrap_or_default().to_owned(),
                    m.stage().unwrap_or_default().to_owned(),
                )
            })
            .collect();
        assert_eq!(
            mappings,
            [("(none)".to_owned(), team.api_id.clone(), "prod".to_owned())],
            "one base path mapping of the root to the API's stage"
        );
    }

    /// DNS: in the zone (managed), or handed to the owner (outside DNS).
    async fn dns(&self, name: String, distribution_domain: String, validation: (String, String)) {
        let (aws, team, outputs, managed) = (self.aws, self.team, self.outputs, self.managed);
        let context = &self.context;
        let (validation_name, validation_value) = validation;
        // DNS: in the zone, or handed to the owner.
        let mut dns_outputs: Vec<(String, String, String, String, bool)> = outputs["dns_records"]
            .as_array()
            .unwrap_or_else(|| panic!("no outputs.dns_records: {context}"))
            .iter()
            .map(|r| {
                (
                    r["name"]
                        .as_str()
                        .unwrap_or_default()
                        .trim_end_matches('.')
                        .to_ascii_lowercase(),
                    r["type"].as_str().unwrap_or_default().to_owned(),
                    r["value"]
                        .as_str()
                        .unwrap_or_default()
                        .trim_end_matches('.')
                        .to_owned(),
                    r["purpose"].as_str().unwrap_or_default().to_owned(),
                    r["managed"].as_bool().unwrap_or(!managed),
                )
            })
            .collect();
        dns_outputs.sort();
        let validation = (
            validation_name.clone(),
            "CNAME".to_owned(),
            validation_value.clone(),
            "certificate_validation".to_owned(),
            managed,
        );
        let zone_records = aws.zone_records_besides_ns_soa(&team.zone.id).await;
        if managed {
            let alias_value = |record: &(String, String, String, String, bool)| {
                record.2.contains(distribution_domain.as_str())
            };
            assert_eq!(dns_outputs.len(), 3, "{dns_outputs:?}");
            assert!(dns_outputs.contains(&validation), "{dns_outputs:?}");
            for kind in ["A", "AAAA"] {
                assert!(
                    dns_outputs.iter().any(|r| r.0 == name
                        && r.1 == kind
                        && r.3 == "endpoint"
                        && r.4
                        && alias_value(r)),
                    "an {kind} record for {name} → {distribution_domain}: {dns_outputs:?}"
                );
            }
            let expected = string_set([
                format!("{validation_name} CNAME {validation_value}").as_str(),
                format!("{name} A ALIAS {CLOUDFRONT_ZONE_ID} {distribution_domain}").as_str(),
                format!("{name} AAAA ALIAS {CLOUDFRONT_ZONE_ID} {distribution_domain}").as_str(),
            ]);
            assert_eq!(
                zone_records, expected,
                "the records in zone {}",
                team.zone.id
            );
        } else {
            let endpoint_record = (
                name.clone(),
                "CNAME".to_owned(),
                distribution_domain.clone(),
                "endpoint".to_owned(),
                false,
            );
            let mut expected = vec![validation, endpoint_record];
            expected.sort();
            assert_eq!(dns_outputs, expected, "the records handed to the owner");
            assert!(
                zone_records.is_empty(),
                "outside DNS: nothing written in zone {}: {zone_records:?}",
                team.zone.id
            );
            let anywhere = aws.records_within_anywhere(&name).await;
            assert!(
                anywhere.is_empty(),
                "outside DNS: no record of {name} in any zone: {anywhere:?}"
            );
        }
    }
}
