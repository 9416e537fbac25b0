//! Refund journal rows. A row is written when the refund dialog opens (DRAFT,
//! with its request key), moves to SENDING in the same transaction that
//! checks it may be sent — before any request leaves — and then records each
//! attempt and the outcome. Outcome updates only ever apply to a row still
//! SENDING or UNRESOLVED, so a settled refund is never rewritten.

use rusqlite::{params, OptionalExtension, Transaction, TransactionBehavior};

use super::refund_cap::refunded_in;
use super::refund_row::{from_row, Draft, Drafted, RefundRow, RefundState, Sending, Settled};
use super::refund_row::{COLUMNS, OPEN_STATES};
use super::{now, Journal, JournalError};
use crate::error::{AppError, ErrorCode};
use crate::linkmoney::refund_request_key;

/// What a refund that failed without being sent gets after its key when its
/// number is taken again: no request key of Link Money's looks like it, and
/// a row in FAILED_NOT_SENT is never sent.
pub const NOT_SENT_SUFFIX: &str = ":not-sent:";

fn conflict(message: impl Into<String>) -> JournalError {
    JournalError::Data(message.into())
}

/// Where a refund is sent: the environment, its Link Money URL and merchant.
#[derive(Debug, Clone, PartialEq)]
pub struct Target {
    pub env_id: String,
    pub linkmoney_url: String,
    pub merchant_id: String,
}

impl Journal {
    /// Journals a refund dialog as a DRAFT of the payment's lowest free
    /// refund number, with that number's request key, in one transaction (so
    /// two dialogs never get the same number). A number is free when no row
    /// holds it but a discarded draft (then replaced) or a refund that failed
    /// without being sent: Link Money keeps no record of a refused or unsent
    /// request, so its key is unused there, and another seat, counting from
    /// #1, must meet this seat's refunds at the numbers it will try. The
    /// failed row stays in the journal under a key that can never be sent.
    pub fn insert_draft(&self, d: &Draft) -> Result<Drafted, JournalError> {
        self.insert_draft_after(d, &[])
    }

    /// `insert_draft`, skipping also the numbers in `taken_elsewhere` (team
    /// mode: the numbers of the payment the team store says are claimed or
    /// requested by any agent).
    pub fn insert_draft_after(
        &self,
        d: &Draft,
        taken_elsewhere: &[u32],
    ) -> Result<Drafted, JournalError> {
        let mut conn = self.conn()?;
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        // One refund dialog at a time (one window, and only the process
        // holding the journal's lock opens dialogs): another draft of this
        // payment — a second open, or one a run that ended left behind — has
        // no dialog any more, and must not hold a number the refund about to
        // be sent then skips.
        tx.execute(
            "UPDATE refunds SET state = 'DISCARDED', updated_at = ?3
             WHERE transaction_id = ?1 AND merchant_id = ?2 AND state = 'DRAFT'",
            params![d.transaction_id, d.merchant_id, now()],
        )?;
        let taken: Vec<u32> = tx
            .prepare_cached(
                "SELECT refund_number FROM refunds
                 WHERE transaction_id = ?1 AND merchant_id = ?2 AND refund_number IS NOT NULL
                   AND state NOT IN ('DISCARDED', 'FAILED_NOT_SENT')",
            )?
            .query_map(params![d.transaction_id, d.merchant_id], |r| r.get(0))?
            .collect::<Result<_, _>>()?;
        let number = (1..)
            .find(|n| !taken.contains(n) && !taken_elsewhere.contains(n))
            .unwrap_or(1);
        let key = refund_request_key(&d.merchant_id, &d.transaction_id, number);
        tx.execute(
            "DELETE FROM refunds WHERE request_key = ?1 AND state = 'DISCARDED'",
            [&key],
        )?;
        tx.execute(
            &format!(
                "UPDATE refunds SET request_key = request_key || '{NOT_SENT_SUFFIX}' || rowid
                 WHERE request_key = ?1 AND state = 'FAILED_NOT_SENT'"
            ),
            [&key],
        )?;
        let refunded = refunded_in(&tx, d, &key)?;
        let at = now();
        tx.execute(
            "INSERT INTO refunds (request_key, env_id, env_name, env_kind, customer_id, customer_name,
                customer_status, account_last_four, account_status, transaction_id, cap_cents,
                cap_scope, state, created_at, updated_at, refund_number, payment_cents,
                linkmoney_url, merchant_id)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, 'payment', 'DRAFT', ?12, ?12,
                ?13, ?14, ?15, ?16)",
            params![
                key,
                d.env_id,
                d.env_name,
                d.env_kind,
                d.customer_id,
                d.customer_name,
                d.customer_status,
                d.account_last_four,
                d.account_status,
                d.transaction_id,
                (d.payment_cents - refunded.total()).max(0),
                at,
                number,
                d.payment_cents,
                d.linkmoney_url,
                d.merchant_id,
            ],
        )?;
        tx.commit()?;
        Ok(Drafted {
            request_key: key,
            refund_number: number,
            refunded,
        })
    }

    pub fn refund(&self, key: &str) -> Result<Option<RefundRow>, JournalError> {
        let conn = self.conn()?;
        let row = conn
            .prepare_cached(&format!(
                "SELECT {COLUMNS} FROM refunds WHERE request_key = ?1"
            ))?
            .query_row([key], from_row)
            .optional()?;
        Ok(row)
    }

    /// Moves a DRAFT to SENDING with what will be sent, in one transaction
    /// that first checks the row is still a DRAFT for this very target
    /// (environment, Link Money URL, merchant) and that the amount fits in
    /// the payment's amount (`payment_cents`, as just re-read) less every
    /// refund of it that counts. Only after this returns may the request go.
    pub fn begin_sending(
        &self,
        key: &str,
        target: &Target,
        sending: &Sending,
        payment_cents: i64,
    ) -> Result<RefundRow, JournalError> {
        self.leave_draft(key, target, sending, payment_cents, &RefundState::Sending)
    }

    /// Team mode: moves a DRAFT to AWAITING_APPROVAL with what will be sent,
    /// with `begin_sending`'s checks; the refund keeps its number and counts
    /// against the payment while it waits.
    pub fn await_approval(
        &self,
        key: &str,
        target: &Target,
        sending: &Sending,
        payment_cents: i64,
    ) -> Result<RefundRow, JournalError> {
        self.leave_draft(
            key,
            target,
            sending,
            payment_cents,
            &RefundState::AwaitingApproval,
        )
    }

    /// Team mode: an approval request that could not be made leaves the
    /// refund a DRAFT again.
    pub fn back_to_draft(&self, key: &str) -> Result<bool, JournalError> {
        let changed = self.conn()?.execute(
            "UPDATE refunds SET state = 'DRAFT', updated_at = ?2
             WHERE request_key = ?1 AND state = 'AWAITING_APPROVAL'",
            params![key, now()],
        )?;
        Ok(changed == 1)
    }

    /// Team mode: another agent rejected the refund; nothing was sent.
    pub fn reject(&self, key: &str, reason: &str) -> Result<bool, JournalError> {
        let at = now();
        let changed = self.conn()?.execute(
            "UPDATE refunds SET state = 'REJECTED', error_code = 'REJECTED', error_message = ?2,
                 updated_at = ?3, resolved_at = ?3
             WHERE request_key = ?1 AND state = 'AWAITING_APPROVAL'",
            params![key, reason, at],
        )?;
        Ok(changed == 1)
    }

    /// Team mode: refunds of this journal waiting for approval.
    pub fn awaiting_approval(&self) -> Result<Vec<RefundRow>, JournalError> {
        let conn = self.conn()?;
        let mut stmt = conn.prepare_cached(&format!(
            "SELECT {COLUMNS} FROM refunds WHERE state = 'AWAITING_APPROVAL' ORDER BY created_at"
        ))?;
        let rows = stmt.query_map([], from_row)?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    fn leave_draft(
        &self,
        key: &str,
        target: &Target,
        sending: &Sending,
        payment_cents: i64,
        to: &RefundState,
    ) -> Result<RefundRow, JournalError> {
        // An approved refund goes from AWAITING_APPROVAL to SENDING with the
        // amount it was approved for.
        let from = if *to == RefundState::Sending {
            "('DRAFT', 'AWAITING_APPROVAL')"
        } else {
            "('DRAFT')"
        };
        let mut conn = self.conn()?;
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let Some(row) = read(&tx, key)? else {
            return Err(JournalError::Refused(AppError::new(
                ErrorCode::NotFound,
                "This refund is not in the journal; open the refund dialog again",
            )));
        };
        let approved = row.state == RefundState::AwaitingApproval && *to == RefundState::Sending;
        if row.state != RefundState::Draft && !approved {
            return Err(JournalError::Refused(AppError::new(
                ErrorCode::Conflict,
                format!(
                    "This refund was already submitted (it is {}); it is never sent twice",
                    row.state.headline().to_lowercase()
                ),
            )));
        }
        if approved && row.amount_cents != Some(sending.amount_cents) {
            return Err(JournalError::Refused(AppError::new(
                ErrorCode::Conflict,
                "The amount is not the one that was approved. Nothing was sent.",
            )));
        }
        if let Some(why) = target_mismatch(&row, target) {
            return Err(JournalError::Refused(AppError::new(
                ErrorCode::Conflict,
                why,
            )));
        }
        let (Some(transaction_id), Some(opened_cents)) = (&row.transaction_id, row.payment_cents)
        else {
            return Err(JournalError::Refused(AppError::new(
                ErrorCode::Conflict,
                "This refund names no payment; open it again from the payment. Nothing was sent.",
            )));
        };
        let draft = Draft::of_payment(
            &row.env_id,
            &target.merchant_id,
            &row.customer_id,
            transaction_id,
        );
        let paid = opened_cents.min(payment_cents);
        let already = refunded_in(&tx, &draft, key)?;
        if let Some(why) = already.blocked() {
            return Err(JournalError::Refused(AppError::new(
                ErrorCode::Conflict,
                format!("{why} Nothing was sent."),
            )));
        }
        let left = (paid - already.total()).max(0);
        if sending.amount_cents > left {
            return Err(JournalError::Refused(AppError::invalid(format!(
                "The amount is more than is left to refund of this payment: at most {} ({} paid, {} already refunded). Nothing was sent.",
                dollars(left),
                dollars(paid),
                dollars(already.total())
            ))));
        }
        let at = now();
        tx.execute(
            &format!(
                "UPDATE refunds SET state = ?6, amount_cents = ?2, client_reference_id = ?3,
                     soft_descriptor = ?4, updated_at = ?5
                 WHERE request_key = ?1 AND state IN {from}"
            ),
            params![
                key,
                sending.amount_cents,
                sending.client_reference_id,
                sending.soft_descriptor,
                at,
                to.as_str()
            ],
        )?;
        let row = read(&tx, key)?.ok_or_else(|| conflict("the refund vanished"))?;
        tx.commit()?;
        Ok(row)
    }

    /// Counts one more attempt before it is sent; returns the attempt number.
    /// Fails when the refund is no longer waiting for an outcome.
    pub fn start_attempt(&self, key: &str) -> Result<u32, JournalError> {
        let conn = self.conn()?;
        let at = now();
        let changed = conn.execute(
            &format!(
                "UPDATE refunds SET attempts = attempts + 1, updated_at = ?2,
                     sent_at = COALESCE(sent_at, ?2)
                 WHERE request_key = ?1 AND state IN {OPEN_STATES}"
            ),
            params![key, at],
        )?;
        if changed == 0 {
            return Err(conflict("the refund is no longer waiting for an outcome"));
        }
        Ok(conn.query_row(
            "SELECT attempts FROM refunds WHERE request_key = ?1",
            [key],
            |r| r.get(0),
        )?)
    }

    /// Keeps the latest failure of an attempt whose outcome is unknown.
    pub fn note_error(&self, key: &str, error: &str) -> Result<(), JournalError> {
        self.conn()?.execute(
            &format!(
                "UPDATE refunds SET last_error = ?2, updated_at = ?3
                 WHERE request_key = ?1 AND state IN {OPEN_STATES}"
            ),
            params![key, error, now()],
        )?;
        Ok(())
    }

    /// Records the final outcome; false when the row was already settled.
    pub fn settle(
        &self,
        key: &str,
        state: &RefundState,
        settled: &Settled,
    ) -> Result<bool, JournalError> {
        let at = now();
        let changed = self.conn()?.execute(
            &format!(
                "UPDATE refunds SET state = ?2, payment_id = ?3, payment_status = ?4,
                     error_code = ?5, error_message = ?6, updated_at = ?7, resolved_at = ?7
                 WHERE request_key = ?1 AND state IN {OPEN_STATES}"
            ),
            params![
                key,
                state.as_str(),
                settled.payment_id,
                settled.payment_status,
                settled.error_code,
                settled.error_message,
                at
            ],
        )?;
        Ok(changed == 1)
    }

    pub fn mark_unresolved(&self, key: &str, error: &str) -> Result<(), JournalError> {
        self.conn()?.execute(
            &format!(
                "UPDATE refunds SET state = 'UNRESOLVED', last_error = ?2, updated_at = ?3
                 WHERE request_key = ?1 AND state IN {OPEN_STATES}"
            ),
            params![key, error, now()],
        )?;
        Ok(())
    }

    /// Closes a dialog that was never submitted; false when it was.
    pub fn discard(&self, key: &str) -> Result<bool, JournalError> {
        let changed = self.conn()?.execute(
            "UPDATE refunds SET state = 'DISCARDED', updated_at = ?2
             WHERE request_key = ?1 AND state = 'DRAFT'",
            params![key, now()],
        )?;
        Ok(changed == 1)
    }

    /// Submitted refunds, newest first; one environment or all.
    pub fn list_refunds(
        &self,
        env_id: Option<&str>,
        limit: u32,
    ) -> Result<Vec<RefundRow>, JournalError> {
        let conn = self.conn()?;
        let mut stmt = conn.prepare_cached(&format!(
            "SELECT {COLUMNS} FROM refunds
             WHERE state NOT IN ('DRAFT', 'DISCARDED') AND (?1 IS NULL OR env_id = ?1)
             ORDER BY created_at DESC, request_key LIMIT ?2"
        ))?;
        let rows = stmt.query_map(params![env_id, limit], from_row)?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// Every refund whose outcome is still to be found, in every environment,
    /// oldest first.
    pub fn open_refunds(&self) -> Result<Vec<RefundRow>, JournalError> {
        let conn = self.conn()?;
        let mut stmt = conn.prepare_cached(&format!(
            "SELECT {COLUMNS} FROM refunds WHERE state IN {OPEN_STATES} ORDER BY created_at"
        ))?;
        let rows = stmt.query_map([], from_row)?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// Submitted refunds of one payment, newest first: those of this
    /// merchant, and those older journals recorded in this environment.
    pub fn refunds_of_payment(
        &self,
        env_id: &str,
        merchant_id: &str,
        transaction_id: &str,
    ) -> Result<Vec<RefundRow>, JournalError> {
        let conn = self.conn()?;
        let mut stmt = conn.prepare_cached(&format!(
            "SELECT {COLUMNS} FROM refunds
             WHERE transaction_id = ?3 AND (merchant_id = ?2 OR (merchant_id IS NULL AND env_id = ?1))
               AND state NOT IN ('DRAFT', 'DISCARDED')
             ORDER BY created_at DESC"
        ))?;
        let rows = stmt.query_map(params![env_id, merchant_id, transaction_id], from_row)?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// Records what a look-up of the refund's own transaction says of it
    /// (SUCCEEDED, TERMINAL_FAILED, …). Only a refund already answered with
    /// a status of Link Money's changes; true when it did.
    pub fn update_service_status(&self, key: &str, status: &str) -> Result<bool, JournalError> {
        let state = RefundState::parse(status);
        if !(state.is_service_status() || state == RefundState::TerminalFailed) {
            return Ok(false);
        }
        let changed = self.conn()?.execute(
            "UPDATE refunds SET state = ?2, payment_status = ?2, updated_at = ?3
             WHERE request_key = ?1 AND payment_id IS NOT NULL AND state <> ?2
               AND state NOT IN ('DRAFT', 'DISCARDED', 'SENDING', 'UNRESOLVED', 'FAILED_NOT_SENT',
                                 'MADE_ELSEWHERE', 'SENT_UNCONFIRMED')",
            params![key, state.as_str(), now()],
        )?;
        Ok(changed == 1)
    }
}

fn read(tx: &Transaction<'_>, key: &str) -> Result<Option<RefundRow>, JournalError> {
    Ok(tx
        .prepare_cached(&format!(
            "SELECT {COLUMNS} FROM refunds WHERE request_key = ?1"
        ))?
        .query_row([key], from_row)
        .optional()?)
}

/// Why `row` may not be sent to `target`, if it may not: a refund goes only
/// to the environment, Link Money URL and merchant it was confirmed for.
pub fn target_mismatch(row: &RefundRow, target: &Target) -> Option<String> {
    if row.env_id != target.env_id {
        return Some(format!(
            "This refund was opened in \"{}\", not in the active environment. Nothing was sent.",
            row.env_name
        ));
    }
    let url = row.linkmoney_url.as_deref();
    let merchant = row.merchant_id.as_deref();
    if url.is_some_and(|u| u != target.linkmoney_url)
        || merchant.is_some_and(|m| m != target.merchant_id)
    {
        return Some(format!(
            "This refund was confirmed for Link Money at {} (merchant {}), but \"{}\" now points to {} (merchant {}). It is not sent anywhere else: restore the environment, or leave the refund for a person to settle with Link Money.",
            url.unwrap_or("?"),
            merchant.unwrap_or("?"),
            row.env_name,
            target.linkmoney_url,
            target.merchant_id
        ));
    }
    None
}

fn dollars(cents: i64) -> String {
    format!("${}", crate::linkmoney::format_cents(cents))
}

#[cfg(test)]
pub(super) mod tests {
    use super::*;

    pub(in crate::journal) fn journal() -> (tempfile::TempDir, Journal) {
        let dir = tempfile::tempdir().unwrap();
        let (j, notice) = Journal::open(dir.path());
        assert!(notice.is_none());
        (dir, j)
    }

    pub(in crate::journal) fn draft(customer: &str, txn: &str, paid: i64) -> Draft {
        Draft {
            env_id: "env".into(),
            env_name: "Env".into(),
            env_kind: "sandbox".into(),
            customer_id: customer.into(),
            customer_name: "Ada".into(),
            customer_status: Some("ACTIVE".into()),
            account_last_four: Some("1234".into()),
            account_status: Some("ACTIVE".into()),
            transaction_id: txn.into(),
            payment_cents: paid,
            linkmoney_url: "http://lm".into(),
            merchant_id: "m".into(),
        }
    }

    pub(in crate::journal) fn target() -> Target {
        Target {
            env_id: "env".into(),
            linkmoney_url: "http://lm".into(),
            merchant_id: "m".into(),
        }
    }

    pub(in crate::journal) fn sending(cents: i64) -> Sending {
        Sending {
            amount_cents: cents,
            client_reference_id: None,
            soft_descriptor: None,
        }
    }

    #[test]
    fn a_draft_is_sent_once() {
        let (_d, j) = journal();
        let k = j.insert_draft(&draft("c", "t", 500)).unwrap().request_key;
        assert_eq!(k, refund_request_key("m", "t", 1));
        let row = j.begin_sending(&k, &target(), &sending(100), 500).unwrap();
        assert_eq!(row.state, RefundState::Sending);
        assert_eq!(row.refund_number, Some(1));
        let again = j
            .begin_sending(&k, &target(), &sending(100), 500)
            .map_err(AppError::from)
            .unwrap_err();
        assert_eq!(again.code, ErrorCode::Conflict);
        assert_eq!(j.start_attempt(&k).unwrap(), 1);
        assert_eq!(j.start_attempt(&k).unwrap(), 2);
        let settled = Settled {
            payment_id: Some("p1".into()),
            payment_status: Some("AUTHORIZED".into()),
            ..Settled::default()
        };
        assert!(j.settle(&k, &RefundState::Authorized, &settled).unwrap());
        // A settled refund is never rewritten.
        assert!(!j
            .settle(&k, &RefundState::SentUnconfirmed, &Settled::default())
            .unwrap());
        assert!(j.start_attempt(&k).is_err());
        let row = j.refund(&k).unwrap().unwrap();
        assert_eq!(row.state, RefundState::Authorized);
        assert_eq!(row.payment_id.as_deref(), Some("p1"));
        assert_eq!(row.attempts, 2);
        assert!(j.open_refunds().unwrap().is_empty());
        // A look-up of the refund's transaction may move it on, never back.
        assert!(j.update_service_status(&k, "SUCCEEDED").unwrap());
        assert_eq!(j.refund(&k).unwrap().unwrap().headline, "Sent — settled");
        assert!(!j.update_service_status(&k, "DRAFT").unwrap());
    }

    #[test]
    fn a_refund_goes_only_where_it_was_confirmed() {
        let (_d, j) = journal();
        let k = j.insert_draft(&draft("c", "t", 500)).unwrap().request_key;
        for other in [
            Target {
                env_id: "other".into(),
                ..target()
            },
            Target {
                linkmoney_url: "https://elsewhere".into(),
                ..target()
            },
            Target {
                merchant_id: "m2".into(),
                ..target()
            },
        ] {
            let err = j
                .begin_sending(&k, &other, &sending(1), 500)
                .map_err(AppError::from)
                .unwrap_err();
            assert_eq!(err.code, ErrorCode::Conflict, "{other:?}");
        }
        let err = j
            .begin_sending("nope", &target(), &sending(1), 500)
            .map_err(AppError::from)
            .unwrap_err();
        assert_eq!(err.code, ErrorCode::NotFound);
    }

    #[test]
    fn a_new_dialog_of_a_payment_discards_its_older_draft() {
        let (_d, j) = journal();
        let first = j.insert_draft(&draft("c", "t", 500)).unwrap();
        let second = j.insert_draft(&draft("c", "t", 500)).unwrap();
        assert_eq!((first.refund_number, second.refund_number), (1, 1));
        assert_eq!(first.request_key, second.request_key);
        let other = j.insert_draft(&draft("c", "u", 500)).unwrap();
        assert_eq!(
            j.refund(&second.request_key).unwrap().unwrap().state,
            RefundState::Draft,
            "another payment's dialog leaves it alone"
        );
        assert_eq!(other.refund_number, 1);
    }

    #[test]
    fn numbers_and_keys_follow_the_payment() {
        let (_d, j) = journal();
        let first = j.insert_draft(&draft("c", "t", 500)).unwrap();
        assert_eq!(first.refund_number, 1);
        // A discarded draft frees its number: nothing was sent with its key.
        assert!(j.discard(&first.request_key).unwrap());
        let again = j.insert_draft(&draft("c", "t", 500)).unwrap();
        assert_eq!(again.refund_number, 1);
        assert_eq!(again.request_key, first.request_key);
        assert_eq!(
            j.refund(&again.request_key).unwrap().unwrap().state,
            RefundState::Draft
        );
        // A number whose refund may have reached Link Money is never reused.
        j.begin_sending(&again.request_key, &target(), &sending(1), 500)
            .unwrap();
        j.settle(
            &again.request_key,
            &RefundState::TerminalFailed,
            &Settled::default(),
        )
        .unwrap();
        let second = j.insert_draft(&draft("c", "t", 500)).unwrap();
        assert_eq!(second.refund_number, 2);
        let other = j.insert_draft(&draft("c", "u", 500)).unwrap();
        assert_eq!(other.refund_number, 1);
        assert_ne!(first.request_key, other.request_key);
        // A new dialog of the payment replaces the old one's draft.
        assert_eq!(
            j.insert_draft(&draft("c", "t", 500)).unwrap().refund_number,
            2
        );
    }

    #[test]
    fn a_number_whose_refund_was_never_sent_is_taken_again() {
        let (_d, j) = journal();
        let first = j.insert_draft(&draft("c", "t", 500)).unwrap();
        j.begin_sending(&first.request_key, &target(), &sending(200), 500)
            .unwrap();
        let settled = Settled {
            error_code: Some("rate_limited".into()),
            ..Settled::default()
        };
        j.settle(&first.request_key, &RefundState::FailedNotSent, &settled)
            .unwrap();
        // Link Money has no refund #1 of this payment, so the next refund is
        // #1 again, with #1's key: another seat's #1 then meets it there.
        let again = j.insert_draft(&draft("c", "t", 500)).unwrap();
        assert_eq!(again.refund_number, 1);
        assert_eq!(again.request_key, first.request_key);
        assert_eq!(again.refunded.total(), 0, "a refund not sent never counts");
        // The failed one stays in the journal, under a key never sent.
        let rows = j.refunds_of_payment("env", "m", "t").unwrap();
        assert_eq!(rows.len(), 1, "{rows:?}");
        let failed = &rows[0];
        assert_eq!(failed.state, RefundState::FailedNotSent);
        assert!(failed.request_key.starts_with(&first.request_key));
        assert!(failed.request_key.contains(NOT_SENT_SUFFIX));
        assert_eq!(failed.amount_cents, Some(200));
        // It fails again unsent; the number is taken again, and both stay.
        j.begin_sending(&again.request_key, &target(), &sending(300), 500)
            .unwrap();
        j.settle(&again.request_key, &RefundState::FailedNotSent, &settled)
            .unwrap();
        let third = j.insert_draft(&draft("c", "t", 500)).unwrap();
        assert_eq!(third.refund_number, 1);
        assert_eq!(j.refunds_of_payment("env", "m", "t").unwrap().len(), 2);
        assert_eq!(
            j.refund(&third.request_key).unwrap().unwrap().state,
            RefundState::Draft
        );
    }

    #[test]
    fn a_draft_left_by_a_run_that_ended_holds_no_number() {
        let dir = tempfile::tempdir().unwrap();
        let (j, _) = Journal::open(dir.path());
        let left = j.insert_draft(&draft("c", "t", 500)).unwrap();
        assert_eq!(left.refund_number, 1);
        // The process is killed with the dialog open; the next run opens the
        // payment's refund again.
        drop(j);
        let (j, notice) = Journal::open(dir.path());
        assert!(notice.is_none());
        let again = j.insert_draft(&draft("c", "t", 500)).unwrap();
        assert_eq!(again.refund_number, 1, "#1 was never sent");
        assert_eq!(again.request_key, left.request_key);
        // A second process on the same folder (no lock) leaves the first
        // one's open dialogs alone.
        let (second, _) = Journal::open(dir.path());
        assert_eq!(
            second.refund(&again.request_key).unwrap().unwrap().state,
            RefundState::Draft
        );
    }

    #[test]
    fn discarding_only_touches_drafts() {
        let (_d, j) = journal();
        let k = j.insert_draft(&draft("c", "t", 5)).unwrap().request_key;
        assert!(j.discard(&k).unwrap());
        assert!(j.begin_sending(&k, &target(), &sending(1), 5).is_err());
        assert!(j.list_refunds(None, 10).unwrap().is_empty());
    }
}
