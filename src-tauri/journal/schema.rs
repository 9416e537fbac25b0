//! Numbered migrations, embedded in the binary, tracked in `schema_version`.

use rusqlite::Connection;

use super::JournalError;

/// `(version, SQL)`, in order. A released migration is never edited: a change
/// is a new file with the next number.
pub const MIGRATIONS: &[(u32, &str)] = &[
    (1, include_str!("migrations/0001_refunds.sql")),
    (2, include_str!("migrations/0002_audit_and_webhooks.sql")),
];

pub const LATEST_VERSION: u32 = 2;

fn current_version(conn: &Connection) -> Result<u32, JournalError> {
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

/// Brings the file to `target`, one migration per transaction. A file from a
/// newer Linkdesk is refused rather than guessed at. Public so tests can build
/// files at every earlier version.
pub fn migrate_to(conn: &mut Connection, target: u32) -> Result<u32, JournalError> {
    let mut version = current_version(conn)?;
    if version > LATEST_VERSION {
        return Err(JournalError::Data(format!(
            "the journal has schema version {version}, newer than this Linkdesk ({LATEST_VERSION})"
        )));
    }
    for (number, sql) in MIGRATIONS {
        if *number <= version || *number > target {
            continue;
        }
        let tx = conn.transaction()?;
        tx.execute_batch(sql)?;
        tx.execute(
            "INSERT INTO schema_version (version, applied_at) VALUES (?1, ?2)",
            rusqlite::params![number, super::now()],
        )?;
        tx.commit()?;
        version = *number;
    }
    Ok(version)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn migrates_from_every_earlier_version_keeping_rows() {
        for start in 0..LATEST_VERSION {
            let mut conn = Connection::open_in_memory().unwrap();
            assert_eq!(migrate_to(&mut conn, start).unwrap(), start);
            if start >= 1 {
                conn.execute(
                    "INSERT INTO refunds (request_key, env_id, env_name, env_kind, customer_id, state, created_at, updated_at)
                     VALUES ('k', 'e', 'E', 'sandbox', 'c', 'DRAFT', 't', 't')",
                    [],
                )
                .unwrap();
            }
            assert_eq!(
                migrate_to(&mut conn, LATEST_VERSION).unwrap(),
                LATEST_VERSION
            );
            let n: i64 = conn
                .query_row("SELECT COUNT(*) FROM refunds", [], |r| r.get(0))
                .unwrap();
            assert_eq!(n, i64::from(start >= 1));
            // Running again changes nothing.
            assert_eq!(
                migrate_to(&mut conn, LATEST_VERSION).unwrap(),
                LATEST_VERSION
            );
        }
    }

    #[test]
    fn a_newer_file_is_refused() {
        let mut conn = Connection::open_in_memory().unwrap();
        migrate_to(&mut conn, LATEST_VERSION).unwrap();
        conn.execute(
            "INSERT INTO schema_version (version, applied_at) VALUES (99, 'x')",
            [],
        )
        .unwrap();
        assert!(migrate_to(&mut conn, LATEST_VERSION).is_err());
    }
}
