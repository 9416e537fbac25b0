//! Link Money access tokens: client-credentials tokens from `/v1/tokens`, one
//! per scope, held in memory only, cached until shortly before they expire,
//! fetched once however many callers need one at the same moment, and never
//! requested faster than the documented authentication limit allows.

use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::Duration;

use serde::Deserialize;
use tokio::time::Instant;

use super::errors::{self, SERVICE};
use super::fetch_window::FetchLimits;
use crate::error::{AppError, AppResult, ErrorCode};
use crate::http::{self, ServiceUrl};
use crate::secrets::SecretString;

/// Link Money's two token scopes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Scope {
    /// Every read, sessions and webhooks.
    Core,
    /// Payments, refunds, credits and cancellations.
    Payment,
}

impl Scope {
    pub fn wire_name(self) -> &'static str {
        match self {
            Scope::Core => "Link-Core",
            Scope::Payment => "Link-Payment",
        }
    }

    fn index(self) -> usize {
        match self {
            Scope::Core => 0,
            Scope::Payment => 1,
        }
    }
}

impl fmt::Display for Scope {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.wire_name())
    }
}

/// Used when an answer leaves out `expires_in`: short, so a token of unknown
/// lifetime is replaced soon rather than used until it is refused.
const FALLBACK_TTL: Duration = Duration::from_secs(300);

/// Longer lifetimes are cut to this: a day is plenty, and an absurd
/// `expires_in` must not overflow the clock arithmetic.
const MAX_TTL: Duration = Duration::from_secs(24 * 60 * 60);

/// How long before expiry a cached token is replaced: a minute, or a tenth of
/// its lifetime when that is shorter, so a request never leaves with a token
/// about to expire in flight.
pub fn refresh_margin(expires_in: Duration) -> Duration {
    std::cmp::min(Duration::from_secs(60), expires_in / 10)
}

struct CachedToken {
    value: String,
    refresh_at: Instant,
}

#[derive(Default)]
struct ScopeSlot {
    /// Held across a fetch so concurrent callers wait for that one fetch.
    fetch_lock: tokio::sync::Mutex<LastFetch>,
    cached: Mutex<Option<CachedToken>>,
    fetches: AtomicU64,
    /// Completed fetches; written with `fetch_lock` held.
    completed: AtomicU64,
}

/// The outcome of the latest fetch, shared with the callers that waited for it.
#[derive(Default)]
struct LastFetch {
    error: Option<AppError>,
}

pub struct TokenManager {
    http: reqwest::Client,
    base: ServiceUrl,
    client_id: String,
    secret: SecretString,
    limits: FetchLimits,
    window: Mutex<linkdesk_ratelimit::SlidingWindow>,
    slots: [ScopeSlot; 2],
}

impl fmt::Debug for TokenManager {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TokenManager")
            .field("base_url", &self.base.as_str())
            .field("client_id", &self.client_id)
            .field("client_secret", &"<redacted>")
            .field("limits", &self.limits)
            .finish()
    }
}

/// The answer of POST /v1/tokens. No `Debug`: it holds a token.
#[derive(Deserialize)]
struct TokenAnswer {
    access_token: String,
    #[serde(default)]
    expires_in: Option<serde_json::Value>,
}

impl TokenManager {
    pub fn new(
        http: reqwest::Client,
        base_url: &str,
        client_id: &str,
        secret: SecretString,
    ) -> AppResult<Self> {
        let base = ServiceUrl::parse(base_url)?;
        let client_id = client_id.trim();
        if client_id.is_empty() {
            return Err(AppError::invalid("A Link Money client ID is required"));
        }
        if secret.is_empty() {
            return Err(AppError::invalid("A Link Money client secret is required"));
        }
        let limits = FetchLimits::default();
        Ok(Self {
            http,
            base,
            client_id: client_id.to_string(),
            secret,
            limits,
            window: Mutex::new(limits.window()),
            slots: Default::default(),
        })
    }

    /// Replaces the token request limits (tests use a short window or wait).
    pub fn with_limits(mut self, limits: FetchLimits) -> Self {
        self.limits = limits;
        self.window = Mutex::new(limits.window());
        self
    }

    pub fn base_url(&self) -> &str {
        self.base.as_str()
    }

    pub fn client_id(&self) -> &str {
        &self.client_id
    }

    /// A valid token for `scope`, from the cache when it has one.
    pub async fn token(&self, scope: Scope) -> AppResult<String> {
        if let Some(token) = self.cached(scope) {
            return Ok(token);
        }
        let slot = &self.slots[scope.index()];
        let seen = slot.completed.load(Ordering::SeqCst);
        let mut last = slot.fetch_lock.lock().await;
        // Another caller may have fetched while this one waited for the lock:
        // its token, or its failure, answers this caller too, so a failing
        // service gets one request however many callers were waiting.
        if let Some(token) = self.cached(scope) {
            return Ok(token);
        }
        if slot.completed.load(Ordering::SeqCst) != seen {
            if let Some(err) = &last.error {
                return Err(err.clone());
            }
        }
        self.fetch_and_record(scope, &mut last).await
    }

    /// A newly fetched token for `scope`, whatever the cache holds; for
    /// "Test connection", which must prove the URL and credentials work now.
    pub async fn refresh(&self, scope: Scope) -> AppResult<String> {
        let mut last = self.slots[scope.index()].fetch_lock.lock().await;
        self.fetch_and_record(scope, &mut last).await
    }

    async fn fetch_and_record(&self, scope: Scope, last: &mut LastFetch) -> AppResult<String> {
        let result = self.fetch(scope).await;
        last.error = result.as_ref().err().cloned();
        self.slots[scope.index()]
            .completed
            .fetch_add(1, Ordering::SeqCst);
        result
    }

    /// Forgets `token` after the service refused it, unless the cache already
    /// holds a newer one (another caller may have replaced it meanwhile).
    pub fn invalidate(&self, scope: Scope, token: &str) {
        let mut cached = lock(&self.slots[scope.index()].cached);
        if cached.as_ref().is_some_and(|c| c.value == token) {
            tracing::debug!(
                scope = scope.wire_name(),
                "dropping a refused Link Money token"
            );
            *cached = None;
        }
    }

    /// Token requests sent so far, both scopes.
    pub fn fetch_count(&self) -> u64 {
        self.fetch_count_for(Scope::Core) + self.fetch_count_for(Scope::Payment)
    }

    /// Token requests sent so far for one scope.
    pub fn fetch_count_for(&self, scope: Scope) -> u64 {
        self.slots[scope.index()].fetches.load(Ordering::SeqCst)
    }

    /// Puts `token` in the cache as if it had been fetched, valid for
    /// `valid_for`. Only for tests that need a token the service will refuse.
    #[doc(hidden)]
    pub fn set_cached_token_for_tests(&self, scope: Scope, token: &str, valid_for: Duration) {
        *lock(&self.slots[scope.index()].cached) = Some(CachedToken {
            value: token.to_string(),
            refresh_at: Instant::now() + valid_for,
        });
    }

    fn cached(&self, scope: Scope) -> Option<String> {
        let cached = lock(&self.slots[scope.index()].cached);
        cached
            .as_ref()
            .filter(|c| Instant::now() < c.refresh_at)
            .map(|c| c.value.clone())
    }

    /// One request to /v1/tokens. Called with the scope's fetch lock held.
    async fn fetch(&self, scope: Scope) -> AppResult<String> {
        let url = self.base.endpoint(&["v1", "tokens"])?;
        let slot_taken_at = self.acquire_fetch_slot().await?;
        self.slots[scope.index()]
            .fetches
            .fetch_add(1, Ordering::SeqCst);
        tracing::debug!(scope = scope.wire_name(), "requesting a Link Money token");
        let form = [
            ("client_id", self.client_id.as_str()),
            ("client_secret", self.secret.expose()),
            ("scope", scope.wire_name()),
            ("grant_type", "client_credentials"),
        ];
        let sent = self
            .http
            .post(url)
            .header(reqwest::header::ACCEPT, "application/json")
            .form(&form)
            .send()
            .await;
        let resp = match sent {
            Ok(resp) => resp,
            Err(e) => {
                if e.is_connect() {
                    lock(&self.window).release(slot_taken_at.into_std());
                }
                return Err(self.scrub(http::transport_error(SERVICE, &e)));
            }
        };
        if !resp.status().is_success() {
            let err = errors::from_response(resp).await.error;
            return Err(self.scrub(err));
        }
        let answer: TokenAnswer = http::read_json(SERVICE, resp)
            .await
            .map_err(|e| self.scrub(e))?;
        if answer.access_token.trim().is_empty() {
            return Err(AppError::new(
                ErrorCode::BadResponse,
                "Link Money answered the token request without a token",
            ));
        }
        let lifetime = expires_in(answer.expires_in.as_ref())
            .unwrap_or(FALLBACK_TTL)
            .min(MAX_TTL);
        // Counted from when the request left, so the cache never outlives the token.
        let refresh_at = slot_taken_at + lifetime - refresh_margin(lifetime);
        *lock(&self.slots[scope.index()].cached) = Some(CachedToken {
            value: answer.access_token.clone(),
            refresh_at,
        });
        Ok(answer.access_token)
    }

    /// Waits for a free token-request slot, up to `max_wait`; returns when the
    /// slot was taken.
    async fn acquire_fetch_slot(&self) -> AppResult<Instant> {
        let deadline = Instant::now() + self.limits.max_wait;
        loop {
            let now = Instant::now();
            let wait = match lock(&self.window).try_acquire(now.into_std()) {
                Ok(()) => return Ok(now),
                Err(wait) => wait,
            };
            if now + wait > deadline {
                let secs = wait.as_secs() + u64::from(wait.subsec_nanos() > 0);
                let mut err = AppError::new(
                    ErrorCode::RateLimited,
                    format!(
                        "Linkdesk has already asked Link Money for {} access tokens in the last minute, \
                         the most its authentication limit allows.",
                        self.limits.max_fetches
                    ),
                );
                err.retry_after_secs = Some(secs.max(1));
                return Err(err);
            }
            tracing::debug!(
                wait_ms = wait.as_millis() as u64,
                "waiting for a token request slot"
            );
            tokio::time::sleep(wait).await;
        }
    }

    /// Whatever an error says, it never carries the client secret.
    fn scrub(&self, mut err: AppError) -> AppError {
        let secret = self.secret.expose();
        if !secret.is_empty() && err.message.contains(secret) {
            err.message = err.message.replace(secret, "<redacted>");
        }
        err
    }
}

/// `expires_in` as a whole number of seconds, sent as a number or as text.
fn expires_in(value: Option<&serde_json::Value>) -> Option<Duration> {
    let secs = match value? {
        serde_json::Value::Number(n) => n.as_u64(),
        serde_json::Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }?;
    Some(Duration::from_secs(secs))
}

/// A poisoned lock only means another thread panicked mid-update of a token
/// cache; the data is still a valid `Option`, so carry on with it.
fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A manager pointed at a loopback port that nothing listens on.
    fn manager() -> TokenManager {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        TokenManager::new(
            reqwest::Client::new(),
            &format!("http://127.0.0.1:{port}"),
            "client",
            SecretString::new("sekrit-value"),
        )
        .unwrap()
    }

    #[test]
    fn scopes_have_their_documented_names() {
        assert_eq!(Scope::Core.wire_name(), "Link-Core");
        assert_eq!(Scope::Payment.wire_name(), "Link-Payment");
    }

    #[test]
    fn margin_is_a_minute_or_a_tenth_of_the_lifetime() {
        assert_eq!(
            refresh_margin(Duration::from_secs(3600)),
            Duration::from_secs(60)
        );
        assert_eq!(
            refresh_margin(Duration::from_secs(300)),
            Duration::from_secs(30)
        );
        assert_eq!(
            refresh_margin(Duration::from_secs(2)),
            Duration::from_millis(200)
        );
        assert_eq!(refresh_margin(Duration::ZERO), Duration::ZERO);
    }

    #[test]
    fn expires_in_is_read_leniently() {
        assert_eq!(
            expires_in(Some(&serde_json::json!(3600))),
            Some(Duration::from_secs(3600))
        );
        assert_eq!(
            expires_in(Some(&serde_json::json!("60"))),
            Some(Duration::from_secs(60))
        );
        assert_eq!(expires_in(Some(&serde_json::json!(-1))), None);
        assert_eq!(expires_in(None), None);
    }

    #[test]
    fn construction_checks_its_inputs() {
        let http = reqwest::Client::new();
        let s = || SecretString::new("x");
        assert!(TokenManager::new(http.clone(), "not a url", "c", s()).is_err());
        assert!(TokenManager::new(http.clone(), "http://h", " ", s()).is_err());
        assert!(TokenManager::new(http, "http://h", "c", SecretString::new("")).is_err());
    }

    #[test]
    fn debug_never_shows_the_secret() {
        assert!(!format!("{:?}", manager()).contains("sekrit-value"));
    }

    #[tokio::test]
    async fn invalidate_drops_only_the_refused_token() {
        let m = manager();
        m.set_cached_token_for_tests(Scope::Core, "newer", Duration::from_secs(60));
        m.invalidate(Scope::Core, "older");
        assert_eq!(m.token(Scope::Core).await.unwrap(), "newer");
        m.invalidate(Scope::Core, "newer");
        assert!(m.cached(Scope::Core).is_none());
    }

    #[tokio::test]
    async fn scopes_are_cached_separately() {
        let m = manager();
        m.set_cached_token_for_tests(Scope::Payment, "pay", Duration::from_secs(60));
        assert_eq!(m.token(Scope::Payment).await.unwrap(), "pay");
        assert!(m.cached(Scope::Core).is_none());
    }

    #[tokio::test]
    async fn unreachable_fetches_give_their_slot_back() {
        // A closed port refuses connections: nothing reaches a service, so
        // the sixth attempt is not held back by the limit.
        let m = manager();
        for _ in 0..6 {
            let err = m.token(Scope::Core).await.unwrap_err();
            assert_eq!(err.code, ErrorCode::Offline, "{err:?}");
            assert!(!err.message.contains("sekrit-value"));
        }
        assert_eq!(m.fetch_count(), 6);
    }

    /// A loopback server that answers every request with a 500 after a pause.
    async fn slow_failing_server() -> (String, tokio::task::JoinHandle<()>) {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let task = tokio::spawn(async move {
            while let Ok((mut socket, _)) = listener.accept().await {
                tokio::spawn(async move {
                    let mut buf = [0u8; 4096];
                    let _ = socket.read(&mut buf).await;
                    tokio::time::sleep(Duration::from_millis(500)).await;
                    let _ = socket
                        .write_all(b"HTTP/1.1 500 Internal Server Error\r\ncontent-length: 0\r\nconnection: close\r\n\r\n")
                        .await;
                });
            }
        });
        (url, task)
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
    async fn callers_waiting_on_a_failed_fetch_share_its_error() {
        let (url, server) = slow_failing_server().await;
        let m =
            TokenManager::new(reqwest::Client::new(), &url, "c", SecretString::new("s")).unwrap();
        let m = std::sync::Arc::new(m);
        let mut tasks = tokio::task::JoinSet::new();
        for _ in 0..20 {
            let m = m.clone();
            tasks.spawn(async move { m.token(Scope::Core).await });
        }
        for result in tasks.join_all().await {
            assert_eq!(result.unwrap_err().code, ErrorCode::ServerError);
        }
        assert_eq!(m.fetch_count(), 1);
        // A caller arriving after the failure tries again.
        assert!(m.token(Scope::Core).await.is_err());
        assert_eq!(m.fetch_count(), 2);
        server.abort();
    }

    #[tokio::test]
    async fn a_fetch_beyond_the_limit_and_the_wait_bound_is_refused_locally() {
        let m = manager().with_limits(FetchLimits {
            max_fetches: 0,
            window: Duration::from_secs(60),
            max_wait: Duration::from_secs(1),
        });
        let err = m.token(Scope::Core).await.unwrap_err();
        assert_eq!(err.code, ErrorCode::RateLimited);
        assert_eq!(m.fetch_count(), 0);
    }
}
