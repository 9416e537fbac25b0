//! BillerAPI: request-to-link records, billers, link sessions.

mod client;
mod types;

pub use client::{BillerClient, BillerCredentials};
pub use types::*;
