//! Where a full sync stands, per environment, so that it can resume.

use rusqlite::{params, OptionalExtension};

use super::{Cache, CacheError};

/// The saved progress of "Sync all RTLs" (see `crate::sync`).
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SyncState {
    /// The step the sync is in or stopped in (`crate::sync::SyncPhase` as text).
    pub phase: String,
    /// The next page to fetch in that step.
    pub next_page: u32,
    pub pages_total: u32,
    pub records_total: u64,
    pub records_done: u64,
    /// RFC 3339 UTC.
    pub started_at: Option<String>,
    pub finished_at: Option<String>,
    /// Set once every page has been walked once.
    pub full_completed_at: Option<String>,
    /// Milliseconds since the epoch when the refresh of open records began:
    /// open records fetched before it were not in the lists and are re-read.
    pub refresh_started_at: Option<i64>,
    pub newest_created_at: Option<String>,
}

impl Cache {
    pub fn sync_state(&self, env: &str) -> Result<Option<SyncState>, CacheError> {
        self.with_reader(|conn| {
            let mut stmt = conn.prepare_cached(
                "SELECT phase, next_page, pages_total, records_total, records_done, started_at,
                        finished_at, full_completed_at, refresh_started_at, newest_created_at
                 FROM sync_state WHERE env = ?1",
            )?;
            let state = stmt
                .query_row([env], |r| {
                    Ok(SyncState {
                        phase: r.get(0)?,
                        next_page: r.get(1)?,
                        pages_total: r.get(2)?,
                        records_total: r.get(3)?,
                        records_done: r.get(4)?,
                        started_at: r.get(5)?,
                        finished_at: r.get(6)?,
                        full_completed_at: r.get(7)?,
                        refresh_started_at: r.get(8)?,
                        newest_created_at: r.get(9)?,
                    })
                })
                .optional()?;
            Ok(state)
        })
    }

    pub fn save_sync_state(&self, env: &str, s: &SyncState) -> Result<(), CacheError> {
        let conn = self.writer();
        conn.prepare_cached(
            "INSERT OR REPLACE INTO sync_state (env, phase, next_page, pages_total, records_total,
                 records_done, started_at, finished_at, full_completed_at, refresh_started_at,
                 newest_created_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
        )?
        .execute(params![
            env,
            s.phase,
            s.next_page,
            s.pages_total,
            s.records_total,
            s.records_done,
            s.started_at,
            s.finished_at,
            s.full_completed_at,
            s.refresh_started_at,
            s.newest_created_at
        ])?;
        Ok(())
    }
}
