//! Linkdesk: the Tauri builder. Plugins, managed state and the command list;
//! everything else lives in the modules below.

pub mod app;
pub mod biller;
pub mod cache;
mod commands;
pub mod environments;
pub mod error;
pub mod http;
pub mod linkmoney;
mod logging;
pub mod rtls;
pub mod secrets;
pub mod session;
pub mod settings;
mod startup;

use tauri::Manager;

pub fn run() {
    tauri::Builder::default()
        .plugin(tauri_plugin_opener::init())
        .plugin(tauri_plugin_dialog::init())
        .plugin(tauri_plugin_clipboard_manager::init())
        .setup(|tauri_app| {
            let app = startup::build_app(tauri_app.handle())?;
            tauri_app.manage(app);
            Ok(())
        })
        .invoke_handler(tauri::generate_handler![
            commands::system::app_info,
            commands::system::set_work_offline,
            commands::system::open_external,
            commands::system::copy_text,
            commands::system::choose_save_path,
            commands::rtl::list_rtls,
            commands::rtl::get_rtl,
            commands::rtl::list_billers,
            commands::rtl::create_rtl,
            commands::rtl::set_rtl_status,
            commands::rtl::cancel_rtl,
            commands::rtl::proceed_rtl,
            commands::settings::settings_view,
            commands::settings::save_environment,
            commands::settings::delete_environment,
            commands::settings::clear_secret,
            commands::settings::test_connection,
            commands::settings::switch_environment,
            commands::settings::unlock_writes,
            commands::settings::lock_writes,
        ])
        .run(tauri::generate_context!())
        .expect("Linkdesk could not start its window");
}
