//! Checks made before anything is sent to Link Money, so that a mistake is an
//! `invalid_input` answer and never a request.

use super::money::{Money, MAX_AMOUNT_CENTS, USD};
use crate::error::{AppError, AppResult};

/// The documented limit of `softDescriptor`.
pub const SOFT_DESCRIPTOR_MAX: usize = 80;

/// Checks a soft descriptor: at most 80 characters, ASCII letters, digits and
/// spaces only. The documents call it an "80 Alphanumeric Character Limit"
/// field that travels with the ACH instruction to the customer's bank, and
/// banks show or drop other characters unpredictably, so Linkdesk sends only
/// what every bank displays as typed. Blank means "no descriptor".
pub fn validate_soft_descriptor(input: &str) -> AppResult<Option<String>> {
    let text = input.trim();
    if text.is_empty() {
        return Ok(None);
    }
    if text.chars().count() > SOFT_DESCRIPTOR_MAX {
        return Err(AppError::invalid(format!(
            "The statement descriptor must be at most {SOFT_DESCRIPTOR_MAX} characters"
        )));
    }
    if let Some(bad) = text
        .chars()
        .find(|c| !(c.is_ascii_alphanumeric() || *c == ' '))
    {
        return Err(AppError::invalid(format!(
            "The statement descriptor may hold only letters A-Z, digits and spaces, not \"{bad}\""
        )));
    }
    Ok(Some(text.to_string()))
}

/// A payment's or refund's fields, checked before any token is fetched.
pub fn validate_transfer(
    customer_id: &str,
    amount: &Money,
    soft_descriptor: Option<&str>,
    request_key: &str,
) -> AppResult<Option<String>> {
    if customer_id.trim().is_empty() {
        return Err(AppError::invalid("A customer ID is required"));
    }
    if amount.currency != USD {
        return Err(AppError::invalid(format!(
            "Link Money supports only USD, not \"{}\"",
            amount.currency
        )));
    }
    if amount.cents <= 0 || amount.cents > MAX_AMOUNT_CENTS {
        return Err(AppError::invalid(format!(
            "The amount must be greater than zero and at most {}",
            super::money::format_cents(MAX_AMOUNT_CENTS)
        )));
    }
    if request_key.trim().is_empty() {
        return Err(AppError::invalid("A request key is required"));
    }
    match soft_descriptor {
        Some(d) => validate_soft_descriptor(d),
        None => Ok(None),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn descriptors_are_ascii_alphanumeric_and_spaces() {
        assert_eq!(validate_soft_descriptor("").unwrap(), None);
        assert_eq!(validate_soft_descriptor("   ").unwrap(), None);
        assert_eq!(
            validate_soft_descriptor(" Refund 1234 ")
                .unwrap()
                .as_deref(),
            Some("Refund 1234")
        );
        assert!(validate_soft_descriptor(&"A".repeat(80)).unwrap().is_some());
        for bad in [
            "A".repeat(81),
            "Refund #1".to_string(),
            "Café".to_string(),
            "<script>".to_string(),
            "a\tb".to_string(),
            "x-y".to_string(),
        ] {
            assert!(validate_soft_descriptor(&bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn transfers_are_checked() {
        let ok = validate_transfer("c", &Money::usd(100), Some("Hi"), "k");
        assert_eq!(ok.unwrap().as_deref(), Some("Hi"));
        assert!(validate_transfer("", &Money::usd(100), None, "k").is_err());
        assert!(validate_transfer("c", &Money::usd(0), None, "k").is_err());
        assert!(validate_transfer("c", &Money::usd(-5), None, "k").is_err());
        assert!(validate_transfer("c", &Money::usd(MAX_AMOUNT_CENTS + 1), None, "k").is_err());
        let eur = Money {
            cents: 100,
            currency: "EUR".into(),
        };
        assert!(validate_transfer("c", &eur, None, "k").is_err());
        assert!(validate_transfer("c", &Money::usd(100), None, " ").is_err());
        assert!(validate_transfer("c", &Money::usd(100), Some("a_b"), "k").is_err());
    }
}
