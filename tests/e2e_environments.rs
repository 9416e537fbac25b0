//! End-to-end: environments, the keyring and the production guard in the real
//! window, against a second sandbox the test runs itself.

mod support;

use serde_json::json;
use support::webdriver::{e2e_enabled, App, WINDOW};

const BILLER_SECRET: &str = "bb_test_RECOGNISABLE_s3cr3t_4242";
const LINKMONEY_SECRET: &str = "lm_RECOGNISABLE_s3cr3t_9999";
/// Typed into a sandbox and refused: it must never be stored either.
const LIVE_SECRET: &str = "bb_live_RECOGNISABLE_l1ve_7777";

/// Asks the core, from the page, for everything it answers about
/// environments, secrets, refunds and the audit log, into `window.__answers`.
const ASK_EVERYTHING: &str = r#"
  window.__answers = null;
  const asks = [["app_info", {}], ["settings_view", {}], ["audit_page", {filter: {}, offset: 0, limit: 500}],
    ["refund_list", {all: true}], ["webhook_list", {}], ["team_status", {}]];
  Promise.all(asks.map(([cmd, args]) => window.__TAURI__.core.invoke(cmd, args)
    .then((r) => JSON.stringify(r), (e) => JSON.stringify(e))))
    .then((all) => { window.__answers = all; });
"#;

async fn add_environment(app: &App, name: &str, kind: &str, url: &str) {
    app.click_on("[data-testid=env-add]").await;
    for (field, value) in [
        ("name", name),
        ("billerUrl", url),
        ("linkmoneyUrl", url),
        ("merchantId", "merchant_sandbox"),
        ("billerClientId", "client_sandbox"),
        ("billerClientSecret", BILLER_SECRET),
        ("linkmoneyClientId", "lm_sandbox_client"),
        ("linkmoneyClientSecret", LINKMONEY_SECRET),
    ] {
        let input = app.wait(&format!("[data-testid=env-{field}]")).await;
        app.type_into(&input, value).await;
    }
    app.select_value("[data-testid=env-kind]", kind).await;
    app.click_on("[data-testid=confirm-ok]").await;
    app.wait_js(
        "the new environment card",
        &format!("[...document.querySelectorAll('[data-testid=env-card]')].some(c => c.dataset.name === {})", json!(name)),
    )
    .await;
}

fn card(name: &str) -> String {
    format!("[data-testid=env-card][data-name=\"{name}\"]")
}

/// Replaces what the open environment dialog's fields hold.
async fn fill(app: &App, fields: &[(&str, &str)]) {
    for (field, value) in fields {
        let input = app.wait(&format!("[data-testid=env-{field}]")).await;
        app.clear(&input).await;
        app.type_into(&input, value).await;
    }
}

async fn save_expecting_error(app: &App, contains: &str) -> String {
    app.click_on("[data-testid=confirm-ok]").await;
    let error = app
        .wait_until("[data-testid=dialog-error]", |t| t.contains(contains))
        .await;
    app.text(&error).await
}

async fn open_edit(app: &App, name: &str) {
    app.click_on(&format!("{} [data-testid=env-edit]", card(name)))
        .await;
    app.wait("[data-testid=env-name]").await;
}

async fn cancel_dialog(app: &App) {
    app.click_on("[data-testid=confirm-cancel]").await;
    app.wait_js(
        "the dialog closed",
        "!document.querySelector('#dialog').open",
    )
    .await;
}

/// An https URL on a loopback port nothing listens on: production accepts
/// only https, and this test never needs production to answer.
fn closed_https_url() -> String {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    format!("https://127.0.0.1:{port}")
}

#[tokio::test(flavor = "multi_thread")]
async fn environments_keyring_and_production_guard() {
    if !e2e_enabled() {
        return;
    }
    let _one_window = WINDOW.lock().await;
    let second = linkdesk_sandbox::start(linkdesk_sandbox::Options {
        seed: 99,
        rtls: 321,
        biller_client_secret: BILLER_SECRET.into(),
        linkmoney_client_secret: LINKMONEY_SECRET.into(),
        no_rate_limit: true,
        ..Default::default()
    })
    .await
    .unwrap();
    let app = App::launch(&[("LINKDESK_SANDBOX_OPTS", "--no-rate-limit".into())]).await;
    app.wait("[data-testid=rtl-row]").await;

    // Add an environment pointing at the second sandbox; secrets are write-only.
    app.click_on("[data-testid=nav-settings]").await;
    add_environment(&app, "Second sandbox", "sandbox", &second.url()).await;
    let state = app
        .wait(&format!(
            "{} [data-testid=biller-secret-state]",
            card("Second sandbox")
        ))
        .await;
    assert_eq!(app.text(&state).await, "set, ends in …4242");
    app.screenshot("20-settings").await;

    // Test both connections.
    app.click_on(&format!(
        "{} [data-testid=env-test-biller]",
        card("Second sandbox")
    ))
    .await;
    app.wait_until(
        &format!(
            "{} [data-testid=test-result-biller]",
            card("Second sandbox")
        ),
        |t| t.starts_with('✓'),
    )
    .await;
    app.click_on(&format!(
        "{} [data-testid=env-test-linkmoney]",
        card("Second sandbox")
    ))
    .await;
    app.wait_until(
        &format!(
            "{} [data-testid=test-result-linkmoney]",
            card("Second sandbox")
        ),
        |t| t.contains("token"),
    )
    .await;
    app.screenshot("21-connection-tested").await;

    // Switch to it: the list now comes from the second sandbox.
    app.click_on(&format!("{} [data-testid=env-use]", card("Second sandbox")))
        .await;
    app.wait_until("[data-testid=env-banner]", |t| t == "Second sandbox")
        .await;
    app.click_on("[data-testid=nav-rtls]").await;
    app.wait_until("[data-testid=rtl-total]", |t| t.ends_with("of 321"))
        .await;
    app.screenshot("22-switched").await;

    // Production accepts only https:// URLs: an http:// one is refused and the
    // reason shown; a sandbox BillerAPI secret (bb_test_) is refused there too.
    app.click_on("[data-testid=nav-settings]").await;
    app.click_on("[data-testid=env-add]").await;
    let plain = second.url();
    fill(
        &app,
        &[
            ("name", "Prod Test"),
            ("billerUrl", &plain),
            ("linkmoneyUrl", &plain),
            ("merchantId", "merchant_sandbox"),
            ("billerClientId", "client_sandbox"),
            ("linkmoneyClientId", "lm_sandbox_client"),
        ],
    )
    .await;
    app.select_value("[data-testid=env-kind]", "production")
        .await;
    let shown = save_expecting_error(&app, "only https://").await;
    assert!(shown.contains("production environment"), "{shown}");
    app.screenshot("23-production-needs-https").await;
    let prod_url = closed_https_url();
    fill(
        &app,
        &[
            ("billerUrl", &prod_url),
            ("linkmoneyUrl", &prod_url),
            ("billerClientSecret", BILLER_SECRET),
        ],
    )
    .await;
    save_expecting_error(&app, "sandbox secret").await;
    let secret = app.wait("[data-testid=env-billerClientSecret]").await;
    app.clear(&secret).await;
    app.click_on("[data-testid=confirm-ok]").await;
    app.wait(&card("Prod Test")).await;

    // A production-kind environment: red banner, read-only until unlocked.
    app.click_on(&format!("{} [data-testid=env-use]", card("Prod Test")))
        .await;
    app.wait_until("[data-testid=prod-text]", |t| t.contains("read-only"))
        .await;
    app.click_on("[data-testid=nav-rtls]").await;
    let new = app.wait("[data-testid=rtl-new]").await;
    app.wait_js(
        "new request disabled",
        "document.querySelector('[data-testid=rtl-new]').disabled",
    )
    .await;
    assert!(!app.enabled(&new).await, "production is locked");
    app.screenshot("24-production-locked").await;

    // Unlock by typing the name; a wrong name is refused.
    app.click_on("[data-testid=prod-unlock]").await;
    let typed = app.wait("[data-testid=unlock-name]").await;
    app.type_into(&typed, "prod test").await;
    app.click_on("[data-testid=confirm-ok]").await;
    app.wait_until("[data-testid=dialog-error]", |t| t.contains("exactly"))
        .await;
    app.clear(&typed).await;
    app.type_into(&typed, "Prod Test").await;
    app.click_on("[data-testid=confirm-ok]").await;
    app.wait_until("[data-testid=prod-text]", |t| t.contains("unlocked"))
        .await;
    app.wait_js(
        "new request enabled",
        "!document.querySelector('[data-testid=rtl-new]').disabled",
    )
    .await;
    app.screenshot("25-production-unlocked").await;

    // Switching away and back locks it again.
    app.select_value("[data-testid=env-switch]", "embedded")
        .await;
    app.wait_until("[data-testid=env-banner]", |t| t == "Embedded sandbox")
        .await;
    let prod_id = app
        .js("return [...document.querySelectorAll('#env-switch option')].find(o => o.textContent.startsWith('Prod Test')).value;", vec![])
        .await;
    app.select_value("[data-testid=env-switch]", prod_id.as_str().unwrap())
        .await;
    app.wait_until("[data-testid=prod-text]", |t| t.contains("read-only"))
        .await;

    // A production environment's URL is locked: changing it needs the
    // environment's name typed again.
    app.click_on("[data-testid=nav-settings]").await;
    open_edit(&app, "Prod Test").await;
    let moved = closed_https_url();
    fill(&app, &[("billerUrl", &moved)]).await;
    let shown = save_expecting_error(&app, "is production").await;
    assert!(shown.contains("Type its name"), "{shown}");
    app.screenshot("26-production-url-locked").await;
    fill(&app, &[("confirmName", "Prod Test")]).await;
    app.click_on("[data-testid=confirm-ok]").await;
    app.wait_until(&format!("{} dd.mono", card("Prod Test")), |t| t == moved)
        .await;

    // A new URL forgets an environment's secrets: said before and after saving.
    open_edit(&app, "Second sandbox").await;
    let notice = app.find_all("[data-testid=env-forget-notice]").await;
    assert!(!app.displayed(&notice[0]).await, "nothing changed yet");
    let same_server = second.url().replace("127.0.0.1", "localhost");
    fill(&app, &[("billerUrl", &same_server)]).await;
    let notice = app.wait("[data-testid=env-forget-notice]").await;
    assert!(app
        .text(&notice)
        .await
        .contains("Saving forgets the saved secrets"));
    app.screenshot("27-url-change-forgets-secrets").await;
    app.click_on("[data-testid=confirm-ok]").await;
    app.wait_until("[data-testid=toast]", |t| t.contains("forgotten"))
        .await;
    for state in ["biller-secret-state", "linkmoney-secret-state"] {
        app.wait_until(
            &format!("{} [data-testid={state}]", card("Second sandbox")),
            |t| t == "not set",
        )
        .await;
    }

    // A production BillerAPI secret (bb_live_) is refused in a sandbox.
    open_edit(&app, "Second sandbox").await;
    fill(&app, &[("billerClientSecret", LIVE_SECRET)]).await;
    let shown = save_expecting_error(&app, "production secret").await;
    assert!(!shown.contains(LIVE_SECRET), "{shown}");
    app.screenshot("28-live-secret-in-sandbox").await;
    cancel_dialog(&app).await;
    let state = app
        .wait(&format!(
            "{} [data-testid=biller-secret-state]",
            card("Second sandbox")
        ))
        .await;
    assert_eq!(app.text(&state).await, "not set");

    // Visit every view, then look for the secrets everywhere the app writes or shows.
    for view in [
        "customers",
        "transactions",
        "payouts",
        "refunds",
        "webhooks",
        "audit",
        "settings",
        "rtls",
    ] {
        app.click_on(&format!("[data-testid=nav-{view}]")).await;
        tokio::time::sleep(std::time::Duration::from_millis(400)).await;
    }
    app.js(ASK_EVERYTHING, vec![]).await;
    app.wait_js("the core's answers", "Array.isArray(window.__answers)")
        .await;
    let answers = app.js("return window.__answers.join('\\n');", vec![]).await;
    let answers = answers.as_str().unwrap_or_default().to_string();
    assert!(
        answers.contains("Second sandbox") && answers.contains("environment.save"),
        "the answers name the environments and their audit: {answers}"
    );
    let shown = app
        .js("return document.body.innerText + [...document.querySelectorAll('input, textarea')].map(i => i.value).join(' ');", vec![])
        .await;
    let shown = format!("{}\n{answers}", shown.as_str().unwrap_or_default());
    for secret in [BILLER_SECRET, LINKMONEY_SECRET, LIVE_SECRET] {
        assert!(
            !shown.contains(secret),
            "a secret reached the window or a command's answer"
        );
    }
    let data_dir = app.data_dir.path().to_path_buf();
    app.quit().await;
    for entry in walk(&data_dir) {
        let bytes = std::fs::read(&entry).unwrap_or_default();
        for secret in [BILLER_SECRET, LINKMONEY_SECRET, LIVE_SECRET] {
            assert!(
                !bytes.windows(secret.len()).any(|w| w == secret.as_bytes()),
                "a secret was written to {}",
                entry.display()
            );
        }
    }
    second.stop().await;
}

fn walk(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let path = entry.path();
        if path.is_dir() {
            out.extend(walk(&path));
        } else {
            out.push(path);
        }
    }
    out
}

#[tokio::test(flavor = "multi_thread")]
async fn without_a_keyring_secrets_are_refused_and_never_stored() {
    if !e2e_enabled() {
        return;
    }
    let _one_window = WINDOW.lock().await;
    // A session bus that does not exist: no Secret Service for this app.
    let app = App::launch(&[
        (
            "DBUS_SESSION_BUS_ADDRESS",
            "unix:path=/nonexistent/bus".into(),
        ),
        ("LINKDESK_SANDBOX_OPTS", "--no-rate-limit".into()),
    ])
    .await;
    app.wait("[data-testid=rtl-row]").await;
    app.click_on("[data-testid=nav-settings]").await;
    let problem = app.wait("[data-testid=keyring-problem]").await;
    let text = app.text(&problem).await;
    assert!(text.contains("keyring is not available"), "{text}");
    assert!(
        text.contains("nothing is ever stored in plain text"),
        "{text}"
    );
    app.screenshot("25-no-keyring").await;

    // Saving an environment with a secret is refused; nothing is written.
    add_environment_expecting_error(&app, "No keyring env").await;
    let cards = app
        .js(
            "return document.querySelectorAll('[data-testid=env-card]').length;",
            vec![],
        )
        .await;
    assert_eq!(cards, json!(1), "only the built-in sandbox");
    let data_dir = app.data_dir.path().to_path_buf();
    app.quit().await;
    for entry in walk(&data_dir) {
        let bytes = std::fs::read(&entry).unwrap_or_default();
        assert!(
            !bytes
                .windows(BILLER_SECRET.len())
                .any(|w| w == BILLER_SECRET.as_bytes()),
            "a secret was written to {}",
            entry.display()
        );
    }
}

async fn add_environment_expecting_error(app: &App, name: &str) {
    app.click_on("[data-testid=env-add]").await;
    for (field, value) in [
        ("name", name),
        ("billerUrl", "https://sandbox.api.billerapi.com"),
        ("linkmoneyUrl", "https://api.link-sandbox.money"),
        ("billerClientId", "client_x"),
        ("billerClientSecret", BILLER_SECRET),
    ] {
        let input = app.wait(&format!("[data-testid=env-{field}]")).await;
        app.type_into(&input, value).await;
    }
    app.click_on("[data-testid=confirm-ok]").await;
    app.wait_until("[data-testid=dialog-error]", |t| t.contains("keyring"))
        .await;
    app.click_on("[data-testid=confirm-cancel]").await;
}

/// Switching to an environment that does not answer as it should (here its
/// service refuses the credentials) shows none of the last environment's
/// rows under the new name, and the top bar never says "Online".
#[tokio::test(flavor = "multi_thread")]
async fn switching_to_a_failing_environment_shows_none_of_the_last_ones_rows() {
    if !e2e_enabled() {
        return;
    }
    let _one_window = WINDOW.lock().await;
    let refusing = linkdesk_sandbox::start(linkdesk_sandbox::Options {
        biller_client_secret: "not_the_secret_linkdesk_has".into(),
        no_rate_limit: true,
        ..Default::default()
    })
    .await
    .unwrap();
    let app = App::launch(&[("LINKDESK_SANDBOX_OPTS", "--no-rate-limit".into())]).await;
    app.wait("[data-testid=rtl-row]").await;
    app.click_on("[data-testid=nav-settings]").await;
    add_environment(&app, "Refusing sandbox", "sandbox", &refusing.url()).await;
    app.click_on("[data-testid=nav-rtls]").await;
    app.wait("[data-testid=rtl-row]").await;
    let id = app
        .js("return [...document.querySelectorAll('#env-switch option')].find(o => o.textContent.startsWith('Refusing')).value;", vec![])
        .await;
    app.select_value("[data-testid=env-switch]", id.as_str().unwrap())
        .await;
    app.wait_until("[data-testid=env-banner]", |t| t == "Refusing sandbox")
        .await;
    app.wait_until("[data-testid=error-banner]", |t| t.contains("401"))
        .await;
    assert!(
        app.find_all("[data-testid=rtl-row]").await.is_empty(),
        "the last environment's rows are shown under the new one"
    );
    let conn = app.text(&app.wait("[data-testid=conn-status]").await).await;
    assert_ne!(conn, "Online");
    app.screenshot("29-switched-to-failing-environment").await;
    app.quit().await;
    refusing.stop().await;
}
