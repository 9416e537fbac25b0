//! End-to-end: one Linkdesk per data folder. A second launch on the default
//! data folder focuses the running window and exits; a process that gets in
//! anyway (another data-folder setting pointing at the same folder) says so
//! and never sends or resolves refunds.

mod support;

use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use support::webdriver::{e2e_enabled, App, WINDOW};

const IDENTIFIER: &str = "app.linkdesk.console";

/// The platform's app-data folder on Linux, as the app computes it.
fn default_data_dir() -> PathBuf {
    let home = PathBuf::from(std::env::var_os("HOME").expect("HOME"));
    std::env::var_os("XDG_DATA_HOME")
        .map(PathBuf::from)
        .unwrap_or_else(|| home.join(".local/share"))
        .join(IDENTIFIER)
}

/// Stops its process when dropped, so a failing test leaves nothing running.
struct Launched(std::process::Child);

impl Drop for Launched {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn launch_directly(data_dir: Option<&PathBuf>) -> Launched {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_linkdesk"));
    cmd.env_remove("LINKDESK_DATA_DIR")
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    if let Some(dir) = data_dir {
        cmd.env("LINKDESK_DATA_DIR", dir);
    }
    Launched(cmd.spawn().expect("the app binary starts"))
}

#[allow(clippy::await_holding_lock)]
#[tokio::test(flavor = "multi_thread")]
async fn a_second_launch_never_runs_beside_the_first() {
    if !e2e_enabled() {
        return;
    }
    let _one_window = WINDOW.lock().await;
    // An empty LINKDESK_DATA_DIR means the default data folder.
    let app = App::launch(&[("LINKDESK_DATA_DIR", String::new())]).await;
    app.wait("[data-testid=rtl-row]").await;
    let data_dir = default_data_dir();
    assert!(
        data_dir.join("journal.sqlite").exists(),
        "the first window uses {}",
        data_dir.display()
    );

    // A second launch on the default folder hands over to the first and exits.
    let mut second = launch_directly(None);
    let deadline = Instant::now() + Duration::from_secs(60);
    let status = loop {
        if let Some(status) = second.0.try_wait().unwrap() {
            break status;
        }
        assert!(
            Instant::now() < deadline,
            "the second launch kept running beside the first"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    assert!(status.success(), "{status:?}");
    app.wait("[data-testid=rtl-row]").await;

    // A process that names the same folder explicitly gets in, but the
    // journal's lock keeps it from sending: it says so in its log.
    let logs = data_dir.join("logs");
    let _third = launch_directly(Some(&data_dir));
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        // Daily files: linkdesk.YYYY-MM-DD.log.
        let text: String = std::fs::read_dir(&logs)
            .into_iter()
            .flatten()
            .flatten()
            .map(|f| std::fs::read_to_string(f.path()).unwrap_or_default())
            .collect();
        if text.contains("Another Linkdesk is running on the data folder") {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the third process did not notice the first"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    app.screenshot("instances-01-first-window-kept").await;
    app.quit().await;
}

/// Everything in the data folder's daily log files.
fn logged(data_dir: &std::path::Path) -> String {
    std::fs::read_dir(data_dir.join("logs"))
        .into_iter()
        .flatten()
        .flatten()
        .map(|f| std::fs::read_to_string(f.path()).unwrap_or_default())
        .collect()
}

/// A launch that cannot start (its data folder is a file) says why, with the
/// stable code, and stays with its dialog open: no panic, no silent exit.
#[allow(clippy::await_holding_lock)]
#[tokio::test(flavor = "multi_thread")]
async fn a_launch_that_cannot_start_says_why_and_waits_to_be_read() {
    if !e2e_enabled() {
        return;
    }
    let _one_window = WINDOW.lock().await;
    let dir = tempfile::tempdir().unwrap();
    let not_a_folder = dir.path().join("data");
    std::fs::write(&not_a_folder, "a file where the data folder goes").unwrap();
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_linkdesk"));
    cmd.env("LINKDESK_DATA_DIR", &not_a_folder)
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    let mut launched = Launched(cmd.spawn().expect("the app binary starts"));
    let stderr = launched.0.stderr.take().unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        use std::io::BufRead;
        for line in std::io::BufReader::new(stderr)
            .lines()
            .map_while(Result::ok)
        {
            let _ = tx.send(line);
        }
    });
    let mut said = Vec::new();
    let deadline = Instant::now() + Duration::from_secs(60);
    while !said.iter().any(|l: &String| l.contains("startup_failed")) {
        let left = deadline.saturating_duration_since(Instant::now());
        match rx.recv_timeout(left) {
            Ok(line) => said.push(line),
            Err(_) => panic!("no word of the failure: {said:#?}"),
        }
    }
    let why = said.iter().find(|l| l.contains("startup_failed")).unwrap();
    assert!(
        why.contains(&not_a_folder.display().to_string())
            && why.contains("is a file, not a folder"),
        "{why}"
    );
    // The dialog is up: the process waits for it to be read.
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert!(
        launched.0.try_wait().unwrap().is_none(),
        "the launch ended before its message could be read: {said:#?}"
    );
    assert!(!said.iter().any(|l| l.contains("panicked")), "{said:#?}");
}

/// SIGTERM (a log-out, `kill`) ends Linkdesk as closing it does: status 0
/// and the last log line written out.
#[allow(clippy::await_holding_lock)]
#[tokio::test(flavor = "multi_thread")]
async fn sigterm_exits_cleanly_with_the_last_log_lines_written() {
    if !e2e_enabled() {
        return;
    }
    let _one_window = WINDOW.lock().await;
    let dir = tempfile::tempdir().unwrap();
    let data_dir = dir.path().to_path_buf();
    let mut launched = launch_directly(Some(&data_dir));
    let deadline = Instant::now() + Duration::from_secs(90);
    while !logged(&data_dir).contains("first rows") {
        assert!(
            Instant::now() < deadline,
            "no first rows: {}",
            logged(&data_dir)
        );
        assert!(launched.0.try_wait().unwrap().is_none(), "it ended early");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let pid = launched.0.id().to_string();
    assert!(Command::new("kill")
        .args(["-TERM", &pid])
        .status()
        .unwrap()
        .success());
    let deadline = Instant::now() + Duration::from_secs(30);
    let status = loop {
        if let Some(status) = launched.0.try_wait().unwrap() {
            break status;
        }
        assert!(Instant::now() < deadline, "SIGTERM did not end Linkdesk");
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    assert!(status.success(), "{status:?}");
    let log = logged(&data_dir);
    assert!(log.contains("SIGTERM received"), "{log}");
    assert!(log.contains("Linkdesk exiting"), "{log}");
}
