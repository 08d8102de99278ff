use std::fmt;

use serde::{Deserialize, Serialize};

/// Implements the string plumbing every name type shares: `as_str`, `Display`, and serde as a
/// plain string that is validated again on the way in.
macro_rules! string_newtype {
    ($name:ident) => {
        impl $name {
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl Serialize for $name {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(&self.0)
            }
        }

        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let raw = String::deserialize(d)?;
                $name::parse(&raw).map_err(serde::de::Error::custom)
            }
        }
    };
}

/// A fully qualified DNS name a stack may serve: lower case, no trailing dot, no wildcard.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct DomainName(String);
string_newtype!(DomainName);

impl DomainName {
    pub fn parse(raw: &str) -> Result<Self, String> {
        let name = raw.strip_suffix('.').unwrap_or(raw).to_ascii_lowercase();
        if name.is_empty() {
            return Err("must not be empty".into());
        }
        if name.len() > 253 {
            return Err("must be at most 253 characters".into());
        }
        if name.starts_with("*.") {
            return Err("wildcard names are not supported; name the exact host".into());
        }
        let labels: Vec<&str> = name.split('.').collect();
        if labels.len() < 2 {
            return Err("must be a fully qualified name such as api.example.com".into());
        }
        for label in &labels {
            if label.is_empty() || label.len() > 63 {
                return Err("each dot-separated label must be 1 to 63 characters".into());
            }
            if !label
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
            {
                return Err("may contain only letters, digits, hyphens and dots".into());
            }
            if label.starts_with('-') || label.ends_with('-') {
                return Err("a label must not start or end with a hyphen".into());
            }
        }
        if labels
            .last()
            .is_some_and(|tld| tld.bytes().all(|b| b.is_ascii_digit()))
        {
            return Err("must be a DNS name, not an IP address".into());
        }
        // These belong to AWS: a stack can neither get a certificate for them nor own their DNS.
        for reserved in ["cloudfront.net", "amazonaws.com"] {
            if name == reserved || name.ends_with(&format!(".{reserved}")) {
                return Err(format!(
                    "names under {reserved} belong to AWS and cannot be used"
                ));
            }
        }
        Ok(Self(name))
    }

    /// True when this name is `suffix` itself or lies below it.
    pub fn is_within(&self, suffix: &str) -> bool {
        let suffix = suffix.trim_end_matches('.').to_ascii_lowercase();
        self.0 == suffix || self.0.ends_with(&format!(".{suffix}"))
    }
}

/// The id of an API Gateway REST API: ten lower-case letters and digits.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ApiId(String);
string_newtype!(ApiId);

impl ApiId {
    pub fn parse(raw: &str) -> Result<Self, String> {
        if raw.len() == 10
            && raw
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
        {
            Ok(Self(raw.to_owned()))
        } else {
            Err("must be an API Gateway REST API id: 10 lower-case letters and digits, e.g. a1b2c3d4e5".into())
        }
    }
}

/// A deployed stage's name, as API Gateway allows it.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct StageName(String);
string_newtype!(StageName);

impl StageName {
    pub fn parse(raw: &str) -> Result<Self, String> {
        if raw.is_empty() || raw.len() > 128 {
            return Err("must be 1 to 128 characters".into());
        }
        if !raw
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        {
            return Err("may contain only letters, digits, hyphens and underscores".into());
        }
        Ok(Self(raw.to_owned()))
    }
}

/// An AWS region code such as `eu-west-1` or `us-gov-west-1`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Region(String);
string_newtype!(Region);

impl Region {
    pub fn parse(raw: &str) -> Result<Self, String> {
        let parts: Vec<&str> = raw.split('-').collect();
        let well_formed = (3..=4).contains(&parts.len())
            && parts[0].len() == 2
            && parts[..parts.len() - 1]
                .iter()
                .all(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_lowercase()))
            && {
                let number = parts[parts.len() - 1];
                number.bytes().all(|b| b.is_ascii_digit())
                    && !number.starts_with('0')
                    && number.parse::<u8>().is_ok()
            };
        if well_formed {
            Ok(Self(raw.to_owned()))
        } else {
            Err("must be an AWS region code such as eu-west-1".into())
        }
    }
}

/// A Route 53 hosted zone id, with or without the `/hostedzone/` prefix the API sometimes adds.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct HostedZoneId(String);
string_newtype!(HostedZoneId);

impl HostedZoneId {
    pub fn parse(raw: &str) -> Result<Self, String> {
        let id = raw.strip_prefix("/hostedzone/").unwrap_or(raw);
        if !id.is_empty()
            && id.len() <= 32
            && id
                .bytes()
                .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit())
        {
            Ok(Self(id.to_owned()))
        } else {
            Err("must be a Route 53 hosted zone id: upper-case letters and digits, e.g. Z0123456789ABCDEFGHIJ".into())
        }
    }
}

/// A custom header CloudFront may add to origin requests. CloudFront refuses a fixed list of
/// names it manages itself; refusing them here turns a late workflow failure into a 400.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct HeaderName(String);
string_newtype!(HeaderName);

const CLOUDFRONT_FORBIDDEN_ORIGIN_HEADERS: &[&str] = &[
    "cache-control",
    "connection",
    "content-length",
    "cookie",
    "host",
    "if-match",
    "if-modified-since",
    "if-none-match",
    "if-range",
    "if-unmodified-since",
    "max-forwards",
    "pragma",
    "proxy-authorization",
    "proxy-connection",
    "range",
    "request-range",
    "te",
    "trailer",
    "transfer-encoding",
    "upgrade",
    "via",
    "x-real-ip",
    "authorization",
];

impl HeaderName {
    pub fn parse(raw: &str) -> Result<Self, String> {
        if raw.is_empty() || raw.len() > 256 {
            return Err("a header name must be 1 to 256 characters".into());
        }
        const TOKEN_SYMBOLS: &[u8] = b"!#$%&'*+-.^_`|~";
        if !raw
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || TOKEN_SYMBOLS.contains(&b))
        {
            return Err(
                "a header name may contain only letters, digits and !#$%&'*+-.^_`|~".into(),
            );
        }
        let lower = raw.to_ascii_lowercase();
        if CLOUDFRONT_FORBIDDEN_ORIGIN_HEADERS.contains(&lower.as_str())
            || lower.starts_with("x-amz-")
            || lower.starts_with("x-edge-")
            || lower.starts_with("x-amzn-")
        {
            return Err(format!(
                "{raw} is managed by CloudFront and cannot be an origin custom header"
            ));
        }
        Ok(Self(raw.to_owned()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn domain_names_are_normalised_and_checked() {
        assert_eq!(
            DomainName::parse("API.Example.com.").unwrap().as_str(),
            "api.example.com"
        );
        for bad in [
            "",
            "localhost",
            "*.example.com",
            "-a.example.com",
            "a..b.com",
            "a_b.example.com",
            "10.0.0.1",
            "x.cloudfront.net",
            "api.execute-api.eu-west-1.amazonaws.com",
        ] {
            assert!(DomainName::parse(bad).is_err(), "{bad} accepted");
        }
        let long_label = format!("{}.example.com", "a".repeat(64));
        assert!(DomainName::parse(&long_label).is_err());
    }

    #[test]
    fn domain_suffix_match_is_label_aligned() {
        let name = DomainName::parse("api.example.com").unwrap();
        assert!(name.is_within("example.com"));
        assert!(name.is_within("api.example.com"));
        assert!(!name.is_within("ample.com"));
        assert!(!name.is_within("other.example.com"));
    }

    #[test]
    fn api_ids_stages_regions_zones() {
        assert!(ApiId::parse("a1b2c3d4e5").is_ok());
        assert!(ApiId::parse("A1B2C3D4E5").is_err());
        assert!(ApiId::parse("a1b2").is_err());
        assert!(StageName::parse("prod_v2-x").is_ok());
        assert!(StageName::parse("prod/x").is_err());
        assert!(Region::parse("eu-west-1").is_ok());
        assert!(Region::parse("us-gov-west-1").is_ok());
        for bad in [
            "eu-west",
            "euwest1",
            "EU-WEST-1",
            "e-west-1",
            "",
            "eu-west-+1",
            "eu-west-001",
            "eu-west-0",
        ] {
            assert!(Region::parse(bad).is_err(), "{bad} accepted");
        }
        assert_eq!(
            HostedZoneId::parse("/hostedzone/Z123ABC").unwrap().as_str(),
            "Z123ABC"
        );
        assert!(HostedZoneId::parse("z123").is_err());
    }

    #[test]
    fn header_names_cloudfront_manages_are_refused() {
        assert!(HeaderName::parse("X-Origin-Verify").is_ok());
        for bad in [
            "Host",
            "authorization",
            "X-Amz-Date",
            "X-Edge-Location",
            "Bad Header",
            "",
        ] {
            assert!(HeaderName::parse(bad).is_err(), "{bad} accepted");
        }
    }
}
