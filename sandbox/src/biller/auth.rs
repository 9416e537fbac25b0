//! Client-credential checks (`X-Client-ID` + `X-Client-Secret`) and JSON bodies.

use axum::http::HeaderMap;
use serde::de::DeserializeOwned;

use super::error::{BillerError, BillerResult};
use crate::state::AppState;

pub const CLIENT_ID_HEADER: &str = "x-client-id";
const CLIENT_SECRET_HEADER: &str = "x-client-secret";

pub fn require_client(state: &AppState, headers: &HeaderMap) -> BillerResult<()> {
    let id = header_str(headers, CLIENT_ID_HEADER);
    let secret = header_str(headers, CLIENT_SECRET_HEADER);
    match (id, secret) {
        (None, _) | (_, None) => Err(BillerError::Unauthorized(
            "Missing client credentials".into(),
        )),
        (Some(id), Some(secret))
            if id == state.options.biller_client_id
                && secret == state.options.biller_client_secret =>
        {
            Ok(())
        }
        _ => Err(BillerError::Unauthorized(
            "Invalid client credentials".into(),
        )),
    }
}

pub fn header_str<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .filter(|v| !v.is_empty())
}

/// Parses a JSON body; an empty body reads as `{}` so optional bodies may be left out.
pub fn parse_body<T: DeserializeOwned>(body: &[u8]) -> BillerResult<T> {
    let body = if body.iter().all(u8::is_ascii_whitespace) {
        &b"{}"[..]
    } else {
        body
    };
    serde_json::from_slice(body)
        .map_err(|e| BillerError::BadRequest(format!("Invalid request body: {e}")))
}

/// The request names this client (`clientId` / `client_id`): it must be the caller.
pub fn require_same_client(state: &AppState, named: Option<&str>) -> BillerResult<()> {
    match named {
        None | Some("") => Err(BillerError::BadRequest("clientId is required".into())),
        Some(id) if id == state.options.biller_client_id => Ok(()),
        Some(_) => Err(BillerError::Forbidden(
            "clientId does not match the authenticated client".into(),
        )),
    }
}
