//! End-to-end: the Link Money console in the real window. Look up a customer,
//! open one of their payments, refund it with confirmation (typing the amount
//! again above the threshold), then find the refund in the transaction view
//! and in the audit log, and export the log.

mod money_support;
mod support;

use std::time::Duration;

use serde_json::json;
use support::webdriver::{e2e_enabled, App, WINDOW};

fn tid(name: &str) -> String {
    format!("[data-testid={name}]")
}

async fn click(app: &App, name: &str) {
    app.click_on(&tid(name)).await;
}

async fn type_in(app: &App, name: &str, text: &str) {
    let el = app.wait(&tid(name)).await;
    app.clear(&el).await;
    app.type_into(&el, text).await;
}

async fn text_of(app: &App, name: &str) -> String {
    let el = app.wait(&tid(name)).await;
    app.text(&el).await
}

async fn wait_text(app: &App, name: &str, want: &str) {
    let want = want.to_string();
    app.wait_until(&tid(name), |t| t.contains(&want)).await;
}

/// The CSV file an export made in `dir` (a new name each time, starting
/// with `prefix`).
fn exported_csv(dir: &std::path::Path, prefix: &str) -> std::path::PathBuf {
    std::fs::read_dir(dir)
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .find(|p| {
            let name = p.file_name().unwrap().to_string_lossy();
            name.starts_with(prefix) && name.ends_with(".csv")
        })
        .expect("no CSV export")
}

// One window at a time (the machine has two cores): the lock is held for the
// whole test on purpose.
#[allow(clippy::await_holding_lock)]
#[tokio::test(flavor = "multi_thread")]
async fn refund_a_payment_in_the_window() {
    if !e2e_enabled() {
        return;
    }
    let _one_window = WINDOW.lock().await;
    let sandbox = money_support::start(|_| {}).await;
    let url = sandbox.url();
    let (txn, customer, _paid) = money_support::succeeded_payment_of_at_least(&url, 150).await;
    let exports = tempfile::tempdir().unwrap();
    let app = App::launch(&[
        ("LINKDESK_LINKMONEY_URL", url.clone()),
        ("LINKDESK_EXPORT_DIR", exports.path().display().to_string()),
    ])
    .await;
    app.wait(&tid("rtl-row")).await;

    // Look up the customer.
    click(&app, "nav-customers").await;
    type_in(&app, "customer-lookup-input", &customer).await;
    click(&app, "customer-lookup-go").await;
    wait_text(&app, "customer-status", "ACTIVE").await;
    let name = text_of(&app, "customer-name").await;
    assert!(!name.is_empty());
    app.wait(&tid("accounts-table")).await;
    let refund = app.wait(&tid("customer-refund")).await;
    assert!(
        app.enabled(&refund).await,
        "an ACTIVE customer can be refunded"
    );
    app.screenshot("money-01-customer").await;

    // Amounts above $1.00 must be typed twice from now on.
    click(&app, "nav-refunds").await;
    type_in(&app, "threshold-input", "1.00").await;
    click(&app, "threshold-save").await;
    wait_text(&app, "toast", "$1.00").await;

    // Open the payment; its customer is a link to the customer view.
    click(&app, "nav-transactions").await;
    type_in(&app, "transaction-lookup-input", &txn).await;
    click(&app, "transaction-lookup-go").await;
    wait_text(&app, "transaction-status", "SUCCEEDED").await;
    assert_eq!(text_of(&app, "transaction-type").await, "DEBIT");
    wait_text(&app, "transaction-customer-link", &customer).await;
    app.screenshot("money-02-transaction").await;
    click(&app, "transaction-customer-link").await;
    wait_text(&app, "customer-name", &name).await;
    click(&app, "nav-transactions").await;
    wait_text(&app, "transaction-id", &txn).await;

    // Refund it: the form, the confirmation, the amount typed again.
    click(&app, "transaction-refund").await;
    type_in(&app, "refund-amount", "1.50").await;
    type_in(&app, "refund-descriptor", "Linkdesk e2e").await;
    type_in(&app, "refund-client-ref", "ticket-e2e-1").await;
    click(&app, "confirm-ok").await;
    app.wait(&tid("refund-confirm")).await;
    assert_eq!(text_of(&app, "confirm-amount").await, "$1.50");
    assert_eq!(text_of(&app, "confirm-customer").await, name);
    assert_eq!(text_of(&app, "confirm-descriptor").await, "Linkdesk e2e");
    assert!(text_of(&app, "confirm-environment")
        .await
        .contains("sandbox"));
    assert!(text_of(&app, "confirm-account").await.starts_with("••••"));
    // The button says what it will do now: send, not review again.
    wait_text(&app, "confirm-ok", "Send refund of $1.50").await;
    app.screenshot("money-03-refund-confirm").await;
    click(&app, "confirm-ok").await;
    wait_text(&app, "dialog-error", "again").await;
    type_in(&app, "refund-amount-again", "1.50").await;
    app.screenshot("money-04-refund-retyped").await;
    click(&app, "confirm-ok").await;
    wait_text(&app, "refund-result-state", "Sent — authorized").await;
    let refund_id = text_of(&app, "refund-result-payment").await;
    assert!(!refund_id.is_empty() && refund_id != "—");
    app.screenshot("money-05-refund-result").await;

    // The refund in the transaction view: a CREDIT of $1.50 with the descriptor.
    click(&app, "confirm-ok").await;
    wait_text(&app, "transaction-id", &refund_id).await;
    assert_eq!(text_of(&app, "transaction-type").await, "CREDIT");
    assert_eq!(text_of(&app, "transaction-amount").await, "$1.50");
    assert_eq!(
        text_of(&app, "transaction-descriptor").await,
        "Linkdesk e2e"
    );
    assert_eq!(
        text_of(&app, "transaction-client-ref").await,
        "ticket-e2e-1"
    );
    app.screenshot("money-06-refund-transaction").await;
    // ... and under the payment it was made from.
    type_in(&app, "transaction-lookup-input", &txn).await;
    click(&app, "transaction-lookup-go").await;
    wait_text(&app, "transaction-refund-state", "Sent — authorized").await;
    app.screenshot("money-07-payment-with-refund").await;

    // The audit log has the refund and the threshold change.
    click(&app, "nav-audit").await;
    app.wait_until(&tid("audit-row-action"), |t| t == "refund")
        .await;
    app.wait_until(&tid("audit-row-action"), |t| {
        t == "setting.refund_threshold"
    })
    .await;
    let first = app
        .js(
            "const r = document.querySelector('[data-testid=audit-row]'); return [r.dataset.action, r.querySelector('[data-testid=audit-outcome]').textContent, r.querySelector('[data-testid=audit-fields]').textContent];",
            vec![],
        )
        .await;
    assert_eq!(first[0], json!("refund"), "{first}");
    assert_eq!(first[1], json!("ok"));
    assert!(
        first[2]
            .as_str()
            .unwrap_or_default()
            .contains("\"amount\":\"1.50\""),
        "{first}"
    );
    app.select_value(&tid("audit-action"), "refund").await;
    app.wait_js(
        "only refunds",
        "[...document.querySelectorAll('[data-testid=audit-row]')].every(r => r.dataset.action === 'refund')",
    )
    .await;
    app.screenshot("money-08-audit").await;

    // Export the filtered log.
    click(&app, "audit-export").await;
    // The window says so once the file is complete.
    wait_text(&app, "toast", "Exported").await;
    let file = exported_csv(exports.path(), "linkdesk-audit-");
    let csv = std::fs::read_to_string(&file).unwrap();
    let lines: Vec<&str> = csv.trim_end().split("\r\n").collect();
    assert_eq!(lines.len(), 2, "{csv}");
    assert!(lines[1].contains(",refund,") && lines[1].contains(&customer));

    // The refund journal lists the refund.
    click(&app, "nav-refunds").await;
    wait_text(&app, "refund-state", "Sent — authorized").await;
    app.screenshot("money-09-refund-journal").await;

    // A webhook subscription: subscribed, listed, unsubscribed.
    click(&app, "nav-webhooks").await;
    type_in(&app, "webhook-url", "http://127.0.0.1:9/linkmoney/webhook").await;
    type_in(&app, "webhook-secret", "e2e-webhook-secret-value").await;
    app.select_value(&tid("webhook-type"), "EVENT").await;
    app.js(
        "for (const c of document.querySelectorAll('[data-testid=webhook-detail]')) c.checked = ['payment.created', 'payment.failed'].includes(c.value);",
        vec![],
    )
    .await;
    click(&app, "webhook-subscribe").await;
    wait_text(&app, "webhook-details", "payment.created, payment.failed").await;
    app.screenshot("money-10-webhooks").await;
    click(&app, "webhook-unsubscribe").await;
    click(&app, "confirm-ok").await;
    app.wait(&tid("webhooks-empty")).await;
    click(&app, "nav-audit").await;
    app.select_value(&tid("audit-action"), "").await;
    app.wait_until(&tid("audit-row-action"), |t| t == "webhook.unsubscribe")
        .await;

    app.quit().await;
    sandbox.stop().await;
}

/// A refund left with an unknown outcome by an earlier run: the window shows
/// it at the next start, and "Retry" resolves it with its own request key once
/// Link Money can be reached again — exactly one refund.
#[allow(clippy::await_holding_lock)]
#[tokio::test(flavor = "multi_thread")]
async fn an_unresolved_refund_is_shown_and_resolved_after_a_restart() {
    use linkdesk::journal::{Draft, Journal, Sending, Target};

    if !e2e_enabled() {
        return;
    }
    let _one_window = WINDOW.lock().await;
    let sandbox = money_support::start(|_| {}).await;
    let url = sandbox.url();
    let addr = sandbox.addr();
    let (txn, customer, paid) = money_support::succeeded_payment(&url).await;
    let before = money_support::transaction_ids(&url).await;

    // What a run killed mid-refund leaves in the journal.
    let data = tempfile::tempdir().unwrap();
    let reference = format!("restart-e2e-{}", uuid::Uuid::new_v4().simple());
    let client = money_support::client(&url);
    let target = Target {
        env_id: "embedded".into(),
        linkmoney_url: client.base_url().into(),
        merchant_id: client.merchant_id().into(),
    };
    let key = {
        let (journal, _) = Journal::open(data.path());
        let key = journal
            .insert_draft(&Draft {
                env_id: "embedded".into(),
                env_name: "Sandbox (from environment variables)".into(),
                env_kind: "sandbox".into(),
                customer_id: customer.clone(),
                customer_name: "Restart test".into(),
                customer_status: Some("ACTIVE".into()),
                account_last_four: Some("0001".into()),
                account_status: Some("ACTIVE".into()),
                transaction_id: txn.clone(),
                payment_cents: paid,
                linkmoney_url: target.linkmoney_url.clone(),
                merchant_id: target.merchant_id.clone(),
            })
            .unwrap()
            .request_key;
        let sending = Sending {
            amount_cents: 1,
            client_reference_id: Some(reference.clone()),
            soft_descriptor: None,
        };
        journal
            .begin_sending(&key, &target, &sending, paid)
            .unwrap();
        journal.start_attempt(&key).unwrap();
        key
    };
    assert!(!key.is_empty());

    // Link Money is down when the app starts: the refund stays unresolved.
    sandbox.stop().await;
    let app = App::launch(&[
        ("LINKDESK_LINKMONEY_URL", url.clone()),
        ("LINKDESK_DATA_DIR", data.path().display().to_string()),
    ])
    .await;
    app.wait(&tid("refunds-unresolved-notice")).await;
    // What the start-up look said of it stays on screen until dismissed.
    wait_text(&app, "refunds-resolved-notice", "Restart test").await;
    wait_text(&app, "refunds-resolved-notice", "Waiting to be resolved").await;
    click(&app, "nav-refunds").await;
    app.wait(&tid("refund-retry")).await;
    wait_text(&app, "refunds-unresolved", "unknown outcome").await;
    // The start-up attempts end with the refund UNRESOLVED (never "not sent":
    // an earlier attempt may have gone through).
    wait_text(&app, "refund-state", "Waiting to be resolved").await;
    app.screenshot("money-11-unresolved-after-restart").await;

    // Link Money is back: "Retry" sends it again with the same key.
    let sandbox = money_support::start(|o| o.addr = addr).await;
    click(&app, "refund-retry").await;
    wait_text(&app, "refund-state", "Sent — authorized").await;
    app.screenshot("money-12-resolved").await;
    assert_eq!(
        money_support::new_refund_references(&url, &before).await,
        vec![reference]
    );
    app.quit().await;
    sandbox.stop().await;
}

/// A refund is bounded by its payment in the window: a payment that has not
/// settled offers no refund and says why; a settled one refunds in part, then
/// the rest, then offers nothing more; a refund started from a customer asks
/// which payment it returns money from.
#[allow(clippy::await_holding_lock)]
#[tokio::test(flavor = "multi_thread")]
async fn a_refund_is_bounded_by_its_payment_in_the_window() {
    if !e2e_enabled() {
        return;
    }
    let _one_window = WINDOW.lock().await;
    let sandbox = money_support::start(|_| {}).await;
    let url = sandbox.url();
    let (txn, customer, paid) = money_support::succeeded_payment_between(&url, 200, 9_000, 0).await;
    let pending = money_support::pay(&url, &customer, 1_899).await;
    // Link Money itself refuses refunds above what the customer has paid in
    // all (earlier refunds included): a payment it has authorized covers it.
    money_support::pay(&url, &customer, 10_000).await;
    let before = money_support::transaction_ids(&url).await;
    let app = App::launch(&[("LINKDESK_LINKMONEY_URL", url.clone())]).await;
    app.wait(&tid("rtl-row")).await;

    // Not settled: no refund, and the reason.
    click(&app, "nav-transactions").await;
    type_in(&app, "transaction-lookup-input", &pending).await;
    click(&app, "transaction-lookup-go").await;
    wait_text(&app, "transaction-status", "PENDING").await;
    let refund = app.wait(&tid("transaction-refund")).await;
    assert!(
        !app.enabled(&refund).await,
        "a PENDING payment offers no refund"
    );
    wait_text(&app, "refund-block", "not settled").await;
    app.screenshot("money-13-pending-no-refund").await;

    // Settled: a part, then the rest, then nothing more.
    type_in(&app, "transaction-lookup-input", &txn).await;
    click(&app, "transaction-lookup-go").await;
    wait_text(&app, "transaction-status", "SUCCEEDED").await;
    let total = linkdesk::linkmoney::format_cents(paid);
    let rest = linkdesk::linkmoney::format_cents(paid - 100);
    for (n, amount) in [(1, "1.00".to_string()), (2, rest.clone())] {
        click(&app, "transaction-refund").await;
        wait_text(&app, "refund-number", &format!("#{n} of this payment")).await;
        type_in(&app, "refund-amount", &amount).await;
        if n == 1 {
            // Enter on "Review refund…" reviews; a second Enter must not send
            // what was not seen.
            app.js(
                "document.querySelector('[data-testid=confirm-ok]').focus();",
                vec![],
            )
            .await;
            app.key("\u{E007}").await;
            wait_text(&app, "confirm-amount", "$1.00").await;
            let focused = app
                .js(
                    "return document.activeElement.dataset.testid || '';",
                    vec![],
                )
                .await;
            assert_ne!(focused, json!("confirm-ok"), "Send has the focus");
            app.key("\u{E007}").await;
            tokio::time::sleep(Duration::from_millis(1500)).await;
            assert!(
                app.find_all(&tid("refund-result-state")).await.is_empty(),
                "a second Enter sent the refund"
            );
        } else {
            click(&app, "confirm-ok").await;
        }
        wait_text(&app, "confirm-amount", &format!("${amount}")).await;
        if n == 2 {
            wait_text(&app, "confirm-left", "$0.00").await;
            app.screenshot("money-14-refund-the-rest").await;
            // At the smallest window the dialog's buttons stay in view.
            app.resize(960, 600).await;
            app.wait_js(
                "Send in view at 960x600",
                "(() => { const r = document.querySelector('[data-testid=confirm-ok]').getBoundingClientRect(); return r.bottom <= window.innerHeight && r.right <= window.innerWidth && r.height > 0; })()",
            )
            .await;
            app.screenshot("money-14b-refund-the-rest-960x600").await;
            app.resize(1360, 860).await;
        }
        if n == 1 {
            // While it is sending, nothing in the dialog changes it: checked
            // in the same turn as the click, before any answer can come.
            let change_enabled = app
                .js(
                    "document.querySelector('[data-testid=confirm-ok]').click(); return !document.querySelector('[data-testid=refund-change]').disabled;",
                    vec![],
                )
                .await;
            assert_eq!(change_enabled, json!(false), "Change works while sending");
        } else {
            click(&app, "confirm-ok").await;
        }
        wait_text(&app, "refund-result-state", "Sent — authorized").await;
        assert_eq!(text_of(&app, "confirm-cancel").await, "Close");
        click(&app, "confirm-cancel").await;
        wait_text(&app, "transaction-id", &txn).await;
        if n == 1 {
            wait_text(
                &app,
                "transaction-refunded",
                &format!("$1.00 of ${total} refunded"),
            )
            .await;
        }
    }
    wait_text(
        &app,
        "transaction-refunded",
        &format!("${total} of ${total} refunded"),
    )
    .await;
    wait_text(&app, "refund-block", "Nothing is left to refund").await;
    let refund = app.wait(&tid("transaction-refund")).await;
    assert!(!app.enabled(&refund).await, "a third refund is refused");
    app.screenshot("money-15-fully-refunded").await;

    // From the customer: which payment? The refunded one and the pending one
    // are shown with the reason they cannot be picked.
    click(&app, "transaction-customer-link").await;
    wait_text(&app, "customer-status", "ACTIVE").await;
    click(&app, "customer-refund").await;
    app.wait(&tid("refund-payment-choices")).await;
    let notes = app
        .js(
            "return [...document.querySelectorAll('[data-testid=refund-payment-note]')].map(n => n.textContent);",
            vec![],
        )
        .await;
    let notes = notes.to_string();
    assert!(notes.contains("Already refunded in full"), "{notes}");
    assert!(notes.contains("not settled"), "{notes}");
    app.screenshot("money-16-which-payment").await;
    // Pasting the refunded payment: Link Money is asked, nothing is left, and
    // the picker says so and stays open.
    type_in(&app, "refund-payment-id", &txn).await;
    click(&app, "confirm-ok").await;
    wait_text(&app, "dialog-error", "Nothing is left to refund").await;
    app.wait(&tid("refund-payment-choices")).await;
    assert_eq!(
        money_support::new_refunds(&url, &before).await.len(),
        2,
        "exactly the two refunds went out"
    );
    app.quit().await;
    sandbox.stop().await;
}

/// Another seat already made this payment's refund #1: the window says so,
/// sends nothing, and goes on only once a person records that refund's amount.
#[allow(clippy::await_holding_lock)]
#[tokio::test(flavor = "multi_thread")]
async fn a_refund_made_elsewhere_is_recorded_before_going_on() {
    if !e2e_enabled() {
        return;
    }
    let _one_window = WINDOW.lock().await;
    let sandbox = money_support::start(|_| {}).await;
    let url = sandbox.url();
    let (txn, customer, paid) = money_support::succeeded_payment_between(&url, 500, 9_000, 0).await;
    money_support::pay(&url, &customer, 10_000).await;
    // The other seat's refund #1 of this payment: $2.00, with the key every
    // seat derives for it.
    let key = linkdesk::linkmoney::refund_request_key(money_support::MERCHANT, &txn, 1);
    let elsewhere = money_support::client(&url)
        .send_refund(&linkdesk::linkmoney::RefundRequest {
            customer_id: customer.clone(),
            amount: linkdesk::linkmoney::Money::usd(200),
            client_reference_id: None,
            soft_descriptor: None,
            request_key: key,
        })
        .await
        .unwrap();
    assert_eq!(elsewhere.payment_status, "AUTHORIZED");
    let before = money_support::transaction_ids(&url).await;

    let app = App::launch(&[("LINKDESK_LINKMONEY_URL", url.clone())]).await;
    app.wait(&tid("rtl-row")).await;
    click(&app, "nav-transactions").await;
    type_in(&app, "transaction-lookup-input", &txn).await;
    click(&app, "transaction-lookup-go").await;
    wait_text(&app, "transaction-status", "SUCCEEDED").await;
    click(&app, "transaction-refund").await;
    type_in(&app, "refund-amount", "1.00").await;
    click(&app, "confirm-ok").await;
    wait_text(&app, "confirm-amount", "$1.00").await;
    click(&app, "confirm-ok").await;
    wait_text(&app, "refund-result-state", "Not sent — made elsewhere").await;
    // The outcome has the focus, not a button: Enter does not start another refund.
    let focused = app
        .js(
            "return document.activeElement.dataset.testid || '';",
            vec![],
        )
        .await;
    assert_eq!(focused, json!("refund-result-text"));
    app.screenshot("money-17-made-elsewhere").await;

    // The payment now says what is left is unknown, and offers no refund.
    click(&app, "confirm-cancel").await;
    wait_text(&app, "transaction-refunded", "unknown").await;
    wait_text(&app, "refund-block", "made elsewhere").await;
    let refund = app.wait(&tid("transaction-refund")).await;
    assert!(!app.enabled(&refund).await);

    // Recorded from the refund journal, the payment can be refunded further.
    click(&app, "nav-refunds").await;
    click(&app, "refund-record-elsewhere").await;
    type_in(&app, "elsewhere-amount", "2.00").await;
    // Recorded once and never changed: typed twice.
    click(&app, "confirm-ok").await;
    wait_text(&app, "dialog-error", "does not match").await;
    type_in(&app, "elsewhere-amount-again", "2.00").await;
    click(&app, "confirm-ok").await;
    wait_text(&app, "toast", "Amount recorded").await;
    click(&app, "nav-transactions").await;
    type_in(&app, "transaction-lookup-input", &txn).await;
    click(&app, "transaction-lookup-go").await;
    let left = linkdesk::linkmoney::format_cents(paid - 200);
    wait_text(&app, "transaction-refunded", &format!("${left} left")).await;
    click(&app, "transaction-refund").await;
    wait_text(&app, "refund-number", "#2 of this payment").await;
    wait_text(&app, "refund-cap", "recorded as gone out").await;
    app.screenshot("money-18-after-recording").await;
    click(&app, "confirm-cancel").await;
    assert!(
        money_support::new_refunds(&url, &before).await.is_empty(),
        "nothing was sent from this window"
    );
    app.quit().await;
    sandbox.stop().await;
}

/// A refund still loading when the person moves to another payment is not
/// opened over that one (it could be taken for its refund); its draft is
/// dropped and nothing is sent.
#[tokio::test(flavor = "multi_thread")]
async fn a_refund_still_loading_is_not_opened_over_another_payment() {
    if !e2e_enabled() {
        return;
    }
    let _one_window = WINDOW.lock().await;
    let sandbox = money_support::start(|o| o.latency_ms = 1_500).await;
    let url = sandbox.url();
    let (first, _, _) = money_support::nth_succeeded_payment(&url, 100, 0).await;
    let (second, _, _) = money_support::nth_succeeded_payment(&url, 100, 1).await;
    let app = App::launch(&[("LINKDESK_LINKMONEY_URL", url.clone())]).await;
    app.wait(&tid("rtl-row")).await;
    click(&app, "nav-transactions").await;
    type_in(&app, "transaction-lookup-input", &first).await;
    click(&app, "transaction-lookup-go").await;
    wait_text(&app, "transaction-id", &first).await;
    let refund = app.wait(&tid("transaction-refund")).await;
    app.wait_js(
        "refund offered",
        "!document.querySelector('[data-testid=transaction-refund]').disabled",
    )
    .await;
    app.click(&refund).await;
    // While the refund loads (its payment read again, slowly), another one.
    app.clear(&app.wait(&tid("transaction-lookup-input")).await)
        .await;
    type_in(&app, "transaction-lookup-input", &second).await;
    click(&app, "transaction-lookup-go").await;
    wait_text(&app, "transaction-id", &second).await;
    wait_text(&app, "toast", "not opened").await;
    assert_eq!(
        app.js("return document.querySelector('#dialog').open;", vec![])
            .await,
        json!(false),
        "a refund dialog opened over another payment"
    );
    app.quit().await;
    sandbox.stop().await;
}
