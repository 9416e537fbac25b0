//! The link session page that `session_url` points at: where a person (or a
//! test, with `Accept: application/json`) completes a link with the sandbox's
//! magic account numbers. Self-contained HTML, no script, everything escaped.

use std::{collections::HashMap, time::Instant};

use axum::{
    body::Bytes,
    extract::{Path, State},
    http::{header, HeaderMap, StatusCode},
    response::{Html, IntoResponse, Response},
    Json,
};
use serde_json::json;

use super::{
    catalog::{self, BILLERS, DEFAULT_BILLER},
    error::BillerError,
    links::TokenProblem,
    rtl_model::{format_id, RtlStatus},
    scenarios::{Scenario, ACCOUNT_NUMBERS, MFA_CODE},
};
use crate::{
    state::{AppState, SharedState},
    util::{html_escape, lock, write},
};

fn token_error(problem: TokenProblem) -> BillerError {
    match problem {
        TokenProblem::Unknown => BillerError::NotFound("Unknown link token".into()),
        TokenProblem::Expired => BillerError::Status {
            status: StatusCode::GONE,
            message: "This link token has expired; create a new one".into(),
        },
        TokenProblem::Spent => BillerError::Status {
            status: StatusCode::GONE,
            message: "This link session is already complete".into(),
        },
    }
}

/// `GET /link/session/:token`
pub async fn show(State(state): State<SharedState>, Path(token): Path<String>) -> Response {
    let links = lock(&state.links);
    match links.link_token(&token, Instant::now()) {
        Ok(found) => page(
            StatusCode::OK,
            &form(&found.client_user_id, found.biller.is_none(), None),
        ),
        Err(problem) => {
            let error = token_error(problem);
            page(error.status(), &notice(&error.to_string()))
        }
    }
}

struct Completed {
    public_token: String,
    expires_at: String,
    biller: u16,
    scenario: Scenario,
    rtl_id: Option<u64>,
}

/// `POST /link/session/:token` (form-encoded).
pub async fn submit(
    State(state): State<SharedState>,
    Path(token): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let fields: HashMap<String, String> = form_urlencoded::parse(&body).into_owned().collect();
    let wants_json = headers
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.contains("application/json"));
    match complete(&state, &token, &fields) {
        Ok(done) if wants_json => Json(json!({
            "public_token": done.public_token,
            "expires_at": done.expires_at,
            "biller_id": catalog::id_of(done.biller),
            "institution_name": BILLERS[usize::from(done.biller)].name,
            "scenario": done.scenario.name(),
            "request_to_link_id": done.rtl_id.map(format_id),
        }))
        .into_response(),
        Ok(done) => page(StatusCode::OK, &success(&done)),
        Err(error) if wants_json => error.into_response(),
        Err(error) => {
            // Failed attempts keep the session open: show the form again.
            let links = lock(&state.links);
            let retry = links.link_token(&token, Instant::now()).ok();
            let body = match retry {
                Some(t) => form(
                    &t.client_user_id,
                    t.biller.is_none(),
                    Some(&error.to_string()),
                ),
                None => notice(&error.to_string()),
            };
            page(error.status(), &body)
        }
    }
}

fn complete(
    state: &AppState,
    token: &str,
    fields: &HashMap<String, String>,
) -> Result<Completed, BillerError> {
    let field = |name: &str| fields.get(name).map(|v| v.trim()).unwrap_or("");
    let mut rtls = write(&state.rtls);
    let mut links = lock(&state.links);
    let found = links
        .link_token(token, Instant::now())
        .map_err(token_error)?;
    let (rtl_id, token_biller) = (found.rtl_id, found.biller);
    if field("username").is_empty() || field("password").is_empty() {
        return Err(BillerError::BadRequest(
            "Username and password are required".into(),
        ));
    }
    let scenario = Scenario::for_account(field("account_number")).ok_or_else(|| {
        BillerError::BadRequest(
            "Unknown sandbox account number; use one listed on this page".into(),
        )
    })?;
    check_scenario(scenario, field("mfa_code"))?;
    if let Some(pos) = rtl_id.and_then(|id| rtls.position_of(id)) {
        let status = rtls.get(pos).status;
        if !status.is_open() {
            return Err(BillerError::Conflict(format!(
                "The request to link is {}; it can no longer be completed",
                status.as_str()
            )));
        }
        rtls.update(pos, |r| {
            r.status = RtlStatus::Completed;
            r.touch();
        });
    }
    let biller = token_biller
        .or_else(|| catalog::index_of(field("biller_id")))
        .unwrap_or(DEFAULT_BILLER);
    let issued = state.with_rng(|rng| links.complete_session(rng, token, biller, scenario));
    Ok(Completed {
        public_token: issued.token,
        expires_at: issued.expires_at,
        biller,
        scenario,
        rtl_id,
    })
}

fn check_scenario(scenario: Scenario, mfa_code: &str) -> Result<(), BillerError> {
    match scenario {
        Scenario::InvalidCredentials => Err(BillerError::Unauthorized(
            "Invalid username or password".into(),
        )),
        Scenario::BillerUnavailable => Err(BillerError::Status {
            status: StatusCode::SERVICE_UNAVAILABLE,
            message: "The biller is temporarily unavailable; try again later".into(),
        }),
        Scenario::MfaRequired if mfa_code.is_empty() => Err(BillerError::Unauthorized(
            "MFA code required: enter the code sent to your device".into(),
        )),
        Scenario::MfaRequired if mfa_code != MFA_CODE => {
            Err(BillerError::Unauthorized("Invalid MFA code".into()))
        }
        Scenario::AccountLocked => Err(BillerError::Status {
            status: StatusCode::LOCKED,
            message: "This account is locked; contact the biller".into(),
        }),
        _ => Ok(()),
    }
}

fn page(status: StatusCode, body: &str) -> Response {
    let html = format!(
        "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
<title>Link your biller account · BillerAPI sandbox</title><style>{STYLE}</style></head>\
<body><main><h1>Link your biller account</h1><p class=\"tag\">BillerAPI sandbox</p>{body}</main></body></html>\n"
    );
    let mut response = (status, Html(html)).into_response();
    response.headers_mut().insert(
        header::CONTENT_SECURITY_POLICY,
        header::HeaderValue::from_static(
            "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'",
        ),
    );
    response
}

const STYLE: &str = "body{font-family:system-ui,sans-serif;background:#f4f5f7;margin:0}\
main{max-width:32rem;margin:2rem auto;background:#fff;padding:1.5rem 2rem;border-radius:8px;\
box-shadow:0 1px 4px #0002}h1{font-size:1.3rem;margin:0}.tag{color:#666;margin-top:.2rem}\
label{display:block;margin:.7rem 0 .2rem}input,select{width:100%;padding:.45rem;box-sizing:border-box}\
button{margin-top:1rem;padding:.55rem 1.2rem}.error{background:#fde8e8;color:#8a1c1c;padding:.6rem;\
border-radius:4px}.ok{background:#e6f6ea;padding:.6rem;border-radius:4px}\
code{word-break:break-all}table{border-collapse:collapse;margin-top:1rem;font-size:.85rem}\
td{padding:.15rem .6rem .15rem 0}";

fn notice(message: &str) -> String {
    format!(
        "<p class=\"error\" data-testid=\"session-error\">{}</p>",
        html_escape(message)
    )
}

fn form(user: &str, choose_biller: bool, error: Option<&str>) -> String {
    let mut html = String::new();
    if let Some(message) = error {
        html.push_str(&notice(message));
    }
    html.push_str(&format!(
        "<p>Linking for user <strong>{}</strong>.</p><form method=\"post\">",
        html_escape(user)
    ));
    if choose_biller {
        html.push_str(
            "<label for=\"biller_id\">Biller</label><select id=\"biller_id\" name=\"biller_id\">",
        );
        for biller in &BILLERS {
            html.push_str(&format!(
                "<option value=\"{}\">{}</option>",
                html_escape(biller.id),
                html_escape(biller.name)
            ));
        }
        html.push_str("</select>");
    }
    html.push_str(
        "<label for=\"username\">Username</label><input id=\"username\" name=\"username\" autocomplete=\"off\">\
<label for=\"password\">Password</label><input id=\"password\" name=\"password\" type=\"password\">\
<label for=\"account_number\">Account number</label><input id=\"account_number\" name=\"account_number\" inputmode=\"numeric\">\
<label for=\"mfa_code\">MFA code (if asked)</label><input id=\"mfa_code\" name=\"mfa_code\" inputmode=\"numeric\">\
<button type=\"submit\">Link account</button></form><table><caption>Sandbox account numbers</caption>",
    );
    for (number, scenario) in ACCOUNT_NUMBERS {
        html.push_str(&format!(
            "<tr><td><code>{number}</code></td><td>{}</td></tr>",
            scenario.name()
        ));
    }
    html.push_str(&format!("</table><p>MFA code: <code>{MFA_CODE}</code></p>"));
    html
}

fn success(done: &Completed) -> String {
    format!(
        "<p class=\"ok\">Account linked with {} ({}).</p><p>Public token (single use, 30 minutes):</p>\
<p><code id=\"public-token\" data-testid=\"public-token\">{}</code></p><p>Expires at {}.</p>",
        html_escape(BILLERS[usize::from(done.biller)].name),
        done.scenario.name(),
        html_escape(&done.public_token),
        html_escape(&done.expires_at),
    )
}
