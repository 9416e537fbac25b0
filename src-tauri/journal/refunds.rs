//! Refund journal rows. A row is written when the refund dialog opens (DRAFT,
//! with its request key), moves to SENDING in the same transaction that
//! checks it may be sent — before any request leaves — and then records each
//! attempt and the outcome. Outcome updates only ever apply to a row still
//! SENDING or UNRESOLVED, so a settled refund is never rewritten.

use rusqlite::{params, OptionalExtension, TransactionBehavior};

use super::refund_row::{from_row, CapScope, Draft, RefundRow, RefundState, Sending, Settled};
use super::refund_row::{COLUMNS, NOT_COUNTED, OPEN_STATES};
use super::{now, Journal, JournalError};
use crate::error::{AppError, ErrorCode};

fn conflict(message: impl Into<String>) -> JournalError {
    JournalError::Data(message.into())
}

impl Journal {
    pub fn insert_draft(&self, d: &Draft) -> Result<(), JournalError> {
        let at = now();
        self.conn()?.execute(
            "INSERT INTO refunds (request_key, env_id, env_name, env_kind, customer_id, customer_name,
                customer_status, account_last_four, account_status, transaction_id, cap_cents,
                cap_scope, state, created_at, updated_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, 'DRAFT', ?13, ?13)",
            params![
                d.request_key,
                d.env_id,
                d.env_name,
                d.env_kind,
                d.customer_id,
                d.customer_name,
                d.customer_status,
                d.account_last_four,
                d.account_status,
                d.transaction_id,
                d.cap_cents,
                d.cap_scope.as_ref().map(CapScope::column),
                at
            ],
        )?;
        Ok(())
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

    /// The refunds that count against what the customer has paid within
    /// `scope` (sent, answered or not yet known), in cents.
    pub fn refunded_cents(
        &self,
        env_id: &str,
        scope: &CapScope,
        except_key: &str,
    ) -> Result<i64, JournalError> {
        let conn = self.conn()?;
        refunded_in(&conn, env_id, scope, except_key)
    }

    /// Moves a DRAFT to SENDING with what will be sent, in one transaction
    /// that first checks the row is still a DRAFT of this environment and, when
    /// `cap` is known, that the amount fits in what the customer has paid less
    /// the refunds already counted. Only after this returns may the request go.
    pub fn begin_sending(
        &self,
        key: &str,
        env_id: &str,
        sending: &Sending,
        cap: Option<(CapScope, i64)>,
    ) -> Result<Result<RefundRow, AppError>, JournalError> {
        let mut conn = self.conn()?;
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let row = tx
            .prepare_cached(&format!(
                "SELECT {COLUMNS} FROM refunds WHERE request_key = ?1"
            ))?
            .query_row([key], from_row)
            .optional()?;
        let Some(row) = row else {
            return Ok(Err(AppError::new(
                ErrorCode::NotFound,
                "This refund is not in the journal; open the refund dialog again",
            )));
        };
        if row.state != RefundState::Draft {
            return Ok(Err(AppError::new(
                ErrorCode::Conflict,
                format!(
                    "This refund was already submitted (it is {}); it is never sent twice",
                    row.state.as_str()
                ),
            )));
        }
        if row.env_id != env_id {
            return Ok(Err(AppError::new(
                ErrorCode::Conflict,
                format!(
                    "This refund was opened in \"{}\", not in the active environment; open it again",
                    row.env_name
                ),
            )));
        }
        if let Some((scope, paid)) = cap {
            let already = refunded_in(&tx, env_id, &scope, key)?;
            let left = (paid - already).max(0);
            if sending.amount_cents > left {
                return Ok(Err(AppError::invalid(format!(
                    "The amount is more than the customer has paid as far as Linkdesk knows: at most {} can be refunded ({} paid, {} already refunded)",
                    dollars(left),
                    dollars(paid),
                    dollars(already)
                ))));
            }
        }
        let at = now();
        tx.execute(
            "UPDATE refunds SET state = 'SENDING', amount_cents = ?2, client_reference_id = ?3,
                 soft_descriptor = ?4, updated_at = ?5
             WHERE request_key = ?1 AND state = 'DRAFT'",
            params![
                key,
                sending.amount_cents,
                sending.client_reference_id,
                sending.soft_descriptor,
                at
            ],
        )?;
        let row = tx
            .prepare_cached(&format!(
                "SELECT {COLUMNS} FROM refunds WHERE request_key = ?1"
            ))?
            .query_row([key], from_row)?;
        tx.commit()?;
        Ok(Ok(row))
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

    /// Submitted refunds made from one transaction, newest first.
    pub fn refunds_of_transaction(
        &self,
        env_id: &str,
        transaction_id: &str,
    ) -> Result<Vec<RefundRow>, JournalError> {
        let conn = self.conn()?;
        let mut stmt = conn.prepare_cached(&format!(
            "SELECT {COLUMNS} FROM refunds
             WHERE env_id = ?1 AND transaction_id = ?2 AND state NOT IN ('DRAFT', 'DISCARDED')
             ORDER BY created_at DESC"
        ))?;
        let rows = stmt.query_map(params![env_id, transaction_id], from_row)?;
        Ok(rows.collect::<Result<_, _>>()?)
    }
}

fn refunded_in(
    conn: &rusqlite::Connection,
    env_id: &str,
    scope: &CapScope,
    except_key: &str,
) -> Result<i64, JournalError> {
    let (column, value) = match scope {
        CapScope::Transaction(id) => ("transaction_id", id),
        CapScope::Customer(id) => ("customer_id", id),
    };
    let sum: Option<i64> = conn.query_row(
        &format!(
            "SELECT SUM(amount_cents) FROM refunds
             WHERE env_id = ?1 AND {column} = ?2 AND request_key <> ?3
               AND state NOT IN {NOT_COUNTED}"
        ),
        params![env_id, value, except_key],
        |r| r.get(0),
    )?;
    Ok(sum.unwrap_or(0))
}

fn dollars(cents: i64) -> String {
    format!("${}", crate::linkmoney::format_cents(cents))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn journal() -> (tempfile::TempDir, Journal) {
        let dir = tempfile::tempdir().unwrap();
        let (j, notice) = Journal::open(dir.path());
        assert!(notice.is_none());
        (dir, j)
    }

    fn draft(key: &str, customer: &str, txn: Option<&str>) -> Draft {
        Draft {
            request_key: key.into(),
            env_id: "env".into(),
            env_name: "Env".into(),
            env_kind: "sandbox".into(),
            customer_id: customer.into(),
            customer_name: "Ada".into(),
            customer_status: Some("ACTIVE".into()),
            account_last_four: Some("1234".into()),
            account_status: Some("ACTIVE".into()),
            transaction_id: txn.map(str::to_string),
            cap_cents: None,
            cap_scope: None,
        }
    }

    fn sending(cents: i64) -> Sending {
        Sending {
            amount_cents: cents,
            client_reference_id: None,
            soft_descriptor: None,
        }
    }

    #[test]
    fn a_draft_is_sent_once() {
        let (_d, j) = journal();
        j.insert_draft(&draft("k", "c", None)).unwrap();
        let row = j
            .begin_sending("k", "env", &sending(100), None)
            .unwrap()
            .unwrap();
        assert_eq!(row.state, RefundState::Sending);
        let again = j
            .begin_sending("k", "env", &sending(100), None)
            .unwrap()
            .unwrap_err();
        assert_eq!(again.code, ErrorCode::Conflict);
        assert_eq!(j.start_attempt("k").unwrap(), 1);
        assert_eq!(j.start_attempt("k").unwrap(), 2);
        let settled = Settled {
            payment_id: Some("p1".into()),
            payment_status: Some("AUTHORIZED".into()),
            ..Settled::default()
        };
        assert!(j.settle("k", &RefundState::Authorized, &settled).unwrap());
        // A settled refund is never rewritten.
        assert!(!j
            .settle("k", &RefundState::ConfirmedDuplicate, &Settled::default())
            .unwrap());
        assert!(j.start_attempt("k").is_err());
        let row = j.refund("k").unwrap().unwrap();
        assert_eq!(row.state, RefundState::Authorized);
        assert_eq!(row.payment_id.as_deref(), Some("p1"));
        assert_eq!(row.attempts, 2);
        assert!(j.open_refunds().unwrap().is_empty());
    }

    #[test]
    fn another_environment_cannot_send_a_draft() {
        let (_d, j) = journal();
        j.insert_draft(&draft("k", "c", None)).unwrap();
        let err = j
            .begin_sending("k", "other", &sending(1), None)
            .unwrap()
            .unwrap_err();
        assert_eq!(err.code, ErrorCode::Conflict);
        let err = j
            .begin_sending("nope", "env", &sending(1), None)
            .unwrap()
            .unwrap_err();
        assert_eq!(err.code, ErrorCode::NotFound);
    }

    #[test]
    fn the_cap_counts_every_refund_that_may_have_gone_out() {
        let (_d, j) = journal();
        for (key, state) in [
            ("a", RefundState::Authorized),
            ("b", RefundState::TerminalFailed),
            ("c", RefundState::Unresolved),
            ("d", RefundState::FailedNotSent),
        ] {
            j.insert_draft(&draft(key, "cust", Some("t1"))).unwrap();
            j.begin_sending(key, "env", &sending(1000), None)
                .unwrap()
                .unwrap();
            match state {
                RefundState::Unresolved => j.mark_unresolved(key, "timeout").unwrap(),
                s => {
                    j.settle(key, &s, &Settled::default()).unwrap();
                }
            }
        }
        let t1 = CapScope::Transaction("t1".into());
        assert_eq!(j.refunded_cents("env", &t1, "").unwrap(), 2000);
        assert_eq!(j.refunded_cents("other", &t1, "").unwrap(), 0);
        let cust = CapScope::Customer("cust".into());
        assert_eq!(j.refunded_cents("env", &cust, "").unwrap(), 2000);

        j.insert_draft(&draft("e", "cust", Some("t1"))).unwrap();
        let err = j
            .begin_sending("e", "env", &sending(1001), Some((t1.clone(), 3000)))
            .unwrap()
            .unwrap_err();
        assert_eq!(err.code, ErrorCode::InvalidInput);
        assert!(err.message.contains("$10.00"), "{}", err.message);
        assert_eq!(j.refund("e").unwrap().unwrap().state, RefundState::Draft);
        j.begin_sending("e", "env", &sending(1000), Some((t1, 3000)))
            .unwrap()
            .unwrap();
        assert_eq!(j.open_refunds().unwrap().len(), 2);
        assert_eq!(j.refunds_of_transaction("env", "t1").unwrap().len(), 5);
    }

    #[test]
    fn discarding_only_touches_drafts() {
        let (_d, j) = journal();
        j.insert_draft(&draft("k", "c", None)).unwrap();
        assert!(j.discard("k").unwrap());
        assert!(j
            .begin_sending("k", "env", &sending(1), None)
            .unwrap()
            .is_err());
        assert!(j.list_refunds(None, 10).unwrap().is_empty());
    }
}
