//! Numbered migrations, embedded in the binary, tracked in `schema_version`.

use rusqlite::Connection;

use crate::sqlite::{self, Migration};

use super::JournalError;

/// In order; see `crate::sqlite::Migration`.
pub const MIGRATIONS: &[Migration<JournalError>] = &[
    Migration {
        version: 1,
        sql: include_str!("migrations/0001_refunds.sql"),
        then: None,
    },
    Migration {
        version: 2,
        sql: include_str!("migrations/0002_audit_and_webhooks.sql"),
        then: None,
    },
    Migration {
        version: 3,
        sql: include_str!("migrations/0003_payment_bound_refunds.sql"),
        then: None,
    },
    Migration {
        version: 4,
        sql: include_str!("migrations/0004_team_outbox.sql"),
        then: None,
    },
];

pub const LATEST_VERSION: u32 = 4;

/// Brings the file to `target`. Public so tests can build files at every
/// earlier version.
pub fn migrate_to(conn: &mut Connection, target: u32) -> Result<u32, JournalError> {
    sqlite::migrate_to(conn, MIGRATIONS, target, |found, latest| {
        JournalError::Data(format!(
            "the journal has schema version {found}, newer than this Linkdesk ({latest})"
        ))
    })
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
