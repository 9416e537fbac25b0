//! Deterministic demo customers, accounts, transactions and payouts.

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use super::{
    model::{
        Account, Customer, CustomerStatus, FailureReason, Payout, PayoutStatus, Transaction,
        TransactionStatus, TransactionType, VerifiedAccount, INSTITUTIONS,
    },
    store::MoneyStore,
};
use crate::util::random_uuid;

const DAY_MS: i64 = 86_400_000;

const FIRST_NAMES: [&str; 16] = [
    "María",
    "José",
    "Zoë",
    "Søren",
    "François",
    "Łukasz",
    "Chloé",
    "Anna",
    "Wei",
    "Yuki",
    "Olivia",
    "Noah",
    "Amélie",
    "Björn",
    "Aiyana",
    "Kwame",
];
const LAST_NAMES: [&str; 14] = [
    "Gómez", "Núñez", "Müller", "Øberg", "Dubois", "Kowalski", "Tanaka", "Smith", "O'Brien",
    "Nakamura", "García", "Ivanova", "Mensah", "山田",
];

const FAILURES: [(&str, &str); 5] = [
    ("R01", "Insufficient funds"),
    ("R02", "Account closed"),
    ("R03", "No account / unable to locate account"),
    ("R07", "Authorization revoked by customer"),
    ("R10", "Customer advises not authorized"),
];

pub fn seed_money(seed: u64, customers: usize, anchor_secs: i64) -> MoneyStore {
    let mut rng = ChaCha8Rng::seed_from_u64(seed ^ 0x004d_4f4e_4559);
    let anchor = anchor_secs * 1000;
    let mut next_account_id = 100_001u64;
    let mut all_customers = Vec::with_capacity(customers);
    for i in 0..customers {
        all_customers.push(customer(&mut rng, i, anchor, &mut next_account_id));
    }
    let transactions = transactions(&mut rng, &all_customers, anchor);
    let payouts = payouts(&mut rng, customers, anchor);
    MoneyStore::new(all_customers, transactions, payouts)
}

fn customer(rng: &mut impl Rng, i: usize, anchor: i64, next_account_id: &mut u64) -> Customer {
    // The first three cover every status, whatever the count.
    let status = match i {
        0 => CustomerStatus::Active,
        1 => CustomerStatus::Created,
        2 => CustomerStatus::Inactive,
        _ => match rng.gen_range(0..100) {
            0..=79 => CustomerStatus::Active,
            80..=89 => CustomerStatus::Created,
            _ => CustomerStatus::Inactive,
        },
    };
    let (first, last) = if i == 3 {
        // One customer whose name must be shown as text, never as markup.
        (
            "<script>alert(1)</script>".to_string(),
            "\"; DROP TABLE customers; --".to_string(),
        )
    } else {
        (
            FIRST_NAMES[rng.gen_range(0..FIRST_NAMES.len())].to_string(),
            LAST_NAMES[rng.gen_range(0..LAST_NAMES.len())].to_string(),
        )
    };
    let email = if i == 3 {
        "robert.tables+<b>@example.com".to_string()
    } else {
        format!(
            "{}.{}{}@example.com",
            first.to_lowercase(),
            last.to_lowercase().replace('\'', ""),
            rng.gen_range(1..1000)
        )
    };
    let created_ms = anchor - rng.gen_range(DAY_MS..365 * DAY_MS);
    let count = rng.gen_range(1..=3);
    let preferred = rng.gen_range(0..count);
    let accounts = (0..count)
        .map(|n| {
            let account_id = *next_account_id;
            *next_account_id += 1;
            let active = match status {
                CustomerStatus::Inactive => false,
                _ => n == preferred || rng.gen_bool(0.7),
            };
            let verified =
                (status == CustomerStatus::Active && rng.gen_bool(0.4)).then(|| VerifiedAccount {
                    id: random_uuid(rng),
                    account_number: format!("{:011}", rng.gen_range(0..100_000_000_000u64)),
                });
            let last_four = match &verified {
                Some(v) => v.account_number[v.account_number.len() - 4..].to_string(),
                None => format!("{:04}", rng.gen_range(0..10_000)),
            };
            Account {
                account_id,
                institution: rng.gen_range(0..INSTITUTIONS.len()),
                last_four,
                account_type: if rng.gen_bool(0.75) {
                    "CHECKING"
                } else {
                    "SAVINGS"
                },
                active,
                preferred: n == preferred,
                created_ms: created_ms + rng.gen_range(0..DAY_MS),
                verified,
            }
        })
        .collect();
    Customer {
        id: random_uuid(rng),
        first_name: first,
        last_name: last,
        email,
        status,
        accounts,
        created_ms,
    }
}

fn pick_transaction_status(rng: &mut impl Rng, n: usize) -> TransactionStatus {
    use TransactionStatus::*;
    // The first nine cover every status.
    if let Some(status) = TransactionStatus::ALL.get(n) {
        return *status;
    }
    match rng.gen_range(0..100) {
        0..=44 => Succeeded,
        45..=54 => Authorized,
        55..=60 => Pending,
        61..=66 => Scheduled,
        67..=72 => Initiated,
        73..=76 => Created,
        77..=82 => RetryableFailed,
        83..=91 => TerminalFailed,
        _ => Canceled,
    }
}

fn transactions(rng: &mut impl Rng, customers: &[Customer], anchor: i64) -> Vec<Transaction> {
    let mut out = Vec::new();
    for customer in customers {
        if customer.status == CustomerStatus::Created {
            continue;
        }
        let account = customer.preferred_account().map(Account::transaction_json);
        let mut paid: Vec<u64> = Vec::new();
        for _ in 0..rng.gen_range(2..=6) {
            let status = pick_transaction_status(rng, out.len());
            let refund_of =
                (!paid.is_empty() && rng.gen_bool(0.2)).then(|| paid[rng.gen_range(0..paid.len())]);
            let (kind, amount_cents) = match refund_of {
                Some(paid_cents) => (TransactionType::Credit, rng.gen_range(1..=paid_cents)),
                None => (TransactionType::Debit, rng.gen_range(500..=50_000)),
            };
            if kind == TransactionType::Debit && status == TransactionStatus::Succeeded {
                paid.push(amount_cents);
            }
            let created_ms = anchor - rng.gen_range(DAY_MS / 24..90 * DAY_MS);
            let failure = matches!(
                status,
                TransactionStatus::RetryableFailed | TransactionStatus::TerminalFailed
            )
            .then(|| {
                let (code, description) = if status == TransactionStatus::RetryableFailed {
                    FAILURES[0]
                } else {
                    FAILURES[rng.gen_range(1..FAILURES.len())]
                };
                FailureReason {
                    code: code.into(),
                    description: description.into(),
                }
            });
            let settles = !status.is_failed_or_canceled()
                && !matches!(
                    status,
                    TransactionStatus::Created | TransactionStatus::Pending
                );
            out.push(Transaction {
                id: random_uuid(rng),
                kind,
                customer_id: customer.id.clone(),
                amount_cents,
                client_reference_id: rng
                    .gen_bool(0.8)
                    .then(|| format!("ORD-{:06}", rng.gen_range(0..1_000_000))),
                status,
                account: account.clone(),
                descriptor: Some(match kind {
                    TransactionType::Debit => {
                        format!("Sandbox Store Order {}", rng.gen_range(1000..10_000))
                    }
                    TransactionType::Credit => "Sandbox Store Refund".to_string(),
                }),
                settlement_ms: settles.then_some(created_ms + 2 * DAY_MS),
                created_ms,
                failure,
            });
        }
    }
    out
}

fn payouts(rng: &mut impl Rng, customers: usize, anchor: i64) -> Vec<Payout> {
    let count = (customers / 5).max(10);
    (0..count)
        .map(|n| {
            let status =
                PayoutStatus::ALL
                    .get(n)
                    .copied()
                    .unwrap_or_else(|| match rng.gen_range(0..100) {
                        0..=69 => PayoutStatus::Disbursed,
                        70..=77 => PayoutStatus::Initiated,
                        78..=85 => PayoutStatus::Scheduled,
                        86..=92 => PayoutStatus::Authorized,
                        _ => PayoutStatus::Created,
                    });
            Payout {
                id: random_uuid(rng),
                client_reference_id: Some(format!("PAYOUT-{:05}", n + 1)),
                amount_cents: rng.gen_range(10_000..2_500_000),
                status,
                descriptor: "LINK MONEY PAYOUT".to_string(),
                created_ms: anchor - rng.gen_range(DAY_MS / 24..90 * DAY_MS),
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const ANCHOR: i64 = 1_775_001_600;

    #[test]
    fn every_status_is_seeded() {
        let store = seed_money(7, 200, ANCHOR);
        for status in [
            CustomerStatus::Active,
            CustomerStatus::Created,
            CustomerStatus::Inactive,
        ] {
            assert!(store.customers.iter().any(|c| c.status == status));
        }
        for status in TransactionStatus::ALL {
            assert!(
                store.transactions.iter().any(|t| t.status == status),
                "{status:?}"
            );
        }
        for status in PayoutStatus::ALL {
            assert!(store.payouts.iter().any(|p| p.status == status));
        }
        for t in &store.transactions {
            let failed = matches!(
                t.status,
                TransactionStatus::RetryableFailed | TransactionStatus::TerminalFailed
            );
            assert_eq!(t.failure.is_some(), failed);
        }
        for c in &store.customers {
            assert!((1..=3).contains(&c.accounts.len()));
            assert_eq!(c.accounts.iter().filter(|a| a.preferred).count(), 1);
        }
    }

    #[test]
    fn same_seed_same_data() {
        let a = seed_money(7, 50, ANCHOR);
        let b = seed_money(7, 50, ANCHOR);
        let ids = |s: &MoneyStore| s.transactions.iter().map(|t| t.json()).collect::<Vec<_>>();
        assert_eq!(ids(&a), ids(&b));
    }
}
