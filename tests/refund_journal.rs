//! The refund journal over real HTTP to the sandbox and real SQLite files:
//! validation, refusals made before any request, the payment's cap, and
//! refunds under faults — every answer dropped after the refund was made,
//! and the app's process killed between the request and the answer. N
//! refunds attempted must give exactly N refunds in the sandbox: none twice,
//! none lost. Two journals on one payment (two seats) and two processes on
//! one journal never refund twice.

mod money_support;

use std::collections::HashMap;
use std::path::Path;
use std::sync::Arc;

use linkdesk::cache::Cache;
use linkdesk::environments::EnvKind;
use linkdesk::error::ErrorCode;
use linkdesk::journal::{AuditFilter, Journal, RefundState};
use linkdesk::linkmoney::Scope;
use linkdesk::money::{refunds, sender, RefundInput, RetryPolicy};
use money_support::proxy::Proxy;
use money_support::*;

fn input(key: &str, amount: &str) -> RefundInput {
    RefundInput {
        request_key: key.to_string(),
        amount: amount.to_string(),
        ..Default::default()
    }
}

fn payment_tokens(ctx: &linkdesk::money::RefundContext) -> u64 {
    ctx.session
        .linkmoney()
        .unwrap()
        .tokens()
        .fetch_count_for(Scope::Payment)
}

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
/// records that it was sent, its outcome not confirmed.
#[tokio::test(flavor = "multi_thread")]
async fn dropped_answers_give_exactly_one_refund_each() {
    const REFUNDS: usize = 220;
    const AT_ONCE: usize = 8;
    let sandbox = start(|o| o.drop_after_commit_rate = 1.0).await;
    let url = sandbox.url();
    let (txn, _, _) = succeeded_payment_of_at_least(&url, REFUNDS as i64).await;
    let before = transaction_ids(&url).await;
    let dir = tempfile::tempdir().unwrap();
    let ctx = context(dir.path(), session(&url, EnvKind::Sandbox));
    let run = uuid::Uuid::new_v4().simple().to_string();

    let gate = Arc::new(tokio::sync::Semaphore::new(AT_ONCE));
    let mut tasks = tokio::task::JoinSet::new();
    for i in 0..REFUNDS {
        let (ctx, txn, gate) = (ctx.clone(), txn.clone(), gate.clone());
        let reference = format!("drop-{run}-{i}");
        tasks.spawn(async move {
            let _slot = gate.acquire().await.unwrap();
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
            (reference, row)
        });
    }
    let mut journaled = HashMap::new();
    while let Some(done) = tasks.join_next().await {
        let (reference, row) = done.unwrap();
        assert_eq!(row.state, RefundState::SentUnconfirmed, "{row:?}");
        assert_eq!(row.headline, "Sent — outcome not confirmed");
        assert!(row.attempts >= 2, "{row:?}");
        journaled.insert(reference, row.request_key);
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
    // Forwarded: the refund reaches Link Money and is made; Held: it never does.
    for (run, (forward, expected)) in [
        (true, RefundState::SentUnconfirmed),
        (false, RefundState::Authorized),
    ]
    .into_iter()
    .enumerate()
    {
        // A payment of its own each time: refund #1 of one payment has one key.
        let (payment, _, _) = nth_succeeded_payment(&url, 1, run).await;
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

fn quick(ctx: linkdesk::money::RefundContext) -> linkdesk::money::RefundContext {
    linkdesk::money::RefundContext {
        policy: RetryPolicy {
            attempts: 4,
            first_delay: std::time::Duration::from_millis(50),
        },
        ..ctx
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_payment_that_has_not_settled_is_never_refunded() {
    let sandbox = start(|_| {}).await;
    let url = sandbox.url();
    let customer = refundable_customer(&url, 0).await;
    let pending = pay(&url, &customer, 1_899).await;
    let authorized = pay(&url, &customer, 1_814).await;
    let dir = tempfile::tempdir().unwrap();
    let ctx = context(dir.path(), session(&url, EnvKind::Sandbox));
    for (payment, status) in [(&pending, "PENDING"), (&authorized, "AUTHORIZED")] {
        let err = refunds::open(&ctx, None, payment).await.unwrap_err();
        assert_eq!(err.code, ErrorCode::Conflict, "{err:?}");
        assert!(
            err.message.contains(status) && err.message.contains("not settled"),
            "{}",
            err.message
        );
        let err = refunds::open(&ctx, Some(&customer), payment)
            .await
            .unwrap_err();
        assert_eq!(err.code, ErrorCode::Conflict);
    }
    // A refund is refunded from its payment, never from another refund.
    let before = transaction_ids(&url).await;
    assert!(refund_elsewhere(&url, &customer, 1).await);
    let (credit, _) = new_refunds(&url, &before).await.pop().unwrap();
    let err = refunds::open(&ctx, None, &credit).await.unwrap_err();
    assert!(err.message.contains("CREDIT"), "{}", err.message);
    assert!(ctx.journal.list_refunds(None, 10).unwrap().is_empty());
    assert_eq!(payment_tokens(&ctx), 0, "nothing was ever sent");
    sandbox.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn refunds_from_every_view_count_against_one_payment() {
    let sandbox = start(|_| {}).await;
    let url = sandbox.url();
    let (txn, customer, paid) = succeeded_payment_of_at_least(&url, 300).await;
    let dir = tempfile::tempdir().unwrap();
    let app = app_at(dir.path(), &url);
    let ctx = linkdesk::money::RefundContext::from_app(&app);
    let before = transaction_ids(&url).await;

    // From the customer view: the person picks the payment.
    linkdesk::money::lookups::transaction(&app, txn.clone())
        .await
        .unwrap();
    let choices = refunds::payment_choices(&ctx, &customer).await.unwrap();
    let choice = choices
        .iter()
        .find(|c| c.transaction_id == txn)
        .expect("the payment is offered");
    assert_eq!(choice.left_cents, Some(paid));
    let other = refundable_customer(&url, 5).await;
    let err = refunds::open(&ctx, Some(&other), &txn).await.unwrap_err();
    assert_eq!(err.code, ErrorCode::InvalidInput);
    let from_customer = refunds::open(&ctx, Some(&customer), &txn).await.unwrap();
    let first = linkdesk::linkmoney::format_cents(paid - 100);
    let row = refunds::submit(
        &ctx,
        RefundInput {
            retyped_amount: Some(first.clone()),
            ..input(&from_customer.request_key, &first)
        },
    )
    .await
    .unwrap();
    assert_eq!(row.state, RefundState::Authorized, "{row:?}");

    // From the payment view: only the rest is left. Two dialogs open at
    // once (two windows) share it.
    let a = refunds::open(&ctx, None, &txn).await.unwrap();
    let b = refunds::open(&ctx, None, &txn).await.unwrap();
    assert_eq!((a.cap_cents, b.cap_cents), (100, 100));
    assert_eq!((a.refund_number, b.refund_number), (2, 3));
    let err = refunds::submit(&ctx, input(&a.request_key, "1.01"))
        .await
        .unwrap_err();
    assert_eq!(err.code, ErrorCode::InvalidInput);
    let row = refunds::submit(&ctx, input(&a.request_key, "1.00"))
        .await
        .unwrap();
    assert_eq!(row.state, RefundState::Authorized);
    let err = refunds::submit(&ctx, input(&b.request_key, "0.01"))
        .await
        .unwrap_err();
    assert_eq!(err.code, ErrorCode::InvalidInput, "{err:?}");
    assert!(err.message.contains("at most $0.00"), "{}", err.message);
    let err = refunds::open(&ctx, None, &txn).await.unwrap_err();
    assert!(err.message.contains("Nothing is left"), "{}", err.message);
    let choices = refunds::payment_choices(&ctx, &customer).await.unwrap();
    let choice = choices.iter().find(|c| c.transaction_id == txn).unwrap();
    assert_eq!(choice.left_cents, Some(0));
    assert!(choice.refusal.is_some());

    let made: i64 = new_refunds(&url, &before).await.iter().map(|r| r.1).sum();
    assert_eq!(made, paid, "exactly the payment went back, no more");
    sandbox.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn two_seats_refunding_one_payment_at_once_make_one_refund() {
    let sandbox = start(|_| {}).await;
    let url = sandbox.url();
    let (txn, _, _) = succeeded_payment_of_at_least(&url, 300).await;
    let before = transaction_ids(&url).await;
    // Two data folders, as two machines would have.
    let (dir_a, dir_b) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let a = context(dir_a.path(), session(&url, EnvKind::Sandbox));
    let b = context(dir_b.path(), session(&url, EnvKind::Sandbox));
    let (da, db) = (
        refunds::open(&a, None, &txn).await.unwrap(),
        refunds::open(&b, None, &txn).await.unwrap(),
    );
    assert_eq!(
        da.request_key, db.request_key,
        "both compute refund #1's key"
    );
    let (ra, rb) = tokio::join!(
        refunds::submit(&a, input(&da.request_key, "1.00")),
        refunds::submit(&b, input(&db.request_key, "1.00")),
    );
    let mut states = [ra.unwrap(), rb.unwrap()];
    states.sort_by_key(|r| r.state.as_str().to_string());
    assert_eq!(states[0].state, RefundState::Authorized, "{states:?}");
    assert_eq!(states[1].state, RefundState::MadeElsewhere, "{states:?}");
    assert_eq!(states[1].headline, "Not sent — made elsewhere");
    let said = states[1].error_message.clone().unwrap();
    assert!(
        said.contains("refund #1") && said.contains("elsewhere"),
        "{said}"
    );
    assert_eq!(
        new_refunds(&url, &before).await.len(),
        1,
        "exactly one refund"
    );

    // The seat that lost knows refund #1 exists but not its amount: nothing
    // more goes out from it, and it says so, until a person records it.
    let a_lost = a.journal.refund(&da.request_key).unwrap().unwrap().state;
    let (losing, lost_key) = if a_lost == RefundState::MadeElsewhere {
        (&a, da.request_key.clone())
    } else {
        (&b, db.request_key.clone())
    };
    let err = refunds::open(losing, None, &txn).await.unwrap_err();
    assert_eq!(err.code, ErrorCode::Conflict);
    assert!(err.message.contains("made elsewhere"), "{}", err.message);
    let choices = refunds::payment_choices(losing, &states[0].customer_id)
        .await
        .unwrap();
    if let Some(c) = choices.iter().find(|c| c.transaction_id == txn) {
        assert_eq!(c.left_cents, None, "never a figure for what is left");
    }
    let bad = refunds::record_elsewhere(losing, &lost_key, "0")
        .await
        .unwrap_err();
    assert_eq!(bad.code, ErrorCode::InvalidInput);
    let recorded = refunds::record_elsewhere(losing, &lost_key, "1.00")
        .await
        .unwrap();
    assert_eq!(recorded.elsewhere_cents, Some(100));
    // Recorded once; never rewritten.
    let again = refunds::record_elsewhere(losing, &lost_key, "2.00")
        .await
        .unwrap_err();
    assert_eq!(again.code, ErrorCode::Conflict);

    // Now it may go on, deliberately, as refund #2, within what is left.
    let next = refunds::open(losing, None, &txn).await.unwrap();
    assert_eq!(next.refund_number, 2);
    assert_eq!(next.made_elsewhere, vec![1]);
    assert_eq!(next.cap_cents, next.payment_cents - 100);
    let too_much = linkdesk::linkmoney::format_cents(next.cap_cents + 1);
    let err = refunds::submit(losing, input(&next.request_key, &too_much))
        .await
        .unwrap_err();
    assert_eq!(err.code, ErrorCode::InvalidInput, "{err:?}");
    let row = refunds::submit(losing, input(&next.request_key, "1.00"))
        .await
        .unwrap();
    assert_eq!(row.state, RefundState::Authorized);
    assert_eq!(new_refunds(&url, &before).await.len(), 2);
    sandbox.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_failed_refund_whose_answer_was_lost_is_not_shown_as_sent() {
    let sandbox = start(|_| {}).await;
    let url = sandbox.url();
    let (txn, customer, _) = succeeded_payment(&url).await;
    let proxy = Proxy::start(sandbox.addr(), true).await;
    let dir = tempfile::tempdir().unwrap();
    let ctx = quick(context(dir.path(), session(&proxy.url(), EnvKind::Sandbox)));
    let dialog = refunds::open(&ctx, None, &txn).await.unwrap();
    // Link Money will fail the refund (another tool refunded everything the
    // customer paid), and its answer to the first attempt is lost.
    drain(&url, &customer).await;
    proxy.lose_answers(1);
    let before = transaction_ids(&url).await;
    let row = refunds::submit(&ctx, input(&dialog.request_key, "0.50"))
        .await
        .unwrap();
    assert_eq!(row.attempts, 2, "{row:?}");
    assert_eq!(row.state, RefundState::SentUnconfirmed, "{row:?}");
    assert_eq!(row.headline, "Sent — outcome not confirmed");
    assert!(!row.error_message.clone().unwrap().contains("went through"));
    // What Link Money made of it: one failed refund, nothing refunded.
    let made = new_refunds(&url, &before).await;
    assert_eq!(made.len(), 1);
    let t = client(&url)
        .get_transaction(&made[0].0)
        .await
        .unwrap()
        .value;
    assert_eq!(t.transaction_status.as_deref(), Some("TERMINAL_FAILED"));
    proxy.stop();
    sandbox.stop().await;
}

const SECOND_DIR: &str = "LINKDESK_SECOND_PROCESS_DIR";
const SECOND_URL: &str = "LINKDESK_SECOND_PROCESS_URL";
const SECOND_PAYMENT: &str = "LINKDESK_SECOND_PROCESS_PAYMENT";

/// The second process of `two_processes_on_one_data_folder_never_both_send`:
/// everything that sends is refused; exits 0 when it was.
#[tokio::test(flavor = "multi_thread")]
#[ignore = "run as a child process by two_processes_on_one_data_folder_never_both_send"]
async fn second_process_on_a_data_folder_in_use() {
    let (Ok(dir), Ok(url), Ok(payment)) = (
        std::env::var(SECOND_DIR),
        std::env::var(SECOND_URL),
        std::env::var(SECOND_PAYMENT),
    ) else {
        return;
    };
    let ctx = context(Path::new(&dir), session(&url, EnvKind::Sandbox));
    let opened = refunds::open(&ctx, None, &payment).await;
    let resolved = sender::resolve_open(
        &ctx.journal,
        |_| Ok(ctx.session.clone()),
        RetryPolicy::default(),
    )
    .await;
    let in_use = |e: Option<&linkdesk::error::AppError>| {
        e.is_some_and(|e| e.code == ErrorCode::JournalInUse)
    };
    if in_use(opened.as_ref().err()) && in_use(resolved.as_ref().err()) {
        std::process::exit(0);
    }
    eprintln!("the second process was let through: {opened:?} {resolved:?}");
    std::process::exit(3);
}

#[tokio::test(flavor = "multi_thread")]
async fn two_processes_on_one_data_folder_never_both_send() {
    let sandbox = start(|_| {}).await;
    let url = sandbox.url();
    let (txn, _, _) = succeeded_payment(&url).await;
    let dir = tempfile::tempdir().unwrap();
    let ctx = context(dir.path(), session(&url, EnvKind::Sandbox));
    // A refund journaled as SENDING whose process "crashed": an open refund
    // that either process's resolver would send.
    let dialog = refunds::open(&ctx, None, &txn).await.unwrap();
    let client = ctx.session.linkmoney().unwrap();
    let target = linkdesk::journal::Target {
        env_id: ENV_ID.into(),
        linkmoney_url: client.base_url().into(),
        merchant_id: client.merchant_id().into(),
    };
    let sending = linkdesk::journal::Sending {
        amount_cents: 7,
        client_reference_id: None,
        soft_descriptor: None,
    };
    ctx.journal
        .begin_sending(&dialog.request_key, &target, &sending, dialog.payment_cents)
        .unwrap();
    let before = transaction_ids(&url).await;

    let status = std::process::Command::new(std::env::current_exe().unwrap())
        .args([
            "--exact",
            "second_process_on_a_data_folder_in_use",
            "--nocapture",
            "--ignored",
        ])
        .env(SECOND_DIR, dir.path())
        .env(SECOND_URL, &url)
        .env(SECOND_PAYMENT, &txn)
        .status()
        .unwrap();
    assert!(
        status.success(),
        "the second process sent or resolved: {status:?}"
    );
    assert!(new_refunds(&url, &before).await.is_empty());

    // The first process resolves it, once.
    let resolved = sender::resolve_open(
        &ctx.journal,
        |_| Ok(ctx.session.clone()),
        RetryPolicy::default(),
    )
    .await
    .unwrap();
    assert_eq!(resolved[0].state, RefundState::Authorized, "{resolved:?}");
    assert_eq!(
        new_refunds(&url, &before).await,
        vec![(resolved[0].payment_id.clone().unwrap(), 7)]
    );
    sandbox.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_refund_is_never_resent_to_an_edited_environment() {
    let confirmed = start(|_| {}).await;
    let edited = start(|_| {}).await;
    let (txn, _, _) = succeeded_payment(&confirmed.url()).await;
    let dir = tempfile::tempdir().unwrap();
    let ctx = context(dir.path(), session(&confirmed.url(), EnvKind::Sandbox));
    let dialog = refunds::open(&ctx, None, &txn).await.unwrap();
    let client = ctx.session.linkmoney().unwrap();
    let target = linkdesk::journal::Target {
        env_id: ENV_ID.into(),
        linkmoney_url: client.base_url().into(),
        merchant_id: client.merchant_id().into(),
    };
    let sending = linkdesk::journal::Sending {
        amount_cents: 9,
        client_reference_id: None,
        soft_descriptor: None,
    };
    ctx.journal
        .begin_sending(&dialog.request_key, &target, &sending, dialog.payment_cents)
        .unwrap();
    let before = (
        transaction_ids(&confirmed.url()).await,
        transaction_ids(&edited.url()).await,
    );

    // The environment now points elsewhere: the resolver sends nothing and
    // says why; a retry by hand is refused the same way.
    let elsewhere = session(&edited.url(), EnvKind::Sandbox);
    let rows = sender::resolve_open(
        &ctx.journal,
        |_| Ok(elsewhere.clone()),
        RetryPolicy::default(),
    )
    .await
    .unwrap();
    assert!(rows[0].state.is_open(), "{rows:?}");
    let kept = ctx.journal.refund(&dialog.request_key).unwrap().unwrap();
    assert!(
        kept.last_error
            .as_deref()
            .unwrap_or("")
            .contains("not sent anywhere else"),
        "{kept:?}"
    );
    let moved = linkdesk::money::RefundContext {
        session: elsewhere.clone(),
        ..ctx.clone()
    };
    let err = refunds::retry(&moved, &dialog.request_key)
        .await
        .unwrap_err();
    assert_eq!(err.code, ErrorCode::Conflict);
    assert!(new_refunds(&edited.url(), &before.1).await.is_empty());
    assert!(new_refunds(&confirmed.url(), &before.0).await.is_empty());

    // Back where it was confirmed, it is resolved, once.
    let rows = sender::resolve_open(
        &ctx.journal,
        |_| Ok(ctx.session.clone()),
        RetryPolicy::default(),
    )
    .await
    .unwrap();
    assert_eq!(rows[0].state, RefundState::Authorized, "{rows:?}");
    assert_eq!(new_refunds(&confirmed.url(), &before.0).await.len(), 1);
    confirmed.stop().await;
    edited.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_payment_is_refunded_once_it_settles_and_refund_statuses_follow_link_money() {
    let sandbox = start(|_| {}).await;
    let url = sandbox.url();
    let customer = refundable_customer(&url, 1).await;
    let payment = pay(&url, &customer, 1_814).await;
    let dir = tempfile::tempdir().unwrap();
    let app = app_at(dir.path(), &url);
    let ctx = linkdesk::money::RefundContext::from_app(&app);
    let err = refunds::open(&ctx, None, &payment).await.unwrap_err();
    assert!(err.message.contains("AUTHORIZED"), "{}", err.message);
    let view = linkdesk::money::lookups::transaction(&app, payment.clone())
        .await
        .unwrap()
        .data;
    assert!(view.refund_block.unwrap().contains("not settled"));

    // The payment settles: now it can be refunded, in full.
    set_status(&url, &payment, "SUCCEEDED").await;
    let dialog = refunds::open(&ctx, None, &payment).await.unwrap();
    assert_eq!(dialog.cap_cents, 1_814);
    let row = refunds::submit(&ctx, input(&dialog.request_key, "18.14"))
        .await
        .unwrap();
    assert_eq!(row.state, RefundState::Authorized);
    let err = refunds::open(&ctx, None, &payment).await.unwrap_err();
    assert!(err.message.contains("Nothing is left"), "{}", err.message);

    // Link Money fails the refund later: opening the payment asks it, the
    // journal follows, and the payment's amount is refundable again.
    set_status(&url, row.payment_id.as_deref().unwrap(), "TERMINAL_FAILED").await;
    let view = linkdesk::money::lookups::transaction(&app, payment.clone())
        .await
        .unwrap()
        .data;
    assert_eq!(view.refunds[0].state, RefundState::TerminalFailed);
    assert_eq!(view.refunds[0].headline, "Failed — nothing refunded");
    assert!(view.refund_block.is_none(), "{:?}", view.refund_block);
    assert_eq!(
        refunds::open(&ctx, None, &payment).await.unwrap().cap_cents,
        1_814
    );

    // The journal view asks too: a refund that settles says so.
    let again = refunds::open(&ctx, None, &payment).await.unwrap();
    let row = refunds::submit(&ctx, input(&again.request_key, "1.00"))
        .await
        .unwrap();
    set_status(&url, row.payment_id.as_deref().unwrap(), "SUCCEEDED").await;
    let listed = refunds::list(&ctx, false).await.unwrap();
    let settled = listed
        .iter()
        .find(|r| r.request_key == row.request_key)
        .unwrap();
    assert_eq!(settled.headline, "Sent — settled");
    sandbox.stop().await;
}
