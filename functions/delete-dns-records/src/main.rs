//! Undo step: delete the stack's alias records first, so none points at a deleted distribution.

use edgestack_steps::{run, teardown};

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    run(env!("CARGO_PKG_NAME"), |deps, flow| async move {
        teardown::delete_dns_records(&deps, flow).await
    })
    .await
}
