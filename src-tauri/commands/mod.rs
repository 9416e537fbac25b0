//! Thin `#[tauri::command]` functions, one file per area: parse arguments,
//! call one core function, return `{code, message}` on failure.

pub mod money;
pub mod rtl;
pub mod settings;
pub mod sync;
pub mod system;
pub mod team;

use tauri::{AppHandle, Manager};

use crate::app::App;
use crate::error::AppResult;

/// `app::blocking` for a command that needs the whole `App` there (the
/// keyring over D-Bus, SQLite, the settings file): synchronous commands would
/// run on the window's main thread, and a slow keyring must never freeze it.
pub(crate) async fn on_blocking_thread<T, F>(handle: AppHandle, work: F) -> AppResult<T>
where
    T: Send + 'static,
    F: FnOnce(&App) -> AppResult<T> + Send + 'static,
{
    crate::app::blocking(move || work(&handle.state::<App>())).await
}
