//! Workflow step: create the Regional custom domain name and its base path mapping.

use edgestack_steps::{provision::custom_domain, run};

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    run(env!("CARGO_PKG_NAME"), |deps, flow| async move {
        custom_domain::handle(&deps, flow).await
    })
    .await
}
