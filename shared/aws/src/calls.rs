//! What each function may call in AWS, declared once in `infra/calls.json`. Two checks keep the
//! declaration true, neither by reading source code:
//! - every SDK client a function builds carries a `DeclaredCalls` interceptor that refuses a
//!   call the function's entry does not list, before anything is sent; so a step that starts
//!   calling something new fails its unit tests (whose mocked clients get their function's
//!   declaration through `Clients::given`) and its end-to-end tests (which run every
//!   function's binary) until the call is declared;
//! - infra/check_iam.py checks that each function's role grants exactly the IAM actions its
//!   declared calls need.
//!
//! In AWS a call outside the role's policy fails anyway (AccessDenied); refusing it here says
//! which declaration is missing instead, and in every environment, the local one included.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use aws_smithy_runtime_api::box_error::BoxError;
use aws_smithy_runtime_api::client::interceptors::context::BeforeSerializationInterceptorContextRef;
use aws_smithy_runtime_api::client::interceptors::Intercept;
use aws_smithy_runtime_api::client::orchestrator::Metadata;
use aws_smithy_runtime_api::client::runtime_components::RuntimeComponents;
use aws_smithy_types::config_bag::ConfigBag;

use crate::config::ConfigError;

/// The declaration, compiled into every function: what a binary may call cannot drift from the
/// file its role is checked against.
pub const DECLARED: &str = include_str!("../../../infra/calls.json");

/// The prefix a call is declared under, from the service name the SDK gives the operation.
fn prefix(sdk_service: &str) -> Option<&'static str> {
    Some(match sdk_service {
        "ACM" => "acm",
        "API Gateway" => "apigateway",
        "CloudFront" => "cloudfront",
        "Route 53" => "route53",
        "DynamoDB" => "dynamodb",
        "SFN" => "sfn",
        _ => return None,
    })
}

/// Every function's declared calls (`service:Operation`), by function name.
pub fn declarations() -> Result<BTreeMap<String, BTreeSet<String>>, String> {
    let mut all: BTreeMap<String, serde_json::Value> =
        serde_json::from_str(DECLARED).map_err(|e| format!("infra/calls.json: {e}"))?;
    all.remove("$comment");
    all.into_iter()
        .map(|(function, calls)| {
            let calls: BTreeSet<String> = serde_json::from_value(calls)
                .map_err(|e| format!("infra/calls.json, {function}: {e}"))?;
            Ok((function, calls))
        })
        .collect()
}

/// The interceptor that holds one function to its declared calls.
#[derive(Debug, Clone)]
pub struct DeclaredCalls {
    function: Arc<str>,
    calls: Arc<BTreeSet<String>>,
}

impl DeclaredCalls {
    /// The calls `function` (a directory under `functions/`) declares.
    pub fn of(function: &str) -> Result<Self, ConfigError> {
        let problem = |problem: String| ConfigError {
            name: "infra/calls.json",
            problem,
        };
        let calls = declarations()
            .map_err(problem)?
            .remove(function)
            .ok_or_else(|| problem(format!("declares nothing for the function {function}")))?;
        Ok(Self {
            function: function.into(),
            calls: Arc::new(calls),
        })
    }

    /// A declaration of no call at all: for a context that must not reach AWS (the store-only
    /// `Deps` of unit tests).
    pub fn nothing() -> Self {
        Self {
            function: "nothing (no AWS call expected)".into(),
            calls: Arc::default(),
        }
    }

    pub fn allows(&self, sdk_service: &str, operation: &str) -> bool {
        prefix(sdk_service).is_some_and(|p| self.calls.contains(&format!("{p}:{operation}")))
    }
}

impl Intercept for DeclaredCalls {
    fn name(&self) -> &'static str {
        "DeclaredCalls"
    }

    // Not `read_before_execution`: a client's interceptors see that hook before the operation
    // has put its name in the config bag.
    fn read_before_serialization(
        &self,
        _context: &BeforeSerializationInterceptorContextRef<'_>,
        _runtime_components: &RuntimeComponents,
        cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        let Some(call) = cfg.load::<Metadata>() else {
            return Err(format!("{}: an AWS call without an operation name", self.function).into());
        };
        if self.allows(call.service(), call.name()) {
            return Ok(());
        }
        Err(format!(
            "the function {} calls {}:{}, which infra/calls.json does not declare for it (nor its role grant)",
            self.function,
            prefix(call.service()).unwrap_or(call.service()),
            call.name()
        )
        .into())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_function_and_only_functions_declare_their_calls() {
        let functions_dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../../functions");
        let functions: BTreeSet<String> = std::fs::read_dir(functions_dir)
            .unwrap()
            .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        let declared = declarations().unwrap();
        let names: BTreeSet<String> = declared.keys().cloned().collect();
        assert_eq!(names, functions);
        for (function, calls) in declared {
            for call in calls {
                let (service, operation) = call.split_once(':').unwrap();
                assert!(
                    [
                        "acm",
                        "apigateway",
                        "cloudfront",
                        "route53",
                        "dynamodb",
                        "sfn"
                    ]
                    .contains(&service)
                        && operation.starts_with(|c: char| c.is_ascii_uppercase()),
                    "{function}: {call} is not `service:Operation`"
                );
            }
        }
    }

    #[test]
    fn an_unknown_function_is_a_configuration_error() {
        let err = DeclaredCalls::of("no-such-function").unwrap_err();
        assert!(err.to_string().contains("no-such-function"), "{err}");
    }

    #[tokio::test]
    async fn a_client_refuses_a_call_its_function_does_not_declare_before_sending_it() {
        use aws_smithy_mocks::{mock, mock_client};
        let get = mock!(aws_sdk_dynamodb::Client::get_item).then_output(|| {
            aws_sdk_dynamodb::operation::get_item::GetItemOutput::builder().build()
        });
        let query = mock!(aws_sdk_dynamodb::Client::query)
            .then_output(|| aws_sdk_dynamodb::operation::query::QueryOutput::builder().build());
        let declared = DeclaredCalls::of("mark-ready").unwrap();
        let client = mock_client!(
            aws_sdk_dynamodb,
            aws_smithy_mocks::RuleMode::MatchAny,
            [&get, &query],
            |config| config.interceptor(declared.clone())
        );
        client
            .get_item()
            .table_name("stacks")
            .send()
            .await
            .expect("mark-ready declares dynamodb:GetItem");
        let refused = client
            .query()
            .table_name("stacks")
            .send()
            .await
            .expect_err("mark-ready does not declare dynamodb:Query");
        let causes = crate::store::with_causes(&refused);
        assert!(
            causes.contains("the function mark-ready calls dynamodb:Query"),
            "{causes}"
        );
        // Refused while the request was being built: it never reached the wire.
        assert!(
            matches!(
                refused,
                aws_smithy_runtime_api::client::result::SdkError::ConstructionFailure(_)
            ),
            "{refused:?}"
        );
    }
}
