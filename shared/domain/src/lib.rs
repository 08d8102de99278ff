//! edgestack's domain, apart from AWS: what a caller may ask for (`validated`, `request`), who
//! may ask (`permissions`), the stack a request becomes and its record (`stack`), when a stack
//! in progress is expected to be READY (`expectation`), secrets that never print (`secret`),
//! and the tags that mark what edgestack makes (`tags`). Nothing here talks to AWS or knows
//! Lambda; the crates that do depend on this one, never the reverse.

pub mod expectation;
pub mod lifecycle;
pub mod permissions;
pub mod request;
pub mod secret;
pub mod stack;
pub mod tags;
pub mod timestamp;
pub mod validated;
