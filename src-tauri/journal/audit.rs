//! The audit log: one row per write Linkdesk makes (or refuses to make), with
//! its environment, its non-secret fields and its outcome. Rows are only ever
//! added.

use std::io::Write;

use rusqlite::{params, Row};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::{now, Journal, JournalError};
use crate::csv_out::CsvOut;
use crate::error::AppError;

/// How a write ended.
#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    /// Done; the detail says what came back (a status, an ID).
    Ok(Option<String>),
    Error {
        code: String,
        message: String,
    },
}

impl Outcome {
    pub fn from_error(e: &AppError) -> Self {
        let code = e.code.as_str().to_string();
        Outcome::Error {
            code,
            message: e.message.clone(),
        }
    }
}

/// One write to record. `fields` holds the request's non-secret fields only.
#[derive(Debug, Clone, PartialEq)]
pub struct AuditEntry {
    pub env_id: String,
    pub env_name: String,
    pub action: String,
    pub target: String,
    pub fields: Value,
    pub outcome: Outcome,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AuditRow {
    pub id: i64,
    pub at: String,
    pub env_id: String,
    pub env_name: String,
    pub action: String,
    pub target: String,
    pub fields: Value,
    /// "ok" or "error".
    pub outcome: String,
    pub detail: Option<String>,
    pub error_code: Option<String>,
    pub error_message: Option<String>,
}

/// The view's filters; None or empty means "any". `from` and `to` are RFC 3339
/// instants (`to` excluded).
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AuditFilter {
    #[serde(default)]
    pub action: Option<String>,
    #[serde(default)]
    pub env_id: Option<String>,
    #[serde(default)]
    pub from: Option<String>,
    #[serde(default)]
    pub to: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AuditPage {
    pub rows: Vec<AuditRow>,
    pub total: u64,
}

/// What the filters can choose from.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AuditFacets {
    pub actions: Vec<String>,
    /// `(id, latest name)` of every environment in the log.
    pub environments: Vec<(String, String)>,
}

const COLUMNS: &str =
    "id, at, env_id, env_name, action, target, fields, outcome, detail, error_code, error_message";

/// The filter as SQL parameters: instants are normalised to the stored form
/// so that text comparison is time comparison.
struct Bound {
    action: Option<String>,
    env_id: Option<String>,
    from: Option<String>,
    to: Option<String>,
}

const WHERE: &str = "(?1 IS NULL OR action = ?1) AND (?2 IS NULL OR env_id = ?2)
    AND (?3 IS NULL OR at >= ?3) AND (?4 IS NULL OR at < ?4)";

/// A filter's text value: None when absent or blank.
pub(crate) fn filter_text(v: &Option<String>) -> Option<String> {
    v.as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_string)
}

/// A filter's RFC 3339 instant (`name` says which, for the error).
pub(crate) fn filter_instant(
    v: &Option<String>,
    name: &str,
) -> Result<Option<chrono::DateTime<chrono::Utc>>, AppError> {
    match filter_text(v) {
        None => Ok(None),
        Some(s) => chrono::DateTime::parse_from_rfc3339(&s)
            .map(|d| Some(d.with_timezone(&chrono::Utc)))
            .map_err(|_| AppError::invalid(format!("\"{s}\" is not a valid {name} date"))),
    }
}

fn bind(filter: &AuditFilter) -> Result<Bound, AppError> {
    let text = filter_text;
    let instant =
        |v: &Option<String>, name: &str| -> Result<Option<String>, AppError> {
            Ok(filter_instant(v, name)?
                .map(|d| d.to_rfc3339_opts(chrono::SecondsFormat::Millis, true)))
        };
    Ok(Bound {
        action: text(&filter.action),
        env_id: text(&filter.env_id),
        from: instant(&filter.from, "start")?,
        to: instant(&filter.to, "end")?,
    })
}

fn from_row(r: &Row<'_>) -> rusqlite::Result<AuditRow> {
    let fields: String = r.get(6)?;
    Ok(AuditRow {
        id: r.get(0)?,
        at: r.get(1)?,
        env_id: r.get(2)?,
        env_name: r.get(3)?,
        action: r.get(4)?,
        target: r.get(5)?,
        fields: serde_json::from_str(&fields).unwrap_or(Value::String(fields)),
        outcome: r.get(7)?,
        detail: r.get(8)?,
        error_code: r.get(9)?,
        error_message: r.get(10)?,
    })
}

impl Journal {
    pub fn audit(&self, entry: &AuditEntry) -> Result<(), JournalError> {
        let fields =
            serde_json::to_string(&entry.fields).map_err(|e| JournalError::Data(e.to_string()))?;
        let (outcome, detail, code, message) = match &entry.outcome {
            Outcome::Ok(detail) => ("ok", detail.clone(), None, None),
            Outcome::Error { code, message } => {
                ("error", None, Some(code.clone()), Some(message.clone()))
            }
        };
        let at = now();
        let team = self.team_kind_of(&entry.env_id);
        let mut conn = self.conn()?;
        let tx = conn.transaction()?;
        tx.execute(
            "INSERT INTO audit_log (at, env_id, env_name, action, target, fields, outcome, detail,
                 error_code, error_message)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
            params![
                at,
                entry.env_id,
                entry.env_name,
                entry.action,
                entry.target,
                fields,
                outcome,
                detail,
                code,
                message
            ],
        )?;
        if let Some(kind) = team {
            let body = serde_json::json!({
                "at": at,
                "envId": entry.env_id,
                "envName": entry.env_name,
                "action": entry.action,
                "target": entry.target,
                "fields": entry.fields,
                "outcome": outcome,
                "detail": detail,
                "errorCode": code,
                "errorMessage": message,
            });
            super::outbox::push(&tx, &kind, "audit", &body)?;
        }
        tx.commit()?;
        Ok(())
    }

    /// Newest first.
    pub fn audit_page(
        &self,
        filter: &AuditFilter,
        offset: u32,
        limit: u32,
    ) -> Result<AuditPage, JournalError> {
        let b = bind(filter).map_err(JournalError::Refused)?;
        let conn = self.conn()?;
        let total: u64 = conn.query_row(
            &format!("SELECT COUNT(*) FROM audit_log WHERE {WHERE}"),
            params![b.action, b.env_id, b.from, b.to],
            |r| r.get(0),
        )?;
        let mut stmt = conn.prepare_cached(&format!(
            "SELECT {COLUMNS} FROM audit_log WHERE {WHERE} ORDER BY at DESC, id DESC LIMIT ?5 OFFSET ?6"
        ))?;
        let rows = stmt
            .query_map(
                params![b.action, b.env_id, b.from, b.to, limit, offset],
                from_row,
            )?
            .collect::<Result<_, _>>()?;
        Ok(AuditPage { rows, total })
    }

    pub fn audit_facets(&self) -> Result<AuditFacets, JournalError> {
        let conn = self.conn()?;
        let actions = conn
            .prepare_cached("SELECT DISTINCT action FROM audit_log ORDER BY action")?
            .query_map([], |r| r.get(0))?
            .collect::<Result<_, _>>()?;
        let environments = conn
            .prepare_cached(
                "SELECT env_id, env_name FROM audit_log WHERE id IN
                     (SELECT MAX(id) FROM audit_log GROUP BY env_id)
                 ORDER BY env_name, env_id",
            )?
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
            .collect::<Result<_, _>>()?;
        Ok(AuditFacets {
            actions,
            environments,
        })
    }

    /// Every matching row, newest first, as RFC 4180 CSV written to `out`
    /// (the file is chosen and created by `crate::export`). Returns the rows
    /// written.
    pub fn export_audit_csv(
        &self,
        filter: &AuditFilter,
        out: &mut impl Write,
    ) -> Result<u64, JournalError> {
        let b = bind(filter).map_err(JournalError::Refused)?;
        let mut csv = CsvOut::new(&mut *out);
        csv.write_row([
            "time",
            "environment_id",
            "environment",
            "action",
            "target",
            "outcome",
            "detail",
            "error_code",
            "error_message",
            "fields",
        ])?;
        let conn = self.conn()?;
        let mut stmt = conn.prepare_cached(&format!(
            "SELECT {COLUMNS} FROM audit_log WHERE {WHERE} ORDER BY at DESC, id DESC"
        ))?;
        let mut rows = stmt.query(params![b.action, b.env_id, b.from, b.to])?;
        let mut n = 0u64;
        while let Some(r) = rows.next()? {
            let row = from_row(r)?;
            csv.write_row([
                row.at,
                row.env_id,
                row.env_name,
                row.action,
                row.target,
                row.outcome,
                row.detail.unwrap_or_default(),
                row.error_code.unwrap_or_default(),
                row.error_message.unwrap_or_default(),
                row.fields.to_string(),
            ])?;
            n += 1;
        }
        csv.flush()?;
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::ErrorCode;

    fn entry(env: &str, action: &str, outcome: Outcome) -> AuditEntry {
        AuditEntry {
            env_id: env.into(),
            env_name: format!("{env} name"),
            action: action.into(),
            target: "t1".into(),
            fields: serde_json::json!({"amount": "1.00", "note": "=HYPERLINK(\"x\")"}),
            outcome,
        }
    }

    #[test]
    fn entries_filter_and_export() {
        let dir = tempfile::tempdir().unwrap();
        let (j, _) = Journal::open(dir.path());
        j.audit(&entry(
            "a",
            "refund",
            Outcome::Ok(Some("AUTHORIZED".into())),
        ))
        .unwrap();
        j.audit(&entry(
            "b",
            "rtl.cancel",
            Outcome::from_error(&AppError::new(ErrorCode::ProductionLocked, "locked")),
        ))
        .unwrap();
        let all = j.audit_page(&AuditFilter::default(), 0, 50).unwrap();
        assert_eq!(all.total, 2);
        assert_eq!(all.rows[0].action, "rtl.cancel");
        assert_eq!(all.rows[0].error_code.as_deref(), Some("production_locked"));
        let only = AuditFilter {
            action: Some("refund".into()),
            ..Default::default()
        };
        let page = j.audit_page(&only, 0, 50).unwrap();
        assert_eq!(page.total, 1);
        assert_eq!(page.rows[0].fields["amount"], "1.00");
        let by_env = AuditFilter {
            env_id: Some("b".into()),
            ..Default::default()
        };
        assert_eq!(j.audit_page(&by_env, 0, 50).unwrap().total, 1);
        let future = AuditFilter {
            from: Some("2999-01-01T00:00:00+02:00".into()),
            ..Default::default()
        };
        assert_eq!(j.audit_page(&future, 0, 50).unwrap().total, 0);
        let past = AuditFilter {
            to: Some("2000-01-01T00:00:00Z".into()),
            ..Default::default()
        };
        assert_eq!(j.audit_page(&past, 0, 50).unwrap().total, 0);
        let bad = AuditFilter {
            from: Some("yesterday".into()),
            ..Default::default()
        };
        assert_eq!(
            j.audit_page(&bad, 0, 50)
                .map_err(AppError::from)
                .unwrap_err()
                .code,
            ErrorCode::InvalidInput
        );
        let facets = j.audit_facets().unwrap();
        assert_eq!(facets.actions, vec!["refund", "rtl.cancel"]);
        assert_eq!(facets.environments.len(), 2);

        let mut csv = Vec::new();
        assert_eq!(
            j.export_audit_csv(&AuditFilter::default(), &mut csv)
                .unwrap(),
            2
        );
        let text = String::from_utf8(csv).unwrap();
        let lines: Vec<&str> = text.split("\r\n").collect();
        assert!(lines[0].starts_with("time,environment_id"));
        assert!(lines[1].contains("rtl.cancel") && lines[1].contains("production_locked"));
        assert!(
            lines[2].contains("\"{\"\"amount\"\":\"\"1.00\"\""),
            "{}",
            lines[2]
        );
    }
}
