//! linkdesk-sandbox: BillerAPI and Link Money over real HTTP, as their documents
//! describe, with deterministic demo data and fault injection.
//!
//! CONTRACT (used by the app; keep these signatures):
//! - `Options` (clap-derived; `Options::default()` equals the CLI defaults)
//! - `start(options) -> io::Result<Sandbox>` (binds `options.addr`) inside the caller's tokio runtime
//! - `Sandbox::addr()`, `Sandbox::url()` ("http://IP:PORT", or "https://…" with
//!   `--tls-cert`/`--tls-key`), `Sandbox::stop().await`

mod biller;
mod faults;
mod fixtures;
mod linkmoney;
mod options;
mod ratelimit;
mod router;
mod server;
mod state;
mod util;

use std::net::SocketAddr;

pub use options::Options;

/// A running sandbox. Dropping it does not stop it; call `stop`.
pub struct Sandbox {
    addr: SocketAddr,
    options: Options,
    scheme: &'static str,
    server: server::ServerHandle,
}

impl Sandbox {
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }
    /// The options it runs with (its credentials among them).
    pub fn options(&self) -> &Options {
        &self.options
    }
    pub fn url(&self) -> String {
        format!("{}://{}", self.scheme, self.addr)
    }
    /// Stops accepting, closes open connections, and returns once the port is released.
    pub async fn stop(self) {
        self.server.stop().await;
    }
}

/// Binds `options.addr` and serves both APIs until `Sandbox::stop`.
pub async fn start(options: Options) -> std::io::Result<Sandbox> {
    let tls = match (&options.tls_cert, &options.tls_key) {
        (Some(cert), Some(key)) => Some(server::tls_acceptor(cert, key)?),
        _ => None,
    };
    let scheme = if tls.is_some() { "https" } else { "http" };
    let listener = server::bind(options.addr)?;
    let addr = listener.local_addr()?;
    let base_url = format!("{scheme}://{addr}");
    let kept = options.clone();
    // Seeding a million records takes a moment of pure CPU: keep it off the async workers.
    let state = tokio::task::spawn_blocking(move || state::AppState::new(options, base_url))
        .await
        .map_err(std::io::Error::other)??;
    let app = router::build(std::sync::Arc::new(state));
    let server = server::serve(listener, app, tls);
    Ok(Sandbox {
        addr,
        options: kept,
        scheme,
        server,
    })
}
