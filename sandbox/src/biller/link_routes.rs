//! `/link/token/create`, `/link/token/exchange` and `/bills/get`.

use std::{collections::HashMap, time::Instant};

use axum::{
    body::Bytes,
    extract::{RawQuery, State},
    Json,
};
use serde::Deserialize;
use serde_json::{json, Value};

use super::{
    auth::{parse_body, require_same_client, BillerClient, LinkedAccount},
    catalog,
    error::{BillerError, BillerResult},
    rtl_routes::{parse_biller, require_user_id},
    scenarios,
};
use crate::{state::SharedState, util::lock};

#[derive(Deserialize)]
struct CreateTokenBody {
    client_id: Option<String>,
    client_user_id: Option<String>,
    biller_id: Option<String>,
    consents: Option<Vec<String>>,
}

/// `POST /link/token/create`
pub async fn create_token(
    State(state): State<SharedState>,
    _: BillerClient,
    body: Bytes,
) -> BillerResult<Json<Value>> {
    let body: CreateTokenBody = parse_body(&body)?;
    require_same_client(&state, body.client_id.as_deref())?;
    let user = require_user_id(body.client_user_id.as_deref(), "client_user_id")?;
    let biller = parse_biller(body.biller_id.as_deref())?;
    if let Some(consent) = body
        .consents
        .iter()
        .flatten()
        .find(|c| c.as_str() != "bills")
    {
        return Err(BillerError::BadRequest(format!(
            "Unknown consent '{consent}'; the sandbox knows only \"bills\""
        )));
    }
    let issued = {
        let mut links = lock(&state.links);
        state.with_rng(|rng| links.issue_link_token(rng, user, biller, None))
    };
    Ok(Json(json!({
        "success": true,
        "link_token": issued.token,
        "expires_at": issued.expires_at,
    })))
}

#[derive(Deserialize)]
struct ExchangeBody {
    client_id: Option<String>,
    public_token: Option<String>,
}

/// `POST /link/token/exchange`
pub async fn exchange_token(
    State(state): State<SharedState>,
    _: BillerClient,
    body: Bytes,
) -> BillerResult<Json<Value>> {
    let body: ExchangeBody = parse_body(&body)?;
    require_same_client(&state, body.client_id.as_deref())?;
    let public_token = body
        .public_token
        .filter(|t| !t.is_empty())
        .ok_or_else(|| BillerError::BadRequest("public_token is required".into()))?;
    let mut links = lock(&state.links);
    let exchanged = state.with_rng(|rng| {
        links
            .exchange(rng, &public_token, Instant::now())
            .map(|(a, l)| (a, catalog::id_of(l.biller), l.link_id.clone()))
    });
    let (access_token, biller_id, link_id) = exchanged.ok_or_else(|| {
        BillerError::BadRequest("public_token is invalid, expired or already used".into())
    })?;
    Ok(Json(json!({
        "success": true,
        "access_token": access_token,
        "biller_id": biller_id,
        "link_id": link_id,
    })))
}

/// `GET /bills/get?account_link_id=` with the access token from the exchange.
pub async fn bills(
    State(state): State<SharedState>,
    LinkedAccount(link): LinkedAccount,
    RawQuery(raw): RawQuery,
) -> BillerResult<Json<Value>> {
    let params: HashMap<String, String> =
        form_urlencoded::parse(raw.unwrap_or_default().as_bytes())
            .into_owned()
            .collect();
    let wanted = params
        .get("account_link_id")
        .filter(|v| !v.is_empty())
        .ok_or_else(|| BillerError::BadRequest("account_link_id is required".into()))?;
    if *wanted != link.link_id {
        return Err(BillerError::NotFound(format!(
            "Account link '{wanted}' not found for this access token"
        )));
    }
    Ok(Json(scenarios::bills(
        &link.link_id,
        link.biller,
        link.scenario,
        state.anchor,
    )))
}
