//! Customer, transaction and payout lookups: online first, the cache when the
//! service cannot be reached (or "Work offline" is on). Every record fetched is
//! cached as Link Money sent it, and every lookup goes on the "Recent" list.

use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::app::{blocking, App};
use crate::cache::{Lookup, RecordKind};
use crate::error::{AppError, AppResult, ErrorCode};
use crate::linkmoney::{
    AccountDetails, Customer, CustomerAccounts, Fetched, Payout, Transaction, VerifiedAccount,
    VerifiedAccounts,
};
use crate::rtls::{ask_service, Fallback, Listed, ReadFrom};

use super::refund_checks::{dollars, paid_cents, payment_refusal};
use super::seen::seen_transactions;
use super::sender::refresh_statuses;
use super::views::{cents, money_label, payout_view};
pub use super::views::{CustomerView, PayoutView, TransactionLine, TransactionView};
use super::{customer_name, preferred_account, refusal_for, typed_id};
use crate::journal::{Draft, RefundRow};

/// Stores what came and remembers the lookup; a cache failure never hides a
/// good answer.
async fn remember(
    app: &App,
    env: &str,
    records: Vec<(RecordKind, String, Value)>,
    lookup: Option<(RecordKind, String, String)>,
) {
    let cache = app.cache.clone();
    let env = env.to_string();
    let result = blocking(move || {
        for (kind, id, body) in &records {
            cache.upsert_record(&env, *kind, id, body)?;
        }
        if let Some((kind, id, label)) = lookup {
            cache.record_lookup(&env, kind.as_str(), &id, &label)?;
        }
        Ok(())
    })
    .await;
    if let Err(e) = result {
        tracing::warn!(error = %e, "could not cache a Link Money record");
    }
}

fn parse<T: DeserializeOwned>(what: &str, value: Value) -> AppResult<T> {
    serde_json::from_value(value).map_err(|e| {
        AppError::new(
            ErrorCode::Cache,
            format!("The cached {what} could not be read: {e}"),
        )
    })
}

fn not_cached(fallback: &Fallback, what: &str, id: &str) -> AppError {
    AppError::new(
        if fallback.offline {
            ErrorCode::Offline
        } else {
            ErrorCode::NotFound
        },
        format!(
            "{}. {what} {id} is not in the local cache.",
            fallback.reason
        ),
    )
}

/// Why a refund would be refused now, before the customer is even looked at.
fn write_block(app: &App, session: &crate::session::Session) -> Option<String> {
    crate::rtls::ensure_writable(app, session)
        .and_then(|_| app.journal.ensure_can_send())
        .err()
        .map(|e| e.message)
}

pub async fn customer(app: &App, id: String, from: ReadFrom) -> AppResult<Listed<CustomerView>> {
    let id = typed_id("customer", &id)?;
    let session = app.session();
    let env = session.env.id.clone();
    let asked = ask_service(app, from, async {
        let lm = session.linkmoney()?;
        let customer = lm.get_customer(&id).await?;
        let (accounts, verified) =
            tokio::join!(lm.get_accounts(&id), lm.get_verified_accounts(&id));
        let mut records = vec![(RecordKind::Customer, id.clone(), customer.raw)];
        let (accounts, accounts_note) =
            part(accounts, &mut records, RecordKind::CustomerAccounts, &id);
        let (verified, verified_note) =
            part(verified, &mut records, RecordKind::VerifiedAccounts, &id);
        let name = customer_name(&customer.value);
        remember(
            app,
            &env,
            records,
            Some((RecordKind::Customer, id.clone(), name)),
        )
        .await;
        let view = customer_view(
            app,
            &session,
            customer.value,
            (accounts.map(|a| a.account_details), accounts_note),
            (verified.map(|v| v.accounts), verified_note),
        )
        .await;
        Ok(view)
    })
    .await?;
    let fallback = match asked {
        Ok(view) => return Ok(Listed::live(view)),
        Err(fallback) => fallback,
    };
    let cache = app.cache.clone();
    let (env2, id2) = (env.clone(), id.clone());
    let found = blocking(move || {
        Ok((
            cache.get_record(&env2, RecordKind::Customer, &id2)?,
            cache.get_record(&env2, RecordKind::CustomerAccounts, &id2)?,
            cache.get_record(&env2, RecordKind::VerifiedAccounts, &id2)?,
        ))
    })
    .await?;
    let (Some((body, cached_at)), accounts, verified) = found else {
        return Err(not_cached(&fallback, "Customer", &id));
    };
    let customer: Customer = parse("customer", body)?;
    let accounts = match accounts {
        Some((v, _)) => (
            Some(parse::<CustomerAccounts>("accounts", v)?.account_details),
            None,
        ),
        None => (None, Some("The accounts are not in the local cache".into())),
    };
    let verified = match verified {
        Some((v, _)) => (
            Some(parse::<VerifiedAccounts>("verified accounts", v)?.accounts),
            None,
        ),
        None => (
            None,
            Some("The verified accounts are not in the local cache".into()),
        ),
    };
    let name = customer_name(&customer);
    remember(app, &env, vec![], Some((RecordKind::Customer, id, name))).await;
    let mut view = customer_view(app, &session, customer, accounts, verified).await;
    view.refund_block = view
        .refund_block
        .or_else(|| Some(format!("{}: a refund needs Link Money", fallback.reason)));
    Ok(Listed::cached(view, Some(cached_at), fallback))
}

/// One of the customer's sub-answers: the value (cached as it came) or a note
/// saying why it is missing. A 404 means Link Money has none.
fn part<T>(
    answer: AppResult<Fetched<T>>,
    records: &mut Vec<(RecordKind, String, Value)>,
    kind: RecordKind,
    id: &str,
) -> (Option<T>, Option<String>) {
    match answer {
        Ok(f) => {
            records.push((kind, id.to_string(), f.raw));
            (Some(f.value), None)
        }
        Err(e) if e.code == ErrorCode::NotFound => (None, Some("None on record".into())),
        Err(e) => (None, Some(e.message)),
    }
}

async fn customer_view(
    app: &App,
    session: &crate::session::Session,
    customer: Customer,
    (accounts, accounts_note): (Option<Vec<AccountDetails>>, Option<String>),
    (verified_accounts, verified_note): (Option<Vec<VerifiedAccount>>, Option<String>),
) -> CustomerView {
    let preferred = preferred_account(
        customer.account_details.as_ref(),
        accounts.as_deref().unwrap_or(&[]),
    );
    let refund_block = write_block(app, session)
        .or_else(|| refusal_for(customer.customer_status.as_deref(), preferred).map(|e| e.message));
    let transactions = seen_transactions(&app.cache, &session.env.id, customer.id.as_str())
        .await
        .iter()
        .map(TransactionLine::from)
        .collect();
    CustomerView {
        name: customer_name(&customer),
        customer,
        accounts,
        accounts_note,
        verified_accounts,
        verified_note,
        refund_block,
        transactions,
    }
}

pub async fn transaction(
    app: &App,
    id: String,
    from: ReadFrom,
) -> AppResult<Listed<TransactionView>> {
    let id = typed_id("transaction", &id)?;
    let session = app.session();
    let env = session.env.id.clone();
    let asked = ask_service(app, from, async {
        session.linkmoney()?.get_transaction(&id).await
    })
    .await?;
    let (transaction, source) = match asked {
        Ok(t) => (Some(t), None),
        Err(fallback) => (None, Some(fallback)),
    };
    let (value, listed_source, cached_at) = match (transaction, source) {
        (Some(t), _) => {
            remember(
                app,
                &env,
                vec![(RecordKind::Transaction, id.clone(), t.raw)],
                None,
            )
            .await;
            (t.value, None, None)
        }
        (None, fallback) => {
            let fallback = fallback.unwrap_or(Fallback {
                reason: String::new(),
                offline: true,
            });
            let cache = app.cache.clone();
            let (env2, id2) = (env.clone(), id.clone());
            let found =
                blocking(move || Ok(cache.get_record(&env2, RecordKind::Transaction, &id2)?))
                    .await?;
            let Some((body, at)) = found else {
                return Err(not_cached(&fallback, "Transaction", &id));
            };
            (
                parse::<Transaction>("transaction", body)?,
                Some(fallback),
                Some(at),
            )
        }
    };
    let label = money_label(&value.amount, &value.transaction_status);
    remember(
        app,
        &env,
        vec![],
        Some((RecordKind::Transaction, id.clone(), label)),
    )
    .await;
    let customer = match &value.customer_id {
        Some(c) => cached_customer(app, &env, c.as_str()).await,
        None => None,
    };
    let customer_name = customer.as_ref().map(customer_name);
    let merchant = session.env.merchant_id.clone();
    let mut refunds = payment_refunds(app, &env, &merchant, &id).await;
    if listed_source.is_none() {
        // Opening the payment asks Link Money how its refunds stand now.
        if refresh_statuses(&app.journal, &session, app.work_offline(), &refunds).await > 0 {
            refunds = payment_refunds(app, &env, &merchant, &id).await;
        }
    }
    let counted = {
        let journal = app.journal.clone();
        let customer = value
            .customer_id
            .as_ref()
            .map(|c| c.to_string())
            .unwrap_or_default();
        let draft = Draft::of_payment(&env, &merchant, &customer, &id);
        blocking(move || Ok(journal.refunded(&draft, "")?))
            .await
            .unwrap_or_default()
    };
    let refunded_cents = counted.total();
    let paid = paid_cents(&value);
    let left_cents = match (paid, counted.unknown_elsewhere()) {
        (Some(p), None) => Some((p - refunded_cents).max(0)),
        _ => None,
    };
    let refund_block = write_block(app, &session)
        .or_else(|| {
            listed_source
                .as_ref()
                .map(|why| format!("{}: a refund needs Link Money", why.reason))
        })
        .or_else(|| payment_refusal(&value))
        .or_else(|| inactive_customer_note(customer.as_ref()))
        .or_else(|| counted.blocked())
        .or_else(|| {
            (left_cents == Some(0)).then(|| {
                format!(
                    "Nothing is left to refund: {} of this payment's {} has been refunded",
                    dollars(refunded_cents),
                    dollars(paid.unwrap_or(0))
                )
            })
        });
    let (amount_cents, currency) = cents(&value.amount);
    let view = TransactionView {
        transaction: value,
        amount_cents,
        currency,
        customer_name,
        refund_block,
        refunds,
        refunded_cents,
        left_cents,
    };
    Ok(match listed_source {
        None => Listed::live(view),
        Some(fallback) => Listed::cached(view, cached_at, fallback),
    })
}

/// The refunds of one payment in the journal (none when it cannot be read).
async fn payment_refunds(app: &App, env: &str, merchant: &str, id: &str) -> Vec<RefundRow> {
    let journal = app.journal.clone();
    let (env, merchant, id) = (env.to_string(), merchant.to_string(), id.to_string());
    blocking(move || Ok(journal.refunds_of_payment(&env, &merchant, &id)?))
        .await
        .unwrap_or_default()
}

/// The customer as Linkdesk last read them, if it has.
async fn cached_customer(app: &App, env: &str, id: &str) -> Option<Customer> {
    let cache = app.cache.clone();
    let (env, id) = (env.to_string(), id.to_string());
    let found = blocking(move || Ok(cache.get_record(&env, RecordKind::Customer, &id)?))
        .await
        .ok()
        .flatten()?;
    serde_json::from_value::<Customer>(found.0).ok()
}

/// A payment of a customer Link Money last said was not ACTIVE: the refund
/// button says so up front (the refund dialog reads the customer again).
fn inactive_customer_note(customer: Option<&Customer>) -> Option<String> {
    let status = customer?.customer_status.as_deref()?;
    (status != "ACTIVE").then(|| {
        format!(
            "The customer was {status} when last read: Link Money takes refunds only to an ACTIVE customer. Open the customer to read them again."
        )
    })
}

pub async fn payout(app: &App, id: String, from: ReadFrom) -> AppResult<Listed<PayoutView>> {
    let id = typed_id("payout", &id)?;
    let session = app.session();
    let env = session.env.id.clone();
    let asked = ask_service(app, from, async {
        session.linkmoney()?.get_payout(&id).await
    })
    .await?;
    let fallback = match asked {
        Ok(p) => {
            let label = money_label(&p.value.amount, &p.value.payout_status);
            remember(
                app,
                &env,
                vec![(RecordKind::Payout, id.clone(), p.raw)],
                Some((RecordKind::Payout, id, label)),
            )
            .await;
            return Ok(Listed::live(payout_view(p.value)));
        }
        Err(fallback) => fallback,
    };
    let cache = app.cache.clone();
    let (env2, id2) = (env.clone(), id.clone());
    let found = blocking(move || Ok(cache.get_record(&env2, RecordKind::Payout, &id2)?)).await?;
    let Some((body, at)) = found else {
        return Err(not_cached(&fallback, "Payout", &id));
    };
    let payout: Payout = parse("payout", body)?;
    let label = money_label(&payout.amount, &payout.payout_status);
    remember(app, &env, vec![], Some((RecordKind::Payout, id, label))).await;
    Ok(Listed::cached(payout_view(payout), Some(at), fallback))
}

/// What was looked up lately in the active environment, newest first; answered
/// from the cache, so it works offline.
pub async fn recent(app: &App, limit: u32) -> AppResult<Vec<Lookup>> {
    let env = app.session().env.id.clone();
    let cache = app.cache.clone();
    let limit = limit.clamp(1, 100);
    blocking(move || Ok(cache.recent_lookups(&env, limit)?)).await
}
