//! BillerAPI: request-to-link records, link tokens, the link session page and bills.
//!
//! Data and stores (`catalog`, `scenarios`, `users`, `rtl_model`, `rtl_store`,
//! `rtl_seed`, `links`, `error`) import neither `crate::state` nor the routes;
//! the routes (`routes`, `*_routes`, `session`, `auth`) import `crate::state`.

pub mod auth;
pub mod catalog;
pub mod catalog_routes;
pub mod error;
pub mod link_routes;
pub mod links;
pub mod routes;
pub mod rtl_model;
pub mod rtl_routes;
pub mod rtl_seed;
pub mod rtl_store;
pub mod scenarios;
pub mod session;
pub mod users;
