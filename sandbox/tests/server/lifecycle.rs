use reqwest::StatusCode;

use crate::common::{options, Env};

#[tokio::test]
async fn stop_refuses_connections_and_the_port_can_be_reused() {
    let env = Env::start().await;
    let addr = env.sandbox.addr();
    let url = env.url.clone();
    // Leave an idle keep-alive connection open: stop must close it too.
    let (status, _) = env.biller_get("/billers").await;
    assert_eq!(status, StatusCode::OK);
    let kept = env.http.clone();
    env.stop().await;

    let error = kept.get(format!("{url}/billers")).send().await.unwrap_err();
    assert!(error.is_connect() || error.is_request(), "{error}");
    let fresh = reqwest::Client::new();
    let error = fresh
        .get(format!("{url}/billers"))
        .send()
        .await
        .unwrap_err();
    assert!(error.is_connect(), "{error}");

    let mut again = options();
    again.addr = addr;
    let sandbox = linkdesk_sandbox::start(again).await.unwrap();
    assert_eq!(sandbox.addr(), addr);
    let response = fresh
        .get(format!("{url}/billers"))
        .header("X-Client-ID", "client_sandbox")
        .header("X-Client-Secret", "bb_test_sandbox_secret")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    sandbox.stop().await;
}

#[tokio::test]
async fn same_seed_and_anchor_answer_byte_for_byte() {
    let a = Env::start().await;
    let b = Env::start().await;
    let c = Env::with(|o| o.seed = 8).await;
    let paths = [
        "/link/request-to-link?limit=100",
        "/link/request-to-link?status=PENDING&page=2",
        "/link/request-to-link?search=user&billerId=test_electric_company",
        "/billers",
    ];
    for path in paths {
        let text = |env: &Env| {
            let request = env.biller(reqwest::Method::GET, path);
            async move { request.send().await.unwrap().text().await.unwrap() }
        };
        let (ta, tb, tc) = (text(&a).await, text(&b).await, text(&c).await);
        assert_eq!(ta, tb, "{path}");
        if path != "/billers" {
            assert_ne!(ta, tc, "{path}");
        }
    }
    let fixtures = |env: &Env| {
        let request = env.http.get(env.at("/sandbox/fixtures"));
        async move { request.send().await.unwrap().text().await.unwrap() }
    };
    assert_eq!(fixtures(&a).await, fixtures(&b).await);
    let token_a = a.lm_token("Link-Core").await;
    let token_b = b.lm_token("Link-Core").await;
    let fx: serde_json::Value = serde_json::from_str(&fixtures(&a).await).unwrap();
    for kind in ["customers", "transactions", "payouts"] {
        let id = fx[kind][0]["id"].as_str().unwrap();
        let path = match kind {
            "customers" => format!("/v1/customers/{id}/accounts"),
            other => format!("/v1/{other}/{id}"),
        };
        assert_eq!(
            a.lm_get(&token_a, &path).await,
            b.lm_get(&token_b, &path).await
        );
    }
    a.stop().await;
    b.stop().await;
    c.stop().await;
}

#[tokio::test]
async fn unknown_routes_answer_in_each_services_shape() {
    let env = Env::start().await;
    let (status, body) = env.biller_get("/link/nothing-here").await;
    crate::common::assert_biller_error(status, &body, 404);
    let (status, body) = env.lm_get("x", "/v1/nothing-here").await;
    crate::common::assert_lm_error(status, &body, 404, "NOT_FOUND");
    let (status, body) = env
        .lm_send(
            reqwest::Method::PUT,
            "x",
            "/v1/payments",
            serde_json::json!({}),
        )
        .await;
    crate::common::assert_lm_error(status, &body, 405, "METHOD_NOT_ALLOWED");
    let (status, body) = crate::common::json(
        env.biller(reqwest::Method::DELETE, "/billers")
            .send()
            .await
            .unwrap(),
    )
    .await;
    crate::common::assert_biller_error(status, &body, 405);
    env.stop().await;
}
