//! Window-level helpers: what the app is connected to, the offline switch,
//! opening URLs outside the app, the clipboard and where exports go.

use serde::Serialize;
use tauri::{AppHandle, State};
use tauri_plugin_opener::OpenerExt;

use crate::app::App;
use crate::environments::EnvKind;
use crate::error::{AppError, AppResult, ErrorCode};
use crate::export::{self, ExportTarget};
use crate::session::EnvSummary;

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AppInfo {
    pub version: &'static str,
    pub environment: EnvSummary,
    /// False while a production environment is locked.
    pub writable: bool,
    pub work_offline: bool,
    pub notices: Vec<String>,
    /// The journal, audit log and settings.
    pub data_dir: String,
    /// The cache and the window's own storage.
    pub local_dir: String,
    pub log_dir: String,
    /// For the switcher: the built-in environment and the user's own.
    pub environments: Vec<EnvChoice>,
}

/// An environment as the switcher lists it.
#[derive(Serialize)]
pub struct EnvChoice {
    pub id: String,
    pub name: String,
    pub kind: EnvKind,
}

#[tauri::command]
pub fn app_info(app: State<'_, App>) -> AppInfo {
    let session = app.session();
    AppInfo {
        version: env!("CARGO_PKG_VERSION"),
        environment: session.env.clone(),
        writable: session.guard.writable(),
        work_offline: app.work_offline(),
        notices: app.startup_notices.clone(),
        data_dir: app.data_dir.display().to_string(),
        local_dir: app.local_dir.display().to_string(),
        log_dir: crate::startup::log_dir(&app.local_dir)
            .display()
            .to_string(),
        environments: app
            .environments()
            .into_iter()
            .map(|e| EnvChoice {
                id: e.id,
                name: e.name,
                kind: e.kind,
            })
            .collect(),
    }
}

/// Opens one of Linkdesk's own folders ("data", "local" or "log") in the
/// system's file manager. The window names the folder, never a path.
#[tauri::command]
pub fn open_folder(handle: AppHandle, app: State<'_, App>, which: String) -> AppResult<()> {
    let path = match which.as_str() {
        "data" => app.data_dir.clone(),
        "local" => app.local_dir.clone(),
        "log" => crate::startup::log_dir(&app.local_dir),
        _ => return Err(AppError::invalid(format!("No folder called \"{which}\""))),
    };
    handle
        .opener()
        .open_path(path.display().to_string(), None::<&str>)
        .map_err(|e| {
            AppError::internal(format!(
                "Could not open {} in the file manager: {e}",
                path.display()
            ))
        })
}

#[tauri::command]
pub fn set_work_offline(app: State<'_, App>, on: bool) {
    app.set_work_offline(on);
}

/// Opens an http(s) URL in the system browser, never inside the app.
#[tauri::command]
pub fn open_external(handle: AppHandle, url: String) -> AppResult<()> {
    let parsed = url::Url::parse(&url).map_err(|_| AppError::invalid("That is not a URL"))?;
    if !matches!(parsed.scheme(), "http" | "https") {
        return Err(AppError::invalid("Only http and https links are opened"));
    }
    if let Err(e) = handle.opener().open_url(parsed.as_str(), None::<&str>) {
        // Most often no browser is set up: the person can still paste the link.
        tracing::warn!(error = %e, "could not open a browser");
        let copied = copy_to_clipboard(parsed.as_str()).is_ok();
        return Err(AppError::new(
            ErrorCode::NoBrowser,
            if copied {
                "No web browser could be opened for this link. It was copied to the clipboard: paste it into a browser."
            } else {
                "No web browser could be opened for this link. Copy it from the record and paste it into a browser."
            },
        ));
    }
    Ok(())
}

#[tauri::command]
pub fn copy_text(text: String) -> AppResult<()> {
    copy_to_clipboard(&text)
        .map_err(|e| AppError::internal(format!("Could not copy to the clipboard: {e}")))
}

/// The system clipboard: opened at the first copy, not at start-up (opening
/// it connects to the display server and starts a thread, on the way to the
/// first rows), then kept open, since on X11 what was copied lasts only as
/// long as its owner.
static CLIPBOARD: std::sync::Mutex<Option<arboard::Clipboard>> = std::sync::Mutex::new(None);

fn copy_to_clipboard(text: &str) -> Result<(), arboard::Error> {
    let mut slot = CLIPBOARD.lock().unwrap_or_else(|e| e.into_inner());
    let clipboard = match slot.as_mut() {
        Some(clipboard) => clipboard,
        None => slot.insert(arboard::Clipboard::new()?),
    };
    clipboard.set_text(text)
}

/// Where an export goes, decided here and never by the window: the folder in
/// `LINKDESK_EXPORT_DIR` when set (the export gets a new, unique name there),
/// otherwise the path picked in a native save dialog. None when the dialog
/// is cancelled.
pub(crate) async fn export_target(
    handle: &AppHandle,
    stem: &str,
) -> AppResult<Option<ExportTarget>> {
    use tauri_plugin_dialog::DialogExt;
    if let Some(folder) = ExportTarget::from_env() {
        return Ok(Some(folder));
    }
    let suggested = export::file_name(stem, chrono::Utc::now(), 1);
    let (tx, rx) = tokio::sync::oneshot::channel();
    handle
        .dialog()
        .file()
        .set_file_name(&suggested)
        .add_filter("CSV", &["csv"])
        .save_file(move |path| {
            let _ = tx.send(path);
        });
    let chosen = rx
        .await
        .map_err(|_| AppError::internal("The save dialog closed unexpectedly"))?;
    match chosen {
        None => Ok(None),
        Some(p) => p
            .into_path()
            .map(|p| Some(ExportTarget::Chosen(p)))
            .map_err(|_| AppError::invalid("Choose a file on this computer")),
    }
}

/// The window reports once that its first rows are painted (two animation
/// frames after they were put in the page); the time since launch is logged,
/// with the page's own steps (`marks`: milliseconds since the page's
/// navigation started at `origin`, milliseconds since the Unix epoch).
/// Then, off the start-up path, the cache's own work begins.
#[tauri::command]
pub fn first_rows_painted(
    handle: AppHandle,
    rows: u32,
    origin: Option<f64>,
    marks: Option<std::collections::BTreeMap<String, f64>>,
) {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        crate::FIRST_ROWS.store(true, std::sync::atomic::Ordering::Relaxed);
        let ms = crate::since_launch_ms();
        tracing::info!(rows, "startup: first rows painted {ms} ms after launch");
        if let (Some(origin), Some(marks)) = (origin, marks) {
            // Each step of the page, in ms after launch.
            let page = origin - crate::launched_at_epoch_ms();
            let steps: Vec<String> = std::iter::once(("page".to_string(), 0.0))
                .chain(marks)
                .map(|(name, at)| format!("{name} {:.0}", page + at))
                .collect();
            tracing::info!(
                "startup: page steps (ms after launch): {}",
                steps.join(", ")
            );
        }
        crate::startup::after_first_rows(handle);
    });
}

/// Closes the window although a refund is being sent: the person chose to,
/// after being told; the journal and the next start find the outcome.
#[tauri::command]
pub fn close_anyway(window: tauri::Window) -> AppResult<()> {
    window
        .destroy()
        .map_err(|e| AppError::internal(format!("Could not close the window: {e}")))
}

/// The update check's state, for the top bar and About.
#[tauri::command]
pub fn update_status(updates: State<'_, crate::updates::Updates>) -> crate::updates::UpdateStatus {
    updates.status()
}

/// "Check now" in About.
#[tauri::command]
pub async fn update_check(handle: AppHandle) -> crate::updates::UpdateStatus {
    crate::updates::check(&handle).await
}

/// The person's click on "Install and restart" for `version`, the one the
/// dialog showed.
#[tauri::command]
pub async fn update_install(handle: AppHandle, version: String) -> AppResult<()> {
    crate::updates::install(&handle, version).await
}
