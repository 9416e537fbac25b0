//! The update check: `tauri-plugin-updater` asks the endpoint in
//! `tauri.conf.json` (or `LINKDESK_UPDATE_URL`) once the first rows are on
//! screen and then daily. A release it offers is downloaded and its
//! signature checked against the public key in `tauri.conf.json` before the
//! window hears of it: the top bar says "Update available — x.y.z" only for
//! a package that would install, and a package whose signature does not
//! match is refused (About says so). Nothing is installed until the person
//! clicks "Install and restart".

use std::sync::Mutex;
use std::time::Duration;

use chrono::{DateTime, Utc};
use serde::Serialize;
use tauri::{AppHandle, Emitter, Manager};
use tauri_plugin_updater::{Update, UpdaterExt};

use crate::error::{AppError, AppResult, ErrorCode};

/// The endpoint instead of the one in `tauri.conf.json`; `off` (or empty):
/// no update check at all.
pub const ENV_UPDATE_URL: &str = "LINKDESK_UPDATE_URL";
/// Debug builds only (the tests sign their own packages): the public key
/// instead of the release key. Release builds trust only the configured key.
#[cfg(debug_assertions)]
pub const ENV_UPDATE_PUBKEY: &str = "LINKDESK_UPDATE_PUBKEY";

/// How often a running Linkdesk asks again.
const PERIOD: Duration = Duration::from_secs(24 * 60 * 60);
/// The manifest and the package together.
const TIMEOUT: Duration = Duration::from_secs(120);

/// What the window shows of the update check.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct UpdateStatus {
    /// `off`, `checking`, `up_to_date`, `available`, `refused`, `failed`
    /// or `installing`.
    pub state: &'static str,
    /// This build's version.
    pub current: &'static str,
    /// Where Linkdesk looks for updates (None: it does not).
    pub endpoint: Option<String>,
    /// The version offered (available, refused, installing).
    pub version: Option<String>,
    /// The release's notes, as the manifest gives them.
    pub notes: Option<String>,
    pub checked_at: Option<DateTime<Utc>>,
    /// Why the offered package was refused, or why the check failed.
    pub error: Option<AppError>,
}

/// The check's state, and the verified package waiting for the person's click.
pub struct Updates {
    status: Mutex<UpdateStatus>,
    ready: Mutex<Option<(Update, Vec<u8>)>>,
    /// One check at a time.
    running: tokio::sync::Mutex<()>,
}

impl Updates {
    pub fn new(handle: &AppHandle) -> Self {
        let endpoint = endpoint(handle);
        Self {
            status: Mutex::new(UpdateStatus {
                state: if endpoint.is_some() {
                    "up_to_date"
                } else {
                    "off"
                },
                current: env!("CARGO_PKG_VERSION"),
                endpoint,
                version: None,
                notes: None,
                checked_at: None,
                error: None,
            }),
            ready: Mutex::new(None),
            running: tokio::sync::Mutex::new(()),
        }
    }

    pub fn status(&self) -> UpdateStatus {
        lock(&self.status).clone()
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

/// The endpoint the check uses, as shown in About: `LINKDESK_UPDATE_URL`, or
/// the first of `plugins.updater.endpoints` in `tauri.conf.json`.
fn endpoint(handle: &AppHandle) -> Option<String> {
    match std::env::var(ENV_UPDATE_URL) {
        Ok(url) if url.trim().is_empty() || url.trim() == "off" => None,
        Ok(url) => Some(url.trim().to_string()),
        Err(_) => handle
            .config()
            .plugins
            .0
            .get("updater")
            .and_then(|u| u.get("endpoints"))
            .and_then(|e| e.get(0))
            .and_then(|e| e.as_str())
            .map(str::to_string),
    }
}

/// Checks after the first rows are on screen (or half a minute after
/// launch), then daily. Quiet: the outcome goes to the log, About and, for
/// a verified release, the top bar.
pub fn spawn_checks(handle: AppHandle) {
    tauri::async_runtime::spawn(async move {
        for _ in 0..30 {
            if crate::first_rows_were_painted() {
                break;
            }
            tokio::time::sleep(Duration::from_secs(1)).await;
        }
        loop {
            let _ = check(&handle).await;
            tokio::time::sleep(PERIOD).await;
        }
    });
}

fn set(handle: &AppHandle, change: impl FnOnce(&mut UpdateStatus)) -> UpdateStatus {
    let updates = handle.state::<Updates>();
    let now = {
        let mut status = lock(&updates.status);
        change(&mut status);
        status.clone()
    };
    let _ = handle.emit("update-status", &now);
    now
}

/// Asks the endpoint; downloads and verifies a release it offers.
pub async fn check(handle: &AppHandle) -> UpdateStatus {
    let updates = handle.state::<Updates>();
    let Some(url) = endpoint(handle) else {
        return updates.status();
    };
    let Ok(_one) = updates.running.try_lock() else {
        return updates.status();
    };
    if lock(&updates.status).state == "installing" {
        return updates.status();
    }
    set(handle, |s| s.state = "checking");
    let outcome = find_verified(handle, &url).await;
    let checked_at = Some(Utc::now());
    match outcome {
        Ok(None) => {
            tracing::info!(endpoint = %url, "update check: Linkdesk is up to date");
            *lock(&updates.ready) = None;
            set(handle, |s| {
                *s = UpdateStatus {
                    state: "up_to_date",
                    checked_at,
                    ..base(s)
                }
            })
        }
        Ok(Some((update, bytes))) => {
            tracing::info!(version = %update.version, "update check: a signed update is ready to install");
            let (version, notes) = (update.version.clone(), update.body.clone());
            *lock(&updates.ready) = Some((update, bytes));
            set(handle, |s| {
                *s = UpdateStatus {
                    state: "available",
                    version: Some(version),
                    notes,
                    checked_at,
                    ..base(s)
                }
            })
        }
        Err(Found::Refused(version, error)) => {
            tracing::warn!(%version, error = %error.message, "update check: package refused");
            *lock(&updates.ready) = None;
            set(handle, |s| {
                *s = UpdateStatus {
                    state: "refused",
                    version: Some(version),
                    error: Some(error),
                    checked_at,
                    ..base(s)
                }
            })
        }
        Err(Found::Failed(error)) => {
            tracing::info!(error = %error.message, "update check failed");
            set(handle, |s| {
                // A release already verified stays offered.
                if s.state == "checking" && lock(&updates.ready).is_some() {
                    s.state = "available";
                    return;
                }
                *s = UpdateStatus {
                    state: "failed",
                    error: Some(error),
                    checked_at,
                    ..base(s)
                }
            })
        }
    }
}

/// The fields that stay: this build and where it looks.
fn base(s: &UpdateStatus) -> UpdateStatus {
    UpdateStatus {
        state: s.state,
        current: s.current,
        endpoint: s.endpoint.clone(),
        version: None,
        notes: None,
        checked_at: None,
        error: None,
    }
}

enum Found {
    /// The endpoint offered this version, but its package is not Linkdesk's.
    Refused(String, AppError),
    Failed(AppError),
}

async fn find_verified(handle: &AppHandle, url: &str) -> Result<Option<(Update, Vec<u8>)>, Found> {
    let failed = |e: tauri_plugin_updater::Error| Found::Failed(describe(e));
    let url = url::Url::parse(url).map_err(|e| {
        Found::Failed(AppError::invalid(format!(
            "The update address {url} is not a URL: {e}"
        )))
    })?;
    #[allow(unused_mut)]
    let mut builder = handle
        .updater_builder()
        .timeout(TIMEOUT)
        .endpoints(vec![url])
        .map_err(failed)?;
    #[cfg(debug_assertions)]
    if let Ok(key) = std::env::var(ENV_UPDATE_PUBKEY) {
        builder = builder.pubkey(key);
    }
    let Some(update) = builder
        .build()
        .map_err(failed)?
        .check()
        .await
        .map_err(failed)?
    else {
        return Ok(None);
    };
    match update.download(|_, _| {}, || {}).await {
        Ok(bytes) => Ok(Some((update, bytes))),
        Err(e) if signature_problem(&e) => Err(Found::Refused(
            update.version.clone(),
            AppError::new(
                ErrorCode::BadSignature,
                format!(
                    "Linkdesk {} was offered but refused: its package is not signed with Linkdesk's release key ({e}). Nothing was installed.",
                    update.version
                ),
            ),
        )),
        Err(e) => Err(failed(e)),
    }
}

fn signature_problem(e: &tauri_plugin_updater::Error) -> bool {
    use tauri_plugin_updater::Error as E;
    matches!(
        e,
        E::Minisign(_)
            | E::Base64(_)
            | E::SignatureUtf8(_)
            | E::SignedVersionMismatch { .. }
            | E::MissingSignedVersion
    )
}

fn describe(e: tauri_plugin_updater::Error) -> AppError {
    use tauri_plugin_updater::Error as E;
    let code = match &e {
        E::Reqwest(r) if r.is_timeout() => ErrorCode::Timeout,
        E::Reqwest(r) if r.is_connect() || r.is_request() => ErrorCode::Offline,
        E::Network(_) => ErrorCode::ServerError,
        E::InsecureTransportProtocol | E::UrlParse(_) => ErrorCode::InvalidInput,
        _ => ErrorCode::BadResponse,
    };
    AppError::new(code, format!("The update check failed: {e}"))
}

/// Installs the verified package, then starts the new version. Refused while
/// a refund is being sent (its outcome must be heard first).
pub async fn install(handle: &AppHandle) -> AppResult<()> {
    let app = handle.state::<crate::app::App>();
    if app.journal.sending_now() {
        return Err(AppError::new(
            ErrorCode::Busy,
            "A refund is being sent: install the update once it has an outcome.",
        ));
    }
    let updates = handle.state::<Updates>();
    let Some((update, bytes)) = lock(&updates.ready).take() else {
        return Err(AppError::invalid(
            "No verified update is waiting: check for updates first.",
        ));
    };
    let version = update.version.clone();
    set(handle, |s| s.state = "installing");
    tracing::info!(%version, "installing the update the person chose");
    let outcome = crate::app::blocking({
        let update = update.clone();
        move || {
            update
                .install(&bytes)
                .map_err(|e| AppError::internal(format!("The update could not be installed: {e}")))
        }
    })
    .await;
    match outcome {
        Ok(()) => {
            crate::logging::flush_at_exit();
            handle.restart()
        }
        Err(error) => {
            set(handle, |s| {
                s.state = "failed";
                s.error = Some(error.clone());
            });
            Err(error)
        }
    }
}
