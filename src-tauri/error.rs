//! The one error type the UI sees: `{code, message}` with a stable code.

use serde::Serialize;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorCode {
    /// The service could not be reached (connection refused, DNS, reset).
    Offline,
    /// The service did not answer in time.
    Timeout,
    /// Credentials missing or refused (401).
    Unauthorized,
    /// Credentials valid but not allowed (403, wrong scope).
    Forbidden,
    NotFound,
    /// The user's input (or an argument) is not acceptable; nothing was sent.
    InvalidInput,
    /// The service refused the change in the record's current state.
    Conflict,
    /// 429; `retry_after_secs` says when to try again.
    RateLimited,
    /// 5xx from the service.
    ServerError,
    /// The service answered with something that is not what its documents describe.
    BadResponse,
    /// A TLS handshake or certificate failed.
    Tls,
    KeyringUnavailable,
    /// The local cache could not be read or written.
    Cache,
    /// A local SQLite file is busy or locked by another connection for longer
    /// than the busy timeout: try again in a moment.
    Busy,
    /// A write was refused because the production environment is locked.
    ProductionLocked,
    /// A write was refused because the app is offline (writes are never queued).
    OfflineWrite,
    /// Another Linkdesk process holds this data folder's refund journal, so
    /// this one neither sends nor resolves refunds.
    JournalInUse,
    /// No web browser could be opened for a link (none is set up).
    NoBrowser,
    /// Team mode is configured but its PostgreSQL store cannot be reached or
    /// used right now: refunds are refused (no claim can be made).
    TeamUnavailable,
    /// The team store refused the refund's claim: another agent holds this
    /// refund number of the payment, or the claims would exceed what was paid.
    ClaimRefused,
    /// The local cache does not hold the whole list asked for (an export):
    /// nothing was written; sync first, or ask for the cached part knowingly.
    Incomplete,
    /// An update was offered whose package is not signed with Linkdesk's
    /// release key (or not for the version offered): it is not installed.
    BadSignature,
    Internal,
}

impl ErrorCode {
    /// The stable code as the UI, the audit log and the journal see it.
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorCode::Offline => "offline",
            ErrorCode::Timeout => "timeout",
            ErrorCode::Unauthorized => "unauthorized",
            ErrorCode::Forbidden => "forbidden",
            ErrorCode::NotFound => "not_found",
            ErrorCode::InvalidInput => "invalid_input",
            ErrorCode::Conflict => "conflict",
            ErrorCode::RateLimited => "rate_limited",
            ErrorCode::ServerError => "server_error",
            ErrorCode::BadResponse => "bad_response",
            ErrorCode::Tls => "tls",
            ErrorCode::KeyringUnavailable => "keyring_unavailable",
            ErrorCode::Cache => "cache",
            ErrorCode::Busy => "busy",
            ErrorCode::ProductionLocked => "production_locked",
            ErrorCode::OfflineWrite => "offline_write",
            ErrorCode::JournalInUse => "journal_in_use",
            ErrorCode::NoBrowser => "no_browser",
            ErrorCode::TeamUnavailable => "team_unavailable",
            ErrorCode::ClaimRefused => "claim_refused",
            ErrorCode::Incomplete => "incomplete",
            ErrorCode::BadSignature => "bad_signature",
            ErrorCode::Internal => "internal",
        }
    }
}

impl Serialize for ErrorCode {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

/// Whether a SQLite error is "the file is busy or locked" (after the busy timeout).
pub fn sqlite_busy(e: &rusqlite::Error) -> bool {
    matches!(
        e.sqlite_error_code(),
        Some(rusqlite::ErrorCode::DatabaseBusy | rusqlite::ErrorCode::DatabaseLocked)
    )
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, thiserror::Error)]
#[error("{message}")]
pub struct AppError {
    pub code: ErrorCode,
    pub message: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub retry_after_secs: Option<u64>,
}

impl AppError {
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        Self {
            code,
            message: message.into(),
            retry_after_secs: None,
        }
    }

    pub fn invalid(message: impl Into<String>) -> Self {
        Self::new(ErrorCode::InvalidInput, message)
    }

    pub fn internal(message: impl Into<String>) -> Self {
        Self::new(ErrorCode::Internal, message)
    }

    /// True when the failure means "the service cannot be reached right now", the
    /// cases in which a read falls back to the cache.
    pub fn is_unreachable(&self) -> bool {
        matches!(
            self.code,
            ErrorCode::Offline | ErrorCode::Timeout | ErrorCode::ServerError
        )
    }
}

pub type AppResult<T> = Result<T, AppError>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_serialize_as_their_strings() {
        for code in [
            ErrorCode::NotFound,
            ErrorCode::Busy,
            ErrorCode::JournalInUse,
            ErrorCode::OfflineWrite,
        ] {
            assert_eq!(serde_json::to_value(code).unwrap(), code.as_str());
        }
        assert_eq!(ErrorCode::ProductionLocked.as_str(), "production_locked");
    }
}
