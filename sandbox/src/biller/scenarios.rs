//! The sandbox's magic account numbers and the bills each linked account shows.

use serde_json::{json, Value};

use super::catalog;
use crate::util::format_secs;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scenario {
    Success,
    InvalidCredentials,
    BillerUnavailable,
    MfaRequired,
    AccountLocked,
    PastDueBill,
    AutoPay,
    PaymentPlan,
    ThreeAccounts,
}

pub const MFA_CODE: &str = "123456";

pub const ACCOUNT_NUMBERS: [(&str, Scenario); 9] = [
    ("4242424242", Scenario::Success),
    ("4000000001", Scenario::InvalidCredentials),
    ("4000000002", Scenario::BillerUnavailable),
    ("4000000003", Scenario::MfaRequired),
    ("4000000004", Scenario::AccountLocked),
    ("4000000005", Scenario::PastDueBill),
    ("4000000006", Scenario::AutoPay),
    ("4000000007", Scenario::PaymentPlan),
    ("4000000008", Scenario::ThreeAccounts),
];

impl Scenario {
    pub fn for_account(number: &str) -> Option<Scenario> {
        ACCOUNT_NUMBERS
            .iter()
            .find(|(n, _)| *n == number.trim())
            .map(|(_, s)| *s)
    }

    pub fn name(self) -> &'static str {
        match self {
            Self::Success => "success",
            Self::InvalidCredentials => "invalid_credentials",
            Self::BillerUnavailable => "biller_unavailable",
            Self::MfaRequired => "mfa_required",
            Self::AccountLocked => "account_locked",
            Self::PastDueBill => "past_due_bill",
            Self::AutoPay => "auto_pay",
            Self::PaymentPlan => "payment_plan",
            Self::ThreeAccounts => "three_accounts",
        }
    }
}

const DAY: i64 = 86_400;

/// `GET /bills/get` answer for one linked account: small and fixed per scenario,
/// dated from the anchor so it is as deterministic as the rest of the data.
pub fn bills(link_id: &str, biller: u16, scenario: Scenario, anchor: i64) -> Value {
    let bill = |n: usize, mask: &str, cents: u64, due: i64, status: &str| {
        json!({
            "id": format!("bill_{link_id}_{n}"),
            "account_number_mask": mask,
            "amount": {"value": cents as f64 / 100.0, "currency": "USD"},
            "due_date": format_secs(due)[..10].to_string(),
            "status": status,
            "autopay": false,
            "payment_plan": null,
        })
    };
    let bills = match scenario {
        Scenario::PastDueBill => {
            let mut b = bill(1, "••••4005", 14_250, anchor - 5 * DAY, "PAST_DUE");
            b["past_due_amount"] = json!(71.25);
            vec![b]
        }
        Scenario::AutoPay => {
            let mut b = bill(1, "••••4006", 6_399, anchor + 9 * DAY, "SCHEDULED");
            b["autopay"] = json!(true);
            vec![b]
        }
        Scenario::PaymentPlan => {
            let mut b = bill(1, "••••4007", 5_000, anchor + 14 * DAY, "DUE");
            b["payment_plan"] = json!({
                "installments_total": 6,
                "installments_paid": 2,
                "installment_amount": {"value": 50.0, "currency": "USD"},
            });
            vec![b]
        }
        Scenario::ThreeAccounts => vec![
            bill(1, "••••0081", 8_412, anchor + 12 * DAY, "DUE"),
            bill(2, "••••0082", 3_090, anchor + 3 * DAY, "DUE"),
            bill(3, "••••0083", 0, anchor - 20 * DAY, "PAID"),
        ],
        _ => vec![bill(1, "••••4242", 8_412, anchor + 12 * DAY, "DUE")],
    };
    json!({
        "account_link_id": link_id,
        "biller_id": catalog::id_of(biller),
        "scenario": scenario.name(),
        "bills": bills,
    })
}
