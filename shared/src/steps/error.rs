use lambda_runtime::Diagnostic;

/// How a step fails. The variant's name is the `errorType` that the state machine's `Retry`
/// and `Catch` match, so these names are part of the ASL files' contract: rename neither alone.
#[derive(Debug, thiserror::Error)]
pub enum StepError {
    /// The request cannot be provisioned as it stands; retrying will not help.
    #[error("{code}: {message}")]
    InvalidStack { code: &'static str, message: String },
    /// Something in the way (a name already in use elsewhere); retrying will not help.
    #[error("{code}: {message}")]
    Conflict { code: &'static str, message: String },
    /// Throttling, a 5xx, a timeout, a concurrent writer: retry with backoff.
    #[error("transient: {0}")]
    Transient(String),
    /// A wait ran past its deadline.
    #[error("deadline_exceeded: {0}")]
    DeadlineExceeded(String),
    /// The stack is being deleted (or is gone): provisioning stops here.
    #[error("stack_gone: {0}")]
    StackGone(String),
    /// The request through the distribution did not get the answer it needs (yet).
    #[error("smoke_test_failed: {0}")]
    SmokeTestFailed(String),
    /// A bug or a broken invariant.
    #[error("internal: {0}")]
    Internal(String),
}

impl StepError {
    pub fn error_type(&self) -> &'static str {
        match self {
            Self::InvalidStack { .. } => "InvalidStack",
            Self::Conflict { .. } => "Conflict",
            Self::Transient(_) => "Transient",
            Self::DeadlineExceeded(_) => "DeadlineExceeded",
            Self::StackGone(_) => "StackGone",
            Self::SmokeTestFailed(_) => "SmokeTestFailed",
            Self::Internal(_) => "Internal",
        }
    }

    pub fn invalid(code: &'static str, message: impl Into<String>) -> Self {
        Self::InvalidStack {
            code,
            message: message.into(),
        }
    }
}

impl From<StepError> for Diagnostic {
    fn from(err: StepError) -> Self {
        tracing::warn!(error_type = err.error_type(), error = %err, "step failed");
        Diagnostic {
            error_type: err.error_type().to_owned(),
            error_message: err.to_string(),
        }
    }
}

impl From<crate::store::StoreError> for StepError {
    fn from(err: crate::store::StoreError) -> Self {
        use crate::store::StoreError;
        match err {
            StoreError::NotFound(id) => Self::StackGone(format!("stack {id} does not exist")),
            StoreError::Conflict | StoreError::Backend(_) => Self::Transient(err.to_string()),
            StoreError::Corrupt(_) => Self::Internal(err.to_string()),
        }
    }
}

/// Sorts an AWS SDK failure: throttling, 5xx, timeouts and dispatch failures are transient;
/// everything else is for the caller to map (it knows which service errors mean what).
pub fn is_transient<E>(
    err: &aws_smithy_runtime_api::client::result::SdkError<
        E,
        aws_smithy_runtime_api::client::orchestrator::HttpResponse,
    >,
) -> bool
where
    E: aws_smithy_types::error::metadata::ProvideErrorMetadata,
{
    use aws_smithy_runtime_api::client::result::SdkError;
    match err {
        SdkError::TimeoutError(_) | SdkError::DispatchFailure(_) | SdkError::ResponseError(_) => {
            true
        }
        SdkError::ServiceError(service) => {
            let code = service.err().code().unwrap_or_default();
            service.raw().status().is_server_error()
                || service.raw().status().as_u16() == 429
                || matches!(
                    code,
                    "Throttling"
                        | "ThrottlingException"
                        | "TooManyRequests"
                        | "TooManyRequestsException"
                        | "RequestLimitExceeded"
                        | "PriorRequestNotComplete"
                        | "ServiceUnavailable"
                        | "InternalFailure"
                )
        }
        _ => false,
    }
}

/// The SDK failure as one line, with the service's error code and message.
pub fn describe<E, R>(err: &aws_smithy_runtime_api::client::result::SdkError<E, R>) -> String
where
    E: std::error::Error + 'static,
    R: std::fmt::Debug,
{
    aws_smithy_types::error::display::DisplayErrorContext(err).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_error_type_is_the_variant_name_the_state_machine_matches() {
        let d: Diagnostic = StepError::invalid("api_not_found", "no API x").into();
        assert_eq!(d.error_type, "InvalidStack");
        assert_eq!(d.error_message, "api_not_found: no API x");
        let d: Diagnostic = StepError::Transient("slow down".into()).into();
        assert_eq!(d.error_type, "Transient");
    }
}
