//! Link Money's routes.

use axum::{
    routing::{get, post, put},
    Router,
};

use super::{auth, payments, reads, webhooks};
use crate::state::SharedState;

/// Every Link Money route.
pub fn router() -> Router<SharedState> {
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
