//! Window-level helpers: what the app is connected to, the offline switch,
//! opening URLs outside the app and the clipboard.

use serde::Serialize;
use tauri::{AppHandle, State};
use tauri_plugin_clipboard_manager::ClipboardExt;
use tauri_plugin_opener::OpenerExt;

use crate::app::{App, EnvSummary};
use crate::error::{AppError, AppResult};

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AppInfo {
    pub version: &'static str,
    pub environment: EnvSummary,
    pub work_offline: bool,
    pub notices: Vec<String>,
}

#[tauri::command]
pub fn app_info(app: State<'_, App>) -> AppInfo {
    AppInfo {
        version: env!("CARGO_PKG_VERSION"),
        environment: app.session().env.clone(),
        work_offline: app.work_offline(),
        notices: app.startup_notices.clone(),
    }
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
    handle
        .opener()
        .open_url(parsed.as_str(), None::<&str>)
        .map_err(|e| AppError::internal(format!("Could not open the browser: {e}")))
}

#[tauri::command]
pub fn copy_text(handle: AppHandle, text: String) -> AppResult<()> {
    handle
        .clipboard()
        .write_text(text)
        .map_err(|e| AppError::internal(format!("Could not copy to the clipboard: {e}")))
}
