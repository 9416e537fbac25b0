//! Queries over cached Link Money records that the money views need.

use rusqlite::params;
use serde_json::Value;

use super::{ms_to_rfc3339, Cache, CacheError, RecordKind};

/// At most this many cached transactions are read for one customer.
const CUSTOMER_TRANSACTIONS_MAX: u32 = 1_000;

impl Cache {
    /// The cached transactions of one customer (the JSON Link Money sent, and
    /// when it was fetched), newest fetch first.
    pub fn customer_transactions(
        &self,
        env: &str,
        customer_id: &str,
    ) -> Result<Vec<(Value, String)>, CacheError> {
        let rows: Vec<(String, i64)> = self.with_reader(|conn| {
            let mut stmt = conn.prepare_cached(
                "SELECT body, fetched_at FROM records
                 WHERE env = ?1 AND kind = ?2
                   AND CAST(json_extract(body, '$.customerId') AS TEXT) = ?3
                 ORDER BY fetched_at DESC, id LIMIT ?4",
            )?;
            let rows = stmt.query_map(
                params![
                    env,
                    RecordKind::Transaction.as_str(),
                    customer_id,
                    CUSTOMER_TRANSACTIONS_MAX
                ],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )?;
            Ok(rows.collect::<Result<_, _>>()?)
        })?;
        rows.into_iter()
            .map(|(body, at)| {
                let value =
                    serde_json::from_str(&body).map_err(|e| CacheError::Data(e.to_string()))?;
                Ok((value, ms_to_rfc3339(at)))
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn transactions_are_found_by_customer() {
        let dir = tempfile::tempdir().unwrap();
        let (cache, _) = Cache::open(dir.path()).unwrap();
        let t = |id: &str, customer: Value| json!({"transactionId": id, "customerId": customer});
        cache
            .upsert_record("e", RecordKind::Transaction, "t1", &t("t1", json!("c1")))
            .unwrap();
        cache
            .upsert_record("e", RecordKind::Transaction, "t2", &t("t2", json!("c2")))
            .unwrap();
        cache
            .upsert_record("e", RecordKind::Transaction, "t3", &t("t3", json!(42)))
            .unwrap();
        cache
            .upsert_record(
                "other",
                RecordKind::Transaction,
                "t4",
                &t("t4", json!("c1")),
            )
            .unwrap();
        let found = cache.customer_transactions("e", "c1").unwrap();
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].0["transactionId"], "t1");
        assert_eq!(cache.customer_transactions("e", "42").unwrap().len(), 1);
        assert!(cache
            .customer_transactions("e", "nobody")
            .unwrap()
            .is_empty());
    }
}
