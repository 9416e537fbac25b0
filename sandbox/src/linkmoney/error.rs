//! Link Money's error shape:
//! `{"errorId", "errorCode", "errorMessage", "errorSeverity": "ERROR"}`.

use axum::{
    http::{header, StatusCode},
    response::{IntoResponse, Response},
    Json,
};
use serde_json::json;

#[derive(Debug, thiserror::Error)]
pub enum LmError {
    #[error("{0}")]
    Validation(String),
    #[error("A payment with requestKey '{0}' already exists")]
    DuplicateRequestKey(String),
    #[error("{0}")]
    Unauthorized(String),
    #[error("{0}")]
    InsufficientScope(String),
    #[error("{0}")]
    NotFound(String),
    #[error("Rate limit exceeded, retry after {retry_after} seconds")]
    RateLimited { retry_after: u64 },
    #[error("{0}")]
    MethodNotAllowed(String),
    #[error("{0}")]
    Internal(String),
}

impl LmError {
    fn parts(&self) -> (StatusCode, u32, &'static str) {
        match self {
            Self::Validation(_) => (StatusCode::BAD_REQUEST, 10001, "VALIDATION_ERROR"),
            Self::DuplicateRequestKey(_) => {
                (StatusCode::BAD_REQUEST, 10002, "DUPLICATE_REQUEST_KEY")
            }
            Self::Internal(_) => (
                StatusCode::INTERNAL_SERVER_ERROR,
                10003,
                "INTERNAL_SERVER_ERROR",
            ),
            Self::Unauthorized(_) => (StatusCode::UNAUTHORIZED, 10004, "UNAUTHORIZED"),
            Self::InsufficientScope(_) => (StatusCode::FORBIDDEN, 10005, "INSUFFICIENT_SCOPE"),
            Self::NotFound(_) => (StatusCode::NOT_FOUND, 10006, "NOT_FOUND"),
            Self::RateLimited { .. } => (StatusCode::TOO_MANY_REQUESTS, 10007, "RATE_LIMITED"),
            Self::MethodNotAllowed(_) => {
                (StatusCode::METHOD_NOT_ALLOWED, 10008, "METHOD_NOT_ALLOWED")
            }
        }
    }

    pub fn validation(field: &str, problem: &str) -> Self {
        Self::Validation(format!("{field}: {problem}"))
    }
}

impl IntoResponse for LmError {
    fn into_response(self) -> Response {
        let (status, id, code) = self.parts();
        let body = json!({
            "errorId": id,
            "errorCode": code,
            "errorMessage": self.to_string(),
            "errorSeverity": "ERROR",
        });
        let mut response = (status, Json(body)).into_response();
        if let Self::RateLimited { retry_after } = self {
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, header::HeaderValue::from(retry_after));
        }
        response
    }
}

pub type LmResult<T> = Result<T, LmError>;
