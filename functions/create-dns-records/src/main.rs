//! Workflow step: alias records for the name to the distribution, or the record handed to the owner.

use edgestack_steps::{provision::dns, run};

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    run(env!("CARGO_PKG_NAME"), |deps, flow| async move {
        dns::handle(&deps, flow).await
    })
    .await
}
