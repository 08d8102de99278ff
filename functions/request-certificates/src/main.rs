//! Workflow step: request the ACM certificates and write or hand over their validation record.

use edgestack_steps::{provision::certificates, run};

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    run(env!("CARGO_PKG_NAME"), |deps, flow| async move {
        certificates::handle_request(&deps, flow).await
    })
    .await
}
