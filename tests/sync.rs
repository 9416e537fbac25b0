//! Full sync against the sandbox over real HTTP into a real SQLite file: the
//! cache then answers exactly as the service does; pacing keeps under the
//! rate limit; a cancelled or failed sync resumes; a later sync picks up what
//! changed.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use linkdesk::biller::{BillerClient, BillerCredentials, NewRtl, RtlFilter, RtlStatus};
use linkdesk::cache::Cache;
use linkdesk::http::build_client;
use linkdesk::sync::{
    sync_all_rtls, SyncCancel, SyncOptions, SyncOutcome, SyncPhase, SyncProgress,
};
use linkdesk_sandbox::{Options, Sandbox};

mod http_support;
use http_support::{Canned, Recorder};

const ENV: &str = "env_sandbox";

async fn sandbox(rtls: usize, link_ops_per_minute: Option<u32>) -> Sandbox {
    let options = Options {
        rtls,
        no_rate_limit: link_ops_per_minute.is_none(),
        link_ops_per_minute: link_ops_per_minute.unwrap_or(100),
        ..Options::default()
    };
    linkdesk_sandbox::start(options).await.unwrap()
}

fn client_of(sandbox: &Sandbox) -> BillerClient {
    let o = Options::default();
    let creds = BillerCredentials {
        client_id: o.biller_client_id,
        client_secret: o.biller_client_secret,
    };
    BillerClient::new(build_client(), &sandbox.url(), creds).unwrap()
}

async fn sync(client: &BillerClient, cache: &Cache, opts: SyncOptions) -> SyncOutcome {
    sync_all_rtls(client, cache, ENV, opts, SyncCancel::default(), |_| {})
        .await
        .unwrap()
}

fn filter(search: &str, status: &str, user: &str, biller: &str) -> RtlFilter {
    let opt = |s: &str| (!s.is_empty()).then(|| s.to_string());
    RtlFilter {
        search: opt(search),
        status: opt(status),
        client_user_id: opt(user),
        biller_id: opt(biller),
    }
}

/// Compares the cache's answer with the service's for one query, field by field.
async fn assert_same(client: &BillerClient, cache: &Cache, f: &RtlFilter, page: u32, limit: u32) {
    let live = client.list_rtls(f, page, limit).await.unwrap();
    let cached = cache.query_rtls(ENV, f, page, limit, None).unwrap();
    let what = format!("filter {f:?} page {page} limit {limit}");
    assert_eq!(
        (cached.total, cached.page, cached.limit),
        (live.total, live.page, live.limit),
        "{what}"
    );
    assert_eq!(cached.items.len(), live.items.len(), "{what}");
    for (c, l) in cached.items.iter().zip(&live.items) {
        assert_eq!(c.id, l.id, "{what}");
        assert_eq!(c.client_id, l.client_id, "{what}");
        assert_eq!(c.client_user_id, l.client_user_id, "{what}");
        assert_eq!(c.biller_id, l.biller_id, "{what}");
        assert_eq!(c.status, l.status, "{what}");
        assert_eq!(c.link_token_id, l.link_token_id, "{what}");
        assert_eq!(c.session_url, l.session_url, "{what}");
        assert_eq!(c.metadata, l.metadata, "{what}");
        assert_eq!(c.created_at, l.created_at, "{what}");
        assert_eq!(c.updated_at, l.updated_at, "{what}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn offline_answers_equal_the_service() {
    let sb = sandbox(3000, None).await;
    let client = client_of(&sb);
    let dir = tempfile::tempdir().unwrap();
    let (cache, _) = Cache::open(dir.path()).unwrap();

    let outcome = sync(
        &client,
        &cache,
        SyncOptions {
            ops_per_minute: 100_000,
            limit: 100,
        },
    )
    .await;
    assert!(outcome.completed);
    assert_eq!(outcome.rate_limited, 0);
    assert_eq!(cache.rtl_count(ENV).unwrap(), 3000);

    let billers = cache.list_billers(ENV).unwrap();
    assert!(
        !billers.is_empty(),
        "the sync caches billers for search by name"
    );
    let sample = cache
        .query_rtls(ENV, &RtlFilter::default(), 7, 100, None)
        .unwrap()
        .items;
    let user = sample
        .iter()
        .map(|r| r.client_user_id.clone())
        .find(|u| u.starts_with("user_"))
        .unwrap();
    let with_biller = sample.iter().find_map(|r| r.biller_id.clone()).unwrap();

    let mut cases = vec![
        filter("", "", "", ""),
        filter("", "", &user, ""),
        filter("", "", "no_such_user", ""),
        filter("", "", &user.to_uppercase(), ""),
        filter("user_", "", "", ""),
        filter("USER_", "", "", ""),
        filter(&user, "", "", ""),
        filter("acct-1", "", "", ""),
        filter("佐藤", "", "", ""),
        filter("😀", "", "", ""),
        filter("water", "", "", ""),
        filter("ÉNERGIE", "", "", ""),
        filter("<script>", "", "", ""),
        filter("'; drop", "", "", ""),
        filter("zzzz-no-match", "", "", ""),
        filter("user_", "COMPLETED", "", &with_biller),
    ];
    for status in RtlStatus::DOCUMENTED {
        cases.push(filter("", status.as_str(), "", ""));
        cases.push(filter("", status.as_str(), "", &with_biller));
    }
    for b in &billers {
        cases.push(filter("", "", "", &b.id));
    }
    for f in &cases {
        for limit in [1, 20, 100] {
            let total = client.list_rtls(f, 1, limit).await.unwrap().total as u32;
            let last = total.div_ceil(limit).max(1);
            let mut pages = vec![1, last.div_ceil(2), last, last + 1];
            pages.dedup();
            for page in pages {
                assert_same(&client, &cache, f, page, limit).await;
            }
        }
    }
    // An undocumented status is refused by both.
    let bad = filter("", "ON_HOLD", "", "");
    assert!(client.list_rtls(&bad, 1, 20).await.is_err());
    assert!(cache.query_rtls(ENV, &bad, 1, 20, None).is_err());
    sb.stop().await;
}

/// How many instants fall in the busiest window of length `window`.
fn busiest(instants: &[Instant], window: Duration) -> usize {
    instants
        .iter()
        .map(|t| {
            instants
                .iter()
                .filter(|u| **u >= *t && **u < *t + window)
                .count()
        })
        .max()
        .unwrap_or(0)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pacing_stays_under_the_limit_and_a_cancelled_sync_resumes() {
    const OPS: u32 = 20;
    let sb = sandbox(150, Some(OPS)).await;
    let client = client_of(&sb);
    let dir = tempfile::tempdir().unwrap();
    let (cache, _) = Cache::open(dir.path()).unwrap();
    let opts = SyncOptions {
        ops_per_minute: OPS,
        limit: 10,
    };

    // Cancel once page 4 of the full walk is stored.
    let cancel = SyncCancel::default();
    let first = {
        let cancel = cancel.clone();
        sync_all_rtls(
            &client,
            &cache,
            ENV,
            opts,
            cancel.clone(),
            move |p: SyncProgress| {
                if p.phase == SyncPhase::Full && p.pages_done == 4 {
                    cancel.cancel();
                }
            },
        )
        .await
        .unwrap()
    };
    assert!(first.cancelled && !first.completed);
    assert_eq!(first.pages_fetched, 4);
    let state = cache.sync_state(ENV).unwrap().unwrap();
    assert_eq!((state.phase.as_str(), state.next_page), ("full", 5));
    assert_eq!(cache.rtl_count(ENV).unwrap(), 40);

    let seen: Arc<Mutex<Vec<SyncProgress>>> = Arc::default();
    let log = seen.clone();
    let second = sync_all_rtls(
        &client,
        &cache,
        ENV,
        opts,
        SyncCancel::default(),
        move |p| {
            log.lock().unwrap().push(p);
        },
    )
    .await
    .unwrap();
    assert!(second.completed);
    let seen = seen.lock().unwrap().clone();
    assert_eq!(
        (seen[0].phase, seen[0].pages_done),
        (SyncPhase::Full, 5),
        "resumes at the next page"
    );
    assert!(seen
        .iter()
        .all(|p| p.pages_total == 15 || p.phase != SyncPhase::Full));
    assert_eq!(cache.rtl_count(ENV).unwrap(), 150);
    for page in 1..=2 {
        assert_same(&client, &cache, &RtlFilter::default(), page, 100).await;
    }

    // Never a 429, and the requests of both runs, taken together, never exceed
    // the budget in any window: 1 per 3 s, 5 per 15 s, 20 per minute.
    assert_eq!(first.rate_limited + second.rate_limited, 0);
    let mut instants = first.request_instants.clone();
    instants.extend(&second.request_instants);
    assert_eq!(instants.len() as u32, first.requests + second.requests);
    assert!(
        instants.len() >= 16,
        "15 pages and one check for new records"
    );
    for (secs, max) in [(3, 1), (15, 5), (60, 20)] {
        let n = busiest(&instants, Duration::from_secs(secs));
        assert!(n <= max, "{n} requests in {secs} s");
    }
    sb.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_later_sync_picks_up_new_and_changed_records() {
    let sb = sandbox(250, None).await;
    let client = client_of(&sb);
    let dir = tempfile::tempdir().unwrap();
    let (cache, _) = Cache::open(dir.path()).unwrap();
    let fast = SyncOptions {
        ops_per_minute: 100_000,
        limit: 100,
    };
    let full = sync(&client, &cache, fast).await;
    assert!(full.completed);
    assert_eq!(cache.rtl_count(ENV).unwrap(), 250);
    assert!(cache
        .sync_state(ENV)
        .unwrap()
        .unwrap()
        .full_completed_at
        .is_some());

    let created = client
        .create_rtl(&NewRtl {
            client_user_id: "new.user@example.com".into(),
            biller_id: None,
            metadata: None,
        })
        .await
        .unwrap();
    let pending = client
        .list_rtls(&filter("", "PENDING", "", ""), 2, 20)
        .await
        .unwrap()
        .items;
    let to_cancel = pending.last().unwrap().clone();
    let cancelled = client.cancel(&to_cancel.id, Some("test")).await.unwrap();
    assert_eq!(cancelled.status, RtlStatus::Cancelled);

    let later = sync(&client, &cache, fast).await;
    assert!(later.completed);
    assert!(
        later.pages_fetched < full.pages_fetched + 3,
        "no second full walk"
    );
    assert_eq!(
        cache
            .get_rtl(ENV, &created.id)
            .unwrap()
            .unwrap()
            .client_user_id,
        "new.user@example.com"
    );
    assert_eq!(
        cache.get_rtl(ENV, &to_cancel.id).unwrap().unwrap().status,
        RtlStatus::Cancelled
    );
    assert_eq!(cache.rtl_count(ENV).unwrap(), 251);
    for status in ["", "PENDING", "CANCELLED"] {
        assert_same(&client, &cache, &filter("", status, "", ""), 1, 100).await;
    }
    sb.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sync_that_loses_the_service_stops_and_resumes_later() {
    let sb = sandbox(300, None).await;
    let client = client_of(&sb);
    let dir = tempfile::tempdir().unwrap();
    let (cache, _) = Cache::open(dir.path()).unwrap();
    let opts = SyncOptions {
        ops_per_minute: 100_000,
        limit: 10,
    };

    // Stop the sandbox from outside once 3 pages are in.
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    let tx = Mutex::new(Some(tx));
    let stopper = tokio::spawn(async move {
        if rx.await.is_ok() {
            sb.stop().await;
        }
    });
    let err = sync_all_rtls(
        &client,
        &cache,
        ENV,
        opts,
        SyncCancel::default(),
        move |p: SyncProgress| {
            if p.pages_done == 3 {
                if let Some(tx) = tx.lock().unwrap().take() {
                    let _ = tx.send(());
                }
            }
        },
    )
    .await
    .unwrap_err();
    stopper.await.unwrap();
    assert!(err.is_unreachable(), "{err:?}");
    let state = cache.sync_state(ENV).unwrap().unwrap();
    assert_eq!(state.phase, "full");
    let stored = cache.rtl_count(ENV).unwrap();
    assert_eq!(stored, u64::from(state.next_page - 1) * 10);

    // The same seed serves the same records: the sync resumes where it stopped.
    let again = sandbox(300, None).await;
    let client = client_of(&again);
    let resumed = sync(&client, &cache, opts).await;
    assert!(resumed.completed);
    assert_eq!(resumed.pages_fetched, 30 - (state.next_page - 1) + 1);
    assert_eq!(cache.rtl_count(ENV).unwrap(), 300);
    assert_same(&client, &cache, &RtlFilter::default(), 3, 100).await;
    again.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_429_is_waited_out_and_the_same_page_retried() {
    // A budget far above the service's: the fifth request is refused.
    let sb = sandbox(40, Some(4)).await;
    let client = client_of(&sb);
    let dir = tempfile::tempdir().unwrap();
    let (cache, _) = Cache::open(dir.path()).unwrap();
    let seen: Mutex<Vec<SyncProgress>> = Mutex::default();
    let outcome = sync_all_rtls(
        &client,
        &cache,
        ENV,
        SyncOptions {
            ops_per_minute: 10_000,
            limit: 10,
        },
        SyncCancel::default(),
        |p| seen.lock().unwrap().push(p),
    )
    .await
    .unwrap();
    assert!(outcome.completed);
    assert!(outcome.rate_limited >= 1, "{outcome:?}");
    // The 429 came after 4 requests in the minute: the rest of the run keeps
    // under the service's 4, less the one left for browsing.
    assert_eq!(outcome.ops_per_minute, 3, "{outcome:?}");
    // The window is told what the sync waits for, and for how long.
    let waits: Vec<_> = seen
        .lock()
        .unwrap()
        .iter()
        .filter_map(|p| p.waiting.clone())
        .collect();
    assert!(!waits.is_empty(), "a wait was announced");
    assert!(
        waits
            .iter()
            .all(|w| w.seconds >= 1 && w.reason.contains("429")),
        "{waits:?}"
    );
    assert_eq!(
        outcome.pages_fetched, 5,
        "4 pages and the check for new records"
    );
    assert_eq!(cache.rtl_count(ENV).unwrap(), 40);
    sb.stop().await;
}

#[tokio::test]
async fn a_429_asking_for_an_absurd_wait_ends_the_sync_instead_of_hanging_it() {
    let server = Recorder::answering(Canned {
        status: "429 Too Many Requests",
        headers: "Retry-After: 4000000000\r\n".to_string(),
        body: br#"{"statusCode":429,"message":"later","error":"Too Many Requests"}"#.to_vec(),
        declare_length: true,
    })
    .await;
    let o = Options::default();
    let creds = BillerCredentials {
        client_id: o.biller_client_id,
        client_secret: o.biller_client_secret,
    };
    let client = BillerClient::new(build_client(), &server.url(""), creds).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let (cache, _) = Cache::open(dir.path()).unwrap();
    let err = sync_all_rtls(
        &client,
        &cache,
        ENV,
        SyncOptions::default(),
        SyncCancel::default(),
        |_| {},
    )
    .await
    .unwrap_err();
    assert_eq!(err.code, linkdesk::error::ErrorCode::RateLimited);
    assert!(
        err.message.contains("longer than Linkdesk waits"),
        "{err:?}"
    );
    server.stop();
}

/// A cancel that arrives with the last page finds the sync finished: it is
/// reported complete, not paused with nothing left to resume.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cancel_at_the_last_page_reports_a_finished_sync() {
    let sb = sandbox(30, None).await;
    let client = client_of(&sb);
    let dir = tempfile::tempdir().unwrap();
    let (cache, _) = Cache::open(dir.path()).unwrap();
    let opts = SyncOptions {
        ops_per_minute: 600,
        limit: 10,
    };
    let cancel = SyncCancel::default();
    let outcome = {
        let cancel = cancel.clone();
        sync_all_rtls(
            &client,
            &cache,
            ENV,
            opts,
            cancel.clone(),
            move |p: SyncProgress| {
                // The new-records check right after a full walk is the last page.
                if p.phase == SyncPhase::New {
                    cancel.cancel();
                }
            },
        )
        .await
        .unwrap()
    };
    assert!(cancel.is_cancelled(), "the last page was never reported");
    assert!(outcome.completed && !outcome.cancelled, "{outcome:?}");
    let state = cache.sync_state(ENV).unwrap().unwrap();
    assert_eq!(state.phase, "done");
    assert_eq!(cache.rtl_count(ENV).unwrap(), 30);
    sb.stop().await;
}
