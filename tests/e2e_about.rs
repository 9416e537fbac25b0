//! End-to-end: "About Linkdesk" in Settings shows the version and the
//! folders Linkdesk writes to, and the log folder holds today's log file.

mod support;

use support::webdriver::{e2e_enabled, App};

#[tokio::test(flavor = "multi_thread")]
async fn about_shows_version_and_folders() {
    if !e2e_enabled() {
        return;
    }
    let app = App::launch(&[]).await;
    app.wait("[data-testid=rtl-row]").await;
    app.click_on("[data-testid=nav-settings]").await;
    app.click_on("[data-testid=about-open]").await;
    let data_dir = app.data_dir.path().display().to_string();
    app.wait_until("[data-testid=about-version]", |t| {
        t == env!("CARGO_PKG_VERSION")
    })
    .await;
    app.wait_until("[data-testid=about-data-dir]", |t| t == data_dir)
        .await;
    let logs = app.data_dir.path().join("logs");
    app.wait_until("[data-testid=about-log-dir]", |t| {
        t == logs.display().to_string()
    })
    .await;
    for button in ["open-data-dir", "open-local-dir", "open-log-dir"] {
        app.wait(&format!("[data-testid={button}]")).await;
    }
    app.wait("[data-testid=env-card]").await;
    app.js(
        "document.querySelector('[data-testid=about]').scrollIntoView()",
        vec![],
    )
    .await;
    app.screenshot("about-01-settings").await;

    let today = chrono::Utc::now().format("%Y-%m-%d");
    let file = logs.join(format!("linkdesk.{today}.log"));
    let text = std::fs::read_to_string(&file).unwrap_or_default();
    assert!(
        text.contains("Linkdesk starting"),
        "no start-up line in {}",
        file.display()
    );
    app.quit().await;
}
