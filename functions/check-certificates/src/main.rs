//! Workflow step: poll until ACM has issued both certificates.

use edgestack_steps::{provision::certificates, run};

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    run(env!("CARGO_PKG_NAME"), |deps, flow| async move {
        certificates::handle_check(&deps, flow).await
    })
    .await
}
