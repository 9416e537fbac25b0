//! Thin `#[tauri::command]` functions, one file per area: parse arguments,
//! call one core function, return `{code, message}` on failure.

pub mod money;
pub mod rtl;
pub mod settings;
pub mod sync;
pub mod system;
