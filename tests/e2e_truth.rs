//! End-to-end: what the window shows is current, complete and says where it
//! came from — exports and sorts that say what the cache holds, a detail pane
//! that never shows one record with another's actions, records read again
//! after every write, a failing service shown as failing, one rate-limit
//! countdown, and answers too big or too strange refused.

mod http_support;
mod support;

use http_support::{Canned, Recorder};
use serde_json::{json, Value};
use support::webdriver::{e2e_enabled, App, WINDOW};

async fn launch_on(url: &str, extra: &[(&str, String)]) -> App {
    let mut env = vec![
        ("LINKDESK_BILLER_URL", url.to_string()),
        ("LINKDESK_LINKMONEY_URL", url.to_string()),
    ];
    env.extend(extra.iter().cloned());
    App::launch(&env).await
}

fn csv_files(dir: &std::path::Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".csv"))
        .collect();
    names.sort();
    names
}

/// Items 1 and 2: a sort and an export say how much of the list the cache
/// holds; the export is whole, or partial only when asked, in its own file.
#[tokio::test(flavor = "multi_thread")]
async fn sorts_and_exports_say_what_the_cache_holds() {
    if !e2e_enabled() {
        return;
    }
    let _one_window = WINDOW.lock().await;
    let sandbox = linkdesk_sandbox::start(linkdesk_sandbox::Options {
        rtls: 300,
        no_rate_limit: true,
        ..Default::default()
    })
    .await
    .unwrap();
    let exports = tempfile::tempdir().unwrap();
    let app = launch_on(
        &sandbox.url(),
        &[("LINKDESK_EXPORT_DIR", exports.path().display().to_string())],
    )
    .await;
    app.wait_until("[data-testid=rtl-total]", |t| t.ends_with("of 300"))
        .await;

    // A sort before any sync: the cache holds only the page seen.
    app.click_on("th[data-sort=client_user_id]").await;
    app.wait_until("[data-testid=rtl-coverage-text]", |t| {
        t.contains("Sorted from the 20 cached of 300")
    })
    .await;
    app.wait_until("[data-testid=rtl-total]", |t| t == "1–20 of 20 cached")
        .await;
    app.screenshot("truth-01-partial-sort").await;

    // An export says what is missing, and writes only when asked, as partial.
    app.click_on("[data-testid=export-csv]").await;
    app.wait_until("[data-testid=export-incomplete]", |t| {
        t.contains("holds 20 of the 300 requests") && t.contains("280 are missing")
    })
    .await;
    app.screenshot("truth-02-export-incomplete").await;
    // Enter does not take the partial file: the focus is on Cancel.
    let focused = app
        .js(
            "return document.activeElement && document.activeElement.dataset.testid;",
            vec![],
        )
        .await;
    assert_eq!(focused, json!("confirm-cancel"));
    app.click_on("[data-testid=confirm-ok]").await;
    app.wait_until("[data-testid=toast]", |t| {
        t.starts_with("Exported 20 rows of 300 (partial")
    })
    .await;
    let files = csv_files(exports.path());
    assert_eq!(files.len(), 1, "{files:?}");
    assert!(files[0].starts_with("linkdesk-rtls-partial-"), "{files:?}");

    // "Sync all RTLs first" from the same question; then the export is whole.
    app.click_on("[data-testid=export-csv]").await;
    app.click_on("[data-testid=export-sync-first]").await;
    app.wait_until("[data-testid=toast]", |t| t.starts_with("Sync finished"))
        .await;
    app.wait_js(
        "the sort covers the whole list",
        "document.querySelector('[data-testid=rtl-coverage]').hidden && document.querySelector('[data-testid=rtl-total]').textContent === '1–20 of 300'",
    )
    .await;
    app.click_on("[data-testid=export-csv]").await;
    app.wait_until("[data-testid=toast]", |t| {
        t.starts_with("Exported 300 rows to")
    })
    .await;
    let files = csv_files(exports.path());
    assert_eq!(files.len(), 2, "every export has its own file: {files:?}");
    app.quit().await;
    sandbox.stop().await;
}

/// Items 4 and 5: the pane shows the selected row at once, marked loading
/// with no action enabled, until its record arrives; a write that meets a
/// conflict reads the record again, and the list row follows it.
#[tokio::test(flavor = "multi_thread")]
async fn the_pane_follows_the_selection_and_writes_read_the_record_again() {
    if !e2e_enabled() {
        return;
    }
    let _one_window = WINDOW.lock().await;
    let sandbox = linkdesk_sandbox::start(linkdesk_sandbox::Options {
        rtls: 60,
        no_rate_limit: true,
        latency_ms: 1500,
        ..Default::default()
    })
    .await
    .unwrap();
    let app = launch_on(&sandbox.url(), &[]).await;
    app.wait_until("[data-testid=rtl-total]", |t| t.ends_with("of 60"))
        .await;
    app.select_value("[data-testid=filter-status]", "PENDING")
        .await;
    app.wait_js(
        "pending rows",
        "(() => { const b = [...document.querySelectorAll('[data-testid=rtl-row] [data-testid=rtl-status]')]; return b.length > 2 && b.every(x => x.textContent === 'PENDING'); })()",
    )
    .await;
    let ids: Vec<String> = serde_json::from_value(
        app.js(
            "return [...document.querySelectorAll('[data-testid=rtl-row]')].map(r => r.dataset.id);",
            vec![],
        )
        .await,
    )
    .unwrap();
    app.click_on("[data-testid=rtl-row]").await;
    app.wait("[data-testid=rtl-freshness]").await;

    // j: the next row's list data at once, loading, nothing enabled.
    app.key("j").await;
    let shown = app
        .js(
            "const d = document.querySelector('[data-testid=rtl-detail]'); return { text: d.textContent, loading: !!d.querySelector('[data-testid=rtl-detail-loading]'), cancel: d.querySelector('[data-testid=rtl-cancel]').disabled };",
            vec![],
        )
        .await;
    assert!(shown["text"].as_str().unwrap().contains(&ids[1]), "{shown}");
    assert_eq!(shown["loading"], json!(true), "{shown}");
    assert_eq!(
        shown["cancel"],
        json!(true),
        "nothing enabled while loading"
    );
    app.screenshot("truth-03-pane-loading").await;
    app.wait("[data-testid=rtl-freshness]").await;
    app.wait_js(
        "the loaded pane allows cancel",
        "!document.querySelector('[data-testid=rtl-cancel]').disabled",
    )
    .await;

    // Someone else cancels it meanwhile; Cancel here meets a conflict.
    let o = linkdesk_sandbox::Options::default();
    let resp = reqwest::Client::new()
        .post(format!(
            "{}/link/request-to-link/{}/cancel",
            sandbox.url(),
            ids[1]
        ))
        .header("X-Client-ID", &o.biller_client_id)
        .header("X-Client-Secret", &o.biller_client_secret)
        .json(&json!({}))
        .send()
        .await
        .unwrap();
    assert!(resp.status().is_success());
    app.click_on("[data-testid=rtl-cancel]").await;
    app.click_on("[data-testid=confirm-ok]").await;
    app.wait_until("[data-testid=dialog-error]", |t| t.contains("read again"))
        .await;
    app.click_on("[data-testid=confirm-cancel]").await;
    app.wait_js(
        "the pane says CANCELLED and the PENDING list no longer holds it",
        &format!(
            "document.querySelector('[data-testid=rtl-detail] [data-testid=rtl-status]')?.textContent === 'CANCELLED' && !document.querySelector('[data-testid=rtl-row][data-id=\"{}\"]') && !document.querySelector('[data-testid=rtl-row].selected')",
            ids[1]
        ),
    )
    .await;
    assert!(
        app.js(
            "return document.querySelector('[data-testid=rtl-cancel]').disabled;",
            vec![]
        )
        .await
            == json!(true)
    );
    app.screenshot("truth-04-after-conflict").await;

    // R reads it again: "Updated just now".
    app.key("R").await;
    app.wait("[data-testid=rtl-detail-loading]").await;
    app.wait_until("[data-testid=rtl-freshness-text]", |t| {
        t.starts_with("Updated just now")
    })
    .await;

    // A cancel that succeeds: when the toast says "Cancelled", the pane and
    // the row already show the service's answer (CANCELLED), not the old
    // status, while the record is read again.
    app.click_on(&format!("[data-testid=rtl-row][data-id=\"{}\"]", ids[2]))
        .await;
    app.wait_js(
        "the pane shows the third row",
        &format!(
            "document.querySelector('[data-testid=rtl-detail]').textContent.includes('{}')",
            ids[2]
        ),
    )
    .await;
    app.wait_js(
        "the loaded pane allows cancel",
        "!document.querySelector('[data-testid=rtl-detail-loading]') && !document.querySelector('[data-testid=rtl-cancel]').disabled",
    )
    .await;
    app.js(
        "window.statusAtToast = null; new MutationObserver(() => { const t = [...document.querySelectorAll('#toasts *')].find(e => e.textContent.startsWith('Cancelled')); if (t && window.statusAtToast === null) window.statusAtToast = document.querySelector('[data-testid=rtl-detail] [data-testid=rtl-status]')?.textContent ?? ''; }).observe(document.querySelector('#toasts'), { childList: true, subtree: true });",
        vec![],
    )
    .await;
    app.click_on("[data-testid=rtl-cancel]").await;
    app.click_on("[data-testid=confirm-ok]").await;
    app.wait_js("the toast", "window.statusAtToast !== null")
        .await;
    assert_eq!(
        app.js("return window.statusAtToast;", vec![]).await,
        json!("CANCELLED"),
        "the toast said Cancelled while the pane showed another status"
    );
    app.quit().await;
    sandbox.stop().await;
}

/// Item 6: a 5xx is the service's failure, never "Offline" or an empty list;
/// the cache is shown when asked for, and the pager never shows an
/// impossible range.
#[tokio::test(flavor = "multi_thread")]
async fn a_failing_service_is_shown_as_failing() {
    if !e2e_enabled() {
        return;
    }
    let _one_window = WINDOW.lock().await;
    let working = linkdesk_sandbox::start(linkdesk_sandbox::Options {
        rtls: 280,
        no_rate_limit: true,
        ..Default::default()
    })
    .await
    .unwrap();
    let addr = working.addr();
    let url = working.url();
    let app = launch_on(&url, &[]).await;
    app.wait_until("[data-testid=rtl-total]", |t| t == "1–20 of 280")
        .await;
    working.stop().await;
    let failing = linkdesk_sandbox::start(linkdesk_sandbox::Options {
        addr,
        rtls: 280,
        no_rate_limit: true,
        fail_rate: 1.0,
        ..Default::default()
    })
    .await
    .unwrap();
    app.click_on("[data-testid=page-last]").await;
    let banner = app
        .wait_until("[data-testid=error-banner]", |t| t.contains("HTTP 500"))
        .await;
    assert_eq!(
        app.attr(&banner, "data-code").await.as_deref(),
        Some("server_error")
    );
    let conn = app.text(&app.wait("[data-testid=conn-status]").await).await;
    assert!(!conn.contains("Offline"), "{conn}");
    app.screenshot("truth-05-service-failing").await;

    // The cached copy, on request: page 14 is not cached, so its last
    // cached page, and a range that exists.
    app.click_on("[data-testid=error-show-cached]").await;
    app.wait_until("[data-testid=offline-banner]", |t| {
        t.contains("The service failed: showing the local cache")
    })
    .await;
    app.wait_until("[data-testid=rtl-total]", |t| t == "1–20 of 20")
        .await;
    app.wait_until("[data-testid=rtl-source]", |t| {
        t.starts_with("Local cache · last fetched ")
    })
    .await;
    assert_eq!(app.find_all("[data-testid=rtl-row]").await.len(), 20);
    app.screenshot("truth-06-cache-on-request").await;
    app.quit().await;
    failing.stop().await;
}

/// A service failing from the first launch on: the list's failure, with its
/// offer of the cached copy, is what stays on screen, never the billers'.
#[tokio::test(flavor = "multi_thread")]
async fn a_service_failing_at_launch_still_offers_the_cached_copy() {
    if !e2e_enabled() {
        return;
    }
    let _one_window = WINDOW.lock().await;
    let failing = linkdesk_sandbox::start(linkdesk_sandbox::Options {
        rtls: 50,
        no_rate_limit: true,
        fail_rate: 1.0,
        ..Default::default()
    })
    .await
    .unwrap();
    let app = launch_on(&failing.url(), &[]).await;
    app.wait_until("[data-testid=error-banner]", |t| t.contains("HTTP 500"))
        .await;
    // Both requests have failed by now; the banner keeps the list's offer.
    tokio::time::sleep(std::time::Duration::from_secs(2)).await;
    app.wait("[data-testid=error-show-cached]").await;
    // The failure is in the log too, for whoever follows up.
    let logs: String = std::fs::read_dir(app.data_dir.path().join("logs"))
        .unwrap()
        .flatten()
        .map(|f| std::fs::read_to_string(f.path()).unwrap_or_default())
        .collect();
    assert!(
        logs.contains("WARN") && logs.contains("server_error") && logs.contains("HTTP 500"),
        "{logs}"
    );
    app.quit().await;
    failing.stop().await;
}

/// A page that failed to load is not the page on screen: once the service
/// answers again, Next shows the page after the rows shown, never skips one.
#[tokio::test(flavor = "multi_thread")]
async fn a_page_that_failed_to_load_is_not_skipped() {
    if !e2e_enabled() {
        return;
    }
    let _one_window = WINDOW.lock().await;
    let options = |fail_rate: f64, addr| linkdesk_sandbox::Options {
        addr,
        rtls: 280,
        no_rate_limit: true,
        fail_rate,
        ..Default::default()
    };
    let working = linkdesk_sandbox::start(options(0.0, "127.0.0.1:0".parse().unwrap()))
        .await
        .unwrap();
    let addr = working.addr();
    let app = launch_on(&working.url(), &[]).await;
    app.wait_until("[data-testid=rtl-total]", |t| t == "1–20 of 280")
        .await;
    // Where the rows came from, and when.
    app.wait_until("[data-testid=rtl-source]", |t| {
        t.starts_with("BillerAPI · ")
    })
    .await;
    working.stop().await;
    let failing = linkdesk_sandbox::start(options(1.0, addr)).await.unwrap();
    app.click_on("[data-testid=page-next]").await;
    app.wait_until("[data-testid=error-banner]", |t| t.contains("HTTP 500"))
        .await;
    app.wait_until("[data-testid=rtl-total]", |t| t == "1–20 of 280")
        .await;
    failing.stop().await;
    let working = linkdesk_sandbox::start(options(0.0, addr)).await.unwrap();
    app.click_on("[data-testid=page-next]").await;
    app.wait_until("[data-testid=rtl-total]", |t| t == "21–40 of 280")
        .await;
    app.quit().await;
    working.stop().await;
}

/// Item 7: while rate limited, one countdown in one sentence; a row opened
/// meanwhile shows its list data, and the list's own retry is kept.
#[tokio::test(flavor = "multi_thread")]
async fn a_rate_limit_is_one_countdown_and_loses_nothing() {
    if !e2e_enabled() {
        return;
    }
    let _one_window = WINDOW.lock().await;
    let sandbox = linkdesk_sandbox::start(linkdesk_sandbox::Options {
        rtls: 100,
        link_ops_per_minute: 2,
        ..Default::default()
    })
    .await
    .unwrap();
    let app = launch_on(&sandbox.url(), &[]).await;
    app.wait_until("[data-testid=rtl-total]", |t| t.ends_with("of 100"))
        .await;
    let first = app
        .js(
            "return document.querySelector('[data-testid=rtl-row]').dataset.id;",
            vec![],
        )
        .await;
    // Page through until the service says 429.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    loop {
        app.click_on("[data-testid=page-next]").await;
        let limited = app
            .js(
                "return document.querySelector('[data-testid=error-banner]').dataset.code === 'rate_limited' && !document.querySelector('[data-testid=error-banner]').hidden;",
                vec![],
            )
            .await;
        if limited == json!(true) {
            break;
        }
        assert!(std::time::Instant::now() < deadline, "no 429 came");
        tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    }
    // A row opened while limited: the pane shows the row's list data.
    app.click_on("[data-testid=rtl-row]").await;
    let id = app
        .js(
            "return document.querySelector('[data-testid=rtl-row]').dataset.id;",
            vec![],
        )
        .await;
    app.wait_until("[data-testid=rtl-detail]", |t| {
        t.contains(id.as_str().unwrap_or("?"))
    })
    .await;
    let text = app.text(&app.wait("[data-testid=error-text]").await).await;
    assert_eq!(text.matches("Retrying in").count(), 1, "{text}");
    assert!(!text.to_lowercase().contains("retry after"), "{text}");
    assert!(!text.contains("Try again in"), "{text}");
    assert!(first.is_string());
    app.screenshot("truth-07-rate-limited").await;
    app.quit().await;
    sandbox.stop().await;
}

/// Item 8: a page with far more records than asked for is refused, not
/// rendered; a Retry-After of a lifetime is a failure, and a sync shows its
/// panel from the click and ends instead of waiting forever.
#[tokio::test(flavor = "multi_thread")]
async fn answers_too_big_or_too_strange_are_refused() {
    if !e2e_enabled() {
        return;
    }
    let _one_window = WINDOW.lock().await;
    let items: Vec<Value> = (0..5000)
        .map(|i| json!({"id": format!("rtl_{i}"), "client_user_id": "u", "status": "PENDING"}))
        .collect();
    let page = json!({"items": items, "total": 5000, "page": 1, "limit": 20});
    let hostile = Recorder::answering(Canned {
        status: "200 OK",
        headers: String::new(),
        body: page.to_string().into_bytes(),
        declare_length: true,
    })
    .await;
    let app = launch_on(&hostile.url(""), &[]).await;
    let banner = app
        .wait_until("[data-testid=error-text]", |t| t.contains("5000 records"))
        .await;
    assert!(app.displayed(&banner).await);
    assert_eq!(app.find_all("[data-testid=rtl-row]").await.len(), 0);
    app.screenshot("truth-08-too-many-records").await;
    app.quit().await;
    hostile.stop();

    let slow_down = Recorder::answering(Canned {
        status: "429 Too Many Requests",
        headers: "Retry-After: 4000000000\r\n".to_string(),
        body: br#"{"statusCode":429,"message":"later","error":"Too Many Requests"}"#.to_vec(),
        declare_length: true,
    })
    .await;
    let app = launch_on(&slow_down.url(""), &[]).await;
    let text = app
        .wait_until("[data-testid=error-text]", |t| {
            t.contains("longer than Linkdesk waits")
        })
        .await;
    let text = app.text(&text).await;
    assert!(!text.contains("Retrying"), "no countdown for it: {text}");
    app.click_on("[data-testid=sync-start]").await;
    app.wait("[data-testid=sync-panel]").await;
    app.wait_until("[data-testid=sync-text]", |t| {
        t.starts_with("Sync stopped") && t.contains("longer than Linkdesk waits")
    })
    .await;
    app.screenshot("truth-09-sync-refuses-absurd-wait").await;
    app.quit().await;
    slow_down.stop();
}
