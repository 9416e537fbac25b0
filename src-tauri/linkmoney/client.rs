//! Link Money client over reqwest: every call carries a bearer token of the
//! right scope from the `TokenManager`; a 401 drops that token and the call is
//! made once more with a new one. Reads are retried when the service is
//! unreachable; payments and refunds are in `payments.rs`, webhooks in
//! `webhooks.rs`.

use std::sync::Arc;

use reqwest::{Method, RequestBuilder, Response, StatusCode};
use serde::de::DeserializeOwned;
use url::Url;

use super::errors::{self, SERVICE};
use super::tokens::{Scope, TokenManager};
use super::types::*;
use crate::error::{AppError, AppResult, ErrorCode};
use crate::http::{self, path_id, ServiceUrl};

#[derive(Debug, Clone)]
pub struct LinkMoneyClient {
    pub(super) http: reqwest::Client,
    pub(super) base: ServiceUrl,
    pub(super) merchant_id: String,
    pub(super) tokens: Arc<TokenManager>,
}

/// Why an authenticated request got no answer: no token could be had (so
/// nothing was sent), or the request itself failed in transport.
pub(super) enum SendError {
    Token(AppError),
    Transport(reqwest::Error),
}

impl SendError {
    pub(super) fn into_app_error(self) -> AppError {
        match self {
            SendError::Token(e) => e,
            SendError::Transport(e) => http::transport_error(SERVICE, &e),
        }
    }
}

impl LinkMoneyClient {
    pub fn new(
        http: reqwest::Client,
        base_url: &str,
        merchant_id: &str,
        tokens: Arc<TokenManager>,
    ) -> AppResult<Self> {
        let base = ServiceUrl::parse(base_url)?;
        let merchant_id = merchant_id.trim();
        if merchant_id.is_empty() {
            return Err(AppError::invalid("A Link Money merchant ID is required"));
        }
        Ok(Self {
            http,
            base,
            merchant_id: merchant_id.to_string(),
            tokens,
        })
    }

    pub fn base_url(&self) -> &str {
        self.base.as_str()
    }

    pub fn merchant_id(&self) -> &str {
        &self.merchant_id
    }

    pub fn tokens(&self) -> &Arc<TokenManager> {
        &self.tokens
    }

    /// Proves the base URL and the client credentials work right now by
    /// fetching a new Link-Core token; the error says exactly what failed
    /// (unreachable, TLS, 401 …).
    pub async fn test_connection(&self) -> AppResult<()> {
        self.tokens.refresh(Scope::Core).await.map(|_| ())
    }

    pub async fn get_customer(&self, customer_id: &str) -> AppResult<Fetched<Customer>> {
        let id = path_id("customer ID", customer_id)?;
        self.read(&["v1", "customers", id]).await
    }

    pub async fn get_accounts(&self, customer_id: &str) -> AppResult<Fetched<CustomerAccounts>> {
        let id = path_id("customer ID", customer_id)?;
        self.read(&["v1", "customers", id, "accounts"]).await
    }

    pub async fn get_verified_accounts(
        &self,
        customer_id: &str,
    ) -> AppResult<Fetched<VerifiedAccounts>> {
        let id = path_id("customer ID", customer_id)?;
        self.read(&["v1", "customers", id, "account-verifications", "accounts"])
            .await
    }

    pub async fn get_transaction(&self, transaction_id: &str) -> AppResult<Fetched<Transaction>> {
        let id = path_id("transaction ID", transaction_id)?;
        self.read(&["v1", "transactions", id]).await
    }

    pub async fn get_payout(&self, payout_id: &str) -> AppResult<Fetched<Payout>> {
        let id = path_id("payout ID", payout_id)?;
        self.read(&["v1", "payouts", id]).await
    }

    /// A session key for linking a customer's bank account (POST /v1/sessions).
    /// Sent once: a retry would create a second session.
    pub async fn create_session(&self, request: &SessionRequest) -> AppResult<SessionKey> {
        for (name, value) in [
            ("email", &request.email),
            ("first name", &request.first_name),
            ("last name", &request.last_name),
            ("phone number", &request.phone_number),
        ] {
            if value.trim().is_empty() {
                return Err(AppError::invalid(format!(
                    "The customer's {name} is required"
                )));
            }
        }
        if let Some(p) = request.product.as_deref() {
            if !matches!(p, "PAY" | "VERIFY") {
                return Err(AppError::invalid("The product must be PAY or VERIFY"));
            }
        }
        let url = self.base.endpoint(&["v1", "sessions"])?;
        let resp = self
            .send_authed(Scope::Core, |t| {
                self.request(Method::POST, &url, t).json(request)
            })
            .await
            .map_err(SendError::into_app_error)?;
        decode(resp).await.map(|f: Fetched<SessionKey>| f.value)
    }

    /// Every request goes to a URL made by `ServiceUrl::endpoint`.
    pub(super) fn request(&self, method: Method, url: &Url, token: &str) -> RequestBuilder {
        self.http
            .request(method, url.clone())
            .bearer_auth(token)
            .header(reqwest::header::ACCEPT, "application/json")
    }

    /// Sends with a token of `scope`. A 401 means the token was revoked or
    /// expired early and nothing was done, so it is dropped and the request
    /// is sent once more with a new one.
    pub(super) async fn send_authed(
        &self,
        scope: Scope,
        build: impl Fn(&str) -> RequestBuilder,
    ) -> Result<Response, SendError> {
        let token = self.tokens.token(scope).await.map_err(SendError::Token)?;
        let resp = build(&token).send().await.map_err(SendError::Transport)?;
        if resp.status() != StatusCode::UNAUTHORIZED {
            return Ok(resp);
        }
        drop(resp);
        tracing::debug!(
            scope = scope.wire_name(),
            "Link Money refused a token; fetching a new one"
        );
        self.tokens.invalidate(scope, &token);
        let token = self.tokens.token(scope).await.map_err(SendError::Token)?;
        build(&token).send().await.map_err(SendError::Transport)
    }

    /// A Link-Core read, retried with backoff on a refused connection or a 5xx
    /// (`http::worth_retrying`); a timeout, or a 429 with its Retry-After, is
    /// returned at once.
    async fn read<T: DeserializeOwned>(&self, segments: &[&str]) -> AppResult<Fetched<T>> {
        let url = self.base.endpoint(segments)?;
        let mut attempt = 0;
        loop {
            let result = match self
                .send_authed(Scope::Core, |t| self.request(Method::GET, &url, t))
                .await
            {
                Ok(resp) => decode(resp).await,
                Err(e) => Err(e.into_app_error()),
            };
            match result {
                Err(e) if http::worth_retrying(&e) && attempt + 1 < http::READ_ATTEMPTS => {
                    tokio::time::sleep(http::backoff(attempt)).await;
                    attempt += 1;
                }
                other => return other,
            }
        }
    }
}

/// A success answer as the typed value plus the JSON as sent; an error
/// answer mapped to `AppError`.
pub(super) async fn decode<T: DeserializeOwned>(resp: Response) -> AppResult<Fetched<T>> {
    if !resp.status().is_success() {
        return Err(errors::from_response(resp).await.error);
    }
    let raw: serde_json::Value = http::read_json(SERVICE, resp).await?;
    let value = serde_json::from_value(raw.clone()).map_err(|e| {
        AppError::new(
            ErrorCode::BadResponse,
            format!("{SERVICE} sent an answer Linkdesk could not read: {e}"),
        )
    })?;
    Ok(Fetched { value, raw })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::secrets::SecretString;

    fn client() -> LinkMoneyClient {
        let http = reqwest::Client::new();
        let tokens = TokenManager::new(
            http.clone(),
            "http://127.0.0.1:1",
            "c",
            SecretString::new("s"),
        )
        .unwrap();
        LinkMoneyClient::new(http, "http://127.0.0.1:1/", "merchant", Arc::new(tokens)).unwrap()
    }

    #[test]
    fn construction_checks_url_and_merchant() {
        let http = reqwest::Client::new();
        let tokens = Arc::new(
            TokenManager::new(http.clone(), "http://h", "c", SecretString::new("s")).unwrap(),
        );
        assert!(LinkMoneyClient::new(http.clone(), "ftp://h", "m", tokens.clone()).is_err());
        assert!(LinkMoneyClient::new(http, "http://h", "  ", tokens).is_err());
        assert_eq!(client().base_url(), "http://127.0.0.1:1");
    }

    #[tokio::test]
    async fn bad_ids_are_refused_before_any_request() {
        let c = client();
        for bad in ["", " ", ".", "..", " .. "] {
            assert_eq!(
                c.get_customer(bad).await.unwrap_err().code,
                ErrorCode::InvalidInput
            );
            assert_eq!(
                c.get_transaction(bad).await.unwrap_err().code,
                ErrorCode::InvalidInput
            );
            assert_eq!(
                c.get_payout(bad).await.unwrap_err().code,
                ErrorCode::InvalidInput
            );
        }
        assert_eq!(c.tokens().fetch_count(), 0);
    }

    #[tokio::test]
    async fn incomplete_session_requests_are_refused() {
        let req = SessionRequest {
            email: "a@b.test".into(),
            first_name: "A".into(),
            last_name: " ".into(),
            phone_number: "1".into(),
            product: None,
        };
        let err = client().create_session(&req).await.unwrap_err();
        assert_eq!(err.code, ErrorCode::InvalidInput);
    }
}
