//! Delivering this seat's outbox to the team store, and reading the team's
//! audit trail. Rows go in order (per team store); the store keeps one copy
//! per (agent, seat, seq), so a delivery repeated after a crash or a lost
//! answer is kept once, and a row is marked delivered only after the store
//! has it: never lost, never twice.

use std::collections::HashSet;
use std::io::Write;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::TeamStore;
use crate::app::blocking;
use crate::csv_out::CsvOut;
use crate::error::{AppError, AppResult};
use crate::journal::{filter_instant, filter_text, AuditFilter, Journal, OutboxItem};

/// What one delivery round did.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Delivery {
    pub delivered: u64,
    /// Rows still waiting after the round.
    pub waiting: u64,
    /// Why rows are still waiting, when a store could not take them.
    pub error: Option<String>,
}

fn text(body: &Value, name: &str) -> Option<String> {
    body.get(name).and_then(Value::as_str).map(str::to_string)
}

impl TeamStore {
    async fn deliver_one(&self, seat: &str, item: &OutboxItem) -> AppResult<()> {
        let b = &item.body;
        match item.kind.as_str() {
            "claim" => {
                let key = text(b, "requestKey").unwrap_or_default();
                let outcome = text(b, "outcome").unwrap_or_default();
                self.settle_claim(&key, &outcome).await
            }
            _ => {
                let at = text(b, "at")
                    .and_then(|t| DateTime::parse_from_rfc3339(&t).ok())
                    .map(|d| d.with_timezone(&Utc))
                    .unwrap_or_else(Utc::now);
                let fields = b.get("fields").cloned().unwrap_or(Value::Null);
                let client = self.client().await?;
                client
                    .execute(
                        "INSERT INTO linkdesk.audit (seat_id, seq, at, env_kind, env_id, env_name,
                             action, target, fields, outcome, detail, error_code, error_message)
                         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)
                         ON CONFLICT (agent, seat_id, seq) DO NOTHING",
                        &[
                            &seat,
                            &item.seq,
                            &at,
                            &self.kind(),
                            &text(b, "envId").unwrap_or_default(),
                            &text(b, "envName").unwrap_or_default(),
                            &text(b, "action").unwrap_or_default(),
                            &text(b, "target").unwrap_or_default(),
                            &fields,
                            &text(b, "outcome").unwrap_or_else(|| "ok".into()),
                            &text(b, "detail"),
                            &text(b, "errorCode"),
                            &text(b, "errorMessage"),
                        ],
                    )
                    .await
                    .map_err(|e| self.error(e))?;
                Ok(())
            }
        }
    }
}

/// Delivers what waits in `journal`'s outbox, oldest first, to the store
/// `store_for` gives for each row's kind (one delivery at a time, by the
/// process that holds the journal's lock). A store that fails stops the
/// delivery of its rows (the next round starts again with the first of
/// them), so each store receives its rows in order.
pub async fn deliver_outbox(
    journal: &Journal,
    store_for: impl Fn(&str) -> Option<TeamStore>,
) -> Delivery {
    const BATCH: u32 = 200;
    let mut out = Delivery::default();
    // Only the process that holds the journal delivers its outbox, and one
    // delivery at a time: rows reach the store in the order written.
    if let Err(e) = journal.ensure_can_send() {
        out.error = Some(e.message);
        return out;
    }
    let _one = journal.delivery_lock().lock().await;
    let j = journal.clone();
    let seat = match blocking(move || Ok(j.seat_id()?)).await {
        Ok(s) => s,
        Err(e) => {
            out.error = Some(e.message);
            return out;
        }
    };
    let mut stopped: HashSet<String> = HashSet::new();
    let mut after = 0i64;
    loop {
        let j = journal.clone();
        let items = match blocking(move || Ok(j.outbox_waiting(after, BATCH)?)).await {
            Ok(items) => items,
            Err(e) => {
                out.error = Some(e.message);
                break;
            }
        };
        if items.is_empty() {
            break;
        }
        for item in items {
            after = item.seq;
            if stopped.contains(&item.env_kind) {
                continue;
            }
            let Some(store) = store_for(&item.env_kind) else {
                stopped.insert(item.env_kind.clone());
                continue;
            };
            match store.deliver_one(&seat, &item).await {
                Ok(()) => {
                    let j = journal.clone();
                    let seq = item.seq;
                    if let Err(e) = blocking(move || Ok(j.outbox_delivered(seq)?)).await {
                        out.error = Some(e.message);
                        stopped.insert(item.env_kind.clone());
                    } else {
                        out.delivered += 1;
                    }
                }
                Err(e) => {
                    tracing::warn!(kind = %item.env_kind, error = %e, "team outbox: delivery waits");
                    out.error = Some(e.message);
                    stopped.insert(item.env_kind.clone());
                }
            }
        }
    }
    let j = journal.clone();
    out.waiting = blocking(move || Ok(j.outbox_count()?)).await.unwrap_or(0);
    out
}

/// The whole team's audit view filters: the seat's, plus the agent.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TeamAuditFilter {
    #[serde(flatten)]
    pub seat: AuditFilter,
    #[serde(default)]
    pub agent: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct TeamAuditRow {
    pub id: i64,
    pub at: String,
    pub agent: String,
    pub seat_id: String,
    pub env_kind: String,
    pub env_id: String,
    pub env_name: String,
    pub action: String,
    pub target: String,
    pub fields: Value,
    pub outcome: String,
    pub detail: Option<String>,
    pub error_code: Option<String>,
    pub error_message: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct TeamAuditPage {
    pub rows: Vec<TeamAuditRow>,
    pub total: i64,
}

struct Bound {
    action: Option<String>,
    env_id: Option<String>,
    agent: Option<String>,
    from: Option<DateTime<Utc>>,
    to: Option<DateTime<Utc>>,
}

fn bind(f: &TeamAuditFilter) -> AppResult<Bound> {
    Ok(Bound {
        action: filter_text(&f.seat.action),
        env_id: filter_text(&f.seat.env_id),
        agent: filter_text(&f.agent),
        from: filter_instant(&f.seat.from, "start")?,
        to: filter_instant(&f.seat.to, "end")?,
    })
}

const WHERE: &str = "env_kind = $1 AND ($2::text IS NULL OR action = $2)
    AND ($3::text IS NULL OR env_id = $3) AND ($4::text IS NULL OR agent = $4)
    AND ($5::timestamptz IS NULL OR at >= $5) AND ($6::timestamptz IS NULL OR at < $6)";
const COLUMNS: &str = "id, at, agent, seat_id, env_kind, env_id, env_name, action, target, fields,
    outcome, detail, error_code, error_message";

fn row(r: &tokio_postgres::Row) -> TeamAuditRow {
    let at: DateTime<Utc> = r.get(1);
    TeamAuditRow {
        id: r.get(0),
        at: at.to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
        agent: r.get(2),
        seat_id: r.get(3),
        env_kind: r.get(4),
        env_id: r.get(5),
        env_name: r.get(6),
        action: r.get(7),
        target: r.get(8),
        fields: r.get(9),
        outcome: r.get(10),
        detail: r.get(11),
        error_code: r.get(12),
        error_message: r.get(13),
    }
}

impl TeamStore {
    /// The team's audit trail of this kind, newest first.
    pub async fn audit_page(
        &self,
        filter: &TeamAuditFilter,
        offset: u32,
        limit: u32,
    ) -> AppResult<TeamAuditPage> {
        let b = bind(filter)?;
        let client = self.client().await?;
        let total: i64 = client
            .query_one(
                &format!("SELECT count(*) FROM linkdesk.audit WHERE {WHERE}"),
                &[&self.kind(), &b.action, &b.env_id, &b.agent, &b.from, &b.to],
            )
            .await
            .map_err(|e| self.error(e))?
            .get(0);
        let rows = client
            .query(
                &format!(
                    "SELECT {COLUMNS} FROM linkdesk.audit WHERE {WHERE}
                     ORDER BY at DESC, id DESC LIMIT $7 OFFSET $8"
                ),
                &[
                    &self.kind(),
                    &b.action,
                    &b.env_id,
                    &b.agent,
                    &b.from,
                    &b.to,
                    &i64::from(limit.clamp(1, 500)),
                    &i64::from(offset),
                ],
            )
            .await
            .map_err(|e| self.error(e))?;
        Ok(TeamAuditPage {
            rows: rows.iter().map(row).collect(),
            total,
        })
    }

    /// Every matching row as CSV (the seat's audit export's columns, with
    /// the agent). Returns the rows written.
    pub async fn export_audit_csv(
        &self,
        filter: &TeamAuditFilter,
        out: &mut impl Write,
    ) -> AppResult<u64> {
        let b = bind(filter)?;
        let client = self.client().await?;
        let rows = client
            .query(
                &format!(
                    "SELECT {COLUMNS} FROM linkdesk.audit WHERE {WHERE} ORDER BY at DESC, id DESC"
                ),
                &[&self.kind(), &b.action, &b.env_id, &b.agent, &b.from, &b.to],
            )
            .await
            .map_err(|e| self.error(e))?;
        let io = |e: std::io::Error| AppError::internal(format!("Could not write the export: {e}"));
        let mut csv = CsvOut::new(&mut *out);
        csv.write_row([
            "time",
            "agent",
            "environment_id",
            "environment",
            "action",
            "target",
            "outcome",
            "detail",
            "error_code",
            "error_message",
            "fields",
        ])
        .map_err(io)?;
        for r in &rows {
            let r = row(r);
            csv.write_row([
                r.at,
                r.agent,
                r.env_id,
                r.env_name,
                r.action,
                r.target,
                r.outcome,
                r.detail.unwrap_or_default(),
                r.error_code.unwrap_or_default(),
                r.error_message.unwrap_or_default(),
                r.fields.to_string(),
            ])
            .map_err(io)?;
        }
        csv.flush().map_err(io)?;
        Ok(rows.len() as u64)
    }
}

/// Which store a kind's rows go to (team mode's stores as they are now).
pub type StoreFor = std::sync::Arc<dyn Fn(&str) -> Option<TeamStore> + Send + Sync>;

/// Delivers the outbox every `period` until aborted: entries written while
/// the store was unreachable go as soon as it is back.
pub fn spawn_delivery(
    journal: Journal,
    store_for: StoreFor,
    period: std::time::Duration,
) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        loop {
            let s = store_for.clone();
            deliver_outbox(&journal, move |k| s(k)).await;
            tokio::time::sleep(period).await;
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_team_filter_reads_as_the_window_sends_it() {
        let f: TeamAuditFilter = serde_json::from_value(serde_json::json!({
            "action": "refund", "envId": "prod", "agent": "ada", "from": null
        }))
        .unwrap();
        assert_eq!(f.seat.action.as_deref(), Some("refund"));
        assert_eq!(f.seat.env_id.as_deref(), Some("prod"));
        assert_eq!(f.agent.as_deref(), Some("ada"));
        assert_eq!(f.seat.from, None);
    }
}
