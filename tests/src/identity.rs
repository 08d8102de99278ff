//! Teams as the emulated account knows them: an IAM role per team, allowed to invoke the
//! provisioning API (`execute-api:Invoke`), and sessions of it from STS `AssumeRole`, whose
//! temporary credentials sign the team's calls. API Gateway then names the session as the
//! caller, and the API's owner is the role (api.md).

use super::*;

use aws_credential_types::Credentials;

/// The policy every team role carries: any method of any stage of any API in the account.
const INVOKE_ANY_API: &str = r#"{"Version": "2012-10-17", "Statement": [{"Effect": "Allow",
  "Action": "execute-api:Invoke", "Resource": "arn:aws:execute-api:*:*:*/*"}]}"#;

const TRUST_THE_ACCOUNT: &str = r#"{"Version": "2012-10-17", "Statement": [{"Effect": "Allow",
  "Principal": {"AWS": "arn:aws:iam::123456789012:root"}, "Action": "sts:AssumeRole"}]}"#;

/// `(role, session)` of `arn:aws:sts::ACCOUNT:assumed-role/ROLE/SESSION`.
pub fn role_and_session(principal: &str) -> (&str, &str) {
    principal
        .split_once(":assumed-role/")
        .and_then(|(_, rest)| rest.split_once('/'))
        .unwrap_or_else(|| panic!("{principal} is not an assumed role's session"))
}

/// Credentials of `principal`, a session of a role (made with an invoke policy if the account
/// has no such role yet), from AssumeRole with the session's name.
pub async fn session_credentials(principal: &str) -> Credentials {
    session_credentials_with(principal, Some(INVOKE_ANY_API)).await
}

/// [`session_credentials`] of a role that carries `policy` (none: IAM allows it nothing).
pub async fn session_credentials_with(principal: &str, policy: Option<&str>) -> Credentials {
    let (role, session) = role_and_session(principal);
    let config = Aws::new().await.config;
    let iam = aws_sdk_iam::Client::new(&config);
    let made = iam
        .create_role()
        .role_name(role)
        .assume_role_policy_document(TRUST_THE_ACCOUNT)
        .send()
        .await;
    if let Err(e) = made {
        let text = format!("{e:?}");
        assert!(
            text.contains("EntityAlreadyExists"),
            "CreateRole {role}: {text}"
        );
    }
    if let Some(policy) = policy {
        iam.put_role_policy()
            .role_name(role)
            .policy_name("invoke-edgestack")
            .policy_document(policy)
            .send()
            .await
            .unwrap_or_else(|e| panic!("PutRolePolicy {role}: {e:?}"));
    }
    let assumed = aws_sdk_sts::Client::new(&config)
        .assume_role()
        .role_arn(format!("arn:aws:iam::{ACCOUNT}:role/{role}"))
        .role_session_name(session)
        .send()
        .await
        .unwrap_or_else(|e| panic!("AssumeRole {role}: {e:?}"));
    let given = assumed
        .assumed_role_user()
        .map(|u| u.arn())
        .unwrap_or_default();
    assert_eq!(given, principal, "STS named the session otherwise");
    let c = assumed.credentials().expect("AssumeRole's credentials");
    Credentials::new(
        c.access_key_id(),
        c.secret_access_key(),
        Some(c.session_token().to_owned()),
        None,
        "assume-role",
    )
}
