//! BillerAPI's routes.

use axum::{
    routing::{get, patch, post},
    Router,
};

use super::{catalog_routes, link_routes, rtl_routes, session};
use crate::state::SharedState;

/// Every BillerAPI route.
pub fn router() -> Router<SharedState> {
    Router::new()
        .route("/billers", get(catalog_routes::list))
        .route("/bills/get", get(link_routes::bills))
        .route("/link/request-to-link", get(rtl_routes::list))
        .route("/link/request-to-link/create", post(rtl_routes::create))
        .route("/link/request-to-link/{id}", get(rtl_routes::get_one))
        .route(
            "/link/request-to-link/{id}/status",
            patch(rtl_routes::set_status),
        )
        .route(
            "/link/request-to-link/{id}/cancel",
            post(rtl_routes::cancel),
        )
        .route(
            "/link/request-to-link/{id}/proceed",
            post(rtl_routes::proceed),
        )
        .route("/link/token/create", post(link_routes::create_token))
        .route("/link/token/exchange", post(link_routes::exchange_token))
        .route(
            "/link/session/{token}",
            get(session::show).post(session::submit),
        )
}
