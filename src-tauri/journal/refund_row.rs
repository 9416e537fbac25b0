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
    /// Link Money answered "key already used" to a later attempt of a key this
    /// journal had sent: an earlier attempt reached it, but whether it was
    /// authorized or failed was never read. Counts as sent.
    SentUnconfirmed,
    /// Link Money answered "key already used" to the first attempt: this
    /// payment's refund with this number was made elsewhere (another seat or
    /// tool). Nothing was sent from here.
    MadeElsewhere,
    /// Provably not sent, or refused by Link Money: nothing happened.
    FailedNotSent,
    /// Still unknown after the retries; resolved later with the same key.
    Unresolved,
    /// The dialog was closed without sending.
    Discarded,
    /// Team mode: above the team threshold, requested for a second agent's
    /// approval; nothing sent yet. Counts against the payment meanwhile.
    AwaitingApproval,
    /// Team mode: another agent rejected it (the reason is in
    /// `error_message`); nothing was sent.
    Rejected,
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
            RefundState::SentUnconfirmed => "SENT_UNCONFIRMED",
            RefundState::MadeElsewhere => "MADE_ELSEWHERE",
            RefundState::FailedNotSent => "FAILED_NOT_SENT",
            RefundState::Unresolved => "UNRESOLVED",
            RefundState::Discarded => "DISCARDED",
            RefundState::AwaitingApproval => "AWAITING_APPROVAL",
            RefundState::Rejected => "REJECTED",
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
            // The name older journals used for the same meaning.
            "SENT_UNCONFIRMED" | "CONFIRMED_DUPLICATE" => RefundState::SentUnconfirmed,
            "MADE_ELSEWHERE" => RefundState::MadeElsewhere,
            "FAILED_NOT_SENT" => RefundState::FailedNotSent,
            "UNRESOLVED" => RefundState::Unresolved,
            "DISCARDED" => RefundState::Discarded,
            "AWAITING_APPROVAL" => RefundState::AwaitingApproval,
            "REJECTED" => RefundState::Rejected,
            other => RefundState::Other(other.to_string()),
        }
    }

    /// Whether the outcome is still to be found out with the same key.
    pub fn is_open(&self) -> bool {
        matches!(self, RefundState::Sending | RefundState::Unresolved)
    }

    /// Whether Link Money answered with the refund's own status, which a
    /// look-up of the refund's transaction may update.
    pub fn is_service_status(&self) -> bool {
        matches!(
            self,
            RefundState::Authorized | RefundState::Pending | RefundState::Other(_)
        )
    }

    /// The state in words a support engineer reads; never internal jargon.
    pub fn headline(&self) -> &'static str {
        match self {
            RefundState::Draft => "Not submitted",
            RefundState::Sending => "Sending",
            RefundState::Unresolved => "Waiting to be resolved",
            RefundState::Authorized => "Sent — authorized",
            RefundState::Pending => "Sent — pending",
            RefundState::SentUnconfirmed => "Sent — outcome not confirmed",
            RefundState::TerminalFailed => "Failed — nothing refunded",
            RefundState::FailedNotSent => "Failed, not sent",
            RefundState::MadeElsewhere => "Not sent — made elsewhere",
            RefundState::Discarded => "Discarded",
            RefundState::AwaitingApproval => "Waiting for approval",
            RefundState::Rejected => "Rejected — not sent",
            RefundState::Other(s) => match s.as_str() {
                "SUCCEEDED" => "Sent — settled",
                "CANCELED" | "CANCELLED" => "Cancelled — nothing refunded",
                "RETRYABLE_FAILED" => "Sent — failed, may be retried",
                _ => "Sent",
            },
        }
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
pub(super) const NOT_COUNTED: &str =
    "('DRAFT', 'DISCARDED', 'FAILED_NOT_SENT', 'TERMINAL_FAILED', 'MADE_ELSEWHERE', 'CANCELED', 'CANCELLED', 'REJECTED')";
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
    /// The payment this refund refunds (None only in rows of older journals).
    pub transaction_id: Option<String>,
    /// This refund's number among the payment's refunds (1, 2, …).
    pub refund_number: Option<u32>,
    /// The payment's amount when the refund was opened.
    pub payment_cents: Option<i64>,
    /// What was left to refund of the payment when the dialog opened.
    pub cap_cents: Option<i64>,
    pub cap_scope: Option<String>,
    /// The Link Money URL and merchant the refund was confirmed for: it is
    /// never sent anywhere else.
    pub linkmoney_url: Option<String>,
    pub merchant_id: Option<String>,
    /// What this seat asked to refund (for a refund made elsewhere: what it
    /// would have sent, not what went out).
    pub amount_cents: Option<i64>,
    /// For a refund made elsewhere: its amount, as a person recorded it.
    pub elsewhere_cents: Option<i64>,
    pub currency: String,
    pub client_reference_id: Option<String>,
    pub soft_descriptor: Option<String>,
    pub state: RefundState,
    /// `state` in words (see `RefundState::headline`).
    pub headline: &'static str,
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
    error_code, error_message, last_error, created_at, sent_at, updated_at, resolved_at,
    refund_number, payment_cents, linkmoney_url, merchant_id, elsewhere_cents";

pub(super) fn from_row(r: &Row<'_>) -> rusqlite::Result<RefundRow> {
    let state = RefundState::parse(&r.get::<_, String>(16)?);
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
        refund_number: r.get(27)?,
        payment_cents: r.get(28)?,
        cap_cents: r.get(10)?,
        cap_scope: r.get(11)?,
        linkmoney_url: r.get(29)?,
        merchant_id: r.get(30)?,
        elsewhere_cents: r.get(31)?,
        amount_cents: r.get(12)?,
        currency: r.get(13)?,
        client_reference_id: r.get(14)?,
        soft_descriptor: r.get(15)?,
        headline: state.headline(),
        state,
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

/// What the refund dialog was opened on: one payment, re-read from Link
/// Money. The journal gives it its number and request key.
#[derive(Debug, Clone, PartialEq)]
pub struct Draft {
    pub env_id: String,
    pub env_name: String,
    pub env_kind: String,
    pub customer_id: String,
    pub customer_name: String,
    pub customer_status: Option<String>,
    pub account_last_four: Option<String>,
    pub account_status: Option<String>,
    pub transaction_id: String,
    pub payment_cents: i64,
    pub linkmoney_url: String,
    pub merchant_id: String,
}

impl Draft {
    /// Just enough of a draft to ask the journal what counts against a
    /// payment (`Journal::refunded`).
    pub fn of_payment(
        env_id: &str,
        merchant_id: &str,
        customer_id: &str,
        transaction_id: &str,
    ) -> Draft {
        Draft {
            env_id: env_id.to_string(),
            env_name: String::new(),
            env_kind: String::new(),
            customer_id: customer_id.to_string(),
            customer_name: String::new(),
            customer_status: None,
            account_last_four: None,
            account_status: None,
            transaction_id: transaction_id.to_string(),
            payment_cents: 0,
            linkmoney_url: String::new(),
            merchant_id: merchant_id.to_string(),
        }
    }
}

/// A draft as journaled, with what already counts against its payment.
#[derive(Debug, Clone, PartialEq)]
pub struct Drafted {
    pub request_key: String,
    pub refund_number: u32,
    pub refunded: Refunded,
}

/// "#1, #3".
fn numbered(numbers: &[u32]) -> String {
    numbers
        .iter()
        .map(|n| format!("#{n}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// What counts against a payment's amount in this journal.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Refunded {
    /// Refunds of the payment that were sent or may have been, in cents.
    pub of_payment: i64,
    /// Refunds to the payment's customer that older journals recorded
    /// without a payment: they count against every payment of the customer.
    pub unbound: i64,
    /// Refunds of the payment made elsewhere, with the amounts people
    /// recorded for them.
    pub elsewhere: i64,
    /// Numbers of the payment's refunds that Link Money says were made
    /// elsewhere.
    pub made_elsewhere: Vec<u32>,
    /// Those of them whose amount nobody has recorded yet: while any is
    /// left, what remains of the payment is unknown and nothing more is sent.
    pub elsewhere_unknown: Vec<u32>,
    /// Numbers of the payment's refunds this journal is sending or waiting
    /// to resolve: until their outcome is known nothing more is sent (a
    /// later number going out first would leave them a gap another seat's
    /// refund could fall into).
    pub waiting: Vec<u32>,
}

impl Refunded {
    pub fn total(&self) -> i64 {
        self.of_payment + self.unbound + self.elsewhere
    }

    /// Why no further refund of this payment may go out from here now: one
    /// of its refunds waits to be resolved, or Link Money holds one for an
    /// amount nobody has recorded.
    pub fn blocked(&self) -> Option<String> {
        if !self.waiting.is_empty() {
            let numbers = numbered(&self.waiting);
            return Some(format!(
                "Refund {numbers} of this payment is still being sent or waiting to be resolved. Resolve it first (Refund journal → Retry, or wait for it): until its outcome is known, no further refund of this payment goes out from here."
            ));
        }
        self.unknown_elsewhere()
    }

    /// Why nothing more may be refunded of this payment from here, while a
    /// refund made elsewhere has no recorded amount.
    pub fn unknown_elsewhere(&self) -> Option<String> {
        if self.elsewhere_unknown.is_empty() {
            return None;
        }
        let numbers = numbered(&self.elsewhere_unknown);
        Some(format!(
            "Link Money has refund {numbers} of this payment for an amount Linkdesk does not know (made elsewhere, or sent from here with its answer lost, when another seat may have used the same number), so what is left of the payment is unknown. Look it up at Link Money (or ask who made it) and record the amount that went out in the refund journal before refunding more."
        ))
    }
}

/// What the user confirmed, checked and about to be sent.
#[derive(Debug, Clone, PartialEq)]
pub struct Sending {
    pub amount_cents: i64,
    pub client_reference_id: Option<String>,
    pub soft_descriptor: Option<String>,
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
