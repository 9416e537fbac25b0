//! What the BillerAPI and Link Money clients share: one reqwest client, the
//! request URLs (`ServiceUrl`), the mapping of transport failures and HTTP
//! statuses to `AppError`, and the retry policy for idempotent reads.

mod service_url;

pub use service_url::{path_id, ServiceUrl};

use std::time::Duration;

use reqwest::{Response, StatusCode};
use serde::de::DeserializeOwned;

use crate::error::{AppError, AppResult, ErrorCode};

/// Per-request timeout; a slow service ends in `timeout`, never a frozen view.
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(15);

/// The client of both services. TLS is verified against the operating
/// system's certificate store (on Linux the system bundle, or the file in
/// `SSL_CERT_FILE`; the Keychain on macOS; the Windows store), so a company's
/// TLS-inspecting proxy is trusted once IT has deployed its CA. Requests go
/// through the system's proxy: `HTTPS_PROXY`/`HTTP_PROXY`/`ALL_PROXY` minus
/// `NO_PROXY` everywhere, plus the Windows and macOS proxy settings.
pub fn build_client() -> reqwest::Client {
    client_builder()
        .build()
        .expect("the HTTP client configuration is static and valid")
}

/// The client for a server Linkdesk itself runs on this machine's loopback
/// (the embedded sandbox, plain HTTP): the same, but never through a proxy,
/// and without loading the certificate store it never needs.
pub fn build_loopback_client() -> reqwest::Client {
    client_builder()
        .no_proxy()
        .tls_built_in_root_certs(false)
        .build()
        .expect("the HTTP client configuration is static and valid")
}

/// The client for downloads (the update check): the same, with room for a
/// large file.
pub fn build_download_client(timeout: Duration) -> reqwest::Client {
    client_builder()
        .timeout(timeout)
        .build()
        .expect("the HTTP client configuration is static and valid")
}

fn client_builder() -> reqwest::ClientBuilder {
    reqwest::Client::builder()
        .timeout(REQUEST_TIMEOUT)
        .connect_timeout(Duration::from_secs(5))
        .user_agent(concat!("Linkdesk/", env!("CARGO_PKG_VERSION")))
}

/// Maps a transport-level failure (no HTTP answer at all). The message names the
/// service and never includes a header, so no credential can leak through it.
pub fn transport_error(service: &str, err: &reqwest::Error) -> AppError {
    logged(service, transport_error_of(service, err))
}

fn transport_error_of(service: &str, err: &reqwest::Error) -> AppError {
    if err.is_timeout() {
        return AppError::new(
            ErrorCode::Timeout,
            format!(
                "{service} did not answer within {} seconds",
                REQUEST_TIMEOUT.as_secs()
            ),
        );
    }
    let chain = error_chain(err);
    let at = err
        .url()
        .and_then(|u| Some(format!(" at {}", u.host_str()?)))
        .unwrap_or_default();
    let handshake = is_tls_handshake_failure(err);
    if chain.contains("certificate") || chain.contains("tls") || chain.contains("TLS") || handshake
    {
        return AppError::new(
            ErrorCode::Tls,
            format!(
                "{service}{at} is not trusted: {}. Nothing was sent. (Details: {chain})",
                tls_in_words(&chain, handshake)
            ),
        );
    }
    if err.is_builder() {
        return AppError::invalid(format!("The {service} base URL is not usable: {chain}"));
    }
    let proxy = err
        .url()
        .and_then(env_proxy_for)
        .map(|(var, proxy)| {
            format!(" {var} names the proxy {proxy}: if this request goes through it, check that it runs.")
        })
        .unwrap_or_default();
    AppError::new(
        ErrorCode::Offline,
        format!(
            "{service} cannot be reached{at}: {}.{proxy}",
            root_cause(err).trim_end_matches('.')
        ),
    )
}

/// The proxy the environment names for `url` (`HTTPS_PROXY`/`HTTP_PROXY`,
/// then `ALL_PROXY`, unless `NO_PROXY` lists its host), without any user
/// name or password: for messages only, so that a proxy that is down is not
/// taken for the service being down. The route itself is reqwest's.
fn env_proxy_for(url: &reqwest::Url) -> Option<(&'static str, String)> {
    let var = |name: &'static str| {
        [name.to_string(), name.to_lowercase()]
            .into_iter()
            .find_map(|n| std::env::var(n).ok().filter(|v| !v.trim().is_empty()))
    };
    let host = url.host_str()?.to_ascii_lowercase();
    if let Some(no_proxy) = var("NO_PROXY") {
        let listed = |n: &str| {
            let n = n.trim().trim_start_matches('.');
            n == "*" || n.eq_ignore_ascii_case(&host) || host.ends_with(&format!(".{n}"))
        };
        if no_proxy.split(',').any(listed) {
            return None;
        }
    }
    let scheme_var = if url.scheme() == "https" {
        "HTTPS_PROXY"
    } else {
        "HTTP_PROXY"
    };
    let (name, value) = var(scheme_var)
        .map(|v| (scheme_var, v))
        .or_else(|| var("ALL_PROXY").map(|v| ("ALL_PROXY", v)))?;
    let shown = match reqwest::Url::parse(&value) {
        Ok(mut u) => {
            let _ = u.set_username("");
            let _ = u.set_password(None);
            u.to_string().trim_end_matches('/').to_string()
        }
        // Not a URL: said as "set", never echoed (it may hold a password).
        Err(_) => "set there".to_string(),
    };
    Some((name, shown))
}

/// What went wrong with TLS, in words a support desk can act on.
fn tls_in_words(chain: &str, handshake: bool) -> &'static str {
    if chain.contains("UnknownIssuer") || chain.contains("unknown issuer") {
        "its certificate comes from an authority this computer does not trust (behind a company proxy that inspects TLS, its root certificate must be in the system's certificate store)"
    } else if chain.contains("Expired") || chain.contains("expired") {
        "its certificate has expired, or this computer's clock is wrong"
    } else if chain.contains("NotValidForName") || chain.contains("not valid for name") {
        "its certificate is for another name than the one in the URL"
    } else if handshake {
        "it does not speak TLS at this address (an http:// server behind an https:// URL?)"
    } else {
        "the secure connection (TLS) failed"
    }
}

/// The innermost cause in plain words ("Connection refused"), without the OS
/// error number that means nothing to the reader.
fn root_cause(err: &(dyn std::error::Error + 'static)) -> String {
    let mut cur = err;
    while let Some(next) = cur.source() {
        cur = next;
    }
    let text = cur.to_string();
    match text.find(" (os error") {
        Some(i) => text[..i].to_string(),
        None => text,
    }
}

/// The TLS layer reports handshake failures (e.g. a plain-HTTP server on an
/// https URL: "received corrupt message") as `InvalidData` I/O errors while
/// connecting; nothing else on an https connect does.
fn is_tls_handshake_failure(err: &reqwest::Error) -> bool {
    let https = err.url().is_some_and(|u| u.scheme() == "https");
    let mut cur: Option<&(dyn std::error::Error + 'static)> = Some(err);
    while let Some(e) = cur {
        // An I/O error wrapping another hides the inner one from `source()`.
        let mut io = e.downcast_ref::<std::io::Error>();
        while let Some(inner) = io {
            if inner.kind() == std::io::ErrorKind::InvalidData {
                return https && err.is_connect();
            }
            io = inner
                .get_ref()
                .and_then(|r| r.downcast_ref::<std::io::Error>());
        }
        cur = e.source();
    }
    false
}

fn error_chain(err: &(dyn std::error::Error + 'static)) -> String {
    let mut parts = Vec::new();
    let mut cur: Option<&(dyn std::error::Error + 'static)> = Some(err);
    while let Some(e) = cur {
        let s = e.to_string();
        // reqwest repeats the URL in its own message; the inner causes say what happened.
        if !parts.iter().any(|p: &String| p.contains(&s)) {
            parts.push(s);
        }
        cur = e.source();
    }
    parts.into_iter().skip(1).collect::<Vec<_>>().join(": ")
}

/// Maps a non-success HTTP status plus the service's own message to an `AppError`.
pub fn status_error(
    service: &str,
    status: StatusCode,
    message: Option<String>,
    retry_after: Option<u64>,
) -> AppError {
    logged(
        service,
        status_error_of(service, status, message, retry_after),
    )
}

/// A failure of the service or the way to it goes to the log (so support can
/// follow what the person saw); an answer about the person's own input (not
/// found, invalid, conflict) does not.
fn logged(service: &str, err: AppError) -> AppError {
    use ErrorCode::*;
    if matches!(
        err.code,
        Offline
            | Timeout
            | Unauthorized
            | Forbidden
            | RateLimited
            | ServerError
            | BadResponse
            | Tls
    ) {
        tracing::warn!(service, code = err.code.as_str(), "{}", err.message);
    }
    err
}

fn status_error_of(
    service: &str,
    status: StatusCode,
    message: Option<String>,
    retry_after: Option<u64>,
) -> AppError {
    let detail =
        message.unwrap_or_else(|| status.canonical_reason().unwrap_or("error").to_string());
    let code = match status.as_u16() {
        400 | 422 => ErrorCode::InvalidInput,
        401 => ErrorCode::Unauthorized,
        403 => ErrorCode::Forbidden,
        404 => ErrorCode::NotFound,
        409 => ErrorCode::Conflict,
        429 => ErrorCode::RateLimited,
        500..=599 => ErrorCode::ServerError,
        _ => ErrorCode::BadResponse,
    };
    if code == ErrorCode::RateLimited {
        let secs = retry_after.unwrap_or(DEFAULT_RETRY_AFTER_SECS);
        if secs > MAX_RETRY_AFTER_SECS {
            // Not a wait anyone would sit through: a failure, never retried
            // by itself.
            return AppError::new(
                code,
                format!(
                    "{service} is rate limiting and asks to wait {secs} s, longer than Linkdesk waits ({} min). Try again later.",
                    MAX_RETRY_AFTER_SECS / 60
                ),
            );
        }
        // The wait is said once, by whoever shows the error (the window's
        // countdown): the service's own "retry after N seconds" is not repeated.
        let mut err = AppError::new(code, format!("{service} is rate limiting (HTTP 429)."));
        err.retry_after_secs = Some(secs);
        return err;
    }
    AppError::new(
        code,
        format!("{service}: {detail} (HTTP {})", status.as_u16()),
    )
}

/// The wait assumed when a 429 names none.
pub const DEFAULT_RETRY_AFTER_SECS: u64 = 60;
/// The longest `Retry-After` Linkdesk waits out by itself (a view's
/// countdown, the sync). Beyond it the 429 is a failure the person sees.
pub const MAX_RETRY_AFTER_SECS: u64 = 300;

/// `Retry-After` in seconds (the documents use delta-seconds). A value that
/// is not a number is ignored rather than trusted.
pub fn retry_after_secs(resp: &Response) -> Option<u64> {
    resp.headers()
        .get(reqwest::header::RETRY_AFTER)?
        .to_str()
        .ok()?
        .trim()
        .parse()
        .ok()
}

/// The largest success answer Linkdesk reads: a page of 100 RTLs is about
/// 60 KB, a customer with its accounts a few KB. Anything larger is a broken
/// or hostile server, refused before it can fill the window's memory.
pub const MAX_BODY_BYTES: usize = 4 * 1024 * 1024;
/// The largest error answer read for its message.
pub const MAX_ERROR_BODY_BYTES: usize = 64 * 1024;

/// Reads a body of at most `max` bytes; a longer one is `bad_response`, and
/// reading stops at the limit (a declared length over it is not read at all).
pub async fn read_body(service: &str, mut resp: Response, max: usize) -> AppResult<Vec<u8>> {
    let too_big = || {
        AppError::new(
            ErrorCode::BadResponse,
            format!(
                "{service} sent an answer larger than {}; Linkdesk does not read it",
                size(max)
            ),
        )
    };
    if resp.content_length().is_some_and(|n| n > max as u64) {
        return Err(too_big());
    }
    let mut body = Vec::new();
    while let Some(chunk) = resp
        .chunk()
        .await
        .map_err(|e| transport_error(service, &e))?
    {
        if body.len() + chunk.len() > max {
            return Err(too_big());
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}

fn size(bytes: usize) -> String {
    if bytes >= 1 << 20 {
        format!("{} MB", bytes >> 20)
    } else {
        format!("{} KB", bytes >> 10)
    }
}

/// An error answer's body, for its message: cut at `MAX_ERROR_BODY_BYTES`,
/// empty when it cannot be read.
pub async fn read_error_body(service: &str, resp: Response) -> Vec<u8> {
    read_body(service, resp, MAX_ERROR_BODY_BYTES)
        .await
        .unwrap_or_default()
}

/// Reads a success body as JSON of type `T`; anything else is `bad_response`
/// with a short, sanitised reason.
pub async fn read_json<T: DeserializeOwned>(service: &str, resp: Response) -> AppResult<T> {
    let bytes = read_body(service, resp, MAX_BODY_BYTES).await?;
    serde_json::from_slice(&bytes).map_err(|e| {
        AppError::new(
            ErrorCode::BadResponse,
            format!("{service} sent an answer Linkdesk could not read: {e}"),
        )
    })
}

/// How many times an idempotent read is tried when the service is unreachable
/// or answers 5xx, and the pause before each new attempt.
pub const READ_ATTEMPTS: u32 = 3;

/// Whether a failed read is worth another attempt: a refused connection or a
/// 5xx often passes in a moment; a timeout already waited `REQUEST_TIMEOUT`,
/// and waiting again would only keep the view from falling back to the cache.
pub fn worth_retrying(e: &AppError) -> bool {
    matches!(e.code, ErrorCode::Offline | ErrorCode::ServerError)
}
pub fn backoff(attempt: u32) -> Duration {
    Duration::from_millis(200 * 2u64.pow(attempt))
}

/// Checks a service base URL from the settings: absolute http(s) with a host
/// and no query or fragment; a trailing slash is dropped.
pub fn validate_base_url(url: &str) -> AppResult<String> {
    ServiceUrl::parse(url).map(|u| u.as_str().to_string())
}
