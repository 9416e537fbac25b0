use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

use crate::common::{assert_biller_error, Env};

async fn create(env: &Env, body: Value) -> (StatusCode, Value) {
    env.biller_send(Method::POST, "/link/request-to-link/create", body)
        .await
}

async fn new_rtl(env: &Env) -> String {
    let (status, body) = create(
        env,
        json!({"clientId": "client_sandbox", "clientUserId": "user_lifecycle", "metadata": {"source": "test"}}),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    body["id"].as_str().unwrap().to_string()
}

async fn patch(env: &Env, id: &str, body: Value) -> (StatusCode, Value) {
    env.biller_send(
        Method::PATCH,
        &format!("/link/request-to-link/{id}/status"),
        body,
    )
    .await
}

async fn first_with_status(env: &Env, status: &str) -> String {
    let (_, body) = env
        .biller_get(&format!("/link/request-to-link?status={status}&limit=1"))
        .await;
    body["items"][0]["id"].as_str().unwrap().to_string()
}

#[tokio::test]
async fn create_returns_the_full_record_and_lists_it_first() {
    let env = Env::start().await;
    let (status, body) = create(
        &env,
        json!({
            "clientId": "client_sandbox",
            "clientUserId": "user_456",
            "billerId": "test_electric_company",
            "metadata": {"source": "onboarding", "note": "<b>bold</b> ñ"}
        }),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED);
    assert_eq!(body.as_object().unwrap().len(), 10);
    assert_eq!(body["client_id"], "client_sandbox");
    assert_eq!(body["client_user_id"], "user_456");
    assert_eq!(body["biller_id"], "test_electric_company");
    assert_eq!(body["status"], "PENDING");
    assert_eq!(body["link_token_id"], Value::Null);
    assert_eq!(body["session_url"], Value::Null);
    assert_eq!(
        body["metadata"],
        json!({"source": "onboarding", "note": "<b>bold</b> ñ"})
    );
    assert_eq!(body["created_at"], body["updated_at"]);
    let id = body["id"].as_str().unwrap();
    let (_, fetched) = env.biller_get(&format!("/link/request-to-link/{id}")).await;
    assert_eq!(fetched, body);
    // Created now, after the demo data's anchor day: first in the list.
    let (_, list) = env.biller_get("/link/request-to-link?limit=1").await;
    assert_eq!(list["items"][0], body);
    assert_eq!(list["total"], 401);
    let (_, by_user) = env
        .biller_get("/link/request-to-link?clientUserId=user_456")
        .await;
    assert_eq!(by_user["items"][0]["id"], body["id"]);
    env.stop().await;
}

#[tokio::test]
async fn create_validates_its_body() {
    let env = Env::start().await;
    let cases = [
        (json!({"clientUserId": "u"}), 400),
        (json!({"clientId": "client_sandbox"}), 400),
        (
            json!({"clientId": "client_sandbox", "clientUserId": ""}),
            400,
        ),
        (
            json!({"clientId": "client_sandbox", "clientUserId": 42}),
            400,
        ),
        (
            json!({"clientId": "client_sandbox", "clientUserId": "u", "billerId": "nope"}),
            400,
        ),
        (
            json!({"clientId": "client_sandbox", "clientUserId": "u", "metadata": [1]}),
            400,
        ),
        (
            json!({"clientId": "client_other", "clientUserId": "u"}),
            403,
        ),
    ];
    for (body, expected) in cases {
        let (status, answer) = create(&env, body.clone()).await;
        assert_biller_error(status, &answer, expected);
    }
    let response = env
        .biller(Method::POST, "/link/request-to-link/create")
        .header("Content-Type", "application/json")
        .body("{not json")
        .send()
        .await
        .unwrap();
    let (status, answer) = crate::common::json(response).await;
    assert_biller_error(status, &answer, 400);
    let (_, list) = env.biller_get("/link/request-to-link?limit=1").await;
    assert_eq!(list["total"], 400, "nothing was created");
    env.stop().await;
}

#[tokio::test]
async fn status_transitions_follow_the_lifecycle() {
    let env = Env::start().await;
    let id = new_rtl(&env).await;
    let (status, body) = patch(
        &env,
        &id,
        json!({"status": "IN_PROGRESS", "billerId": "metro_fiber", "linkTokenId": "lt_token123"}),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["status"], "IN_PROGRESS");
    assert_eq!(body["biller_id"], "metro_fiber");
    assert_eq!(body["link_token_id"], "lt_token123");
    assert!(body["updated_at"].as_str() >= body["created_at"].as_str());
    let (_, by_biller) = env
        .biller_get("/link/request-to-link?billerId=metro_fiber&status=IN_PROGRESS&clientUserId=user_lifecycle")
        .await;
    assert_eq!(by_biller["total"], 1);

    for (to, expected) in [
        ("PENDING", 200),
        ("PENDING", 409),
        ("COMPLETED", 409),
        ("IN_PROGRESS", 200),
        ("COMPLETED", 200),
    ] {
        let (status, body) = patch(&env, &id, json!({"status": to})).await;
        assert_eq!(status.as_u16(), expected, "{to}: {body}");
        if expected == 409 {
            assert_biller_error(status, &body, 409);
        }
    }
    // Nothing leaves COMPLETED.
    for to in ["PENDING", "IN_PROGRESS", "CANCELLED", "COMPLETED"] {
        let (status, body) = patch(&env, &id, json!({"status": to})).await;
        assert_biller_error(status, &body, 409);
    }
    for body in [
        json!({"status": "EXPIRED"}),
        json!({"status": "DONE"}),
        json!({}),
        json!({"status": "PENDING", "billerId": "nope"}),
    ] {
        let (status, answer) = patch(&env, &id, body).await;
        assert_biller_error(status, &answer, 400);
    }
    let (status, body) = patch(&env, "rtl_000000000000", json!({"status": "PENDING"})).await;
    assert_biller_error(status, &body, 404);

    for final_status in ["CANCELLED", "EXPIRED"] {
        let seeded = first_with_status(&env, final_status).await;
        for to in ["PENDING", "IN_PROGRESS", "COMPLETED", "CANCELLED"] {
            let (status, body) = patch(&env, &seeded, json!({"status": to})).await;
            assert_biller_error(status, &body, 409);
        }
    }
    env.stop().await;
}

#[tokio::test]
async fn cancel_keeps_the_reason_and_only_works_on_open_requests() {
    let env = Env::start().await;
    let id = new_rtl(&env).await;
    let path = format!("/link/request-to-link/{id}/cancel");
    let (status, body) = env
        .biller_send(
            Method::POST,
            &path,
            json!({"reason": "User changed their mind"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["status"], "CANCELLED");
    assert_eq!(
        body["metadata"],
        json!({"source": "test", "cancellation_reason": "User changed their mind"})
    );
    let (status, body) = env.biller_send(Method::POST, &path, json!({})).await;
    assert_biller_error(status, &body, 409);

    // No body at all, from IN_PROGRESS.
    let id = new_rtl(&env).await;
    patch(&env, &id, json!({"status": "IN_PROGRESS"})).await;
    let response = env
        .biller(Method::POST, &format!("/link/request-to-link/{id}/cancel"))
        .send()
        .await
        .unwrap();
    let (status, body) = crate::common::json(response).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["status"], "CANCELLED");
    assert_eq!(body["metadata"], json!({"source": "test"}));

    for final_status in ["COMPLETED", "EXPIRED"] {
        let seeded = first_with_status(&env, final_status).await;
        let (status, body) = env
            .biller_send(
                Method::POST,
                &format!("/link/request-to-link/{seeded}/cancel"),
                json!({}),
            )
            .await;
        assert_biller_error(status, &body, 409);
    }
    let (status, body) = env
        .biller_send(
            Method::POST,
            "/link/request-to-link/rtl_000000000000/cancel",
            json!({}),
        )
        .await;
    assert_biller_error(status, &body, 404);
    env.stop().await;
}

#[tokio::test]
async fn proceed_starts_a_link_session() {
    let env = Env::start().await;
    let id = new_rtl(&env).await;
    let (status, body) = env
        .biller_send(
            Method::POST,
            &format!("/link/request-to-link/{id}/proceed"),
            json!({}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let token = body["link_token"].as_str().unwrap();
    assert_eq!(
        body["session_url"],
        format!("{}/link/session/{token}", env.url)
    );
    assert!(body["expires_at"].as_str().unwrap().ends_with('Z'));
    let (_, record) = env.biller_get(&format!("/link/request-to-link/{id}")).await;
    assert_eq!(record["status"], "IN_PROGRESS");
    assert_eq!(record["link_token_id"], token);
    assert_eq!(record["session_url"], body["session_url"]);
    // IN_PROGRESS may proceed again, for a fresh token.
    let (status, again) = env
        .biller_send(
            Method::POST,
            &format!("/link/request-to-link/{id}/proceed"),
            json!({}),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_ne!(again["link_token"], body["link_token"]);

    for final_status in ["COMPLETED", "CANCELLED", "EXPIRED"] {
        let seeded = first_with_status(&env, final_status).await;
        let (status, body) = env
            .biller_send(
                Method::POST,
                &format!("/link/request-to-link/{seeded}/proceed"),
                json!({}),
            )
            .await;
        assert_biller_error(status, &body, 409);
    }
    let (status, body) = env
        .biller_send(
            Method::POST,
            "/link/request-to-link/rtl_000000000000/proceed",
            json!({}),
        )
        .await;
    assert_biller_error(status, &body, 404);
    env.stop().await;
}
