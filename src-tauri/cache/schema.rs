//! Numbered migrations, embedded in the binary, tracked in `schema_version`.

use rusqlite::{params, Connection, Transaction};

use super::records::label_for;
use super::CacheError;

/// Rewrites data inside a migration's transaction.
pub type Backfill = fn(&Transaction) -> Result<(), CacheError>;

/// One step of the schema: SQL, then optionally data rewritten in Rust (where
/// the app's own rules apply rather than SQLite's).
pub struct Migration {
    pub version: u32,
    pub sql: &'static str,
    pub then: Option<Backfill>,
}

/// In order. A released migration is never edited: a change is a new file
/// with the next number.
pub const MIGRATIONS: &[Migration] = &[
    Migration {
        version: 1,
        sql: include_str!("migrations/0001_initial.sql"),
        then: None,
    },
    Migration {
        version: 2,
        sql: include_str!("migrations/0002_sync_state.sql"),
        then: None,
    },
    Migration {
        version: 3,
        sql: include_str!("migrations/0003_labels_and_lookups.sql"),
        then: Some(fill_labels),
    },
];

pub const LATEST_VERSION: u32 = 3;

/// The version recorded in the file; 0 for a new, empty file.
pub fn current_version(conn: &Connection) -> Result<u32, CacheError> {
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
/// leaves it at the last complete version. Public so tests can build files at
/// every earlier version.
pub fn migrate_to(conn: &mut Connection, target: u32) -> Result<u32, CacheError> {
    let mut version = current_version(conn)?;
    if version > LATEST_VERSION {
        return Err(CacheError::Data(format!(
            "the cache file has schema version {version}, newer than this Linkdesk ({LATEST_VERSION})"
        )));
    }
    for m in MIGRATIONS {
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

/// Version 3: labels for the records cached before "Go to ID" showed them.
fn fill_labels(tx: &Transaction) -> Result<(), CacheError> {
    let rows: Vec<(i64, String, String)> = tx
        .prepare("SELECT rowid, kind, body FROM records")?
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?
        .collect::<Result<_, _>>()?;
    let mut update = tx.prepare("UPDATE records SET label = ?1 WHERE rowid = ?2")?;
    for (rowid, kind, body) in rows {
        let value = serde_json::from_str(&body).unwrap_or(serde_json::Value::Null);
        update.execute(params![label_for(&kind, &value), rowid])?;
    }
    Ok(())
}
