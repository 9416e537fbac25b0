//! Webhook subscriptions made from Linkdesk. The secret key goes to the OS
//! keyring (before anything is sent, so a keyring that cannot take it stops
//! the subscription) and nowhere else; the journal keeps the subscription key,
//! URL, type and details so that the app can list and unsubscribe them.

use serde::{Deserialize, Serialize};
use serde_json::json;

use crate::app::{blocking, App};
use crate::audit::{self, action};
use crate::error::{AppError, AppResult, ErrorCode};
use crate::journal::WebhookRow;
use crate::linkmoney::{
    SubscriptionDetails, SubscriptionType, WebhookSubscribeRequest, WebhookUnsubscribeRequest,
    WEBHOOK_CATEGORIES, WEBHOOK_EVENTS,
};
use crate::secrets::{self, SecretSlot, SecretString};

/// The subscribe form. `Debug` leaves the secret out.
#[derive(Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SubscribeInput {
    pub url: String,
    pub secret_key: String,
    #[serde(rename = "type")]
    pub sub_type: SubscriptionType,
    #[serde(default)]
    pub details: Vec<String>,
}

impl std::fmt::Debug for SubscribeInput {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SubscribeInput")
            .field("url", &self.url)
            .field("sub_type", &self.sub_type)
            .field("details", &self.details)
            .finish_non_exhaustive()
    }
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct WebhookList {
    pub subscriptions: Vec<WebhookRow>,
    /// What the form offers, from the documents.
    pub categories: Vec<&'static str>,
    pub events: Vec<&'static str>,
}

fn type_name(t: SubscriptionType) -> &'static str {
    match t {
        SubscriptionType::All => "ALL",
        SubscriptionType::Category => "CATEGORY",
        SubscriptionType::Event => "EVENT",
    }
}

fn journal_ok(app: &App) -> AppResult<()> {
    match app.journal.problem() {
        None => Ok(()),
        Some(reason) => Err(AppError::internal(format!(
            "Webhook subscriptions are kept in the journal, which cannot be used ({reason})"
        ))),
    }
}

/// The checks Link Money's client makes too, made here first so that nothing
/// reaches the keyring for a subscription that would be refused.
fn check_subscription(input: &SubscribeInput) -> AppResult<()> {
    let url = url::Url::parse(input.url.trim()).map_err(|e| {
        AppError::invalid(format!(
            "\"{}\" is not a valid webhook URL: {e}",
            input.url.trim()
        ))
    })?;
    if !matches!(url.scheme(), "http" | "https") || url.host_str().is_none() {
        return Err(AppError::invalid(
            "The webhook URL must be http(s) with a host",
        ));
    }
    let allowed: &[&str] = match input.sub_type {
        SubscriptionType::All => return Ok(()),
        SubscriptionType::Category => &WEBHOOK_CATEGORIES,
        SubscriptionType::Event => &WEBHOOK_EVENTS,
    };
    if input.details.is_empty() {
        return Err(AppError::invalid(
            "Choose at least one category or event for this subscription",
        ));
    }
    match input.details.iter().find(|d| !allowed.contains(&d.trim())) {
        Some(bad) => Err(AppError::invalid(format!(
            "\"{bad}\" is not one of {}",
            allowed.join(", ")
        ))),
        None => Ok(()),
    }
}

pub async fn list(app: &App) -> AppResult<WebhookList> {
    journal_ok(app)?;
    let env = app.session().env.id.clone();
    let journal = app.journal.clone();
    let subscriptions = blocking(move || Ok(journal.webhooks(&env)?)).await?;
    Ok(WebhookList {
        subscriptions,
        categories: WEBHOOK_CATEGORIES.to_vec(),
        events: WEBHOOK_EVENTS.to_vec(),
    })
}

pub async fn subscribe(app: &App, input: SubscribeInput) -> AppResult<WebhookRow> {
    let session = app.session();
    let details = match input.sub_type {
        SubscriptionType::All => Vec::new(),
        _ => input.details.clone(),
    };
    let fields = json!({
        "url": input.url.trim(),
        "type": type_name(input.sub_type),
        "details": details,
        "secretKey": "set (kept in the keyring)",
    });
    let id = uuid::Uuid::new_v4().to_string();
    let result = async {
        journal_ok(app)?;
        crate::rtls::ensure_writable(app, &session)?;
        let secret = SecretString::new(input.secret_key.trim());
        if secret.is_empty() {
            return Err(AppError::invalid(
                "A secret key for the webhook is required",
            ));
        }
        check_subscription(&input)?;
        let lm = session.linkmoney()?;
        let account = secrets::account(&session.env.id, SecretSlot::WebhookSecret(id.clone()));
        let (acc, s) = (account.clone(), secret.clone());
        blocking(move || {
            secrets::probe()?;
            secrets::set(&acc, &s)
        })
        .await?;
        let request = WebhookSubscribeRequest {
            url: input.url.trim().to_string(),
            secret_key: secret,
            subscription_details: SubscriptionDetails {
                subscription_type: input.sub_type,
                details: details.clone(),
            },
        };
        let subscribed = match lm.subscribe_webhook(&request).await {
            Ok(s) => s,
            Err(e) => {
                let acc = account.clone();
                if let Err(del) = blocking(move || secrets::delete(&acc)).await {
                    tracing::warn!(error = %del, "could not remove an unused webhook secret");
                }
                return Err(e);
            }
        };
        let subscribed_key = subscribed.subscription_key.clone();
        let request_details = request.subscription_details.clone();
        let account_for_undo = account.clone();
        let row = WebhookRow {
            id: id.clone(),
            env_id: session.env.id.clone(),
            subscription_key: subscribed.subscription_key,
            url: request.url,
            sub_type: type_name(input.sub_type).to_string(),
            details: request.subscription_details.details,
            secret_account: account,
            created_at: String::new(),
        };
        let journal = app.journal.clone();
        let saved = blocking(move || Ok(journal.add_webhook(&row)?)).await;
        if let Err(e) = &saved {
            // A subscription the app cannot list could never be unsubscribed
            // from it: take it back rather than leave it behind.
            tracing::error!(error = %e, "could not record a webhook subscription; undoing it");
            let undo = WebhookUnsubscribeRequest {
                subscription_id: subscribed_key.clone(),
                subscription_details: request_details.clone(),
            };
            if let Err(e) = lm.unsubscribe_webhook(&undo).await {
                tracing::error!(error = %e, "could not undo the webhook subscription");
            }
            let acc = account_for_undo.clone();
            let _ = blocking(move || secrets::delete(&acc)).await;
        }
        saved
    }
    .await;
    audit::record_write(
        app,
        &session.env,
        action::WEBHOOK_SUBSCRIBE,
        input.url.trim(),
        fields,
        &result,
        |r| Some(format!("subscription {}", r.subscription_key)),
    )
    .await;
    result
}

/// Unsubscribes at Link Money, then forgets the subscription and deletes its
/// secret from the keyring. A subscription Link Money no longer knows (404)
/// is forgotten too.
pub async fn unsubscribe(app: &App, id: String) -> AppResult<()> {
    journal_ok(app)?;
    let session = app.session();
    let journal = app.journal.clone();
    let lookup = id.clone();
    let row = blocking(move || Ok(journal.webhook(&lookup)?))
        .await?
        .ok_or_else(|| AppError::new(ErrorCode::NotFound, "No such webhook subscription"))?;
    let fields = json!({
        "subscriptionKey": row.subscription_key,
        "url": row.url,
        "type": row.sub_type,
        "details": row.details,
    });
    let result = async {
        if row.env_id != session.env.id {
            return Err(AppError::new(
                ErrorCode::Conflict,
                "This subscription belongs to another environment; switch to it first",
            ));
        }
        crate::rtls::ensure_writable(app, &session)?;
        let sub_type = match row.sub_type.as_str() {
            "ALL" => SubscriptionType::All,
            "CATEGORY" => SubscriptionType::Category,
            _ => SubscriptionType::Event,
        };
        let request = WebhookUnsubscribeRequest {
            subscription_id: row.subscription_key.clone(),
            subscription_details: SubscriptionDetails {
                subscription_type: sub_type,
                details: row.details.clone(),
            },
        };
        let note = match session.linkmoney()?.unsubscribe_webhook(&request).await {
            Ok(()) => "unsubscribed",
            Err(e) if e.code == ErrorCode::NotFound => "Link Money no longer had it; forgotten",
            Err(e) => return Err(e),
        };
        let (journal, acc, rid) = (
            app.journal.clone(),
            row.secret_account.clone(),
            row.id.clone(),
        );
        blocking(move || {
            secrets::delete(&acc)?;
            Ok(journal.remove_webhook(&rid)?)
        })
        .await?;
        Ok(note)
    }
    .await;
    audit::record_write(
        app,
        &session.env,
        action::WEBHOOK_UNSUBSCRIBE,
        &row.url,
        fields,
        &result,
        |note| Some(note.to_string()),
    )
    .await;
    result.map(|_| ())
}
