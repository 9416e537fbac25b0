//! The sandbox's own routes, not in the vendors' documents, needing no
//! credentials: `GET /sandbox/fixtures` (every customer, transaction and
//! payout the sandbox holds and the magic account numbers, so demos and tests
//! can find IDs) and `POST /sandbox/transactions/{id}/status` (moves a
//! transaction to a status, as the payment network would: a payment settles,
//! a refund fails later).

use axum::{
    extract::{Path, State},
    http::StatusCode,
    Json,
};
use serde_json::{json, Value};

use crate::linkmoney::model::TransactionStatus;
use crate::{biller::scenarios::ACCOUNT_NUMBERS, state::SharedState, util::lock};

/// Body: `{"status": "SUCCEEDED"}` (any documented transaction status).
pub async fn set_transaction_status(
    State(state): State<SharedState>,
    Path(id): Path<String>,
    Json(body): Json<Value>,
) -> (StatusCode, Json<Value>) {
    let wanted = body
        .get("status")
        .and_then(Value::as_str)
        .unwrap_or_default();
    let Some(status) = TransactionStatus::ALL
        .iter()
        .copied()
        .find(|s| s.as_str() == wanted)
    else {
        return (
            StatusCode::BAD_REQUEST,
            Json(json!({"error": format!("unknown status {wanted:?}")})),
        );
    };
    let mut money = lock(&state.money);
    match money.set_transaction_status(&id, status) {
        true => (StatusCode::OK, Json(json!({"id": id, "status": wanted}))),
        false => (
            StatusCode::NOT_FOUND,
            Json(json!({"error": "no such transaction"})),
        ),
    }
}

pub async fn fixtures(State(state): State<SharedState>) -> Json<Value> {
    let money = lock(&state.money);
    let customers: Vec<Value> = money
        .customers
        .iter()
        .map(|c| json!({"id": c.id, "status": c.status.as_str()}))
        .collect();
    let transactions: Vec<Value> = money
        .transactions
        .iter()
        .map(|t| json!({"id": t.id, "status": t.status.as_str()}))
        .collect();
    let payouts: Vec<Value> = money
        .payouts
        .iter()
        .map(|p| json!({"id": p.id, "status": p.status.as_str()}))
        .collect();
    let account_numbers: Vec<Value> = ACCOUNT_NUMBERS
        .iter()
        .map(|(number, scenario)| json!({"number": number, "scenario": scenario.name()}))
        .collect();
    Json(json!({
        "customers": customers,
        "transactions": transactions,
        "payouts": payouts,
        "account_numbers": account_numbers,
    }))
}
