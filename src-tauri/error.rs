//! The one error type the UI sees: `{code, message}` with a stable code.

use serde::Serialize;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
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
    /// A write was refused because the production environment is locked.
    ProductionLocked,
    /// A write was refused because the app is offline (writes are never queued).
    OfflineWrite,
    /// Another Linkdesk process holds this data folder's refund journal, so
    /// this one neither sends nor resolves refunds.
    JournalInUse,
    Internal,
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
