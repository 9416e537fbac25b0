//! The BillerAPI client against the sandbox over real HTTP: every call, and
//! every failure the service can produce, ends in the right `{code, message}`.

mod http_support;

use std::time::Duration;

use http_support::{Canned, Recorder};
use linkdesk::biller::{BillerClient, BillerCredentials, NewRtl, RtlFilter, RtlStatus};
use linkdesk::error::ErrorCode;
use linkdesk_sandbox::Options;
use serde_json::json;

fn creds() -> BillerCredentials {
    let o = Options::default();
    BillerCredentials {
        client_id: o.biller_client_id,
        client_secret: o.biller_client_secret,
    }
}

async fn sandbox(options: Options) -> (linkdesk_sandbox::Sandbox, BillerClient) {
    let sandbox = linkdesk_sandbox::start(options).await.unwrap();
    let client =
        BillerClient::new(linkdesk::http::build_client(), &sandbox.url(), creds()).unwrap();
    (sandbox, client)
}

fn quiet() -> Options {
    Options {
        rtls: 250,
        no_rate_limit: true,
        ..Default::default()
    }
}

#[tokio::test]
async fn lists_filters_and_pages() {
    let (sb, client) = sandbox(quiet()).await;
    let all = client
        .list_rtls(&RtlFilter::default(), 1, 20)
        .await
        .unwrap();
    assert_eq!(
        (all.total, all.page, all.limit, all.items.len()),
        (250, 1, 20, 20)
    );
    let last = client
        .list_rtls(&RtlFilter::default(), 13, 20)
        .await
        .unwrap();
    assert_eq!(last.items.len(), 10);
    let past = client
        .list_rtls(&RtlFilter::default(), 99, 20)
        .await
        .unwrap();
    assert!(past.items.is_empty());
    assert_eq!(past.total, 250);
    let pending = client
        .list_rtls(
            &RtlFilter {
                status: Some("PENDING".into()),
                ..Default::default()
            },
            1,
            100,
        )
        .await
        .unwrap();
    assert!(pending.items.iter().all(|r| r.status == RtlStatus::Pending));
    let billers = client.list_billers().await.unwrap();
    assert!(billers
        .iter()
        .any(|b| b.id == "test_electric_company" && b.name == "Test Electric Company"));
    let by_name = client
        .list_rtls(
            &RtlFilter {
                search: Some("ELECTRIC".into()),
                ..Default::default()
            },
            1,
            100,
        )
        .await
        .unwrap();
    assert!(by_name.total > 0);
    assert!(by_name
        .items
        .iter()
        .all(|r| r.biller_id.as_deref() == Some("test_electric_company")
            || r.client_user_id.to_lowercase().contains("electric")));
    // Arguments are checked before anything is sent.
    for (page, limit) in [(0, 20), (1, 0), (1, 101)] {
        let err = client
            .list_rtls(&RtlFilter::default(), page, limit)
            .await
            .unwrap_err();
        assert_eq!(err.code, ErrorCode::InvalidInput);
    }
    // An invalid status is the service's 400.
    let err = client
        .list_rtls(
            &RtlFilter {
                status: Some("SLEEPING".into()),
                ..Default::default()
            },
            1,
            20,
        )
        .await
        .unwrap_err();
    assert_eq!(err.code, ErrorCode::InvalidInput);
    sb.stop().await;
}

#[tokio::test]
async fn creates_changes_cancels_and_proceeds() {
    let (sb, client) = sandbox(quiet()).await;
    let created = client
        .create_rtl(&NewRtl {
            client_user_id: "user_é_<b>".into(),
            biller_id: Some("test_electric_company".into()),
            metadata: Some(json!({"source": "test"})),
        })
        .await
        .unwrap();
    assert_eq!(created.status, RtlStatus::Pending);
    assert_eq!(created.client_user_id, "user_é_<b>");
    assert_eq!(client.get_rtl(&created.id).await.unwrap().id, created.id);

    let moved = client
        .set_status(&created.id, &RtlStatus::InProgress)
        .await
        .unwrap();
    assert_eq!(moved.status, RtlStatus::InProgress);
    let proceeded = client.proceed(&created.id).await.unwrap();
    assert!(proceeded.session_url.contains(&proceeded.link_token));
    let after = client.get_rtl(&created.id).await.unwrap();
    assert_eq!(
        after.link_token_id.as_deref(),
        Some(proceeded.link_token.as_str())
    );
    let cancelled = client
        .cancel(&created.id, Some("asked to stop"))
        .await
        .unwrap();
    assert_eq!(cancelled.status, RtlStatus::Cancelled);

    // Nothing leaves CANCELLED: the service's refusal is a conflict.
    let err = client.cancel(&created.id, None).await.unwrap_err();
    assert_eq!(err.code, ErrorCode::Conflict, "{err:?}");
    let err = client
        .set_status(&created.id, &RtlStatus::Pending)
        .await
        .unwrap_err();
    assert_eq!(err.code, ErrorCode::Conflict);
    let err = client.proceed(&created.id).await.unwrap_err();
    assert_eq!(err.code, ErrorCode::Conflict);
    // EXPIRED and unknown statuses are never sent.
    let err = client
        .set_status(&created.id, &RtlStatus::Expired)
        .await
        .unwrap_err();
    assert_eq!(err.code, ErrorCode::InvalidInput);
    sb.stop().await;
}

#[tokio::test]
async fn each_failure_has_its_code() {
    let (sb, client) = sandbox(quiet()).await;
    // 404
    let err = client.get_rtl("rtl_doesnotexist").await.unwrap_err();
    assert_eq!(err.code, ErrorCode::NotFound);
    // 401, with the service's message and never the secret
    let wrong = BillerClient::new(
        linkdesk::http::build_client(),
        &sb.url(),
        BillerCredentials {
            client_id: "client_sandbox".into(),
            client_secret: "bb_test_WRONG_s3cret".into(),
        },
    )
    .unwrap();
    let err = wrong.list_billers().await.unwrap_err();
    assert_eq!(err.code, ErrorCode::Unauthorized);
    assert!(!err.message.contains("WRONG"), "{err:?}");
    // An ID that would change the path is sent as one segment: no such RTL.
    assert_eq!(
        client.get_rtl("../billers").await.unwrap_err().code,
        ErrorCode::NotFound
    );
    let url = sb.url();
    sb.stop().await;
    // Down
    let err = client.list_billers().await.unwrap_err();
    assert_eq!(err.code, ErrorCode::Offline);
    assert!(err.message.contains("cannot be reached"), "{err:?}");
    let _ = url;
}

#[tokio::test]
async fn rate_limits_carry_retry_after() {
    let (sb, client) = sandbox(Options {
        rtls: 50,
        link_ops_per_minute: 3,
        ..Default::default()
    })
    .await;
    for _ in 0..3 {
        client
            .list_rtls(&RtlFilter::default(), 1, 20)
            .await
            .unwrap();
    }
    let err = client
        .list_rtls(&RtlFilter::default(), 1, 20)
        .await
        .unwrap_err();
    assert_eq!(err.code, ErrorCode::RateLimited);
    let secs = err.retry_after_secs.expect("Retry-After is passed on");
    assert!((1..=60).contains(&secs));
    // The wait is said once, by the window's countdown, never in the message.
    assert!(err.message.contains("rate limiting"), "{err:?}");
    assert!(
        !err.message.to_lowercase().contains("retry after"),
        "{err:?}"
    );
    assert!(!err.message.contains("Try again in"), "{err:?}");
    sb.stop().await;
}

#[tokio::test]
async fn server_errors_and_timeouts() {
    let (sb, client) = sandbox(Options {
        fail_rate: 1.0,
        ..quiet()
    })
    .await;
    let err = client
        .list_rtls(&RtlFilter::default(), 1, 20)
        .await
        .unwrap_err();
    assert_eq!(err.code, ErrorCode::ServerError);
    assert!(
        err.is_unreachable(),
        "a 5xx after retries lets views fall back to the cache"
    );
    sb.stop().await;

    let (sb, _) = sandbox(Options {
        latency_ms: 2_000,
        ..quiet()
    })
    .await;
    let impatient = reqwest::Client::builder()
        .timeout(Duration::from_millis(200))
        .build()
        .unwrap();
    let client = BillerClient::new(impatient, &sb.url(), creds()).unwrap();
    let err = client.get_rtl("rtl_any").await.unwrap_err();
    assert_eq!(err.code, ErrorCode::Timeout, "{err:?}");
    sb.stop().await;
}

/// A service that answers 200 with something that is not JSON: a clear
/// `bad_response`, never a panic. (A plain socket: the sandbox never does this.)
#[tokio::test]
async fn malformed_answers_are_bad_response() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let server = tokio::spawn(async move {
        for body in ["<html>oops</html>", r#"{"items": "not a list"}"#] {
            let (mut sock, _) = listener.accept().await.unwrap();
            let mut buf = [0u8; 4096];
            let _ = sock.read(&mut buf).await;
            let reply = format!(
                "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                body.len()
            );
            let _ = sock.write_all(reply.as_bytes()).await;
        }
    });
    let client = BillerClient::new(
        linkdesk::http::build_client(),
        &format!("http://{addr}"),
        creds(),
    )
    .unwrap();
    for _ in 0..2 {
        let err = client
            .list_rtls(&RtlFilter::default(), 1, 20)
            .await
            .unwrap_err();
        assert_eq!(err.code, ErrorCode::BadResponse, "{err:?}");
    }
    server.await.unwrap();
}

/// An ID that holds `/`, `?`, `#`, `%` or dot segments reaches the service as
/// one encoded segment: the sandbox looks up exactly that ID and answers 404,
/// never another endpoint's answer, and never acts on another record.
#[tokio::test]
async fn hostile_ids_stay_one_path_segment() {
    let (sb, client) = sandbox(quiet()).await;
    let pending = RtlFilter {
        status: Some("PENDING".into()),
        ..Default::default()
    };
    let real = client.list_rtls(&pending, 1, 1).await.unwrap().items[0]
        .id
        .clone();
    let hostile = [
        "a/b".to_string(),
        "?x=1".to_string(),
        "#frag".to_string(),
        "%2e%2e".to_string(),
        "%2F".to_string(),
        "...".to_string(),
        "../../billers".to_string(),
        "a b".to_string(),
        format!("{real}?page=1"),
        format!("{real}#x"),
        format!("x/../{real}"),
        format!("%2e%2e/link/request-to-link/{real}"),
    ];
    for id in &hostile {
        let err = client.get_rtl(id).await.unwrap_err();
        assert_eq!(err.code, ErrorCode::NotFound, "{id}: {err:?}");
        // The sandbox names the ID it looked up: the whole one, decoded.
        assert!(err.message.contains(&format!("'{id}'")), "{id}: {err:?}");
    }
    // Unencoded, each of these would reach the real RTL's own endpoints.
    for id in [
        format!("{real}/../{real}"),
        format!("{real}/cancel#"),
        format!("{real}/cancel?"),
        format!("{real}/status?"),
    ] {
        let err = client.cancel(&id, None).await.unwrap_err();
        assert_eq!(err.code, ErrorCode::NotFound, "{id}: {err:?}");
        let err = client
            .set_status(&id, &RtlStatus::InProgress)
            .await
            .unwrap_err();
        assert_eq!(err.code, ErrorCode::NotFound, "{id}: {err:?}");
        let err = client.proceed(&id).await.unwrap_err();
        assert_eq!(err.code, ErrorCode::NotFound, "{id}: {err:?}");
    }
    let untouched = client.get_rtl(&real).await.unwrap();
    assert_eq!(untouched.status, RtlStatus::Pending);
    assert!(untouched.link_token_id.is_none());
    sb.stop().await;
}

/// `.`, `..` and empty IDs are refused before any request; every other ID is
/// one percent-encoded segment below the base URL's own path prefix.
#[tokio::test]
async fn dot_ids_are_refused_and_a_path_prefix_is_kept() {
    let recorder = Recorder::start().await;
    let client = BillerClient::new(
        linkdesk::http::build_client(),
        &recorder.url("/prefix/"),
        creds(),
    )
    .unwrap();
    for bad in ["", "  ", ".", "..", " .. "] {
        let codes = [
            client.get_rtl(bad).await.unwrap_err().code,
            client.cancel(bad, None).await.unwrap_err().code,
            client
                .set_status(bad, &RtlStatus::Cancelled)
                .await
                .unwrap_err()
                .code,
            client.proceed(bad).await.unwrap_err().code,
        ];
        assert_eq!(codes, [ErrorCode::InvalidInput; 4], "{bad:?}");
    }
    assert_eq!(recorder.requests(), Vec::<String>::new());

    for id in ["a/b", "?x=1", "#frag", "%2e%2e"] {
        let err = client.get_rtl(id).await.unwrap_err();
        assert_eq!(err.code, ErrorCode::NotFound, "{err:?}");
    }
    let err = client.cancel("r/../../billers", None).await.unwrap_err();
    assert_eq!(err.code, ErrorCode::NotFound, "{err:?}");
    let err = client.list_billers().await.unwrap_err();
    assert_eq!(err.code, ErrorCode::NotFound, "{err:?}");
    assert_eq!(
        recorder.requests(),
        [
            "GET /prefix/link/request-to-link/a%2Fb",
            "GET /prefix/link/request-to-link/%3Fx=1",
            "GET /prefix/link/request-to-link/%23frag",
            "GET /prefix/link/request-to-link/%252e%252e",
            "POST /prefix/link/request-to-link/r%2F..%2F..%2Fbillers/cancel",
            "GET /prefix/billers",
        ]
    );
    recorder.stop();
}

async fn hostile(canned: Canned) -> (Recorder, BillerClient) {
    let server = Recorder::answering(canned).await;
    let client =
        BillerClient::new(linkdesk::http::build_client(), &server.url(""), creds()).unwrap();
    (server, client)
}

fn rtl_json(i: usize) -> serde_json::Value {
    json!({"id": format!("rtl_{i}"), "client_user_id": "u", "status": "PENDING",
           "created_at": "2026-01-01T00:00:00Z", "updated_at": "2026-01-01T00:00:00Z"})
}

#[tokio::test]
async fn answers_too_big_or_too_long_are_refused_as_bad_answers() {
    // 5 MB streamed without a declared length, then the same length declared.
    for declare_length in [false, true] {
        let (server, client) = hostile(Canned {
            status: "200 OK",
            headers: String::new(),
            body: vec![b' '; 5 * 1024 * 1024],
            declare_length,
        })
        .await;
        let err = client.get_rtl("rtl_1").await.unwrap_err();
        assert_eq!(err.code, ErrorCode::BadResponse, "{err:?}");
        assert!(err.message.contains("larger than 4 MB"), "{err:?}");
        server.stop();
    }
    // A page of 20 asked for, 500 records sent.
    let items: Vec<_> = (0..500).map(rtl_json).collect();
    let body = json!({"items": items, "total": 500, "page": 1, "limit": 20});
    let (server, client) = hostile(Canned {
        status: "200 OK",
        headers: String::new(),
        body: body.to_string().into_bytes(),
        declare_length: true,
    })
    .await;
    let err = client
        .list_rtls(&RtlFilter::default(), 1, 20)
        .await
        .unwrap_err();
    assert_eq!(err.code, ErrorCode::BadResponse, "{err:?}");
    assert!(err.message.contains("500 records"), "{err:?}");
    server.stop();
}

#[tokio::test]
async fn an_absurd_retry_after_is_a_failure_not_a_wait() {
    let body = r#"{"statusCode":429,"message":"slow down","error":"Too Many Requests"}"#;
    for (header, waits) in [
        ("Retry-After: 7\r\n", Some(7)),
        ("Retry-After: 999999999\r\n", None),
    ] {
        let (server, client) = hostile(Canned {
            status: "429 Too Many Requests",
            headers: header.to_string(),
            body: body.as_bytes().to_vec(),
            declare_length: true,
        })
        .await;
        let err = client.get_rtl("rtl_1").await.unwrap_err();
        assert_eq!(err.code, ErrorCode::RateLimited);
        assert_eq!(err.retry_after_secs, waits, "{err:?}");
        if waits.is_none() {
            assert!(
                err.message.contains("longer than Linkdesk waits"),
                "{err:?}"
            );
        }
        server.stop();
    }
}
