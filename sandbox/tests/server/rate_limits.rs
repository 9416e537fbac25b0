use reqwest::{Method, StatusCode};
use serde_json::json;

use crate::common::{assert_biller_error, assert_lm_error, json as read_json, Env};

fn retry_after(response: &reqwest::Response) -> u64 {
    response.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap()
}

#[tokio::test]
async fn link_operations_are_limited_per_client() {
    let env = Env::with(|o| {
        o.no_rate_limit = false;
        o.link_ops_per_minute = 3;
    })
    .await;
    for _ in 0..3 {
        let (status, _) = env.biller_get("/link/request-to-link?limit=1").await;
        assert_eq!(status, StatusCode::OK);
    }
    // Every /link/ call counts, writes included.
    let response = env
        .biller(Method::POST, "/link/request-to-link/create")
        .json(&json!({"clientId": "client_sandbox", "clientUserId": "u"}))
        .send()
        .await
        .unwrap();
    let wait = retry_after(&response);
    assert!((1..=60).contains(&wait), "{wait}");
    let (status, body) = read_json(response).await;
    assert_biller_error(status, &body, 429);
    // Other groups and other clients are not affected.
    let (status, _) = env.biller_get("/billers").await;
    assert_eq!(status, StatusCode::OK);
    let response = env
        .http
        .get(env.at("/link/request-to-link"))
        .header("X-Client-ID", "another_client")
        .header("X-Client-Secret", "x")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    // The session page is a person's browser, not an API client.
    let response = env
        .http
        .get(env.at("/link/session/lt_unknown"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::NOT_FOUND);
    env.stop().await;
}

#[tokio::test]
async fn authentication_is_limited_to_five_per_minute_per_ip() {
    let env = Env::with(|o| o.no_rate_limit = false).await;
    for _ in 0..5 {
        env.lm_token("Link-Core").await;
    }
    let response = env
        .http
        .post(env.at("/v1/tokens"))
        .form(&[
            ("client_id", "lm_sandbox_client"),
            ("client_secret", "lm_sandbox_secret"),
            ("scope", "Link-Core"),
            ("grant_type", "client_credentials"),
        ])
        .send()
        .await
        .unwrap();
    let wait = retry_after(&response);
    assert!((1..=60).contains(&wait), "{wait}");
    let (status, body) = read_json(response).await;
    assert_lm_error(status, &body, 429, "RATE_LIMITED");
    env.stop().await;
}

#[tokio::test]
async fn biller_operations_are_limited_to_200_per_minute() {
    let env = Env::with(|o| o.no_rate_limit = false).await;
    for _ in 0..200 {
        let (status, _) = env.biller_get("/billers").await;
        assert_eq!(status, StatusCode::OK);
    }
    let response = env.biller(Method::GET, "/billers").send().await.unwrap();
    let wait = retry_after(&response);
    assert!((1..=60).contains(&wait), "{wait}");
    let (status, body) = read_json(response).await;
    assert_biller_error(status, &body, 429);
    // Link operations have their own budget.
    let (status, _) = env.biller_get("/link/request-to-link?limit=1").await;
    assert_eq!(status, StatusCode::OK);
    env.stop().await;
}

#[tokio::test]
async fn no_rate_limit_turns_them_all_off() {
    let env = Env::with(|o| {
        o.no_rate_limit = true;
        o.link_ops_per_minute = 1;
    })
    .await;
    for _ in 0..8 {
        env.lm_token("Link-Core").await;
        let (status, _) = env.biller_get("/link/request-to-link?limit=1").await;
        assert_eq!(status, StatusCode::OK);
    }
    env.stop().await;
}
