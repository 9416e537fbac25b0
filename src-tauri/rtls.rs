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
}

impl<T> Listed<T> {
    pub fn live(data: T) -> Self {
        Self {
            data,
            source: Source::Live,
            cached_at: None,
            reason: None,
            offline: false,
        }
    }

    /// The cache answered because the service could not be asked.
    pub fn offline(data: T, cached_at: Option<String>, reason: String) -> Self {
        Self {
            data,
            source: Source::Cache,
            cached_at,
            reason: Some(reason),
            offline: true,
        }
    }
}

/// Asks the service unless Work offline is on. `Ok(Ok(answer))`: it answered;
/// `Ok(Err(reason))`: it could not be asked or reached (offline, timeout, 5xx
/// after retries), so the caller answers from the cache and shows why; `Err`:
/// any other failure (401, 404, 429…), shown as it is, never hidden by stale data.
pub async fn ask_service<T>(
    app: &App,
    ask: impl std::future::Future<Output = AppResult<T>>,
) -> AppResult<Result<T, String>> {
    if app.work_offline() {
        return Ok(Err("Work offline is on".to_string()));
    }
    match ask.await {
        Ok(answer) => Ok(Ok(answer)),
        Err(e) if e.is_unreachable() => Ok(Err(e.message)),
        Err(e) => Err(e),
    }
}

pub async fn list(
    app: &App,
    filter: RtlFilter,
    page: u32,
    limit: u32,
    sort: Option<RtlSort>,
) -> AppResult<Listed<RtlPage>> {
    let session = app.session();
    let env = session.env.id.clone();
    // A sort other than the service's own order can only be answered locally.
    let reason = if sort.is_some() && !app.work_offline() {
        None
    } else {
        let asked = ask_service(app, async {
            session.biller()?.list_rtls(&filter, page, limit).await
        })
        .await?;
        match asked {
            Ok(page) => {
                store(app, &env, page.items.clone()).await;
                return Ok(Listed::live(page));
            }
            Err(reason) => Some(reason),
        }
    };
    let cache = app.cache.clone();
    let (data, cached_at) = blocking(move || {
        let page = cache
            .query_rtls(&env, &filter, page, limit, sort)
            .map_err(invalid_filter)?;
        let at = cache.rtls_fetched_at(&env)?;
        Ok((page, at))
    })
    .await?;
    Ok(match reason {
        Some(reason) => Listed::offline(data, cached_at, reason),
        // Sorted by a column: the cache answered, but nothing is offline.
        None => Listed {
            data,
            source: Source::Cache,
            cached_at,
            reason: None,
            offline: false,
        },
    })
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

pub async fn get(app: &App, id: String) -> AppResult<Listed<RtlDetail>> {
    let session = app.session();
    let env = session.env.id.clone();
    let reason = match ask_service(app, async { session.biller()?.get_rtl(&id).await }).await? {
        Ok(rtl) => {
            store(app, &env, vec![rtl.clone()]).await;
            return Ok(Listed::live(rtl.into()));
        }
        Err(reason) => reason,
    };
    let cache = app.cache.clone();
    let lookup = id.clone();
    let found =
        blocking(move || Ok((cache.get_rtl(&env, &lookup)?, cache.rtls_fetched_at(&env)?))).await?;
    match found {
        (Some(rtl), cached_at) => Ok(Listed::offline(rtl.into(), cached_at, reason)),
        (None, _) => Err(AppError::new(
            ErrorCode::Offline,
            format!("{reason}. {id} is not in the local cache."),
        )),
    }
}

pub async fn billers(app: &App) -> AppResult<Listed<Vec<Biller>>> {
    let session = app.session();
    let env = session.env.id.clone();
    let reason = match ask_service(app, async { session.biller()?.list_billers().await }).await? {
        Ok(list) => {
            let cache = app.cache.clone();
            let items = list.clone();
            // A cache failure must not hide a good live answer.
            if let Err(e) = blocking(move || Ok(cache.upsert_billers(&env, &items)?)).await {
                tracing::warn!(error = %e, "could not cache billers");
            }
            return Ok(Listed::live(list));
        }
        Err(reason) => reason,
    };
    let cache = app.cache.clone();
    let data = blocking(move || Ok(cache.list_billers(&env)?)).await?;
    Ok(Listed::offline(data, None, reason))
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

/// Writes every row of the filtered list (from the cache) as CSV to `target`
/// (a path chosen in the save dialog, or a new file in the export folder).
pub async fn export_csv(
    app: &App,
    filter: RtlFilter,
    sort: Option<RtlSort>,
    target: ExportTarget,
) -> AppResult<Exported> {
    let env = app.session().env.id.clone();
    let cache = app.cache.clone();
    let exported = blocking(move || {
        export::write_export(&target, export::RTLS_STEM, |out| {
            cache
                .export_rtls_csv(&env, &filter, sort, out)
                .map_err(invalid_filter)
        })
    })
    .await?;
    tracing::info!(rows = exported.rows, file = %exported.file_name, "RTLs exported to CSV");
    Ok(exported)
}

pub async fn find_by_id(app: &App, query: String) -> AppResult<Vec<crate::cache::FoundRecord>> {
    let env = app.session().env.id.clone();
    let cache = app.cache.clone();
    blocking(move || Ok(cache.find_by_id(&env, &query, 20)?)).await
}
