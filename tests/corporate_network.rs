//! Corporate networks, with real parts: the sandbox served over HTTPS with a
//! certificate from a private CA made here, and a real forward proxy.
//!
//! Trust and proxy settings are read from the environment when a client is
//! built, so each case runs Linkdesk's client in a child process of this test
//! binary with the variables set for that child only; nothing here changes
//! this process's environment or the machine's certificate store.
//!
//! The proxy is Debian's tinyproxy, started by scripts/test-session.sh, which
//! passes its URL in LINKDESK_TEST_PROXY and its log file in
//! LINKDESK_TEST_PROXY_LOG. Without them the proxy test fails saying so,
//! unless LINKDESK_PROXY_TEST=skip is set.

use std::path::Path;
use std::process::Output;

use linkdesk::biller::{BillerClient, BillerCredentials, RtlFilter};
use linkdesk::error::{AppError, ErrorCode};
use linkdesk::linkmoney::{Scope, TokenManager};
use linkdesk::secrets::SecretString;
use linkdesk_sandbox::{Options, Sandbox};

/// Set in a child: which check to run against LINKDESK_NET_CHILD_URL.
const CHILD_ENV: &str = "LINKDESK_NET_CHILD";
const CHILD_URL: &str = "LINKDESK_NET_CHILD_URL";
/// The RTL pages the proxied child asks for, one request each.
const PROXIED_PAGES: [u32; 3] = [1, 2, 3];

/// A private CA and a certificate it signed for 127.0.0.1 and localhost, as
/// PEM files in `dir`: `ca.pem`, `cert.pem`, `key.pem`.
fn private_ca(dir: &Path) {
    use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, KeyPair, KeyUsagePurpose};
    let mut ca = CertificateParams::new(Vec::<String>::new()).unwrap();
    ca.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca.distinguished_name
        .push(DnType::CommonName, "Linkdesk test private CA");
    ca.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
    let ca_key = KeyPair::generate().unwrap();
    let ca_cert = ca.self_signed(&ca_key).unwrap();

    let mut leaf = CertificateParams::new(vec!["127.0.0.1".into(), "localhost".into()]).unwrap();
    leaf.distinguished_name
        .push(DnType::CommonName, "Linkdesk test sandbox");
    let leaf_key = KeyPair::generate().unwrap();
    let leaf_cert = leaf.signed_by(&leaf_key, &ca_cert, &ca_key).unwrap();

    std::fs::write(dir.join("ca.pem"), ca_cert.pem()).unwrap();
    std::fs::write(dir.join("cert.pem"), leaf_cert.pem()).unwrap();
    std::fs::write(dir.join("key.pem"), leaf_key.serialize_pem()).unwrap();
}

async fn sandbox(tls: Option<&Path>) -> Sandbox {
    let options = Options {
        rtls: 60,
        customers: 5,
        no_rate_limit: true,
        tls_cert: tls.map(|d| d.join("cert.pem")),
        tls_key: tls.map(|d| d.join("key.pem")),
        ..Options::default()
    };
    linkdesk_sandbox::start(options).await.unwrap()
}

/// Runs `check` in a child process of this test binary against `url`, with
/// only the variables in `env` added (`None` removes one).
async fn child(check: &str, url: &str, env: &[(&str, Option<&str>)]) -> Output {
    let mut cmd = tokio::process::Command::new(std::env::current_exe().unwrap());
    cmd.args(["--exact", "child_checks", "--nocapture", "--test-threads=1"])
        .env(CHILD_ENV, check)
        .env(CHILD_URL, url);
    for (name, value) in env {
        match value {
            Some(v) => cmd.env(name, v),
            None => cmd.env_remove(name),
        };
    }
    cmd.output().await.unwrap()
}

fn assert_child_passed(output: &Output) {
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        output.status.success() && stdout.contains("1 passed"),
        "child failed\nstdout:\n{stdout}\nstderr:\n{stderr}"
    );
}

/// No proxy from the machine leaks into a child unless the test sets one.
const NO_PROXY_VARS: [(&str, Option<&str>); 8] = [
    ("HTTPS_PROXY", None),
    ("https_proxy", None),
    ("HTTP_PROXY", None),
    ("http_proxy", None),
    ("ALL_PROXY", None),
    ("all_proxy", None),
    ("NO_PROXY", None),
    ("no_proxy", None),
];

#[tokio::test]
async fn https_with_a_private_ca_works_once_the_ca_is_trusted_through_ssl_cert_file() {
    let dir = tempfile::tempdir().unwrap();
    private_ca(dir.path());
    let sandbox = sandbox(Some(dir.path())).await;
    assert!(sandbox.url().starts_with("https://"), "{}", sandbox.url());
    let ca = dir.path().join("ca.pem");
    let mut env = NO_PROXY_VARS.to_vec();
    env.push(("SSL_CERT_FILE", Some(ca.to_str().unwrap())));
    env.push(("SSL_CERT_DIR", None));
    assert_child_passed(&child("works", &sandbox.url(), &env).await);
    sandbox.stop().await;
}

#[tokio::test]
async fn https_with_an_untrusted_private_ca_is_refused_with_a_tls_error() {
    let dir = tempfile::tempdir().unwrap();
    private_ca(dir.path());
    let sandbox = sandbox(Some(dir.path())).await;
    let mut env = NO_PROXY_VARS.to_vec();
    env.push(("SSL_CERT_FILE", None));
    env.push(("SSL_CERT_DIR", None));
    assert_child_passed(&child("refused", &sandbox.url(), &env).await);
    sandbox.stop().await;
}

/// Every request of the child goes through the real proxy: its log shows the
/// plain-HTTP requests one by one and the tunnel to the HTTPS sandbox.
#[tokio::test]
async fn every_request_passes_through_the_system_proxy() {
    if std::env::var("LINKDESK_PROXY_TEST").as_deref() == Ok("skip") {
        eprintln!("LINKDESK_PROXY_TEST=skip: not testing through a proxy");
        return;
    }
    let (Ok(proxy), Ok(log)) = (
        std::env::var("LINKDESK_TEST_PROXY"),
        std::env::var("LINKDESK_TEST_PROXY_LOG"),
    ) else {
        panic!(
            "No proxy for the proxy test: run it through scripts/test.sh (or \
             scripts/test-session.sh), which starts tinyproxy and sets \
             LINKDESK_TEST_PROXY and LINKDESK_TEST_PROXY_LOG, or set \
             LINKDESK_PROXY_TEST=skip to skip it."
        );
    };
    let dir = tempfile::tempdir().unwrap();
    private_ca(dir.path());
    let plain = sandbox(None).await;
    let tls = sandbox(Some(dir.path())).await;
    let ca = dir.path().join("ca.pem");
    let mut env = NO_PROXY_VARS.to_vec();
    env.push(("HTTP_PROXY", Some(&proxy)));
    env.push(("HTTPS_PROXY", Some(&proxy)));
    env.push(("SSL_CERT_FILE", Some(ca.to_str().unwrap())));

    assert_child_passed(&child("proxied", &plain.url(), &env).await);
    assert_child_passed(&child("works", &tls.url(), &env).await);

    let log = std::fs::read_to_string(&log).unwrap();
    let plain_host = plain.url().trim_start_matches("http://").to_string();
    for page in PROXIED_PAGES {
        let line = format!("GET http://{plain_host}/link/request-to-link?page={page}&limit=10");
        assert!(
            log.contains(&line),
            "the proxy log does not show \"{line}\":\n{log}"
        );
    }
    let tunnel = format!("CONNECT {}", tls.addr());
    assert!(
        log.contains(&tunnel),
        "the proxy log does not show \"{tunnel}\":\n{log}"
    );
    plain.stop().await;
    tls.stop().await;
}

/// A proxy that is down is named in the message, so it is not taken for the
/// service being down; its password never shows.
#[tokio::test]
async fn a_proxy_that_is_down_is_named() {
    let plain = sandbox(None).await;
    let closed = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let proxy = format!("http://desk:pr0xy-pa55@127.0.0.1:{closed}");
    let mut env = NO_PROXY_VARS.to_vec();
    env.push(("HTTP_PROXY", Some(&proxy)));
    assert_child_passed(&child(&format!("dead_proxy:{closed}"), &plain.url(), &env).await);
    plain.stop().await;
}

fn biller(url: &str) -> BillerClient {
    let o = Options::default();
    let creds = BillerCredentials {
        client_id: o.biller_client_id,
        client_secret: o.biller_client_secret,
    };
    BillerClient::new(linkdesk::http::build_client(), url, creds).unwrap()
}

fn tokens(url: &str) -> TokenManager {
    let o = Options::default();
    TokenManager::new(
        linkdesk::http::build_client(),
        url,
        &o.linkmoney_client_id,
        SecretString::new(o.linkmoney_client_secret),
    )
    .unwrap()
}

fn assert_tls_error(err: &AppError) {
    assert_eq!(err.code, ErrorCode::Tls, "{err:?}");
    assert!(err.message.contains("certificate"), "{err:?}");
    assert!(
        err.message
            .contains("authority this computer does not trust"),
        "{err:?}"
    );
}

/// Runs only as a child of the tests above.
#[tokio::test]
async fn child_checks() {
    let Ok(check) = std::env::var(CHILD_ENV) else {
        return;
    };
    let url = std::env::var(CHILD_URL).unwrap();
    let filter = RtlFilter::default();
    match check.as_str() {
        "works" => {
            let page = biller(&url).list_rtls(&filter, 1, 10).await.unwrap();
            assert!(!page.items.is_empty());
            let token = tokens(&url).token(Scope::Core).await.unwrap();
            assert!(!token.is_empty());
        }
        "refused" => {
            let err = biller(&url).list_rtls(&filter, 1, 10).await.unwrap_err();
            assert_tls_error(&err);
            let err = tokens(&url).token(Scope::Core).await.unwrap_err();
            assert_tls_error(&err);
            eprintln!("refused as expected: {}", err.message);
        }
        "proxied" => {
            let client = biller(&url);
            for page in PROXIED_PAGES {
                client.list_rtls(&filter, page, 10).await.unwrap();
            }
        }
        dead_proxy if dead_proxy.starts_with("dead_proxy:") => {
            let port = dead_proxy.trim_start_matches("dead_proxy:");
            let err = biller(&url).list_rtls(&filter, 1, 10).await.unwrap_err();
            assert_eq!(err.code, ErrorCode::Offline, "{err:?}");
            let named = format!("HTTP_PROXY names the proxy http://127.0.0.1:{port}");
            assert!(err.message.contains(&named), "{err:?}");
            assert!(!err.message.contains("pr0xy-pa55"), "{err:?}");
        }
        other => panic!("unknown child check {other}"),
    }
}
