//! Workflow step: poll until the distribution is Deployed.

use edgestack_steps::{provision::distribution, run};

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    run(env!("CARGO_PKG_NAME"), |deps, flow| async move {
        distribution::handle_check(&deps, flow).await
    })
    .await
}
