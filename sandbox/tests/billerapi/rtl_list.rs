use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

use crate::common::{assert_biller_error, Env};

const FIELDS: [&str; 10] = [
    "id",
    "client_id",
    "client_user_id",
    "biller_id",
    "status",
    "link_token_id",
    "session_url",
    "metadata",
    "created_at",
    "updated_at",
];
/// search, status, billerId, clientUserId
type Filters<'a> = (
    Option<&'a str>,
    Option<&'a str>,
    Option<&'a str>,
    Option<&'a str>,
);

const STATUSES: [&str; 5] = [
    "PENDING",
    "IN_PROGRESS",
    "COMPLETED",
    "CANCELLED",
    "EXPIRED",
];

fn key(item: &Value) -> (String, String) {
    (
        item["created_at"].as_str().unwrap().to_string(),
        item["id"].as_str().unwrap().to_string(),
    )
}

#[tokio::test]
async fn client_credentials_are_required_everywhere() {
    let env = Env::start().await;
    for path in [
        "/link/request-to-link",
        "/link/request-to-link/rtl_000000000000",
        "/billers",
    ] {
        let response = env.http.get(env.at(path)).send().await.unwrap();
        let (status, body) = crate::common::json(response).await;
        assert_biller_error(status, &body, 401);
        let response = env
            .http
            .get(env.at(path))
            .header("X-Client-ID", "client_sandbox")
            .header("X-Client-Secret", "bb_test_wrong")
            .send()
            .await
            .unwrap();
        let (status, body) = crate::common::json(response).await;
        assert_biller_error(status, &body, 401);
        assert_eq!(body["message"], "Invalid client credentials");
    }
    env.stop().await;
}

#[tokio::test]
async fn defaults_shape_and_demo_data() {
    let env = Env::start().await;
    let (status, body) = env.biller_get("/link/request-to-link").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["page"], 1);
    assert_eq!(body["limit"], 20);
    assert_eq!(body["total"], 400);
    let items = body["items"].as_array().unwrap();
    assert_eq!(items.len(), 20);
    for item in items {
        let object = item.as_object().unwrap();
        assert_eq!(object.len(), 10, "{item}");
        for field in FIELDS {
            assert!(object.contains_key(field), "{field} missing in {item}");
        }
        let id = item["id"].as_str().unwrap();
        assert!(id.starts_with("rtl_") && id.len() == 16, "{id}");
        assert_eq!(item["client_id"], "client_sandbox");
        for stamp in ["created_at", "updated_at"] {
            let text = item[stamp].as_str().unwrap();
            assert_eq!(text.len(), 20, "{text}");
            assert!(text.ends_with('Z') && text.as_bytes()[10] == b'T', "{text}");
        }
    }

    let all = env.all_rtls("").await;
    assert_eq!(all.len(), 400);
    // 90 days before the anchor (2026-04-01), every status, hostile and Unicode text.
    assert!(all.iter().all(|r| {
        let created = r["created_at"].as_str().unwrap();
        ("2026-01-01T00:00:00Z".."2026-04-01T00:00:00Z").contains(&created)
    }));
    for status in STATUSES {
        assert!(all.iter().any(|r| r["status"] == status), "{status}");
    }
    let text = serde_json::to_string(&all).unwrap();
    assert!(text.contains("<script>alert(1)</script>"));
    assert!(text.contains("<img src=x onerror=alert(1)>"));
    assert!(text.contains("DROP TABLE"));
    assert!(text.contains("日本語") && text.contains('ñ') && text.contains('🎉'));
    assert!(all
        .iter()
        .any(|r| r["client_user_id"].as_str().unwrap().contains('<')));
    assert!(all.iter().any(|r| r["metadata"].is_null()));
    assert!(all.iter().any(|r| r["biller_id"].is_null()));
    assert!(all.iter().any(|r| r["metadata"].is_object()));
    env.stop().await;
}

#[tokio::test]
async fn ordering_is_newest_first_without_gaps_or_repeats() {
    let env = Env::start().await;
    let all = env.all_rtls("").await;
    let keys: Vec<_> = all.iter().map(key).collect();
    let mut sorted = keys.clone();
    sorted.sort_by(|a, b| b.cmp(a));
    sorted.dedup();
    assert_eq!(keys, sorted);
    // Pages of 20 line up with the pages of 100.
    let (_, page3) = env
        .biller_get("/link/request-to-link?page=3&limit=20")
        .await;
    let ids: Vec<_> = page3["items"].as_array().unwrap().iter().map(key).collect();
    assert_eq!(ids, keys[40..60]);
    env.stop().await;
}

#[tokio::test]
async fn paging_edges() {
    let env = Env::start().await;
    let (status, body) = env
        .biller_get("/link/request-to-link?page=21&limit=20")
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["items"], json!([]));
    assert_eq!(body["total"], 400);
    assert_eq!(body["page"], 21);

    let (_, last) = env
        .biller_get("/link/request-to-link?page=4&limit=100")
        .await;
    assert_eq!(last["items"].as_array().unwrap().len(), 100);
    let (_, partial) = env
        .biller_get("/link/request-to-link?page=14&limit=30")
        .await;
    assert_eq!(partial["items"].as_array().unwrap().len(), 10);

    let (status, body) = env.biller_get("/link/request-to-link?limit=100").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["items"].as_array().unwrap().len(), 100);
    for bad in [
        "limit=101",
        "limit=0",
        "limit=-5",
        "limit=ten",
        "page=0",
        "page=-1",
        "page=abc",
        "page=1.5",
        "page=",
    ] {
        let (status, body) = env
            .biller_get(&format!("/link/request-to-link?{bad}"))
            .await;
        assert_biller_error(status, &body, 400);
    }
    let (status, body) = env
        .biller_get("/link/request-to-link?page=99999999999999&limit=100")
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["items"], json!([]));
    env.stop().await;
}

#[tokio::test]
async fn status_filter_partitions_the_list() {
    let env = Env::start().await;
    let mut sum = 0;
    for status in STATUSES {
        let (code, body) = env
            .biller_get(&format!("/link/request-to-link?status={status}&limit=100"))
            .await;
        assert_eq!(code, StatusCode::OK);
        assert!(body["items"]
            .as_array()
            .unwrap()
            .iter()
            .all(|r| r["status"] == status));
        sum += body["total"].as_u64().unwrap();
    }
    assert_eq!(sum, 400);
    let (status, body) = env.biller_get("/link/request-to-link?status=pending").await;
    assert_biller_error(status, &body, 400);
    let (status, body) = env.biller_get("/link/request-to-link?status=DONE").await;
    assert_biller_error(status, &body, 400);
    // Empty values are no filter.
    let (status, body) = env
        .biller_get("/link/request-to-link?status=&search=&clientUserId=&billerId=")
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["total"], 400);
    env.stop().await;
}

/// The documented filters, AND-ed, checked against the same rules applied
/// client-side to the full list.
#[tokio::test]
async fn filters_and_search_match_their_definition() {
    let env = Env::start().await;
    let all = env.all_rtls("").await;
    let (_, billers) = env.biller_get("/billers").await;
    let biller_name = |id: &Value| -> Option<String> {
        billers["billers"]
            .as_array()
            .unwrap()
            .iter()
            .find(|b| &b["id"] == id)
            .map(|b| b["name"].as_str().unwrap().to_lowercase())
    };
    let user = all[7]["client_user_id"].as_str().unwrap().to_string();
    let cases: Vec<Filters> = vec![
        (Some("user_"), None, None, None),
        (Some("USER_"), None, None, None),
        (Some("electric"), None, None, None),
        (Some("ÉNERGIE"), None, None, None),
        (Some("example"), Some("COMPLETED"), None, None),
        (Some("a"), Some("PENDING"), Some("metro_fiber"), None),
        (None, Some("EXPIRED"), Some("test_electric_company"), None),
        (None, None, Some("summit_mobile"), None),
        (None, None, Some("no_such_biller"), None),
        (None, None, None, Some(user.as_str())),
        (None, None, None, Some("nobody")),
        (Some("<script>"), None, None, None),
        (Some("zzzz-nothing"), None, None, None),
    ];
    for (search, status, biller, client_user) in cases {
        let mut query = String::new();
        let mut add = |k: &str, v: Option<&str>| {
            if let Some(v) = v {
                let v: String = url_encode(v);
                query.push_str(&format!("{k}={v}&"));
            }
        };
        add("search", search);
        add("status", status);
        add("billerId", biller);
        add("clientUserId", client_user);
        let got = env.all_rtls(&query).await;
        let expected: Vec<&Value> = all
            .iter()
            .filter(|r| status.is_none_or(|s| r["status"] == s))
            .filter(|r| biller.is_none_or(|b| r["biller_id"] == b))
            .filter(|r| client_user.is_none_or(|u| r["client_user_id"] == u))
            .filter(|r| {
                search.is_none_or(|s| {
                    let s = s.to_lowercase();
                    r["client_user_id"]
                        .as_str()
                        .unwrap()
                        .to_lowercase()
                        .contains(&s)
                        || biller_name(&r["biller_id"]).is_some_and(|n| n.contains(&s))
                })
            })
            .collect();
        let got_ids: Vec<_> = got.iter().map(key).collect();
        let expected_ids: Vec<_> = expected.iter().map(|r| key(r)).collect();
        assert_eq!(got_ids, expected_ids, "{query}");
        let (_, first) = env
            .biller_get(&format!("/link/request-to-link?{query}"))
            .await;
        assert_eq!(
            first["total"].as_u64().unwrap() as usize,
            expected.len(),
            "{query}"
        );
    }
    // Searches that must find something in the demo data.
    let (_, electric) = env
        .biller_get("/link/request-to-link?search=electric")
        .await;
    assert!(electric["total"].as_u64().unwrap() > 0);
    let (_, upper) = env
        .biller_get("/link/request-to-link?search=ELECTRIC")
        .await;
    assert_eq!(electric["total"], upper["total"]);
    let (_, nordique) = env
        .biller_get("/link/request-to-link?search=%C3%A9nergie")
        .await;
    assert!(nordique["total"].as_u64().unwrap() > 0);
    env.stop().await;
}

#[tokio::test]
async fn search_is_case_insensitive_on_unicode_user_ids() {
    let env = Env::start().await;
    let (status, _) = env
        .biller_send(
            Method::POST,
            "/link/request-to-link/create",
            json!({"clientId": "client_sandbox", "clientUserId": "María.Gómez@Example.com"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED);
    for search in ["maría.gómez", "MARÍA.GÓMEZ@EXAMPLE", "Gómez@ex"] {
        let got = env
            .all_rtls(&format!("search={}", url_encode(search)))
            .await;
        assert!(
            got.iter()
                .any(|r| r["client_user_id"] == "María.Gómez@Example.com"),
            "{search}"
        );
    }
    let exact = env
        .all_rtls(&format!(
            "clientUserId={}",
            url_encode("maría.gómez@example.com")
        ))
        .await;
    assert!(exact.is_empty(), "clientUserId is an exact match");
    env.stop().await;
}

#[tokio::test]
async fn get_one_and_unknown_ids() {
    let env = Env::start().await;
    let (_, list) = env.biller_get("/link/request-to-link?limit=3").await;
    for item in list["items"].as_array().unwrap() {
        let (status, one) = env
            .biller_get(&format!(
                "/link/request-to-link/{}",
                item["id"].as_str().unwrap()
            ))
            .await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(&one, item);
    }
    for id in ["rtl_000000000000", "rtl_nope", "anything"] {
        let (status, body) = env.biller_get(&format!("/link/request-to-link/{id}")).await;
        assert_biller_error(status, &body, 404);
    }
    env.stop().await;
}

#[tokio::test]
async fn billers_are_listed() {
    let env = Env::start().await;
    let (status, body) = env.biller_get("/billers").await;
    assert_eq!(status, StatusCode::OK);
    let billers = body["billers"].as_array().unwrap();
    assert!(billers.len() >= 6);
    assert!(billers
        .iter()
        .any(|b| b["id"] == "test_electric_company" && b["name"] == "Test Electric Company"));
    env.stop().await;
}

pub fn url_encode(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                char::from(b).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}
