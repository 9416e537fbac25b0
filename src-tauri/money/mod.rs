//! The Link Money console's core (Tauri-free): customer, transaction and payout
//! lookups (online first, the cache when the service cannot be reached),
//! refunds through the refund journal, and webhook subscriptions.

pub mod lookups;
mod refund_checks;
pub mod refunds;
mod seen;
pub mod sender;
mod views;
pub mod webhooks;

use std::collections::HashMap;
use std::sync::Arc;

use crate::app::{blocking, App, EMBEDDED_ENV_ID};
use crate::error::{AppError, AppResult, ErrorCode};
use crate::journal::RefundRow;
use crate::linkmoney::AccountDetails;
use crate::session::Session;

pub use lookups::{CustomerView, PayoutView, TransactionLine, TransactionView};
pub use refunds::{PaymentChoice, RefundContext, RefundDialog, RefundInput};
pub use sender::RetryPolicy;

/// Resolves the refunds an earlier run left SENDING or UNRESOLVED, each in
/// the environment it was made in (see `sender::resolve_open`).
pub async fn resolve_at_start(app: &App) -> AppResult<Vec<RefundRow>> {
    if app.journal.ensure_can_send().is_err() {
        return Ok(Vec::new());
    }
    let journal = app.journal.clone();
    let open = blocking(move || Ok(journal.open_refunds()?)).await?;
    if open.is_empty() {
        return Ok(Vec::new());
    }
    let active = app.session();
    let mut sessions: HashMap<String, AppResult<Arc<Session>>> = HashMap::new();
    for row in &open {
        if sessions.contains_key(&row.env_id) {
            continue;
        }
        let session = if row.env_id == active.env.id {
            Ok(active.clone())
        } else if row.env_id == EMBEDDED_ENV_ID {
            Ok(Arc::new(app.builtin_session()))
        } else {
            match app.envs.get(&row.env_id) {
                // Reading the keyring blocks.
                Some(env) => {
                    let http = app.http().clone();
                    blocking(move || Ok(Arc::new(Session::from_keyring(&http, env)))).await
                }
                None => Err(AppError::new(
                    ErrorCode::NotFound,
                    format!(
                        "The environment \"{}\" this refund was made in no longer exists",
                        row.env_name
                    ),
                )),
            }
        };
        sessions.insert(row.env_id.clone(), session);
    }
    sender::resolve_open(
        &app.journal,
        |env_id| {
            sessions
                .get(env_id)
                .cloned()
                .unwrap_or_else(|| Err(AppError::new(ErrorCode::NotFound, "Unknown environment")))
        },
        RetryPolicy::default(),
    )
    .await
}

/// Why a refund to this customer and account is refused, if it is. Link Money
/// takes payments only for an ACTIVE customer ("ready for payments") whose
/// account is active; anything else, documented or not, is refused here before
/// any request.
pub fn refusal_for(
    customer_status: Option<&str>,
    account: Option<&AccountDetails>,
) -> Option<AppError> {
    let refuse = |m: String| Some(AppError::new(ErrorCode::Conflict, m));
    match customer_status {
        Some("ACTIVE") => {}
        Some("INACTIVE") => {
            return refuse(
                "The customer is INACTIVE: Link Money takes no refunds to them until they link a bank again. Nothing was sent."
                    .into(),
            )
        }
        Some("CREATED") => {
            return refuse(
                "The customer is CREATED: they have not finished linking a bank account, so no refund can reach them. Nothing was sent."
                    .into(),
            )
        }
        Some(other) => {
            return refuse(format!(
                "The customer's status is {other}, not ACTIVE: no refund is sent. Nothing was sent."
            ))
        }
        None => {
            return refuse(
                "Link Money did not say the customer's status, so no refund is sent. Nothing was sent."
                    .into(),
            )
        }
    }
    let Some(account) = account else {
        return refuse(
            "The customer has no preferred bank account to refund to. Nothing was sent.".into(),
        );
    };
    match account.account_status.as_deref() {
        Some("ACTIVE") => None,
        status => refuse(format!(
            "The customer's preferred account{} is {}, not ACTIVE: no refund can be sent to it. Nothing was sent.",
            account
                .account_last_four_digits
                .as_deref()
                .map(|l| format!(" ending {l}"))
                .unwrap_or_default(),
            status.unwrap_or("of unknown status")
        )),
    }
}

/// The customer's preferred account: the one the customer record names, else
/// the one marked preferred in the accounts list.
pub fn preferred_account<'a>(
    from_customer: Option<&'a AccountDetails>,
    accounts: &'a [AccountDetails],
) -> Option<&'a AccountDetails> {
    from_customer.or_else(|| accounts.iter().find(|a| a.preferred == Some(true)))
}

/// An ID as it is quoted in a message: a very long one (pasted by mistake) is
/// cut, so that a message stays readable.
pub(crate) fn shown_id(id: &str) -> String {
    const LONGEST: usize = 48;
    if id.chars().count() <= LONGEST {
        return id.to_string();
    }
    let cut: String = id.chars().take(40).collect();
    format!("{cut}… ({} characters)", id.chars().count())
}

/// A message as a sentence: ends with a full stop (or ? or !).
pub(crate) fn sentence(message: &str) -> String {
    let m = message.trim_end();
    if m.ends_with(['.', '!', '?']) {
        m.to_string()
    } else {
        format!("{m}.")
    }
}

/// Checks an ID typed by the user before it is looked up.
pub(crate) fn typed_id(what: &str, id: &str) -> AppResult<String> {
    let id = id.trim();
    if id.is_empty() {
        return Err(AppError::invalid(format!("Type a {what} ID")));
    }
    Ok(id.to_string())
}

/// "First Last", or the email, or the ID.
pub fn customer_name(c: &crate::linkmoney::Customer) -> String {
    let name = [c.first_name.as_deref(), c.last_name.as_deref()]
        .into_iter()
        .flatten()
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .collect::<Vec<_>>()
        .join(" ");
    if !name.is_empty() {
        return name;
    }
    c.email
        .clone()
        .filter(|e| !e.trim().is_empty())
        .unwrap_or_else(|| c.id.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn account(status: &str) -> AccountDetails {
        AccountDetails {
            account_status: Some(status.into()),
            account_last_four_digits: Some("6789".into()),
            ..Default::default()
        }
    }

    #[test]
    fn messages_stay_readable() {
        assert_eq!(shown_id("abc"), "abc");
        let long = "x".repeat(5000);
        let shown = shown_id(&long);
        assert!(
            shown.len() < 80 && shown.contains("5000 characters"),
            "{shown}"
        );
        assert_eq!(sentence("Connection refused"), "Connection refused.");
        assert_eq!(sentence("Done."), "Done.");
    }

    #[test]
    fn only_active_customers_with_active_accounts_get_refunds() {
        assert!(refusal_for(Some("ACTIVE"), Some(&account("ACTIVE"))).is_none());
        for status in [Some("INACTIVE"), Some("CREATED"), Some("FROZEN"), None] {
            let e = refusal_for(status, Some(&account("ACTIVE"))).unwrap();
            assert_eq!(e.code, ErrorCode::Conflict);
        }
        let e = refusal_for(Some("ACTIVE"), Some(&account("INACTIVE"))).unwrap();
        assert!(e.message.contains("ending 6789"), "{}", e.message);
        assert!(refusal_for(Some("ACTIVE"), None).is_some());
        assert!(refusal_for(Some("ACTIVE"), Some(&AccountDetails::default())).is_some());
    }

    #[test]
    fn the_preferred_account_comes_from_the_customer_first() {
        let mut listed = vec![account("INACTIVE"), account("ACTIVE")];
        listed[1].preferred = Some(true);
        assert_eq!(
            preferred_account(None, &listed)
                .unwrap()
                .account_status
                .as_deref(),
            Some("ACTIVE")
        );
        let own = account("SUSPENDED");
        assert_eq!(
            preferred_account(Some(&own), &listed)
                .unwrap()
                .account_status
                .as_deref(),
            Some("SUSPENDED")
        );
        assert!(preferred_account(None, &[]).is_none());
    }
}
