//! `edgestack`: the command line of the provisioning API. `create`, `get`, `list`, `delete` and
//! `wait` call the API described by `openapi.yaml`; see `edgestack --help` and the README's
//! "The CLI" for the flags and the exit statuses (all in `exit.rs`).

mod args;
mod call;
mod client;
mod commands;
mod endpoint;
mod exit;
mod output;
mod progress;
#[cfg(test)]
mod testing;
mod wait;

use std::process::ExitCode;

use clap::Parser;

use crate::exit::Exit;

fn main() -> ExitCode {
    let cli = match args::Cli::try_parse() {
        Ok(cli) => cli,
        Err(err) => {
            let _ = err.print();
            // --help and --version end here too, and are not errors.
            return if err.use_stderr() {
                Exit::Usage
            } else {
                Exit::Ok
            }
            .into();
        }
    };
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return Exit::Error.into();
        }
    };
    runtime.block_on(commands::run(cli)).into()
}
