//! CSV export, "Go to ID", and cached Link Money records with the Recent list.

use super::*;
use linkdesk::export::{write_export, ExportTarget, RTLS_STEM};

/// Exports as the export command does once the save dialog answered `out`.
fn export_to(cache: &Cache, f: &RtlFilter, sort: Option<RtlSort>, out: &Path) -> u64 {
    write_export(&ExportTarget::Chosen(out.to_path_buf()), RTLS_STEM, |w| {
        Ok(cache.export_rtls_csv(ENV, f, sort, w)?.rows)
    })
    .unwrap()
    .rows
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
    let rows = export_to(&cache, &f, None, &out);
    let text = std::fs::read_to_string(&out).unwrap();
    let parsed = parse_csv(&text);
    assert_eq!(parsed[0][0], "id");
    assert_eq!(parsed[0].len(), 12);
    assert_eq!(parsed[0][11], "fetched_at");
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
    assert!(parsed.iter().all(|r| r.len() == 12));

    let sorted = Some(RtlSort {
        column: RtlSortColumn::Id,
        descending: false,
    });
    let all_rows = export_to(&cache, &RtlFilter::default(), sorted, &out);
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
    assert_eq!(found[1].label, "$5.00 USD · PENDING");
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
