use serde::{Deserialize, Serialize};

/// How callers authenticate to the fronted API, which decides the headers CloudFront forwards.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Auth {
    #[default]
    None,
    Iam,
}

impl Auth {
    pub fn parse(raw: &str) -> Result<Self, String> {
        match raw {
            "none" => Ok(Self::None),
            "iam" => Ok(Self::Iam),
            _ => Err("must be \"none\" or \"iam\"".into()),
        }
    }
}

/// The lowest TLS version CloudFront may use towards the origin.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Default, Serialize, Deserialize)]
pub enum TlsVersion {
    #[serde(rename = "TLSv1")]
    Tls1,
    #[serde(rename = "TLSv1.1")]
    Tls1_1,
    #[default]
    #[serde(rename = "TLSv1.2")]
    Tls1_2,
}

impl TlsVersion {
    pub fn parse(raw: &str) -> Result<Self, String> {
        match raw {
            "TLSv1.2" => Ok(Self::Tls1_2),
            "TLSv1.1" => Ok(Self::Tls1_1),
            "TLSv1" => Ok(Self::Tls1),
            "SSLv3" => Err("SSLv3 is refused: API Gateway does not speak it; use TLSv1.2".into()),
            _ => Err("must be one of TLSv1.2, TLSv1.1, TLSv1".into()),
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Tls1 => "TLSv1",
            Self::Tls1_1 => "TLSv1.1",
            Self::Tls1_2 => "TLSv1.2",
        }
    }

    /// This version and every newer one: CloudFront's `OriginSslProtocols` list.
    pub fn and_newer(self) -> Vec<TlsVersion> {
        [Self::Tls1, Self::Tls1_1, Self::Tls1_2]
            .into_iter()
            .filter(|v| *v >= self)
            .collect()
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub enum PriceClass {
    #[serde(rename = "PriceClass_100")]
    PriceClass100,
    #[serde(rename = "PriceClass_200")]
    PriceClass200,
    #[default]
    #[serde(rename = "PriceClass_All")]
    PriceClassAll,
}

impl PriceClass {
    pub fn parse(raw: &str) -> Result<Self, String> {
        match raw {
            "PriceClass_100" => Ok(Self::PriceClass100),
            "PriceClass_200" => Ok(Self::PriceClass200),
            "PriceClass_All" => Ok(Self::PriceClassAll),
            _ => Err("must be one of PriceClass_100, PriceClass_200, PriceClass_All".into()),
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::PriceClass100 => "PriceClass_100",
            Self::PriceClass200 => "PriceClass_200",
            Self::PriceClassAll => "PriceClass_All",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sslv3_is_refused_with_the_reason() {
        let err = TlsVersion::parse("SSLv3").unwrap_err();
        assert!(err.contains("API Gateway does not speak it"), "{err}");
    }

    #[test]
    fn origin_protocols_run_from_the_minimum_up() {
        assert_eq!(TlsVersion::Tls1_2.and_newer(), vec![TlsVersion::Tls1_2]);
        assert_eq!(
            TlsVersion::Tls1.and_newer(),
            vec![TlsVersion::Tls1, TlsVersion::Tls1_1, TlsVersion::Tls1_2]
        );
    }
}
