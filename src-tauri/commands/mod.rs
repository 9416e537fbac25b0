//! Thin `#[tauri::command]` functions, one file per area: parse arguments,
//! call one core function, return `{code, message}` on failure.

pub mod rtl;
pub mod settings;
pub mod system;
