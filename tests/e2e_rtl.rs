//! End-to-end: the RTL console in the real window, on the embedded sandbox.

mod support;

use serde_json::{json, Value};
use support::webdriver::{e2e_enabled, App, WINDOW};

/// The texts of one column (0-based) of the rows on screen.
async fn column(app: &App, index: usize) -> Vec<String> {
    let v = app
        .js(
            "return [...document.querySelectorAll('[data-testid=rtl-row]')].map(r => r.children[arguments[0]].textContent);",
            vec![json!(index)],
        )
        .await;
    serde_json::from_value(v).unwrap_or_default()
}

async fn total_text(app: &App) -> String {
    let el = app.wait("[data-testid=rtl-total]").await;
    app.text(&el).await
}

async fn launch_clean(env: &[(&str, String)]) -> App {
    let app = App::launch(env).await;
    // Remembered filters live in the webview's storage: start each run clean.
    app.js("localStorage.clear(); location.reload();", vec![])
        .await;
    app.wait("[data-testid=rtl-row]").await;
    app
}

/// Opens the first row of the list as it is filtered now and returns its ID.
async fn open_first(app: &App) -> String {
    let row = app.wait("[data-testid=rtl-row]").await;
    let id = app.attr(&row, "data-id").await.expect("row id");
    app.click(&row).await;
    app.wait_js("the detail pane", &format!(
        "document.querySelector('[data-testid=rtl-detail]') && !document.querySelector('[data-testid=rtl-detail]').hidden && document.querySelector('[data-testid=rtl-detail]').textContent.includes({})",
        json!(id)
    )).await;
    id
}

async fn detail_status(app: &App) -> String {
    let v = app
        .js("return document.querySelector('[data-testid=rtl-detail] [data-testid=rtl-status]').textContent;", vec![])
        .await;
    v.as_str().unwrap_or_default().to_string()
}

async fn set_filter_status(app: &App, status: &str) {
    app.select_value("[data-testid=filter-status]", status)
        .await;
    let want = status.to_string();
    app.wait_js(&format!("rows with status {status}"), &format!(
        "(() => {{ const b = [...document.querySelectorAll('[data-testid=rtl-row] [data-testid=rtl-status]')]; return b.length > 0 && b.every(x => x.textContent === {}); }})()",
        json!(want)
    )).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn rtl_console_in_the_window() {
    if !e2e_enabled() {
        return;
    }
    let _one_window = WINDOW.lock().await;
    let app = launch_clean(&[("LINKDESK_SANDBOX_OPTS", "--no-rate-limit".into())]).await;

    // The list loads with the demo data.
    let total = total_text(&app).await;
    assert!(
        total.starts_with("1–20 of 2,000") || total.starts_with("1–20 of 2000"),
        "{total}"
    );
    assert_eq!(column(&app, 0).await.len(), 20);
    app.screenshot("01-rtl-list").await;

    // Filter by status.
    set_filter_status(&app, "PENDING").await;
    let pending_total = total_text(&app).await;
    assert_ne!(pending_total, total);
    app.screenshot("02-filter-status").await;
    app.select_value("[data-testid=filter-status]", "").await;

    // Search: a piece of the first user ID, in upper case (search ignores case).
    app.wait_js(
        "unfiltered list",
        "document.querySelectorAll('[data-testid=rtl-row]').length === 20",
    )
    .await;
    let users = column(&app, 1).await;
    let needle: String = users[0]
        .chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .take(4)
        .collect::<String>();
    let search = app.wait("[data-testid=filter-search]").await;
    app.type_into(&search, &needle.to_uppercase()).await;
    let lower = needle.to_lowercase();
    app.wait_js("search results", &format!(
        "(() => {{ const r = [...document.querySelectorAll('[data-testid=rtl-row]')]; return r.length > 0 && r.every(x => (x.children[1].textContent + ' ' + x.children[2].textContent).toLowerCase().includes({})) && !document.querySelector('[data-testid=rtl-total]').textContent.endsWith({}); }})()",
        json!(lower), json!(total.split(" of ").nth(1).unwrap_or(""))
    )).await;
    app.screenshot("03-search").await;
    app.click_on("[data-testid=filter-clear]").await;
    app.wait_js(
        "filters cleared",
        &format!(
            "document.querySelector('[data-testid=rtl-total]').textContent === {}",
            json!(total)
        ),
    )
    .await;

    // Page forward and back, by button and by key.
    app.click_on("[data-testid=page-next]").await;
    app.wait_js(
        "page 2",
        "document.querySelector('[data-testid=rtl-total]').textContent.startsWith('21–40')",
    )
    .await;
    app.screenshot("04-page-2").await;
    app.click_on("[data-testid=page-prev]").await;
    app.wait_js(
        "page 1",
        "document.querySelector('[data-testid=rtl-total]').textContent.startsWith('1–20')",
    )
    .await;
    app.press("]").await;
    app.wait_js(
        "page 2 by key",
        "document.querySelector('[data-testid=rtl-total]').textContent.startsWith('21–40')",
    )
    .await;
    app.press("[").await;
    app.wait_js(
        "page 1 by key",
        "document.querySelector('[data-testid=rtl-total]').textContent.startsWith('1–20')",
    )
    .await;

    // Page size.
    app.select_value("[data-testid=page-size]", "50").await;
    app.wait_js("50 rows", "document.querySelectorAll('[data-testid=rtl-row]').length === 50 && document.querySelector('[data-testid=rtl-total]').textContent.startsWith('1–50')").await;
    app.screenshot("05-page-size-50").await;
    app.select_value("[data-testid=page-size]", "20").await;
    app.wait_js(
        "20 rows",
        "document.querySelectorAll('[data-testid=rtl-row]').length === 20",
    )
    .await;

    // Keyboard selection opens a detail.
    app.press("j").await;
    app.press("j").await;
    app.press("Enter").await;
    app.wait_js(
        "detail by keyboard",
        "!document.querySelector('[data-testid=rtl-detail]').hidden",
    )
    .await;
    app.press("Escape").await;
    app.wait_js(
        "detail closed",
        "document.querySelector('[data-testid=rtl-detail]').hidden",
    )
    .await;

    // Open a detail; metadata is rendered as text.
    let id = open_first(&app).await;
    app.screenshot("06-detail").await;
    assert!(app.js("return document.querySelectorAll('[data-testid=rtl-detail] script, [data-testid=rtl-detail] img').length;", vec![]).await == json!(0));
    assert!(!id.is_empty());

    // A COMPLETED request cannot be cancelled.
    set_filter_status(&app, "COMPLETED").await;
    open_first(&app).await;
    assert_eq!(detail_status(&app).await, "COMPLETED");
    let cancel = app.wait("[data-testid=rtl-cancel]").await;
    assert!(
        !app.enabled(&cancel).await,
        "a COMPLETED request must not be cancellable"
    );
    app.screenshot("07-completed-not-cancellable").await;

    // Cancel a PENDING one, with a reason and a confirmation.
    set_filter_status(&app, "PENDING").await;
    let pending = open_first(&app).await;
    let cancel = app.wait("[data-testid=rtl-cancel]").await;
    assert!(app.enabled(&cancel).await);
    app.click(&cancel).await;
    let reason = app.wait("[data-testid=cancel-reason]").await;
    app.type_into(&reason, "Customer asked to stop").await;
    app.screenshot("08-cancel-confirm").await;
    app.click_on("[data-testid=confirm-ok]").await;
    app.wait_js("cancelled", &format!(
        "document.querySelector('[data-testid=rtl-detail]').textContent.includes({}) && document.querySelector('[data-testid=rtl-detail] [data-testid=rtl-status]').textContent === 'CANCELLED'",
        json!(pending)
    )).await;
    app.screenshot("09-cancelled").await;

    // Proceed another PENDING one: token, URL and time left are shown.
    app.wait_js("cancelled one left the PENDING list", &format!(
        "![...document.querySelectorAll('[data-testid=rtl-row]')].some(r => r.dataset.id === {})", json!(pending)
    )).await;
    let to_proceed = open_first(&app).await;
    app.click_on("[data-testid=rtl-proceed]").await;
    app.click_on("[data-testid=confirm-ok]").await;
    let result = app.wait("[data-testid=proceed-result]").await;
    let text = app.text(&result).await;
    assert!(text.contains("/link/session/"), "{text}");
    assert!(text.contains("left"), "{text}");
    app.wait_js("in progress", "document.querySelector('[data-testid=rtl-detail] [data-testid=rtl-status]').textContent === 'IN_PROGRESS'").await;
    app.screenshot("10-proceeded").await;
    assert!(!to_proceed.is_empty());

    // Create one; bad metadata is refused in the form first.
    app.select_value("[data-testid=filter-status]", "").await;
    app.click_on("[data-testid=rtl-new]").await;
    let user = app.wait("[data-testid=new-client-user-id]").await;
    app.type_into(&user, "e2e_user_créé").await;
    app.select_value("[data-testid=new-biller-id]", "test_electric_company")
        .await;
    let meta = app.wait("[data-testid=new-metadata]").await;
    app.type_into(&meta, "[1, 2]").await;
    app.click_on("[data-testid=confirm-ok]").await;
    app.wait_until("[data-testid=dialog-error]", |t| t.contains("JSON object"))
        .await;
    app.clear(&meta).await;
    app.type_into(&meta, r#"{"source": "e2e", "note": "<b>bold?</b>"}"#)
        .await;
    app.click_on("[data-testid=confirm-ok]").await;
    app.wait_js("created", "document.querySelector('[data-testid=rtl-detail]') && document.querySelector('[data-testid=rtl-detail]').textContent.includes('e2e_user_créé')").await;
    let meta_text: Value = app
        .js(
            "return document.querySelector('[data-testid=rtl-metadata]').textContent;",
            vec![],
        )
        .await;
    assert!(
        meta_text
            .as_str()
            .unwrap_or_default()
            .contains("<b>bold?</b>"),
        "{meta_text}"
    );
    app.screenshot("11-created").await;

    // Sorting by a column is answered by the cache, but nothing is offline.
    app.click_on("th[data-sort=client_user_id]").await;
    app.wait_js(
        "sorted",
        "document.querySelector('th[data-sort=client_user_id]').classList.contains('sorted-asc')",
    )
    .await;
    let conn = app.text(&app.wait("[data-testid=conn-status]").await).await;
    assert_eq!(conn, "Online");
    assert_eq!(
        app.js(
            "return document.querySelector('[data-testid=offline-banner]').hidden;",
            vec![]
        )
        .await,
        json!(true)
    );

    // The window never navigates away from the app.
    app.js(
        "window.location.assign('http://127.0.0.1:9/elsewhere');",
        vec![],
    )
    .await;
    tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    let protocol = app.js("return window.location.protocol;", vec![]).await;
    assert_eq!(protocol, json!("tauri:"));
    app.wait("[data-testid=rtl-row]").await;

    app.quit().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn service_failures_show_a_clear_message() {
    if !e2e_enabled() {
        return;
    }
    let _one_window = WINDOW.lock().await;
    // A sandbox that refuses the app's credentials: every call is a 401.
    let rt_sandbox = linkdesk_sandbox::start(linkdesk_sandbox::Options {
        biller_client_secret: "a_different_secret".into(),
        ..Default::default()
    })
    .await
    .unwrap();
    let app = App::launch(&[("LINKDESK_BILLER_URL", rt_sandbox.url())]).await;
    let banner = app.wait("[data-testid=error-banner]").await;
    let text = app.text(&banner).await;
    assert!(text.contains("401"), "{text}");
    // The stable code is on screen, to quote when asking for help.
    let code = app.text(&app.wait("[data-testid=error-code]").await).await;
    assert_eq!(code, "unauthorized");
    app.screenshot("12-error-401").await;
    // The window stays usable: the filters still respond.
    app.select_value("[data-testid=filter-status]", "PENDING")
        .await;
    app.wait("[data-testid=error-banner]").await;
    app.quit().await;
    rt_sandbox.stop().await;
}

/// A write's dialog stays while the write is on its way: neither Cancel
/// ("Keep it") nor Esc hides a cancellation that is still going to happen;
/// it closes when the write is done, and the record shows it.
#[tokio::test(flavor = "multi_thread")]
async fn a_write_dialog_stays_until_its_write_is_done() {
    if !e2e_enabled() {
        return;
    }
    let _one_window = WINDOW.lock().await;
    let app = launch_clean(&[(
        "LINKDESK_SANDBOX_OPTS",
        "--no-rate-limit --latency-ms 2000".into(),
    )])
    .await;
    set_filter_status(&app, "PENDING").await;
    let pending = open_first(&app).await;
    // The pane offers its writes once the record was read from the service.
    app.wait_js(
        "the record read and its writes offered",
        "(() => { const b = document.querySelector('[data-testid=rtl-detail] [data-testid=rtl-cancel]'); return b && !b.disabled && !document.querySelector('#rtl-loading:not([hidden])'); })()",
    )
    .await;
    tokio::time::sleep(std::time::Duration::from_millis(2500)).await;
    app.click_on("[data-testid=rtl-cancel]").await;
    let reason = app.wait("[data-testid=cancel-reason]").await;
    app.type_into(&reason, "Asked twice").await;
    app.click_on("[data-testid=confirm-ok]").await;
    // The cancellation is on its way (two seconds each request): Esc, then
    // the dialog's own Cancel button.
    app.key("\u{E00C}").await;
    let cancel_state = app
        .js(
            "const b = document.querySelector('[data-testid=confirm-cancel]'); b.click(); return [document.querySelector('#dialog').open, b.disabled];",
            vec![],
        )
        .await;
    assert_eq!(
        cancel_state,
        json!([true, true]),
        "the dialog stays while writing"
    );
    app.screenshot("rtl-20-write-dialog-busy").await;
    app.wait_js(
        "the dialog closed after the write",
        "!document.querySelector('#dialog').open",
    )
    .await;
    app.wait_js("cancelled", &format!(
        "document.querySelector('[data-testid=rtl-detail]').textContent.includes({}) && document.querySelector('[data-testid=rtl-detail] [data-testid=rtl-status]').textContent === 'CANCELLED'",
        json!(pending)
    )).await;
    app.quit().await;
}

/// After a click on a toolbar button, j/k take the keyboard to the rows:
/// Enter opens the row they picked, never that button again.
#[tokio::test(flavor = "multi_thread")]
async fn j_and_k_take_the_keyboard_back_from_a_clicked_button() {
    if !e2e_enabled() {
        return;
    }
    let _one_window = WINDOW.lock().await;
    let app = launch_clean(&[("LINKDESK_SANDBOX_OPTS", "--no-rate-limit".into())]).await;
    app.click_on("[data-testid=filter-clear]").await;
    app.wait_js(
        "the list read again",
        "document.querySelector('#rtl-loading').hidden && document.querySelectorAll('[data-testid=rtl-row]').length > 1",
    )
    .await;
    let second = app
        .js(
            "return document.querySelectorAll('[data-testid=rtl-row]')[1].dataset.id;",
            vec![],
        )
        .await;
    let second = second.as_str().expect("row id").to_string();
    app.key("j").await;
    app.key("j").await;
    app.key("\u{E007}").await;
    app.wait_js(
        "the second row opened",
        &format!(
            "(() => {{ const d = document.querySelector('[data-testid=rtl-detail]'); return d && !d.hidden && d.textContent.includes({}); }})()",
            json!(second)
        ),
    )
    .await;
    app.quit().await;
}
