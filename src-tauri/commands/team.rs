//! Team mode: Settings → Team store, the top bar's state, Approvals and the
//! whole team's audit log.

use tauri::{AppHandle, State};

use super::on_blocking_thread;
use super::system::export_target;

use crate::app::App;
use crate::error::AppResult;
use crate::export::{self, Exported};
use crate::team::desk::{self, TeamStoreInput};
use crate::team::{Approval, TeamAuditFilter, TeamAuditPage, TeamStatus};

#[tauri::command]
pub async fn team_status(handle: AppHandle) -> AppResult<Vec<TeamStatus>> {
    on_blocking_thread(handle, |app| Ok(desk::statuses(app))).await
}

#[tauri::command]
pub async fn save_team_store(
    handle: AppHandle,
    input: TeamStoreInput,
) -> AppResult<Vec<TeamStatus>> {
    on_blocking_thread(handle, move |app| desk::save(app, input)).await
}

#[tauri::command]
pub async fn test_team_store(app: State<'_, App>, kind: String) -> AppResult<String> {
    desk::test(&app, &kind).await
}

#[tauri::command]
pub async fn approval_list(app: State<'_, App>) -> AppResult<Vec<Approval>> {
    desk::approvals(&app).await
}

#[tauri::command]
pub async fn approval_decide(
    app: State<'_, App>,
    request_key: String,
    approve: bool,
    reason: Option<String>,
) -> AppResult<Approval> {
    desk::decide(&app, &request_key, approve, reason.as_deref()).await
}

#[tauri::command]
pub async fn team_audit_page(
    app: State<'_, App>,
    filter: TeamAuditFilter,
    offset: u32,
    limit: u32,
) -> AppResult<TeamAuditPage> {
    desk::audit_page(&app, filter, offset, limit).await
}

/// Writes the whole team's filtered audit trail to a CSV file chosen in the
/// save dialog; None when the dialog is cancelled.
#[tauri::command]
pub async fn team_audit_export(
    handle: AppHandle,
    app: State<'_, App>,
    filter: TeamAuditFilter,
) -> AppResult<Option<Exported>> {
    let Some(target) = export_target(&handle, export::TEAM_AUDIT_STEM).await? else {
        return Ok(None);
    };
    desk::export_audit_csv(&app, filter, target).await.map(Some)
}
