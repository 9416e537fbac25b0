//! End-to-end in two windows: two Linkdesk processes with two data folders,
//! on one sandbox and one team store (a real PostgreSQL) as two agents.
//! Agent A requests a 250.00 refund above the team threshold; agent B sees
//! it in Approvals and approves it; A's Linkdesk sends it and A sees it
//! sent; both see it in the whole team's audit log.

mod money_support;
mod support;
mod team_support;

use std::time::{Duration, Instant};

use support::webdriver::{e2e_enabled, App, WINDOW};
use team_support::{TeamDb, PASSWORD};

fn tid(name: &str) -> String {
    format!("[data-testid={name}]")
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

/// Settings → Team store: this window's agent role and password.
async fn join_team(app: &App, url: &str, role: &str) {
    app.click_on(&tid("nav-settings")).await;
    type_in(app, "team-url-sandbox", url).await;
    type_in(app, "team-password-sandbox", PASSWORD).await;
    app.click_on(&tid("team-save-sandbox")).await;
    let want = format!("Team: {role}");
    app.wait_until(&tid("team-status"), |t| t.starts_with(&want))
        .await;
    let connected = format!("connected as {role}");
    app.wait_until(&tid("team-state-sandbox"), |t| t == connected)
        .await;
    app.click_on(&tid("team-test-sandbox")).await;
    app.wait_until(&tid("team-test-result-sandbox"), |t| {
        t.starts_with("✓ Connected") && t.contains(role)
    })
    .await;
}

/// Shows `view` again and again (it reads the core each time) until `check`
/// (a JS expression) holds.
async fn reload_until(app: &App, view: &str, what: &str, check: &str) {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        app.click_on(&tid(view)).await;
        tokio::time::sleep(Duration::from_millis(500)).await;
        let ok = app.js(&format!("return !!({check});"), vec![]).await;
        if ok == serde_json::Value::Bool(true) {
            return;
        }
        assert!(Instant::now() < deadline, "never happened: {what}");
    }
}

#[allow(clippy::await_holding_lock)]
#[tokio::test(flavor = "multi_thread")]
async fn two_agents_request_and_approve_a_refund_in_two_windows() {
    if !e2e_enabled() {
        return;
    }
    let _one_window = WINDOW.lock().await;
    let db = TeamDb::migrated(&["alice", "bob"]).await;
    db.set_threshold(Some(20_000)).await;
    let (alice, bob) = (db.role("alice"), db.role("bob"));
    let sandbox = money_support::start(|_| {}).await;
    let url = sandbox.url();
    let (txn, _customer, _) = money_support::succeeded_payment_of_at_least(&url, 25_000).await;
    let before = money_support::transaction_ids(&url).await;
    let env = [
        ("LINKDESK_LINKMONEY_URL", url.clone()),
        ("LINKDESK_BILLER_URL", url.clone()),
    ];
    let a = App::launch(&env).await;
    let b = App::launch(&env).await;
    a.wait(&tid("rtl-row")).await;
    b.wait(&tid("rtl-row")).await;
    join_team(&a, &db.url_of(&alice), &alice).await;
    join_team(&b, &db.url_of(&bob), &bob).await;
    a.screenshot("team-01-settings").await;

    // A: the payment, a 250.00 refund: requested for approval, not sent.
    a.click_on(&tid("nav-transactions")).await;
    type_in(&a, "transaction-lookup-input", &txn).await;
    a.click_on(&tid("transaction-lookup-go")).await;
    a.wait_until(&tid("transaction-status"), |t| t.contains("SUCCEEDED"))
        .await;
    a.click_on(&tid("transaction-refund")).await;
    type_in(&a, "refund-amount", "250.00").await;
    a.click_on(&tid("confirm-ok")).await;
    a.wait(&tid("refund-confirm")).await;
    let note = text_of(&a, "refund-approval-note").await;
    assert!(
        note.contains("$200.00") && note.contains("approval"),
        "{note}"
    );
    type_in(&a, "refund-amount-again", "250.00").await;
    a.screenshot("team-02-request").await;
    a.click_on(&tid("confirm-ok")).await;
    a.wait_until(&tid("refund-result-state"), |t| {
        t.contains("Waiting for approval")
    })
    .await;
    a.click_on(&tid("confirm-cancel")).await;
    assert!(money_support::new_refunds(&url, &before).await.is_empty());

    // B: the request in Approvals; approve it.
    reload_until(
        &b,
        "nav-approvals",
        "the request in B's Approvals",
        "document.querySelector('[data-testid=approval-row][data-state=REQUESTED]')",
    )
    .await;
    // The Approvals view draws itself again while it is on screen: read the
    // row as it settles rather than an element that may be replaced.
    b.wait_until(&tid("approval-by"), |t| t == alice).await;
    b.wait_until(&tid("approval-amount"), |t| t == "$250.00")
        .await;
    b.screenshot("team-03-approvals").await;
    b.click_on(&tid("approval-approve")).await;
    b.click_on(&tid("confirm-ok")).await;
    b.wait_until(&tid("toast"), |t| t.contains("Approved"))
        .await;

    // A: its Linkdesk sends it; the refund journal shows it sent.
    reload_until(
        &a,
        "nav-refunds",
        "the refund sent in A's journal",
        "document.querySelector('[data-testid=refund-state][data-state=AUTHORIZED]')",
    )
    .await;
    a.screenshot("team-04-sent").await;
    let made = money_support::new_refunds(&url, &before).await;
    assert_eq!(made.len(), 1, "one refund went out: {made:?}");
    assert_eq!(made[0].1, 25_000);

    // Both: the whole team's audit log has the request, the approval and the refund.
    for app in [&a, &b] {
        app.click_on(&tid("nav-audit")).await;
        app.click_on(&tid("audit-team")).await;
        let check = format!(
            "(() => {{ const rows = [...document.querySelectorAll('[data-testid=audit-row]')].map(r => r.dataset.action + ' ' + r.querySelector('[data-testid=audit-agent]').textContent);
               return rows.includes('refund.approval_request {alice}') && rows.includes('refund.approve {bob}') && rows.includes('refund {alice}'); }})()"
        );
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            app.click_on(&tid("audit-clear")).await;
            tokio::time::sleep(Duration::from_millis(500)).await;
            if app.js(&format!("return {check};"), vec![]).await == serde_json::Value::Bool(true) {
                break;
            }
            assert!(
                Instant::now() < deadline,
                "the whole team's audit log is incomplete"
            );
        }
    }
    b.screenshot("team-05-team-audit").await;
    a.quit().await;
    b.quit().await;
    sandbox.stop().await;
}
