//! `GET /billers`.

use axum::Json;
use serde_json::{json, Value};

use super::{auth::BillerClient, catalog::BILLERS, error::BillerResult};

/// `GET /billers`
pub async fn list(_: BillerClient) -> BillerResult<Json<Value>> {
    let billers: Vec<Value> = BILLERS
        .iter()
        .map(|b| json!({"id": b.id, "name": b.name, "category": b.category}))
        .collect();
    Ok(Json(json!({ "billers": billers })))
}
