//! When a stack in progress is expected to be READY. Most of a stack's time is AWS's own: the
//! certificates' issuance, the distribution's deployment, Route 53's propagation, and for a
//! custom domain its turn at `CreateDomainName` in the account's queue. AWS publishes no bound
//! for the first three, so each is expected to last as long as edgestack has observed it to
//! (a running mean of the waits the watcher saw end); the turn is the one the stack holds, or
//! the next the queue would give. The steps between the waits take seconds and are not counted.

use serde::{Deserialize, Serialize};

use crate::stack::{Phase, Stack, Status};
use crate::timestamp::Timestamp;

/// One of AWS's own waits in a stack's provisioning.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AwsWait {
    /// From the certificates' request until ACM has issued both.
    CertificateIssuance,
    /// From the distribution's creation until CloudFront reports it `Deployed`.
    DistributionDeployment,
    /// From the alias records' change until Route 53 reports it `INSYNC`.
    DnsPropagation,
}

impl AwsWait {
    pub const ALL: [AwsWait; 3] = [
        AwsWait::CertificateIssuance,
        AwsWait::DistributionDeployment,
        AwsWait::DnsPropagation,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::CertificateIssuance => "certificate_issuance",
            Self::DistributionDeployment => "distribution_deployment",
            Self::DnsPropagation => "dns_propagation",
        }
    }

    /// When this wait began for `stack`, as its steps recorded it: the certificates' request
    /// ended, the distribution's creation ended, the alias records' step began.
    pub fn started(self, stack: &Stack) -> Option<Timestamp> {
        let step = |name: &str| stack.steps.iter().find(|s| s.name == name);
        match self {
            Self::CertificateIssuance => step("request_certificates")?.finished_at,
            Self::DistributionDeployment => step("create_distribution")?.finished_at,
            Self::DnsPropagation => Some(step("create_dns_records")?.started_at),
        }
    }
}

/// A new observation weighs this much in the running mean (in tenths): recent enough to follow
/// a slower day at AWS within a few stacks, steady enough that one outlier moves it little.
const NEW_OBSERVATION_TENTHS: i64 = 3;

/// How long each of AWS's waits took, as edgestack observed them: a running mean per wait, in
/// milliseconds; absent until one was seen.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ObservedDurations {
    pub certificate_issuance_millis: Option<i64>,
    pub distribution_deployment_millis: Option<i64>,
    pub dns_propagation_millis: Option<i64>,
}

impl ObservedDurations {
    pub fn get(&self, wait: AwsWait) -> Option<i64> {
        *self.slot(wait)
    }

    /// Takes one more observation of `wait` into its mean.
    pub fn observe(&mut self, wait: AwsWait, millis: i64) {
        let millis = millis.max(0);
        let slot = self.slot_mut(wait);
        *slot = Some(match *slot {
            None => millis,
            Some(mean) => {
                (mean * (10 - NEW_OBSERVATION_TENTHS) + millis * NEW_OBSERVATION_TENTHS) / 10
            }
        });
    }

    fn slot(&self, wait: AwsWait) -> &Option<i64> {
        match wait {
            AwsWait::CertificateIssuance => &self.certificate_issuance_millis,
            AwsWait::DistributionDeployment => &self.distribution_deployment_millis,
            AwsWait::DnsPropagation => &self.dns_propagation_millis,
        }
    }

    fn slot_mut(&mut self, wait: AwsWait) -> &mut Option<i64> {
        match wait {
            AwsWait::CertificateIssuance => &mut self.certificate_issuance_millis,
            AwsWait::DistributionDeployment => &mut self.distribution_deployment_millis,
            AwsWait::DnsPropagation => &mut self.dns_propagation_millis,
        }
    }
}

/// Where a stack's provisioning stands, as far as its remaining waits go.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Stage {
    BeforeIssuance,
    BeforeTurn,
    BeforeDeployment,
    BeforePropagation,
    AfterWaits,
}

fn stage(phase: Phase) -> Option<Stage> {
    Some(match phase {
        Phase::Accepted
        | Phase::Validating
        | Phase::RequestingCertificates
        | Phase::AwaitingCertificateValidation => Stage::BeforeIssuance,
        Phase::AwaitingTurn | Phase::CreatingCustomDomain => Stage::BeforeTurn,
        Phase::CreatingDistribution | Phase::AwaitingDistributionDeployment => {
            Stage::BeforeDeployment
        }
        Phase::CreatingDnsRecords => Stage::BeforePropagation,
        // Complete while still provisioning: the last step is marking it READY.
        Phase::SmokeTesting | Phase::Complete => Stage::AfterWaits,
        _ => return None,
    })
}

/// When `stack` is expected to be READY, seen at `now`: `None` once it is not provisioning any
/// more, while it waits for its owner's DNS (only the owner knows when), or before edgestack has
/// observed one of the waits still ahead of it. `next_turn` is the turn the account's queue at
/// `CreateDomainName` would give a stack asking now.
pub fn expected_ready_at(
    stack: &Stack,
    now: Timestamp,
    observed: &ObservedDurations,
    next_turn: Option<Timestamp>,
) -> Option<Timestamp> {
    if !matches!(stack.status(), Status::Pending | Status::Provisioning) {
        return None;
    }
    let stage = stage(stack.phase)?;
    let custom_domain = stack.request.custom_domain.as_ref();
    // Each wait ahead ends its observed duration after it began, or, not begun yet, after the
    // one before it; one that has overrun its mean is expected to end any moment now.
    let wait = |wait: AwsWait, previous: Timestamp| -> Option<Timestamp> {
        let began = wait.started(stack).unwrap_or(previous);
        Some(began.plus_millis(observed.get(wait)?).max(now))
    };
    let mut at = now;
    if custom_domain.is_some() {
        if stage <= Stage::BeforeIssuance {
            at = wait(AwsWait::CertificateIssuance, at)?;
        }
        if stage <= Stage::BeforeTurn {
            let turn = match (stack.phase, stack.turn_at) {
                (Phase::AwaitingTurn, Some(turn)) => Some(turn),
                _ => next_turn,
            };
            at = at.max(turn.unwrap_or(at));
        }
    }
    if stage <= Stage::BeforeDeployment {
        at = wait(AwsWait::DistributionDeployment, at)?;
    }
    let managed_dns = custom_domain.is_some_and(|d| d.hosted_zone_id.is_some());
    if managed_dns && stage <= Stage::BeforePropagation {
        at = wait(AwsWait::DnsPropagation, at)?;
    }
    Some(at)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::stack::StepStatus;

    use crate::timestamp::test_clock as t;

    fn stack(body: serde_json::Value) -> Stack {
        let request = crate::request::StackRequest::from_json(&body).unwrap();
        let mut stack = Stack::new("arn:a".into(), request, t(0));
        stack.begin_provisioning().unwrap();
        stack
    }

    fn custom_domain(zone: bool) -> Stack {
        let mut domain = serde_json::json!({"name": "api.example.com"});
        if zone {
            domain["hosted_zone_id"] = "Z0123456789ABCDEFGHIJ".into();
        }
        stack(serde_json::json!({
            "api_id": "a1b2c3d4e5", "region": "eu-west-1", "stage": "prod",
            "custom_domain": domain,
        }))
    }

    /// Issuance 120 s, deployment 300 s, propagation 60 s.
    fn observed() -> ObservedDurations {
        ObservedDurations {
            certificate_issuance_millis: Some(120_000),
            distribution_deployment_millis: Some(300_000),
            dns_propagation_millis: Some(60_000),
        }
    }

    fn ran(stack: &mut Stack, step: &str, from: i64, to: Option<i64>, phase: Phase) {
        stack.begin_step(step, t(from));
        if let Some(to) = to {
            stack.finish_step(step, StepStatus::Succeeded, None, t(to));
        }
        stack.phase = phase;
    }

    #[test]
    fn a_new_custom_domain_stack_expects_every_wait_after_its_turn() {
        let stack = custom_domain(true);
        assert_eq!(
            expected_ready_at(&stack, t(0), &observed(), None),
            Some(t(120 + 300 + 60))
        );
        assert_eq!(
            expected_ready_at(&stack, t(0), &observed(), Some(t(600))),
            Some(t(600 + 300 + 60)),
            "a turn later than the issuance comes first"
        );
    }

    #[test]
    fn a_wait_under_way_counts_from_its_start() {
        let mut stack = custom_domain(true);
        ran(
            &mut stack,
            "request_certificates",
            0,
            Some(10),
            Phase::AwaitingCertificateValidation,
        );
        assert_eq!(
            expected_ready_at(&stack, t(50), &observed(), Some(t(40))),
            Some(t(10 + 120 + 300 + 60))
        );
        ran(
            &mut stack,
            "create_distribution",
            200,
            Some(205),
            Phase::AwaitingDistributionDeployment,
        );
        assert_eq!(
            expected_ready_at(&stack, t(300), &observed(), None),
            Some(t(205 + 300 + 60))
        );
        ran(
            &mut stack,
            "create_dns_records",
            510,
            None,
            Phase::CreatingDnsRecords,
        );
        assert_eq!(
            expected_ready_at(&stack, t(520), &observed(), None),
            Some(t(510 + 60))
        );
        ran(&mut stack, "smoke_test", 575, None, Phase::SmokeTesting);
        assert_eq!(
            expected_ready_at(&stack, t(576), &observed(), None),
            Some(t(576))
        );
        // Between the step that marks it READY starting and the status changing, a read sees
        // the phase COMPLETE on a stack still PROVISIONING: READY is expected now, as in the
        // end-to-end test that read it there.
        ran(&mut stack, "mark_ready", 577, None, Phase::Complete);
        assert_eq!(
            expected_ready_at(&stack, t(578), &observed(), None),
            Some(t(578))
        );
    }

    #[test]
    fn a_wait_past_its_mean_is_expected_to_end_now() {
        let mut stack = custom_domain(false);
        ran(
            &mut stack,
            "create_distribution",
            0,
            Some(5),
            Phase::AwaitingDistributionDeployment,
        );
        assert_eq!(
            expected_ready_at(&stack, t(400), &observed(), None),
            Some(t(400)),
            "no DNS wait: the owner's DNS is outside edgestack"
        );
    }

    #[test]
    fn a_stack_waiting_for_its_turn_expects_the_turn_it_holds() {
        let mut stack = custom_domain(true);
        ran(
            &mut stack,
            "request_certificates",
            0,
            Some(1),
            Phase::AwaitingCertificateValidation,
        );
        ran(
            &mut stack,
            "await_certificate_validation",
            1,
            Some(121),
            Phase::AwaitingTurn,
        );
        stack.begin_step("create_custom_domain", t(121));
        stack.finish_step("create_custom_domain", StepStatus::Waiting, None, t(121));
        stack.turn_at = Some(t(500));
        assert_eq!(
            expected_ready_at(&stack, t(130), &observed(), Some(t(900))),
            Some(t(500 + 300 + 60)),
            "its own turn, not the queue's next"
        );
        stack.finish_step("create_custom_domain", StepStatus::Succeeded, None, t(500));
        assert_eq!(stack.turn_at, None, "a turn taken is forgotten");
    }

    #[test]
    fn without_a_custom_domain_only_the_deployment_is_waited_for() {
        let stack = stack(
            serde_json::json!({"api_id": "a1b2c3d4e5", "region": "eu-west-1", "stage": "prod"}),
        );
        let only_deployment = ObservedDurations {
            distribution_deployment_millis: Some(300_000),
            ..ObservedDurations::default()
        };
        assert_eq!(
            expected_ready_at(&stack, t(0), &only_deployment, Some(t(9_000))),
            Some(t(300))
        );
    }

    #[test]
    fn nothing_is_expected_without_an_observation_or_once_provisioning_stopped() {
        let stack = custom_domain(true);
        let no_propagation = ObservedDurations {
            dns_propagation_millis: None,
            ..observed()
        };
        assert_eq!(expected_ready_at(&stack, t(0), &no_propagation, None), None);
        let mut owner_dns = custom_domain(false);
        owner_dns.await_owner_dns();
        assert_eq!(expected_ready_at(&owner_dns, t(0), &observed(), None), None);
        let mut deleting = custom_domain(true);
        deleting.start_deleting().unwrap();
        assert_eq!(expected_ready_at(&deleting, t(0), &observed(), None), None);
    }

    #[test]
    fn the_mean_follows_new_observations_without_jumping() {
        let mut observed = ObservedDurations::default();
        observed.observe(AwsWait::DistributionDeployment, 300_000);
        assert_eq!(observed.get(AwsWait::DistributionDeployment), Some(300_000));
        observed.observe(AwsWait::DistributionDeployment, 400_000);
        assert_eq!(observed.get(AwsWait::DistributionDeployment), Some(330_000));
        observed.observe(AwsWait::DnsPropagation, -5);
        assert_eq!(observed.get(AwsWait::DnsPropagation), Some(0));
        assert_eq!(observed.get(AwsWait::CertificateIssuance), None);
    }
}
