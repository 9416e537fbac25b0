//! Environments the user adds (the embedded sandbox is built in and never
//! stored). Names, kinds, URLs and client IDs are ordinary settings in
//! `<data dir>/environments.json`; secrets live only in the OS keyring.

use std::path::{Path, PathBuf};
use std::sync::Mutex;

use serde::{Deserialize, Serialize};

use crate::error::{AppError, AppResult};
use crate::http::validate_base_url;
use crate::secrets::{self, SecretSlot};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EnvKind {
    Sandbox,
    Production,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Environment {
    pub id: String,
    pub name: String,
    pub kind: EnvKind,
    pub biller_url: String,
    pub linkmoney_url: String,
    #[serde(default)]
    pub merchant_id: String,
    #[serde(default)]
    pub biller_client_id: String,
    #[serde(default)]
    pub linkmoney_client_id: String,
    /// BillerAPI link operations a minute this environment's client may make:
    /// the documented 100, or the limit negotiated for the client. The sync
    /// keeps `sync::BROWSING_RESERVE` of it for the person browsing.
    #[serde(default = "default_link_ops_per_minute")]
    pub link_ops_per_minute: u32,
}

/// The documented limit of BillerAPI link operations per client.
pub const DEFAULT_LINK_OPS_PER_MINUTE: u32 = 100;
/// The highest budget accepted: far above any negotiated limit, it only
/// catches a typo.
pub const MAX_LINK_OPS_PER_MINUTE: u32 = 100_000;

fn default_link_ops_per_minute() -> u32 {
    DEFAULT_LINK_OPS_PER_MINUTE
}

#[derive(Debug, Default, Serialize, Deserialize)]
struct Settings {
    #[serde(default)]
    environments: Vec<Environment>,
    #[serde(default)]
    active: Option<String>,
}

pub struct EnvStore {
    path: PathBuf,
    settings: Mutex<Settings>,
}

impl EnvStore {
    /// Loads `environments.json`; an unreadable file is moved aside (and said
    /// so in the returned notice) rather than stopping the app.
    pub fn load(data_dir: &Path) -> (EnvStore, Option<String>) {
        let path = data_dir.join("environments.json");
        let (settings, notice) = match std::fs::read(&path) {
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => (Settings::default(), None),
            Err(e) => (
                Settings::default(),
                Some(format!("The environment settings could not be read ({e}).")),
            ),
            Ok(bytes) => match serde_json::from_slice::<Settings>(&bytes) {
                Ok(mut s) => {
                    // Saved by an older Linkdesk or edited by hand: a sandbox
                    // environment on a production service is production.
                    let mut moved = Vec::new();
                    for env in &mut s.environments {
                        if env.kind == EnvKind::Sandbox
                            && (is_production_service(&env.biller_url)
                                || is_production_service(&env.linkmoney_url))
                        {
                            env.kind = EnvKind::Production;
                            moved.push(format!("\"{}\"", env.name));
                        }
                    }
                    let notice = (!moved.is_empty()).then(|| {
                        format!(
                            "{} point at the vendors' production services, so Linkdesk treats them as production (red banner, writes locked until unlocked).",
                            moved.join(", ")
                        )
                    });
                    (s, notice)
                }
                Err(e) => {
                    let aside = path.with_extension(format!(
                        "json.unreadable-{}",
                        chrono::Utc::now().format("%Y%m%dT%H%M%SZ")
                    ));
                    let _ = std::fs::rename(&path, &aside);
                    tracing::warn!(error = %e, aside = %aside.display(), "environments.json was unreadable and was moved aside");
                    (
                        Settings::default(),
                        Some(format!(
                            "The environment settings were unreadable ({e}); they were moved to {}.",
                            aside.display()
                        )),
                    )
                }
            },
        };
        (
            EnvStore {
                path,
                settings: Mutex::new(settings),
            },
            notice,
        )
    }

    fn with<T>(&self, f: impl FnOnce(&mut Settings) -> T) -> T {
        let mut guard = self.settings.lock().unwrap_or_else(|p| p.into_inner());
        f(&mut guard)
    }

    fn save(&self, settings: &Settings) -> AppResult<()> {
        let json =
            serde_json::to_vec_pretty(settings).map_err(|e| AppError::internal(e.to_string()))?;
        // Write then rename: a crash never leaves a half-written file.
        let tmp = self.path.with_extension("json.tmp");
        std::fs::write(&tmp, json)
            .and_then(|_| std::fs::rename(&tmp, &self.path))
            .map_err(|e| {
                AppError::internal(format!("Could not save the environment settings: {e}"))
            })
    }

    pub fn list(&self) -> Vec<Environment> {
        self.with(|s| s.environments.clone())
    }

    pub fn get(&self, id: &str) -> Option<Environment> {
        self.with(|s| s.environments.iter().find(|e| e.id == id).cloned())
    }

    pub fn active(&self) -> Option<String> {
        self.with(|s| s.active.clone())
    }

    pub fn set_active(&self, id: Option<&str>) -> AppResult<()> {
        self.with(|s| {
            s.active = id.map(str::to_string);
            self.save(s)
        })
    }

    /// An environment as it would be saved: every field checked and
    /// normalised (trimmed, no trailing `/`), its name unique, and, when it
    /// replaces one, that one still there. Nothing is written.
    pub fn prepare(&self, mut env: Environment, builtin_names: &[&str]) -> AppResult<Environment> {
        env.name = env.name.trim().to_string();
        if env.name.is_empty() || env.name.chars().count() > 60 {
            return Err(AppError::invalid(
                "An environment needs a name of 1 to 60 characters",
            ));
        }
        env.biller_url = checked_url("BillerAPI", &env.biller_url, env.kind)?;
        env.linkmoney_url = checked_url("Link Money", &env.linkmoney_url, env.kind)?;
        env.merchant_id = env.merchant_id.trim().to_string();
        env.biller_client_id = env.biller_client_id.trim().to_string();
        env.linkmoney_client_id = env.linkmoney_client_id.trim().to_string();
        if !(1..=MAX_LINK_OPS_PER_MINUTE).contains(&env.link_ops_per_minute) {
            return Err(AppError::invalid(format!(
                "The link-operation budget must be 1 to {MAX_LINK_OPS_PER_MINUTE} a minute (BillerAPI documents {DEFAULT_LINK_OPS_PER_MINUTE})"
            )));
        }
        self.with(|s| {
            let taken = builtin_names
                .iter()
                .any(|n| n.eq_ignore_ascii_case(&env.name))
                || s.environments
                    .iter()
                    .any(|e| e.id != env.id && e.name.eq_ignore_ascii_case(&env.name));
            if taken {
                return Err(AppError::invalid(format!(
                    "An environment named \"{}\" already exists",
                    env.name
                )));
            }
            if !env.id.is_empty() && !s.environments.iter().any(|e| e.id == env.id) {
                return Err(AppError::new(
                    crate::error::ErrorCode::NotFound,
                    "That environment no longer exists",
                ));
            }
            Ok(env)
        })
    }

    /// Adds (no `id`) or replaces an environment after checking every field.
    pub fn upsert(&self, env: Environment, builtin_names: &[&str]) -> AppResult<Environment> {
        let mut env = self.prepare(env, builtin_names)?;
        self.with(|s| {
            if env.id.is_empty() {
                env.id = new_id();
                s.environments.push(env.clone());
            } else {
                let slot = s
                    .environments
                    .iter_mut()
                    .find(|e| e.id == env.id)
                    .ok_or_else(|| {
                        AppError::new(
                            crate::error::ErrorCode::NotFound,
                            "That environment no longer exists",
                        )
                    })?;
                *slot = env.clone();
            }
            self.save(s)?;
            Ok(env)
        })
    }

    /// Removes an environment and its secrets. Secrets go first: an
    /// environment is never deleted while its secrets stay behind.
    pub fn delete(&self, id: &str) -> AppResult<()> {
        if self.get(id).is_none() {
            return Err(AppError::new(
                crate::error::ErrorCode::NotFound,
                "That environment no longer exists",
            ));
        }
        secrets::delete(&secrets::account(id, SecretSlot::BillerClientSecret))?;
        secrets::delete(&secrets::account(id, SecretSlot::LinkMoneyClientSecret))?;
        self.with(|s| {
            s.environments.retain(|e| e.id != id);
            if s.active.as_deref() == Some(id) {
                s.active = None;
            }
            self.save(s)
        })
    }
}

/// The vendors' production API hosts (`api/README.md`).
const PRODUCTION_HOSTS: [&str; 2] = ["api.billerapi.com", "api.link.money"];

/// Whether `url` is one of the vendors' production services.
pub fn is_production_service(url: &str) -> bool {
    url::Url::parse(url)
        .ok()
        .and_then(|u| {
            u.host_str()
                .map(|h| h.trim_end_matches('.').to_ascii_lowercase())
        })
        .is_some_and(|h| PRODUCTION_HOSTS.contains(&h.as_str()))
}

/// A base URL checked for its environment: a production environment talks to
/// its services over `https://` only, so its credentials and its money never
/// travel unencrypted; a sandbox environment never talks to the vendors'
/// production services, which would move real money with neither the red
/// banner nor the write lock.
fn checked_url(service: &str, url: &str, kind: EnvKind) -> AppResult<String> {
    let url = validate_base_url(url)
        .map_err(|e| AppError::invalid(format!("{service} URL: {}", e.message)))?;
    let https = url::Url::parse(&url).is_ok_and(|u| u.scheme() == "https");
    if kind == EnvKind::Production && !https {
        return Err(AppError::invalid(format!(
            "{service} URL: a production environment accepts only https:// URLs, so its credentials and payments never travel unencrypted (\"{url}\")"
        )));
    }
    if kind == EnvKind::Sandbox && is_production_service(&url) {
        return Err(AppError::invalid(format!(
            "{service} URL: {url} is the vendor's production service, and a sandbox environment cannot point at it (real money, without the production banner and write lock). Choose the kind Production."
        )));
    }
    Ok(url)
}

fn new_id() -> String {
    let uuid = uuid::Uuid::new_v4().simple().to_string();
    format!("env_{}", &uuid[..12])
}

/// The documented base URLs (`api/README.md`), offered as presets.
pub const PRESETS: [(&str, EnvKind, &str, &str); 2] = [
    (
        "Vendor sandbox",
        EnvKind::Sandbox,
        "https://sandbox.api.billerapi.com",
        "https://api.link-sandbox.money",
    ),
    (
        "Production",
        EnvKind::Production,
        "https://api.billerapi.com",
        "https://api.link.money",
    ),
];

#[cfg(test)]
mod tests {
    use super::*;

    fn sample(name: &str) -> Environment {
        Environment {
            id: String::new(),
            name: name.into(),
            kind: EnvKind::Production,
            biller_url: "https://api.billerapi.com/".into(),
            linkmoney_url: "https://api.link.money".into(),
            merchant_id: " m1 ".into(),
            biller_client_id: "c".into(),
            linkmoney_client_id: "l".into(),
            link_ops_per_minute: DEFAULT_LINK_OPS_PER_MINUTE,
        }
    }

    #[test]
    fn the_link_operation_budget_defaults_to_the_documented_limit_and_is_checked() {
        let dir = tempfile::tempdir().unwrap();
        let (store, _) = EnvStore::load(dir.path());
        // Settings saved before the budget existed read as the documented 100.
        let old: Environment = serde_json::from_str(
            r#"{"id":"env_1","name":"Old","kind":"sandbox","billerUrl":"https://a","linkmoneyUrl":"https://b"}"#,
        )
        .unwrap();
        assert_eq!(old.link_ops_per_minute, DEFAULT_LINK_OPS_PER_MINUTE);
        let negotiated = Environment {
            link_ops_per_minute: 600,
            ..sample("Negotiated")
        };
        let saved = store.upsert(negotiated, &[]).unwrap();
        assert_eq!(store.get(&saved.id).unwrap().link_ops_per_minute, 600);
        for bad in [0, MAX_LINK_OPS_PER_MINUTE + 1] {
            let e = store
                .upsert(
                    Environment {
                        link_ops_per_minute: bad,
                        ..sample("Bad budget")
                    },
                    &[],
                )
                .unwrap_err();
            assert_eq!(e.code, crate::error::ErrorCode::InvalidInput, "{bad}");
        }
    }

    #[test]
    fn environments_persist_and_validate() {
        let dir = tempfile::tempdir().unwrap();
        let (store, notice) = EnvStore::load(dir.path());
        assert!(notice.is_none());
        let saved = store
            .upsert(sample("Prod EU"), &["Embedded sandbox"])
            .unwrap();
        assert!(saved.id.starts_with("env_"));
        assert_eq!(saved.biller_url, "https://api.billerapi.com");
        assert_eq!(saved.merchant_id, "m1");
        assert!(
            store.upsert(sample("prod eu"), &[]).is_err(),
            "names are unique"
        );
        assert!(store
            .upsert(sample("Embedded sandbox"), &["Embedded sandbox"])
            .is_err());
        let mut bad = sample("Bad");
        bad.linkmoney_url = "ftp://x".into();
        assert!(store.upsert(bad, &[]).is_err());
        store.set_active(Some(&saved.id)).unwrap();
        let (again, _) = EnvStore::load(dir.path());
        assert_eq!(again.list(), vec![saved.clone()]);
        assert_eq!(again.active(), Some(saved.id));
    }

    #[test]
    fn production_accepts_only_https() {
        let dir = tempfile::tempdir().unwrap();
        let (store, _) = EnvStore::load(dir.path());
        let mut plain = sample("Prod plain");
        plain.linkmoney_url = "http://api.link.money".into();
        let err = store.upsert(plain.clone(), &[]).unwrap_err();
        assert_eq!(err.code, crate::error::ErrorCode::InvalidInput);
        assert!(err.message.contains("only https://"), "{}", err.message);
        assert!(store.list().is_empty(), "nothing was saved");
        plain.kind = EnvKind::Sandbox;
        plain.linkmoney_url = "http://127.0.0.1:8080".into();
        plain.biller_url = "http://127.0.0.1:8080".into();
        store.upsert(plain, &[]).unwrap();
        let mut upper = sample("Prod upper");
        upper.biller_url = "HTTPS://api.billerapi.com".into();
        store.upsert(upper, &[]).unwrap();
    }

    #[test]
    fn a_sandbox_never_points_at_a_production_service() {
        let dir = tempfile::tempdir().unwrap();
        let (store, _) = EnvStore::load(dir.path());
        for (biller, linkmoney) in [
            (
                "https://sandbox.api.billerapi.com",
                "https://API.Link.Money./",
            ),
            (
                "https://api.billerapi.com/v1",
                "https://api.link-sandbox.money",
            ),
        ] {
            let env = Environment {
                kind: EnvKind::Sandbox,
                biller_url: biller.into(),
                linkmoney_url: linkmoney.into(),
                ..sample("Sandbox on production")
            };
            let err = store.upsert(env, &[]).unwrap_err();
            assert!(
                err.message.contains("production service"),
                "{}",
                err.message
            );
        }
        assert!(store.list().is_empty());
        // A file saved before this check: the environment is production.
        std::fs::write(
            dir.path().join("environments.json"),
            r#"{"environments":[{"id":"env_1","name":"Looks safe","kind":"sandbox","billerUrl":"https://sandbox.api.billerapi.com","linkmoneyUrl":"https://api.link.money"}]}"#,
        )
        .unwrap();
        let (store, notice) = EnvStore::load(dir.path());
        assert_eq!(store.get("env_1").unwrap().kind, EnvKind::Production);
        assert!(notice.unwrap().contains("\"Looks safe\""));
    }

    #[test]
    fn an_unreadable_settings_file_is_moved_aside() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("environments.json"), b"{not json").unwrap();
        let (store, notice) = EnvStore::load(dir.path());
        assert!(notice.unwrap().contains("moved"));
        assert!(store.list().is_empty());
    }
}
