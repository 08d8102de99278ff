//! What the steps' unit tests share: `Deps` over the in-memory store, with clients that are
//! mocked (`aws-smithy-mocks`), so that no test needs an emulator.

use std::sync::Arc;

use aws_sdk_cloudfront::operation::list_distributions::ListDistributionsOutput;
use aws_sdk_cloudfront::types::{DistributionList, DistributionSummary};
use aws_smithy_mocks::mock_client;

use crate::{Deps, Settings};
use edgestack_aws::calls::DeclaredCalls;
use edgestack_aws::clients::Clients;
use edgestack_aws::store::MemoryStore;

/// A CloudFront client that answers nothing: a step that must not call CloudFront fails.
pub fn no_cloudfront() -> aws_sdk_cloudfront::Client {
    mock_client!(aws_sdk_cloudfront, [])
}

pub fn no_route53() -> aws_sdk_route53::Client {
    mock_client!(aws_sdk_route53, [])
}

pub fn no_acm() -> aws_sdk_acm::Client {
    mock_client!(aws_sdk_acm, [])
}

pub fn no_apigateway() -> aws_sdk_apigateway::Client {
    mock_client!(aws_sdk_apigateway, [])
}

/// Clients of which none answers, nor may be called.
pub fn no_aws() -> Clients {
    Clients::given(
        &DeclaredCalls::nothing(),
        no_cloudfront(),
        no_route53(),
        no_acm(),
        no_apigateway(),
    )
}

/// The mocked clients of `function` (its directory under `functions/`), held to the calls
/// infra/calls.json declares for it: a step's unit test fails on a call its function's role
/// would not be granted.
pub fn clients_of(
    function: &str,
    cloudfront: aws_sdk_cloudfront::Client,
    route53: aws_sdk_route53::Client,
    acm: aws_sdk_acm::Client,
    apigateway: aws_sdk_apigateway::Client,
) -> Clients {
    let declared = DeclaredCalls::of(function).expect("a function infra/calls.json declares");
    Clients::given(&declared, cloudfront, route53, acm, apigateway)
}

/// `Deps` over a fresh in-memory store with `clients` and the default settings.
pub fn deps(clients: Clients) -> Deps {
    Deps {
        store: Arc::new(MemoryStore::new()),
        clients,
        sdk: edgestack_aws::sdk::SdkConfig::builder()
            .behavior_version(aws_config::BehaviorVersion::latest())
            .build(),
        settings: Settings::default(),
        permissions: None,
        callbacks: Arc::new(edgestack_aws::callbacks::NoCallbacks),
    }
}

/// A CNAME record set, as Route 53 lists it.
pub fn cname(name: &str, value: &str) -> aws_sdk_route53::types::ResourceRecordSet {
    aws_sdk_route53::types::ResourceRecordSet::builder()
        .name(name)
        .r#type(aws_sdk_route53::types::RrType::Cname)
        .ttl(300)
        .resource_records(
            aws_sdk_route53::types::ResourceRecord::builder()
                .value(value)
                .build()
                .expect("a record"),
        )
        .build()
        .expect("a record set")
}

/// Route 53 listing `sets` for any name asked.
pub fn zone_holding(
    sets: Vec<aws_sdk_route53::types::ResourceRecordSet>,
) -> aws_smithy_mocks::Rule {
    use aws_sdk_route53::operation::list_resource_record_sets::ListResourceRecordSetsOutput;
    aws_smithy_mocks::mock!(aws_sdk_route53::Client::list_resource_record_sets).then_output(
        move || {
            ListResourceRecordSetsOutput::builder()
                .set_resource_record_sets(Some(sets.clone()))
                .is_truncated(false)
                .max_items(20)
                .build()
                .expect("a listing")
        },
    )
}

/// What a test's steps sent to waiting tasks and which watchers they started; tokens in
/// `stale` answer as Step Functions does for a task nothing waits on any more.
#[derive(Default)]
pub struct RecordedCallbacks {
    pub sent: std::sync::Mutex<Vec<Sent>>,
    pub stale: std::collections::HashSet<String>,
    /// Every `succeed` fails, as Step Functions failing to answer would.
    pub success_fails: bool,
    /// Watchers whose execution exists and has ended.
    pub ended_watchers: std::collections::HashSet<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Sent {
    Success {
        token: String,
        output: serde_json::Value,
    },
    Failure {
        token: String,
        error: String,
        cause: String,
    },
    Watcher {
        name: String,
    },
}

impl RecordedCallbacks {
    pub fn with_stale(tokens: &[&str]) -> Self {
        Self {
            stale: tokens.iter().map(|t| (*t).to_owned()).collect(),
            ..Self::default()
        }
    }

    pub fn sent(&self) -> Vec<Sent> {
        self.sent.lock().expect("not poisoned").clone()
    }

    fn delivered(&self, token: &str, sent: Sent) -> edgestack_aws::callbacks::Delivery {
        self.sent.lock().expect("not poisoned").push(sent);
        if self.stale.contains(token) {
            edgestack_aws::callbacks::Delivery::Stale
        } else {
            edgestack_aws::callbacks::Delivery::Taken
        }
    }
}

#[async_trait::async_trait]
impl edgestack_aws::callbacks::Callbacks for RecordedCallbacks {
    async fn succeed(
        &self,
        token: &str,
        output: &serde_json::Value,
    ) -> Result<edgestack_aws::callbacks::Delivery, edgestack_aws::callbacks::CallbackError> {
        if self.success_fails {
            return Err(edgestack_aws::callbacks::CallbackError {
                action: "resume a waiting task",
                message: "no answer".into(),
            });
        }
        Ok(self.delivered(
            token,
            Sent::Success {
                token: token.to_owned(),
                output: output.clone(),
            },
        ))
    }

    async fn fail(
        &self,
        token: &str,
        error: &str,
        cause: &str,
    ) -> Result<edgestack_aws::callbacks::Delivery, edgestack_aws::callbacks::CallbackError> {
        Ok(self.delivered(
            token,
            Sent::Failure {
                token: token.to_owned(),
                error: error.to_owned(),
                cause: cause.to_owned(),
            },
        ))
    }

    async fn start_watcher(
        &self,
        name: &str,
        _input: &serde_json::Value,
    ) -> Result<edgestack_aws::callbacks::WatcherStart, edgestack_aws::callbacks::CallbackError>
    {
        self.sent.lock().expect("not poisoned").push(Sent::Watcher {
            name: name.to_owned(),
        });
        Ok(if self.ended_watchers.contains(name) {
            edgestack_aws::callbacks::WatcherStart::Ended
        } else {
            edgestack_aws::callbacks::WatcherStart::Started
        })
    }
}

/// The token a parking step's tests park on.
pub const TOKEN: &str = "token-1";

/// `deps` answering waiting tasks through recorded callbacks.
pub fn recording(deps: Deps) -> (Deps, Arc<RecordedCallbacks>) {
    let callbacks = Arc::new(RecordedCallbacks::default());
    let deps = Deps {
        callbacks: callbacks.clone(),
        ..deps
    };
    (deps, callbacks)
}

/// A parking step's input for `stack`'s first run, on [`TOKEN`].
pub fn parking(stack: &edgestack_domain::stack::Stack) -> crate::watch::Parking {
    crate::watch::Parking {
        flow: crate::Flow::new(stack.id.clone()),
        task_token: TOKEN.into(),
    }
}

/// A distribution as `ListDistributions` lists it.
pub fn distribution_summary(
    id: &str,
    status: &str,
    comment: &str,
    aliases: &[&str],
) -> DistributionSummary {
    DistributionSummary::builder()
        .id(id)
        .arn(format!(
            "arn:aws:cloudfront::123456789012:distribution/{id}"
        ))
        .status(status)
        .last_modified_time(aws_smithy_types::DateTime::from_secs(0))
        .domain_name(format!("{}.cloudfront.net", id.to_lowercase()))
        .enabled(true)
        .http_version(aws_sdk_cloudfront::types::HttpVersion::Http2)
        .price_class(aws_sdk_cloudfront::types::PriceClass::PriceClassAll)
        .staging(false)
        .is_ipv6_enabled(true)
        .web_acl_id("")
        .comment(comment)
        .aliases(
            aws_sdk_cloudfront::types::Aliases::builder()
                .quantity(aliases.len() as i32)
                .set_items(Some(aliases.iter().map(|a| (*a).to_owned()).collect()))
                .build()
                .expect("aliases"),
        )
        .build()
        .expect("a summary")
}

/// One page of `ListDistributions`, `next` its marker for the page after it.
pub fn distributions_page(
    items: Vec<DistributionSummary>,
    next: Option<&str>,
) -> ListDistributionsOutput {
    ListDistributionsOutput::builder()
        .distribution_list(
            DistributionList::builder()
                .marker("")
                .max_items(100)
                .is_truncated(next.is_some())
                .set_next_marker(next.map(str::to_owned))
                .quantity(items.len() as i32)
                .set_items(Some(items))
                .build()
                .expect("a page"),
        )
        .build()
}
