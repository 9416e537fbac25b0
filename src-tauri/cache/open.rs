//! Opening the cache file: connection settings, migrations, and what to do
//! when the file is corrupt or unreadable (move it aside, start afresh).

use std::path::{Path, PathBuf};
use std::time::Duration;

use rusqlite::{Connection, ErrorCode as SqliteCode, OpenFlags};

use super::{schema, CacheError, OpenReport};

pub const FILE_NAME: &str = "cache.sqlite";
const BUSY_TIMEOUT: Duration = Duration::from_secs(5);

/// A file that failed one of these checks is of no use to Linkdesk.
#[derive(Debug)]
pub(crate) enum Unusable {
    /// The reason, as the user will read it.
    Corrupt(String),
    /// Any other failure: not the file's fault (locked, disk full…), so the file
    /// is left where it is.
    Other(CacheError),
}

/// Opens the writer connection, checks the file and migrates it; a corrupt or
/// unreadable file is moved aside and a fresh one created.
pub(crate) fn open_writer(dir: &Path) -> Result<(Connection, OpenReport), CacheError> {
    std::fs::create_dir_all(dir)?;
    let path = dir.join(FILE_NAME);
    match try_open_writer(&path) {
        Ok(conn) => Ok((conn, OpenReport::default())),
        Err(Unusable::Other(e)) => Err(e),
        Err(Unusable::Corrupt(reason)) => {
            tracing::warn!(path = %path.display(), %reason, "cache file unusable; moving it aside");
            let moved = move_aside(&path)?;
            let conn = try_open_writer(&path).map_err(|u| match u {
                Unusable::Corrupt(r) => CacheError::Data(r),
                Unusable::Other(e) => e,
            })?;
            Ok((
                conn,
                OpenReport {
                    moved_aside_to: Some(moved),
                    reason: Some(reason),
                },
            ))
        }
    }
}

fn try_open_writer(path: &Path) -> Result<Connection, Unusable> {
    if path.is_dir() {
        return Err(Unusable::Corrupt("the cache path is a folder".into()));
    }
    let mut conn = Connection::open(path).map_err(classify)?;
    conn.busy_timeout(BUSY_TIMEOUT).map_err(classify)?;
    // journal_mode is the first statement that reads the header: a file that is
    // not SQLite fails here.
    let mode: String = conn
        .query_row("PRAGMA journal_mode=WAL", [], |r| r.get(0))
        .map_err(classify)?;
    if !mode.eq_ignore_ascii_case("wal") {
        return Err(Unusable::Other(CacheError::Data(format!(
            "the cache could not switch to WAL mode (got {mode})"
        ))));
    }
    conn.execute_batch(
        // Up to 128 MB of page cache (allocated only as used) holds the
        // (env, id) index of a million RTLs and the pages a bulk upsert
        // dirties: 95,000 RTLs/s at 1,000,000 against 66,000 with 64 MB. A
        // larger WAL between checkpoints means fewer syncs during a full sync.
        "PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON; PRAGMA cache_size=-131072;
         PRAGMA wal_autocheckpoint=4000;",
    )
    .map_err(classify)?;
    quick_check(&conn)?;
    match schema::migrate_to(&mut conn, schema::LATEST_VERSION) {
        Ok(_) => Ok(conn),
        Err(CacheError::Sqlite(e)) => Err(classify(e)),
        // Only a newer schema version reports Data here: this Linkdesk cannot
        // read that file, and a cache can always be rebuilt.
        Err(CacheError::Data(m)) => Err(Unusable::Corrupt(m)),
        Err(e) => Err(Unusable::Other(e)),
    }
}

/// `PRAGMA quick_check` reads every page once (about 0.3 s for 1,000,000 RTLs,
/// see the benchmark); a damaged file is caught at start rather than halfway
/// through an offline session.
fn quick_check(conn: &Connection) -> Result<(), Unusable> {
    let mut stmt = conn.prepare("PRAGMA quick_check(5)").map_err(classify)?;
    let problems: Vec<String> = stmt
        .query_map([], |r| r.get::<_, String>(0))
        .map_err(classify)?
        .collect::<Result<_, _>>()
        .map_err(classify)?;
    if problems.len() == 1 && problems[0] == "ok" {
        return Ok(());
    }
    Err(Unusable::Corrupt(format!(
        "integrity check failed: {}",
        problems.join("; ")
    )))
}

fn classify(e: rusqlite::Error) -> Unusable {
    let code = e.sqlite_error_code();
    match code {
        Some(SqliteCode::NotADatabase) => {
            Unusable::Corrupt("the file is not an SQLite database".into())
        }
        Some(SqliteCode::DatabaseCorrupt) => {
            Unusable::Corrupt(format!("the file is damaged ({e})"))
        }
        Some(SqliteCode::CannotOpen | SqliteCode::PermissionDenied | SqliteCode::ReadOnly) => {
            Unusable::Corrupt(format!("the file cannot be read or written ({e})"))
        }
        _ => Unusable::Other(CacheError::Sqlite(e)),
    }
}

/// Renames the file and its WAL/SHM companions to `cache.sqlite.corrupt-<UTC>`,
/// keeping them side by side for whoever wants to look at them.
fn move_aside(path: &Path) -> Result<PathBuf, CacheError> {
    let stamp = chrono::Utc::now().format("%Y%m%dT%H%M%SZ");
    let mut target = path.with_file_name(format!("{FILE_NAME}.corrupt-{stamp}"));
    let mut n = 1;
    while target.exists() {
        n += 1;
        target = path.with_file_name(format!("{FILE_NAME}.corrupt-{stamp}-{n}"));
    }
    for suffix in ["-wal", "-shm"] {
        let companion = with_suffix(path, suffix);
        if companion.exists() {
            std::fs::rename(&companion, with_suffix(&target, suffix))?;
        }
    }
    if path.exists() {
        std::fs::rename(path, &target)?;
    }
    Ok(target)
}

fn with_suffix(path: &Path, suffix: &str) -> PathBuf {
    let mut s = path.as_os_str().to_owned();
    s.push(suffix);
    PathBuf::from(s)
}

/// A read-only connection for the reader pool: WAL lets it read while the
/// writer writes.
pub(crate) fn open_reader(path: &Path) -> Result<Connection, CacheError> {
    let conn = Connection::open_with_flags(
        path,
        OpenFlags::SQLITE_OPEN_READ_WRITE
            | OpenFlags::SQLITE_OPEN_NO_MUTEX
            | OpenFlags::SQLITE_OPEN_URI,
    )?;
    conn.busy_timeout(BUSY_TIMEOUT)?;
    conn.execute_batch("PRAGMA query_only=ON; PRAGMA cache_size=-16384;")?;
    Ok(conn)
}
