//! Nothing that is not this stack's already uses the name: no API Gateway custom domain, no
//! DNS record, no CloudFront alias.

use aws_sdk_apigateway::operation::get_domain_name::GetDomainNameError;
use aws_sdk_route53::types::RrType;

use crate::provision::distribution::find_distribution;
use edgestack_domain::tags::STACK_ID_TAG;

use crate::distribution_config;
use crate::error::from_sdk;
use crate::{Deps, StepError};
use edgestack_domain::stack::Stack;

/// API Gateway allows one custom domain of a name per region; someone else's must stay theirs.
pub(super) async fn check_no_custom_domain(deps: &Deps, stack: &Stack) -> Result<(), StepError> {
    let request = &stack.request;
    let Some(domain) = &request.custom_domain else {
        return Ok(());
    };
    let client = deps.clients.apigateway(request.region.as_str());
    match client
        .get_domain_name()
        .domain_name(domain.name.as_str())
        .send()
        .await
    {
        Ok(existing)
            if existing
                .tags()
                .and_then(|t| t.get(STACK_ID_TAG))
                .is_some_and(|id| id == stack.id.as_str()) =>
        {
            Ok(())
        }
        Ok(_) => Err(StepError::Conflict {
            code: "custom_domain_exists",
            message: format!(
                "API Gateway in {} already has a custom domain {}. Delete it, or choose another name.",
                request.region, domain.name
            ),
        }),
        Err(e) if matches!(e.as_service_error(), Some(GetDomainNameError::NotFoundException(_))) => Ok(()),
        Err(e) => Err(from_sdk(e)),
    }
}

/// A record for the name that edgestack did not write (an A, AAAA or CNAME) would be
/// overwritten by the alias records, or would keep serving something else: refuse up front.
pub(super) async fn check_no_record_in_the_way(
    deps: &Deps,
    stack: &Stack,
    zone_id: &str,
) -> Result<(), StepError> {
    let Some(domain) = &stack.request.custom_domain else {
        return Ok(());
    };
    let listed = deps
        .clients
        .route53
        .clone()
        .list_resource_record_sets()
        .hosted_zone_id(zone_id)
        .start_record_name(domain.name.as_str())
        .max_items(10)
        .send()
        .await
        .map_err(from_sdk)?;
    let in_the_way = listed.resource_record_sets().iter().find(|set| {
        set.name()
            .trim_end_matches('.')
            .eq_ignore_ascii_case(domain.name.as_str())
            && matches!(set.r#type(), RrType::A | RrType::Aaaa | RrType::Cname)
            && !stack.outputs.dns_records.iter().any(|ours| {
                ours.managed
                    && ours.record_type == set.r#type().as_str()
                    && ours
                        .name
                        .trim_end_matches('.')
                        .eq_ignore_ascii_case(domain.name.as_str())
            })
    });
    match in_the_way {
        Some(set) => Err(StepError::Conflict {
            code: "dns_record_exists",
            message: format!(
                "Hosted zone {zone_id} already has a {} record for {} that edgestack did not create. Remove it first, or choose another name.",
                set.r#type().as_str(),
                domain.name
            ),
        }),
        None => Ok(()),
    }
}

/// CloudFront lets one distribution in all of AWS carry a name as an alternate domain name. One
/// of this account's that already carries it would make the create fail late, after the
/// certificates and the custom domain were made; find it now. (Another account's is found by
/// CloudFront at create time, `CNAMEAlreadyExists`, and rolled back: `ListConflictingAliases`
/// needs a distribution of ours to ask about, which does not exist before the create.)
pub(super) async fn check_no_alias_in_use(
    client: &aws_sdk_cloudfront::Client,
    stack: &Stack,
) -> Result<(), StepError> {
    let Some(domain) = &stack.request.custom_domain else {
        return Ok(());
    };
    let ours = distribution_config::comment(stack);
    let holder = find_distribution(client, |d| {
        d.comment() != ours
            && d.aliases().is_some_and(|a| {
                a.items()
                    .iter()
                    .any(|alias| alias.eq_ignore_ascii_case(domain.name.as_str()))
            })
    })
    .await
    .map_err(from_sdk)?;
    match holder {
        Some(holder) => Err(StepError::Conflict {
            code: "alias_in_use",
            message: format!(
                "CloudFront distribution {} in this account already serves {} as an alternate domain name. Remove the name from it, or choose another name.",
                holder.id(),
                domain.name
            ),
        }),
        None => Ok(()),
    }
}
