//! What the window asks of team mode: Settings → Team store, the top bar's
//! state, the Approvals view and the whole team's audit log; and the seat's
//! background work (delivering the outbox, sending refunds once approved).

use std::sync::Arc;
use std::time::Duration;

use serde::Deserialize;

use super::{Approval, TeamAuditFilter, TeamAuditPage, TeamStatus, TeamStore};
use crate::app::{blocking, kind_name, App};
use crate::audit;
use crate::error::{AppError, AppResult, ErrorCode};
use crate::export::{self, ExportTarget, Exported};
use crate::journal::RefundState;
use crate::money::RefundContext;
use crate::secrets::SecretString;

/// What Settings → Team store sends. The password is write-only: empty
/// means "keep the stored one".
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TeamStoreInput {
    pub kind: String,
    pub url: String,
    #[serde(default)]
    pub password: Option<String>,
}

impl std::fmt::Debug for TeamStoreInput {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TeamStoreInput")
            .field("kind", &self.kind)
            .field("url", &self.url)
            .finish_non_exhaustive()
    }
}

/// Every kind's team store state, for Settings and the top bar.
pub fn statuses(app: &App) -> Vec<TeamStatus> {
    let waiting = app.journal.outbox_count().unwrap_or(0);
    app.team.statuses(waiting)
}

/// Saves a kind's team store (an empty URL turns team mode off for it);
/// audited without the password.
pub fn save(app: &App, input: TeamStoreInput) -> AppResult<Vec<TeamStatus>> {
    let password = input
        .password
        .filter(|p| !p.is_empty())
        .map(SecretString::new);
    let password_given = password.is_some();
    let result = app.team.save(&input.kind, &input.url, password);
    if result.is_ok() {
        app.refresh_team_route();
    }
    let session = app.session();
    audit::record(
        &app.journal,
        audit::entry(
            &session.env.id,
            &session.env.name,
            audit::action::TEAM_STORE_SAVE,
            &input.kind,
            serde_json::json!({
                "kind": input.kind,
                "url": super::redacted_url(&input.url),
                "password": if password_given { "set" } else { "kept" },
            }),
            &result,
            |_| None,
        ),
    );
    result.map(|_| statuses(app))
}

fn store_of(app: &App, kind: &str) -> AppResult<TeamStore> {
    app.team.store(kind).ok_or_else(|| {
        AppError::new(
            ErrorCode::NotFound,
            format!("No team store is set for {kind} environments (Settings → Team store)"),
        )
    })
}

/// The active environment's team store.
fn active_store(app: &App) -> AppResult<TeamStore> {
    store_of(app, kind_name(app.session().env.kind))
}

/// "Test connection": connects (applying the schema when this role owns
/// it) and says who the database says this agent is.
pub async fn test(app: &App, kind: &str) -> AppResult<String> {
    let store = store_of(app, kind)?;
    let result = store.connect().await;
    app.team.note(kind, &result);
    result.map(|agent| format!("Connected to {} as {agent}", store.shown_url()))
}

/// The active kind's approval requests, newest first (all of them: the
/// view shows what is waiting first).
pub async fn approvals(app: &App) -> AppResult<Vec<Approval>> {
    active_store(app)?.approvals(false).await
}

/// Approves or rejects another agent's request.
pub async fn decide(
    app: &App,
    request_key: &str,
    approve: bool,
    reason: Option<&str>,
) -> AppResult<Approval> {
    let ctx = RefundContext::from_app(app);
    crate::money::refunds::decide_approval(&ctx, request_key, approve, reason).await
}

pub async fn audit_page(
    app: &App,
    filter: TeamAuditFilter,
    offset: u32,
    limit: u32,
) -> AppResult<TeamAuditPage> {
    active_store(app)?.audit_page(&filter, offset, limit).await
}

pub async fn export_audit_csv(
    app: &App,
    filter: TeamAuditFilter,
    target: ExportTarget,
) -> AppResult<Exported> {
    let store = active_store(app)?;
    let mut csv = Vec::new();
    store.export_audit_csv(&filter, &mut csv).await?;
    let rows = csv
        .iter()
        .filter(|b| **b == b'\n')
        .count()
        .saturating_sub(1) as u64;
    blocking(move || {
        export::write_export(&target, export::TEAM_AUDIT_STEM, |out| {
            use std::io::Write;
            out.write_all(&csv)
                .map_err(|e| AppError::internal(format!("Could not write the export: {e}")))?;
            Ok(rows)
        })
    })
    .await
}

/// One round of the seat's team work: every configured store is contacted
/// (its state noted for the top bar), the outbox delivered, and this
/// journal's refunds waiting for approval followed (sent once approved).
pub async fn work_once(app: &App) {
    for kind in super::config::KINDS {
        if let Some(store) = app.team.store(kind) {
            let result = store.connect().await;
            app.team.note(kind, &result);
        }
    }
    let stores = app_stores(app);
    super::deliver_outbox(&app.journal, move |k| stores(k)).await;
    let j = app.journal.clone();
    let waiting = blocking(move || Ok(j.awaiting_approval()?))
        .await
        .unwrap_or_default();
    let active = app.session();
    for row in waiting {
        if row.env_id != active.env.id {
            // Sent from its own environment only, like a retry.
            continue;
        }
        let ctx = RefundContext::from_app(app);
        match crate::money::refunds::follow_approval(&ctx, &row.request_key).await {
            Ok(now) if now.state != RefundState::AwaitingApproval => {
                tracing::info!(request_key = %row.request_key, state = %now.state.as_str(), "approval followed");
            }
            Ok(_) => {}
            Err(e) => {
                tracing::warn!(request_key = %row.request_key, error = %e, "could not follow an approval")
            }
        }
    }
}

fn app_stores(app: &App) -> super::StoreFor {
    let stores: std::collections::HashMap<String, TeamStore> = super::config::KINDS
        .iter()
        .filter_map(|k| app.team.store(k).map(|s| (k.to_string(), s)))
        .collect();
    Arc::new(move |k: &str| stores.get(k).cloned())
}

/// How often the seat's team work runs.
pub const PERIOD: Duration = Duration::from_secs(3);
/// The longest pause while a team store cannot be reached: the work (and
/// its warning in the log) backs off from `PERIOD` to this.
pub const MAX_PAUSE: Duration = Duration::from_secs(60);

/// The pause before the next round: `PERIOD` while every team store
/// answers, doubling up to `MAX_PAUSE` while one does not.
pub fn next_pause(pause: Duration, statuses: &[TeamStatus]) -> Duration {
    if statuses.iter().any(|s| s.state == "unreachable") {
        (pause * 2).min(MAX_PAUSE)
    } else {
        PERIOD
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn status(state: &str) -> TeamStatus {
        TeamStatus {
            kind: "sandbox".into(),
            url: String::new(),
            password_set: true,
            state: state.into(),
            agent: None,
            message: None,
            waiting: 0,
        }
    }

    #[test]
    fn an_unreachable_store_is_tried_less_and_less_often() {
        let down = [status("connected"), status("unreachable")];
        let mut pause = PERIOD;
        let mut pauses = Vec::new();
        for _ in 0..7 {
            pause = next_pause(pause, &down);
            pauses.push(pause.as_secs());
        }
        assert_eq!(pauses, [6, 12, 24, 48, 60, 60, 60]);
        assert_eq!(next_pause(pause, &[status("connected")]), PERIOD);
    }
}
