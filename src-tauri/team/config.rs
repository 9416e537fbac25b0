//! Which team store each environment kind uses: the URLs (never a password)
//! in `<data dir>/team.json`, each password in the OS keyring, and what the
//! last contact with each store found, for the top bar.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard};

use serde::{Deserialize, Serialize};

use super::{parse_url, TeamStore};
use crate::error::{AppError, AppResult};
use crate::secrets::{self, SecretString};

pub const FILE_NAME: &str = "team.json";
pub const KINDS: [&str; 2] = ["sandbox", "production"];

/// The keyring account of the password of the team store of `kind` at
/// `url`: a password belongs to one role on one server, so a new URL never
/// receives the password given for the old one.
pub fn password_account(kind: &str, url: &str) -> AppResult<String> {
    let shown = super::shown_url(&parse_url(url)?);
    Ok(format!("team/{kind}/{shown}/postgres-password"))
}

/// What `team.json` holds: a URL per environment kind.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TeamConfig {
    #[serde(default)]
    pub urls: HashMap<String, String>,
}

/// A team store's state as the top bar and Settings show it.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct TeamStatus {
    pub kind: String,
    /// The URL (no password), empty when this kind has no team store.
    pub url: String,
    pub password_set: bool,
    /// "off" (no team store), "unknown" (not reached yet), "connected" or
    /// "unreachable".
    pub state: String,
    /// The PostgreSQL role this seat is, once connected.
    pub agent: Option<String>,
    pub message: Option<String>,
    /// Audit entries waiting in the outbox (all kinds).
    pub waiting: u64,
}

/// The team stores of this seat (App state).
pub struct TeamSettings {
    path: PathBuf,
    config: Mutex<TeamConfig>,
    stores: Mutex<HashMap<String, TeamStore>>,
    status: Mutex<HashMap<String, TeamStatus>>,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

fn check_kind(kind: &str) -> AppResult<()> {
    if KINDS.contains(&kind) {
        Ok(())
    } else {
        Err(AppError::invalid(format!(
            "\"{kind}\" is not an environment kind (sandbox or production)"
        )))
    }
}

impl TeamSettings {
    /// Loads `team.json` (absent: no team mode). The stores are made but not
    /// connected; a password the keyring cannot give is said in the status.
    pub fn load(data_dir: &Path) -> (TeamSettings, Option<String>) {
        let path = data_dir.join(FILE_NAME);
        let (config, notice) = match std::fs::read(&path) {
            Err(_) => (TeamConfig::default(), None),
            Ok(bytes) => match serde_json::from_slice(&bytes) {
                Ok(c) => (c, None),
                Err(e) => (
                    TeamConfig::default(),
                    Some(format!(
                        "The team store settings {} could not be read ({e}); team mode is off until they are saved again.",
                        path.display()
                    )),
                ),
            },
        };
        let settings = TeamSettings {
            path,
            config: Mutex::new(TeamConfig::default()),
            stores: Mutex::new(HashMap::new()),
            status: Mutex::new(HashMap::new()),
        };
        for (kind, url) in &config.urls {
            if let Err(e) = settings.apply(kind, Some(url)) {
                tracing::warn!(kind, error = %e, "team store not configured");
            }
        }
        *lock(&settings.config) = config;
        (settings, notice)
    }

    /// The store of `kind`, if it has one.
    pub fn store(&self, kind: &str) -> Option<TeamStore> {
        lock(&self.stores).get(kind).cloned()
    }

    pub fn configured(&self) -> bool {
        !lock(&self.stores).is_empty()
    }

    fn apply(&self, kind: &str, url: Option<&str>) -> AppResult<()> {
        check_kind(kind)?;
        match url.map(str::trim).filter(|u| !u.is_empty()) {
            None => {
                lock(&self.stores).remove(kind);
            }
            Some(url) => {
                let password = secrets::get(&password_account(kind, url)?).unwrap_or(None);
                let store = TeamStore::new(kind, url, password)?;
                lock(&self.stores).insert(kind.to_string(), store);
            }
        }
        lock(&self.status).remove(kind);
        Ok(())
    }

    /// Sets (or, with an empty URL, removes) the team store of `kind`; a
    /// given password goes to the keyring (empty: keep the stored one).
    pub fn save(&self, kind: &str, url: &str, password: Option<SecretString>) -> AppResult<()> {
        check_kind(kind)?;
        let url = url.trim();
        if !url.is_empty() {
            parse_url(url)?;
        }
        if let Some(p) = password.filter(|p| !p.is_empty()) {
            if url.is_empty() {
                return Err(AppError::invalid(
                    "Give the team store's URL with its password",
                ));
            }
            secrets::set(&password_account(kind, url)?, &p)?;
        }
        let mut config = lock(&self.config).clone();
        // The old URL's password is forgotten with it.
        if let Some(old) = config.urls.get(kind) {
            let old_account = password_account(kind, old).ok();
            let new_account = password_account(kind, url).ok();
            if let (Some(old_account), true) = (&old_account, old_account != new_account) {
                secrets::delete(old_account)?;
            }
        }
        if url.is_empty() {
            config.urls.remove(kind);
        } else {
            config.urls.insert(kind.to_string(), url.to_string());
        }
        let json =
            serde_json::to_vec_pretty(&config).map_err(|e| AppError::internal(e.to_string()))?;
        let tmp = self.path.with_extension("json.tmp");
        std::fs::write(&tmp, json)
            .and_then(|_| std::fs::rename(&tmp, &self.path))
            .map_err(|e| {
                AppError::internal(format!("Could not save the team store settings: {e}"))
            })?;
        self.apply(kind, Some(url))?;
        *lock(&self.config) = config;
        Ok(())
    }

    /// Records what the last contact with `kind`'s store found.
    pub fn note(&self, kind: &str, result: &AppResult<String>) {
        let mut status = lock(&self.status);
        let entry = status
            .entry(kind.to_string())
            .or_insert_with(|| TeamStatus {
                kind: kind.to_string(),
                url: String::new(),
                password_set: false,
                state: "unknown".into(),
                agent: None,
                message: None,
                waiting: 0,
            });
        match result {
            Ok(agent) => {
                entry.state = "connected".into();
                entry.agent = Some(agent.clone());
                entry.message = None;
            }
            Err(e) => {
                entry.state = "unreachable".into();
                entry.message = Some(e.message.clone());
            }
        }
    }

    /// Every kind's state; `waiting` is the outbox's count.
    pub fn statuses(&self, waiting: u64) -> Vec<TeamStatus> {
        let config = lock(&self.config).clone();
        let status = lock(&self.status).clone();
        KINDS
            .iter()
            .map(|kind| {
                let url = config.urls.get(*kind).cloned().unwrap_or_default();
                let password_set = password_account(kind, &url)
                    .is_ok_and(|a| matches!(secrets::get(&a), Ok(Some(_))));
                let known = status.get(*kind);
                TeamStatus {
                    kind: kind.to_string(),
                    state: if url.is_empty() {
                        "off".into()
                    } else {
                        known.map_or("unknown".into(), |s| s.state.clone())
                    },
                    agent: known.and_then(|s| s.agent.clone()),
                    message: known.and_then(|s| s.message.clone()),
                    url,
                    password_set,
                    waiting,
                }
            })
            .collect()
    }
}
