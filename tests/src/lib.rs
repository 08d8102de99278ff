//! The harness of the end-to-end tests: they drive the local stack (`make up`) from outside,
//! through the provisioning API's HTTP interface and the emulated AWS account, exactly as a
//! caller and an operator would.
//!
//! - [`LocalEnv`]: the endpoints `local/up.sh` wrote to `.local/env`. A missing file is a loud
//!   failure, never a skipped test.
//! - [`Api`]: an HTTP client for `STACKS_API_URL` (the local API Gateway) signing as one
//!   principal, a session of an IAM role ([`session_credentials`]); [`random_principal`] gives
//!   every test its own, so that tests running in parallel never see each other's stacks.
//! - [`Aws`]: SDK clients for the emulated account, with helpers to look at the stacks table
//!   and the state machines' executions, and [`Aws::create_regional_rest_api`] to create what
//!   a stack fronts.
//! - [`assert_error`]: the one error shape of the contract.
//! - The workflow end to end: a [`Team`] (its own principal, REST API and hosted zone) asks for
//!   stacks of each [`Shape`], an [`Api::watch`] records every state a stack was seen in while
//!   it is waited for, [`assert_ready_as_recipe_says`] reads back from the emulated account,
//!   field by field, what `recipe.md` prescribes, and [`Aws::footprint`] finds everything in
//!   the account that belongs to a stack (to show that a rollback or a teardown left nothing).
//!   [`invoke_function`] runs one step's Lambda directly, as a Task state would. The account
//!   is the strict one (`local/strict/`): it keeps AWS's waits (certificates, deployments,
//!   Route 53 propagation) at the time scale `local/up.sh` started it with.
//!
//! One module a job, all re-exported here: `env` (the local stack's endpoints, principals),
//! `identity` (teams' roles and their sessions' credentials), `api` (the HTTP client and the
//! error shape), `aws` (SDK clients, team APIs, retries),
//! `team` (teams and the shapes of their stacks), `watch` (a stack's states over time),
//! `footprint` (what of a stack is in the account), `recipe` (the recipe's checks, field by
//! field), `edge` (calls through the data plane) and `account` (the strict account's faults).

pub mod account;
pub mod contract;
pub mod edge;

pub use account::StrictAccount;

use std::cell::RefCell;
use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::future::Future;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;
use std::time::Duration;

use aws_config::{BehaviorVersion, Region, SdkConfig};
use aws_sdk_dynamodb::types::AttributeValue;
use rand::distr::{Alphanumeric, SampleString};
use serde_json::Value;

mod api;
mod aws;
mod env;
mod footprint;
mod identity;
mod recipe;
mod team;
mod watch;

pub use api::*;
pub use aws::*;
pub use env::*;
pub use footprint::*;
pub use identity::*;
pub use recipe::*;
pub use team::*;
pub use watch::*;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn env_files_parse_as_a_shell_would_source_them() {
        let vars = parse_env_file(
            "# comment\n\nSTACKS_API_URL=http://127.0.0.1:1/restapis/a1/v1/_user_request_\n\
             export AWS_REGION=\"us-east-1\"\nAWS_ACCESS_KEY_ID='testing'\n",
        );
        assert_eq!(
            vars["STACKS_API_URL"],
            "http://127.0.0.1:1/restapis/a1/v1/_user_request_"
        );
        assert_eq!(vars["AWS_REGION"], "us-east-1");
        assert_eq!(vars["AWS_ACCESS_KEY_ID"], "testing");
        assert_eq!(vars.len(), 3);
    }

    #[test]
    fn principals_are_sessions_of_roles_of_their_own() {
        let (a, b) = (random_principal(), random_principal());
        assert!(
            a.starts_with("arn:aws:sts::123456789012:assumed-role/test-"),
            "{a}"
        );
        assert_ne!(owner_of(&a), owner_of(&b));
        assert!(
            owner_of(&a).starts_with("arn:aws:iam::123456789012:role/test-"),
            "{a}"
        );
    }
}
