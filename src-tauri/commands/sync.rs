//! "Sync all RTLs" in the background: progress and the end reach the window as
//! events (`sync-progress`, `sync-finished`); the core is `crate::sync`.

use serde::Serialize;
use tauri::{AppHandle, Emitter, Manager, State};

use crate::app::{blocking, App};
use crate::error::{AppError, AppResult, ErrorCode};
use crate::sync::{self, SyncCancel, SyncOptions, SyncProgress};

#[derive(Serialize, Clone)]
#[serde(rename_all = "camelCase")]
struct Finished {
    /// The environment synced: the window shows a sync only in its own.
    env: String,
    complete: bool,
    records_done: u64,
    message: String,
    error: Option<AppError>,
}

/// A progress event, with the environment it belongs to.
#[derive(Serialize, Clone)]
struct EnvProgress<'a> {
    env: &'a str,
    #[serde(flatten)]
    progress: SyncProgress,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SyncStatus {
    running: bool,
    resumable: bool,
    progress: Option<SyncProgressView>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct SyncProgressView {
    pages_done: u32,
    pages_total: u32,
    records_done: u64,
    records_total: u64,
    phase: String,
}

#[tauri::command]
pub fn start_sync(handle: AppHandle, app: State<'_, App>) -> AppResult<()> {
    let session = app.session();
    let client = session.biller()?.clone();
    let env = session.env.id.clone();
    let budget = session.env.link_ops_per_minute;
    let cancel = SyncCancel::default();
    {
        let mut running = app.sync.lock().unwrap_or_else(|p| p.into_inner());
        if running.is_some() {
            return Err(AppError::new(
                ErrorCode::Conflict,
                "A sync is already running",
            ));
        }
        *running = Some((env.clone(), cancel.clone()));
    }
    if app.work_offline() {
        *app.sync.lock().unwrap_or_else(|p| p.into_inner()) = None;
        return Err(AppError::new(
            ErrorCode::OfflineWrite,
            "Turn off Work offline to sync",
        ));
    }
    tauri::async_runtime::spawn(async move {
        let app = handle.state::<App>();
        // The environment's budget less the reserve for browsing.
        let opts = SyncOptions::for_budget(budget);
        let emitter = handle.clone();
        let synced = env.clone();
        let result = sync::sync_all_rtls(
            &client,
            &app.cache,
            &env,
            opts,
            cancel,
            |progress: SyncProgress| {
                let event = EnvProgress {
                    env: &synced,
                    progress,
                };
                let _ = emitter.emit("sync-progress", event);
            },
        )
        .await;
        let cache = app.cache.clone();
        let counted = env.clone();
        let cached = blocking(move || Ok(cache.rtl_count(&counted)?))
            .await
            .unwrap_or_default();
        *app.sync.lock().unwrap_or_else(|p| p.into_inner()) = None;
        let finished = match result {
            Ok(o) => Finished {
                env: env.clone(),
                complete: o.completed,
                records_done: cached,
                message: match (o.completed, o.rate_limited) {
                    (true, 0) => format!("Synced: {cached} RTLs in the local cache, {}, none refused", requests(o.requests)),
                    (true, n) => format!("Synced: {cached} RTLs in the local cache, {} ({n} waited out a rate limit)", requests(o.requests)),
                    (false, _) => format!("Paused with {cached} RTLs cached; “Resume sync” continues where it stopped"),
                },
                error: None,
            },
            Err(e) => Finished {
                env: env.clone(),
                complete: false,
                records_done: cached,
                message: format!(
                    "Sync stopped: {}. “Resume sync” continues where it stopped.",
                    e.message.trim_end_matches('.')
                ),
                error: Some(e),
            },
        };
        tracing::info!(
            complete = finished.complete,
            "sync finished: {}",
            finished.message
        );
        let _ = handle.emit("sync-finished", finished);
    });
    Ok(())
}

#[tauri::command]
pub fn cancel_sync(app: State<'_, App>) {
    if let Some((_, cancel)) = app.sync.lock().unwrap_or_else(|p| p.into_inner()).as_ref() {
        cancel.cancel();
    }
}

#[tauri::command]
pub async fn sync_status(app: State<'_, App>) -> AppResult<SyncStatus> {
    let env = app.session().env.id.clone();
    let running = app
        .sync
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .as_ref()
        .is_some_and(|(e, _)| *e == env);
    let cache = app.cache.clone();
    let state = blocking(move || Ok(cache.sync_state(&env)?)).await?;
    let resumable = state
        .as_ref()
        .is_some_and(|s| s.started_at.is_some() && s.finished_at.is_none());
    Ok(SyncStatus {
        running,
        resumable,
        progress: state.map(|s| SyncProgressView {
            pages_done: s.next_page.saturating_sub(1),
            pages_total: s.pages_total,
            records_done: s.records_done,
            records_total: s.records_total,
            phase: s.phase,
        }),
    })
}

/// "1 request", "6 requests".
fn requests(n: u32) -> String {
    format!("{n} request{}", if n == 1 { "" } else { "s" })
}
