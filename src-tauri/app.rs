//! The state every command shares: the HTTP client, the cache, the settings,
//! and the active environment's session.

use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, RwLock};

use crate::cache::Cache;
use crate::environments::{EnvKind, EnvStore, Environment};
use crate::error::{AppError, AppResult, ErrorCode};
use crate::journal::Journal;
use crate::secrets::SecretString;
use crate::session::Session;

/// The built-in environment's ID in the cache and the settings.
pub const EMBEDDED_ENV_ID: &str = "embedded";

/// The sandbox embedded in the app (the cargo feature `embedded-sandbox`, on
/// by default). A build without it has no such value.
#[cfg(feature = "embedded-sandbox")]
pub type EmbeddedSandbox = linkdesk_sandbox::Sandbox;
#[cfg(not(feature = "embedded-sandbox"))]
pub enum EmbeddedSandbox {}

/// The sandbox's published credentials (its defaults, see
/// `linkdesk-sandbox --help`): what the built-in environment uses for a
/// sandbox given by URL. Not secrets.
pub const SANDBOX_MERCHANT_ID: &str = "merchant_sandbox";
pub const SANDBOX_BILLER_CLIENT_ID: &str = "client_sandbox";
pub const SANDBOX_BILLER_CLIENT_SECRET: &str = "bb_test_sandbox_secret";
pub const SANDBOX_LINKMONEY_CLIENT_ID: &str = "lm_sandbox_client";
pub const SANDBOX_LINKMONEY_CLIENT_SECRET: &str = "lm_sandbox_secret";

pub struct App {
    /// Every environment's client: system proxy, OS certificate store. Made
    /// when first needed (`http()`): loading the certificate store is not
    /// start-up work when the built-in sandbox is all the window asks.
    http: std::sync::OnceLock<reqwest::Client>,
    /// The built-in environment's client: the embedded sandbox listens on this
    /// machine's loopback, which no proxy can reach, so it is reached directly.
    builtin_http: reqwest::Client,
    /// The built-in environment's client secrets (BillerAPI, Link Money): the
    /// embedded sandbox's, made for this launch, or the sandbox's published
    /// ones for URLs given in the environment. Never in the keyring.
    builtin_secrets: (SecretString, SecretString),
    pub cache: Cache,
    /// The refund journal, audit log and durable preferences (never the cache).
    pub journal: Journal,
    /// The journal, audit log and settings: kept, and roaming where the OS
    /// roams (`app_data_dir`).
    pub data_dir: PathBuf,
    /// The cache, the webview's storage and the logs: this machine only
    /// (`app_local_data_dir`; on Linux and macOS the same folder).
    pub local_dir: PathBuf,
    pub envs: EnvStore,
    /// The built-in sandbox environment (the embedded one, or the URLs given
    /// by LINKDESK_BILLER_URL / LINKDESK_LINKMONEY_URL).
    pub builtin: Environment,
    session: RwLock<Arc<Session>>,
    work_offline: AtomicBool,
    /// Things the user should read once, gathered at start-up.
    pub startup_notices: Vec<String>,
    /// Kept so the embedded sandbox serves as long as the app runs.
    _embedded: Option<EmbeddedSandbox>,
    /// The full sync in progress, if any: its environment and its cancel switch.
    pub sync: std::sync::Mutex<Option<(String, crate::sync::SyncCancel)>>,
    /// What the start-up look at refunds left open found (once it is done),
    /// for the window to show whenever it asks.
    pub startup_refunds: std::sync::Mutex<Option<Vec<crate::journal::RefundRow>>>,
    /// Team mode: the team store of each environment kind (none: a single seat).
    pub team: crate::team::TeamSettings,
}

impl App {
    /// Opens everything kept in `data_dir` (cache, journal, settings) and
    /// starts on the built-in environment, or the one used last. What the
    /// user should know about that (a file moved aside) is in `startup_notices`.
    pub fn open(
        data_dir: PathBuf,
        builtin: Environment,
        embedded: Option<EmbeddedSandbox>,
    ) -> AppResult<Self> {
        Self::open_in(data_dir.clone(), data_dir, builtin, embedded)
    }

    /// `open`, with the cache in `local_dir`.
    pub fn open_in(
        data_dir: PathBuf,
        local_dir: PathBuf,
        builtin: Environment,
        embedded: Option<EmbeddedSandbox>,
    ) -> AppResult<Self> {
        let mut startup_notices = Vec::new();
        let cache = open_cache(&local_dir, &mut startup_notices)?;
        let (journal, notice) = Journal::open(&data_dir);
        startup_notices.extend(notice);
        if let Err(e) = journal.ensure_can_send() {
            if e.code == ErrorCode::JournalInUse {
                startup_notices.push(e.message);
            }
        }
        let (envs, notice) = EnvStore::load(&data_dir);
        startup_notices.extend(notice);
        let (team, notice) = crate::team::TeamSettings::load(&data_dir);
        startup_notices.extend(notice);
        let http = std::sync::OnceLock::new();
        let builtin_http = match embedded {
            Some(_) => crate::http::build_loopback_client(),
            None => http.get_or_init(crate::http::build_client).clone(),
        };
        let builtin_secrets = match &embedded {
            #[cfg(feature = "embedded-sandbox")]
            Some(sandbox) => (
                SecretString::new(sandbox.options().biller_client_secret.clone()),
                SecretString::new(sandbox.options().linkmoney_client_secret.clone()),
            ),
            #[cfg(not(feature = "embedded-sandbox"))]
            Some(never) => match *never {},
            None => (
                SecretString::new(SANDBOX_BILLER_CLIENT_SECRET),
                SecretString::new(SANDBOX_LINKMONEY_CLIENT_SECRET),
            ),
        };
        let session = builtin_session(&builtin_http, &builtin, &builtin_secrets);
        let app = Self {
            http,
            builtin_http,
            builtin_secrets,
            cache,
            journal,
            data_dir,
            local_dir,
            envs,
            builtin,
            session: RwLock::new(Arc::new(session)),
            work_offline: AtomicBool::new(false),
            startup_notices,
            _embedded: embedded,
            sync: std::sync::Mutex::new(None),
            startup_refunds: std::sync::Mutex::new(None),
            team,
        };
        app.refresh_team_route();
        // Come back to the environment used last; it opens locked if production.
        if let Some(id) = app.envs.active() {
            if let Err(e) = app.switch(&id) {
                tracing::warn!(error = %e, "could not restore the last environment");
            }
        }
        Ok(app)
    }

    /// The active session. Commands take it once and use it throughout, so a
    /// switch mid-command cannot mix two environments. Taking it is not an
    /// action of the person: it never keeps a production unlock alive.
    pub fn session(&self) -> Arc<Session> {
        self.session
            .read()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .clone()
    }

    /// Every environment's client (see the field).
    pub fn http(&self) -> &reqwest::Client {
        self.http.get_or_init(crate::http::build_client)
    }

    /// Makes `id` the active environment: a new session, locked if production.
    pub fn switch(&self, id: &str) -> AppResult<()> {
        let session = if id == EMBEDDED_ENV_ID {
            self.builtin_session()
        } else {
            let env = self.envs.get(id).ok_or_else(|| {
                AppError::new(ErrorCode::NotFound, "That environment no longer exists")
            })?;
            Session::from_keyring(self.http(), env)
        };
        self.envs
            .set_active((id != EMBEDDED_ENV_ID).then_some(id))?;
        tracing::info!(environment = %session.env.name, "environment switched");
        *self
            .session
            .write()
            .unwrap_or_else(|poisoned| poisoned.into_inner()) = Arc::new(session);
        Ok(())
    }

    /// A new session on the built-in environment.
    pub fn builtin_session(&self) -> Session {
        builtin_session(&self.builtin_http, &self.builtin, &self.builtin_secrets)
    }

    /// The built-in environment followed by the user's own.
    pub fn environments(&self) -> Vec<Environment> {
        std::iter::once(self.builtin.clone())
            .chain(self.envs.list())
            .collect()
    }

    /// Tells the journal which environments' audit entries are queued for
    /// a team store (their kind has one); called whenever the environments
    /// or the team stores change.
    pub fn refresh_team_route(&self) {
        let kinds: std::collections::HashMap<String, String> = self
            .environments()
            .into_iter()
            .filter_map(|env| {
                let kind = kind_name(env.kind);
                self.team.store(kind).map(|_| (env.id, kind.to_string()))
            })
            .collect();
        let route: Option<crate::journal::TeamRoute> = (!kinds.is_empty())
            .then(|| Arc::new(move |id: &str| kinds.get(id).cloned()) as crate::journal::TeamRoute);
        self.journal.set_team_route(route);
    }

    pub fn work_offline(&self) -> bool {
        self.work_offline.load(Ordering::Relaxed)
    }

    pub fn set_work_offline(&self, on: bool) {
        self.work_offline.store(on, Ordering::Relaxed);
    }
}

/// An environment kind as the team store names it.
pub fn kind_name(kind: EnvKind) -> &'static str {
    match kind {
        EnvKind::Sandbox => "sandbox",
        EnvKind::Production => "production",
    }
}

/// The built-in sandbox environment at these URLs.
pub fn builtin_environment(name: &str, biller_url: &str, linkmoney_url: &str) -> Environment {
    Environment {
        id: EMBEDDED_ENV_ID.to_string(),
        name: name.to_string(),
        kind: EnvKind::Sandbox,
        biller_url: biller_url.trim_end_matches('/').to_string(),
        linkmoney_url: linkmoney_url.trim_end_matches('/').to_string(),
        merchant_id: SANDBOX_MERCHANT_ID.to_string(),
        biller_client_id: SANDBOX_BILLER_CLIENT_ID.to_string(),
        linkmoney_client_id: SANDBOX_LINKMONEY_CLIENT_ID.to_string(),
        link_ops_per_minute: crate::environments::DEFAULT_LINK_OPS_PER_MINUTE,
    }
}

/// The built-in sandbox's credentials never touch the keyring.
fn builtin_session(
    http: &reqwest::Client,
    env: &Environment,
    (biller, linkmoney): &(SecretString, SecretString),
) -> Session {
    Session::with_credentials(
        http,
        env.clone(),
        true,
        Some(biller.clone()),
        Some(linkmoney.clone()),
    )
}

#[cfg(all(test, feature = "embedded-sandbox"))]
mod sandbox_defaults_tests {
    #[test]
    fn the_published_credentials_are_the_sandboxs_defaults() {
        let o = linkdesk_sandbox::Options::default();
        assert_eq!(o.merchant_id, super::SANDBOX_MERCHANT_ID);
        assert_eq!(o.biller_client_id, super::SANDBOX_BILLER_CLIENT_ID);
        assert_eq!(o.biller_client_secret, super::SANDBOX_BILLER_CLIENT_SECRET);
        assert_eq!(o.linkmoney_client_id, super::SANDBOX_LINKMONEY_CLIENT_ID);
        assert_eq!(
            o.linkmoney_client_secret,
            super::SANDBOX_LINKMONEY_CLIENT_SECRET
        );
    }
}

/// Runs blocking work (SQLite, the keyring over D-Bus, the settings file) on
/// a blocking thread: never on the window's main thread or the async workers.
/// The one way Linkdesk does this: `blocking(move || Ok(cache.x()?))`.
pub async fn blocking<T, F>(f: F) -> AppResult<T>
where
    T: Send + 'static,
    F: FnOnce() -> AppResult<T> + Send + 'static,
{
    tokio::task::spawn_blocking(f)
        .await
        .map_err(|e| AppError::internal(format!("background task failed: {e}")))?
}

/// A cache that cannot be opened even after moving the bad file aside must not
/// stop the app: it then runs on a fresh cache in a temporary directory.
fn open_cache(data_dir: &std::path::Path, notices: &mut Vec<String>) -> AppResult<Cache> {
    match Cache::open(data_dir) {
        Ok((cache, report)) => {
            if let Some(moved) = report.moved_aside_to {
                let why = report
                    .reason
                    .unwrap_or_else(|| "it could not be read".into());
                let msg = format!(
                    "The local cache was unreadable ({why}). It was moved to {} and a fresh cache was started.",
                    moved.display()
                );
                tracing::warn!("{msg}");
                notices.push(msg);
            }
            Ok(cache)
        }
        Err(e) => {
            let fallback =
                std::env::temp_dir().join(format!("linkdesk-cache-{}", std::process::id()));
            std::fs::create_dir_all(&fallback)
                .map_err(|e| AppError::internal(format!("No usable cache directory: {e}")))?;
            let msg = format!(
                "The local cache in {} could not be opened ({e}). A temporary cache is used for this session.",
                data_dir.display()
            );
            tracing::error!("{msg}");
            notices.push(msg);
            Ok(Cache::open(&fallback)?.0)
        }
    }
}
