//! A team as a test plays it: its principal, REST API and hosted zone, and the shapes of the
//! stacks it asks for.

use super::*;

/// The comment of a hosted zone that stands for an owner's DNS outside edgestack (another
/// provider): the strict account's ACM sees a validation record there as resolving, and the
/// footprint checks do not count what the owner wrote in it.
pub const OUTSIDE_DNS_COMMENT: &str = "the owner's own DNS, outside edgestack";

/// The shapes of stack in `recipe.md`, as the tests ask for them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shape {
    /// No custom domain, `auth: none`, the stage as origin path, `TLSv1.1` and up, `PriceClass_100`.
    Plain,
    /// No custom domain, `auth: iam`, no origin path (clients put the stage in the URL),
    /// `TLSv1` and up, `PriceClass_200`.
    Iam,
    /// A custom domain in a hosted zone edgestack writes to, `auth: none`, the defaults.
    CustomDomain,
    /// A custom domain whose DNS is elsewhere (no `hosted_zone_id`), `auth: iam`.
    OutsideDns,
}

impl Shape {
    pub fn has_custom_domain(self) -> bool {
        matches!(self, Shape::CustomDomain | Shape::OutsideDns)
    }
}

/// A hosted zone a test created for itself.
#[derive(Debug, Clone)]
pub struct Zone {
    /// The bare id (`Z...`), as a stack request names it.
    pub id: String,
    /// The zone's name, without the trailing dot.
    pub name: String,
}

/// A stack request and the secret it carries in `origin_headers`.
#[derive(Debug, Clone)]
pub struct StackSpec {
    pub body: Value,
    pub secret: String,
}

impl StackSpec {
    /// The same request with one more tag.
    pub fn with_tag(mut self, key: &str, value: &str) -> Self {
        self.body["tags"][key] = Value::String(value.to_owned());
        self
    }

    pub fn custom_domain_name(&self) -> Option<String> {
        self.body["custom_domain"]["name"]
            .as_str()
            .map(str::to_owned)
    }

    pub fn managed_dns(&self) -> bool {
        self.body["custom_domain"]["hosted_zone_id"].is_string()
    }

    /// The tags every resource of stack `id` must carry: the request's and edgestack's own.
    pub fn resource_tags(&self, id: &str) -> BTreeMap<String, String> {
        let mut tags: BTreeMap<String, String> = self.body["tags"]
            .as_object()
            .map(|tags| {
                tags.iter()
                    .map(|(k, v)| (k.clone(), v.as_str().unwrap_or_default().to_owned()))
                    .collect()
            })
            .unwrap_or_default();
        tags.insert(STACK_ID_TAG.to_owned(), id.to_owned());
        tags
    }
}

/// The id of the REST API that local/permissions.json names explicitly in the grants of the
/// signing roles ([`signing_principal`]): the smoke test signs only for an API the owner's
/// grant names, never through `"*"`.
pub const SIGNED_API_ID: &str = "signedapi1";

/// How many signing roles local/permissions.json grants (`edgestack-tests-signer-0` onwards).
pub(crate) const SIGNING_ROLES: usize = 12;

/// A session of a signing role no other team of this test process uses: its grant names
/// [`SIGNED_API_ID`] (local/permissions.json).
pub fn signing_principal() -> String {
    static NEXT: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    assert!(
        n < SIGNING_ROLES,
        "local/permissions.json grants {SIGNING_ROLES} signing roles; add more"
    );
    assumed_role(&format!("edgestack-tests-signer-{n}"))
}

/// One team as a test plays it: a principal of its own, a Regional REST API of its own and a
/// hosted zone of its own (`t<random>.example.com`), whose name `api.<zone>` nobody else uses.
pub struct Team {
    pub api: Api,
    pub aws: Aws,
    pub api_id: String,
    pub zone: Zone,
    /// Whether the team's grant names its API, so that the smoke test signs for it.
    pub named_in_grant: bool,
}

impl Team {
    /// A team whose grant allows any API through the default `"*"`: for `auth: iam` the smoke
    /// test does not sign.
    pub async fn new() -> Self {
        let aws = Aws::new().await;
        let suffix = random_suffix();
        let api_id = aws
            .create_regional_rest_api(&format!("greetings-{suffix}"))
            .await;
        Self::with(aws, api_id, Api::new(), false).await
    }

    /// A team whose grant names its API ([`SIGNED_API_ID`], shared by these teams): for
    /// `auth: iam` the smoke test signs.
    pub async fn signing() -> Self {
        // One creation per test process: tests start at once.
        static SIGNED_API: tokio::sync::OnceCell<String> = tokio::sync::OnceCell::const_new();
        let aws = Aws::new().await;
        let api_id = SIGNED_API.get_or_init(|| aws.signed_api()).await.clone();
        Self::with(aws, api_id, Api::as_principal(&signing_principal()), true).await
    }

    async fn with(aws: Aws, api_id: String, api: Api, named_in_grant: bool) -> Self {
        let zone = aws
            .create_zone(&format!("t{}.example.com", random_suffix()))
            .await;
        Self {
            api,
            aws,
            api_id,
            zone,
            named_in_grant,
        }
    }

    /// The custom domain name of this team's stacks.
    pub fn domain(&self) -> String {
        format!("api.{}", self.zone.name)
    }

    /// A request of `shape` for this team's API, with a fresh secret origin header and tags.
    pub fn request(&self, shape: Shape) -> StackSpec {
        let secret = format!("s3cret-{}", random_suffix());
        let mut body = serde_json::json!({
            "api_id": self.api_id,
            "region": API_REGION,
            "stage": "prod",
            "origin_headers": { "X-Origin-Verify": secret },
            "smoke_test_path": "/greetings",
            "tags": { "team": "payments", "cost-center": "cc-42" },
        });
        match shape {
            Shape::Plain => {
                body["auth"] = "none".into();
                body["origin_path"] = true.into();
                body["min_origin_tls"] = "TLSv1.1".into();
                body["price_class"] = "PriceClass_100".into();
            }
            Shape::Iam => {
                body["auth"] = "iam".into();
                body["origin_path"] = false.into();
                // Without an origin path, clients put the stage in the URL. The smoke test
                // calls the IAM-protected resource: its signature must be right.
                body["smoke_test_path"] = "/prod/private".into();
                body["min_origin_tls"] = "TLSv1".into();
                body["price_class"] = "PriceClass_200".into();
            }
            Shape::CustomDomain => {
                body["custom_domain"] =
                    serde_json::json!({ "name": self.domain(), "hosted_zone_id": self.zone.id });
            }
            Shape::OutsideDns => {
                body["auth"] = "iam".into();
                body["smoke_test_path"] = "/private".into();
                body["custom_domain"] = serde_json::json!({ "name": self.domain() });
                body["min_origin_tls"] = "TLSv1.2".into();
                body["price_class"] = "PriceClass_All".into();
            }
        }
        StackSpec { body, secret }
    }

    /// `POST /stacks` with `spec`, which must be accepted; returns the stack's id.
    pub async fn create(&self, spec: &StackSpec) -> String {
        let stack = self.api.create_stack(&spec.body).await;
        stack_id(&stack)
    }

    /// Waits until stack `id`'s `step` is parked for the watcher: the API shows the step
    /// `WAITING`, and the provisioning execution's newest event is `TaskSubmitted`, so the
    /// step's Lambda has returned and the task only waits for its token. A test that stops the
    /// execution then meets no Lambda in flight. (AWS aborts an execution at once whatever it
    /// runs; moto's engine, stopped while a Lambda task is in flight, fails the execution with
    /// its own `States.Runtime` instead, an artefact of the emulator, not of edgestack.)
    pub async fn await_parked(&self, id: &str, step: &str) {
        let (path, arn) = (
            &format!("/stacks/{id}"),
            &self.aws.env().provision_execution_arn(id),
        );
        let parked = try_eventually_every(Duration::from_millis(100), || async move {
            let stack = self.api.get(path).await.expect(200);
            watch::step(&stack, step).filter(|s| s["status"] == "WAITING")?;
            // Oldest first, in one page: moto's engine neither reverses nor pages a history.
            let history = self
                .aws
                .sfn
                .get_execution_history()
                .execution_arn(arn)
                .max_results(1000)
                .send()
                .await
                .ok()?;
            let event = history.events().last()?;
            (event.r#type() == &aws_sdk_sfn::types::HistoryEventType::TaskSubmitted).then_some(())
        })
        .await;
        assert!(parked.is_some(), "{id}'s {step} was never seen parked");
    }

    /// Everything of stack `id` in the account: see [`Aws::footprint`].
    pub async fn footprint(&self, id: &str, spec: &StackSpec) -> Footprint {
        self.aws
            .footprint(id, spec.custom_domain_name().as_deref(), &self.zone)
            .await
    }
}
