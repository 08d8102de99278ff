//! Undo step: delete the certificates, then the validation record no other certificate uses.

use edgestack_steps::{run, teardown};

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    run(env!("CARGO_PKG_NAME"), |deps, flow| async move {
        teardown::delete_certificates(&deps, flow).await
    })
    .await
}
