//! edgestack's shared library: the domain model, the stack store, the workflow starter and the
//! AWS client setup that every function builds on.

pub mod aws;
pub mod clients;
pub mod config;
pub mod distribution;
pub mod steps;
pub mod store;
pub mod telemetry;
pub mod workflow;

// The domain, re-exported: the functions and steps name its modules through this crate.
pub use edgestack_domain::{lifecycle, permissions, request, secret, stack, tags, validated};
