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
use crate::team::{ApprovalRequest, ClaimRequest, TeamStore};

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
    /// Team mode: the team store of the session's environment kind. None:
    /// a single seat, exactly as without team mode.
    pub team: Option<TeamStore>,
}

impl RefundContext {
    pub fn from_app(app: &App) -> Self {
        Self {
            journal: app.journal.clone(),
            cache: app.cache.clone(),
            session: app.session(),
            work_offline: app.work_offline(),
            policy: RetryPolicy::default(),
            team: app.team.store(&kind_text(&app.session().env)),
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
    /// Team mode: above this amount the refund is requested for another
    /// agent's approval instead of being sent (None: no approvals).
    pub approval_threshold_cents: Option<i64>,
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
            let blocked = refunded.blocked();
            PaymentChoice {
                transaction_id: t.transaction_id.to_string(),
                amount_cents: t.amount.as_ref().map(|m| m.cents),
                status: t.transaction_status.clone(),
                creation_date: t.creation_date.clone(),
                left_cents: if unknown.is_some() { None } else { left },
                refusal: payment_refusal(t)
                    .or(blocked)
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
    // Team mode: what the whole desk claimed of this payment (a store that
    // cannot be reached refuses the refund: no claim could be made).
    let (team_claims, approval_threshold_cents) = match &ctx.team {
        Some(team) => (
            Some(team.payment_claims(lm.merchant_id(), &payment_id).await?),
            team.approval_threshold_cents().await?,
        ),
        None => (None, None),
    };
    let taken = team_claims
        .as_ref()
        .map(|c| c.numbers.clone())
        .unwrap_or_default();
    let j = ctx.journal.clone();
    let (drafted, threshold) =
        blocking(move || Ok((j.insert_draft_after(&draft, &taken)?, j.threshold_cents()?))).await?;
    let team_counted = team_claims.as_ref().map_or(0, |c| c.counted_cents);
    let refunded = drafted.refunded.total().max(team_counted);
    let cap_cents = (paid - refunded).max(0);
    if let Some(why) = drafted.refunded.blocked() {
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
            ", less {} recorded as gone out under refund numbers Link Money already held",
            dollars(drafted.refunded.elsewhere)
        );
    }
    if team_counted > drafted.refunded.total() {
        cap_note += &format!(
            " (the team store counts {} claimed by the desk)",
            dollars(team_counted)
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
        approval_threshold_cents,
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
    // From the person's Send on, closing the window asks first.
    let _submitting = ctx.journal.submitting();
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
    let action = match &result {
        Ok(r) if r.state == RefundState::AwaitingApproval => audit::action::REFUND_APPROVAL_REQUEST,
        _ => audit::action::REFUND,
    };
    audit::record_async(&ctx.journal, sender::audit_entry(action, &shown, &result)).await;
    result
}

/// Team mode: approves or rejects (with a reason) another agent's refund
/// request; the database refuses a decision by the requester's own role.
/// Audited. The requester's Linkdesk then sends it (or records the
/// rejection).
pub async fn decide_approval(
    ctx: &RefundContext,
    request_key: &str,
    approve: bool,
    reason: Option<&str>,
) -> AppResult<crate::team::Approval> {
    let Some(team) = &ctx.team else {
        return Err(refused("This environment has no team store"));
    };
    let result = team.decide(request_key.trim(), approve, reason).await;
    let env = &ctx.session.env;
    let entry = audit::entry(
        &env.id,
        &env.name,
        if approve {
            audit::action::REFUND_APPROVE
        } else {
            audit::action::REFUND_REJECTED
        },
        request_key.trim(),
        serde_json::json!({ "requestKey": request_key.trim(), "reason": reason }),
        &result,
        |a: &crate::team::Approval| {
            Some(format!(
                "{} refund #{} of payment {} ({}) requested by {}",
                a.state.to_lowercase(),
                a.refund_number,
                a.payment_id,
                crate::linkmoney::format_cents(a.amount_cents),
                a.requested_by
            ))
        },
    );
    audit::record_async(&ctx.journal, entry).await;
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
    send_checked(ctx, row, sending, false).await
}

/// From the production lock on: re-reads the payment, then (team mode)
/// requests approval above the team threshold or claims the refund, moves
/// it to SENDING and sends. `approved`: the team store says another agent
/// approved exactly this refund.
async fn send_checked(
    ctx: &RefundContext,
    row: &RefundRow,
    sending: crate::journal::Sending,
    approved: bool,
) -> AppResult<RefundRow> {
    ctx.ensure_writable()?;
    let client = ctx.session.linkmoney()?;
    let target = target_of(&ctx.session.env.id, client);
    if let Some(why) = target_mismatch(row, &target) {
        return Err(refused(why));
    }
    let (Some(payment_id), Some(number)) = (row.transaction_id.clone(), row.refund_number) else {
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
    let key = row.request_key.clone();
    if let Some(team) = &ctx.team {
        if !approved {
            let threshold = team.approval_threshold_cents().await?;
            if threshold.is_some_and(|t| sending.amount_cents > t) {
                return request_approval(ctx, team, row, &target, &sending, paid_now).await;
            }
        }
        team.claim(&ClaimRequest {
            merchant_id: target.merchant_id.clone(),
            payment_id: payment_id.clone(),
            refund_number: number,
            request_key: key.clone(),
            amount_cents: sending.amount_cents,
            payment_cents: paid_now.min(row.payment_cents.unwrap_or(paid_now)),
        })
        .await?;
    }
    let k = key.clone();
    let j = ctx.journal.clone();
    let begun = blocking(move || Ok(j.begin_sending(&k, &target, &sending, paid_now)?)).await;
    let sending_row = match begun {
        Ok(r) => r,
        Err(e) => {
            if let Some(team) = &ctx.team {
                // The claim was made for nothing: released, through the outbox.
                queue_claim_outcome(&ctx.journal, team.kind(), &key, "RELEASED").await;
                deliver_soon(&ctx.journal, team);
            }
            return Err(e);
        }
    };
    if let (true, Some(team)) = (approved, &ctx.team) {
        if let Err(e) = team.mark_sent(&key).await {
            tracing::warn!(request_key = %key, error = %e, "could not mark the approval as sent");
        }
    }
    let result = sender::send(&ctx.journal, client, &sending_row, ctx.policy).await;
    if let Some(team) = &ctx.team {
        deliver_soon(&ctx.journal, team);
    }
    result
}

/// Team mode: journals the refund as AWAITING_APPROVAL and asks the desk;
/// a request the store does not take leaves it a DRAFT.
async fn request_approval(
    ctx: &RefundContext,
    team: &TeamStore,
    row: &RefundRow,
    target: &crate::journal::Target,
    sending: &crate::journal::Sending,
    paid_now: i64,
) -> AppResult<RefundRow> {
    let (k, j, t, s) = (
        row.request_key.clone(),
        ctx.journal.clone(),
        target.clone(),
        sending.clone(),
    );
    let waiting = blocking(move || Ok(j.await_approval(&k, &t, &s, paid_now)?)).await?;
    let asked = team
        .request_approval(&ApprovalRequest {
            request_key: row.request_key.clone(),
            env_name: row.env_name.clone(),
            merchant_id: target.merchant_id.clone(),
            payment_id: row.transaction_id.clone().unwrap_or_default(),
            refund_number: row.refund_number.unwrap_or(0),
            customer_id: row.customer_id.clone(),
            customer_name: row.customer_name.clone(),
            amount_cents: sending.amount_cents,
            payment_cents: paid_now,
        })
        .await;
    if let Err(e) = asked {
        let (k, j) = (row.request_key.clone(), ctx.journal.clone());
        blocking(move || Ok(j.back_to_draft(&k)?)).await?;
        return Err(e);
    }
    Ok(waiting)
}

/// Queues a claim's outcome for the team store (delivered in order with the
/// audit entries, so it is never lost while the store is away).
pub(crate) async fn queue_claim_outcome(journal: &Journal, kind: &str, key: &str, outcome: &str) {
    let body = serde_json::json!({ "requestKey": key, "outcome": outcome });
    let (j, kind) = (journal.clone(), kind.to_string());
    if let Err(e) = blocking(move || Ok(j.outbox_push(&kind, "claim", &body)?)).await {
        tracing::error!(request_key = %key, error = %e, "could not queue a claim's outcome");
    }
}

/// Delivers the outbox in the background now (the team worker retries it).
fn deliver_soon(journal: &Journal, team: &TeamStore) {
    let (j, t) = (journal.clone(), team.clone());
    tokio::spawn(async move {
        crate::team::deliver_outbox(&j, |k| (k == t.kind()).then(|| t.clone())).await;
    });
}

/// Team mode: looks at a refund of this journal waiting for approval. Sent
/// (with its claim and its key) once another agent approved it, REJECTED
/// with the reason when rejected, unchanged while it waits. Audited.
pub async fn follow_approval(ctx: &RefundContext, request_key: &str) -> AppResult<RefundRow> {
    ctx.ensure_journal()?;
    let Some(team) = &ctx.team else {
        return Err(refused("This environment has no team store"));
    };
    let k = request_key.to_string();
    let j = ctx.journal.clone();
    let row = blocking(move || Ok(j.refund(&k)?))
        .await?
        .ok_or_else(|| AppError::new(ErrorCode::NotFound, "No such refund in the journal"))?;
    if row.state != RefundState::AwaitingApproval {
        return Ok(row);
    }
    let Some(approval) = team.approval(request_key).await? else {
        return Ok(row);
    };
    match approval.state.as_str() {
        "APPROVED" => {
            let sending = crate::journal::Sending {
                amount_cents: row.amount_cents.unwrap_or(0),
                client_reference_id: row.client_reference_id.clone(),
                soft_descriptor: row.soft_descriptor.clone(),
            };
            let result = if Some(approval.amount_cents) == row.amount_cents {
                send_checked(ctx, &row, sending, true).await
            } else {
                Err(refused(
                    "The approved amount is not this refund's amount. Nothing was sent.",
                ))
            };
            audit::record_async(
                &ctx.journal,
                sender::audit_entry(audit::action::REFUND, &row, &result),
            )
            .await;
            result
        }
        "REJECTED" => {
            let reason = format!(
                "Rejected by {}: {}",
                approval.decided_by.clone().unwrap_or_default(),
                approval.reason.clone().unwrap_or_default()
            );
            let (k, j, r) = (row.request_key.clone(), ctx.journal.clone(), reason.clone());
            blocking(move || Ok(j.reject(&k, &r)?)).await?;
            let k = row.request_key.clone();
            let j = ctx.journal.clone();
            let now = blocking(move || Ok(j.refund(&k)?))
                .await?
                .ok_or_else(|| AppError::internal("The refund vanished from the journal"))?;
            let result: AppResult<RefundRow> = Err(AppError::new(ErrorCode::Conflict, reason));
            audit::record_async(
                &ctx.journal,
                sender::audit_entry(audit::action::REFUND_REJECTED, &row, &result),
            )
            .await;
            Ok(now)
        }
        _ => Ok(row),
    }
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
