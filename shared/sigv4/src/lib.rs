//! SigV4 for API Gateway (`execute-api`): the headers that sign one request. The CLI signs its
//! calls to the provisioning API and `edgestack call`, the smoke test signs what a stack's
//! outputs tell clients to sign, and the tests sign as a team's client: all with this.

use std::time::SystemTime;

use aws_credential_types::Credentials;
use aws_sigv4::http_request::{
    sign as sign_request, SignableBody, SignableRequest, SigningSettings,
};
use aws_sigv4::sign::v4;

/// One request to sign. `headers` must hold `host` exactly as the receiver sees it (with the
/// port, if any): a signature covers the host and the path as API Gateway receives them.
pub struct Request<'a> {
    pub method: &'a str,
    pub url: &'a str,
    pub headers: &'a [(&'a str, &'a str)],
    pub body: &'a [u8],
}

/// Where and as whom a request is signed.
pub struct Scope<'a> {
    pub credentials: &'a Credentials,
    pub region: &'a str,
    pub service: &'a str,
    pub time: SystemTime,
}

#[derive(Debug)]
pub struct SigningError(String);

impl std::fmt::Display for SigningError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "cannot sign the request: {}", self.0)
    }
}

impl std::error::Error for SigningError {}

/// The headers to add to `request` (`authorization`, `x-amz-date`, and
/// `x-amz-security-token` for temporary credentials).
pub fn sign(scope: &Scope, request: &Request) -> Result<Vec<(String, String)>, SigningError> {
    let identity = scope.credentials.clone().into();
    let params = v4::SigningParams::builder()
        .identity(&identity)
        .region(scope.region)
        .name(scope.service)
        .time(scope.time)
        .settings(SigningSettings::default())
        .build()
        .map_err(|e| SigningError(e.to_string()))?
        .into();
    let signable = SignableRequest::new(
        request.method,
        request.url,
        request.headers.iter().copied(),
        SignableBody::Bytes(request.body),
    )
    .map_err(|e| SigningError(e.to_string()))?;
    let (instructions, _) = sign_request(signable, &params)
        .map_err(|e| SigningError(e.to_string()))?
        .into_parts();
    Ok(instructions
        .headers()
        .map(|(name, value)| (name.to_owned(), value.to_owned()))
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers_of(credentials: &Credentials) -> Vec<(String, String)> {
        sign(
            &Scope {
                credentials,
                region: "eu-west-1",
                service: "execute-api",
                time: SystemTime::UNIX_EPOCH + std::time::Duration::from_secs(1_700_000_000),
            },
            &Request {
                method: "GET",
                url: "https://a1b2c3d4e5.execute-api.eu-west-1.amazonaws.com/prod/private",
                headers: &[("host", "a1b2c3d4e5.execute-api.eu-west-1.amazonaws.com")],
                body: &[],
            },
        )
        .expect("signed")
    }

    #[test]
    fn the_signature_names_the_scope_and_the_signed_host() {
        let headers = headers_of(&Credentials::new("AKID", "secret", None, None, "test"));
        let authorization = &headers
            .iter()
            .find(|(name, _)| name == "authorization")
            .expect("an authorization header")
            .1;
        assert!(
            authorization.starts_with(
                "AWS4-HMAC-SHA256 Credential=AKID/20231114/eu-west-1/execute-api/aws4_request"
            ),
            "{authorization}"
        );
        assert!(
            authorization.contains("SignedHeaders=host;x-amz-date"),
            "{authorization}"
        );
        assert!(headers.iter().any(|(name, _)| name == "x-amz-date"));
    }

    #[test]
    fn a_session_token_is_sent_along() {
        let headers = headers_of(&Credentials::new(
            "ASIA",
            "secret",
            Some("token".into()),
            None,
            "test",
        ));
        assert!(headers
            .iter()
            .any(|(name, value)| name == "x-amz-security-token" && value == "token"));
    }
}
