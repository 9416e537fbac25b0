//! The state every command shares: the HTTP client, the cache, the data
//! directory and the active environment's session (its API clients).

use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, RwLock};

use serde::Serialize;

use crate::biller::{BillerClient, BillerCredentials};
use crate::cache::Cache;
use crate::error::{AppError, AppResult};

/// The embedded sandbox's environment ID in the cache and the settings.
pub const EMBEDDED_ENV_ID: &str = "embedded";

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EnvKind {
    Sandbox,
    Production,
}

/// What the UI knows of the active environment (no secret, ever).
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct EnvSummary {
    pub id: String,
    pub name: String,
    pub kind: EnvKind,
    pub biller_url: String,
    pub linkmoney_url: String,
}

/// One environment's live connection: built when it becomes active.
pub struct Session {
    pub env: EnvSummary,
    pub biller: BillerClient,
}

pub struct App {
    pub http: reqwest::Client,
    pub cache: Cache,
    pub data_dir: PathBuf,
    session: RwLock<Arc<Session>>,
    work_offline: AtomicBool,
    /// Things the user should read once, gathered at start-up (a cache file
    /// moved aside, for example).
    pub startup_notices: Vec<String>,
}

impl App {
    pub fn new(
        http: reqwest::Client,
        cache: Cache,
        data_dir: PathBuf,
        session: Session,
        startup_notices: Vec<String>,
    ) -> Self {
        Self {
            http,
            cache,
            data_dir,
            session: RwLock::new(Arc::new(session)),
            work_offline: AtomicBool::new(false),
            startup_notices,
        }
    }

    /// The active session. Cheap: commands take it once and use it throughout,
    /// so a switch mid-command cannot mix two environments.
    pub fn session(&self) -> Arc<Session> {
        self.session
            .read()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .clone()
    }

    pub fn set_session(&self, session: Session) {
        *self
            .session
            .write()
            .unwrap_or_else(|poisoned| poisoned.into_inner()) = Arc::new(session);
    }

    pub fn work_offline(&self) -> bool {
        self.work_offline.load(Ordering::Relaxed)
    }

    pub fn set_work_offline(&self, on: bool) {
        self.work_offline.store(on, Ordering::Relaxed);
    }
}

/// The session for a sandbox speaking both APIs at `biller_url`/`linkmoney_url`
/// with the sandbox's own credentials.
pub fn sandbox_session(
    http: &reqwest::Client,
    name: &str,
    biller_url: &str,
    linkmoney_url: &str,
) -> AppResult<Session> {
    let defaults = linkdesk_sandbox::Options::default();
    let biller = BillerClient::new(
        http.clone(),
        biller_url,
        BillerCredentials {
            client_id: defaults.biller_client_id,
            client_secret: defaults.biller_client_secret,
        },
    )?;
    Ok(Session {
        env: EnvSummary {
            id: EMBEDDED_ENV_ID.to_string(),
            name: name.to_string(),
            kind: EnvKind::Sandbox,
            biller_url: biller.base_url().to_string(),
            linkmoney_url: linkmoney_url.trim_end_matches('/').to_string(),
        },
        biller,
    })
}

/// Runs blocking cache work off the async runtime.
pub async fn blocking<T, F>(f: F) -> AppResult<T>
where
    T: Send + 'static,
    F: FnOnce() -> AppResult<T> + Send + 'static,
{
    tokio::task::spawn_blocking(f)
        .await
        .map_err(|e| AppError::internal(format!("background task failed: {e}")))?
}
