//! Which APIs, hosted zones and domain names a principal may use. This is configuration (a JSON
//! document in `EDGESTACK_PERMISSIONS`), not code:
//!
//! ```json
//! { "default":    { "domain_suffixes": ["example.com"], "hosted_zone_ids": ["*"], "api_ids": ["*"] },
//!   "principals": { "arn:aws:iam::123456789012:role/team-payments":
//!                   { "domain_suffixes": ["payments.example.com"], "hosted_zone_ids": ["Z0123"], "api_ids": ["a1b2c3d4e5"] } } }
//! ```
//!
//! A principal listed under `principals` gets exactly its own grant; everyone else gets
//! `default`; with neither, nothing is allowed. `"*"` allows any value of that kind. A role's
//! grant is keyed by the role's ARN (with or without its path) and applies to every session of
//! it (`Principal`).

use std::collections::HashMap;

use serde::Deserialize;

use crate::request::StackRequest;
use crate::validated::{FieldError, Principal};

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Grant {
    #[serde(default)]
    pub domain_suffixes: Vec<String>,
    #[serde(default)]
    pub hosted_zone_ids: Vec<String>,
    #[serde(default)]
    pub api_ids: Vec<String>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Permissions {
    #[serde(default)]
    default: Option<Grant>,
    #[serde(default)]
    principals: HashMap<String, Grant>,
}

fn allows(list: &[String], value: &str) -> bool {
    list.iter()
        .any(|allowed| allowed == "*" || allowed == value)
}

impl Permissions {
    pub fn from_json(json: &str) -> Result<Self, String> {
        let policy: Self = serde_json::from_str(json)
            .map_err(|e| format!("the permissions policy is not valid: {e}"))?;
        // Two keys of one role (with and without a path) would make its sessions' grant a
        // matter of map order.
        let mut roles: HashMap<String, &str> = HashMap::new();
        for key in policy.principals.keys() {
            if let Some(role) = Principal::role_of(key) {
                if let Some(other) = roles.insert(role, key) {
                    return Err(format!(
                        "the permissions policy is not valid: {other} and {key} name the same role"
                    ));
                }
            }
        }
        Ok(policy)
    }

    /// The grant that applies to `principal`: its own, else `default`.
    fn grant_of(&self, principal: &Principal) -> Option<&Grant> {
        let own = self.principals.get(principal.as_str()).or_else(|| {
            self.principals
                .iter()
                .find(|(key, _)| principal.is_named_by(key))
                .map(|(_, grant)| grant)
        });
        own.or(self.default.as_ref())
    }

    /// Whether `principal`'s grant names `api_id` itself, not only through `"*"`. A `"*"`
    /// lets a team put a distribution in front of any API, which is harmless; signing requests
    /// to any API with edgestack's own credentials is not (a confused deputy), so the smoke test
    /// signs only for an API named here.
    pub fn names_api(&self, principal: &Principal, api_id: &str) -> bool {
        self.grant_of(principal)
            .is_some_and(|grant| grant.api_ids.iter().any(|allowed| allowed == api_id))
    }

    /// Everything in `request` that `principal` may not use, each named by its field.
    pub fn refusals(&self, principal: &Principal, request: &StackRequest) -> Vec<FieldError> {
        let Some(grant) = self.grant_of(principal) else {
            return vec![FieldError::new(
                "api_id",
                "the permissions policy grants this principal nothing",
            )];
        };
        let mut refused = Vec::new();
        if !allows(&grant.api_ids, request.api_id.as_str()) {
            refused.push(FieldError::new(
                "api_id",
                format!("this principal may not front API {}", request.api_id),
            ));
        }
        if let Some(domain) = &request.custom_domain {
            let suffix_ok = grant
                .domain_suffixes
                .iter()
                .any(|suffix| suffix == "*" || domain.name.is_within(suffix));
            if !suffix_ok {
                refused.push(FieldError::new(
                    "custom_domain.name",
                    format!("this principal may not use {}", domain.name),
                ));
            }
            if let Some(zone) = &domain.hosted_zone_id {
                if !allows(&grant.hosted_zone_ids, zone.as_str()) {
                    refused.push(FieldError::new(
                        "custom_domain.hosted_zone_id",
                        format!("this principal may not write to hosted zone {zone}"),
                    ));
                }
            }
        }
        refused
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn request(body: serde_json::Value) -> StackRequest {
        StackRequest::from_json(&body).unwrap()
    }

    const POLICY: &str = r#"{
        "default": {"domain_suffixes": ["example.com"], "hosted_zone_ids": ["*"], "api_ids": ["*"]},
        "principals": {"arn:team-a": {"domain_suffixes": ["a.example.com"], "hosted_zone_ids": ["ZA"], "api_ids": ["aaaaaaaaaa"]}}
    }"#;

    #[test]
    fn a_listed_principal_gets_only_its_own_grant() {
        let policy = Permissions::from_json(POLICY).unwrap();
        let ok = request(
            json!({"api_id": "aaaaaaaaaa", "region": "eu-west-1", "stage": "p",
            "custom_domain": {"name": "api.a.example.com", "hosted_zone_id": "ZA"}}),
        );
        assert!(policy
            .refusals(&Principal::from_caller("arn:team-a"), &ok)
            .is_empty());

        let outside = request(
            json!({"api_id": "bbbbbbbbbb", "region": "eu-west-1", "stage": "p",
            "custom_domain": {"name": "api.b.example.com", "hosted_zone_id": "ZB"}}),
        );
        let fields: Vec<_> = policy
            .refusals(&Principal::from_caller("arn:team-a"), &outside)
            .into_iter()
            .map(|e| e.field)
            .collect();
        assert_eq!(
            fields,
            [
                "api_id",
                "custom_domain.name",
                "custom_domain.hosted_zone_id"
            ]
        );
        assert!(
            policy
                .refusals(&Principal::from_caller("arn:someone-else"), &outside)
                .is_empty(),
            "default applies"
        );
    }

    #[test]
    fn a_role_grant_applies_to_every_session_of_the_role_whatever_its_path() {
        let policy = Permissions::from_json(
            r#"{"principals": {"arn:aws:iam::123456789012:role/teams/payments": {"api_ids": ["aaaaaaaaaa"]}}}"#,
        )
        .unwrap();
        let req = request(json!({"api_id": "aaaaaaaaaa", "region": "eu-west-1", "stage": "p"}));
        for session in ["ci-run-41", "ci-run-42"] {
            let caller = Principal::from_caller(&format!(
                "arn:aws:sts::123456789012:assumed-role/payments/{session}"
            ));
            assert!(policy.refusals(&caller, &req).is_empty(), "{session}");
        }
        let other = Principal::from_caller("arn:aws:sts::123456789012:assumed-role/billing/s");
        assert_eq!(
            policy.refusals(&other, &req).len(),
            1,
            "no grant, no default"
        );
    }

    #[test]
    fn only_an_api_named_in_the_grant_is_named_a_star_names_none() {
        let policy = Permissions::from_json(POLICY).unwrap();
        let team_a = Principal::from_caller("arn:team-a");
        assert!(policy.names_api(&team_a, "aaaaaaaaaa"));
        assert!(!policy.names_api(&team_a, "bbbbbbbbbb"));
        let anyone = Principal::from_caller("arn:someone-else");
        assert!(
            policy
                .refusals(
                    &anyone,
                    &request(json!({"api_id": "bbbbbbbbbb", "region": "eu-west-1", "stage": "p"}))
                )
                .is_empty(),
            "the default's \"*\" lets it front the API"
        );
        assert!(
            !policy.names_api(&anyone, "bbbbbbbbbb"),
            "but \"*\" names no API"
        );
        assert!(!Permissions::from_json("{}")
            .unwrap()
            .names_api(&anyone, "bbbbbbbbbb"));
    }

    #[test]
    fn two_keys_of_one_role_are_refused() {
        let err = Permissions::from_json(
            r#"{"principals": {"arn:aws:iam::123456789012:role/deployer": {},
                               "arn:aws:iam::123456789012:role/teams/deployer": {}}}"#,
        )
        .unwrap_err();
        assert!(err.contains("name the same role"), "{err}");
    }

    #[test]
    fn no_grant_means_nothing_is_allowed() {
        let policy = Permissions::from_json("{}").unwrap();
        let req = request(json!({"api_id": "aaaaaaaaaa", "region": "eu-west-1", "stage": "p"}));
        assert_eq!(
            policy
                .refusals(&Principal::from_caller("arn:x"), &req)
                .len(),
            1
        );
        assert!(
            Permissions::from_json(r#"{"defaults": {}}"#).is_err(),
            "typos are caught"
        );
    }

    #[test]
    fn suffixes_match_whole_labels() {
        let policy = Permissions::from_json(
            r#"{"default": {"domain_suffixes": ["example.com"], "api_ids": ["*"]}}"#,
        )
        .unwrap();
        let req = request(
            json!({"api_id": "aaaaaaaaaa", "region": "eu-west-1", "stage": "p",
            "custom_domain": {"name": "api.badexample.com"}}),
        );
        assert_eq!(
            policy
                .refusals(&Principal::from_caller("arn:x"), &req)
                .len(),
            1
        );
    }
}
