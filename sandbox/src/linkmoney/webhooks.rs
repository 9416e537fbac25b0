//! `/v1/webhook/subscribe`, `/v1/webhook/unsubscribe` and best-effort delivery
//! of the documented payload.
//! No signature header is sent: the documents do not say how Link Money signs.

use std::collections::BTreeSet;

use axum::{body::Bytes, extract::State, Json};
use serde_json::{json, Map, Value};

use super::{
    auth::LinkCore,
    body::{parse_object, required_str},
    error::{LmError, LmResult},
    subscriptions::{category_of, CATEGORIES, EVENTS},
};
use crate::{
    state::{AppState, SharedState},
    util::{format_webhook_time, lock, now_millis, random_uuid},
};

/// The events a `subscriptionDetails` object names, categories expanded.
fn selected_events(body: &Map<String, Value>) -> LmResult<BTreeSet<&'static str>> {
    let Some(Value::Object(details)) = body.get("subscriptionDetails") else {
        return Err(LmError::validation("subscriptionDetails", "is required"));
    };
    let kind = required_str(details, "type")
        .map_err(|_| LmError::validation("subscriptionDetails.type", "is required"))?;
    // The documents show `details` as a list but also call it a string: take both.
    let names: Vec<&str> = match details.get("details") {
        Some(Value::Array(items)) => items.iter().filter_map(Value::as_str).collect(),
        Some(Value::String(one)) => vec![one.as_str()],
        _ => Vec::new(),
    };
    let field = "subscriptionDetails.details";
    match kind {
        "ALL" => Ok(EVENTS.into_iter().collect()),
        "CATEGORY" | "EVENT" if names.is_empty() => {
            Err(LmError::validation(field, "must list at least one value"))
        }
        "CATEGORY" => {
            if let Some(bad) = names.iter().find(|n| !CATEGORIES.contains(n)) {
                return Err(LmError::validation(
                    field,
                    &format!("unknown category '{bad}'"),
                ));
            }
            Ok(EVENTS
                .into_iter()
                .filter(|e| names.contains(&category_of(e)))
                .collect())
        }
        "EVENT" => names
            .iter()
            .map(|n| {
                EVENTS
                    .into_iter()
                    .find(|e| e == n)
                    .ok_or_else(|| LmError::validation(field, &format!("unknown event '{n}'")))
            })
            .collect(),
        _ => Err(LmError::validation(
            "subscriptionDetails.type",
            "must be ALL, CATEGORY or EVENT",
        )),
    }
}

/// `POST /v1/webhook/subscribe`
pub async fn subscribe(
    State(state): State<SharedState>,
    _: LinkCore,
    body: Bytes,
) -> LmResult<Json<Value>> {
    let body = parse_object(&body)?;
    let url = required_str(&body, "url")?;
    let valid_url = reqwest::Url::parse(url)
        .is_ok_and(|u| matches!(u.scheme(), "http" | "https") && u.host().is_some());
    if !valid_url {
        return Err(LmError::validation("url", "must be an http or https URL"));
    }
    required_str(&body, "secretKey")?;
    let events = selected_events(&body)?;
    let mut subscriptions = lock(&state.webhooks);
    let key = state.with_rng(random_uuid);
    subscriptions.add(key.clone(), url.to_string(), events);
    Ok(Json(json!({ "subscriptionKey": key })))
}

/// `PUT /v1/webhook/unsubscribe`: removes the named events, categories or
/// everything; a subscription left with no events is deleted.
pub async fn unsubscribe(
    State(state): State<SharedState>,
    _: LinkCore,
    body: Bytes,
) -> LmResult<Json<Value>> {
    let body = parse_object(&body)?;
    let key = required_str(&body, "subscriptionId")?;
    let events = selected_events(&body)?;
    if !lock(&state.webhooks).remove_events(key, &events) {
        return Err(LmError::NotFound(format!("Subscription '{key}' not found")));
    }
    Ok(Json(json!({})))
}

pub struct Event {
    kind: &'static str,
    resource_id: String,
    resource_type: &'static str,
    client_reference_id: Option<String>,
}

impl Event {
    pub fn new(
        kind: &'static str,
        resource_id: &str,
        resource_type: &'static str,
        client_reference_id: Option<String>,
    ) -> Event {
        Event {
            kind,
            resource_id: resource_id.to_string(),
            resource_type,
            client_reference_id,
        }
    }
}

/// Whether webhooks may be delivered to `url`: only to this machine's
/// loopback (an IP literal in 127.0.0.0/8, ::1, or `localhost`; no name is
/// looked up), unless `--webhooks-to-any-host` was given. The sandbox is a
/// demo: it never posts to another machine.
pub fn deliverable(state: &AppState, url: &str) -> bool {
    state.options.webhooks_to_any_host || is_loopback_url(url)
}

fn is_loopback_url(url: &str) -> bool {
    match reqwest::Url::parse(url)
        .ok()
        .and_then(|u| u.host().map(|h| h.to_owned()))
    {
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        Some(url::Host::Domain(name)) => name.eq_ignore_ascii_case("localhost"),
        None => false,
    }
}

/// Posts each event to every subscription that wants it, in order, in the
/// background. Failures are dropped: delivery is best-effort. Subscriptions
/// to hosts other than loopback get nothing (see `deliverable`).
pub fn dispatch(state: &SharedState, events: Vec<Event>) {
    let deliveries: Vec<(String, Vec<Value>)> = {
        let subscriptions = lock(&state.webhooks);
        subscriptions
            .iter()
            .filter(|s| {
                let ok = deliverable(state, &s.url);
                if !ok {
                    tracing::debug!(url = %s.url, "webhook not delivered: not a loopback URL");
                }
                ok
            })
            .filter_map(|s| {
                let payloads: Vec<Value> = events
                    .iter()
                    .filter(|e| s.wants(e.kind))
                    .map(|e| payload(state, e))
                    .collect();
                (!payloads.is_empty()).then(|| (s.url.clone(), payloads))
            })
            .collect()
    };
    for (url, payloads) in deliveries {
        let http = state.http.clone();
        tokio::spawn(async move {
            for payload in payloads {
                if let Err(error) = http.post(&url).json(&payload).send().await {
                    tracing::debug!(%url, %error, "webhook delivery failed");
                }
            }
        });
    }
}

fn payload(state: &AppState, event: &Event) -> Value {
    let mut metadata = Map::new();
    if let Some(reference) = &event.client_reference_id {
        metadata.insert("clientReferenceId".into(), json!(reference));
    }
    metadata.insert("resourceId".into(), json!(event.resource_id));
    metadata.insert("resourceType".into(), json!(event.resource_type));
    json!({
        "id": state.with_rng(random_uuid),
        "creationTime": format_webhook_time(now_millis()),
        "eventType": event.kind,
        "metadata": metadata,
    })
}

#[cfg(test)]
mod loopback_tests {
    use super::is_loopback_url;

    #[test]
    fn only_loopback_urls_get_webhooks() {
        for url in [
            "http://127.0.0.1:8080/hook",
            "http://127.8.9.10/hook",
            "https://localhost/hook",
            "http://LOCALHOST:1/x",
            "http://[::1]:9/hook",
        ] {
            assert!(is_loopback_url(url), "{url}");
        }
        for url in [
            "https://hooks.example.com/x",
            "http://10.0.0.1/hook",
            "http://192.168.1.2/hook",
            "http://localhost.example.com/hook",
            "http://[::2]/hook",
            "not a url",
        ] {
            assert!(!is_loopback_url(url), "{url}");
        }
    }
}
