//! Workflow step: wait until the distribution is Deployed, parked for the watcher meanwhile.

use edgestack_steps::{provision::distribution, run_parking};

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    run_parking(env!("CARGO_PKG_NAME"), |deps, parking| async move {
        distribution::handle_await(&deps, parking).await
    })
    .await
}
