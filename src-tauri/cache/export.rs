//! "Export CSV": every row of the filtered, sorted RTL list, streamed to a
//! writer (the file is chosen and created by `crate::export`).

use std::collections::HashMap;
use std::io::Write;

use rusqlite::params;

use super::rtls::CheckedFilter;
use super::{Cache, CacheError, RtlSort};
use crate::biller::RtlFilter;

const HEADER: [&str; 11] = [
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
];

impl Cache {
    /// Writes every RTL matching `filter`, in `sort` order (None = the
    /// service's), to `out` as RFC 4180 CSV with a header row; returns the
    /// rows written. Rows are read one at a time.
    pub fn export_rtls_csv(
        &self,
        env: &str,
        filter: &RtlFilter,
        sort: Option<RtlSort>,
        out: &mut impl Write,
    ) -> Result<u64, CacheError> {
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
    ) -> Result<u64, CacheError> {
        write_record(out, HEADER)?;
        let rows = self.with_reader(|conn| {
            // One read transaction: every row comes from the same snapshot.
            conn.execute_batch("BEGIN")?;
            let result = (|| {
                // Metadata is stored as compact JSON already: written as stored.
                let mut stmt = conn.prepare_cached(
                    "SELECT id, client_id, client_user_id, biller_id, status, link_token_id,
                         session_url, metadata, created_at, updated_at
                     FROM rtls WHERE env = ?1 AND id = ?2",
                )?;
                let mut rows = 0u64;
                for id in ids {
                    let mut found = stmt.query(params![env, id])?;
                    let Some(r) = found.next()? else { continue };
                    let text = |i: usize| -> Result<&str, CacheError> {
                        Ok(r.get_ref(i)?
                            .as_str_or_null()
                            .map_err(rusqlite::Error::from)?
                            .unwrap_or(""))
                    };
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
                    ];
                    write_record(out, fields)?;
                    rows += 1;
                }
                Ok::<_, CacheError>(rows)
            })();
            conn.execute_batch("COMMIT")?;
            result
        })?;
        out.flush()?;
        Ok(rows)
    }
}

fn write_record<'a>(
    out: &mut impl Write,
    fields: impl IntoIterator<Item = &'a str>,
) -> Result<(), CacheError> {
    let mut line = String::new();
    for (i, f) in fields.into_iter().enumerate() {
        if i > 0 {
            line.push(',');
        }
        line.push_str(&csv_field(f));
    }
    line.push_str("\r\n");
    out.write_all(line.as_bytes())?;
    Ok(())
}

/// One CSV cell: a value a spreadsheet would run as a formula gets a leading
/// single quote; a value with a comma, quote or line break is quoted (RFC 4180).
pub(crate) fn csv_field(value: &str) -> String {
    let guarded = if value.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{value}")
    } else {
        value.to_string()
    };
    if guarded.contains([',', '"', '\r', '\n']) {
        format!("\"{}\"", guarded.replace('"', "\"\""))
    } else {
        guarded
    }
}

#[cfg(test)]
mod tests {
    use super::csv_field;

    #[test]
    fn cells_are_quoted_and_guarded() {
        assert_eq!(csv_field("plain"), "plain");
        assert_eq!(csv_field("a,b"), "\"a,b\"");
        assert_eq!(csv_field("say \"hi\""), "\"say \"\"hi\"\"\"");
        assert_eq!(csv_field("=1+1"), "'=1+1");
        assert_eq!(csv_field("-2"), "'-2");
        assert_eq!(csv_field("@x,y"), "\"'@x,y\"");
        assert_eq!(csv_field("line\nbreak"), "\"line\nbreak\"");
        assert_eq!(csv_field("\rx"), "\"'\rx\"");
    }
}
