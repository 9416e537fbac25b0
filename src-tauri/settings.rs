//! The Settings view's core: environments with the state of their secrets,
//! saving credentials to the keyring, testing connections, switching, and the
//! production write lock.

use serde::{Deserialize, Serialize};

use std::sync::Arc;

use crate::app::{App, EMBEDDED_ENV_ID};
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
    /// The environment's current name typed again: needed to change a
    /// production environment's URLs, merchant ID or kind, or to make a
    /// sandbox a production environment.
    #[serde(default)]
    pub confirm_name: Option<String>,
}

/// A saved environment, and the secrets saving it forgot (its URL or kind
/// changed and no new secret was given for them).
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SavedEnvironment {
    #[serde(flatten)]
    pub env: Environment,
    pub forgotten_secrets: Vec<Service>,
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

/// Saves an environment (recorded in the audit log, a secret only as "set",
/// a forgotten one as "cleared").
pub fn save(app: &App, input: EnvInput) -> AppResult<SavedEnvironment> {
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
        "nameTyped": given(&input.confirm_name),
    });
    let (input_id, input_name) = (e.id.clone(), e.name.clone());
    let mut forgotten = Vec::new();
    let result = save_environment(app, input, &mut forgotten);
    let (id, name) = match &result {
        Ok(saved) => (saved.env.id.clone(), saved.env.name.clone()),
        Err(_) => (input_id, input_name),
    };
    let record = |action, fields, result: &AppResult<()>| {
        audit::record(
            &app.journal,
            audit::entry(&id, &name, action, &name, fields, result, |_| None),
        );
    };
    record(
        audit::action::ENVIRONMENT_SAVE,
        fields,
        &result.as_ref().map(|_| ()).map_err(Clone::clone),
    );
    // Recorded even if a later step failed: the keyring no longer holds them.
    for service in &forgotten {
        record(
            audit::action::SECRET_CLEAR,
            serde_json::json!({ "service": service, "reason": "url or kind changed" }),
            &Ok(()),
        );
    }
    if result.is_ok() {
        for (service, _) in secrets_given.iter().filter(|(_, g)| *g) {
            record(
                audit::action::SECRET_SET,
                serde_json::json!({ "service": service }),
                &Ok(()),
            );
        }
    }
    result
}

/// Saves an environment; given secrets go to the keyring only. Every rule is
/// checked before anything is written; if the keyring cannot take the
/// secrets, or cannot forget the old ones, the settings are not saved, so no
/// half-configured environment (and no plaintext fallback) is left behind.
/// `forgotten` collects the secrets deleted from the keyring.
fn save_environment(
    app: &App,
    input: EnvInput,
    forgotten: &mut Vec<Service>,
) -> AppResult<SavedEnvironment> {
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
    let builtin_name = app.builtin.name.clone();
    let env = app.envs.prepare(input.env, &[builtin_name.as_str()])?;
    let before = app.envs.get(&env.id);
    if let Some(before) = &before {
        // The active production environment, unlocked, was confirmed by its
        // name already; anything else needs the name typed here.
        let session = app.session();
        let unlocked = before.kind == EnvKind::Production
            && session.env.id == before.id
            && session.guard.writable();
        if !unlocked {
            check_typed_name(before, &env, input.confirm_name.as_deref())?;
        }
    }
    if let Some(secret) = &biller_secret {
        check_biller_secret_kind(env.kind, secret)?;
    }
    let forget = before.as_ref().is_some_and(|b| forgets_secrets(b, &env));
    if biller_secret.is_some() || linkmoney_secret.is_some() || forget {
        secrets::probe()?;
    }
    // Old secrets go before the new URLs are saved: they are never sent to a
    // server the person did not confirm them for.
    if forget {
        for service in [Service::Biller, Service::Linkmoney] {
            let account = secrets::account(&env.id, service.slot());
            if secrets::get(&account)?.is_some() {
                secrets::delete(&account)?;
                forgotten.push(service);
            }
        }
    }
    let env = app.envs.upsert(env, &[builtin_name.as_str()])?;
    let stored = [
        (SecretSlot::BillerClientSecret, &biller_secret),
        (SecretSlot::LinkMoneyClientSecret, &linkmoney_secret),
    ]
    .into_iter()
    .filter_map(|(slot, secret)| secret.as_ref().map(|s| (slot, s)))
    .try_for_each(|(slot, secret)| secrets::set(&secrets::account(&env.id, slot), secret));
    if let Err(refused) = stored {
        // The keyring refused a secret: the settings go back to what they
        // were (a new environment is not kept, nor a secret of it stored).
        match &before {
            Some(before) => {
                let _ = app.envs.upsert(before.clone(), &[builtin_name.as_str()]);
            }
            None => {
                let _ = app.envs.delete(&env.id);
                for slot in [
                    SecretSlot::BillerClientSecret,
                    SecretSlot::LinkMoneyClientSecret,
                ] {
                    let _ = secrets::delete(&secrets::account(&env.id, slot));
                }
            }
        }
        return Err(refused);
    }
    app.refresh_team_route();
    // Changing the active environment rebuilds its session (and locks it again).
    if app.session().env.id == env.id {
        app.switch(&env.id)?;
    }
    let replaced = |s: &Service| match s {
        Service::Biller => biller_secret.is_some(),
        Service::Linkmoney => linkmoney_secret.is_some(),
    };
    Ok(SavedEnvironment {
        env,
        forgotten_secrets: forgotten.iter().copied().filter(|s| !replaced(s)).collect(),
    })
}

/// Whether saving `after` over `before` changes where the environment's
/// requests go, or what it is: its secrets were given for the old ones.
pub fn forgets_secrets(before: &Environment, after: &Environment) -> bool {
    before.biller_url != after.biller_url
        || before.linkmoney_url != after.linkmoney_url
        || before.kind != after.kind
}

/// A production environment's URLs, merchant ID and kind, and making a
/// sandbox a production environment, need the environment's current name
/// typed again, like unlocking writes does (an active production environment
/// that is unlocked needs nothing more: see `save_environment`).
pub fn check_typed_name(
    before: &Environment,
    after: &Environment,
    typed: Option<&str>,
) -> AppResult<()> {
    let guarded_change = before.biller_url != after.biller_url
        || before.linkmoney_url != after.linkmoney_url
        || before.merchant_id != after.merchant_id
        || before.kind != after.kind;
    let needed = match (before.kind, after.kind) {
        (EnvKind::Production, _) => guarded_change,
        (EnvKind::Sandbox, kind) => kind == EnvKind::Production,
    };
    if !needed || typed.map(str::trim) == Some(before.name.as_str()) {
        return Ok(());
    }
    let name = &before.name;
    let message = if before.kind == EnvKind::Production {
        format!("\"{name}\" is production: its URLs, merchant ID and kind are locked. Type its name (\"{name}\") in \"Confirm name\" to change them; nothing was saved.")
    } else {
        format!("Making \"{name}\" a production environment needs its name (\"{name}\") typed in \"Confirm name\"; nothing was saved.")
    };
    Err(AppError::new(ErrorCode::ProductionLocked, message))
}

/// BillerAPI's documented key prefixes: `bb_test_` is a sandbox secret,
/// `bb_live_` a production one. A secret that says the opposite of its
/// environment's kind is refused, so live money is never reached from an
/// environment that looks like a sandbox. A secret with neither prefix is
/// taken as it is.
pub fn check_biller_secret_kind(kind: EnvKind, secret: &SecretString) -> AppResult<()> {
    let secret = secret.expose();
    match kind {
        EnvKind::Sandbox if secret.starts_with("bb_live_") => Err(AppError::invalid(
            "This BillerAPI client secret starts with bb_live_: it is a production secret and a sandbox environment refuses it. Save it in a production environment.",
        )),
        EnvKind::Production if secret.starts_with("bb_test_") => Err(AppError::invalid(
            "This BillerAPI client secret starts with bb_test_: it is a sandbox secret and a production environment refuses it. Save it in a sandbox environment.",
        )),
        _ => Ok(()),
    }
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
    app.refresh_team_route();
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

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
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
        Arc::new(app.builtin_session())
    } else {
        let env = app.envs.get(id).ok_or_else(|| {
            AppError::new(ErrorCode::NotFound, "That environment no longer exists")
        })?;
        Arc::new(Session::from_keyring(app.http(), env))
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::app::builtin_environment;
    use crate::journal::AuditFilter;

    fn env(kind: EnvKind) -> Environment {
        Environment {
            id: "env_rules".into(),
            name: "Prod EU".into(),
            kind,
            biller_url: match kind {
                EnvKind::Production => "https://api.billerapi.com".into(),
                EnvKind::Sandbox => "https://sandbox.api.billerapi.com".into(),
            },
            linkmoney_url: match kind {
                EnvKind::Production => "https://api.link.money".into(),
                EnvKind::Sandbox => "https://api.link-sandbox.money".into(),
            },
            merchant_id: "m1".into(),
            biller_client_id: "c1".into(),
            linkmoney_client_id: "l1".into(),
            link_ops_per_minute: crate::environments::DEFAULT_LINK_OPS_PER_MINUTE,
        }
    }

    #[test]
    fn a_production_environments_urls_merchant_and_kind_need_its_name() {
        let before = env(EnvKind::Production);
        let changes: [fn(&mut Environment); 4] = [
            |e| e.biller_url = "https://other.example".into(),
            |e| e.linkmoney_url = "https://other.example".into(),
            |e| e.merchant_id = "m2".into(),
            |e| e.kind = EnvKind::Sandbox,
        ];
        for change in changes {
            let mut after = before.clone();
            change(&mut after);
            let err = check_typed_name(&before, &after, None).unwrap_err();
            assert_eq!(err.code, ErrorCode::ProductionLocked);
            assert!(err.message.contains("Type its name"), "{}", err.message);
            check_typed_name(&before, &after, Some("prod eu")).unwrap_err();
            check_typed_name(&before, &after, Some(" Prod EU ")).unwrap();
        }
        // Its name, client IDs and secrets are not guarded.
        let mut after = before.clone();
        after.name = "Prod EU 2".into();
        after.biller_client_id = "c2".into();
        check_typed_name(&before, &after, None).unwrap();
    }

    #[test]
    fn making_a_sandbox_production_needs_its_name() {
        let before = Environment {
            name: "Staging".into(),
            ..env(EnvKind::Sandbox)
        };
        let mut after = before.clone();
        after.biller_url = "https://other.example".into();
        check_typed_name(&before, &after, None).unwrap();
        after.kind = EnvKind::Production;
        let err = check_typed_name(&before, &after, None).unwrap_err();
        assert_eq!(err.code, ErrorCode::ProductionLocked);
        check_typed_name(&before, &after, Some("Staging")).unwrap();
    }

    #[test]
    fn a_new_url_or_kind_forgets_the_secrets() {
        let before = env(EnvKind::Sandbox);
        assert!(!forgets_secrets(&before, &before.clone()));
        let mut after = before.clone();
        after.merchant_id = "m2".into();
        after.name = "Renamed".into();
        assert!(!forgets_secrets(&before, &after));
        after.linkmoney_url = "https://staging.link.example".into();
        assert!(forgets_secrets(&before, &after));
        let mut after = before.clone();
        after.kind = EnvKind::Production;
        assert!(forgets_secrets(&before, &after));
    }

    #[test]
    fn biller_secrets_must_match_the_kind() {
        let secret = |s: &str| SecretString::new(s);
        let err = check_biller_secret_kind(EnvKind::Sandbox, &secret("bb_live_abc")).unwrap_err();
        assert_eq!(err.code, ErrorCode::InvalidInput);
        assert!(err.message.contains("production secret"), "{}", err.message);
        let err =
            check_biller_secret_kind(EnvKind::Production, &secret("bb_test_abc")).unwrap_err();
        assert!(err.message.contains("sandbox secret"), "{}", err.message);
        assert!(!err.message.contains("abc"), "the secret is never echoed");
        check_biller_secret_kind(EnvKind::Sandbox, &secret("bb_test_abc")).unwrap();
        check_biller_secret_kind(EnvKind::Production, &secret("bb_live_abc")).unwrap();
        check_biller_secret_kind(EnvKind::Production, &secret("no_prefix")).unwrap();
    }

    fn test_app(dir: &std::path::Path) -> App {
        secrets::memory_store::use_memory_store();
        let builtin = builtin_environment(
            "Embedded sandbox",
            "http://127.0.0.1:9",
            "http://127.0.0.1:9",
        );
        App::open(dir.to_path_buf(), builtin, None).unwrap()
    }

    fn input(env: Environment, biller: Option<&str>, linkmoney: Option<&str>) -> EnvInput {
        EnvInput {
            env,
            biller_client_secret: biller.map(str::to_string),
            linkmoney_client_secret: linkmoney.map(str::to_string),
            confirm_name: None,
        }
    }

    fn stored(id: &str, slot: SecretSlot) -> Option<String> {
        secrets::get(&secrets::account(id, slot))
            .unwrap()
            .map(|s| s.expose().to_string())
    }

    #[test]
    fn a_secret_the_keyring_refuses_saves_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let app = test_app(dir.path());
        let refused = secrets::memory_store::REFUSED_SECRET;
        let new = Environment {
            id: String::new(),
            name: "Half saved".into(),
            ..env(EnvKind::Sandbox)
        };
        let err = save(&app, input(new.clone(), Some("bb_test_ok"), Some(refused))).unwrap_err();
        assert_eq!(err.code, ErrorCode::KeyringUnavailable, "{err:?}");
        assert!(
            !app.envs.list().iter().any(|e| e.name == "Half saved"),
            "a new environment whose secret was refused is not kept"
        );
        // An existing one keeps its settings as they were.
        let saved = save(&app, input(new, Some("bb_test_ok"), None)).unwrap();
        let mut edit = saved.env.clone();
        edit.merchant_id = "m-changed".into();
        let err = save(&app, input(edit, None, Some(refused))).unwrap_err();
        assert_eq!(err.code, ErrorCode::KeyringUnavailable);
        assert_eq!(app.envs.get(&saved.env.id).unwrap().merchant_id, "m1");
        let audit = app
            .journal
            .audit_page(&AuditFilter::default(), 0, 100)
            .unwrap();
        assert!(audit
            .rows
            .iter()
            .any(|r| r.action == "environment.save" && r.outcome == "error"));
    }

    #[test]
    fn saving_a_new_url_forgets_the_secrets_and_says_so() {
        let dir = tempfile::tempdir().unwrap();
        let app = test_app(dir.path());
        let new = Environment {
            id: String::new(),
            name: "Staging".into(),
            ..env(EnvKind::Sandbox)
        };
        let saved = save(&app, input(new, Some("bb_test_one"), Some("lm_one"))).unwrap();
        let id = saved.env.id.clone();
        assert!(saved.forgotten_secrets.is_empty());
        assert!(stored(&id, SecretSlot::BillerClientSecret).is_some());

        // A new client ID keeps them; a new URL forgets both.
        let mut edit = saved.env.clone();
        edit.biller_client_id = "c2".into();
        let saved = save(&app, input(edit, None, None)).unwrap();
        assert!(saved.forgotten_secrets.is_empty());
        let mut edit = saved.env.clone();
        edit.biller_url = "https://staging.biller.example".into();
        let saved = save(&app, input(edit, None, Some("lm_two"))).unwrap();
        assert_eq!(saved.forgotten_secrets, vec![Service::Biller]);
        assert_eq!(stored(&id, SecretSlot::BillerClientSecret), None);
        assert_eq!(
            stored(&id, SecretSlot::LinkMoneyClientSecret).as_deref(),
            Some("lm_two"),
            "a secret given with the new URL is kept"
        );

        let audit = app
            .journal
            .audit_page(&AuditFilter::default(), 0, 100)
            .unwrap();
        let cleared = audit
            .rows
            .iter()
            .filter(|r| r.action == audit::action::SECRET_CLEAR)
            .count();
        assert_eq!(cleared, 2, "each forgotten secret is in the audit log");
    }

    #[test]
    fn a_refused_save_changes_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let app = test_app(dir.path());
        let new = Environment {
            id: String::new(),
            ..env(EnvKind::Production)
        };
        let saved = save(&app, input(new, Some("bb_live_one"), Some("lm_one"))).unwrap();
        let id = saved.env.id.clone();

        let mut edit = saved.env.clone();
        edit.biller_url = "https://elsewhere.example".into();
        let err = save(&app, input(edit.clone(), None, None)).unwrap_err();
        assert_eq!(err.code, ErrorCode::ProductionLocked);
        edit.biller_url = "http://elsewhere.example".into();
        let err = save(
            &app,
            EnvInput {
                confirm_name: Some("Prod EU".into()),
                ..input(edit, None, None)
            },
        )
        .unwrap_err();
        assert_eq!(err.code, ErrorCode::InvalidInput);
        let err = save(&app, input(saved.env.clone(), Some("bb_test_two"), None)).unwrap_err();
        assert_eq!(err.code, ErrorCode::InvalidInput);

        assert_eq!(app.envs.get(&id), Some(saved.env.clone()));
        assert_eq!(
            stored(&id, SecretSlot::BillerClientSecret).as_deref(),
            Some("bb_live_one")
        );
        assert_eq!(
            stored(&id, SecretSlot::LinkMoneyClientSecret).as_deref(),
            Some("lm_one")
        );

        // With its name typed, the new URL is saved and the secrets forgotten.
        let mut edit = saved.env.clone();
        edit.biller_url = "https://elsewhere.example".into();
        let saved = save(
            &app,
            EnvInput {
                confirm_name: Some("Prod EU".into()),
                ..input(edit, None, None)
            },
        )
        .unwrap();
        assert_eq!(saved.env.biller_url, "https://elsewhere.example");
        assert_eq!(
            saved.forgotten_secrets,
            vec![Service::Biller, Service::Linkmoney]
        );
        assert_eq!(stored(&id, SecretSlot::BillerClientSecret), None);
    }

    #[test]
    fn the_unlocked_active_production_environment_is_edited_without_typing_again() {
        let dir = tempfile::tempdir().unwrap();
        let app = test_app(dir.path());
        let new = Environment {
            id: String::new(),
            ..env(EnvKind::Production)
        };
        let saved = save(&app, input(new, None, None)).unwrap();
        app.switch(&saved.env.id).unwrap();
        let mut edit = saved.env.clone();
        edit.merchant_id = "m2".into();
        // Active but locked: refused.
        let err = save(&app, input(edit.clone(), None, None)).unwrap_err();
        assert_eq!(err.code, ErrorCode::ProductionLocked);
        // Unlocked by typing its name: the unlock is the confirmation.
        unlock(&app, &saved.env.name).unwrap();
        let saved = save(&app, input(edit, None, None)).unwrap();
        assert_eq!(saved.env.merchant_id, "m2");
    }
}
