//! The cache at 1,000,000 RTLs: ingest rate, file size, and the latency of the
//! list queries the RTL view makes offline. Measures and prints; asserts
//! nothing. Run: `cargo bench --bench cache` (`LINKDESK_BENCH_RTLS=N` for
//! another size).

use std::time::{Duration, Instant};

use linkdesk::biller::{Biller, RequestToLink, RtlFilter};
use linkdesk::cache::{Cache, RtlSort, RtlSortColumn};

const ENV: &str = "env_3f9a1c2b7d4e";
/// RTLs per `upsert_rtls` call (one transaction) during the bulk ingest.
const BATCH: usize = 50_000;
const RUNS: usize = 50;

#[path = "support/rtls.rs"]
mod rtls;
use rtls::{make_rtl, Rng, BILLERS, STATUSES};

fn filter(search: &str, status: &str, user: &str, biller: &str) -> RtlFilter {
    let opt = |s: &str| (!s.is_empty()).then(|| s.to_string());
    RtlFilter {
        search: opt(search),
        status: opt(status),
        client_user_id: opt(user),
        biller_id: opt(biller),
    }
}

/// The process's resident memory (Linux), to show what the index costs.
fn resident_mb() -> Option<f64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmRSS:"))?;
    let kb: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb / 1024.0)
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

/// Runs `f` RUNS times (after one warm-up run) and prints median and p95.
fn measure(name: &str, mut f: impl FnMut(usize) -> u64) {
    f(0);
    let mut times = Vec::with_capacity(RUNS);
    let mut total = 0;
    for run in 0..RUNS {
        let t = Instant::now();
        total = f(run);
        times.push(t.elapsed());
    }
    times.sort();
    let median = times[RUNS / 2];
    let p95 = times[RUNS * 95 / 100];
    println!(
        "{name:<44} median {:>8.2} ms   p95 {:>8.2} ms   (total {total})",
        ms(median),
        ms(p95)
    );
}

fn main() {
    let n: usize = std::env::var("LINKDESK_BENCH_RTLS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1_000_000);
    let Ok(dir) = tempfile::tempdir() else {
        eprintln!("no temporary directory");
        return;
    };
    let Ok((cache, _)) = Cache::open(dir.path()) else {
        eprintln!("the cache could not be opened");
        return;
    };
    println!(
        "Linkdesk cache benchmark: {n} RTLs, {} billers, batches of {BATCH}",
        BILLERS.len()
    );
    let billers: Vec<Biller> = BILLERS
        .iter()
        .map(|(id, name)| Biller {
            id: id.to_string(),
            name: name.to_string(),
            extra: serde_json::Map::new(),
        })
        .collect();
    if let Err(e) = cache.upsert_billers(ENV, &billers) {
        eprintln!("{e}");
        return;
    }

    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    let mut ingest = Duration::ZERO;
    let mut sample_ids = Vec::new();
    for start in (0..n).step_by(BATCH) {
        let batch: Vec<RequestToLink> = (start..(start + BATCH).min(n))
            .map(|i| make_rtl(&mut rng, i, n))
            .collect();
        sample_ids.push(batch[batch.len() / 2].id.clone());
        let t = Instant::now();
        if let Err(e) = cache.upsert_rtls(ENV, &batch) {
            eprintln!("{e}");
            return;
        }
        ingest += t.elapsed();
    }
    println!(
        "ingest: {:.0} RTLs/s ({:.1} s)",
        n as f64 / ingest.as_secs_f64(),
        ingest.as_secs_f64()
    );

    let file = dir.path().join(linkdesk::cache::FILE_NAME);
    if let Ok(conn) = rusqlite::Connection::open(&file) {
        let _ = conn.execute_batch("PRAGMA wal_checkpoint(TRUNCATE)");
        let pages: i64 = conn
            .query_row("PRAGMA page_count", [], |r| r.get(0))
            .unwrap_or(0);
        let size: i64 = conn
            .query_row("PRAGMA page_size", [], |r| r.get(0))
            .unwrap_or(0);
        println!(
            "file: {:.1} MB, {:.0} bytes per RTL (page_count * page_size / n)",
            (pages * size) as f64 / 1e6,
            (pages * size) as f64 / n as f64
        );
    }
    drop(cache);

    let t = Instant::now();
    let Ok((cache, _)) = Cache::open(dir.path()) else {
        eprintln!("the cache could not be reopened");
        return;
    };
    println!(
        "open (header and migrations only): {:.0} ms",
        ms(t.elapsed())
    );
    let t = Instant::now();
    let problem = cache.check_integrity();
    println!(
        "full integrity check (in the background after start-up): {:.0} ms ({problem:?})",
        ms(t.elapsed())
    );
    let rss_before = resident_mb();
    let t = Instant::now();
    let indexed = cache.warm_rtl_index(ENV).unwrap_or(0);
    println!(
        "in-memory index build (first list query): {:.0} ms for {indexed} RTLs",
        ms(t.elapsed())
    );
    if let (Some(before), Some(after)) = (rss_before, resident_mb()) {
        println!("in-memory index: about {:.0} MB resident", after - before);
    }

    let page = |f: RtlFilter, page: u32, limit: u32, sort: Option<RtlSort>| {
        cache
            .query_rtls(ENV, &f, page, limit, sort)
            .map(|p| p.total)
            .unwrap_or(u64::MAX)
    };
    let status = |run: usize| STATUSES[run % 5].as_str().to_string();
    let biller = |run: usize| BILLERS[run % 8].0;
    measure("status filter, page 1 + total", |r| {
        page(filter("", &status(r), "", ""), 1, 20, None)
    });
    measure("biller filter, page 1 + total", |r| {
        page(filter("", "", "", biller(r)), 1, 20, None)
    });
    measure("status + biller filter, page 1 + total", |r| {
        page(filter("", &status(r), "", biller(r)), 1, 20, None)
    });
    measure("status + biller filter, page 50 + total", |r| {
        page(filter("", &status(r), "", biller(r)), 50, 20, None)
    });
    measure("clientUserId filter, page 1 + total", |r| {
        page(
            filter("", "", &format!("user_{}", r * 997), ""),
            1,
            20,
            None,
        )
    });
    measure("search common (\"user_1\"), page 1 + total", |_| {
        page(filter("user_1", "", "", ""), 1, 20, None)
    });
    measure("search rare (\"r_31415\"), page 1 + total", |_| {
        page(filter("r_31415", "", "", ""), 1, 20, None)
    });
    measure("search biller name (\"WATER\"), page 1 + total", |_| {
        page(filter("WATER", "", "", ""), 1, 20, None)
    });
    measure("search + status, page 1 + total", |r| {
        page(filter("user_2", &status(r), "", ""), 1, 20, None)
    });
    measure("no filter, page 1 + total", |_| {
        page(RtlFilter::default(), 1, 20, None)
    });
    measure("no filter, deep page (page n/200, limit 100)", |_| {
        page(RtlFilter::default(), (n / 200).max(1) as u32, 100, None)
    });
    let by_user = Some(RtlSort {
        column: RtlSortColumn::ClientUserId,
        descending: false,
    });
    measure("sort by client user ID, status filter, page 1", |r| {
        page(filter("", &status(r), "", ""), 1, 20, by_user)
    });
    measure("find_by_id prefix (\"rtl_ab\", 10)", |_| {
        cache
            .find_by_id(ENV, "rtl_ab", 10)
            .map(|v| v.len() as u64)
            .unwrap_or(0)
    });
    measure("find_by_id exact", |r| {
        cache
            .find_by_id(ENV, &sample_ids[r % sample_ids.len()], 10)
            .map(|v| v.len() as u64)
            .unwrap_or(0)
    });
    measure("get_rtl", |r| {
        cache
            .get_rtl(ENV, &sample_ids[r % sample_ids.len()])
            .map(|v| v.is_some() as u64)
            .unwrap_or(0)
    });

    // Sync-sized batches of new records while the index is live.
    let mut live = Duration::ZERO;
    for b in 0..100 {
        let batch: Vec<RequestToLink> = (0..100)
            .map(|i| make_rtl(&mut rng, n + b * 100 + i, n))
            .collect();
        let t = Instant::now();
        if let Err(e) = cache.upsert_rtls(ENV, &batch) {
            eprintln!("{e}");
            return;
        }
        live += t.elapsed();
    }
    println!(
        "upsert of 100-RTL pages with the index live: {:.2} ms per page",
        ms(live) / 100.0
    );

    let out = dir.path().join("export.csv");
    let t = Instant::now();
    let written = std::fs::File::create(&out)
        .map_err(Into::into)
        .and_then(|f| {
            let mut w = std::io::BufWriter::new(f);
            cache
                .export_rtls_csv(ENV, &filter("", "COMPLETED", "", ""), None, &mut w)
                .map(|written| written.rows)
        });
    match written {
        Ok(rows) => println!(
            "export CSV, status filter: {rows} rows in {:.0} ms",
            ms(t.elapsed())
        ),
        Err(e) => eprintln!("export failed: {e}"),
    }
}
