//! Thin `#[tauri::command]` functions, one file per area: parse arguments,
//! call one core function, return `{code, message}` on failure.

pub mod money;
pub mod rtl;
pub mod settings;
pub mod sync;
pub mod system;

use tauri::{AppHandle, Manager};

use crate::app::App;
use crate::error::{AppError, AppResult};

/// Runs blocking work (the keyring over D-Bus, SQLite, the settings file) on a
/// blocking thread: synchronous commands would run on the window's main
/// thread, and a slow keyring must never freeze the window.
pub(crate) async fn on_blocking_thread<T, F>(handle: AppHandle, work: F) -> AppResult<T>
where
    T: Send + 'static,
    F: FnOnce(&App) -> AppResult<T> + Send + 'static,
{
    tauri::async_runtime::spawn_blocking(move || work(&handle.state::<App>()))
        .await
        .map_err(|e| AppError::internal(format!("background task failed: {e}")))?
}
