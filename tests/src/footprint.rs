//! Everything in the account that belongs to a stack, to show that a rollback or a teardown
//! left nothing; and the hosted zones and records the tests make and read.

use super::*;

/// Everything in the emulated account that belongs to one stack, each as one line.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Footprint {
    /// `<region> <arn>`: certificates for the stack's name or tagged with its id.
    pub certificates: BTreeSet<String>,
    /// `<id> <domain>`: distributions with the stack's comment, alias or tag.
    pub distributions: BTreeSet<String>,
    /// `<region> <name>`: API Gateway custom domains of the stack's name or tagged with its id.
    pub custom_domains: BTreeSet<String>,
    /// `<domain> <base path> -> <api>/<stage>` of those custom domains.
    pub base_path_mappings: BTreeSet<String>,
    /// `<name> <type> <target>`: the records of the test's zone, NS and SOA left out.
    pub records: BTreeSet<String>,
    /// Whether edgestack still keeps the stack's origin header values (its secrets table).
    pub origin_header_values: bool,
}

impl Footprint {
    pub fn is_empty(&self) -> bool {
        self.certificates.is_empty()
            && self.distributions.is_empty()
            && self.custom_domains.is_empty()
            && self.base_path_mappings.is_empty()
            && self.records.is_empty()
            && !self.origin_header_values
    }
}

pub(crate) fn same_name(a: &str, b: &str) -> bool {
    a.trim_end_matches('.')
        .eq_ignore_ascii_case(b.trim_end_matches('.'))
}

/// `a` is `name` or a name under it (`_x.api.example.com` is under `api.example.com`).
pub(crate) fn within(a: &str, name: &str) -> bool {
    let a = a.trim_end_matches('.').to_ascii_lowercase();
    let name = name.trim_end_matches('.').to_ascii_lowercase();
    a == name || a.ends_with(&format!(".{name}"))
}

pub(crate) fn render_record(set: &aws_sdk_route53::types::ResourceRecordSet) -> String {
    let target = match set.alias_target() {
        Some(alias) => format!(
            "ALIAS {} {}",
            alias.hosted_zone_id(),
            alias.dns_name().trim_end_matches('.')
        ),
        None => set
            .resource_records()
            .iter()
            .map(|r| r.value().trim_end_matches('.').to_owned())
            .collect::<Vec<_>>()
            .join(","),
    };
    format!(
        "{} {} {target}",
        set.name().trim_end_matches('.').to_ascii_lowercase(),
        set.r#type().as_str()
    )
}

impl Aws {
    /// A public hosted zone named `name`; moto allows several zones of one name, so the tests
    /// make the name unique themselves.
    pub async fn create_zone(&self, name: &str) -> Zone {
        self.zone_with_comment(name, None).await
    }

    /// A hosted zone that stands for the owner's DNS outside edgestack ([`OUTSIDE_DNS_COMMENT`]).
    pub async fn create_outside_zone(&self, name: &str) -> Zone {
        self.zone_with_comment(name, Some(OUTSIDE_DNS_COMMENT))
            .await
    }

    async fn zone_with_comment(&self, name: &str, comment: Option<&str>) -> Zone {
        let out = self
            .route53
            .create_hosted_zone()
            .name(name)
            .caller_reference(format!("edgestack-tests-{}", random_suffix()))
            .set_hosted_zone_config(comment.map(|c| {
                aws_sdk_route53::types::HostedZoneConfig::builder()
                    .comment(c)
                    .build()
            }))
            .send()
            .await
            .expect("CreateHostedZone");
        let id = out
            .hosted_zone()
            .expect("a new zone")
            .id()
            .trim_start_matches("/hostedzone/")
            .to_owned();
        Zone {
            id,
            name: name.to_owned(),
        }
    }

    /// A certificate for `name` in `region` that ACM issued, validated through a record in
    /// `zone` (someone else's: the tests stage what is in a stack's way with it).
    pub async fn issued_certificate(&self, name: &str, zone: &Zone, region: &str) -> String {
        use aws_sdk_acm::types::{CertificateStatus, ValidationMethod};
        let acm = self.acm_in(region);
        let arn = acm
            .request_certificate()
            .domain_name(name)
            .validation_method(ValidationMethod::Dns)
            .send()
            .await
            .expect("RequestCertificate")
            .certificate_arn
            .expect("a certificate ARN");
        let deadline = std::time::Instant::now() + Duration::from_secs(60);
        let mut record_written = false;
        loop {
            let certificate = acm
                .describe_certificate()
                .certificate_arn(&arn)
                .send()
                .await
                .expect("DescribeCertificate")
                .certificate
                .expect("a certificate");
            if certificate.status() == Some(&CertificateStatus::Issued) {
                return arn;
            }
            if !record_written {
                if let Some(record) = certificate
                    .domain_validation_options()
                    .first()
                    .and_then(|o| o.resource_record())
                {
                    self.upsert_cname(zone, record.name(), record.value()).await;
                    record_written = true;
                }
            }
            assert!(
                std::time::Instant::now() < deadline,
                "ACM did not issue {arn} within a minute"
            );
            tokio::time::sleep(Duration::from_millis(300)).await;
        }
    }

    /// The owner of outside DNS creates a CNAME in its own DNS.
    pub async fn create_cname(&self, zone: &Zone, name: &str, value: &str) {
        self.change_cname(
            zone,
            name,
            value,
            aws_sdk_route53::types::ChangeAction::Create,
        )
        .await
    }

    /// Writes a CNAME in `zone`, whether or not it is there.
    pub async fn upsert_cname(&self, zone: &Zone, name: &str, value: &str) {
        self.change_cname(
            zone,
            name,
            value,
            aws_sdk_route53::types::ChangeAction::Upsert,
        )
        .await
    }

    async fn change_cname(
        &self,
        zone: &Zone,
        name: &str,
        value: &str,
        action: aws_sdk_route53::types::ChangeAction,
    ) {
        use aws_sdk_route53::types::{
            Change, ChangeBatch, ResourceRecord, ResourceRecordSet, RrType,
        };
        let set = ResourceRecordSet::builder()
            .name(name)
            .r#type(RrType::Cname)
            .ttl(300)
            .resource_records(ResourceRecord::builder().value(value).build().unwrap())
            .build()
            .unwrap();
        let change = Change::builder()
            .action(action)
            .resource_record_set(set)
            .build()
            .unwrap();
        retry_throttled("ChangeResourceRecordSets", || {
            self.route53
                .change_resource_record_sets()
                .hosted_zone_id(&zone.id)
                .change_batch(
                    ChangeBatch::builder()
                        .changes(change.clone())
                        .build()
                        .unwrap(),
                )
                .send()
        })
        .await;
    }

    /// Every record set of a zone, NS and SOA included.
    pub async fn zone_records(
        &self,
        zone_id: &str,
    ) -> Vec<aws_sdk_route53::types::ResourceRecordSet> {
        let mut records = Vec::new();
        let mut start: Option<(String, aws_sdk_route53::types::RrType)> = None;
        loop {
            let mut request = self
                .route53
                .list_resource_record_sets()
                .hosted_zone_id(zone_id);
            if let Some((name, kind)) = start.take() {
                request = request.start_record_name(name).start_record_type(kind);
            }
            let out = retry_throttled("ListResourceRecordSets", || request.clone().send()).await;
            records.extend(out.resource_record_sets().iter().cloned());
            match (
                out.is_truncated(),
                out.next_record_name(),
                out.next_record_type(),
            ) {
                (true, Some(name), Some(kind)) => start = Some((name.to_owned(), kind.clone())),
                _ => return records,
            }
        }
    }

    /// The records of a zone other than its NS and SOA, one line each.
    pub async fn zone_records_besides_ns_soa(&self, zone_id: &str) -> BTreeSet<String> {
        use aws_sdk_route53::types::RrType;
        self.zone_records(zone_id)
            .await
            .iter()
            .filter(|set| !matches!(set.r#type(), RrType::Ns | RrType::Soa))
            .map(render_record)
            .collect()
    }

    /// Every record, in every hosted zone of the account, of `name` or a name under it.
    pub async fn records_within_anywhere(&self, name: &str) -> BTreeSet<String> {
        let mut found = BTreeSet::new();
        let mut marker: Option<String> = None;
        loop {
            let out = retry_throttled("ListHostedZones", || {
                self.route53
                    .list_hosted_zones()
                    .set_marker(marker.clone())
                    .send()
            })
            .await;
            for zone in out.hosted_zones() {
                if zone.config().and_then(|c| c.comment()) == Some(OUTSIDE_DNS_COMMENT) {
                    continue;
                }
                let id = zone.id().trim_start_matches("/hostedzone/");
                for set in self.zone_records(id).await {
                    if within(set.name(), name) {
                        found.insert(format!("{id}: {}", render_record(&set)));
                    }
                }
            }
            match out.next_marker() {
                Some(next) if out.is_truncated() && !next.is_empty() => {
                    marker = Some(next.to_owned())
                }
                _ => return found,
            }
        }
    }

    /// Every distribution in the account.
    pub async fn distributions(&self) -> Vec<aws_sdk_cloudfront::types::DistributionSummary> {
        let mut all = Vec::new();
        let mut marker: Option<String> = None;
        loop {
            let out = retry_throttled("ListDistributions", || {
                self.cloudfront
                    .list_distributions()
                    .set_marker(marker.clone())
                    .send()
            })
            .await;
            let Some(list) = out.distribution_list() else {
                return all;
            };
            all.extend(list.items().iter().cloned());
            match list.next_marker() {
                Some(next) if list.is_truncated() && !next.is_empty() => {
                    marker = Some(next.to_owned())
                }
                _ => return all,
            }
        }
    }

    /// A distribution's tags (ListTagsForResource); `None` when it is gone.
    pub async fn distribution_tags(&self, arn: &str) -> Option<BTreeMap<String, String>> {
        let out = read_unless_gone("ListTagsForResource", &["NoSuchResource"], || {
            self.cloudfront
                .list_tags_for_resource()
                .resource(arn)
                .send()
        })
        .await?;
        Some(
            out.tags()
                .map(|tags| {
                    tags.items()
                        .iter()
                        .map(|t| (t.key().to_owned(), t.value().unwrap_or_default().to_owned()))
                        .collect()
                })
                .unwrap_or_default(),
        )
    }

    /// A certificate's tags; `None` when it is gone.
    pub async fn certificate_tags(
        &self,
        region: &str,
        arn: &str,
    ) -> Option<BTreeMap<String, String>> {
        let acm = self.acm_in(region);
        let out = read_unless_gone("ListTagsForCertificate", &["ResourceNotFound"], || {
            acm.list_tags_for_certificate().certificate_arn(arn).send()
        })
        .await?;
        Some(
            out.tags()
                .iter()
                .map(|t| (t.key().to_owned(), t.value().unwrap_or_default().to_owned()))
                .collect(),
        )
    }

    /// Every certificate of a region: `(arn, domain name)`.
    pub async fn certificates_in(&self, region: &str) -> Vec<(String, String)> {
        use aws_sdk_acm::types::{Filters, KeyAlgorithm};
        let acm = self.acm_in(region);
        // ListCertificates shows RSA_1024 and RSA_2048 keys only, unless asked for the others.
        let every_key_type = Filters::builder()
            .set_key_types(Some(
                KeyAlgorithm::values()
                    .iter()
                    .map(|k| KeyAlgorithm::from(*k))
                    .collect(),
            ))
            .build();
        let mut all = Vec::new();
        let mut token: Option<String> = None;
        loop {
            let out = retry_throttled("ListCertificates", || {
                acm.list_certificates()
                    .includes(every_key_type.clone())
                    .set_next_token(token.clone())
                    .send()
            })
            .await;
            for summary in out.certificate_summary_list() {
                all.push((
                    summary.certificate_arn().unwrap_or_default().to_owned(),
                    summary.domain_name().unwrap_or_default().to_owned(),
                ));
            }
            match out.next_token() {
                Some(next) if !next.is_empty() => token = Some(next.to_owned()),
                _ => return all,
            }
        }
    }

    /// Everything in the account that belongs to stack `id`: what carries its name `name` (a
    /// custom domain's) or its `edgestack:stack-id` tag or its distribution comment, and every
    /// record of `zone` other than NS and SOA (the zone is the test's own).
    pub async fn footprint(&self, id: &str, name: Option<&str>, zone: &Zone) -> Footprint {
        let mut found = Footprint::default();
        let ours = |tags: &BTreeMap<String, String>| {
            tags.get(STACK_ID_TAG).map(String::as_str) == Some(id)
        };
        for region in [CLOUDFRONT_REGION, API_REGION] {
            for (arn, domain) in self.certificates_in(region).await {
                let named = name.is_some_and(|n| same_name(&domain, n));
                let tagged = !named
                    && self
                        .certificate_tags(region, &arn)
                        .await
                        .is_some_and(|t| ours(&t));
                if named || tagged {
                    found.certificates.insert(format!("{region} {arn}"));
                }
            }
        }
        let comment = format!("edgestack {id}");
        for summary in self.distributions().await {
            let aliased = name.is_some_and(|n| {
                summary
                    .aliases()
                    .is_some_and(|a| a.items().iter().any(|alias| same_name(alias, n)))
            });
            let matches = summary.comment() == comment
                || aliased
                || self
                    .distribution_tags(summary.arn())
                    .await
                    .is_some_and(|t| ours(&t));
            if matches {
                found
                    .distributions
                    .insert(format!("{} {}", summary.id(), summary.domain_name()));
            }
        }
        for region in [API_REGION, CLOUDFRONT_REGION] {
            let apigw = self.apigateway_in(region);
            let domains = retry_throttled("GetDomainNames", || {
                apigw.get_domain_names().limit(500).send()
            })
            .await;
            for domain in domains.items() {
                let domain_name = domain.domain_name().unwrap_or_default();
                let named = name.is_some_and(|n| same_name(domain_name, n));
                let tagged = domain
                    .tags()
                    .and_then(|t| t.get(STACK_ID_TAG))
                    .is_some_and(|t| t == id);
                if !(named || tagged) {
                    continue;
                }
                found
                    .custom_domains
                    .insert(format!("{region} {domain_name}"));
                if let Some(mappings) =
                    read_unless_gone("GetBasePathMappings", &["NotFound"], || {
                        apigw
                            .get_base_path_mappings()
                            .domain_name(domain_name)
                            .send()
                    })
                    .await
                {
                    for m in mappings.items() {
                        found.base_path_mappings.insert(format!(
                            "{domain_name} {} -> {}/{}",
                            m.base_path().unwrap_or_default(),
                            m.rest_api_id().unwrap_or_default(),
                            m.stage().unwrap_or_default()
                        ));
                    }
                }
            }
        }
        found.records = self.zone_records_besides_ns_soa(&zone.id).await;
        found.origin_header_values = self.secrets_item(id).await.is_some();
        found
    }

    /// The item of the secrets table (`pk` = the stack id) that keeps the stack's origin
    /// header values, read consistently.
    pub async fn secrets_item(&self, stack_id: &str) -> Option<HashMap<String, AttributeValue>> {
        self.dynamodb
            .get_item()
            .table_name(&self.env.secrets_table)
            .key("pk", AttributeValue::S(stack_id.to_owned()))
            .consistent_read(true)
            .send()
            .await
            .expect("GetItem on the secrets table")
            .item
    }
}

pub(crate) fn string_set<'a>(items: impl IntoIterator<Item = &'a str>) -> BTreeSet<String> {
    items.into_iter().map(str::to_owned).collect()
}
