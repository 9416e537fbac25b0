//! Everything `setup` does once: the data directory, logs, the cache, the
//! embedded sandbox (or the URLs given in the environment) and the first session.

use std::path::PathBuf;

use tauri::{AppHandle, Manager};

use crate::app::{builtin_environment, App};

/// Overrides, documented in the README.
pub const ENV_DATA_DIR: &str = "LINKDESK_DATA_DIR";
pub const ENV_BILLER_URL: &str = "LINKDESK_BILLER_URL";
pub const ENV_LINKMONEY_URL: &str = "LINKDESK_LINKMONEY_URL";
#[cfg(feature = "embedded-sandbox")]
pub const ENV_SANDBOX_OPTS: &str = "LINKDESK_SANDBOX_OPTS";

/// The data folder given by `LINKDESK_DATA_DIR` (unset or empty: none, and
/// the platform's app-data directory is used).
pub fn data_dir_override() -> Option<PathBuf> {
    std::env::var_os(ENV_DATA_DIR)
        .filter(|d| !d.is_empty())
        .map(PathBuf::from)
}

/// A second launch on the default data folder focuses the running window
/// and exits. A launch with `LINKDESK_DATA_DIR` runs beside it (another data
/// folder is another seat); within one folder the journal's lock keeps every
/// process but the first from sending or resolving refunds.
pub fn focus_running_window(handle: &AppHandle) {
    if let Some(window) = handle.webview_windows().into_values().next() {
        let _ = window.unminimize();
        let _ = window.show();
        let _ = window.set_focus();
    }
}

/// Where Linkdesk keeps its files: `(data, local)`. The journal, audit log
/// and settings go in the app-data folder (roaming on Windows); the cache, the
/// webview's storage and the logs in the local app-data folder (this machine
/// only). `LINKDESK_DATA_DIR` puts everything in one folder.
pub fn folders(handle: &AppHandle) -> tauri::Result<(PathBuf, PathBuf)> {
    Ok(match data_dir_override() {
        Some(dir) => (dir.clone(), dir),
        None => (
            handle.path().app_data_dir()?,
            handle.path().app_local_data_dir()?,
        ),
    })
}

pub fn log_dir(local_dir: &std::path::Path) -> PathBuf {
    local_dir.join("logs")
}

/// The folders, created, and logging to stderr and the log folder for the
/// rest of the process. The keyring's persistence self-test (D-Bus round
/// trips on Linux) starts beside the start-up; Settings and every secret wait
/// for its verdict.
pub fn prepare(handle: &AppHandle) -> Result<(PathBuf, PathBuf), Box<dyn std::error::Error>> {
    let (data_dir, local_dir) = folders(handle)?;
    for dir in [&data_dir, &local_dir] {
        if dir.exists() && !dir.is_dir() {
            return Err(format!("{} is a file, not a folder", dir.display()).into());
        }
        std::fs::create_dir_all(dir)
            .map_err(|e| format!("The folder {} cannot be made: {e}", dir.display()))?;
    }
    crate::logging::init(&log_dir(&local_dir));
    tracing::info!(data_dir = %data_dir.display(), local_dir = %local_dir.display(), version = env!("CARGO_PKG_VERSION"), "Linkdesk starting");
    std::thread::spawn(crate::secrets::persists);
    Ok((data_dir, local_dir))
}

/// The stable code of a launch that could not start.
pub const CANNOT_START: &str = "startup_failed";

/// Set when the launch could not start: its window is gone, and the process
/// stays until its dialog is closed.
static COULD_NOT_START: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

pub fn could_not_start() -> bool {
    COULD_NOT_START.load(std::sync::atomic::Ordering::SeqCst)
}

/// A launch that cannot start (a data folder it cannot write, a bad
/// `LINKDESK_SANDBOX_OPTS`, a journal it cannot open) says why on stderr, in
/// the log when there is one, and in a native dialog naming the folders;
/// closing the dialog exits with status 1. Never a panic, never a window
/// that does not come.
pub fn cannot_start(handle: &AppHandle, why: &str) {
    use tauri_plugin_dialog::{DialogExt, MessageDialogKind};
    COULD_NOT_START.store(true, std::sync::atomic::Ordering::SeqCst);
    tracing::error!(code = CANNOT_START, "Linkdesk could not start: {why}");
    eprintln!("Linkdesk could not start ({CANNOT_START}): {why}");
    for window in handle.webview_windows().into_values() {
        let _ = window.destroy();
    }
    let folders = match folders(handle) {
        Ok((data, local)) => format!(
            "\n\nData folder: {}\nLog folder: {}{}",
            data.display(),
            log_dir(&local).display(),
            if log_dir(&local).is_dir() {
                ""
            } else {
                " (not made: this message is the only record)"
            }
        ),
        Err(_) => String::new(),
    };
    let text = format!(
        "{why}{folders}\n\nNothing was sent or changed. Fix the cause (or unset {ENV_DATA_DIR} and the other LINKDESK_ settings) and start Linkdesk again.\n\nError code: {CANNOT_START}"
    );
    let exit = handle.clone();
    handle
        .dialog()
        .message(text)
        .title("Linkdesk could not start")
        .kind(MessageDialogKind::Error)
        .show(move |_| exit.exit(1));
}

/// SIGTERM or SIGINT (a log-out, `kill`, Ctrl+C in a terminal) ends Linkdesk
/// at once, as "Close anyway" does, through `exit`: the window's place is
/// saved and the last log lines are written out. A refund being sent then is
/// safe: the journal holds it and the next start finds its outcome.
#[cfg(unix)]
pub fn exit_on_signals(handle: AppHandle) {
    tauri::async_runtime::spawn(async move {
        use tokio::signal::unix::{signal, SignalKind};
        let (Ok(mut term), Ok(mut int)) = (
            signal(SignalKind::terminate()),
            signal(SignalKind::interrupt()),
        ) else {
            tracing::warn!(
                "signals cannot be watched: SIGTERM ends Linkdesk without flushing its log"
            );
            return;
        };
        let name = tokio::select! {
            _ = term.recv() => "SIGTERM",
            _ = int.recv() => "SIGINT",
        };
        tracing::info!("{name} received: exiting");
        handle.exit(0);
    });
}

/// What WebKit is told on a machine without a GPU (no DRM render node: a
/// virtual machine, a remote desktop, Xvfb). By default it would composite
/// every frame through Mesa's software OpenGL (llvmpipe), which took both
/// cores of a 2-core machine for a quarter of a second after the first rows,
/// and paint with Skia on the GPU path. Instead Skia paints on the CPU and
/// WebKit draws without a compositor: first rows sooner, a fifth less memory,
/// and an idle window that costs nothing (see the README's benchmarks).
pub const NO_GPU_WEBKIT: [(&str, &str); 2] = [
    ("WEBKIT_SKIA_ENABLE_CPU_RENDERING", "1"),
    ("WEBKIT_DISABLE_COMPOSITING_MODE", "1"),
];

/// A DRM render node: WebKit can draw with the GPU.
pub fn has_gpu() -> bool {
    std::fs::read_dir("/dev/dri").is_ok_and(|mut d| {
        d.any(|e| e.is_ok_and(|e| e.file_name().to_string_lossy().starts_with("renderD")))
    })
}

/// Sets `NO_GPU_WEBKIT` on Linux without a GPU. Called before WebKit starts,
/// while the process has one thread; a value already in the environment wins.
pub fn choose_renderer() {
    if cfg!(target_os = "linux") && !has_gpu() {
        for (var, value) in NO_GPU_WEBKIT {
            if std::env::var_os(var).is_none() {
                std::env::set_var(var, value);
            }
        }
    }
}

pub fn build_app(data_dir: PathBuf, local_dir: PathBuf) -> Result<App, Box<dyn std::error::Error>> {
    let biller_url = std::env::var(ENV_BILLER_URL)
        .ok()
        .filter(|s| !s.trim().is_empty());
    let linkmoney_url = std::env::var(ENV_LINKMONEY_URL)
        .ok()
        .filter(|s| !s.trim().is_empty());
    let (builtin, embedded) = match (biller_url, linkmoney_url) {
        #[cfg(feature = "embedded-sandbox")]
        (None, None) => {
            let sandbox = start_embedded_sandbox()?;
            let url = sandbox.url();
            (
                builtin_environment("Embedded sandbox", &url, &url),
                Some(sandbox),
            )
        }
        // Built without the sandbox: the built-in environment has no server
        // and says so; the person adds their own in Settings.
        #[cfg(not(feature = "embedded-sandbox"))]
        (None, None) => (
            builtin_environment(
                "No demo in this build: add an environment in Settings",
                "",
                "",
            ),
            None,
        ),
        (biller, linkmoney) => {
            let biller = biller.or_else(|| linkmoney.clone()).unwrap_or_default();
            let linkmoney = linkmoney.unwrap_or_else(|| biller.clone());
            (
                builtin_environment("Sandbox (from environment variables)", &biller, &linkmoney),
                None,
            )
        }
    };
    tracing::info!(biller = %builtin.biller_url, linkmoney = %builtin.linkmoney_url, "built-in environment ready");
    let shown = data_dir.display().to_string();
    Ok(App::open_in(data_dir, local_dir, builtin, embedded)
        .map_err(|e| format!("Linkdesk could not open its files in {shown}: {e}"))?)
}

#[cfg(feature = "embedded-sandbox")]
/// Starts the embedded sandbox, a demo and not a door: on an ephemeral port of
/// the loopback interface only, with client secrets made for this launch (so
/// nothing else on the machine can guess them), delivering webhooks only to
/// loopback URLs. `LINKDESK_SANDBOX_OPTS` takes the sandbox's own
/// command-line options (secrets given there are used as given).
fn start_embedded_sandbox() -> Result<linkdesk_sandbox::Sandbox, Box<dyn std::error::Error>> {
    use clap::Parser;
    let extra = std::env::var(ENV_SANDBOX_OPTS).unwrap_or_default();
    let args = std::iter::once("linkdesk-sandbox").chain(extra.split_whitespace());
    let mut options = linkdesk_sandbox::Options::try_parse_from(args)
        .map_err(|e| {
            // clap's first line says what is wrong; its usage and "--help"
            // lines name a command the person cannot run.
            let first = e.to_string();
            let first = first.lines().next().unwrap_or_default();
            let first = first.trim_start_matches("error: ");
            format!("{ENV_SANDBOX_OPTS} (\"{extra}\") is not valid: {first}. The options are listed in the README, \"The sandbox\".")
        })?;
    options.addr = "127.0.0.1:0".parse()?;
    options.webhooks_to_any_host = false;
    let fresh = || uuid::Uuid::new_v4().simple().to_string();
    if !extra.contains("--biller-client-secret") {
        options.biller_client_secret = format!("bb_test_demo_{}", fresh());
    }
    if !extra.contains("--linkmoney-client-secret") {
        options.linkmoney_client_secret = format!("lm_demo_{}", fresh());
    }
    Ok(tauri::async_runtime::block_on(linkdesk_sandbox::start(
        options,
    ))?)
}

/// Resolves, in the background, every refund a previous run left with an
/// unknown outcome (sent again with its own request key), then tells the
/// window. The window does not wait for it.
pub fn spawn_refund_resolver(handle: AppHandle) {
    use tauri::Emitter;
    tauri::async_runtime::spawn(async move {
        let app = handle.state::<App>();
        match crate::money::resolve_at_start(&app).await {
            Ok(rows) if !rows.is_empty() => {
                tracing::info!(
                    count = rows.len(),
                    "refunds left open by an earlier run were looked at"
                );
                *app.startup_refunds
                    .lock()
                    .unwrap_or_else(|p| p.into_inner()) = Some(rows.clone());
                let _ = handle.emit("refunds-resolved", &rows);
            }
            Ok(_) => {}
            Err(e) => tracing::warn!(error = %e, "could not resolve open refunds at start-up"),
        }
    });
}

/// What the cache does once the first rows are painted, on one blocking
/// thread, one after the other: the active environment's in-memory RTL index
/// (half a second and about 100 bytes per RTL at 1,000,000) and the full
/// integrity check of the file. A damaged file is moved aside at the next
/// start; the window is told now.
pub fn after_first_rows(handle: AppHandle) {
    use tauri::Emitter;
    tauri::async_runtime::spawn_blocking(move || {
        let app = handle.state::<App>();
        let env = app.session().env.id.clone();
        if let Err(e) = app.cache.warm_rtl_index(&env) {
            tracing::warn!(error = %e, "could not build the in-memory RTL index");
        }
        match app.cache.check_integrity() {
            Ok(None) => tracing::info!("cache integrity check passed"),
            Ok(Some(reason)) => {
                let msg = format!(
                    "The local cache is damaged ({reason}). Restart Linkdesk: it will be moved aside and a fresh cache started."
                );
                tracing::warn!("{msg}");
                let _ = handle.emit("cache-damaged", msg);
            }
            Err(e) => tracing::warn!(error = %e, "could not check the cache file"),
        }
    });
}

/// Team mode's background work, every few seconds while team mode is on:
/// the top bar's state, the outbox's delivery, approved refunds sent. Tells
/// the window when something changed.
pub fn spawn_team_worker(handle: AppHandle) {
    use tauri::Emitter;
    tauri::async_runtime::spawn(async move {
        let mut last = None;
        let mut pause = crate::team::desk::PERIOD;
        loop {
            let app = handle.state::<App>();
            if app.team.configured() {
                crate::team::desk::work_once(&app).await;
                let now = crate::team::desk::statuses(&app);
                pause = crate::team::desk::next_pause(pause, &now);
                if last.as_ref() != Some(&now) {
                    let _ = handle.emit("team-status", &now);
                    last = Some(now);
                }
            } else {
                pause = crate::team::desk::PERIOD;
            }
            tokio::time::sleep(pause).await;
        }
    });
}

/// Locking the screen locks production writes again, and tells the window.
pub fn relock_on_screen_lock(handle: AppHandle) {
    use tauri::Emitter;
    crate::screen_lock::watch(move |signal| {
        let Some(app) = handle.try_state::<App>() else {
            return;
        };
        let session = app.session();
        session.guard.lock();
        tracing::info!(signal, environment = %session.env.name, "screen locked: production writes locked");
        let _ = handle.emit("writes-locked", ());
    });
}

/// The main window, with the webview's own storage (remembered filters) in
/// the local data folder, beside the cache.
pub fn open_window(handle: &AppHandle, local_dir: &std::path::Path) -> tauri::Result<()> {
    let config = handle
        .config()
        .app
        .windows
        .first()
        .cloned()
        .unwrap_or_default();
    tauri::WebviewWindowBuilder::from_config(handle, &config)?
        .data_directory(local_dir.join("webview"))
        // The window never leaves the app: outside links go to the system
        // browser through `open_external`.
        .on_navigation(is_app_url)
        // Shown once its page has loaded: never a blank window, and WebKit
        // without a compositor is not asked to draw a page that is still
        // arriving (it then waits up to half a second for it).
        .visible(false)
        .on_page_load(|window, page| {
            if page.event() == tauri::webview::PageLoadEvent::Finished {
                let _ = window.show();
            }
        })
        .build()?;
    // Whatever became of the page, the window is not left hidden.
    let handle = handle.clone();
    std::thread::spawn(move || {
        std::thread::sleep(std::time::Duration::from_secs(3));
        if let Some(window) = handle.get_webview_window(&config.label) {
            if !window.is_visible().unwrap_or(true) {
                tracing::warn!("the page had not loaded after 3 s: the window is shown anyway");
                let _ = window.show();
            }
        }
    });
    Ok(())
}

/// The app's own pages: `tauri://localhost` (Linux, macOS) or
/// `http(s)://tauri.localhost` (Windows).
fn is_app_url(url: &url::Url) -> bool {
    match url.scheme() {
        "tauri" => true,
        "http" | "https" => url.host_str() == Some("tauri.localhost"),
        _ => false,
    }
}
