//! Two-person approval. A refund above the team threshold is requested, not
//! sent; another agent approves or rejects it (with a reason) — a decision
//! by the requester's own role is refused by the database — and only then
//! does the requester's Linkdesk send it, with its claim and its key.

use chrono::{DateTime, Utc};
use serde::Serialize;
use tokio_postgres::Row;

use super::TeamStore;
use crate::error::{AppError, AppResult, ErrorCode};

pub const THRESHOLD_KEY: &str = "approval_threshold_cents";

#[derive(Debug, Clone, PartialEq)]
pub struct ApprovalRequest {
    pub request_key: String,
    pub env_name: String,
    pub merchant_id: String,
    pub payment_id: String,
    pub refund_number: u32,
    pub customer_id: String,
    pub customer_name: String,
    pub amount_cents: i64,
    pub payment_cents: i64,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Approval {
    pub request_key: String,
    pub env_kind: String,
    pub env_name: String,
    pub merchant_id: String,
    pub payment_id: String,
    pub refund_number: u32,
    pub customer_id: String,
    pub customer_name: String,
    pub amount_cents: i64,
    pub payment_cents: i64,
    pub requested_by: String,
    pub requested_at: DateTime<Utc>,
    /// REQUESTED, APPROVED, REJECTED or SENT.
    pub state: String,
    pub decided_by: Option<String>,
    pub decided_at: Option<DateTime<Utc>>,
    pub reason: Option<String>,
    pub sent_at: Option<DateTime<Utc>>,
}

const COLUMNS: &str = "request_key, env_kind, env_name, merchant_id, payment_id, refund_number,
    customer_id, customer_name, amount_cents, payment_cents, requested_by, requested_at, state,
    decided_by, decided_at, reason, sent_at";

fn approval(r: &Row) -> Approval {
    Approval {
        request_key: r.get(0),
        env_kind: r.get(1),
        env_name: r.get(2),
        merchant_id: r.get(3),
        payment_id: r.get(4),
        refund_number: r.get::<_, i32>(5).max(0) as u32,
        customer_id: r.get(6),
        customer_name: r.get(7),
        amount_cents: r.get(8),
        payment_cents: r.get(9),
        requested_by: r.get(10),
        requested_at: r.get(11),
        state: r.get(12),
        decided_by: r.get(13),
        decided_at: r.get(14),
        reason: r.get(15),
        sent_at: r.get(16),
    }
}

impl TeamStore {
    /// The amount above which a refund needs a second agent's approval;
    /// None when the desk set none.
    pub async fn approval_threshold_cents(&self) -> AppResult<Option<i64>> {
        let client = self.client().await?;
        let row = client
            .query_opt(
                "SELECT value FROM linkdesk.team_settings WHERE key = $1",
                &[&THRESHOLD_KEY],
            )
            .await
            .map_err(|e| self.error(e))?;
        Ok(row
            .and_then(|r| r.get::<_, String>(0).trim().parse::<i64>().ok())
            .filter(|c| *c >= 0))
    }

    /// Sets the desk's threshold (only an owner may: agents have no grant).
    pub async fn set_approval_threshold_cents(&self, cents: Option<i64>) -> AppResult<()> {
        let client = self.client().await?;
        let result = match cents {
            Some(c) => {
                client
                    .execute(
                        "INSERT INTO linkdesk.team_settings (key, value) VALUES ($1, $2)
                         ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value",
                        &[&THRESHOLD_KEY, &c.to_string()],
                    )
                    .await
            }
            None => {
                client
                    .execute(
                        "DELETE FROM linkdesk.team_settings WHERE key = $1",
                        &[&THRESHOLD_KEY],
                    )
                    .await
            }
        };
        result.map(|_| ()).map_err(|e| self.error(e))
    }

    /// Asks the desk to approve a refund. Asking again for the same refund
    /// returns the request as it stands.
    pub async fn request_approval(&self, r: &ApprovalRequest) -> AppResult<Approval> {
        let client = self.client().await?;
        client
            .execute(
                "INSERT INTO linkdesk.approvals (request_key, env_kind, env_name, merchant_id,
                     payment_id, refund_number, customer_id, customer_name, amount_cents,
                     payment_cents)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
                 ON CONFLICT (request_key) DO NOTHING",
                &[
                    &r.request_key,
                    &self.kind(),
                    &r.env_name,
                    &r.merchant_id,
                    &r.payment_id,
                    &(r.refund_number as i32),
                    &r.customer_id,
                    &r.customer_name,
                    &r.amount_cents,
                    &r.payment_cents,
                ],
            )
            .await
            .map_err(|e| self.error(e))?;
        self.approval(&r.request_key)
            .await?
            .ok_or_else(|| AppError::internal("The approval request vanished from the team store"))
    }

    pub async fn approval(&self, request_key: &str) -> AppResult<Option<Approval>> {
        let client = self.client().await?;
        let row = client
            .query_opt(
                &format!("SELECT {COLUMNS} FROM linkdesk.approvals WHERE request_key = $1"),
                &[&request_key],
            )
            .await
            .map_err(|e| self.error(e))?;
        Ok(row.as_ref().map(approval))
    }

    /// The desk's approval requests of this kind, newest first: the waiting
    /// ones, or all of them.
    pub async fn approvals(&self, waiting_only: bool) -> AppResult<Vec<Approval>> {
        let client = self.client().await?;
        let rows = client
            .query(
                &format!(
                    "SELECT {COLUMNS} FROM linkdesk.approvals
                     WHERE env_kind = $1 AND (NOT $2 OR state = 'REQUESTED')
                     ORDER BY requested_at DESC LIMIT 500"
                ),
                &[&self.kind(), &waiting_only],
            )
            .await
            .map_err(|e| self.error(e))?;
        Ok(rows.iter().map(approval).collect())
    }

    /// Approves (`reason` optional) or rejects (`reason` required) a waiting
    /// request. The database refuses a decision by the requester's role.
    pub async fn decide(
        &self,
        request_key: &str,
        approve: bool,
        reason: Option<&str>,
    ) -> AppResult<Approval> {
        let reason = reason.map(str::trim).filter(|r| !r.is_empty());
        if !approve && reason.is_none() {
            return Err(AppError::invalid("A rejection needs a reason"));
        }
        let state = if approve { "APPROVED" } else { "REJECTED" };
        let client = self.client().await?;
        let changed = client
            .execute(
                "UPDATE linkdesk.approvals SET state = $2, reason = $3
                 WHERE request_key = $1 AND state = 'REQUESTED'",
                &[&request_key, &state, &reason],
            )
            .await
            .map_err(|e| self.error(e))?;
        let now = self.approval(request_key).await?.ok_or_else(|| {
            AppError::new(
                ErrorCode::NotFound,
                "No such approval request in the team store",
            )
        })?;
        if changed == 0 {
            return Err(AppError::new(
                ErrorCode::Conflict,
                format!(
                    "This request was already decided: {} by {}",
                    now.state.to_lowercase(),
                    now.decided_by.clone().unwrap_or_default()
                ),
            ));
        }
        Ok(now)
    }

    /// Records that an approved refund went out.
    pub async fn mark_sent(&self, request_key: &str) -> AppResult<()> {
        let client = self.client().await?;
        client
            .execute(
                "UPDATE linkdesk.approvals SET state = 'SENT'
                 WHERE request_key = $1 AND state = 'APPROVED'",
                &[&request_key],
            )
            .await
            .map_err(|e| self.error(e))?;
        Ok(())
    }
}
