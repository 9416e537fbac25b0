//! `POST /v1/tokens` and the bearer-token extractors every other call takes.
//! Handlers take an extractor after any `Path` (a malformed path is refused
//! first) and before the body.

use std::{
    collections::HashMap,
    time::{Duration, Instant},
};

use axum::{
    body::Bytes,
    extract::{FromRequestParts, State},
    http::{header, request::Parts, HeaderMap},
    Json,
};
use serde_json::{json, Value};

use super::{
    error::{LmError, LmResult},
    tokens::Scope,
};
use crate::{
    state::{AppState, SharedState},
    util::{bearer, lock, random_alnum},
};

/// `POST /v1/tokens`, form-encoded client credentials.
pub async fn issue(State(state): State<SharedState>, body: Bytes) -> LmResult<Json<Value>> {
    let form: HashMap<String, String> = form_urlencoded::parse(&body).into_owned().collect();
    let field = |name: &str| form.get(name).map(String::as_str).unwrap_or("");
    if field("grant_type") != "client_credentials" {
        return Err(LmError::validation(
            "grant_type",
            "must be client_credentials",
        ));
    }
    let scope = Scope::parse(field("scope"))
        .ok_or_else(|| LmError::validation("scope", "must be Link-Core or Link-Payment"))?;
    if field("client_id") != state.options.linkmoney_client_id
        || field("client_secret") != state.options.linkmoney_client_secret
    {
        return Err(LmError::Unauthorized("Invalid client credentials".into()));
    }
    let token = state.with_rng(|rng| random_alnum(rng, 40));
    let ttl = state.options.token_ttl;
    lock(&state.access_tokens).insert(
        token.clone(),
        scope,
        Instant::now() + Duration::from_secs(ttl),
    );
    Ok(Json(json!({
        "token_type": "Bearer",
        "expires_in": ttl,
        "access_token": token,
        "scope": scope.name(),
    })))
}

/// A live `Link-Core` bearer token, which every call but `/v1/tokens` and
/// payments needs. Handlers take it as an argument; a request without one is
/// refused with 401 `UNAUTHORIZED`, one with a `Link-Payment` token with 403
/// `INSUFFICIENT_SCOPE`.
pub struct LinkCore;

/// A live `Link-Payment` bearer token, which payments and refunds need.
pub struct LinkPayment;

impl FromRequestParts<SharedState> for LinkCore {
    type Rejection = LmError;

    async fn from_request_parts(parts: &mut Parts, state: &SharedState) -> LmResult<Self> {
        require(state, &parts.headers, Scope::Core).map(|()| LinkCore)
    }
}

impl FromRequestParts<SharedState> for LinkPayment {
    type Rejection = LmError;

    async fn from_request_parts(parts: &mut Parts, state: &SharedState) -> LmResult<Self> {
        require(state, &parts.headers, Scope::Payment).map(|()| LinkPayment)
    }
}

fn require(state: &AppState, headers: &HeaderMap, needed: Scope) -> LmResult<()> {
    let token = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(bearer)
        .ok_or_else(|| LmError::Unauthorized("Missing bearer token".into()))?;
    let scope = lock(&state.access_tokens)
        .scope_of(token, Instant::now())
        .ok_or_else(|| LmError::Unauthorized("Unknown or expired access token".into()))?;
    if scope != needed {
        return Err(LmError::InsufficientScope(format!(
            "This call needs a {} token; this one is {}",
            needed.name(),
            scope.name()
        )));
    }
    Ok(())
}
