//! Workflow step: create the stack's CloudFront distribution.

use edgestack_steps::{provision::distribution, run};

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    run(env!("CARGO_PKG_NAME"), |deps, flow| async move {
        distribution::handle_create(&deps, flow).await
    })
    .await
}
