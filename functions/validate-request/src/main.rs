//! Workflow step: check that the API, stage, zone and name can be used.

use edgestack_steps::{provision::validate, run};

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    run(env!("CARGO_PKG_NAME"), |deps, flow| async move {
        validate::handle(&deps, flow).await
    })
    .await
}
