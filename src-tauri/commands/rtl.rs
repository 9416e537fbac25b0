use tauri::{AppHandle, State};

use super::system::export_target;
use crate::app::App;
use crate::biller::{Biller, NewRtl, ProceedResult, RequestToLink, RtlFilter, RtlPage};
use crate::cache::{FoundRecord, RtlSort};
use crate::error::AppResult;
use crate::export::{self, Exported};
use crate::goto::{self, GotoAnswer};
use crate::rtls::{self, Listed, ReadFrom, RtlDetail};

#[tauri::command]
pub async fn list_rtls(
    app: State<'_, App>,
    filter: RtlFilter,
    page: u32,
    limit: u32,
    sort: Option<RtlSort>,
    cached: Option<bool>,
) -> AppResult<Listed<RtlPage>> {
    rtls::list(&app, filter, page, limit, sort, ReadFrom::cached(cached)).await
}

#[tauri::command]
pub async fn get_rtl(
    app: State<'_, App>,
    id: String,
    cached: Option<bool>,
) -> AppResult<Listed<RtlDetail>> {
    rtls::get(&app, id, ReadFrom::cached(cached)).await
}

#[tauri::command]
pub async fn list_billers(app: State<'_, App>) -> AppResult<Listed<Vec<Biller>>> {
    rtls::billers(&app).await
}

#[tauri::command]
pub async fn create_rtl(app: State<'_, App>, new: NewRtl) -> AppResult<RequestToLink> {
    rtls::create(&app, new).await
}

#[tauri::command]
pub async fn set_rtl_status(
    app: State<'_, App>,
    id: String,
    status: String,
) -> AppResult<RequestToLink> {
    rtls::set_status(&app, id, status).await
}

#[tauri::command]
pub async fn cancel_rtl(
    app: State<'_, App>,
    id: String,
    reason: Option<String>,
) -> AppResult<RequestToLink> {
    rtls::cancel(&app, id, reason).await
}

#[tauri::command]
pub async fn proceed_rtl(app: State<'_, App>, id: String) -> AppResult<ProceedResult> {
    rtls::proceed(&app, id).await
}

/// Writes every row of the filtered list (from the cache) to a CSV file
/// chosen in the save dialog (or a new one in `LINKDESK_EXPORT_DIR`); None
/// when the dialog is cancelled. Refused with `incomplete` before any dialog
/// when the cache does not hold the whole list, unless `partial` is true.
#[tauri::command]
pub async fn export_rtls_csv(
    handle: AppHandle,
    app: State<'_, App>,
    filter: RtlFilter,
    sort: Option<RtlSort>,
    partial: Option<bool>,
) -> AppResult<Option<Exported>> {
    let coverage = rtls::export_check(&app, &filter, partial == Some(true)).await?;
    let stem = if coverage.complete() {
        export::RTLS_STEM
    } else {
        export::RTLS_PARTIAL_STEM
    };
    let Some(target) = export_target(&handle, stem).await? else {
        return Ok(None);
    };
    rtls::export_csv(&app, filter, sort, target, &coverage)
        .await
        .map(Some)
}

/// "Go to ID": any cached record by ID or ID prefix, and what the typed text
/// looks like.
#[tauri::command]
pub async fn find_by_id(app: State<'_, App>, query: String) -> AppResult<GotoAnswer> {
    goto::search(&app, query).await
}

/// "Go to ID" for an ID the cache does not hold: asked of the service its
/// shape belongs to.
#[tauri::command]
pub async fn locate_id(app: State<'_, App>, id: String) -> AppResult<FoundRecord> {
    goto::locate(&app, id).await
}
