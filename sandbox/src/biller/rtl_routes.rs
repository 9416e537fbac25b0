//! `/link/request-to-link` endpoints.

use std::{collections::HashMap, sync::Arc};

use axum::{
    body::Bytes,
    extract::{Path, RawQuery, State},
    http::StatusCode,
    response::{IntoResponse, Response},
    Json,
};
use rand::Rng;
use serde::{Deserialize, Serialize};
use serde_json::{json, Map, Value};

use super::{
    auth::{parse_body, require_same_client, BillerClient},
    catalog,
    error::{BillerError, BillerResult},
    rtl_model::{Rtl, RtlJson, RtlStatus, ID_SPACE},
    rtl_store::{RtlQuery, RtlStore},
};
use crate::{
    state::SharedState,
    util::{lock, now_secs, read, write},
};

const MAX_LIMIT: u64 = 100;
const DEFAULT_LIMIT: u64 = 20;
const MAX_USER_ID_LEN: usize = 256;

/// `GET /link/request-to-link`
pub async fn list(
    State(state): State<SharedState>,
    _: BillerClient,
    RawQuery(raw): RawQuery,
) -> BillerResult<Response> {
    let query = parse_list_query(raw.as_deref().unwrap_or(""))?;
    let store = read(&state.rtls);
    let page = store.list(&query);
    let body = ListAnswer {
        items: page.items.iter().map(|r| store.json(r)).collect(),
        total: page.total,
        page: query.page,
        limit: query.limit,
    };
    Ok(Json(body).into_response())
}

#[derive(Serialize)]
struct ListAnswer<'a> {
    items: Vec<RtlJson<'a>>,
    total: usize,
    page: u64,
    limit: u64,
}

fn parse_list_query(raw: &str) -> BillerResult<RtlQuery> {
    // The last occurrence of a repeated parameter wins.
    let params: HashMap<String, String> = form_urlencoded::parse(raw.as_bytes())
        .into_owned()
        .collect();
    let filter = |name: &str| params.get(name).filter(|v| !v.is_empty()).cloned();
    let status = match filter("status") {
        None => None,
        Some(s) => Some(RtlStatus::parse(&s).ok_or_else(|| {
            BillerError::BadRequest(
                "status must be one of PENDING, IN_PROGRESS, COMPLETED, CANCELLED, EXPIRED".into(),
            )
        })?),
    };
    let page = match params.get("page") {
        None => 1,
        Some(p) => p
            .parse::<u64>()
            .ok()
            .filter(|&p| p >= 1)
            .ok_or_else(|| BillerError::BadRequest("page must be an integer >= 1".into()))?,
    };
    let limit = match params.get("limit") {
        None => DEFAULT_LIMIT,
        Some(l) => l
            .parse::<u64>()
            .ok()
            .filter(|l| (1..=MAX_LIMIT).contains(l))
            .ok_or_else(|| {
                BillerError::BadRequest(format!("limit must be an integer from 1 to {MAX_LIMIT}"))
            })?,
    };
    Ok(RtlQuery {
        search: filter("search").map(|s| s.to_lowercase()),
        status,
        client_user_id: filter("clientUserId"),
        biller_id: filter("billerId"),
        page,
        limit,
    })
}

fn find(store: &RtlStore, id: &str) -> BillerResult<u32> {
    store
        .position(id)
        .ok_or_else(|| BillerError::NotFound(format!("Request to link '{id}' not found")))
}

fn record_response(store: &RtlStore, pos: u32, status: StatusCode) -> Response {
    (status, Json(store.json(store.get(pos)))).into_response()
}

/// `GET /link/request-to-link/:id`
pub async fn get_one(
    State(state): State<SharedState>,
    Path(id): Path<String>,
    _: BillerClient,
) -> BillerResult<Response> {
    let store = read(&state.rtls);
    let pos = find(&store, &id)?;
    Ok(record_response(&store, pos, StatusCode::OK))
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct CreateBody {
    client_id: Option<String>,
    client_user_id: Option<String>,
    biller_id: Option<String>,
    metadata: Option<Value>,
}

/// An empty biller ID means "none"; any other must be a sandbox biller.
pub fn parse_biller(id: Option<&str>) -> BillerResult<Option<u16>> {
    match id {
        None | Some("") => Ok(None),
        Some(id) => catalog::index_of(id)
            .map(Some)
            .ok_or_else(|| BillerError::BadRequest(format!("Unknown billerId '{id}'"))),
    }
}

pub fn require_user_id(user: Option<&str>, field: &str) -> BillerResult<String> {
    match user.map(str::trim) {
        Some(u) if !u.is_empty() && u.chars().count() <= MAX_USER_ID_LEN => Ok(u.to_string()),
        Some(u) if !u.is_empty() => Err(BillerError::BadRequest(format!(
            "{field} must be at most {MAX_USER_ID_LEN} characters"
        ))),
        _ => Err(BillerError::BadRequest(format!("{field} is required"))),
    }
}

/// `POST /link/request-to-link/create`
pub async fn create(
    State(state): State<SharedState>,
    _: BillerClient,
    body: Bytes,
) -> BillerResult<Response> {
    let body: CreateBody = parse_body(&body)?;
    require_same_client(&state, body.client_id.as_deref())?;
    let client_user_id = require_user_id(body.client_user_id.as_deref(), "clientUserId")?;
    let biller = parse_biller(body.biller_id.as_deref())?;
    let metadata = match body.metadata {
        None | Some(Value::Null) => None,
        Some(m @ Value::Object(_)) => Some(Arc::new(m)),
        Some(_) => return Err(BillerError::BadRequest("metadata must be an object".into())),
    };
    let mut store = write(&state.rtls);
    let id = state.with_rng(|rng| loop {
        let candidate = rng.gen_range(0..ID_SPACE);
        if !store.contains_id(candidate) {
            break candidate;
        }
    });
    let now = now_secs();
    let user = store.intern_user(&client_user_id);
    let pos = store.insert(Rtl {
        id,
        user,
        biller,
        status: RtlStatus::Pending,
        link_token_id: None,
        session_url: None,
        metadata,
        created_at: now,
        updated_at: now,
    });
    Ok(record_response(&store, pos, StatusCode::CREATED))
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct StatusBody {
    status: Option<String>,
    biller_id: Option<String>,
    link_token_id: Option<String>,
}

/// `PATCH /link/request-to-link/:id/status`
pub async fn set_status(
    State(state): State<SharedState>,
    Path(id): Path<String>,
    _: BillerClient,
    body: Bytes,
) -> BillerResult<Response> {
    let body: StatusBody = parse_body(&body)?;
    let to = match body.status.as_deref() {
        None | Some("") => return Err(BillerError::BadRequest("status is required".into())),
        Some("EXPIRED") => {
            return Err(BillerError::BadRequest(
                "status EXPIRED cannot be set; requests expire on their own".into(),
            ))
        }
        Some(s) => RtlStatus::parse(s).ok_or_else(|| {
            BillerError::BadRequest(
                "status must be one of PENDING, IN_PROGRESS, COMPLETED, CANCELLED".into(),
            )
        })?,
    };
    let biller = parse_biller(body.biller_id.as_deref())?;
    let mut store = write(&state.rtls);
    let pos = find(&store, &id)?;
    let from = store.get(pos).status;
    if !from.can_become(to) {
        return Err(BillerError::Conflict(format!(
            "Cannot change status from {} to {}",
            from.as_str(),
            to.as_str()
        )));
    }
    store.update(pos, |r| {
        r.status = to;
        if biller.is_some() {
            r.biller = biller;
        }
        if let Some(token) = body.link_token_id.filter(|t| !t.is_empty()) {
            r.link_token_id = Some(token.into());
        }
        r.touch();
    });
    Ok(record_response(&store, pos, StatusCode::OK))
}

#[derive(Deserialize)]
struct CancelBody {
    reason: Option<String>,
}

/// `POST /link/request-to-link/:id/cancel`; the reason is kept in the metadata
/// as `cancellation_reason`, the only place the documented object can hold it.
pub async fn cancel(
    State(state): State<SharedState>,
    Path(id): Path<String>,
    _: BillerClient,
    body: Bytes,
) -> BillerResult<Response> {
    let body: CancelBody = parse_body(&body)?;
    let mut store = write(&state.rtls);
    let pos = find(&store, &id)?;
    let status = store.get(pos).status;
    if !status.is_open() {
        return Err(BillerError::Conflict(format!(
            "Only PENDING or IN_PROGRESS requests can be cancelled; this one is {}",
            status.as_str()
        )));
    }
    store.update(pos, |r| {
        r.status = RtlStatus::Cancelled;
        if let Some(reason) = body.reason.filter(|r| !r.trim().is_empty()) {
            let mut metadata = match r.metadata.as_deref() {
                Some(Value::Object(m)) => m.clone(),
                _ => Map::new(),
            };
            metadata.insert("cancellation_reason".into(), Value::String(reason));
            r.metadata = Some(Arc::new(Value::Object(metadata)));
        }
        r.touch();
    });
    Ok(record_response(&store, pos, StatusCode::OK))
}

/// `POST /link/request-to-link/:id/proceed`
pub async fn proceed(
    State(state): State<SharedState>,
    Path(id): Path<String>,
    _: BillerClient,
) -> BillerResult<Response> {
    let mut store = write(&state.rtls);
    let pos = find(&store, &id)?;
    let record = store.get(pos);
    if !record.status.is_open() {
        return Err(BillerError::Conflict(format!(
            "Only PENDING or IN_PROGRESS requests can proceed; this one is {}",
            record.status.as_str()
        )));
    }
    let issued = {
        let mut links = lock(&state.links);
        let (user, biller, rtl_id) = (
            store.user_name(record).to_string(),
            record.biller,
            record.id,
        );
        state.with_rng(|rng| links.issue_link_token(rng, user, biller, Some(rtl_id)))
    };
    let session_url = format!("{}/link/session/{}", state.base_url, issued.token);
    store.update(pos, |r| {
        r.status = RtlStatus::InProgress;
        r.link_token_id = Some(issued.token.as_str().into());
        r.session_url = Some(session_url.as_str().into());
        r.touch();
    });
    Ok(Json(json!({
        "link_token": issued.token,
        "session_url": session_url,
        "expires_at": issued.expires_at,
    }))
    .into_response())
}
