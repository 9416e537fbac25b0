//! BillerAPI's documented error shape: `{"statusCode", "message", "error"}`.

use axum::{
    http::{header, StatusCode},
    response::{IntoResponse, Response},
    Json,
};
use serde_json::json;

#[derive(Debug, thiserror::Error)]
pub enum BillerError {
    #[error("{0}")]
    BadRequest(String),
    #[error("{0}")]
    Unauthorized(String),
    #[error("{0}")]
    Forbidden(String),
    #[error("{0}")]
    NotFound(String),
    #[error("{0}")]
    Conflict(String),
    #[error("Rate limit exceeded, retry after {retry_after} seconds")]
    TooManyRequests { retry_after: u64 },
    /// Outcomes of the link session page that have no closer match above.
    #[error("{message}")]
    Status { status: StatusCode, message: String },
}

impl BillerError {
    pub fn status(&self) -> StatusCode {
        match self {
            Self::BadRequest(_) => StatusCode::BAD_REQUEST,
            Self::Unauthorized(_) => StatusCode::UNAUTHORIZED,
            Self::Forbidden(_) => StatusCode::FORBIDDEN,
            Self::NotFound(_) => StatusCode::NOT_FOUND,
            Self::Conflict(_) => StatusCode::CONFLICT,
            Self::TooManyRequests { .. } => StatusCode::TOO_MANY_REQUESTS,
            Self::Status { status, .. } => *status,
        }
    }

    pub fn body(&self) -> serde_json::Value {
        let status = self.status();
        json!({
            "statusCode": status.as_u16(),
            "message": self.to_string(),
            "error": status.canonical_reason().unwrap_or("Error"),
        })
    }
}

impl IntoResponse for BillerError {
    fn into_response(self) -> Response {
        let mut response = (self.status(), Json(self.body())).into_response();
        if let Self::TooManyRequests { retry_after } = self {
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, header::HeaderValue::from(retry_after));
        }
        response
    }
}

pub type BillerResult<T> = Result<T, BillerError>;
