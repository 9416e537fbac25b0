//! The Link Money console's core through the app's own state (`App`) over real
//! HTTP and real SQLite files: every inspection endpoint with its 404s, the
//! cache answering after the service stops, unknown enum values shown as they
//! came, an audit entry for every write, and webhook subscriptions whose
//! secret lives in the keyring only.
//!
//! The keyring test needs a Secret Service (scripts/test.sh starts one inside
//! dbus-run-session); LINKDESK_KEYRING_TEST=skip leaves it out.

mod money_support;

use linkdesk::biller::NewRtl;
use linkdesk::environments::{EnvKind, Environment};
use linkdesk::error::ErrorCode;
use linkdesk::journal::{AuditFilter, RefundState};
use linkdesk::linkmoney::{Scope, SubscriptionType};
use linkdesk::money::webhooks::{self, SubscribeInput};
use linkdesk::money::{lookups, refunds, RefundContext, RefundInput};
use linkdesk::rtls::{self, Source};
use linkdesk::secrets;
use linkdesk::settings::{self, EnvInput};
use money_support::fake_linkmoney::FakeLinkMoney;
use money_support::*;

#[tokio::test(flavor = "multi_thread")]
async fn every_lookup_live_then_from_the_cache() {
    let sandbox = start(|_| {}).await;
    let url = sandbox.url();
    let fx = fixtures(&url).await;
    let dir = tempfile::tempdir().unwrap();
    let app = app_at(dir.path(), &url);

    // Customers in every status, with their accounts and verified accounts.
    let mut verified_seen = 0;
    let mut looked_up = Vec::new();
    for status in ["ACTIVE", "CREATED", "INACTIVE"] {
        for (id, _) in listed(&fx, "customers")
            .into_iter()
            .filter(|(_, s)| s == status)
            .take(4)
        {
            let res = lookups::customer(&app, id.clone(), linkdesk::rtls::ReadFrom::Service)
                .await
                .unwrap();
            assert_eq!(res.source, Source::Live);
            let v = res.data;
            assert_eq!(v.customer.id.as_str(), id);
            assert_eq!(v.customer.customer_status.as_deref(), Some(status));
            assert!(!v.name.is_empty());
            let accounts = v.accounts.as_ref().expect("accounts");
            assert!(accounts.iter().all(|a| a.account_id.is_some()));
            match &v.verified_accounts {
                Some(list) if !list.is_empty() => verified_seen += 1,
                Some(_) => {}
                None => assert_eq!(v.verified_note.as_deref(), Some("None on record")),
            }
            if status != "ACTIVE" {
                let block = v.refund_block.expect("refund refused");
                assert!(block.contains(status), "{block}");
            }
            looked_up.push(id);
        }
    }
    assert!(verified_seen > 0, "no verified accounts seen");
    let refundable = refundable_customer(&url, 0).await;
    let v = lookups::customer(&app, refundable.clone(), linkdesk::rtls::ReadFrom::Service)
        .await
        .unwrap()
        .data;
    assert_eq!(v.refund_block, None);

    // Transactions in every status, as they came, with their amounts in cents.
    let lm = client(&url);
    let mut transactions = Vec::new();
    for status in [
        "CREATED",
        "PENDING",
        "AUTHORIZED",
        "SCHEDULED",
        "INITIATED",
        "SUCCEEDED",
        "RETRYABLE_FAILED",
        "TERMINAL_FAILED",
        "CANCELED",
    ] {
        let (id, _) = listed(&fx, "transactions")
            .into_iter()
            .find(|(_, s)| s == status)
            .unwrap_or_else(|| panic!("no {status} transaction"));
        let res = lookups::transaction(&app, id.clone(), linkdesk::rtls::ReadFrom::Service)
            .await
            .unwrap();
        assert_eq!(res.source, Source::Live);
        let v = res.data;
        assert_eq!(v.transaction.transaction_status.as_deref(), Some(status));
        let direct = lm.get_transaction(&id).await.unwrap().value;
        assert_eq!(v.amount_cents, direct.amount.map(|m| m.cents));
        if status.ends_with("FAILED") {
            assert!(v.transaction.transaction_failure_reason.is_some());
            assert!(v.refund_block.is_some());
        }
        transactions.push(id);
    }

    // Payouts in every status.
    let mut payouts = Vec::new();
    for status in [
        "CREATED",
        "AUTHORIZED",
        "SCHEDULED",
        "INITIATED",
        "DISBURSED",
    ] {
        let (id, _) = listed(&fx, "payouts")
            .into_iter()
            .find(|(_, s)| s == status)
            .unwrap();
        let v = lookups::payout(&app, id.clone(), linkdesk::rtls::ReadFrom::Service)
            .await
            .unwrap();
        assert_eq!(v.source, Source::Live);
        assert_eq!(v.data.payout.payout_status.as_deref(), Some(status));
        assert!(v.data.amount_cents.is_some());
        payouts.push(id);
    }

    // Unknown IDs are 404s; a typed ID that could escape the path is sent as
    // one segment (so it is not found), and a dot segment is refused.
    for err in [
        lookups::customer(
            &app,
            "cus_does_not_exist".into(),
            linkdesk::rtls::ReadFrom::Service,
        )
        .await
        .unwrap_err(),
        lookups::transaction(
            &app,
            "txn_does_not_exist".into(),
            linkdesk::rtls::ReadFrom::Service,
        )
        .await
        .unwrap_err(),
        lookups::payout(
            &app,
            "po_does_not_exist".into(),
            linkdesk::rtls::ReadFrom::Service,
        )
        .await
        .unwrap_err(),
    ] {
        assert_eq!(err.code, ErrorCode::NotFound, "{err:?}");
    }
    assert_eq!(
        lookups::customer(&app, "../tokens".into(), linkdesk::rtls::ReadFrom::Service)
            .await
            .unwrap_err()
            .code,
        ErrorCode::NotFound
    );
    assert_eq!(
        lookups::payout(&app, "..".into(), linkdesk::rtls::ReadFrom::Service)
            .await
            .unwrap_err()
            .code,
        ErrorCode::InvalidInput
    );
    assert_eq!(
        lookups::transaction(&app, "  ".into(), linkdesk::rtls::ReadFrom::Service)
            .await
            .unwrap_err()
            .code,
        ErrorCode::InvalidInput
    );

    // The Recent list remembers each lookup, newest first.
    let recent = lookups::recent(&app, 100).await.unwrap();
    assert_eq!(recent[0].kind, "payout");
    assert_eq!(&recent[0].id, payouts.last().unwrap());
    for id in looked_up.iter().chain(&transactions).chain(&payouts) {
        assert!(recent.iter().any(|r| &r.id == id), "{id} not in Recent");
    }

    // The service stops: every record seen is answered from the cache.
    sandbox.stop().await;
    let res = lookups::customer(
        &app,
        looked_up[0].clone(),
        linkdesk::rtls::ReadFrom::Service,
    )
    .await
    .unwrap();
    assert_eq!(res.source, Source::Cache);
    assert!(res.cached_at.is_some());
    assert!(
        res.reason.as_deref().unwrap().contains("Link Money"),
        "{:?}",
        res.reason
    );
    assert!(res.data.accounts.is_some());
    for id in &transactions {
        let res = lookups::transaction(&app, id.clone(), linkdesk::rtls::ReadFrom::Service)
            .await
            .unwrap();
        assert_eq!(res.source, Source::Cache);
        assert_eq!(res.data.transaction.transaction_id.as_str(), id);
    }
    for id in &payouts {
        assert_eq!(
            lookups::payout(&app, id.clone(), linkdesk::rtls::ReadFrom::Service)
                .await
                .unwrap()
                .source,
            Source::Cache
        );
    }
    let err = lookups::customer(
        &app,
        "cus_never_seen".into(),
        linkdesk::rtls::ReadFrom::Service,
    )
    .await
    .unwrap_err();
    assert_eq!(err.code, ErrorCode::Offline);
    assert!(
        err.message.contains("not in the local cache"),
        "{}",
        err.message
    );
    // Writes are refused while the cache answers ("Work offline").
    app.set_work_offline(true);
    let res = lookups::customer(&app, refundable.clone(), linkdesk::rtls::ReadFrom::Service)
        .await
        .unwrap();
    assert_eq!(res.reason.as_deref(), Some("Work offline is on"));
    assert!(res.data.refund_block.unwrap().contains("offline"));
    assert!(!lookups::recent(&app, 10).await.unwrap().is_empty());
}

#[tokio::test(flavor = "multi_thread")]
async fn unknown_statuses_are_shown_as_they_came_and_refused() {
    let fake = FakeLinkMoney::start().await;
    let dir = tempfile::tempdir().unwrap();
    let app = app_at(dir.path(), &fake.url());

    let v = lookups::customer(&app, "cus_frozen".into(), linkdesk::rtls::ReadFrom::Service)
        .await
        .unwrap()
        .data;
    assert_eq!(v.customer.customer_status.as_deref(), Some("FROZEN"));
    assert!(v.refund_block.unwrap().contains("FROZEN"));
    assert_eq!(
        v.accounts.unwrap()[0].account_status.as_deref(),
        Some("PAUSED")
    );
    assert_eq!(v.verified_note.as_deref(), Some("None on record"));

    let t = lookups::transaction(
        &app,
        "txn_settling".into(),
        linkdesk::rtls::ReadFrom::Service,
    )
    .await
    .unwrap()
    .data;
    assert_eq!(
        t.transaction.transaction_status.as_deref(),
        Some("SETTLING")
    );
    assert_eq!(t.amount_cents, Some(1_230));
    let p = lookups::payout(
        &app,
        "po_reversed".into(),
        linkdesk::rtls::ReadFrom::Service,
    )
    .await
    .unwrap()
    .data;
    assert_eq!(p.payout.payout_status.as_deref(), Some("REVERSED"));

    assert!(t.refund_block.unwrap().contains("SETTLING"));
    let ctx = RefundContext::from_app(&app);
    let err = refunds::open(&ctx, None, "txn_settling").await.unwrap_err();
    assert_eq!(err.code, ErrorCode::Conflict);
    assert!(err.message.contains("SETTLING"), "{}", err.message);
    let err = refunds::open(&ctx, None, "txn_frozen_paid")
        .await
        .unwrap_err();
    assert_eq!(err.code, ErrorCode::Conflict);
    assert!(err.message.contains("FROZEN"), "{}", err.message);
    assert_eq!(
        ctx.session
            .linkmoney()
            .unwrap()
            .tokens()
            .fetch_count_for(Scope::Payment),
        0
    );
    fake.stop();
}

#[tokio::test(flavor = "multi_thread")]
async fn every_write_is_in_the_audit_log() {
    let sandbox = start(|_| {}).await;
    let url = sandbox.url();
    let dir = tempfile::tempdir().unwrap();
    let app = app_at(dir.path(), &url);

    // RTL create, status, proceed, cancel — and a cancel the service refuses.
    let rtl = rtls::create(
        &app,
        NewRtl {
            client_user_id: "audit_user_1".into(),
            biller_id: None,
            metadata: Some(serde_json::json!({"ticket": "T-1"})),
        },
    )
    .await
    .unwrap();
    rtls::set_status(&app, rtl.id.clone(), "IN_PROGRESS".into())
        .await
        .unwrap();
    let proceeded = rtls::proceed(&app, rtl.id.clone()).await.unwrap();
    rtls::cancel(&app, rtl.id.clone(), Some("customer asked".into()))
        .await
        .unwrap();
    rtls::cancel(&app, rtl.id.clone(), None).await.unwrap_err();

    // A refund.
    let (txn, customer, _) = succeeded_payment_of_at_least(&url, 250).await;
    let ctx = RefundContext::from_app(&app);
    let dialog = refunds::open(&ctx, None, &txn).await.unwrap();
    let row = refunds::submit(
        &ctx,
        RefundInput {
            request_key: dialog.request_key,
            amount: "2.50".into(),
            soft_descriptor: Some("Audit test".into()),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    assert_eq!(row.state, RefundState::Authorized);

    // An environment saved (no secret), switched to, locked, then unlocked.
    // Production accepts only https; nothing is ever sent to it here.
    let https_closed_url = closed_url().replacen("http://", "https://", 1);
    let prod = settings::save(
        &app,
        EnvInput {
            env: Environment {
                id: String::new(),
                ..environment(&https_closed_url, EnvKind::Production)
            },
            biller_client_secret: None,
            linkmoney_client_secret: None,
            confirm_name: None,
        },
    )
    .unwrap()
    .env;
    app.switch(&prod.id).unwrap();
    let locked = rtls::create(
        &app,
        NewRtl {
            client_user_id: "audit_user_2".into(),
            biller_id: None,
            metadata: None,
        },
    )
    .await
    .unwrap_err();
    assert_eq!(locked.code, ErrorCode::ProductionLocked);
    settings::unlock(&app, "wrong name").unwrap_err();
    settings::unlock(&app, &prod.name).unwrap();

    let page = |filter: AuditFilter| app.journal.audit_page(&filter, 0, 100).unwrap();
    let all = page(AuditFilter::default());
    let actions: Vec<(&str, &str)> = all
        .rows
        .iter()
        .rev()
        .map(|r| (r.action.as_str(), r.outcome.as_str()))
        .collect();
    assert_eq!(
        actions,
        vec![
            ("rtl.create", "ok"),
            ("rtl.status", "ok"),
            ("rtl.proceed", "ok"),
            ("rtl.cancel", "ok"),
            ("rtl.cancel", "error"),
            ("refund", "ok"),
            ("environment.save", "ok"),
            ("rtl.create", "error"),
            ("production.unlock", "error"),
            ("production.unlock", "ok"),
        ]
    );
    let first = all.rows.last().unwrap();
    assert_eq!(first.env_id, "embedded");
    assert_eq!(first.target, rtl.id);
    assert_eq!(first.fields["clientUserId"], "audit_user_1");
    let locked_row = &all.rows[2];
    assert_eq!(locked_row.error_code.as_deref(), Some("production_locked"));
    assert_eq!(locked_row.env_id, prod.id);
    let refund = all.rows.iter().find(|r| r.action == "refund").unwrap();
    assert_eq!(refund.fields["amount"], "2.50");
    assert_eq!(refund.fields["softDescriptor"], "Audit test");
    assert_eq!(refund.target, customer);

    // The link token (a credential for the session page) is never recorded.
    let everything = serde_json::to_string(&all.rows).unwrap();
    assert!(!everything.contains(&proceeded.link_token));

    // Filters: action, environment, dates.
    assert_eq!(
        page(AuditFilter {
            action: Some("rtl.cancel".into()),
            ..Default::default()
        })
        .total,
        2
    );
    assert_eq!(
        page(AuditFilter {
            env_id: Some(prod.id.clone()),
            ..Default::default()
        })
        .total,
        4
    );
    let tomorrow = (chrono::Utc::now() + chrono::Duration::days(1)).to_rfc3339();
    let yesterday = (chrono::Utc::now() - chrono::Duration::days(1)).to_rfc3339();
    assert_eq!(
        page(AuditFilter {
            from: Some(tomorrow.clone()),
            ..Default::default()
        })
        .total,
        0
    );
    assert_eq!(
        page(AuditFilter {
            from: Some(yesterday),
            to: Some(tomorrow),
            ..Default::default()
        })
        .total,
        10
    );

    // Export: every matching row, as CSV.
    let out = dir.path().join("audit.csv");
    let written = linkdesk::audit::export_csv(
        &app,
        AuditFilter {
            action: Some("rtl.create".into()),
            ..Default::default()
        },
        linkdesk::export::ExportTarget::Chosen(out.clone()),
    )
    .await
    .unwrap()
    .rows;
    assert_eq!(written, 2);
    let text = std::fs::read_to_string(&out).unwrap();
    let lines: Vec<&str> = text.trim_end().split("\r\n").collect();
    assert_eq!(lines.len(), 3);
    assert!(lines[0].starts_with("time,environment_id,environment,action"));
    assert!(lines[1].contains("production_locked"));
    sandbox.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn refunds_left_open_are_resolved_at_the_next_start() {
    let sandbox = start(|_| {}).await;
    let url = sandbox.url();
    let (txn, _, _) = succeeded_payment(&url).await;
    let before = transaction_ids(&url).await;
    let dir = tempfile::tempdir().unwrap();
    let reference = format!("restart-{}", uuid::Uuid::new_v4().simple());
    let key = {
        let app = app_at(dir.path(), &url);
        // Journaled as SENDING, then the process ended: what a crash leaves.
        crashed_refund(
            &RefundContext::from_app(&app),
            &txn,
            42,
            Some(reference.clone()),
        )
        .await
    };

    let app = app_at(dir.path(), &url);
    let open = refunds::open_refunds(&RefundContext::from_app(&app))
        .await
        .unwrap();
    assert_eq!(open.len(), 1);
    let resolved = linkdesk::money::resolve_at_start(&app).await.unwrap();
    assert_eq!(resolved.len(), 1);
    assert_eq!(resolved[0].request_key, key);
    assert_eq!(
        resolved[0].state,
        RefundState::Authorized,
        "{:?}",
        resolved[0]
    );
    assert!(linkdesk::money::resolve_at_start(&app)
        .await
        .unwrap()
        .is_empty());
    assert_eq!(new_refund_references(&url, &before).await, vec![reference]);
    sandbox.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn webhook_secrets_live_in_the_keyring_only() {
    if !real_keyring() {
        return;
    }
    let sandbox = start(|_| {}).await;
    let url = sandbox.url();
    let dir = tempfile::tempdir().unwrap();
    let app = app_at(dir.path(), &url);
    let secret = format!("whsec-linkdesk-{}", uuid::Uuid::new_v4().simple());

    let made = webhooks::subscribe(
        &app,
        SubscribeInput {
            url: "http://127.0.0.1:9/linkmoney/hooks".into(),
            secret_key: secret.clone(),
            sub_type: SubscriptionType::Event,
            details: vec!["payment.created".into(), "payment.failed".into()],
        },
    )
    .await
    .unwrap();
    assert!(!made.subscription_key.is_empty());
    assert_eq!(
        secrets::get(&made.secret_account)
            .unwrap()
            .unwrap()
            .expose(),
        secret
    );
    let list = webhooks::list(&app).await.unwrap();
    assert_eq!(list.subscriptions.len(), 1);
    assert_eq!(
        list.subscriptions[0].details,
        vec!["payment.created", "payment.failed"]
    );
    assert!(list.events.contains(&"customer.account.linked"));
    assert!(!serde_json::to_string(&list).unwrap().contains(&secret));

    // Refused locally, before anything is stored: a detail the type does not take.
    let err = webhooks::subscribe(
        &app,
        SubscribeInput {
            url: "http://127.0.0.1:9/other".into(),
            secret_key: "another-secret-value".into(),
            sub_type: SubscriptionType::Category,
            details: vec!["payment.created".into()],
        },
    )
    .await
    .unwrap_err();
    assert_eq!(err.code, ErrorCode::InvalidInput);
    assert_eq!(webhooks::list(&app).await.unwrap().subscriptions.len(), 1);

    webhooks::unsubscribe(&app, made.id.clone()).await.unwrap();
    assert_eq!(secrets::get(&made.secret_account).unwrap(), None);
    assert!(webhooks::list(&app).await.unwrap().subscriptions.is_empty());

    // Credential changes are recorded as such, never with their value.
    let env = settings::save(
        &app,
        EnvInput {
            env: Environment {
                id: String::new(),
                name: format!("Keyring audit {}", uuid::Uuid::new_v4().simple()),
                ..environment(&url, EnvKind::Sandbox)
            },
            biller_client_secret: None,
            linkmoney_client_secret: Some(secret.clone()),
            confirm_name: None,
        },
    )
    .unwrap()
    .env;
    settings::clear_secret(&app, &env.id, settings::Service::Linkmoney).unwrap();
    settings::delete(&app, &env.id).unwrap();

    let audit = app
        .journal
        .audit_page(&AuditFilter::default(), 0, 100)
        .unwrap();
    let actions: Vec<&str> = audit.rows.iter().rev().map(|r| r.action.as_str()).collect();
    assert_eq!(
        actions,
        vec![
            "webhook.subscribe",
            "webhook.subscribe",
            "webhook.unsubscribe",
            "environment.save",
            "secret.set",
            "secret.clear",
            "environment.delete",
        ]
    );
    assert_eq!(audit.rows[5].outcome, "error");
    // The secret is nowhere in journal.sqlite, its WAL or the cache.
    for entry in std::fs::read_dir(dir.path()).unwrap() {
        let bytes = std::fs::read(entry.unwrap().path()).unwrap_or_default();
        assert!(
            !bytes.windows(secret.len()).any(|w| w == secret.as_bytes()),
            "the secret was written to a file"
        );
    }
    sandbox.stop().await;
}

/// A payment of a customer Link Money said was INACTIVE: the payment's
/// refund button is off up front, saying why, once the customer has been read
/// (the refund dialog itself always reads the customer again).
#[tokio::test(flavor = "multi_thread")]
async fn a_payment_of_an_inactive_customer_offers_no_refund() {
    let sandbox = start(|_| {}).await;
    let url = sandbox.url();
    let dir = tempfile::tempdir().unwrap();
    let app = app_at(dir.path(), &url);
    let payment = payment_of_customer_in(&url, "INACTIVE").await;
    let customer = client(&url)
        .get_transaction(&payment)
        .await
        .unwrap()
        .value
        .customer_id
        .unwrap();
    lookups::customer(
        &app,
        customer.as_str().to_string(),
        linkdesk::rtls::ReadFrom::Service,
    )
    .await
    .unwrap();
    let v = lookups::transaction(&app, payment, linkdesk::rtls::ReadFrom::Service)
        .await
        .unwrap()
        .data;
    let block = v.refund_block.expect("no refund offered");
    assert!(block.contains("INACTIVE"), "{block}");
    sandbox.stop().await;
}
