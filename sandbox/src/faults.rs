//! The middleware in front of every route: injected latency and failures,
//! rate limits, and dropping the connection after a committed write.

use std::time::{Duration, Instant};

use axum::{
    extract::{Request, State},
    http::{Method, StatusCode, Uri},
    middleware::Next,
    response::{IntoResponse, Response},
};

use crate::{
    biller::{auth::CLIENT_ID_HEADER, error::BillerError},
    linkmoney::error::LmError,
    ratelimit::Group,
    server::ConnInfo,
    state::SharedState,
};

/// Which service a path belongs to, for the error shape it answers in.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Service {
    BillerApi,
    LinkMoney,
    /// `/sandbox/...`: the sandbox's own helpers, exempt from faults and limits.
    Sandbox,
}

impl Service {
    pub fn of(path: &str) -> Service {
        if path == "/v1" || path.starts_with("/v1/") {
            Service::LinkMoney
        } else if path.starts_with("/sandbox/") {
            Service::Sandbox
        } else {
            Service::BillerApi
        }
    }

    fn error(self, status: StatusCode, message: &str) -> Response {
        let message = message.to_string();
        match (self, status) {
            (Service::LinkMoney, StatusCode::NOT_FOUND) => {
                LmError::NotFound(message).into_response()
            }
            (Service::LinkMoney, StatusCode::METHOD_NOT_ALLOWED) => {
                LmError::MethodNotAllowed(message).into_response()
            }
            (Service::LinkMoney, _) => LmError::Internal(message).into_response(),
            _ => BillerError::Status { status, message }.into_response(),
        }
    }

    fn too_many(self, retry_after: u64) -> Response {
        match self {
            Service::LinkMoney => LmError::RateLimited { retry_after }.into_response(),
            _ => BillerError::TooManyRequests { retry_after }.into_response(),
        }
    }
}

pub async fn gate(State(state): State<SharedState>, request: Request, next: Next) -> Response {
    let service = Service::of(request.uri().path());
    if service == Service::Sandbox {
        return next.run(request).await;
    }
    let options = &state.options;
    if options.latency_ms > 0 {
        tokio::time::sleep(Duration::from_millis(options.latency_ms)).await;
    }
    if state.roll_fault(options.fail_rate) {
        // Answered before the handler runs: nothing happened.
        return service.error(
            StatusCode::INTERNAL_SERVER_ERROR,
            "Internal server error (injected by --fail-rate)",
        );
    }
    let connection = request.extensions().get::<ConnInfo>().cloned();
    if let Some(group) = Group::of(request.method().as_str(), request.uri().path()) {
        let client_id = request
            .headers()
            .get(CLIENT_ID_HEADER)
            .and_then(|v| v.to_str().ok())
            .filter(|v| !v.is_empty());
        let key = group.key(client_id, connection.as_ref().map(|c| c.remote.ip()));
        if let Err(retry_after) = state.limiter.check(group, key, Instant::now()) {
            return service.too_many(retry_after);
        }
    }
    // Token issuance is a POST but changes no resource, so it is never dropped.
    let is_write = matches!(
        *request.method(),
        Method::POST | Method::PATCH | Method::PUT
    ) && request.uri().path() != "/v1/tokens";
    let response = next.run(request).await;
    if is_write
        && response.status().is_success()
        && state.roll_fault(options.drop_after_commit_rate)
    {
        if let Some(connection) = connection {
            // The effect is committed; close the socket instead of answering.
            connection.kill.notify_one();
            std::future::pending::<()>().await;
        }
    }
    response
}

pub async fn not_found(uri: Uri) -> Response {
    Service::of(uri.path()).error(
        StatusCode::NOT_FOUND,
        &format!("Cannot find {}", uri.path()),
    )
}

pub async fn method_not_allowed(method: Method, uri: Uri) -> Response {
    Service::of(uri.path()).error(
        StatusCode::METHOD_NOT_ALLOWED,
        &format!("{method} is not allowed on {}", uri.path()),
    )
}
