//! linkdesk-sandbox: BillerAPI and Link Money over real HTTP, as their documents
//! describe, with deterministic demo data and fault injection.
//!
//! CONTRACT (used by the app; keep these signatures):
//! - `Options` (clap-derived; `Options::default()` equals the CLI defaults)
//! - `start(options) -> io::Result<Sandbox>` (binds `options.addr`) inside the caller's tokio runtime
//! - `Sandbox::addr()`, `Sandbox::url()` ("http://IP:PORT"), `Sandbox::stop().await`

mod biller;
mod faults;
mod fixtures;
mod linkmoney;
mod ratelimit;
mod router;
mod server;
mod state;
mod util;

use std::net::SocketAddr;

#[derive(Debug, Clone, clap::Parser)]
#[command(name = "linkdesk-sandbox", version, about)]
pub struct Options {
    /// Address to listen on (port 0 picks a free port)
    #[arg(long, default_value = "127.0.0.1:0")]
    pub addr: SocketAddr,
    /// Seed for the demo data: the same seed gives byte-identical answers
    #[arg(long, default_value_t = 7)]
    pub seed: u64,
    /// Number of seeded request-to-link records
    #[arg(long, default_value_t = 2000)]
    pub rtls: usize,
    /// Number of seeded Link Money customers
    #[arg(long, default_value_t = 200)]
    pub customers: usize,
    /// Day the demo data ends (YYYY-MM-DD, UTC); seeded records fall in the 90 days before it [default: today]
    #[arg(long)]
    pub anchor_date: Option<chrono::NaiveDate>,
    /// BillerAPI client ID expected in X-Client-ID
    #[arg(long, default_value = "client_sandbox")]
    pub biller_client_id: String,
    /// BillerAPI client secret expected in X-Client-Secret
    #[arg(long, default_value = "bb_test_sandbox_secret")]
    pub biller_client_secret: String,
    /// Link Money client ID accepted by POST /v1/tokens
    #[arg(long, default_value = "lm_sandbox_client")]
    pub linkmoney_client_id: String,
    /// Link Money client secret accepted by POST /v1/tokens
    #[arg(long, default_value = "lm_sandbox_secret")]
    pub linkmoney_client_secret: String,
    /// Link Money merchant ID (the MERCHANT side of payments and refunds)
    #[arg(long, default_value = "merchant_sandbox")]
    pub merchant_id: String,
    /// Lifetime of Link Money access tokens, in seconds
    #[arg(long, default_value_t = 3600)]
    pub token_ttl: u64,
    /// BillerAPI link operations allowed per minute per client
    #[arg(long, default_value_t = 100)]
    pub link_ops_per_minute: u32,
    /// Turn every rate limit off
    #[arg(long)]
    pub no_rate_limit: bool,
    /// Delay added before every answer, in milliseconds
    #[arg(long, default_value_t = 0)]
    pub latency_ms: u64,
    /// Fraction of requests (0..=1) answered with a 500
    #[arg(long, default_value_t = 0.0)]
    pub fail_rate: f64,
    /// Fraction of writes (0..=1) whose effect is committed, then the connection closed unanswered
    #[arg(long, default_value_t = 0.0)]
    pub drop_after_commit_rate: f64,
}

impl Default for Options {
    fn default() -> Self {
        <Self as clap::Parser>::parse_from(["linkdesk-sandbox"])
    }
}

/// A running sandbox. Dropping it does not stop it; call `stop`.
pub struct Sandbox {
    addr: SocketAddr,
    server: server::ServerHandle,
}

impl Sandbox {
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }
    /// Stops accepting, closes open connections, and returns once the port is released.
    pub async fn stop(self) {
        self.server.stop().await;
    }
}

/// Binds `options.addr` and serves both APIs until `Sandbox::stop`.
pub async fn start(options: Options) -> std::io::Result<Sandbox> {
    let listener = server::bind(options.addr)?;
    let addr = listener.local_addr()?;
    let base_url = format!("http://{addr}");
    // Seeding a million records takes a moment of pure CPU: keep it off the async workers.
    let state = tokio::task::spawn_blocking(move || state::AppState::new(options, base_url))
        .await
        .map_err(std::io::Error::other)??;
    let app = router::build(std::sync::Arc::new(state));
    let server = server::serve(listener, app);
    Ok(Sandbox { addr, server })
}
