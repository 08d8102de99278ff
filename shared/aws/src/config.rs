//! Settings read from the environment once per cold start. A missing setting stops the cold
//! start with its name, rather than failing later on a request.

use edgestack_domain::permissions::Permissions;

#[derive(Debug, thiserror::Error)]
#[error("{name}: {problem}")]
pub struct ConfigError {
    pub name: &'static str,
    pub problem: String,
}

pub fn required(name: &'static str) -> Result<String, ConfigError> {
    match std::env::var(name) {
        Ok(value) if !value.trim().is_empty() => Ok(value),
        _ => Err(ConfigError {
            name,
            problem: "is not set".into(),
        }),
    }
}

/// `true`, `1` or `yes` (any case) turn a flag on; anything else, or nothing, leaves it off.
pub fn flag(name: &str) -> bool {
    std::env::var(name)
        .map(|v| matches!(v.to_ascii_lowercase().as_str(), "true" | "1" | "yes"))
        .unwrap_or(false)
}

pub const STACKS_TABLE: &str = "STACKS_TABLE";
/// The table of origin header values: set only for the functions that write, read or forget
/// them (the API, create-distribution, finish-teardown).
pub const SECRETS_TABLE: &str = "SECRETS_TABLE";

/// An optional setting: absent or blank is `None`.
pub fn optional(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.trim().is_empty())
}
pub const PROVISION_STATE_MACHINE_ARN: &str = "PROVISION_STATE_MACHINE_ARN";
pub const TEARDOWN_STATE_MACHINE_ARN: &str = "TEARDOWN_STATE_MACHINE_ARN";
pub const PERMISSIONS: &str = "EDGESTACK_PERMISSIONS";

pub fn permissions() -> Result<Permissions, ConfigError> {
    Permissions::from_json(&required(PERMISSIONS)?).map_err(|problem| ConfigError {
        name: PERMISSIONS,
        problem,
    })
}
