//! Shared by the Link Money console tests: a sandbox, sessions and refund
//! contexts over real HTTP and real SQLite files, and ways to find records.
#![allow(dead_code)]

pub mod fake_linkmoney;
pub mod payments;
pub mod proxy;

use std::collections::HashSet;
use std::path::Path;
use std::sync::Arc;

use linkdesk::app::{builtin_environment, App};
use linkdesk::cache::Cache;
use linkdesk::environments::{EnvKind, Environment};
use linkdesk::journal::Journal;
use linkdesk::linkmoney::{LinkMoneyClient, Money, TokenManager};
use linkdesk::money::{RefundContext, RetryPolicy};
use linkdesk::secrets::SecretString;
use linkdesk::session::Session;
use linkdesk_sandbox::{Options, Sandbox};
use serde_json::Value;

pub const CLIENT_ID: &str = "lm_sandbox_client";
pub const CLIENT_SECRET: &str = "lm_sandbox_secret";
pub const MERCHANT: &str = "merchant_sandbox";
pub const ENV_ID: &str = "money-test";

pub async fn start(configure: impl FnOnce(&mut Options)) -> Sandbox {
    let mut options = Options {
        rtls: 20,
        customers: 40,
        no_rate_limit: true,
        ..Options::default()
    };
    configure(&mut options);
    linkdesk_sandbox::start(options).await.unwrap()
}

/// A loopback URL where nothing listens: anything sent there fails as offline.
pub fn closed_url() -> String {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    format!("http://127.0.0.1:{port}")
}

pub fn environment(url: &str, kind: EnvKind) -> Environment {
    let defaults = Options::default();
    Environment {
        id: ENV_ID.into(),
        name: "Money test".into(),
        kind,
        biller_url: url.into(),
        linkmoney_url: url.into(),
        merchant_id: MERCHANT.into(),
        biller_client_id: defaults.biller_client_id,
        linkmoney_client_id: CLIENT_ID.into(),
        link_ops_per_minute: linkdesk::environments::DEFAULT_LINK_OPS_PER_MINUTE,
    }
}

/// A session of the test environment at `url`; production sessions open locked.
pub fn session(url: &str, kind: EnvKind) -> Arc<Session> {
    let defaults = Options::default();
    Arc::new(Session::with_credentials(
        &linkdesk::http::build_client(),
        environment(url, kind),
        false,
        Some(SecretString::new(defaults.biller_client_secret)),
        Some(SecretString::new(CLIENT_SECRET)),
    ))
}

/// A refund context on real files in `dir` (journal.sqlite and cache.sqlite).
pub fn context(dir: &Path, session: Arc<Session>) -> RefundContext {
    let (journal, notice) = Journal::open(dir);
    assert!(notice.is_none(), "{notice:?}");
    let (cache, _) = Cache::open(dir).unwrap();
    RefundContext {
        journal,
        cache,
        session,
        work_offline: false,
        policy: RetryPolicy::default(),
        team: None,
    }
}

/// A plain client, for setting up and checking the sandbox's state.
pub fn client(url: &str) -> LinkMoneyClient {
    let http = linkdesk::http::build_client();
    let tokens = TokenManager::new(
        http.clone(),
        url,
        CLIENT_ID,
        SecretString::new(CLIENT_SECRET),
    )
    .unwrap();
    LinkMoneyClient::new(http, url, MERCHANT, Arc::new(tokens)).unwrap()
}

pub async fn fixtures(url: &str) -> Value {
    reqwest::get(format!("{url}/sandbox/fixtures"))
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

fn id_text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// `(id, status)` of every record of one kind the sandbox holds.
pub fn listed(fixtures: &Value, kind: &str) -> Vec<(String, String)> {
    fixtures[kind]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                id_text(&r["id"]),
                r["status"].as_str().unwrap_or_default().to_string(),
            )
        })
        .collect()
}

pub async fn transaction_ids(url: &str) -> HashSet<String> {
    listed(&fixtures(url).await, "transactions")
        .into_iter()
        .map(|(id, _)| id)
        .collect()
}

/// An ACTIVE customer whose preferred account is ACTIVE: one that can be refunded.
pub async fn refundable_customer(url: &str, skip: usize) -> String {
    let lm = client(url);
    let mut found = 0;
    for (id, status) in listed(&fixtures(url).await, "customers") {
        if status != "ACTIVE" {
            continue;
        }
        let c = lm.get_customer(&id).await.unwrap().value;
        let active = c
            .account_details
            .as_ref()
            .and_then(|a| a.account_status.as_deref())
            == Some("ACTIVE");
        if active {
            if found == skip {
                return id;
            }
            found += 1;
        }
    }
    panic!("no refundable customer in the sandbox");
}

/// A customer in `status`.
pub async fn customer_in(url: &str, status: &str) -> String {
    listed(&fixtures(url).await, "customers")
        .into_iter()
        .find(|(_, s)| s == status)
        .unwrap_or_else(|| panic!("no {status} customer"))
        .0
}

/// A SUCCEEDED payment (DEBIT) of a refundable customer: `(transaction, customer, cents)`.
pub async fn succeeded_payment(url: &str) -> (String, String, i64) {
    succeeded_payment_of_at_least(url, 1).await
}

/// `succeeded_payment` of at least `min_cents`.
pub async fn succeeded_payment_of_at_least(url: &str, min_cents: i64) -> (String, String, i64) {
    nth_succeeded_payment(url, min_cents, 0).await
}

/// The `skip`-th (from 0) `succeeded_payment_of_at_least`.
pub async fn nth_succeeded_payment(
    url: &str,
    min_cents: i64,
    skip: usize,
) -> (String, String, i64) {
    succeeded_payment_between(url, min_cents, i64::MAX, skip).await
}

/// The `skip`-th (from 0) SUCCEEDED payment of a refundable customer of
/// `min_cents` to `max_cents`: `(transaction, customer, cents)`.
pub async fn succeeded_payment_between(
    url: &str,
    min_cents: i64,
    max_cents: i64,
    mut skip: usize,
) -> (String, String, i64) {
    let lm = client(url);
    for (id, status) in listed(&fixtures(url).await, "transactions") {
        if status != "SUCCEEDED" {
            continue;
        }
        let t = lm.get_transaction(&id).await.unwrap().value;
        let cents = t.amount.as_ref().map_or(0, |m| m.cents);
        if t.transaction_type.as_deref() != Some("DEBIT") || cents < min_cents || cents > max_cents
        {
            continue;
        }
        let Some(customer) = t.customer_id.clone() else {
            continue;
        };
        let c = lm.get_customer(customer.as_str()).await.unwrap().value;
        let ok = c.customer_status.as_deref() == Some("ACTIVE")
            && c.account_details
                .as_ref()
                .and_then(|a| a.account_status.as_deref())
                == Some("ACTIVE");
        if ok {
            if skip == 0 {
                return (id, customer.to_string(), t.amount.unwrap().cents);
            }
            skip -= 1;
        }
    }
    panic!("no SUCCEEDED payment of a refundable customer");
}

/// A new payment from the customer to the merchant (AUTHORIZED, or PENDING
/// for an amount of N.99: the sandbox never settles it): its transaction ID.
pub async fn pay(url: &str, customer: &str, cents: i64) -> String {
    let paid = payments::pay(&client(url), customer, cents).await.unwrap();
    paid["paymentId"].as_str().unwrap().to_string()
}

/// A refund made straight at Link Money, as another tool would: true when
/// it was authorized.
pub async fn refund_elsewhere(url: &str, customer: &str, cents: i64) -> bool {
    let result = client(url)
        .send_refund(&linkdesk::linkmoney::RefundRequest {
            customer_id: customer.to_string(),
            amount: Money::usd(cents),
            client_reference_id: Some(format!("elsewhere-{}", uuid::Uuid::new_v4().simple())),
            soft_descriptor: None,
            request_key: uuid::Uuid::new_v4().to_string(),
        })
        .await
        .unwrap();
    result.payment_status == "AUTHORIZED"
}

/// Refunds everything the customer has paid straight at Link Money, so that
/// the sandbox fails (TERMINAL_FAILED) any further refund to them.
pub async fn drain(url: &str, customer: &str) {
    let mut step: i64 = linkdesk::linkmoney::MAX_AMOUNT_CENTS;
    while step > 0 {
        if !refund_elsewhere(url, customer, step).await {
            step /= 2;
        }
    }
}

/// Every refund (CREDIT) among the transactions created since `before`:
/// their client reference IDs, one entry per refund.
pub async fn new_refund_references(url: &str, before: &HashSet<String>) -> Vec<String> {
    let lm = client(url);
    let mut refs = Vec::new();
    for id in transaction_ids(url).await.difference(before) {
        let t = lm.get_transaction(id).await.unwrap().value;
        if t.transaction_type.as_deref() == Some("CREDIT") {
            refs.push(t.client_reference_id.unwrap_or_default());
        }
    }
    refs
}

/// The app's own state on real files in `dir`, its built-in environment at `url`.
pub fn app_at(dir: &Path, url: &str) -> App {
    let app = App::open(
        dir.to_path_buf(),
        builtin_environment("Test sandbox", url, url),
        None,
    )
    .unwrap();
    assert!(app.startup_notices.is_empty(), "{:?}", app.startup_notices);
    app
}

/// False when the keyring tests were asked to skip; a clear failure when no
/// Secret Service can be reached.
pub fn real_keyring() -> bool {
    if std::env::var("LINKDESK_KEYRING_TEST").as_deref() == Ok("skip") {
        eprintln!("LINKDESK_KEYRING_TEST=skip: not testing the real Secret Service");
        return false;
    }
    if let Err(e) = linkdesk::secrets::probe() {
        panic!(
            "No usable Secret Service ({e}). Run inside scripts/test.sh (dbus-run-session with \
             gnome-keyring), or set LINKDESK_KEYRING_TEST=skip."
        );
    }
    true
}

/// A SUCCEEDED payment (DEBIT) of a customer in `status`.
pub async fn payment_of_customer_in(url: &str, status: &str) -> String {
    let lm = client(url);
    for (id, t_status) in listed(&fixtures(url).await, "transactions") {
        if t_status != "SUCCEEDED" {
            continue;
        }
        let t = lm.get_transaction(&id).await.unwrap().value;
        let Some(customer) = t.customer_id.clone() else {
            continue;
        };
        if t.transaction_type.as_deref() != Some("DEBIT") {
            continue;
        }
        let c = lm.get_customer(customer.as_str()).await.unwrap().value;
        if c.customer_status.as_deref() == Some(status) {
            return id;
        }
    }
    panic!("no SUCCEEDED payment of a {status} customer");
}

/// Every refund (CREDIT) made since `before`: `(transaction ID, cents)`.
pub async fn new_refunds(url: &str, before: &HashSet<String>) -> Vec<(String, i64)> {
    let lm = client(url);
    let mut out = Vec::new();
    for id in transaction_ids(url).await.difference(before) {
        let t = lm.get_transaction(id).await.unwrap().value;
        if t.transaction_type.as_deref() == Some("CREDIT") {
            out.push((id.clone(), t.amount.map_or(0, |m| m.cents)));
        }
    }
    out
}

/// Moves a transaction to `status` in the sandbox, as the payment network
/// would (a payment settles, a refund fails later).
pub async fn set_status(url: &str, transaction: &str, status: &str) {
    let answer = reqwest::Client::new()
        .post(format!("{url}/sandbox/transactions/{transaction}/status"))
        .json(&serde_json::json!({ "status": status }))
        .send()
        .await
        .unwrap();
    assert!(answer.status().is_success(), "{answer:?}");
}

/// The refund form with just a key and an amount.
pub fn input(key: &str, amount: &str) -> linkdesk::money::RefundInput {
    linkdesk::money::RefundInput {
        request_key: key.to_string(),
        amount: amount.to_string(),
        ..Default::default()
    }
}

/// How many payment-scope tokens the context's client fetched: none means
/// nothing could have been sent.
pub fn payment_tokens(ctx: &RefundContext) -> u64 {
    ctx.session
        .linkmoney()
        .unwrap()
        .tokens()
        .fetch_count_for(linkdesk::linkmoney::Scope::Payment)
}

/// What a process killed mid-refund leaves: a refund of `cents` from
/// `payment` (with this client reference), journaled as SENDING for the
/// context's environment and never sent. Returns its request key.
pub async fn crashed_refund(
    ctx: &RefundContext,
    payment: &str,
    cents: i64,
    reference: Option<String>,
) -> String {
    let dialog = linkdesk::money::refunds::open(ctx, None, payment)
        .await
        .unwrap();
    begin_sending(
        ctx,
        &dialog.request_key,
        cents,
        reference,
        dialog.payment_cents,
    );
    dialog.request_key
}

/// Moves the journal's draft `key` to SENDING as the app does before a
/// request leaves, without sending it: what a request that never reached
/// Link Money, or whose outcome is still to come, leaves in the journal.
pub fn begin_sending(
    ctx: &RefundContext,
    key: &str,
    cents: i64,
    reference: Option<String>,
    payment_cents: i64,
) {
    let client = ctx.session.linkmoney().unwrap();
    let target = linkdesk::journal::Target {
        env_id: ctx.session.env.id.clone(),
        linkmoney_url: client.base_url().into(),
        merchant_id: client.merchant_id().into(),
    };
    let sending = linkdesk::journal::Sending {
        amount_cents: cents,
        client_reference_id: reference,
        soft_descriptor: None,
    };
    ctx.journal
        .begin_sending(key, &target, &sending, payment_cents)
        .unwrap();
}
