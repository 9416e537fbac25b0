//! Team store benchmark: 20 simulated seats (20 PostgreSQL roles, 20
//! journal.sqlite files) claim refunds of a shared pool of payments and
//! append audit entries through their outboxes, concurrently, against the
//! real PostgreSQL for a minute. Prints claims per second, claim latency
//! (p50, p95) and the double claims found afterwards (must be 0): a refund
//! number claimed twice, or a payment whose counted claims exceed what was
//! paid; and checks every audit entry arrived exactly once.
//!
//! Run it with `bash scripts/bench-team.sh` (starts and removes a
//! throw-away cluster). LINKDESK_BENCH_SECS changes the duration.

#[path = "../tests/team_support/mod.rs"]
mod team_support;

use std::sync::Arc;
use std::time::{Duration, Instant};

use linkdesk::error::ErrorCode;
use linkdesk::journal::{AuditEntry, Journal, Outcome};
use linkdesk::team::{deliver_outbox, ClaimRequest, TeamStore};
use team_support::TeamDb;

const SEATS: usize = 20;
/// Most claims go to a large pool of payments; one in five to a few hot
/// payments that many seats refund at once (and soon exhaust).
const PAYMENTS: usize = 20_000;
const HOT: usize = 10;
const PAYMENT_CENTS: i64 = 10_000;
const MERCHANT: &str = "merchant_bench";

struct SeatResult {
    latencies: Vec<Duration>,
    claimed: u64,
    refused: u64,
    failed: u64,
    audited: u64,
}

async fn seat(index: usize, store: TeamStore, journal: Journal, until: Instant) -> SeatResult {
    let mut r = SeatResult {
        latencies: Vec::new(),
        claimed: 0,
        refused: 0,
        failed: 0,
        audited: 0,
    };
    let mut i = index;
    let s = store.clone();
    let store_for = move |k: &str| (k == "sandbox").then(|| s.clone());
    while Instant::now() < until {
        i = i.wrapping_mul(1_103_515_245).wrapping_add(12_345) % 1_000_003;
        let payment = if i.is_multiple_of(5) {
            format!("hot_{}", i % HOT)
        } else {
            format!("pay_{}", i % PAYMENTS)
        };
        let amount = 500 + (i as i64 % 30) * 100;
        // What a seat's dialog does: the next number the desk has not used.
        let taken = match store.payment_claims(MERCHANT, &payment).await {
            Ok(c) => c,
            Err(_) => {
                r.failed += 1;
                continue;
            }
        };
        let number = taken.numbers.last().copied().unwrap_or(0) + 1;
        let key = format!("bench-{payment}-{number}");
        let started = Instant::now();
        let result = store
            .claim(&ClaimRequest {
                merchant_id: MERCHANT.into(),
                payment_id: payment.clone(),
                refund_number: number,
                request_key: key.clone(),
                amount_cents: amount,
                payment_cents: PAYMENT_CENTS,
            })
            .await;
        r.latencies.push(started.elapsed());
        let outcome = match &result {
            Ok(()) => {
                r.claimed += 1;
                Outcome::Ok(Some("AUTHORIZED".into()))
            }
            Err(e) if e.code == ErrorCode::ClaimRefused => {
                r.refused += 1;
                Outcome::from_error(e)
            }
            Err(e) => {
                r.failed += 1;
                Outcome::from_error(e)
            }
        };
        if result.is_ok() {
            journal
                .outbox_push(
                    "sandbox",
                    "claim",
                    &serde_json::json!({ "requestKey": key, "outcome": "AUTHORIZED" }),
                )
                .unwrap();
        }
        journal
            .audit(&AuditEntry {
                env_id: "bench".into(),
                env_name: "Bench".into(),
                action: "refund".into(),
                target: payment,
                fields: serde_json::json!({ "requestKey": key, "amount": amount }),
                outcome,
            })
            .unwrap();
        r.audited += 1;
        if r.audited.is_multiple_of(5) {
            deliver_outbox(&journal, &store_for).await;
        }
    }
    let left = deliver_outbox(&journal, &store_for).await;
    assert_eq!(left.waiting, 0, "seat {index}: {left:?}");
    r
}

fn main() {
    let secs: u64 = std::env::var("LINKDESK_BENCH_SECS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(60);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async move {
        let names: Vec<String> = (0..SEATS).map(|i| format!("seat{i:02}")).collect();
        let refs: Vec<&str> = names.iter().map(String::as_str).collect();
        let db = TeamDb::migrated(&refs).await;
        let dirs: Vec<tempfile::TempDir> =
            (0..SEATS).map(|_| tempfile::tempdir().unwrap()).collect();
        let until = Instant::now() + Duration::from_secs(secs);
        let started = Instant::now();
        let mut tasks = Vec::new();
        for (i, dir) in dirs.iter().enumerate() {
            let store = db.agent(&names[i]);
            store.connect().await.unwrap();
            let (journal, _) = Journal::open(dir.path());
            journal.set_team_route(Some(Arc::new(|_: &str| Some("sandbox".to_string()))));
            tasks.push(tokio::spawn(seat(i, store, journal, until)));
        }
        let mut all = Vec::new();
        let (mut claimed, mut refused, mut failed, mut audited) = (0, 0, 0, 0);
        for t in tasks {
            let r = t.await.unwrap();
            all.extend(r.latencies);
            claimed += r.claimed;
            refused += r.refused;
            failed += r.failed;
            audited += r.audited;
        }
        let elapsed = started.elapsed().as_secs_f64();
        all.sort();
        let pct = |p: f64| all[((all.len() as f64 - 1.0) * p).round() as usize];

        let root = db.root().await;
        let numbers_twice: i64 = root
            .query_one(
                "SELECT count(*) FROM (SELECT 1 FROM linkdesk.claims
                     GROUP BY env_kind, merchant_id, payment_id, refund_number HAVING count(*) > 1) d",
                &[],
            )
            .await
            .unwrap()
            .get(0);
        let over: i64 = root
            .query_one(
                "SELECT count(*) FROM (SELECT payment_id FROM linkdesk.claims
                     WHERE outcome NOT IN ('FAILED_NOT_SENT','TERMINAL_FAILED','MADE_ELSEWHERE','CANCELED','CANCELLED','RELEASED')
                     GROUP BY payment_id HAVING sum(amount_cents) > max(payment_cents)) o",
                &[],
            )
            .await
            .unwrap()
            .get(0);
        let in_store: i64 = root
            .query_one("SELECT count(*) FROM linkdesk.audit", &[])
            .await
            .unwrap()
            .get(0);
        let rows: i64 = root
            .query_one("SELECT count(*) FROM linkdesk.claims", &[])
            .await
            .unwrap()
            .get(0);
        let settled: i64 = root
            .query_one(
                "SELECT count(*) FROM linkdesk.claims WHERE outcome = 'AUTHORIZED'",
                &[],
            )
            .await
            .unwrap()
            .get(0);
        println!("team store benchmark: {SEATS} seats, {PAYMENTS} payments of $100.00 and {HOT} hot ones, {elapsed:.1} s");
        println!(
            "  claim attempts:     {} ({:.1}/s)",
            all.len(),
            all.len() as f64 / elapsed
        );
        println!(
            "  claims made:        {claimed} ({:.1}/s); refused (held or over the payment): {refused}; failed: {failed}",
            claimed as f64 / elapsed
        );
        println!(
            "  claim latency:      p50 {:.1} ms, p95 {:.1} ms, max {:.1} ms",
            pct(0.50).as_secs_f64() * 1e3,
            pct(0.95).as_secs_f64() * 1e3,
            all.last().unwrap().as_secs_f64() * 1e3
        );
        println!("  double claims:      {} (numbers claimed twice: {numbers_twice}, payments over-claimed: {over})", numbers_twice + over);
        println!("  audit entries:      {audited} written by the seats, {in_store} in the team store; claim outcomes settled: {settled} of {rows}");
        assert_eq!(numbers_twice + over, 0, "double claims");
        assert_eq!(in_store as u64, audited, "every audit entry exactly once");
        assert_eq!(rows as u64, claimed);
        assert_eq!(settled as u64, claimed);
        assert_eq!(failed, 0);
    });
}
