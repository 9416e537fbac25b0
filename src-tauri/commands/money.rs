//! The Link Money console: lookups, refunds, webhooks and the audit log.

use tauri::{AppHandle, State};

use super::on_blocking_thread;
use super::system::export_target;

use crate::app::App;
use crate::audit;
use crate::cache::Lookup;
use crate::error::AppResult;
use crate::export::{self, Exported};
use crate::journal::{AuditFacets, AuditFilter, AuditPage, RefundRow, WebhookRow};
use crate::money::webhooks::{self, SubscribeInput, WebhookList};
use crate::money::{lookups, refunds, CustomerView, PayoutView, TransactionView};
use crate::money::{PaymentChoice, RefundContext, RefundDialog, RefundInput};
use crate::rtls::{Listed, ReadFrom};

#[tauri::command]
pub async fn lm_customer(
    app: State<'_, App>,
    id: String,
    cached: Option<bool>,
) -> AppResult<Listed<CustomerView>> {
    lookups::customer(&app, id, ReadFrom::cached(cached)).await
}

#[tauri::command]
pub async fn lm_transaction(
    app: State<'_, App>,
    id: String,
    cached: Option<bool>,
) -> AppResult<Listed<TransactionView>> {
    lookups::transaction(&app, id, ReadFrom::cached(cached)).await
}

#[tauri::command]
pub async fn lm_payout(
    app: State<'_, App>,
    id: String,
    cached: Option<bool>,
) -> AppResult<Listed<PayoutView>> {
    lookups::payout(&app, id, ReadFrom::cached(cached)).await
}

#[tauri::command]
pub async fn lm_recent(app: State<'_, App>, limit: Option<u32>) -> AppResult<Vec<Lookup>> {
    lookups::recent(&app, limit.unwrap_or(30)).await
}

/// Opens the refund dialog for one payment (`customer_id` when it was
/// started from a customer, who must own the payment).
#[tauri::command]
pub async fn refund_open(
    app: State<'_, App>,
    customer_id: Option<String>,
    transaction_id: String,
) -> AppResult<RefundDialog> {
    refunds::open(
        &RefundContext::from_app(&app),
        customer_id.as_deref(),
        &transaction_id,
    )
    .await
}

/// The customer's payments Linkdesk has seen, to pick the one to refund.
#[tauri::command]
pub async fn refund_payments(
    app: State<'_, App>,
    customer_id: String,
) -> AppResult<Vec<PaymentChoice>> {
    refunds::payment_choices(&RefundContext::from_app(&app), &customer_id).await
}

#[tauri::command]
pub async fn refund_submit(app: State<'_, App>, input: RefundInput) -> AppResult<RefundRow> {
    refunds::submit(&RefundContext::from_app(&app), input).await
}

#[tauri::command]
pub async fn refund_retry(app: State<'_, App>, request_key: String) -> AppResult<RefundRow> {
    refunds::retry(&RefundContext::from_app(&app), &request_key).await
}

/// Records the amount of a refund Link Money says was made elsewhere.
#[tauri::command]
pub async fn refund_record_elsewhere(
    app: State<'_, App>,
    request_key: String,
    amount: String,
) -> AppResult<RefundRow> {
    refunds::record_elsewhere(&RefundContext::from_app(&app), &request_key, &amount).await
}

#[tauri::command]
pub async fn refund_discard(app: State<'_, App>, request_key: String) -> AppResult<()> {
    refunds::discard(&RefundContext::from_app(&app), &request_key).await
}

#[tauri::command]
pub async fn refund_list(app: State<'_, App>, all: Option<bool>) -> AppResult<Vec<RefundRow>> {
    refunds::list(&RefundContext::from_app(&app), all.unwrap_or(false)).await
}

/// What the start-up look at refunds left open by the last run found, once
/// it is done (None before, or when there were none).
#[tauri::command]
pub fn refund_startup_report(app: State<'_, App>) -> Option<Vec<RefundRow>> {
    app.startup_refunds
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .clone()
}

#[tauri::command]
pub async fn refund_unresolved(app: State<'_, App>) -> AppResult<Vec<RefundRow>> {
    refunds::open_refunds(&RefundContext::from_app(&app)).await
}

/// The confirmation threshold in cents.
#[tauri::command]
pub async fn refund_threshold(handle: AppHandle) -> AppResult<i64> {
    on_blocking_thread(handle, |app| Ok(app.journal.threshold_cents()?)).await
}

#[tauri::command]
pub async fn set_refund_threshold(handle: AppHandle, amount: String) -> AppResult<i64> {
    on_blocking_thread(handle, move |app| refunds::set_threshold(app, &amount)).await
}

#[tauri::command]
pub async fn webhook_list(app: State<'_, App>) -> AppResult<WebhookList> {
    webhooks::list(&app).await
}

#[tauri::command]
pub async fn webhook_subscribe(
    app: State<'_, App>,
    input: SubscribeInput,
) -> AppResult<WebhookRow> {
    webhooks::subscribe(&app, input).await
}

#[tauri::command]
pub async fn webhook_unsubscribe(app: State<'_, App>, id: String) -> AppResult<()> {
    webhooks::unsubscribe(&app, id).await
}

#[tauri::command]
pub async fn audit_page(
    app: State<'_, App>,
    filter: AuditFilter,
    offset: u32,
    limit: u32,
) -> AppResult<AuditPage> {
    audit::page(&app, filter, offset, limit).await
}

#[tauri::command]
pub async fn audit_facets(app: State<'_, App>) -> AppResult<AuditFacets> {
    audit::facets(&app).await
}

/// Writes the filtered audit log to a CSV file chosen in the save dialog (or
/// a new one in `LINKDESK_EXPORT_DIR`); None when the dialog is cancelled.
#[tauri::command]
pub async fn audit_export(
    handle: AppHandle,
    app: State<'_, App>,
    filter: AuditFilter,
) -> AppResult<Option<Exported>> {
    let Some(target) = export_target(&handle, export::AUDIT_STEM).await? else {
        return Ok(None);
    };
    audit::export_csv(&app, filter, target).await.map(Some)
}
