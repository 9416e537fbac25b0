//! Request-to-link records: online first, the cache when the service cannot be
//! reached. Every record fetched is written to the cache.

use serde::Serialize;

use crate::app::{blocking, App};
use crate::audit;
use crate::biller::{
    Biller, BillerClient, NewRtl, ProceedResult, RequestToLink, RtlFilter, RtlPage, RtlStatus,
};
use crate::cache::RtlSort;
use crate::error::{AppError, AppResult, ErrorCode};
use crate::export::{self, ExportTarget, Exported};
use crate::session::Session;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Source {
    Live,
    Cache,
}

/// A read's answer and where it came from.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Listed<T> {
    pub data: T,
    pub source: Source,
    /// When the cached data was fetched (RFC 3339), for "Offline — showing data cached at …".
    pub cached_at: Option<String>,
    /// Why the cache answered: the service's error, or "Work offline is on".
    pub reason: Option<String>,
    /// True when the service could not be asked (unreachable, or Work offline):
    /// the window says "Offline" and tries again by itself. A sort answered by
    /// the cache is not offline.
    pub offline: bool,
    /// For a list sorted by the cache: how much of the service's list the
    /// cache holds, so a partial sort is never shown as the whole list.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub coverage: Option<Coverage>,
}

/// How many records of a filtered list the cache holds, next to how many the
/// service has (when it could be asked).
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Coverage {
    pub cached: u64,
    pub service_total: Option<u64>,
    /// Why the service's count is unknown.
    pub unknown_reason: Option<String>,
}

impl Coverage {
    /// The cache holds at least as many records as the service lists.
    pub fn complete(&self) -> bool {
        self.service_total.is_some_and(|t| self.cached >= t)
    }
}

impl<T> Listed<T> {
    pub fn live(data: T) -> Self {
        Self {
            data,
            source: Source::Live,
            cached_at: None,
            reason: None,
            offline: false,
            coverage: None,
        }
    }

    /// The cache answered: the service could not be asked, or the person
    /// asked for the cached copy.
    pub fn cached(data: T, cached_at: Option<String>, fallback: Fallback) -> Self {
        Self {
            data,
            source: Source::Cache,
            cached_at,
            reason: Some(fallback.reason),
            offline: fallback.offline,
            coverage: None,
        }
    }
}

/// Why a read is answered from the cache.
#[derive(Debug, Clone)]
pub struct Fallback {
    pub reason: String,
    /// True when the service could not be asked (unreachable, timed out, or
    /// Work offline): the window says "Offline" and tries again by itself.
    /// False when the person chose the cached copy after the service failed.
    pub offline: bool,
}

/// Where a read is answered from: the service first (the cache only when it
/// cannot be reached), or the cache because the person asked for it after
/// the service failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ReadFrom {
    #[default]
    Service,
    Cache,
}

impl ReadFrom {
    /// A command's optional `cached` argument.
    pub fn cached(cached: Option<bool>) -> Self {
        if cached == Some(true) {
            ReadFrom::Cache
        } else {
            ReadFrom::Service
        }
    }
}

/// Asks the service unless Work offline is on or the cached copy was asked
/// for. `Ok(Ok(answer))`: it answered; `Ok(Err(fallback))`: the caller
/// answers from the cache and shows why — only when the service could not be
/// reached (refused, timed out) or the person chose the cache; `Err`: the
/// service failed (5xx, an answer Linkdesk cannot read) or refused (401, 404,
/// 429…), shown as it is and never hidden behind cached data; the window
/// offers the cached copy itself.
pub async fn ask_service<T>(
    app: &App,
    from: ReadFrom,
    ask: impl std::future::Future<Output = AppResult<T>>,
) -> AppResult<Result<T, Fallback>> {
    if app.work_offline() {
        return Ok(Err(Fallback {
            reason: "Work offline is on".to_string(),
            offline: true,
        }));
    }
    if from == ReadFrom::Cache {
        return Ok(Err(Fallback {
            reason: "Showing the local cache, as you asked".to_string(),
            offline: false,
        }));
    }
    match ask.await {
        Ok(answer) => Ok(Ok(answer)),
        Err(e) if matches!(e.code, ErrorCode::Offline | ErrorCode::Timeout) => Ok(Err(Fallback {
            reason: e.message,
            offline: true,
        })),
        Err(e) => Err(e),
    }
}

pub async fn list(
    app: &App,
    filter: RtlFilter,
    page: u32,
    limit: u32,
    sort: Option<RtlSort>,
    from: ReadFrom,
) -> AppResult<Listed<RtlPage>> {
    let session = app.session();
    let env = session.env.id.clone();
    // A sort other than the service's own order can only be answered locally.
    let fallback = if sort.is_some() && !app.work_offline() && from == ReadFrom::Service {
        None
    } else {
        let asked = ask_service(app, from, async {
            session.biller()?.list_rtls(&filter, page, limit).await
        })
        .await?;
        match asked {
            Ok(page) => {
                store(app, &env, page.items.clone()).await;
                return Ok(Listed::live(page));
            }
            Err(fallback) => Some(fallback),
        }
    };
    let cache = app.cache.clone();
    let asked = filter.clone();
    let (data, cached_at) = blocking(move || {
        let page = cache
            .query_rtls(&env, &asked, page, limit, sort)
            .map_err(invalid_filter)?;
        let at = cache.rtls_fetched_at(&env)?;
        Ok((page, at))
    })
    .await?;
    Ok(match fallback {
        Some(fallback) => Listed::cached(data, cached_at, fallback),
        // Sorted by a column: the cache answered, but nothing is offline;
        // the answer says how much of the service's list the cache holds.
        None => {
            let coverage = coverage_of(app, &filter, data.total).await;
            Listed {
                data,
                source: Source::Cache,
                cached_at,
                reason: None,
                offline: false,
                coverage: Some(coverage),
            }
        }
    })
}

/// How many of the service's records for `filter` the cache holds.
pub async fn coverage(app: &App, filter: &RtlFilter) -> AppResult<Coverage> {
    let env = app.session().env.id.clone();
    let cache = app.cache.clone();
    let counted = filter.clone();
    let cached = blocking(move || {
        Ok(cache
            .query_rtls(&env, &counted, 1, 1, None)
            .map_err(invalid_filter)?
            .total)
    })
    .await?;
    Ok(coverage_of(app, filter, cached).await)
}

/// Asks the service for its count of `filter` (a page of one record, one
/// link operation) next to the cache's `cached`.
async fn coverage_of(app: &App, filter: &RtlFilter, cached: u64) -> Coverage {
    let session = app.session();
    let asked = ask_service(app, ReadFrom::Service, async {
        session.biller()?.list_rtls(filter, 1, 1).await
    })
    .await;
    let (service_total, unknown_reason) = match asked {
        Ok(Ok(page)) => (Some(page.total), None),
        Ok(Err(fallback)) => (None, Some(fallback.reason)),
        Err(e) => (None, Some(e.message)),
    };
    Coverage {
        cached,
        service_total,
        unknown_reason,
    }
}

/// The cache reports an invalid filter value as data; the user sees it as input.
fn invalid_filter(e: crate::cache::CacheError) -> AppError {
    match e {
        crate::cache::CacheError::Data(m) => AppError::invalid(m),
        other => other.into(),
    }
}

/// One record and what the documents allow doing with it now.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RtlDetail {
    pub rtl: RequestToLink,
    pub can_cancel: bool,
    pub can_proceed: bool,
    pub next_statuses: Vec<RtlStatus>,
}

impl From<RequestToLink> for RtlDetail {
    fn from(rtl: RequestToLink) -> Self {
        Self {
            can_cancel: rtl.status.can_cancel(),
            can_proceed: rtl.status.can_proceed(),
            next_statuses: rtl.status.next_statuses().to_vec(),
            rtl,
        }
    }
}

pub async fn get(app: &App, id: String, from: ReadFrom) -> AppResult<Listed<RtlDetail>> {
    let session = app.session();
    let env = session.env.id.clone();
    let fallback =
        match ask_service(app, from, async { session.biller()?.get_rtl(&id).await }).await? {
            Ok(rtl) => {
                store(app, &env, vec![rtl.clone()]).await;
                return Ok(Listed::live(rtl.into()));
            }
            Err(fallback) => fallback,
        };
    let cache = app.cache.clone();
    let lookup = id.clone();
    let found =
        blocking(move || Ok((cache.get_rtl(&env, &lookup)?, cache.rtls_fetched_at(&env)?))).await?;
    match found {
        (Some(rtl), cached_at) => Ok(Listed::cached(rtl.into(), cached_at, fallback)),
        (None, _) => Err(AppError::new(
            if fallback.offline {
                ErrorCode::Offline
            } else {
                ErrorCode::NotFound
            },
            format!("{}. {id} is not in the local cache.", fallback.reason),
        )),
    }
}

pub async fn billers(app: &App) -> AppResult<Listed<Vec<Biller>>> {
    let session = app.session();
    let env = session.env.id.clone();
    let fallback = match ask_service(app, ReadFrom::Service, async {
        session.biller()?.list_billers().await
    })
    .await?
    {
        Ok(list) => {
            let cache = app.cache.clone();
            let items = list.clone();
            // A cache failure must not hide a good live answer.
            if let Err(e) = blocking(move || Ok(cache.upsert_billers(&env, &items)?)).await {
                tracing::warn!(error = %e, "could not cache billers");
            }
            return Ok(Listed::live(list));
        }
        Err(fallback) => fallback,
    };
    let cache = app.cache.clone();
    let data = blocking(move || Ok(cache.list_billers(&env)?)).await?;
    Ok(Listed::cached(data, None, fallback))
}

/// Writes are never queued and never sent to a locked production environment:
/// both are refused before anything is sent.
pub fn ensure_writable(app: &App, session: &Session) -> AppResult<()> {
    check_writable(session, app.work_offline())
}

/// `ensure_writable` for core code that is given its session and the state of
/// "Work offline" rather than the whole app.
pub fn check_writable(session: &Session, work_offline: bool) -> AppResult<()> {
    session.guard.ensure_writable(&session.env.name)?;
    if work_offline {
        return Err(AppError::new(
            ErrorCode::OfflineWrite,
            "Linkdesk is working offline; changes are not queued. Turn off Work offline to make this change.",
        ));
    }
    Ok(())
}

/// After a write that failed in transit the outcome is unknown: say so plainly.
fn write_error(e: AppError) -> AppError {
    if e.is_unreachable() && e.code != ErrorCode::ServerError {
        AppError::new(
            ErrorCode::OfflineWrite,
            format!(
                "{} The change may not have been made; reload the record to see its state.",
                e.message
            ),
        )
    } else {
        e
    }
}

/// Caches what the service answered. A cache failure must not hide a good
/// live answer: it is logged, not returned.
async fn store(app: &App, env: &str, rtls: Vec<RequestToLink>) {
    let cache = app.cache.clone();
    let env = env.to_string();
    if let Err(e) = blocking(move || Ok(cache.upsert_rtls(&env, &rtls)?)).await {
        tracing::warn!(error = %e, "could not cache RTLs");
    }
}

/// One RTL write: refused before sending when production is locked or the app
/// is offline, the answer cached, and the attempt audited whatever its outcome.
/// `target` is the record's ID, or None when the answer names it (create).
async fn write_rtl<Fut>(
    app: &App,
    action: &str,
    target: Option<&str>,
    fields: serde_json::Value,
    send: impl FnOnce(BillerClient) -> Fut,
) -> AppResult<RequestToLink>
where
    Fut: std::future::Future<Output = AppResult<RequestToLink>>,
{
    let session = app.session();
    let result = async {
        ensure_writable(app, &session)?;
        let rtl = send(session.biller()?.clone()).await.map_err(write_error)?;
        store(app, &session.env.id, vec![rtl.clone()]).await;
        Ok(rtl)
    }
    .await;
    let target = match (target, &result) {
        (Some(id), _) => id.to_string(),
        (None, Ok(rtl)) => rtl.id.clone(),
        (None, Err(_)) => String::new(),
    };
    audit::record_write(app, &session.env, action, &target, fields, &result, |r| {
        Some(r.status.as_str().to_string())
    })
    .await;
    result
}

pub async fn create(app: &App, new: NewRtl) -> AppResult<RequestToLink> {
    let fields = serde_json::json!({
        "clientUserId": new.client_user_id, "billerId": new.biller_id, "metadata": new.metadata,
    });
    write_rtl(
        app,
        audit::action::RTL_CREATE,
        None,
        fields,
        |client| async move { client.create_rtl(&new).await },
    )
    .await
}

pub async fn set_status(app: &App, id: String, status: String) -> AppResult<RequestToLink> {
    let fields = serde_json::json!({ "status": status });
    let rtl_id = id.clone();
    write_rtl(
        app,
        audit::action::RTL_STATUS,
        Some(&id),
        fields,
        |client| async move { client.set_status(&rtl_id, &RtlStatus::parse(&status)).await },
    )
    .await
}

pub async fn cancel(app: &App, id: String, reason: Option<String>) -> AppResult<RequestToLink> {
    let fields = serde_json::json!({ "reason": reason });
    let rtl_id = id.clone();
    write_rtl(
        app,
        audit::action::RTL_CANCEL,
        Some(&id),
        fields,
        |client| async move { client.cancel(&rtl_id, reason.as_deref()).await },
    )
    .await
}

pub async fn proceed(app: &App, id: String) -> AppResult<ProceedResult> {
    let session = app.session();
    let result = async {
        ensure_writable(app, &session)?;
        let result = session.biller()?.proceed(&id).await.map_err(write_error)?;
        // The answer holds the token and URL; the record itself changed too.
        if let Ok(rtl) = session.biller()?.get_rtl(&id).await {
            store(app, &session.env.id, vec![rtl]).await;
        }
        Ok(result)
    }
    .await;
    // The link token is a credential for the session page: never recorded.
    let fields = serde_json::json!({});
    audit::record_write(
        app,
        &session.env,
        audit::action::RTL_PROCEED,
        &id,
        fields,
        &result,
        |r| Some(format!("link session until {}", r.expires_at)),
    )
    .await;
    result
}

/// Before an export: the cache must hold the whole filtered list, as the
/// service counts it. Otherwise nothing is written and the answer says what
/// is missing (`incomplete`), unless `partial` says the person chose to export
/// the cached part knowingly. The file's name then says "partial".
pub async fn export_check(app: &App, filter: &RtlFilter, partial: bool) -> AppResult<Coverage> {
    let coverage = coverage(app, filter).await?;
    if coverage.complete() || partial {
        return Ok(coverage);
    }
    let cached = plural(coverage.cached, "request");
    let message = match (coverage.service_total, &coverage.unknown_reason) {
        (Some(total), _) => format!(
            "The local cache holds {} of the {} in this list: {} are missing. Sync all RTLs first to export every one, or export the cached rows as a file marked partial.",
            num(coverage.cached),
            plural(total, "request"),
            num(total.saturating_sub(coverage.cached)),
        ),
        (None, reason) => format!(
            "Linkdesk cannot ask BillerAPI how many requests this list holds ({}), so it cannot tell whether the {cached} in the local cache are all of them. Sync first, or export the cached rows as a file marked partial.",
            reason.as_deref().unwrap_or("no answer").trim_end_matches('.'),
        ),
    };
    Err(AppError::new(ErrorCode::Incomplete, message))
}

/// Writes every row of the filtered list (from the cache) as CSV to `target`
/// (a path chosen in the save dialog, or a new file in the export folder),
/// after `export_check` said what the cache holds of it.
pub async fn export_csv(
    app: &App,
    filter: RtlFilter,
    sort: Option<RtlSort>,
    target: ExportTarget,
    coverage: &Coverage,
) -> AppResult<Exported> {
    let env = app.session().env.id.clone();
    let cache = app.cache.clone();
    let partial = !coverage.complete();
    let stem = if partial {
        export::RTLS_PARTIAL_STEM
    } else {
        export::RTLS_STEM
    };
    let (mut exported, oldest) = blocking(move || {
        let mut oldest = None;
        let exported = export::write_export(&target, stem, |out| {
            let written = cache
                .export_rtls_csv(&env, &filter, sort, out)
                .map_err(invalid_filter)?;
            oldest = written.oldest_fetched_ms;
            Ok(written.rows)
        })?;
        Ok((exported, oldest))
    })
    .await?;
    exported.oldest_fetched_at = oldest
        .and_then(chrono::DateTime::from_timestamp_millis)
        .map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::Millis, true));
    exported.partial = partial;
    exported.partial_of = coverage.service_total.filter(|_| partial);
    tracing::info!(rows = exported.rows, partial, file = %exported.file_name, "RTLs exported to CSV");
    Ok(exported)
}

/// "1 request", "2,000 requests".
fn plural(n: u64, one: &str) -> String {
    format!("{} {one}{}", num(n), if n == 1 { "" } else { "s" })
}

/// 2000 → "2,000".
fn num(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

pub async fn find_by_id(app: &App, query: String) -> AppResult<Vec<crate::cache::FoundRecord>> {
    let env = app.session().env.id.clone();
    let cache = app.cache.clone();
    blocking(move || Ok(cache.find_by_id(&env, &query, 20)?)).await
}
