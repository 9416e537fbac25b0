//! End-to-end: the update check against a local update endpoint. A package
//! signed with a key Linkdesk does not trust, or signed for another version
//! than the one announced, is refused (About says why, the top bar stays
//! quiet); a package signed with the trusted key for the version announced
//! shows "Update available — x.y.z", and its dialog installs nothing until
//! "Install and restart" is clicked.

mod http_support;
mod support;

use std::io::Cursor;

use base64::Engine;
use http_support::Recorder;
use serde_json::json;
use support::webdriver::{e2e_enabled, App};

const OFFERED: &str = "9.9.0";

fn b64(text: &str) -> String {
    base64::engine::general_purpose::STANDARD.encode(text)
}

/// A signing key as the Tauri CLI makes one: the public key as Linkdesk's
/// configuration holds it (base64 of the minisign public key file).
fn keypair() -> (minisign::KeyPair, String) {
    let pair = minisign::KeyPair::generate_unencrypted_keypair().unwrap();
    let public = b64(&pair.pk.to_box().unwrap().into_string());
    (pair, public)
}

/// The manifest's `signature` for `bytes`, signed for `version` the way the
/// Tauri bundler signs an update package.
fn sign(pair: &minisign::KeyPair, bytes: &[u8], version: &str) -> String {
    let trusted =
        format!("timestamp:1764720000\tfile:linkdesk_{version}_amd64.deb\tversion:{version}");
    let signature = minisign::sign(
        Some(&pair.pk),
        &pair.sk,
        Cursor::new(bytes),
        Some(&trusted),
        Some("signature from tauri secret key"),
    )
    .unwrap();
    b64(&signature.into_string())
}

fn manifest(server: &Recorder, signature: String) -> Vec<u8> {
    manifest_of(server, OFFERED, signature)
}

fn manifest_of(server: &Recorder, version: &str, signature: String) -> Vec<u8> {
    json!({
        "version": version,
        "notes": "Exports name their filter.\nSync resumes after sleep.",
        "pub_date": "2026-12-01T09:00:00Z",
        "url": server.url("/linkdesk_9.9.0_amd64.deb"),
        "signature": signature,
    })
    .to_string()
    .into_bytes()
}

async fn about_says(app: &App, what: &str) -> String {
    let el = app
        .wait_until("[data-testid=about-updates]", |t| t.contains(what))
        .await;
    app.text(&el).await
}

async fn notice_hidden(app: &App) -> bool {
    app.js(
        "return document.querySelector('[data-testid=update-notice]').hidden",
        vec![],
    )
    .await
    .as_bool()
    .unwrap()
}

#[tokio::test(flavor = "multi_thread")]
async fn only_a_package_signed_for_linkdesk_is_offered() {
    if !e2e_enabled() {
        return;
    }
    let package = b"!<arch>\nthe 9.9.0 package".to_vec();
    let (trusted, trusted_public) = keypair();
    let (stranger, _) = keypair();
    let server = Recorder::files(vec![(
        "/linkdesk_9.9.0_amd64.deb".to_string(),
        package.clone(),
    )])
    .await;
    // First answer: the right package, signed with a key Linkdesk does not trust.
    server.put(
        "/latest.json",
        manifest(&server, sign(&stranger, &package, OFFERED)),
    );

    let app = App::launch(&[
        ("LINKDESK_UPDATE_URL", server.url("/latest.json")),
        ("LINKDESK_UPDATE_PUBKEY", trusted_public),
    ])
    .await;
    app.wait("[data-testid=rtl-row]").await;
    app.click_on("[data-testid=nav-settings]").await;
    app.click_on("[data-testid=about-open]").await;
    let said = about_says(&app, "refused").await;
    assert!(said.contains(OFFERED), "{said}");
    assert!(notice_hidden(&app).await, "a refused update was offered");
    app.screenshot("updates-01-bad-signature-refused").await;

    // The trusted key, but the signature is for another version than the
    // manifest announces (an old package passed off as new): refused.
    server.put(
        "/latest.json",
        manifest(&server, sign(&trusted, &package, "9.8.0")),
    );
    app.click_on("[data-testid=update-check]").await;
    let said = about_says(&app, "9.8.0").await;
    assert!(said.contains("refused"), "{said}");
    assert!(
        notice_hidden(&app).await,
        "a mislabelled update was offered"
    );

    // The trusted key, for the version announced: offered, quietly.
    server.put(
        "/latest.json",
        manifest(&server, sign(&trusted, &package, OFFERED)),
    );
    app.click_on("[data-testid=update-check]").await;
    about_says(&app, "ready to install").await;
    app.click_on("[data-testid=confirm-ok]").await;
    app.wait_until("[data-testid=update-notice]", |t| {
        t == format!("Update available — {OFFERED}")
    })
    .await;
    app.screenshot("updates-02-available").await;

    // Its dialog says what it is and installs nothing until asked.
    app.click_on("[data-testid=update-notice]").await;
    app.wait_until("[data-testid=update-notes]", |t| t.contains("Sync resumes"))
        .await;
    let button = app
        .wait_until("[data-testid=confirm-ok]", |t| t == "Install and restart")
        .await;
    assert!(app.enabled(&button).await);
    app.screenshot("updates-03-offer").await;
    app.click_on("[data-testid=confirm-cancel]").await;
    assert!(!notice_hidden(&app).await, "Later keeps the offer");

    // The daily check finds 9.9.1 while the dialog for 9.9.0 is open: its
    // button installs nothing, and says what is on offer now.
    app.click_on("[data-testid=update-notice]").await;
    app.wait("[data-testid=update-offer]").await;
    server.put(
        "/latest.json",
        manifest_of(&server, "9.9.1", sign(&trusted, &package, "9.9.1")),
    );
    app.js("window.__TAURI__.core.invoke('update_check');", vec![])
        .await;
    app.wait_until("[data-testid=update-notice]", |t| t.ends_with("9.9.1"))
        .await;
    app.click_on("[data-testid=confirm-ok]").await;
    app.wait_until("[data-testid=dialog-error]", |t| {
        t.contains("now Linkdesk 9.9.1") && t.contains("nothing was installed")
    })
    .await;
    app.screenshot("updates-04-changed-while-open").await;
    app.click_on("[data-testid=confirm-cancel]").await;

    let asked = server.requests();
    assert!(
        asked.iter().filter(|r| *r == "GET /latest.json").count() >= 4,
        "{asked:?}"
    );
    assert!(
        asked.contains(&"GET /linkdesk_9.9.0_amd64.deb".to_string()),
        "{asked:?}"
    );
    app.quit().await;
    server.stop();
}
