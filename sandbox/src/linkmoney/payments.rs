//! `POST /v1/payments`: payments (CUSTOMER → MERCHANT) and refunds
//! (MERCHANT → CUSTOMER), validated as the documents describe.

use axum::{body::Bytes, extract::State, Json};
use serde_json::{json, Map, Value};

use super::{
    auth::LinkPayment,
    body::{parse_object, required_str},
    error::{LmError, LmResult},
    model::{TransactionStatus, TransactionType},
    store::NewPayment,
    webhooks::{self, Event},
};
use crate::{
    state::{AppState, SharedState},
    util::{lock, now_millis, random_uuid},
};

const SOFT_DESCRIPTOR_MAX: usize = 80;
/// Twelve digits of dollars is far beyond any real payment and far from overflow.
const MAX_DOLLAR_DIGITS: usize = 12;

pub async fn create(
    State(state): State<SharedState>,
    _: LinkPayment,
    body: Bytes,
) -> LmResult<Json<Value>> {
    let request = validate(&state, &body)?;
    let (transaction_id, status, reference, failure) = {
        let mut money = lock(&state.money);
        if money.customer(&request.customer_id).is_none() {
            let field = match request.kind {
                TransactionType::Debit => "source.id",
                TransactionType::Credit => "destination.id",
            };
            return Err(LmError::validation(field, "unknown customer"));
        }
        if money.request_key_used(&request.request_key) {
            return Err(LmError::DuplicateRequestKey(request.request_key));
        }
        let id = state.with_rng(|rng| loop {
            let id = random_uuid(rng);
            if !money.has_id(&id) {
                break id;
            }
        });
        let t = money.record_payment(NewPayment { id, ..request }, now_millis());
        let failure = t
            .failure
            .as_ref()
            .map(|f| json!({"errorCode": f.code, "errorMessage": f.description}));
        (
            t.id.clone(),
            t.status,
            t.client_reference_id.clone(),
            failure,
        )
    };
    let outcome = match status {
        TransactionStatus::Pending => "payment.pending",
        TransactionStatus::TerminalFailed => "payment.failed",
        _ => "payment.authorized",
    };
    webhooks::dispatch(
        &state,
        ["payment.created", outcome]
            .into_iter()
            .map(|kind| Event::new(kind, &transaction_id, "payment", reference.clone()))
            .collect(),
    );
    let mut answer = json!({
        "paymentId": transaction_id,
        "paymentStatus": status.as_str(),
        "clientReferenceId": reference,
    });
    if let Some(details) = failure {
        answer["errorDetails"] = details;
    }
    Ok(Json(answer))
}

/// Everything that can be checked without the store.
fn validate(state: &AppState, raw: &[u8]) -> LmResult<NewPayment> {
    let body = parse_object(raw)?;
    let request_key = required_str(&body, "requestKey")?.to_string();
    let (source_id, source_type) = party(&body, "source")?;
    let (destination_id, destination_type) = party(&body, "destination")?;
    let merchant = &state.options.merchant_id;
    let (kind, customer_id, merchant_field, merchant_id) =
        match (source_type, destination_type) {
            ("CUSTOMER", "MERCHANT") => (TransactionType::Debit, source_id, "destination.id", destination_id),
            ("MERCHANT", "CUSTOMER") => (TransactionType::Credit, destination_id, "source.id", source_id),
            _ => {
                return Err(LmError::Validation(
                    "source.type/destination.type: a payment goes from CUSTOMER to MERCHANT, a refund from MERCHANT to CUSTOMER".into(),
                ))
            }
        };
    if merchant_id != merchant.as_str() {
        return Err(LmError::validation(merchant_field, "unknown merchant"));
    }
    let amount_cents = amount(&body)?;
    let client_reference_id = optional_str(&body, "clientReferenceId")?;
    let descriptor = optional_str(&body, "softDescriptor")?;
    if let Some(d) = &descriptor {
        if d.chars().count() > SOFT_DESCRIPTOR_MAX
            || !d.chars().all(|c| c.is_ascii_alphanumeric() || c == ' ')
        {
            return Err(LmError::validation(
                "softDescriptor",
                "at most 80 characters, letters, digits and spaces only",
            ));
        }
    }
    Ok(NewPayment {
        id: String::new(),
        kind,
        customer_id: customer_id.to_string(),
        amount_cents,
        client_reference_id,
        descriptor,
        request_key,
    })
}

fn party<'a>(body: &'a Map<String, Value>, field: &str) -> LmResult<(&'a str, &'a str)> {
    let Some(Value::Object(party)) = body.get(field) else {
        return Err(LmError::validation(
            field,
            "must be an object with id and type",
        ));
    };
    let id = required_str(party, "id")
        .map_err(|_| LmError::validation(&format!("{field}.id"), "is required"))?;
    let kind = required_str(party, "type")
        .map_err(|_| LmError::validation(&format!("{field}.type"), "is required"))?;
    Ok((id, kind))
}

/// An optional string; empty counts as absent.
fn optional_str(body: &Map<String, Value>, field: &str) -> LmResult<Option<String>> {
    match body.get(field) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) if s.is_empty() => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.clone())),
        Some(_) => Err(LmError::validation(field, "must be a string")),
    }
}

/// The "at most two decimals" rule is checked on the number's shortest text
/// form, so 1.005 is refused where rounding a float would hide it.
fn amount(body: &Map<String, Value>) -> LmResult<u64> {
    let Some(Value::Object(amount)) = body.get("amount") else {
        return Err(LmError::validation(
            "amount",
            "must be an object with currency and value",
        ));
    };
    if amount.get("currency").and_then(Value::as_str) != Some("USD") {
        return Err(LmError::validation("amount.currency", "must be USD"));
    }
    let Some(Value::Number(value)) = amount.get("value") else {
        return Err(LmError::validation("amount.value", "must be a number"));
    };
    match parse_cents(&value.to_string()) {
        Some(0) => Err(LmError::validation(
            "amount.value",
            "must be greater than 0",
        )),
        Some(cents) => Ok(cents),
        None => Err(LmError::validation(
            "amount.value",
            "must be a positive number with at most two decimal digits",
        )),
    }
}

/// "12", "12.3" or "12.34"; no sign, no exponent.
pub fn parse_cents(text: &str) -> Option<u64> {
    let (whole, fraction) = match text.split_once('.') {
        Some((w, f)) => (w, f),
        None => (text, ""),
    };
    let digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
    if whole.is_empty() || whole.len() > MAX_DOLLAR_DIGITS || !digits(whole) || !digits(fraction) {
        return None;
    }
    let cents = match (text.contains('.'), fraction.len()) {
        (false, _) => 0,
        (true, 1) => fraction.parse::<u64>().ok()? * 10,
        (true, 2) => fraction.parse::<u64>().ok()?,
        _ => return None,
    };
    Some(whole.parse::<u64>().ok()? * 100 + cents)
}

#[cfg(test)]
mod tests {
    use super::parse_cents;

    #[test]
    fn amounts_have_at_most_two_decimals() {
        assert_eq!(parse_cents("1"), Some(100));
        assert_eq!(parse_cents("1.5"), Some(150));
        assert_eq!(parse_cents("1.00"), Some(100));
        assert_eq!(parse_cents("0.01"), Some(1));
        assert_eq!(parse_cents("0"), Some(0));
        for bad in [
            "1.005",
            "-1",
            "1e2",
            "1.",
            ".5",
            "\"1.00\"",
            "",
            "1234567890123",
        ] {
            assert_eq!(parse_cents(bad), None, "{bad}");
        }
    }
}
