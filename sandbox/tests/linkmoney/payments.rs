use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

use crate::common::{assert_lm_error, Env};

fn customer_with_status(fixtures: &Value, status: &str) -> String {
    fixtures["customers"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["status"] == status)
        .map(|c| c["id"].as_str().unwrap().to_string())
        .unwrap()
}

fn payment(customer: &str, value: Value, key: &str) -> Value {
    json!({
        "source": {"id": customer, "type": "CUSTOMER"},
        "destination": {"id": "merchant_sandbox", "type": "MERCHANT"},
        "amount": {"currency": "USD", "value": value},
        "clientReferenceId": format!("ref-{key}"),
        "softDescriptor": "Linkdesk Order 42",
        "requestKey": key,
    })
}

fn refund(customer: &str, value: Value, key: &str) -> Value {
    json!({
        "source": {"id": "merchant_sandbox", "type": "MERCHANT"},
        "destination": {"id": customer, "type": "CUSTOMER"},
        "amount": {"currency": "USD", "value": value},
        "requestKey": key,
    })
}

struct Money {
    env: Env,
    core: String,
    pay: String,
}

impl Money {
    async fn start() -> Money {
        let env = Env::start().await;
        let core = env.lm_token("Link-Core").await;
        let pay = env.lm_token("Link-Payment").await;
        Money { env, core, pay }
    }

    async fn pay(&self, body: Value) -> (StatusCode, Value) {
        self.env
            .lm_send(Method::POST, &self.pay, "/v1/payments", body)
            .await
    }

    async fn transaction(&self, id: &str) -> Value {
        let (status, body) = self
            .env
            .lm_get(&self.core, &format!("/v1/transactions/{id}"))
            .await;
        assert_eq!(status, StatusCode::OK, "{body}");
        body
    }

    /// What the customer has paid and not had refunded, in cents, from their transactions.
    async fn refundable(&self, customer: &str) -> i64 {
        let fixtures = self.env.fixtures().await;
        let mut cents = 0;
        for entry in fixtures["transactions"].as_array().unwrap() {
            let t = self.transaction(entry["id"].as_str().unwrap()).await;
            if t["customerId"] != customer {
                continue;
            }
            let value = (t["amount"]["value"].as_f64().unwrap() * 100.0).round() as i64;
            let status = t["transactionStatus"].as_str().unwrap();
            match t["transactionType"].as_str().unwrap() {
                "DEBIT"
                    if ["AUTHORIZED", "SCHEDULED", "INITIATED", "SUCCEEDED"].contains(&status) =>
                {
                    cents += value
                }
                "CREDIT"
                    if !["RETRYABLE_FAILED", "TERMINAL_FAILED", "CANCELED"].contains(&status) =>
                {
                    cents -= value
                }
                _ => {}
            }
        }
        cents
    }
}

#[tokio::test]
async fn payment_and_refund_create_transactions() {
    let m = Money::start().await;
    let fixtures = m.env.fixtures().await;
    let customer = customer_with_status(&fixtures, "ACTIVE");
    let (status, body) = m.pay(payment(&customer, json!(12.5), "k1")).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["paymentStatus"], "AUTHORIZED");
    assert_eq!(body["clientReferenceId"], "ref-k1");
    assert!(body.get("errorDetails").is_none());
    let id = body["paymentId"].as_str().unwrap();
    let t = m.transaction(id).await;
    assert_eq!(t["transactionId"], id);
    assert_eq!(t["transactionType"], "DEBIT");
    assert_eq!(t["customerId"], customer.as_str());
    assert_eq!(t["amount"], json!({"value": 12.5, "currency": "USD"}));
    assert_eq!(t["transactionStatus"], "AUTHORIZED");
    assert_eq!(t["descriptor"], "Linkdesk Order 42");
    assert_eq!(t["clientReferenceId"], "ref-k1");
    assert_eq!(t["accountDetails"]["preferred"], true);

    // Amounts ending in .99 stay PENDING.
    let (_, pending) = m.pay(payment(&customer, json!(10.99), "k2")).await;
    assert_eq!(pending["paymentStatus"], "PENDING");
    // Above the limit: declined.
    let (_, declined) = m.pay(payment(&customer, json!(10000.01), "k3")).await;
    assert_eq!(declined["paymentStatus"], "TERMINAL_FAILED");
    assert_eq!(declined["errorDetails"]["errorCode"], "PAYMENT_DECLINED");

    let (status, body) = m.pay(refund(&customer, json!(2.25), "r1")).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["paymentStatus"], "AUTHORIZED");
    assert_eq!(body["clientReferenceId"], Value::Null);
    let t = m.transaction(body["paymentId"].as_str().unwrap()).await;
    assert_eq!(t["transactionType"], "CREDIT");
    assert_eq!(t["amount"]["value"], 2.25);
    m.env.stop().await;
}

#[tokio::test]
async fn refunds_above_what_was_paid_fail_terminally() {
    let m = Money::start().await;
    let fixtures = m.env.fixtures().await;
    let customer = customer_with_status(&fixtures, "ACTIVE");
    m.pay(payment(&customer, json!(25), "seed-pay")).await;
    let refundable = m.refundable(&customer).await;
    assert!(refundable >= 2500);
    let dollars = |cents: i64| {
        json!(format!("{}.{:02}", cents / 100, cents % 100)
            .parse::<f64>()
            .unwrap())
    };

    let (_, over) = m
        .pay(refund(&customer, dollars(refundable + 1), "r-over"))
        .await;
    assert_eq!(over["paymentStatus"], "TERMINAL_FAILED", "{over}");
    assert_eq!(over["errorDetails"]["errorCode"], "REFUND_EXCEEDS_PAYMENTS");
    assert!(over["errorDetails"]["errorMessage"].is_string());
    let failed = m.transaction(over["paymentId"].as_str().unwrap()).await;
    assert_eq!(failed["transactionStatus"], "TERMINAL_FAILED");
    assert_eq!(
        failed["transactionFailureReason"]["code"],
        "REFUND_EXCEEDS_PAYMENTS"
    );

    let (_, exact) = m
        .pay(refund(&customer, dollars(refundable), "r-exact"))
        .await;
    assert_eq!(exact["paymentStatus"], "AUTHORIZED", "{exact}");
    let (_, more) = m.pay(refund(&customer, json!(0.01), "r-more")).await;
    assert_eq!(more["paymentStatus"], "TERMINAL_FAILED");
    m.env.stop().await;
}

#[tokio::test]
async fn customers_that_are_not_active_cannot_pay_or_be_refunded() {
    let m = Money::start().await;
    let fixtures = m.env.fixtures().await;
    for status in ["INACTIVE", "CREATED"] {
        let customer = customer_with_status(&fixtures, status);
        for (n, body) in [
            payment(&customer, json!(5), &format!("p-{status}")),
            refund(&customer, json!(1), &format!("r-{status}")),
        ]
        .into_iter()
        .enumerate()
        {
            let (code, answer) = m.pay(body).await;
            assert_eq!(code, StatusCode::OK, "{n}: {answer}");
            assert_eq!(answer["paymentStatus"], "TERMINAL_FAILED");
            assert_eq!(answer["errorDetails"]["errorCode"], "CUSTOMER_NOT_ACTIVE");
        }
    }
    m.env.stop().await;
}

#[tokio::test]
async fn request_keys_are_idempotent() {
    let m = Money::start().await;
    let fixtures = m.env.fixtures().await;
    let customer = customer_with_status(&fixtures, "ACTIVE");
    let (_, first) = m.pay(payment(&customer, json!(7), "same-key")).await;
    assert_eq!(first["paymentStatus"], "AUTHORIZED");
    let before = m.env.fixtures().await;
    for body in [
        payment(&customer, json!(7), "same-key"),
        payment(&customer, json!(99), "same-key"),
        refund(&customer, json!(1), "same-key"),
    ] {
        let (status, answer) = m.pay(body).await;
        assert_lm_error(status, &answer, 400, "DUPLICATE_REQUEST_KEY");
    }
    assert_eq!(m.env.fixtures().await, before, "nothing changed");
    let t = m.transaction(first["paymentId"].as_str().unwrap()).await;
    assert_eq!(t["amount"]["value"], 7.0);
    m.env.stop().await;
}

#[tokio::test]
async fn payments_are_validated_field_by_field() {
    let m = Money::start().await;
    let fixtures = m.env.fixtures().await;
    let customer = customer_with_status(&fixtures, "ACTIVE");
    let valid = payment(&customer, json!(1.0), "v");
    let change = |path: &[&str], value: Value| {
        let mut body = valid.clone();
        let mut slot = &mut body;
        for key in &path[..path.len() - 1] {
            slot = &mut slot[*key];
        }
        slot[path[path.len() - 1]] = value;
        body
    };
    let remove = |field: &str| {
        let mut body = valid.clone();
        body.as_object_mut().unwrap().remove(field);
        body
    };
    let cases = [
        (
            change(&["amount", "currency"], json!("EUR")),
            "amount.currency",
        ),
        (change(&["amount", "value"], json!(0)), "amount.value"),
        (change(&["amount", "value"], json!(-1)), "amount.value"),
        (change(&["amount", "value"], json!("1.00")), "amount.value"),
        (change(&["amount", "value"], json!(1.005)), "amount.value"),
        (change(&["amount", "value"], Value::Null), "amount.value"),
        (remove("amount"), "amount"),
        (remove("requestKey"), "requestKey"),
        (change(&["requestKey"], json!("")), "requestKey"),
        (remove("source"), "source"),
        (
            change(&["softDescriptor"], json!("x".repeat(81))),
            "softDescriptor",
        ),
        (
            change(&["softDescriptor"], json!("<b>Order</b>")),
            "softDescriptor",
        ),
        (
            change(&["clientReferenceId"], json!(5)),
            "clientReferenceId",
        ),
        (
            change(&["destination", "id"], json!("merchant_other")),
            "destination.id",
        ),
        (
            change(&["destination", "type"], json!("CUSTOMER")),
            "destination.type",
        ),
        (
            change(&["source", "id"], json!("no-such-customer")),
            "source.id",
        ),
    ];
    for (body, field) in cases {
        let (status, answer) = m.pay(body).await;
        assert_lm_error(status, &answer, 400, "VALIDATION_ERROR");
        assert!(
            answer["errorMessage"].as_str().unwrap().contains(field),
            "{field}: {answer}"
        );
    }
    // 80 characters exactly is fine; so is a whole number and one decimal.
    for (body, key) in [
        (
            change(&["softDescriptor"], json!("A1 ".repeat(26) + "ab")),
            "d80",
        ),
        (change(&["amount", "value"], json!(3)), "whole"),
        (change(&["amount", "value"], json!(3.5)), "one-decimal"),
    ] {
        let mut body = body;
        body["requestKey"] = json!(key);
        let (status, answer) = m.pay(body).await;
        assert_eq!(status, StatusCode::OK, "{key}: {answer}");
    }
    let response = m
        .env
        .http
        .post(m.env.at("/v1/payments"))
        .bearer_auth(&m.pay)
        .header("Content-Type", "application/json")
        .body(r#"{"amount": {"currency": "USD", "value": 1.005}"#)
        .send()
        .await
        .unwrap();
    let (status, answer) = crate::common::json(response).await;
    assert_lm_error(status, &answer, 400, "VALIDATION_ERROR");
    m.env.stop().await;
}
