//! The refund journal over real HTTP to the sandbox and real SQLite files:
//! validation, refusals made before any request, and refunds under faults —
//! every answer dropped after the refund was made, and the app's process
//! killed between the request and the answer. N refunds attempted must give
//! exactly N refunds in the sandbox: none twice, none lost. (What bounds a
//! refund — its payment, other seats, other processes — is in
//! `refund_payments.rs`.)

mod money_support;

use std::collections::HashMap;
use std::path::Path;

use linkdesk::cache::Cache;
use linkdesk::environments::EnvKind;
use linkdesk::error::ErrorCode;
use linkdesk::journal::{AuditFilter, Journal, RefundState};
use linkdesk::money::{refunds, sender, RefundInput, RetryPolicy};
use money_support::proxy::Proxy;
use money_support::*;

#[tokio::test(flavor = "multi_thread")]
async fn a_refund_is_checked_before_it_is_sent_and_sent_once() {
    let sandbox = start(|_| {}).await;
    let url = sandbox.url();
    let (txn, customer, paid) = succeeded_payment(&url).await;
    let dir = tempfile::tempdir().unwrap();
    let ctx = context(dir.path(), session(&url, EnvKind::Sandbox));

    let dialog = refunds::open(&ctx, None, &txn).await.unwrap();
    assert_eq!(dialog.cap_cents, paid);
    assert_eq!(dialog.customer_id, customer);
    assert_eq!(dialog.refund_number, 1);
    assert_eq!(
        dialog.request_key,
        linkdesk::linkmoney::refund_request_key(MERCHANT, &txn, 1)
    );
    assert_eq!(dialog.threshold_cents, 10_000);
    assert_eq!(dialog.environment.id, ENV_ID);
    assert_eq!(dialog.account_status.as_deref(), Some("ACTIVE"));
    let key = dialog.request_key.clone();
    assert_eq!(
        ctx.journal.refund(&key).unwrap().unwrap().state,
        RefundState::Draft
    );

    let too_much = linkdesk::linkmoney::format_cents(paid + 1);
    let cases: Vec<RefundInput> = vec![
        input(&key, ""),
        input(&key, "0"),
        input(&key, "0.00"),
        input(&key, "-1"),
        input(&key, "1.005"),
        input(&key, "1e2"),
        input(&key, "12,50"),
        input(&key, "$5"),
        input(&key, "abc"),
        input(&key, &too_much),
        RefundInput {
            soft_descriptor: Some("Refund #42".into()),
            ..input(&key, "0.01")
        },
        RefundInput {
            soft_descriptor: Some("A".repeat(81)),
            ..input(&key, "0.01")
        },
        RefundInput {
            client_reference_id: Some("line\nbreak".into()),
            ..input(&key, "0.01")
        },
        // Above the threshold the amount must be typed again, exactly.
        input(&key, "100.01"),
        RefundInput {
            retyped_amount: Some("100.10".into()),
            ..input(&key, "100.01")
        },
    ];
    for case in &cases {
        let err = refunds::submit(&ctx, case.clone()).await.unwrap_err();
        assert_eq!(err.code, ErrorCode::InvalidInput, "{case:?}: {err:?}");
    }
    assert_eq!(
        ctx.journal.refund(&key).unwrap().unwrap().state,
        RefundState::Draft
    );
    assert_eq!(
        payment_tokens(&ctx),
        0,
        "a refused refund fetched a payment token"
    );

    let before = transaction_ids(&url).await;
    let reference = format!("valid-{}", uuid::Uuid::new_v4().simple());
    let row = refunds::submit(
        &ctx,
        RefundInput {
            client_reference_id: Some(reference.clone()),
            soft_descriptor: Some("Linkdesk refund 1".into()),
            ..input(&key, "0.25")
        },
    )
    .await
    .unwrap();
    assert_eq!(row.state, RefundState::Authorized, "{row:?}");
    assert_eq!(row.amount_cents, Some(25));
    assert_eq!(row.attempts, 1);
    let payment = row.payment_id.clone().unwrap();
    let t = client(&url).get_transaction(&payment).await.unwrap().value;
    assert_eq!(t.transaction_type.as_deref(), Some("CREDIT"));
    assert_eq!(t.descriptor.as_deref(), Some("Linkdesk refund 1"));
    assert_eq!(t.client_reference_id.as_deref(), Some(reference.as_str()));

    // A second submit of the same key (a double click, a second window).
    let again = refunds::submit(&ctx, input(&key, "0.25"))
        .await
        .unwrap_err();
    assert_eq!(again.code, ErrorCode::Conflict);
    assert_eq!(new_refund_references(&url, &before).await, vec![reference]);

    // The cap now counts that refund.
    let next = refunds::open(&ctx, None, &txn).await.unwrap();
    assert_eq!(next.cap_cents, paid - 25);
    assert_eq!(next.refund_number, 2);
    let err = refunds::submit(
        &ctx,
        input(&next.request_key, &linkdesk::linkmoney::format_cents(paid)),
    )
    .await
    .unwrap_err();
    assert_eq!(err.code, ErrorCode::InvalidInput);

    // Every submit is in the audit log, refusals included.
    let audit = ctx
        .journal
        .audit_page(
            &AuditFilter {
                action: Some("refund".into()),
                ..Default::default()
            },
            0,
            100,
        )
        .unwrap();
    assert_eq!(audit.total as usize, cases.len() + 3);
    let ok: Vec<_> = audit.rows.iter().filter(|r| r.outcome == "ok").collect();
    assert_eq!(ok.len(), 1);
    assert_eq!(ok[0].fields["amount"], "0.25");
    assert!(ok[0].detail.as_deref().unwrap().contains(&payment));
    sandbox.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn refusals_are_made_without_any_request() {
    let sandbox = start(|_| {}).await;
    let url = sandbox.url();
    let dir = tempfile::tempdir().unwrap();

    // An INACTIVE customer: refused when the dialog opens; no payment token,
    // no draft.
    let live = context(dir.path(), session(&url, EnvKind::Sandbox));
    let inactive = payment_of_customer_in(&url, "INACTIVE").await;
    let err = refunds::open(&live, None, &inactive).await.unwrap_err();
    assert_eq!(err.code, ErrorCode::Conflict, "{err:?}");
    assert!(err.message.contains("INACTIVE"), "{}", err.message);
    assert_eq!(payment_tokens(&live), 0);
    assert!(live.journal.list_refunds(None, 10).unwrap().is_empty());

    // A malformed amount: refused by a context whose service cannot be
    // reached at all, so anything sent would have ended "offline".
    let (txn, customer, _) = succeeded_payment(&url).await;
    let draft = refunds::open(&live, Some(&customer), &txn).await.unwrap();
    let dead = linkdesk::money::RefundContext {
        session: session(&closed_url(), EnvKind::Sandbox),
        ..live.clone()
    };
    for bad in ["1.005", "-3", "ten", "0"] {
        let err = refunds::submit(&dead, input(&draft.request_key, bad))
            .await
            .unwrap_err();
        assert_eq!(err.code, ErrorCode::InvalidInput, "{bad}: {err:?}");
    }
    assert_eq!(dead.session.linkmoney().unwrap().tokens().fetch_count(), 0);

    // Production, locked: refused before anything, both opening and sending.
    let prod = linkdesk::money::RefundContext {
        session: session(&closed_url(), EnvKind::Production),
        ..live.clone()
    };
    let err = refunds::open(&prod, None, &txn).await.unwrap_err();
    assert_eq!(err.code, ErrorCode::ProductionLocked, "{err:?}");
    let err = refunds::submit(&prod, input(&draft.request_key, "0.01"))
        .await
        .unwrap_err();
    assert_eq!(err.code, ErrorCode::ProductionLocked, "{err:?}");
    assert_eq!(prod.session.linkmoney().unwrap().tokens().fetch_count(), 0);
    // "Work offline" refuses the same way.
    let offline = linkdesk::money::RefundContext {
        work_offline: true,
        ..dead.clone()
    };
    let err = refunds::submit(&offline, input(&draft.request_key, "0.01"))
        .await
        .unwrap_err();
    assert_eq!(err.code, ErrorCode::OfflineWrite);
    assert_eq!(
        live.journal
            .refund(&draft.request_key)
            .unwrap()
            .unwrap()
            .state,
        RefundState::Draft
    );

    // A journal that cannot be read: refunds are refused, the file untouched.
    let broken = tempfile::tempdir().unwrap();
    let garbage = b"not a journal at all".repeat(64);
    std::fs::write(broken.path().join("journal.sqlite"), &garbage).unwrap();
    let (journal, notice) = Journal::open(broken.path());
    assert!(notice.unwrap().contains("untouched"));
    let ctx = linkdesk::money::RefundContext {
        journal,
        cache: Cache::open(broken.path()).unwrap().0,
        ..live.clone()
    };
    let err = refunds::open(&ctx, None, &txn).await.unwrap_err();
    assert!(err.message.contains("journal"), "{}", err.message);
    assert_eq!(
        std::fs::read(broken.path().join("journal.sqlite")).unwrap(),
        garbage
    );
    assert_eq!(payment_tokens(&live), 0);
    sandbox.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_refund_link_money_refuses_is_kept_as_it_came() {
    let sandbox = start(|_| {}).await;
    let url = sandbox.url();
    let (txn, customer, paid) = succeeded_payment(&url).await;
    let dir = tempfile::tempdir().unwrap();
    let ctx = context(dir.path(), session(&url, EnvKind::Sandbox));
    let dialog = refunds::open(&ctx, None, &txn).await.unwrap();
    assert_eq!(dialog.cap_cents, paid);
    // Another tool refunded everything the customer paid: Link Money fails
    // the refund although Linkdesk's own cap allows it.
    drain(&url, &customer).await;
    let row = refunds::submit(&ctx, input(&dialog.request_key, "0.50"))
        .await
        .unwrap();
    assert_eq!(row.state, RefundState::TerminalFailed, "{row:?}");
    assert_eq!(row.headline, "Failed — nothing refunded");
    assert_eq!(row.payment_status.as_deref(), Some("TERMINAL_FAILED"));
    assert_eq!(row.error_code.as_deref(), Some("REFUND_EXCEEDS_PAYMENTS"));
    assert!(row.error_message.is_some() && row.payment_id.is_some());
    let audit = ctx
        .journal
        .audit_page(&AuditFilter::default(), 0, 10)
        .unwrap();
    assert_eq!(audit.rows[0].outcome, "error");
    assert!(audit.rows[0]
        .error_message
        .as_deref()
        .unwrap()
        .contains("Failed"));
    // A failed refund does not count against the payment.
    assert_eq!(
        refunds::open(&ctx, None, &txn).await.unwrap().cap_cents,
        paid
    );
    sandbox.stop().await;
}

/// Every refund's answer is dropped after the sandbox made it: each is sent
/// again with its own key, the sandbox says the key is used, and the journal
/// records that it was sent, its outcome not confirmed. Such a refund holds
/// its payment until a person records what went out under it, so each worker
/// refunds a payment of its own, one refund after another, recording each.
#[tokio::test(flavor = "multi_thread")]
async fn dropped_answers_give_exactly_one_refund_each() {
    const REFUNDS: usize = 224;
    const AT_ONCE: usize = 8;
    let sandbox = start(|o| o.drop_after_commit_rate = 1.0).await;
    let url = sandbox.url();
    let mut payments = Vec::new();
    for i in 0..AT_ONCE {
        let (txn, _, _) = nth_succeeded_payment(&url, (REFUNDS / AT_ONCE) as i64, i).await;
        payments.push(txn);
    }
    let before = transaction_ids(&url).await;
    let dir = tempfile::tempdir().unwrap();
    let ctx = context(dir.path(), session(&url, EnvKind::Sandbox));
    let run = uuid::Uuid::new_v4().simple().to_string();

    let mut tasks = tokio::task::JoinSet::new();
    for (w, txn) in payments.into_iter().enumerate() {
        let (ctx, run) = (ctx.clone(), run.clone());
        tasks.spawn(async move {
            let mut done = Vec::new();
            for i in 0..REFUNDS / AT_ONCE {
                let reference = format!("drop-{run}-{w}-{i}");
                let dialog = refunds::open(&ctx, None, &txn).await.unwrap();
                let row = refunds::submit(
                    &ctx,
                    RefundInput {
                        client_reference_id: Some(reference.clone()),
                        ..input(&dialog.request_key, "0.01")
                    },
                )
                .await
                .unwrap();
                // Looked up at Link Money: one cent went out under its key.
                refunds::record_elsewhere(&ctx, &row.request_key, "0.01")
                    .await
                    .unwrap();
                done.push((reference, row));
            }
            done
        });
    }
    let mut journaled = HashMap::new();
    while let Some(done) = tasks.join_next().await {
        for (reference, row) in done.unwrap() {
            assert_eq!(row.state, RefundState::SentUnconfirmed, "{row:?}");
            assert_eq!(row.headline, "Sent — outcome not confirmed");
            assert!(row.attempts >= 2, "{row:?}");
            journaled.insert(reference, row.request_key);
        }
    }
    assert_eq!(journaled.len(), REFUNDS);
    assert!(ctx.journal.open_refunds().unwrap().is_empty());

    let mut made: HashMap<String, usize> = HashMap::new();
    for reference in new_refund_references(&url, &before).await {
        *made.entry(reference).or_default() += 1;
    }
    assert_eq!(made.len(), REFUNDS, "refunds lost or unknown ones made");
    for (reference, count) in &made {
        assert_eq!(*count, 1, "{reference} was refunded {count} times");
        assert!(
            journaled.contains_key(reference),
            "{reference} not journaled"
        );
    }
    println!(
        "{REFUNDS} refunds attempted with every answer dropped: {} made, none twice",
        made.len()
    );
    sandbox.stop().await;
}

const CHILD_DIR: &str = "LINKDESK_REFUND_CHILD_DIR";
const CHILD_URL: &str = "LINKDESK_REFUND_CHILD_URL";
const CHILD_PAYMENT: &str = "LINKDESK_REFUND_CHILD_PAYMENT";
const CHILD_REFERENCE: &str = "LINKDESK_REFUND_CHILD_REFERENCE";

/// The child process of `a_refund_killed_mid_flight_is_resolved_with_its_key`:
/// opens and submits one refund, and is killed before the answer comes.
#[tokio::test(flavor = "multi_thread")]
#[ignore = "run as a child process by a_refund_killed_mid_flight_is_resolved_with_its_key"]
async fn child_sends_a_refund_and_is_killed() {
    let (Ok(dir), Ok(url), Ok(payment), Ok(reference)) = (
        std::env::var(CHILD_DIR),
        std::env::var(CHILD_URL),
        std::env::var(CHILD_PAYMENT),
        std::env::var(CHILD_REFERENCE),
    ) else {
        return;
    };
    let ctx = context(Path::new(&dir), session(&url, EnvKind::Sandbox));
    let dialog = refunds::open(&ctx, None, &payment).await.unwrap();
    let row = refunds::submit(
        &ctx,
        RefundInput {
            client_reference_id: Some(reference),
            ..input(&dialog.request_key, "0.01")
        },
    )
    .await;
    // Reaching this line means the parent did not kill us in time.
    eprintln!("child finished unexpectedly: {row:?}");
    std::process::exit(3);
}

/// Kills its process when dropped, so a failing test leaves nothing running.
struct Child(std::process::Child);

impl Drop for Child {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_refund_killed_mid_flight_is_resolved_with_its_key() {
    // Slow answers leave a wide window between the request and its answer.
    let sandbox = start(|o| o.latency_ms = 1_000).await;
    let url = sandbox.url();
    // A payment of its own each time (refund #1 of one payment has one key),
    // both picked before any refund changes what the sandbox lists.
    let payments = [
        nth_succeeded_payment(&url, 1, 0).await.0,
        nth_succeeded_payment(&url, 1, 1).await.0,
    ];
    assert_ne!(payments[0], payments[1]);
    // Forwarded: the refund reaches Link Money and is made; Held: it never does.
    for (run, (forward, expected)) in [
        (true, RefundState::SentUnconfirmed),
        (false, RefundState::Authorized),
    ]
    .into_iter()
    .enumerate()
    {
        let payment = payments[run].clone();
        let before = transaction_ids(&url).await;
        let dir = tempfile::tempdir().unwrap();
        let mut proxy = Proxy::start(sandbox.addr(), forward).await;
        let reference = format!("killed-{}", uuid::Uuid::new_v4().simple());
        let child = std::process::Command::new(std::env::current_exe().unwrap())
            .args([
                "--exact",
                "child_sends_a_refund_and_is_killed",
                "--nocapture",
                "--ignored",
            ])
            .env(CHILD_DIR, dir.path())
            .env(CHILD_URL, proxy.url())
            .env(CHILD_PAYMENT, &payment)
            .env(CHILD_REFERENCE, &reference)
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap();
        let mut child = Child(child);
        proxy.wait_for_refund_request().await;
        child.0.kill().unwrap();
        let status = child.0.wait().unwrap();
        assert!(!status.success(), "the child was not killed: {status:?}");

        // The next start: the refund is in the journal, outcome unknown. It
        // is resolved only at the URL it was confirmed for: the proxy's,
        // which now forwards.
        proxy.forward(true);
        let direct = session(&proxy.url(), EnvKind::Sandbox);
        let (journal, notice) = Journal::open(dir.path());
        assert!(notice.is_none());
        let open = journal.open_refunds().unwrap();
        assert_eq!(open.len(), 1, "{open:?}");
        assert_eq!(open[0].state, RefundState::Sending);
        assert_eq!(open[0].attempts, 1);
        assert_eq!(
            open[0].client_reference_id.as_deref(),
            Some(reference.as_str())
        );
        let key = open[0].request_key.clone();

        let resolved = sender::resolve_open(
            &journal,
            |env| {
                assert_eq!(env, ENV_ID);
                Ok(direct.clone())
            },
            RetryPolicy::default(),
        )
        .await
        .unwrap();
        assert_eq!(resolved.len(), 1);
        assert_eq!(resolved[0].request_key, key);
        assert_eq!(resolved[0].state, expected, "{:?}", resolved[0]);
        assert!(journal.open_refunds().unwrap().is_empty());
        let audit = journal
            .audit_page(
                &AuditFilter {
                    action: Some("refund.resolve".into()),
                    ..Default::default()
                },
                0,
                10,
            )
            .unwrap();
        assert_eq!(audit.total, 1);

        assert_eq!(
            new_refund_references(&url, &before).await,
            vec![reference],
            "exactly one refund (forwarded: {forward})"
        );
        proxy.stop();
    }
    sandbox.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn the_journal_outlives_cache_clearing_and_a_corrupt_cache() {
    let sandbox = start(|_| {}).await;
    let url = sandbox.url();
    let (txn, _, _) = succeeded_payment_of_at_least(&url, 100).await;
    let dir = tempfile::tempdir().unwrap();
    let ctx = context(dir.path(), session(&url, EnvKind::Sandbox));
    let dialog = refunds::open(&ctx, None, &txn).await.unwrap();
    let row = refunds::submit(&ctx, input(&dialog.request_key, "1.00"))
        .await
        .unwrap();
    assert_eq!(row.state, RefundState::Authorized);

    ctx.cache.clear(ENV_ID).unwrap();
    drop(ctx);
    std::fs::write(dir.path().join("cache.sqlite"), b"garbage, not SQLite").unwrap();
    let (_cache, report) = Cache::open(dir.path()).unwrap();
    assert!(report.moved_aside_to.is_some());
    let (journal, notice) = Journal::open(dir.path());
    assert!(notice.is_none());
    let kept = journal.refund(&dialog.request_key).unwrap().unwrap();
    assert_eq!(kept, row);
    assert_eq!(journal.list_refunds(Some(ENV_ID), 10).unwrap().len(), 1);
    sandbox.stop().await;
}
