//! End-to-end: sync every RTL with the progress bar, lose the service, keep
//! filtering and paging from the cache, export a CSV of the filtered list.

mod support;

use serde_json::json;
use support::webdriver::{e2e_enabled, App, WINDOW};

/// Counts the records of a CSV file (quoted fields may hold line breaks).
fn csv_records(text: &str) -> Vec<Vec<String>> {
    let mut records = Vec::new();
    let (mut record, mut field, mut quoted) = (Vec::new(), String::new(), false);
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match (c, quoted) {
            ('"', true) if chars.peek() == Some(&'"') => {
                field.push('"');
                chars.next();
            }
            ('"', _) => quoted = !quoted,
            (',', false) => record.push(std::mem::take(&mut field)),
            ('\r', false) => {}
            ('\n', false) => {
                record.push(std::mem::take(&mut field));
                records.push(std::mem::take(&mut record));
            }
            (c, _) => field.push(c),
        }
    }
    if !field.is_empty() || !record.is_empty() {
        record.push(field);
        records.push(record);
    }
    records
}

#[tokio::test(flavor = "multi_thread")]
async fn sync_then_work_offline_and_export() {
    if !e2e_enabled() {
        return;
    }
    let _one_window = WINDOW.lock().await;
    // Documented rate limits on: the sync must pace itself and never see a 429.
    let sandbox = linkdesk_sandbox::start(linkdesk_sandbox::Options {
        rtls: 450,
        ..Default::default()
    })
    .await
    .unwrap();
    let exports = tempfile::tempdir().unwrap();
    let app = App::launch(&[
        ("LINKDESK_BILLER_URL", sandbox.url()),
        ("LINKDESK_LINKMONEY_URL", sandbox.url()),
        ("LINKDESK_EXPORT_DIR", exports.path().display().to_string()),
    ])
    .await;
    app.wait_until("[data-testid=rtl-total]", |t| t.ends_with("of 450"))
        .await;

    // Sync all, watching the progress bar.
    app.click_on("[data-testid=sync-start]").await;
    app.wait("[data-testid=sync-progress]").await;
    app.wait_until("[data-testid=sync-text]", |t| t.contains("page"))
        .await;
    app.screenshot("30-sync-progress").await;
    app.wait_until("[data-testid=sync-text]", |t| t.starts_with("Synced"))
        .await;
    let text = app.text(&app.wait("[data-testid=sync-text]").await).await;
    assert!(text.contains("none refused"), "{text}");
    app.screenshot("31-sync-done").await;

    // The service goes away.
    sandbox.stop().await;
    app.select_value("[data-testid=filter-status]", "PENDING")
        .await;
    app.wait("[data-testid=offline-banner]").await;
    app.wait_js("pending rows from the cache", "(() => { const b = [...document.querySelectorAll('[data-testid=rtl-row] [data-testid=rtl-status]')]; return b.length === 20 && b.every(x => x.textContent === 'PENDING'); })()").await;
    let banner = app
        .text(&app.wait("[data-testid=offline-banner]").await)
        .await;
    assert!(
        banner.starts_with("Offline — showing data cached at"),
        "{banner}"
    );
    let conn = app.text(&app.wait("[data-testid=conn-status]").await).await;
    assert_eq!(conn, "Offline");
    app.screenshot("32-offline-filtered").await;
    let total = app.text(&app.wait("[data-testid=rtl-total]").await).await;
    let pending: u64 = total
        .rsplit(' ')
        .next()
        .unwrap()
        .replace(',', "")
        .parse()
        .unwrap();
    assert!(pending > 20, "{total}");

    // Paging works offline.
    app.click_on("[data-testid=page-next]").await;
    app.wait_until("[data-testid=rtl-total]", |t| t.starts_with("21–"))
        .await;
    app.screenshot("33-offline-page-2").await;

    // Sorting by a column is answered by the cache.
    app.click_on("th[data-sort=client_user_id]").await;
    app.wait_js(
        "sorted by user",
        "document.querySelector('th[data-sort=client_user_id]').classList.contains('sorted-asc')",
    )
    .await;
    let users = app.js("return [...document.querySelectorAll('[data-testid=rtl-row]')].map(r => r.children[1].textContent);", vec![]).await;
    let users: Vec<String> = serde_json::from_value(users).unwrap();
    assert_eq!(users.len(), 20);

    // Export every row of the filtered list, not only the page on screen.
    // Offline, nobody can say the cache holds the whole list: the window
    // says so, and exports the cached rows only when asked to, marked partial.
    app.click_on("[data-testid=export-csv]").await;
    app.wait_until("[data-testid=export-incomplete]", |t| {
        t.contains("cannot ask BillerAPI")
    })
    .await;
    app.screenshot("34-offline-export-asks").await;
    app.click_on("[data-testid=confirm-ok]").await;
    app.wait_until("[data-testid=toast]", |t| {
        t.starts_with("Exported") && t.contains("partial")
    })
    .await;
    let file = std::fs::read_dir(exports.path())
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .find(|p| p.extension().is_some_and(|e| e == "csv"))
        .expect("a CSV file was written");
    let records = csv_records(&std::fs::read_to_string(&file).unwrap());
    assert_eq!(
        records.len() as u64,
        pending + 1,
        "a header and every PENDING row"
    );
    let status_col = records[0]
        .iter()
        .position(|h| h == "status")
        .expect("a status column");
    assert!(records[1..].iter().all(|r| r[status_col] == "PENDING"));
    app.screenshot("34-exported").await;

    // Go to ID (Ctrl+K) finds a cached record by an ID prefix, still offline.
    let first_id = app
        .attr(&app.wait("[data-testid=rtl-row]").await, "data-id")
        .await
        .unwrap();
    app.js(
        "document.activeElement && document.activeElement.blur(); document.dispatchEvent(new KeyboardEvent('keydown', {key: 'k', ctrlKey: true, bubbles: true}));",
        vec![],
    )
    .await;
    let input = app.wait("[data-testid=goto-input]").await;
    app.type_into(&input, &first_id[..8]).await;
    app.wait_js("a go-to result", &format!(
        "[...document.querySelectorAll('[data-testid=goto-result]')].some(r => r.dataset.id === {})", json!(first_id)
    )).await;
    app.screenshot("35-go-to-id").await;
    app.click_on(&format!(
        "[data-testid=goto-result][data-id=\"{first_id}\"]"
    ))
    .await;
    app.wait_js("the record opened", &format!(
        "!document.querySelector('[data-testid=rtl-detail]').hidden && document.querySelector('[data-testid=rtl-detail]').textContent.includes({})", json!(first_id)
    )).await;
    assert!(
        app.js(
            "return document.querySelector('[data-testid=error-banner]').hidden;",
            vec![]
        )
        .await
            == json!(true)
    );
    app.quit().await;
}
