//! Numbered migrations, embedded in the binary, tracked in `schema_version`.

use rusqlite::{params, Connection, Transaction};

use crate::sqlite::{self, Migration};

use super::records::label_for;
use super::CacheError;

/// In order; see `crate::sqlite::Migration`.
pub const MIGRATIONS: &[Migration<CacheError>] = &[
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

/// Brings the file to `target`. Public so tests can build files at every
/// earlier version.
pub fn migrate_to(conn: &mut Connection, target: u32) -> Result<u32, CacheError> {
    sqlite::migrate_to(conn, MIGRATIONS, target, |found, latest| {
        CacheError::Data(format!(
            "the cache file has schema version {found}, newer than this Linkdesk ({latest})"
        ))
    })
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
