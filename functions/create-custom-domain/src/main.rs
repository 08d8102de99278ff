//! Workflow step: create the Regional custom domain name and its base path mapping.

use edgestack::steps::{run, custom_domain};

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    run(|deps, flow| async move { custom_domain::handle(&deps, flow).await }).await
}
