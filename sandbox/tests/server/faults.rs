use std::time::Duration;

use reqwest::{Method, StatusCode};
use serde_json::json;

use crate::common::{assert_biller_error, assert_lm_error, json as read_json, Env};

#[tokio::test]
async fn fail_rate_one_answers_500_in_each_services_shape_without_doing_the_work() {
    let env = Env::with(|o| o.fail_rate = 1.0).await;
    let (status, body) = env.biller_get("/link/request-to-link").await;
    assert_biller_error(status, &body, 500);
    let (status, body) = env
        .biller_send(
            Method::POST,
            "/link/request-to-link/create",
            json!({"clientId": "client_sandbox", "clientUserId": "user_fault"}),
        )
        .await;
    assert_biller_error(status, &body, 500);
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
    let (status, body) = read_json(response).await;
    assert_lm_error(status, &body, 500, "INTERNAL_SERVER_ERROR");
    let (status, body) = env.lm_get("any", "/v1/customers/x").await;
    assert_lm_error(status, &body, 500, "INTERNAL_SERVER_ERROR");
    // The sandbox's own fixtures stay reachable.
    let fixtures = env.fixtures().await;
    assert_eq!(fixtures["customers"].as_array().unwrap().len(), 40);
    env.stop().await;
}

#[tokio::test]
async fn a_fraction_fails_and_failed_writes_change_nothing() {
    let env = Env::with(|o| o.fail_rate = 0.5).await;
    let mut created = 0;
    let mut failed = 0;
    for n in 0..40 {
        let (status, body) = env
            .biller_send(
                Method::POST,
                "/link/request-to-link/create",
                json!({"clientId": "client_sandbox", "clientUserId": format!("user_fault_{n}")}),
            )
            .await;
        match status {
            StatusCode::CREATED => created += 1,
            _ => {
                assert_biller_error(status, &body, 500);
                failed += 1;
            }
        }
    }
    // Seeded decisions, so this is not flaky: some of each.
    assert!(
        created > 0 && failed > 0,
        "{created} created, {failed} failed"
    );
    let total = loop {
        let (status, body) = env
            .biller_get("/link/request-to-link?search=user_fault_")
            .await;
        if status == StatusCode::OK {
            break body["total"].as_u64().unwrap();
        }
    };
    assert_eq!(total, created);
    env.stop().await;
}

#[tokio::test]
async fn latency_delays_every_answer() {
    let env = Env::with(|o| o.latency_ms = 1500).await;
    let impatient = reqwest::Client::builder()
        .timeout(Duration::from_millis(200))
        .build()
        .unwrap();
    let error = impatient.get(env.at("/billers")).send().await.unwrap_err();
    assert!(error.is_timeout(), "{error}");
    let error = impatient
        .get(env.at("/v1/customers/x"))
        .send()
        .await
        .unwrap_err();
    assert!(error.is_timeout(), "{error}");
    // A patient client gets the answer.
    let (status, _) = env.biller_get("/billers").await;
    assert_eq!(status, StatusCode::OK);
    env.stop().await;
}

#[tokio::test]
async fn drop_after_commit_closes_the_connection_but_keeps_the_effect() {
    let env = Env::with(|o| o.drop_after_commit_rate = 1.0).await;
    let error = env
        .biller(Method::POST, "/link/request-to-link/create")
        .json(&json!({"clientId": "client_sandbox", "clientUserId": "user_dropped"}))
        .send()
        .await
        .unwrap_err();
    assert!(!error.is_timeout() && error.status().is_none(), "{error}");
    // Reads are answered, and the write happened.
    let (status, list) = env
        .biller_get("/link/request-to-link?clientUserId=user_dropped")
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(list["total"], 1);
    let id = list["items"][0]["id"].as_str().unwrap().to_string();

    let error = env
        .biller(Method::PATCH, &format!("/link/request-to-link/{id}/status"))
        .json(&json!({"status": "IN_PROGRESS"}))
        .send()
        .await
        .unwrap_err();
    assert!(error.status().is_none(), "{error}");
    let (_, record) = env.biller_get(&format!("/link/request-to-link/{id}")).await;
    assert_eq!(record["status"], "IN_PROGRESS");

    // Writes that fail are answered: nothing was committed.
    let (status, body) = env
        .biller_send(
            Method::PATCH,
            &format!("/link/request-to-link/{id}/status"),
            json!({"status": "EXPIRED"}),
        )
        .await;
    assert_biller_error(status, &body, 400);

    env.stop().await;
}

#[tokio::test]
async fn dropped_payments_are_recorded_and_a_retry_is_a_duplicate() {
    let env = Env::with(|o| o.drop_after_commit_rate = 1.0).await;
    // Token requests change nothing, so they are always answered.
    let token = env.lm_token("Link-Payment").await;
    let fixtures = env.fixtures().await;
    let before = fixtures["transactions"].as_array().unwrap().len();
    let customer = fixtures["customers"][0]["id"].as_str().unwrap();
    let body = json!({
        "source": {"id": customer, "type": "CUSTOMER"},
        "destination": {"id": "merchant_sandbox", "type": "MERCHANT"},
        "amount": {"currency": "USD", "value": 4.2},
        "requestKey": "dropped-once",
    });
    let error = env
        .http
        .post(env.at("/v1/payments"))
        .bearer_auth(&token)
        .json(&body)
        .send()
        .await
        .unwrap_err();
    assert!(error.status().is_none(), "{error}");
    let after = env.fixtures().await;
    assert_eq!(after["transactions"].as_array().unwrap().len(), before + 1);
    // The client's retry with the same key is refused, and answered.
    let (status, answer) = env
        .lm_send(Method::POST, &token, "/v1/payments", body)
        .await;
    assert_lm_error(status, &answer, 400, "DUPLICATE_REQUEST_KEY");
    assert_eq!(env.fixtures().await, after);
    env.stop().await;
}
