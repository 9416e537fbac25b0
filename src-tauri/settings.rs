//! The Settings view's core: environments with the state of their secrets,
//! saving credentials to the keyring, testing connections, switching, and the
//! production write lock.

use serde::{Deserialize, Serialize};

use std::sync::Arc;

use crate::app::{builtin_session, App, EMBEDDED_ENV_ID};
use crate::audit;
use crate::environments::{EnvKind, Environment, PRESETS};
use crate::error::{AppError, AppResult, ErrorCode};
use crate::secrets::{self, SecretSlot, SecretString};
use crate::session::Session;

/// Whether a secret is stored, and its last four characters (never more).
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SecretState {
    pub set: bool,
    pub hint: String,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct EnvView {
    #[serde(flatten)]
    pub env: Environment,
    pub builtin: bool,
    pub active: bool,
    pub biller_secret: SecretState,
    pub linkmoney_secret: SecretState,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Preset {
    pub name: &'static str,
    pub kind: EnvKind,
    pub biller_url: &'static str,
    pub linkmoney_url: &'static str,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SettingsView {
    pub environments: Vec<EnvView>,
    /// None when the keyring works; otherwise what is wrong with it.
    pub keyring_problem: Option<String>,
    pub presets: Vec<Preset>,
}

/// What the Settings form sends. Secrets are write-only: empty means "keep".
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct EnvInput {
    #[serde(flatten)]
    pub env: Environment,
    #[serde(default)]
    pub biller_client_secret: Option<String>,
    #[serde(default)]
    pub linkmoney_client_secret: Option<String>,
}

impl std::fmt::Debug for EnvInput {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EnvInput")
            .field("env", &self.env)
            .finish_non_exhaustive()
    }
}

fn secret_state(env_id: &str, slot: SecretSlot) -> SecretState {
    match secrets::get(&secrets::account(env_id, slot)) {
        Ok(Some(secret)) => SecretState {
            set: true,
            hint: secrets::hint(&secret),
        },
        _ => SecretState {
            set: false,
            hint: String::new(),
        },
    }
}

pub fn view(app: &App) -> SettingsView {
    let keyring_problem = secrets::probe().err().map(|e| e.message);
    let active = app.session().env.id.clone();
    let environments = app
        .environments()
        .into_iter()
        .map(|env| {
            let builtin = env.id == EMBEDDED_ENV_ID;
            let (biller_secret, linkmoney_secret) = if builtin {
                // The built-in sandbox's credentials are the sandbox's published ones.
                let s = SecretState {
                    set: true,
                    hint: "sandbox".into(),
                };
                (s.clone(), s)
            } else if keyring_problem.is_some() {
                let s = SecretState {
                    set: false,
                    hint: String::new(),
                };
                (s.clone(), s)
            } else {
                (
                    secret_state(&env.id, SecretSlot::BillerClientSecret),
                    secret_state(&env.id, SecretSlot::LinkMoneyClientSecret),
                )
            };
            EnvView {
                active: env.id == active,
                builtin,
                env,
                biller_secret,
                linkmoney_secret,
            }
        })
        .collect();
    let presets = PRESETS
        .iter()
        .map(|(name, kind, biller_url, linkmoney_url)| Preset {
            name,
            kind: *kind,
            biller_url,
            linkmoney_url,
        })
        .collect();
    SettingsView {
        environments,
        keyring_problem,
        presets,
    }
}

/// Saves an environment (recorded in the audit log, a secret only as "set").
pub fn save(app: &App, input: EnvInput) -> AppResult<Environment> {
    let given = |s: &Option<String>| s.as_deref().is_some_and(|s| !s.trim().is_empty());
    let secrets_given = [
        ("billerapi", given(&input.biller_client_secret)),
        ("linkmoney", given(&input.linkmoney_client_secret)),
    ];
    let e = &input.env;
    let fields = serde_json::json!({
        "name": e.name, "kind": e.kind, "billerUrl": e.biller_url, "linkmoneyUrl": e.linkmoney_url,
        "merchantId": e.merchant_id, "billerClientId": e.biller_client_id,
        "linkmoneyClientId": e.linkmoney_client_id,
    });
    let (input_id, input_name) = (e.id.clone(), e.name.clone());
    let result = save_environment(app, input);
    let (id, name) = match &result {
        Ok(env) => (env.id.clone(), env.name.clone()),
        Err(_) => (input_id, input_name),
    };
    let record = |action, fields, result: &AppResult<Environment>| {
        audit::record(
            &app.journal,
            audit::entry(&id, &name, action, &name, fields, result, |_| None),
        );
    };
    record(audit::action::ENVIRONMENT_SAVE, fields, &result);
    if result.is_ok() {
        for (service, _) in secrets_given.iter().filter(|(_, g)| *g) {
            record(
                audit::action::SECRET_SET,
                serde_json::json!({ "service": service }),
                &result,
            );
        }
    }
    result
}

/// Saves an environment; given secrets go to the keyring only. If the keyring
/// cannot take them nothing is saved at all, so no half-configured
/// environment (and no plaintext fallback) is left behind.
fn save_environment(app: &App, input: EnvInput) -> AppResult<Environment> {
    if input.env.id == EMBEDDED_ENV_ID {
        return Err(AppError::invalid("The built-in sandbox cannot be changed"));
    }
    let given = |s: &Option<String>| {
        s.as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(SecretString::new)
    };
    let biller_secret = given(&input.biller_client_secret);
    let linkmoney_secret = given(&input.linkmoney_client_secret);
    if biller_secret.is_some() || linkmoney_secret.is_some() {
        secrets::probe()?;
    }
    let builtin_name = app.builtin.name.clone();
    let env = app.envs.upsert(input.env, &[builtin_name.as_str()])?;
    if let Some(secret) = biller_secret {
        secrets::set(
            &secrets::account(&env.id, SecretSlot::BillerClientSecret),
            &secret,
        )?;
    }
    if let Some(secret) = linkmoney_secret {
        secrets::set(
            &secrets::account(&env.id, SecretSlot::LinkMoneyClientSecret),
            &secret,
        )?;
    }
    // Changing the active environment rebuilds its session (and locks it again).
    if app.session().env.id == env.id {
        app.switch(&env.id)?;
    }
    Ok(env)
}

pub fn delete(app: &App, id: &str) -> AppResult<()> {
    let name = app.envs.get(id).map(|e| e.name).unwrap_or_default();
    let result = delete_environment(app, id);
    let entry = audit::entry(
        id,
        &name,
        audit::action::ENVIRONMENT_DELETE,
        &name,
        serde_json::json!({}),
        &result,
        |_| None,
    );
    audit::record(&app.journal, entry);
    result
}

fn delete_environment(app: &App, id: &str) -> AppResult<()> {
    if id == EMBEDDED_ENV_ID {
        return Err(AppError::invalid("The built-in sandbox cannot be deleted"));
    }
    let was_active = app.session().env.id == id;
    app.envs.delete(id)?;
    if was_active {
        app.switch(EMBEDDED_ENV_ID)?;
    }
    Ok(())
}

pub fn clear_secret(app: &App, id: &str, service: Service) -> AppResult<()> {
    let name = app.envs.get(id).map(|e| e.name).unwrap_or_default();
    let result = clear_one_secret(app, id, service);
    let fields = serde_json::json!({ "service": service });
    let entry = audit::entry(
        id,
        &name,
        audit::action::SECRET_CLEAR,
        &name,
        fields,
        &result,
        |_| None,
    );
    audit::record(&app.journal, entry);
    result
}

fn clear_one_secret(app: &App, id: &str, service: Service) -> AppResult<()> {
    if app.envs.get(id).is_none() {
        return Err(AppError::new(
            ErrorCode::NotFound,
            "That environment no longer exists",
        ));
    }
    secrets::delete(&secrets::account(id, service.slot()))?;
    if app.session().env.id == id {
        app.switch(id)?;
    }
    Ok(())
}

#[derive(Debug, Clone, Copy, Deserialize, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Service {
    Biller,
    Linkmoney,
}

impl Service {
    fn slot(self) -> SecretSlot {
        match self {
            Service::Biller => SecretSlot::BillerClientSecret,
            Service::Linkmoney => SecretSlot::LinkMoneyClientSecret,
        }
    }
}

/// The session to test environment `id` with: the active one, or one built
/// from the settings and the keyring (blocking: call it off the main thread).
pub fn session_for(app: &App, id: &str) -> AppResult<Arc<Session>> {
    let active = app.session();
    let session = if active.env.id == id {
        active
    } else if id == EMBEDDED_ENV_ID {
        Arc::new(builtin_session(&app.http, &app.builtin))
    } else {
        let env = app.envs.get(id).ok_or_else(|| {
            AppError::new(ErrorCode::NotFound, "That environment no longer exists")
        })?;
        Arc::new(Session::from_keyring(&app.http, env))
    };
    Ok(session)
}

/// Tries one real call with the session's settings and secrets.
pub async fn test_connection(session: &Session, service: Service) -> AppResult<String> {
    match service {
        Service::Biller => {
            let billers = session.biller()?.list_billers().await?;
            Ok(format!("BillerAPI answered: {} billers", billers.len()))
        }
        Service::Linkmoney => {
            session.linkmoney()?.test_connection().await?;
            Ok("Link Money issued a Link-Core token".to_string())
        }
    }
}

pub fn unlock(app: &App, typed: &str) -> AppResult<()> {
    let session = app.session();
    let result = session.guard.unlock(&session.env.name, typed);
    let env = &session.env;
    let entry = audit::entry(
        &env.id,
        &env.name,
        audit::action::PRODUCTION_UNLOCK,
        &env.name,
        serde_json::json!({}),
        &result,
        |_| None,
    );
    audit::record(&app.journal, entry);
    result?;
    tracing::info!(environment = %session.env.name, "production writes unlocked");
    Ok(())
}

pub fn lock(app: &App) {
    app.session().guard.lock();
}

/// A click or key press in the window: keeps a production unlock alive.
pub fn note_activity(app: &App) {
    app.session().guard.note_activity();
}
