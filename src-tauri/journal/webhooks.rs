//! Webhook subscriptions made from this app. The secret key never comes here:
//! only the keyring account that holds it.

use rusqlite::{params, OptionalExtension, Row};
use serde::Serialize;

use super::{now, Journal, JournalError};

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct WebhookRow {
    /// Linkdesk's own ID for the subscription (also names its keyring entry).
    pub id: String,
    pub env_id: String,
    pub subscription_key: String,
    pub url: String,
    /// ALL, CATEGORY or EVENT.
    #[serde(rename = "type")]
    pub sub_type: String,
    pub details: Vec<String>,
    #[serde(skip)]
    pub secret_account: String,
    pub created_at: String,
}

const COLUMNS: &str =
    "id, env_id, subscription_key, url, sub_type, details, secret_account, created_at";

fn from_row(r: &Row<'_>) -> rusqlite::Result<WebhookRow> {
    let details: String = r.get(5)?;
    Ok(WebhookRow {
        id: r.get(0)?,
        env_id: r.get(1)?,
        subscription_key: r.get(2)?,
        url: r.get(3)?,
        sub_type: r.get(4)?,
        details: serde_json::from_str(&details).unwrap_or_default(),
        secret_account: r.get(6)?,
        created_at: r.get(7)?,
    })
}

impl Journal {
    /// Saves a subscription; `created_at` is set here.
    pub fn add_webhook(&self, row: &WebhookRow) -> Result<WebhookRow, JournalError> {
        let details =
            serde_json::to_string(&row.details).map_err(|e| JournalError::Data(e.to_string()))?;
        let at = now();
        self.conn()?.execute(
            "INSERT INTO webhook_subscriptions (id, env_id, subscription_key, url, sub_type, details,
                 secret_account, created_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
            params![
                row.id,
                row.env_id,
                row.subscription_key,
                row.url,
                row.sub_type,
                details,
                row.secret_account,
                at
            ],
        )?;
        Ok(WebhookRow {
            created_at: at,
            ..row.clone()
        })
    }

    pub fn webhooks(&self, env_id: &str) -> Result<Vec<WebhookRow>, JournalError> {
        let conn = self.conn()?;
        let mut stmt = conn.prepare_cached(&format!(
            "SELECT {COLUMNS} FROM webhook_subscriptions WHERE env_id = ?1 ORDER BY created_at DESC, id"
        ))?;
        let rows = stmt.query_map([env_id], from_row)?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    pub fn webhook(&self, id: &str) -> Result<Option<WebhookRow>, JournalError> {
        let conn = self.conn()?;
        let row = conn
            .prepare_cached(&format!(
                "SELECT {COLUMNS} FROM webhook_subscriptions WHERE id = ?1"
            ))?
            .query_row([id], from_row)
            .optional()?;
        Ok(row)
    }

    pub fn remove_webhook(&self, id: &str) -> Result<(), JournalError> {
        self.conn()?
            .execute("DELETE FROM webhook_subscriptions WHERE id = ?1", [id])?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn subscriptions_are_listed_per_environment() {
        let dir = tempfile::tempdir().unwrap();
        let (j, _) = Journal::open(dir.path());
        let row = WebhookRow {
            id: "w1".into(),
            env_id: "e".into(),
            subscription_key: "sk".into(),
            url: "https://hooks.example.test/lm".into(),
            sub_type: "EVENT".into(),
            details: vec!["payment.created".into()],
            secret_account: "env/e/webhook-secret/w1".into(),
            created_at: String::new(),
        };
        j.add_webhook(&row).unwrap();
        let listed = j.webhooks("e").unwrap();
        assert_eq!(listed.len(), 1);
        assert_eq!(listed[0].details, vec!["payment.created"]);
        assert!(j.webhooks("other").unwrap().is_empty());
        assert!(!serde_json::to_string(&listed[0])
            .unwrap()
            .contains("webhook-secret"));
        j.remove_webhook("w1").unwrap();
        assert!(j.webhook("w1").unwrap().is_none());
    }
}
