//! Undo step: delete the base path mapping and the Regional custom domain.

use edgestack_steps::{run, teardown};

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    run(env!("CARGO_PKG_NAME"), |deps, flow| async move {
        teardown::delete_custom_domain(&deps, flow).await
    })
    .await
}
