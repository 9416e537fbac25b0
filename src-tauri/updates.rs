//! The update check. Linkdesk reads the update manifest at the address in
//! `tauri.conf.json` (or `LINKDESK_UPDATE_URL`) with its own HTTP client
//! (the system proxy, the OS certificate store, a size limit), once the first
//! rows are on screen and then daily; `tauri-plugin-updater` decides from the
//! manifest whether it offers a newer version for this platform, verifies
//! the package's signature against the public key in `tauri.conf.json`, and
//! installs it. The package is downloaded and verified *before* the window
//! hears of it: the top bar says "Update available — x.y.z" only for a
//! package that would install, and a package whose signature does not match
//! is refused (About says why). Nothing is installed until the person clicks
//! "Install and restart" on the version the dialog shows.

use std::sync::Mutex;
use std::time::Duration;

use chrono::{DateTime, Utc};
use serde::Serialize;
use tauri::{AppHandle, Emitter, Manager};
use tauri_plugin_updater::{Update, UpdaterExt};

use crate::error::{AppError, AppResult, ErrorCode};
use crate::http;

/// The manifest's address instead of the one in `tauri.conf.json`; `off`
/// (or empty): no update check at all.
pub const ENV_UPDATE_URL: &str = "LINKDESK_UPDATE_URL";
/// Debug builds only (the tests sign their own packages): the public key
/// instead of the release key. Release builds trust only the configured key.
#[cfg(debug_assertions)]
pub const ENV_UPDATE_PUBKEY: &str = "LINKDESK_UPDATE_PUBKEY";

/// Who the messages name.
const SERVER: &str = "The update server";
/// How often a running Linkdesk asks again, on the wall clock (time asleep
/// counts); after a failed check, sooner.
const PERIOD: chrono::Duration = chrono::Duration::hours(24);
const RETRY: chrono::Duration = chrono::Duration::hours(1);
/// A manifest is a few hundred bytes per platform.
const MAX_MANIFEST_BYTES: usize = 256 * 1024;
/// The largest installer is the Windows MSI carrying the WebView2 runtime
/// (about 150 MB).
const MAX_PACKAGE_BYTES: usize = 400 << 20;
/// The whole download of a package.
const DOWNLOAD_TIMEOUT: Duration = Duration::from_secs(600);
/// The whole answer with the manifest: a slow server does not leave
/// "Checking now…" on screen for minutes.
const MANIFEST_TIMEOUT: Duration = Duration::from_secs(30);
/// Release notes beyond this are cut (and say so).
const MAX_NOTES_CHARS: usize = 4000;

/// What the window shows of the update check.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct UpdateStatus {
    /// The last check's outcome: `off`, `not_checked`, `up_to_date`,
    /// `available` (a verified package waits for the person's click),
    /// `refused` or `failed`; `installing` while it installs.
    pub state: &'static str,
    /// A check is running now (the last outcome stays shown meanwhile).
    pub checking: bool,
    /// This build's version.
    pub current: &'static str,
    /// Where Linkdesk looks for updates (None: it does not).
    pub endpoint: Option<String>,
    /// Why there is no check (state `off`).
    pub off_reason: Option<String>,
    /// The version offered (available, refused, installing).
    pub version: Option<String>,
    /// The release's notes as the update server gives them (not covered by
    /// the signature), without direction or invisible characters, cut at
    /// `MAX_NOTES_CHARS`.
    pub notes: Option<String>,
    pub checked_at: Option<DateTime<Utc>>,
    /// Why the offered package was refused, why the last check failed, or
    /// why installing failed (the verified package is still offered then).
    pub error: Option<AppError>,
}

/// The check's state, and the verified package waiting for the person's click.
pub struct Updates {
    status: Mutex<UpdateStatus>,
    ready: Mutex<Option<(Update, Vec<u8>)>>,
    /// One check or install at a time.
    running: tokio::sync::Mutex<()>,
}

impl Updates {
    pub fn new(handle: &AppHandle) -> Self {
        let (endpoint, off_reason) = match endpoint(handle) {
            Ok(url) => (Some(url), None),
            Err(why) => (None, Some(why)),
        };
        Self {
            status: Mutex::new(UpdateStatus {
                state: if endpoint.is_some() {
                    "not_checked"
                } else {
                    "off"
                },
                checking: false,
                current: env!("CARGO_PKG_VERSION"),
                endpoint,
                off_reason,
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

/// The manifest's address: `LINKDESK_UPDATE_URL`, or the first of
/// `plugins.updater.endpoints` in `tauri.conf.json`; Err says why there is none.
fn endpoint(handle: &AppHandle) -> Result<String, String> {
    match std::env::var(ENV_UPDATE_URL) {
        Ok(url) if url.trim().is_empty() || url.trim() == "off" => Err(format!(
            "the update check is turned off ({ENV_UPDATE_URL}={})",
            url.trim()
        )),
        Ok(url) => Ok(url.trim().to_string()),
        Err(_) => handle
            .config()
            .plugins
            .0
            .get("updater")
            .and_then(|u| u.get("endpoints"))
            .and_then(|e| e.get(0))
            .and_then(|e| e.as_str())
            .map(str::to_string)
            .ok_or_else(|| "this build has no update address".to_string()),
    }
}

/// Checks after the first rows are on screen (or half a minute after
/// launch), then daily, or an hour after a failed check. Quiet: the outcome
/// goes to the log, About and, for a verified release, the top bar.
pub fn spawn_checks(handle: AppHandle) {
    tauri::async_runtime::spawn(async move {
        for _ in 0..30 {
            if crate::first_rows_were_painted() {
                break;
            }
            tokio::time::sleep(Duration::from_secs(1)).await;
        }
        loop {
            let status = handle.state::<Updates>().status();
            let due = match status.checked_at {
                None => true,
                Some(at) if status.state == "failed" => Utc::now() - at >= RETRY,
                Some(at) => Utc::now() - at >= PERIOD,
            };
            if due {
                check(&handle).await;
            }
            tokio::time::sleep(Duration::from_secs(10 * 60)).await;
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

/// Asks the update server; downloads and verifies a release it offers.
pub async fn check(handle: &AppHandle) -> UpdateStatus {
    let updates = handle.state::<Updates>();
    let Some(url) = updates.status().endpoint else {
        return updates.status();
    };
    let Ok(_one) = updates.running.try_lock() else {
        return updates.status();
    };
    set(handle, |s| s.checking = true);
    let outcome = find_verified(handle, &url).await;
    let checked_at = Some(Utc::now());
    let waiting = lock(&updates.ready).is_some();
    match outcome {
        Ok(None) => {
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
            let (version, notes) = (
                update.version.clone(),
                update.body.as_deref().map(clean_notes),
            );
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
            tracing::warn!(code = error.code.as_str(), error = %error.message, "update check failed");
            set(handle, |s| {
                s.checking = false;
                s.error = Some(error);
                s.checked_at = checked_at;
                // A release already verified stays offered, with the failure beside it.
                if !waiting {
                    s.state = "failed";
                    s.version = None;
                    s.notes = None;
                }
            })
        }
    }
}

/// The fields that stay from one outcome to the next.
fn base(s: &UpdateStatus) -> UpdateStatus {
    UpdateStatus {
        state: s.state,
        checking: false,
        current: s.current,
        endpoint: s.endpoint.clone(),
        off_reason: s.off_reason.clone(),
        version: None,
        notes: None,
        checked_at: None,
        error: None,
    }
}

enum Found {
    /// The server offered this version, but its package is not Linkdesk's.
    Refused(String, AppError),
    Failed(AppError),
}

impl From<AppError> for Found {
    fn from(e: AppError) -> Self {
        Found::Failed(e)
    }
}

/// An http(s) address; only https in release builds (the manifest's
/// address and the package's).
fn web_url(what: &str, url: &str) -> Result<url::Url, AppError> {
    let parsed = url::Url::parse(url)
        .map_err(|e| AppError::invalid(format!("The {what} {url} is not a URL: {e}")))?;
    let allowed =
        parsed.scheme() == "https" || (parsed.scheme() == "http" && cfg!(debug_assertions));
    if !allowed {
        return Err(AppError::invalid(format!(
            "The {what} {url} is not an https address; Linkdesk fetches updates only over https"
        )));
    }
    Ok(parsed)
}

async fn find_verified(handle: &AppHandle, url: &str) -> Result<Option<(Update, Vec<u8>)>, Found> {
    let url = web_url("update address", url)?;
    let client = http::build_download_client(DOWNLOAD_TIMEOUT);
    let manifest = fetch(&client, url.clone(), MAX_MANIFEST_BYTES, MANIFEST_TIMEOUT).await?;
    let Some(manifest) = manifest else {
        tracing::info!(endpoint = %url, "update check: no update (204)");
        return Ok(None);
    };
    let raw: serde_json::Value = serde_json::from_slice(&manifest).map_err(|e| {
        AppError::new(
            ErrorCode::BadResponse,
            format!("{SERVER}'s answer is not an update manifest (not JSON: {e})"),
        )
    })?;
    let offered = raw
        .get("version")
        .and_then(|v| v.as_str())
        .unwrap_or("?")
        .to_string();
    let not_usable = |e: tauri_plugin_updater::Error| {
        AppError::new(
            ErrorCode::BadResponse,
            format!("{SERVER}'s manifest is not one Linkdesk can use: {e}"),
        )
    };
    #[allow(unused_mut)]
    let mut builder = handle
        .updater_builder()
        .endpoints(vec![url.clone()])
        .map_err(not_usable)?;
    #[cfg(debug_assertions)]
    if let Ok(key) = std::env::var(ENV_UPDATE_PUBKEY) {
        builder = builder.pubkey(key);
    }
    // The plugin compares versions and picks this platform's package; the
    // signature must name the version announced (`requireSignedVersion`).
    let update = builder
        .build()
        .map_err(not_usable)?
        .restore_update(raw)
        .map_err(not_usable)?;
    let Some(update) = update else {
        tracing::info!(
            endpoint = %url,
            offered = %offered,
            current = env!("CARGO_PKG_VERSION"),
            "update check: nothing newer than this version is offered"
        );
        return Ok(None);
    };
    let package = web_url("package address", update.download_url.as_str())?;
    let Some(bytes) = fetch(&client, package, MAX_PACKAGE_BYTES, DOWNLOAD_TIMEOUT).await? else {
        return Err(Found::Failed(AppError::new(
            ErrorCode::BadResponse,
            format!(
                "{SERVER} offered Linkdesk {} but sent no package",
                update.version
            ),
        )));
    };
    match update.verify(&bytes) {
        Ok(()) => Ok(Some((update, bytes))),
        Err(e) => Err(Found::Refused(
            update.version.clone(),
            refusal(&e, &update.version),
        )),
    }
}

/// GETs `url`, reading at most `max` bytes within `timeout`; None for 204
/// No Content. Every failure says what happened: unreachable, too slow, the
/// HTTP status, too big.
async fn fetch(
    client: &reqwest::Client,
    url: url::Url,
    max: usize,
    timeout: Duration,
) -> AppResult<Option<Vec<u8>>> {
    let resp = client.get(url).timeout(timeout).send().await.map_err(|e| {
        if e.is_timeout() {
            AppError::new(
                ErrorCode::Timeout,
                format!(
                    "{SERVER} did not finish answering within {} s",
                    timeout.as_secs()
                ),
            )
        } else {
            http::transport_error(SERVER, &e)
        }
    })?;
    let status = resp.status();
    if status == reqwest::StatusCode::NO_CONTENT {
        return Ok(None);
    }
    if !status.is_success() {
        return Err(http::status_error(SERVER, status, None, None));
    }
    http::read_body(SERVER, resp, max).await.map(Some)
}

/// Why a package was refused, in words: the signature's key, its version, or
/// a signature that cannot be read.
fn refusal(e: &tauri_plugin_updater::Error, version: &str) -> AppError {
    use tauri_plugin_updater::Error as E;
    let why = match e {
        E::SignedVersionMismatch { signed, .. } => format!(
            "its package is signed for version {signed}, not the {version} announced (an older package passed off as new)"
        ),
        E::MissingSignedVersion => {
            "its signature does not say which version it is for".to_string()
        }
        E::Minisign(minisign_verify::Error::UnexpectedKeyId) => {
            "its package is not signed with Linkdesk's release key".to_string()
        }
        E::Minisign(minisign_verify::Error::InvalidSignature) => {
            "its package does not match its signature (altered or damaged)".to_string()
        }
        _ => "its signature cannot be read".to_string(),
    };
    AppError::new(
        ErrorCode::BadSignature,
        format!("Linkdesk {version} was offered but refused: {why}. Nothing was installed."),
    )
}

/// Release notes as the window shows them: no direction overrides or
/// invisible characters (which could make one text read as another), no
/// control characters but line breaks and tabs, at most `MAX_NOTES_CHARS`.
pub fn clean_notes(notes: &str) -> String {
    let hidden = |c: char| {
        matches!(c,
            '\u{200B}'..='\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2060}'..='\u{206F}' | '\u{FEFF}' | '\u{061C}')
            || (c.is_control() && c != '\n' && c != '\t')
    };
    let kept: String = notes.chars().filter(|c| !hidden(*c)).collect();
    let kept = kept.trim();
    if kept.chars().count() > MAX_NOTES_CHARS {
        let cut: String = kept.chars().take(MAX_NOTES_CHARS).collect();
        format!("{cut}…\n(cut: the notes are longer)")
    } else {
        kept.to_string()
    }
}

/// Installs the verified package of `version` (the one the person saw), then
/// starts the new version. Refused while a refund is being sent (its outcome
/// must be heard first). A failed install keeps the package on offer.
pub async fn install(handle: &AppHandle, version: String) -> AppResult<()> {
    let app = handle.state::<crate::app::App>();
    if app.journal.sending_now() {
        return Err(AppError::new(
            ErrorCode::Busy,
            "A refund is being sent: install the update once it has an outcome.",
        ));
    }
    let updates = handle.state::<Updates>();
    let Ok(_one) = updates.running.try_lock() else {
        return Err(AppError::new(
            ErrorCode::Busy,
            "Linkdesk is checking for updates right now: try again in a moment.",
        ));
    };
    let Some((update, bytes)) = lock(&updates.ready).take() else {
        return Err(AppError::invalid(
            "No verified update is waiting: check for updates first.",
        ));
    };
    if update.version != version {
        let offered = update.version.clone();
        *lock(&updates.ready) = Some((update, bytes));
        return Err(AppError::new(
            ErrorCode::Conflict,
            format!("The update on offer is now Linkdesk {offered}, not {version}: nothing was installed. Look at it again from the top bar."),
        ));
    }
    set(handle, |s| s.state = "installing");
    tracing::info!(%version, "installing the update the person chose");
    let outcome = crate::app::blocking({
        let (update, bytes) = (update.clone(), bytes.clone());
        move || {
            update.install(&bytes).map_err(|e| {
                AppError::internal(format!(
                    "Linkdesk {} could not be installed: {e}",
                    update.version
                ))
            })
        }
    })
    .await;
    match outcome {
        Ok(()) => {
            tracing::info!(%version, "update installed; restarting");
            crate::logging::flush_at_exit();
            handle.restart()
        }
        Err(error) => {
            tracing::error!(%version, error = %error.message, "installing the update failed");
            *lock(&updates.ready) = Some((update, bytes));
            set(handle, |s| {
                s.state = "available";
                s.error = Some(error.clone());
            });
            Err(error)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn notes_lose_direction_overrides_and_invisible_characters() {
        assert_eq!(clean_notes("\u{202E}0.9.9 SAFE\u{202C}"), "0.9.9 SAFE");
        assert_eq!(clean_notes("a\u{200B}b\u{FEFF}c\u{2066}d"), "abcd");
        assert_eq!(
            clean_notes("line one\nline\ttwo\u{7}"),
            "line one\nline\ttwo"
        );
        let long = "x".repeat(MAX_NOTES_CHARS + 10);
        let cut = clean_notes(&long);
        assert!(cut.starts_with(&"x".repeat(MAX_NOTES_CHARS)));
        assert!(cut.ends_with("(cut: the notes are longer)"));
    }

    #[test]
    fn updates_come_only_from_web_addresses() {
        assert!(web_url("update address", "https://example.com/latest.json").is_ok());
        assert!(web_url("update address", "file:///etc/passwd").is_err());
        assert!(web_url("update address", "not a url").is_err());
        // The tests serve updates over plain HTTP on loopback; release
        // builds refuse it.
        assert_eq!(
            web_url("update address", "http://127.0.0.1/latest.json").is_ok(),
            cfg!(debug_assertions)
        );
    }
}
