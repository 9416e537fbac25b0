//! Webhook subscriptions (POST /v1/webhook/subscribe, PUT /v1/webhook/unsubscribe),
//! with Link-Core tokens. Sent once each: a retried subscribe could register
//! the URL twice.

use reqwest::Method;
use serde::Serialize;

use super::client::{decode, LinkMoneyClient, SendError};
use super::errors;
use super::tokens::Scope;
use super::types::{
    SubscriptionDetails, SubscriptionType, WebhookSubscribeRequest, WebhookSubscription,
    WebhookUnsubscribeRequest,
};
use crate::error::{AppError, AppResult};

/// The categories a CATEGORY subscription may list.
pub const WEBHOOK_CATEGORIES: [&str; 3] = ["ACCOUNT", "CUSTOMER", "PAYMENT"];

/// The documented event types (plus `payment.canceled`, which Link Money also sends).
pub const WEBHOOK_EVENTS: [&str; 14] = [
    "customer.created",
    "customer.activated",
    "customer.deactivated",
    "customer.account.linked",
    "customer.account.deactivated",
    "payment.created",
    "payment.pending",
    "payment.authorized",
    "payment.scheduled",
    "payment.initiated",
    "payment.succeeded",
    "payment.disbursed",
    "payment.failed",
    "payment.canceled",
];

/// The subscribe body; the secret key leaves the process only here.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct SubscribeBody<'a> {
    url: &'a str,
    secret_key: &'a str,
    subscription_details: &'a SubscriptionDetails,
}

impl LinkMoneyClient {
    pub async fn subscribe_webhook(
        &self,
        request: &WebhookSubscribeRequest,
    ) -> AppResult<WebhookSubscription> {
        let url = validate_webhook_url(&request.url)?;
        if request.secret_key.expose().trim().is_empty() {
            return Err(AppError::invalid(
                "A secret key for the webhook is required",
            ));
        }
        let details = normalize_details(&request.subscription_details)?;
        let body = SubscribeBody {
            url: &url,
            secret_key: request.secret_key.expose(),
            subscription_details: &details,
        };
        let url = self.base.endpoint(&["v1", "webhook", "subscribe"])?;
        let resp = self
            .send_authed(Scope::Core, |t| {
                self.request(Method::POST, &url, t).json(&body)
            })
            .await
            .map_err(SendError::into_app_error)?;
        decode(resp).await.map(|f| f.value)
    }

    pub async fn unsubscribe_webhook(&self, request: &WebhookUnsubscribeRequest) -> AppResult<()> {
        if request.subscription_id.trim().is_empty() {
            return Err(AppError::invalid("The subscription key is required"));
        }
        let body = WebhookUnsubscribeRequest {
            subscription_id: request.subscription_id.trim().to_string(),
            subscription_details: normalize_details(&request.subscription_details)?,
        };
        let url = self.base.endpoint(&["v1", "webhook", "unsubscribe"])?;
        let resp = self
            .send_authed(Scope::Core, |t| {
                self.request(Method::PUT, &url, t).json(&body)
            })
            .await
            .map_err(SendError::into_app_error)?;
        // The documents show no answer body: any success status will do.
        if !resp.status().is_success() {
            return Err(errors::from_response(resp).await.error);
        }
        Ok(())
    }
}

fn validate_webhook_url(url: &str) -> AppResult<String> {
    let url = url.trim();
    let parsed = url::Url::parse(url)
        .map_err(|e| AppError::invalid(format!("\"{url}\" is not a valid webhook URL: {e}")))?;
    if !matches!(parsed.scheme(), "http" | "https") || parsed.host_str().is_none() {
        return Err(AppError::invalid(format!(
            "\"{url}\" is not an http(s) URL with a host"
        )));
    }
    Ok(url.to_string())
}

/// Checks `details` against the type: categories or event names from the
/// documents, at least one; ALL ignores them, so none are sent.
fn normalize_details(details: &SubscriptionDetails) -> AppResult<SubscriptionDetails> {
    let allowed: &[&str] = match details.subscription_type {
        SubscriptionType::All => {
            return Ok(SubscriptionDetails {
                subscription_type: SubscriptionType::All,
                details: Vec::new(),
            })
        }
        SubscriptionType::Category => &WEBHOOK_CATEGORIES,
        SubscriptionType::Event => &WEBHOOK_EVENTS,
    };
    let mut list: Vec<String> = Vec::new();
    for d in &details.details {
        let d = d.trim();
        if !allowed.contains(&d) {
            return Err(AppError::invalid(format!(
                "\"{d}\" is not one of {}",
                allowed.join(", ")
            )));
        }
        if !list.iter().any(|x| x == d) {
            list.push(d.to_string());
        }
    }
    if list.is_empty() {
        return Err(AppError::invalid(
            "Choose at least one category or event for this subscription",
        ));
    }
    Ok(SubscriptionDetails {
        subscription_type: details.subscription_type,
        details: list,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn details(t: SubscriptionType, d: &[&str]) -> SubscriptionDetails {
        SubscriptionDetails {
            subscription_type: t,
            details: d.iter().map(|s| s.to_string()).collect(),
        }
    }

    #[test]
    fn details_are_checked_against_the_type() {
        let ok = normalize_details(&details(
            SubscriptionType::Category,
            &["PAYMENT", " PAYMENT "],
        ));
        assert_eq!(ok.unwrap().details, vec!["PAYMENT"]);
        assert!(
            normalize_details(&details(SubscriptionType::Category, &["payment.failed"])).is_err()
        );
        assert!(normalize_details(&details(SubscriptionType::Event, &["payment.failed"])).is_ok());
        assert!(normalize_details(&details(SubscriptionType::Event, &[])).is_err());
        let all = normalize_details(&details(SubscriptionType::All, &["junk"])).unwrap();
        assert!(all.details.is_empty());
    }

    #[test]
    fn webhook_urls_must_be_http() {
        assert!(validate_webhook_url("https://hooks.example.test/lm").is_ok());
        assert!(validate_webhook_url("javascript:alert(1)").is_err());
        assert!(validate_webhook_url("/relative").is_err());
    }

    #[test]
    fn subscription_type_uses_the_wire_names() {
        let v = serde_json::to_value(details(SubscriptionType::Category, &["ACCOUNT"])).unwrap();
        assert_eq!(
            v,
            serde_json::json!({"type": "CATEGORY", "details": ["ACCOUNT"]})
        );
    }
}
