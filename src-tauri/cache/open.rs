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

/// Written beside the cache when the background integrity check (or a read)
/// found it damaged: the next start checks the whole file before using it, and
/// moves it aside if it is still damaged.
pub const CHECK_MARKER: &str = "cache.sqlite.check-at-start";

/// Opens the writer connection, checks the file and migrates it; a corrupt or
/// unreadable file is moved aside and a fresh one created. The full integrity
/// check (`PRAGMA quick_check`, which reads every page) only runs here when a
/// check after the previous start asked for it (`CHECK_MARKER`); otherwise it
/// runs in the background (`Cache::check_integrity`).
pub(crate) fn open_writer(dir: &Path) -> Result<(Connection, OpenReport), CacheError> {
    std::fs::create_dir_all(dir)?;
    let path = dir.join(FILE_NAME);
    let marker = dir.join(CHECK_MARKER);
    let full_check = marker.exists();
    let opened = try_open_writer(&path, full_check);
    if full_check && !matches!(opened, Err(Unusable::Other(_))) {
        // Checked (and moved aside below if still damaged): done with it.
        let _ = std::fs::remove_file(&marker);
    }
    match opened {
        Ok(conn) => Ok((conn, OpenReport::default())),
        Err(Unusable::Other(e)) => Err(e),
        Err(Unusable::Corrupt(reason)) => {
            tracing::warn!(path = %path.display(), %reason, "cache file unusable; moving it aside");
            let moved = move_aside(&path)?;
            let conn = try_open_writer(&path, false).map_err(|u| match u {
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

fn try_open_writer(path: &Path, full_check: bool) -> Result<Connection, Unusable> {
    if path.is_dir() {
        return Err(Unusable::Corrupt("the cache path is a folder".into()));
    }
    check_length(path)?;
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
        // At most 32 MB of page cache (allocated only as used, kept while the
        // app runs): most of the (env, id) index of a million RTLs, which
        // bulk upserts walk. A sync writes about a hundred RTLs a second; a
        // larger cache only speeds up bulk ingests of hundreds of thousands
        // (see the cache benchmark). A larger WAL between checkpoints means
        // fewer syncs during a full sync.
        "PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON; PRAGMA cache_size=-32768;
         PRAGMA wal_autocheckpoint=4000;",
    )
    .map_err(classify)?;
    if full_check {
        quick_check(&conn)?;
    }
    match schema::migrate_to(&mut conn, schema::LATEST_VERSION) {
        Ok(_) => Ok(conn),
        Err(CacheError::Sqlite(e)) => Err(classify(e)),
        // Only a newer schema version reports Data here: this Linkdesk cannot
        // read that file, and a cache can always be rebuilt.
        Err(CacheError::Data(m)) => Err(Unusable::Corrupt(m)),
        Err(e) => Err(Unusable::Other(e)),
    }
}

/// A file shorter than its header says (cut off by a full disk or a bad copy)
/// is caught at open by reading 100 bytes; damage inside pages needs the full
/// check. A header that does not vouch for its page count is left to SQLite,
/// and so is a file with a write-ahead log: a checkpoint cut short by a crash
/// may have written the header before the pages, and the log completes it.
fn check_length(path: &Path) -> Result<(), Unusable> {
    use std::io::Read;
    let wal = std::fs::metadata(with_suffix(path, "-wal")).map_or(0, |m| m.len());
    if wal > 0 {
        return Ok(());
    }
    let Ok(mut file) = std::fs::File::open(path) else {
        return Ok(());
    };
    let mut header = [0u8; 100];
    if file.read_exact(&mut header).is_err() || !header.starts_with(b"SQLite format 3\0") {
        return Ok(());
    }
    let be32 = |at: usize| {
        u32::from_be_bytes([header[at], header[at + 1], header[at + 2], header[at + 3]])
    };
    let page_size = match u16::from_be_bytes([header[16], header[17]]) {
        1 => 65_536,
        n => u64::from(n),
    };
    let pages = u64::from(be32(28));
    let vouched = pages > 0 && be32(24) == be32(92);
    let len = file.metadata().map(|m| m.len()).unwrap_or(u64::MAX);
    if vouched && len < pages * page_size {
        return Err(Unusable::Corrupt(format!(
            "the file is cut short ({len} bytes of {})",
            pages * page_size
        )));
    }
    Ok(())
}

/// `PRAGMA quick_check` reads every page once (about 0.3 s for 1,000,000
/// RTLs). At most `5` problems are listed.
pub(crate) fn quick_check(conn: &Connection) -> Result<(), Unusable> {
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

/// Each pooled reader's page cache, as `PRAGMA cache_size` (-KiB): 16 MB.
pub(crate) const READER_CACHE: i32 = -16384;

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
    conn.execute_batch(&format!(
        "PRAGMA query_only=ON; PRAGMA cache_size={READER_CACHE};"
    ))?;
    Ok(conn)
}
