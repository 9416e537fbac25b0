//! Linkdesk: the Tauri builder. Plugins, managed state and the command list;
//! everything else lives in the modules below.

pub mod app;
pub mod audit;
pub mod biller;
pub mod cache;
mod commands;
pub mod csv_out;
pub mod environments;
pub mod error;
pub mod export;
pub mod goto;
pub mod http;
pub mod journal;
pub mod linkmoney;
mod logging;
pub mod money;
pub mod rtls;
pub mod screen_lock;
pub mod secrets;
pub mod session;
pub mod settings;
pub mod sqlite;
mod startup;
pub use startup::{has_gpu, NO_GPU_WEBKIT};
pub mod sync;
pub mod team;
pub mod updates;

use tauri::Manager;

/// When the process started, for the "first rows painted" log line.
static STARTED: std::sync::OnceLock<std::time::Instant> = std::sync::OnceLock::new();

/// The launch on the wall clock, to place the page's own timings.
static LAUNCHED: std::sync::OnceLock<std::time::SystemTime> = std::sync::OnceLock::new();

pub(crate) fn launched_at_epoch_ms() -> f64 {
    LAUNCHED
        .get()
        .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
        .map(|d| d.as_secs_f64() * 1000.0)
        .unwrap_or_default()
}

/// Set once the window has reported its first rows on screen.
static FIRST_ROWS: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

pub(crate) fn first_rows_were_painted() -> bool {
    FIRST_ROWS.load(std::sync::atomic::Ordering::Relaxed)
}

/// Milliseconds since the process started, for the start-up log lines.
pub(crate) fn since_launch_ms() -> u128 {
    STARTED
        .get()
        .map(|t| t.elapsed().as_millis())
        .unwrap_or_default()
}

pub fn run() {
    STARTED.get_or_init(std::time::Instant::now);
    LAUNCHED.get_or_init(std::time::SystemTime::now);
    startup::choose_renderer();
    let mut builder = tauri::Builder::default();
    if startup::data_dir_override().is_none() {
        // First: a second launch on the default data folder stops here.
        builder = builder.plugin(tauri_plugin_single_instance::init(|handle, _, _| {
            startup::focus_running_window(handle)
        }));
        // The window comes back where and as large as it was left. A launch
        // on its own data folder (another seat, the tests) starts as configured.
        use tauri_plugin_window_state::StateFlags;
        builder = builder.plugin(
            tauri_plugin_window_state::Builder::default()
                .with_state_flags(StateFlags::SIZE | StateFlags::POSITION | StateFlags::MAXIMIZED)
                .build(),
        );
    }
    builder
        .plugin(tauri_plugin_opener::init())
        .plugin(tauri_plugin_dialog::init())
        .plugin(tauri_plugin_updater::Builder::new().build())
        .setup(|tauri_app| {
            // A launch that cannot start says why in a dialog and exits.
            if let Err(why) = start(tauri_app) {
                startup::cannot_start(tauri_app.handle(), &why.to_string());
            }
            Ok(())
        })
        .on_window_event(|window, event| {
            // Closing while a refund is being sent is safe (the journal and
            // the next start find its outcome) but surprising: the window
            // asks first, and `close_anyway` closes it.
            if let tauri::WindowEvent::CloseRequested { api, .. } = event {
                let sending = window
                    .try_state::<app::App>()
                    .is_some_and(|app| app.journal.sending_now());
                if sending {
                    api.prevent_close();
                    use tauri::Emitter;
                    let _ = window.emit("close-blocked", ());
                }
            }
        })
        .invoke_handler(tauri::generate_handler![
            commands::system::app_info,
            commands::system::set_work_offline,
            commands::system::open_external,
            commands::system::open_folder,
            commands::system::copy_text,
            commands::system::first_rows_painted,
            commands::system::close_anyway,
            commands::system::update_status,
            commands::system::update_check,
            commands::system::update_install,
            commands::rtl::list_rtls,
            commands::rtl::get_rtl,
            commands::rtl::list_billers,
            commands::rtl::create_rtl,
            commands::rtl::set_rtl_status,
            commands::rtl::cancel_rtl,
            commands::rtl::proceed_rtl,
            commands::rtl::export_rtls_csv,
            commands::rtl::find_by_id,
            commands::rtl::locate_id,
            commands::sync::start_sync,
            commands::sync::cancel_sync,
            commands::sync::sync_status,
            commands::settings::settings_view,
            commands::settings::save_environment,
            commands::settings::delete_environment,
            commands::settings::clear_secret,
            commands::settings::test_connection,
            commands::settings::switch_environment,
            commands::settings::unlock_writes,
            commands::settings::lock_writes,
            commands::settings::note_activity,
            commands::money::lm_customer,
            commands::money::lm_transaction,
            commands::money::lm_payout,
            commands::money::lm_recent,
            commands::money::refund_open,
            commands::money::refund_payments,
            commands::money::refund_submit,
            commands::money::refund_retry,
            commands::money::refund_record_elsewhere,
            commands::money::refund_discard,
            commands::money::refund_list,
            commands::money::refund_unresolved,
            commands::money::refund_startup_report,
            commands::money::refund_threshold,
            commands::money::set_refund_threshold,
            commands::money::webhook_list,
            commands::money::webhook_subscribe,
            commands::money::webhook_unsubscribe,
            commands::money::audit_page,
            commands::money::audit_facets,
            commands::money::audit_export,
            commands::team::team_status,
            commands::team::save_team_store,
            commands::team::test_team_store,
            commands::team::approval_list,
            commands::team::approval_decide,
            commands::team::team_audit_page,
            commands::team::team_audit_export,
        ])
        .build(tauri::generate_context!())
        .expect("Linkdesk could not start its window")
        .run(|_, event| match event {
            // The last window gone because the launch could not start: the
            // dialog saying why stays until it is closed.
            tauri::RunEvent::ExitRequested {
                code: None, api, ..
            } if startup::could_not_start() => api.prevent_exit(),
            tauri::RunEvent::Exit => logging::flush_at_exit(),
            _ => {}
        });
}

/// The folders, the window, the sandbox and files, then the background work.
fn start(tauri_app: &mut tauri::App) -> Result<(), Box<dyn std::error::Error>> {
    let setup_at = since_launch_ms();
    let (data_dir, local_dir) = startup::prepare(tauri_app.handle())?;
    #[cfg(unix)]
    startup::exit_on_signals(tauri_app.handle().clone());
    tracing::info!("startup: plugins ready, setup began {setup_at} ms after launch");
    // The window first: WebKit starts its processes and loads the page
    // while the sandbox starts and the files open. Nothing the page
    // asks is answered before `manage`, at the end of this setup.
    startup::open_window(tauri_app.handle(), &local_dir)?;
    tracing::info!(
        "startup: window created {} ms after launch",
        since_launch_ms()
    );
    let app = startup::build_app(data_dir, local_dir)?;
    tauri_app.manage(app);
    tracing::info!(
        "startup: sandbox, cache, journal and settings ready {} ms after launch",
        since_launch_ms()
    );
    startup::spawn_refund_resolver(tauri_app.handle().clone());
    startup::spawn_team_worker(tauri_app.handle().clone());
    startup::relock_on_screen_lock(tauri_app.handle().clone());
    tauri_app.manage(updates::Updates::new(tauri_app.handle()));
    updates::spawn_checks(tauri_app.handle().clone());
    Ok(())
}
