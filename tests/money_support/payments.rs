//! A payment from a customer to the merchant, as the shop would make it:
//! Linkdesk itself never debits a customer, so only the tests need this.
//! `POST /v1/payments` (source CUSTOMER, destination MERCHANT) with a
//! Link-Payment token of the client's own token manager.

use linkdesk::linkmoney::{LinkMoneyClient, Scope};
use serde_json::{json, Value};

/// Pays `cents` from `customer` to the client's merchant; Link Money's
/// answer (`paymentId`, `paymentStatus`, …), or the error status and body.
pub async fn pay(lm: &LinkMoneyClient, customer: &str, cents: i64) -> Result<Value, String> {
    let token = lm
        .tokens()
        .token(Scope::Payment)
        .await
        .map_err(|e| e.message)?;
    let body = json!({
        "source": {"id": customer, "type": "CUSTOMER"},
        "destination": {"id": lm.merchant_id(), "type": "MERCHANT"},
        "amount": {"currency": "USD", "value": cents as f64 / 100.0},
        "clientReferenceId": format!("pay-{}", uuid::Uuid::new_v4().simple()),
        "requestKey": uuid::Uuid::new_v4().to_string(),
    });
    let answer = reqwest::Client::new()
        .post(format!("{}/v1/payments", lm.base_url()))
        .bearer_auth(token)
        .json(&body)
        .send()
        .await
        .map_err(|e| e.to_string())?;
    let status = answer.status();
    let value: Value = answer.json().await.map_err(|e| e.to_string())?;
    if status.is_success() {
        Ok(value)
    } else {
        Err(format!("{status}: {value}"))
    }
}
