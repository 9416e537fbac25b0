//! Link Money: OAuth client-credential tokens, session keys, payments and
//! refunds, customers, accounts, transactions, payouts and webhooks.

pub mod auth;
pub mod body;
pub mod error;
pub mod model;
pub mod payments;
pub mod reads;
pub mod seed;
pub mod store;
pub mod webhooks;

use axum::{
    routing::{get, post, put},
    Router,
};

use crate::state::SharedState;

pub fn routes() -> Router<SharedState> {
    Router::new()
        .route("/v1/tokens", post(auth::issue))
        .route("/v1/sessions", post(reads::create_session))
        .route("/v1/payments", post(payments::create))
        .route("/v1/customers/{id}", get(reads::customer))
        .route("/v1/customers/{id}/accounts", get(reads::accounts))
        .route(
            "/v1/customers/{id}/account-verifications/accounts",
            get(reads::verified_accounts),
        )
        .route("/v1/transactions/{id}", get(reads::transaction))
        .route("/v1/payouts/{id}", get(reads::payout))
        .route("/v1/webhook/subscribe", post(webhooks::subscribe))
        .route("/v1/webhook/unsubscribe", put(webhooks::unsubscribe))
}
