//! Who may call: the client-credential (`X-Client-ID` + `X-Client-Secret`) and
//! access-token extractors; and JSON bodies.
//! Handlers take an extractor after any `Path` (a malformed path is refused
//! first) and before the body.

use axum::{
    extract::FromRequestParts,
    http::{header, request::Parts, HeaderMap},
};
use serde::de::DeserializeOwned;

use super::{
    error::{BillerError, BillerResult},
    links::AccountLink,
};
use crate::{
    state::{AppState, SharedState},
    util::{bearer, lock},
};

pub const CLIENT_ID_HEADER: &str = "x-client-id";
const CLIENT_SECRET_HEADER: &str = "x-client-secret";

/// A caller that sent this sandbox's `X-Client-ID` and `X-Client-Secret`.
/// Handlers take it as an argument; anyone else is refused with 401.
pub struct BillerClient;

impl FromRequestParts<SharedState> for BillerClient {
    type Rejection = BillerError;

    async fn from_request_parts(parts: &mut Parts, state: &SharedState) -> BillerResult<Self> {
        let id = header_str(&parts.headers, CLIENT_ID_HEADER);
        let secret = header_str(&parts.headers, CLIENT_SECRET_HEADER);
        match (id, secret) {
            (None, _) | (_, None) => Err(BillerError::Unauthorized(
                "Missing client credentials".into(),
            )),
            (Some(id), Some(secret))
                if id == state.options.biller_client_id
                    && secret == state.options.biller_client_secret =>
            {
                Ok(BillerClient)
            }
            _ => Err(BillerError::Unauthorized(
                "Invalid client credentials".into(),
            )),
        }
    }
}

/// The account link that `Authorization: Bearer <access_token>` (from
/// `/link/token/exchange`) opens, for `/bills/get`; 401 without a known one.
pub struct LinkedAccount(pub AccountLink);

impl FromRequestParts<SharedState> for LinkedAccount {
    type Rejection = BillerError;

    async fn from_request_parts(parts: &mut Parts, state: &SharedState) -> BillerResult<Self> {
        let token = parts
            .headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(bearer)
            .ok_or_else(|| BillerError::Unauthorized("Missing access token".into()))?;
        let links = lock(&state.links);
        let link = links
            .account_link(token)
            .ok_or_else(|| BillerError::Unauthorized("Invalid access token".into()))?;
        Ok(LinkedAccount(link.clone()))
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
