//! What a refund journal row holds: its state, its columns, and the values
//! written into it at each step.

use rusqlite::Row;
use serde::Serialize;

/// Where a refund stands. Payment statuses are kept as Link Money sent them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RefundState {
    /// The dialog is open; nothing has been sent.
    Draft,
    /// Written before the first request; the outcome is not known yet.
    Sending,
    Authorized,
    Pending,
    TerminalFailed,
    /// Link Money rejected the key as used: an earlier attempt went through.
    ConfirmedDuplicate,
    /// Provably not sent, or refused by Link Money: nothing happened.
    FailedNotSent,
    /// Still unknown after the retries; resolved later with the same key.
    Unresolved,
    /// The dialog was closed without sending.
    Discarded,
    /// A payment status Link Money's documents do not list, as it came.
    Other(String),
}

impl RefundState {
    pub fn as_str(&self) -> &str {
        match self {
            RefundState::Draft => "DRAFT",
            RefundState::Sending => "SENDING",
            RefundState::Authorized => "AUTHORIZED",
            RefundState::Pending => "PENDING",
            RefundState::TerminalFailed => "TERMINAL_FAILED",
            RefundState::ConfirmedDuplicate => "CONFIRMED_DUPLICATE",
            RefundState::FailedNotSent => "FAILED_NOT_SENT",
            RefundState::Unresolved => "UNRESOLVED",
            RefundState::Discarded => "DISCARDED",
            RefundState::Other(s) => s,
        }
    }

    pub fn parse(s: &str) -> Self {
        match s {
            "DRAFT" => RefundState::Draft,
            "SENDING" => RefundState::Sending,
            "AUTHORIZED" => RefundState::Authorized,
            "PENDING" => RefundState::Pending,
            "TERMINAL_FAILED" => RefundState::TerminalFailed,
            "CONFIRMED_DUPLICATE" => RefundState::ConfirmedDuplicate,
            "FAILED_NOT_SENT" => RefundState::FailedNotSent,
            "UNRESOLVED" => RefundState::Unresolved,
            "DISCARDED" => RefundState::Discarded,
            other => RefundState::Other(other.to_string()),
        }
    }

    /// Whether the outcome is still to be found out with the same key.
    pub fn is_open(&self) -> bool {
        matches!(self, RefundState::Sending | RefundState::Unresolved)
    }
}

impl Serialize for RefundState {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

/// States in which no money went out, so the refund does not count against
/// what the customer has paid. Every other state counts, including the ones
/// whose outcome is unknown.
pub(super) const NOT_COUNTED: &str = "('DRAFT', 'DISCARDED', 'FAILED_NOT_SENT', 'TERMINAL_FAILED')";
pub(super) const OPEN_STATES: &str = "('SENDING', 'UNRESOLVED')";

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RefundRow {
    pub request_key: String,
    pub env_id: String,
    pub env_name: String,
    pub env_kind: String,
    pub customer_id: String,
    pub customer_name: String,
    pub customer_status: Option<String>,
    pub account_last_four: Option<String>,
    pub account_status: Option<String>,
    pub transaction_id: Option<String>,
    pub cap_cents: Option<i64>,
    pub cap_scope: Option<String>,
    pub amount_cents: Option<i64>,
    pub currency: String,
    pub client_reference_id: Option<String>,
    pub soft_descriptor: Option<String>,
    pub state: RefundState,
    pub attempts: u32,
    pub payment_id: Option<String>,
    pub payment_status: Option<String>,
    pub error_code: Option<String>,
    pub error_message: Option<String>,
    pub last_error: Option<String>,
    pub created_at: String,
    pub sent_at: Option<String>,
    pub updated_at: String,
    pub resolved_at: Option<String>,
}

pub(super) const COLUMNS: &str = "request_key, env_id, env_name, env_kind, customer_id, customer_name,
    customer_status, account_last_four, account_status, transaction_id, cap_cents, cap_scope,
    amount_cents, currency, client_reference_id, soft_descriptor, state, attempts, payment_id, payment_status,
    error_code, error_message, last_error, created_at, sent_at, updated_at, resolved_at";

pub(super) fn from_row(r: &Row<'_>) -> rusqlite::Result<RefundRow> {
    Ok(RefundRow {
        request_key: r.get(0)?,
        env_id: r.get(1)?,
        env_name: r.get(2)?,
        env_kind: r.get(3)?,
        customer_id: r.get(4)?,
        customer_name: r.get(5)?,
        customer_status: r.get(6)?,
        account_last_four: r.get(7)?,
        account_status: r.get(8)?,
        transaction_id: r.get(9)?,
        cap_cents: r.get(10)?,
        cap_scope: r.get(11)?,
        amount_cents: r.get(12)?,
        currency: r.get(13)?,
        client_reference_id: r.get(14)?,
        soft_descriptor: r.get(15)?,
        state: RefundState::parse(&r.get::<_, String>(16)?),
        attempts: r.get(17)?,
        payment_id: r.get(18)?,
        payment_status: r.get(19)?,
        error_code: r.get(20)?,
        error_message: r.get(21)?,
        last_error: r.get(22)?,
        created_at: r.get(23)?,
        sent_at: r.get(24)?,
        updated_at: r.get(25)?,
        resolved_at: r.get(26)?,
    })
}

/// What the refund dialog was opened on.
#[derive(Debug, Clone, PartialEq)]
pub struct Draft {
    pub request_key: String,
    pub env_id: String,
    pub env_name: String,
    pub env_kind: String,
    pub customer_id: String,
    pub customer_name: String,
    pub customer_status: Option<String>,
    pub account_last_four: Option<String>,
    pub account_status: Option<String>,
    pub transaction_id: Option<String>,
    pub cap_cents: Option<i64>,
    pub cap_scope: Option<CapScope>,
}

/// What the user confirmed, checked and about to be sent.
#[derive(Debug, Clone, PartialEq)]
pub struct Sending {
    pub amount_cents: i64,
    pub client_reference_id: Option<String>,
    pub soft_descriptor: Option<String>,
}

/// Which earlier refunds count against what the customer has paid.
#[derive(Debug, Clone, PartialEq)]
pub enum CapScope {
    /// Refunds made from this transaction.
    Transaction(String),
    /// Every refund to this customer.
    Customer(String),
}

impl CapScope {
    pub(super) fn column(&self) -> &'static str {
        match self {
            CapScope::Transaction(_) => "transaction",
            CapScope::Customer(_) => "customer",
        }
    }
}

impl RefundRow {
    /// Whose refunds count against `cap_cents`, as recorded when it opened.
    pub fn cap_scope(&self) -> Option<CapScope> {
        match (self.cap_scope.as_deref(), &self.transaction_id) {
            (Some("transaction"), Some(t)) => Some(CapScope::Transaction(t.clone())),
            (Some("customer"), _) => Some(CapScope::Customer(self.customer_id.clone())),
            _ => None,
        }
    }
}

/// The outcome to record for a refund.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Settled {
    pub payment_id: Option<String>,
    pub payment_status: Option<String>,
    pub error_code: Option<String>,
    pub error_message: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_payment_statuses_are_kept_as_they_came() {
        assert_eq!(RefundState::parse("SETTLING").as_str(), "SETTLING");
        assert_eq!(RefundState::parse("PENDING"), RefundState::Pending);
        assert!(RefundState::Unresolved.is_open());
        assert!(!RefundState::Authorized.is_open());
    }
}
