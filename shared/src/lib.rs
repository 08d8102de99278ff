//! edgestack's shared library: the domain model, the stack store, the workflow starter and the
//! AWS client setup that every function builds on.

pub mod aws;
pub mod clients;
pub mod config;
pub mod distribution;
pub mod domain;
pub mod permissions;
pub mod request;
pub mod secret;
pub mod stack;
pub mod steps;
pub mod store;
pub mod telemetry;
pub mod workflow;
