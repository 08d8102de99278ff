//! The provisioning request of `POST /stacks`, validated field by field so that one answer
//! names every problem at once.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::secret::Secret;
use crate::tags::RESERVED_TAG_PREFIX;
use crate::validated::{
    ApiId, Auth, DomainName, FieldError, HeaderName, HostedZoneId, PriceClass, Region, StageName,
    TlsVersion,
};

/// CloudFront allows 10 origin custom headers per origin.
pub const MAX_ORIGIN_HEADERS: usize = 10;
/// CloudFront and ACM both allow 50 tags; edgestack keeps a few of them for itself.
pub const MAX_TAGS: usize = 40;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CustomDomain {
    pub name: DomainName,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hosted_zone_id: Option<HostedZoneId>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StackRequest {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    pub api_id: ApiId,
    pub region: Region,
    pub stage: StageName,
    pub auth: Auth,
    pub origin_path: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub custom_domain: Option<CustomDomain>,
    #[serde(default)]
    pub origin_headers: BTreeMap<HeaderName, Secret>,
    pub min_origin_tls: TlsVersion,
    pub price_class: PriceClass,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub smoke_test_path: Option<String>,
    #[serde(default)]
    pub tags: BTreeMap<String, String>,
}

const KNOWN_FIELDS: &[&str] = &[
    "name",
    "api_id",
    "region",
    "stage",
    "auth",
    "origin_path",
    "custom_domain",
    "origin_headers",
    "min_origin_tls",
    "price_class",
    "smoke_test_path",
    "tags",
];

/// Collects problems while the fields are read one by one.
#[derive(Default)]
struct Problems(Vec<FieldError>);

impl Problems {
    fn add(&mut self, field: impl Into<String>, problem: impl Into<String>) {
        self.0.push(FieldError::new(field, problem));
    }

    /// Runs `parse` on the string at `field`, recording why it is not acceptable.
    fn parse<T>(
        &mut self,
        field: &str,
        value: Option<&Value>,
        required: bool,
        parse: impl FnOnce(&str) -> Result<T, String>,
    ) -> Option<T> {
        match value {
            None | Some(Value::Null) => {
                if required {
                    self.add(field, "is required");
                }
                None
            }
            Some(Value::String(s)) => parse(s).map_err(|p| self.add(field, p)).ok(),
            Some(_) => {
                self.add(field, "must be a string");
                None
            }
        }
    }
}

impl StackRequest {
    /// Validates a decoded JSON body. Every problem is reported, each under its field's path.
    pub fn from_json(body: &Value) -> Result<Self, Vec<FieldError>> {
        let Some(obj) = body.as_object() else {
            return Err(vec![FieldError::new("body", "must be a JSON object")]);
        };
        let mut p = Problems::default();
        for key in obj.keys() {
            if !KNOWN_FIELDS.contains(&key.as_str()) {
                p.add(key.as_str(), "is not a known field");
            }
        }

        let name = p.parse("name", obj.get("name"), false, parse_label);
        let api_id = p.parse("api_id", obj.get("api_id"), true, ApiId::parse);
        let region = p.parse("region", obj.get("region"), true, Region::parse);
        let stage = p.parse("stage", obj.get("stage"), true, StageName::parse);
        let auth = p.parse("auth", obj.get("auth"), false, Auth::parse);
        let origin_path = match obj.get("origin_path") {
            None | Some(Value::Null) => true,
            Some(Value::Bool(b)) => *b,
            Some(_) => {
                p.add("origin_path", "must be true or false");
                true
            }
        };
        let custom_domain = parse_custom_domain(&mut p, obj.get("custom_domain"));
        let origin_headers = parse_origin_headers(&mut p, obj.get("origin_headers"));
        let min_origin_tls = p.parse(
            "min_origin_tls",
            obj.get("min_origin_tls"),
            false,
            TlsVersion::parse,
        );
        let price_class = p.parse(
            "price_class",
            obj.get("price_class"),
            false,
            PriceClass::parse,
        );
        let smoke_test_path = p.parse(
            "smoke_test_path",
            obj.get("smoke_test_path"),
            false,
            parse_smoke_test_path,
        );
        let tags = parse_tags(&mut p, obj.get("tags"));

        match (api_id, region, stage) {
            (Some(api_id), Some(region), Some(stage)) if p.0.is_empty() => Ok(Self {
                name,
                api_id,
                region,
                stage,
                auth: auth.unwrap_or_default(),
                origin_path,
                custom_domain,
                origin_headers,
                min_origin_tls: min_origin_tls.unwrap_or_default(),
                price_class: price_class.unwrap_or_default(),
                smoke_test_path,
                tags,
            }),
            _ => Err(p.0),
        }
    }

    /// The origin path the distribution uses: the stage when clients leave it out of their
    /// URLs, nothing with a custom domain (its base path mapping selects the stage).
    pub fn distribution_origin_path(&self) -> String {
        if self.custom_domain.is_none() && self.origin_path {
            format!("/{}", self.stage)
        } else {
            String::new()
        }
    }
}

fn parse_label(raw: &str) -> Result<String, String> {
    if raw.is_empty() || raw.len() > 128 {
        return Err("must be 1 to 128 characters".into());
    }
    if !raw
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || b"-_.".contains(&b))
    {
        return Err("may contain only letters, digits, '-', '_' and '.'".into());
    }
    Ok(raw.to_owned())
}

fn parse_smoke_test_path(raw: &str) -> Result<String, String> {
    if !raw.starts_with('/') {
        return Err("must start with '/', e.g. /greetings".into());
    }
    if raw.len() > 1024 {
        return Err("must be at most 1024 characters".into());
    }
    if raw.starts_with("//")
        || raw
            .bytes()
            .any(|b| b.is_ascii_control() || b == b' ' || b == b'#')
    {
        return Err(
            "must be a URL path: no spaces, control characters, '#' or leading '//'".into(),
        );
    }
    Ok(raw.to_owned())
}

fn parse_custom_domain(p: &mut Problems, value: Option<&Value>) -> Option<CustomDomain> {
    let obj = match value {
        None | Some(Value::Null) => return None,
        Some(Value::Object(obj)) => obj,
        Some(_) => {
            p.add(
                "custom_domain",
                "must be an object with name and hosted_zone_id",
            );
            return None;
        }
    };
    for key in obj.keys() {
        if key != "name" && key != "hosted_zone_id" {
            p.add(format!("custom_domain.{key}"), "is not a known field");
        }
    }
    let name = p.parse(
        "custom_domain.name",
        obj.get("name"),
        true,
        DomainName::parse,
    );
    let hosted_zone_id = p.parse(
        "custom_domain.hosted_zone_id",
        obj.get("hosted_zone_id"),
        false,
        HostedZoneId::parse,
    );
    name.map(|name| CustomDomain {
        name,
        hosted_zone_id,
    })
}

fn string_map<'a>(
    p: &mut Problems,
    field: &str,
    value: Option<&'a Value>,
) -> Option<&'a Map<String, Value>> {
    match value {
        None | Some(Value::Null) => None,
        Some(Value::Object(obj)) => Some(obj),
        Some(_) => {
            p.add(field, "must be an object of string values");
            None
        }
    }
}

fn parse_origin_headers(p: &mut Problems, value: Option<&Value>) -> BTreeMap<HeaderName, Secret> {
    let mut headers = BTreeMap::new();
    let Some(obj) = string_map(p, "origin_headers", value) else {
        return headers;
    };
    if obj.len() > MAX_ORIGIN_HEADERS {
        p.add(
            "origin_headers",
            format!("at most {MAX_ORIGIN_HEADERS} headers (CloudFront's limit per origin)"),
        );
    }
    let mut seen = std::collections::BTreeSet::new();
    for (name, value) in obj {
        let field = format!("origin_headers.{name}");
        let parsed = HeaderName::parse(name).map_err(|e| p.add(&field, e)).ok();
        if !seen.insert(name.to_ascii_lowercase()) {
            p.add(&field, "is given twice (header names are case-insensitive)");
        }
        // Problems with a value never quote it: it is a secret.
        let secret = match value {
            Value::String(s) if s.is_empty() => {
                p.add(&field, "the value must not be empty");
                None
            }
            Value::String(s) if s.len() > 1783 => {
                p.add(
                    &field,
                    "the value must be at most 1783 characters (CloudFront's limit)",
                );
                None
            }
            Value::String(s) if s.bytes().any(|b| !(0x20..0x7f).contains(&b)) => {
                p.add(
                    &field,
                    "the value may contain only printable ASCII characters",
                );
                None
            }
            Value::String(s) => Some(Secret::new(s.clone())),
            _ => {
                p.add(&field, "the value must be a string");
                None
            }
        };
        if let (Some(name), Some(secret)) = (parsed, secret) {
            headers.insert(name, secret);
        }
    }
    headers
}

fn parse_tags(p: &mut Problems, value: Option<&Value>) -> BTreeMap<String, String> {
    let mut tags = BTreeMap::new();
    let Some(obj) = string_map(p, "tags", value) else {
        return tags;
    };
    if obj.len() > MAX_TAGS {
        p.add("tags", format!("at most {MAX_TAGS} tags"));
    }
    for (key, value) in obj {
        let field = format!("tags.{key}");
        if key.is_empty() || key.chars().count() > 128 {
            p.add(&field, "a tag key must be 1 to 128 characters");
        } else if key.to_ascii_lowercase().starts_with("aws:") {
            p.add(&field, "tag keys starting with aws: are reserved by AWS");
        } else if key.starts_with(RESERVED_TAG_PREFIX) {
            p.add(
                &field,
                "tag keys starting with edgestack: are set by edgestack itself",
            );
        } else if !key.chars().all(is_tag_char) {
            p.add(
                &field,
                "a tag key may contain only letters, digits, spaces and _ . : / = + - @",
            );
        }
        match value {
            Value::String(v) if v.chars().count() > 256 => {
                p.add(&field, "a tag value must be at most 256 characters")
            }
            Value::String(v) if !v.chars().all(is_tag_char) => p.add(
                &field,
                "a tag value may contain only letters, digits, spaces and _ . : / = + - @",
            ),
            Value::String(v) => {
                tags.insert(key.clone(), v.clone());
            }
            _ => p.add(&field, "a tag value must be a string"),
        }
    }
    tags
}

fn is_tag_char(c: char) -> bool {
    c.is_alphanumeric() || " _.:/=+-@".contains(c)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn fields(result: Result<StackRequest, Vec<FieldError>>) -> Vec<String> {
        result.unwrap_err().into_iter().map(|e| e.field).collect()
    }

    #[test]
    fn a_minimal_request_gets_the_documented_defaults() {
        let req = StackRequest::from_json(
            &json!({"api_id": "a1b2c3d4e5", "region": "eu-west-1", "stage": "prod"}),
        )
        .unwrap();
        assert_eq!(req.auth, Auth::None);
        assert!(req.origin_path);
        assert_eq!(req.min_origin_tls, TlsVersion::Tls1_2);
        assert_eq!(req.price_class, PriceClass::PriceClassAll);
        assert_eq!(req.distribution_origin_path(), "/prod");
    }

    #[test]
    fn the_full_example_of_the_contract_is_accepted() {
        let req = StackRequest::from_json(&json!({
            "name": "greetings-prod", "api_id": "a1b2c3d4e5", "region": "eu-west-1", "stage": "prod",
            "auth": "none", "origin_path": true,
            "custom_domain": { "name": "api.example.com", "hosted_zone_id": "Z0123456789ABCDEFGHIJ" },
            "origin_headers": { "X-Origin-Verify": "a-shared-secret" },
            "min_origin_tls": "TLSv1.2", "price_class": "PriceClass_All",
            "smoke_test_path": "/greetings", "tags": { "team": "payments" }
        }))
        .unwrap();
        assert_eq!(
            req.distribution_origin_path(),
            "",
            "a custom domain's mapping selects the stage"
        );
        let shown = serde_json::to_value(&req).unwrap();
        assert_eq!(shown["origin_headers"]["X-Origin-Verify"], "***");
    }

    #[test]
    fn every_bad_field_is_named_at_once() {
        let got = fields(StackRequest::from_json(&json!({
            "api_id": "NOPE", "region": "mars", "stage": "a/b", "auth": "oauth", "origin_path": "yes",
            "custom_domain": { "name": "*.example.com", "hosted_zone_id": "lower" },
            "origin_headers": { "Host": "x", "X-Ok": "" }, "min_origin_tls": "SSLv3",
            "price_class": "cheap", "smoke_test_path": "greetings", "tags": { "aws:x": "1" },
            "colour": "blue"
        })));
        for field in [
            "api_id",
            "region",
            "stage",
            "auth",
            "origin_path",
            "custom_domain.name",
            "custom_domain.hosted_zone_id",
            "origin_headers.Host",
            "origin_headers.X-Ok",
            "min_origin_tls",
            "price_class",
            "smoke_test_path",
            "tags.aws:x",
            "colour",
        ] {
            assert!(
                got.contains(&field.to_string()),
                "{field} not named in {got:?}"
            );
        }
    }

    #[test]
    fn missing_required_fields_are_named() {
        assert_eq!(
            fields(StackRequest::from_json(&json!({}))),
            ["api_id", "region", "stage"]
        );
        assert_eq!(fields(StackRequest::from_json(&json!([]))), ["body"]);
    }

    #[test]
    fn a_bad_header_value_is_reported_without_quoting_it() {
        let errs = StackRequest::from_json(
            &json!({"api_id": "a1b2c3d4e5", "region": "eu-west-1", "stage": "prod",
            "origin_headers": {"X-Secret": "s3cr3t\u{7}"}}),
        )
        .unwrap_err();
        assert_eq!(errs.len(), 1);
        assert!(!errs[0].problem.contains("s3cr3t"));
    }
}
