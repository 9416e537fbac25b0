//! The local cache over real SQLite files in temporary directories:
//! migrations, query semantics against a plain reference, sorting, export,
//! "Go to ID", records, and recovery from a corrupt file.

use std::path::Path;

use linkdesk::biller::{Biller, RequestToLink, RtlFilter, RtlPage, RtlStatus};
use linkdesk::cache::schema::{migrate_to, LATEST_VERSION};
use linkdesk::cache::{
    collation_key, Cache, CacheError, RecordKind, RtlSort, RtlSortColumn, CHECK_MARKER,
};
use serde_json::json;

mod files;
mod outputs;
mod queries;

const ENV: &str = "env_test";
const STATUSES: [&str; 5] = [
    "PENDING",
    "IN_PROGRESS",
    "COMPLETED",
    "CANCELLED",
    "EXPIRED",
];

fn rtl(
    id: &str,
    user: &str,
    biller: Option<&str>,
    status: &str,
    created: Option<&str>,
) -> RequestToLink {
    RequestToLink {
        id: id.into(),
        client_id: "client_sandbox".into(),
        client_user_id: user.into(),
        biller_id: biller.map(str::to_string),
        status: RtlStatus::parse(status),
        link_token_id: None,
        session_url: None,
        metadata: Some(json!({"source": "test", "n": id.len()})),
        created_at: created.map(str::to_string),
        updated_at: created.map(str::to_string),
    }
}

fn biller(id: &str, name: &str) -> Biller {
    Biller {
        id: id.into(),
        name: name.into(),
        extra: serde_json::Map::new(),
    }
}

fn billers() -> Vec<Biller> {
    vec![
        biller("test_electric_company", "Test Electric Company"),
        biller("city_water", "City Water Utility"),
        biller("straße_gas", "Straßen GAS Werke"),
        biller("istanbul_tel", "İSTANBUL Telekom"),
    ]
}

/// A deterministic mix: shared timestamps (ties broken by id), no timestamp,
/// no biller, a biller that is not cached, and non-ASCII user IDs.
fn dataset() -> Vec<RequestToLink> {
    let users = [
        "user_001",
        "USER_Ünïcode",
        "müller_42",
        "ÅSA",
        "İstanbul_9",
        "plain",
        "user_1001",
        "Straße",
    ];
    let billers = [
        Some("test_electric_company"),
        Some("city_water"),
        Some("straße_gas"),
        Some("istanbul_tel"),
        None,
        Some("uncached_biller"),
    ];
    let mut seed = 42u64;
    let mut next = move || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed
    };
    (0..400)
        .map(|i| {
            let r = next();
            let created = if i % 37 == 0 {
                None
            } else {
                Some(format!(
                    "2026-03-{:02}T10:{:02}:00Z",
                    1 + (r % 28),
                    (r >> 8) % 3
                ))
            };
            rtl(
                &format!("rtl_{:08x}", next() % 0xFFFF_FFFF),
                &format!(
                    "{}{}",
                    users[(r >> 16) as usize % users.len()],
                    if i % 3 == 0 {
                        format!("_{i}")
                    } else {
                        String::new()
                    }
                ),
                billers[(r >> 24) as usize % billers.len()],
                STATUSES[(r >> 32) as usize % 5],
                created.as_deref(),
            )
        })
        .collect()
}

/// The documented semantics, written as plainly as possible.
fn reference(
    all: &[RequestToLink],
    billers: &[Biller],
    f: &RtlFilter,
    page: u32,
    limit: u32,
) -> RtlPage {
    let given = |v: &Option<String>| v.clone().filter(|s| !s.is_empty());
    let mut rows: Vec<RequestToLink> = all
        .iter()
        .filter(|r| given(&f.status).is_none_or(|s| r.status.as_str() == s))
        .filter(|r| given(&f.client_user_id).is_none_or(|u| r.client_user_id == u))
        .filter(|r| given(&f.biller_id).is_none_or(|b| r.biller_id.as_deref() == Some(b.as_str())))
        .filter(|r| {
            given(&f.search).is_none_or(|s| {
                let s = s.to_lowercase();
                let name = r
                    .biller_id
                    .as_ref()
                    .and_then(|b| billers.iter().find(|x| &x.id == b))
                    .map(|b| b.name.to_lowercase());
                r.client_user_id.to_lowercase().contains(&s) || name.is_some_and(|n| n.contains(&s))
            })
        })
        .cloned()
        .collect();
    rows.sort_by(|a, b| {
        let created = match (&a.created_at, &b.created_at) {
            (Some(x), Some(y)) => y.cmp(x),
            (Some(_), None) => std::cmp::Ordering::Less,
            (None, Some(_)) => std::cmp::Ordering::Greater,
            (None, None) => std::cmp::Ordering::Equal,
        };
        created.then_with(|| b.id.cmp(&a.id))
    });
    let total = rows.len() as u64;
    let items = rows
        .into_iter()
        .skip(((page - 1) * limit) as usize)
        .take(limit as usize)
        .collect();
    RtlPage {
        items,
        total,
        page,
        limit,
    }
}

fn filter(search: &str, status: &str, user: &str, biller: &str) -> RtlFilter {
    let opt = |s: &str| {
        if s.is_empty() {
            None
        } else {
            Some(s.to_string())
        }
    };
    RtlFilter {
        search: opt(search),
        status: opt(status),
        client_user_id: opt(user),
        biller_id: opt(biller),
    }
}

fn filter_cases() -> Vec<RtlFilter> {
    let mut cases = vec![
        filter("", "", "", ""),
        filter("user", "", "", ""),
        filter("USER", "", "", ""),
        filter("ü", "", "", ""),
        filter("Ü", "", "", ""),
        filter("straße", "", "", ""),
        filter("STRASSE", "", "", ""),
        filter("i̇stanbul", "", "", ""),
        filter("electric", "", "", ""),
        filter("WATER", "", "", ""),
        filter("gas", "", "", ""),
        filter("_1", "", "", ""),
        filter("zzz-no-match", "", "", ""),
        filter("uncached", "", "", ""),
        filter("user", "PENDING", "", "city_water"),
        filter("", "", "plain", ""),
        filter("", "", "PLAIN", ""),
        filter("", "", "user_001", "test_electric_company"),
        filter("", "", "", "uncached_biller"),
        filter("", "", "", "no_such_biller"),
    ];
    for s in STATUSES {
        cases.push(filter("", s, "", ""));
        cases.push(filter("", s, "", "istanbul_tel"));
    }
    cases
}

fn open(dir: &Path) -> Cache {
    Cache::open(dir).unwrap().0
}

fn assert_matches_reference(cache: &Cache, all: &[RequestToLink]) {
    for f in filter_cases() {
        for (page, limit) in [(1, 20), (2, 20), (1, 1), (3, 7), (1, 100), (50, 100)] {
            let got = cache.query_rtls(ENV, &f, page, limit, None).unwrap();
            let want = reference(all, &billers(), &f, page, limit);
            assert_eq!(got, want, "filter {f:?} page {page} limit {limit}");
        }
    }
}
