//! Workflow step: write a caught failure on the stack for a person to act on.

use edgestack_steps::{failure, run};

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    run(env!("CARGO_PKG_NAME"), |deps, flow| async move {
        failure::handle(&deps, flow).await
    })
    .await
}
