//! The local cache over real SQLite files in temporary directories:
//! migrations, query semantics against a plain reference, sorting, export,
//! "Go to ID", records, and recovery from a corrupt file.

use std::path::Path;

use linkdesk::biller::{Biller, RequestToLink, RtlFilter, RtlPage, RtlStatus};
use linkdesk::cache::schema::{migrate_to, LATEST_VERSION};
use linkdesk::cache::{Cache, CacheError, RecordKind, RtlSort, RtlSortColumn};
use serde_json::json;

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

#[test]
fn a_new_file_is_migrated_to_the_latest_version() {
    let dir = tempfile::tempdir().unwrap();
    let (cache, report) = Cache::open(dir.path()).unwrap();
    assert!(report.moved_aside_to.is_none());
    drop(cache);
    let conn = rusqlite::Connection::open(dir.path().join("cache.sqlite")).unwrap();
    let v: u32 = conn
        .query_row("SELECT MAX(version) FROM schema_version", [], |r| r.get(0))
        .unwrap();
    assert_eq!(v, LATEST_VERSION);
    let mode: String = conn
        .query_row("PRAGMA journal_mode", [], |r| r.get(0))
        .unwrap();
    assert_eq!(mode, "wal");
}

#[test]
fn every_earlier_version_migrates_with_its_data() {
    for from in 1..LATEST_VERSION {
        let dir = tempfile::tempdir().unwrap();
        {
            let mut conn = rusqlite::Connection::open(dir.path().join("cache.sqlite")).unwrap();
            assert_eq!(migrate_to(&mut conn, from).unwrap(), from);
            conn.execute(
                "INSERT INTO rtls (env, id, client_id, client_user_id, biller_id, status, metadata, created_at, updated_at, fetched_at)
                 VALUES (?1, 'rtl_old', 'c', 'Old_User', 'city_water', 'PENDING', '{\"k\":1}', '2026-01-01T00:00:00Z', '2026-01-01T00:00:00Z', 1700000000000)",
                [ENV],
            )
            .unwrap();
            conn.execute(
                "INSERT INTO records (env, kind, id, body, fetched_at) VALUES (?1, 'customer', 'cus_old', ?2, 1700000000000)",
                rusqlite::params![ENV, json!({"id": "cus_old", "firstName": "Ada", "lastName": "L", "email": "a@x"}).to_string()],
            )
            .unwrap();
            if from >= 2 {
                conn.execute(
                    "INSERT INTO sync_state (env, phase, next_page, pages_total) VALUES (?1, 'full', 7, 20)",
                    [ENV],
                )
                .unwrap();
            }
        }
        let cache = open(dir.path());
        let old = cache
            .get_rtl(ENV, "rtl_old")
            .unwrap()
            .expect("the RTL survives the migration");
        assert_eq!(old.client_user_id, "Old_User");
        assert_eq!(old.metadata, Some(json!({"k": 1})));
        let page = cache
            .query_rtls(ENV, &filter("old_u", "", "", ""), 1, 20, None)
            .unwrap();
        assert_eq!(page.total, 1, "from version {from}");
        let (body, _) = cache
            .get_record(ENV, RecordKind::Customer, "cus_old")
            .unwrap()
            .unwrap();
        assert_eq!(body["firstName"], "Ada");
        let found = cache.find_by_id(ENV, "cus_o", 10).unwrap();
        assert_eq!(
            found[0].label, "Ada L · a@x",
            "labels are filled in for old records"
        );
        if from >= 2 {
            let state = cache.sync_state(ENV).unwrap().unwrap();
            assert_eq!((state.phase.as_str(), state.next_page), ("full", 7));
        }
    }
}

#[test]
fn queries_follow_the_documented_semantics() {
    let dir = tempfile::tempdir().unwrap();
    let cache = open(dir.path());
    let all = dataset();
    cache.upsert_billers(ENV, &billers()).unwrap();
    cache.upsert_rtls(ENV, &all).unwrap();
    assert_matches_reference(&cache, &all);
}

#[test]
fn the_index_follows_upserts_and_equals_a_rebuild() {
    let dir = tempfile::tempdir().unwrap();
    let cache = open(dir.path());
    let mut all = dataset();
    cache.upsert_billers(ENV, &billers()).unwrap();
    // Built on the first query, then kept current by each later batch.
    cache.upsert_rtls(ENV, &all[..100]).unwrap();
    assert_eq!(
        cache
            .query_rtls(ENV, &RtlFilter::default(), 1, 1, None)
            .unwrap()
            .total,
        100
    );
    for chunk in all[100..].chunks(37) {
        cache.upsert_rtls(ENV, chunk).unwrap();
    }
    for r in all.iter_mut().step_by(5) {
        r.status = RtlStatus::Cancelled;
        r.biller_id = Some("city_water".into());
        r.updated_at = Some("2026-04-01T00:00:00Z".into());
    }
    let changed: Vec<_> = all.iter().step_by(5).cloned().collect();
    cache.upsert_rtls(ENV, &changed).unwrap();
    assert_matches_reference(&cache, &all);
    // A change of creation time moves a record: the index is rebuilt.
    all[3].created_at = Some("2030-01-01T00:00:00Z".into());
    cache.upsert_rtls(ENV, &all[3..4]).unwrap();
    assert_eq!(
        cache
            .query_rtls(ENV, &RtlFilter::default(), 1, 1, None)
            .unwrap()
            .items[0]
            .id,
        all[3].id
    );
    assert_matches_reference(&cache, &all);
    drop(cache);
    assert_matches_reference(&open(dir.path()), &all);
}

#[test]
fn upserts_replace_records_and_environments_never_mix() {
    let dir = tempfile::tempdir().unwrap();
    let cache = open(dir.path());
    let a = rtl(
        "rtl_1",
        "alice",
        Some("city_water"),
        "PENDING",
        Some("2026-01-01T00:00:00Z"),
    );
    cache
        .upsert_rtls("env_a", std::slice::from_ref(&a))
        .unwrap();
    let mut b = a.clone();
    b.client_user_id = "bob".into();
    cache.upsert_rtls("env_b", &[b]).unwrap();
    let mut a2 = a.clone();
    a2.status = RtlStatus::InProgress;
    a2.link_token_id = Some("lt_1".into());
    cache.upsert_rtls("env_a", &[a2.clone()]).unwrap();

    assert_eq!(cache.get_rtl("env_a", "rtl_1").unwrap(), Some(a2));
    assert_eq!(
        cache
            .get_rtl("env_b", "rtl_1")
            .unwrap()
            .unwrap()
            .client_user_id,
        "bob"
    );
    assert_eq!(cache.get_rtl("env_c", "rtl_1").unwrap(), None);
    let search = cache
        .query_rtls("env_a", &filter("bob", "", "", ""), 1, 20, None)
        .unwrap();
    assert_eq!(search.total, 0);
    assert_eq!(
        cache
            .query_rtls("env_a", &RtlFilter::default(), 1, 20, None)
            .unwrap()
            .total,
        1
    );
    assert!(cache.rtls_fetched_at("env_a").unwrap().is_some());
    assert!(cache.rtls_fetched_at("env_c").unwrap().is_none());

    cache.upsert_billers("env_a", &billers()).unwrap();
    assert_eq!(cache.list_billers("env_a").unwrap().len(), 4);
    assert!(cache.list_billers("env_b").unwrap().is_empty());

    cache.clear("env_a").unwrap();
    assert_eq!(cache.get_rtl("env_a", "rtl_1").unwrap(), None);
    assert!(cache.list_billers("env_a").unwrap().is_empty());
    assert!(cache.get_rtl("env_b", "rtl_1").unwrap().is_some());
    assert_eq!(
        cache
            .query_rtls("env_a", &RtlFilter::default(), 1, 20, None)
            .unwrap()
            .total,
        0
    );
}

#[test]
fn invalid_paging_and_statuses_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let cache = open(dir.path());
    for (f, page, limit) in [
        (filter("", "ON_HOLD", "", ""), 1, 20),
        (filter("", "pending", "", ""), 1, 20),
        (RtlFilter::default(), 0, 20),
        (RtlFilter::default(), 1, 0),
        (RtlFilter::default(), 1, 101),
    ] {
        let err = cache.query_rtls(ENV, &f, page, limit, None).unwrap_err();
        assert!(
            matches!(err, CacheError::Data(_)),
            "{f:?} {page} {limit}: {err}"
        );
    }
}

#[test]
fn hostile_strings_are_stored_and_returned_verbatim() {
    let dir = tempfile::tempdir().unwrap();
    let cache = open(dir.path());
    let hostile = [
        "'; DROP TABLE rtls; --",
        "=HYPERLINK(\"http://x\")",
        "line\nbreak\r\n\"quoted\"",
        "%_\\ like wildcards",
        "emoji 🦀 and \u{202E}rtl override",
        "<script>alert(1)</script>",
        "tab\tand nul\0inside",
    ];
    let rows: Vec<RequestToLink> = hostile
        .iter()
        .enumerate()
        .map(|(i, s)| {
            let mut r = rtl(
                &format!("rtl_h{i}"),
                s,
                Some(s),
                s,
                Some("2026-01-01T00:00:00Z"),
            );
            r.metadata = Some(json!({ *s: s }));
            r.session_url = Some(s.to_string());
            r
        })
        .collect();
    cache.upsert_rtls(ENV, &rows).unwrap();
    for r in &rows {
        assert_eq!(cache.get_rtl(ENV, &r.id).unwrap().as_ref(), Some(r));
    }
    let page = cache
        .query_rtls(ENV, &filter("%_\\", "", "", ""), 1, 20, None)
        .unwrap();
    assert_eq!(page.items, vec![rows[3].clone()]);
    let exact = cache
        .query_rtls(ENV, &filter("", "", hostile[6], ""), 1, 20, None)
        .unwrap();
    assert_eq!(exact.items, vec![rows[6].clone()]);
}

#[test]
fn any_column_sorts_both_ways_with_ties_broken_by_id() {
    let dir = tempfile::tempdir().unwrap();
    let cache = open(dir.path());
    let all = dataset();
    cache.upsert_billers(ENV, &billers()).unwrap();
    cache.upsert_rtls(ENV, &all).unwrap();
    let names: std::collections::HashMap<String, String> = billers()
        .into_iter()
        .map(|b| (b.id, b.name.to_lowercase()))
        .collect();
    let columns = [
        RtlSortColumn::Id,
        RtlSortColumn::ClientUserId,
        RtlSortColumn::Biller,
        RtlSortColumn::Status,
        RtlSortColumn::CreatedAt,
        RtlSortColumn::UpdatedAt,
    ];
    for column in columns {
        for descending in [false, true] {
            let sort = RtlSort { column, descending };
            let f = filter("", "", "", "");
            let mut got = Vec::new();
            for page in 1..=4 {
                got.extend(
                    cache
                        .query_rtls(ENV, &f, page, 100, Some(sort))
                        .unwrap()
                        .items,
                );
            }
            let key = |r: &RequestToLink| -> Option<String> {
                match column {
                    RtlSortColumn::Id => Some(String::new()),
                    RtlSortColumn::ClientUserId => Some(r.client_user_id.clone()),
                    RtlSortColumn::Biller => r
                        .biller_id
                        .as_ref()
                        .map(|b| names.get(b).cloned().unwrap_or(b.clone())),
                    RtlSortColumn::Status => Some(r.status.as_str().to_string()),
                    RtlSortColumn::CreatedAt => r.created_at.clone(),
                    RtlSortColumn::UpdatedAt => r.updated_at.clone(),
                }
            };
            let mut want = all.clone();
            want.sort_by(|a, b| {
                let o = key(a).cmp(&key(b)).then_with(|| a.id.cmp(&b.id));
                if descending {
                    o.reverse()
                } else {
                    o
                }
            });
            let ids = |v: &[RequestToLink]| v.iter().map(|r| r.id.clone()).collect::<Vec<_>>();
            assert_eq!(ids(&got), ids(&want), "{sort:?}");
        }
    }
    // A sort applies to the filtered list too.
    let sort = Some(RtlSort {
        column: RtlSortColumn::ClientUserId,
        descending: false,
    });
    let page = cache
        .query_rtls(ENV, &filter("user", "PENDING", "", ""), 1, 100, sort)
        .unwrap();
    assert!(page
        .items
        .windows(2)
        .all(|w| w[0].client_user_id <= w[1].client_user_id));
    assert!(page.items.iter().all(|r| r.status == RtlStatus::Pending));
}

/// A small RFC 4180 reader, enough to read the export back.
fn parse_csv(text: &str) -> Vec<Vec<String>> {
    let mut rows = Vec::new();
    let mut row = Vec::new();
    let mut field = String::new();
    let mut quoted = false;
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match (quoted, c) {
            (true, '"') if chars.peek() == Some(&'"') => {
                chars.next();
                field.push('"');
            }
            (true, '"') => quoted = false,
            (true, c) => field.push(c),
            (false, '"') => quoted = true,
            (false, ',') => row.push(std::mem::take(&mut field)),
            (false, '\r') if chars.peek() == Some(&'\n') => {
                chars.next();
                row.push(std::mem::take(&mut field));
                rows.push(std::mem::take(&mut row));
            }
            (false, c) => field.push(c),
        }
    }
    rows
}

#[test]
fn export_writes_every_filtered_row_quoted_and_guarded() {
    let dir = tempfile::tempdir().unwrap();
    let cache = open(dir.path());
    let all = dataset();
    cache.upsert_billers(ENV, &billers()).unwrap();
    cache.upsert_rtls(ENV, &all).unwrap();
    let mut nasty = rtl(
        "rtl_nasty",
        "=cmd|' /C calc'!A0",
        Some("city_water"),
        "PENDING",
        Some("2027-01-01T00:00:00Z"),
    );
    nasty.metadata = Some(json!({"note": "a, \"b\"\nc"}));
    nasty.session_url = Some("-2+3".into());
    cache.upsert_rtls(ENV, &[nasty]).unwrap();

    let out = dir.path().join("export.csv");
    let f = filter("", "PENDING", "", "");
    let rows = cache.export_rtls_csv(ENV, &f, None, &out).unwrap();
    let text = std::fs::read_to_string(&out).unwrap();
    let parsed = parse_csv(&text);
    assert_eq!(parsed[0][0], "id");
    assert_eq!(parsed[0].len(), 11);
    let page = cache.query_rtls(ENV, &f, 1, 100, None).unwrap();
    assert_eq!(rows, page.total);
    assert_eq!(
        parsed.len() as u64,
        rows + 1,
        "a header and every row, not a page"
    );
    let ids: Vec<&str> = parsed[1..].iter().map(|r| r[0].as_str()).collect();
    let want: Vec<&str> = page.items.iter().map(|r| r.id.as_str()).collect();
    assert_eq!(&ids[..want.len()], &want[..], "in the list's order");

    let first = &parsed[1];
    assert_eq!(first[0], "rtl_nasty");
    assert_eq!(first[2], "'=cmd|' /C calc'!A0");
    assert_eq!(first[4], "City Water Utility");
    assert_eq!(first[7], "'-2+3");
    assert_eq!(
        serde_json::from_str::<serde_json::Value>(&first[8]).unwrap(),
        json!({"note": "a, \"b\"\nc"})
    );
    assert!(parsed.iter().all(|r| r.len() == 11));

    let sorted = Some(RtlSort {
        column: RtlSortColumn::Id,
        descending: false,
    });
    let all_rows = cache
        .export_rtls_csv(ENV, &RtlFilter::default(), sorted, &out)
        .unwrap();
    assert_eq!(all_rows, all.len() as u64 + 1);
    let parsed = parse_csv(&std::fs::read_to_string(&out).unwrap());
    assert!(parsed[1..].windows(2).all(|w| w[0][0] < w[1][0]));
    assert!(!dir.path().join("export.csv.partial").exists());
}

#[test]
fn go_to_id_finds_any_kind_by_id_or_prefix() {
    let dir = tempfile::tempdir().unwrap();
    let cache = open(dir.path());
    cache
        .upsert_rtls(
            ENV,
            &[
                rtl("abc", "u1", None, "PENDING", None),
                rtl("abc123", "u2", None, "COMPLETED", None),
                rtl("abd", "u3", None, "PENDING", None),
            ],
        )
        .unwrap();
    cache
        .upsert_billers(ENV, &[biller("abc_biller", "ABC Power")])
        .unwrap();
    cache
        .upsert_record(
            ENV,
            RecordKind::Customer,
            "abc_cus",
            &json!({"firstName": "Ada", "lastName": "L"}),
        )
        .unwrap();
    cache
        .upsert_record(
            ENV,
            RecordKind::Transaction,
            "abc",
            &json!({"amount": {"value": 5, "currency": "USD"}, "transactionStatus": "PENDING"}),
        )
        .unwrap();
    cache
        .upsert_record(ENV, RecordKind::Payout, "zzz", &json!({}))
        .unwrap();
    cache
        .upsert_rtls("other_env", &[rtl("abc_other", "u", None, "PENDING", None)])
        .unwrap();

    let found = cache.find_by_id(ENV, "abc", 10).unwrap();
    let got: Vec<(&str, &str)> = found
        .iter()
        .map(|f| (f.kind.as_str(), f.id.as_str()))
        .collect();
    assert_eq!(
        got,
        vec![
            ("rtl", "abc"),
            ("transaction", "abc"),
            ("rtl", "abc123"),
            ("biller", "abc_biller"),
            ("customer", "abc_cus")
        ]
    );
    assert_eq!(found[0].label, "u1 · PENDING");
    assert_eq!(found[1].label, "5 USD · PENDING");
    assert_eq!(found[3].label, "ABC Power");
    assert_eq!(cache.find_by_id(ENV, " abd ", 10).unwrap()[0].id, "abd");
    assert_eq!(cache.find_by_id(ENV, "abc", 2).unwrap().len(), 2);
    assert!(cache.find_by_id(ENV, "", 10).unwrap().is_empty());
    assert!(cache.find_by_id(ENV, "nothing", 10).unwrap().is_empty());
}

#[test]
fn records_and_recent_lookups_round_trip() {
    let dir = tempfile::tempdir().unwrap();
    let cache = open(dir.path());
    let body = json!({"id": "cus_1", "firstName": "Zoë", "accounts": [1, 2]});
    cache
        .upsert_record(ENV, RecordKind::Customer, "cus_1", &body)
        .unwrap();
    let (got, at) = cache
        .get_record(ENV, RecordKind::Customer, "cus_1")
        .unwrap()
        .unwrap();
    assert_eq!(got, body);
    assert!(chrono::DateTime::parse_from_rfc3339(&at).is_ok());
    assert!(cache
        .get_record(ENV, RecordKind::Payout, "cus_1")
        .unwrap()
        .is_none());
    assert!(cache
        .get_record("other", RecordKind::Customer, "cus_1")
        .unwrap()
        .is_none());

    for i in 0..120 {
        cache
            .record_lookup(ENV, "rtl", &format!("rtl_{i}"), "label")
            .unwrap();
    }
    cache
        .record_lookup(ENV, "customer", "cus_1", "Zoë")
        .unwrap();
    cache.record_lookup(ENV, "rtl", "rtl_5", "again").unwrap();
    let recent = cache.recent_lookups(ENV, 3).unwrap();
    assert_eq!(recent.len(), 3);
    assert!(recent.iter().any(|l| l.id == "rtl_5" && l.label == "again"));
    assert!(recent.iter().any(|l| l.id == "cus_1"));
    assert!(cache.recent_lookups(ENV, 1000).unwrap().len() <= 100);
    assert!(cache.recent_lookups("other", 10).unwrap().is_empty());
}

fn corrupt_and_reopen(write: impl Fn(&Path)) {
    let dir = tempfile::tempdir().unwrap();
    // Other app data beside the cache must survive the recovery untouched.
    let settings = dir.path().join("environments.json");
    std::fs::write(&settings, "{\"keep\": true}").unwrap();
    {
        let cache = open(dir.path());
        cache.upsert_rtls(ENV, &dataset()).unwrap();
    }
    write(&dir.path().join("cache.sqlite"));
    let (cache, report) = Cache::open(dir.path()).unwrap();
    let moved = report.moved_aside_to.expect("the bad file is moved aside");
    assert!(moved.exists());
    assert!(moved
        .file_name()
        .unwrap()
        .to_string_lossy()
        .starts_with("cache.sqlite.corrupt-"));
    assert!(report.reason.is_some());
    assert_eq!(
        std::fs::read_to_string(&settings).unwrap(),
        "{\"keep\": true}"
    );
    let fresh = rtl("rtl_new", "u", None, "PENDING", None);
    cache
        .upsert_rtls(ENV, std::slice::from_ref(&fresh))
        .unwrap();
    assert_eq!(cache.get_rtl(ENV, "rtl_new").unwrap(), Some(fresh));
    assert_eq!(
        cache
            .query_rtls(ENV, &RtlFilter::default(), 1, 20, None)
            .unwrap()
            .total,
        1
    );
}

#[test]
fn a_garbage_file_is_moved_aside() {
    corrupt_and_reopen(|p| {
        std::fs::write(p, b"this is not a database, just some bytes ".repeat(200)).unwrap()
    });
}

#[test]
fn a_truncated_file_is_moved_aside() {
    corrupt_and_reopen(|p| {
        let bytes = std::fs::read(p).unwrap();
        std::fs::write(p, &bytes[..bytes.len() / 2]).unwrap();
    });
}

#[test]
fn a_file_with_damaged_pages_is_moved_aside() {
    corrupt_and_reopen(|p| {
        let mut bytes = std::fs::read(p).unwrap();
        for b in bytes.iter_mut().skip(4096 * 2).take(4096 * 3) {
            *b = 0xA5;
        }
        std::fs::write(p, bytes).unwrap();
    });
}

#[test]
fn an_empty_file_becomes_a_fresh_cache() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("cache.sqlite"), b"").unwrap();
    let (cache, _) = Cache::open(dir.path()).unwrap();
    cache.upsert_rtls(ENV, &dataset()[..3]).unwrap();
    assert_eq!(
        cache
            .query_rtls(ENV, &RtlFilter::default(), 1, 20, None)
            .unwrap()
            .total,
        3
    );
}

#[test]
fn reads_and_writes_from_many_threads() {
    let dir = tempfile::tempdir().unwrap();
    let cache = open(dir.path());
    let all = dataset();
    cache.upsert_billers(ENV, &billers()).unwrap();
    let handles: Vec<_> = (0..4)
        .map(|t| {
            let cache = cache.clone();
            let rows = all.clone();
            std::thread::spawn(move || {
                for chunk in rows.chunks(50).skip(t).step_by(4) {
                    cache.upsert_rtls(ENV, chunk).unwrap();
                    cache
                        .query_rtls(ENV, &filter("user", "", "", ""), 1, 20, None)
                        .unwrap();
                }
            })
        })
        .collect();
    for h in handles {
        h.join().unwrap();
    }
    assert_matches_reference(&cache, &all);
}
