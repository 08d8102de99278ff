//! Reading the account's certificates in a region, which provisioning's wait and teardown's
//! lookups alike page through.

use aws_sdk_acm::types::{CertificateSummary, Filters, KeyAlgorithm};

use crate::error::from_sdk;
use crate::pace::Rated;
use crate::{Deps, StepError};

/// Hands every certificate of the account in `region`, of every status, to `visit`, page by
/// page. `ListCertificates` shows only RSA_1024 and RSA_2048 keys unless asked for the others
/// (ACM API reference, ListCertificates, `Filters.keyTypes`), so every key type is asked for.
pub async fn scan_certificates(
    deps: &Deps,
    region: &str,
    mut visit: impl FnMut(&CertificateSummary),
) -> Result<(), StepError> {
    let every_key_type = Filters::builder()
        .set_key_types(Some(
            KeyAlgorithm::values()
                .iter()
                .map(|k| KeyAlgorithm::from(*k))
                .collect(),
        ))
        .build();
    let client = deps.clients.acm(region);
    let mut token: Option<String> = None;
    loop {
        deps.at_rate(Rated::ListCertificates(region)).await?;
        let out = client
            .list_certificates()
            .includes(every_key_type.clone())
            .set_next_token(token.take())
            .send()
            .await
            .map_err(from_sdk)?;
        for certificate in out.certificate_summary_list() {
            visit(certificate);
        }
        match out.next_token {
            Some(next) if !next.is_empty() => token = Some(next),
            _ => return Ok(()),
        }
    }
}
