//! Refund claims. Before a refund is sent, its (environment kind, merchant,
//! payment, n) is claimed with its amount in one transaction that holds an
//! advisory lock on the payment: a number someone else holds, or an amount
//! above what the payment has left after every claim of it that counts, is
//! refused with who and when.

use chrono::{DateTime, Utc};
use serde::Serialize;

use super::TeamStore;
use crate::error::{AppError, AppResult, ErrorCode};
use crate::linkmoney::format_cents;

/// Claim outcomes in which no money went out (as the journal's states).
pub const NOT_COUNTED: &[&str] = &[
    "FAILED_NOT_SENT",
    "TERMINAL_FAILED",
    "MADE_ELSEWHERE",
    "CANCELED",
    "CANCELLED",
    "RELEASED",
];

#[derive(Debug, Clone, PartialEq)]
pub struct ClaimRequest {
    pub merchant_id: String,
    pub payment_id: String,
    pub refund_number: u32,
    pub request_key: String,
    pub amount_cents: i64,
    /// What the payment was, as re-read from Link Money just now.
    pub payment_cents: i64,
}

/// What the team store knows of one payment's refunds.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PaymentClaims {
    /// Refund numbers claimed by anyone (whatever their outcome).
    pub numbers: Vec<u32>,
    /// The claimed amounts that count against the payment.
    pub counted_cents: i64,
}

fn when(at: DateTime<Utc>) -> String {
    at.format("%Y-%m-%d %H:%M:%S UTC").to_string()
}

fn refused(message: String) -> AppError {
    AppError::new(ErrorCode::ClaimRefused, message)
}

impl TeamStore {
    /// Claims a refund for this agent. Claiming a refund this agent already
    /// holds (a retry) succeeds and changes nothing.
    pub async fn claim(&self, c: &ClaimRequest) -> AppResult<()> {
        let mut client = self.client().await?;
        let tx = client.transaction().await.map_err(|e| self.error(e))?;
        let lock = format!("{}/{}/{}", self.kind(), c.merchant_id, c.payment_id);
        tx.execute(
            "SELECT pg_advisory_xact_lock(hashtextextended($1, 0))",
            &[&lock],
        )
        .await
        .map_err(|e| self.error(e))?;
        let me: String = tx
            .query_one("SELECT session_user::text", &[])
            .await
            .map_err(|e| self.error(e))?
            .get(0);
        let rows = tx
            .query(
                "SELECT refund_number, request_key, amount_cents, claimed_by, claimed_at, outcome
                 FROM linkdesk.claims
                 WHERE env_kind = $1 AND merchant_id = $2 AND payment_id = $3
                 ORDER BY refund_number",
                &[&self.kind(), &c.merchant_id, &c.payment_id],
            )
            .await
            .map_err(|e| self.error(e))?;
        let mut counted = 0i64;
        let mut others = Vec::new();
        for r in &rows {
            let number: i32 = r.get(0);
            let key: String = r.get(1);
            let amount: i64 = r.get(2);
            let by: String = r.get(3);
            let at: DateTime<Utc> = r.get(4);
            let outcome: String = r.get(5);
            if i64::from(number) == i64::from(c.refund_number) {
                if key == c.request_key && by == me {
                    return Ok(());
                }
                return Err(refused(format!(
                    "Refund #{number} of payment {} is already claimed by {by} (since {}, {}). Nothing was sent: open the refund again to see what is left.",
                    c.payment_id,
                    when(at),
                    outcome.to_lowercase().replace('_', " ")
                )));
            }
            if !NOT_COUNTED.contains(&outcome.as_str()) {
                counted += amount;
                others.push(format!("{} by {by} at {}", format_cents(amount), when(at)));
            }
        }
        let left = (c.payment_cents - counted).max(0);
        if c.amount_cents > left {
            return Err(refused(format!(
                "{} is more than is left of payment {} across the team: {} paid, {} already claimed ({}). Nothing was sent.",
                format_cents(c.amount_cents),
                c.payment_id,
                format_cents(c.payment_cents),
                format_cents(counted),
                others.join("; ")
            )));
        }
        tx.execute(
            "INSERT INTO linkdesk.claims (env_kind, merchant_id, payment_id, refund_number,
                 request_key, amount_cents, payment_cents)
             VALUES ($1, $2, $3, $4, $5, $6, $7)",
            &[
                &self.kind(),
                &c.merchant_id,
                &c.payment_id,
                &(c.refund_number as i32),
                &c.request_key,
                &c.amount_cents,
                &c.payment_cents,
            ],
        )
        .await
        .map_err(|e| self.error(e))?;
        tx.commit().await.map_err(|e| self.error(e))?;
        Ok(())
    }

    /// Records the outcome of a claim this agent holds (the journal's state,
    /// or RELEASED when it was never sent). Idempotent.
    pub async fn settle_claim(&self, request_key: &str, outcome: &str) -> AppResult<()> {
        let client = self.client().await?;
        client
            .execute(
                "UPDATE linkdesk.claims SET outcome = $2
                 WHERE request_key = $1 AND outcome IS DISTINCT FROM $2",
                &[&request_key, &outcome],
            )
            .await
            .map_err(|e| self.error(e))?;
        Ok(())
    }

    /// The numbers taken and the amount claimed of one payment, by anyone.
    pub async fn payment_claims(
        &self,
        merchant_id: &str,
        payment_id: &str,
    ) -> AppResult<PaymentClaims> {
        let client = self.client().await?;
        let rows = client
            .query(
                "SELECT refund_number, amount_cents, outcome FROM linkdesk.claims
                 WHERE env_kind = $1 AND merchant_id = $2 AND payment_id = $3",
                &[&self.kind(), &merchant_id, &payment_id],
            )
            .await
            .map_err(|e| self.error(e))?;
        let mut out = PaymentClaims::default();
        for r in rows {
            let number: i32 = r.get(0);
            out.numbers.push(number.max(0) as u32);
            let outcome: String = r.get(2);
            if !NOT_COUNTED.contains(&outcome.as_str()) {
                out.counted_cents += r.get::<_, i64>(1);
            }
        }
        // Numbers some agent is waiting to have approved are taken too.
        let waiting = client
            .query(
                "SELECT refund_number FROM linkdesk.approvals
                 WHERE env_kind = $1 AND merchant_id = $2 AND payment_id = $3",
                &[&self.kind(), &merchant_id, &payment_id],
            )
            .await
            .map_err(|e| self.error(e))?;
        out.numbers
            .extend(waiting.iter().map(|r| r.get::<_, i32>(0).max(0) as u32));
        out.numbers.sort_unstable();
        out.numbers.dedup();
        Ok(out)
    }
}
