use std::time::Duration;

use reqwest::{Method, StatusCode};
use serde_json::json;

use crate::common::{assert_lm_error, json as read_json, Env};

async fn token_request(env: &Env, fields: &[(&str, &str)]) -> (StatusCode, serde_json::Value) {
    read_json(
        env.http
            .post(env.at("/v1/tokens"))
            .form(fields)
            .send()
            .await
            .unwrap(),
    )
    .await
}

#[tokio::test]
async fn tokens_for_both_scopes_and_their_errors() {
    let env = Env::start().await;
    for scope in ["Link-Core", "Link-Payment"] {
        let (status, body) = token_request(
            &env,
            &[
                ("client_id", "lm_sandbox_client"),
                ("client_secret", "lm_sandbox_secret"),
                ("scope", scope),
                ("grant_type", "client_credentials"),
            ],
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{body}");
        assert_eq!(body["token_type"], "Bearer");
        assert_eq!(body["expires_in"], 3600);
        assert_eq!(body["scope"], scope);
        assert!(body["access_token"].as_str().unwrap().len() >= 20);
    }
    let base = [
        ("client_id", "lm_sandbox_client"),
        ("client_secret", "lm_sandbox_secret"),
        ("scope", "Link-Core"),
        ("grant_type", "client_credentials"),
    ];
    let with = |name: &str, value: &'static str| {
        base.iter()
            .map(|&(k, v)| if k == name { (k, value) } else { (k, v) })
            .collect::<Vec<_>>()
    };
    let (status, body) = token_request(&env, &with("client_secret", "wrong")).await;
    assert_lm_error(status, &body, 401, "UNAUTHORIZED");
    let (status, body) = token_request(&env, &with("client_id", "someone")).await;
    assert_lm_error(status, &body, 401, "UNAUTHORIZED");
    let (status, body) = token_request(&env, &with("scope", "Link-Everything")).await;
    assert_lm_error(status, &body, 400, "VALIDATION_ERROR");
    assert!(body["errorMessage"].as_str().unwrap().contains("scope"));
    let (status, body) = token_request(&env, &with("grant_type", "password")).await;
    assert_lm_error(status, &body, 400, "VALIDATION_ERROR");
    env.stop().await;
}

#[tokio::test]
async fn bearer_tokens_are_required_and_scoped() {
    let env = Env::start().await;
    let fixtures = env.fixtures().await;
    let customer = fixtures["customers"][0]["id"].as_str().unwrap();
    let path = format!("/v1/customers/{customer}");

    let (status, body) = read_json(env.http.get(env.at(&path)).send().await.unwrap()).await;
    assert_lm_error(status, &body, 401, "UNAUTHORIZED");
    let (status, body) = env.lm_get("not-a-token", &path).await;
    assert_lm_error(status, &body, 401, "UNAUTHORIZED");
    let response = env
        .http
        .get(env.at(&path))
        .header("Authorization", "Basic abc")
        .send()
        .await
        .unwrap();
    let (status, body) = read_json(response).await;
    assert_lm_error(status, &body, 401, "UNAUTHORIZED");

    let core = env.lm_token("Link-Core").await;
    let payment = env.lm_token("Link-Payment").await;
    let (status, _) = env.lm_get(&core, &path).await;
    assert_eq!(status, StatusCode::OK);
    let (status, body) = env.lm_get(&payment, &path).await;
    assert_lm_error(status, &body, 403, "INSUFFICIENT_SCOPE");
    let (status, body) = env
        .lm_send(Method::POST, &core, "/v1/payments", json!({}))
        .await;
    assert_lm_error(status, &body, 403, "INSUFFICIENT_SCOPE");
    let (status, body) = env
        .lm_send(Method::POST, &payment, "/v1/sessions", json!({}))
        .await;
    assert_lm_error(status, &body, 403, "INSUFFICIENT_SCOPE");
    let (status, body) = env
        .lm_send(Method::POST, &payment, "/v1/webhook/subscribe", json!({}))
        .await;
    assert_lm_error(status, &body, 403, "INSUFFICIENT_SCOPE");
    env.stop().await;
}

#[tokio::test]
async fn tokens_expire_after_token_ttl() {
    let env = Env::with(|o| o.token_ttl = 1).await;
    let fixtures = env.fixtures().await;
    let path = format!(
        "/v1/customers/{}",
        fixtures["customers"][0]["id"].as_str().unwrap()
    );
    let token = env.lm_token("Link-Core").await;
    let (status, _) = env.lm_get(&token, &path).await;
    assert_eq!(status, StatusCode::OK);
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let (status, body) = env.lm_get(&token, &path).await;
    assert_lm_error(status, &body, 401, "UNAUTHORIZED");
    // A new token works again.
    let token = env.lm_token("Link-Core").await;
    let (status, _) = env.lm_get(&token, &path).await;
    assert_eq!(status, StatusCode::OK);
    env.stop().await;
}
