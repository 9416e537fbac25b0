//! End-to-end: what the window shows and how it is worked by keyboard and
//! pointer, in the real window with real key and pointer events. "Go to ID"
//! closes like every palette and looks up at the service what the cache does
//! not hold; the two keyboard flows are counted keystroke by keystroke; forms
//! take amounts as people type them; errors stay until the person acts; sync
//! state belongs to its environment; deleting the active environment moves
//! everything to the built-in one; writes are turned off while offline; the
//! layout holds from 960×600 to 1440×900 in both themes.

mod money_support;
mod support;

use serde_json::{json, Value};
use support::webdriver::{e2e_enabled, App, WINDOW};

const CTRL: &str = "\u{E009}";
const SHIFT: &str = "\u{E008}";
const ENTER: &str = "\u{E007}";
const ESC: &str = "\u{E00C}";
const TAB: &str = "\u{E004}";

fn tid(name: &str) -> String {
    format!("[data-testid={name}]")
}

/// Counts the keystrokes of a flow: a key, or a key with Ctrl held, is one.
/// Pasting (Ctrl+V) and typing the amount are done but not counted, as the
/// flows are measured "beyond pasting the ID and typing the amount".
struct Keys<'a> {
    app: &'a App,
    counted: u32,
}

impl<'a> Keys<'a> {
    fn new(app: &'a App) -> Self {
        Keys { app, counted: 0 }
    }
    async fn key(&mut self, key: &str) {
        self.app.key(key).await;
        self.counted += 1;
    }
    async fn ctrl(&mut self, key: &str) {
        self.app.chord(CTRL, key).await;
        self.counted += 1;
    }
    async fn paste(&self) {
        self.app.chord(CTRL, "v").await;
    }
    async fn type_text(&self, text: &str) {
        for c in text.chars() {
            self.app.key(&c.to_string()).await;
        }
    }
}

/// Puts `text` on the system clipboard, as copying it elsewhere would.
async fn copy(app: &App, text: &str) {
    app.js(
        "return window.__TAURI__.core.invoke('copy_text', {text: arguments[0]});",
        vec![json!(text)],
    )
    .await;
}

async fn text_of(app: &App, name: &str) -> String {
    let el = app.wait(&tid(name)).await;
    app.text(&el).await
}

async fn wait_text(app: &App, name: &str, want: &str) -> String {
    let want = want.to_string();
    let el = app.wait_until(&tid(name), |t| t.contains(&want)).await;
    app.text(&el).await
}

async fn palette_open(app: &App) -> bool {
    app.js("return document.querySelector('#goto').open;", vec![])
        .await
        == json!(true)
}

async fn wait_palette(app: &App, open: bool) {
    app.wait_js(
        if open {
            "the palette open"
        } else {
            "the palette closed"
        },
        &format!("document.querySelector('#goto').open === {open}"),
    )
    .await;
}

/// A page of RTLs read straight from the sandbox, so the window has not cached them.
async fn rtl_page(url: &str, page: u32) -> Value {
    let defaults = linkdesk_sandbox::Options::default();
    reqwest::Client::new()
        .get(format!("{url}/link/request-to-link?page={page}&limit=20"))
        .header("X-Client-ID", defaults.biller_client_id)
        .header("X-Client-Secret", defaults.biller_client_secret)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

/// Takes the focus off whatever has it, as a click on empty space would.
async fn blur(app: &App) {
    app.js(
        "document.activeElement && document.activeElement.blur();",
        vec![],
    )
    .await;
}

/// True when the focused control shows a focus ring of 2 px or more.
async fn focus_ring(app: &App) -> bool {
    js_bool(app, "const s = getComputedStyle(document.activeElement); return s.outlineStyle !== 'none' && parseFloat(s.outlineWidth) >= 2;").await
}

/// Inputs, selects and text areas on screen that have no accessible name.
const UNLABELLED: &str = r#"return [...document.querySelectorAll('input, select, textarea')]
  .filter(el => el.offsetParent !== null)
  .filter(el => !(el.labels && el.labels.length) && !el.getAttribute('aria-label') && !el.getAttribute('aria-labelledby'))
  .map(el => el.dataset.testid || el.id || el.outerHTML.slice(0, 80));"#;

async fn unlabelled(app: &App) -> Vec<String> {
    serde_json::from_value(app.js(UNLABELLED, vec![]).await).unwrap_or_default()
}

/// Refunds 12.34 of the payment `txn` by keyboard, from wherever the window
/// is, with its ID on the clipboard: Ctrl+K, (paste), Enter opens the
/// transaction, r opens the refund, (the amount), Enter reviews, Ctrl+Enter
/// sends. Fails when that takes more than 6 counted keystrokes.
async fn refund_by_keyboard(app: &App, txn: &str) {
    copy(app, txn).await;
    let mut keys = Keys::new(app);
    keys.ctrl("k").await;
    wait_palette(app, true).await;
    keys.paste().await;
    keys.key(ENTER).await;
    wait_text(app, "transaction-id", txn).await;
    app.wait_js(
        "the refund button enabled",
        "!document.querySelector('[data-testid=transaction-refund]').disabled",
    )
    .await;
    keys.key("r").await;
    app.wait_js(
        "the amount field focused",
        "document.activeElement && document.activeElement.dataset.testid === 'refund-amount'",
    )
    .await;
    keys.type_text("$12.34").await;
    wait_text(app, "refund-amount-normalised", "$12.34").await;
    keys.key(ENTER).await;
    app.wait(&tid("refund-confirm")).await;
    assert_eq!(text_of(app, "confirm-amount").await, "$12.34");
    keys.ctrl(ENTER).await;
    wait_text(app, "refund-result-state", "Sent").await;
    assert!(
        keys.counted <= 6,
        "{} keystrokes to refund a pasted transaction",
        keys.counted
    );
}

// One window at a time (the machine has two cores): the lock is held for the
// whole test on purpose.
#[allow(clippy::await_holding_lock)]
#[tokio::test(flavor = "multi_thread")]
async fn go_to_id_keyboard_flows_and_inputs() {
    if !e2e_enabled() {
        return;
    }
    let _one_window = WINDOW.lock().await;
    let sandbox = money_support::start(|o| o.rtls = 200).await;
    let url = sandbox.url();
    let (txn, _, _) = money_support::succeeded_payment_of_at_least(&url, 5000).await;
    let fixtures = money_support::fixtures(&url).await;
    let payout = money_support::listed(&fixtures, "payouts")[0].0.clone();
    let app = App::launch(&[
        ("LINKDESK_BILLER_URL", url.clone()),
        ("LINKDESK_LINKMONEY_URL", url.clone()),
    ])
    .await;
    app.wait(&tid("rtl-row")).await;
    let user = app
        .js(
            "return document.querySelector('[data-testid=rtl-row]').children[1].textContent;",
            vec![],
        )
        .await
        .as_str()
        .unwrap()
        .to_string();

    // From launch, with a client user ID on the clipboard: all its RTLs in
    // Ctrl+K, (paste), Enter.
    copy(&app, &user).await;
    let mut keys = Keys::new(&app);
    keys.ctrl("k").await;
    wait_palette(&app, true).await;
    keys.paste().await;
    keys.key(ENTER).await;
    app.wait_js(
        "the client user ID's RTLs",
        &format!(
            "(() => {{ const r = [...document.querySelectorAll('[data-testid=rtl-row]')]; return r.length > 0 && r.every(x => x.children[1].textContent === {u}) && document.querySelector('[data-testid=filter-client-user-id]').value === {u}; }})()",
            u = json!(user)
        ),
    )
    .await;
    assert!(
        keys.counted <= 3,
        "{} keystrokes to list a user's RTLs",
        keys.counted
    );
    assert!(!palette_open(&app).await);
    app.screenshot("window-01-user-rtls").await;

    // The palette closes like every palette: Esc, Ctrl+K again, a click outside.
    app.chord(CTRL, "k").await;
    wait_palette(&app, true).await;
    app.key(ESC).await;
    wait_palette(&app, false).await;
    app.chord(CTRL, "k").await;
    wait_palette(&app, true).await;
    app.chord(CTRL, "k").await;
    wait_palette(&app, false).await;
    app.click_on(&tid("goto-open")).await;
    wait_palette(&app, true).await;
    app.pointer_at(8, 400, true).await;
    wait_palette(&app, false).await;

    // Its list is a listbox of options.
    assert_eq!(
        app.js(
            "return document.querySelector('#goto-results').getAttribute('role');",
            vec![]
        )
        .await,
        json!("listbox")
    );

    // A prefix of a cached ID: the cached record comes first, and Enter opens
    // it; looking up the text as typed comes after it.
    let cached = app
        .js(
            "return document.querySelector('[data-testid=rtl-row]').dataset.id;",
            vec![],
        )
        .await;
    let cached = cached.as_str().unwrap().to_string();
    app.chord(CTRL, "k").await;
    let input = app.wait(&tid("goto-input")).await;
    app.type_into(&input, &cached[..cached.len() - 3]).await;
    app.wait_js(
        "the cached record first",
        &format!(
            "(() => {{ const o = [...document.querySelectorAll('[data-testid=goto-result]')]; return o.length > 1 && o[0].dataset.action === 'open' && o[0].textContent.includes({}) && o.some((x) => x.dataset.action === 'lookup'); }})()",
            json!(cached)
        ),
    )
    .await;
    app.key(ESC).await;
    wait_palette(&app, false).await;

    // An RTL the cache does not hold is looked up at BillerAPI.
    let uncached = rtl_page(&url, 7).await["items"][0]["id"]
        .as_str()
        .unwrap()
        .to_string();
    app.chord(CTRL, "k").await;
    let input = app.wait(&tid("goto-input")).await;
    app.type_into(&input, &uncached).await;
    app.wait_js(
        "the look-up option",
        "(() => { const o = document.querySelector('[data-testid=goto-result]'); return o && o.dataset.action === 'lookup' && o.getAttribute('role') === 'option'; })()",
    )
    .await;
    app.screenshot("window-02-goto-lookup").await;
    app.key(ENTER).await;
    app.wait_js(
        "the uncached RTL in the detail pane",
        &format!(
            "(() => {{ const d = document.querySelector('[data-testid=rtl-detail]'); return d && !d.hidden && d.textContent.includes({}); }})()",
            json!(uncached)
        ),
    )
    .await;
    assert!(!palette_open(&app).await);

    // A payout (a UUID) is found at Link Money; an unknown UUID says so and
    // the palette stays open.
    app.chord(CTRL, "k").await;
    let input = app.wait(&tid("goto-input")).await;
    app.type_into(&input, &payout).await;
    app.key(ENTER).await;
    wait_text(&app, "payout-id", &payout).await;
    app.chord(CTRL, "k").await;
    let input = app.wait(&tid("goto-input")).await;
    app.type_into(&input, "00000000-0000-4000-8000-000000000000")
        .await;
    app.key(ENTER).await;
    wait_text(&app, "goto-problem", "no transaction, payout or customer").await;
    assert!(palette_open(&app).await);
    app.key(ESC).await;
    wait_palette(&app, false).await;

    // The list's "no matches" state points to Go to ID.
    app.click_on(&tid("nav-rtls")).await;
    app.click_on(&tid("filter-clear")).await;
    let search = app.wait(&tid("filter-search")).await;
    app.type_into(&search, "zz-no-such-user").await;
    app.click_on(&tid("rtl-empty-goto-open")).await;
    wait_palette(&app, true).await;
    assert_eq!(
        app.js(
            "return document.querySelector('#goto-input').value;",
            vec![]
        )
        .await,
        json!("zz-no-such-user")
    );
    app.key(ESC).await;
    wait_palette(&app, false).await;
    app.click_on(&tid("filter-clear")).await;
    app.wait_until(&tid("rtl-total"), |t| t.starts_with("1–20"))
        .await;

    // A biller's ID lists its requests.
    app.chord(CTRL, "k").await;
    let input = app.wait(&tid("goto-input")).await;
    app.type_into(&input, "energie_nordique").await;
    app.wait_js(
        "the biller option",
        "(() => { const o = document.querySelector('[data-testid=goto-result]'); return o && o.dataset.kind === 'biller'; })()",
    )
    .await;
    app.key(ENTER).await;
    app.wait_js(
        "the biller's requests",
        "(() => { const r = [...document.querySelectorAll('[data-testid=rtl-row]')]; return document.querySelector('[data-testid=filter-biller-id]').value === 'energie_nordique' && r.length > 0 && r.every(x => x.children[2].textContent.startsWith('Énergie')); })()",
    )
    .await;
    app.click_on(&tid("filter-clear")).await;
    app.wait_until(&tid("rtl-total"), |t| t.starts_with("1–20"))
        .await;

    // Enter on a focused button presses it; the list's keys do not take it.
    app.click_on(&tid("detail-close")).await;
    blur(&app).await;
    app.key("j").await;
    app.js(
        "document.querySelector('[data-testid=page-next]').focus();",
        vec![],
    )
    .await;
    app.key(ENTER).await;
    app.wait_until(&tid("rtl-total"), |t| t.starts_with("21–40"))
        .await;
    assert_eq!(
        app.js(
            "return document.querySelector('[data-testid=rtl-detail]').hidden;",
            vec![]
        )
        .await,
        json!(true),
        "Enter on the button must not open the selected row"
    );

    // Rows are focusable and say which is selected; headers are buttons
    // with aria-sort.
    let rows = app
        .js("return [...document.querySelectorAll('[data-testid=rtl-row]')].every(r => r.hasAttribute('tabindex') && r.hasAttribute('aria-selected'));", vec![])
        .await;
    assert_eq!(rows, json!(true));
    let heads = app
        .js("return [...document.querySelectorAll('#view-rtls th[data-sort]')].every(th => th.hasAttribute('aria-sort') && th.querySelector('button'));", vec![])
        .await;
    assert_eq!(heads, json!(true));

    // With a transaction ID on the clipboard: refund 12.34 by keyboard.
    blur(&app).await;
    refund_by_keyboard(&app, &txn).await;
    // Enter or Ctrl+Enter pressed again at once leaves the outcome on screen:
    // it has the focus, not a button.
    app.chord(CTRL, ENTER).await;
    app.key(ENTER).await;
    wait_text(&app, "refund-result-state", "Sent").await;
    assert_eq!(
        app.js(
            "return document.activeElement.dataset.testid || '';",
            vec![]
        )
        .await,
        json!("refund-result-text")
    );
    app.screenshot("window-03-refund-result").await;
    app.click_on(&tid("confirm-cancel")).await;
    app.wait_js(
        "the result closed",
        "!document.querySelector('#dialog').open",
    )
    .await;

    // Amounts as people type them, the descriptor counted, never cut.
    wait_text(&app, "transaction-id", &txn).await;
    app.wait_js(
        "the refund button enabled",
        "!document.querySelector('[data-testid=transaction-refund]').disabled",
    )
    .await;
    app.click_on(&tid("transaction-refund")).await;
    let amount = app.wait(&tid("refund-amount")).await;
    app.type_into(&amount, "1,000.00").await;
    wait_text(&app, "refund-amount-normalised", "$1,000.00").await;
    // Above what the payment has left: said while typing, not at the click.
    app.clear(&amount).await;
    app.type_into(&amount, "999,999.00").await;
    wait_text(&app, "refund-amount-normalised", "more than the").await;
    let descriptor = app.wait(&tid("refund-descriptor")).await;
    let long = "A".repeat(85);
    app.type_into(&descriptor, &long).await;
    wait_text(&app, "refund-descriptor-count", "85 of 80").await;
    assert_eq!(
        app.js(
            "return document.querySelector('[data-testid=refund-descriptor]').value.length;",
            vec![]
        )
        .await,
        json!(85)
    );
    app.clear(&amount).await;
    app.type_into(&amount, "1.00").await;
    app.js(
        "document.querySelector('[data-testid=refund-amount]').focus();",
        vec![],
    )
    .await;
    app.key(ENTER).await;
    wait_text(&app, "dialog-error", "80").await;
    assert!(
        unlabelled(&app).await.is_empty(),
        "{:?}",
        unlabelled(&app).await
    );
    // The dialog is labelled by its title and keeps Tab inside.
    assert_eq!(
        app.js("const d = document.querySelector('#dialog'); return document.getElementById(d.getAttribute('aria-labelledby')).textContent.length > 0;", vec![]).await,
        json!(true)
    );
    for shift in [false, true] {
        for _ in 0..8 {
            if shift {
                app.chord(SHIFT, TAB).await;
            } else {
                app.key(TAB).await;
            }
            assert!(
                js_bool(
                    &app,
                    "return document.querySelector('#dialog').contains(document.activeElement);"
                )
                .await,
                "Tab left the dialog"
            );
        }
    }
    // A control reached by Tab shows a focus ring.
    assert!(focus_ring(&app).await, "no visible focus ring");
    app.click_on(&tid("confirm-cancel")).await;

    // The confirmation threshold takes "$1,000.00" too.
    app.click_on(&tid("nav-refunds")).await;
    let threshold = app.wait(&tid("threshold-input")).await;
    app.clear(&threshold).await;
    app.type_into(&threshold, "$1,000.00").await;
    app.click_on(&tid("threshold-save")).await;
    wait_text(&app, "toast", "$1,000.00").await;

    // Every input on every view has a label.
    for view in [
        "rtls",
        "customers",
        "transactions",
        "payouts",
        "refunds",
        "webhooks",
        "audit",
        "settings",
    ] {
        app.click_on(&tid(&format!("nav-{view}"))).await;
        app.wait(&tid(&format!("view-{view}"))).await;
        let missing = unlabelled(&app).await;
        assert!(missing.is_empty(), "unlabelled in {view}: {missing:?}");
    }

    // Single-letter shortcuts can be turned off, and on again. The settings
    // view first settles (its environment cards arrive after it is shown and
    // move what is below them), so the click lands on the switch.
    app.wait(&tid("env-card")).await;
    app.click_on(&tid("letter-shortcuts")).await;
    app.wait_js(
        "letters off",
        "!document.querySelector('[data-testid=letter-shortcuts]').checked",
    )
    .await;
    blur(&app).await;
    app.key("g").await;
    app.key("r").await;
    app.wait(&tid("view-settings")).await;
    assert_eq!(
        app.js(
            "return document.querySelector('[data-testid=view-rtls]').hidden;",
            vec![]
        )
        .await,
        json!(true),
        "g r still switched views with letters turned off"
    );
    app.click_on(&tid("letter-shortcuts")).await;
    blur(&app).await;
    app.key("g").await;
    app.key("r").await;
    app.wait(&tid("view-rtls")).await;
    app.quit().await;
}

const BILLER_SECRET: &str = "bb_test_window_s3cr3t";
const LINKMONEY_SECRET: &str = "lm_window_s3cr3t";

fn card(name: &str) -> String {
    format!("[data-testid=env-card][data-name=\"{name}\"]")
}

/// Adds an environment through Settings (the view must be open).
async fn add_environment(app: &App, name: &str, kind: &str, url: &str) {
    let biller_secret = if kind == "production" {
        "bb_live_window_s3cr3t"
    } else {
        BILLER_SECRET
    };
    app.click_on(&tid("env-add")).await;
    for (field, value) in [
        ("name", name),
        ("billerUrl", url),
        ("linkmoneyUrl", url),
        ("merchantId", "merchant_sandbox"),
        ("billerClientId", "client_sandbox"),
        ("billerClientSecret", biller_secret),
        ("linkmoneyClientId", "lm_sandbox_client"),
        ("linkmoneyClientSecret", LINKMONEY_SECRET),
    ] {
        let input = app.wait(&tid(&format!("env-{field}"))).await;
        app.type_into(&input, value).await;
    }
    app.select_value(&tid("env-kind"), kind).await;
    app.click_on(&tid("confirm-ok")).await;
    app.wait(&card(name)).await;
}

/// A loopback port nothing listens on.
fn closed_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

async fn js_bool(app: &App, script: &str) -> bool {
    app.js(script, vec![]).await == json!(true)
}

#[allow(clippy::await_holding_lock)]
#[tokio::test(flavor = "multi_thread")]
async fn errors_stay_environments_follow_and_offline_writes() {
    if !e2e_enabled() {
        return;
    }
    let _one_window = WINDOW.lock().await;
    let sandbox = money_support::start(|o| o.rtls = 120).await;
    let url = sandbox.url();
    let app = App::launch(&[
        ("LINKDESK_BILLER_URL", url.clone()),
        ("LINKDESK_LINKMONEY_URL", url.clone()),
    ])
    .await;
    app.wait(&tid("rtl-row")).await;
    app.js("window.__syncTexts = []; new MutationObserver(() => window.__syncTexts.push(document.querySelector('#sync-text').textContent)).observe(document.querySelector('#sync-text'), {childList: true, characterData: true, subtree: true});", vec![]).await;

    // Item 14: changing the page size keeps the first visible row on screen.
    for _ in 0..3 {
        let before = text_of(&app, "rtl-total").await;
        app.click_on(&tid("page-next")).await;
        app.wait_until(&tid("rtl-total"), |t| t != before).await;
    }
    wait_text(&app, "rtl-total", "61–80").await;
    app.select_value(&tid("page-size"), "50").await;
    app.wait_until(&tid("rtl-total"), |t| t.starts_with("51–100"))
        .await;
    app.select_value(&tid("page-size"), "20").await;
    app.wait_until(&tid("rtl-total"), |t| t.starts_with("41–60"))
        .await;

    // Item 9: a sync paused here offers "Resume sync" here only.
    app.click_on(&tid("sync-start")).await;
    app.wait_until(&tid("sync-text"), |t| t.contains("page"))
        .await;
    app.click_on(&tid("sync-cancel")).await;
    app.wait_until(&tid("sync-start"), |t| t == "Resume sync")
        .await;

    // Item 9: the webhook form's error stays after the list reloads.
    app.click_on(&tid("nav-webhooks")).await;
    let hook = app.wait(&tid("webhook-url")).await;
    app.type_into(&hook, "not a url").await;
    let secret = app.wait(&tid("webhook-secret")).await;
    app.type_into(&secret, "whsec_window").await;
    app.click_on(&tid("webhook-subscribe")).await;
    let said = wait_text(&app, "webhook-error", "").await;
    assert!(!said.is_empty());
    tokio::time::sleep(std::time::Duration::from_millis(1500)).await;
    assert_eq!(
        text_of(&app, "webhook-error").await,
        said,
        "the form's error vanished"
    );

    // Item 11: "Work offline" turns every write off, with the reason.
    app.click_on(&tid("work-offline")).await;
    app.wait_js("subscribe disabled", "document.querySelector('[data-testid=webhook-subscribe]').disabled && document.querySelector('[data-testid=webhook-blocked]').textContent.includes('Work offline')").await;
    app.click_on(&tid("nav-rtls")).await;
    app.wait_js("new request disabled", "document.querySelector('[data-testid=rtl-new]').disabled && document.querySelector('[data-testid=rtl-new]').title.includes('Work offline')").await;
    app.click_on(&tid("work-offline")).await;
    app.wait_js(
        "new request enabled",
        "!document.querySelector('[data-testid=rtl-new]').disabled",
    )
    .await;

    // Item 14: a successful save clears the error of the failed one.
    app.click_on(&tid("nav-refunds")).await;
    let threshold = app.wait(&tid("threshold-input")).await;
    app.clear(&threshold).await;
    app.type_into(&threshold, "abc").await;
    app.click_on(&tid("threshold-save")).await;
    app.wait(&tid("error-banner")).await;
    app.clear(&threshold).await;
    app.type_into(&threshold, "5.00").await;
    app.click_on(&tid("threshold-save")).await;
    wait_text(&app, "toast", "$5.00").await;
    app.wait_js(
        "the error gone",
        "document.querySelector('[data-testid=error-banner]').hidden",
    )
    .await;

    // Item 14: audit times have seconds; "From" after "To" says so.
    app.click_on(&tid("nav-audit")).await;
    app.wait_js(
        "audit times with seconds",
        "(() => { const c = document.querySelector('[data-testid=audit-row] td'); return c && /\\d:\\d\\d:\\d\\d/.test(c.textContent); })()",
    )
    .await;
    app.js("const f = document.querySelector('[data-testid=audit-from]'); f.value = '2026-12-20'; f.dispatchEvent(new Event('change')); const t = document.querySelector('[data-testid=audit-to]'); t.value = '2026-12-01'; t.dispatchEvent(new Event('change'));", vec![]).await;
    wait_text(&app, "audit-empty", "after").await;
    app.click_on(&tid("audit-clear")).await;

    // Item 14: the shortcut list has one button, "Close".
    blur(&app).await;
    app.key("?").await;
    app.wait(&tid("shortcuts")).await;
    assert!(app.find_all(&tid("confirm-cancel")).await.is_empty());
    assert_eq!(text_of(&app, "confirm-ok").await, "Close");
    app.click_on(&tid("confirm-ok")).await;

    // Item 14: each connection test has its own line.
    app.click_on(&tid("nav-settings")).await;
    app.click_on(&tid("env-test-biller")).await;
    app.click_on(&tid("env-test-linkmoney")).await;
    wait_text(&app, "test-result-biller", "✓ BillerAPI").await;
    wait_text(&app, "test-result-linkmoney", "✓ Link Money").await;

    // Item 9: an environment that never synced offers "Sync all RTLs", and
    // its sync's failure stays in the panel after the list reloads.
    add_environment(
        &app,
        "Unreachable",
        "sandbox",
        &format!("http://127.0.0.1:{}", closed_port()),
    )
    .await;
    app.click_on(&format!("{} [data-testid=env-use]", card("Unreachable")))
        .await;
    app.wait_until(&tid("env-banner"), |t| t.contains("Unreachable"))
        .await;
    app.click_on(&tid("nav-rtls")).await;
    app.wait_until(&tid("sync-start"), |t| t == "Sync all RTLs")
        .await;
    // Item 11: the service cannot be reached: writes are off, with the reason.
    app.wait_js("new request disabled offline", "document.querySelector('[data-testid=rtl-new]').disabled && document.querySelector('[data-testid=rtl-new]').title.includes('cannot be reached')").await;
    app.click_on(&tid("sync-start")).await;
    app.wait_until(&tid("sync-text"), |t| t.contains("Sync stopped"))
        .await;
    app.click_on(&tid("filter-clear")).await;
    tokio::time::sleep(std::time::Duration::from_millis(1500)).await;
    assert!(js_bool(&app, "return !document.querySelector('[data-testid=sync-panel]').hidden && document.querySelector('[data-testid=sync-text]').textContent.includes('Sync stopped');").await, "the sync's failure vanished");
    app.screenshot("window-04-sync-failed").await;

    // Item 10: deleting the active production environment moves everything
    // to the built-in one.
    app.click_on(&tid("nav-settings")).await;
    add_environment(
        &app,
        "Prod",
        "production",
        &format!("https://127.0.0.1:{}", closed_port()),
    )
    .await;
    app.click_on(&format!("{} [data-testid=env-use]", card("Prod")))
        .await;
    app.wait_until(&tid("prod-text"), |t| t.contains("read-only"))
        .await;
    // Settings draws its cards again once the switch is done: the card must
    // say "active" before its Delete is the one on screen.
    app.wait_until(&card("Prod"), |t| t.contains("active"))
        .await;
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    loop {
        app.click_on(&format!("{} [data-testid=env-delete]", card("Prod")))
            .await;
        let mut open = false;
        for _ in 0..20 {
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
            open = app
                .js("return document.querySelector('#dialog').open;", vec![])
                .await
                == serde_json::json!(true);
            if open {
                break;
            }
        }
        if open || std::time::Instant::now() > deadline {
            break;
        }
    }
    app.click_on(&tid("confirm-ok")).await;
    app.wait_js("the production banner gone", "document.querySelector('[data-testid=prod-banner]').hidden && !document.body.classList.contains('production')").await;
    let banner = text_of(&app, "env-banner").await;
    assert!(
        !banner.contains("Prod") && !banner.contains("Unreachable"),
        "{banner}"
    );
    app.click_on(&tid("nav-rtls")).await;
    app.wait_until(&tid("conn-status"), |t| t == "Online").await;
    app.wait(&tid("rtl-row")).await;
    assert!(
        js_bool(
            &app,
            "return !document.querySelector('[data-testid=rtl-new]').disabled;"
        )
        .await
    );

    // Item 9: back in the built-in environment its paused sync resumes, and
    // no page reports "0 of …".
    app.wait_until(&tid("sync-start"), |t| t == "Resume sync")
        .await;
    app.click_on(&tid("sync-start")).await;
    app.wait_until(&tid("sync-text"), |t| t.starts_with("Synced"))
        .await;
    let texts: Vec<String> =
        serde_json::from_value(app.js("return window.__syncTexts;", vec![]).await).unwrap();
    assert!(
        texts.iter().any(|t| t.contains("120 of 120 RTLs")),
        "{texts:?}"
    );
    assert!(!texts.iter().any(|t| t.contains(" 0 of ")), "{texts:?}");

    // Item 14: sorts by biller and by client user ID read names as people
    // do: accents and case aside ("Énergie" before "Test").
    app.select_value(&tid("page-size"), "100").await;
    for (col, index) in [("biller", 2), ("user", 1)] {
        app.click_on(&format!("#view-rtls th.c-{col} button")).await;
        app.wait_js(
            &format!("sorted by {col}"),
            &format!("document.querySelector('#view-rtls th.c-{col}').getAttribute('aria-sort') === 'ascending' && document.querySelectorAll('[data-testid=rtl-row]').length === 100"),
        )
        .await;
        let unordered = app.js(
            "const fold = (s) => s.normalize('NFD').replace(/\\p{M}/gu, '').toLowerCase(); const v = [...document.querySelectorAll('[data-testid=rtl-row]')].map(r => fold(r.children[arguments[0]].textContent)).filter(x => x !== '—'); return v.filter((x, i) => i > 0 && v[i - 1] > x).concat(v.length ? [] : ['none']);",
            vec![json!(index)],
        )
        .await;
        assert_eq!(unordered, json!([]), "{col} sort out of order");
    }
    app.click_on("#view-rtls th.c-user button").await;
    app.click_on("#view-rtls th.c-user button").await;
    app.select_value(&tid("page-size"), "20").await;

    // Item 11: a write whose connection is refused says nothing was sent.
    app.select_value(&tid("filter-status"), "PENDING").await;
    app.wait_js("pending rows", "(() => { const b = [...document.querySelectorAll('[data-testid=rtl-row] [data-testid=rtl-status]')]; return b.length > 0 && b.every(x => x.textContent === 'PENDING'); })()").await;
    let row = app.wait(&tid("rtl-row")).await;
    app.click(&row).await;
    // Item 14: a link session's URL that no browser can open is copied,
    // and said so in words, never as the launcher's raw error.
    app.wait_js("the proceed button", "(() => { const b = document.querySelector('[data-testid=rtl-proceed]'); return b && !b.disabled; })()").await;
    // Toasts sit at the bottom right, over the pane's buttons: let them go.
    app.wait_js(
        "the toasts gone",
        "!document.querySelector('[data-testid=toast]')",
    )
    .await;
    app.click_on(&tid("rtl-proceed")).await;
    app.click_on(&tid("confirm-ok")).await;
    app.click_on(&tid("open-session-url")).await;
    tokio::time::sleep(std::time::Duration::from_millis(1500)).await;
    if js_bool(
        &app,
        "return !document.querySelector('[data-testid=error-banner]').hidden;",
    )
    .await
    {
        let said = text_of(&app, "error-text").await;
        assert!(said.contains("copied to the clipboard"), "{said}");
        app.click_on(&tid("error-dismiss")).await;
    }
    app.wait_js("the cancel button", "(() => { const b = document.querySelector('[data-testid=rtl-cancel]'); return b && !b.disabled; })()").await;
    sandbox.stop().await;
    app.click_on(&tid("rtl-cancel")).await;
    app.click_on(&tid("confirm-ok")).await;
    let said = wait_text(&app, "dialog-error", "Nothing was sent").await;
    assert!(!said.contains("may not have been made"), "{said}");
    app.screenshot("window-05-nothing-sent").await;
    app.click_on(&tid("confirm-cancel")).await;
    app.quit().await;
}

/// Text on screen whose contrast with what is behind it is under WCAG AA
/// (4.5:1, or 3:1 for large text). Disabled controls are exempt, as in WCAG.
const LOW_CONTRAST: &str = r#"
const parse = (s) => {
  let m = /^rgba?\(([^)]*)\)/.exec(s);
  if (m) { const p = m[1].split(/[\s,\/]+/).filter(Boolean).map(Number); return { rgb: p.slice(0, 3), a: p.length > 3 ? p[3] : 1 }; }
  m = /^color\(srgb ([^)]*)\)/.exec(s);
  if (m) { const p = m[1].split(/[\s\/]+/).filter(Boolean).map(Number); return { rgb: p.slice(0, 3).map((v) => v * 255), a: p.length > 3 ? p[3] : 1 }; }
  return null;
};
const lum = (rgb) => { const [r, g, b] = rgb.map((v) => { v /= 255; return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4); }); return 0.2126 * r + 0.7152 * g + 0.0722 * b; };
const behind = (el) => {
  const layers = [];
  for (let e = el; e; e = e.parentElement) {
    const c = parse(getComputedStyle(e).backgroundColor);
    if (c && c.a > 0) { layers.push(c); if (c.a >= 1) break; }
  }
  let base = [255, 255, 255];
  for (const l of layers.reverse()) base = base.map((v, i) => l.rgb[i] * l.a + v * (1 - l.a));
  return base;
};
const bad = [];
for (const el of document.querySelectorAll('body *')) {
  if (!el.offsetParent && getComputedStyle(el).position !== 'fixed') continue;
  if (![...el.childNodes].some((n) => n.nodeType === 3 && n.textContent.trim())) continue;
  if (el.closest(':disabled, [hidden], option, input, select, textarea, dialog:not([open])')) continue;
  const r = el.getBoundingClientRect();
  if (r.width === 0 || r.height === 0 || r.bottom < 0 || r.top > innerHeight) continue;
  const s = getComputedStyle(el);
  if (s.visibility === 'hidden' || parseFloat(s.opacity) < 1) continue;
  const fg = parse(s.color); if (!fg) continue;
  const b = behind(el);
  const f = fg.rgb.map((v, i) => v * fg.a + b[i] * (1 - fg.a));
  const L1 = lum(f), L2 = lum(b);
  const ratio = (Math.max(L1, L2) + 0.05) / (Math.min(L1, L2) + 0.05);
  const size = parseFloat(s.fontSize), bold = parseInt(s.fontWeight, 10) >= 700;
  const need = size >= 24 || (bold && size >= 18.66) ? 3 : 4.5;
  if (ratio < need) bad.push(`${el.tagName.toLowerCase()}.${el.className} "${el.textContent.trim().slice(0, 30)}" ${ratio.toFixed(2)}`);
}
return bad;"#;

async fn low_contrast(app: &App) -> Vec<String> {
    serde_json::from_value(app.js(LOW_CONTRAST, vec![]).await).unwrap_or_default()
}

/// The bounding box of the first element matching `css`: [left, top, right, bottom].
async fn rect(app: &App, css: &str) -> Vec<f64> {
    let v = app
        .js(
            "const r = document.querySelector(arguments[0]).getBoundingClientRect(); return [r.left, r.top, r.right, r.bottom];",
            vec![json!(css)],
        )
        .await;
    serde_json::from_value(v).unwrap_or_default()
}

/// One round of layout checks and screenshots in the theme the app was
/// launched with (`theme` names the screenshots).
async fn layout_round(app: &App, theme: &str, txn: &str) {
    // 960×600, the smallest window: nothing clipped, nothing wrapped.
    app.resize(960, 600).await;
    app.click_on(&tid("nav-rtls")).await;
    app.wait(&tid("rtl-row")).await;
    app.wait_js("the narrow layout", "window.innerWidth <= 960")
        .await;
    let top = rect(app, ".topbar").await;
    let items: Vec<Vec<f64>> = serde_json::from_value(app.js("return [...document.querySelector('.topbar').children].filter(e => e.offsetParent).map(e => { const r = e.getBoundingClientRect(); return [r.left, r.top, r.right, r.bottom]; });", vec![]).await).unwrap();
    for r in &items {
        assert!(
            r[1] >= top[1] && r[3] <= top[3] + 0.5 && r[2] <= top[2] + 0.5,
            "the top bar wraps or clips at 960: {r:?} in {top:?}"
        );
    }
    let new = rect(app, "[data-testid=rtl-new]").await;
    let main = rect(app, "main").await;
    assert!(
        new[2] <= main[2] && new[0] >= main[0],
        "New request is clipped: {new:?} in {main:?}"
    );
    let overflow = app.js("const w = document.querySelector('.table-wrap'); return w.scrollWidth - w.clientWidth;", vec![]).await;
    assert!(
        overflow.as_f64().unwrap() <= 1.0,
        "the table scrolls sideways at 960: {overflow}"
    );
    let narrowest = app.js("return Math.min(...[...document.querySelectorAll('.filters select')].map(s => s.getBoundingClientRect().width));", vec![]).await;
    assert!(
        narrowest.as_f64().unwrap() >= 120.0,
        "a filter shrank to {narrowest}"
    );
    assert!(
        low_contrast(app).await.is_empty(),
        "{theme} 960: {:?}",
        low_contrast(app).await
    );
    app.screenshot(&format!("window-{theme}-960x600-list"))
        .await;

    // The detail pane at 960: its metadata keeps its lines in a long pane.
    app.select_value(&tid("filter-status"), "IN_PROGRESS").await;
    app.wait_js("in-progress rows", "(() => { const b = [...document.querySelectorAll('[data-testid=rtl-row] [data-testid=rtl-status]')]; return b.length > 0 && b.every(x => x.textContent === 'IN_PROGRESS'); })()").await;
    let id = app.js("const r = [...document.querySelectorAll('[data-testid=rtl-row]')]; return r[0].dataset.id;", vec![]).await;
    let row = app
        .wait(&format!("[data-testid=rtl-row][data-id={}]", id))
        .await;
    app.click(&row).await;
    app.wait(&tid("rtl-metadata")).await;
    let lines = app.js("const p = document.querySelector('[data-testid=rtl-metadata]'); return [p.getBoundingClientRect().height, p.scrollHeight, parseFloat(getComputedStyle(p).lineHeight)];", vec![]).await;
    let lines: Vec<f64> = serde_json::from_value(lines).unwrap();
    assert!(
        lines[0] + 1.0 >= lines[1].min(260.0),
        "the metadata box is squeezed: {lines:?}"
    );
    assert!(
        low_contrast(app).await.is_empty(),
        "{theme} 960 pane: {:?}",
        low_contrast(app).await
    );
    app.screenshot(&format!("window-{theme}-960x600-pane"))
        .await;

    // 1360 (the default width) with the pane open: Status, Created and
    // Updated whole and in view.
    app.resize(1360, 860).await;
    app.wait_js("the default width", "window.innerWidth > 1300")
        .await;
    app.screenshot(&format!("window-{theme}-1360x860-pane"))
        .await;
    let wrap = rect(app, ".table-wrap").await;
    let pane = rect(app, "[data-testid=rtl-detail]").await;
    for col in ["status", "created", "updated"] {
        let th = rect(app, &format!("#view-rtls th.c-{col}")).await;
        assert!(th[2] - th[0] > 40.0, "{col} hidden at 1360: {th:?}");
        assert!(
            th[2] <= wrap[2] + 0.5 && th[2] <= pane[0],
            "{col} cut at 1360: {th:?}, table {wrap:?}, pane {pane:?}"
        );
    }
    let overflow = app.js("const w = document.querySelector('.table-wrap'); return w.scrollWidth - w.clientWidth;", vec![]).await;
    assert!(
        overflow.as_f64().unwrap() <= 1.0,
        "the table scrolls sideways at 1360: {overflow}"
    );

    // 1440×900: the list, the pane, a transaction, a dialog.
    app.resize(1440, 900).await;
    app.wait_js("the wide layout", "window.innerWidth >= 1400")
        .await;
    assert!(
        low_contrast(app).await.is_empty(),
        "{theme} 1440: {:?}",
        low_contrast(app).await
    );
    app.screenshot(&format!("window-{theme}-1440x900-pane"))
        .await;
    // Hovered red and blue buttons stay readable.
    for button in ["rtl-cancel", "rtl-new"] {
        let r = rect(app, &tid(button)).await;
        app.pointer_at(
            ((r[0] + r[2]) / 2.0) as i64,
            ((r[1] + r[3]) / 2.0) as i64,
            false,
        )
        .await;
        tokio::time::sleep(std::time::Duration::from_millis(300)).await;
        let hovered = app
            .js(
                &format!(
                    "return document.querySelector('[data-testid={button}]').matches(':hover');"
                ),
                vec![],
            )
            .await;
        assert_eq!(hovered, json!(true), "{button} not hovered");
        assert!(
            low_contrast(app).await.is_empty(),
            "{theme} hovering {button}: {:?}",
            low_contrast(app).await
        );
    }
    app.pointer_at(600, 800, false).await;
    app.click_on(&tid("nav-transactions")).await;
    let input = app.wait(&tid("transaction-lookup-input")).await;
    app.clear(&input).await;
    app.type_into(&input, txn).await;
    app.click_on(&tid("transaction-lookup-go")).await;
    wait_text(app, "transaction-id", txn).await;
    assert!(
        low_contrast(app).await.is_empty(),
        "{theme} transaction: {:?}",
        low_contrast(app).await
    );
    app.screenshot(&format!("window-{theme}-1440x900-transaction"))
        .await;
    app.click_on(&tid("nav-rtls")).await;
    app.click_on(&tid("rtl-new")).await;
    app.wait(&tid("new-client-user-id")).await;
    assert!(
        low_contrast(app).await.is_empty(),
        "{theme} dialog: {:?}",
        low_contrast(app).await
    );
    app.key(TAB).await;
    assert!(
        focus_ring(app).await,
        "no visible focus ring in the {theme} theme"
    );
    app.screenshot(&format!("window-{theme}-1440x900-dialog"))
        .await;
    app.click_on(&tid("confirm-cancel")).await;

    // A 5,000-character ID: the error banner stays a few lines high, and
    // the whole ID can still be read there.
    app.resize(960, 600).await;
    app.click_on(&tid("nav-transactions")).await;
    let input = app.wait(&tid("transaction-lookup-input")).await;
    app.clear(&input).await;
    let long = "x".repeat(5000);
    app.type_into(&input, &long).await;
    app.click_on(&tid("transaction-lookup-go")).await;
    app.wait(&tid("error-banner")).await;
    let banner = rect(app, "[data-testid=error-banner]").await;
    assert!(
        banner[3] - banner[1] <= 160.0,
        "the banner fills the window: {banner:?}"
    );
    let whole = app.js("return document.querySelector('[data-testid=error-text]').textContent.includes(arguments[0]);", vec![json!(long)]).await;
    assert_eq!(whole, json!(true));
    app.screenshot(&format!("window-{theme}-960x600-long-id"))
        .await;
    app.click_on(&tid("error-dismiss")).await;
}

#[allow(clippy::await_holding_lock)]
#[tokio::test(flavor = "multi_thread")]
async fn layout_and_contrast_in_both_themes() {
    if !e2e_enabled() {
        return;
    }
    let _one_window = WINDOW.lock().await;
    let sandbox = money_support::start(|o| o.rtls = 120).await;
    let url = sandbox.url();
    let (txn, _, _) = money_support::succeeded_payment(&url).await;
    let (refunded, _, _) = money_support::nth_succeeded_payment(&url, 5000, 1).await;
    for theme in ["light", "dark"] {
        let mut env = vec![
            ("LINKDESK_BILLER_URL", url.clone()),
            ("LINKDESK_LINKMONEY_URL", url.clone()),
        ];
        // WebKitGTK answers prefers-color-scheme from the GTK theme.
        if theme == "dark" {
            env.push(("GTK_THEME", "Adwaita:dark".to_string()));
        }
        let app = App::launch(&env).await;
        app.wait(&tid("rtl-row")).await;
        let dark = js_bool(
            &app,
            "return matchMedia('(prefers-color-scheme: dark)').matches;",
        )
        .await;
        assert_eq!(dark, theme == "dark", "the {theme} theme was not applied");
        if theme == "light" {
            // From launch, as a person starting on a ticket would.
            refund_by_keyboard(&app, &refunded).await;
            app.click_on(&tid("confirm-cancel")).await;
        }
        layout_round(&app, theme, &txn).await;
        app.quit().await;
    }
}
