//! Start-up as a person sees it: pixels on the X display. Launches the release
//! build of Linkdesk (embedded sandbox, empty cache), the reference empty
//! Tauri 2 window (`benches/empty-window`) twice — once told what Linkdesk
//! tells WebKit on this machine (`linkdesk::NO_GPU_WEBKIT` without a GPU) and
//! shown as Linkdesk shows its window, once as Tauri's default window with
//! WebKit's defaults — and Linkdesk again with a big cache, in
//! turn, RUNS times each, and prints for each: launch to first rows painted,
//! CPU-seconds of the whole process tree in the 5 s after, its PSS then, and
//! what the cached RTLs cost in memory once the in-memory index is built.
//! Meanwhile a sync runs against its own sandbox for SYNC_SECS and its share
//! of the link-operation budget is printed at the end.
//!
//! Run through `bash scripts/bench-startup.sh`, which builds the release
//! binaries and starts Xvfb. Measures and prints; asserts nothing.
//! `LINKDESK_BIN=path` measures that Linkdesk binary instead of the release
//! build (e.g. an older commit's, for a before/after).
//!
//! How "painted" is detected: every few ms the whole X screen is read
//! (GetImage on the root window) and its pixels compared with the background
//! colours of the status badges (light and dark theme). Nothing else in
//! Linkdesk's window uses them, and a badge is drawn in the same frame as the
//! text of its row, so the first frame holding one badge's worth of them
//! (`MIN_PIXELS`) is the first frame with a row on screen. The reference page
//! is a single badge-coloured line of text, detected the same way.

use std::collections::HashMap;
use std::io::Write;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use x11rb::connection::Connection;
use x11rb::protocol::xproto::{
    AtomEnum, ClientMessageEvent, ConnectionExt, EventMask, ImageFormat, MapState, Window,
};
use x11rb::rust_connection::RustConnection;

#[path = "support/rtls.rs"]
mod rtls;

/// Badge backgrounds of Linkdesk's RTL rows (ui/css/app.css), light then dark.
const BADGE_COLOURS: [u32; 10] = [
    0xfff1d6, 0xdde8ff, 0xdcf5e5, 0xe8eaee, 0xfbe3e3, 0x3a2b10, 0x1b2a4a, 0x15301f, 0x2a2e36,
    0x3b1d1d,
];
/// About a fifth of one badge: anti-aliased edges never add up to this.
const MIN_PIXELS: usize = 200;
/// One display frame. Each look reads the whole screen (5 MB at 1440x900)
/// through the X server; looking more often took CPU from the window being
/// measured on a 2-core machine and made every start-up slower than it is.
const POLL: Duration = Duration::from_millis(16);
const PAINT_TIMEOUT: Duration = Duration::from_secs(40);
/// The window after first rows in which CPU is counted.
const IDLE_WINDOW: Duration = Duration::from_secs(5);
const ENV: &str = linkdesk::app::EMBEDDED_ENV_ID;

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Variant {
    Linkdesk,
    Empty,
    EmptyDefaults,
    BigCache,
}

impl Variant {
    fn label(self) -> &'static str {
        match self {
            Variant::Linkdesk => "Linkdesk, empty cache",
            Variant::Empty => "empty window, as Linkdesk",
            Variant::EmptyDefaults => "empty window, defaults",
            Variant::BigCache => "Linkdesk, big cache",
        }
    }
}

#[derive(Default, Debug)]
struct Sample {
    paint_ms: f64,
    cpu_s: f64,
    pss_mb: f64,
    /// PSS growth while the in-memory index was built, and its size.
    index: Option<(f64, u64)>,
    /// Linkdesk's own log line: first rows painted N ms after `run()`
    /// began (two animation frames after the rows were put in the page).
    logged_ms: Option<f64>,
}

struct Screen {
    conn: RustConnection,
    root: Window,
    width: u16,
    height: u16,
}

impl Screen {
    fn open() -> Screen {
        let (conn, n) = x11rb::connect(None).expect("no X display: run under Xvfb (DISPLAY)");
        let s = &conn.setup().roots[n];
        let (root, width, height) = (s.root, s.width_in_pixels, s.height_in_pixels);
        Screen {
            conn,
            root,
            width,
            height,
        }
    }

    /// Pixels of a badge colour on the whole screen, counted up to
    /// `MIN_PIXELS` (enough to say a badge is drawn).
    fn badge_pixels(&self) -> usize {
        let Ok(reply) = self
            .conn
            .get_image(
                ImageFormat::Z_PIXMAP,
                self.root,
                0,
                0,
                self.width,
                self.height,
                !0,
            )
            .map_err(|e| e.to_string())
            .and_then(|c| c.reply().map_err(|e| e.to_string()))
        else {
            return 0;
        };
        reply
            .data
            .chunks_exact(4)
            .filter(|p| {
                let rgb = u32::from_le_bytes([p[0], p[1], p[2], 0]);
                BADGE_COLOURS.contains(&rgb)
            })
            .take(MIN_PIXELS)
            .count()
    }

    /// Asks every mapped top-level window to close, as a window manager's
    /// close button does: the apps exit cleanly.
    fn close_windows(&self) {
        let atom = |name: &[u8]| {
            self.conn
                .intern_atom(false, name)
                .ok()
                .and_then(|c| c.reply().ok())
                .map(|r| r.atom)
        };
        let (Some(protocols), Some(delete)) = (atom(b"WM_PROTOCOLS"), atom(b"WM_DELETE_WINDOW"))
        else {
            return;
        };
        let Some(tree) = self
            .conn
            .query_tree(self.root)
            .ok()
            .and_then(|c| c.reply().ok())
        else {
            return;
        };
        for w in tree.children {
            let mapped = self
                .conn
                .get_window_attributes(w)
                .ok()
                .and_then(|c| c.reply().ok())
                .is_some_and(|a| a.map_state == MapState::VIEWABLE);
            if !mapped {
                continue;
            }
            let event = ClientMessageEvent::new(32, w, protocols, [delete, 0, 0, 0, 0]);
            let _ = x11rb::protocol::xproto::send_event(
                &self.conn,
                false,
                w,
                EventMask::NO_EVENT,
                event,
            );
        }
        let _ = self.conn.flush();
        let _ = AtomEnum::NONE;
    }
}

/// utime + stime (in ticks) and the parent of every process.
fn processes() -> HashMap<u32, (u32, u64)> {
    let mut out = HashMap::new();
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return out;
    };
    for e in entries.flatten() {
        let Some(pid) = e.file_name().to_str().and_then(|s| s.parse::<u32>().ok()) else {
            continue;
        };
        let Ok(stat) = std::fs::read_to_string(format!("/proc/{pid}/stat")) else {
            continue;
        };
        let Some(rest) = stat.rsplit_once(')').map(|(_, r)| r) else {
            continue;
        };
        let f: Vec<&str> = rest.split_whitespace().collect();
        if f.len() < 13 {
            continue;
        }
        let ppid = f[1].parse().unwrap_or(0);
        let ticks = f[11].parse::<u64>().unwrap_or(0) + f[12].parse::<u64>().unwrap_or(0);
        out.insert(pid, (ppid, ticks));
    }
    out
}

/// The process and all its descendants, with their CPU ticks.
fn tree(root: u32) -> HashMap<u32, u64> {
    let all = processes();
    let mut out = HashMap::new();
    let mut todo = vec![root];
    while let Some(p) = todo.pop() {
        if let Some((_, ticks)) = all.get(&p) {
            out.insert(p, *ticks);
        }
        todo.extend(
            all.iter()
                .filter(|(_, (ppid, _))| *ppid == p)
                .map(|(pid, _)| *pid),
        );
    }
    out
}

fn pss_mb(root: u32) -> f64 {
    let kb: u64 = tree(root)
        .keys()
        .filter_map(|pid| std::fs::read_to_string(format!("/proc/{pid}/smaps_rollup")).ok())
        .filter_map(|s| {
            s.lines()
                .find(|l| l.starts_with("Pss:"))
                .and_then(|l| l.split_whitespace().nth(1)?.parse::<u64>().ok())
        })
        .sum();
    kb as f64 / 1024.0
}

/// The app's log files under `dir/logs` (one a day), in name order.
fn app_log(dir: &Path) -> String {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir.join("logs"))
        .map(|d| d.flatten().map(|e| e.path()).collect())
        .unwrap_or_default();
    files.sort();
    files
        .iter()
        .filter_map(|f| std::fs::read_to_string(f).ok())
        .collect()
}

fn clock_ticks() -> f64 {
    Command::new("getconf")
        .arg("CLK_TCK")
        .output()
        .ok()
        .and_then(|o| String::from_utf8(o.stdout).ok())
        .and_then(|s| s.trim().parse().ok())
        .unwrap_or(100.0)
}

struct Bench {
    screen: Screen,
    root: PathBuf,
    ticks_per_s: f64,
    big_cache: PathBuf,
    big_n: u64,
}

impl Bench {
    /// The release binaries; `LINKDESK_BIN` measures another Linkdesk build
    /// (an older one, say) against the same reference.
    fn binary(&self, v: Variant) -> PathBuf {
        match v {
            Variant::Empty | Variant::EmptyDefaults => {
                self.root.join("target/release/linkdesk-empty-window")
            }
            _ => std::env::var_os("LINKDESK_BIN")
                .map(PathBuf::from)
                .unwrap_or_else(|| self.root.join("target/release/linkdesk")),
        }
    }

    /// A fresh data directory; the big cache is hard-linked into it.
    fn data_dir(&self, v: Variant, run: usize) -> PathBuf {
        let dir = self
            .root
            .join(format!("target/bench-startup/run-{run}-{v:?}"));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("data directory");
        if v == Variant::BigCache {
            std::fs::hard_link(
                self.big_cache.join(linkdesk::cache::FILE_NAME),
                dir.join(linkdesk::cache::FILE_NAME),
            )
            .expect("link the big cache");
        }
        dir
    }

    fn launch(&self, v: Variant, dir: &Path) -> Child {
        let log = std::fs::File::create(dir.join("out.log")).expect("log file");
        let mut cmd = Command::new("dbus-run-session");
        // Linkdesk tells WebKit `NO_GPU_WEBKIT` itself without a GPU, and
        // shows its window once the page has loaded. The reference is
        // measured both ways: told and shown the same, so that the comparison
        // is of what Linkdesk adds, and as Tauri's default window with
        // WebKit's defaults, so that those choices cannot flatter Linkdesk.
        for (var, value) in linkdesk::NO_GPU_WEBKIT {
            if v == Variant::Empty && !linkdesk::has_gpu() {
                cmd.env(var, value);
            } else {
                cmd.env_remove(var);
            }
        }
        if v == Variant::Empty {
            cmd.env("LINKDESK_BENCH_SHOW_WHEN_LOADED", "1");
        } else {
            cmd.env_remove("LINKDESK_BENCH_SHOW_WHEN_LOADED");
        }
        cmd.arg("--")
            .arg(self.binary(v))
            .env("LINKDESK_DATA_DIR", dir)
            .env_remove("LINKDESK_BILLER_URL")
            .env_remove("LINKDESK_LINKMONEY_URL")
            .env_remove("LINKDESK_SANDBOX_OPTS")
            .stdin(Stdio::null())
            .stdout(log.try_clone().expect("log file"))
            .stderr(log)
            .process_group(0);
        cmd.spawn()
            .expect("dbus-run-session (apt-get install dbus)")
    }

    fn stop(&self, child: &mut Child) {
        self.screen.close_windows();
        let deadline = Instant::now() + Duration::from_secs(8);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = child.try_wait() {
                break;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        if !matches!(child.try_wait(), Ok(Some(_))) {
            eprintln!("  (did not close within 8 s: killed)");
        }
        // dbus-daemon and anything else left in the group.
        let group = format!("-{}", child.id());
        let _ = Command::new("kill").args(["-KILL", "--", &group]).status();
        let _ = child.wait();
        let deadline = Instant::now() + Duration::from_secs(3);
        while self.screen.badge_pixels() >= MIN_PIXELS && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    fn run_once(&self, v: Variant, run: usize) -> Option<Sample> {
        let dir = self.data_dir(v, run);
        // Nothing of an earlier window may be taken for this one's paint.
        let deadline = Instant::now() + Duration::from_secs(10);
        while self.screen.badge_pixels() >= MIN_PIXELS {
            if Instant::now() > deadline {
                eprintln!("  the screen still shows badge colours: run skipped");
                return None;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let started = Instant::now();
        let mut child = self.launch(v, &dir);
        let pid = child.id();
        let mut painted = None;
        while started.elapsed() < PAINT_TIMEOUT {
            if self.screen.badge_pixels() >= MIN_PIXELS {
                painted = Some(started.elapsed());
                break;
            }
            if let Ok(Some(_)) = child.try_wait() {
                break;
            }
            std::thread::sleep(POLL);
        }
        let Some(painted) = painted else {
            eprintln!(
                "  {}: nothing painted; see {}",
                v.label(),
                self.keep_log(&dir)
            );
            self.stop(&mut child);
            return None;
        };
        let before = tree(pid);
        // With a big cache the app starts building its index after the first
        // rows: its PSS is read as soon as the log says so.
        let mut pss_before_index = None;
        while started.elapsed() < painted + IDLE_WINDOW {
            if v == Variant::BigCache
                && pss_before_index.is_none()
                && app_log(&dir).contains("building the in-memory RTL index")
            {
                pss_before_index = Some(pss_mb(pid));
            }
            std::thread::sleep(Duration::from_millis(10));
        }
        let after = tree(pid);
        if after.len() < 2 {
            eprintln!(
                "  {}: the app ended within 5 s of painting; see {}",
                v.label(),
                self.keep_log(&dir)
            );
            self.stop(&mut child);
            return None;
        }
        let ticks: u64 = after
            .iter()
            .map(|(p, t)| t.saturating_sub(before.get(p).copied().unwrap_or(0)))
            .sum();
        let mut sample = Sample {
            paint_ms: painted.as_secs_f64() * 1000.0,
            cpu_s: ticks as f64 / self.ticks_per_s,
            pss_mb: pss_mb(pid),
            index: None,
            logged_ms: None,
        };
        if v == Variant::BigCache {
            sample.index = self.index_growth(pid, &dir, pss_before_index);
        }
        sample.logged_ms = app_log(&dir).lines().find_map(|l| {
            l.split("first rows painted ")
                .nth(1)?
                .split(' ')
                .next()?
                .parse()
                .ok()
        });
        self.stop(&mut child);
        let _ = std::fs::remove_dir_all(&dir);
        Some(sample)
    }

    /// Keeps a failed run's output beside the others, for reading.
    fn keep_log(&self, dir: &Path) -> String {
        let kept = dir.with_extension("failed.log");
        let mut text = std::fs::read_to_string(dir.join("out.log")).unwrap_or_default();
        text += &app_log(dir);
        let _ = std::fs::write(&kept, text);
        kept.display().to_string()
    }

    /// PSS growth from when the app logged that it starts building the index
    /// to when it is built, and the RTLs indexed.
    fn index_growth(&self, pid: u32, dir: &Path, mut before: Option<f64>) -> Option<(f64, u64)> {
        let deadline = Instant::now() + Duration::from_secs(60);
        while Instant::now() < deadline {
            let text = app_log(dir);
            if before.is_none() && text.contains("building the in-memory RTL index") {
                before = Some(pss_mb(pid));
            }
            if let Some(line) = text
                .lines()
                .find(|l| l.contains("in-memory RTL index built"))
            {
                // Freed pages (the SQLite scan, sorting buffers) settle.
                std::thread::sleep(Duration::from_millis(500));
                let after = pss_mb(pid);
                let n = line
                    .split("rtls=")
                    .nth(1)
                    .and_then(|s| s.split_whitespace().next())
                    .and_then(|s| s.parse().ok())
                    .unwrap_or(self.big_n);
                return Some((after - before?, n));
            }
            std::thread::sleep(Duration::from_millis(10));
        }
        eprintln!("  the in-memory index was not built within 60 s");
        None
    }
}

/// Seeds (once) a data directory whose cache holds `n` RTLs of the embedded
/// environment, closed cleanly.
fn seed_big_cache(root: &Path, n: u64) -> PathBuf {
    let dir = root.join(format!("target/bench-startup/cache-{n}"));
    let done = dir.join("seeded");
    if done.exists() {
        return dir;
    }
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("seed directory");
    print!("seeding a cache with {n} RTLs… ");
    let _ = std::io::stdout().flush();
    let t = Instant::now();
    let (cache, _) = linkdesk::cache::Cache::open(&dir).expect("open the seed cache");
    let mut rng = rtls::Rng(0x9E37_79B9_7F4A_7C15);
    let n = n as usize;
    for start in (0..n).step_by(50_000) {
        let batch: Vec<_> = (start..(start + 50_000).min(n))
            .map(|i| rtls::make_rtl(&mut rng, i, n))
            .collect();
        cache.upsert_rtls(ENV, &batch).expect("seed");
    }
    drop(cache);
    if let Ok(conn) = rusqlite::Connection::open(dir.join(linkdesk::cache::FILE_NAME)) {
        let _ = conn.execute_batch("PRAGMA wal_checkpoint(TRUNCATE)");
    }
    std::fs::write(&done, b"").expect("seed marker");
    println!("{:.1} s", t.elapsed().as_secs_f64());
    dir
}

fn median(v: &mut [f64]) -> f64 {
    v.sort_by(|a, b| a.total_cmp(b));
    if v.is_empty() {
        return f64::NAN;
    }
    v[v.len() / 2]
}

fn summary(samples: &[Sample], f: impl Fn(&Sample) -> f64) -> (f64, f64, f64) {
    let mut v: Vec<f64> = samples.iter().map(f).collect();
    let m = median(&mut v);
    (
        m,
        v.first().copied().unwrap_or(f64::NAN),
        v.last().copied().unwrap_or(f64::NAN),
    )
}

/// Runs a sync of a sandbox holding enough RTLs for `secs` against a cache in
/// a temporary directory, and returns (requests in the window, budget left for
/// the sync over the window, 429s).
fn measure_sync(secs: u64) -> Option<(u32, f64, u32)> {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .ok()?;
    rt.block_on(async move {
        let budget = linkdesk::environments::DEFAULT_LINK_OPS_PER_MINUTE;
        let options = linkdesk_sandbox::Options {
            // Enough pages that the walk outlasts the window.
            rtls: (secs as usize / 60 + 2) * budget as usize * 100,
            link_ops_per_minute: budget,
            ..Default::default()
        };
        let sandbox = linkdesk_sandbox::start(options).await.ok()?;
        let defaults = linkdesk_sandbox::Options::default();
        let creds = linkdesk::biller::BillerCredentials {
            client_id: defaults.biller_client_id,
            client_secret: defaults.biller_client_secret,
        };
        let client = linkdesk::biller::BillerClient::new(
            linkdesk::http::build_client(),
            &sandbox.url(),
            creds,
        )
        .ok()?;
        let dir = tempfile::tempdir().ok()?;
        let (cache, _) = linkdesk::cache::Cache::open(dir.path()).ok()?;
        let cancel = linkdesk::sync::SyncCancel::default();
        let stopper = cancel.clone();
        let opts = linkdesk::sync::SyncOptions::for_budget(budget);
        let started = std::time::Instant::now();
        let window = Duration::from_secs(secs);
        tokio::spawn(async move {
            tokio::time::sleep(window).await;
            stopper.cancel();
        });
        let outcome = linkdesk::sync::sync_all_rtls(&client, &cache, "bench", opts, cancel, |_| {})
            .await
            .ok()?;
        let in_window = outcome
            .request_instants
            .iter()
            .filter(|t| t.duration_since(started) < window)
            .count() as u32;
        let allowed = f64::from(opts.ops_per_minute) * secs as f64 / 60.0;
        Some((in_window, allowed, outcome.rate_limited))
    })
}

fn main() {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let runs: usize = std::env::var("RUNS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(7);
    let big_n: u64 = std::env::var("LINKDESK_BENCH_RTLS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1_000_000);
    let sync_secs: u64 = std::env::var("SYNC_SECS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(180);
    let sync = (sync_secs > 0).then(|| std::thread::spawn(move || measure_sync(sync_secs)));

    let bench = Bench {
        screen: Screen::open(),
        big_cache: if big_n > 0 {
            seed_big_cache(&root, big_n)
        } else {
            PathBuf::new()
        },
        root,
        ticks_per_s: clock_ticks(),
        big_n,
    };
    for v in [Variant::Linkdesk, Variant::Empty] {
        assert!(
            bench.binary(v).exists(),
            "{} is missing: build it with scripts/bench-startup.sh",
            bench.binary(v).display()
        );
    }
    let load = std::fs::read_to_string("/proc/loadavg").unwrap_or_default();
    println!(
        "start-up, release builds, Xvfb {}x{}; {runs} runs each, alternating; {}; load average {}",
        bench.screen.width,
        bench.screen.height,
        if linkdesk::has_gpu() {
            "GPU rendering"
        } else {
            "no GPU: Linkdesk tells WebKit to draw on the CPU without a compositor"
        },
        load.split_whitespace()
            .take(3)
            .collect::<Vec<_>>()
            .join(" ")
    );
    let mut results: HashMap<&'static str, Vec<Sample>> = HashMap::new();
    for run in 0..runs {
        // Alternate the order too, so that neither is always first.
        let mut order = vec![Variant::Linkdesk, Variant::Empty, Variant::EmptyDefaults];
        if big_n > 0 {
            order.push(Variant::BigCache);
        }
        if run % 2 == 1 {
            order.reverse();
        }
        for v in order {
            if let Some(s) = bench.run_once(v, run) {
                println!(
                    "  run {run} {:<24} painted {:>6.0} ms  cpu {:>5.2} s  pss {:>6.1} MB{}{}",
                    v.label(),
                    s.paint_ms,
                    s.cpu_s,
                    s.pss_mb,
                    s.logged_ms
                        .map(|ms| format!("  (its log: {ms:.0} ms)"))
                        .unwrap_or_default(),
                    s.index
                        .map(|(mb, n)| format!("  index +{mb:.1} MB for {n}"))
                        .unwrap_or_default()
                );
                results.entry(v.label()).or_default().push(s);
            }
        }
    }
    let get = |v: Variant| results.get(v.label()).map(Vec::as_slice).unwrap_or(&[]);
    let (app, empty, defaults, big) = (
        get(Variant::Linkdesk),
        get(Variant::Empty),
        get(Variant::EmptyDefaults),
        get(Variant::BigCache),
    );
    println!();
    for (v, s) in [
        (Variant::Linkdesk, app),
        (Variant::Empty, empty),
        (Variant::EmptyDefaults, defaults),
        (Variant::BigCache, big),
    ] {
        let (p, pmin, pmax) = summary(s, |x| x.paint_ms);
        let (c, cmin, cmax) = summary(s, |x| x.cpu_s);
        let (m, mmin, mmax) = summary(s, |x| x.pss_mb);
        println!(
            "{:<24} first rows painted {p:>6.0} ms ({pmin:.0}–{pmax:.0})  cpu in 5 s after {c:.2} s ({cmin:.2}–{cmax:.2})  pss {m:.1} MB ({mmin:.1}–{mmax:.1})  [{} runs]",
            v.label(),
            s.len()
        );
    }
    let ratio =
        |a: &[Sample], b: &[Sample], f: fn(&Sample) -> f64| summary(a, f).0 / summary(b, f).0;
    // The goal holds against each way of drawing the reference.
    println!(
        "Linkdesk first rows / empty window first paint: {:.2}x against it told and shown as Linkdesk, {:.2}x against the default window (goal <= 1.5)",
        ratio(app, empty, |s| s.paint_ms),
        ratio(app, defaults, |s| s.paint_ms)
    );
    println!(
        "Linkdesk CPU-seconds in the 5 s after first rows: {:.2} s (goal <= 0.2)",
        summary(app, |s| s.cpu_s).0
    );
    println!(
        "PSS of the process tree 5 s after first rows, Linkdesk / empty window: {:.2}x against it told and shown as Linkdesk, {:.2}x against the default window (goal <= 1.5)",
        ratio(app, empty, |s| s.pss_mb),
        ratio(app, defaults, |s| s.pss_mb)
    );
    println!(
        "launch to first rows, {big_n} RTLs cached / empty cache: {:.2}x (goal <= 1.1)",
        ratio(big, app, |s| s.paint_ms)
    );
    let mut per_rtl: Vec<f64> = big
        .iter()
        .filter_map(|s| s.index)
        .map(|(mb, n)| mb * 1024.0 * 1024.0 / n.max(1) as f64)
        .collect();
    if !per_rtl.is_empty() {
        let m = median(&mut per_rtl);
        println!(
            "in-memory index: {m:.0} bytes per cached RTL (PSS growth while it is built; {}–{}; goal <= 200)",
            per_rtl.first().map_or(0.0, |v| v.round()),
            per_rtl.last().map_or(0.0, |v| v.round())
        );
    }
    println!(
        "PSS of the process tree with {big_n} RTLs cached (index built) / empty cache: {:.2}x",
        ratio(big, app, |s| s.pss_mb)
    );
    if let Some(handle) = sync {
        match handle.join().ok().flatten() {
            Some((n, allowed, limited)) => println!(
                "sync over {sync_secs} s: {n} link operations of the {allowed:.0} its budget allows ({:.1} %), {limited} x 429",
                f64::from(n) * 100.0 / allowed
            ),
            None => println!("sync: could not be measured"),
        }
    }
}
