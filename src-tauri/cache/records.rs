//! Link Money records (JSON by kind and ID), the "Recent" list, and "Go to ID"
//! across every kind of cached record.

use rusqlite::{params, OptionalExtension};
use serde_json::Value;

use super::{ms_to_rfc3339, now_ms, Cache, CacheError, FoundRecord, RecordKind};

/// A record the user opened, for the "Recent" list.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Lookup {
    pub kind: String,
    pub id: String,
    pub label: String,
    /// RFC 3339 UTC.
    pub looked_up_at: String,
}

/// How many "Recent" entries are kept per environment.
const RECENT_KEPT: i64 = 100;

/// The kinds "Go to ID" searches, besides RTLs and billers. The account lists
/// are keyed by customer ID, so they are found through their customer.
const FINDABLE: [RecordKind; 3] = [
    RecordKind::Customer,
    RecordKind::Transaction,
    RecordKind::Payout,
];

impl Cache {
    pub fn upsert_record(
        &self,
        env: &str,
        kind: RecordKind,
        id: &str,
        body: &Value,
    ) -> Result<(), CacheError> {
        let text = serde_json::to_string(body).map_err(|e| CacheError::Data(e.to_string()))?;
        let label = label_for(kind.as_str(), body);
        let now = now_ms();
        let mut conn = self.writer();
        let tx = conn.transaction()?;
        tx.prepare_cached(
            "INSERT INTO records (env, kind, id, body, fetched_at, label) VALUES (?1, ?2, ?3, ?4, ?5, ?6)
             ON CONFLICT (env, kind, id) DO UPDATE SET body = excluded.body,
                 fetched_at = excluded.fetched_at, label = excluded.label",
        )?
        .execute(params![env, kind.as_str(), id, text, now, label])?;
        tx.prepare_cached(
            "INSERT INTO fetch_marks (env, kind, fetched_at) VALUES (?1, ?2, ?3)
             ON CONFLICT (env, kind) DO UPDATE SET fetched_at = excluded.fetched_at",
        )?
        .execute(params![env, kind.as_str(), now])?;
        tx.commit()?;
        Ok(())
    }

    /// The cached JSON and when it was fetched (RFC 3339).
    pub fn get_record(
        &self,
        env: &str,
        kind: RecordKind,
        id: &str,
    ) -> Result<Option<(Value, String)>, CacheError> {
        let row: Option<(String, i64)> = self.with_reader(|conn| {
            Ok(conn
                .prepare_cached(
                    "SELECT body, fetched_at FROM records WHERE env = ?1 AND kind = ?2 AND id = ?3",
                )?
                .query_row(params![env, kind.as_str(), id], |r| {
                    Ok((r.get(0)?, r.get(1)?))
                })
                .optional()?)
        })?;
        match row {
            Some((body, at)) => {
                let value =
                    serde_json::from_str(&body).map_err(|e| CacheError::Data(e.to_string()))?;
                Ok(Some((value, ms_to_rfc3339(at))))
            }
            None => Ok(None),
        }
    }

    /// Remembers that a record was opened; the oldest entries beyond the kept
    /// number are forgotten.
    pub fn record_lookup(
        &self,
        env: &str,
        kind: &str,
        id: &str,
        label: &str,
    ) -> Result<(), CacheError> {
        let mut conn = self.writer();
        let tx = conn.transaction()?;
        tx.prepare_cached(
            // Strictly increasing per environment, so the order of two
            // lookups in the same millisecond is still the order they happened.
            "INSERT INTO lookups (env, kind, id, label, looked_up_at)
             VALUES (?1, ?2, ?3, ?4, MAX(?5, 1 + COALESCE(
                 (SELECT MAX(looked_up_at) FROM lookups WHERE env = ?1), 0)))
             ON CONFLICT (env, kind, id) DO UPDATE SET label = excluded.label,
                 looked_up_at = excluded.looked_up_at",
        )?
        .execute(params![env, kind, id, label, now_ms()])?;
        tx.prepare_cached(
            "DELETE FROM lookups WHERE env = ?1 AND looked_up_at < (
                 SELECT looked_up_at FROM lookups WHERE env = ?1
                 ORDER BY looked_up_at DESC LIMIT 1 OFFSET ?2)",
        )?
        .execute(params![env, RECENT_KEPT - 1])?;
        tx.commit()?;
        Ok(())
    }

    /// The most recently opened records, newest first.
    pub fn recent_lookups(&self, env: &str, limit: u32) -> Result<Vec<Lookup>, CacheError> {
        self.with_reader(|conn| {
            let mut stmt = conn.prepare_cached(
                "SELECT kind, id, label, looked_up_at FROM lookups WHERE env = ?1
                 ORDER BY looked_up_at DESC, kind, id LIMIT ?2",
            )?;
            let rows = stmt.query_map(params![env, limit], |r| {
                Ok(Lookup {
                    kind: r.get(0)?,
                    id: r.get(1)?,
                    label: r.get(2)?,
                    looked_up_at: ms_to_rfc3339(r.get(3)?),
                })
            })?;
            Ok(rows.collect::<Result<_, _>>()?)
        })
    }

    /// "Go to ID": cached records of any kind whose ID is `query` or starts
    /// with it; exact matches first, then by ID. Each lookup is a range on a
    /// primary key, so it stays fast at a million records.
    pub fn find_by_id(
        &self,
        env: &str,
        query: &str,
        limit: u32,
    ) -> Result<Vec<FoundRecord>, CacheError> {
        let query = query.trim();
        if query.is_empty() || limit == 0 {
            return Ok(Vec::new());
        }
        let upper = prefix_upper_bound(query);
        // The bound must be a plain comparison for SQLite to end the index
        // range there (an "IS NULL OR" form scans to the end of the table).
        let below = if upper.is_some() {
            "id < ?3"
        } else {
            "?3 IS NULL"
        };
        let mut found: Vec<FoundRecord> = self.with_reader(|conn| {
            let mut found = Vec::new();
            let mut rtls = conn.prepare_cached(&format!(
                "SELECT id, client_user_id, status FROM rtls
                 WHERE env = ?1 AND id >= ?2 AND {below} ORDER BY id LIMIT ?4"
            ))?;
            let rows = rtls.query_map(params![env, query, upper, limit], |r| {
                let user: String = r.get(1)?;
                let status: String = r.get(2)?;
                Ok(FoundRecord {
                    kind: "rtl".into(),
                    id: r.get(0)?,
                    label: format!("{user} · {status}"),
                })
            })?;
            for row in rows {
                found.push(row?);
            }
            let mut billers = conn.prepare_cached(&format!(
                "SELECT id, name FROM billers
                 WHERE env = ?1 AND id >= ?2 AND {below} ORDER BY id LIMIT ?4"
            ))?;
            let rows = billers.query_map(params![env, query, upper, limit], |r| {
                Ok(FoundRecord {
                    kind: "biller".into(),
                    id: r.get(0)?,
                    label: r.get(1)?,
                })
            })?;
            for row in rows {
                found.push(row?);
            }
            let mut records = conn.prepare_cached(&format!(
                "SELECT id, label FROM records
                 WHERE env = ?1 AND kind = ?5 AND id >= ?2 AND {below} ORDER BY id LIMIT ?4"
            ))?;
            for kind in FINDABLE {
                let rows =
                    records.query_map(params![env, query, upper, limit, kind.as_str()], |r| {
                        Ok(FoundRecord {
                            kind: kind.as_str().into(),
                            id: r.get(0)?,
                            label: r.get(1)?,
                        })
                    })?;
                for row in rows {
                    found.push(row?);
                }
            }
            Ok(found)
        })?;
        found.retain(|f| f.id.starts_with(query));
        found.sort_by(|a, b| (a.id != query, &a.id, &a.kind).cmp(&(b.id != query, &b.id, &b.kind)));
        found.truncate(limit as usize);
        Ok(found)
    }
}

/// The smallest string greater than every string that starts with `prefix`
/// (None when there is none): with UTF-8 and SQLite's binary collation, the
/// IDs in `[prefix, upper)` are exactly those starting with `prefix`.
fn prefix_upper_bound(prefix: &str) -> Option<String> {
    let mut chars: Vec<char> = prefix.chars().collect();
    while let Some(last) = chars.pop() {
        let next = (last as u32 + 1..=char::MAX as u32).find_map(char::from_u32);
        if let Some(next) = next {
            chars.push(next);
            return Some(chars.into_iter().collect());
        }
    }
    None
}

/// A short label for a cached Link Money record, from the fields its documents
/// name: a customer's name or email, an amount and status otherwise.
pub(crate) fn label_for(kind: &str, body: &Value) -> String {
    let text = |key: &str| {
        body.get(key)
            .and_then(Value::as_str)
            .unwrap_or("")
            .trim()
            .to_string()
    };
    // "$411.60 USD", as every other view writes an amount.
    let amount = || {
        body.get("amount")
            .and_then(|a| serde_json::from_value::<crate::linkmoney::Money>(a.clone()).ok())
            .map(|m| {
                format!(
                    "${} {}",
                    crate::linkmoney::format_cents(m.cents),
                    m.currency
                )
                .trim()
                .to_string()
            })
            .unwrap_or_default()
    };
    let join = |parts: Vec<String>| {
        parts
            .into_iter()
            .filter(|p| !p.is_empty())
            .collect::<Vec<_>>()
            .join(" · ")
    };
    match kind {
        "customer" => {
            let name = format!("{} {}", text("firstName"), text("lastName"))
                .trim()
                .to_string();
            join(vec![name, text("email")])
        }
        "transaction" => join(vec![amount(), text("transactionStatus")]),
        "payout" => join(vec![amount(), text("payoutStatus")]),
        _ => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn upper_bound_covers_exactly_the_prefix() {
        assert_eq!(prefix_upper_bound("rtl_a").as_deref(), Some("rtl_b"));
        assert_eq!(prefix_upper_bound("a\u{10FFFF}").as_deref(), Some("b"));
        assert_eq!(prefix_upper_bound("\u{10FFFF}"), None);
        // The next scalar after the last before the surrogate gap.
        assert_eq!(prefix_upper_bound("\u{D7FF}").as_deref(), Some("\u{E000}"));
    }

    #[test]
    fn labels_use_the_documented_fields() {
        let c = serde_json::json!({"firstName": "Ada", "lastName": "Lovelace", "email": "ada@example.com"});
        assert_eq!(label_for("customer", &c), "Ada Lovelace · ada@example.com");
        let t = serde_json::json!({"amount": {"value": 12.5, "currency": "USD"}, "transactionStatus": "SUCCEEDED"});
        assert_eq!(label_for("transaction", &t), "$12.50 USD · SUCCEEDED");
        let p = serde_json::json!({"amount": {"value": "411.6", "currency": "USD"}, "payoutStatus": "PAID"});
        assert_eq!(label_for("payout", &p), "$411.60 USD · PAID");
        assert_eq!(label_for("payout", &serde_json::json!({})), "");
    }
}
