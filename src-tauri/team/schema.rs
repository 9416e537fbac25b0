//! The team store's numbered migrations, embedded in the binary and tracked
//! in `linkdesk.schema_version` — the same discipline as the SQLite files: a
//! released migration is never edited, a change is the next number. They run
//! as `linkdesk_owner` (the schema's owner, see team/roles.sql), one
//! transaction each, under an advisory lock so two seats never race.

use super::TeamStore;
use crate::error::{AppError, AppResult, ErrorCode};

pub const MIGRATIONS: &[(i32, &str)] = &[(1, include_str!("migrations/0001_team.sql"))];

pub const LATEST_VERSION: i32 = 1;

/// Any number, the same for every seat: the lock migrations are applied under.
const MIGRATION_LOCK: i64 = 0x6c69_6e6b_6465_736b;

async fn version(
    client: &impl deadpool_postgres::GenericClient,
) -> Result<i32, tokio_postgres::Error> {
    let exists: bool = client
        .query_one(
            "SELECT to_regclass('linkdesk.schema_version') IS NOT NULL",
            &[],
        )
        .await?
        .get(0);
    if !exists {
        return Ok(0);
    }
    let v: Option<i32> = client
        .query_one("SELECT max(version) FROM linkdesk.schema_version", &[])
        .await?
        .get(0);
    Ok(v.unwrap_or(0))
}

pub(super) async fn migrate(
    store: &TeamStore,
    client: &mut deadpool_postgres::Object,
) -> AppResult<i32> {
    let schema: bool = client
        .query_one(
            "SELECT EXISTS (SELECT 1 FROM pg_namespace WHERE nspname = 'linkdesk')",
            &[],
        )
        .await
        .map_err(|e| store.error(e))?
        .get(0);
    if !schema {
        return Err(AppError::new(
            ErrorCode::TeamUnavailable,
            format!(
                "The team store ({}) has no linkdesk schema yet: a database administrator runs team/roles.sql once (see the README).",
                store.shown_url()
            ),
        ));
    }
    let found = version(&*client).await.map_err(|e| store.error(e))?;
    if found == LATEST_VERSION {
        return Ok(found);
    }
    if found > LATEST_VERSION {
        return Err(AppError::new(
            ErrorCode::TeamUnavailable,
            format!("The team store's schema is version {found}, newer than this Linkdesk ({LATEST_VERSION}): update Linkdesk."),
        ));
    }
    let owner: bool = client
        .query_one(
            "SELECT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'linkdesk_owner')
                 AND pg_has_role(session_user, 'linkdesk_owner', 'MEMBER')",
            &[],
        )
        .await
        .map_err(|e| store.error(e))?
        .get(0);
    if !owner {
        return Err(AppError::new(
            ErrorCode::TeamUnavailable,
            format!(
                "The team store's schema is version {found} and this Linkdesk needs {LATEST_VERSION}: an administrator (a member of linkdesk_owner) connects once to apply it."
            ),
        ));
    }
    let tx = client.transaction().await.map_err(|e| store.error(e))?;
    tx.execute("SELECT pg_advisory_xact_lock($1)", &[&MIGRATION_LOCK])
        .await
        .map_err(|e| store.error(e))?;
    tx.batch_execute("SET LOCAL ROLE linkdesk_owner")
        .await
        .map_err(|e| store.error(e))?;
    let mut at = version(&tx).await.map_err(|e| store.error(e))?;
    for (number, sql) in MIGRATIONS {
        if *number <= at {
            continue;
        }
        tx.batch_execute(sql).await.map_err(|e| store.error(e))?;
        tx.execute(
            "INSERT INTO linkdesk.schema_version (version) VALUES ($1)",
            &[number],
        )
        .await
        .map_err(|e| store.error(e))?;
        at = *number;
    }
    tx.commit().await.map_err(|e| store.error(e))?;
    tracing::info!(from = found, to = at, "team store schema migrated");
    Ok(at)
}
