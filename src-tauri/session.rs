//! The active environment's live connection: its API clients, built from the
//! settings and the keyring when it becomes active, and the production guard.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde::Serialize;

use crate::biller::{BillerClient, BillerCredentials};
use crate::environments::{EnvKind, Environment};
use crate::error::{AppError, AppResult, ErrorCode};
use crate::linkmoney::{LinkMoneyClient, TokenManager};
use crate::secrets::{self, SecretSlot, SecretString};

/// A production environment locks itself again after this long without use.
pub const UNLOCK_IDLE: Duration = Duration::from_secs(15 * 60);

/// What the UI knows of an environment (no secret, ever).
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct EnvSummary {
    pub id: String,
    pub name: String,
    pub kind: EnvKind,
    pub biller_url: String,
    pub linkmoney_url: String,
    pub merchant_id: String,
    pub builtin: bool,
}

pub struct Session {
    pub env: EnvSummary,
    biller: Result<BillerClient, AppError>,
    linkmoney: Result<LinkMoneyClient, AppError>,
    pub guard: WriteGuard,
}

impl Session {
    /// A session whose credentials are given directly (the built-in sandbox).
    pub fn with_credentials(
        http: &reqwest::Client,
        env: Environment,
        builtin: bool,
        biller_secret: Option<SecretString>,
        linkmoney_secret: Option<SecretString>,
    ) -> Session {
        let biller = match biller_secret {
            _ if env.biller_client_id.is_empty() => {
                Err(not_configured(&env.name, "BillerAPI client ID"))
            }
            None => Err(not_configured(&env.name, "BillerAPI client secret")),
            Some(secret) => BillerClient::new(
                http.clone(),
                &env.biller_url,
                BillerCredentials {
                    client_id: env.biller_client_id.clone(),
                    client_secret: secret.expose().to_string(),
                },
            ),
        };
        let linkmoney = match linkmoney_secret {
            _ if env.linkmoney_client_id.is_empty() => {
                Err(not_configured(&env.name, "Link Money client ID"))
            }
            None => Err(not_configured(&env.name, "Link Money client secret")),
            Some(secret) => TokenManager::new(
                http.clone(),
                &env.linkmoney_url,
                &env.linkmoney_client_id,
                secret,
            )
            .and_then(|tokens| {
                LinkMoneyClient::new(
                    http.clone(),
                    &env.linkmoney_url,
                    &env.merchant_id,
                    Arc::new(tokens),
                )
            }),
        };
        Session {
            guard: WriteGuard::new(env.kind == EnvKind::Production),
            env: EnvSummary {
                id: env.id,
                name: env.name,
                kind: env.kind,
                biller_url: env.biller_url,
                linkmoney_url: env.linkmoney_url,
                merchant_id: env.merchant_id,
                builtin,
            },
            biller,
            linkmoney,
        }
    }

    /// A stored environment: its secrets come from the keyring. A keyring that
    /// cannot be read leaves that service unconfigured with the keyring's message.
    pub fn from_keyring(http: &reqwest::Client, env: Environment) -> Session {
        let read = |slot| secrets::get(&secrets::account(&env.id, slot));
        let biller = read(SecretSlot::BillerClientSecret);
        let linkmoney = read(SecretSlot::LinkMoneyClientSecret);
        let keyring_error = biller.as_ref().err().or(linkmoney.as_ref().err()).cloned();
        let mut session = Session::with_credentials(
            http,
            env,
            false,
            biller.ok().flatten(),
            linkmoney.ok().flatten(),
        );
        if let Some(e) = keyring_error {
            session.biller = Err(e.clone());
            session.linkmoney = Err(e);
        }
        session
    }

    pub fn biller(&self) -> AppResult<&BillerClient> {
        self.biller.as_ref().map_err(Clone::clone)
    }

    pub fn linkmoney(&self) -> AppResult<&LinkMoneyClient> {
        self.linkmoney.as_ref().map_err(Clone::clone)
    }
}

fn not_configured(env: &str, what: &str) -> AppError {
    AppError::new(
        ErrorCode::Unauthorized,
        format!("No {what} is saved for \"{env}\". Add it in Settings."),
    )
}

/// Production opens read-only; typing the environment's name unlocks writes
/// until 15 minutes pass without use or another environment is chosen (a new
/// session starts locked).
pub struct WriteGuard {
    production: bool,
    state: Mutex<GuardState>,
}

struct GuardState {
    unlocked: bool,
    last_use: Instant,
}

impl WriteGuard {
    pub fn new(production: bool) -> Self {
        Self {
            production,
            state: Mutex::new(GuardState {
                unlocked: false,
                last_use: Instant::now(),
            }),
        }
    }

    fn state(&self) -> std::sync::MutexGuard<'_, GuardState> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Any use of the session keeps an unlock alive.
    pub fn touch(&self) {
        self.touch_at(Instant::now());
    }

    fn touch_at(&self, now: Instant) {
        let mut s = self.state();
        if s.unlocked && now.duration_since(s.last_use) >= UNLOCK_IDLE {
            s.unlocked = false;
        }
        s.last_use = now;
    }

    pub fn writable(&self) -> bool {
        self.writable_at(Instant::now())
    }

    fn writable_at(&self, now: Instant) -> bool {
        if !self.production {
            return true;
        }
        let s = self.state();
        s.unlocked && now.duration_since(s.last_use) < UNLOCK_IDLE
    }

    pub fn ensure_writable(&self, env_name: &str) -> AppResult<()> {
        if self.writable() {
            self.touch();
            return Ok(());
        }
        Err(AppError::new(
            ErrorCode::ProductionLocked,
            format!("\"{env_name}\" is production and locked: nothing was sent. Unlock writes by typing the environment's name."),
        ))
    }

    pub fn unlock(&self, env_name: &str, typed: &str) -> AppResult<()> {
        if typed.trim() != env_name {
            return Err(AppError::invalid(format!(
                "Type the environment's name exactly (\"{env_name}\") to unlock writes"
            )));
        }
        let mut s = self.state();
        s.unlocked = true;
        s.last_use = Instant::now();
        Ok(())
    }

    pub fn lock(&self) {
        self.state().unlocked = false;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sandboxes_are_writable_and_production_is_not() {
        assert!(WriteGuard::new(false).writable());
        let guard = WriteGuard::new(true);
        assert!(!guard.writable());
        assert_eq!(
            guard.ensure_writable("Prod").unwrap_err().code,
            ErrorCode::ProductionLocked
        );
    }

    #[test]
    fn unlocking_needs_the_exact_name_and_expires_when_idle() {
        let guard = WriteGuard::new(true);
        assert!(guard.unlock("Prod EU", "prod eu").is_err());
        guard.unlock("Prod EU", "Prod EU").unwrap();
        let start = Instant::now();
        assert!(guard.writable_at(start + Duration::from_secs(60)));
        guard.touch_at(start + Duration::from_secs(14 * 60));
        assert!(
            guard.writable_at(start + Duration::from_secs(28 * 60)),
            "use keeps it open"
        );
        assert!(!guard.writable_at(start + Duration::from_secs(14 * 60) + UNLOCK_IDLE));
        guard.lock();
        assert!(!guard.writable());
    }
}
