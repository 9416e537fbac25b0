//! The views keep answering from the cache when the service goes away, and go
//! back online by themselves when it returns. Real sandbox over HTTP, real
//! SQLite file.

use linkdesk::app::{builtin_environment, App};
use linkdesk::biller::RtlFilter;
use linkdesk::error::ErrorCode;
use linkdesk::rtls::{self, ReadFrom, Source};

async fn sandbox_at(addr: std::net::SocketAddr) -> linkdesk_sandbox::Sandbox {
    linkdesk_sandbox::start(linkdesk_sandbox::Options {
        addr,
        rtls: 300,
        no_rate_limit: true,
        ..Default::default()
    })
    .await
    .expect("sandbox starts")
}

fn filters() -> Vec<RtlFilter> {
    vec![
        RtlFilter::default(),
        RtlFilter {
            status: Some("PENDING".into()),
            ..Default::default()
        },
        RtlFilter {
            biller_id: Some("test_electric_company".into()),
            ..Default::default()
        },
        RtlFilter {
            search: Some("USER".into()),
            ..Default::default()
        },
    ]
}

#[tokio::test(flavor = "multi_thread")]
async fn views_fall_back_to_the_cache_and_come_back_online() {
    let dir = tempfile::tempdir().unwrap();
    let sandbox = sandbox_at("127.0.0.1:0".parse().unwrap()).await;
    let addr = sandbox.addr();
    let url = sandbox.url();
    let app = App::open(
        dir.path().to_path_buf(),
        builtin_environment("Test sandbox", &url, &url),
        None,
    )
    .unwrap();

    // Online: every answer is live, and is remembered.
    rtls::billers(&app).await.unwrap();
    let mut live = Vec::new();
    for filter in filters() {
        for page in 1..=2 {
            let listed = rtls::list(&app, filter.clone(), page, 20, None, ReadFrom::Service)
                .await
                .unwrap();
            assert_eq!(listed.source, Source::Live);
            live.push(listed.data);
        }
    }
    let some_id = live[0].items[3].id.clone();
    rtls::get(&app, some_id.clone(), ReadFrom::Service)
        .await
        .unwrap();

    // The service goes away mid-session: the same questions get the same answers.
    sandbox.stop().await;
    let mut i = 0;
    for filter in filters() {
        for page in 1..=2 {
            let listed = rtls::list(&app, filter.clone(), page, 20, None, ReadFrom::Service)
                .await
                .unwrap();
            assert_eq!(listed.source, Source::Cache, "{filter:?}");
            assert!(listed.cached_at.is_some());
            assert!(listed.reason.is_some());
            // Only what was seen is cached; the pages seen match exactly.
            assert_eq!(listed.data.items, live[i].items, "{filter:?} page {page}");
            i += 1;
        }
    }
    let detail = rtls::get(&app, some_id.clone(), ReadFrom::Service)
        .await
        .unwrap();
    assert_eq!(detail.source, Source::Cache);
    assert_eq!(detail.data.rtl.id, some_id);
    let billers = rtls::billers(&app).await.unwrap();
    assert_eq!(billers.source, Source::Cache);
    assert!(!billers.data.is_empty());

    // Writes are refused while offline, never queued.
    let cancel = rtls::cancel(&app, some_id.clone(), None).await.unwrap_err();
    assert!(
        matches!(cancel.code, ErrorCode::OfflineWrite | ErrorCode::Offline),
        "{cancel:?}"
    );

    // It comes back on the same address: the next read is live again by itself.
    let sandbox = sandbox_at(addr).await;
    let listed = rtls::list(&app, RtlFilter::default(), 1, 20, None, ReadFrom::Service)
        .await
        .unwrap();
    assert_eq!(listed.source, Source::Live);
    assert_eq!(listed.data.items, live[0].items);
    sandbox.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn work_offline_forces_the_cache_and_refuses_writes() {
    let dir = tempfile::tempdir().unwrap();
    let sandbox = sandbox_at("127.0.0.1:0".parse().unwrap()).await;
    let url = sandbox.url();
    let app = App::open(
        dir.path().to_path_buf(),
        builtin_environment("Test sandbox", &url, &url),
        None,
    )
    .unwrap();
    let live = rtls::list(&app, RtlFilter::default(), 1, 20, None, ReadFrom::Service)
        .await
        .unwrap();
    app.set_work_offline(true);
    let cached = rtls::list(&app, RtlFilter::default(), 1, 20, None, ReadFrom::Service)
        .await
        .unwrap();
    assert_eq!(cached.source, Source::Cache);
    assert_eq!(cached.reason.as_deref(), Some("Work offline is on"));
    assert_eq!(cached.data.items, live.data.items);
    let err = rtls::cancel(&app, live.data.items[0].id.clone(), None)
        .await
        .unwrap_err();
    assert_eq!(err.code, ErrorCode::OfflineWrite);
    app.set_work_offline(false);
    sandbox.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn service_errors_are_not_hidden_by_the_cache() {
    // A 401 is not "unreachable": the user must see it, not stale data.
    let dir = tempfile::tempdir().unwrap();
    let sandbox = linkdesk_sandbox::start(linkdesk_sandbox::Options {
        biller_client_secret: "another".into(),
        ..Default::default()
    })
    .await
    .unwrap();
    let url = sandbox.url();
    let app = App::open(
        dir.path().to_path_buf(),
        builtin_environment("Test sandbox", &url, &url),
        None,
    )
    .unwrap();
    let err = rtls::list(&app, RtlFilter::default(), 1, 20, None, ReadFrom::Service)
        .await
        .unwrap_err();
    assert_eq!(err.code, ErrorCode::Unauthorized);
    sandbox.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_failing_service_is_shown_as_failing_and_the_cache_only_when_asked_for() {
    let dir = tempfile::tempdir().unwrap();
    let url = {
        // Fill the cache from a working service first.
        let sandbox = sandbox_at("127.0.0.1:0".parse().unwrap()).await;
        let url = sandbox.url();
        let app = App::open(
            dir.path().to_path_buf(),
            builtin_environment("Test sandbox", &url, &url),
            None,
        )
        .unwrap();
        let live = rtls::list(&app, RtlFilter::default(), 1, 20, None, ReadFrom::Service)
            .await
            .unwrap();
        assert_eq!(live.source, Source::Live);
        sandbox.stop().await;
        url
    };
    // The same address now answers every request with a 500.
    let failing = linkdesk_sandbox::start(linkdesk_sandbox::Options {
        addr: url.trim_start_matches("http://").parse().unwrap(),
        rtls: 300,
        no_rate_limit: true,
        fail_rate: 1.0,
        ..Default::default()
    })
    .await
    .unwrap();
    let app = App::open(
        dir.path().to_path_buf(),
        builtin_environment("Test sandbox", &url, &url),
        None,
    )
    .unwrap();
    let err = rtls::list(&app, RtlFilter::default(), 1, 20, None, ReadFrom::Service)
        .await
        .unwrap_err();
    assert_eq!(err.code, ErrorCode::ServerError, "{err:?}");
    let id = {
        let cached = rtls::list(&app, RtlFilter::default(), 1, 20, None, ReadFrom::Cache)
            .await
            .unwrap();
        assert_eq!(cached.source, Source::Cache);
        assert!(!cached.offline, "the service is failing, not unreachable");
        assert!(cached.reason.unwrap().contains("as you asked"));
        assert_eq!(cached.data.items.len(), 20);
        cached.data.items[0].id.clone()
    };
    let err = rtls::get(&app, id.clone(), ReadFrom::Service)
        .await
        .unwrap_err();
    assert_eq!(err.code, ErrorCode::ServerError);
    let cached = rtls::get(&app, id, ReadFrom::Cache).await.unwrap();
    assert_eq!(cached.source, Source::Cache);
    failing.stop().await;
}
