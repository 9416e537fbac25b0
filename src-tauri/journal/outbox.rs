//! The team outbox: audit entries (and refund claim outcomes) waiting to be
//! delivered to the team store, in order. Written in the same transaction as
//! the local audit row, so an entry is never in one and not the other.

use std::sync::Arc;

use rusqlite::{params, OptionalExtension};
use serde_json::Value;

use super::{lock, now, Journal, JournalError};

/// Which team store an environment's entries go to ("sandbox" or
/// "production"); None when its kind has no team store.
pub type TeamRoute = Arc<dyn Fn(&str) -> Option<String> + Send + Sync>;

/// One row waiting in the outbox.
#[derive(Debug, Clone, PartialEq)]
pub struct OutboxItem {
    pub seq: i64,
    pub env_kind: String,
    /// "audit" or "claim".
    pub kind: String,
    pub body: Value,
}

const SEAT_KEY: &str = "team_seat_id";

impl Journal {
    /// Sets (or clears) where audit entries are also queued for the team.
    pub fn set_team_route(&self, route: Option<TeamRoute>) {
        *lock(&self.inner.team_route) = route;
    }

    /// The team store kind `env_id`'s entries go to, if any.
    pub fn team_kind_of(&self, env_id: &str) -> Option<String> {
        let route = lock(&self.inner.team_route).clone();
        route.and_then(|r| r(env_id))
    }

    /// Taken by the one delivery of the outbox under way.
    pub fn delivery_lock(&self) -> &tokio::sync::Mutex<()> {
        &self.inner.delivering
    }

    /// Queues a claim's outcome (or anything else) for the team store.
    pub fn outbox_push(
        &self,
        env_kind: &str,
        kind: &str,
        body: &Value,
    ) -> Result<i64, JournalError> {
        let conn = self.conn()?;
        push(&conn, env_kind, kind, body)?;
        Ok(conn.last_insert_rowid())
    }

    /// The oldest undelivered rows after `after`, in order.
    pub fn outbox_waiting(&self, after: i64, limit: u32) -> Result<Vec<OutboxItem>, JournalError> {
        let conn = self.conn()?;
        let mut stmt = conn.prepare_cached(
            "SELECT seq, env_kind, kind, body FROM team_outbox
             WHERE delivered_at IS NULL AND seq > ?1 ORDER BY seq LIMIT ?2",
        )?;
        let rows = stmt.query_map(params![after, limit], |r| {
            let body: String = r.get(3)?;
            Ok(OutboxItem {
                seq: r.get(0)?,
                env_kind: r.get(1)?,
                kind: r.get(2)?,
                body: serde_json::from_str(&body).unwrap_or(Value::String(body)),
            })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    pub fn outbox_delivered(&self, seq: i64) -> Result<(), JournalError> {
        self.conn()?.execute(
            "UPDATE team_outbox SET delivered_at = ?2 WHERE seq = ?1 AND delivered_at IS NULL",
            params![seq, now()],
        )?;
        Ok(())
    }

    /// How many rows wait to be delivered.
    pub fn outbox_count(&self) -> Result<u64, JournalError> {
        Ok(self.conn()?.query_row(
            "SELECT COUNT(*) FROM team_outbox WHERE delivered_at IS NULL",
            [],
            |r| r.get(0),
        )?)
    }

    /// This seat's ID in the team store, made once and kept.
    pub fn seat_id(&self) -> Result<String, JournalError> {
        let conn = self.conn()?;
        let found: Option<String> = conn
            .query_row(
                "SELECT value FROM preferences WHERE key = ?1",
                [SEAT_KEY],
                |r| r.get(0),
            )
            .optional()?;
        if let Some(id) = found {
            return Ok(id);
        }
        let id = uuid::Uuid::new_v4().to_string();
        conn.execute(
            "INSERT OR IGNORE INTO preferences (key, value) VALUES (?1, ?2)",
            params![SEAT_KEY, id],
        )?;
        Ok(conn.query_row(
            "SELECT value FROM preferences WHERE key = ?1",
            [SEAT_KEY],
            |r| r.get(0),
        )?)
    }
}

pub(super) fn push(
    conn: &rusqlite::Connection,
    env_kind: &str,
    kind: &str,
    body: &Value,
) -> Result<(), JournalError> {
    conn.execute(
        "INSERT INTO team_outbox (env_kind, kind, body, created_at) VALUES (?1, ?2, ?3, ?4)",
        params![env_kind, kind, body.to_string(), now()],
    )?;
    Ok(())
}
