//! Sending a journaled refund and finding out its outcome. Every attempt uses
//! the refund's one request key: an attempt whose outcome is unknown is sent
//! again with that key. Link Money's "key already used" answer to a later
//! attempt proves an earlier one reached it — not that it was authorized (a
//! TERMINAL_FAILED refund uses its key too) — so it reads "sent, outcome not
//! confirmed"; the same answer to the first attempt means the key was used
//! elsewhere (the key is derived from the payment, so another seat made this
//! payment's refund #n) and nothing was sent from here. Only the first
//! attempt of a key may conclude "nothing was sent"; after an attempt of
//! unknown outcome nothing short of an answer from Link Money settles it.

use std::sync::Arc;
use std::time::Duration;

use serde_json::json;

use crate::app::blocking;
use crate::audit;
use crate::error::{AppError, AppResult, ErrorCode};
use crate::journal::{target_mismatch, Journal, RefundRow, RefundState, Settled, Target};
use crate::linkmoney::{LinkMoneyClient, Money, PaymentFailure, RefundRequest};
use crate::session::Session;

/// How often an attempt of unknown outcome is repeated before the refund is
/// left UNRESOLVED (to be resolved later with the same key).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Attempts in one go, the first included.
    pub attempts: u32,
    /// The pause before the second attempt; doubled for each further one.
    pub first_delay: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            attempts: 4,
            first_delay: Duration::from_millis(500),
        }
    }
}

impl RetryPolicy {
    fn delay(&self, retry: u32) -> Duration {
        self.first_delay.saturating_mul(2u32.saturating_pow(retry))
    }
}

fn journal_error(e: crate::journal::JournalError) -> AppError {
    e.into()
}

/// Sends the refund `row` (SENDING or UNRESOLVED) until its outcome is known
/// or the policy's attempts are used up, recording everything in the journal.
/// Returns the row as it now stands.
pub async fn send(
    journal: &Journal,
    client: &LinkMoneyClient,
    row: &RefundRow,
    policy: RetryPolicy,
) -> AppResult<RefundRow> {
    journal.ensure_can_send()?;
    let key = row.request_key.clone();
    if let Some(why) = target_mismatch(row, &target_of(&row.env_id, client)) {
        return Err(AppError::new(ErrorCode::Conflict, why));
    }
    let Some(_claim) = journal.claim(&key) else {
        return Err(AppError::new(
            ErrorCode::Conflict,
            "This refund is being sent right now; wait for its outcome",
        ));
    };
    // Another task may have settled it since `row` was read.
    let j = journal.clone();
    let k = key.clone();
    let current = blocking(move || j.refund(&k).map_err(journal_error)).await?;
    let row = match current {
        Some(r) if r.state.is_open() => r,
        Some(r) => return Ok(r),
        None => return Err(AppError::internal("The refund vanished from the journal")),
    };
    let amount = row.amount_cents.ok_or_else(|| {
        AppError::internal("The journaled refund has no amount; it was never sent")
    })?;
    let request = RefundRequest {
        customer_id: row.customer_id.clone(),
        amount: Money::usd(amount),
        client_reference_id: row.client_reference_id.clone(),
        soft_descriptor: row.soft_descriptor.clone(),
        request_key: key.clone(),
    };
    let mut retry = 0;
    loop {
        let j = journal.clone();
        let k = key.clone();
        let attempt = blocking(move || j.start_attempt(&k).map_err(journal_error)).await?;
        let outcome = client.send_refund(&request).await;
        let j = journal.clone();
        let k = key.clone();
        let number = row.refund_number;
        let again =
            blocking(move || record(&j, &k, attempt, number, outcome).map_err(journal_error))
                .await?;
        match again {
            Some(error) if retry + 1 < policy.attempts => {
                tracing::warn!(request_key = %key, attempt, %error, "refund outcome unknown; sending again with the same key");
                tokio::time::sleep(policy.delay(retry)).await;
                retry += 1;
            }
            Some(error) => {
                let j = journal.clone();
                let k = key.clone();
                blocking(move || j.mark_unresolved(&k, &error).map_err(journal_error)).await?;
                tracing::error!(request_key = %key, "refund still unresolved after {} attempts", policy.attempts);
                break;
            }
            None => break,
        }
    }
    let j = journal.clone();
    let now = blocking(move || {
        j.refund(&key)
            .map_err(journal_error)?
            .ok_or_else(|| AppError::internal("The refund vanished from the journal"))
    })
    .await?;
    // Team mode: the claim's outcome follows the journal's.
    if let Some(kind) = journal.team_kind_of(&now.env_id) {
        super::refunds::queue_claim_outcome(journal, &kind, &now.request_key, now.state.as_str())
            .await;
    }
    Ok(now)
}

/// Records one attempt's outcome. Returns the error to retry on when the
/// outcome is still unknown, None when the refund is settled.
fn record(
    journal: &Journal,
    key: &str,
    attempt: u32,
    number: Option<u32>,
    outcome: Result<crate::linkmoney::PaymentResult, PaymentFailure>,
) -> Result<Option<String>, crate::journal::JournalError> {
    match outcome {
        Ok(result) => {
            let (error_code, error_message) = match &result.error_details {
                Some(d) => (d.error_code.clone(), d.error_message.clone()),
                None => (None, None),
            };
            let state = RefundState::parse(&result.payment_status);
            let settled = Settled {
                payment_id: Some(result.payment_id.to_string()),
                payment_status: Some(result.payment_status.clone()),
                error_code,
                error_message,
            };
            // A status the documents do not list is kept as it came, but never
            // one that would read as "still to be sent".
            let state = match state {
                RefundState::Draft
                | RefundState::Sending
                | RefundState::Unresolved
                | RefundState::Discarded
                | RefundState::AwaitingApproval
                | RefundState::Rejected
                | RefundState::FailedNotSent
                | RefundState::SentUnconfirmed
                | RefundState::MadeElsewhere => RefundState::Other(result.payment_status),
                s => s,
            };
            journal.settle(key, &state, &settled)?;
            Ok(None)
        }
        Err(PaymentFailure::DuplicateKey) if attempt == 1 => {
            let which = number
                .map(|n| format!("refund #{n}"))
                .unwrap_or_else(|| "a refund".into());
            let settled = Settled {
                error_code: Some("DUPLICATE_REQUEST_KEY".into()),
                error_message: Some(format!(
                    "This payment already has {which}, made elsewhere (another Linkdesk or another tool): Link Money refused the key, and nothing was sent from here. Ask who made it and record its amount before this payment is refunded further."
                )),
                ..Settled::default()
            };
            journal.settle(key, &RefundState::MadeElsewhere, &settled)?;
            Ok(None)
        }
        Err(PaymentFailure::DuplicateKey) => {
            let settled = Settled {
                error_code: Some("DUPLICATE_REQUEST_KEY".into()),
                error_message: Some(format!(
                    "Link Money now says the key of {} is already used: an earlier attempt of it may have got there with its answer lost, or another seat or tool made that refund of this payment. Which, for how much, and whether it was authorized or failed is not confirmed. It is never sent again; look it up at Link Money and record the amount that went out under it before this payment is refunded further.",
                    number.map(|n| format!("refund #{n}")).unwrap_or_else(|| "this refund".into())
                )),
                ..Settled::default()
            };
            journal.settle(key, &RefundState::SentUnconfirmed, &settled)?;
            Ok(None)
        }
        Err(PaymentFailure::NotSent(e) | PaymentFailure::Rejected(e)) if attempt == 1 => {
            let settled = Settled {
                error_code: Some(error_code(&e)),
                error_message: Some(e.message),
                ..Settled::default()
            };
            journal.settle(key, &RefundState::FailedNotSent, &settled)?;
            Ok(None)
        }
        Err(PaymentFailure::Rejected(e)) => {
            // An earlier attempt may have gone through, so a refusal now proves
            // nothing: a person has to look.
            journal.mark_unresolved(
                key,
                &format!(
                    "An earlier attempt may have gone through, and this one was refused: {}",
                    e.message
                ),
            )?;
            Ok(None)
        }
        Err(PaymentFailure::NotSent(e) | PaymentFailure::Uncertain(e)) => {
            journal.note_error(key, &e.message)?;
            Ok(Some(e.message))
        }
    }
}

fn error_code(e: &AppError) -> String {
    e.code.as_str().to_string()
}

/// Where refunds from this client go: the environment, the Link Money URL
/// and the merchant as the client uses them.
pub(crate) fn target_of(env_id: &str, client: &LinkMoneyClient) -> Target {
    Target {
        env_id: env_id.to_string(),
        linkmoney_url: client.base_url().to_string(),
        merchant_id: client.merchant_id().to_string(),
    }
}

/// Asks Link Money for the status of the refunds (of `session`'s environment)
/// whose own transaction ID is known and whose status may still change, and
/// records what it says; at most 20 a time. A failed look-up changes nothing
/// (the row keeps what was known). Returns how many changed.
pub async fn refresh_statuses(
    journal: &Journal,
    session: &Session,
    work_offline: bool,
    rows: &[RefundRow],
) -> usize {
    const AT_MOST: usize = 20;
    let Ok(lm) = session.linkmoney() else {
        return 0;
    };
    if work_offline {
        return 0;
    }
    let open = rows.iter().filter(|r| {
        r.env_id == session.env.id
            && r.payment_id.is_some()
            && r.state.is_service_status()
            && !matches!(r.state.as_str(), "SUCCEEDED" | "CANCELED")
    });
    // Asked all at once: a slow service delays the view by one answer, not
    // by one answer per refund.
    let mut asks = tokio::task::JoinSet::new();
    for row in open.take(AT_MOST) {
        let (lm, key, id) = (
            lm.clone(),
            row.request_key.clone(),
            row.payment_id.clone().unwrap_or_default(),
        );
        asks.spawn(async move {
            let status = lm
                .get_transaction(&id)
                .await
                .ok()?
                .value
                .transaction_status?;
            Some((key, status))
        });
    }
    let mut found = Vec::new();
    while let Some(done) = asks.join_next().await {
        found.extend(done.ok().flatten());
    }
    if found.is_empty() {
        return 0;
    }
    let j = journal.clone();
    let team = journal.team_kind_of(&session.env.id);
    blocking(move || {
        let mut changed = 0;
        for (key, status) in &found {
            if j.update_service_status(key, status)? {
                changed += 1;
                // Team mode: the claim's outcome follows the journal's.
                if let Some(kind) = &team {
                    let now = RefundState::parse(status);
                    j.outbox_push(
                        kind,
                        "claim",
                        &json!({ "requestKey": key, "outcome": now.as_str() }),
                    )?;
                }
            }
        }
        Ok(changed)
    })
    .await
    .unwrap_or(0)
}

/// The audit entry of a refund's outcome.
pub(crate) fn audit_entry(
    action: &str,
    row: &RefundRow,
    result: &AppResult<RefundRow>,
) -> crate::journal::AuditEntry {
    let fields = json!({
        "requestKey": row.request_key,
        "customerId": row.customer_id,
        "transactionId": row.transaction_id,
        "amount": row.amount_cents.map(crate::linkmoney::format_cents),
        "currency": row.currency,
        "clientReferenceId": row.client_reference_id,
        "softDescriptor": row.soft_descriptor,
        "accountLastFour": row.account_last_four,
    });
    let result = match result {
        Ok(r) => match r.state {
            RefundState::Authorized
            | RefundState::Pending
            | RefundState::SentUnconfirmed
            | RefundState::AwaitingApproval => Ok(r),
            RefundState::Other(_) => Ok(r),
            _ => Err(AppError::new(
                ErrorCode::Conflict,
                format!(
                    "{}: {}",
                    r.state.headline(),
                    r.error_message
                        .clone()
                        .or_else(|| r.last_error.clone())
                        .unwrap_or_default()
                ),
            )),
        },
        Err(e) => Err(e.clone()),
    };
    audit::entry(
        &row.env_id,
        &row.env_name,
        action,
        &row.customer_id,
        fields,
        &result,
        |r| {
            Some(match &r.payment_id {
                Some(id) => format!("{} (payment {id})", r.state.headline()),
                None => r.state.headline().to_string(),
            })
        },
    )
}

/// Resolves every refund left SENDING or UNRESOLVED (by a crash, a kill or a
/// service that did not answer) by sending it again with its own key, in the
/// environment it was made in — and only while that environment still points
/// to the Link Money URL and merchant the refund was confirmed for; anything
/// else is left for a person, with the reason. `session_for` gives that
/// environment's session (an error when it no longer exists). The refund was
/// confirmed by a person when it was first sent, so this runs whatever the
/// production lock; the key makes a second refund impossible. A process that
/// does not hold the journal's lock resolves nothing. Returns the rows as
/// they now stand.
pub async fn resolve_open(
    journal: &Journal,
    session_for: impl Fn(&str) -> AppResult<Arc<Session>>,
    policy: RetryPolicy,
) -> AppResult<Vec<RefundRow>> {
    journal.ensure_can_send()?;
    let j = journal.clone();
    let open = blocking(move || j.open_refunds().map_err(journal_error)).await?;
    let mut out = Vec::with_capacity(open.len());
    for row in open {
        let result = match session_for(&row.env_id) {
            Ok(_) if row.linkmoney_url.is_none() => Err(AppError::new(
                ErrorCode::Conflict,
                "An older Linkdesk did not record which Link Money URL this refund was confirmed for, so it is not re-sent by itself: check the environment and press Retry.",
            )),
            Ok(session) => match session.linkmoney() {
                Ok(client) => send(journal, client, &row, policy).await,
                Err(e) => Err(e),
            },
            Err(e) => Err(e),
        };
        let entry = audit_entry(audit::action::REFUND_RESOLVE, &row, &result);
        audit::record_async(journal, entry).await;
        match result {
            Ok(r) => out.push(r),
            Err(e) => {
                tracing::warn!(request_key = %row.request_key, error = %e, "could not resolve a refund now");
                let j = journal.clone();
                let key = row.request_key.clone();
                let message = e.message.clone();
                let _ = blocking(move || j.note_error(&key, &message).map_err(journal_error)).await;
                out.push(row);
            }
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles() {
        let p = RetryPolicy::default();
        assert_eq!(p.delay(0), Duration::from_millis(500));
        assert_eq!(p.delay(2), Duration::from_millis(2000));
    }
}
