//! Workflow step: mark the stack READY with its endpoint.

use edgestack_steps::{provision::ready, run};

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    run(env!("CARGO_PKG_NAME"), |deps, flow| async move {
        ready::handle(&deps, flow).await
    })
    .await
}
