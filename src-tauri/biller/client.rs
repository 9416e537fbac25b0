//! BillerAPI client over reqwest. Every call carries the client-credential
//! headers; errors in the documented `{statusCode, message, error}` shape are
//! mapped to `AppError`.

use reqwest::{Method, RequestBuilder, Response};
use serde::de::DeserializeOwned;
use serde::Deserialize;
use serde_json::json;
use url::Url;

use super::types::*;
use crate::error::{AppError, AppResult, ErrorCode};
use crate::http::{self, path_id, ServiceUrl};

const SERVICE: &str = "BillerAPI";

/// Client ID and secret. `Debug` never prints the secret.
#[derive(Clone)]
pub struct BillerCredentials {
    pub client_id: String,
    pub client_secret: String,
}

impl std::fmt::Debug for BillerCredentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BillerCredentials")
            .field("client_id", &self.client_id)
            .field("client_secret", &"<redacted>")
            .finish()
    }
}

#[derive(Clone, Debug)]
pub struct BillerClient {
    http: reqwest::Client,
    base: ServiceUrl,
    creds: BillerCredentials,
}

/// What an RTL's ID is called in messages.
const RTL_ID: &str = "request-to-link ID";

#[derive(Deserialize)]
struct ErrorBody {
    message: Option<serde_json::Value>,
    error: Option<String>,
}

impl BillerClient {
    pub fn new(http: reqwest::Client, base_url: &str, creds: BillerCredentials) -> AppResult<Self> {
        Ok(Self {
            http,
            base: ServiceUrl::parse(base_url)?,
            creds,
        })
    }

    pub fn base_url(&self) -> &str {
        self.base.as_str()
    }

    pub fn client_id(&self) -> &str {
        &self.creds.client_id
    }

    pub async fn list_rtls(&self, filter: &RtlFilter, page: u32, limit: u32) -> AppResult<RtlPage> {
        validate_paging(page, limit)?;
        let mut query: Vec<(&str, String)> =
            vec![("page", page.to_string()), ("limit", limit.to_string())];
        let non_empty =
            |v: &Option<String>| v.as_deref().filter(|s| !s.is_empty()).map(str::to_string);
        if let Some(v) = non_empty(&filter.search) {
            query.push(("search", v));
        }
        if let Some(v) = non_empty(&filter.status) {
            query.push(("status", v));
        }
        if let Some(v) = non_empty(&filter.client_user_id) {
            query.push(("clientUserId", v));
        }
        if let Some(v) = non_empty(&filter.biller_id) {
            query.push(("billerId", v));
        }
        let url = self.base.endpoint(&["link", "request-to-link"])?;
        let answer: RtlPage = self
            .read(|| self.request(Method::GET, &url).query(&query))
            .await?;
        // A page holds at most what was asked for: anything more is a broken
        // or hostile server, never rendered.
        if answer.items.len() > limit as usize {
            return Err(AppError::new(
                crate::error::ErrorCode::BadResponse,
                format!(
                    "{SERVICE} answered a page of {limit} with {} records; Linkdesk does not show it",
                    answer.items.len()
                ),
            ));
        }
        Ok(answer)
    }

    pub async fn get_rtl(&self, id: &str) -> AppResult<RequestToLink> {
        let id = path_id(RTL_ID, id)?;
        let url = self.base.endpoint(&["link", "request-to-link", id])?;
        self.read(|| self.request(Method::GET, &url)).await
    }

    pub async fn list_billers(&self) -> AppResult<Vec<Biller>> {
        // The documents show `/billers` without its answer's shape: accept a bare
        // array or an object holding one under a common key.
        let url = self.base.endpoint(&["billers"])?;
        let value: serde_json::Value = self.read(|| self.request(Method::GET, &url)).await?;
        let list = match value {
            serde_json::Value::Array(_) => value,
            serde_json::Value::Object(mut map) => ["billers", "items", "data"]
                .iter()
                .find_map(|k| map.remove(*k))
                .unwrap_or(serde_json::Value::Null),
            _ => serde_json::Value::Null,
        };
        serde_json::from_value(list).map_err(|e| {
            AppError::new(
                crate::error::ErrorCode::BadResponse,
                format!("{SERVICE} sent a biller list Linkdesk could not read: {e}"),
            )
        })
    }

    pub async fn create_rtl(&self, new: &NewRtl) -> AppResult<RequestToLink> {
        validate_new_rtl(new)?;
        let mut body = serde_json::to_value(new).map_err(|e| AppError::internal(e.to_string()))?;
        body["clientId"] = json!(self.creds.client_id);
        let url = self.base.endpoint(&["link", "request-to-link", "create"])?;
        self.write(self.request(Method::POST, &url).json(&body))
            .await
    }

    pub async fn set_status(&self, id: &str, status: &RtlStatus) -> AppResult<RequestToLink> {
        if matches!(status, RtlStatus::Other(_) | RtlStatus::Expired) {
            return Err(AppError::invalid(format!(
                "{status} cannot be set by a client"
            )));
        }
        let id = path_id(RTL_ID, id)?;
        let url = self
            .base
            .endpoint(&["link", "request-to-link", id, "status"])?;
        self.write(
            self.request(Method::PATCH, &url)
                .json(&json!({ "status": status })),
        )
        .await
    }

    pub async fn cancel(&self, id: &str, reason: Option<&str>) -> AppResult<RequestToLink> {
        let id = path_id(RTL_ID, id)?;
        let url = self
            .base
            .endpoint(&["link", "request-to-link", id, "cancel"])?;
        let body = match reason.map(str::trim).filter(|r| !r.is_empty()) {
            Some(r) => json!({ "reason": r }),
            None => json!({}),
        };
        self.write(self.request(Method::POST, &url).json(&body))
            .await
    }

    pub async fn proceed(&self, id: &str) -> AppResult<ProceedResult> {
        let id = path_id(RTL_ID, id)?;
        let url = self
            .base
            .endpoint(&["link", "request-to-link", id, "proceed"])?;
        self.write(self.request(Method::POST, &url)).await
    }

    /// Every request goes to a URL made by `ServiceUrl::endpoint`.
    fn request(&self, method: Method, url: &Url) -> RequestBuilder {
        self.http
            .request(method, url.clone())
            .header("X-Client-ID", &self.creds.client_id)
            .header("X-Client-Secret", &self.creds.client_secret)
            .header("Accept", "application/json")
    }

    /// A read is retried on a refused connection or a 5xx with a short backoff
    /// (`http::worth_retrying`); a timeout, or a 429 with its Retry-After, is
    /// returned at once.
    async fn read<T: DeserializeOwned>(&self, build: impl Fn() -> RequestBuilder) -> AppResult<T> {
        let mut attempt = 0;
        loop {
            let result = match build().send().await {
                Ok(resp) => Self::decode(resp).await,
                Err(e) => Err(http::transport_error(SERVICE, &e)),
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

    /// Writes are sent once: BillerAPI documents no idempotency key, so a retry
    /// could act twice. The caller re-reads the record to learn the outcome.
    /// No connection means nothing was sent: that is said plainly, and is not
    /// an "unknown outcome".
    async fn write<T: DeserializeOwned>(&self, req: RequestBuilder) -> AppResult<T> {
        match req.send().await {
            Ok(resp) => Self::decode(resp).await,
            Err(e) if e.is_connect() || e.is_builder() => Err(AppError::new(
                ErrorCode::OfflineWrite,
                format!(
                    "{} Nothing was sent: the record is unchanged.",
                    http::transport_error(SERVICE, &e).message
                ),
            )),
            Err(e) => Err(http::transport_error(SERVICE, &e)),
        }
    }

    async fn decode<T: DeserializeOwned>(resp: Response) -> AppResult<T> {
        let status = resp.status();
        if status.is_success() {
            return http::read_json(SERVICE, resp).await;
        }
        let retry_after = http::retry_after_secs(&resp);
        let body = http::read_error_body(SERVICE, resp).await;
        let message = serde_json::from_slice::<ErrorBody>(&body)
            .ok()
            .and_then(|b| {
                match b.message {
                    Some(serde_json::Value::String(s)) => Some(s),
                    // NestJS-style validation errors carry a list of messages.
                    Some(serde_json::Value::Array(a)) => Some(
                        a.iter()
                            .filter_map(|v| v.as_str())
                            .collect::<Vec<_>>()
                            .join("; "),
                    ),
                    _ => b.error,
                }
            });
        Err(http::status_error(
            SERVICE,
            status,
            message.map(truncate),
            retry_after,
        ))
    }
}

fn truncate(s: String) -> String {
    const MAX: usize = 300;
    if s.chars().count() <= MAX {
        s
    } else {
        s.chars().take(MAX).collect::<String>() + "…"
    }
}

pub(crate) fn validate_paging(page: u32, limit: u32) -> AppResult<()> {
    if page == 0 {
        return Err(AppError::invalid("Pages are numbered from 1"));
    }
    if limit == 0 || limit > MAX_LIMIT {
        return Err(AppError::invalid(format!(
            "The page size must be between 1 and {MAX_LIMIT}"
        )));
    }
    Ok(())
}

fn validate_new_rtl(new: &NewRtl) -> AppResult<()> {
    if new.client_user_id.trim().is_empty() {
        return Err(AppError::invalid("A client user ID is required"));
    }
    if let Some(m) = &new.metadata {
        if !m.is_object() {
            return Err(AppError::invalid("Metadata must be a JSON object"));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paging_is_validated_before_sending() {
        assert!(validate_paging(1, 20).is_ok());
        assert!(validate_paging(0, 20).is_err());
        assert!(validate_paging(1, 101).is_err());
        assert!(validate_paging(1, 0).is_err());
    }

    fn client() -> BillerClient {
        let creds = BillerCredentials {
            client_id: "id".into(),
            client_secret: "secret".into(),
        };
        // Nothing listens on port 1: a request that went out would be `offline`.
        BillerClient::new(reqwest::Client::new(), "http://127.0.0.1:1/p", creds).unwrap()
    }

    #[tokio::test]
    async fn dot_and_empty_ids_are_refused_before_any_request() {
        let c = client();
        for bad in ["", " ", ".", "..", " .. "] {
            let codes = [
                c.get_rtl(bad).await.unwrap_err().code,
                c.set_status(bad, &RtlStatus::Cancelled)
                    .await
                    .unwrap_err()
                    .code,
                c.cancel(bad, None).await.unwrap_err().code,
                c.proceed(bad).await.unwrap_err().code,
            ];
            assert!(
                codes
                    .iter()
                    .all(|c| *c == crate::error::ErrorCode::InvalidInput),
                "{bad:?}: {codes:?}"
            );
        }
    }

    #[test]
    fn metadata_must_be_an_object() {
        let bad = NewRtl {
            client_user_id: "u".into(),
            biller_id: None,
            metadata: Some(json!([1])),
        };
        assert!(validate_new_rtl(&bad).is_err());
        let blank = NewRtl {
            client_user_id: " ".into(),
            biller_id: None,
            metadata: None,
        };
        assert!(validate_new_rtl(&blank).is_err());
    }

    #[test]
    fn credentials_debug_hides_the_secret() {
        let c = BillerCredentials {
            client_id: "id".into(),
            client_secret: "s3cr3t".into(),
        };
        assert!(!format!("{c:?}").contains("s3cr3t"));
    }
}
