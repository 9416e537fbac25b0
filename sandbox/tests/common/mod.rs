//! Helpers shared by the integration tests: each test starts its own sandbox on
//! 127.0.0.1:0, talks to it over real HTTP, and stops it.
#![allow(dead_code)]

use linkdesk_sandbox::{Options, Sandbox};
use reqwest::{Client, RequestBuilder, Response, StatusCode};
use serde_json::Value;

pub const CLIENT_ID: &str = "client_sandbox";
pub const CLIENT_SECRET: &str = "bb_test_sandbox_secret";
pub const ANCHOR: &str = "2026-04-01";

/// Small, fixed data and no rate limits unless a test says otherwise.
pub fn options() -> Options {
    Options {
        rtls: 400,
        customers: 40,
        anchor_date: ANCHOR.parse().ok(),
        no_rate_limit: true,
        ..Options::default()
    }
}

pub struct Env {
    pub sandbox: Sandbox,
    pub url: String,
    pub http: Client,
}

impl Env {
    pub async fn start() -> Env {
        Env::with(|_| {}).await
    }

    pub async fn with(configure: impl FnOnce(&mut Options)) -> Env {
        let mut options = options();
        configure(&mut options);
        let sandbox = linkdesk_sandbox::start(options).await.unwrap();
        Env {
            url: sandbox.url(),
            sandbox,
            http: Client::new(),
        }
    }

    pub async fn stop(self) {
        self.sandbox.stop().await;
    }

    pub fn at(&self, path: &str) -> String {
        format!("{}{}", self.url, path)
    }

    /// A BillerAPI request with the sandbox's client credentials.
    pub fn biller(&self, method: reqwest::Method, path: &str) -> RequestBuilder {
        self.http
            .request(method, self.at(path))
            .header("X-Client-ID", CLIENT_ID)
            .header("X-Client-Secret", CLIENT_SECRET)
    }

    pub async fn biller_get(&self, path: &str) -> (StatusCode, Value) {
        json(
            self.biller(reqwest::Method::GET, path)
                .send()
                .await
                .unwrap(),
        )
        .await
    }

    pub async fn biller_send(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Value,
    ) -> (StatusCode, Value) {
        json(self.biller(method, path).json(&body).send().await.unwrap()).await
    }

    /// A Link Money access token of the given scope ("Link-Core" / "Link-Payment").
    pub async fn lm_token(&self, scope: &str) -> String {
        let response = self
            .http
            .post(self.at("/v1/tokens"))
            .form(&[
                ("client_id", "lm_sandbox_client"),
                ("client_secret", "lm_sandbox_secret"),
                ("scope", scope),
                ("grant_type", "client_credentials"),
            ])
            .send()
            .await
            .unwrap();
        let (status, body) = json(response).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        body["access_token"].as_str().unwrap().to_string()
    }

    pub async fn lm_get(&self, token: &str, path: &str) -> (StatusCode, Value) {
        json(
            self.http
                .get(self.at(path))
                .bearer_auth(token)
                .send()
                .await
                .unwrap(),
        )
        .await
    }

    pub async fn lm_send(
        &self,
        method: reqwest::Method,
        token: &str,
        path: &str,
        body: Value,
    ) -> (StatusCode, Value) {
        json(
            self.http
                .request(method, self.at(path))
                .bearer_auth(token)
                .json(&body)
                .send()
                .await
                .unwrap(),
        )
        .await
    }

    pub async fn fixtures(&self) -> Value {
        let (status, body) = json(
            self.http
                .get(self.at("/sandbox/fixtures"))
                .send()
                .await
                .unwrap(),
        )
        .await;
        assert_eq!(status, StatusCode::OK);
        body
    }

    /// Every RTL matching `query`, across pages of 100.
    pub async fn all_rtls(&self, query: &str) -> Vec<Value> {
        let mut all = Vec::new();
        for page in 1.. {
            let (status, body) = self
                .biller_get(&format!(
                    "/link/request-to-link?limit=100&page={page}&{query}"
                ))
                .await;
            assert_eq!(status, StatusCode::OK, "{body}");
            let items = body["items"].as_array().unwrap();
            if items.is_empty() {
                break;
            }
            all.extend(items.iter().cloned());
        }
        all
    }
}

pub async fn json(response: Response) -> (StatusCode, Value) {
    let status = response.status();
    let text = response.text().await.unwrap();
    let value = serde_json::from_str(&text).unwrap_or(Value::String(text));
    (status, value)
}

/// BillerAPI's error shape, with the given status.
pub fn assert_biller_error(status: StatusCode, body: &Value, expected: u16) {
    assert_eq!(status.as_u16(), expected, "{body}");
    assert_eq!(body["statusCode"], expected, "{body}");
    assert!(body["message"].is_string(), "{body}");
    assert_eq!(
        body["error"],
        StatusCode::from_u16(expected)
            .unwrap()
            .canonical_reason()
            .unwrap(),
        "{body}"
    );
    assert_eq!(body.as_object().unwrap().len(), 3, "{body}");
}

/// Link Money's error shape, with the given status and code.
pub fn assert_lm_error(status: StatusCode, body: &Value, expected: u16, code: &str) {
    assert_eq!(status.as_u16(), expected, "{body}");
    assert_eq!(body["errorCode"], code, "{body}");
    assert!(body["errorId"].is_u64(), "{body}");
    assert!(body["errorMessage"].is_string(), "{body}");
    assert_eq!(body["errorSeverity"], "ERROR", "{body}");
}
