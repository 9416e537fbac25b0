//! Link Money's error answers, `{"errorId","errorCode","errorMessage","errorSeverity"}`,
//! mapped to `AppError` through the shared status mapping.

use reqwest::{Response, StatusCode};
use serde::Deserialize;

use crate::error::AppError;
use crate::http;

pub(crate) const SERVICE: &str = "Link Money";

/// The `errorCode` of a payment whose `requestKey` was already used.
pub(crate) const DUPLICATE_REQUEST_KEY: &str = "DUPLICATE_REQUEST_KEY";

/// A non-success answer: the mapped error plus Link Money's own code, which
/// tells a duplicate request key from other 400s.
#[derive(Debug)]
pub(crate) struct ServiceError {
    pub error_code: Option<String>,
    pub error: AppError,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct ErrorBody {
    #[serde(default)]
    error_code: Option<String>,
    #[serde(default)]
    error_message: Option<String>,
}

pub(crate) async fn from_response(resp: Response) -> ServiceError {
    let status = resp.status();
    let retry_after = http::retry_after_secs(&resp);
    let body = http::read_error_body(SERVICE, resp).await;
    from_parts(status, &body, retry_after)
}

pub(crate) fn from_parts(
    status: StatusCode,
    body: &[u8],
    retry_after: Option<u64>,
) -> ServiceError {
    let parsed = serde_json::from_slice::<ErrorBody>(body).ok();
    let error_code = parsed
        .as_ref()
        .and_then(|b| b.error_code.clone())
        .filter(|c| !c.is_empty());
    let message = parsed
        .and_then(|b| b.error_message)
        .filter(|m| !m.trim().is_empty());
    let detail = match (message, &error_code) {
        (Some(m), Some(c)) => Some(format!("{} [{}]", truncate(m.trim()), truncate(c))),
        (Some(m), None) => Some(truncate(m.trim())),
        (None, Some(c)) => Some(truncate(c)),
        (None, None) => None,
    };
    ServiceError {
        error_code,
        error: http::status_error(SERVICE, status, detail, retry_after),
    }
}

/// Service messages are shown in the UI: keep them to a readable length.
pub(crate) fn truncate(s: &str) -> String {
    const MAX: usize = 300;
    if s.chars().count() <= MAX {
        s.to_string()
    } else {
        s.chars().take(MAX).collect::<String>() + "…"
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::ErrorCode;

    #[test]
    fn documented_error_bodies_map_to_codes() {
        let body = br#"{"errorId": 10003, "errorCode": "VALIDATION_ERROR", "errorMessage": "amount.value must be positive", "errorSeverity": "ERROR"}"#;
        let e = from_parts(StatusCode::BAD_REQUEST, body, None);
        assert_eq!(e.error.code, ErrorCode::InvalidInput);
        assert_eq!(e.error_code.as_deref(), Some("VALIDATION_ERROR"));
        assert!(e.error.message.contains("amount.value must be positive"));

        let e = from_parts(
            StatusCode::TOO_MANY_REQUESTS,
            br#"{"errorCode":"RATE_LIMITED"}"#,
            Some(7),
        );
        assert_eq!(e.error.code, ErrorCode::RateLimited);
        assert_eq!(e.error.retry_after_secs, Some(7));

        let e = from_parts(StatusCode::FORBIDDEN, b"", None);
        assert_eq!(e.error.code, ErrorCode::Forbidden);
        let e = from_parts(StatusCode::BAD_GATEWAY, b"<html>oops</html>", None);
        assert_eq!(e.error.code, ErrorCode::ServerError);
        assert_eq!(e.error_code, None);
    }

    #[test]
    fn long_messages_are_truncated() {
        let long = "x".repeat(5000);
        let body = serde_json::json!({"errorCode": "INTERNAL_SERVER_ERROR", "errorMessage": long})
            .to_string();
        let e = from_parts(StatusCode::INTERNAL_SERVER_ERROR, body.as_bytes(), None);
        assert!(e.error.message.chars().count() < 500);
    }
}
