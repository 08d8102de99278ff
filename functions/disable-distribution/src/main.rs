//! Undo step: disable the distribution (with its ETag) and wait until that is deployed.

use edgestack_steps::{run, teardown};

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    run(env!("CARGO_PKG_NAME"), |deps, flow| async move {
        teardown::disable_distribution(&deps, flow).await
    })
    .await
}
