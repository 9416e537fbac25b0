use tauri::State;

use crate::app::App;
use crate::environments::Environment;
use crate::error::AppResult;
use crate::settings::{self, EnvInput, Service, SettingsView};

#[tauri::command]
pub fn settings_view(app: State<'_, App>) -> SettingsView {
    settings::view(&app)
}

#[tauri::command]
pub fn save_environment(app: State<'_, App>, input: EnvInput) -> AppResult<Environment> {
    settings::save(&app, input)
}

#[tauri::command]
pub fn delete_environment(app: State<'_, App>, id: String) -> AppResult<()> {
    settings::delete(&app, &id)
}

#[tauri::command]
pub fn clear_secret(app: State<'_, App>, id: String, service: Service) -> AppResult<()> {
    settings::clear_secret(&app, &id, service)
}

#[tauri::command]
pub async fn test_connection(
    app: State<'_, App>,
    id: String,
    service: Service,
) -> AppResult<String> {
    settings::test_connection(&app, &id, service).await
}

#[tauri::command]
pub fn switch_environment(app: State<'_, App>, id: String) -> AppResult<()> {
    app.switch(&id)
}

#[tauri::command]
pub fn unlock_writes(app: State<'_, App>, typed: String) -> AppResult<()> {
    settings::unlock(&app, &typed)
}

#[tauri::command]
pub fn lock_writes(app: State<'_, App>) {
    settings::lock(&app)
}
