//! Finding what the stack made by its marks (tags, names) rather than its outputs, which a
//! lost answer or a step in flight leaves incomplete.

use super::same_name;
use crate::acm::scan_certificates;
use edgestack_domain::tags::STACK_ID_TAG;

use crate::cloudfront::CLOUDFRONT_REGION;
use crate::error::from_sdk;
use crate::{Deps, StepError};

/// Every certificate of the account in `region` that names `name` (as its domain or a SAN).
pub(super) async fn certificates_naming(
    deps: &Deps,
    region: &str,
    name: &str,
) -> Result<Vec<String>, StepError> {
    let mut found = Vec::new();
    scan_certificates(deps, region, |c| {
        let names_it = c.domain_name().is_some_and(|d| same_name(d, name))
            || c.subject_alternative_name_summaries()
                .iter()
                .any(|san| same_name(san, name));
        if let (true, Some(arn)) = (names_it, c.certificate_arn()) {
            found.push(arn.to_owned());
        }
    })
    .await?;
    Ok(found)
}

/// Whether a certificate of the account (in `regions`) still names `name`, as its domain or a
/// SAN: the validation CNAME is the same for a name in every region and for a SAN, so it stays
/// while any of them needs it.
pub(super) async fn name_still_certified(
    deps: &Deps,
    regions: &[String],
    name: &str,
) -> Result<bool, StepError> {
    for region in regions {
        if !certificates_naming(deps, region, name).await?.is_empty() {
            return Ok(true);
        }
    }
    Ok(false)
}

/// The stack's certificates found by its tag (`region`, ARN), in us-east-1 and the API's
/// region: a request whose answer was lost, or that a step made after a DELETE, leaves a
/// certificate the outputs never named.
pub(super) async fn tagged_certificates(
    deps: &Deps,
    stack: &edgestack_domain::stack::Stack,
) -> Result<Vec<(String, String)>, StepError> {
    let Some(domain) = &stack.request.custom_domain else {
        return Ok(Vec::new());
    };
    let mut regions = vec![CLOUDFRONT_REGION.to_owned()];
    if stack.request.region.as_str() != CLOUDFRONT_REGION {
        regions.push(stack.request.region.to_string());
    }
    let mut found = Vec::new();
    for region in regions {
        let client = deps.clients.acm(&region);
        for arn in certificates_naming(deps, &region, domain.name.as_str()).await? {
            let tags = match client
                .list_tags_for_certificate()
                .certificate_arn(&arn)
                .send()
                .await
            {
                Ok(out) => out.tags.unwrap_or_default(),
                // Deleted since it was listed.
                Err(e)
                    if e.as_service_error()
                        .is_some_and(|e| e.is_resource_not_found_exception()) =>
                {
                    continue
                }
                Err(e) => return Err(from_sdk(e)),
            };
            let ours = tags
                .iter()
                .any(|t| t.key() == STACK_ID_TAG && t.value() == Some(stack.id.as_str()));
            if ours {
                found.push((region.clone(), arn));
            }
        }
    }
    Ok(found)
}
