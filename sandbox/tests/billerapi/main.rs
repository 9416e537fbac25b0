//! BillerAPI over real HTTP: request-to-link list, lifecycle, link tokens,
//! the session page and bills.

#[path = "../common/mod.rs"]
mod common;

mod link_flow;
mod rtl_lifecycle;
mod rtl_list;
