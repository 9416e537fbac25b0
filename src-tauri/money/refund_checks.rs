//! The checks a refund passes before anything is sent: the form (amount,
//! descriptor, reference, the amount typed again above the threshold) and what
//! the customer has paid as far as Linkdesk knows.

use super::lookups::cached_transactions_in;
use super::refunds::{RefundContext, RefundInput};
use crate::error::{AppError, AppResult};
use crate::journal::{CapScope, Sending};
use crate::linkmoney::{parse_amount, validate_soft_descriptor, Transaction, USD};

/// The longest client reference ID accepted; the documents set no limit, and
/// this is far above any real merchant ID.
const CLIENT_REFERENCE_MAX: usize = 255;

/// What the customer has paid, as far as Linkdesk knows: the transaction's own
/// amount when the refund is made from a SUCCEEDED payment; otherwise the sum
/// of the customer's SUCCEEDED payments in the cache. None when neither is
/// known.
pub(crate) async fn paid_basis(
    ctx: &RefundContext,
    customer_id: &str,
    transaction: Option<&Transaction>,
) -> Option<(CapScope, i64, String)> {
    if let Some(t) = transaction {
        if let Some(cents) = succeeded_debit_cents(t) {
            return Some((
                CapScope::Transaction(t.transaction_id.to_string()),
                cents,
                format!("This payment was {}", dollars(cents)),
            ));
        }
    }
    let cached = cached_transactions_in(&ctx.cache, &ctx.session.env.id, customer_id).await;
    let paid: Vec<i64> = cached.iter().filter_map(succeeded_debit_cents).collect();
    if paid.is_empty() {
        return None;
    }
    let sum = paid.iter().sum();
    Some((
        CapScope::Customer(customer_id.to_string()),
        sum,
        format!(
            "The customer's {} succeeded payment{} seen by Linkdesk total {}",
            paid.len(),
            if paid.len() == 1 { "" } else { "s" },
            dollars(sum)
        ),
    ))
}

fn succeeded_debit_cents(t: &Transaction) -> Option<i64> {
    let amount = t.amount.as_ref()?;
    (t.transaction_type.as_deref() == Some("DEBIT")
        && t.transaction_status.as_deref() == Some("SUCCEEDED")
        && amount.currency == USD
        && amount.cents > 0)
        .then_some(amount.cents)
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
