use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

use crate::common::{assert_biller_error, json as read_json, Env};

async fn link_token(env: &Env, user: &str, biller: Option<&str>) -> String {
    let mut body =
        json!({"client_id": "client_sandbox", "client_user_id": user, "consents": ["bills"]});
    if let Some(b) = biller {
        body["biller_id"] = json!(b);
    }
    let (status, answer) = env
        .biller_send(Method::POST, "/link/token/create", body)
        .await;
    assert_eq!(status, StatusCode::OK, "{answer}");
    assert_eq!(answer["success"], true);
    assert!(answer["expires_at"].as_str().unwrap().ends_with('Z'));
    answer["link_token"].as_str().unwrap().to_string()
}

/// Submits the session form the way a test drives it: form-encoded, asking for JSON.
async fn submit(env: &Env, token: &str, fields: &[(&str, &str)]) -> (StatusCode, Value) {
    let response = env
        .http
        .post(env.at(&format!("/link/session/{token}")))
        .header("Accept", "application/json")
        .form(fields)
        .send()
        .await
        .unwrap();
    read_json(response).await
}

fn login(account: &str) -> Vec<(&'static str, String)> {
    vec![
        ("username", "sandbox_user".into()),
        ("password", "any password".into()),
        ("account_number", account.to_string()),
    ]
}

async fn submit_account(
    env: &Env,
    token: &str,
    account: &str,
    mfa: Option<&str>,
) -> (StatusCode, Value) {
    let mut fields = login(account);
    if let Some(code) = mfa {
        fields.push(("mfa_code", code.to_string()));
    }
    let fields: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
    submit(env, token, &fields).await
}

async fn exchange(env: &Env, public_token: &str) -> (StatusCode, Value) {
    env.biller_send(
        Method::POST,
        "/link/token/exchange",
        json!({"client_id": "client_sandbox", "public_token": public_token}),
    )
    .await
}

#[tokio::test]
async fn link_token_create_validates() {
    let env = Env::start().await;
    for (body, expected) in [
        (json!({"client_id": "client_sandbox"}), 400),
        (json!({"client_user_id": "u"}), 400),
        (
            json!({"client_id": "client_sandbox", "client_user_id": "u", "biller_id": "nope"}),
            400,
        ),
        (
            json!({"client_id": "client_sandbox", "client_user_id": "u", "consents": ["everything"]}),
            400,
        ),
        (
            json!({"client_id": "someone_else", "client_user_id": "u"}),
            403,
        ),
    ] {
        let (status, answer) = env
            .biller_send(Method::POST, "/link/token/create", body)
            .await;
        assert_biller_error(status, &answer, expected);
    }
    let response = env
        .http
        .post(env.at("/link/token/create"))
        .json(&json!({}))
        .send()
        .await
        .unwrap();
    let (status, answer) = read_json(response).await;
    assert_biller_error(status, &answer, 401);
    env.stop().await;
}

#[tokio::test]
async fn session_page_is_self_contained_html_with_escaped_text() {
    let env = Env::start().await;
    let token = link_token(&env, "<script>alert(1)</script>", None).await;
    let response = env
        .http
        .get(env.at(&format!("/link/session/{token}")))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert!(response.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/html"));
    let html = response.text().await.unwrap();
    assert!(html.contains("&lt;script&gt;alert(1)&lt;/script&gt;"));
    assert!(!html.contains("<script"));
    assert!(
        !html.contains("http://") && !html.contains("https://"),
        "no external assets"
    );
    for field in [
        "username",
        "password",
        "account_number",
        "mfa_code",
        "biller_id",
        "4242424242",
    ] {
        assert!(html.contains(field), "{field}");
    }

    for token in ["lt_unknown", "nothing"] {
        let response = env
            .http
            .get(env.at(&format!("/link/session/{token}")))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::NOT_FOUND);
        assert!(response
            .text()
            .await
            .unwrap()
            .contains("Unknown link token"));
    }
    env.stop().await;
}

#[tokio::test]
async fn magic_account_numbers_behave_as_named() {
    let env = Env::start().await;
    let token = link_token(&env, "user_magic", Some("test_electric_company")).await;
    for (account, mfa, expected) in [
        ("4000000001", None, 401),
        ("4000000002", None, 503),
        ("4000000003", None, 401),
        ("4000000003", Some("000000"), 401),
        ("4000000004", None, 423),
        ("1234567890", None, 400),
    ] {
        let (status, body) = submit_account(&env, &token, account, mfa).await;
        assert_biller_error(status, &body, expected);
    }
    let (status, body) = submit(&env, &token, &[("account_number", "4242424242")]).await;
    assert_biller_error(status, &body, 400);
    // Failures leave the session open; MFA with the right code succeeds.
    let (status, body) = submit_account(&env, &token, "4000000003", Some("123456")).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["scenario"], "mfa_required");
    assert_eq!(body["biller_id"], "test_electric_company");
    assert!(body["public_token"].is_string());
    // The session is complete: its token is spent.
    let (status, body) = submit_account(&env, &token, "4242424242", None).await;
    assert_biller_error(status, &body, 410);
    let response = env
        .http
        .get(env.at(&format!("/link/session/{token}")))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::GONE);

    for (account, scenario) in [
        ("4242424242", "success"),
        ("4000000005", "past_due_bill"),
        ("4000000006", "auto_pay"),
        ("4000000007", "payment_plan"),
        ("4000000008", "three_accounts"),
    ] {
        let token = link_token(&env, "user_magic", None).await;
        let (status, body) = submit_account(&env, &token, account, None).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        assert_eq!(body["scenario"], scenario);
    }
    env.stop().await;
}

#[tokio::test]
async fn proceed_session_exchange_and_bills() {
    let env = Env::start().await;
    let (_, rtl) = env
        .biller_send(
            Method::POST,
            "/link/request-to-link/create",
            json!({"clientId": "client_sandbox", "clientUserId": "user_flow", "billerId": "summit_mobile"}),
        )
        .await;
    let id = rtl["id"].as_str().unwrap();
    let (_, proceed) = env
        .biller_send(
            Method::POST,
            &format!("/link/request-to-link/{id}/proceed"),
            json!({}),
        )
        .await;
    let session_url = proceed["session_url"].as_str().unwrap();
    let token = proceed["link_token"].as_str().unwrap();
    let page = env.http.get(session_url).send().await.unwrap();
    assert_eq!(page.status(), StatusCode::OK);

    let (status, done) = submit_account(&env, token, "4000000008", None).await;
    assert_eq!(status, StatusCode::OK, "{done}");
    assert_eq!(done["request_to_link_id"], id);
    assert_eq!(done["biller_id"], "summit_mobile");
    let (_, record) = env.biller_get(&format!("/link/request-to-link/{id}")).await;
    assert_eq!(record["status"], "COMPLETED");

    let public_token = done["public_token"].as_str().unwrap();
    let (status, exchanged) = exchange(&env, public_token).await;
    assert_eq!(status, StatusCode::OK, "{exchanged}");
    assert_eq!(exchanged["success"], true);
    assert_eq!(exchanged["biller_id"], "summit_mobile");
    let access = exchanged["access_token"].as_str().unwrap();
    let link_id = exchanged["link_id"].as_str().unwrap();
    // Single use.
    let (status, again) = exchange(&env, public_token).await;
    assert_biller_error(status, &again, 400);
    let (status, unknown) = exchange(&env, "public-sandbox-nope").await;
    assert_biller_error(status, &unknown, 400);
    let (status, other) = env
        .biller_send(
            Method::POST,
            "/link/token/exchange",
            json!({"client_id": "someone_else", "public_token": "x"}),
        )
        .await;
    assert_biller_error(status, &other, 403);

    let bills = |link: &str| {
        env.http
            .get(env.at(&format!("/bills/get?account_link_id={link}")))
            .bearer_auth(access)
            .send()
    };
    let (status, body) = read_json(bills(link_id).await.unwrap()).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["account_link_id"], link_id);
    assert_eq!(body["bills"].as_array().unwrap().len(), 3);
    let (status, body) = read_json(bills("link_other").await.unwrap()).await;
    assert_biller_error(status, &body, 404);
    let response = env
        .http
        .get(env.at(&format!("/bills/get?account_link_id={link_id}")))
        .send()
        .await
        .unwrap();
    let (status, body) = read_json(response).await;
    assert_biller_error(status, &body, 401);
    let response = env
        .http
        .get(env.at(&format!("/bills/get?account_link_id={link_id}")))
        .bearer_auth("access-sandbox-nope")
        .send()
        .await
        .unwrap();
    let (status, body) = read_json(response).await;
    assert_biller_error(status, &body, 401);
    env.stop().await;
}

#[tokio::test]
async fn bills_reflect_the_scenario() {
    let env = Env::start().await;
    for (account, check) in [
        ("4000000005", ("status", json!("PAST_DUE"))),
        ("4000000006", ("autopay", json!(true))),
        ("4000000007", ("status", json!("DUE"))),
        ("4242424242", ("status", json!("DUE"))),
    ] {
        let token = link_token(&env, "user_bills", Some("cascade_water")).await;
        let (_, done) = submit_account(&env, &token, account, None).await;
        let (_, exchanged) = exchange(&env, done["public_token"].as_str().unwrap()).await;
        let link_id = exchanged["link_id"].as_str().unwrap();
        let response = env
            .http
            .get(env.at(&format!("/bills/get?account_link_id={link_id}")))
            .bearer_auth(exchanged["access_token"].as_str().unwrap())
            .send()
            .await
            .unwrap();
        let (status, body) = read_json(response).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(body["biller_id"], "cascade_water");
        assert_eq!(body["bills"][0][check.0], check.1, "{account}: {body}");
        if account == "4000000007" {
            assert!(body["bills"][0]["payment_plan"].is_object());
        }
    }
    env.stop().await;
}

#[tokio::test]
async fn html_form_completion_and_cancelled_requests() {
    let env = Env::start().await;
    let token = link_token(&env, "user_html", None).await;
    let response = env
        .http
        .post(env.at(&format!("/link/session/{token}")))
        .form(&[
            ("username", "a"),
            ("password", "b"),
            ("account_number", "4242424242"),
            ("biller_id", "harbor_waste"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let html = response.text().await.unwrap();
    let start = html.find("data-testid=\"public-token\">").unwrap() + 27;
    let public_token = &html[start..start + html[start..].find('<').unwrap()];
    let (status, exchanged) = exchange(&env, public_token).await;
    assert_eq!(status, StatusCode::OK, "{exchanged}");
    assert_eq!(exchanged["biller_id"], "harbor_waste");

    // A failed HTML attempt shows the error and the form again.
    let token = link_token(&env, "user_html", None).await;
    let response = env
        .http
        .post(env.at(&format!("/link/session/{token}")))
        .form(&[
            ("username", "a"),
            ("password", "b"),
            ("account_number", "4000000004"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::LOCKED);
    let html = response.text().await.unwrap();
    assert!(html.contains("locked") && html.contains("<form"));

    // A request cancelled after proceeding can no longer be completed.
    let (_, rtl) = env
        .biller_send(
            Method::POST,
            "/link/request-to-link/create",
            json!({"clientId": "client_sandbox", "clientUserId": "user_cancel"}),
        )
        .await;
    let id = rtl["id"].as_str().unwrap();
    let (_, proceed) = env
        .biller_send(
            Method::POST,
            &format!("/link/request-to-link/{id}/proceed"),
            json!({}),
        )
        .await;
    env.biller_send(
        Method::POST,
        &format!("/link/request-to-link/{id}/cancel"),
        json!({}),
    )
    .await;
    let (status, body) = submit_account(
        &env,
        proceed["link_token"].as_str().unwrap(),
        "4242424242",
        None,
    )
    .await;
    assert_biller_error(status, &body, 409);
    let (_, record) = env.biller_get(&format!("/link/request-to-link/{id}")).await;
    assert_eq!(record["status"], "CANCELLED");
    env.stop().await;
}
