//! Link Money: tokens, customers, accounts, transactions, payouts, payments.

mod client;
mod errors;
mod fetch_window;
mod money;
mod payments;
mod tokens;
mod types;
mod validate;
mod webhooks;

pub use client::LinkMoneyClient;
pub use fetch_window::FetchLimits;
pub use money::{format_cents, parse_amount, Money, MAX_AMOUNT_CENTS, USD};
pub use payments::{refund_request_key, PaymentFailure};
pub use tokens::{refresh_margin, Scope, TokenManager};
pub use types::*;
pub use validate::{validate_soft_descriptor, SOFT_DESCRIPTOR_MAX};
pub use webhooks::{WEBHOOK_CATEGORIES, WEBHOOK_EVENTS};
