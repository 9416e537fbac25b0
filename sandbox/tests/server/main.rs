//! The server itself: faults, rate limits, stop and restart, determinism and
//! the `linkdesk-sandbox` binary.

#[path = "../common/mod.rs"]
mod common;

mod binary;
mod faults;
mod lifecycle;
mod rate_limits;
