//! The Link Money client against the sandbox over real HTTP: every inspection
//! endpoint, refunds and payments with each documented outcome, the failure
//! classes a refund journal relies on, webhooks and "Test connection".

mod http_support;
mod money_support;

use std::sync::Arc;
use std::time::Duration;

use http_support::Recorder;
use linkdesk::error::ErrorCode;
use linkdesk::linkmoney::*;
use linkdesk::secrets::SecretString;
use linkdesk_sandbox::{Options, Sandbox};
use serde_json::Value;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

const CLIENT_ID: &str = "lm_sandbox_client";
const CLIENT_SECRET: &str = "lm_sandbox_secret";
const MERCHANT: &str = "merchant_sandbox";

async fn start(configure: impl FnOnce(&mut Options)) -> Sandbox {
    let mut options = Options {
        rtls: 20,
        customers: 40,
        ..Options::default()
    };
    configure(&mut options);
    linkdesk_sandbox::start(options).await.unwrap()
}

fn client_for(url: &str, secret: &str) -> LinkMoneyClient {
    let http = linkdesk::http::build_client();
    let tokens =
        TokenManager::new(http.clone(), url, CLIENT_ID, SecretString::new(secret)).unwrap();
    LinkMoneyClient::new(http, url, MERCHANT, Arc::new(tokens)).unwrap()
}

fn client(sandbox: &Sandbox) -> LinkMoneyClient {
    client_for(&sandbox.url(), CLIENT_SECRET)
}

async fn fixtures(sandbox: &Sandbox) -> Value {
    reqwest::get(format!("{}/sandbox/fixtures", sandbox.url()))
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

/// `(id, status)` of every seeded record of one kind.
fn listed(fixtures: &Value, kind: &str) -> Vec<(String, String)> {
    fixtures[kind]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            let id = match &r["id"] {
                Value::String(s) => s.clone(),
                other => other.to_string(),
            };
            (id, r["status"].as_str().unwrap_or_default().to_string())
        })
        .collect()
}

fn first_with_status(fixtures: &Value, kind: &str, status: &str) -> String {
    listed(fixtures, kind)
        .into_iter()
        .find(|(_, s)| s == status)
        .unwrap_or_else(|| panic!("no {status} record among the {kind}"))
        .0
}

fn refund(customer: &str, cents: i64) -> RefundRequest {
    RefundRequest {
        customer_id: customer.to_string(),
        amount: Money::usd(cents),
        client_reference_id: Some(format!("test-{}", uuid::Uuid::new_v4().simple())),
        soft_descriptor: Some("Linkdesk refund".to_string()),
        request_key: uuid::Uuid::new_v4().to_string(),
    }
}

#[tokio::test]
async fn customers_and_their_accounts() {
    let sandbox = start(|_| {}).await;
    let fx = fixtures(&sandbox).await;
    let lm = client(&sandbox);

    let customers = listed(&fx, "customers");
    let statuses: Vec<&str> = customers.iter().map(|(_, s)| s.as_str()).collect();
    for status in ["ACTIVE", "CREATED", "INACTIVE"] {
        assert!(statuses.contains(&status), "no {status} customer seeded");
    }
    let mut verified_seen = 0;
    for (id, status) in &customers {
        let customer = lm.get_customer(id).await.unwrap();
        assert_eq!(customer.value.id.as_str(), id);
        assert_eq!(
            customer.value.customer_status.as_deref(),
            Some(status.as_str())
        );
        assert_eq!(customer.raw["id"], Value::String(id.clone()));

        let accounts = lm.get_accounts(id).await.unwrap();
        assert_eq!(
            accounts.value.customer_id.as_ref().map(|c| c.as_str()),
            Some(id.as_str())
        );
        for account in &accounts.value.account_details {
            assert!(account.account_id.is_some());
        }
        assert_eq!(
            accounts.value.account_details.len(),
            accounts.raw["accountDetails"]
                .as_array()
                .map_or(0, Vec::len)
        );

        match lm.get_verified_accounts(id).await {
            Ok(v) => {
                if !v.value.accounts.is_empty() {
                    verified_seen += 1;
                }
            }
            Err(e) => assert_eq!(e.code, ErrorCode::NotFound, "{e:?}"),
        }
    }
    assert!(verified_seen > 0, "no customer with verified accounts");

    for unknown in ["cus_does_not_exist", "0"] {
        let err = lm.get_customer(unknown).await.unwrap_err();
        assert_eq!(err.code, ErrorCode::NotFound, "{err:?}");
        let err = lm.get_accounts(unknown).await.unwrap_err();
        assert_eq!(err.code, ErrorCode::NotFound, "{err:?}");
    }
    sandbox.stop().await;
}

#[tokio::test]
async fn transactions_in_every_status_and_payouts() {
    let sandbox = start(|_| {}).await;
    let fx = fixtures(&sandbox).await;
    let lm = client(&sandbox);

    let transactions = listed(&fx, "transactions");
    for status in [
        "CREATED",
        "PENDING",
        "AUTHORIZED",
        "SCHEDULED",
        "INITIATED",
        "SUCCEEDED",
        "RETRYABLE_FAILED",
        "TERMINAL_FAILED",
        "CANCELED",
    ] {
        let id = first_with_status(&fx, "transactions", status);
        let t = lm.get_transaction(&id).await.unwrap();
        assert_eq!(t.value.transaction_id.as_str(), id);
        // Unknown or undocumented statuses are kept exactly as sent.
        assert_eq!(t.value.transaction_status.as_deref(), Some(status));
        let amount = t.value.amount.as_ref().unwrap();
        assert_eq!(amount.value_text(), money_text(&t.raw["amount"]["value"]));
        if status.ends_with("FAILED") {
            assert!(t.value.transaction_failure_reason.is_some(), "{status}");
        }
    }
    // Every seeded transaction parses.
    for (id, _) in &transactions {
        lm.get_transaction(id).await.unwrap();
    }

    for status in [
        "CREATED",
        "AUTHORIZED",
        "SCHEDULED",
        "INITIATED",
        "DISBURSED",
    ] {
        let id = first_with_status(&fx, "payouts", status);
        let p = lm.get_payout(&id).await.unwrap();
        assert_eq!(p.value.payout_id.as_str(), id);
        assert_eq!(p.value.payout_status.as_deref(), Some(status));
        assert!(p.value.amount.is_some());
    }

    let err = lm.get_transaction("txn_does_not_exist").await.unwrap_err();
    assert_eq!(err.code, ErrorCode::NotFound);
    assert!(err.message.contains("Link Money"), "{}", err.message);
    let err = lm.get_payout("po_does_not_exist").await.unwrap_err();
    assert_eq!(err.code, ErrorCode::NotFound);
    sandbox.stop().await;
}

/// Every way an ID reaches the service, as one call each.
async fn every_lookup(
    lm: &LinkMoneyClient,
    id: &str,
) -> Vec<Result<(), linkdesk::error::AppError>> {
    vec![
        lm.get_customer(id).await.map(|_| ()),
        lm.get_accounts(id).await.map(|_| ()),
        lm.get_verified_accounts(id).await.map(|_| ()),
        lm.get_transaction(id).await.map(|_| ()),
        lm.get_payout(id).await.map(|_| ()),
    ]
}

/// An ID that holds `/`, `?`, `#`, `%` or dot segments reaches Link Money as
/// one encoded segment: the sandbox looks up exactly that ID and answers 404,
/// never another endpoint's answer.
#[tokio::test]
async fn hostile_ids_stay_one_path_segment() {
    let sandbox = start(|_| {}).await;
    let fx = fixtures(&sandbox).await;
    let lm = client(&sandbox);
    let customer = first_with_status(&fx, "customers", "ACTIVE");
    let payout = listed(&fx, "payouts")[0].0.clone();
    let txn = listed(&fx, "transactions")[0].0.clone();
    let hostile = [
        "a/b".to_string(),
        "?x=1".to_string(),
        "#frag".to_string(),
        "%2e%2e".to_string(),
        "%2F".to_string(),
        "...".to_string(),
        "a b".to_string(),
        // Unencoded, these would be the customer's accounts, the customer
        // itself, a payout and a transaction.
        format!("{customer}/accounts"),
        format!("{customer}?x=1"),
        format!("{customer}#x"),
        format!("x/../{customer}"),
        format!("../payouts/{payout}"),
        format!("%2e%2e/transactions/{txn}"),
    ];
    for id in &hostile {
        for result in every_lookup(&lm, id).await {
            let err = result.expect_err(id);
            assert_eq!(err.code, ErrorCode::NotFound, "{id}: {err:?}");
            // The sandbox names the ID it looked up: the whole one, decoded.
            assert!(err.message.contains(&format!("'{id}'")), "{id}: {err:?}");
        }
    }
    lm.get_customer(&customer).await.unwrap();
    sandbox.stop().await;
}

/// `.`, `..` and empty IDs are refused before any request (not even a token
/// is fetched); every other ID is one percent-encoded segment below the base
/// URL's own path prefix.
#[tokio::test]
async fn dot_ids_are_refused_and_a_path_prefix_is_kept() {
    let recorder = Recorder::start().await;
    let lm = client_for(&recorder.url("/prefix"), CLIENT_SECRET);
    for bad in ["", "  ", ".", "..", " .. "] {
        for result in every_lookup(&lm, bad).await {
            assert_eq!(result.unwrap_err().code, ErrorCode::InvalidInput, "{bad:?}");
        }
    }
    assert_eq!(lm.tokens().fetch_count(), 0);
    assert_eq!(recorder.requests(), Vec::<String>::new());

    let calls = [
        lm.get_customer("a/b").await.map(|_| ()),
        lm.get_verified_accounts("?x=1").await.map(|_| ()),
        lm.get_transaction("#frag").await.map(|_| ()),
        lm.get_payout("%2e%2e").await.map(|_| ()),
        lm.get_accounts("../../tokens").await.map(|_| ()),
    ];
    for result in calls {
        assert_eq!(result.unwrap_err().code, ErrorCode::NotFound);
    }
    assert_eq!(
        recorder.requests(),
        [
            "POST /prefix/v1/tokens",
            "GET /prefix/v1/customers/a%2Fb",
            "GET /prefix/v1/customers/%3Fx=1/account-verifications/accounts",
            "GET /prefix/v1/transactions/%23frag",
            "GET /prefix/v1/payouts/%252e%252e",
            "GET /prefix/v1/customers/..%2F..%2Ftokens/accounts",
        ]
    );
    recorder.stop();
}

/// The JSON number's text as two-decimal money text, e.g. 1.1 → "1.10".
fn money_text(v: &Value) -> String {
    let text = v.to_string();
    let (whole, frac) = text.split_once('.').unwrap_or((&text, ""));
    format!("{whole}.{frac:0<2}")
}

#[tokio::test]
async fn payments_and_refunds_with_each_documented_outcome() {
    let sandbox = start(|_| {}).await;
    let fx = fixtures(&sandbox).await;
    let lm = client(&sandbox);
    let customer = first_with_status(&fx, "customers", "ACTIVE");

    // A payment, then a refund of part of it.
    let paid = money_support::payments::pay(&lm, &customer, 10_000)
        .await
        .unwrap();
    assert!(
        ["AUTHORIZED", "PENDING"].contains(&paid["paymentStatus"].as_str().unwrap_or("")),
        "{paid:?}"
    );
    let request = refund(&customer, 1_050);
    let refunded = lm.send_refund(&request).await.unwrap();
    assert_eq!(refunded.payment_status, "AUTHORIZED", "{refunded:?}");
    assert_eq!(refunded.client_reference_id, request.client_reference_id);
    assert!(refunded.error_details.is_none());

    // The refund is a transaction of its own.
    let t = lm
        .get_transaction(refunded.payment_id.as_str())
        .await
        .unwrap()
        .value;
    assert_eq!(t.transaction_type.as_deref(), Some("CREDIT"));
    assert_eq!(t.amount.unwrap().cents, 1_050);
    assert_eq!(t.client_reference_id, request.client_reference_id);
    assert_eq!(t.descriptor.as_deref(), Some("Linkdesk refund"));

    // Above what the customer paid: TERMINAL_FAILED with the reason.
    let too_much = lm
        .send_refund(&refund(&customer, MAX_AMOUNT_CENTS))
        .await
        .unwrap();
    assert_eq!(too_much.payment_status, "TERMINAL_FAILED", "{too_much:?}");
    let details = too_much.error_details.unwrap();
    assert!(details.error_code.is_some() && details.error_message.is_some());

    // A used request key: DuplicateKey, and nothing changes.
    let again = RefundRequest {
        amount: Money::usd(5),
        ..request.clone()
    };
    assert_eq!(
        lm.send_refund(&again).await.unwrap_err(),
        PaymentFailure::DuplicateKey
    );
    let t = lm
        .get_transaction(refunded.payment_id.as_str())
        .await
        .unwrap();
    assert_eq!(t.value.amount.unwrap().cents, 1_050);

    // Unknown customers are refused by the service.
    match lm.send_refund(&refund("cus_does_not_exist", 100)).await {
        Err(PaymentFailure::Rejected(e)) => {
            assert!(
                matches!(e.code, ErrorCode::InvalidInput | ErrorCode::NotFound),
                "{e:?}"
            )
        }
        other => panic!("expected Rejected, got {other:?}"),
    }
    sandbox.stop().await;
}

#[tokio::test]
async fn invalid_refunds_are_refused_before_any_request() {
    // Nothing listens here: had anything been sent, the answer would be offline.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let lm = client_for(&format!("http://127.0.0.1:{port}"), CLIENT_SECRET);

    let edits: [fn(&mut RefundRequest); 8] = [
        |r| r.amount = Money::usd(0),
        |r| r.amount = Money::usd(-100),
        |r| r.amount = Money::usd(MAX_AMOUNT_CENTS + 1),
        |r| r.amount.currency = "EUR".into(),
        |r| r.soft_descriptor = Some("Refund #42".into()),
        |r| r.soft_descriptor = Some("x".repeat(81)),
        |r| r.customer_id = " ".into(),
        |r| r.request_key = String::new(),
    ];
    let cases = edits.map(|edit| {
        let mut r = refund("cus_1", 100);
        edit(&mut r);
        r
    });
    for case in &cases {
        match lm.send_refund(case).await {
            Err(PaymentFailure::Rejected(e)) => assert_eq!(e.code, ErrorCode::InvalidInput),
            other => panic!("{case:?} gave {other:?}"),
        }
    }
    assert_eq!(lm.tokens().fetch_count(), 0);
    for typed in ["1.005", "-1", "1e2", "", "abc"] {
        assert_eq!(
            parse_amount(typed).unwrap_err().code,
            ErrorCode::InvalidInput
        );
    }

    // A valid refund to an unreachable service was provably not sent.
    match lm.send_refund(&refund("cus_1", 100)).await {
        Err(PaymentFailure::NotSent(e)) => assert_eq!(e.code, ErrorCode::Offline, "{e:?}"),
        other => panic!("expected NotSent, got {other:?}"),
    }
}

#[tokio::test]
async fn a_dropped_answer_is_uncertain_and_the_refund_exists() {
    // Every successful write's answer is dropped after it took effect.
    let sandbox = start(|o| o.drop_after_commit_rate = 1.0).await;
    let before = fixtures(&sandbox).await;
    let lm = client(&sandbox);
    let customer = first_with_status(&before, "customers", "ACTIVE");

    let request = refund(&customer, 1);
    match lm.send_refund(&request).await {
        Err(PaymentFailure::Uncertain(e)) => assert!(e.is_unreachable(), "{e:?}"),
        other => panic!("expected Uncertain, got {other:?}"),
    }

    // The refund went through: it is the one new transaction.
    let known: Vec<String> = listed(&before, "transactions")
        .into_iter()
        .map(|t| t.0)
        .collect();
    let new: Vec<String> = listed(&fixtures(&sandbox).await, "transactions")
        .into_iter()
        .map(|t| t.0)
        .filter(|id| !known.contains(id))
        .collect();
    assert_eq!(new.len(), 1, "{new:?}");
    let t = lm.get_transaction(&new[0]).await.unwrap().value;
    assert_eq!(t.transaction_type.as_deref(), Some("CREDIT"));
    assert_eq!(t.client_reference_id, request.client_reference_id);
    assert_eq!(t.amount.unwrap().cents, 1);

    // What a refund journal does next: the same request key again, which
    // says the first attempt went through.
    assert_eq!(
        lm.send_refund(&request).await.unwrap_err(),
        PaymentFailure::DuplicateKey
    );
    sandbox.stop().await;
}

#[tokio::test]
async fn webhooks_subscribe_deliver_and_unsubscribe() {
    let receiver = WebhookReceiver::start().await;
    let sandbox = start(|_| {}).await;
    let fx = fixtures(&sandbox).await;
    let lm = client(&sandbox);
    let customer = first_with_status(&fx, "customers", "ACTIVE");

    let details = SubscriptionDetails {
        subscription_type: SubscriptionType::Event,
        details: vec!["payment.created".into(), "payment.authorized".into()],
    };
    let subscription = lm
        .subscribe_webhook(&WebhookSubscribeRequest {
            url: receiver.url(),
            secret_key: SecretString::new("webhook-secret-for-tests"),
            subscription_details: details.clone(),
        })
        .await
        .unwrap();
    assert!(!subscription.subscription_key.is_empty());

    let request = refund(&customer, 2);
    let result = lm.send_refund(&request).await.unwrap();
    let event = receiver
        .wait_for(|e| e.event_type == "payment.created")
        .await;
    let metadata = event.metadata.unwrap();
    assert_eq!(metadata.resource_id.as_ref(), Some(&result.payment_id));
    assert_eq!(metadata.client_reference_id, request.client_reference_id);

    lm.unsubscribe_webhook(&WebhookUnsubscribeRequest {
        subscription_id: subscription.subscription_key.clone(),
        subscription_details: details,
    })
    .await
    .unwrap();

    // Refused locally: a category where an event is expected, no details, a bad URL.
    let bad = WebhookSubscribeRequest {
        url: "ftp://example.test/hook".into(),
        secret_key: SecretString::new("k"),
        subscription_details: SubscriptionDetails {
            subscription_type: SubscriptionType::All,
            details: vec![],
        },
    };
    assert_eq!(
        lm.subscribe_webhook(&bad).await.unwrap_err().code,
        ErrorCode::InvalidInput
    );
    let bad = WebhookSubscribeRequest {
        url: receiver.url(),
        secret_key: SecretString::new("k"),
        subscription_details: SubscriptionDetails {
            subscription_type: SubscriptionType::Event,
            details: vec!["PAYMENT".into()],
        },
    };
    assert_eq!(
        lm.subscribe_webhook(&bad).await.unwrap_err().code,
        ErrorCode::InvalidInput
    );
    sandbox.stop().await;
    receiver.stop();
}

#[tokio::test]
async fn session_keys() {
    let sandbox = start(|_| {}).await;
    let lm = client(&sandbox);
    let key = lm
        .create_session(&SessionRequest {
            email: "maria@example.test".into(),
            first_name: "María".into(),
            last_name: "Gómez".into(),
            phone_number: "+15555550100".into(),
            product: Some("PAY".into()),
        })
        .await
        .unwrap();
    assert!(!key.session_key.is_empty());
    sandbox.stop().await;
}

#[tokio::test]
async fn test_connection_names_the_exact_failure() {
    let sandbox = start(|_| {}).await;
    client(&sandbox).test_connection().await.unwrap();

    let err = client_for(&sandbox.url(), "wrong-secret-0000")
        .test_connection()
        .await
        .unwrap_err();
    assert_eq!(err.code, ErrorCode::Unauthorized, "{err:?}");
    assert!(!err.message.contains("wrong-secret-0000"));

    // TLS spoken to a plain-HTTP port fails the handshake.
    let https = sandbox.url().replace("http://", "https://");
    let err = client_for(&https, CLIENT_SECRET)
        .test_connection()
        .await
        .unwrap_err();
    assert_eq!(err.code, ErrorCode::Tls, "{err:?}");
    assert!(err.message.contains("does not speak TLS"), "{err:?}");

    let addr = sandbox.addr();
    sandbox.stop().await;
    let err = client_for(&format!("http://{addr}"), CLIENT_SECRET)
        .test_connection()
        .await
        .unwrap_err();
    assert_eq!(err.code, ErrorCode::Offline, "{err:?}");

    let http = linkdesk::http::build_client();
    let err = TokenManager::new(http, "not a url", CLIENT_ID, SecretString::new("x")).unwrap_err();
    assert_eq!(err.code, ErrorCode::InvalidInput);
}

/// A minimal HTTP receiver for webhook deliveries on loopback.
struct WebhookReceiver {
    addr: std::net::SocketAddr,
    events: tokio::sync::Mutex<tokio::sync::mpsc::UnboundedReceiver<WebhookEvent>>,
    task: tokio::task::JoinHandle<()>,
}

impl WebhookReceiver {
    async fn start() -> Self {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
        let task = tokio::spawn(async move {
            while let Ok((mut socket, _)) = listener.accept().await {
                let tx = tx.clone();
                tokio::spawn(async move {
                    if let Some(body) = read_request_body(&mut socket).await {
                        if let Ok(event) = serde_json::from_slice::<WebhookEvent>(&body) {
                            let _ = tx.send(event);
                        }
                    }
                    let _ = socket
                        .write_all(
                            b"HTTP/1.1 200 OK\r\ncontent-length: 0\r\nconnection: close\r\n\r\n",
                        )
                        .await;
                });
            }
        });
        Self {
            addr,
            events: tokio::sync::Mutex::new(rx),
            task,
        }
    }

    fn url(&self) -> String {
        format!("http://{}/linkmoney/webhook", self.addr)
    }

    async fn wait_for(&self, matches: impl Fn(&WebhookEvent) -> bool) -> WebhookEvent {
        let mut events = self.events.lock().await;
        let wait = async {
            loop {
                let event = events.recv().await.expect("receiver closed");
                if matches(&event) {
                    return event;
                }
            }
        };
        tokio::time::timeout(Duration::from_secs(20), wait)
            .await
            .expect("no matching webhook delivery within 20 s")
    }

    fn stop(self) {
        self.task.abort();
    }
}

async fn read_request_body(socket: &mut tokio::net::TcpStream) -> Option<Vec<u8>> {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 4096];
    loop {
        let n = socket.read(&mut chunk).await.ok()?;
        if n == 0 {
            return None;
        }
        buf.extend_from_slice(&chunk[..n]);
        if let Some(end) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            let head = String::from_utf8_lossy(&buf[..end]).to_ascii_lowercase();
            let length: usize = head
                .lines()
                .find_map(|l| l.strip_prefix("content-length:"))
                .and_then(|v| v.trim().parse().ok())
                .unwrap_or(0);
            while buf.len() < end + 4 + length {
                let n = socket.read(&mut chunk).await.ok()?;
                if n == 0 {
                    return None;
                }
                buf.extend_from_slice(&chunk[..n]);
            }
            return Some(buf[end + 4..end + 4 + length].to_vec());
        }
    }
}
