//! Session keys and the get-by-ID endpoints.

use axum::{
    body::Bytes,
    extract::{Path, State},
    Json,
};
use serde_json::{json, Value};

use super::{
    auth::LinkCore,
    body::{parse_object, required_str},
    error::{LmError, LmResult},
    model::{Customer, CustomerStatus},
    webhooks::{self, Event},
};
use crate::{
    state::SharedState,
    util::{lock, now_millis, random_uuid},
};

/// `POST /v1/sessions`. Starting a linking session is when Link Money first
/// hears of a customer, so the sandbox records one (CREATED, no accounts yet)
/// and announces it with `customer.created`.
pub async fn create_session(
    State(state): State<SharedState>,
    _: LinkCore,
    body: Bytes,
) -> LmResult<Json<Value>> {
    let body = parse_object(&body)?;
    let first_name = required_str(&body, "firstName")?;
    let last_name = required_str(&body, "lastName")?;
    let email = required_str(&body, "email")?;
    if !email.contains('@') {
        return Err(LmError::validation("email", "must be an email address"));
    }
    required_str(&body, "phoneNumber")?;
    match body.get("product") {
        None | Some(Value::Null) => {}
        Some(Value::String(p)) if p == "PAY" || p == "VERIFY" => {}
        Some(_) => return Err(LmError::validation("product", "must be PAY or VERIFY")),
    }
    let customer_id = {
        let mut money = lock(&state.money);
        let id = state.with_rng(|rng| loop {
            let id = random_uuid(rng);
            if !money.has_id(&id) {
                break id;
            }
        });
        money.add_customer(Customer {
            id: id.clone(),
            first_name: first_name.to_string(),
            last_name: last_name.to_string(),
            email: email.to_string(),
            status: CustomerStatus::Created,
            accounts: Vec::new(),
            created_ms: now_millis(),
        });
        id
    };
    let session_key = state.with_rng(random_uuid);
    webhooks::dispatch(
        &state,
        vec![Event::new(
            "customer.created",
            &customer_id,
            "customer",
            None,
        )],
    );
    Ok(Json(json!({ "sessionKey": session_key })))
}

fn customer_not_found(id: &str) -> LmError {
    LmError::NotFound(format!("Customer '{id}' not found"))
}

/// `GET /v1/customers/{id}`
pub async fn customer(
    State(state): State<SharedState>,
    Path(id): Path<String>,
    _: LinkCore,
) -> LmResult<Json<Value>> {
    let money = lock(&state.money);
    let customer = money.customer(&id).ok_or_else(|| customer_not_found(&id))?;
    Ok(Json(customer.json()))
}

/// `GET /v1/customers/{id}/accounts`
pub async fn accounts(
    State(state): State<SharedState>,
    Path(id): Path<String>,
    _: LinkCore,
) -> LmResult<Json<Value>> {
    let money = lock(&state.money);
    let customer = money.customer(&id).ok_or_else(|| customer_not_found(&id))?;
    Ok(Json(customer.accounts_json()))
}

/// `GET /v1/customers/{id}/account-verifications/accounts`
pub async fn verified_accounts(
    State(state): State<SharedState>,
    Path(id): Path<String>,
    _: LinkCore,
) -> LmResult<Json<Value>> {
    let money = lock(&state.money);
    let customer = money.customer(&id).ok_or_else(|| customer_not_found(&id))?;
    Ok(Json(customer.verified_accounts_json()))
}

/// `GET /v1/transactions/{id}`
pub async fn transaction(
    State(state): State<SharedState>,
    Path(id): Path<String>,
    _: LinkCore,
) -> LmResult<Json<Value>> {
    let money = lock(&state.money);
    let transaction = money
        .transaction(&id)
        .ok_or_else(|| LmError::NotFound(format!("Transaction '{id}' not found")))?;
    Ok(Json(transaction.json()))
}

/// `GET /v1/payouts/{id}`
pub async fn payout(
    State(state): State<SharedState>,
    Path(id): Path<String>,
    _: LinkCore,
) -> LmResult<Json<Value>> {
    let money = lock(&state.money);
    let payout = money
        .payout(&id)
        .ok_or_else(|| LmError::NotFound(format!("Payout '{id}' not found")))?;
    Ok(Json(payout.json()))
}
