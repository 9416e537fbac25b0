//! Request-to-link records and billers: upserts, the list with the service's
//! semantics, and single records.

use std::collections::{HashMap, HashSet};

use rusqlite::{params, Connection, OptionalExtension, Row};

use super::rtl_index::{IndexRow, Query, RtlIndex};
use super::{ms_to_rfc3339, now_ms, Cache, CacheError, RtlSort};
use crate::biller::{Biller, RequestToLink, RtlFilter, RtlPage, RtlStatus, MAX_LIMIT};

const UPSERT_RTL: &str = "INSERT INTO rtls (env, id, client_id, client_user_id, biller_id, status,
        link_token_id, session_url, metadata, created_at, updated_at, fetched_at)
    VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)
    ON CONFLICT (env, id) DO UPDATE SET client_id = excluded.client_id,
        client_user_id = excluded.client_user_id, biller_id = excluded.biller_id,
        status = excluded.status, link_token_id = excluded.link_token_id,
        session_url = excluded.session_url, metadata = excluded.metadata,
        created_at = excluded.created_at, updated_at = excluded.updated_at,
        fetched_at = excluded.fetched_at";

const MARK_FETCHED: &str = "INSERT INTO fetch_marks (env, kind, fetched_at) VALUES (?1, ?2, ?3)
    ON CONFLICT (env, kind) DO UPDATE SET fetched_at = excluded.fetched_at";

/// A list query after validation: only the filters that apply.
pub(crate) struct CheckedFilter {
    status: Option<String>,
    client_user_id: Option<String>,
    biller_id: Option<String>,
    search_lc: Option<String>,
}

impl CheckedFilter {
    /// Empty strings are no filter; a status the documents do not name is
    /// refused, as the service refuses it with a 400.
    pub(crate) fn new(filter: &RtlFilter) -> Result<Self, CacheError> {
        let given = |v: &Option<String>| v.as_deref().filter(|s| !s.is_empty()).map(str::to_string);
        let status = given(&filter.status);
        if let Some(s) = &status {
            if !RtlStatus::DOCUMENTED.iter().any(|d| d.as_str() == s) {
                return Err(CacheError::Data(format!(
                    "\"{s}\" is not a status: use PENDING, IN_PROGRESS, COMPLETED, CANCELLED or EXPIRED"
                )));
            }
        }
        Ok(Self {
            status,
            client_user_id: given(&filter.client_user_id),
            biller_id: given(&filter.biller_id),
            search_lc: given(&filter.search).map(|s| s.to_lowercase()),
        })
    }
}

impl Cache {
    /// Upserts with fetched_at = now.
    pub fn upsert_rtls(&self, env: &str, rtls: &[RequestToLink]) -> Result<(), CacheError> {
        if rtls.is_empty() {
            return Ok(());
        }
        let now = now_ms();
        let mut conn = self.writer();
        let tx = conn.transaction()?;
        {
            let mut stmt = tx.prepare_cached(UPSERT_RTL)?;
            for r in rtls {
                let metadata = match &r.metadata {
                    Some(m) => Some(
                        serde_json::to_string(m).map_err(|e| CacheError::Data(e.to_string()))?,
                    ),
                    None => None,
                };
                stmt.execute(params![
                    env,
                    r.id,
                    r.client_id,
                    r.client_user_id,
                    r.biller_id,
                    r.status.as_str(),
                    r.link_token_id,
                    r.session_url,
                    metadata,
                    r.created_at,
                    r.updated_at,
                    now
                ])?;
            }
            tx.prepare_cached(MARK_FETCHED)?
                .execute(params![env, "rtl", now])?;
        }
        tx.commit()?;
        // Still under the writer lock, so indexes see writes in commit order.
        let mut indexes = self.indexes_mut();
        let entry = indexes.entry(env.to_string()).or_default();
        entry.generation += 1;
        if let Some(ix) = entry.index.as_mut() {
            if !ix.apply(rtls) {
                entry.index = None;
            }
        }
        Ok(())
    }

    /// Same semantics as GET /link/request-to-link; `sort` None = the service's order
    /// (created_at desc, id desc).
    pub fn query_rtls(
        &self,
        env: &str,
        filter: &RtlFilter,
        page: u32,
        limit: u32,
        sort: Option<RtlSort>,
    ) -> Result<RtlPage, CacheError> {
        if page == 0 {
            return Err(CacheError::Data("Pages are numbered from 1".into()));
        }
        if limit == 0 || limit > MAX_LIMIT {
            return Err(CacheError::Data(format!(
                "The page size must be between 1 and {MAX_LIMIT}"
            )));
        }
        let filter = CheckedFilter::new(filter)?;
        let offset = (page as usize - 1).saturating_mul(limit as usize);
        let (total, ids) = self.matching_ids(env, &filter, sort, Some((offset, limit as usize)))?;
        let items = self.with_reader(|conn| {
            let mut stmt = conn.prepare_cached(SELECT_RTL_BY_ID)?;
            let mut items = Vec::with_capacity(ids.len());
            for id in &ids {
                if let Some(rtl) = stmt.query_row(params![env, id], rtl_from_row).optional()? {
                    items.push(rtl);
                }
            }
            Ok(items)
        })?;
        Ok(RtlPage {
            items,
            total,
            page,
            limit,
        })
    }

    /// The total and the IDs of the matches, in order: all of them, or the
    /// window `(offset, limit)`.
    pub(crate) fn matching_ids(
        &self,
        env: &str,
        filter: &CheckedFilter,
        sort: Option<RtlSort>,
        window: Option<(usize, usize)>,
    ) -> Result<(u64, Vec<String>), CacheError> {
        let needs_billers = filter.search_lc.is_some() || sort.is_some();
        let billers = if needs_billers {
            self.list_billers(env)?
        } else {
            Vec::new()
        };
        let names: HashMap<String, String> = billers.into_iter().map(|b| (b.id, b.name)).collect();
        let name_hits: HashSet<String> = match &filter.search_lc {
            Some(needle) => names
                .iter()
                .filter(|(_, name)| name.to_lowercase().contains(needle.as_str()))
                .map(|(id, _)| id.clone())
                .collect(),
            None => HashSet::new(),
        };
        let query = Query {
            status: filter.status.as_deref(),
            client_user_id: filter.client_user_id.as_deref(),
            biller_id: filter.biller_id.as_deref(),
            search: filter.search_lc.as_deref().map(|s| (s, &name_hits)),
        };
        self.with_index(env, |ix| match window {
            Some((offset, limit)) => {
                let (total, slots) = ix.page(&query, sort, &names, offset, limit);
                (
                    total,
                    slots.into_iter().map(|s| ix.id(s).to_string()).collect(),
                )
            }
            None => {
                let all = ix.matches(&query, sort, &names);
                (
                    all.len() as u64,
                    all.into_iter().map(|s| ix.id(s).to_string()).collect(),
                )
            }
        })
    }

    /// Builds the environment's RTL index now rather than on the first query
    /// (e.g. when the app starts offline).
    pub fn warm_rtl_index(&self, env: &str) -> Result<usize, CacheError> {
        self.with_index(env, |ix| ix.len())
    }

    /// Runs `f` on the environment's index, building it first if needed.
    fn with_index<T>(&self, env: &str, f: impl Fn(&RtlIndex) -> T) -> Result<T, CacheError> {
        // A write between reading the generation and installing the new index
        // makes it stale: build again (twice at most, then use it uninstalled).
        for attempt in 0..3 {
            let generation = {
                let indexes = self.indexes();
                if let Some(ix) = indexes.get(env).and_then(|e| e.index.as_ref()) {
                    return Ok(f(ix));
                }
                indexes.get(env).map_or(0, |e| e.generation)
            };
            tracing::info!(env, "building the in-memory RTL index");
            let t = std::time::Instant::now();
            let built = self.with_reader(|conn| build_index(conn, env))?;
            super::release_freed_memory();
            tracing::info!(
                env,
                rtls = built.len(),
                ms = t.elapsed().as_millis() as u64,
                "in-memory RTL index built"
            );
            let mut indexes = self.indexes_mut();
            let entry = indexes.entry(env.to_string()).or_default();
            if entry.generation == generation {
                let out = f(&built);
                entry.index = Some(built);
                return Ok(out);
            }
            if attempt == 2 {
                return Ok(f(&built));
            }
        }
        Err(CacheError::Data("the RTL index could not be built".into()))
    }

    pub fn get_rtl(&self, env: &str, id: &str) -> Result<Option<RequestToLink>, CacheError> {
        self.with_reader(|conn| {
            let mut stmt = conn.prepare_cached(SELECT_RTL_BY_ID)?;
            Ok(stmt.query_row(params![env, id], rtl_from_row).optional()?)
        })
    }

    /// The newest fetched_at (RFC 3339) of this environment's RTLs.
    pub fn rtls_fetched_at(&self, env: &str) -> Result<Option<String>, CacheError> {
        self.fetched_mark(env, "rtl")
    }

    /// How many RTLs of this environment are cached.
    pub fn rtl_count(&self, env: &str) -> Result<u64, CacheError> {
        self.with_index(env, |ix| ix.len() as u64)
    }

    pub fn upsert_billers(&self, env: &str, billers: &[Biller]) -> Result<(), CacheError> {
        let now = now_ms();
        let mut conn = self.writer();
        let tx = conn.transaction()?;
        {
            let mut stmt = tx.prepare_cached(
                "INSERT INTO billers (env, id, name, extra, fetched_at) VALUES (?1, ?2, ?3, ?4, ?5)
                 ON CONFLICT (env, id) DO UPDATE SET name = excluded.name,
                     extra = excluded.extra, fetched_at = excluded.fetched_at",
            )?;
            for b in billers {
                let extra =
                    serde_json::to_string(&b.extra).map_err(|e| CacheError::Data(e.to_string()))?;
                stmt.execute(params![env, b.id, b.name, extra, now])?;
            }
            tx.prepare_cached(MARK_FETCHED)?
                .execute(params![env, "biller", now])?;
        }
        tx.commit()?;
        Ok(())
    }

    pub fn list_billers(&self, env: &str) -> Result<Vec<Biller>, CacheError> {
        self.with_reader(|conn| {
            let mut stmt = conn.prepare_cached(
                "SELECT id, name, extra FROM billers WHERE env = ?1 ORDER BY name, id",
            )?;
            let rows = stmt.query_map([env], |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, String>(2)?,
                ))
            })?;
            let mut out = Vec::new();
            for row in rows {
                let (id, name, extra) = row?;
                let extra =
                    serde_json::from_str(&extra).map_err(|e| CacheError::Data(e.to_string()))?;
                out.push(Biller { id, name, extra });
            }
            Ok(out)
        })
    }

    /// For the sync's "anything new?" test: the cached `updated_at` of each of
    /// these IDs that is cached.
    pub fn rtl_updated_ats(
        &self,
        env: &str,
        ids: &[String],
    ) -> Result<HashMap<String, Option<String>>, CacheError> {
        self.with_reader(|conn| {
            let mut stmt =
                conn.prepare_cached("SELECT updated_at FROM rtls WHERE env = ?1 AND id = ?2")?;
            let mut out = HashMap::new();
            for id in ids {
                if let Some(u) = stmt
                    .query_row(params![env, id], |r| r.get::<_, Option<String>>(0))
                    .optional()?
                {
                    out.insert(id.clone(), u);
                }
            }
            Ok(out)
        })
    }

    /// IDs of cached RTLs that can still change (PENDING, IN_PROGRESS) and were
    /// last fetched before `before_ms`.
    pub fn open_rtls_fetched_before(
        &self,
        env: &str,
        before_ms: i64,
    ) -> Result<Vec<String>, CacheError> {
        self.with_reader(|conn| {
            let mut stmt = conn.prepare_cached(
                "SELECT id FROM rtls WHERE env = ?1 AND status IN ('PENDING', 'IN_PROGRESS')
                 AND fetched_at < ?2 ORDER BY id",
            )?;
            let ids = stmt.query_map(params![env, before_ms], |r| r.get(0))?;
            Ok(ids.collect::<Result<_, _>>()?)
        })
    }

    pub(crate) fn fetched_mark(&self, env: &str, kind: &str) -> Result<Option<String>, CacheError> {
        self.with_reader(|conn| {
            let ms: Option<i64> = conn
                .prepare_cached("SELECT fetched_at FROM fetch_marks WHERE env = ?1 AND kind = ?2")?
                .query_row(params![env, kind], |r| r.get(0))
                .optional()?;
            Ok(ms.map(ms_to_rfc3339))
        })
    }
}

/// Reads one environment's RTLs in file order (a sequential scan, much faster
/// than following any index) and orders them in memory.
fn build_index(conn: &Connection, env: &str) -> Result<RtlIndex, CacheError> {
    // The scan reads every page once: a large page cache would only keep them.
    conn.execute_batch("PRAGMA cache_size=-1024")?;
    let built = scan_into_index(conn, env);
    conn.execute_batch(&format!(
        "PRAGMA cache_size={}; PRAGMA shrink_memory",
        super::open::READER_CACHE
    ))?;
    built
}

fn scan_into_index(conn: &Connection, env: &str) -> Result<RtlIndex, CacheError> {
    let mut stmt = conn.prepare_cached(
        "SELECT id, client_user_id, biller_id, status, created_at, updated_at
         FROM rtls NOT INDEXED WHERE env = ?1",
    )?;
    let mut rows = stmt.query([env])?;
    let mut ix = RtlIndex::new();
    while let Some(r) = rows.next()? {
        // Borrowed straight from SQLite's buffers: no allocation per row.
        let text = |i: usize| r.get_ref(i).and_then(|v| Ok(v.as_str_or_null()?));
        let row = IndexRow {
            id: text(0)?.unwrap_or_default(),
            client_user_id: text(1)?.unwrap_or_default(),
            biller_id: text(2)?,
            status: text(3)?.unwrap_or_default(),
            created_at: text(4)?,
            updated_at: text(5)?,
        };
        ix.add(&row).map_err(CacheError::Data)?;
    }
    ix.finish();
    Ok(ix)
}

pub(crate) fn rtl_from_row(r: &Row) -> rusqlite::Result<RequestToLink> {
    let metadata: Option<String> = r.get(7)?;
    let metadata = match metadata {
        Some(text) => Some(serde_json::from_str(&text).map_err(|e| {
            rusqlite::Error::FromSqlConversionFailure(7, rusqlite::types::Type::Text, Box::new(e))
        })?),
        None => None,
    };
    Ok(RequestToLink {
        id: r.get(0)?,
        client_id: r.get(1)?,
        client_user_id: r.get(2)?,
        biller_id: r.get(3)?,
        status: RtlStatus::parse(&r.get::<_, String>(4)?),
        link_token_id: r.get(5)?,
        session_url: r.get(6)?,
        metadata,
        created_at: r.get(8)?,
        updated_at: r.get(9)?,
    })
}

pub(crate) const SELECT_RTL_BY_ID: &str = "SELECT id, client_id, client_user_id, biller_id, status,
    link_token_id, session_url, metadata, created_at, updated_at FROM rtls WHERE env = ?1 AND id = ?2";
