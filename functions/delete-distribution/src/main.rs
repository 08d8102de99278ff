//! Undo step: delete the disabled distribution.

use edgestack_steps::{run, teardown};

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    run(env!("CARGO_PKG_NAME"), |deps, flow| async move {
        teardown::delete_distribution(&deps, flow).await
    })
    .await
}
