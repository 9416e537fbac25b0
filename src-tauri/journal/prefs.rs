//! Durable preferences that guard money: kept with the journal, not in the
//! disposable cache.

use rusqlite::{params, OptionalExtension};

use super::{Journal, JournalError};

/// Above this amount a refund's amount must be typed a second time.
pub const DEFAULT_THRESHOLD_CENTS: i64 = 10_000;

const THRESHOLD_KEY: &str = "refund_confirm_threshold_cents";

impl Journal {
    pub fn threshold_cents(&self) -> Result<i64, JournalError> {
        let value: Option<String> = self
            .conn()?
            .query_row(
                "SELECT value FROM preferences WHERE key = ?1",
                [THRESHOLD_KEY],
                |r| r.get(0),
            )
            .optional()?;
        Ok(value
            .and_then(|v| v.parse().ok())
            .filter(|c: &i64| *c >= 0)
            .unwrap_or(DEFAULT_THRESHOLD_CENTS))
    }

    pub fn set_threshold_cents(&self, cents: i64) -> Result<(), JournalError> {
        if cents < 0 {
            return Err(JournalError::Data(
                "the threshold cannot be negative".into(),
            ));
        }
        self.conn()?.execute(
            "INSERT INTO preferences (key, value) VALUES (?1, ?2)
             ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            params![THRESHOLD_KEY, cents.to_string()],
        )?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_threshold_defaults_and_persists() {
        let dir = tempfile::tempdir().unwrap();
        let (j, _) = Journal::open(dir.path());
        assert_eq!(j.threshold_cents().unwrap(), DEFAULT_THRESHOLD_CENTS);
        j.set_threshold_cents(2_500).unwrap();
        drop(j);
        let (j, _) = Journal::open(dir.path());
        assert_eq!(j.threshold_cents().unwrap(), 2_500);
        assert!(j.set_threshold_cents(-1).is_err());
    }
}
