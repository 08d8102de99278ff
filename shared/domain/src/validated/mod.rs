//! Validated types for everything a caller sends. Each `parse` names the problem in words a
//! caller can act on; nothing downstream re-checks what these types already guarantee.

mod names;
mod options;
mod principal;

pub use names::{ApiId, DomainName, HeaderName, HostedZoneId, Region, StageName};
pub use options::{Auth, PriceClass, TlsVersion};
pub use principal::Principal;

/// One problem with one field of a request, as the API reports it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct FieldError {
    pub field: String,
    pub problem: String,
}

impl FieldError {
    pub fn new(field: impl Into<String>, problem: impl Into<String>) -> Self {
        Self {
            field: field.into(),
            problem: problem.into(),
        }
    }
}
