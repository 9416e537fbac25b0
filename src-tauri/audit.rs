//! Recording writes in the audit log (kept in `journal.sqlite`), and the audit
//! view's queries. Callers pass only non-secret fields: a credential change is
//! recorded as "secret set" or "secret cleared", never with its value.

use serde_json::Value;

use crate::app::{blocking, App};
use crate::error::AppResult;
use crate::export::{self, ExportTarget, Exported};
use crate::journal::{AuditEntry, AuditFacets, AuditFilter, AuditPage, Journal, Outcome};

/// The audit actions Linkdesk records.
pub mod action {
    pub const RTL_CREATE: &str = "rtl.create";
    pub const RTL_STATUS: &str = "rtl.status";
    pub const RTL_CANCEL: &str = "rtl.cancel";
    pub const RTL_PROCEED: &str = "rtl.proceed";
    pub const REFUND: &str = "refund";
    pub const REFUND_RESOLVE: &str = "refund.resolve";
    pub const REFUND_ELSEWHERE: &str = "refund.elsewhere_amount";
    pub const REFUND_APPROVAL_REQUEST: &str = "refund.approval_request";
    pub const REFUND_APPROVE: &str = "refund.approve";
    pub const REFUND_REJECTED: &str = "refund.reject";
    pub const TEAM_STORE_SAVE: &str = "setting.team_store";
    pub const WEBHOOK_SUBSCRIBE: &str = "webhook.subscribe";
    pub const WEBHOOK_UNSUBSCRIBE: &str = "webhook.unsubscribe";
    pub const ENVIRONMENT_SAVE: &str = "environment.save";
    pub const ENVIRONMENT_DELETE: &str = "environment.delete";
    pub const SECRET_SET: &str = "secret.set";
    pub const SECRET_CLEAR: &str = "secret.clear";
    pub const PRODUCTION_UNLOCK: &str = "production.unlock";
    pub const REFUND_THRESHOLD: &str = "setting.refund_threshold";
}

/// Builds the entry for a write's result. `detail` says what came back.
pub fn entry<T>(
    env_id: &str,
    env_name: &str,
    action: &str,
    target: &str,
    fields: Value,
    result: &AppResult<T>,
    detail: impl FnOnce(&T) -> Option<String>,
) -> AuditEntry {
    AuditEntry {
        env_id: env_id.to_string(),
        env_name: env_name.to_string(),
        action: action.to_string(),
        target: target.to_string(),
        fields,
        outcome: match result {
            Ok(v) => Outcome::Ok(detail(v)),
            Err(e) => Outcome::from_error(e),
        },
    }
}

/// Writes an entry. A failure to record never changes the write's own
/// result (the write has happened); it is logged loudly instead.
pub fn record(journal: &Journal, entry: AuditEntry) {
    if let Err(e) = journal.audit(&entry) {
        tracing::error!(action = %entry.action, target = %entry.target, error = %e, "could not write the audit log");
    }
}

/// `record` off the async runtime.
pub async fn record_async(journal: &Journal, entry: AuditEntry) {
    let journal = journal.clone();
    let _ = blocking(move || {
        record(&journal, entry);
        Ok(())
    })
    .await;
}

/// Records one write of the active session's environment.
pub async fn record_write<T>(
    app: &App,
    env: &crate::session::EnvSummary,
    action: &str,
    target: &str,
    fields: Value,
    result: &AppResult<T>,
    detail: impl FnOnce(&T) -> Option<String>,
) {
    let e = entry(&env.id, &env.name, action, target, fields, result, detail);
    record_async(&app.journal, e).await;
}

pub async fn page(app: &App, filter: AuditFilter, offset: u32, limit: u32) -> AppResult<AuditPage> {
    let journal = app.journal.clone();
    let limit = limit.clamp(1, 500);
    blocking(move || Ok(journal.audit_page(&filter, offset, limit)?)).await
}

pub async fn facets(app: &App) -> AppResult<AuditFacets> {
    let journal = app.journal.clone();
    blocking(move || Ok(journal.audit_facets()?)).await
}

/// Writes every entry matching `filter` as CSV to `target` (a path chosen in
/// the save dialog, or a new file in the export folder).
pub async fn export_csv(
    app: &App,
    filter: AuditFilter,
    target: ExportTarget,
) -> AppResult<Exported> {
    let journal = app.journal.clone();
    let exported = blocking(move || {
        export::write_export(&target, export::AUDIT_STEM, |out| {
            Ok(journal.export_audit_csv(&filter, out)?)
        })
    })
    .await?;
    tracing::info!(rows = exported.rows, file = %exported.file_name, "audit log exported to CSV");
    Ok(exported)
}
