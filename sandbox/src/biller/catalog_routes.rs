//! `GET /billers`.

use axum::{extract::State, http::HeaderMap, Json};
use serde_json::{json, Value};

use super::{auth::require_client, catalog::BILLERS, error::BillerResult};
use crate::state::SharedState;

/// `GET /billers`
pub async fn list(
    State(state): State<SharedState>,
    headers: HeaderMap,
) -> BillerResult<Json<Value>> {
    require_client(&state, &headers)?;
    let billers: Vec<Value> = BILLERS
        .iter()
        .map(|b| json!({"id": b.id, "name": b.name, "category": b.category}))
        .collect();
    Ok(Json(json!({ "billers": billers })))
}
