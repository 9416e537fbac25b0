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
