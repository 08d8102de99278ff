//! The provisioning REST API: its operations, their handlers, who the caller is, the stack as
//! an answer shows it (`view`), and the one place that maps every failure to its status and
//! error shape. A library, so that its contract test (tests/openapi.rs) checks openapi.yaml
//! against these types; `main.rs` only builds the clients and hands `App` to the Lambda runtime.

pub mod app;
pub mod error;
pub mod handlers;
pub mod identity;
pub mod operations;
#[cfg(test)]
mod tests;
pub mod view;
