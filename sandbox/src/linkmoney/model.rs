//! Link Money records and the JSON the documents show for them.

use serde_json::{json, Value};

use crate::util::{cents_to_value, format_millis};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CustomerStatus {
    Active,
    Created,
    Inactive,
}

impl CustomerStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Active => "ACTIVE",
            Self::Created => "CREATED",
            Self::Inactive => "INACTIVE",
        }
    }
}

pub struct Institution {
    pub id: u64,
    pub name: &'static str,
    pub slug: &'static str,
    pub routing_number: &'static str,
}

pub const INSTITUTIONS: [Institution; 6] = [
    Institution {
        id: 101,
        name: "First Sandbox Bank",
        slug: "first-sandbox",
        routing_number: "021000021",
    },
    Institution {
        id: 102,
        name: "Cedar Credit Union",
        slug: "cedar-cu",
        routing_number: "211274450",
    },
    Institution {
        id: 103,
        name: "Harborview Savings",
        slug: "harborview",
        routing_number: "011000138",
    },
    Institution {
        id: 104,
        name: "Prairie National Bank",
        slug: "prairie-national",
        routing_number: "101000187",
    },
    Institution {
        id: 105,
        name: "Banco Ñandú",
        slug: "banco-nandu",
        routing_number: "122000661",
    },
    Institution {
        id: 106,
        name: "Summit State Bank",
        slug: "summit-state",
        routing_number: "091000019",
    },
];

pub struct VerifiedAccount {
    pub id: String,
    pub account_number: String,
}

pub struct Account {
    pub account_id: u64,
    pub institution: usize,
    pub last_four: String,
    pub account_type: &'static str,
    pub active: bool,
    pub preferred: bool,
    pub created_ms: i64,
    pub verified: Option<VerifiedAccount>,
}

impl Account {
    fn institution(&self) -> &'static Institution {
        &INSTITUTIONS[self.institution % INSTITUTIONS.len()]
    }

    fn status(&self) -> &'static str {
        if self.active {
            "ACTIVE"
        } else {
            "INACTIVE"
        }
    }

    /// As listed by `/v1/customers/{id}/accounts`.
    pub fn full_json(&self) -> Value {
        let institution = self.institution();
        json!({
            "accountId": self.account_id,
            "financialInstitutionId": institution.id,
            "financialInstitutionName": institution.name,
            "logoUrl": format!("https://example.com/link-sandbox/logos/{}.png", institution.slug),
            "iconUrl": format!("https://example.com/link-sandbox/icons/{}.png", institution.slug),
            "accountLastFourDigits": self.last_four,
            "accountType": self.account_type,
            "accountStatus": self.status(),
            "preferred": self.preferred,
            "routingNumber": institution.routing_number,
            "creationDate": format_millis(self.created_ms),
        })
    }

    /// As embedded in a customer.
    pub fn customer_json(&self) -> Value {
        json!({
            "financialInstitutionName": self.institution().name,
            "accountLastFourDigits": self.last_four,
            "accountType": self.account_type,
            "accountStatus": self.status(),
            "preferred": self.preferred,
            "creationDate": format_millis(self.created_ms),
        })
    }

    /// As embedded in a transaction.
    pub fn transaction_json(&self) -> Value {
        json!({
            "financialInstitutionName": self.institution().name,
            "accountLastFourDigits": self.last_four,
            "accountType": self.account_type,
            "preferred": self.preferred,
        })
    }

    pub fn verified_json(&self) -> Option<Value> {
        let verified = self.verified.as_ref()?;
        Some(json!({
            "depositAccount": {
                "accountId": verified.id,
                "accountNumberDisplay": self.last_four,
            },
            "paymentNetworks": [{
                "bankId": self.institution().routing_number,
                "identifier": verified.account_number,
                "type": "US_ACH",
            }],
        }))
    }
}

pub struct Customer {
    pub id: String,
    pub first_name: String,
    pub last_name: String,
    pub email: String,
    pub status: CustomerStatus,
    pub accounts: Vec<Account>,
    pub created_ms: i64,
}

impl Customer {
    pub fn preferred_account(&self) -> Option<&Account> {
        self.accounts.iter().find(|a| a.preferred)
    }

    pub fn json(&self) -> Value {
        json!({
            "id": self.id,
            "firstName": self.first_name,
            "lastName": self.last_name,
            "email": self.email,
            "customerStatus": self.status.as_str(),
            "accountDetails": self.preferred_account().map(Account::customer_json),
            "creationDate": format_millis(self.created_ms),
        })
    }

    pub fn accounts_json(&self) -> Value {
        let accounts: Vec<Value> = self.accounts.iter().map(Account::full_json).collect();
        json!({ "customerId": self.id, "accountDetails": accounts })
    }

    pub fn verified_accounts_json(&self) -> Value {
        let accounts: Vec<Value> = self
            .accounts
            .iter()
            .filter_map(Account::verified_json)
            .collect();
        json!({ "accounts": accounts })
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TransactionType {
    /// A payment: customer to merchant.
    Debit,
    /// A refund: merchant to customer.
    Credit,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TransactionStatus {
    Created,
    Pending,
    Authorized,
    Scheduled,
    Initiated,
    Succeeded,
    RetryableFailed,
    TerminalFailed,
    Canceled,
}

impl TransactionStatus {
    pub const ALL: [TransactionStatus; 9] = [
        Self::Created,
        Self::Pending,
        Self::Authorized,
        Self::Scheduled,
        Self::Initiated,
        Self::Succeeded,
        Self::RetryableFailed,
        Self::TerminalFailed,
        Self::Canceled,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Created => "CREATED",
            Self::Pending => "PENDING",
            Self::Authorized => "AUTHORIZED",
            Self::Scheduled => "SCHEDULED",
            Self::Initiated => "INITIATED",
            Self::Succeeded => "SUCCEEDED",
            Self::RetryableFailed => "RETRYABLE_FAILED",
            Self::TerminalFailed => "TERMINAL_FAILED",
            Self::Canceled => "CANCELED",
        }
    }

    pub fn is_failed_or_canceled(self) -> bool {
        matches!(
            self,
            Self::RetryableFailed | Self::TerminalFailed | Self::Canceled
        )
    }

    /// Money the customer has actually committed: counts toward what a refund may return.
    pub fn counts_as_paid(self) -> bool {
        matches!(
            self,
            Self::Authorized | Self::Scheduled | Self::Initiated | Self::Succeeded
        )
    }
}

pub struct FailureReason {
    pub code: String,
    pub description: String,
}

pub struct Transaction {
    pub id: String,
    pub kind: TransactionType,
    pub customer_id: String,
    pub amount_cents: u64,
    pub client_reference_id: Option<String>,
    pub status: TransactionStatus,
    pub account: Option<Value>,
    pub descriptor: Option<String>,
    pub settlement_ms: Option<i64>,
    pub created_ms: i64,
    pub failure: Option<FailureReason>,
}

impl Transaction {
    pub fn json(&self) -> Value {
        json!({
            "transactionId": self.id,
            "transactionType": match self.kind {
                TransactionType::Debit => "DEBIT",
                TransactionType::Credit => "CREDIT",
            },
            "customerId": self.customer_id,
            "amount": {"value": cents_to_value(self.amount_cents), "currency": "USD"},
            "clientReferenceId": self.client_reference_id,
            "transactionStatus": self.status.as_str(),
            "accountDetails": self.account,
            "descriptor": self.descriptor,
            "settlementDate": self.settlement_ms.map(format_millis),
            "creationDate": format_millis(self.created_ms),
            "transactionFailureReason": self.failure.as_ref().map(|f| json!({
                "code": f.code,
                "description": f.description,
            })),
        })
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PayoutStatus {
    Created,
    Authorized,
    Scheduled,
    Initiated,
    Disbursed,
}

impl PayoutStatus {
    pub const ALL: [PayoutStatus; 5] = [
        Self::Created,
        Self::Authorized,
        Self::Scheduled,
        Self::Initiated,
        Self::Disbursed,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Created => "CREATED",
            Self::Authorized => "AUTHORIZED",
            Self::Scheduled => "SCHEDULED",
            Self::Initiated => "INITIATED",
            Self::Disbursed => "DISBURSED",
        }
    }
}

pub struct Payout {
    pub id: String,
    pub client_reference_id: Option<String>,
    pub amount_cents: u64,
    pub status: PayoutStatus,
    pub descriptor: String,
    pub created_ms: i64,
}

impl Payout {
    pub fn json(&self) -> Value {
        json!({
            "payoutId": self.id,
            "clientReferenceId": self.client_reference_id,
            "amount": {"value": cents_to_value(self.amount_cents), "currency": "USD"},
            "payoutStatus": self.status.as_str(),
            "descriptor": self.descriptor,
            "creationDate": format_millis(self.created_ms),
        })
    }
}
