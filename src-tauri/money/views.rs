//! What the lookups answer to the UI: the documented records, plus amounts in
//! whole cents so the window never does arithmetic on floats.

use serde::Serialize;

use crate::journal::RefundRow;
use crate::linkmoney::{
    format_cents, AccountDetails, Customer, Money, Payout, Transaction, VerifiedAccount,
};

/// A customer with their accounts, as the customer view shows them.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CustomerView {
    pub customer: Customer,
    pub name: String,
    /// None when the accounts could not be had (the note says why).
    pub accounts: Option<Vec<AccountDetails>>,
    pub accounts_note: Option<String>,
    pub verified_accounts: Option<Vec<VerifiedAccount>>,
    pub verified_note: Option<String>,
    /// Why "Refund" is refused for this customer right now, if it is.
    pub refund_block: Option<String>,
    /// The customer's transactions that Linkdesk has seen (from the cache).
    pub transactions: Vec<TransactionLine>,
}

/// A transaction in a list, with its amount in cents for display.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct TransactionLine {
    pub transaction_id: String,
    pub transaction_type: Option<String>,
    pub transaction_status: Option<String>,
    pub amount_cents: Option<i64>,
    pub currency: Option<String>,
    pub creation_date: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct TransactionView {
    pub transaction: Transaction,
    pub amount_cents: Option<i64>,
    pub currency: Option<String>,
    /// The customer's name when the customer is in the cache.
    pub customer_name: Option<String>,
    pub refund_block: Option<String>,
    /// Refunds Linkdesk made from this transaction (from the refund journal).
    pub refunds: Vec<RefundRow>,
    /// What counts against the payment in this journal (refunds sent or
    /// that may have been, and refunds made elsewhere as recorded).
    pub refunded_cents: i64,
    /// What is left to refund; None when it is not a refundable payment or a
    /// refund made elsewhere has no recorded amount.
    pub left_cents: Option<i64>,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PayoutView {
    pub payout: Payout,
    pub amount_cents: Option<i64>,
    pub currency: Option<String>,
}

pub(crate) fn cents(m: &Option<Money>) -> (Option<i64>, Option<String>) {
    match m {
        Some(m) => (Some(m.cents), Some(m.currency.clone())),
        None => (None, None),
    }
}

impl From<&Transaction> for TransactionLine {
    fn from(t: &Transaction) -> Self {
        let (amount_cents, currency) = cents(&t.amount);
        Self {
            transaction_id: t.transaction_id.to_string(),
            transaction_type: t.transaction_type.clone(),
            transaction_status: t.transaction_status.clone(),
            amount_cents,
            currency,
            creation_date: t.creation_date.clone(),
        }
    }
}

/// "$12.50 · SUCCEEDED" for the Recent list.
pub(crate) fn money_label(amount: &Option<Money>, status: &Option<String>) -> String {
    let amount = amount.as_ref().map(|m| {
        format!("${} {}", format_cents(m.cents), m.currency)
            .trim()
            .to_string()
    });
    [amount, status.clone()]
        .into_iter()
        .flatten()
        .collect::<Vec<_>>()
        .join(" · ")
}

pub(crate) fn payout_view(payout: Payout) -> PayoutView {
    let (amount_cents, currency) = cents(&payout.amount);
    PayoutView {
        payout,
        amount_cents,
        currency,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_show_dollars_from_cents() {
        assert_eq!(
            money_label(&Some(Money::usd(123_456)), &Some("SUCCEEDED".into())),
            "$1234.56 USD · SUCCEEDED"
        );
        assert_eq!(money_label(&None, &None), "");
    }
}
