//! Workflow step: wait until ACM has issued both certificates, parked for the watcher meanwhile.

use edgestack_steps::{provision::certificates, run_parking};

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    run_parking(env!("CARGO_PKG_NAME"), |deps, parking| async move {
        certificates::handle_await(&deps, parking).await
    })
    .await
}
