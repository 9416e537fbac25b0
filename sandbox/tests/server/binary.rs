use std::process::Stdio;

use tokio::{
    io::{AsyncBufReadExt, BufReader},
    process::Command,
};

const BIN: &str = env!("CARGO_BIN_EXE_linkdesk-sandbox");

#[tokio::test]
async fn prints_one_line_then_serves_until_killed() {
    let mut child = Command::new(BIN)
        .args(["--addr", "127.0.0.1:0", "--rtls", "50", "--customers", "5"])
        .stdout(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let mut lines = BufReader::new(stdout).lines();
    let line = lines.next_line().await.unwrap().unwrap();
    let url = line.strip_prefix("listening on ").unwrap().to_string();
    let port: u16 = url
        .strip_prefix("http://127.0.0.1:")
        .unwrap()
        .parse()
        .unwrap();
    assert!(port > 0);

    let response = reqwest::Client::new()
        .get(format!("{url}/link/request-to-link?limit=5"))
        .header("X-Client-ID", "client_sandbox")
        .header("X-Client-Secret", "bb_test_sandbox_secret")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let body: serde_json::Value = response.json().await.unwrap();
    assert_eq!(body["total"], 50);

    child.kill().await.unwrap();
    child.wait().await.unwrap();
    // Exactly one line was printed.
    assert!(lines.next_line().await.unwrap().is_none());
}

#[tokio::test]
async fn help_documents_every_option() {
    let output = Command::new(BIN).arg("--help").output().await.unwrap();
    assert!(output.status.success());
    let help = String::from_utf8(output.stdout).unwrap();
    for option in [
        "--addr",
        "--seed",
        "--rtls",
        "--customers",
        "--anchor-date",
        "--biller-client-id",
        "--biller-client-secret",
        "--linkmoney-client-id",
        "--linkmoney-client-secret",
        "--merchant-id",
        "--token-ttl",
        "--link-ops-per-minute",
        "--no-rate-limit",
        "--latency-ms",
        "--fail-rate",
        "--drop-after-commit-rate",
    ] {
        assert!(help.contains(option), "{option} missing from --help");
    }
    for default in [
        "[default: 7]",
        "[default: 2000]",
        "[default: 200]",
        "[default: 3600]",
        "[default: 100]",
        "[default: client_sandbox]",
        "[default: bb_test_sandbox_secret]",
        "[default: lm_sandbox_client]",
        "[default: lm_sandbox_secret]",
        "[default: merchant_sandbox]",
    ] {
        assert!(help.contains(default), "{default} missing from --help");
    }
}
