use std::collections::BTreeSet;

use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

use crate::common::{assert_lm_error, Env};

fn statuses(list: &Value) -> BTreeSet<String> {
    list.as_array()
        .unwrap()
        .iter()
        .map(|r| r["status"].as_str().unwrap().to_string())
        .collect()
}

#[tokio::test]
async fn fixtures_list_every_kind_in_every_status_without_credentials() {
    let env = Env::with(|o| o.customers = 200).await;
    let fixtures = env.fixtures().await;
    assert_eq!(fixtures.as_object().unwrap().len(), 4);
    assert_eq!(fixtures["customers"].as_array().unwrap().len(), 200);
    let expect = |names: &[&str]| names.iter().map(|s| s.to_string()).collect::<BTreeSet<_>>();
    assert_eq!(
        statuses(&fixtures["customers"]),
        expect(&["ACTIVE", "CREATED", "INACTIVE"])
    );
    assert_eq!(
        statuses(&fixtures["transactions"]),
        expect(&[
            "CREATED",
            "PENDING",
            "AUTHORIZED",
            "SCHEDULED",
            "INITIATED",
            "SUCCEEDED",
            "RETRYABLE_FAILED",
            "TERMINAL_FAILED",
            "CANCELED"
        ])
    );
    assert_eq!(
        statuses(&fixtures["payouts"]),
        expect(&[
            "CREATED",
            "AUTHORIZED",
            "SCHEDULED",
            "INITIATED",
            "DISBURSED"
        ])
    );
    let numbers: Vec<&str> = fixtures["account_numbers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["number"].as_str().unwrap())
        .collect();
    assert!(numbers.contains(&"4242424242") && numbers.contains(&"4000000008"));
    assert!(fixtures["account_numbers"][0]["scenario"].is_string());
    env.stop().await;
}

#[tokio::test]
async fn customers_and_their_accounts() {
    let env = Env::start().await;
    let fixtures = env.fixtures().await;
    let token = env.lm_token("Link-Core").await;
    let mut verified_somewhere = false;
    let mut text = String::new();
    for entry in fixtures["customers"].as_array().unwrap() {
        let id = entry["id"].as_str().unwrap();
        let (status, customer) = env.lm_get(&token, &format!("/v1/customers/{id}")).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(customer["id"], id);
        assert_eq!(customer["customerStatus"], entry["status"]);
        for field in ["firstName", "lastName", "email", "creationDate"] {
            assert!(customer[field].is_string(), "{field}: {customer}");
        }
        assert_eq!(customer["accountDetails"]["preferred"], true);
        text.push_str(&customer.to_string());

        let (status, accounts) = env
            .lm_get(&token, &format!("/v1/customers/{id}/accounts"))
            .await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(accounts["customerId"], id);
        let list = accounts["accountDetails"].as_array().unwrap();
        assert!((1..=3).contains(&list.len()));
        assert_eq!(list.iter().filter(|a| a["preferred"] == true).count(), 1);
        for account in list {
            assert!(account["accountId"].is_u64());
            assert!(["CHECKING", "SAVINGS"].contains(&account["accountType"].as_str().unwrap()));
            assert!(["ACTIVE", "INACTIVE"].contains(&account["accountStatus"].as_str().unwrap()));
            assert_eq!(account["accountLastFourDigits"].as_str().unwrap().len(), 4);
            assert_eq!(account["routingNumber"].as_str().unwrap().len(), 9);
        }

        let (status, verified) = env
            .lm_get(
                &token,
                &format!("/v1/customers/{id}/account-verifications/accounts"),
            )
            .await;
        assert_eq!(status, StatusCode::OK);
        for account in verified["accounts"].as_array().unwrap() {
            verified_somewhere = true;
            assert!(account["depositAccount"]["accountId"].is_string());
            assert_eq!(account["paymentNetworks"][0]["type"], "US_ACH");
        }
    }
    assert!(verified_somewhere);
    assert!(
        text.contains("<script>alert(1)</script>"),
        "a hostile name is seeded"
    );
    assert!(!text.is_ascii(), "Unicode names are seeded");

    for path in [
        "/v1/customers/nope",
        "/v1/customers/nope/accounts",
        "/v1/customers/nope/account-verifications/accounts",
    ] {
        let (status, body) = env.lm_get(&token, path).await;
        assert_lm_error(status, &body, 404, "NOT_FOUND");
    }
    env.stop().await;
}

#[tokio::test]
async fn transactions_and_payouts_by_id() {
    let env = Env::start().await;
    let fixtures = env.fixtures().await;
    let token = env.lm_token("Link-Core").await;
    for entry in fixtures["transactions"].as_array().unwrap() {
        let id = entry["id"].as_str().unwrap();
        let (status, t) = env.lm_get(&token, &format!("/v1/transactions/{id}")).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(t["transactionId"], id);
        assert_eq!(t["transactionStatus"], entry["status"]);
        assert!(["DEBIT", "CREDIT"].contains(&t["transactionType"].as_str().unwrap()));
        assert_eq!(t["amount"]["currency"], "USD");
        assert!(t["amount"]["value"].as_f64().unwrap() > 0.0);
        let failed = matches!(
            entry["status"].as_str().unwrap(),
            "RETRYABLE_FAILED" | "TERMINAL_FAILED"
        );
        assert_eq!(t["transactionFailureReason"].is_object(), failed, "{t}");
        if failed {
            assert!(t["transactionFailureReason"]["code"].is_string());
            assert!(t["transactionFailureReason"]["description"].is_string());
        }
    }
    for entry in fixtures["payouts"].as_array().unwrap() {
        let id = entry["id"].as_str().unwrap();
        let (status, p) = env.lm_get(&token, &format!("/v1/payouts/{id}")).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(p["payoutId"], id);
        assert_eq!(p["payoutStatus"], entry["status"]);
        assert!(p["descriptor"].is_string() && p["creationDate"].is_string());
    }
    for path in ["/v1/transactions/nope", "/v1/payouts/nope"] {
        let (status, body) = env.lm_get(&token, path).await;
        assert_lm_error(status, &body, 404, "NOT_FOUND");
    }
    env.stop().await;
}

#[tokio::test]
async fn session_keys() {
    let env = Env::start().await;
    let token = env.lm_token("Link-Core").await;
    let person = json!({
        "firstName": "Zoë", "lastName": "Øberg", "email": "zoe@example.com",
        "phoneNumber": "+15555550100", "product": "PAY"
    });
    let (status, body) = env
        .lm_send(Method::POST, &token, "/v1/sessions", person.clone())
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert!(!body["sessionKey"].as_str().unwrap().is_empty());
    // The customer now exists, CREATED.
    let fixtures = env.fixtures().await;
    let last = fixtures["customers"]
        .as_array()
        .unwrap()
        .last()
        .unwrap()
        .clone();
    assert_eq!(last["status"], "CREATED");
    let (_, customer) = env
        .lm_get(
            &token,
            &format!("/v1/customers/{}", last["id"].as_str().unwrap()),
        )
        .await;
    assert_eq!(customer["firstName"], "Zoë");

    for field in ["firstName", "lastName", "email", "phoneNumber"] {
        let mut body = person.clone();
        body.as_object_mut().unwrap().remove(field);
        let (status, answer) = env
            .lm_send(Method::POST, &token, "/v1/sessions", body)
            .await;
        assert_lm_error(status, &answer, 400, "VALIDATION_ERROR");
        assert!(answer["errorMessage"].as_str().unwrap().contains(field));
    }
    let mut body = person.clone();
    body["product"] = json!("LOAN");
    let (status, answer) = env
        .lm_send(Method::POST, &token, "/v1/sessions", body)
        .await;
    assert_lm_error(status, &answer, 400, "VALIDATION_ERROR");
    env.stop().await;
}
