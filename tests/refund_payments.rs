//! What bounds a refund, over real HTTP to the sandbox and real SQLite
//! files: only a SUCCEEDED payment is refunded, never above what is left of
//! it whichever view the refund comes from; two seats (two data folders) on
//! one payment make one refund and the other says why; two processes on one
//! data folder never both send; a refund is never re-sent to an edited
//! environment; refund statuses follow Link Money.

mod money_support;

use std::path::Path;

use linkdesk::environments::EnvKind;
use linkdesk::error::ErrorCode;
use linkdesk::journal::RefundState;
use linkdesk::money::{refunds, sender, RetryPolicy};
use money_support::proxy::Proxy;
use money_support::*;

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
    linkdesk::money::lookups::transaction(&app, txn.clone(), linkdesk::rtls::ReadFrom::Service)
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
        linkdesk::money::RefundInput {
            retyped_amount: Some(first.clone()),
            ..input(&from_customer.request_key, &first)
        },
    )
    .await
    .unwrap();
    assert_eq!(row.state, RefundState::Authorized, "{row:?}");

    // From the payment view: only the rest is left. The window has one
    // refund dialog at a time: opening the payment's refund again (a second
    // `r`, a second click while the first was loading) replaces the first
    // dialog's draft, which sends nothing and holds no number.
    let a = refunds::open(&ctx, None, &txn).await.unwrap();
    let b = refunds::open(&ctx, None, &txn).await.unwrap();
    assert_eq!((a.cap_cents, b.cap_cents), (100, 100));
    assert_eq!((a.refund_number, b.refund_number), (2, 2));
    let err = refunds::submit(&ctx, input(&b.request_key, "1.01"))
        .await
        .unwrap_err();
    assert_eq!(err.code, ErrorCode::InvalidInput);
    let row = refunds::submit(&ctx, input(&b.request_key, "1.00"))
        .await
        .unwrap();
    assert_eq!(row.state, RefundState::Authorized);
    let err = refunds::submit(&ctx, input(&a.request_key, "0.01"))
        .await
        .unwrap_err();
    assert_eq!(err.code, ErrorCode::Conflict, "{err:?}");
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

/// Seat A's refund #1 fails without being sent (Link Money keeps no record
/// of it); A then refunds the whole payment. Seat B, whose journal is empty,
/// starts at #1 too: it must meet A's refund there, not refund it again.
#[tokio::test(flavor = "multi_thread")]
async fn a_seat_whose_refund_was_never_sent_leaves_no_gap_for_another_seat() {
    let sandbox = start(|_| {}).await;
    let url = sandbox.url();
    let (txn, _, paid) = succeeded_payment_of_at_least(&url, 300).await;
    let before = transaction_ids(&url).await;
    let (dir_a, dir_b) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let a = context(dir_a.path(), session(&url, EnvKind::Sandbox));
    let b = context(dir_b.path(), session(&url, EnvKind::Sandbox));

    let first = refunds::open(&a, None, &txn).await.unwrap();
    assert_eq!(first.refund_number, 1);
    // What a refusal before any record (a 429, a dropped connection before
    // sending) leaves in the journal: nothing reached Link Money.
    begin_sending(&a, &first.request_key, 100, None, paid);
    a.journal
        .settle(
            &first.request_key,
            &RefundState::FailedNotSent,
            &linkdesk::journal::Settled::default(),
        )
        .unwrap();
    assert!(new_refunds(&url, &before).await.is_empty());

    let whole = refunds::open(&a, None, &txn).await.unwrap();
    assert_eq!(whole.refund_number, 1, "#1 was never used at Link Money");
    assert_eq!(whole.cap_cents, paid);
    let everything = linkdesk::linkmoney::format_cents(paid);
    let form = linkdesk::money::RefundInput {
        retyped_amount: Some(everything.clone()),
        ..input(&whole.request_key, &everything)
    };
    let row = refunds::submit(&a, form).await.unwrap();
    assert_eq!(row.state, RefundState::Authorized, "{row:?}");
    let journalled = a
        .journal
        .refunds_of_payment(&a.session.env.id, MERCHANT, &txn);
    assert_eq!(journalled.unwrap().len(), 2, "the unsent one stays");

    let other = refunds::open(&b, None, &txn).await.unwrap();
    assert_eq!(other.refund_number, 1);
    let row = refunds::submit(&b, input(&other.request_key, "1.00"))
        .await
        .unwrap();
    assert_eq!(row.state, RefundState::MadeElsewhere, "{row:?}");
    let made = new_refunds(&url, &before).await;
    assert_eq!(
        made.len(),
        1,
        "one refund, never more than was paid: {made:?}"
    );
    assert_eq!(made[0].1, paid);
    sandbox.stop().await;
}

/// Seat A's refund #1 waits to be resolved (its attempts got 500s; nothing
/// was made). Seat B meanwhile makes refund #1 for much more. A's retry then
/// hears "key already used": A cannot know whose refund that is or for how
/// much, so it sends nothing more of the payment until a person records what
/// went out under #1 — never A's own amount taken for it.
#[tokio::test(flavor = "multi_thread")]
async fn a_key_used_by_another_seat_before_a_retry_holds_the_payment() {
    let sandbox = start(|_| {}).await;
    let url = sandbox.url();
    let (txn, _, paid) = succeeded_payment_between(&url, 400, 9_000, 0).await;
    let before = transaction_ids(&url).await;
    let (dir_a, dir_b) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let a = quick(context(dir_a.path(), session(&url, EnvKind::Sandbox)));
    let b = context(dir_b.path(), session(&url, EnvKind::Sandbox));

    let waiting = refunds::open(&a, None, &txn).await.unwrap();
    begin_sending(&a, &waiting.request_key, 100, None, paid);
    a.journal.start_attempt(&waiting.request_key).unwrap();
    a.journal
        .mark_unresolved(&waiting.request_key, "HTTP 500")
        .unwrap();

    let other = refunds::open(&b, None, &txn).await.unwrap();
    assert_eq!(other.refund_number, 1);
    // More than A's own 1.00.
    let most = "1.50";
    let row = refunds::submit(&b, input(&other.request_key, most))
        .await
        .unwrap();
    assert_eq!(row.state, RefundState::Authorized, "{row:?}");

    let retried = refunds::retry(&a, &waiting.request_key).await.unwrap();
    assert_eq!(retried.state, RefundState::SentUnconfirmed, "{retried:?}");
    let said = retried.error_message.clone().unwrap();
    assert!(said.contains("another seat"), "{said}");
    let err = refunds::open(&a, None, &txn).await.unwrap_err();
    assert_eq!(err.code, ErrorCode::Conflict, "{err:?}");
    assert!(err.message.contains("#1"), "{}", err.message);
    assert_eq!(new_refunds(&url, &before).await.len(), 1);

    // Looked up: B's amount went out under #1. Only the rest is left.
    refunds::record_elsewhere(&a, &waiting.request_key, most)
        .await
        .unwrap();
    let next = refunds::open(&a, None, &txn).await.unwrap();
    assert_eq!(next.refund_number, 2);
    assert_eq!(next.cap_cents, paid - 150);
    sandbox.stop().await;
}

/// From the person's Send on — while the payment is still being read again,
/// before the journal's SENDING — closing the window asks first.
#[tokio::test(flavor = "multi_thread")]
async fn a_refund_counts_as_being_sent_from_the_click_on() {
    let sandbox = start(|o| o.latency_ms = 600).await;
    let url = sandbox.url();
    let (txn, _, _) = succeeded_payment(&url).await;
    let dir = tempfile::tempdir().unwrap();
    let ctx = context(dir.path(), session(&url, EnvKind::Sandbox));
    let dialog = refunds::open(&ctx, None, &txn).await.unwrap();
    assert!(!ctx.journal.sending_now());
    let journal = ctx.journal.clone();
    let key = dialog.request_key.clone();
    let submit = tokio::spawn(async move { refunds::submit(&ctx, input(&key, "0.01")).await });
    tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    let row = journal.refund(&dialog.request_key).unwrap().unwrap();
    assert_eq!(row.state, RefundState::Draft, "still checking");
    assert!(
        journal.sending_now(),
        "closing now would leave it unsent unasked"
    );
    let row = submit.await.unwrap().unwrap();
    assert_eq!(row.state, RefundState::Authorized);
    assert!(!journal.sending_now());
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
    crashed_refund(&ctx, &txn, 7, None).await;
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
    let key = crashed_refund(&ctx, &txn, 9, None).await;
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
    let kept = ctx.journal.refund(&key).unwrap().unwrap();
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
    let err = refunds::retry(&moved, &key).await.unwrap_err();
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
    let view = linkdesk::money::lookups::transaction(
        &app,
        payment.clone(),
        linkdesk::rtls::ReadFrom::Service,
    )
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
    let view = linkdesk::money::lookups::transaction(
        &app,
        payment.clone(),
        linkdesk::rtls::ReadFrom::Service,
    )
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
