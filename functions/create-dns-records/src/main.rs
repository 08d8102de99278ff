//! Workflow step: alias records for the name to the distribution, parked for the watcher until
//! Route 53 has them everywhere; or the record handed to the owner.

use edgestack_steps::{provision::dns, run_parking};

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    run_parking(env!("CARGO_PKG_NAME"), |deps, parking| async move {
        dns::handle(&deps, parking).await
    })
    .await
}
