use std::time::Duration;

use axum::{extract::State, routing::post, Json, Router};
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};
use tokio::sync::{mpsc, oneshot};

use crate::common::{assert_lm_error, Env};

/// A tiny webhook receiver on loopback that forwards every payload it gets.
struct Receiver {
    url: String,
    payloads: mpsc::UnboundedReceiver<Value>,
    stop: oneshot::Sender<()>,
    task: tokio::task::JoinHandle<()>,
}

impl Receiver {
    async fn start() -> Receiver {
        let (tx, payloads) = mpsc::unbounded_channel();
        let app =
            Router::new()
                .route(
                    "/hook",
                    post(
                        |State(tx): State<mpsc::UnboundedSender<Value>>,
                         Json(body): Json<Value>| async move {
                            let _ = tx.send(body);
                            StatusCode::OK
                        },
                    ),
                )
                .with_state(tx);
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}/hook", listener.local_addr().unwrap());
        let (stop, stopped) = oneshot::channel::<()>();
        let task = tokio::spawn(async move {
            axum::serve(listener, app)
                .with_graceful_shutdown(async {
                    let _ = stopped.await;
                })
                .await
                .unwrap();
        });
        Receiver {
            url,
            payloads,
            stop,
            task,
        }
    }

    async fn next(&mut self) -> Value {
        tokio::time::timeout(Duration::from_secs(10), self.payloads.recv())
            .await
            .expect("a webhook arrives")
            .unwrap()
    }

    async fn stop(self) {
        let _ = self.stop.send(());
        self.task.await.unwrap();
    }
}

fn active_customer(fixtures: &Value) -> String {
    fixtures["customers"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["status"] == "ACTIVE")
        .map(|c| c["id"].as_str().unwrap().to_string())
        .unwrap()
}

fn payment(customer: &str, value: f64, key: &str, reference: Option<&str>) -> Value {
    let mut body = json!({
        "source": {"id": customer, "type": "CUSTOMER"},
        "destination": {"id": "merchant_sandbox", "type": "MERCHANT"},
        "amount": {"currency": "USD", "value": value},
        "requestKey": key,
    });
    if let Some(r) = reference {
        body["clientReferenceId"] = json!(r);
    }
    body
}

fn assert_payload(payload: &Value, event: &str, resource_id: &str, resource_type: &str) {
    assert_eq!(payload["eventType"], event, "{payload}");
    assert!(payload["id"].as_str().is_some_and(|id| !id.is_empty()));
    assert!(payload["creationTime"].is_string());
    assert_eq!(payload["metadata"]["resourceId"], resource_id);
    assert_eq!(payload["metadata"]["resourceType"], resource_type);
}

#[tokio::test]
async fn payment_events_reach_subscribers_until_they_unsubscribe() {
    let env = Env::start().await;
    let mut receiver = Receiver::start().await;
    let core = env.lm_token("Link-Core").await;
    let pay = env.lm_token("Link-Payment").await;
    let customer = active_customer(&env.fixtures().await);

    let (status, subscribed) = env
        .lm_send(
            Method::POST,
            &core,
            "/v1/webhook/subscribe",
            json!({"url": receiver.url, "secretKey": "s3cret", "subscriptionDetails": {"type": "ALL"}}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{subscribed}");
    let key = subscribed["subscriptionKey"].as_str().unwrap().to_string();

    let (_, paid) = env
        .lm_send(
            Method::POST,
            &pay,
            "/v1/payments",
            payment(&customer, 5.0, "w1", Some("order-1")),
        )
        .await;
    let id = paid["paymentId"].as_str().unwrap();
    let created = receiver.next().await;
    assert_payload(&created, "payment.created", id, "payment");
    assert_eq!(created["metadata"]["clientReferenceId"], "order-1");
    assert_payload(&receiver.next().await, "payment.authorized", id, "payment");

    let (_, pending) = env
        .lm_send(
            Method::POST,
            &pay,
            "/v1/payments",
            payment(&customer, 5.99, "w2", None),
        )
        .await;
    let id = pending["paymentId"].as_str().unwrap();
    let created = receiver.next().await;
    assert_payload(&created, "payment.created", id, "payment");
    assert!(created["metadata"].get("clientReferenceId").is_none());
    assert_payload(&receiver.next().await, "payment.pending", id, "payment");

    let (_, failed) = env
        .lm_send(
            Method::POST,
            &pay,
            "/v1/payments",
            payment(&customer, 20000.0, "w3", None),
        )
        .await;
    let id = failed["paymentId"].as_str().unwrap();
    assert_payload(&receiver.next().await, "payment.created", id, "payment");
    assert_payload(&receiver.next().await, "payment.failed", id, "payment");

    // Dropping the PAYMENT category leaves customer events only.
    let (status, body) = env
        .lm_send(
            Method::PUT,
            &core,
            "/v1/webhook/unsubscribe",
            json!({"subscriptionId": key, "subscriptionDetails": {"type": "CATEGORY", "details": ["PAYMENT"]}}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    env.lm_send(
        Method::POST,
        &pay,
        "/v1/payments",
        payment(&customer, 1.0, "w4", None),
    )
    .await;
    env.lm_send(
        Method::POST,
        &core,
        "/v1/sessions",
        json!({"firstName": "A", "lastName": "B", "email": "a@example.com", "phoneNumber": "1"}),
    )
    .await;
    let next = receiver.next().await;
    assert_eq!(
        next["eventType"], "customer.created",
        "no payment events after unsubscribing"
    );
    assert_eq!(next["metadata"]["resourceType"], "customer");

    let (status, _) = env
        .lm_send(
            Method::PUT,
            &core,
            "/v1/webhook/unsubscribe",
            json!({"subscriptionId": key, "subscriptionDetails": {"type": "ALL"}}),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    // The subscription is gone entirely.
    let (status, body) = env
        .lm_send(
            Method::PUT,
            &core,
            "/v1/webhook/unsubscribe",
            json!({"subscriptionId": key, "subscriptionDetails": {"type": "ALL"}}),
        )
        .await;
    assert_lm_error(status, &body, 404, "NOT_FOUND");
    receiver.stop().await;
    env.stop().await;
}

#[tokio::test]
async fn event_subscriptions_get_only_their_events() {
    let env = Env::start().await;
    let mut receiver = Receiver::start().await;
    let core = env.lm_token("Link-Core").await;
    let pay = env.lm_token("Link-Payment").await;
    let customer = active_customer(&env.fixtures().await);
    let (status, _) = env
        .lm_send(
            Method::POST,
            &core,
            "/v1/webhook/subscribe",
            json!({"url": receiver.url, "secretKey": "k", "subscriptionDetails": {"type": "EVENT", "details": ["payment.authorized"]}}),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let (_, paid) = env
        .lm_send(
            Method::POST,
            &pay,
            "/v1/payments",
            payment(&customer, 3.0, "e1", None),
        )
        .await;
    let first = receiver.next().await;
    assert_payload(
        &first,
        "payment.authorized",
        paid["paymentId"].as_str().unwrap(),
        "payment",
    );
    receiver.stop().await;
    env.stop().await;
}

#[tokio::test]
async fn subscriptions_are_validated() {
    let env = Env::start().await;
    let core = env.lm_token("Link-Core").await;
    let cases = [
        json!({"secretKey": "k", "subscriptionDetails": {"type": "ALL"}}),
        json!({"url": "not a url", "secretKey": "k", "subscriptionDetails": {"type": "ALL"}}),
        json!({"url": "ftp://example.com/x", "secretKey": "k", "subscriptionDetails": {"type": "ALL"}}),
        json!({"url": "http://127.0.0.1:9/x", "subscriptionDetails": {"type": "ALL"}}),
        json!({"url": "http://127.0.0.1:9/x", "secretKey": "k"}),
        json!({"url": "http://127.0.0.1:9/x", "secretKey": "k", "subscriptionDetails": {"type": "SOME"}}),
        json!({"url": "http://127.0.0.1:9/x", "secretKey": "k", "subscriptionDetails": {"type": "CATEGORY", "details": ["BILLING"]}}),
        json!({"url": "http://127.0.0.1:9/x", "secretKey": "k", "subscriptionDetails": {"type": "CATEGORY", "details": []}}),
        json!({"url": "http://127.0.0.1:9/x", "secretKey": "k", "subscriptionDetails": {"type": "EVENT", "details": ["payment.exploded"]}}),
    ];
    for body in cases {
        let (status, answer) = env
            .lm_send(Method::POST, &core, "/v1/webhook/subscribe", body.clone())
            .await;
        assert_lm_error(status, &answer, 400, "VALIDATION_ERROR");
    }
    let (status, answer) = env
        .lm_send(
            Method::POST,
            &core,
            "/v1/webhook/subscribe",
            json!({"url": "http://127.0.0.1:9/x", "secretKey": "k", "subscriptionDetails": {"type": "CATEGORY", "details": ["CUSTOMER", "ACCOUNT", "PAYMENT"]}}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{answer}");
    let (status, answer) = env
        .lm_send(
            Method::PUT,
            &core,
            "/v1/webhook/unsubscribe",
            json!({"subscriptionId": "nope", "subscriptionDetails": {"type": "ALL"}}),
        )
        .await;
    assert_lm_error(status, &answer, 404, "NOT_FOUND");
    env.stop().await;
}

/// A loopback subscriber that answers every delivery with a redirect to
/// another URL does not get the sandbox to post there: the loopback rule
/// holds for where a webhook ends up, not just for the URL subscribed.
#[tokio::test]
async fn webhooks_never_follow_a_redirect() {
    let env = Env::start().await;
    let mut elsewhere = Receiver::start().await;
    let (hit, mut hits) = mpsc::unbounded_channel::<()>();
    let target = elsewhere.url.clone();
    let redirector = Router::new().route(
        "/hook",
        post(move || {
            let hit = hit.clone();
            let target = target.clone();
            async move {
                let _ = hit.send(());
                (
                    StatusCode::TEMPORARY_REDIRECT,
                    [(reqwest::header::LOCATION, target)],
                )
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/hook", listener.local_addr().unwrap());
    let server = tokio::spawn(async move { axum::serve(listener, redirector).await });

    let core = env.lm_token("Link-Core").await;
    let pay = env.lm_token("Link-Payment").await;
    let customer = active_customer(&env.fixtures().await);
    let (status, _) = env
        .lm_send(
            Method::POST,
            &core,
            "/v1/webhook/subscribe",
            json!({"url": url, "secretKey": "k", "subscriptionDetails": {"type": "ALL"}}),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    env.lm_send(
        Method::POST,
        &pay,
        "/v1/payments",
        payment(&customer, 2.0, "redirected-1", None),
    )
    .await;
    tokio::time::timeout(Duration::from_secs(10), hits.recv())
        .await
        .expect("the subscriber is posted to")
        .unwrap();
    tokio::time::timeout(Duration::from_secs(10), hits.recv())
        .await
        .expect("both events are posted to the subscriber")
        .unwrap();
    assert!(
        tokio::time::timeout(Duration::from_secs(1), elsewhere.payloads.recv())
            .await
            .is_err(),
        "a redirect was followed"
    );
    server.abort();
    elsewhere.stop().await;
    env.stop().await;
}
