//! What Linkdesk's SQLite files (the cache and the journal) share: numbered
//! migrations embedded in the binary and tracked in a `schema_version` table.

use rusqlite::{params, Connection, Transaction};

/// Rewrites data inside a migration's transaction.
pub type Backfill<E> = fn(&Transaction) -> Result<(), E>;

/// One step of a schema: SQL, then optionally data rewritten in Rust (where
/// the app's own rules apply rather than SQLite's). A released migration is
/// never edited: a change is a new step with the next number.
pub struct Migration<E> {
    pub version: u32,
    pub sql: &'static str,
    pub then: Option<Backfill<E>>,
}

/// The version recorded in the file; 0 for a new, empty file.
pub fn current_version(conn: &Connection) -> rusqlite::Result<u32> {
    conn.execute_batch(
        "CREATE TABLE IF NOT EXISTS schema_version (
             version INTEGER NOT NULL PRIMARY KEY,
             applied_at TEXT NOT NULL
         )",
    )?;
    let v: Option<u32> =
        conn.query_row("SELECT MAX(version) FROM schema_version", [], |r| r.get(0))?;
    Ok(v.unwrap_or(0))
}

/// Brings the file to `target`, one migration per transaction, so a failure
/// leaves it at the last complete version. A file from a newer Linkdesk is
/// refused (`too_new` says how) rather than guessed at.
pub fn migrate_to<E: From<rusqlite::Error>>(
    conn: &mut Connection,
    migrations: &[Migration<E>],
    target: u32,
    too_new: impl FnOnce(u32, u32) -> E,
) -> Result<u32, E> {
    let latest = migrations.last().map_or(0, |m| m.version);
    let mut version = current_version(conn)?;
    if version > latest {
        return Err(too_new(version, latest));
    }
    for m in migrations {
        if m.version <= version || m.version > target {
            continue;
        }
        let tx = conn.transaction()?;
        tx.execute_batch(m.sql)?;
        if let Some(then) = m.then {
            then(&tx)?;
        }
        tx.execute(
            "INSERT INTO schema_version (version, applied_at) VALUES (?1, ?2)",
            params![m.version, chrono::Utc::now().to_rfc3339()],
        )?;
        tx.commit()?;
        version = m.version;
    }
    Ok(version)
}
