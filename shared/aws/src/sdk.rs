//! One SDK configuration per cold start, shared by every client a function needs. Locally,
//! `AWS_ENDPOINT_URL` points all of them at the emulator; the code never knows the difference.

use std::time::Duration;

use aws_config::retry::RetryConfig;
pub use aws_config::SdkConfig;

use crate::config::ConfigError;

/// How many times the SDK tries a call AWS throttled or failed transiently. Its standard mode
/// tries 3 times, but a burst of stacks meets throttles on many calls (Route 53 allows five a
/// second per account, CloudFront throttles its mutating calls under load), and a call that
/// runs out of tries costs its step a retry by the state machine: seconds, and every call of
/// the step made again. With five tries, a call that AWS throttles one time in three still
/// fails 0.2 % of the time (0.3⁵) instead of 2.7 % (0.3³). Terraform's AWS provider goes
/// further (25 retries by default) for the same reason.
const MAX_ATTEMPTS: u32 = 5;

/// The SDK's first backoff after a throttle (doubling with each try, with jitter), in
/// milliseconds: the SDK's own 1 s when unset. The local account scales AWS's rate windows,
/// and local/up.sh scales the backoff that waits them out with them.
pub const SDK_INITIAL_BACKOFF_MILLIS: &str = "SDK_INITIAL_BACKOFF_MILLIS";

pub async fn load_config() -> Result<SdkConfig, ConfigError> {
    let retries = retry_config(std::env::var(SDK_INITIAL_BACKOFF_MILLIS).ok().as_deref())?;
    Ok(aws_config::defaults(aws_config::BehaviorVersion::latest())
        .retry_config(retries)
        .load()
        .await)
}

fn retry_config(initial_backoff_millis: Option<&str>) -> Result<RetryConfig, ConfigError> {
    let retries = RetryConfig::standard().with_max_attempts(MAX_ATTEMPTS);
    match initial_backoff_millis.map(str::trim) {
        None | Some("") => Ok(retries),
        Some(value) => match value.parse::<u64>() {
            Ok(millis) if millis > 0 => {
                Ok(retries.with_initial_backoff(Duration::from_millis(millis)))
            }
            _ => Err(ConfigError {
                name: SDK_INITIAL_BACKOFF_MILLIS,
                problem: format!("must be a whole number of milliseconds above 0, not '{value}'"),
            }),
        },
    }
}

/// The same configuration in another region (ACM for CloudFront lives in us-east-1; the
/// fronted API lives in the stack's region).
pub fn in_region(config: &SdkConfig, region: &str) -> SdkConfig {
    config
        .to_builder()
        .region(aws_config::Region::new(region.to_owned()))
        .build()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_call_is_tried_five_times_after_the_sdks_own_first_backoff_unless_told_otherwise() {
        let retries = retry_config(None).unwrap();
        assert_eq!(retries.max_attempts(), MAX_ATTEMPTS);
        assert_eq!(
            retries.initial_backoff(),
            RetryConfig::standard().initial_backoff()
        );
        assert_eq!(retry_config(Some(" ")).unwrap(), retries);

        let scaled = retry_config(Some("100")).unwrap();
        assert_eq!(scaled.initial_backoff(), Duration::from_millis(100));
        assert_eq!(scaled.max_attempts(), MAX_ATTEMPTS);
    }

    #[test]
    fn a_backoff_that_is_not_a_positive_number_of_milliseconds_stops_the_cold_start() {
        for bad in ["0", "-5", "0.5", "soon"] {
            let e = retry_config(Some(bad)).unwrap_err();
            assert_eq!(e.name, SDK_INITIAL_BACKOFF_MILLIS);
            assert!(e.problem.contains(bad), "{e}");
        }
    }
}
