use tauri::{AppHandle, State};

use super::on_blocking_thread;
use crate::app::App;
use crate::error::AppResult;
use crate::settings::{self, EnvInput, SavedEnvironment, Service, SettingsView};

#[tauri::command]
pub async fn settings_view(handle: AppHandle) -> AppResult<SettingsView> {
    on_blocking_thread(handle, |app| Ok(settings::view(app))).await
}

#[tauri::command]
pub async fn save_environment(handle: AppHandle, input: EnvInput) -> AppResult<SavedEnvironment> {
    on_blocking_thread(handle, move |app| settings::save(app, input)).await
}

#[tauri::command]
pub async fn delete_environment(handle: AppHandle, id: String) -> AppResult<()> {
    on_blocking_thread(handle, move |app| settings::delete(app, &id)).await
}

#[tauri::command]
pub async fn clear_secret(handle: AppHandle, id: String, service: Service) -> AppResult<()> {
    on_blocking_thread(handle, move |app| settings::clear_secret(app, &id, service)).await
}

#[tauri::command]
pub async fn test_connection(handle: AppHandle, id: String, service: Service) -> AppResult<String> {
    let session = on_blocking_thread(handle, move |app| settings::session_for(app, &id)).await?;
    settings::test_connection(&session, service).await
}

#[tauri::command]
pub async fn switch_environment(handle: AppHandle, id: String) -> AppResult<()> {
    on_blocking_thread(handle, move |app| app.switch(&id)).await
}

#[tauri::command]
pub async fn unlock_writes(handle: AppHandle, typed: String) -> AppResult<()> {
    on_blocking_thread(handle, move |app| settings::unlock(app, &typed)).await
}

#[tauri::command]
pub fn lock_writes(app: State<'_, App>) {
    settings::lock(&app)
}

/// A click or key press in the window (the window sends at most one every
/// 30 seconds): the person's action keeps a production unlock alive.
#[tauri::command]
pub fn note_activity(app: State<'_, App>) {
    settings::note_activity(&app)
}
