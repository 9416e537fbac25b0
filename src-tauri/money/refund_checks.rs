//! The checks a refund passes before anything is sent: the payment it
//! refunds (a SUCCEEDED payment from the customer, as Link Money says now)
//! and the form (amount, descriptor, reference, the amount typed again above
//! the threshold). Nothing here talks to Link Money or the journal.

use serde::Deserialize;

use crate::error::{AppError, AppResult};
use crate::journal::Sending;
use crate::linkmoney::{parse_amount, validate_soft_descriptor, Transaction, USD};

/// The longest client reference ID accepted; the documents set no limit, and
/// this is far above any real merchant ID.
const CLIENT_REFERENCE_MAX: usize = 255;

/// The refund dialog's form.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RefundInput {
    pub request_key: String,
    pub amount: String,
    #[serde(default)]
    pub client_reference_id: Option<String>,
    #[serde(default)]
    pub soft_descriptor: Option<String>,
    #[serde(default)]
    pub retyped_amount: Option<String>,
}

/// Why this transaction cannot be refunded, in a sentence that says what to
/// do instead; None for a payment from a customer (DEBIT) that has
/// SUCCEEDED in US dollars — money that has arrived and can go back.
pub fn payment_refusal(t: &Transaction) -> Option<String> {
    if t.customer_id.is_none() {
        return Some("Link Money did not say whose payment this is, so it is not refunded.".into());
    }
    match t.transaction_type.as_deref() {
        Some("DEBIT") => {}
        Some("CREDIT") => {
            return Some(
                "This is a refund (CREDIT), not a payment: open the customer's payment (DEBIT) to refund it."
                    .into(),
            )
        }
        other => {
            return Some(format!(
                "Only a payment from the customer (DEBIT) is refunded; this transaction is {}.",
                other.unwrap_or("of unknown type")
            ))
        }
    }
    let status = t.transaction_status.as_deref();
    match status {
        Some("SUCCEEDED") => {}
        Some(s @ ("CREATED" | "PENDING" | "AUTHORIZED" | "SCHEDULED" | "INITIATED")) => {
            return Some(format!(
                "This payment is {s}: it has not settled, so its money has not arrived and cannot be refunded yet. Wait until it is SUCCEEDED (Link Money sends payment.succeeded), then refund it."
            ))
        }
        Some("RETRYABLE_FAILED") => {
            return Some(
                "This payment is RETRYABLE_FAILED: no money arrived (Link Money may retry it), so there is nothing to refund now."
                    .into(),
            )
        }
        Some(s @ ("TERMINAL_FAILED" | "CANCELED")) => {
            return Some(format!(
                "This payment is {s}: no money arrived, so there is nothing to refund."
            ))
        }
        Some(other) => {
            return Some(format!(
                "This payment's status is {other}, which Linkdesk does not know: only a SUCCEEDED payment is refunded."
            ))
        }
        None => {
            return Some(
                "Link Money did not say this payment's status, so it is not refunded.".into(),
            )
        }
    }
    match &t.amount {
        Some(m) if m.currency == USD && m.cents > 0 => None,
        Some(m) if m.currency != USD => Some(format!(
            "This payment is in {}, and only US dollar payments are refunded.",
            m.currency
        )),
        _ => Some("Link Money did not say this payment's amount, so it is not refunded.".into()),
    }
}

/// The amount of a refundable payment, in cents.
pub fn paid_cents(t: &Transaction) -> Option<i64> {
    match payment_refusal(t) {
        None => t.amount.as_ref().map(|m| m.cents),
        Some(_) => None,
    }
}

/// The form, checked: what will be sent. Nothing here talks to Link Money.
pub(crate) fn check_input(input: &RefundInput, threshold_cents: i64) -> AppResult<Sending> {
    let amount_cents = parse_amount(&input.amount)?;
    if amount_cents > threshold_cents {
        let retyped = input.retyped_amount.as_deref().unwrap_or("").trim();
        if retyped.is_empty() {
            return Err(AppError::invalid(format!(
                "The amount is above {}: type it again to confirm",
                dollars(threshold_cents)
            )));
        }
        match parse_amount(retyped) {
            Ok(c) if c == amount_cents => {}
            _ => {
                return Err(AppError::invalid(
                    "The amount typed again does not match the amount",
                ))
            }
        }
    }
    let soft_descriptor = validate_soft_descriptor(input.soft_descriptor.as_deref().unwrap_or(""))?;
    let client_reference_id = match input.client_reference_id.as_deref().map(str::trim) {
        None | Some("") => None,
        Some(r) if r.chars().count() > CLIENT_REFERENCE_MAX => {
            return Err(AppError::invalid(format!(
                "The client reference ID must be at most {CLIENT_REFERENCE_MAX} characters"
            )))
        }
        Some(r) if r.chars().any(char::is_control) => {
            return Err(AppError::invalid(
                "The client reference ID cannot hold control characters",
            ))
        }
        Some(r) => Some(r.to_string()),
    };
    Ok(Sending {
        amount_cents,
        client_reference_id,
        soft_descriptor,
    })
}

pub(crate) fn dollars(cents: i64) -> String {
    format!("${}", crate::linkmoney::format_cents(cents))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::ErrorCode;
    use serde_json::json;

    fn txn(kind: &str, status: &str) -> Transaction {
        serde_json::from_value(json!({
            "transactionId": "t", "customerId": "c", "transactionType": kind,
            "transactionStatus": status, "amount": {"value": 18.14, "currency": "USD"}
        }))
        .unwrap()
    }

    #[test]
    fn only_a_succeeded_payment_is_refunded() {
        assert_eq!(paid_cents(&txn("DEBIT", "SUCCEEDED")), Some(1814));
        for status in ["CREATED", "PENDING", "AUTHORIZED", "SCHEDULED", "INITIATED"] {
            let why = payment_refusal(&txn("DEBIT", status)).unwrap();
            assert!(
                why.contains("not settled") && why.contains("SUCCEEDED"),
                "{why}"
            );
            assert_eq!(paid_cents(&txn("DEBIT", status)), None);
        }
        for status in [
            "RETRYABLE_FAILED",
            "TERMINAL_FAILED",
            "CANCELED",
            "SETTLING",
        ] {
            assert!(payment_refusal(&txn("DEBIT", status)).is_some(), "{status}");
        }
        assert!(payment_refusal(&txn("CREDIT", "SUCCEEDED"))
            .unwrap()
            .contains("CREDIT"));
        let no_status: Transaction = serde_json::from_value(
            json!({"transactionId": "t", "customerId": "c", "transactionType": "DEBIT"}),
        )
        .unwrap();
        assert!(payment_refusal(&no_status).is_some());
        let euro: Transaction = serde_json::from_value(json!({
            "transactionId": "t", "customerId": "c", "transactionType": "DEBIT",
            "transactionStatus": "SUCCEEDED", "amount": {"value": 5, "currency": "EUR"}
        }))
        .unwrap();
        assert!(payment_refusal(&euro).unwrap().contains("EUR"));
    }

    fn input(amount: &str) -> RefundInput {
        RefundInput {
            request_key: "k".into(),
            amount: amount.into(),
            ..Default::default()
        }
    }

    #[test]
    fn the_form_is_checked_before_anything_is_sent() {
        let ok = check_input(&input("12.50"), 10_000).unwrap();
        assert_eq!(ok.amount_cents, 1_250);
        assert_eq!(ok.soft_descriptor, None);
        for bad in ["", "0", "-5", "1.005", "1e2", "12,50", "$5", "abc"] {
            assert_eq!(
                check_input(&input(bad), 10_000).unwrap_err().code,
                ErrorCode::InvalidInput,
                "{bad}"
            );
        }
        let big = check_input(&input("100.01"), 10_000).unwrap_err();
        assert!(big.message.contains("type it again"), "{}", big.message);
        let retyped = RefundInput {
            retyped_amount: Some("100.1".into()),
            ..input("100.10")
        };
        assert_eq!(check_input(&retyped, 10_000).unwrap().amount_cents, 10_010);
        let wrong = RefundInput {
            retyped_amount: Some("100.01".into()),
            ..input("100.10")
        };
        assert!(check_input(&wrong, 10_000).is_err());
        // Exactly at the threshold needs no second typing.
        assert!(check_input(&input("100.00"), 10_000).is_ok());
        let descriptor = RefundInput {
            soft_descriptor: Some("Refund #42".into()),
            ..input("1")
        };
        assert!(check_input(&descriptor, 10_000).is_err());
        let long = RefundInput {
            soft_descriptor: Some("A".repeat(81)),
            ..input("1")
        };
        assert!(check_input(&long, 10_000).is_err());
        let reference = RefundInput {
            client_reference_id: Some("  ticket-77  ".into()),
            ..input("1")
        };
        assert_eq!(
            check_input(&reference, 10_000)
                .unwrap()
                .client_reference_id
                .as_deref(),
            Some("ticket-77")
        );
    }
}
