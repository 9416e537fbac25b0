//! Link Money over real HTTP: tokens and scopes, reads, payments and refunds,
//! webhooks.

#[path = "../common/mod.rs"]
mod common;

mod auth;
mod payments;
mod reads;
mod webhooks;
