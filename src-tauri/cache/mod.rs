//! The local SQLite cache: everything Linkdesk has fetched, per environment, so
//! that any view can be answered offline with the service's own semantics.
//!
//! One file, `<data dir>/cache.sqlite`: WAL, a 5 s busy timeout, numbered
//! migrations (`schema.rs`). One writer connection behind a mutex and a small
//! pool of readers, so reads never wait behind a long ingest. RTL lists are
//! answered through an in-memory index per environment (`rtl_index.rs`).

mod export;
mod money;
mod open;
mod records;
mod rtl_index;
mod rtls;
pub mod schema;
mod sync_state;

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard, RwLock};

use rusqlite::Connection;

pub use export::CsvRows;
pub use open::{CHECK_MARKER, FILE_NAME};
pub use records::Lookup;
pub use rtl_index::collation_key;
pub use sync_state::SyncState;

use crate::error::{AppError, ErrorCode};
use rtl_index::RtlIndex;

#[derive(Debug, thiserror::Error)]
pub enum CacheError {
    #[error("cache database error: {0}")]
    Sqlite(#[from] rusqlite::Error),
    #[error("cache file error: {0}")]
    Io(#[from] std::io::Error),
    /// Also an unacceptable argument (e.g. an undocumented status filter), as
    /// the service would answer 400.
    #[error("cache data error: {0}")]
    Data(String),
}

impl From<CacheError> for AppError {
    fn from(e: CacheError) -> Self {
        match e {
            CacheError::Sqlite(e) if crate::error::sqlite_busy(&e) => AppError::new(
                ErrorCode::Busy,
                format!("The local cache is busy in another window or process ({e}); try again in a moment"),
            ),
            e => AppError::new(ErrorCode::Cache, format!("Local cache: {e}")),
        }
    }
}

/// Columns the cached RTL list can be sorted by.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RtlSortColumn {
    Id,
    ClientUserId,
    Biller,
    Status,
    CreatedAt,
    UpdatedAt,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct RtlSort {
    pub column: RtlSortColumn,
    pub descending: bool,
}

/// What `Cache::open` had to do.
#[derive(Debug, Clone, Default)]
pub struct OpenReport {
    /// Set when the existing file was unreadable and was moved here.
    pub moved_aside_to: Option<PathBuf>,
    pub reason: Option<String>,
}

/// A record found by "Go to ID".
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct FoundRecord {
    /// "rtl", "customer", "transaction", "payout", "biller"
    pub kind: String,
    pub id: String,
    /// A short human label (client user ID, customer name, amount…)
    pub label: String,
}

/// Link Money records are cached as the JSON the service sent, by kind and ID.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RecordKind {
    Customer,
    CustomerAccounts,
    VerifiedAccounts,
    Transaction,
    Payout,
}

impl RecordKind {
    pub fn as_str(self) -> &'static str {
        match self {
            RecordKind::Customer => "customer",
            RecordKind::CustomerAccounts => "customer_accounts",
            RecordKind::VerifiedAccounts => "verified_accounts",
            RecordKind::Transaction => "transaction",
            RecordKind::Payout => "payout",
        }
    }
}

/// Cheap to clone; safe to share between threads. Every method blocks: async
/// callers use `app::blocking`.
#[derive(Clone)]
pub struct Cache {
    inner: Arc<Inner>,
}

struct Inner {
    path: PathBuf,
    writer: Mutex<Connection>,
    readers: Mutex<Vec<Connection>>,
    indexes: RwLock<HashMap<String, EnvIndex>>,
}

/// An environment's RTL index and a counter bumped by every write, so that an
/// index built from an older snapshot is never installed.
#[derive(Default)]
struct EnvIndex {
    generation: u64,
    index: Option<RtlIndex>,
}

/// Readers kept open between calls; more are opened when needed.
const READER_POOL: usize = 4;

impl Cache {
    /// Opens (or creates) `dir/cache.sqlite`, runs migrations; a corrupt file is
    /// moved aside and a fresh one started.
    pub fn open(dir: &Path) -> Result<(Cache, OpenReport), CacheError> {
        let (writer, report) = open::open_writer(dir)?;
        let cache = Cache {
            inner: Arc::new(Inner {
                path: dir.join(FILE_NAME),
                writer: Mutex::new(writer),
                readers: Mutex::new(Vec::new()),
                indexes: RwLock::new(HashMap::new()),
            }),
        };
        Ok((cache, report))
    }

    /// The full integrity check, kept off the start-up path: on its own
    /// connection with a small page cache, closed afterwards. A damaged file
    /// leaves `CHECK_MARKER` beside it, so that the next start checks it again
    /// and moves it aside (the open connections cannot let go of it now).
    /// Returns what is wrong, if anything.
    pub fn check_integrity(&self) -> Result<Option<String>, CacheError> {
        let conn = open::open_reader(&self.inner.path)?;
        conn.execute_batch("PRAGMA cache_size=-2048")?;
        match open::quick_check(&conn) {
            Ok(()) => Ok(None),
            Err(open::Unusable::Corrupt(reason)) => {
                let marker = self.inner.path.with_file_name(CHECK_MARKER);
                std::fs::write(marker, reason.as_bytes())?;
                Ok(Some(reason))
            }
            Err(open::Unusable::Other(e)) => Err(e),
        }
    }

    /// The cache file.
    pub fn path(&self) -> &Path {
        &self.inner.path
    }

    /// Deletes every cached record of one environment (the "Clear cache"
    /// action). Other environments and other files are untouched.
    pub fn clear(&self, env: &str) -> Result<(), CacheError> {
        let mut conn = self.writer();
        let tx = conn.transaction()?;
        for table in [
            "rtls",
            "billers",
            "records",
            "fetch_marks",
            "sync_state",
            "lookups",
        ] {
            tx.execute(&format!("DELETE FROM {table} WHERE env = ?1"), [env])?;
        }
        tx.commit()?;
        let mut indexes = self.indexes_mut();
        let entry = indexes.entry(env.to_string()).or_default();
        entry.generation += 1;
        entry.index = None;
        Ok(())
    }

    // A panic while a lock was held leaves SQLite consistent (the transaction
    // rolls back on drop), so a poisoned connection lock is still usable.
    fn writer(&self) -> MutexGuard<'_, Connection> {
        self.inner.writer.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn with_reader<T>(
        &self,
        f: impl FnOnce(&Connection) -> Result<T, CacheError>,
    ) -> Result<T, CacheError> {
        let pooled = self
            .inner
            .readers
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .pop();
        let conn = match pooled {
            Some(c) => c,
            None => open::open_reader(&self.inner.path)?,
        };
        let result = f(&conn);
        let mut pool = self.inner.readers.lock().unwrap_or_else(|p| p.into_inner());
        if pool.len() < READER_POOL {
            pool.push(conn);
        }
        result
    }

    fn indexes(&self) -> std::sync::RwLockReadGuard<'_, HashMap<String, EnvIndex>> {
        self.inner.indexes.read().unwrap_or_else(|p| p.into_inner())
    }

    // An index half-updated by a panic is dropped rather than trusted.
    fn indexes_mut(&self) -> std::sync::RwLockWriteGuard<'_, HashMap<String, EnvIndex>> {
        match self.inner.indexes.write() {
            Ok(g) => g,
            Err(p) => {
                let mut g = p.into_inner();
                g.values_mut().for_each(|e| {
                    e.generation += 1;
                    e.index = None;
                });
                g
            }
        }
    }
}

/// Gives the pages freed after a large build back to the system: glibc keeps
/// freed memory in the middle of its heap, so a built index would otherwise
/// cost what its temporary buffers cost too.
fn release_freed_memory() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    {
        extern "C" {
            fn malloc_trim(pad: usize) -> std::ffi::c_int;
        }
        // SAFETY: malloc_trim takes no pointer and only returns free pages of
        // glibc's heaps to the kernel; it is safe to call from any thread.
        unsafe {
            malloc_trim(0);
        }
    }
}

/// Milliseconds since the epoch: `fetched_at` as stored.
fn now_ms() -> i64 {
    chrono::Utc::now().timestamp_millis()
}

/// A stored `fetched_at` as RFC 3339 UTC.
fn ms_to_rfc3339(ms: i64) -> String {
    chrono::DateTime::from_timestamp_millis(ms)
        .unwrap_or_default()
        .to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}
