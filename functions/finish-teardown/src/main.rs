//! Undo step: mark a deleted stack DELETED, or a failed one rolled back.

use edgestack_steps::{run, teardown};

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    run(env!("CARGO_PKG_NAME"), |deps, flow| async move {
        teardown::finish(&deps, flow).await
    })
    .await
}
