//! Migrations, corrupt files, and many threads at once.

use super::*;

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
    assert!(
        !dir.path().join(CHECK_MARKER).exists(),
        "the request to check at start is done with"
    );
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

fn damage_pages(p: &Path) {
    let mut bytes = std::fs::read(p).unwrap();
    for b in bytes.iter_mut().skip(4096 * 2).take(4096 * 3) {
        *b = 0xA5;
    }
    std::fs::write(p, bytes).unwrap();
}

#[test]
fn damaged_pages_are_found_after_start_and_the_file_moved_aside_at_the_next() {
    corrupt_and_reopen(|p| {
        damage_pages(p);
        // Opening reads only the header: the start is not held up by reading
        // every page. The check that runs once the window shows rows finds it.
        let (cache, report) = Cache::open(p.parent().unwrap()).unwrap();
        assert!(report.moved_aside_to.is_none());
        let problem = cache.check_integrity().unwrap();
        assert!(problem.is_some(), "the damage is reported");
        assert!(p.with_file_name(CHECK_MARKER).exists());
    });
}

#[test]
fn a_sound_file_passes_the_check_and_a_leftover_request_is_cleared() {
    let dir = tempfile::tempdir().unwrap();
    let cache = open(dir.path());
    cache.upsert_rtls(ENV, &dataset()).unwrap();
    assert_eq!(cache.check_integrity().unwrap(), None);
    assert!(!dir.path().join(CHECK_MARKER).exists());
    drop(cache);
    // Asked to check at start (say, a check found damage that a later write
    // repaired): checked, kept, and not asked again.
    std::fs::write(dir.path().join(CHECK_MARKER), "asked").unwrap();
    let (cache, report) = Cache::open(dir.path()).unwrap();
    assert!(report.moved_aside_to.is_none());
    assert!(!dir.path().join(CHECK_MARKER).exists());
    assert_eq!(
        cache
            .query_rtls(ENV, &RtlFilter::default(), 1, 20, None)
            .unwrap()
            .total,
        dataset().len() as u64
    );
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
