//! The steps that build a stack, in the order the provisioning workflow runs them.

pub mod certificates;
pub mod custom_domain;
pub mod distribution;
pub mod dns;
pub mod ready;
pub mod smoke_test;
pub mod validate;
