//! Every way a request can fail, mapped to its status and JSON shape in this one place.

use edgestack_aws::store::StoreError;
use edgestack_aws::workflow::WorkflowError;
use edgestack_domain::validated::FieldError;
use lambda_http::{Body, Response};
use serde_json::json;

/// Every kind is listed by `ApiError::iter()` (with empty details), which the contract test
/// checks against openapi.yaml.
#[derive(Debug, thiserror::Error, strum::EnumIter, strum::IntoStaticStr)]
pub enum ApiError {
    #[error("the request carries no caller identity; sign it with SigV4")]
    Unauthenticated,
    #[error("the request body is not valid JSON: {0}")]
    MalformedJson(String),
    #[error("the request has invalid fields")]
    Validation(Vec<FieldError>),
    #[error("the request body is larger than {limit} bytes")]
    PayloadTooLarge { limit: usize },
    #[error("the request body must be JSON, sent with Content-Type: application/json")]
    UnsupportedMediaType,
    #[error("the caller may not use what the request names")]
    Forbidden(Vec<FieldError>),
    #[error("no such stack")]
    StackNotFound,
    #[error("no such resource: {0}")]
    RouteNotFound(String),
    #[error("{method} is not allowed here; allowed: {allow}")]
    MethodNotAllowed { method: String, allow: String },
    #[error("this Idempotency-Key was already used with a different request body; use a new key for a new request")]
    IdempotencyKeyReused,
    #[error("{name} is already served by another stack ({holder}); delete that stack first, or choose another name")]
    DomainTaken { name: String, holder: String },
    #[error("the stack is already being deleted")]
    DeleteInProgress,
    #[error("the stack is already deleted")]
    AlreadyDeleted,
    #[error("too many requests; retry with backoff")]
    Throttled,
    #[error("the service could not complete the request right now; retry with backoff")]
    Unavailable(String),
    #[error("an internal error occurred")]
    Internal(String),
}

impl ApiError {
    pub fn status(&self) -> u16 {
        match self {
            Self::MalformedJson(_) | Self::Validation(_) => 400,
            Self::Unauthenticated => 401,
            Self::Forbidden(_) => 403,
            Self::StackNotFound | Self::RouteNotFound(_) => 404,
            Self::MethodNotAllowed { .. } => 405,
            Self::IdempotencyKeyReused
            | Self::DomainTaken { .. }
            | Self::DeleteInProgress
            | Self::AlreadyDeleted => 409,
            Self::PayloadTooLarge { .. } => 413,
            Self::UnsupportedMediaType => 415,
            Self::Throttled => 429,
            Self::Internal(_) => 500,
            Self::Unavailable(_) => 503,
        }
    }

    pub fn code(&self) -> &'static str {
        match self {
            Self::Unauthenticated => "unauthenticated",
            Self::MalformedJson(_) => "malformed_json",
            Self::Validation(_) => "validation_failed",
            Self::PayloadTooLarge { .. } => "payload_too_large",
            Self::UnsupportedMediaType => "unsupported_media_type",
            Self::Forbidden(_) => "forbidden",
            Self::StackNotFound => "stack_not_found",
            Self::RouteNotFound(_) => "route_not_found",
            Self::MethodNotAllowed { .. } => "method_not_allowed",
            Self::IdempotencyKeyReused => "idempotency_key_reused",
            Self::DomainTaken { .. } => "domain_taken",
            Self::DeleteInProgress => "delete_in_progress",
            Self::AlreadyDeleted => "already_deleted",
            Self::Throttled => "throttled",
            Self::Unavailable(_) => "service_unavailable",
            Self::Internal(_) => "internal_error",
        }
    }

    /// The variant's name (`StackNotFound`): how the contract names a kind.
    pub fn kind(&self) -> &'static str {
        self.into()
    }

    fn details(&self) -> &[FieldError] {
        match self {
            Self::Validation(details) | Self::Forbidden(details) => details,
            _ => &[],
        }
    }

    pub fn into_response(self) -> Response<Body> {
        match &self {
            // The cause of a 5xx is for the operator's log, not for the caller.
            Self::Internal(cause) => tracing::error!(code = self.code(), %cause, "request failed"),
            Self::Unavailable(cause) => {
                tracing::warn!(code = self.code(), %cause, "request failed")
            }
            _ => tracing::info!(
                code = self.code(),
                status = self.status(),
                "request refused"
            ),
        }
        let body = json!({
            "error": {
                "code": self.code(),
                "message": self.to_string(),
                "details": self.details(),
            }
        });
        let mut response = crate::app::json_response(self.status(), &body);
        if let Self::MethodNotAllowed { allow, .. } = &self {
            let allow = http::HeaderValue::from_str(allow).expect("method names are header values");
            response.headers_mut().insert("allow", allow);
        }
        response
    }
}

/// What an operation may meet in what it stands on (DynamoDB, Step Functions), whatever it
/// was asked: every operation's refusals include these.
#[derive(Debug, Default, thiserror::Error, strum::EnumIter)]
pub enum ServiceFailure {
    #[default]
    #[error("throttled")]
    Throttled,
    #[error("unavailable: {0}")]
    Unavailable(String),
    #[error("internal: {0}")]
    Internal(String),
}

impl From<StoreError> for ServiceFailure {
    fn from(err: StoreError) -> Self {
        match err {
            StoreError::Throttled(_) => Self::Throttled,
            StoreError::Backend(_) => Self::Unavailable(edgestack_aws::store::with_causes(&err)),
            StoreError::Conflict => {
                Self::Unavailable("the stack kept changing under the update".into())
            }
            // Stacks are never removed while they can be asked about (a DELETED one expires
            // after 30 days): one that vanished mid-request is the service's fault.
            StoreError::NotFound(id) => {
                Self::Internal(format!("stack {id} vanished while the request was handled"))
            }
            StoreError::Corrupt(cause) => Self::Internal(cause),
        }
    }
}

impl From<WorkflowError> for ServiceFailure {
    fn from(err: WorkflowError) -> Self {
        Self::Unavailable(err.to_string())
    }
}

impl From<ServiceFailure> for ApiError {
    fn from(failure: ServiceFailure) -> Self {
        match failure {
            ServiceFailure::Throttled => Self::Throttled,
            ServiceFailure::Unavailable(cause) => Self::Unavailable(cause),
            ServiceFailure::Internal(cause) => Self::Internal(cause),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    use strum::IntoEnumIterator;

    #[test]
    fn every_kind_has_its_own_code() {
        let all: Vec<ApiError> = ApiError::iter().collect();
        let kinds: std::collections::BTreeSet<&str> = all.iter().map(ApiError::kind).collect();
        let codes: std::collections::BTreeSet<&str> = all.iter().map(ApiError::code).collect();
        assert_eq!(kinds.len(), all.len(), "a kind listed twice");
        assert_eq!(codes.len(), all.len(), "two kinds share a code");
        // The Debug name starts with the kind: `kind` and the variants agree.
        for error in &all {
            assert!(format!("{error:?}").starts_with(error.kind()), "{error:?}");
        }
    }
}
