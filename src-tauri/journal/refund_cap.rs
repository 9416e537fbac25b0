//! What counts against a payment's amount in the journal: its refunds that
//! went out or may have, the refunds older journals recorded without a
//! payment, and refunds made elsewhere with the amounts people recorded.
//! `begin_sending` checks a refund against this in its own transaction.

use rusqlite::{params, Transaction};

use super::refund_row::{Draft, RefundRow, RefundState, Refunded, NOT_COUNTED};
use super::{now, Journal, JournalError};
use crate::error::{AppError, ErrorCode};

impl Journal {
    /// What counts against the payment of `d` now, `except_key` left out.
    pub fn refunded(&self, d: &Draft, except_key: &str) -> Result<Refunded, JournalError> {
        let mut conn = self.conn()?;
        let tx = conn.transaction()?;
        refunded_in(&tx, d, except_key)
    }

    /// Records what went out under a refund number whose key Link Money
    /// says is used, as a person found it out: a refund made elsewhere (more
    /// than 0), or one sent from here with its outcome not confirmed (at
    /// least its own amount: this seat cannot rule out that it went out).
    /// Never more than the payment. Recorded once, never rewritten. Returns
    /// the row.
    pub fn record_elsewhere_amount(
        &self,
        key: &str,
        cents: i64,
    ) -> Result<RefundRow, JournalError> {
        let refused = |e: AppError| Err(JournalError::Refused(e));
        let Some(row) = self.refund(key)? else {
            return refused(AppError::new(
                ErrorCode::NotFound,
                "No such refund in the journal",
            ));
        };
        if row.elsewhere_cents.is_some() {
            if row.elsewhere_cents == Some(cents) {
                return Ok(row);
            }
            return refused(AppError::new(
                ErrorCode::Conflict,
                "The amount of this refund was already recorded; it is not changed",
            ));
        }
        let least = match row.state {
            RefundState::MadeElsewhere => 1,
            RefundState::SentUnconfirmed => row.amount_cents.unwrap_or(0).max(0),
            _ => {
                return refused(AppError::new(
                    ErrorCode::Conflict,
                    "Only a refund made elsewhere, or sent with its outcome not confirmed, has an amount to record",
                ))
            }
        };
        if cents < least {
            return refused(AppError::invalid(match row.state {
                RefundState::MadeElsewhere => {
                    "Type the amount of the refund made elsewhere, more than 0".to_string()
                }
                _ => format!(
                    "This refund of {} may itself have gone out under this number, so at least {} is recorded: type {} or more (what went out under it, if another seat's refund was larger)",
                    dollars(least),
                    dollars(least),
                    dollars(least)
                ),
            }));
        }
        if let Some(paid) = row.payment_cents.filter(|&p| cents > p) {
            return refused(AppError::invalid(format!(
                "{} is more than the whole payment ({}): check the amount",
                dollars(cents),
                dollars(paid)
            )));
        }
        let conn = self.conn()?;
        let changed = conn.execute(
            "UPDATE refunds SET elsewhere_cents = ?2, updated_at = ?3
             WHERE request_key = ?1 AND elsewhere_cents IS NULL
               AND state IN ('SENT_UNCONFIRMED', 'MADE_ELSEWHERE')",
            params![key, cents, now()],
        )?;
        drop(conn);
        if changed == 0 {
            // Recorded meanwhile (another window): what is recorded stands.
            return self.record_elsewhere_amount(key, cents);
        }
        Ok(self.refund(key)?.unwrap_or(row))
    }
}

fn dollars(cents: i64) -> String {
    crate::linkmoney::format_cents(cents)
}

pub(super) fn refunded_in(
    tx: &Transaction<'_>,
    d: &Draft,
    except_key: &str,
) -> Result<Refunded, JournalError> {
    let of_payment: i64 = tx.query_row(
        &format!(
            "SELECT COALESCE(SUM(amount_cents), 0) FROM refunds
             WHERE transaction_id = ?1 AND (merchant_id = ?2 OR (merchant_id IS NULL AND env_id = ?3))
               AND request_key <> ?4 AND state NOT IN {NOT_COUNTED}
               AND state <> 'SENT_UNCONFIRMED'"
        ),
        params![d.transaction_id, d.merchant_id, d.env_id, except_key],
        |r| r.get(0),
    )?;
    let unbound: i64 = tx.query_row(
        &format!(
            "SELECT COALESCE(SUM(amount_cents), 0) FROM refunds
             WHERE transaction_id IS NULL AND customer_id = ?1 AND env_id = ?2
               AND state NOT IN {NOT_COUNTED}"
        ),
        params![d.customer_id, d.env_id],
        |r| r.get(0),
    )?;
    // Refund numbers whose key Link Money says is used, for an amount only a
    // person can find out: made elsewhere, or sent from here with the answer
    // lost (then the key may as well be another seat's). They count with the
    // amount recorded for them; until then nothing more is sent.
    let elsewhere_rows: Vec<(u32, Option<i64>, String)> = tx
        .prepare_cached(
            "SELECT refund_number, elsewhere_cents, state FROM refunds
             WHERE transaction_id = ?1 AND merchant_id = ?2
               AND state IN ('MADE_ELSEWHERE', 'SENT_UNCONFIRMED')
               AND refund_number IS NOT NULL ORDER BY refund_number",
        )?
        .query_map(params![d.transaction_id, d.merchant_id], |r| {
            Ok((r.get(0)?, r.get(1)?, r.get(2)?))
        })?
        .collect::<Result<_, _>>()?;
    let waiting: Vec<u32> = tx
        .prepare_cached(
            "SELECT refund_number FROM refunds
             WHERE transaction_id = ?1 AND merchant_id = ?2 AND state IN ('SENDING', 'UNRESOLVED')
               AND request_key <> ?3 AND refund_number IS NOT NULL ORDER BY refund_number",
        )?
        .query_map(params![d.transaction_id, d.merchant_id, except_key], |r| {
            r.get(0)
        })?
        .collect::<Result<_, _>>()?;
    Ok(Refunded {
        waiting,
        of_payment,
        unbound,
        elsewhere: elsewhere_rows.iter().filter_map(|(_, c, _)| *c).sum(),
        made_elsewhere: elsewhere_rows
            .iter()
            .filter(|(_, _, state)| state == "MADE_ELSEWHERE")
            .map(|(n, _, _)| *n)
            .collect(),
        elsewhere_unknown: elsewhere_rows
            .iter()
            .filter(|(_, c, _)| c.is_none())
            .map(|(n, _, _)| *n)
            .collect(),
    })
}

#[cfg(test)]
mod tests {
    use super::super::refunds::tests::{draft, journal, sending, target};
    use super::*;
    use crate::journal::Settled;
    use crate::linkmoney::refund_request_key;

    #[test]
    fn the_cap_counts_every_refund_of_the_payment_that_may_have_gone_out() {
        let (_d, j) = journal();
        let mut keys = Vec::new();
        for state in [
            RefundState::Authorized,
            RefundState::TerminalFailed,
            RefundState::FailedNotSent,
            RefundState::SentUnconfirmed,
            RefundState::MadeElsewhere,
        ] {
            let key = j
                .insert_draft(&draft("cust", "t1", 10_000))
                .unwrap()
                .request_key;
            j.begin_sending(&key, &target(), &sending(1000), 10_000)
                .unwrap();
            j.settle(&key, &state, &Settled::default()).unwrap();
            if state == RefundState::SentUnconfirmed {
                // Looked up: its own 10.00 went out under its number.
                j.record_elsewhere_amount(&key, 1000).unwrap();
            }
            keys.push(key);
        }
        // A sixth, sent while #4's amount was not yet asked for (an older
        // Linkdesk), waiting to be resolved.
        let last = j
            .insert_draft(&draft("cust", "t1", 10_000))
            .unwrap()
            .request_key;
        j.conn()
            .unwrap()
            .execute(
                "UPDATE refunds SET state = 'UNRESOLVED', amount_cents = 1000 WHERE request_key = ?1",
                [&last],
            )
            .unwrap();
        keys.push(last);
        // #3 failed without being sent: the next refund took #3 again, so
        // unconfirmed is #3, made elsewhere #4, unresolved #5.
        let d = draft("cust", "t1", 10_000);
        let counted = j.refunded(&d, "").unwrap();
        assert_eq!(counted.of_payment, 2000, "authorized, unresolved");
        assert_eq!(counted.elsewhere, 1000, "unconfirmed, as recorded");
        assert_eq!(counted.made_elsewhere, vec![4]);
        assert_eq!(counted.elsewhere_unknown, vec![4]);
        assert_eq!(counted.waiting, vec![5]);
        // Another payment of the same customer is not touched.
        assert_eq!(j.refunded(&draft("cust", "t2", 1), "").unwrap().total(), 0);

        // While #5 waits to be resolved, nothing more is sent.
        let next = j.insert_draft(&draft("cust", "t1", 4500)).unwrap();
        assert_eq!(next.refunded.of_payment, 2000);
        let err = j
            .begin_sending(&next.request_key, &target(), &sending(1), 4500)
            .map_err(AppError::from)
            .unwrap_err();
        assert_eq!(err.code, ErrorCode::Conflict);
        assert!(err.message.contains("#5"), "{}", err.message);
        j.settle(&keys[5], &RefundState::Authorized, &Settled::default())
            .unwrap();
        // While #4 made elsewhere has no amount, nothing more is sent either.
        let err = j
            .begin_sending(&next.request_key, &target(), &sending(1), 4500)
            .map_err(AppError::from)
            .unwrap_err();
        assert_eq!(err.code, ErrorCode::Conflict);
        assert!(err.message.contains("made elsewhere"), "{}", err.message);
        let elsewhere = refund_request_key("m", "t1", 4);
        assert_eq!(
            j.record_elsewhere_amount(&elsewhere, 500)
                .unwrap()
                .elsewhere_cents,
            Some(500)
        );
        assert!(
            j.record_elsewhere_amount(&elsewhere, 600).is_err(),
            "recorded once"
        );
        let counted = j.refunded(&d, "").unwrap();
        assert_eq!((counted.elsewhere, counted.total()), (1500, 3500));
        assert!(counted.elsewhere_unknown.is_empty());

        let err = j
            .begin_sending(&next.request_key, &target(), &sending(1001), 4500)
            .map_err(AppError::from)
            .unwrap_err();
        assert_eq!(err.code, ErrorCode::InvalidInput);
        assert!(err.message.contains("$10.00"), "{}", err.message);
        // The payment re-read for less than when the dialog opened: the lesser counts.
        assert!(j
            .begin_sending(&next.request_key, &target(), &sending(1000), 4000)
            .is_err());
        j.begin_sending(&next.request_key, &target(), &sending(1000), 4500)
            .unwrap();
        assert_eq!(j.open_refunds().unwrap().len(), 1);
        assert_eq!(j.refunds_of_payment("env", "m", "t1").unwrap().len(), 7);
    }

    /// "Key already used" on a later attempt: the refund under that key may be
    /// this seat's or another seat's, of any amount. Nothing more of the
    /// payment is sent until a person records what went out under it.
    #[test]
    fn a_refund_whose_outcome_is_not_confirmed_holds_the_payment_until_recorded() {
        let (_d, j) = journal();
        let first = j.insert_draft(&draft("cust", "t1", 10_000)).unwrap();
        j.begin_sending(&first.request_key, &target(), &sending(500), 10_000)
            .unwrap();
        j.settle(
            &first.request_key,
            &RefundState::SentUnconfirmed,
            &Settled::default(),
        )
        .unwrap();
        let next = j.insert_draft(&draft("cust", "t1", 10_000)).unwrap();
        assert_eq!(next.refunded.elsewhere_unknown, vec![1]);
        assert!(next.refunded.made_elsewhere.is_empty());
        let err = j
            .begin_sending(&next.request_key, &target(), &sending(1), 10_000)
            .map_err(AppError::from)
            .unwrap_err();
        assert_eq!(err.code, ErrorCode::Conflict);
        assert!(err.message.contains("#1"), "{}", err.message);
        // Another seat's 90.00 went out under #1: that is what counts.
        j.record_elsewhere_amount(&first.request_key, 9000).unwrap();
        let counted = j.refunded(&draft("cust", "t1", 10_000), "").unwrap();
        assert_eq!((counted.of_payment, counted.total()), (0, 9000));
        assert!(j
            .begin_sending(&next.request_key, &target(), &sending(1001), 10_000)
            .is_err());
        j.begin_sending(&next.request_key, &target(), &sending(1000), 10_000)
            .unwrap();
        // Less than its own amount is never recorded (it may have gone out),
        // nor more than the payment.
        let other = j.insert_draft(&draft("cust", "t2", 10_000)).unwrap();
        j.begin_sending(&other.request_key, &target(), &sending(700), 10_000)
            .unwrap();
        j.settle(
            &other.request_key,
            &RefundState::SentUnconfirmed,
            &Settled::default(),
        )
        .unwrap();
        for wrong in [0, 699, 10_001] {
            let err = j
                .record_elsewhere_amount(&other.request_key, wrong)
                .map_err(AppError::from)
                .unwrap_err();
            assert_eq!(err.code, ErrorCode::InvalidInput, "{wrong}");
        }
        j.record_elsewhere_amount(&other.request_key, 700).unwrap();
        assert_eq!(
            j.refunded(&draft("cust", "t2", 1), "").unwrap().total(),
            700
        );
    }

    /// While one refund of a payment waits to be resolved, no further one
    /// goes out: a later number sent first would leave it a gap.
    #[test]
    fn a_refund_waiting_to_be_resolved_holds_its_payment() {
        let (_d, j) = journal();
        let first = j.insert_draft(&draft("cust", "t1", 10_000)).unwrap();
        j.begin_sending(&first.request_key, &target(), &sending(100), 10_000)
            .unwrap();
        j.mark_unresolved(&first.request_key, "HTTP 500").unwrap();
        let next = j.insert_draft(&draft("cust", "t1", 10_000)).unwrap();
        assert_eq!(next.refunded.waiting, vec![1]);
        let err = j
            .begin_sending(&next.request_key, &target(), &sending(100), 10_000)
            .map_err(AppError::from)
            .unwrap_err();
        assert_eq!(err.code, ErrorCode::Conflict);
        assert!(
            err.message.contains("#1") && err.message.contains("resolved"),
            "{}",
            err.message
        );
    }

    #[test]
    fn refunds_older_journals_made_without_a_payment_count_against_each_payment() {
        let (_d, j) = journal();
        j.conn()
            .unwrap()
            .execute(
                "INSERT INTO refunds (request_key, env_id, env_name, env_kind, customer_id, state,
                     amount_cents, created_at, updated_at)
                 VALUES ('old', 'env', 'Env', 'sandbox', 'cust', 'AUTHORIZED', 700, 't', 't')",
                [],
            )
            .unwrap();
        let d = j.insert_draft(&draft("cust", "t9", 1000)).unwrap();
        assert_eq!(d.refunded.unbound, 700);
        assert!(j
            .begin_sending(&d.request_key, &target(), &sending(301), 1000)
            .is_err());
        assert_eq!(
            j.refund(&d.request_key).unwrap().unwrap().cap_cents,
            Some(300)
        );
    }
}
