//! "Export CSV": every row of the filtered, sorted RTL list, streamed to a
//! writer (the file is chosen and created by `crate::export`).

use std::collections::HashMap;
use std::io::Write;

use rusqlite::params;

use super::rtls::CheckedFilter;
use super::{Cache, CacheError, RtlSort};
use crate::biller::RtlFilter;
use crate::csv_out::CsvOut;

const HEADER: [&str; 12] = [
    "id",
    "client_id",
    "client_user_id",
    "biller_id",
    "biller_name",
    "status",
    "link_token_id",
    "session_url",
    "metadata",
    "created_at",
    "updated_at",
    // When Linkdesk last read the row from BillerAPI (UTC): the file is the
    // local cache's copy, and says how old each row is.
    "fetched_at",
];

/// What an export of the cache wrote: the rows, and when the oldest of them
/// was read from the service (milliseconds since the Unix epoch).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CsvRows {
    pub rows: u64,
    pub oldest_fetched_ms: Option<i64>,
}

impl Cache {
    /// Writes every RTL matching `filter`, in `sort` order (None = the
    /// service's), to `out` as RFC 4180 CSV with a header row; returns the
    /// rows written and the oldest row's fetch time. Rows are read one at a
    /// time.
    pub fn export_rtls_csv(
        &self,
        env: &str,
        filter: &RtlFilter,
        sort: Option<RtlSort>,
        out: &mut impl Write,
    ) -> Result<CsvRows, CacheError> {
        let filter = CheckedFilter::new(filter)?;
        let (_, ids) = self.matching_ids(env, &filter, sort, None)?;
        let names: HashMap<String, String> = self
            .list_billers(env)?
            .into_iter()
            .map(|b| (b.id, b.name))
            .collect();
        self.write_csv(env, &ids, &names, out)
    }

    fn write_csv(
        &self,
        env: &str,
        ids: &[String],
        names: &HashMap<String, String>,
        out: &mut impl Write,
    ) -> Result<CsvRows, CacheError> {
        let mut csv = CsvOut::new(&mut *out);
        csv.write_row(HEADER)?;
        let rows = self.with_reader(|conn| {
            // One read transaction: every row comes from the same snapshot.
            conn.execute_batch("BEGIN")?;
            let result = (|| {
                // Metadata is stored as compact JSON already: written as stored.
                let mut stmt = conn.prepare_cached(
                    "SELECT id, client_id, client_user_id, biller_id, status, link_token_id,
                         session_url, metadata, created_at, updated_at, fetched_at
                     FROM rtls WHERE env = ?1 AND id = ?2",
                )?;
                let mut rows = 0u64;
                let mut oldest: Option<i64> = None;
                for id in ids {
                    let mut found = stmt.query(params![env, id])?;
                    let Some(r) = found.next()? else { continue };
                    let text = |i: usize| -> Result<&str, CacheError> {
                        Ok(r.get_ref(i)?
                            .as_str_or_null()
                            .map_err(rusqlite::Error::from)?
                            .unwrap_or(""))
                    };
                    let fetched: i64 = r.get(10)?;
                    oldest = Some(oldest.map_or(fetched, |o| o.min(fetched)));
                    let fetched_at = chrono::DateTime::from_timestamp_millis(fetched)
                        .map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::Millis, true))
                        .unwrap_or_default();
                    let biller = text(3)?;
                    let biller_name = names.get(biller).map_or("", String::as_str);
                    let fields = [
                        text(0)?,
                        text(1)?,
                        text(2)?,
                        biller,
                        biller_name,
                        text(4)?,
                        text(5)?,
                        text(6)?,
                        text(7)?,
                        text(8)?,
                        text(9)?,
                        &fetched_at,
                    ];
                    csv.write_row(fields)?;
                    rows += 1;
                }
                Ok::<_, CacheError>(CsvRows {
                    rows,
                    oldest_fetched_ms: oldest,
                })
            })();
            conn.execute_batch("COMMIT")?;
            result
        })?;
        csv.flush()?;
        Ok(rows)
    }
}
