//! Workflow step: request the API through the distribution, signed for IAM.

use edgestack_steps::{provision::smoke_test, run};

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    run(env!("CARGO_PKG_NAME"), |deps, flow| async move {
        smoke_test::handle(&deps, flow).await
    })
    .await
}
