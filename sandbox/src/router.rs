//! Both services and the sandbox helpers on one router.

use axum::{
    middleware,
    routing::{get, post},
    Router,
};

use crate::{biller, faults, fixtures, linkmoney, state::SharedState};

pub fn build(state: SharedState) -> Router {
    Router::new()
        .merge(biller::routes::router())
        .merge(linkmoney::routes::router())
        .route("/sandbox/fixtures", get(fixtures::fixtures))
        .route(
            "/sandbox/transactions/{id}/status",
            post(fixtures::set_transaction_status),
        )
        .fallback(faults::not_found)
        .method_not_allowed_fallback(faults::method_not_allowed)
        .layer(middleware::from_fn_with_state(state.clone(), faults::gate))
        .with_state(state)
}
