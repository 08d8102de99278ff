//! edgestack's AWS adapters: what the API and the steps share to talk to AWS. The SDK
//! configuration and its clients (built once per cold start, one per region), the stack store
//! behind a trait (DynamoDB, and in memory for tests), the workflow starter, the settings read
//! from the environment and the log setup. The domain it stores lives in `edgestack-domain`.

pub mod callbacks;
pub mod calls;
pub mod clients;
pub mod config;
pub mod sdk;
pub mod store;
pub mod telemetry;
pub mod workflow;
