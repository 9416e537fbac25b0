//! The OS keyring, behind `set`, `get`, `delete`.
//!
//! Client secrets live only here: Secret Service on Linux, Keychain on macOS,
//! Credential Manager on Windows, always under the service name `linkdesk`.
//! When no keyring can be used the answer is `keyring_unavailable`; there is
//! deliberately no plaintext fallback. A keyring that answers but does not
//! keep what is written to it (an in-memory store, e.g. a build without the
//! platform's backend) counts as no keyring: `self_test` proves persistence
//! once per run, and `probe` refuses secrets until it has.
//!
//! Every call blocks (D-Bus round trips on Linux): async code calls these from
//! `app::blocking`.

use std::fmt;
use std::sync::Mutex;

use crate::error::{AppError, AppResult, ErrorCode};

/// The keyring service every Linkdesk entry is stored under.
pub const SERVICE: &str = "linkdesk";

/// The account name `probe` looks up; it is never written.
const PROBE_ACCOUNT: &str = "linkdesk-keyring-probe";

/// The prefix of the account `self_test` writes, reads back and deletes; each
/// test adds its own suffix, so processes testing at once never meet.
const SELF_TEST_ACCOUNT: &str = "linkdesk-keyring-self-test";

/// The verdict of this run's persistence self-test, once there is one: the
/// keyring keeps secrets, or it answers but forgets them. A keyring that could
/// not be reached at all gets no verdict and is tested again next time.
static PERSISTENCE: Mutex<Option<AppResult<()>>> = Mutex::new(None);

/// A secret held in memory. `Debug` and `Display` never show the value, so a
/// secret inside a struct, an error or a log line stays hidden; `expose` is the
/// one explicit way to read it.
#[derive(Clone, PartialEq, Eq)]
pub struct SecretString(String);

impl SecretString {
    pub fn new(value: impl Into<String>) -> Self {
        Self(value.into())
    }

    pub fn expose(&self) -> &str {
        &self.0
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl From<String> for SecretString {
    fn from(value: String) -> Self {
        Self(value)
    }
}

impl fmt::Debug for SecretString {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SecretString(<redacted>)")
    }
}

impl fmt::Display for SecretString {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("<redacted>")
    }
}

/// Which secret of an environment an entry holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SecretSlot {
    BillerClientSecret,
    LinkMoneyClientSecret,
    /// The `secretKey` given when subscribing a webhook URL; the string is the
    /// subscription's URL or key.
    WebhookSecret(String),
}

/// The keyring account name for one secret of one environment, e.g.
/// `env/prod-eu/billerapi-client-secret`. The names are stable: changing them
/// would orphan the secrets users already stored.
pub fn account(env_id: &str, slot: SecretSlot) -> String {
    match slot {
        SecretSlot::BillerClientSecret => format!("env/{env_id}/billerapi-client-secret"),
        SecretSlot::LinkMoneyClientSecret => format!("env/{env_id}/linkmoney-client-secret"),
        SecretSlot::WebhookSecret(subscription) => {
            format!("env/{env_id}/webhook-secret/{subscription}")
        }
    }
}

/// Stores (or replaces) the secret of `account`.
pub fn set(account: &str, secret: &SecretString) -> AppResult<()> {
    if secret.is_empty() {
        return Err(AppError::invalid("An empty secret cannot be stored"));
    }
    let result = entry(account).and_then(|e| e.set_password(secret.expose()));
    match result {
        Ok(()) => {
            tracing::debug!(account, "secret stored in the keyring");
            Ok(())
        }
        Err(e) => Err(redact(keyring_error("store", account, e), secret)),
    }
}

/// The secret of `account`, or `None` when no entry exists.
pub fn get(account: &str) -> AppResult<Option<SecretString>> {
    match entry(account).and_then(|e| e.get_password()) {
        Ok(secret) => Ok(Some(SecretString(secret))),
        Err(keyring::Error::NoEntry) => Ok(None),
        Err(e) => Err(keyring_error("read", account, e)),
    }
}

/// Deletes the secret of `account`; deleting a missing entry succeeds.
pub fn delete(account: &str) -> AppResult<()> {
    match entry(account).and_then(|e| e.delete_credential()) {
        Ok(()) | Err(keyring::Error::NoEntry) => {
            tracing::debug!(account, "secret deleted from the keyring");
            Ok(())
        }
        Err(e) => Err(keyring_error("delete", account, e)),
    }
}

/// Whether a keyring can be used at all: it passed the persistence self-test
/// in this run, and it answers now (looks up an entry that is never written,
/// so a missing entry means the keyring answered).
pub fn probe() -> AppResult<()> {
    persists()?;
    get(PROBE_ACCOUNT).map(|_| ())
}

/// This run's persistence verdict, running the self-test when there is none
/// yet. Start-up calls it early, off the main thread, so that Settings finds
/// the verdict ready.
pub fn persists() -> AppResult<()> {
    let mut verdict = PERSISTENCE.lock().unwrap_or_else(|p| p.into_inner());
    if let Some(known) = verdict.as_ref() {
        return known.clone();
    }
    let result = self_test();
    match &result {
        Ok(()) => tracing::info!("the system keyring keeps secrets"),
        Err(e) => tracing::warn!(error = %e, "the system keyring cannot be used for secrets"),
    }
    if result.as_ref().err().is_none_or(is_forgetful) {
        *verdict = Some(result.clone());
    }
    result
}

/// Writes a throw-away value, reads it back through a new entry, deletes it.
/// A store that answers but does not return the value (the keyring crate's
/// in-memory fallback does exactly this) is refused like a missing keyring.
pub fn self_test() -> AppResult<()> {
    let account = self_test_account();
    self_test_with(&account, || entry(&account))
}

fn self_test_account() -> String {
    format!("{SELF_TEST_ACCOUNT}/{}", uuid::Uuid::new_v4().simple())
}

/// `self_test` with the entries `entry` makes, a new one on each call.
fn self_test_with(
    account: &str,
    entry: impl Fn() -> keyring::Result<keyring::Entry>,
) -> AppResult<()> {
    let value = format!("linkdesk-self-test-{}", uuid::Uuid::new_v4().simple());
    entry()
        .and_then(|e| e.set_password(&value))
        .map_err(|e| keyring_error("store", account, e))?;
    let read_back = match entry().and_then(|e| e.get_password()) {
        Ok(read) => read == value,
        Err(keyring::Error::NoEntry) => false,
        Err(e) => return Err(keyring_error("read", account, e)),
    };
    match entry().and_then(|e| e.delete_credential()) {
        Ok(()) | Err(keyring::Error::NoEntry) => {}
        Err(e) => return Err(keyring_error("delete", account, e)),
    }
    if read_back {
        Ok(())
    } else {
        Err(forgetful_store())
    }
}

const FORGETFUL: &str = "The system keyring does not keep secrets";

fn forgetful_store() -> AppError {
    AppError::new(
        ErrorCode::KeyringUnavailable,
        format!(
            "{FORGETFUL}: a value written to it could not be read back, so Linkdesk stores \
             no secret in it (it needs the Secret Service on Linux, the Keychain on macOS, \
             the Credential Manager on Windows)"
        ),
    )
}

fn is_forgetful(err: &AppError) -> bool {
    err.code == ErrorCode::KeyringUnavailable && err.message.starts_with(FORGETFUL)
}

/// The last four characters of a secret, for "set, ends in …abcd". Secrets
/// shorter than eight characters get no hint: four characters would give away
/// half of them or more.
pub fn hint(secret: &SecretString) -> String {
    let chars: Vec<char> = secret.expose().chars().collect();
    if chars.len() < 8 {
        return String::new();
    }
    chars[chars.len() - 4..].iter().collect()
}

fn entry(account: &str) -> keyring::Result<keyring::Entry> {
    keyring::Entry::new(SERVICE, account)
}

/// Maps a keyring failure. The keyring's own errors describe D-Bus or the
/// platform store and never carry the secret; `BadEncoding` does carry the
/// stored bytes, so its payload is never printed.
fn keyring_error(action: &str, account: &str, err: keyring::Error) -> AppError {
    match err {
        keyring::Error::NoStorageAccess(e) => AppError::new(
            ErrorCode::KeyringUnavailable,
            format!("The system keyring is locked or refused access, so Linkdesk could not {action} the secret \"{account}\": {e}"),
        ),
        keyring::Error::PlatformFailure(e) => AppError::new(
            ErrorCode::KeyringUnavailable,
            format!("No usable system keyring (on Linux: a Secret Service such as gnome-keyring on the session D-Bus), so Linkdesk could not {action} the secret \"{account}\": {e}"),
        ),
        keyring::Error::BadEncoding(_) => AppError::new(
            ErrorCode::KeyringUnavailable,
            format!("The keyring entry \"{account}\" does not hold text; store the secret again"),
        ),
        keyring::Error::TooLong(attr, limit) => AppError::invalid(format!(
            "The keyring refuses \"{account}\": its {attr} is longer than {limit} characters"
        )),
        keyring::Error::Invalid(attr, reason) => AppError::invalid(format!(
            "The keyring refuses \"{account}\": {attr} {reason}"
        )),
        keyring::Error::Ambiguous(items) => AppError::new(
            ErrorCode::KeyringUnavailable,
            format!("The keyring holds {} entries for \"{account}\"; remove the extra ones with the system's keyring tool", items.len()),
        ),
        keyring::Error::NoEntry => AppError::internal(format!("No keyring entry \"{account}\"")),
        other => AppError::new(
            ErrorCode::KeyringUnavailable,
            format!("The system keyring failed to {action} the secret \"{account}\": {other}"),
        ),
    }
}

/// Belt and braces: whatever a keyring backend puts in its message, the secret
/// being stored never reaches the UI through it.
fn redact(mut err: AppError, secret: &SecretString) -> AppError {
    if !secret.is_empty() && err.message.contains(secret.expose()) {
        err.message = err.message.replace(secret.expose(), "<redacted>");
    }
    err
}

/// An in-memory credential store for unit tests. The keyring's default store
/// is process-global, so every unit test in the crate that touches secrets
/// calls `use_memory_store()` and uses account names of its own.
#[cfg(test)]
pub(crate) mod memory_store {
    use std::collections::HashMap;
    use std::sync::{Mutex, Once};

    use keyring::credential::{Credential, CredentialApi, CredentialBuilderApi};

    static STORE: Mutex<Option<HashMap<String, Vec<u8>>>> = Mutex::new(None);
    static INSTALL: Once = Once::new();

    pub(crate) fn use_memory_store() {
        INSTALL.call_once(|| keyring::set_default_credential_builder(Box::new(Builder)));
    }

    struct Builder;
    struct Entry(String);

    impl CredentialBuilderApi for Builder {
        fn build(
            &self,
            _target: Option<&str>,
            service: &str,
            user: &str,
        ) -> keyring::Result<Box<Credential>> {
            Ok(Box::new(Entry(format!("{service}\u{0}{user}"))))
        }

        fn as_any(&self) -> &dyn std::any::Any {
            self
        }
    }

    /// A secret this store refuses, as a locked keyring refuses a write.
    pub(crate) const REFUSED_SECRET: &str = "refused-by-the-keyring";

    impl CredentialApi for Entry {
        fn set_secret(&self, secret: &[u8]) -> keyring::Result<()> {
            if secret == REFUSED_SECRET.as_bytes() {
                return Err(keyring::Error::NoStorageAccess("locked".into()));
            }
            let mut store = STORE.lock().unwrap();
            store
                .get_or_insert_with(HashMap::new)
                .insert(self.0.clone(), secret.to_vec());
            Ok(())
        }

        fn get_secret(&self) -> keyring::Result<Vec<u8>> {
            let store = STORE.lock().unwrap();
            store
                .as_ref()
                .and_then(|s| s.get(&self.0).cloned())
                .ok_or(keyring::Error::NoEntry)
        }

        fn delete_credential(&self) -> keyring::Result<()> {
            let mut store = STORE.lock().unwrap();
            store
                .as_mut()
                .and_then(|s| s.remove(&self.0))
                .map(|_| ())
                .ok_or(keyring::Error::NoEntry)
        }

        fn as_any(&self) -> &dyn std::any::Any {
            self
        }

        fn debug_fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            write!(f, "MemoryEntry({:?})", self.0)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn secret(s: &str) -> SecretString {
        SecretString::new(s)
    }

    #[test]
    fn round_trip_replace_and_delete() {
        memory_store::use_memory_store();
        let acct = account("unit-round-trip", SecretSlot::LinkMoneyClientSecret);
        assert_eq!(get(&acct).unwrap(), None);
        set(&acct, &secret("first-secret-value")).unwrap();
        assert_eq!(get(&acct).unwrap().unwrap().expose(), "first-secret-value");
        set(&acct, &secret("second-secret-value")).unwrap();
        assert_eq!(get(&acct).unwrap().unwrap().expose(), "second-secret-value");
        delete(&acct).unwrap();
        assert_eq!(get(&acct).unwrap(), None);
        delete(&acct).unwrap();
    }

    #[test]
    fn probe_succeeds_on_a_working_store() {
        memory_store::use_memory_store();
        probe().unwrap();
    }

    #[test]
    fn a_store_that_keeps_values_passes_the_self_test() {
        memory_store::use_memory_store();
        let account = self_test_account();
        self_test_with(&account, || entry(&account)).unwrap();
        // Nothing is left behind.
        assert_eq!(get(&account).unwrap(), None);
        persists().unwrap();
    }

    /// The keyring crate's mock forgets a value as soon as its entry is
    /// dropped: exactly the store a build without a native backend falls
    /// back to.
    #[test]
    fn a_store_that_forgets_fails_the_self_test_like_a_missing_keyring() {
        let mock = keyring::mock::default_credential_builder();
        let err = self_test_with(SELF_TEST_ACCOUNT, || {
            mock.build(None, SERVICE, SELF_TEST_ACCOUNT)
                .map(keyring::Entry::new_with_credential)
        })
        .unwrap_err();
        assert_eq!(err.code, ErrorCode::KeyringUnavailable);
        assert!(err.message.contains("does not keep secrets"), "{err:?}");
        assert!(is_forgetful(&err));
    }

    #[test]
    fn empty_secrets_are_refused() {
        memory_store::use_memory_store();
        let err = set("env/unit-empty/x", &secret("")).unwrap_err();
        assert_eq!(err.code, ErrorCode::InvalidInput);
    }

    #[test]
    fn account_names_identify_environment_and_service() {
        assert_eq!(
            account("sandbox-2", SecretSlot::BillerClientSecret),
            "env/sandbox-2/billerapi-client-secret"
        );
        assert_eq!(
            account("sandbox-2", SecretSlot::LinkMoneyClientSecret),
            "env/sandbox-2/linkmoney-client-secret"
        );
        assert_eq!(
            account(
                "p",
                SecretSlot::WebhookSecret("https://h.example/x?y=1".into())
            ),
            "env/p/webhook-secret/https://h.example/x?y=1"
        );
    }

    #[test]
    fn secret_string_never_prints_its_value() {
        let s = secret("hunter2-very-secret");
        assert!(!format!("{s:?}").contains("hunter2"));
        assert!(!format!("{s}").contains("hunter2"));
        #[derive(Debug)]
        #[allow(dead_code)]
        struct Holder {
            s: SecretString,
        }
        assert!(!format!("{:?}", Holder { s }).contains("hunter2"));
    }

    #[test]
    fn hint_is_the_last_four_characters_of_long_enough_secrets() {
        assert_eq!(hint(&secret("lm_sandbox_secret")), "cret");
        assert_eq!(hint(&secret("ñandú-ñandú-日本語x")), "日本語x");
        assert_eq!(hint(&secret("short")), "");
        assert_eq!(hint(&secret("")), "");
    }

    #[test]
    fn unavailable_keyrings_map_to_their_own_code() {
        let io = || {
            Box::new(std::io::Error::other(
                "org.freedesktop.DBus.Error.ServiceUnknown",
            ))
        };
        let e = keyring_error("read", "a", keyring::Error::PlatformFailure(io()));
        assert_eq!(e.code, ErrorCode::KeyringUnavailable);
        let e = keyring_error("read", "a", keyring::Error::NoStorageAccess(io()));
        assert_eq!(e.code, ErrorCode::KeyringUnavailable);
        assert!(e.message.contains("locked"));
    }

    #[test]
    fn bad_encoding_never_prints_the_stored_bytes() {
        let e = keyring_error(
            "read",
            "a",
            keyring::Error::BadEncoding(b"topsecret\xff".to_vec()),
        );
        assert!(!e.message.contains("topsecret"));
        assert!(!format!("{e:?}").contains("topsecret"));
    }

    #[test]
    fn store_errors_never_echo_the_secret() {
        let err = AppError::new(ErrorCode::KeyringUnavailable, "failed near s3cr3t-value");
        let err = redact(err, &secret("s3cr3t-value"));
        assert!(!err.message.contains("s3cr3t-value"));
    }
}
