//! What Linkdesk has seen of a customer's payments: their transactions in
//! the local cache. Offered when a refund is started from a customer, and
//! listed in the customer view; never used to judge a refund (the payment is
//! read again from Link Money for that).

use crate::app::blocking;
use crate::cache::Cache;
use crate::linkmoney::Transaction;

/// The customer's transactions in the cache; unreadable ones are skipped.
pub(crate) async fn seen_transactions(
    cache: &Cache,
    env: &str,
    customer: &str,
) -> Vec<Transaction> {
    let cache = cache.clone();
    let (env, customer) = (env.to_string(), customer.to_string());
    match blocking(move || Ok(cache.customer_transactions(&env, &customer)?)).await {
        Ok(rows) => rows
            .into_iter()
            .filter_map(|(v, _)| serde_json::from_value(v).ok())
            .collect(),
        Err(e) => {
            tracing::warn!(error = %e, "could not read cached transactions");
            Vec::new()
        }
    }
}
