//! Team mode against a real PostgreSQL (the throw-away cluster of
//! scripts/test-session.sh), real SQLite journals and real HTTP to the
//! sandbox: migrations from empty, refund claims from two seats, over-claims,
//! the audit outbox across a stopped and restarted database, grants that keep
//! the audit trail append-only, and two-person approval.

mod money_support;
mod team_support;

use std::collections::HashSet;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use linkdesk::environments::EnvKind;
use linkdesk::error::ErrorCode;
use linkdesk::journal::{AuditEntry, Journal, Outcome, RefundState};
use linkdesk::money::{refunds, RefundContext};
use linkdesk::team::{deliver_outbox, ClaimRequest, TeamAuditFilter, TeamStore};
use money_support::*;
use team_support::*;

/// Taken for writing by the test that stops the database; for reading by
/// every other.
static CLUSTER: tokio::sync::RwLock<()> = tokio::sync::RwLock::const_new(());

/// A seat: its own data folder and journal, the sandbox session, and the
/// team store as `store`.
fn seat(dir: &Path, url: &str, store: &TeamStore) -> RefundContext {
    let ctx = RefundContext {
        team: Some(store.clone()),
        ..context(dir, session(url, EnvKind::Sandbox))
    };
    ctx.journal
        .set_team_route(Some(Arc::new(|_: &str| Some("sandbox".to_string()))));
    ctx
}

async fn deliver(journal: &Journal, store: &TeamStore) -> linkdesk::team::Delivery {
    let s = store.clone();
    deliver_outbox(journal, move |k| (k == "sandbox").then(|| s.clone())).await
}

/// The refund form, the amount typed twice (as above the confirmation threshold).
fn typed(key: &str, amount: &str) -> linkdesk::money::RefundInput {
    linkdesk::money::RefundInput {
        retyped_amount: Some(amount.to_string()),
        ..input(key, amount)
    }
}

fn claim(payment: &str, n: u32, cents: i64, paid: i64) -> ClaimRequest {
    ClaimRequest {
        merchant_id: MERCHANT.into(),
        payment_id: payment.into(),
        refund_number: n,
        request_key: format!("key-{payment}-{n}"),
        amount_cents: cents,
        payment_cents: paid,
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn migrations_apply_from_empty_once_and_only_for_an_owner() {
    let _shared = CLUSTER.read().await;
    let db = TeamDb::empty(&["alice"]).await;
    // An agent cannot create the schema: told to ask an administrator.
    let err = db.agent("alice").connect().await.unwrap_err();
    assert_eq!(err.code, ErrorCode::TeamUnavailable, "{err:?}");
    assert!(err.message.contains("administrator"), "{}", err.message);
    // The administrator's first connection applies every migration.
    let admin = db.store_as(&db.admin);
    assert_eq!(admin.connect().await.unwrap(), db.admin);
    assert_eq!(
        admin.connect().await.unwrap(),
        db.admin,
        "a second run changes nothing"
    );
    let root = db.root().await;
    let versions: Vec<i32> = root
        .query(
            "SELECT version FROM linkdesk.schema_version ORDER BY version",
            &[],
        )
        .await
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect();
    assert_eq!(
        versions,
        (1..=linkdesk::team::LATEST_VERSION).collect::<Vec<_>>()
    );
    for table in ["audit", "claims", "approvals", "team_settings"] {
        let owner: String = root
            .query_one(
                "SELECT tableowner::text FROM pg_tables WHERE schemaname = 'linkdesk' AND tablename = $1",
                &[&table],
            )
            .await
            .unwrap()
            .get(0);
        assert_eq!(owner, "linkdesk_owner", "{table}");
    }
    // Now the agent connects, as itself.
    assert_eq!(db.agent("alice").connect().await.unwrap(), db.role("alice"));
    // A wrong password is refused, and the error does not carry it.
    let wrong = TeamStore::new(
        "sandbox",
        &db.url_of(&db.role("alice")),
        Some(linkdesk::secrets::SecretString::new("not-the-password")),
    )
    .unwrap();
    let err = wrong.connect().await.unwrap_err();
    assert_eq!(err.code, ErrorCode::TeamUnavailable);
    assert!(!err.message.contains("not-the-password"));
}

#[tokio::test(flavor = "multi_thread")]
async fn an_agent_role_cannot_update_or_delete_audit_rows() {
    let _shared = CLUSTER.read().await;
    let db = TeamDb::migrated(&["alice", "bob"]).await;
    let dir = tempfile::tempdir().unwrap();
    let (journal, _) = Journal::open(dir.path());
    journal.set_team_route(Some(Arc::new(|_: &str| Some("sandbox".to_string()))));
    journal
        .audit(&AuditEntry {
            env_id: "e".into(),
            env_name: "E".into(),
            action: "rtl.cancel".into(),
            target: "rtl_1".into(),
            fields: serde_json::json!({"reason": "test"}),
            outcome: Outcome::Ok(None),
        })
        .unwrap();
    let alice = db.agent("alice");
    assert_eq!(deliver(&journal, &alice).await.delivered, 1);

    let raw = db.raw("alice").await;
    for sql in [
        "UPDATE linkdesk.audit SET outcome = 'error'",
        "UPDATE linkdesk.audit SET agent = 'someone else'",
        "DELETE FROM linkdesk.audit",
        "TRUNCATE linkdesk.audit",
        "DROP TABLE linkdesk.audit",
        "UPDATE linkdesk.claims SET amount_cents = 1",
        "UPDATE linkdesk.team_settings SET value = '0'",
    ] {
        let err = raw.batch_execute(sql).await.unwrap_err();
        let code = err.code().cloned();
        assert!(
            code == Some(tokio_postgres::error::SqlState::INSUFFICIENT_PRIVILEGE)
                || code == Some(tokio_postgres::error::SqlState::UNDEFINED_TABLE),
            "{sql}: {err:?}"
        );
    }
    // An entry inserted in another agent's name is stamped with the real one.
    raw.batch_execute(
        "INSERT INTO linkdesk.audit (agent, seat_id, seq, at, env_kind, env_id, env_name, action,
             target, fields, outcome)
         VALUES ('bob_forged', 's', 1, now(), 'sandbox', 'e', 'E', 'x', 't', '{}', 'ok')",
    )
    .await
    .unwrap();
    let agents: Vec<String> = raw
        .query("SELECT DISTINCT agent FROM linkdesk.audit", &[])
        .await
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect();
    assert_eq!(agents, vec![db.role("alice")]);
    // Even the owner cannot rewrite it.
    let root = db.root().await;
    root.batch_execute(&format!("SET ROLE {}", db.admin))
        .await
        .unwrap();
    assert!(root
        .batch_execute("DELETE FROM linkdesk.audit")
        .await
        .is_err());
    let n: i64 = db
        .root()
        .await
        .query_one("SELECT count(*) FROM linkdesk.audit", &[])
        .await
        .unwrap()
        .get(0);
    assert_eq!(n, 2);
}

#[tokio::test(flavor = "multi_thread")]
async fn claims_refuse_a_number_held_by_another_and_an_over_claim() {
    let _shared = CLUSTER.read().await;
    let db = TeamDb::migrated(&["alice", "bob"]).await;
    let (alice, bob) = (db.agent("alice"), db.agent("bob"));
    alice
        .claim(&claim("pay_1", 1, 6_000, 10_000))
        .await
        .unwrap();
    // The same claim again (a retry of alice's) changes nothing.
    alice
        .claim(&claim("pay_1", 1, 6_000, 10_000))
        .await
        .unwrap();

    let mut held = claim("pay_1", 1, 1_000, 10_000);
    held.request_key = "another-key".into();
    let err = bob.claim(&held).await.unwrap_err();
    assert_eq!(err.code, ErrorCode::ClaimRefused);
    assert_eq!(err.code.as_str(), "claim_refused");
    assert!(err.message.contains(&db.role("alice")), "{}", err.message);
    assert!(err.message.contains("UTC"), "when: {}", err.message);

    let err = bob
        .claim(&claim("pay_1", 2, 5_000, 10_000))
        .await
        .unwrap_err();
    assert_eq!(err.code, ErrorCode::ClaimRefused);
    assert!(err.message.contains("60.00"), "{}", err.message);
    assert!(err.message.contains(&db.role("alice")), "{}", err.message);
    bob.claim(&claim("pay_1", 2, 4_000, 10_000)).await.unwrap();
    let claims = bob.payment_claims(MERCHANT, "pay_1").await.unwrap();
    assert_eq!(claims.numbers, vec![1, 2]);
    assert_eq!(claims.counted_cents, 10_000);

    // Only the claimer records the outcome; a refund not sent frees its amount.
    bob.settle_claim("key-pay_1-1", "FAILED_NOT_SENT")
        .await
        .unwrap_err();
    alice
        .settle_claim("key-pay_1-1", "FAILED_NOT_SENT")
        .await
        .unwrap();
    bob.claim(&claim("pay_1", 3, 6_000, 10_000)).await.unwrap();
    let err = alice
        .claim(&claim("pay_1", 4, 1, 10_000))
        .await
        .unwrap_err();
    assert_eq!(err.code, ErrorCode::ClaimRefused);
}

#[tokio::test(flavor = "multi_thread")]
async fn two_seats_claiming_one_payment_at_the_same_moment_send_one_refund() {
    let _shared = CLUSTER.read().await;
    let db = TeamDb::migrated(&["alice", "bob"]).await;
    let sandbox = start(|_| {}).await;
    let url = sandbox.url();
    let (a_dir, b_dir) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let a = seat(a_dir.path(), &url, &db.agent("alice"));
    let b = seat(b_dir.path(), &url, &db.agent("bob"));
    let (txn, customer, cents) = succeeded_payment_of_at_least(&url, 200).await;
    let before = transaction_ids(&url).await;

    // Both dialogs open before either claims: both are refund #1.
    let da = refunds::open(&a, Some(&customer), &txn).await.unwrap();
    let db_ = refunds::open(&b, Some(&customer), &txn).await.unwrap();
    assert_eq!((da.refund_number, db_.refund_number), (1, 1));
    let amount = linkdesk::linkmoney::format_cents(cents);
    let (ra, rb) = tokio::join!(
        refunds::submit(&a, typed(&da.request_key, &amount)),
        refunds::submit(&b, typed(&db_.request_key, &amount)),
    );
    let (sent, refused) = match (ra, rb) {
        (Ok(s), Err(e)) | (Err(e), Ok(s)) => (s, e),
        other => panic!("exactly one seat must send: {other:?}"),
    };
    assert_eq!(sent.state, RefundState::Authorized, "{sent:?}");
    assert_eq!(refused.code, ErrorCode::ClaimRefused, "{refused:?}");
    assert!(
        refused.message.contains("Nothing was sent"),
        "{}",
        refused.message
    );
    assert_eq!(
        new_refunds(&url, &before).await.len(),
        1,
        "one refund went out"
    );

    // The loser's journal still says nothing was sent; its next dialog sees
    // the desk's claim: nothing is left.
    let loser = if a.journal.refund(&da.request_key).unwrap().unwrap().state == RefundState::Draft {
        &a
    } else {
        &b
    };
    let err = refunds::open(loser, Some(&customer), &txn)
        .await
        .unwrap_err();
    assert!(err.message.contains("Nothing is left"), "{}", err.message);

    // The winner's claim follows its journal once the outbox is delivered.
    let winner = if std::ptr::eq(loser, &a) { &b } else { &a };
    let store = winner.team.clone().unwrap();
    let d = deliver(&winner.journal, &store).await;
    assert_eq!(d.waiting, 0, "{d:?}");
    let outcome: String = db
        .root()
        .await
        .query_one("SELECT outcome FROM linkdesk.claims", &[])
        .await
        .unwrap()
        .get(0);
    assert_eq!(outcome, "AUTHORIZED");

    // A team store that cannot be reached refuses refunds with the reason.
    let gone = TeamStore::new(
        "sandbox",
        &format!(
            "postgres://nobody@{}/x",
            closed_url().trim_start_matches("http://")
        ),
        None,
    )
    .unwrap();
    let c_dir = tempfile::tempdir().unwrap();
    let c = seat(c_dir.path(), &url, &gone);
    let (other, other_customer, _) = nth_succeeded_payment(&url, 1, 1).await;
    let err = refunds::open(&c, Some(&other_customer), &other)
        .await
        .unwrap_err();
    assert_eq!(err.code, ErrorCode::TeamUnavailable, "{err:?}");
    sandbox.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn the_audit_outbox_delivers_every_entry_once_in_order_across_a_restart() {
    let _alone = CLUSTER.write().await;
    let db = TeamDb::migrated(&["alice"]).await;
    let store = db.agent("alice");
    let dir = tempfile::tempdir().unwrap();
    let (journal, _) = Journal::open(dir.path());
    journal.set_team_route(Some(Arc::new(|_: &str| Some("sandbox".to_string()))));
    let write = |n: usize| {
        journal
            .audit(&AuditEntry {
                env_id: "e".into(),
                env_name: "E".into(),
                action: "rtl.status".into(),
                target: format!("rtl_{n}"),
                fields: serde_json::json!({ "n": n }),
                outcome: Outcome::Ok(None),
            })
            .unwrap()
    };
    for n in 0..3 {
        write(n);
    }
    assert_eq!(deliver(&journal, &store).await.delivered, 3);

    cluster("stop");
    for n in 3..8 {
        write(n);
    }
    let d = deliver(&journal, &store).await;
    assert_eq!(d.delivered, 0);
    assert_eq!(d.waiting, 5);
    assert!(d.error.unwrap().contains("cannot be used right now"));

    // The seat's background delivery brings them over once the store is back.
    let s = store.clone();
    let worker = linkdesk::team::spawn_delivery(
        journal.clone(),
        Arc::new(move |k: &str| (k == "sandbox").then(|| s.clone())),
        Duration::from_millis(200),
    );
    cluster("restart");
    let mut waited = 0;
    while journal.outbox_count().unwrap() > 0 {
        waited += 1;
        assert!(
            waited < 600,
            "the outbox was not delivered after the restart"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    worker.abort();

    // A delivery repeated (a crash after the store took it, before it was
    // marked here) is kept once.
    rusqlite::Connection::open(dir.path().join("journal.sqlite"))
        .unwrap()
        .execute(
            "UPDATE team_outbox SET delivered_at = NULL WHERE seq > 5",
            [],
        )
        .unwrap();
    assert_eq!(deliver(&journal, &store).await.waiting, 0);

    let root = db.root().await;
    let targets: Vec<String> = root
        .query("SELECT target FROM linkdesk.audit ORDER BY seq", &[])
        .await
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect();
    let expected: Vec<String> = (0..8).map(|n| format!("rtl_{n}")).collect();
    assert_eq!(targets, expected, "every entry once, in order");
    let by_id: Vec<String> = root
        .query("SELECT target FROM linkdesk.audit ORDER BY id", &[])
        .await
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect();
    assert_eq!(by_id, expected, "delivered in the order they were written");
    let page = store
        .audit_page(&TeamAuditFilter::default(), 0, 50)
        .await
        .unwrap();
    assert_eq!(page.total, 8);
    assert!(page.rows.iter().all(|r| r.agent == db.role("alice")));
}

#[tokio::test(flavor = "multi_thread")]
async fn an_approval_needs_another_role_and_then_sends_once() {
    let _shared = CLUSTER.read().await;
    let db = TeamDb::migrated(&["alice", "bob"]).await;
    db.set_threshold(Some(20_000)).await;
    let sandbox = start(|_| {}).await;
    let url = sandbox.url();
    let (a_dir, b_dir) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let a = seat(a_dir.path(), &url, &db.agent("alice"));
    let b = seat(b_dir.path(), &url, &db.agent("bob"));
    let (txn, customer, _) = succeeded_payment_of_at_least(&url, 25_000).await;
    let before = transaction_ids(&url).await;

    let dialog = refunds::open(&a, Some(&customer), &txn).await.unwrap();
    assert_eq!(dialog.approval_threshold_cents, Some(20_000));
    let key = dialog.request_key.clone();
    let waiting = refunds::submit(&a, typed(&key, "250.00")).await.unwrap();
    assert_eq!(waiting.state, RefundState::AwaitingApproval);
    assert!(
        new_refunds(&url, &before).await.is_empty(),
        "requested, not sent"
    );
    // Nothing is sent while it waits; submitting again sends nothing either.
    assert!(refunds::submit(&a, typed(&key, "250.00")).await.is_err());
    let still = refunds::follow_approval(&a, &key).await.unwrap();
    assert_eq!(still.state, RefundState::AwaitingApproval);

    // The requester's own role cannot approve: refused by the database.
    let err = refunds::decide_approval(&a, &key, true, None)
        .await
        .unwrap_err();
    assert_eq!(err.code, ErrorCode::Forbidden, "{err:?}");
    let raw = db.raw("alice").await;
    let err = raw
        .execute(
            "UPDATE linkdesk.approvals SET state = 'APPROVED' WHERE request_key = $1",
            &[&key],
        )
        .await
        .unwrap_err();
    assert_eq!(
        err.code(),
        Some(&tokio_postgres::error::SqlState::INSUFFICIENT_PRIVILEGE),
        "{err:?}"
    );
    assert!(new_refunds(&url, &before).await.is_empty());

    // Bob sees it among the waiting requests and approves it.
    let listed = b.team.as_ref().unwrap().approvals(true).await.unwrap();
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0].requested_by, db.role("alice"));
    assert_eq!(listed[0].amount_cents, 25_000);
    let approved = refunds::decide_approval(&b, &key, true, None)
        .await
        .unwrap();
    assert_eq!(
        approved.decided_by.as_deref(),
        Some(db.role("bob").as_str())
    );
    // Deciding twice is refused.
    assert!(refunds::decide_approval(&b, &key, false, Some("no"))
        .await
        .is_err());

    // Alice's Linkdesk sends it, once, however often it looks.
    let sent = refunds::follow_approval(&a, &key).await.unwrap();
    assert_eq!(sent.state, RefundState::Authorized, "{sent:?}");
    assert_eq!(
        refunds::follow_approval(&a, &key).await.unwrap().state,
        RefundState::Authorized
    );
    let made = new_refunds(&url, &before).await;
    assert_eq!(made.len(), 1, "{made:?}");
    assert_eq!(made[0].1, 25_000);
    let after = a
        .team
        .as_ref()
        .unwrap()
        .approval(&key)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(after.state, "SENT");

    // The claim's outcome follows the journal's, later statuses included.
    set_status(&url, &made[0].0, "SUCCEEDED").await;
    refunds::list(&a, false).await.unwrap();
    deliver(&a.journal, a.team.as_ref().unwrap()).await;
    let outcome: String = db
        .root()
        .await
        .query_one(
            "SELECT outcome FROM linkdesk.claims WHERE request_key = $1",
            &[&key],
        )
        .await
        .unwrap()
        .get(0);
    assert_eq!(outcome, "SUCCEEDED");

    // Everything is in the whole team's audit trail.
    deliver(&a.journal, a.team.as_ref().unwrap()).await;
    deliver(&b.journal, b.team.as_ref().unwrap()).await;
    let page = a
        .team
        .as_ref()
        .unwrap()
        .audit_page(&TeamAuditFilter::default(), 0, 50)
        .await
        .unwrap();
    let seen: HashSet<(String, String)> = page
        .rows
        .iter()
        .map(|r| (r.agent.clone(), r.action.clone()))
        .collect();
    for (who, action) in [
        ("alice", "refund.approval_request"),
        ("alice", "refund"),
        ("bob", "refund.approve"),
    ] {
        assert!(
            seen.contains(&(db.role(who), action.to_string())),
            "{action}: {seen:?}"
        );
    }

    // A rejection carries its reason to the requester's journal.
    let (txn2, customer2, _) = nth_succeeded_payment(&url, 25_000, 1).await;
    let d2 = refunds::open(&a, Some(&customer2), &txn2).await.unwrap();
    refunds::submit(&a, typed(&d2.request_key, "250.00"))
        .await
        .unwrap();
    let err = refunds::decide_approval(&b, &d2.request_key, false, None)
        .await
        .unwrap_err();
    assert_eq!(
        err.code,
        ErrorCode::InvalidInput,
        "a rejection needs a reason"
    );
    refunds::decide_approval(
        &b,
        &d2.request_key,
        false,
        Some("customer already compensated"),
    )
    .await
    .unwrap();
    let rejected = refunds::follow_approval(&a, &d2.request_key).await.unwrap();
    assert_eq!(rejected.state, RefundState::Rejected);
    assert!(rejected
        .error_message
        .unwrap()
        .contains("customer already compensated"));
    assert_eq!(new_refunds(&url, &before).await.len(), 1);
    sandbox.stop().await;
}

/// Every file under `dir` (the data folder), read whole.
fn files_under(dir: &Path) -> Vec<(std::path::PathBuf, Vec<u8>)> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap().flatten() {
        let path = entry.path();
        if path.is_dir() {
            out.extend(files_under(&path));
        } else {
            out.push((path.clone(), std::fs::read(&path).unwrap_or_default()));
        }
    }
    out
}

#[tokio::test(flavor = "multi_thread")]
async fn the_team_store_password_lives_in_the_keyring_only() {
    use linkdesk::team::desk::{self, TeamStoreInput};
    if !real_keyring() {
        return;
    }
    let _shared = CLUSTER.read().await;
    let db = TeamDb::migrated(&["carol"]).await;
    let dir = tempfile::tempdir().unwrap();
    let app = Arc::new(app_at(dir.path(), &closed_url()));
    let url = db.url_of(&db.role("carol"));
    let input = |url: &str, password: Option<&str>| TeamStoreInput {
        kind: "sandbox".into(),
        url: url.to_string(),
        password: password.map(str::to_string),
    };
    let on_thread = |app: &Arc<linkdesk::app::App>, i: TeamStoreInput| {
        let app = app.clone();
        tokio::task::spawn_blocking(move || desk::save(&app, i))
    };

    // A password in the URL is refused, and not repeated.
    let with_password = url.replacen('@', &format!(":{PASSWORD}@"), 1);
    let err = on_thread(&app, input(&with_password, None))
        .await
        .unwrap()
        .unwrap_err();
    assert_eq!(err.code, ErrorCode::InvalidInput);
    assert!(!err.message.contains(PASSWORD));

    let saved = on_thread(&app, input(&url, Some(PASSWORD)))
        .await
        .unwrap()
        .unwrap();
    let sandbox = saved.iter().find(|s| s.kind == "sandbox").unwrap();
    assert!(sandbox.password_set, "{sandbox:?}");
    assert_eq!(sandbox.url, url);
    let said = desk::test(&app, "sandbox").await.unwrap();
    assert!(said.contains(&db.role("carol")), "{said}");
    assert!(!said.contains(PASSWORD));

    // The next start finds the URL in team.json and the password in the keyring.
    drop(app);
    let app = Arc::new(app_at(dir.path(), &closed_url()));
    assert!(desk::test(&app, "sandbox").await.is_ok());
    for (path, bytes) in files_under(dir.path()) {
        assert!(
            !bytes
                .windows(PASSWORD.len())
                .any(|w| w == PASSWORD.as_bytes()),
            "the password is in {}",
            path.display()
        );
    }

    // Turning team mode off forgets the password too.
    let off = on_thread(&app, input("", None)).await.unwrap().unwrap();
    let sandbox = off.iter().find(|s| s.kind == "sandbox").unwrap();
    assert_eq!(sandbox.state, "off");
    let account = linkdesk::team::password_account("sandbox", &url).unwrap();
    assert!(linkdesk::secrets::get(&account).unwrap().is_none());
}
