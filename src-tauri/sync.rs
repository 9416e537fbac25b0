//! "Sync all RTLs": walks the service's RTL list into the cache, paced under
//! the documented limit of link operations, resumable after a cancel or a
//! failure.
//!
//! What a sync does, given what the API allows (a list ordered by created_at
//! DESC, filters on status, no "updated since", no deletes):
//! 1. **Full walk** (until one has completed): every page of the unfiltered
//!    list, in order. The page reached is saved after each page, so a
//!    cancelled or failed walk resumes at the next page. Records created while
//!    the walk runs push older ones down the list, so a resumed walk may read a
//!    few again but never skips one.
//! 2. **New records**: the unfiltered list from page 1 until a page whose
//!    records are all cached with the same `updated_at` (new records are at the
//!    front).
//! 3. **Changed records** (later syncs only): only PENDING and IN_PROGRESS
//!    records can still change, so both lists are walked in full; then every
//!    record cached as PENDING or IN_PROGRESS that neither list returned
//!    (fetched before this step began) is read again by ID, which picks up
//!    records that became COMPLETED, CANCELLED or EXPIRED.
//!
//! Nothing is ever deleted from the cache: the API has no delete.

use std::collections::HashMap;
use std::future::Future;
use std::sync::{Arc, Mutex, MutexGuard, OnceLock};
use std::time::Duration;

use linkdesk_ratelimit::SlidingWindow;
use serde::Serialize;
use tokio::sync::watch;
use tokio::time::Instant;

use crate::app::blocking;
use crate::biller::{BillerClient, RequestToLink, RtlFilter, RtlPage, MAX_LIMIT};
use crate::cache::{Cache, SyncState};
use crate::error::{AppError, AppResult, ErrorCode};

#[derive(Debug, Clone, Copy)]
pub struct SyncOptions {
    /// The link-operations budget to stay under (the documents say 100 per
    /// minute per client).
    pub ops_per_minute: u32,
    /// Page size, 1 to 100.
    pub limit: u32,
}

/// The part of an environment's link-operation budget the sync leaves for the
/// person browsing while it runs (every list page and every record opened is
/// one operation): a tenth, at least one a minute when the budget allows.
pub fn browsing_reserve(budget: u32) -> u32 {
    (budget / 10).max(1).min(budget.saturating_sub(1))
}

impl SyncOptions {
    /// Paced at the environment's budget less the browsing reserve.
    pub fn for_budget(link_ops_per_minute: u32) -> Self {
        Self {
            ops_per_minute: link_ops_per_minute - browsing_reserve(link_ops_per_minute),
            ..Self::default()
        }
    }
}

impl Default for SyncOptions {
    fn default() -> Self {
        Self {
            ops_per_minute: 100,
            limit: MAX_LIMIT,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub enum SyncPhase {
    Full,
    New,
    Pending,
    InProgress,
    Refetch,
    Done,
}

impl SyncPhase {
    fn as_str(self) -> &'static str {
        match self {
            SyncPhase::Full => "full",
            SyncPhase::New => "new",
            SyncPhase::Pending => "pending",
            SyncPhase::InProgress => "in_progress",
            SyncPhase::Refetch => "refetch",
            SyncPhase::Done => "done",
        }
    }

    fn parse(s: &str) -> Option<SyncPhase> {
        [
            Self::Full,
            Self::New,
            Self::Pending,
            Self::InProgress,
            Self::Refetch,
            Self::Done,
        ]
        .into_iter()
        .find(|p| p.as_str() == s)
    }

    /// The list filter a page-walking phase reads.
    fn status_filter(self) -> Option<&'static str> {
        match self {
            SyncPhase::Pending => Some("PENDING"),
            SyncPhase::InProgress => Some("IN_PROGRESS"),
            _ => None,
        }
    }
}

/// Sent after every page, for the progress bar. Pages and records count the
/// current phase; `rate_per_minute` is records per minute in this run.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SyncProgress {
    pub pages_done: u32,
    pub pages_total: u32,
    pub records_done: u64,
    pub records_total: u64,
    pub rate_per_minute: f64,
    pub eta_seconds: Option<u64>,
    pub phase: SyncPhase,
    /// Set while the sync waits before its next request, so the window says
    /// what it is waiting for (the sync can be cancelled during the wait).
    pub waiting: Option<SyncWait>,
}

/// What a running sync is waiting for, and for how long.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SyncWait {
    pub seconds: u64,
    pub reason: String,
}

#[derive(Debug, Clone, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SyncOutcome {
    /// Every phase ran to the end.
    pub completed: bool,
    pub cancelled: bool,
    /// Requests sent to the RTL endpoints (lists and reads by ID).
    pub requests: u32,
    /// 429 answers received (each waited out, then retried).
    pub rate_limited: u32,
    /// The pace at the end, link operations a minute: the one asked for, or
    /// lower after a 429 showed the service allows less.
    pub ops_per_minute: u32,
    pub pages_fetched: u32,
    pub records_upserted: u64,
    /// When each request was sent.
    #[serde(skip)]
    pub request_instants: Vec<std::time::Instant>,
}

/// Cancels a running sync: it stops after the page in flight, state saved.
#[derive(Clone)]
pub struct SyncCancel {
    tx: Arc<watch::Sender<bool>>,
}

impl Default for SyncCancel {
    fn default() -> Self {
        Self {
            tx: Arc::new(watch::channel(false).0),
        }
    }
}

impl SyncCancel {
    pub fn cancel(&self) {
        self.tx.send_replace(true);
    }

    pub fn is_cancelled(&self) -> bool {
        *self.tx.borrow()
    }

    async fn cancelled(&self) {
        let mut rx = self.tx.subscribe();
        // The sender lives in self, so wait_for only ends when cancelled.
        let _ = rx.wait_for(|c| *c).await;
    }

    /// Sleeps `d`; false when cancelled first.
    async fn sleep(&self, d: Duration) -> bool {
        tokio::select! {
            _ = tokio::time::sleep(d) => true,
            _ = self.cancelled() => false,
        }
    }
}

/// Retries of the sync itself when the service cannot be reached, after the
/// client's own short retries: 1, 2 and 4 s apart.
const UNREACHABLE_RETRIES: u32 = 3;

/// Each client's (base URL and client ID) paced requests: one per interval,
/// booked with Linkdesk's one rate limiter. Shared by every sync in the
/// process, so that a sync resumed right after a cancel still keeps its
/// distance from the requests before it.
fn next_slots() -> MutexGuard<'static, HashMap<String, SlidingWindow>> {
    static SLOTS: OnceLock<Mutex<HashMap<String, SlidingWindow>>> = OnceLock::new();
    SLOTS
        .get_or_init(Default::default)
        .lock()
        .unwrap_or_else(|p| p.into_inner())
}

/// A margin over the budget: requests reach the service with some jitter, and
/// a window that sees two of them closer than planned must still count at most
/// the budget.
const PACING_MARGIN: f64 = 1.03;

pub async fn sync_all_rtls(
    client: &BillerClient,
    cache: &Cache,
    env: &str,
    opts: SyncOptions,
    cancel: SyncCancel,
    progress: impl Fn(SyncProgress) + Sync,
) -> AppResult<SyncOutcome> {
    if opts.ops_per_minute == 0 {
        return Err(AppError::invalid(
            "The sync needs at least one request per minute",
        ));
    }
    if opts.limit == 0 || opts.limit > MAX_LIMIT {
        return Err(AppError::invalid(format!(
            "The page size must be between 1 and {MAX_LIMIT}"
        )));
    }
    let interval = pace_interval(opts.ops_per_minute);
    let mut run = Run {
        client,
        cache: cache.clone(),
        env: env.to_string(),
        opts,
        cancel,
        interval,
        started: Instant::now(),
        pacing_key: format!("{} {}", client.base_url(), client.client_id()),
        outcome: SyncOutcome {
            ops_per_minute: opts.ops_per_minute,
            ..SyncOutcome::default()
        },
        progress: &progress,
        last: None,
    };
    let mut state = run.load_state().await?;
    run.refresh_billers().await;
    loop {
        let phase = SyncPhase::parse(&state.phase).unwrap_or(SyncPhase::Full);
        let step = match phase {
            SyncPhase::Done => {
                state.finished_at = Some(now_rfc3339());
                run.save(&state).await?;
                run.outcome.completed = true;
                return Ok(run.outcome);
            }
            SyncPhase::Refetch => run.refetch_open(&mut state).await?,
            _ => run.walk_page(phase, &mut state).await?,
        };
        // A cancel that comes with the last page is too late: the sync has
        // finished, and says so rather than "paused".
        let finished = SyncPhase::parse(&state.phase) == Some(SyncPhase::Done);
        if step == Step::Cancelled && !finished {
            run.outcome.cancelled = true;
            return Ok(run.outcome);
        }
    }
}

#[derive(Debug, PartialEq, Eq)]
enum Step {
    Continue,
    Cancelled,
}

struct Run<'a> {
    client: &'a BillerClient,
    cache: Cache,
    env: String,
    opts: SyncOptions,
    cancel: SyncCancel,
    interval: Duration,
    started: Instant,
    pacing_key: String,
    outcome: SyncOutcome,
    progress: &'a (dyn Fn(SyncProgress) + Sync),
    /// The last progress sent, repeated with `waiting` during a wait.
    last: Option<SyncProgress>,
}

impl<'a> Run<'a> {
    /// The saved state; a finished (or never started) sync begins a new run.
    async fn load_state(&self) -> AppResult<SyncState> {
        let cache = self.cache.clone();
        let env = self.env.clone();
        let saved = blocking(move || Ok(cache.sync_state(&env)?)).await?;
        let mut state = saved.unwrap_or_default();
        let resumable = SyncPhase::parse(&state.phase).is_some_and(|p| p != SyncPhase::Done);
        if !resumable {
            let first = if state.full_completed_at.is_none() {
                SyncPhase::Full
            } else {
                SyncPhase::New
            };
            state.phase = first.as_str().into();
            state.next_page = 1;
            state.pages_total = 0;
            state.records_total = 0;
            state.records_done = 0;
            state.started_at = Some(now_rfc3339());
            state.finished_at = None;
            state.refresh_started_at = None;
        }
        Ok(state)
    }

    /// Biller names make cached RTLs searchable by biller offline. Billers are
    /// a separate rate-limit group; a failure here only weakens that search.
    async fn refresh_billers(&self) {
        match self.client.list_billers().await {
            Ok(billers) => {
                let cache = self.cache.clone();
                let env = self.env.clone();
                if let Err(e) = blocking(move || Ok(cache.upsert_billers(&env, &billers)?)).await {
                    tracing::warn!(error = %e, "could not cache billers during sync");
                }
            }
            Err(e) => tracing::warn!(error = %e, "could not fetch billers during sync"),
        }
    }

    /// Fetches and stores one page of the current phase's list, then moves the
    /// state on.
    async fn walk_page(&mut self, phase: SyncPhase, state: &mut SyncState) -> AppResult<Step> {
        if phase == SyncPhase::Pending && state.refresh_started_at.is_none() {
            state.refresh_started_at = Some(chrono::Utc::now().timestamp_millis());
        }
        let filter = RtlFilter {
            status: phase.status_filter().map(str::to_string),
            ..Default::default()
        };
        let limit = self.opts.limit;
        // From the records already read in this phase rather than the saved
        // page number, so a resumed sync with another page size skips nothing.
        let page_no =
            u32::try_from(state.records_done / u64::from(limit)).unwrap_or(u32::MAX - 1) + 1;
        let client = self.client;
        let Some(page) = self
            .paced(|| client.list_rtls(&filter, page_no, limit))
            .await?
        else {
            return Ok(Step::Cancelled);
        };
        let all_known = phase == SyncPhase::New && self.all_known(&page.items).await?;
        self.store(&page).await?;
        if page_no == 1 && phase != SyncPhase::Pending && phase != SyncPhase::InProgress {
            if let Some(newest) = page.items.first().and_then(|r| r.created_at.clone()) {
                state.newest_created_at = Some(newest);
            }
        }
        state.pages_total = pages_for(page.total, limit);
        state.records_total = page.total;
        state.records_done += page.items.len() as u64;
        state.next_page = page_no + 1;
        let at_end = page.items.is_empty() || state.next_page > state.pages_total;
        // What this page brought, before a finished phase starts its count again.
        let report = self.progress(phase, page_no, state);
        if at_end || all_known {
            let next = match phase {
                SyncPhase::Full => {
                    state.full_completed_at = Some(now_rfc3339());
                    SyncPhase::New
                }
                // A sync that has just walked everything skips the refresh of
                // open records: it read them moments ago.
                SyncPhase::New if walked_in_this_run(state) => SyncPhase::Done,
                SyncPhase::New => SyncPhase::Pending,
                SyncPhase::Pending => SyncPhase::InProgress,
                _ => SyncPhase::Refetch,
            };
            state.phase = next.as_str().into();
            state.next_page = 1;
            state.records_done = 0;
        }
        self.save(state).await?;
        self.report(report);
        Ok(if self.cancel.is_cancelled() {
            Step::Cancelled
        } else {
            Step::Continue
        })
    }

    /// Reads again, by ID, the open records the PENDING and IN_PROGRESS lists
    /// did not return: their status has moved on.
    async fn refetch_open(&mut self, state: &mut SyncState) -> AppResult<Step> {
        let before = state.refresh_started_at.unwrap_or(i64::MAX);
        let cache = self.cache.clone();
        let env = self.env.clone();
        let ids = blocking(move || Ok(cache.open_rtls_fetched_before(&env, before)?)).await?;
        let total = ids.len() as u64;
        for (done, id) in ids.iter().enumerate() {
            let client = self.client;
            let fetched = match self.paced(|| client.get_rtl(id)).await {
                Ok(Some(rtl)) => Some(rtl),
                Ok(None) => return Ok(Step::Cancelled),
                // Gone from the service: kept as it was (the API has no delete).
                Err(e) if e.code == ErrorCode::NotFound => None,
                Err(e) => return Err(e),
            };
            if let Some(rtl) = fetched {
                let items = vec![rtl];
                let cache = self.cache.clone();
                let env = self.env.clone();
                blocking(move || Ok(cache.upsert_rtls(&env, &items)?)).await?;
                self.outcome.records_upserted += 1;
            }
            state.records_total = total;
            state.records_done = done as u64 + 1;
            self.report(self.progress(SyncPhase::Refetch, done as u32 + 1, state));
            if self.cancel.is_cancelled() {
                self.save(state).await?;
                return Ok(Step::Cancelled);
            }
        }
        state.phase = SyncPhase::Done.as_str().into();
        state.next_page = 1;
        self.save(state).await?;
        Ok(Step::Continue)
    }

    /// One request, paced: waits its turn, waits out a 429's Retry-After and
    /// retries an unreachable service a few times. None when cancelled.
    async fn paced<T, F, Fut>(&mut self, call: F) -> AppResult<Option<T>>
    where
        F: Fn() -> Fut,
        Fut: Future<Output = AppResult<T>>,
    {
        let mut failures = 0;
        loop {
            // Book a slot at least one interval after the last one booked.
            let slot = {
                let mut slots = next_slots();
                let window = slots
                    .entry(self.pacing_key.clone())
                    .or_insert_with(|| SlidingWindow::new(1, self.interval));
                if window.period() != self.interval {
                    *window = SlidingWindow::new(1, self.interval);
                }
                Instant::from_std(window.reserve(Instant::now().into_std()))
            };
            if !self
                .cancel
                .sleep(slot.saturating_duration_since(Instant::now()))
                .await
            {
                return Ok(None);
            }
            if self.cancel.is_cancelled() {
                return Ok(None);
            }
            self.outcome.requests += 1;
            self.outcome
                .request_instants
                .push(std::time::Instant::now());
            match call().await {
                Ok(v) => return Ok(Some(v)),
                // A 429 whose wait is beyond what Linkdesk waits out carries
                // no `retry_after_secs`: it ends the sync like any failure.
                Err(e) if e.code == ErrorCode::RateLimited && e.retry_after_secs.is_some() => {
                    self.outcome.rate_limited += 1;
                    self.slow_down_after_429();
                    let secs = e.retry_after_secs.unwrap_or_default().max(1);
                    tracing::warn!(secs, "sync rate limited; waiting");
                    let reason = "BillerAPI asked Linkdesk to slow down (HTTP 429)";
                    if !self.wait(secs, reason).await {
                        return Ok(None);
                    }
                }
                Err(e) if e.is_unreachable() && failures < UNREACHABLE_RETRIES => {
                    failures += 1;
                    let secs = 1 << (failures - 1);
                    tracing::warn!(error = %e, secs, "sync cannot reach the service; retrying");
                    if !self.wait(secs, &e.message).await {
                        return Ok(None);
                    }
                }
                Err(e) => return Err(e),
            }
        }
    }

    /// A 429 although the sync kept to its pace: the service allows fewer
    /// operations than the budget says (or the person browsed more than the
    /// reserve). The service refused the last of the sync's requests of the
    /// past minute, so it allows at most one fewer: the rest of this run keeps
    /// under that, still leaving the reserve.
    fn slow_down_after_429(&mut self) {
        let now = std::time::Instant::now();
        let sent = self
            .outcome
            .request_instants
            .iter()
            .filter(|t| now.duration_since(**t) < Duration::from_secs(60))
            .count() as u32;
        let allowed = sent.saturating_sub(1).max(1);
        let pace = (allowed - browsing_reserve(allowed)).max(1);
        if pace < self.opts.ops_per_minute {
            tracing::warn!(
                from = self.opts.ops_per_minute,
                to = pace,
                "the service refused the sync's pace; it slows down (lower the environment's link-operation budget)"
            );
            self.opts.ops_per_minute = pace;
            self.interval = pace_interval(pace);
            self.outcome.ops_per_minute = pace;
        }
    }

    /// Sends `p` to the window and keeps it for the waits that follow.
    fn report(&mut self, p: SyncProgress) {
        (self.progress)(p.clone());
        self.last = Some(p);
    }

    /// Waits `secs` before the next request, saying why; false when cancelled.
    async fn wait(&mut self, secs: u64, reason: &str) -> bool {
        let mut shown = self.last.clone().unwrap_or(SyncProgress {
            pages_done: 0,
            pages_total: 0,
            records_done: 0,
            records_total: 0,
            rate_per_minute: 0.0,
            eta_seconds: None,
            phase: SyncPhase::Full,
            waiting: None,
        });
        shown.waiting = Some(SyncWait {
            seconds: secs,
            reason: reason.to_string(),
        });
        (self.progress)(shown);
        let waited = self.cancel.sleep(Duration::from_secs(secs)).await;
        if let Some(last) = self.last.clone() {
            (self.progress)(last);
        }
        waited
    }

    /// True when every record of a non-empty page is cached unchanged.
    async fn all_known(&self, items: &[RequestToLink]) -> AppResult<bool> {
        if items.is_empty() {
            return Ok(false);
        }
        let ids: Vec<String> = items.iter().map(|r| r.id.clone()).collect();
        let cache = self.cache.clone();
        let env = self.env.clone();
        let cached = blocking(move || Ok(cache.rtl_updated_ats(&env, &ids)?)).await?;
        Ok(items
            .iter()
            .all(|r| cached.get(&r.id).is_some_and(|u| *u == r.updated_at)))
    }

    async fn store(&mut self, page: &RtlPage) -> AppResult<()> {
        let items = page.items.clone();
        let cache = self.cache.clone();
        let env = self.env.clone();
        blocking(move || Ok(cache.upsert_rtls(&env, &items)?)).await?;
        self.outcome.pages_fetched += 1;
        self.outcome.records_upserted += page.items.len() as u64;
        Ok(())
    }

    async fn save(&self, state: &SyncState) -> AppResult<()> {
        let cache = self.cache.clone();
        let env = self.env.clone();
        let state = state.clone();
        blocking(move || Ok(cache.save_sync_state(&env, &state)?)).await
    }

    fn progress(&self, phase: SyncPhase, pages_done: u32, state: &SyncState) -> SyncProgress {
        let minutes = self.started.elapsed().as_secs_f64() / 60.0;
        let rate = if minutes > 0.0 {
            self.outcome.records_upserted as f64 / minutes
        } else {
            0.0
        };
        let remaining = match phase {
            SyncPhase::Refetch => state.records_total.saturating_sub(state.records_done),
            _ => u64::from(state.pages_total.saturating_sub(pages_done)),
        };
        SyncProgress {
            pages_done,
            pages_total: if phase == SyncPhase::Refetch {
                state.records_total as u32
            } else {
                state.pages_total
            },
            records_done: state.records_done,
            records_total: state.records_total,
            rate_per_minute: rate,
            // The check for new records stops at the first page already known.
            eta_seconds: (phase != SyncPhase::New)
                .then(|| (self.interval.as_secs_f64() * remaining as f64).ceil() as u64),
            phase,
            waiting: None,
        }
    }
}

/// True when the full walk finished during the current run (started_at is
/// kept across resumes), so the open records were all read recently.
fn walked_in_this_run(state: &SyncState) -> bool {
    match (&state.full_completed_at, &state.started_at) {
        (Some(done), Some(started)) => done >= started,
        _ => false,
    }
}

/// The time between two requests at `ops_per_minute`, with the margin.
fn pace_interval(ops_per_minute: u32) -> Duration {
    Duration::from_secs_f64(60.0 / f64::from(ops_per_minute.max(1)) * PACING_MARGIN)
}

fn pages_for(total: u64, limit: u32) -> u32 {
    u32::try_from(total.div_ceil(u64::from(limit))).unwrap_or(u32::MAX)
}

fn now_rfc3339() -> String {
    chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_sync_leaves_a_tenth_of_the_budget_for_browsing() {
        assert_eq!(SyncOptions::for_budget(100).ops_per_minute, 90);
        assert_eq!(SyncOptions::for_budget(1000).ops_per_minute, 900);
        assert_eq!(SyncOptions::for_budget(5).ops_per_minute, 4);
        assert_eq!(SyncOptions::for_budget(2).ops_per_minute, 1);
        assert_eq!(SyncOptions::for_budget(1).ops_per_minute, 1);
        assert_eq!(SyncOptions::for_budget(100).limit, MAX_LIMIT);
    }
}
