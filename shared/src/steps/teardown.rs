//! Undoing a stack, in the safe order of `recipe.md`: DNS records first (a record left pointing
//! at a deleted distribution is a subdomain takeover waiting to happen), then the distribution
//! (disabled, deployed, deleted), the custom domain and its mapping, the certificates, and last
//! the validation records no other certificate still uses. The teardown workflow runs these for
//! `DELETE`; the provisioning workflow runs the same ones to roll back a failure. Every step
//! treats "already gone" as done, and never touches what this stack did not create.

use aws_sdk_apigateway::operation::delete_base_path_mapping::DeleteBasePathMappingError;
use aws_sdk_apigateway::operation::delete_domain_name::DeleteDomainNameError;
use aws_sdk_apigateway::operation::get_domain_name::GetDomainNameError;
use aws_sdk_cloudfront::operation::get_distribution_config::GetDistributionConfigError;
use aws_sdk_route53::types::{Change, ChangeAction, ChangeBatch, RrType};

use super::certificates::CLOUDFRONT_REGION;
use super::dns::CLOUDFRONT_ZONE_ID;
use super::error::{self, from_sdk, CertificateDeletion};
use super::{Deps, Flow, StepError};
use crate::stack::{DnsPurpose, Phase, Status, StepStatus};
use crate::store::modify;
use crate::tags::STACK_ID_TAG;

pub const DNS_STEP: &str = "delete_dns_records";
pub const DISABLE_STEP: &str = "disable_distribution";
pub const DISTRIBUTION_STEP: &str = "delete_distribution";
pub const CUSTOM_DOMAIN_STEP: &str = "delete_custom_domain";
pub const CERTIFICATES_STEP: &str = "delete_certificates";
pub const FINISH_STEP: &str = "finish_teardown";

fn same_name(a: &str, b: &str) -> bool {
    a.trim_end_matches('.')
        .eq_ignore_ascii_case(b.trim_end_matches('.'))
}

/// Deletes the record sets of `name` of these types that match `keep` — found first, since
/// Route 53 deletes only a record given exactly as it stands.
async fn delete_records(
    deps: &Deps,
    zone: &str,
    name: &str,
    types: &[RrType],
    ours: impl Fn(&aws_sdk_route53::types::ResourceRecordSet) -> bool,
) -> Result<usize, StepError> {
    let client = deps.clients.route53.clone();
    let listed = client
        .list_resource_record_sets()
        .hosted_zone_id(zone)
        .start_record_name(name)
        .max_items(20)
        .send()
        .await
        .map_err(from_sdk)?;
    let changes: Vec<Change> = listed
        .resource_record_sets()
        .iter()
        .filter(|set| same_name(set.name(), name) && types.contains(set.r#type()) && ours(set))
        .map(|set| {
            Change::builder()
                .action(ChangeAction::Delete)
                .resource_record_set(set.clone())
                .build()
                .map_err(|e| StepError::Internal(e.to_string()))
        })
        .collect::<Result<_, _>>()?;
    let count = changes.len();
    if count > 0 {
        client
            .change_resource_record_sets()
            .hosted_zone_id(zone)
            .change_batch(
                ChangeBatch::builder()
                    .set_changes(Some(changes))
                    .build()
                    .map_err(|e| StepError::Internal(e.to_string()))?,
            )
            .send()
            .await
            .map_err(error::change_listed_records)?;
    }
    Ok(count)
}

pub async fn delete_dns_records(deps: &Deps, flow: Flow) -> Result<Flow, StepError> {
    let stack = deps
        .begin_undo(&flow.stack_id, DNS_STEP, Phase::DeletingDnsRecords)
        .await?;
    let mut deleted = 0;
    let mut detail = None;
    if let (Some(domain), Some(distribution)) = (
        &stack.request.custom_domain,
        &stack.outputs.distribution_domain_name,
    ) {
        if domain.hosted_zone_id.is_none() {
            // Outside DNS: the owner's CNAME would point at a deleted distribution. Nobody can
            // take the name over through CloudFront without a trusted certificate for it
            // (README, "Outside DNS after a DELETE"), but the record should go.
            detail = Some(format!(
                "edgestack wrote no DNS record; remove your CNAME {} → {distribution}: the distribution is being deleted",
                domain.name
            ));
        }
        if let Some(zone) = &domain.hosted_zone_id {
            // Only aliases to this stack's distribution: never someone else's record.
            deleted = delete_records(
                deps,
                zone.as_str(),
                domain.name.as_str(),
                &[RrType::A, RrType::Aaaa],
                |set| {
                    set.alias_target().is_some_and(|a| {
                        a.hosted_zone_id() == CLOUDFRONT_ZONE_ID
                            && same_name(a.dns_name(), distribution)
                    })
                },
            )
            .await?;
        }
    }
    deps.finish(
        &flow.stack_id,
        DNS_STEP,
        StepStatus::Succeeded,
        detail.unwrap_or_else(|| format!("{deleted} alias records deleted")),
        |s| {
            s.outputs
                .dns_records
                .retain(|r| !(r.purpose == DnsPurpose::Endpoint && r.managed));
        },
    )
    .await?;
    Ok(Flow {
        ready: false,
        polls: 0,
        wait_seconds: 0,
        change_id: None,
        ..flow
    })
}

/// Disables the distribution (with its ETag) and waits until CloudFront has deployed that.
pub async fn disable_distribution(deps: &Deps, flow: Flow) -> Result<Flow, StepError> {
    let stack = if flow.polls == 0 {
        deps.begin_undo(&flow.stack_id, DISABLE_STEP, Phase::DisablingDistribution)
            .await?
    } else {
        deps.begin_poll_undo(&flow.stack_id).await?
    };
    let client = deps.clients.cloudfront.clone();
    // What the outputs name, else what the stack's comment finds: a create whose answer was lost,
    // or that ran on while a DELETE came, made a distribution no output records.
    let id = match stack.outputs.distribution_id.clone() {
        Some(id) => Some(id),
        None => match super::distribution::find_existing(&client, &stack).await? {
            Some((id, domain)) => {
                // Recorded, for the delete step after this one.
                deps.finish(
                    &flow.stack_id,
                    DISABLE_STEP,
                    StepStatus::Running,
                    format!("found distribution {id}, which the stack had not recorded"),
                    |s| {
                        s.outputs.distribution_id = Some(id.clone());
                        s.outputs.distribution_domain_name = Some(domain.clone());
                    },
                )
                .await?;
                Some(id)
            }
            None => None,
        },
    };
    let Some(id) = id else {
        deps.finish(
            &flow.stack_id,
            DISABLE_STEP,
            StepStatus::Skipped,
            "no distribution",
            |_| {},
        )
        .await?;
        return Ok(Flow {
            ready: true,
            polls: 0,
            ..flow
        });
    };
    let current = match client.get_distribution_config().id(&id).send().await {
        Ok(out) => out,
        Err(e)
            if matches!(
                e.as_service_error(),
                Some(GetDistributionConfigError::NoSuchDistribution(_))
            ) =>
        {
            deps.finish(
                &flow.stack_id,
                DISABLE_STEP,
                StepStatus::Succeeded,
                format!("distribution {id} is already gone"),
                |_| {},
            )
            .await?;
            return Ok(Flow {
                ready: true,
                polls: 0,
                ..flow
            });
        }
        Err(e) => return Err(from_sdk(e)),
    };
    let config = current
        .distribution_config
        .ok_or_else(|| StepError::Internal("no distribution config".into()))?;
    if config.enabled() {
        let etag = current.e_tag.unwrap_or_default();
        let mut config = config;
        config.enabled = false;
        match client
            .update_distribution()
            .id(&id)
            .if_match(etag)
            .distribution_config(config)
            .send()
            .await
        {
            Ok(_) => {}
            Err(e) => error::disable_distribution(e, &id)?,
        }
    }
    let status = client
        .get_distribution()
        .id(&id)
        .send()
        .await
        .map_err(from_sdk)?
        .distribution()
        .map(|d| d.status().to_owned())
        .unwrap_or_default();
    if status == "Deployed" {
        deps.finish(
            &flow.stack_id,
            DISABLE_STEP,
            StepStatus::Succeeded,
            format!("distribution {id} disabled"),
            |_| {},
        )
        .await?;
        return Ok(Flow {
            ready: true,
            polls: 0,
            wait_seconds: 0,
            ..flow
        });
    }
    deps.check_deadline(
        &stack,
        DISABLE_STEP,
        deps.settings.distribution_deadline_seconds,
        "CloudFront to deploy the disabled distribution",
    )?;
    let wait = deps.settings.poll_interval(flow.polls);
    deps.finish(&flow.stack_id, DISABLE_STEP, StepStatus::Waiting, format!("waiting for CloudFront to deploy the disabled distribution ({status}); next check in {wait} s"), |s| {
        s.phase = Phase::AwaitingDistributionDisabled;
    })
    .await?;
    Ok(Flow {
        ready: false,
        polls: flow.polls + 1,
        wait_seconds: wait,
        ..flow
    })
}

pub async fn delete_distribution(deps: &Deps, flow: Flow) -> Result<Flow, StepError> {
    let stack = deps
        .begin_undo(
            &flow.stack_id,
            DISTRIBUTION_STEP,
            Phase::DeletingDistribution,
        )
        .await?;
    let detail = match stack.outputs.distribution_id.clone() {
        None => "no distribution".to_owned(),
        Some(id) => {
            let client = deps.clients.cloudfront.clone();
            match client.get_distribution_config().id(&id).send().await {
                Err(e)
                    if matches!(
                        e.as_service_error(),
                        Some(GetDistributionConfigError::NoSuchDistribution(_))
                    ) =>
                {
                    format!("distribution {id} was already gone")
                }
                Err(e) => return Err(from_sdk(e)),
                Ok(current) => {
                    let etag = current.e_tag.unwrap_or_default();
                    match client
                        .delete_distribution()
                        .id(&id)
                        .if_match(etag)
                        .send()
                        .await
                    {
                        Ok(_) => format!("distribution {id} deleted"),
                        Err(e) => {
                            error::delete_distribution(e, &id)?;
                            format!("distribution {id} was already gone")
                        }
                    }
                }
            }
        }
    };
    deps.finish(
        &flow.stack_id,
        DISTRIBUTION_STEP,
        StepStatus::Succeeded,
        detail,
        |s| {
            s.outputs.distribution_id = None;
            s.outputs.distribution_domain_name = None;
        },
    )
    .await?;
    Ok(flow)
}

/// What API Gateway has under the stack's custom domain name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum DomainState {
    Gone,
    /// There, without this stack's tag: someone else's.
    Foreign,
    Ours,
}

async fn custom_domain_state(
    client: &aws_sdk_apigateway::Client,
    stack: &crate::stack::Stack,
    name: &str,
) -> Result<DomainState, StepError> {
    match client.get_domain_name().domain_name(name).send().await {
        Ok(existing) => {
            let ours = existing
                .tags()
                .and_then(|t| t.get(STACK_ID_TAG))
                .is_some_and(|id| id == stack.id.as_str());
            Ok(if ours {
                DomainState::Ours
            } else {
                DomainState::Foreign
            })
        }
        Err(e)
            if matches!(
                e.as_service_error(),
                Some(GetDomainNameError::NotFoundException(_))
            ) =>
        {
            Ok(DomainState::Gone)
        }
        Err(e) => Err(from_sdk(e)),
    }
}

pub async fn delete_custom_domain(deps: &Deps, flow: Flow) -> Result<Flow, StepError> {
    let stack = deps
        .begin_undo(
            &flow.stack_id,
            CUSTOM_DOMAIN_STEP,
            Phase::DeletingCustomDomain,
        )
        .await?;
    let mut detail = "no custom domain".to_owned();
    // Looked up by name, not by what the outputs recorded: a create whose answer was lost, or
    // whose Lambda died before recording it, made a domain that no output names. The stack's
    // tag tells its own from another's.
    if let Some(domain) = &stack.request.custom_domain {
        let name = domain.name.as_str();
        let client = deps.clients.apigateway(stack.request.region.as_str());
        match custom_domain_state(&client, &stack, name).await? {
            DomainState::Gone => {
                detail = format!("custom domain {name} was already gone");
            }
            DomainState::Foreign => {
                detail = format!("custom domain {name} is not this stack's; left alone");
            }
            DomainState::Ours => {
                // Only a mapping this stack made (its step finished); deleting the domain
                // takes any other mapping of it along anyway.
                let mapped = stack.steps.iter().any(|s| {
                    s.name == super::custom_domain::STEP && s.status == StepStatus::Succeeded
                });
                if mapped {
                    match client
                        .delete_base_path_mapping()
                        .domain_name(name)
                        .base_path("(none)")
                        .send()
                        .await
                    {
                        Ok(_) => {}
                        Err(e)
                            if matches!(
                                e.as_service_error(),
                                Some(DeleteBasePathMappingError::NotFoundException(_))
                            ) => {}
                        Err(e) => return Err(from_sdk(e)),
                    }
                }
                match client.delete_domain_name().domain_name(name).send().await {
                    Ok(_) => {}
                    Err(e)
                        if matches!(
                            e.as_service_error(),
                            Some(DeleteDomainNameError::NotFoundException(_))
                        ) => {}
                    Err(e) => return Err(error::domain_name_call(e)),
                }
                detail = format!("custom domain {name} and its mapping deleted");
            }
        }
    }
    deps.finish(
        &flow.stack_id,
        CUSTOM_DOMAIN_STEP,
        StepStatus::Succeeded,
        detail,
        |s| {
            s.outputs.regional_domain_name = None;
        },
    )
    .await?;
    Ok(flow)
}

async fn delete_certificate(
    deps: &Deps,
    region: &str,
    arn: &str,
) -> Result<CertificateDeletion, StepError> {
    let client = deps.clients.acm(region);
    match client
        .delete_certificate()
        .certificate_arn(arn)
        .send()
        .await
    {
        Ok(_) => Ok(CertificateDeletion::Gone),
        Err(e) => error::delete_certificate(e),
    }
}

/// Every certificate of the account in `region` that names `name` (as its domain or a SAN).
/// `ListCertificates` shows only RSA_1024 and RSA_2048 keys unless asked for the others (ACM API
/// reference), so every key type is asked for.
async fn certificates_naming(
    deps: &Deps,
    region: &str,
    name: &str,
) -> Result<Vec<String>, StepError> {
    use aws_sdk_acm::types::{Filters, KeyAlgorithm};
    let every_key_type = Filters::builder()
        .set_key_types(Some(
            KeyAlgorithm::values()
                .iter()
                .map(|k| KeyAlgorithm::from(*k))
                .collect(),
        ))
        .build();
    let client = deps.clients.acm(region);
    let mut found = Vec::new();
    let mut token: Option<String> = None;
    loop {
        let out = client
            .list_certificates()
            .includes(every_key_type.clone())
            .set_next_token(token.take())
            .send()
            .await
            .map_err(from_sdk)?;
        for c in out.certificate_summary_list() {
            let names_it = c.domain_name().is_some_and(|d| same_name(d, name))
                || c.subject_alternative_name_summaries()
                    .iter()
                    .any(|san| same_name(san, name));
            if let (true, Some(arn)) = (names_it, c.certificate_arn()) {
                found.push(arn.to_owned());
            }
        }
        match out.next_token {
            Some(next) if !next.is_empty() => token = Some(next),
            _ => return Ok(found),
        }
    }
}

/// Whether a certificate of the account (in `regions`) still names `name`, as its domain or a
/// SAN: the validation CNAME is the same for a name in every region and for a SAN, so it stays
/// while any of them needs it.
async fn name_still_certified(
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
async fn tagged_certificates(
    deps: &Deps,
    stack: &crate::stack::Stack,
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

pub async fn delete_certificates(deps: &Deps, flow: Flow) -> Result<Flow, StepError> {
    let stack = if flow.polls == 0 {
        deps.begin_undo(
            &flow.stack_id,
            CERTIFICATES_STEP,
            Phase::DeletingCertificates,
        )
        .await?
    } else {
        deps.begin_poll_undo(&flow.stack_id).await?
    };
    let region = stack.request.region.to_string();
    // Both on every pass: ACM may let go of either first.
    let regional = match &stack.outputs.regional_certificate_arn {
        Some(arn) => delete_certificate(deps, &region, arn).await?,
        None => CertificateDeletion::Gone,
    };
    let edge = match &stack.outputs.certificate_arn {
        Some(arn) => delete_certificate(deps, CLOUDFRONT_REGION, arn).await?,
        None => CertificateDeletion::Gone,
    };
    let gone = |d: CertificateDeletion| d == CertificateDeletion::Gone;
    // Those of the stack that its outputs never named (a lost answer, a step in flight).
    let mut unrecorded = CertificateDeletion::Gone;
    for (cert_region, arn) in tagged_certificates(deps, &stack).await? {
        if !gone(delete_certificate(deps, &cert_region, &arn).await?) {
            unrecorded = CertificateDeletion::InUse;
        }
    }
    if !gone(regional) || !gone(edge) || !gone(unrecorded) {
        deps.check_deadline(
            &stack,
            CERTIFICATES_STEP,
            deps.settings.certificate_release_deadline_seconds,
            "ACM to release the certificates",
        )?;
        let wait = deps.settings.poll_interval(flow.polls);
        deps.finish(
            &flow.stack_id,
            CERTIFICATES_STEP,
            StepStatus::Waiting,
            format!("ACM still counts a user of the certificates (it lets go minutes after a distribution or custom domain is deleted); trying again in {wait} s"),
            |s| {
                if gone(regional) {
                    s.outputs.regional_certificate_arn = None;
                }
                if gone(edge) {
                    s.outputs.certificate_arn = None;
                }
            },
        )
        .await?;
        return Ok(Flow {
            ready: false,
            polls: flow.polls + 1,
            wait_seconds: wait,
            ..flow
        });
    }
    deps.finish(
        &flow.stack_id,
        CERTIFICATES_STEP,
        StepStatus::Running,
        "certificates deleted",
        |s| {
            s.outputs.certificate_arn = None;
            s.outputs.regional_certificate_arn = None;
        },
    )
    .await?;

    let mut detail = "certificates deleted".to_owned();
    let validation = stack
        .outputs
        .dns_records
        .iter()
        .find(|r| r.purpose == DnsPurpose::CertificateValidation && r.managed)
        .cloned();
    if let (Some(record), Some(domain)) = (validation, &stack.request.custom_domain) {
        let zone = domain
            .hosted_zone_id
            .as_ref()
            .map(|z| z.to_string())
            .unwrap_or_default();
        let mut regions = vec![CLOUDFRONT_REGION.to_owned(), region.clone()];
        for extra in &deps.settings.certificate_regions {
            if !regions.contains(extra) {
                regions.push(extra.clone());
            }
        }
        modify(deps.store.as_ref(), &flow.stack_id, |s| {
            s.phase = Phase::DeletingValidationRecords;
            Ok::<_, StepError>(())
        })
        .await?;
        if !record.created {
            detail = format!("certificates deleted; validation record {} kept: it was in the zone before this stack (edgestack deletes only what it created)", record.name);
        } else if name_still_certified(deps, &regions, domain.name.as_str()).await? {
            detail = format!("certificates deleted; validation record {} kept: another certificate for {} still uses it", record.name, domain.name);
        } else {
            delete_records(deps, &zone, &record.name, &[RrType::Cname], |set| {
                set.resource_records()
                    .iter()
                    .any(|r| same_name(r.value(), &record.value))
            })
            .await?;
            detail = format!("certificates and validation record {} deleted", record.name);
        }
    }
    deps.finish(
        &flow.stack_id,
        CERTIFICATES_STEP,
        StepStatus::Succeeded,
        detail,
        |s| {
            s.outputs
                .dns_records
                .retain(|r| !(r.purpose == DnsPurpose::CertificateValidation && r.managed));
        },
    )
    .await?;
    Ok(Flow {
        ready: true,
        polls: 0,
        wait_seconds: 0,
        ..flow
    })
}

/// The end of an undo: a deleted stack is `DELETED`; a failed one is marked rolled back.
/// How many times an undo goes round again for what appeared after it looked.
pub const MAX_PASSES: u32 = 3;

/// What of the stack is in the account although the undo steps looked for it: made by a step
/// that was still running when a DELETE came (`StopExecution` does not stop a Lambda in flight),
/// after the undo step for it had passed. Found by the stack's own marks, not its outputs.
async fn left_behind(
    deps: &Deps,
    stack: &crate::stack::Stack,
) -> Result<Option<String>, StepError> {
    let client = deps.clients.cloudfront.clone();
    if let Some((id, _)) = super::distribution::find_existing(&client, stack).await? {
        return Ok(Some(format!("distribution {id}")));
    }
    if let Some((region, arn)) = tagged_certificates(deps, stack).await?.into_iter().next() {
        return Ok(Some(format!("certificate {arn} ({region})")));
    }
    if let Some(domain) = &stack.request.custom_domain {
        let client = deps.clients.apigateway(stack.request.region.as_str());
        if custom_domain_state(&client, stack, domain.name.as_str()).await? == DomainState::Ours {
            return Ok(Some(format!("custom domain {}", domain.name)));
        }
    }
    Ok(None)
}

pub async fn finish(deps: &Deps, flow: Flow) -> Result<Flow, StepError> {
    let stack = deps
        .begin_undo(&flow.stack_id, FINISH_STEP, Phase::Deleted)
        .await?;
    if let Some(what) = left_behind(deps, &stack).await? {
        if flow.polls >= MAX_PASSES {
            return Err(StepError::Internal(format!(
                "{what} is still there after {MAX_PASSES} passes of the undo steps"
            )));
        }
        let wait = deps.settings.poll_interval(flow.polls);
        deps.finish(
            &flow.stack_id,
            FINISH_STEP,
            StepStatus::Waiting,
            format!("{what} appeared after the undo steps looked (a step was still running); undoing again in {wait} s"),
            |_| {},
        )
        .await?;
        return Ok(Flow {
            ready: false,
            polls: flow.polls + 1,
            wait_seconds: wait,
            ..flow
        });
    }
    deps.store.release_claim(&stack).await?;
    // Nothing will send the origin header values to CloudFront again.
    deps.store.forget_origin_header_values(&stack.id).await?;
    let deleting = stack.status() == Status::Deleting;
    let detail = if deleting {
        "stack deleted"
    } else {
        "everything the stack created was removed"
    };
    deps.finish(
        &flow.stack_id,
        FINISH_STEP,
        StepStatus::Succeeded,
        detail,
        |s| {
            if s.mark_deleted().is_ok() {
                s.outputs.endpoint_url = None;
            } else {
                s.phase = Phase::RolledBack;
                if let Some(error) = s.error.as_mut() {
                    error.rolled_back = true;
                }
            }
        },
    )
    .await?;
    Ok(Flow {
        ready: true,
        polls: 0,
        wait_seconds: 0,
        ..flow
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clients::Clients;
    use crate::stack::{now_rfc3339, DnsRecord, Stack, StepStatus};
    use crate::steps::testing::{
        cname, deps, no_acm, no_apigateway, no_cloudfront, no_route53, zone_holding,
    };
    use aws_sdk_acm::operation::delete_certificate::{
        DeleteCertificateError, DeleteCertificateOutput,
    };
    use aws_sdk_acm::operation::list_certificates::ListCertificatesOutput;
    use aws_sdk_acm::operation::list_tags_for_certificate::ListTagsForCertificateOutput;
    use aws_sdk_acm::types::error::ResourceInUseException;
    use aws_sdk_acm::types::{CertificateSummary, Tag};
    use aws_sdk_route53::operation::change_resource_record_sets::ChangeResourceRecordSetsOutput;
    use aws_sdk_route53::types::{AliasTarget, ChangeInfo, ChangeStatus, ResourceRecordSet};
    use aws_smithy_mocks::{mock, mock_client, Rule, RuleMode};

    const NAME: &str = "api.example.com";
    const DISTRIBUTION: &str = "d111.cloudfront.net";
    const EDGE_ARN: &str = "arn:aws:acm:us-east-1:123456789012:certificate/edge";
    const REGIONAL_ARN: &str = "arn:aws:acm:eu-west-1:123456789012:certificate/regional";
    const VALIDATION: &str = "_abc.api.example.com.";

    /// A DELETING custom-domain stack of zone `zone` (none: outside DNS), as READY left it.
    async fn stored(deps: &Deps, zone: Option<&str>, validation_created: bool) -> Stack {
        let mut domain = serde_json::json!({ "name": NAME });
        if let Some(zone) = zone {
            domain["hosted_zone_id"] = zone.into();
        }
        let request = crate::request::StackRequest::from_json(&serde_json::json!({
            "api_id": "a1b2c3d4e5", "region": "eu-west-1", "stage": "prod",
            "custom_domain": domain
        }))
        .expect("a valid request");
        let mut stack = Stack::new("arn:a".into(), request, now_rfc3339());
        stack.start_deleting().expect("deleting");
        stack.outputs.distribution_domain_name = Some(DISTRIBUTION.into());
        stack.outputs.certificate_arn = Some(EDGE_ARN.into());
        stack.outputs.regional_certificate_arn = Some(REGIONAL_ARN.into());
        stack.outputs.dns_records.push(DnsRecord {
            name: VALIDATION.into(),
            record_type: "CNAME".into(),
            value: "_def.acm-validations.aws.".into(),
            purpose: DnsPurpose::CertificateValidation,
            managed: zone.is_some(),
            created: validation_created,
        });
        deps.store.create(&stack, None).await.expect("stored");
        stack
    }

    fn flow(stack: &Stack) -> Flow {
        Flow {
            teardown: true,
            ..Flow::new(stack.id.clone())
        }
    }

    async fn step_of(deps: &Deps, stack: &Stack, name: &str) -> crate::stack::StepRecord {
        let now = deps.store.get(&stack.id).await.unwrap().unwrap().value;
        now.steps
            .into_iter()
            .find(|s| s.name == name)
            .unwrap_or_else(|| panic!("no step {name}"))
    }

    fn alias(name: &str, kind: RrType, target: &str) -> ResourceRecordSet {
        ResourceRecordSet::builder()
            .name(name)
            .r#type(kind)
            .alias_target(
                AliasTarget::builder()
                    .hosted_zone_id(CLOUDFRONT_ZONE_ID)
                    .dns_name(target)
                    .evaluate_target_health(false)
                    .build()
                    .unwrap(),
            )
            .build()
            .unwrap()
    }

    fn changed() -> ChangeResourceRecordSetsOutput {
        ChangeResourceRecordSetsOutput::builder()
            .change_info(
                ChangeInfo::builder()
                    .id("/change/C1")
                    .status(ChangeStatus::Pending)
                    .submitted_at(aws_smithy_types::DateTime::from_secs(0))
                    .build()
                    .unwrap(),
            )
            .build()
    }

    #[tokio::test]
    async fn only_the_aliases_to_the_stacks_distribution_are_deleted() {
        let listed = zone_holding(vec![
            alias("api.example.com.", RrType::A, "d111.cloudfront.net."),
            alias("api.example.com.", RrType::Aaaa, "d111.cloudfront.net"),
            alias("api.example.com.", RrType::A, "d999.cloudfront.net."),
            alias("www.api.example.com.", RrType::A, "d111.cloudfront.net."),
        ]);
        let delete = mock!(aws_sdk_route53::Client::change_resource_record_sets)
            .match_requests(|r| {
                let changes = r.change_batch().map(|b| b.changes()).unwrap_or_default();
                changes.len() == 2
                    && changes.iter().all(|c| {
                        c.action() == &ChangeAction::Delete
                            && c.resource_record_set()
                                .and_then(|s| s.alias_target())
                                .is_some_and(|a| a.dns_name().starts_with("d111"))
                    })
            })
            .then_output(changed);
        let route53 = mock_client!(aws_sdk_route53, RuleMode::MatchAny, [&listed, &delete]);
        let deps = deps(Clients::given(
            no_cloudfront(),
            route53,
            no_acm(),
            no_apigateway(),
        ));
        let stack = stored(&deps, Some("Z1"), true).await;
        delete_dns_records(&deps, flow(&stack))
            .await
            .expect("deleted");
        assert_eq!(delete.num_calls(), 1);
        let step = step_of(&deps, &stack, DNS_STEP).await;
        assert_eq!(step.status, StepStatus::Succeeded);
        assert_eq!(step.detail.as_deref(), Some("2 alias records deleted"));
    }

    #[tokio::test]
    async fn with_outside_dns_nothing_is_deleted_and_the_owner_is_told_to_remove_its_cname() {
        let deps = deps(Clients::given(
            no_cloudfront(),
            no_route53(),
            no_acm(),
            no_apigateway(),
        ));
        let stack = stored(&deps, None, false).await;
        delete_dns_records(&deps, flow(&stack)).await.expect("done");
        let detail = step_of(&deps, &stack, DNS_STEP)
            .await
            .detail
            .unwrap_or_default();
        assert!(
            detail.contains("remove your CNAME api.example.com → d111.cloudfront.net"),
            "{detail}"
        );
    }

    fn no_certificates_listed() -> Rule {
        mock!(aws_sdk_acm::Client::list_certificates)
            .then_output(|| ListCertificatesOutput::builder().build())
    }

    fn certificates_listed(arn: &'static str) -> Rule {
        mock!(aws_sdk_acm::Client::list_certificates).then_output(move || {
            ListCertificatesOutput::builder()
                .certificate_summary_list(
                    CertificateSummary::builder()
                        .certificate_arn(arn)
                        .domain_name(NAME)
                        .build(),
                )
                .build()
        })
    }

    fn deleted_certificates() -> Rule {
        mock!(aws_sdk_acm::Client::delete_certificate)
            .then_output(|| DeleteCertificateOutput::builder().build())
    }

    #[tokio::test]
    async fn a_certificate_still_in_use_is_waited_for() {
        let in_use = mock!(aws_sdk_acm::Client::delete_certificate)
            .match_requests(|r| r.certificate_arn() == Some(EDGE_ARN))
            .then_error(|| {
                DeleteCertificateError::ResourceInUseException(
                    ResourceInUseException::builder().build(),
                )
            });
        let acm = mock_client!(
            aws_sdk_acm,
            RuleMode::MatchAny,
            [&in_use, &deleted_certificates(), &no_certificates_listed()]
        );
        let deps = deps(Clients::given(
            no_cloudfront(),
            no_route53(),
            acm,
            no_apigateway(),
        ));
        let stack = stored(&deps, Some("Z1"), true).await;
        let next = delete_certificates(&deps, flow(&stack))
            .await
            .expect("waits");
        assert_eq!((next.ready, next.polls), (false, 1));
        assert!(next.wait_seconds > 0);
        let now = deps.store.get(&stack.id).await.unwrap().unwrap().value;
        assert_eq!(
            now.outputs.certificate_arn.as_deref(),
            Some(EDGE_ARN),
            "still to delete"
        );
        assert_eq!(
            now.outputs.regional_certificate_arn, None,
            "gone, forgotten"
        );
        assert_eq!(
            step_of(&deps, &stack, CERTIFICATES_STEP).await.status,
            StepStatus::Waiting
        );
    }

    #[tokio::test]
    async fn a_validation_record_the_stack_did_not_create_is_kept() {
        let acm = mock_client!(
            aws_sdk_acm,
            RuleMode::MatchAny,
            [&deleted_certificates(), &no_certificates_listed()]
        );
        // No Route 53 call at all: the record is not the stack's.
        let deps = deps(Clients::given(
            no_cloudfront(),
            no_route53(),
            acm,
            no_apigateway(),
        ));
        let stack = stored(&deps, Some("Z1"), false).await;
        let next = delete_certificates(&deps, flow(&stack))
            .await
            .expect("done");
        assert!(next.ready);
        let detail = step_of(&deps, &stack, CERTIFICATES_STEP)
            .await
            .detail
            .unwrap_or_default();
        assert!(
            detail.contains("kept") && detail.contains("before this stack"),
            "{detail}"
        );
    }

    #[tokio::test]
    async fn a_validation_record_another_certificate_needs_is_kept() {
        // Another certificate for the name (not the stack's: no tag of it).
        let untagged = mock!(aws_sdk_acm::Client::list_tags_for_certificate)
            .then_output(|| ListTagsForCertificateOutput::builder().build());
        let acm = mock_client!(
            aws_sdk_acm,
            RuleMode::MatchAny,
            [
                &deleted_certificates(),
                &certificates_listed("arn:aws:acm:us-east-1:123456789012:certificate/other"),
                &untagged
            ]
        );
        let deps = deps(Clients::given(
            no_cloudfront(),
            no_route53(),
            acm,
            no_apigateway(),
        ));
        let stack = stored(&deps, Some("Z1"), true).await;
        delete_certificates(&deps, flow(&stack))
            .await
            .expect("done");
        let detail = step_of(&deps, &stack, CERTIFICATES_STEP)
            .await
            .detail
            .unwrap_or_default();
        assert!(detail.contains("still uses it"), "{detail}");
    }

    #[tokio::test]
    async fn a_validation_record_the_stack_created_and_nothing_needs_is_deleted() {
        let acm = mock_client!(
            aws_sdk_acm,
            RuleMode::MatchAny,
            [&deleted_certificates(), &no_certificates_listed()]
        );
        let listed = zone_holding(vec![cname(VALIDATION, "_def.acm-validations.aws")]);
        let delete = mock!(aws_sdk_route53::Client::change_resource_record_sets)
            .match_requests(|r| {
                r.change_batch()
                    .map(|b| b.changes())
                    .is_some_and(|c| c.len() == 1 && c[0].action() == &ChangeAction::Delete)
            })
            .then_output(changed);
        let route53 = mock_client!(aws_sdk_route53, RuleMode::MatchAny, [&listed, &delete]);
        let deps = deps(Clients::given(
            no_cloudfront(),
            route53,
            acm,
            no_apigateway(),
        ));
        let stack = stored(&deps, Some("Z1"), true).await;
        delete_certificates(&deps, flow(&stack))
            .await
            .expect("done");
        assert_eq!(delete.num_calls(), 1);
        let now = deps.store.get(&stack.id).await.unwrap().unwrap().value;
        assert!(
            now.outputs
                .dns_records
                .iter()
                .all(|r| r.purpose != DnsPurpose::CertificateValidation),
            "{:?}",
            now.outputs.dns_records
        );
    }

    #[tokio::test]
    async fn a_certificate_of_the_stack_its_outputs_never_named_is_found_by_tag_and_deleted() {
        const LOST: &str = "arn:aws:acm:us-east-1:123456789012:certificate/lost";
        let store_only = deps(crate::steps::testing::no_aws());
        let stack = stored(&store_only, None, false).await;
        let stack_id = stack.id.to_string();
        let tagged = mock!(aws_sdk_acm::Client::list_tags_for_certificate)
            .match_requests(|r| r.certificate_arn() == Some(LOST))
            .then_output(move || {
                ListTagsForCertificateOutput::builder()
                    .tags(
                        Tag::builder()
                            .key(STACK_ID_TAG)
                            .value(&stack_id)
                            .build()
                            .unwrap(),
                    )
                    .build()
            });
        let deleted_lost = mock!(aws_sdk_acm::Client::delete_certificate)
            .match_requests(|r| r.certificate_arn() == Some(LOST))
            .then_output(|| DeleteCertificateOutput::builder().build());
        let acm = mock_client!(
            aws_sdk_acm,
            RuleMode::MatchAny,
            [
                &deleted_lost,
                &deleted_certificates(),
                &certificates_listed(LOST),
                &tagged
            ]
        );
        let deps = Deps {
            clients: Clients::given(no_cloudfront(), no_route53(), acm, no_apigateway()),
            ..store_only
        };
        delete_certificates(&deps, flow(&stack))
            .await
            .expect("done");
        // One mocked ACM answers for both regions: the lost certificate is found in each.
        assert_eq!(deleted_lost.num_calls(), 2);
    }

    // ---- the distribution: disabled with its ETag, deleted with its ETag -----------------

    use aws_sdk_cloudfront::operation::delete_distribution::{
        DeleteDistributionError, DeleteDistributionOutput,
    };
    use aws_sdk_cloudfront::operation::get_distribution::GetDistributionOutput;
    use aws_sdk_cloudfront::operation::get_distribution_config::GetDistributionConfigOutput;
    use aws_sdk_cloudfront::operation::update_distribution::UpdateDistributionOutput;
    use aws_sdk_cloudfront::types::error::{DistributionNotDisabled, NoSuchDistribution};
    use aws_sdk_cloudfront::types::Distribution;

    const DISTRIBUTION_ID: &str = "E1ABCDEF";

    /// A DELETING stack without a custom domain whose distribution is `DISTRIBUTION_ID`.
    async fn with_distribution(deps: &Deps) -> Stack {
        let request = crate::request::StackRequest::from_json(&serde_json::json!({
            "api_id": "a1b2c3d4e5", "region": "eu-west-1", "stage": "prod"
        }))
        .expect("a valid request");
        let mut stack = Stack::new("arn:a".into(), request, now_rfc3339());
        stack.start_deleting().expect("deleting");
        stack.outputs.distribution_id = Some(DISTRIBUTION_ID.into());
        stack.outputs.distribution_domain_name = Some(DISTRIBUTION.into());
        deps.store.create(&stack, None).await.expect("stored");
        stack
    }

    /// The stack's distribution config as CloudFront would return it, `enabled` or not.
    fn config_of(stack: &Stack, enabled: bool) -> aws_sdk_cloudfront::types::DistributionConfig {
        let mut config = crate::distribution::build(
            stack,
            &crate::store::OriginHeaderValues::new(),
            &crate::distribution::EdgeSettings {
                iam_cache_policy_id: String::new(),
            },
        )
        .expect("a config");
        config.enabled = enabled;
        config
    }

    fn current_config(stack: &Stack, enabled: bool) -> Rule {
        let config = config_of(stack, enabled);
        mock!(aws_sdk_cloudfront::Client::get_distribution_config).then_output(move || {
            GetDistributionConfigOutput::builder()
                .distribution_config(config.clone())
                .e_tag("ETAG-7")
                .build()
        })
    }

    fn deployment(stack: &Stack, status: &'static str) -> Rule {
        let config = config_of(stack, false);
        mock!(aws_sdk_cloudfront::Client::get_distribution).then_output(move || {
            GetDistributionOutput::builder()
                .distribution(
                    Distribution::builder()
                        .id(DISTRIBUTION_ID)
                        .arn("arn:aws:cloudfront::123456789012:distribution/E1ABCDEF")
                        .status(status)
                        .last_modified_time(aws_smithy_types::DateTime::from_secs(0))
                        .in_progress_invalidation_batches(0)
                        .domain_name(DISTRIBUTION)
                        .distribution_config(config.clone())
                        .build()
                        .expect("a distribution"),
                )
                .build()
        })
    }

    /// `Deps` over the same store as `store_only`, with CloudFront answering by `rules`.
    fn with_cloudfront(store_only: Deps, rules: &[&Rule]) -> Deps {
        let cloudfront = mock_client!(
            aws_sdk_cloudfront,
            RuleMode::MatchAny,
            rules.iter().copied()
        );
        Deps {
            clients: Clients::given(cloudfront, no_route53(), no_acm(), no_apigateway()),
            ..store_only
        }
    }

    #[tokio::test]
    async fn an_enabled_distribution_is_disabled_with_its_etag_and_then_waited_for() {
        let store_only = deps(crate::steps::testing::no_aws());
        let stack = with_distribution(&store_only).await;
        let disable = mock!(aws_sdk_cloudfront::Client::update_distribution)
            .match_requests(|r| {
                r.id() == Some(DISTRIBUTION_ID)
                    && r.if_match() == Some("ETAG-7")
                    && r.distribution_config().is_some_and(|c| !c.enabled())
            })
            .then_output(|| UpdateDistributionOutput::builder().build());
        let deps = with_cloudfront(
            store_only,
            &[
                &current_config(&stack, true),
                &disable,
                &deployment(&stack, "InProgress"),
            ],
        );
        let next = disable_distribution(&deps, flow(&stack))
            .await
            .expect("disabling");
        assert_eq!(disable.num_calls(), 1);
        assert_eq!((next.ready, next.polls), (false, 1));
        let now = deps.store.get(&stack.id).await.unwrap().unwrap().value;
        assert_eq!(now.phase, Phase::AwaitingDistributionDisabled);
    }

    #[tokio::test]
    async fn a_disabled_and_deployed_distribution_is_not_updated_again() {
        let store_only = deps(crate::steps::testing::no_aws());
        let stack = with_distribution(&store_only).await;
        // No update rule: an update would fail the test.
        let deps = with_cloudfront(
            store_only,
            &[
                &current_config(&stack, false),
                &deployment(&stack, "Deployed"),
            ],
        );
        let next = disable_distribution(&deps, flow(&stack))
            .await
            .expect("disabled");
        assert!(next.ready);
        assert_eq!(
            step_of(&deps, &stack, DISABLE_STEP).await.status,
            StepStatus::Succeeded
        );
    }

    #[tokio::test]
    async fn a_distribution_already_gone_is_done_for_both_steps() {
        let store_only = deps(crate::steps::testing::no_aws());
        let stack = with_distribution(&store_only).await;
        let gone = mock!(aws_sdk_cloudfront::Client::get_distribution_config).then_error(|| {
            GetDistributionConfigError::NoSuchDistribution(NoSuchDistribution::builder().build())
        });
        let deps = with_cloudfront(store_only, &[&gone]);
        assert!(
            disable_distribution(&deps, flow(&stack))
                .await
                .expect("done")
                .ready
        );
        delete_distribution(&deps, flow(&stack))
            .await
            .expect("done");
        let detail = step_of(&deps, &stack, DISTRIBUTION_STEP)
            .await
            .detail
            .unwrap_or_default();
        assert!(detail.contains("already gone"), "{detail}");
        let now = deps.store.get(&stack.id).await.unwrap().unwrap().value;
        assert_eq!(now.outputs.distribution_id, None);
    }

    #[tokio::test]
    async fn a_disabled_distribution_is_deleted_with_its_etag() {
        let store_only = deps(crate::steps::testing::no_aws());
        let stack = with_distribution(&store_only).await;
        let delete = mock!(aws_sdk_cloudfront::Client::delete_distribution)
            .match_requests(|r| r.id() == Some(DISTRIBUTION_ID) && r.if_match() == Some("ETAG-7"))
            .then_output(|| DeleteDistributionOutput::builder().build());
        let deps = with_cloudfront(store_only, &[&current_config(&stack, false), &delete]);
        delete_distribution(&deps, flow(&stack))
            .await
            .expect("deleted");
        assert_eq!(delete.num_calls(), 1);
        let now = deps.store.get(&stack.id).await.unwrap().unwrap().value;
        assert_eq!(
            (
                now.outputs.distribution_id,
                now.outputs.distribution_domain_name
            ),
            (None, None)
        );
    }

    #[tokio::test]
    async fn a_distribution_not_yet_disabled_is_tried_again() {
        let store_only = deps(crate::steps::testing::no_aws());
        let stack = with_distribution(&store_only).await;
        let not_disabled =
            mock!(aws_sdk_cloudfront::Client::delete_distribution).then_error(|| {
                DeleteDistributionError::DistributionNotDisabled(
                    DistributionNotDisabled::builder().build(),
                )
            });
        let deps = with_cloudfront(store_only, &[&current_config(&stack, true), &not_disabled]);
        let err = delete_distribution(&deps, flow(&stack)).await.unwrap_err();
        assert_eq!(err.error_type(), "Transient", "{err:?}");
        let now = deps.store.get(&stack.id).await.unwrap().unwrap().value;
        assert_eq!(
            now.outputs.distribution_id.as_deref(),
            Some(DISTRIBUTION_ID),
            "still to delete"
        );
    }

    // ---- the custom domain: found by name, deleted only when it is the stack's -------------

    use aws_sdk_apigateway::operation::delete_base_path_mapping::DeleteBasePathMappingOutput;
    use aws_sdk_apigateway::operation::delete_domain_name::DeleteDomainNameOutput;
    use aws_sdk_apigateway::operation::get_domain_name::GetDomainNameOutput;
    use aws_sdk_apigateway::types::error::{NotFoundException, TooManyRequestsException};

    /// `Deps` over the same store as `store_only`, with API Gateway answering by `rules`.
    fn with_apigateway(store_only: Deps, rules: &[&Rule]) -> Deps {
        let apigateway = mock_client!(
            aws_sdk_apigateway,
            RuleMode::MatchAny,
            rules.iter().copied()
        );
        Deps {
            clients: Clients::given(no_cloudfront(), no_route53(), no_acm(), apigateway),
            ..store_only
        }
    }

    fn domain_tagged(id: String) -> Rule {
        mock!(aws_sdk_apigateway::Client::get_domain_name)
            .match_requests(|r| r.domain_name() == Some(NAME))
            .then_output(move || {
                GetDomainNameOutput::builder()
                    .domain_name(NAME)
                    .tags(STACK_ID_TAG, id.clone())
                    .build()
            })
    }

    fn domain_deleted() -> Rule {
        mock!(aws_sdk_apigateway::Client::delete_domain_name)
            .match_requests(|r| r.domain_name() == Some(NAME))
            .then_output(|| DeleteDomainNameOutput::builder().build())
    }

    #[tokio::test]
    async fn the_stacks_domain_is_deleted_even_when_no_output_names_it() {
        let store_only = deps(crate::steps::testing::no_aws());
        let stack = stored(&store_only, Some("Z1"), true).await;
        assert_eq!(stack.outputs.regional_domain_name, None, "never recorded");
        let deleted = domain_deleted();
        let deps = with_apigateway(
            store_only,
            &[&domain_tagged(stack.id.to_string()), &deleted],
        );
        delete_custom_domain(&deps, flow(&stack))
            .await
            .expect("deleted");
        assert_eq!(deleted.num_calls(), 1);
    }

    #[tokio::test]
    async fn a_domain_of_the_name_that_is_not_the_stacks_is_left_alone() {
        let store_only = deps(crate::steps::testing::no_aws());
        let stack = stored(&store_only, Some("Z1"), true).await;
        // No delete rule: a delete would fail the test.
        let deps = with_apigateway(
            store_only,
            &[&domain_tagged("stk_someoneelsesstack1".into())],
        );
        delete_custom_domain(&deps, flow(&stack))
            .await
            .expect("done");
        let detail = step_of(&deps, &stack, CUSTOM_DOMAIN_STEP)
            .await
            .detail
            .unwrap_or_default();
        assert!(detail.contains("not this stack's"), "{detail}");
    }

    #[tokio::test]
    async fn a_domain_already_gone_is_done() {
        let store_only = deps(crate::steps::testing::no_aws());
        let stack = stored(&store_only, Some("Z1"), true).await;
        let gone = mock!(aws_sdk_apigateway::Client::get_domain_name).then_error(|| {
            GetDomainNameError::NotFoundException(NotFoundException::builder().build())
        });
        let deps = with_apigateway(store_only, &[&gone]);
        delete_custom_domain(&deps, flow(&stack))
            .await
            .expect("done");
        let detail = step_of(&deps, &stack, CUSTOM_DOMAIN_STEP)
            .await
            .detail
            .unwrap_or_default();
        assert!(detail.contains("already gone"), "{detail}");
    }

    #[tokio::test]
    async fn a_mapping_the_stack_made_goes_first_and_a_quota_refusal_is_waited_out() {
        let store_only = deps(crate::steps::testing::no_aws());
        let mut stack = stored(&store_only, Some("Z1"), true).await;
        modify(store_only.store.as_ref(), &stack.id, |s| {
            s.begin_step(crate::steps::custom_domain::STEP, &now_rfc3339());
            s.finish_step(
                crate::steps::custom_domain::STEP,
                StepStatus::Succeeded,
                None,
                &now_rfc3339(),
            );
            Ok::<_, StepError>(())
        })
        .await
        .expect("mapped");
        stack = store_only
            .store
            .get(&stack.id)
            .await
            .unwrap()
            .unwrap()
            .value;
        let unmapped = mock!(aws_sdk_apigateway::Client::delete_base_path_mapping)
            .match_requests(|r| r.base_path() == Some("(none)"))
            .then_output(|| DeleteBasePathMappingOutput::builder().build());
        let throttled = mock!(aws_sdk_apigateway::Client::delete_domain_name).then_error(|| {
            DeleteDomainNameError::TooManyRequestsException(
                TooManyRequestsException::builder()
                    .meta(
                        aws_smithy_types::error::ErrorMetadata::builder()
                            .code("TooManyRequestsException")
                            .build(),
                    )
                    .build(),
            )
        });
        let deps = with_apigateway(
            store_only,
            &[&domain_tagged(stack.id.to_string()), &unmapped, &throttled],
        );
        let err = delete_custom_domain(&deps, flow(&stack)).await.unwrap_err();
        assert_eq!(unmapped.num_calls(), 1);
        assert_eq!(err.error_type(), "RateLimited", "{err:?}");
    }
}
