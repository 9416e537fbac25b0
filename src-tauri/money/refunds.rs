//! Refunds through the refund journal. Every refund refunds one payment.
//!
//! `open` re-reads the payment from Link Money (only a SUCCEEDED payment from
//! the customer is refunded) and the customer, and journals a DRAFT with the
//! payment's next refund number and that number's request key (see
//! `linkmoney::refund_request_key`). `submit` checks the form, the production
//! lock and "Work offline", re-reads the payment once more, then moves the
//! DRAFT to SENDING in the journal — in the same transaction that checks the
//! amount against what is left of the payment — and only then sends. A key
//! that is no longer a DRAFT is never submitted again, so double clicks and
//! two windows cannot send a refund twice; the derived key makes Link Money
//! refuse a second refund #n of one payment from any other seat.

use std::sync::Arc;

use serde::Serialize;

use super::refund_checks::{check_input, dollars, paid_cents, payment_refusal};
use super::seen::seen_transactions;
use super::sender::{self, refresh_statuses, target_of, RetryPolicy};
use super::{customer_name, preferred_account, refusal_for, sentence, shown_id, typed_id};
use crate::app::{blocking, App};
use crate::audit;
use crate::cache::{Cache, RecordKind};
use crate::error::{AppError, AppResult, ErrorCode};
use crate::journal::{target_mismatch, Draft, Journal, RefundRow, RefundState};
use crate::linkmoney::{parse_amount, LinkMoneyClient, Transaction};
use crate::session::{EnvSummary, Session};

pub use super::refund_checks::RefundInput;

/// What a refund works with: the journal, the cache (to remember what was
/// read), the session it is sent in and whether "Work offline" is on.
#[derive(Clone)]
pub struct RefundContext {
    pub journal: Journal,
    pub cache: Cache,
    pub session: Arc<Session>,
    pub work_offline: bool,
    pub policy: RetryPolicy,
}

impl RefundContext {
    pub fn from_app(app: &App) -> Self {
        Self {
            journal: app.journal.clone(),
            cache: app.cache.clone(),
            session: app.session(),
            work_offline: app.work_offline(),
            policy: RetryPolicy::default(),
        }
    }

    fn ensure_writable(&self) -> AppResult<()> {
        crate::rtls::check_writable(&self.session, self.work_offline)
    }

    fn ensure_journal(&self) -> AppResult<()> {
        self.journal.ensure_can_send()
    }
}

/// What the refund dialog shows.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RefundDialog {
    /// Derived from the merchant, the payment and `refund_number`; every
    /// attempt of this refund is sent with it.
    pub request_key: String,
    /// This refund's number among the payment's refunds.
    pub refund_number: u32,
    pub environment: EnvSummary,
    pub customer_id: String,
    pub customer_name: String,
    pub customer_status: Option<String>,
    pub account_last_four: Option<String>,
    pub account_status: Option<String>,
    pub account_institution: Option<String>,
    /// The payment refunded, as Link Money described it just now.
    pub transaction_id: String,
    pub payment_cents: i64,
    pub payment_status: String,
    pub payment_date: Option<String>,
    /// What counts against the payment already (this journal's refunds of
    /// it, and older refunds to the customer that named no payment).
    pub refunded_cents: i64,
    /// The most this refund may be: the payment less `refunded_cents`.
    pub cap_cents: i64,
    /// How the cap was found, in words.
    pub cap_note: String,
    /// Numbers of this payment's refunds that Link Money says were made
    /// elsewhere: their amounts are unknown here.
    pub made_elsewhere: Vec<u32>,
    /// Above this amount the amount must be typed a second time.
    pub threshold_cents: i64,
}

/// A payment offered when a refund is started from a customer.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PaymentChoice {
    pub transaction_id: String,
    pub amount_cents: Option<i64>,
    pub status: Option<String>,
    pub creation_date: Option<String>,
    /// What is left to refund, as far as this journal knows.
    pub left_cents: Option<i64>,
    /// Why it cannot be refunded, if it cannot (as the cache last saw it).
    pub refusal: Option<String>,
}

fn refused(message: impl Into<String>) -> AppError {
    AppError::new(ErrorCode::Conflict, message)
}

/// Reads the payment from Link Money now: a refund is never judged from the
/// cache alone.
async fn reread_payment(
    lm: &LinkMoneyClient,
    id: &str,
) -> AppResult<crate::linkmoney::Fetched<Transaction>> {
    lm.get_transaction(id).await.map_err(|mut e| {
        let shown = shown_id(id);
        e.message = match e.code {
            ErrorCode::NotFound => format!("Link Money has no payment {shown}. Nothing was sent."),
            ErrorCode::InvalidInput => format!("{} Nothing was sent.", sentence(&e.message)),
            _ => format!(
                "Linkdesk could not read payment {shown} from Link Money just now, and a refund is never judged from the cache: {} Try again in a moment; nothing was sent.",
                sentence(&e.message)
            ),
        };
        e
    })
}

/// The payments of a customer that Linkdesk has seen (from the cache), for
/// the person to pick the one to refund; the chosen one is re-read before
/// anything else. Newest first.
pub async fn payment_choices(
    ctx: &RefundContext,
    customer_id: &str,
) -> AppResult<Vec<PaymentChoice>> {
    let customer_id = typed_id("customer", customer_id)?;
    let env = ctx.session.env.clone();
    let mut seen = seen_transactions(&ctx.cache, &env.id, &customer_id).await;
    seen.retain(|t| t.transaction_type.as_deref() == Some("DEBIT"));
    seen.sort_by(|a, b| b.creation_date.cmp(&a.creation_date));
    let merchant = ctx.session.env.merchant_id.clone();
    let journal = ctx.journal.clone();
    let rows = seen.clone();
    let env_id = env.id.clone();
    let refunded = blocking(move || {
        rows.iter()
            .map(|t| {
                let draft = Draft::of_payment(
                    &env_id,
                    &merchant,
                    &customer_id,
                    &t.transaction_id.to_string(),
                );
                Ok(journal.refunded(&draft, "")?)
            })
            .collect::<AppResult<Vec<crate::journal::Refunded>>>()
    })
    .await?;
    Ok(seen
        .iter()
        .zip(refunded)
        .map(|(t, refunded)| {
            let paid = paid_cents(t);
            let unknown = refunded.unknown_elsewhere();
            let left = paid.map(|p| (p - refunded.total()).max(0));
            PaymentChoice {
                transaction_id: t.transaction_id.to_string(),
                amount_cents: t.amount.as_ref().map(|m| m.cents),
                status: t.transaction_status.clone(),
                creation_date: t.creation_date.clone(),
                left_cents: if unknown.is_some() { None } else { left },
                refusal: payment_refusal(t)
                    .or(unknown)
                    .or_else(|| (left == Some(0)).then(|| "Already refunded in full".to_string())),
            }
        })
        .collect())
}

/// Opens the refund dialog for one payment (`customer_id`, when the dialog
/// was started from a customer, must be the payment's customer). Refused —
/// before any refund request — when the journal cannot be used, production
/// is locked, "Work offline" is on, the payment is not a SUCCEEDED payment
/// from the customer, nothing is left of it to refund, or the customer or
/// their account is not active.
pub async fn open(
    ctx: &RefundContext,
    customer_id: Option<&str>,
    payment_id: &str,
) -> AppResult<RefundDialog> {
    ctx.ensure_journal()?;
    ctx.ensure_writable()?;
    let payment_id = typed_id("payment", payment_id)?;
    let env = &ctx.session.env;
    let lm = ctx.session.linkmoney()?;
    let payment = reread_payment(lm, &payment_id).await?;
    let mut records = vec![(RecordKind::Transaction, payment_id.clone(), payment.raw)];
    let payment = payment.value;
    if let Some(why) = payment_refusal(&payment) {
        store(&ctx.cache, &env.id, records).await;
        return Err(refused(why));
    }
    let owner = payment
        .customer_id
        .as_ref()
        .map(|c| c.to_string())
        .unwrap_or_default();
    if let Some(given) = customer_id.map(str::trim).filter(|c| !c.is_empty()) {
        if given != owner {
            return Err(AppError::invalid(format!(
                "Payment {} belongs to another customer ({}), not to the one this refund was started from. Pick one of this customer's payments.",
                shown_id(&payment_id),
                shown_id(&owner)
            )));
        }
    }
    let paid = paid_cents(&payment).unwrap_or(0);
    let customer = lm.get_customer(&owner).await?;
    records.push((RecordKind::Customer, owner.clone(), customer.raw));
    let accounts = if customer.value.account_details.is_some() {
        Vec::new()
    } else {
        let a = lm.get_accounts(&owner).await?;
        records.push((RecordKind::CustomerAccounts, owner.clone(), a.raw));
        a.value.account_details
    };
    let account = preferred_account(customer.value.account_details.as_ref(), &accounts).cloned();
    store(&ctx.cache, &env.id, records).await;
    if let Some(refusal) = refusal_for(customer.value.customer_status.as_deref(), account.as_ref())
    {
        return Err(refusal);
    }
    // What Link Money now says of this payment's earlier refunds first: one
    // that failed no longer counts against it.
    refresh_refunds_of_payment(ctx, &payment_id).await;

    let name = customer_name(&customer.value);
    let draft = Draft {
        env_id: env.id.clone(),
        env_name: env.name.clone(),
        env_kind: kind_text(env),
        customer_id: owner.clone(),
        customer_name: name.clone(),
        customer_status: customer.value.customer_status.clone(),
        account_last_four: account
            .as_ref()
            .and_then(|a| a.account_last_four_digits.clone()),
        account_status: account.as_ref().and_then(|a| a.account_status.clone()),
        transaction_id: payment_id.clone(),
        payment_cents: paid,
        linkmoney_url: lm.base_url().to_string(),
        merchant_id: lm.merchant_id().to_string(),
    };
    let j = ctx.journal.clone();
    let (drafted, threshold) =
        blocking(move || Ok((j.insert_draft(&draft)?, j.threshold_cents()?))).await?;
    let refunded = drafted.refunded.total();
    let cap_cents = (paid - refunded).max(0);
    if let Some(why) = drafted.refunded.unknown_elsewhere() {
        let key = drafted.request_key.clone();
        let j = ctx.journal.clone();
        blocking(move || Ok(j.discard(&key)?)).await?;
        return Err(refused(why));
    }
    if cap_cents == 0 {
        let key = drafted.request_key.clone();
        let j = ctx.journal.clone();
        blocking(move || Ok(j.discard(&key)?)).await?;
        return Err(refused(format!(
            "Nothing is left to refund of this payment: {} paid, {} already refunded. Nothing was sent.",
            dollars(paid),
            dollars(refunded)
        )));
    }
    let mut cap_note = format!("Payment of {}", dollars(paid));
    if drafted.refunded.of_payment > 0 {
        cap_note += &format!(
            ", less {} already refunded from Linkdesk",
            dollars(drafted.refunded.of_payment)
        );
    }
    if drafted.refunded.elsewhere > 0 {
        cap_note += &format!(
            ", less {} refunded elsewhere (as recorded)",
            dollars(drafted.refunded.elsewhere)
        );
    }
    if drafted.refunded.unbound > 0 {
        cap_note += &format!(
            ", less {} refunded to this customer by an older Linkdesk without naming a payment",
            dollars(drafted.refunded.unbound)
        );
    }
    Ok(RefundDialog {
        request_key: drafted.request_key,
        refund_number: drafted.refund_number,
        environment: env.clone(),
        customer_id: owner,
        customer_name: name,
        customer_status: customer.value.customer_status,
        account_last_four: account
            .as_ref()
            .and_then(|a| a.account_last_four_digits.clone()),
        account_status: account.as_ref().and_then(|a| a.account_status.clone()),
        account_institution: account.and_then(|a| a.financial_institution_name),
        transaction_id: payment_id,
        payment_cents: paid,
        payment_status: payment.transaction_status.unwrap_or_default(),
        payment_date: payment.creation_date,
        refunded_cents: refunded,
        cap_cents,
        cap_note,
        made_elsewhere: drafted.refunded.made_elsewhere,
        threshold_cents: threshold,
    })
}

fn kind_text(env: &EnvSummary) -> String {
    serde_json::to_value(env.kind)
        .ok()
        .and_then(|v| v.as_str().map(str::to_string))
        .unwrap_or_default()
}

async fn store(cache: &Cache, env: &str, records: Vec<(RecordKind, String, serde_json::Value)>) {
    let cache = cache.clone();
    let env = env.to_string();
    let result = blocking(move || {
        for (kind, id, body) in &records {
            cache.upsert_record(&env, *kind, id, body)?;
        }
        Ok(())
    })
    .await;
    if let Err(e) = result {
        tracing::warn!(error = %e, "could not cache a Link Money record");
    }
}

async fn refresh_refunds_of_payment(ctx: &RefundContext, payment_id: &str) {
    let (env, merchant, id) = (
        ctx.session.env.id.clone(),
        ctx.session.env.merchant_id.clone(),
        payment_id.to_string(),
    );
    let j = ctx.journal.clone();
    if let Ok(rows) = blocking(move || Ok(j.refunds_of_payment(&env, &merchant, &id)?)).await {
        refresh_statuses(&ctx.journal, &ctx.session, ctx.work_offline, &rows).await;
    }
}

/// Submits the refund opened as `input.request_key`: checks, journals SENDING,
/// sends, and records the outcome in the journal and the audit log. A refund
/// that was journaled comes back as its journal row whatever its outcome; an
/// error means nothing was sent.
pub async fn submit(ctx: &RefundContext, input: RefundInput) -> AppResult<RefundRow> {
    ctx.ensure_journal()?;
    let key = input.request_key.trim().to_string();
    if key.is_empty() {
        return Err(AppError::invalid(
            "The refund has no request key; open it again",
        ));
    }
    let k = key.clone();
    let j = ctx.journal.clone();
    let (row, threshold) = blocking(move || Ok((j.refund(&k)?, j.threshold_cents()?))).await?;
    let Some(row) = row else {
        return Err(AppError::new(
            ErrorCode::NotFound,
            "This refund is not in the journal; open the refund dialog again",
        ));
    };
    let result = submit_row(ctx, &row, &input, threshold).await;
    let audited = match &result {
        Ok(r) => r.clone(),
        Err(_) => row.clone(),
    };
    let shown = RefundRow {
        amount_cents: audited
            .amount_cents
            .or_else(|| parse_amount(&input.amount).ok()),
        client_reference_id: audited
            .client_reference_id
            .clone()
            .or(input.client_reference_id.clone()),
        soft_descriptor: audited
            .soft_descriptor
            .clone()
            .or(input.soft_descriptor.clone()),
        ..audited
    };
    audit::record_async(
        &ctx.journal,
        sender::audit_entry(audit::action::REFUND, &shown, &result),
    )
    .await;
    result
}

async fn submit_row(
    ctx: &RefundContext,
    row: &RefundRow,
    input: &RefundInput,
    threshold: i64,
) -> AppResult<RefundRow> {
    if row.state != RefundState::Draft {
        return Err(AppError::new(
            ErrorCode::Conflict,
            format!(
                "This refund was already submitted (it is {}); it is never sent twice",
                row.state.headline().to_lowercase()
            ),
        ));
    }
    let sending = check_input(input, threshold)?;
    if let Some(cap) = row.cap_cents {
        // The journal re-checks this atomically with the refunds made since.
        if sending.amount_cents > cap {
            return Err(AppError::invalid(format!(
                "The amount is more than is left to refund of this payment ({}). Nothing was sent.",
                dollars(cap)
            )));
        }
    }
    if row.customer_status.as_deref() != Some("ACTIVE")
        || row.account_status.as_deref() != Some("ACTIVE")
    {
        return Err(refused(
            "The customer or their account was not active when the refund was opened. Nothing was sent.",
        ));
    }
    ctx.ensure_writable()?;
    let client = ctx.session.linkmoney()?;
    let target = target_of(&ctx.session.env.id, client);
    if let Some(why) = target_mismatch(row, &target) {
        return Err(refused(why));
    }
    let Some(payment_id) = row.transaction_id.clone() else {
        return Err(refused(
            "This refund names no payment; open it again from the payment. Nothing was sent.",
        ));
    };
    // The payment once more, just before the money moves.
    let payment = reread_payment(client, &payment_id).await?.value;
    if let Some(why) = payment_refusal(&payment) {
        return Err(refused(format!("{} Nothing was sent.", sentence(&why))));
    }
    let paid_now = paid_cents(&payment).unwrap_or(0);
    let k = row.request_key.clone();
    let j = ctx.journal.clone();
    let sending_row =
        blocking(move || Ok(j.begin_sending(&k, &target, &sending, paid_now)?)).await?;
    sender::send(&ctx.journal, client, &sending_row, ctx.policy).await
}

/// Sends again, with its own key, a refund whose outcome is unknown — only
/// to the environment, Link Money URL and merchant it was confirmed for.
pub async fn retry(ctx: &RefundContext, request_key: &str) -> AppResult<RefundRow> {
    ctx.ensure_journal()?;
    let k = request_key.trim().to_string();
    let j = ctx.journal.clone();
    let row = blocking(move || Ok(j.refund(&k)?))
        .await?
        .ok_or_else(|| AppError::new(ErrorCode::NotFound, "No such refund in the journal"))?;
    let result = async {
        if !row.state.is_open() {
            return Err(refused(format!(
                "This refund is {}: its outcome is known, so it is not sent again",
                row.state.headline().to_lowercase()
            )));
        }
        ctx.ensure_writable()?;
        if ctx.session.env.id != row.env_id {
            return Err(refused(format!(
                "Switch to \"{}\" to retry this refund",
                row.env_name
            )));
        }
        let client = ctx.session.linkmoney()?;
        if let Some(why) = target_mismatch(&row, &target_of(&ctx.session.env.id, client)) {
            return Err(refused(why));
        }
        sender::send(&ctx.journal, client, &row, ctx.policy).await
    }
    .await;
    audit::record_async(
        &ctx.journal,
        sender::audit_entry(audit::action::REFUND_RESOLVE, &row, &result),
    )
    .await;
    result
}

/// Records the amount of a refund Link Money says was made elsewhere, as the
/// person found it out; audited. Until it is recorded the payment takes no
/// further refund from this seat.
pub async fn record_elsewhere(
    ctx: &RefundContext,
    request_key: &str,
    amount: &str,
) -> AppResult<RefundRow> {
    ctx.journal.problem_error()?;
    let k = request_key.trim().to_string();
    let result = match crate::linkmoney::parse_amount(amount) {
        Ok(cents) => {
            let j = ctx.journal.clone();
            blocking(move || Ok(j.record_elsewhere_amount(&k, cents)?)).await
        }
        Err(e) => Err(e),
    };
    let j = ctx.journal.clone();
    let k = request_key.trim().to_string();
    let row = blocking(move || Ok(j.refund(&k)?)).await.ok().flatten();
    if let Some(row) = row {
        let entry = audit::entry(
            &row.env_id,
            &row.env_name,
            audit::action::REFUND_ELSEWHERE,
            &row.customer_id,
            serde_json::json!({
                "requestKey": row.request_key,
                "transactionId": row.transaction_id,
                "refundNumber": row.refund_number,
                "amount": amount.trim(),
            }),
            &result,
            |r: &RefundRow| r.elsewhere_cents.map(crate::linkmoney::format_cents),
        );
        audit::record_async(&ctx.journal, entry).await;
    }
    result
}

/// Closes a dialog that was not submitted.
pub async fn discard(ctx: &RefundContext, request_key: &str) -> AppResult<()> {
    ctx.journal.problem_error()?;
    let k = request_key.trim().to_string();
    let j = ctx.journal.clone();
    blocking(move || Ok(j.discard(&k).map(|_| ())?)).await
}

/// Refunds in the journal, newest first, of the active environment or all;
/// the statuses of the newest ones that may still change are asked of Link
/// Money first.
pub async fn list(ctx: &RefundContext, all_environments: bool) -> AppResult<Vec<RefundRow>> {
    ctx.journal.problem_error()?;
    let env = (!all_environments).then(|| ctx.session.env.id.clone());
    let e = env.clone();
    let j = ctx.journal.clone();
    let rows = blocking(move || Ok(j.list_refunds(e.as_deref(), 500)?)).await?;
    if refresh_statuses(&ctx.journal, &ctx.session, ctx.work_offline, &rows).await == 0 {
        return Ok(rows);
    }
    let j = ctx.journal.clone();
    blocking(move || Ok(j.list_refunds(env.as_deref(), 500)?)).await
}

/// Every refund whose outcome is still unknown, in any environment.
pub async fn open_refunds(ctx: &RefundContext) -> AppResult<Vec<RefundRow>> {
    ctx.journal.problem_error()?;
    let j = ctx.journal.clone();
    blocking(move || Ok(j.open_refunds()?)).await
}

/// Sets the amount above which a refund must be typed again; audited.
pub fn set_threshold(app: &App, amount: &str) -> AppResult<i64> {
    let session = app.session();
    let result = crate::linkmoney::parse_amount(amount).and_then(|cents| {
        app.journal
            .set_threshold_cents(cents)
            .map(|_| cents)
            .map_err(AppError::from)
    });
    audit::record(
        &app.journal,
        audit::entry(
            &session.env.id,
            &session.env.name,
            audit::action::REFUND_THRESHOLD,
            "refund confirmation threshold",
            serde_json::json!({ "amount": amount.trim() }),
            &result,
            |c| Some(crate::linkmoney::format_cents(*c)),
        ),
    );
    result
}
