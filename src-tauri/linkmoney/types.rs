//! Link Money records, field for field as `linkmoney-apis-and-webhooks.txt`
//! and the quickstart show them (camelCase on the wire and towards the UI).
//! Every field the documents could leave out is an `Option`; statuses stay
//! strings so an unknown status is shown as it came; extra fields are ignored.

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use super::money::Money;
use crate::secrets::SecretString;

/// An ID that the documents show sometimes as a string and sometimes as a
/// number (`paymentId`, `accountId`); kept as text either way.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ResourceId(pub String);

impl ResourceId {
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for ResourceId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl From<&str> for ResourceId {
    fn from(s: &str) -> Self {
        Self(s.to_string())
    }
}

impl Serialize for ResourceId {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.0)
    }
}

impl<'de> Deserialize<'de> for ResourceId {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        match serde_json::Value::deserialize(d)? {
            serde_json::Value::String(s) => Ok(Self(s)),
            serde_json::Value::Number(n) if n.is_u64() || n.is_i64() => Ok(Self(n.to_string())),
            other => Err(serde::de::Error::custom(format!(
                "an ID must be a string or a whole number, not {other}"
            ))),
        }
    }
}

/// A bank account as the customer, accounts and transaction answers show it;
/// each answer shows a different subset of these fields.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AccountDetails {
    #[serde(default)]
    pub account_id: Option<ResourceId>,
    #[serde(default)]
    pub financial_institution_id: Option<ResourceId>,
    #[serde(default)]
    pub financial_institution_name: Option<String>,
    #[serde(default)]
    pub logo_url: Option<String>,
    #[serde(default)]
    pub icon_url: Option<String>,
    #[serde(default)]
    pub account_last_four_digits: Option<String>,
    #[serde(default)]
    pub account_type: Option<String>,
    #[serde(default)]
    pub account_status: Option<String>,
    #[serde(default)]
    pub preferred: Option<bool>,
    #[serde(default)]
    pub routing_number: Option<String>,
    #[serde(default)]
    pub creation_date: Option<String>,
}

/// GET /v1/customers/{id}. `accountDetails` is the preferred account.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Customer {
    pub id: ResourceId,
    #[serde(default)]
    pub first_name: Option<String>,
    #[serde(default)]
    pub last_name: Option<String>,
    #[serde(default)]
    pub email: Option<String>,
    /// ACTIVE, CREATED or INACTIVE as documented; anything else kept as sent.
    #[serde(default)]
    pub customer_status: Option<String>,
    #[serde(default)]
    pub account_details: Option<AccountDetails>,
    #[serde(default)]
    pub creation_date: Option<String>,
}

/// GET /v1/customers/{id}/accounts.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CustomerAccounts {
    #[serde(default)]
    pub customer_id: Option<ResourceId>,
    #[serde(default)]
    pub account_details: Vec<AccountDetails>,
}

/// GET /v1/customers/{id}/account-verifications/accounts.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct VerifiedAccounts {
    #[serde(default)]
    pub accounts: Vec<VerifiedAccount>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct VerifiedAccount {
    #[serde(default)]
    pub deposit_account: Option<DepositAccount>,
    #[serde(default)]
    pub payment_networks: Vec<PaymentNetwork>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DepositAccount {
    #[serde(default)]
    pub account_id: Option<ResourceId>,
    #[serde(default)]
    pub account_number_display: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PaymentNetwork {
    /// The routing number.
    #[serde(default)]
    pub bank_id: Option<String>,
    /// The account number.
    #[serde(default)]
    pub identifier: Option<String>,
    /// The payment network, e.g. US_ACH.
    #[serde(default, rename = "type")]
    pub network_type: Option<String>,
}

/// GET /v1/transactions/{id}. A payment's or refund's `paymentId` is its
/// transaction ID.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Transaction {
    pub transaction_id: ResourceId,
    /// DEBIT (a payment) or CREDIT (a refund).
    #[serde(default)]
    pub transaction_type: Option<String>,
    #[serde(default)]
    pub customer_id: Option<ResourceId>,
    #[serde(default)]
    pub amount: Option<Money>,
    #[serde(default)]
    pub client_reference_id: Option<String>,
    /// The documented statuses plus CANCELED; anything else kept as sent.
    #[serde(default)]
    pub transaction_status: Option<String>,
    #[serde(default)]
    pub account_details: Option<AccountDetails>,
    #[serde(default)]
    pub descriptor: Option<String>,
    #[serde(default)]
    pub settlement_date: Option<String>,
    #[serde(default)]
    pub creation_date: Option<String>,
    #[serde(default)]
    pub transaction_failure_reason: Option<FailureReason>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FailureReason {
    #[serde(default)]
    pub code: Option<String>,
    #[serde(default)]
    pub description: Option<String>,
}

/// GET /v1/payouts/{id}.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Payout {
    pub payout_id: ResourceId,
    #[serde(default)]
    pub client_reference_id: Option<String>,
    #[serde(default)]
    pub amount: Option<Money>,
    #[serde(default)]
    pub payout_status: Option<String>,
    #[serde(default)]
    pub descriptor: Option<String>,
    #[serde(default)]
    pub creation_date: Option<String>,
}

/// A refund from the merchant to a customer (source MERCHANT, destination
/// CUSTOMER), as Linkdesk asks for it: the client turns it into the documented
/// body so the direction cannot be mixed up. Linkdesk never debits a
/// customer, so it has no payment request of its own.
#[derive(Debug, Clone, PartialEq)]
pub struct RefundRequest {
    pub customer_id: String,
    pub amount: Money,
    pub client_reference_id: Option<String>,
    pub soft_descriptor: Option<String>,
    pub request_key: String,
}

/// `{id, type}` in a payment body.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Party {
    pub id: String,
    #[serde(rename = "type")]
    pub party_type: &'static str,
}

/// The body of POST /v1/payments, for payments and refunds alike.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PaymentBody {
    pub source: Party,
    pub destination: Party,
    pub amount: Money,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub client_reference_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub soft_descriptor: Option<String>,
    pub request_key: String,
}

/// The answer of POST /v1/payments.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PaymentResult {
    pub payment_id: ResourceId,
    /// PENDING, AUTHORIZED or TERMINAL_FAILED as documented.
    pub payment_status: String,
    #[serde(default)]
    pub client_reference_id: Option<String>,
    #[serde(default)]
    pub error_details: Option<PaymentErrorDetails>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PaymentErrorDetails {
    #[serde(default)]
    pub error_code: Option<String>,
    #[serde(default)]
    pub error_message: Option<String>,
}

/// POST /v1/sessions.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SessionRequest {
    pub email: String,
    pub first_name: String,
    pub last_name: String,
    pub phone_number: String,
    /// PAY or VERIFY; Link Money defaults to PAY.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub product: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SessionKey {
    pub session_key: String,
}

/// What a webhook subscription covers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum SubscriptionType {
    Event,
    Category,
    All,
}

/// `subscriptionDetails`: with CATEGORY, `details` lists ACCOUNT, CUSTOMER
/// and/or PAYMENT; with EVENT, event types; with ALL it is ignored.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SubscriptionDetails {
    #[serde(rename = "type")]
    pub subscription_type: SubscriptionType,
    #[serde(default)]
    pub details: Vec<String>,
}

/// POST /v1/webhook/subscribe as Linkdesk asks for it. `secret_key` is the
/// merchant's secret for checking deliveries and stays redacted in `Debug`.
#[derive(Debug, Clone, PartialEq)]
pub struct WebhookSubscribeRequest {
    pub url: String,
    pub secret_key: SecretString,
    pub subscription_details: SubscriptionDetails,
}

/// The answer of POST /v1/webhook/subscribe.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct WebhookSubscription {
    pub subscription_key: String,
}

/// PUT /v1/webhook/unsubscribe.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct WebhookUnsubscribeRequest {
    pub subscription_id: String,
    pub subscription_details: SubscriptionDetails,
}

/// A webhook delivery's payload.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct WebhookEvent {
    pub id: String,
    #[serde(default)]
    pub creation_time: Option<String>,
    pub event_type: String,
    #[serde(default)]
    pub metadata: Option<WebhookMetadata>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct WebhookMetadata {
    #[serde(default)]
    pub client_reference_id: Option<String>,
    #[serde(default)]
    pub resource_id: Option<ResourceId>,
    #[serde(default)]
    pub resource_type: Option<String>,
}

/// A record as it came: the typed value for Linkdesk and the JSON the
/// service sent, for the cache to store unchanged.
#[derive(Debug, Clone, PartialEq)]
pub struct Fetched<T> {
    pub value: T,
    pub raw: serde_json::Value,
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn ids_may_be_strings_or_numbers() {
        let r: PaymentResult = serde_json::from_value(json!({
            "clientReferenceId": "898-jdhf-83784-jfss", "paymentId": 763743, "paymentStatus": "AUTHORIZED"
        }))
        .unwrap();
        assert_eq!(r.payment_id.as_str(), "763743");
        let r: PaymentResult = serde_json::from_value(json!({
            "paymentId": "5914646d1-7ab5", "paymentStatus": "TERMINAL_FAILED",
            "errorDetails": {"errorCode": "PAYMENT_DECLINED", "errorMessage": "too much"}
        }))
        .unwrap();
        assert_eq!(r.payment_id.as_str(), "5914646d1-7ab5");
        assert_eq!(
            r.error_details.unwrap().error_code.as_deref(),
            Some("PAYMENT_DECLINED")
        );
        assert!(serde_json::from_value::<ResourceId>(json!(1.5)).is_err());
    }

    #[test]
    fn documented_accounts_answer_parses() {
        let a: CustomerAccounts = serde_json::from_value(json!({
            "customerId": "c1",
            "accountDetails": [{ "accountId": 0, "financialInstitutionId": 0,
                "financialInstitutionName": "string", "logoUrl": "string", "iconUrl": "string",
                "accountLastFourDigits": "string", "accountType": "string", "accountStatus": "string",
                "preferred": true, "routingNumber": "string", "creationDate": "2022-05-27T18:36:47.630Z",
                "somethingNew": {"x": 1} }]
        }))
        .unwrap();
        assert_eq!(
            a.account_details[0].account_id.as_ref().unwrap().as_str(),
            "0"
        );
        assert_eq!(a.account_details[0].preferred, Some(true));
    }

    #[test]
    fn unknown_statuses_and_missing_fields_are_kept() {
        let t: Transaction = serde_json::from_value(json!({
            "transactionId": "t1", "transactionStatus": "CANCELED",
            "amount": {"value": 12.3, "currency": "USD"}
        }))
        .unwrap();
        assert_eq!(t.transaction_status.as_deref(), Some("CANCELED"));
        assert_eq!(t.amount.unwrap().cents, 1230);
        assert!(t.account_details.is_none());
        let c: Customer =
            serde_json::from_value(json!({"id": "c", "customerStatus": "FROZEN"})).unwrap();
        assert_eq!(c.customer_status.as_deref(), Some("FROZEN"));
    }

    #[test]
    fn verified_accounts_parse() {
        let v: VerifiedAccounts = serde_json::from_value(json!({"accounts": [{
            "depositAccount": {"accountId": "1111", "accountNumberDisplay": "0001"},
            "paymentNetworks": [{"bankId": "000000000", "identifier": "00000000001", "type": "US_ACH"}]
        }]}))
        .unwrap();
        assert_eq!(
            v.accounts[0].payment_networks[0].network_type.as_deref(),
            Some("US_ACH")
        );
    }

    #[test]
    fn payment_body_matches_the_documents() {
        let body = PaymentBody {
            source: Party {
                id: "merchant".into(),
                party_type: "MERCHANT",
            },
            destination: Party {
                id: "cust".into(),
                party_type: "CUSTOMER",
            },
            amount: Money::usd(100),
            client_reference_id: None,
            soft_descriptor: Some("Refund 42".into()),
            request_key: "k1".into(),
        };
        assert_eq!(
            serde_json::to_value(&body).unwrap(),
            json!({"source": {"id": "merchant", "type": "MERCHANT"},
                   "destination": {"id": "cust", "type": "CUSTOMER"},
                   "amount": {"value": 1.0, "currency": "USD"},
                   "softDescriptor": "Refund 42", "requestKey": "k1"})
        );
    }

    #[test]
    fn webhook_payload_parses() {
        let e: WebhookEvent = serde_json::from_value(json!({
            "id": "97a4", "creationTime": "2017-09-14T17:14:39.688+0200", "eventType": "payment.authorized",
            "metadata": {"clientReferenceId": "898", "resourceId": "832", "resourceType": "payment"}
        }))
        .unwrap();
        assert_eq!(e.event_type, "payment.authorized");
    }

    #[test]
    fn subscribe_request_hides_the_secret_key() {
        let r = WebhookSubscribeRequest {
            url: "https://example.test/hook".into(),
            secret_key: SecretString::new("whsec-very-private"),
            subscription_details: SubscriptionDetails {
                subscription_type: SubscriptionType::All,
                details: vec![],
            },
        };
        assert!(!format!("{r:?}").contains("whsec-very-private"));
    }
}
