//! The provisioning REST API as a `lambda_http` function: its clients built once per cold start,
//! then `App::handle` for every request.

use std::sync::Arc;

use edgestack_aws::calls::DeclaredCalls;
use edgestack_aws::clients::Clients;
use edgestack_aws::{config, sdk, store::DynamoStore, telemetry, workflow::StepFunctions};
use lambda_http::{run, service_fn, Error, Request};

use edgestack_api::app::App;

#[tokio::main]
async fn main() -> Result<(), Error> {
    telemetry::init();
    let app = Arc::new(build().await?);
    run(service_fn(move |req: Request| {
        let app = Arc::clone(&app);
        async move { Ok::<_, Error>(app.handle(req).await) }
    }))
    .await
}

async fn build() -> Result<App, config::ConfigError> {
    let declared = DeclaredCalls::of(env!("CARGO_PKG_NAME"))?;
    let sdk = sdk::load_config().await?;
    Ok(App {
        // The API writes origin header values: its secrets table is not optional.
        store: Arc::new({
            config::required(config::SECRETS_TABLE)?;
            DynamoStore::from_env(&sdk, &declared)?
        }),
        workflows: Arc::new(StepFunctions::new(
            Clients::sfn(&sdk, &declared),
            config::required(config::PROVISION_STATE_MACHINE_ARN)?,
            config::required(config::TEARDOWN_STATE_MACHINE_ARN)?,
        )),
        permissions: config::permissions()?,
    })
}
