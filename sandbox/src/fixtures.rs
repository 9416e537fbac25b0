//! `GET /sandbox/fixtures`: every customer, transaction and payout the sandbox
//! holds and the magic account numbers, so demos and tests can find IDs. The
//! only route that is not in the vendors' documents; it needs no credentials.

use axum::{extract::State, Json};
use serde_json::{json, Value};

use crate::{biller::scenarios::ACCOUNT_NUMBERS, state::SharedState, util::lock};

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
