//! Recipe step 6: the name's alias `A` and `AAAA` records → the distribution, then wait until
//! Route 53 has them everywhere. With DNS elsewhere, the record is handed to the owner instead.

use aws_sdk_route53::types::{
    AliasTarget, Change, ChangeAction, ChangeBatch, ChangeStatus, ResourceRecordSet, RrType,
};

use crate::error;
use crate::{Deps, Flow, Start, StepError};
use edgestack_domain::stack::{DnsPurpose, DnsRecord, Phase, StepStatus};

pub const STEP: &str = "create_dns_records";
/// The hosted zone id of every CloudFront distribution, for alias records.
pub const CLOUDFRONT_ZONE_ID: &str = "Z2FDTNDATAQYW2";

/// The alias records for `name` → `distribution`, for UPSERT or DELETE.
pub fn alias_changes(
    action: ChangeAction,
    name: &str,
    distribution: &str,
) -> Result<Vec<Change>, StepError> {
    let mut changes = Vec::new();
    for record_type in [RrType::A, RrType::Aaaa] {
        let set = ResourceRecordSet::builder()
            .name(name)
            .r#type(record_type)
            .alias_target(
                AliasTarget::builder()
                    .hosted_zone_id(CLOUDFRONT_ZONE_ID)
                    .dns_name(distribution)
                    .evaluate_target_health(false)
                    .build()
                    .map_err(|e| StepError::Internal(e.to_string()))?,
            )
            .build()
            .map_err(|e| StepError::Internal(e.to_string()))?;
        changes.push(
            Change::builder()
                .action(action.clone())
                .resource_record_set(set)
                .build()
                .map_err(|e| StepError::Internal(e.to_string()))?,
        );
    }
    Ok(changes)
}

fn endpoint_records(name: &str, distribution: &str, managed: bool) -> Vec<DnsRecord> {
    if managed {
        ["A", "AAAA"]
            .into_iter()
            .map(|t| DnsRecord {
                name: name.to_owned(),
                record_type: t.to_owned(),
                value: format!("ALIAS {distribution} ({CLOUDFRONT_ZONE_ID})"),
                purpose: DnsPurpose::Endpoint,
                managed: true,
                // Written with CREATE where the name had none (`write_action`).
                created: true,
            })
            .collect()
    } else {
        vec![DnsRecord {
            name: name.to_owned(),
            record_type: "CNAME".to_owned(),
            value: distribution.to_owned(),
            purpose: DnsPurpose::Endpoint,
            managed: false,
            created: false,
        }]
    }
}

/// Where the alias records stand in Route 53.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Propagation {
    /// The change reached every Route 53 server.
    InSync,
    /// Route 53 is still applying the change with this id.
    Pending(String),
}

/// How to write the alias records, decided right before writing them: validate looked minutes
/// ago, and a record someone made meanwhile must not be overwritten (and then deleted with the
/// stack). `CREATE` when the name has no record: Route 53 refuses it if one appears between
/// this look and the write (`InvalidChangeBatch`), and the step looks again. `UPSERT` when the
/// records are this stack's already (a retry). Anything else in the way is a conflict.
pub async fn write_action(
    client: &aws_sdk_route53::Client,
    zone: &str,
    name: &str,
    distribution: &str,
) -> Result<ChangeAction, StepError> {
    let listed = client
        .list_resource_record_sets()
        .hosted_zone_id(zone)
        .start_record_name(name)
        .max_items(10)
        .send()
        .await
        .map_err(error::from_sdk)?;
    let same_name = |n: &str| {
        n.trim_end_matches('.')
            .eq_ignore_ascii_case(name.trim_end_matches('.'))
    };
    let mut ours = false;
    for set in listed.resource_record_sets() {
        if !same_name(set.name())
            || !matches!(set.r#type(), RrType::A | RrType::Aaaa | RrType::Cname)
        {
            continue;
        }
        let to_us = set.alias_target().is_some_and(|a| {
            a.hosted_zone_id() == CLOUDFRONT_ZONE_ID
                && a.dns_name()
                    .trim_end_matches('.')
                    .eq_ignore_ascii_case(distribution.trim_end_matches('.'))
        });
        if !to_us {
            return Err(StepError::Conflict {
                code: "dns_record_exists",
                message: format!(
                    "Hosted zone {zone} got a {} record for {name} that edgestack did not create while the stack was being provisioned. Remove it, then create the stack again.",
                    set.r#type().as_str()
                ),
            });
        }
        ours = true;
    }
    Ok(if ours {
        ChangeAction::Upsert
    } else {
        ChangeAction::Create
    })
}

async fn already_in_sync(deps: &Deps, flow: &Flow) -> Result<bool, StepError> {
    Ok(deps.store.get(&flow.stack_id).await?.is_some_and(|stack| {
        stack
            .value
            .steps
            .iter()
            .any(|s| s.name == STEP && s.status == StepStatus::Succeeded)
    }))
}

/// Route 53 answers every `ChangeResourceRecordSets` `PENDING` ("the initial status of all
/// change batch requests") and says `INSYNC` only through `GetChange` (Route 53 API reference,
/// GetChange). So the records are changed once, and later polls ask about that change: a
/// fresh `UPSERT` on every poll would be a new change, `PENDING` again, forever.
pub async fn change_or_check(
    client: &aws_sdk_route53::Client,
    zone: &str,
    changes: Vec<Change>,
    comment: &str,
    change_id: Option<&str>,
) -> Result<Propagation, StepError> {
    let info = match change_id {
        Some(id) => {
            client
                .get_change()
                .id(id)
                .send()
                .await
                .map_err(error::from_sdk)?
                .change_info
        }
        None => {
            client
                .change_resource_record_sets()
                .hosted_zone_id(zone)
                .change_batch(
                    ChangeBatch::builder()
                        .set_changes(Some(changes))
                        .comment(comment)
                        .build()
                        .map_err(|e| StepError::Internal(e.to_string()))?,
                )
                .send()
                .await
                .map_err(error::change_listed_records)?
                .change_info
        }
    };
    let info = info.ok_or_else(|| StepError::Transient("Route 53 returned no change".into()))?;
    Ok(match info.status() {
        ChangeStatus::Insync => Propagation::InSync,
        _ => Propagation::Pending(info.id().to_owned()),
    })
}

pub async fn handle(deps: &Deps, flow: Flow) -> Result<Flow, StepError> {
    // Run again after it finished (a redrive, a retried Task whose answer was lost): the
    // records were INSYNC then, and a fresh change would only be PENDING again.
    if flow.change_id.is_none() && already_in_sync(deps, &flow).await? {
        return Ok(Flow {
            ready: true,
            polls: 0,
            wait_seconds: 0,
            ..flow
        });
    }
    let stack = deps
        .begin(
            &flow.stack_id,
            STEP,
            Phase::CreatingDnsRecords,
            Start::provision(flow.polls),
        )
        .await?;
    let domain = stack.request.custom_domain.clone().ok_or_else(|| {
        StepError::Internal("DNS records for a stack without a custom domain".into())
    })?;
    let distribution = stack
        .outputs
        .distribution_domain_name
        .clone()
        .ok_or_else(|| StepError::Internal("DNS records before the distribution".into()))?;
    let name = domain.name.to_string();
    let Some(zone) = domain.hosted_zone_id else {
        let records = endpoint_records(&name, &distribution, false);
        let detail = format!("create the CNAME {name} → {distribution} in your DNS");
        deps.finish(&flow.stack_id, STEP, StepStatus::Succeeded, detail, |s| {
            s.outputs
                .dns_records
                .retain(|r| r.purpose != DnsPurpose::Endpoint);
            s.outputs.dns_records.extend(records.clone());
        })
        .await?;
        return Ok(Flow {
            ready: true,
            polls: 0,
            wait_seconds: 0,
            ..flow
        });
    };

    let client = deps.clients.route53.clone();
    let changes = match flow.change_id {
        Some(_) => Vec::new(),
        None => {
            let action = write_action(&client, zone.as_str(), &name, &distribution).await?;
            alias_changes(action, &name, &distribution)?
        }
    };
    let progress = change_or_check(
        &client,
        zone.as_str(),
        changes,
        &format!("edgestack {}", stack.id),
        flow.change_id.as_deref(),
    )
    .await?;
    let records = endpoint_records(&name, &distribution, true);
    let record = |s: &mut edgestack_domain::stack::Stack| {
        s.outputs
            .dns_records
            .retain(|r| r.purpose != DnsPurpose::Endpoint);
        s.outputs.dns_records.extend(records.clone());
    };
    let change_id = match progress {
        Propagation::InSync => {
            deps.finish(
                &flow.stack_id,
                STEP,
                StepStatus::Succeeded,
                format!("{name} → {distribution} (A, AAAA) INSYNC"),
                record,
            )
            .await?;
            return Ok(Flow {
                ready: true,
                polls: 0,
                wait_seconds: 0,
                change_id: None,
                ..flow
            });
        }
        Propagation::Pending(id) => id,
    };
    deps.check_deadline(
        &stack,
        STEP,
        deps.settings.dns_deadline_seconds,
        "Route 53 to apply the alias records",
    )?;
    let wait = deps.settings.poll_interval(flow.polls);
    deps.finish(
        &flow.stack_id,
        STEP,
        StepStatus::Waiting,
        format!("Route 53 change {change_id} PENDING; checking again in {wait} s"),
        record,
    )
    .await?;
    Ok(Flow {
        ready: false,
        polls: flow.polls + 1,
        wait_seconds: wait,
        change_id: Some(change_id),
        ..flow
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_sdk_route53::operation::change_resource_record_sets::ChangeResourceRecordSetsOutput;
    use aws_sdk_route53::operation::get_change::GetChangeOutput;
    use aws_sdk_route53::types::ChangeInfo;
    use aws_smithy_mocks::{mock, mock_client, RuleMode};

    fn info(id: &str, status: ChangeStatus) -> ChangeInfo {
        ChangeInfo::builder()
            .id(id)
            .status(status)
            .submitted_at(aws_smithy_types::DateTime::from_secs(0))
            .build()
            .expect("a change")
    }

    #[tokio::test]
    async fn the_records_are_changed_once_and_then_the_change_is_asked_about() {
        let change = mock!(aws_sdk_route53::Client::change_resource_record_sets)
            .match_requests(|r| r.hosted_zone_id() == Some("Z1") && r.change_batch().is_some())
            .then_output(|| {
                ChangeResourceRecordSetsOutput::builder()
                    .change_info(info("/change/C1", ChangeStatus::Pending))
                    .build()
            });
        let client = mock_client!(aws_sdk_route53, RuleMode::MatchAny, [&change]);
        let changes = alias_changes(ChangeAction::Upsert, "api.example.com", "d1.cloudfront.net")
            .expect("changes");
        let got = change_or_check(&client, "Z1", changes, "c", None)
            .await
            .expect("changed");
        assert_eq!(got, Propagation::Pending("/change/C1".into()));
        assert_eq!(change.num_calls(), 1);
    }

    #[tokio::test]
    async fn a_pending_change_is_polled_with_get_change_until_insync() {
        let pending = mock!(aws_sdk_route53::Client::get_change)
            .match_requests(|r| r.id() == Some("C1")) // the SDK trims "/change/"
            .sequence()
            .output(|| {
                GetChangeOutput::builder()
                    .change_info(info("/change/C1", ChangeStatus::Pending))
                    .build()
            })
            .output(|| {
                GetChangeOutput::builder()
                    .change_info(info("/change/C1", ChangeStatus::Insync))
                    .build()
            })
            .build();
        let no_change = mock!(aws_sdk_route53::Client::change_resource_record_sets)
            .then_output(|| ChangeResourceRecordSetsOutput::builder().build());
        let client = mock_client!(aws_sdk_route53, RuleMode::MatchAny, [&pending, &no_change]);
        let first = change_or_check(&client, "Z1", vec![], "c", Some("/change/C1"))
            .await
            .expect("asked");
        assert_eq!(first, Propagation::Pending("/change/C1".into()));
        let second = change_or_check(&client, "Z1", vec![], "c", Some("/change/C1"))
            .await
            .expect("asked");
        assert_eq!(second, Propagation::InSync);
        assert_eq!(no_change.num_calls(), 0, "no second change while waiting");
    }

    fn listing(sets: Vec<ResourceRecordSet>) -> aws_smithy_mocks::Rule {
        mock!(aws_sdk_route53::Client::list_resource_record_sets).then_output(move || {
            aws_sdk_route53::operation::list_resource_record_sets::ListResourceRecordSetsOutput::builder()
                .set_resource_record_sets(Some(sets.clone()))
                .is_truncated(false)
                .max_items(10)
                .build()
                .expect("a listing")
        })
    }

    fn alias(name: &str, to: &str) -> ResourceRecordSet {
        alias_changes(ChangeAction::Upsert, name, to).expect("changes")[0]
            .resource_record_set()
            .expect("a set")
            .clone()
    }

    fn plain_a(name: &str) -> ResourceRecordSet {
        ResourceRecordSet::builder()
            .name(name)
            .r#type(RrType::A)
            .ttl(300)
            .resource_records(
                aws_sdk_route53::types::ResourceRecord::builder()
                    .value("192.0.2.10")
                    .build()
                    .expect("a record"),
            )
            .build()
            .expect("a set")
    }

    async fn action_with(sets: Vec<ResourceRecordSet>) -> Result<ChangeAction, StepError> {
        let rule = listing(sets);
        let client = mock_client!(aws_sdk_route53, [&rule]);
        write_action(&client, "Z1", "api.example.com", "d1.cloudfront.net").await
    }

    #[tokio::test]
    async fn a_name_with_no_record_is_created_so_that_one_appearing_meanwhile_is_refused() {
        assert_eq!(
            action_with(vec![]).await.expect("an action"),
            ChangeAction::Create
        );
        let neighbour = alias("www.example.com.", "d9.cloudfront.net");
        assert_eq!(
            action_with(vec![neighbour]).await.expect("an action"),
            ChangeAction::Create,
            "another name's records are not in the way"
        );
    }

    #[tokio::test]
    async fn this_stacks_own_records_are_written_again_with_upsert() {
        let ours = alias("api.example.com.", "d1.cloudfront.net.");
        assert_eq!(
            action_with(vec![ours]).await.expect("an action"),
            ChangeAction::Upsert
        );
    }

    #[tokio::test]
    async fn a_record_that_appeared_while_the_stack_waited_is_never_overwritten() {
        for foreign in [
            plain_a("api.example.com."),
            alias("api.example.com.", "d9.cloudfront.net"),
        ] {
            let err = action_with(vec![foreign]).await.unwrap_err();
            assert!(err.to_string().starts_with("dns_record_exists: "), "{err}");
            assert_eq!(err.error_type(), "Conflict");
        }
    }

    #[tokio::test]
    async fn a_create_refused_because_a_record_appeared_looks_again() {
        let refused = mock!(aws_sdk_route53::Client::change_resource_record_sets).then_error(|| {
            aws_sdk_route53::operation::change_resource_record_sets::ChangeResourceRecordSetsError::InvalidChangeBatch(
                aws_sdk_route53::types::error::InvalidChangeBatch::builder()
                    .message("Tried to create resource record set [name='api.example.com.', type='A'] but it already exists")
                    .build(),
            )
        });
        let client = mock_client!(aws_sdk_route53, [&refused]);
        let changes = alias_changes(ChangeAction::Create, "api.example.com", "d1.cloudfront.net")
            .expect("changes");
        let err = change_or_check(&client, "Z1", changes, "c", None)
            .await
            .unwrap_err();
        assert_eq!(err.error_type(), "Transient", "{err}");
    }

    #[tokio::test]
    async fn a_throttled_get_change_is_transient() {
        let throttled = mock!(aws_sdk_route53::Client::get_change).then_http_response(|| {
            aws_smithy_runtime_api::http::Response::new(
                aws_smithy_runtime_api::http::StatusCode::try_from(400).unwrap(),
                aws_smithy_types::body::SdkBody::from(
                    r#"<?xml version="1.0"?><ErrorResponse xmlns="https://route53.amazonaws.com/doc/2013-04-01/"><Error><Type>Sender</Type><Code>Throttling</Code><Message>Rate exceeded</Message></Error><RequestId>r</RequestId></ErrorResponse>"#,
                ),
            )
        });
        let client = mock_client!(aws_sdk_route53, [&throttled]);
        let err = change_or_check(&client, "Z1", vec![], "c", Some("/change/C1"))
            .await
            .unwrap_err();
        assert_eq!(err.error_type(), "Transient", "{err}");
    }

    // ---- the whole step ------------------------------------------------------------------

    use crate::testing::{
        deps, no_acm, no_apigateway, no_aws, no_cloudfront, no_route53, zone_holding,
    };
    use edgestack_aws::clients::Clients;
    use edgestack_domain::stack::Stack;

    /// A stack whose distribution is made (`zone`: its hosted zone, none for outside DNS),
    /// and `Deps` with Route 53 answering by `rules`.
    async fn writing(zone: Option<&str>, rules: &[&aws_smithy_mocks::Rule]) -> (Deps, Stack) {
        let store_only = deps(no_aws());
        let mut domain = serde_json::json!({"name": "api.example.com"});
        if let Some(zone) = zone {
            domain["hosted_zone_id"] = zone.into();
        }
        let request = edgestack_domain::request::StackRequest::from_json(&serde_json::json!({
            "api_id": "a1b2c3d4e5", "region": "eu-west-1", "stage": "prod", "custom_domain": domain
        }))
        .expect("a valid request");
        let mut stack = Stack::new(
            "arn:a".into(),
            request,
            edgestack_domain::timestamp::Timestamp::now(),
        );
        stack.begin_provisioning().expect("provisioning");
        stack.outputs.distribution_domain_name = Some("d111.cloudfront.net".into());
        store_only.store.create(&stack, None).await.expect("stored");
        let route53 = if rules.is_empty() {
            no_route53()
        } else {
            mock_client!(aws_sdk_route53, RuleMode::MatchAny, rules.iter().copied())
        };
        let deps = Deps {
            clients: Clients::given(no_cloudfront(), route53, no_acm(), no_apigateway()),
            ..store_only
        };
        (deps, stack)
    }

    #[tokio::test]
    async fn with_outside_dns_the_cname_is_handed_over_and_nothing_written() {
        let (deps, stack) = writing(None, &[]).await;
        let next = handle(&deps, Flow::new(stack.id.clone()))
            .await
            .expect("handed over");
        assert!(next.ready);
        let now = deps.store.get(&stack.id).await.unwrap().unwrap().value;
        let endpoint: Vec<_> = now
            .outputs
            .dns_records
            .iter()
            .filter(|r| r.purpose == DnsPurpose::Endpoint)
            .collect();
        assert_eq!(endpoint.len(), 1);
        assert_eq!(
            (
                endpoint[0].record_type.as_str(),
                endpoint[0].value.as_str(),
                endpoint[0].managed
            ),
            ("CNAME", "d111.cloudfront.net", false)
        );
    }

    #[tokio::test]
    async fn the_aliases_are_created_then_their_change_waited_for_until_insync() {
        let created = mock!(aws_sdk_route53::Client::change_resource_record_sets)
            .match_requests(|r| {
                r.change_batch().is_some_and(|b| {
                    b.changes().len() == 2
                        && b.changes()
                            .iter()
                            .all(|c| c.action() == &ChangeAction::Create)
                })
            })
            .then_output(|| {
                ChangeResourceRecordSetsOutput::builder()
                    .change_info(info("/change/C1", ChangeStatus::Pending))
                    .build()
            });
        let insync = mock!(aws_sdk_route53::Client::get_change).then_output(|| {
            GetChangeOutput::builder()
                .change_info(info("/change/C1", ChangeStatus::Insync))
                .build()
        });
        let (deps, stack) = writing(Some("Z1"), &[&zone_holding(vec![]), &created, &insync]).await;
        let pending = handle(&deps, Flow::new(stack.id.clone()))
            .await
            .expect("changed");
        assert_eq!(
            (pending.ready, pending.change_id.as_deref()),
            (false, Some("/change/C1"))
        );
        let done = handle(&deps, pending).await.expect("in sync");
        assert!(done.ready);
        assert_eq!(created.num_calls(), 1, "one change, then only asked about");
        let now = deps.store.get(&stack.id).await.unwrap().unwrap().value;
        assert_eq!(
            now.outputs
                .dns_records
                .iter()
                .filter(|r| r.purpose == DnsPurpose::Endpoint && r.managed && r.created)
                .count(),
            2
        );
    }

    #[tokio::test]
    async fn a_rerun_after_the_records_were_in_sync_changes_nothing() {
        let (deps, stack) = writing(Some("Z1"), &[]).await;
        edgestack_aws::store::modify(deps.store.as_ref(), &stack.id, |s| {
            s.begin_step(STEP, edgestack_domain::timestamp::Timestamp::now());
            s.finish_step(
                STEP,
                StepStatus::Succeeded,
                None,
                edgestack_domain::timestamp::Timestamp::now(),
            );
            Ok::<_, StepError>(())
        })
        .await
        .expect("succeeded before");
        // No Route 53 rule: any call would fail the test.
        let next = handle(&deps, Flow::new(stack.id.clone()))
            .await
            .expect("done");
        assert!(next.ready);
    }
}
