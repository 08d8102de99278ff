//! The watcher: every few seconds, one look at every parked wait, resuming the executions whose
//! resource is ready (`edgestack_steps::watch`).

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    edgestack_steps::run_watcher(env!("CARGO_PKG_NAME")).await
}
