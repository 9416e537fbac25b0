//! How fast the filtered request-to-link list answers over a million records,
//! over real HTTP. Measures and prints; asserts nothing.
//!
//! cargo bench -p linkdesk-sandbox --bench rtl_list

use std::time::{Duration, Instant};

use linkdesk_sandbox::Options;

const RECORDS: usize = 1_000_000;
const WARMUP: usize = 3;
const SAMPLES: usize = 30;

fn main() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("a tokio runtime");
    runtime.block_on(run());
}

async fn run() {
    let options = Options {
        rtls: RECORDS,
        no_rate_limit: true,
        anchor_date: "2026-04-01".parse().ok(),
        ..Options::default()
    };
    let seed = options.seed;
    let started = Instant::now();
    let sandbox = linkdesk_sandbox::start(options)
        .await
        .expect("sandbox starts");
    let generation = started.elapsed();
    println!(
        "sandbox with {RECORDS} RTLs (seed {seed}) ready in {:.2} s",
        generation.as_secs_f64()
    );
    if let Some(rss) = resident_memory() {
        println!("resident memory after start: {rss}");
    }

    let http = reqwest::Client::new();
    let get = |query: String| {
        let request = http
            .get(format!("{}/link/request-to-link?{query}", sandbox.url()))
            .header("X-Client-ID", "client_sandbox")
            .header("X-Client-Secret", "bb_test_sandbox_secret");
        async move {
            let response = request.send().await.expect("answer");
            let body: serde_json::Value = response.json().await.expect("json");
            body
        }
    };
    let first = get("limit=1".into()).await;
    let user = first["items"][0]["client_user_id"]
        .as_str()
        .unwrap_or("user_1000")
        .to_string();
    let cases: Vec<(&str, String)> = vec![
        ("unfiltered, page 1", String::new()),
        ("status=PENDING", "status=PENDING".into()),
        (
            "billerId=test_electric_company",
            "billerId=test_electric_company".into(),
        ),
        (
            "status + billerId",
            "status=COMPLETED&billerId=metro_fiber".into(),
        ),
        ("clientUserId", format!("clientUserId={}", encode(&user))),
        ("search 'user_' (common)", "search=user_".into()),
        ("search 'electric' (biller name)", "search=electric".into()),
        (
            "search a user id (rare)",
            format!("search={}", encode(&user)),
        ),
        ("search 'zzzz' (no match)", "search=zzzz".into()),
        (
            "search + status + billerId",
            "search=acct&status=PENDING&billerId=summit_mobile".into(),
        ),
        ("page 5000, unfiltered", "page=5000".into()),
        (
            "page 5000, status=COMPLETED",
            "page=5000&status=COMPLETED".into(),
        ),
        ("page 5000, search 'user_'", "page=5000&search=user_".into()),
    ];

    println!();
    println!(
        "{:<34} {:>9} {:>11} {:>11}",
        "query", "total", "median ms", "p95 ms"
    );
    for (name, query) in cases {
        let mut total = 0;
        for _ in 0..WARMUP {
            total = get(query.clone()).await["total"].as_u64().unwrap_or(0);
        }
        let mut times: Vec<Duration> = Vec::with_capacity(SAMPLES);
        for _ in 0..SAMPLES {
            let t = Instant::now();
            get(query.clone()).await;
            times.push(t.elapsed());
        }
        times.sort();
        let ms = |d: Duration| d.as_secs_f64() * 1000.0;
        let median = times[SAMPLES / 2];
        let p95 = times[(SAMPLES * 95).div_ceil(100) - 1];
        println!(
            "{name:<34} {total:>9} {:>11.2} {:>11.2}",
            ms(median),
            ms(p95)
        );
    }
    sandbox.stop().await;
}

fn encode(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' => {
                char::from(b).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

fn resident_memory() -> Option<String> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmRSS:"))?;
    Some(line.trim_start_matches("VmRSS:").trim().to_string())
}
