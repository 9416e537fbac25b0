//! The keyring module against the REAL Secret Service. The test command runs
//! this inside `dbus-run-session` with gnome-keyring started and unlocked:
//!
//! dbus-run-session -- bash -c 'export HOME=$(mktemp -d); echo -n linkdesk |
//!   gnome-keyring-daemon --unlock --components=secrets >/dev/null; cargo test --test keyring'
//!
//! Without a reachable Secret Service these tests fail with a message saying
//! so, unless LINKDESK_KEYRING_TEST=skip is set.

use linkdesk::error::ErrorCode;
use linkdesk::secrets::{self, SecretSlot, SecretString};

/// Set in the child process of `no_session_bus_means_keyring_unavailable`.
const CHILD_ENV: &str = "LINKDESK_KEYRING_TEST_CHILD";

/// False when the real-keyring tests were asked to skip; panics with a clear
/// message when no Secret Service can be reached.
fn real_keyring() -> bool {
    if std::env::var("LINKDESK_KEYRING_TEST").as_deref() == Ok("skip") {
        eprintln!("LINKDESK_KEYRING_TEST=skip: not testing the real Secret Service");
        return false;
    }
    if let Err(e) = secrets::probe() {
        panic!(
            "No usable Secret Service for the keyring tests ({e}). Run them inside \
             dbus-run-session with gnome-keyring-daemon started and unlocked (see the \
             top of tests/keyring.rs), or set LINKDESK_KEYRING_TEST=skip to skip them."
        );
    }
    true
}

fn unique_env(label: &str) -> String {
    format!("test-{label}-{}", uuid::Uuid::new_v4().simple())
}

#[test]
fn store_read_replace_delete() {
    if !real_keyring() {
        return;
    }
    let account = secrets::account(&unique_env("crud"), SecretSlot::LinkMoneyClientSecret);
    assert_eq!(secrets::get(&account).unwrap(), None);

    secrets::set(&account, &SecretString::new("lm-secret-one-1111")).unwrap();
    let read = secrets::get(&account).unwrap().unwrap();
    assert_eq!(read.expose(), "lm-secret-one-1111");
    assert_eq!(secrets::hint(&read), "1111");

    secrets::set(&account, &SecretString::new("lm-secret-two-2222")).unwrap();
    assert_eq!(
        secrets::get(&account).unwrap().unwrap().expose(),
        "lm-secret-two-2222"
    );

    secrets::delete(&account).unwrap();
    assert_eq!(secrets::get(&account).unwrap(), None);
    // Deleting what is not there is not an error.
    secrets::delete(&account).unwrap();
}

#[test]
fn a_missing_entry_is_none() {
    if !real_keyring() {
        return;
    }
    let account = secrets::account(&unique_env("missing"), SecretSlot::BillerClientSecret);
    assert_eq!(secrets::get(&account).unwrap(), None);
    secrets::delete(&account).unwrap();
}

#[test]
fn unusual_names_and_values() {
    if !real_keyring() {
        return;
    }
    let env = format!(
        "{} ñandú 日本語 \"quoted\" 'single' <b>&amp;",
        unique_env("odd")
    );
    let accounts = [
        secrets::account(&env, SecretSlot::BillerClientSecret),
        secrets::account(&env, SecretSlot::LinkMoneyClientSecret),
        secrets::account(
            &env,
            SecretSlot::WebhookSecret("https://hooks.example.test/lm?x=1&y=%2F#frag".into()),
        ),
        secrets::account(
            &env,
            SecretSlot::WebhookSecret("4fa54dcce-32b9-8c8c".into()),
        ),
    ];
    let value = "pässwörd with spaces, \"quotes\", \\backslash\\, emoji 🔑 and\nnewline";
    for (i, account) in accounts.iter().enumerate() {
        let secret = SecretString::new(format!("{value} #{i}"));
        secrets::set(account, &secret).unwrap();
    }
    // Each name is its own entry: none overwrote another.
    for (i, account) in accounts.iter().enumerate() {
        let read = secrets::get(account).unwrap().unwrap();
        assert_eq!(read.expose(), format!("{value} #{i}"));
    }
    for account in &accounts {
        secrets::delete(account).unwrap();
        assert_eq!(secrets::get(account).unwrap(), None);
    }
}

#[test]
fn environments_do_not_share_secrets() {
    if !real_keyring() {
        return;
    }
    let a = secrets::account(&unique_env("a"), SecretSlot::BillerClientSecret);
    let b = secrets::account(&unique_env("b"), SecretSlot::BillerClientSecret);
    secrets::set(&a, &SecretString::new("secret-of-env-a")).unwrap();
    assert_eq!(secrets::get(&b).unwrap(), None);
    secrets::delete(&b).unwrap();
    assert_eq!(
        secrets::get(&a).unwrap().unwrap().expose(),
        "secret-of-env-a"
    );
    secrets::delete(&a).unwrap();
}

/// The keyring crate opens its D-Bus connection per call, but libdbus keeps
/// the session bus address it first read for the rest of the process, so the
/// "no bus" case runs in a child process of this test binary started with
/// DBUS_SESSION_BUS_ADDRESS pointing nowhere.
#[test]
fn no_session_bus_means_keyring_unavailable() {
    let exe = std::env::current_exe().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let nowhere = dir.path().join("no-bus-here");
    let output = std::process::Command::new(exe)
        .args([
            "--exact",
            "child_without_a_session_bus",
            "--nocapture",
            "--test-threads=1",
        ])
        .env(CHILD_ENV, "1")
        .env(
            "DBUS_SESSION_BUS_ADDRESS",
            format!("unix:path={}", nowhere.display()),
        )
        // Without a display libdbus cannot autolaunch a bus of its own.
        .env_remove("DISPLAY")
        .env_remove("WAYLAND_DISPLAY")
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        output.status.success() && stdout.contains("1 passed"),
        "child failed\nstdout:\n{stdout}\nstderr:\n{stderr}"
    );
}

/// Runs only as the child of `no_session_bus_means_keyring_unavailable`.
#[test]
fn child_without_a_session_bus() {
    if std::env::var(CHILD_ENV).as_deref() != Ok("1") {
        return;
    }
    let secret = SecretString::new("never-stored-secret-9876");
    let account = secrets::account("child-env", SecretSlot::LinkMoneyClientSecret);

    let probe = secrets::probe().unwrap_err();
    assert_eq!(probe.code, ErrorCode::KeyringUnavailable, "{probe:?}");
    let get = secrets::get(&account).unwrap_err();
    assert_eq!(get.code, ErrorCode::KeyringUnavailable, "{get:?}");
    let set = secrets::set(&account, &secret).unwrap_err();
    assert_eq!(set.code, ErrorCode::KeyringUnavailable, "{set:?}");
    assert!(!set.message.contains(secret.expose()));
    let delete = secrets::delete(&account).unwrap_err();
    assert_eq!(delete.code, ErrorCode::KeyringUnavailable, "{delete:?}");
    eprintln!("keyring unavailable as expected: {}", probe.message);
}

/// The start-up self-test against the real Secret Service: the value written
/// is read back through a new entry, and nothing is left in the keyring.
#[test]
fn the_secret_service_passes_the_persistence_self_test() {
    if !real_keyring() {
        return;
    }
    // Waits for this process's own start-up verdict, so no other self-test
    // is in flight while the keyring is searched below.
    secrets::persists().unwrap();
    secrets::self_test().unwrap();
    // An entry of our own shows that the search sees Linkdesk's entries.
    let witness = secrets::account(&unique_env("witness"), SecretSlot::BillerClientSecret);
    secrets::set(&witness, &SecretString::new("witness-secret-0000")).unwrap();
    let search = std::process::Command::new("secret-tool")
        .args(["search", "--all", "service", secrets::SERVICE])
        .output()
        .expect("secret-tool (libsecret-tools) is installed by scripts/setup.sh");
    secrets::delete(&witness).unwrap();
    // Attributes only: the values (`secret = …`) never reach the test output.
    let listed: String = format!(
        "{}{}",
        String::from_utf8_lossy(&search.stdout),
        String::from_utf8_lossy(&search.stderr)
    )
    .lines()
    .filter(|line| !line.trim_start().starts_with("secret"))
    .map(|line| format!("{line}\n"))
    .collect();
    assert!(
        listed.contains(&witness),
        "secret-tool did not list {witness}:\n{listed}"
    );
    assert!(
        !listed.contains("linkdesk-keyring-self-test"),
        "the self-test left an entry behind:\n{listed}"
    );
}
