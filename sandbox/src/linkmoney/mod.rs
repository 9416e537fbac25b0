//! Link Money: OAuth client-credential tokens, session keys, payments and
//! refunds, customers, accounts, transactions, payouts and webhooks.
//!
//! Data and stores (`model`, `store`, `seed`, `tokens`, `subscriptions`,
//! `error`, `body`) import neither `crate::state` nor the routes; the routes
//! (`routes`, `auth`, `payments`, `reads`, `webhooks`) import `crate::state`.

pub mod auth;
pub mod body;
pub mod error;
pub mod model;
pub mod payments;
pub mod reads;
pub mod routes;
pub mod seed;
pub mod store;
pub mod subscriptions;
pub mod tokens;
pub mod webhooks;
