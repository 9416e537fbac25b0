//! Refunds through the refund journal.
//!
//! `open` makes the request key once, when the dialog opens, and journals a
//! DRAFT. `submit` checks everything before any request (amount, descriptor,
//! the retyped amount above the threshold, what the customer has paid, the
//! production lock, "Work offline"), moves the DRAFT to SENDING in the journal
//! and only then sends. A key that is no longer a DRAFT is never submitted
//! again, so double clicks and two windows cannot send a refund twice.

use std::sync::Arc;

use serde::{Deserialize, Serialize};

use super::lookups::transaction_block;
use super::refund_checks::{check_input, dollars, paid_basis};
use super::sender::{self, RetryPolicy};
use super::{customer_name, preferred_account, refusal_for, typed_id};
use crate::app::{blocking, App};
use crate::audit;
use crate::cache::{Cache, RecordKind};
use crate::error::{AppError, AppResult, ErrorCode};
use crate::journal::{Draft, Journal, RefundRow, RefundState};
use crate::linkmoney::parse_amount;
use crate::session::{EnvSummary, Session};

/// What a refund works with: the journal, the cache (for what the customer
/// has paid), the session it is sent in and whether "Work offline" is on.
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
        match self.journal.problem() {
            None => Ok(()),
            Some(reason) => Err(AppError::internal(format!(
                "Refunds are refused: the refund journal {} cannot be used ({reason}). It was left untouched for inspection.",
                self.journal.path().display()
            ))),
        }
    }
}

/// What the refund dialog shows.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RefundDialog {
    /// Made once, now; every attempt of this refund is sent with it.
    pub request_key: String,
    pub environment: EnvSummary,
    pub customer_id: String,
    pub customer_name: String,
    pub customer_status: Option<String>,
    pub account_last_four: Option<String>,
    pub account_status: Option<String>,
    pub account_institution: Option<String>,
    pub transaction_id: Option<String>,
    /// The most that may be refunded, where Linkdesk knows what the customer
    /// has paid; None when it does not.
    pub cap_cents: Option<i64>,
    /// How the cap was found, in words.
    pub cap_note: Option<String>,
    /// Above this amount the amount must be typed a second time.
    pub threshold_cents: i64,
}

/// The refund dialog's form.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RefundInput {
    pub request_key: String,
    pub amount: String,
    #[serde(default)]
    pub client_reference_id: Option<String>,
    #[serde(default)]
    pub soft_descriptor: Option<String>,
    #[serde(default)]
    pub retyped_amount: Option<String>,
}

async fn journal_call<T: Send + 'static>(
    journal: &Journal,
    f: impl FnOnce(&Journal) -> Result<T, crate::journal::JournalError> + Send + 'static,
) -> AppResult<T> {
    let j = journal.clone();
    blocking(move || f(&j).map_err(AppError::from)).await
}

/// Opens the refund dialog for a customer (and, when it is opened from one, a
/// transaction of theirs). Refused — before any refund request — when the
/// journal cannot be used, production is locked, "Work offline" is on, the
/// customer is not ACTIVE or their account is not active.
pub async fn open(
    ctx: &RefundContext,
    customer_id: &str,
    transaction_id: Option<&str>,
) -> AppResult<RefundDialog> {
    ctx.ensure_journal()?;
    ctx.ensure_writable()?;
    let customer_id = typed_id("customer", customer_id)?;
    let transaction_id = match transaction_id.map(str::trim).filter(|t| !t.is_empty()) {
        Some(t) => Some(typed_id("transaction", t)?),
        None => None,
    };
    let env = &ctx.session.env;
    let lm = ctx.session.linkmoney()?;
    let customer = lm.get_customer(&customer_id).await?;
    let mut records = vec![(RecordKind::Customer, customer_id.clone(), customer.raw)];
    let accounts = if customer.value.account_details.is_some() {
        Vec::new()
    } else {
        let a = lm.get_accounts(&customer_id).await?;
        records.push((RecordKind::CustomerAccounts, customer_id.clone(), a.raw));
        a.value.account_details
    };
    let account = preferred_account(customer.value.account_details.as_ref(), &accounts).cloned();
    if let Some(refusal) = refusal_for(customer.value.customer_status.as_deref(), account.as_ref())
    {
        return Err(refusal);
    }
    let transaction = match &transaction_id {
        Some(id) => {
            let t = lm.get_transaction(id).await?;
            records.push((RecordKind::Transaction, id.clone(), t.raw));
            if t.value.customer_id.as_ref().map(|c| c.as_str()) != Some(customer_id.as_str()) {
                return Err(AppError::invalid(format!(
                    "Transaction {id} is not a transaction of customer {customer_id}"
                )));
            }
            if let Some(block) = transaction_block(&t.value) {
                return Err(AppError::new(ErrorCode::Conflict, block));
            }
            Some(t.value)
        }
        None => None,
    };
    store(&ctx.cache, &env.id, records).await;

    let (scope, paid, how) = match paid_basis(ctx, &customer_id, transaction.as_ref()).await {
        Some((scope, paid, how)) => (Some(scope), Some(paid), Some(how)),
        None => (None, None, None),
    };
    let request_key = uuid::Uuid::new_v4().to_string();
    let name = customer_name(&customer.value);
    let draft = Draft {
        request_key: request_key.clone(),
        env_id: env.id.clone(),
        env_name: env.name.clone(),
        env_kind: kind_text(env),
        customer_id: customer_id.clone(),
        customer_name: name.clone(),
        customer_status: customer.value.customer_status.clone(),
        account_last_four: account
            .as_ref()
            .and_then(|a| a.account_last_four_digits.clone()),
        account_status: account.as_ref().and_then(|a| a.account_status.clone()),
        transaction_id: transaction_id.clone(),
        cap_cents: paid,
        cap_scope: scope.clone(),
    };
    let key = request_key.clone();
    let (threshold, refunded) = journal_call(&ctx.journal, move |j| {
        j.insert_draft(&draft)?;
        let refunded = match &scope {
            Some(s) => j.refunded_cents(&draft.env_id, s, &key)?,
            None => 0,
        };
        Ok((j.threshold_cents()?, refunded))
    })
    .await?;
    let cap_cents = paid.map(|p| (p - refunded).max(0));
    let cap_note = how.map(|how| {
        if refunded > 0 {
            format!(
                "{how}, less {} already refunded from Linkdesk",
                dollars(refunded)
            )
        } else {
            how
        }
    });
    Ok(RefundDialog {
        request_key,
        environment: env.clone(),
        customer_id,
        customer_name: name,
        customer_status: customer.value.customer_status,
        account_last_four: account
            .as_ref()
            .and_then(|a| a.account_last_four_digits.clone()),
        account_status: account.as_ref().and_then(|a| a.account_status.clone()),
        account_institution: account.and_then(|a| a.financial_institution_name),
        transaction_id,
        cap_cents,
        cap_note,
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

/// Submits the refund opened as `input.request_key`: checks, journals SENDING,
/// sends, and records the outcome in the journal and the audit log. A refund
/// that was journaled comes back as its journal row whatever its outcome
/// (AUTHORIZED, PENDING, TERMINAL_FAILED, CONFIRMED_DUPLICATE, FAILED_NOT_SENT
/// or UNRESOLVED); an error means nothing was sent.
pub async fn submit(ctx: &RefundContext, input: RefundInput) -> AppResult<RefundRow> {
    ctx.ensure_journal()?;
    let key = input.request_key.trim().to_string();
    if key.is_empty() {
        return Err(AppError::invalid(
            "The refund has no request key; open it again",
        ));
    }
    let k = key.clone();
    let (row, threshold) = journal_call(&ctx.journal, move |j| {
        Ok((j.refund(&k)?, j.threshold_cents()?))
    })
    .await?;
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
                row.state.as_str()
            ),
        ));
    }
    let sending = check_input(input, threshold)?;
    if let Some(cap) = row.cap_cents {
        // The journal re-checks this atomically with the refunds made since.
        if sending.amount_cents > cap {
            return Err(AppError::invalid(format!(
                "The amount is more than the customer has paid as far as Linkdesk knows ({})",
                dollars(cap)
            )));
        }
    }
    if row.customer_status.as_deref() != Some("ACTIVE")
        || row.account_status.as_deref() != Some("ACTIVE")
    {
        return Err(AppError::new(
            ErrorCode::Conflict,
            "The customer or their account was not active when the refund was opened. Nothing was sent.",
        ));
    }
    ctx.ensure_writable()?;
    if ctx.session.env.id != row.env_id {
        return Err(AppError::new(
            ErrorCode::Conflict,
            format!(
                "This refund was opened in \"{}\", not in the active environment. Nothing was sent.",
                row.env_name
            ),
        ));
    }
    let client = ctx.session.linkmoney()?;
    let cap = match (row.cap_scope(), row.cap_cents) {
        (Some(scope), Some(paid)) => Some((scope, paid)),
        _ => None,
    };
    let (k, env) = (row.request_key.clone(), row.env_id.clone());
    let sending_row = journal_call(&ctx.journal, move |j| {
        j.begin_sending(&k, &env, &sending, cap)
    })
    .await??;
    sender::send(&ctx.journal, client, &sending_row, ctx.policy).await
}

/// Sends again, with its own key, a refund whose outcome is unknown.
pub async fn retry(ctx: &RefundContext, request_key: &str) -> AppResult<RefundRow> {
    ctx.ensure_journal()?;
    let k = request_key.trim().to_string();
    let row = journal_call(&ctx.journal, move |j| j.refund(&k))
        .await?
        .ok_or_else(|| AppError::new(ErrorCode::NotFound, "No such refund in the journal"))?;
    let result = async {
        if !row.state.is_open() {
            return Err(AppError::new(
                ErrorCode::Conflict,
                format!(
                    "This refund is {}: its outcome is known, so it is not sent again",
                    row.state.as_str()
                ),
            ));
        }
        ctx.ensure_writable()?;
        if ctx.session.env.id != row.env_id {
            return Err(AppError::new(
                ErrorCode::Conflict,
                format!("Switch to \"{}\" to retry this refund", row.env_name),
            ));
        }
        sender::send(&ctx.journal, ctx.session.linkmoney()?, &row, ctx.policy).await
    }
    .await;
    audit::record_async(
        &ctx.journal,
        sender::audit_entry(audit::action::REFUND_RESOLVE, &row, &result),
    )
    .await;
    result
}

/// Closes a dialog that was not submitted.
pub async fn discard(ctx: &RefundContext, request_key: &str) -> AppResult<()> {
    ctx.ensure_journal()?;
    let k = request_key.trim().to_string();
    journal_call(&ctx.journal, move |j| j.discard(&k).map(|_| ())).await
}

/// Refunds in the journal, newest first, of the active environment or all.
pub async fn list(ctx: &RefundContext, all_environments: bool) -> AppResult<Vec<RefundRow>> {
    ctx.ensure_journal()?;
    let env = (!all_environments).then(|| ctx.session.env.id.clone());
    journal_call(&ctx.journal, move |j| j.list_refunds(env.as_deref(), 500)).await
}

/// Every refund whose outcome is still unknown, in any environment.
pub async fn open_refunds(ctx: &RefundContext) -> AppResult<Vec<RefundRow>> {
    ctx.ensure_journal()?;
    journal_call(&ctx.journal, |j| j.open_refunds()).await
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
