//! Amounts in whole cents. Link Money sends and takes amounts as JSON numbers
//! with at most two decimals; Linkdesk never does arithmetic on floats: the
//! number's decimal text is read digit by digit.

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::error::{AppError, AppResult};

/// The only currency Link Money supports.
pub const USD: &str = "USD";

/// The largest amount a user may type: a refund above a million dollars is a
/// typo, not a support case.
pub const MAX_AMOUNT_CENTS: i64 = 100_000_000;

/// `{"value": 1.10, "currency": "USD"}` as 110 cents.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Money {
    pub cents: i64,
    pub currency: String,
}

impl Money {
    pub fn usd(cents: i64) -> Self {
        Self {
            cents,
            currency: USD.to_string(),
        }
    }

    /// The value as decimal text with two decimals, e.g. "1.10" or "-0.05".
    pub fn value_text(&self) -> String {
        format_cents(self.cents)
    }
}

impl fmt::Display for Money {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.currency.is_empty() {
            f.write_str(&self.value_text())
        } else {
            write!(f, "{} {}", self.value_text(), self.currency)
        }
    }
}

pub fn format_cents(cents: i64) -> String {
    let sign = if cents < 0 { "-" } else { "" };
    let abs = cents.unsigned_abs();
    format!("{sign}{}.{:02}", abs / 100, abs % 100)
}

/// Parses an amount the user typed ("12", "12.5", "12.50") into cents.
/// Positive, at most two decimals, digits and one dot only (no sign, exponent,
/// thousands separator or spaces inside), at most `MAX_AMOUNT_CENTS`.
pub fn parse_amount(input: &str) -> AppResult<i64> {
    let text = input.trim();
    let invalid = || {
        AppError::invalid(format!(
            "\"{text}\" is not an amount: use digits with at most two decimals, e.g. 12.50"
        ))
    };
    let cents = decimal_to_cents(text).ok_or_else(invalid)?;
    if cents <= 0 {
        return Err(AppError::invalid("The amount must be greater than zero"));
    }
    if cents > MAX_AMOUNT_CENTS {
        return Err(AppError::invalid(format!(
            "The amount must not exceed {}",
            format_cents(MAX_AMOUNT_CENTS)
        )));
    }
    Ok(cents)
}

/// "123", "123.4", "123.45" → cents; anything else (sign, exponent, a third
/// decimal, a bare dot, overflow) → None.
fn decimal_to_cents(text: &str) -> Option<i64> {
    let (whole, frac) = match text.split_once('.') {
        Some((w, f)) => (w, f),
        None => (text, ""),
    };
    let all_digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
    if whole.is_empty() || !all_digits(whole) || !all_digits(frac) || frac.len() > 2 {
        return None;
    }
    if text.contains('.') && frac.is_empty() {
        return None;
    }
    let whole: i64 = whole.parse().ok()?;
    let frac_cents: i64 = match frac.len() {
        0 => 0,
        1 => frac.parse::<i64>().ok()? * 10,
        _ => frac.parse().ok()?,
    };
    whole.checked_mul(100)?.checked_add(frac_cents)
}

/// Reads a number as Link Money sent it. serde_json prints a parsed number as
/// the shortest text that reads back to the same value, which is the text that
/// was sent for any amount with at most two decimals; more decimals or an
/// exponent are refused rather than rounded.
fn cents_from_number_text(text: &str) -> Option<i64> {
    match text.strip_prefix('-') {
        Some(rest) => decimal_to_cents(rest).map(|c| -c),
        None => decimal_to_cents(text),
    }
}

impl Serialize for Money {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeStruct;
        // A JSON number is what the documents show. cents / 100 is the double
        // nearest to the two-decimal value, and serde_json prints doubles in
        // their shortest round-trip form, so the text has at most two decimals.
        let value = self.cents as f64 / 100.0;
        let mut st = s.serialize_struct("Money", 2)?;
        st.serialize_field("value", &value)?;
        st.serialize_field("currency", &self.currency)?;
        st.end()
    }
}

impl<'de> Deserialize<'de> for Money {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        struct Wire {
            value: serde_json::Value,
            #[serde(default)]
            currency: Option<String>,
        }
        let wire = Wire::deserialize(d)?;
        let text = match &wire.value {
            serde_json::Value::Number(n) => n.to_string(),
            serde_json::Value::String(s) => s.trim().to_string(),
            other => {
                return Err(serde::de::Error::custom(format!(
                    "amount value {other} is not a number"
                )))
            }
        };
        let cents = cents_from_number_text(&text).ok_or_else(|| {
            serde::de::Error::custom(format!(
                "amount value {text} is not a decimal with at most two decimals"
            ))
        })?;
        Ok(Money {
            cents,
            currency: wire.currency.unwrap_or_default(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn user_amounts_parse_to_cents() {
        assert_eq!(parse_amount("12").unwrap(), 1200);
        assert_eq!(parse_amount("12.5").unwrap(), 1250);
        assert_eq!(parse_amount(" 12.05 ").unwrap(), 1205);
        assert_eq!(parse_amount("0.01").unwrap(), 1);
        assert_eq!(parse_amount("1000000.00").unwrap(), MAX_AMOUNT_CENTS);
    }

    #[test]
    fn bad_user_amounts_are_refused() {
        for bad in [
            "",
            "0",
            "0.00",
            "-1",
            "+1",
            "1.005",
            "1e3",
            "1E3",
            "1.",
            ".5",
            "1,000",
            "1 000",
            "abc",
            "NaN",
            "inf",
            "1000000.01",
            "99999999999999999999",
            "١٢",
            "1.2.3",
            "0x10",
        ] {
            let err = parse_amount(bad).unwrap_err();
            assert_eq!(err.code, crate::error::ErrorCode::InvalidInput, "{bad}");
        }
    }

    #[test]
    fn amounts_read_from_number_text() {
        let m: Money = serde_json::from_value(json!({"value": 1.1, "currency": "USD"})).unwrap();
        assert_eq!(m, Money::usd(110));
        let m: Money = serde_json::from_str(r#"{"value": 1.10, "currency": "USD"}"#).unwrap();
        assert_eq!(m.cents, 110);
        let m: Money = serde_json::from_str(r#"{"value": 1, "currency": "USD"}"#).unwrap();
        assert_eq!(m.cents, 100);
        let m: Money = serde_json::from_str(r#"{"value": 0.29, "currency": "USD"}"#).unwrap();
        assert_eq!(m.cents, 29);
        let m: Money = serde_json::from_str(r#"{"value": 123456.78, "currency": "USD"}"#).unwrap();
        assert_eq!(m.cents, 12_345_678);
        let m: Money = serde_json::from_str(r#"{"value": "5.25", "currency": "USD"}"#).unwrap();
        assert_eq!(m.cents, 525);
        let m: Money = serde_json::from_str(r#"{"value": -3.5}"#).unwrap();
        assert_eq!(
            m,
            Money {
                cents: -350,
                currency: String::new()
            }
        );
    }

    #[test]
    fn amounts_with_more_decimals_are_refused() {
        assert!(serde_json::from_str::<Money>(r#"{"value": 1.005, "currency": "USD"}"#).is_err());
        assert!(serde_json::from_str::<Money>(r#"{"value": null, "currency": "USD"}"#).is_err());
    }

    #[test]
    fn amounts_serialize_as_numbers_with_two_decimals_at_most() {
        for cents in [
            1,
            10,
            29,
            110,
            100,
            12_345_678,
            99_999_999,
            MAX_AMOUNT_CENTS,
            7,
            1_000_003,
        ] {
            let text = serde_json::to_string(&Money::usd(cents)).unwrap();
            let value: serde_json::Value = serde_json::from_str(&text).unwrap();
            let n = value["value"].to_string();
            let decimals = n.split_once('.').map(|(_, f)| f.len()).unwrap_or(0);
            assert!(decimals <= 2 && !n.contains('e'), "{cents} → {n}");
            let back: Money = serde_json::from_str(&text).unwrap();
            assert_eq!(back.cents, cents);
        }
        assert_eq!(
            serde_json::to_string(&Money::usd(110)).unwrap(),
            r#"{"value":1.1,"currency":"USD"}"#
        );
    }

    #[test]
    fn every_cent_value_up_to_ten_thousand_dollars_round_trips() {
        for cents in (0..1_000_000).step_by(7) {
            let text = serde_json::to_string(&Money::usd(cents)).unwrap();
            let back: Money = serde_json::from_str(&text).unwrap();
            assert_eq!(back.cents, cents, "{text}");
        }
    }

    #[test]
    fn display_uses_two_decimals() {
        assert_eq!(Money::usd(110).to_string(), "1.10 USD");
        assert_eq!(format_cents(-5), "-0.05");
        assert_eq!(format_cents(0), "0.00");
    }
}
