//! The Link Money token manager against the sandbox over real HTTP: scope per
//! call, reuse until expiry, one fetch for many concurrent callers, recovery
//! from a refused token, and the authentication rate limit.

use std::sync::Arc;
use std::time::Duration;

use linkdesk::error::ErrorCode;
use linkdesk::linkmoney::{
    FetchLimits, LinkMoneyClient, Money, RefundRequest, Scope, TokenManager,
};
use linkdesk::secrets::SecretString;
use linkdesk_sandbox::{Options, Sandbox};

const CLIENT_ID: &str = "lm_sandbox_client";
const CLIENT_SECRET: &str = "lm_sandbox_secret";
const MERCHANT: &str = "merchant_sandbox";

async fn start(configure: impl FnOnce(&mut Options)) -> Sandbox {
    let mut options = Options {
        rtls: 20,
        customers: 20,
        ..Options::default()
    };
    configure(&mut options);
    linkdesk_sandbox::start(options).await.unwrap()
}

fn manager(url: &str) -> TokenManager {
    TokenManager::new(
        linkdesk::http::build_client(),
        url,
        CLIENT_ID,
        SecretString::new(CLIENT_SECRET),
    )
    .unwrap()
}

fn client(url: &str, tokens: Arc<TokenManager>) -> LinkMoneyClient {
    LinkMoneyClient::new(linkdesk::http::build_client(), url, MERCHANT, tokens).unwrap()
}

/// The ID of a seeded customer with the given status.
async fn customer_with_status(sandbox: &Sandbox, status: &str) -> String {
    let fixtures: serde_json::Value = reqwest::get(format!("{}/sandbox/fixtures", sandbox.url()))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    fixtures["customers"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["status"] == status)
        .and_then(|c| c["id"].as_str())
        .unwrap_or_else(|| panic!("no {status} customer in the fixtures"))
        .to_string()
}

#[tokio::test]
async fn each_call_asks_for_its_own_scope() {
    let sandbox = start(|_| {}).await;
    let customer = customer_with_status(&sandbox, "ACTIVE").await;
    let tokens = Arc::new(manager(&sandbox.url()));
    let lm = client(&sandbox.url(), tokens.clone());

    lm.get_customer(&customer).await.unwrap();
    lm.get_accounts(&customer).await.unwrap();
    assert_eq!(tokens.fetch_count_for(Scope::Core), 1);
    assert_eq!(tokens.fetch_count_for(Scope::Payment), 0);

    let refund = RefundRequest {
        customer_id: customer.clone(),
        amount: Money::usd(1),
        client_reference_id: None,
        soft_descriptor: None,
        request_key: uuid::Uuid::new_v4().to_string(),
    };
    lm.send_refund(&refund).await.unwrap();
    assert_eq!(tokens.fetch_count_for(Scope::Payment), 1);
    assert_eq!(tokens.fetch_count_for(Scope::Core), 1);

    // The scopes matter: the service refuses a Link-Core token for payments
    // and a Link-Payment token for reads.
    let http = reqwest::Client::new();
    let core = tokens.token(Scope::Core).await.unwrap();
    let status = http
        .post(format!("{}/v1/payments", sandbox.url()))
        .bearer_auth(&core)
        .json(&serde_json::json!({
            "source": {"id": MERCHANT, "type": "MERCHANT"},
            "destination": {"id": customer, "type": "CUSTOMER"},
            "amount": {"value": 0.01, "currency": "USD"},
            "requestKey": uuid::Uuid::new_v4().to_string()
        }))
        .send()
        .await
        .unwrap()
        .status();
    assert_eq!(status.as_u16(), 403);
    let payment = tokens.token(Scope::Payment).await.unwrap();
    let status = http
        .get(format!("{}/v1/customers/{customer}", sandbox.url()))
        .bearer_auth(&payment)
        .send()
        .await
        .unwrap()
        .status();
    assert_eq!(status.as_u16(), 403);
    assert_eq!(tokens.fetch_count(), 2);
    sandbox.stop().await;
}

#[tokio::test]
async fn tokens_are_reused_until_shortly_before_expiry() {
    let ttl = 3;
    let sandbox = start(|o| o.token_ttl = ttl).await;
    let customer = customer_with_status(&sandbox, "ACTIVE").await;
    let tokens = Arc::new(manager(&sandbox.url()));
    let lm = client(&sandbox.url(), tokens.clone());

    let first = tokens.token(Scope::Core).await.unwrap();
    assert_eq!(tokens.token(Scope::Core).await.unwrap(), first);
    lm.get_customer(&customer).await.unwrap();
    lm.get_accounts(&customer).await.unwrap();
    assert_eq!(tokens.fetch_count(), 1);

    // Past the refresh point (lifetime minus a tenth) the next call fetches anew.
    tokio::time::sleep(Duration::from_secs(ttl) + Duration::from_millis(200)).await;
    let second = tokens.token(Scope::Core).await.unwrap();
    assert_eq!(tokens.fetch_count(), 2);
    assert_ne!(second, first);
    lm.get_customer(&customer).await.unwrap();
    assert_eq!(tokens.fetch_count(), 2);
    sandbox.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn fifty_concurrent_callers_cause_one_fetch() {
    let sandbox = start(|_| {}).await;
    let customer = customer_with_status(&sandbox, "ACTIVE").await;
    let tokens = Arc::new(manager(&sandbox.url()));

    let mut tasks = tokio::task::JoinSet::new();
    for _ in 0..50 {
        let tokens = tokens.clone();
        tasks.spawn(async move { tokens.token(Scope::Core).await.unwrap() });
    }
    let got: Vec<String> = tasks.join_all().await;
    assert_eq!(got.len(), 50);
    assert!(got.iter().all(|t| *t == got[0]));
    assert_eq!(tokens.fetch_count(), 1);

    // Fifty concurrent reads through the client with no token cached yet.
    let tokens = Arc::new(manager(&sandbox.url()));
    let lm = client(&sandbox.url(), tokens.clone());
    let mut tasks = tokio::task::JoinSet::new();
    for _ in 0..50 {
        let lm = lm.clone();
        let customer = customer.clone();
        tasks.spawn(async move { lm.get_customer(&customer).await.unwrap().value.id });
    }
    let ids = tasks.join_all().await;
    assert!(ids.iter().all(|id| id.as_str() == customer));
    assert_eq!(tokens.fetch_count(), 1);
    sandbox.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_refused_token_is_replaced_once() {
    let sandbox = start(|_| {}).await;
    let customer = customer_with_status(&sandbox, "ACTIVE").await;
    let tokens = Arc::new(manager(&sandbox.url()));
    let lm = client(&sandbox.url(), tokens.clone());

    // A token the service never issued, as if revoked: every one of fifty
    // concurrent reads is refused once, and all of them share one new token.
    tokens.set_cached_token_for_tests(Scope::Core, "revoked-token", Duration::from_secs(600));
    let mut tasks = tokio::task::JoinSet::new();
    for _ in 0..50 {
        let lm = lm.clone();
        let customer = customer.clone();
        tasks.spawn(async move { lm.get_customer(&customer).await });
    }
    for result in tasks.join_all().await {
        result.unwrap();
    }
    assert_eq!(tokens.fetch_count(), 1);
    assert_ne!(tokens.token(Scope::Core).await.unwrap(), "revoked-token");
    sandbox.stop().await;
}

#[tokio::test]
async fn tokens_forgotten_by_a_restarted_service_are_replaced() {
    let sandbox = start(|_| {}).await;
    let addr = sandbox.addr();
    let customer = customer_with_status(&sandbox, "ACTIVE").await;
    let tokens = Arc::new(manager(&sandbox.url()));
    let lm = client(&sandbox.url(), tokens.clone());
    lm.get_customer(&customer).await.unwrap();
    assert_eq!(tokens.fetch_count(), 1);

    // A new service on the same address knows none of the old tokens.
    sandbox.stop().await;
    let sandbox = start(|o| o.addr = addr).await;
    let fetched = lm.get_customer(&customer).await.unwrap();
    assert_eq!(fetched.value.id.as_str(), customer);
    assert_eq!(tokens.fetch_count(), 2);
    sandbox.stop().await;
}

#[tokio::test]
async fn never_more_than_five_token_requests_a_minute() {
    // The sandbox enforces the documented limit (5 a minute per IP) itself.
    let sandbox = start(|_| {}).await;
    let tokens = manager(&sandbox.url()).with_limits(FetchLimits {
        max_wait: Duration::from_millis(300),
        ..FetchLimits::default()
    });
    for i in 0..5 {
        let scope = if i % 2 == 0 {
            Scope::Core
        } else {
            Scope::Payment
        };
        tokens.refresh(scope).await.unwrap();
    }
    assert_eq!(tokens.fetch_count(), 5);

    // The sixth would exceed the limit: refused locally, nothing sent.
    let err = tokens.refresh(Scope::Core).await.unwrap_err();
    assert_eq!(err.code, ErrorCode::RateLimited, "{err:?}");
    let retry = err.retry_after_secs.unwrap();
    assert!((1..=61).contains(&retry), "{retry}");
    assert_eq!(tokens.fetch_count(), 5);
    // Cached tokens still serve.
    tokens.token(Scope::Core).await.unwrap();
    tokens.token(Scope::Payment).await.unwrap();
    assert_eq!(tokens.fetch_count(), 5);
    sandbox.stop().await;
}

#[tokio::test]
async fn a_fetch_waits_for_a_free_slot_within_its_bound() {
    let sandbox = start(|o| o.no_rate_limit = true).await;
    let tokens = manager(&sandbox.url()).with_limits(FetchLimits {
        max_fetches: 2,
        window: Duration::from_millis(500),
        max_wait: Duration::from_secs(10),
    });
    for _ in 0..4 {
        tokens.refresh(Scope::Core).await.unwrap();
    }
    assert_eq!(tokens.fetch_count(), 4);
    sandbox.stop().await;
}

#[tokio::test]
async fn wrong_credentials_are_unauthorized_and_never_echoed() {
    let sandbox = start(|_| {}).await;
    let tokens = TokenManager::new(
        linkdesk::http::build_client(),
        &sandbox.url(),
        CLIENT_ID,
        SecretString::new("wrong-secret-4242"),
    )
    .unwrap();
    let err = tokens.token(Scope::Core).await.unwrap_err();
    assert_eq!(err.code, ErrorCode::Unauthorized, "{err:?}");
    assert!(!err.message.contains("wrong-secret-4242"));
    assert!(!format!("{tokens:?}").contains("wrong-secret-4242"));
    sandbox.stop().await;
}
