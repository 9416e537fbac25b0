//! Link Money records by ID, and the rules that decide a new payment's fate.

use std::collections::{HashMap, HashSet};

use super::model::{
    Customer, CustomerStatus, FailureReason, Payout, Transaction, TransactionStatus,
    TransactionType,
};

#[derive(Default)]
pub struct MoneyStore {
    pub customers: Vec<Customer>,
    pub transactions: Vec<Transaction>,
    pub payouts: Vec<Payout>,
    customer_index: HashMap<String, usize>,
    transaction_index: HashMap<String, usize>,
    payout_index: HashMap<String, usize>,
    request_keys: HashSet<String>,
}

/// A validated payment or refund request.
pub struct NewPayment {
    pub id: String,
    pub kind: TransactionType,
    pub customer_id: String,
    pub amount_cents: u64,
    pub client_reference_id: Option<String>,
    pub descriptor: Option<String>,
    pub request_key: String,
}

/// Payments above this are declined, as the documents' PAYMENT_DECLINED example suggests.
pub const PAYMENT_LIMIT_CENTS: u64 = 1_000_000;
const DAY_MS: i64 = 86_400_000;

impl MoneyStore {
    pub fn new(
        customers: Vec<Customer>,
        transactions: Vec<Transaction>,
        payouts: Vec<Payout>,
    ) -> Self {
        let mut store = MoneyStore::default();
        for c in customers {
            store.add_customer(c);
        }
        for t in transactions {
            store.add_transaction(t);
        }
        for p in payouts {
            store.payout_index.insert(p.id.clone(), store.payouts.len());
            store.payouts.push(p);
        }
        store
    }

    pub fn add_customer(&mut self, customer: Customer) {
        self.customer_index
            .insert(customer.id.clone(), self.customers.len());
        self.customers.push(customer);
    }

    fn add_transaction(&mut self, transaction: Transaction) {
        self.transaction_index
            .insert(transaction.id.clone(), self.transactions.len());
        self.transactions.push(transaction);
    }

    pub fn customer(&self, id: &str) -> Option<&Customer> {
        self.customer_index.get(id).map(|&i| &self.customers[i])
    }

    pub fn transaction(&self, id: &str) -> Option<&Transaction> {
        self.transaction_index
            .get(id)
            .map(|&i| &self.transactions[i])
    }

    pub fn payout(&self, id: &str) -> Option<&Payout> {
        self.payout_index.get(id).map(|&i| &self.payouts[i])
    }

    /// Moves a transaction to `status`; false when there is no such one.
    pub fn set_transaction_status(&mut self, id: &str, status: TransactionStatus) -> bool {
        match self.transaction_index.get(id) {
            Some(&i) => {
                self.transactions[i].status = status;
                true
            }
            None => false,
        }
    }

    pub fn has_id(&self, id: &str) -> bool {
        self.customer_index.contains_key(id)
            || self.transaction_index.contains_key(id)
            || self.payout_index.contains_key(id)
    }

    pub fn request_key_used(&self, key: &str) -> bool {
        self.request_keys.contains(key)
    }

    /// What the customer has paid and not yet had refunded, in cents.
    pub fn refundable_cents(&self, customer_id: &str) -> i128 {
        self.transactions
            .iter()
            .filter(|t| t.customer_id == customer_id)
            .map(|t| match t.kind {
                TransactionType::Debit if t.status.counts_as_paid() => i128::from(t.amount_cents),
                TransactionType::Credit if !t.status.is_failed_or_canceled() => {
                    -i128::from(t.amount_cents)
                }
                _ => 0,
            })
            .sum()
    }

    /// Records the payment (the caller has checked the request key and the
    /// customer) and returns the new transaction.
    pub fn record_payment(&mut self, payment: NewPayment, now_ms: i64) -> &Transaction {
        let customer = self.customer(&payment.customer_id);
        let account = customer
            .and_then(Customer::preferred_account)
            .map(|a| a.transaction_json());
        let failure = self.decide_failure(&payment, customer.map(|c| c.status));
        let status = match (&failure, payment.kind) {
            (Some(_), _) => TransactionStatus::TerminalFailed,
            // A deterministic way to see PENDING: payments of N.99.
            (None, TransactionType::Debit) if payment.amount_cents % 100 == 99 => {
                TransactionStatus::Pending
            }
            (None, _) => TransactionStatus::Authorized,
        };
        self.request_keys.insert(payment.request_key);
        self.add_transaction(Transaction {
            id: payment.id,
            kind: payment.kind,
            customer_id: payment.customer_id,
            amount_cents: payment.amount_cents,
            client_reference_id: payment.client_reference_id,
            status,
            account,
            descriptor: payment.descriptor,
            settlement_ms: (status == TransactionStatus::Authorized).then_some(now_ms + 2 * DAY_MS),
            created_ms: now_ms,
            failure,
        });
        &self.transactions[self.transactions.len() - 1]
    }

    fn decide_failure(
        &self,
        payment: &NewPayment,
        status: Option<CustomerStatus>,
    ) -> Option<FailureReason> {
        let fail = |code: &str, description: String| {
            Some(FailureReason {
                code: code.into(),
                description,
            })
        };
        if status != Some(CustomerStatus::Active) {
            let status = status.map_or("unknown", CustomerStatus::as_str);
            return fail(
                "CUSTOMER_NOT_ACTIVE",
                format!("Customer is {status} and cannot send or receive payments"),
            );
        }
        match payment.kind {
            TransactionType::Credit => {
                let refundable = self.refundable_cents(&payment.customer_id).max(0);
                if i128::from(payment.amount_cents) > refundable {
                    return fail(
                        "REFUND_EXCEEDS_PAYMENTS",
                        format!(
                            "Refund amount {} is greater than the {} this customer has paid and not had refunded",
                            dollars(i128::from(payment.amount_cents)),
                            dollars(refundable)
                        ),
                    );
                }
            }
            TransactionType::Debit if payment.amount_cents > PAYMENT_LIMIT_CENTS => {
                return fail(
                    "PAYMENT_DECLINED",
                    "Transaction amount is greater than the limit.".into(),
                );
            }
            TransactionType::Debit => {}
        }
        None
    }
}

fn dollars(cents: i128) -> String {
    format!("{}.{:02} USD", cents / 100, cents % 100)
}
