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
    /// An account-wide rate limit that AWS will not raise (API Gateway allows one
    /// `CreateDomainName` and one `DeleteDomainName` every 30 seconds per account): retried with
    /// jittered waits that outlast the window, so concurrent stacks take turns.
    #[error("rate_limited: {0}")]
    RateLimited(String),
    /// AWS has not caught up with a change yet (ACM publishes a certificate's validation record
    /// seconds after the request; CloudFront refuses a certificate for a short while after ACM
    /// issued it): asked again at a short, even interval, so the step goes on within a second or
    /// a few of AWS catching up; what the code says if it never does.
    #[error("{code}: {message}")]
    Settling { code: &'static str, message: String },
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
    /// An AWS call failed in a way no step gives a meaning of its own: retried when
    /// `transient` (errorType `Transient`: throttling, a 5xx, a timeout, no answer), a bug
    /// otherwise (`Internal`). The SDK's error is kept as the source, with its own chain.
    #[error("{}: an AWS call failed", if *transient { "transient" } else { "internal" })]
    Aws {
        transient: bool,
        #[source]
        source: Box<dyn std::error::Error + Send + Sync>,
    },
    /// The stack store failed: retried (errorType `Transient`), unless a stored stack cannot be
    /// read (`Internal`). The store's error is kept as the source.
    #[error("{}: the stack store failed", if *transient { "transient" } else { "internal" })]
    Store {
        transient: bool,
        #[source]
        source: edgestack_aws::store::StoreError,
    },
}

impl StepError {
    pub fn error_type(&self) -> &'static str {
        match self {
            Self::InvalidStack { .. } => "InvalidStack",
            Self::Conflict { .. } => "Conflict",
            Self::Transient(_) => "Transient",
            Self::RateLimited(_) => "RateLimited",
            Self::Settling { .. } => "Settling",
            Self::DeadlineExceeded(_) => "DeadlineExceeded",
            Self::StackGone(_) => "StackGone",
            Self::SmokeTestFailed(_) => "SmokeTestFailed",
            Self::Internal(_) => "Internal",
            Self::Aws { transient, .. } | Self::Store { transient, .. } => {
                if *transient {
                    "Transient"
                } else {
                    "Internal"
                }
            }
        }
    }

    pub fn invalid(code: &'static str, message: impl Into<String>) -> Self {
        Self::InvalidStack {
            code,
            message: message.into(),
        }
    }
}

/// What a failure says to the stack's owner: a stable code and a message to act on. It travels
/// as the Lambda error's `errorMessage`, as JSON, to the failure recorder (`failure::explain`),
/// which reads it back as this type.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct OwnerMessage {
    pub code: String,
    pub message: String,
}

impl StepError {
    /// What this failure says to the owner; `None` for outages and bugs, which the owner cannot
    /// act on (the step's log has their cause).
    pub fn owner_message(&self) -> Option<OwnerMessage> {
        let (code, message) = match self {
            Self::InvalidStack { code, message }
            | Self::Conflict { code, message }
            | Self::Settling { code, message } => (*code, message),
            Self::DeadlineExceeded(message) => ("deadline_exceeded", message),
            Self::SmokeTestFailed(message) => ("smoke_test_failed", message),
            _ => return None,
        };
        Some(OwnerMessage {
            code: code.to_owned(),
            message: message.clone(),
        })
    }
}

impl From<StepError> for Diagnostic {
    fn from(err: StepError) -> Self {
        // The whole chain: an AWS or store failure says why in its sources.
        let chain = edgestack_aws::store::with_causes(&err);
        tracing::warn!(error_type = err.error_type(), error = %chain, "step failed");
        let error_message = match err.owner_message() {
            Some(said) => serde_json::to_string(&said).unwrap_or(chain),
            None => chain,
        };
        Diagnostic {
            error_type: err.error_type().to_owned(),
            error_message,
        }
    }
}

impl StepError {
    /// This failure as a `SendTaskFailure` sends it for a parked task: the same error name and
    /// cause (`{"errorType", "errorMessage"}`) the task's Lambda failing with it would give, so
    /// the state machine's Retry and Catch and the failure recorder read both alike.
    pub fn into_task_failure(self) -> (&'static str, String) {
        let error = self.error_type();
        let diagnostic = Diagnostic::from(self);
        let cause = serde_json::json!({
            "errorType": diagnostic.error_type,
            "errorMessage": diagnostic.error_message,
        })
        .to_string();
        (error, cause)
    }
}

impl From<edgestack_aws::store::StoreError> for StepError {
    fn from(err: edgestack_aws::store::StoreError) -> Self {
        use edgestack_aws::store::StoreError;
        match err {
            StoreError::NotFound(id) => Self::StackGone(format!("stack {id} does not exist")),
            StoreError::Conflict | StoreError::Throttled(_) | StoreError::Backend(_) => {
                Self::Store {
                    transient: true,
                    source: err,
                }
            }
            StoreError::Corrupt(_) => Self::Store {
                transient: false,
                source: err,
            },
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

pub type Sdk<E> = aws_smithy_runtime_api::client::result::SdkError<
    E,
    aws_smithy_runtime_api::client::orchestrator::HttpResponse,
>;

/// Any AWS failure no step gives a meaning of its own: transient (retried with backoff by the
/// state machine) or a bug (caught and rolled back).
pub fn from_sdk<E>(e: Sdk<E>) -> StepError
where
    E: std::error::Error
        + aws_smithy_types::error::metadata::ProvideErrorMetadata
        + Send
        + Sync
        + 'static,
{
    StepError::Aws {
        transient: is_transient(&e),
        source: Box::new(e),
    }
}

/// CloudFront's refusals of a new distribution, for the person who must act on them.
pub fn create_distribution(
    e: Sdk<aws_sdk_cloudfront::operation::create_distribution_with_tags::CreateDistributionWithTagsError>,
    name: &str,
) -> StepError {
    use aws_sdk_cloudfront::operation::create_distribution_with_tags::CreateDistributionWithTagsError as E;
    match e.as_service_error() {
        Some(E::CnameAlreadyExists(_)) => StepError::Conflict {
            code: "name_in_use",
            message: format!("CloudFront says another distribution already serves {name}. Remove that alias first, or choose another name."),
        },
        // CloudFront also refuses a certificate for a short while after ACM issued it
        // (terraform-provider-aws #4698 retries it for a minute): `Settling` is retried every
        // few seconds for two minutes, and the code stands if it persists.
        Some(E::InvalidViewerCertificate(_)) => StepError::Settling {
            code: "certificate_not_usable",
            message: "CloudFront refused the certificate (it must be ISSUED, in us-east-1, and cover the name).".into(),
        },
        // The caller reference is the stack's: a create whose answer was lost made it. The
        // retry finds it by the stack's comment, which that create also set.
        Some(E::DistributionAlreadyExists(_)) => StepError::Transient(format!(
            "a distribution with this stack's caller reference exists already; looking it up again: {}",
            describe(&e)
        )),
        Some(E::TooManyDistributions(_)) => StepError::invalid(
            "distribution_quota_reached",
            "The account has reached its CloudFront distribution quota. Ask AWS for a higher quota or delete unused distributions.",
        ),
        _ => from_sdk(e),
    }
}

/// Disabling a distribution: `Ok` when it is gone already; a stale ETag is read again.
pub fn disable_distribution(
    e: Sdk<aws_sdk_cloudfront::operation::update_distribution::UpdateDistributionError>,
    id: &str,
) -> Result<(), StepError> {
    use aws_sdk_cloudfront::operation::update_distribution::UpdateDistributionError as E;
    match e.as_service_error() {
        Some(E::NoSuchDistribution(_)) => Ok(()),
        Some(E::PreconditionFailed(_)) => Err(StepError::Transient(format!(
            "distribution {id} changed while being disabled; reading it again"
        ))),
        _ => Err(from_sdk(e)),
    }
}

/// Deleting a distribution: `Ok` when it is gone already; not yet disabled and deployed, or a
/// stale ETag, is worth another try.
pub fn delete_distribution(
    e: Sdk<aws_sdk_cloudfront::operation::delete_distribution::DeleteDistributionError>,
    id: &str,
) -> Result<(), StepError> {
    use aws_sdk_cloudfront::operation::delete_distribution::DeleteDistributionError as E;
    match e.as_service_error() {
        Some(E::NoSuchDistribution(_)) => Ok(()),
        Some(E::DistributionNotDisabled(_)) | Some(E::PreconditionFailed(_)) => {
            Err(StepError::Transient(format!(
                "distribution {id} is not ready to delete yet: {}",
                describe(&e)
            )))
        }
        _ => Err(from_sdk(e)),
    }
}

/// What became of a `DeleteCertificate`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CertificateDeletion {
    /// Deleted now, or gone already.
    Gone,
    /// ACM still counts a user: CloudFront and API Gateway let go of a certificate minutes after
    /// their resource is deleted (10 to 20 after an API Gateway domain: aws-cdk #36265,
    /// serverless-domain-manager #32, terraform-provider-aws #3868). The state machine waits.
    InUse,
}

/// Deleting a certificate: gone already counts as deleted; "in use" is for the caller to wait on.
pub fn delete_certificate(
    e: Sdk<aws_sdk_acm::operation::delete_certificate::DeleteCertificateError>,
) -> Result<CertificateDeletion, StepError> {
    use aws_sdk_acm::operation::delete_certificate::DeleteCertificateError as E;
    match e.as_service_error() {
        Some(E::ResourceNotFoundException(_)) => Ok(CertificateDeletion::Gone),
        Some(E::ResourceInUseException(_)) => Ok(CertificateDeletion::InUse),
        _ => Err(from_sdk(e)),
    }
}

/// `CreateDomainName` after the step found no domain of the name: a `ConflictException` means
/// one appeared meanwhile, most often made by this very call (the SDK retried it after its answer
/// was lost), so the step runs again and reads it, carrying on only if it is this stack's.
pub fn create_domain_name(
    e: Sdk<aws_sdk_apigateway::operation::create_domain_name::CreateDomainNameError>,
) -> StepError {
    use aws_sdk_apigateway::operation::create_domain_name::CreateDomainNameError as E;
    match e.as_service_error() {
        Some(E::ConflictException(_)) => StepError::Transient(format!(
            "the custom domain exists now; reading it again: {}",
            describe(&e)
        )),
        _ => domain_name_call(e),
    }
}

/// API Gateway's `CreateDomainName` and `DeleteDomainName`: a 429 there is the account's quota
/// of one call every 30 seconds (API Gateway quotas, not raisable), which concurrent stacks
/// share, so it is waited out (`RateLimited`), not retried like a passing throttle.
pub fn domain_name_call<E>(e: Sdk<E>) -> StepError
where
    E: std::error::Error
        + aws_smithy_types::error::metadata::ProvideErrorMetadata
        + Send
        + Sync
        + 'static,
{
    if is_too_many_requests(&e) {
        StepError::RateLimited(describe(&e))
    } else {
        from_sdk(e)
    }
}

/// API Gateway's throttle: a 429, `TooManyRequestsException`.
pub fn is_too_many_requests<E>(e: &Sdk<E>) -> bool
where
    E: aws_smithy_types::error::metadata::ProvideErrorMetadata,
{
    use aws_smithy_runtime_api::client::result::SdkError;
    match e {
        SdkError::ServiceError(service) => {
            service.raw().status().as_u16() == 429
                || service.err().code() == Some("TooManyRequestsException")
        }
        _ => false,
    }
}

/// A Route 53 change: a zone with a change still pending and the 5-a-second rate limit are
/// worth another try; a batch Route 53 refuses is a bug.
pub fn change_records(
    e: Sdk<aws_sdk_route53::operation::change_resource_record_sets::ChangeResourceRecordSetsError>,
) -> StepError {
    use aws_sdk_route53::operation::change_resource_record_sets::ChangeResourceRecordSetsError as E;
    match e.as_service_error() {
        Some(E::PriorRequestNotComplete(_)) => StepError::Transient(format!(
            "the hosted zone has a change pending: {}",
            describe(&e)
        )),
        _ => from_sdk(e),
    }
}

/// A Route 53 change decided on records just listed (a `DELETE` of them, a `CREATE` where there
/// were none): `InvalidChangeBatch` says the zone is no longer as listed (a retry of a delete
/// whose answer was lost finds them gone: "Tried to delete resource record set ... but it was
/// not found"; a record appeared meanwhile), so the step lists them again.
pub fn change_listed_records(
    e: Sdk<aws_sdk_route53::operation::change_resource_record_sets::ChangeResourceRecordSetsError>,
) -> StepError {
    use aws_sdk_route53::operation::change_resource_record_sets::ChangeResourceRecordSetsError as E;
    match e.as_service_error() {
        Some(E::InvalidChangeBatch(_)) => StepError::Transient(format!(
            "the records changed since they were listed; listing them again: {}",
            describe(&e)
        )),
        _ => change_records(e),
    }
}

/// What a certificate's status means for the stack: `None` while it may still be issued.
pub fn certificate_status(
    status: &aws_sdk_acm::types::CertificateStatus,
    region: &str,
    arn: &str,
) -> Option<StepError> {
    use aws_sdk_acm::types::CertificateStatus as S;
    match status {
        S::Failed => Some(StepError::invalid(
            "certificate_failed",
            format!("ACM could not issue the certificate {arn} in {region}. Check that the name is spelled right and that no CAA record forbids Amazon."),
        )),
        S::ValidationTimedOut => Some(StepError::invalid(
            "certificate_validation_timed_out",
            format!("ACM gave up validating {arn} in {region} after 72 hours: the validation CNAME was never found. Create it, then create the stack again."),
        )),
        S::Revoked | S::Expired | S::Inactive => Some(StepError::invalid(
            "certificate_unusable",
            format!("the certificate {arn} in {region} is {status}"),
        )),
        _ => None,
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
        let said: OwnerMessage = serde_json::from_str(&d.error_message).expect("an OwnerMessage");
        assert_eq!(
            said,
            OwnerMessage {
                code: "api_not_found".into(),
                message: "no API x".into()
            }
        );
        let d: Diagnostic = StepError::Transient("slow down".into()).into();
        assert_eq!(d.error_type, "Transient");
        assert_eq!(
            d.error_message, "transient: slow down",
            "an outage says nothing to the owner"
        );
    }
}

/// AWS errors the emulator never produces, each through a real SDK client whose responses are
/// mocked, so that what the steps see is exactly what the SDK hands them.
#[cfg(test)]
mod aws_error_tests {
    use super::*;
    use aws_sdk_acm::operation::delete_certificate::DeleteCertificateError;
    use aws_sdk_acm::types::CertificateStatus;
    use aws_sdk_cloudfront::operation::create_distribution_with_tags::CreateDistributionWithTagsError;
    use aws_sdk_cloudfront::operation::delete_distribution::DeleteDistributionError;
    use aws_sdk_cloudfront::operation::update_distribution::UpdateDistributionError;
    use aws_sdk_route53::operation::change_resource_record_sets::ChangeResourceRecordSetsError;
    use aws_smithy_mocks::{mock, mock_client};
    use aws_smithy_types::error::ErrorMetadata;

    fn meta(code: &str) -> ErrorMetadata {
        ErrorMetadata::builder()
            .code(code)
            .message("mocked")
            .build()
    }

    #[tokio::test]
    async fn an_aws_failure_keeps_the_sdk_error_as_its_source_and_says_it_whole() {
        let throttled = mock!(aws_sdk_acm::Client::delete_certificate).then_error(|| {
            DeleteCertificateError::generic(
                ErrorMetadata::builder()
                    .code("ThrottlingException")
                    .message("Rate exceeded")
                    .build(),
            )
        });
        let client = mock_client!(aws_sdk_acm, [&throttled]);
        let err = from_sdk(client.delete_certificate().send().await.unwrap_err());
        assert_eq!(err.error_type(), "Transient");
        let source = std::error::Error::source(&err).expect("the SDK's error is the source");
        assert!(
            source
                .downcast_ref::<Sdk<DeleteCertificateError>>()
                .is_some(),
            "{source:?}"
        );
        let said: Diagnostic = err.into();
        assert!(
            said.error_message.contains("Rate exceeded"),
            "{}",
            said.error_message
        );
        assert!(said
            .error_message
            .starts_with("transient: an AWS call failed"));
    }

    #[test]
    fn a_store_failure_keeps_the_store_error_as_its_source() {
        use edgestack_aws::store::StoreError;
        let err = StepError::from(StoreError::Throttled("slow down".into()));
        assert_eq!(err.error_type(), "Transient");
        let chain = edgestack_aws::store::with_causes(&err);
        assert_eq!(
            chain,
            "transient: the stack store failed: the stack store is throttling requests: slow down"
        );
        let unreadable = StepError::from(StoreError::Corrupt("bad JSON".into()));
        assert_eq!(unreadable.error_type(), "Internal");
    }

    async fn create_distribution_failing(
        error: fn() -> CreateDistributionWithTagsError,
    ) -> StepError {
        let rule =
            mock!(aws_sdk_cloudfront::Client::create_distribution_with_tags).then_error(error);
        let client = mock_client!(aws_sdk_cloudfront, [&rule]);
        let e = client
            .create_distribution_with_tags()
            .send()
            .await
            .unwrap_err();
        create_distribution(e, "api.example.com")
    }

    #[tokio::test]
    async fn an_alias_taken_by_another_distribution_is_a_conflict_naming_it() {
        let err = create_distribution_failing(|| {
            CreateDistributionWithTagsError::CnameAlreadyExists(
                aws_sdk_cloudfront::types::error::CnameAlreadyExists::builder()
                    .meta(meta("CNAMEAlreadyExists"))
                    .build(),
            )
        })
        .await;
        assert_eq!(err.error_type(), "Conflict");
        assert!(err.to_string().starts_with("name_in_use: "), "{err}");
        assert!(err.to_string().contains("api.example.com"));
    }

    #[tokio::test]
    async fn a_certificate_cloudfront_refuses_is_explained() {
        let err = create_distribution_failing(|| {
            CreateDistributionWithTagsError::InvalidViewerCertificate(
                aws_sdk_cloudfront::types::error::InvalidViewerCertificate::builder().build(),
            )
        })
        .await;
        assert!(
            err.to_string().starts_with("certificate_not_usable: "),
            "{err}"
        );
        assert_eq!(
            err.error_type(),
            "Settling",
            "refused right after issuance too: retried for two minutes before it stands"
        );
    }

    #[tokio::test]
    async fn a_distribution_made_by_a_lost_create_is_looked_up_again() {
        let err = create_distribution_failing(|| {
            CreateDistributionWithTagsError::DistributionAlreadyExists(
                aws_sdk_cloudfront::types::error::DistributionAlreadyExists::builder().build(),
            )
        })
        .await;
        assert_eq!(err.error_type(), "Transient", "{err}");
    }

    #[tokio::test]
    async fn api_gateway_domain_quota_is_waited_out_and_other_errors_are_not() {
        use aws_sdk_apigateway::operation::create_domain_name::CreateDomainNameError;
        let throttled =
            mock!(aws_sdk_apigateway::Client::create_domain_name).then_http_response(|| {
                aws_smithy_runtime_api::http::Response::new(
                    aws_smithy_runtime_api::http::StatusCode::try_from(429).unwrap(),
                    aws_smithy_types::body::SdkBody::from(r#"{"message":"Too Many Requests"}"#),
                )
            });
        let bad = mock!(aws_sdk_apigateway::Client::create_domain_name).then_error(|| {
            CreateDomainNameError::BadRequestException(
                aws_sdk_apigateway::types::error::BadRequestException::builder().build(),
            )
        });
        let conflict = mock!(aws_sdk_apigateway::Client::create_domain_name).then_error(|| {
            CreateDomainNameError::ConflictException(
                aws_sdk_apigateway::types::error::ConflictException::builder().build(),
            )
        });
        let client = mock_client!(aws_sdk_apigateway, [&throttled, &bad, &conflict]);
        let e = client
            .create_domain_name()
            .domain_name("api.example.com")
            .send()
            .await
            .unwrap_err();
        assert_eq!(domain_name_call(e).error_type(), "RateLimited");
        let e = client
            .create_domain_name()
            .domain_name("api.example.com")
            .send()
            .await
            .unwrap_err();
        assert_eq!(domain_name_call(e).error_type(), "Internal");
        let e = client
            .create_domain_name()
            .domain_name("api.example.com")
            .send()
            .await
            .unwrap_err();
        assert_eq!(
            create_domain_name(e).error_type(),
            "Transient",
            "a domain made by a create whose answer was lost is read again"
        );
    }

    #[tokio::test]
    async fn a_distribution_quota_is_explained() {
        let err = create_distribution_failing(|| {
            CreateDistributionWithTagsError::TooManyDistributions(
                aws_sdk_cloudfront::types::error::TooManyDistributions::builder().build(),
            )
        })
        .await;
        assert!(
            err.to_string().starts_with("distribution_quota_reached: "),
            "{err}"
        );
    }

    #[tokio::test]
    async fn cloudfront_throttling_is_retried() {
        for code in ["Throttling", "TooManyRequests"] {
            let rule = mock!(aws_sdk_cloudfront::Client::create_distribution_with_tags)
                .then_error(move || CreateDistributionWithTagsError::generic(meta(code)));
            let client = mock_client!(aws_sdk_cloudfront, [&rule]);
            let e = client
                .create_distribution_with_tags()
                .send()
                .await
                .unwrap_err();
            assert_eq!(
                create_distribution(e, "x").error_type(),
                "Transient",
                "{code}"
            );
        }
    }

    #[tokio::test]
    async fn a_stale_etag_reads_again_and_a_gone_distribution_is_done() {
        let stale = mock!(aws_sdk_cloudfront::Client::update_distribution).then_error(|| {
            UpdateDistributionError::PreconditionFailed(
                aws_sdk_cloudfront::types::error::PreconditionFailed::builder().build(),
            )
        });
        let gone = mock!(aws_sdk_cloudfront::Client::update_distribution).then_error(|| {
            UpdateDistributionError::NoSuchDistribution(
                aws_sdk_cloudfront::types::error::NoSuchDistribution::builder().build(),
            )
        });
        let client = mock_client!(aws_sdk_cloudfront, [&stale, &gone]);
        let e = client
            .update_distribution()
            .id("E1")
            .if_match("old")
            .send()
            .await
            .unwrap_err();
        assert_eq!(
            disable_distribution(e, "E1").unwrap_err().error_type(),
            "Transient"
        );
        let e = client
            .update_distribution()
            .id("E1")
            .send()
            .await
            .unwrap_err();
        assert!(disable_distribution(e, "E1").is_ok());
    }

    #[tokio::test]
    async fn deleting_an_enabled_distribution_waits_and_a_gone_one_is_done() {
        let not_disabled =
            mock!(aws_sdk_cloudfront::Client::delete_distribution).then_error(|| {
                DeleteDistributionError::DistributionNotDisabled(
                    aws_sdk_cloudfront::types::error::DistributionNotDisabled::builder().build(),
                )
            });
        let stale = mock!(aws_sdk_cloudfront::Client::delete_distribution).then_error(|| {
            DeleteDistributionError::PreconditionFailed(
                aws_sdk_cloudfront::types::error::PreconditionFailed::builder().build(),
            )
        });
        let gone = mock!(aws_sdk_cloudfront::Client::delete_distribution).then_error(|| {
            DeleteDistributionError::NoSuchDistribution(
                aws_sdk_cloudfront::types::error::NoSuchDistribution::builder().build(),
            )
        });
        let client = mock_client!(aws_sdk_cloudfront, [&not_disabled, &stale, &gone]);
        for _ in 0..2 {
            let e = client
                .delete_distribution()
                .id("E1")
                .send()
                .await
                .unwrap_err();
            assert_eq!(
                delete_distribution(e, "E1").unwrap_err().error_type(),
                "Transient"
            );
        }
        let e = client
            .delete_distribution()
            .id("E1")
            .send()
            .await
            .unwrap_err();
        assert!(delete_distribution(e, "E1").is_ok());
    }

    #[tokio::test]
    async fn a_certificate_still_in_use_waits_and_a_gone_one_is_done() {
        let in_use = mock!(aws_sdk_acm::Client::delete_certificate).then_error(|| {
            DeleteCertificateError::ResourceInUseException(
                aws_sdk_acm::types::error::ResourceInUseException::builder().build(),
            )
        });
        let gone = mock!(aws_sdk_acm::Client::delete_certificate).then_error(|| {
            DeleteCertificateError::ResourceNotFoundException(
                aws_sdk_acm::types::error::ResourceNotFoundException::builder().build(),
            )
        });
        let client = mock_client!(aws_sdk_acm, [&in_use, &gone]);
        let e = client
            .delete_certificate()
            .certificate_arn("arn")
            .send()
            .await
            .unwrap_err();
        assert_eq!(
            delete_certificate(e).expect("in use is no failure"),
            CertificateDeletion::InUse
        );
        let e = client
            .delete_certificate()
            .certificate_arn("arn")
            .send()
            .await
            .unwrap_err();
        assert_eq!(
            delete_certificate(e).expect("gone is deleted"),
            CertificateDeletion::Gone
        );
    }

    #[tokio::test]
    async fn a_delete_of_records_already_gone_lists_them_again() {
        let gone = mock!(aws_sdk_route53::Client::change_resource_record_sets).then_error(|| {
            ChangeResourceRecordSetsError::InvalidChangeBatch(
                aws_sdk_route53::types::error::InvalidChangeBatch::builder()
                    .message("Tried to delete resource record set [name='a.example.com.', type='A'] but it was not found")
                    .build(),
            )
        });
        let client = mock_client!(aws_sdk_route53, [&gone]);
        let e = client
            .change_resource_record_sets()
            .hosted_zone_id("Z1")
            .send()
            .await
            .unwrap_err();
        assert_eq!(change_listed_records(e).error_type(), "Transient");
    }

    #[tokio::test]
    async fn route53_busy_zone_and_rate_limit_are_retried_and_a_bad_batch_is_not() {
        let pending =
            mock!(aws_sdk_route53::Client::change_resource_record_sets).then_error(|| {
                ChangeResourceRecordSetsError::PriorRequestNotComplete(
                    aws_sdk_route53::types::error::PriorRequestNotComplete::builder()
                        .meta(meta("PriorRequestNotComplete"))
                        .build(),
                )
            });
        let throttled = mock!(aws_sdk_route53::Client::change_resource_record_sets)
            .then_error(|| ChangeResourceRecordSetsError::generic(meta("Throttling")));
        let invalid =
            mock!(aws_sdk_route53::Client::change_resource_record_sets).then_error(|| {
                ChangeResourceRecordSetsError::InvalidChangeBatch(
                    aws_sdk_route53::types::error::InvalidChangeBatch::builder()
                        .meta(meta("InvalidChangeBatch"))
                        .build(),
                )
            });
        let client = mock_client!(aws_sdk_route53, [&pending, &throttled, &invalid]);
        for want in ["Transient", "Transient", "Internal"] {
            let batch = aws_sdk_route53::types::ChangeBatch::builder()
                .set_changes(Some(vec![]))
                .build()
                .unwrap();
            let e = client
                .change_resource_record_sets()
                .hosted_zone_id("Z1")
                .change_batch(batch)
                .send()
                .await
                .unwrap_err();
            assert!(matches!(
                e,
                aws_smithy_runtime_api::client::result::SdkError::ServiceError(_)
            ));
            assert_eq!(change_records(e).error_type(), want);
        }
    }

    #[test]
    fn certificate_statuses_that_end_the_wait() {
        let failed = certificate_status(&CertificateStatus::Failed, "us-east-1", "arn").unwrap();
        assert!(failed.to_string().starts_with("certificate_failed: "));
        let timed_out =
            certificate_status(&CertificateStatus::ValidationTimedOut, "eu-west-1", "arn").unwrap();
        assert!(timed_out
            .to_string()
            .starts_with("certificate_validation_timed_out: "));
        assert!(timed_out.to_string().contains("72 hours"));
        assert!(
            certificate_status(&CertificateStatus::PendingValidation, "us-east-1", "arn").is_none()
        );
        assert!(certificate_status(&CertificateStatus::Issued, "us-east-1", "arn").is_none());
    }
}
