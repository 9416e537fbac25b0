//! `journal.sqlite`: what Linkdesk must never lose — the refund journal, the
//! audit log, the webhook subscriptions made from the app and durable
//! preferences. It is a file of its own, apart from the disposable cache:
//! clearing the cache or recovering from a corrupt cache never touches it.
//! A journal that cannot be opened is left exactly as it is for inspection;
//! the app still starts and refunds are refused with the reason.

mod audit;
mod outbox;
mod prefs;
mod refund_cap;
mod refund_row;
mod refunds;
mod schema;
mod webhooks;

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use rusqlite::Connection;

use crate::error::{AppError, ErrorCode};

pub(crate) use audit::{filter_instant, filter_text};
pub use audit::{AuditEntry, AuditFacets, AuditFilter, AuditPage, AuditRow, Outcome};
pub use outbox::{OutboxItem, TeamRoute};
pub use prefs::DEFAULT_THRESHOLD_CENTS;
pub use refund_row::{Draft, Drafted, RefundRow, RefundState, Refunded, Sending, Settled};
pub use refunds::{target_mismatch, Target};
pub use schema::{migrate_to, LATEST_VERSION};
pub use webhooks::WebhookRow;

pub const FILE_NAME: &str = "journal.sqlite";
/// Held (an exclusive OS file lock) by the one process that may send and
/// resolve refunds from this data folder.
pub const LOCK_FILE_NAME: &str = "journal.lock";
const BUSY_TIMEOUT: Duration = Duration::from_secs(5);

#[derive(Debug, thiserror::Error)]
pub enum JournalError {
    #[error("refund journal database error: {0}")]
    Sqlite(#[from] rusqlite::Error),
    #[error("{0}")]
    Unavailable(String),
    #[error("refund journal data error: {0}")]
    Data(String),
    #[error("file error: {0}")]
    Io(#[from] std::io::Error),
    /// Refused for a reason the person should read as it is (a refund above
    /// its cap, a filter that is not valid): nothing was written.
    #[error("{0}")]
    Refused(AppError),
}

impl From<JournalError> for AppError {
    fn from(e: JournalError) -> Self {
        match e {
            JournalError::Refused(e) => e,
            JournalError::Sqlite(e) if crate::error::sqlite_busy(&e) => AppError::new(
                ErrorCode::Busy,
                format!("The refund journal is busy in another window or process ({e}); try again in a moment"),
            ),
            e => AppError::new(ErrorCode::Internal, format!("Journal: {e}")),
        }
    }
}

/// Cheap to clone; every method blocks (async callers use `app::blocking`).
#[derive(Clone)]
pub struct Journal {
    inner: Arc<Inner>,
}

struct Inner {
    path: PathBuf,
    conn: Result<Mutex<Connection>, String>,
    /// The exclusive lock on `journal.lock`, held while this value lives; the
    /// reason when another process holds it.
    sender_lock: Result<std::fs::File, String>,
    /// Request keys being sent by this process right now: a retry or the
    /// start-up resolver never sends a key that another task is sending.
    in_flight: Mutex<HashSet<String>>,
    /// Refund submissions under way in this process, from the person's
    /// Send to their outcome (the checks before the journal's SENDING too).
    submitting: std::sync::atomic::AtomicUsize,
    /// Team mode: which team store an environment's audit entries are
    /// queued for (see `outbox`).
    team_route: Mutex<Option<TeamRoute>>,
    /// Held while the team outbox is being delivered: one delivery at a
    /// time, so rows reach the team store in order.
    delivering: tokio::sync::Mutex<()>,
}

/// Ends a submission counted with `Journal::submitting` when dropped.
pub struct Submitting {
    journal: Journal,
}

impl Drop for Submitting {
    fn drop(&mut self) {
        self.journal
            .inner
            .submitting
            .fetch_sub(1, std::sync::atomic::Ordering::SeqCst);
    }
}

/// Releases a request key claimed with `Journal::claim` when dropped.
pub struct Claim {
    journal: Journal,
    key: String,
}

impl Drop for Claim {
    fn drop(&mut self) {
        lock(&self.journal.inner.in_flight).remove(&self.key);
    }
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

impl Journal {
    /// Opens (or creates) `dir/journal.sqlite`. A file that cannot be used is
    /// not moved or changed: the journal is then unavailable and the second
    /// value says why, for the start-up notices.
    pub fn open(dir: &Path) -> (Journal, Option<String>) {
        let path = dir.join(FILE_NAME);
        let sender_lock = lock_sender(dir);
        let conn = open_connection(&path).map_err(|e| e.to_string());
        let notice = conn.as_ref().err().map(|reason| {
            format!(
                "The refund journal {} could not be opened ({reason}). Refunds are disabled until it is repaired; the file was left untouched for inspection.",
                path.display()
            )
        });
        if let Some(n) = &notice {
            tracing::error!("{n}");
        }
        let journal = Journal {
            inner: Arc::new(Inner {
                path,
                conn: conn.map(Mutex::new),
                sender_lock,
                in_flight: Mutex::new(HashSet::new()),
                submitting: std::sync::atomic::AtomicUsize::new(0),
                team_route: Mutex::new(None),
                delivering: tokio::sync::Mutex::new(()),
            }),
        };
        (journal, notice)
    }

    pub fn path(&self) -> &Path {
        &self.inner.path
    }

    /// Why the journal cannot be used, if it cannot.
    pub fn problem(&self) -> Option<String> {
        self.inner.conn.as_ref().err().cloned()
    }

    /// `problem` as the error the UI sees.
    pub fn problem_error(&self) -> Result<(), AppError> {
        match self.problem() {
            None => Ok(()),
            Some(reason) => Err(AppError::internal(format!(
                "Refunds are refused: the refund journal {} cannot be used ({reason}). It was left untouched for inspection.",
                self.inner.path.display()
            ))),
        }
    }

    /// Whether this process may send and resolve refunds: the journal can be
    /// used and this process holds its lock (one process per data folder).
    pub fn ensure_can_send(&self) -> Result<(), AppError> {
        self.problem_error()?;
        match &self.inner.sender_lock {
            Ok(_) => Ok(()),
            Err(reason) => Err(AppError::new(ErrorCode::JournalInUse, reason.clone())),
        }
    }

    pub(crate) fn conn(&self) -> Result<MutexGuard<'_, Connection>, JournalError> {
        match &self.inner.conn {
            Ok(m) => Ok(lock(m)),
            Err(reason) => Err(JournalError::Unavailable(format!(
                "The refund journal {} cannot be used ({reason}); refunds are refused until it is repaired",
                self.inner.path.display()
            ))),
        }
    }

    /// Whether this process is submitting or sending a refund right now
    /// (closing the window then leaves its outcome to the next start, or
    /// leaves it unsent).
    pub fn sending_now(&self) -> bool {
        self.inner
            .submitting
            .load(std::sync::atomic::Ordering::SeqCst)
            > 0
            || !lock(&self.inner.in_flight).is_empty()
    }

    /// Counts a refund submission as under way until the value is dropped.
    pub fn submitting(&self) -> Submitting {
        self.inner
            .submitting
            .fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        Submitting {
            journal: self.clone(),
        }
    }

    /// Marks `key` as being sent by this process; None when it already is.
    pub fn claim(&self, key: &str) -> Option<Claim> {
        let mut set = lock(&self.inner.in_flight);
        if !set.insert(key.to_string()) {
            return None;
        }
        Some(Claim {
            journal: self.clone(),
            key: key.to_string(),
        })
    }
}

/// Takes the exclusive lock on `dir/journal.lock` (an OS file lock: it goes
/// with the process, even one that is killed).
fn lock_sender(dir: &Path) -> Result<std::fs::File, String> {
    let path = dir.join(LOCK_FILE_NAME);
    let file = std::fs::create_dir_all(dir)
        .and_then(|_| {
            std::fs::OpenOptions::new()
                .create(true)
                .truncate(false)
                .write(true)
                .open(&path)
        })
        .map_err(|e| format!("The refund journal's lock file {} cannot be opened ({e}), so this Linkdesk sends no refunds.", path.display()))?;
    match file.try_lock() {
        Ok(()) => Ok(file),
        Err(std::fs::TryLockError::WouldBlock) => {
            let message = format!(
                "Another Linkdesk is running on the data folder {}: only that one sends and resolves refunds. Use its window, or close it and start Linkdesk again.",
                dir.display()
            );
            tracing::warn!("{message}");
            Err(message)
        }
        Err(std::fs::TryLockError::Error(e)) => Err(format!(
            "The refund journal's lock file {} cannot be locked ({e}), so this Linkdesk sends no refunds.",
            path.display()
        )),
    }
}

fn open_connection(path: &Path) -> Result<Connection, JournalError> {
    if path.is_dir() {
        return Err(JournalError::Unavailable("the path is a folder".into()));
    }
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    let mut conn = Connection::open(path)?;
    conn.busy_timeout(BUSY_TIMEOUT)?;
    // The first statement that reads the header: a file that is not SQLite
    // fails here, before anything could be written to it.
    let mode: String = conn.query_row("PRAGMA journal_mode=WAL", [], |r| r.get(0))?;
    if !mode.eq_ignore_ascii_case("wal") {
        return Err(JournalError::Data(format!(
            "could not switch to WAL mode (got {mode})"
        )));
    }
    // FULL: a refund row written just before a request goes out must survive
    // a power cut, not only a crash of the app.
    conn.execute_batch("PRAGMA synchronous=FULL; PRAGMA foreign_keys=ON;")?;
    let problems: Vec<String> = conn
        .prepare("PRAGMA quick_check(5)")?
        .query_map([], |r| r.get::<_, String>(0))?
        .collect::<Result<_, _>>()?;
    if !(problems.len() == 1 && problems[0] == "ok") {
        return Err(JournalError::Data(format!(
            "integrity check failed: {}",
            problems.join("; ")
        )));
    }
    schema::migrate_to(&mut conn, LATEST_VERSION)?;
    Ok(conn)
}

/// Now, as stored in the journal: RFC 3339 UTC with milliseconds, so that text
/// order is time order.
pub fn now() -> String {
    chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_file_that_is_not_sqlite_is_left_untouched() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(FILE_NAME);
        let garbage = b"this is not a database, and it must stay exactly like this".repeat(100);
        std::fs::write(&path, &garbage).unwrap();
        let (journal, notice) = Journal::open(dir.path());
        assert!(notice.unwrap().contains("left untouched"));
        assert!(journal.problem().is_some());
        assert!(journal.conn().is_err());
        assert_eq!(std::fs::read(&path).unwrap(), garbage);
        let mut names: Vec<_> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .collect();
        names.sort();
        assert_eq!(
            names,
            vec![LOCK_FILE_NAME.to_string(), FILE_NAME.to_string()]
        );
    }

    #[test]
    fn one_journal_per_folder_may_send() {
        let dir = tempfile::tempdir().unwrap();
        let (first, _) = Journal::open(dir.path());
        assert!(first.ensure_can_send().is_ok());
        let (second, notice) = Journal::open(dir.path());
        assert!(notice.is_none(), "the second still reads the journal");
        let err = second.ensure_can_send().unwrap_err();
        assert_eq!(err.code, ErrorCode::JournalInUse);
        assert!(err.message.contains("Another Linkdesk"), "{}", err.message);
        drop(first);
        let (third, _) = Journal::open(dir.path());
        assert!(
            third.ensure_can_send().is_ok(),
            "the lock goes with its holder"
        );
    }

    #[test]
    fn claims_are_exclusive_until_dropped() {
        let dir = tempfile::tempdir().unwrap();
        let (journal, notice) = Journal::open(dir.path());
        assert!(notice.is_none());
        assert!(!journal.sending_now());
        let first = journal.claim("k1").unwrap();
        assert!(journal.sending_now());
        assert!(journal.claim("k1").is_none());
        assert!(journal.claim("k2").is_some());
        drop(first);
        assert!(journal.claim("k1").is_some());
    }
}
