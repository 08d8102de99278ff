//! Who owns a stack. API Gateway names a caller that signed with an assumed role's temporary
//! credentials by its session, `arn:aws:sts::ACCOUNT:assumed-role/ROLE/SESSION`
//! (`$context.identity.userArn`), and the session name changes per login and per CI run: the
//! owner is the role, so that the next session of the role reads and deletes what the last one
//! made. Other callers (IAM users) own stacks under their own ARN.

use std::fmt;

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Principal(String);

impl Principal {
    /// The owner that `caller` (the ARN in the request context) acts for.
    pub fn from_caller(caller: &str) -> Self {
        match assumed_role(caller) {
            Some((partition, account, role)) => {
                Self(format!("arn:{partition}:iam::{account}:role/{role}"))
            }
            None => Self(caller.to_owned()),
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The role a grant key names, as `partition:account:name` (paths dropped), for telling
    /// two keys of one role apart from two roles; `None` for anything but a role ARN.
    pub fn role_of(key: &str) -> Option<String> {
        role(key).map(|(partition, account, name)| format!("{partition}:{account}:{name}"))
    }

    /// Whether a grant keyed by `key` is this principal's: the same ARN or, for a role, the same
    /// account and role name under any path. A session's ARN carries no path, and a role's name
    /// is unique in its account whatever its path.
    pub fn is_named_by(&self, key: &str) -> bool {
        if key == self.0 {
            return true;
        }
        match (role(&self.0), role(key)) {
            (Some(mine), Some(theirs)) => mine == theirs,
            _ => false,
        }
    }
}

impl fmt::Display for Principal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// `(partition, account, resource)` of an ARN of `service` (an IAM-style ARN: no region).
fn arn_of<'a>(arn: &'a str, service: &str) -> Option<(&'a str, &'a str, &'a str)> {
    let mut parts = arn.splitn(6, ':');
    let (Some("arn"), Some(partition), Some(svc), Some(""), Some(account), Some(resource)) = (
        parts.next(),
        parts.next(),
        parts.next(),
        parts.next(),
        parts.next(),
        parts.next(),
    ) else {
        return None;
    };
    (svc == service && !account.is_empty()).then_some((partition, account, resource))
}

/// `(partition, account, role)` of an assumed-role session ARN.
fn assumed_role(arn: &str) -> Option<(&str, &str, &str)> {
    let (partition, account, resource) = arn_of(arn, "sts")?;
    let (role, session) = resource.strip_prefix("assumed-role/")?.split_once('/')?;
    (!role.is_empty() && !session.is_empty()).then_some((partition, account, role))
}

/// `(partition, account, role name)` of an IAM role ARN, whatever its path.
fn role(arn: &str) -> Option<(&str, &str, &str)> {
    let (partition, account, resource) = arn_of(arn, "iam")?;
    let name = resource.strip_prefix("role/")?.rsplit('/').next()?;
    (!name.is_empty()).then_some((partition, account, name))
}
#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_assumed_role_session_acts_for_its_role() {
        for session in ["ci-run-41", "ci-run-42", "alice@example.com"] {
            let p = Principal::from_caller(&format!(
                "arn:aws:sts::123456789012:assumed-role/team-payments/{session}"
            ));
            assert_eq!(p.as_str(), "arn:aws:iam::123456789012:role/team-payments");
        }
        let gov = Principal::from_caller("arn:aws-us-gov:sts::123456789012:assumed-role/r/s");
        assert_eq!(gov.as_str(), "arn:aws-us-gov:iam::123456789012:role/r");
    }

    #[test]
    fn users_and_anything_else_stay_as_they_are() {
        for caller in [
            "arn:aws:iam::123456789012:user/alice",
            "arn:aws:iam::123456789012:role/team-payments",
            "arn:aws:sts::123456789012:federated-user/bob",
            "arn:aws:sts::123456789012:assumed-role/no-session",
            "not an arn",
        ] {
            assert_eq!(Principal::from_caller(caller).as_str(), caller);
        }
    }

    #[test]
    fn a_grant_keyed_by_the_role_under_any_path_names_its_sessions() {
        let p = Principal::from_caller("arn:aws:sts::123456789012:assumed-role/deployer/ci-run-42");
        assert!(p.is_named_by("arn:aws:iam::123456789012:role/deployer"));
        assert!(p.is_named_by("arn:aws:iam::123456789012:role/teams/payments/deployer"));
        assert!(!p.is_named_by("arn:aws:iam::123456789012:role/deployer-2"));
        assert!(!p.is_named_by("arn:aws:iam::210987654321:role/deployer"));
        assert!(!p.is_named_by("arn:aws:iam::123456789012:user/deployer"));
        let user = Principal::from_caller("arn:aws:iam::123456789012:user/deployer");
        assert!(user.is_named_by("arn:aws:iam::123456789012:user/deployer"));
        assert!(!user.is_named_by("arn:aws:iam::123456789012:role/deployer"));
    }
}
