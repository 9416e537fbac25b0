//! The list semantics (against a plain reference), upserts, environments and sorting.

use super::*;

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
                    // Names as people read them: accents and case aside.
                    RtlSortColumn::ClientUserId => Some(collation_key(&r.client_user_id)),
                    RtlSortColumn::Biller => r
                        .biller_id
                        .as_ref()
                        .map(|b| collation_key(names.get(b).unwrap_or(b))),
                    RtlSortColumn::Status => Some(r.status.as_str().to_string()),
                    RtlSortColumn::CreatedAt => r.created_at.clone(),
                    RtlSortColumn::UpdatedAt => r.updated_at.clone(),
                }
            };
            let mut want = all.clone();
            want.sort_by(|a, b| {
                // Equal keys: the exact user ID, then the ID.
                let exact = |r: &RequestToLink| match column {
                    RtlSortColumn::ClientUserId => r.client_user_id.clone(),
                    _ => String::new(),
                };
                let o = key(a)
                    .cmp(&key(b))
                    .then_with(|| exact(a).cmp(&exact(b)))
                    .then_with(|| a.id.cmp(&b.id));
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
        .all(|w| collation_key(&w[0].client_user_id) <= collation_key(&w[1].client_user_id)));
    assert!(page.items.iter().all(|r| r.status == RtlStatus::Pending));
}
