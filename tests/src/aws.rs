//! The emulated AWS account through the SDK: the clients, the teams' REST APIs, the stacks
//! table, Lambda invocations, and retries through the account's rate limits.

use super::*;

/// SDK clients for the emulated AWS account, in the local stack's region unless named.
#[derive(Debug, Clone)]
pub struct Aws {
    pub config: SdkConfig,
    pub dynamodb: aws_sdk_dynamodb::Client,
    pub sfn: aws_sdk_sfn::Client,
    pub apigateway: aws_sdk_apigateway::Client,
    pub route53: aws_sdk_route53::Client,
    pub acm: aws_sdk_acm::Client,
    pub cloudfront: aws_sdk_cloudfront::Client,
    pub(crate) env: &'static LocalEnv,
}

impl Aws {
    pub async fn new() -> Self {
        let env = LocalEnv::get();
        let credentials = aws_sdk_dynamodb::config::Credentials::new(
            &env.access_key_id,
            &env.secret_access_key,
            None,
            None,
            "edgestack-tests",
        );
        // Everything explicit: nothing from the caller's shell or ~/.aws reaches the tests, so
        // they can never touch a real account.
        let config = aws_config::defaults(BehaviorVersion::latest())
            .endpoint_url(&env.aws_endpoint_url)
            .region(Region::new(env.region.clone()))
            .credentials_provider(credentials)
            .load()
            .await;
        Self {
            dynamodb: aws_sdk_dynamodb::Client::new(&config),
            sfn: aws_sdk_sfn::Client::new(&config),
            apigateway: aws_sdk_apigateway::Client::new(&config),
            route53: aws_sdk_route53::Client::new(&config),
            acm: aws_sdk_acm::Client::new(&config),
            cloudfront: aws_sdk_cloudfront::Client::new(&config),
            config,
            env,
        }
    }

    /// The same configuration in another region.
    pub fn config_in(&self, region: &str) -> SdkConfig {
        self.config
            .to_builder()
            .region(Region::new(region.to_owned()))
            .build()
    }

    /// API Gateway in `region`: moto keeps each region's APIs apart, as AWS does.
    pub fn apigateway_in(&self, region: &str) -> aws_sdk_apigateway::Client {
        aws_sdk_apigateway::Client::new(&self.config_in(region))
    }

    pub fn acm_in(&self, region: &str) -> aws_sdk_acm::Client {
        aws_sdk_acm::Client::new(&self.config_in(region))
    }

    pub fn env(&self) -> &'static LocalEnv {
        self.env
    }

    /// What a stack's prerequisites ask for: a REGIONAL REST API in [`API_REGION`] with a
    /// `GET /greetings` (open) and `GET /private` (`AWS_IAM`), answered by MOCK integrations,
    /// deployed to the stage `prod`.
    /// Returns the API's id.
    pub async fn create_regional_rest_api(&self, name: &str) -> String {
        self.create_team_api(name, None).await
    }

    /// The REST API whose id the signing roles' grants name ([`SIGNED_API_ID`]): found, or
    /// created with that id.
    pub async fn signed_api(&self) -> String {
        let apigw = self.apigateway_in(API_REGION);
        let found = retry_throttled("GetRestApi", || {
            let call = apigw.get_rest_api().rest_api_id(SIGNED_API_ID).send();
            async {
                match call.await {
                    Ok(_) => Ok(true),
                    Err(e)
                        if e.as_service_error()
                            .is_some_and(|e| e.is_not_found_exception()) =>
                    {
                        Ok(false)
                    }
                    Err(e) => Err(e),
                }
            }
        })
        .await;
        if found {
            return SIGNED_API_ID.to_owned();
        }
        let id = self
            .create_team_api("greetings-signed", Some(SIGNED_API_ID))
            .await;
        assert_eq!(id, SIGNED_API_ID, "the emulator took the id from the tag");
        id
    }

    /// A Regional REST API with `/greetings` (open) and `/private` (`AWS_IAM`) deployed to
    /// stage `prod`; with `id`, the emulator gives it that id (moto's `_custom_id_` tag: in AWS
    /// an API's id is never chosen, and the operator writes it into the policy instead).
    async fn create_team_api(&self, name: &str, id: Option<&str>) -> String {
        use aws_sdk_apigateway::types::{EndpointConfiguration, EndpointType};

        let apigw = self.apigateway_in(API_REGION);
        let api = retry_throttled("CreateRestApi", || {
            apigw
                .create_rest_api()
                .name(name)
                .set_tags(id.map(|id| HashMap::from([("_custom_id_".to_owned(), id.to_owned())])))
                .endpoint_configuration(
                    EndpointConfiguration::builder()
                        .types(EndpointType::Regional)
                        .build(),
                )
                .send()
        })
        .await;
        let api_id = api.id().expect("a new REST API has an id").to_owned();
        let resources = apigw
            .get_resources()
            .rest_api_id(&api_id)
            .send()
            .await
            .expect("GetResources");
        let root = resources
            .items()
            .iter()
            .find(|r| r.path() == Some("/"))
            .and_then(|r| r.id())
            .expect("a new REST API has a root resource")
            .to_owned();
        for (path, authorization, body) in [
            ("greetings", "NONE", GREETINGS_BODY),
            ("private", "AWS_IAM", PRIVATE_BODY),
        ] {
            mock_get(&apigw, &api_id, &root, path, authorization, body).await;
        }
        retry_throttled("CreateDeployment to stage prod", || {
            apigw
                .create_deployment()
                .rest_api_id(&api_id)
                .stage_name("prod")
                .send()
        })
        .await;
        api_id
    }

    /// The stack's item in the stacks table (`pk` = `STACK#<id>`), read consistently.
    pub async fn stack_item(&self, stack_id: &str) -> Option<HashMap<String, AttributeValue>> {
        self.dynamodb
            .get_item()
            .table_name(&self.env.table)
            .key("pk", AttributeValue::S(format!("STACK#{stack_id}")))
            .consistent_read(true)
            .send()
            .await
            .expect("GetItem on the stacks table")
            .item
    }

    /// Every item of the stacks table that belongs to `principal`: its stacks (attribute
    /// `owner`) and the idempotency keys it used (`pk` = `IDEMPOTENCY#<n>:<principal>#...`,
    /// `n` the principal's length).
    pub async fn items_of(&self, principal: &str) -> Vec<HashMap<String, AttributeValue>> {
        let pages: Vec<_> = self
            .dynamodb
            .scan()
            .table_name(&self.env.table)
            .consistent_read(true)
            .filter_expression("#o = :o OR begins_with(pk, :idem)")
            .expression_attribute_names("#o", "owner")
            .expression_attribute_values(":o", AttributeValue::S(principal.to_owned()))
            .expression_attribute_values(
                ":idem",
                AttributeValue::S(format!("IDEMPOTENCY#{}:{principal}#", principal.len())),
            )
            .into_paginator()
            .items()
            .send()
            .collect()
            .await;
        pages
            .into_iter()
            .collect::<Result<_, _>>()
            .expect("Scan of the stacks table")
    }

    /// The ids of `principal`'s stack items in the table (idempotency items left out).
    pub async fn stack_ids_of(&self, principal: &str) -> HashSet<String> {
        self.items_of(principal)
            .await
            .iter()
            .filter_map(|item| item.get("pk")?.as_s().ok()?.strip_prefix("STACK#"))
            .map(str::to_owned)
            .collect()
    }

    /// The names of every execution of the provisioning and teardown state machines.
    pub async fn execution_names(&self) -> HashSet<String> {
        let mut names = HashSet::new();
        for arn in [
            &self.env.provision_state_machine_arn,
            &self.env.teardown_state_machine_arn,
        ] {
            names.extend(self.executions_of(arn).await);
        }
        names
    }

    /// The names of every execution of the provisioning state machine.
    pub async fn provision_execution_names(&self) -> Vec<String> {
        self.executions_of(&self.env.provision_state_machine_arn)
            .await
    }

    async fn executions_of(&self, state_machine_arn: &str) -> Vec<String> {
        let pages: Vec<_> = self
            .sfn
            .list_executions()
            .state_machine_arn(state_machine_arn)
            .into_paginator()
            .items()
            .send()
            .collect()
            .await;
        pages
            .into_iter()
            .map(|e| e.expect("ListExecutions").name().to_owned())
            .collect()
    }

    /// Asserts that `principal` has nothing in the table and that no execution started since
    /// `before` (from [`Aws::execution_names`]) belongs to it. Executions are named after
    /// their stack (`<stack id>`, `<stack id>-teardown-<attempt>`) and a stack item is stored
    /// before its execution starts, so every execution other tests started meanwhile names a
    /// stack item of another owner.
    pub async fn assert_nothing_created(&self, principal: &str, before: &HashSet<String>) {
        let items = self.items_of(principal).await;
        assert!(
            items.is_empty(),
            "a refused request left {} item(s) in the table for {principal}: {items:?}",
            items.len()
        );
        for name in self.execution_names().await.difference(before) {
            // Stack ids hold no '-': what precedes the first one is the stack's id.
            let stack_id = name.split('-').next().unwrap_or(name);
            let owner = self
                .stack_item(stack_id)
                .await
                .and_then(|item| item.get("owner")?.as_s().ok().cloned());
            match owner {
                Some(owner) => assert_ne!(
                    owner, principal,
                    "a refused request started the execution {name}"
                ),
                None => panic!("execution {name} started, for no stored stack"),
            }
        }
    }
}

/// `GET /{path}` under `root`, with `authorization` (`NONE`, `AWS_IAM`), answered by a MOCK
/// integration with `body`.
pub(crate) async fn mock_get(
    apigw: &aws_sdk_apigateway::Client,
    api_id: &str,
    root: &str,
    path: &str,
    authorization: &str,
    body: &str,
) {
    use aws_sdk_apigateway::types::IntegrationType;
    let resource = apigw
        .create_resource()
        .rest_api_id(api_id)
        .parent_id(root)
        .path_part(path)
        .send()
        .await
        .unwrap_or_else(|e| panic!("CreateResource /{path}: {e:?}"));
    let resource_id = resource.id().expect("a new resource has an id").to_owned();
    apigw
        .put_method()
        .rest_api_id(api_id)
        .resource_id(&resource_id)
        .http_method("GET")
        .authorization_type(authorization)
        .send()
        .await
        .unwrap_or_else(|e| panic!("PutMethod GET /{path}: {e:?}"));
    apigw
        .put_integration()
        .rest_api_id(api_id)
        .resource_id(&resource_id)
        .http_method("GET")
        .r#type(IntegrationType::Mock)
        .request_templates("application/json", r#"{"statusCode": 200}"#)
        .send()
        .await
        .unwrap_or_else(|e| panic!("PutIntegration MOCK /{path}: {e:?}"));
    apigw
        .put_method_response()
        .rest_api_id(api_id)
        .resource_id(&resource_id)
        .http_method("GET")
        .status_code("200")
        .send()
        .await
        .unwrap_or_else(|e| panic!("PutMethodResponse /{path}: {e:?}"));
    apigw
        .put_integration_response()
        .rest_api_id(api_id)
        .resource_id(&resource_id)
        .http_method("GET")
        .status_code("200")
        .response_templates("application/json", body)
        .send()
        .await
        .unwrap_or_else(|e| panic!("PutIntegrationResponse /{path}: {e:?}"));
}

/// The answers of the strict account that mean "not now": Route 53's five requests a second
/// and busy zones, API Gateway's per-account quotas, which parallel tests share.
pub const THROTTLES: &[&str] = &["Throttl", "TooManyRequests", "PriorRequestNotComplete"];

/// Calls `call` until its error no longer names one of `retryable` (see [`THROTTLES`]), and
/// panics on any other error, or after a minute of retries.
pub async fn retry_aws<T, E, F, Fut>(what: &str, retryable: &[&str], mut call: F) -> T
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, E>>,
    E: std::fmt::Debug,
{
    let deadline = std::time::Instant::now() + Duration::from_secs(60);
    loop {
        match call().await {
            Ok(out) => return out,
            Err(e) => {
                let text = format!("{e:?}");
                if !retryable.iter().any(|r| text.contains(r)) {
                    panic!("{what}: {text}");
                }
                assert!(
                    std::time::Instant::now() < deadline,
                    "{what}: still refused after a minute: {text}"
                );
                tokio::time::sleep(Duration::from_millis(250)).await;
            }
        }
    }
}

/// [`retry_aws`] through the account's rate limits.
pub async fn retry_throttled<T, E, F, Fut>(what: &str, call: F) -> T
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, E>>,
    E: std::fmt::Debug,
{
    retry_aws(what, THROTTLES, call).await
}

/// [`retry_throttled`] for a read of something that may be deleted meanwhile: `None` when the
/// error names one of `gone` (the service's not-found codes). Any other error panics, so a
/// throttled read never passes for an absent resource.
pub async fn read_unless_gone<T, E, F, Fut>(what: &str, gone: &[&str], mut call: F) -> Option<T>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, E>>,
    E: std::fmt::Debug,
{
    retry_throttled(what, || {
        let attempt = call();
        async move {
            match attempt.await {
                Ok(out) => Ok(Some(out)),
                Err(e) if gone.iter().any(|g| format!("{e:?}").contains(g)) => Ok(None),
                Err(e) => Err(e),
            }
        }
    })
    .await
}

/// `POST` to the Lambda Invoke API of the local stack: the function `name` (its binary name)
/// with `payload` as its event, exactly as a Step Functions Task invokes it.
pub async fn invoke_function(name: &str, payload: &Value) -> Reply {
    let http = reqwest::Client::builder()
        .timeout(Duration::from_secs(300))
        .build()
        .expect("an HTTP client builds");
    let url = format!(
        "{}/2015-03-31/functions/{name}/invocations",
        LocalEnv::get().lambda_invoke_url
    );
    let response = http
        .post(&url)
        .header(reqwest::header::CONTENT_TYPE, "application/json")
        .body(payload.to_string())
        .send()
        .await
        .unwrap_or_else(|e| panic!("POST {url}: {e}"));
    Api::read(response).await
}
