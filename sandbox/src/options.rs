//! The sandbox's options: the command line of the binary and `start`'s argument.

use std::net::SocketAddr;
use std::path::PathBuf;

#[derive(Debug, Clone, clap::Parser)]
#[command(name = "linkdesk-sandbox", version, about)]
pub struct Options {
    /// Address to listen on (port 0 picks a free port)
    #[arg(long, default_value = "127.0.0.1:0")]
    pub addr: SocketAddr,
    /// Serve HTTPS with this certificate chain (PEM, leaf first); needs --tls-key
    #[arg(long, requires = "tls_key")]
    pub tls_cert: Option<PathBuf>,
    /// The private key (PEM) of --tls-cert
    #[arg(long, requires = "tls_cert")]
    pub tls_key: Option<PathBuf>,
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
    #[arg(long, default_value_t = 0.0, value_parser = fraction)]
    pub fail_rate: f64,
    /// Deliver webhooks to any host, not only to loopback URLs (127.0.0.0/8, ::1, localhost)
    #[arg(long)]
    pub webhooks_to_any_host: bool,
    /// Fraction of writes (0..=1) whose effect is committed, then the connection closed unanswered
    #[arg(long, default_value_t = 0.0, value_parser = fraction)]
    pub drop_after_commit_rate: f64,
}

/// A fraction from 0 to 1: `--fail-rate 5` is a typo, not "always".
fn fraction(text: &str) -> Result<f64, String> {
    match text.parse::<f64>() {
        Ok(f) if (0.0..=1.0).contains(&f) => Ok(f),
        Ok(_) => Err(format!(
            "{text} is not a fraction from 0 to 1 (0.5 is half)"
        )),
        Err(e) => Err(e.to_string()),
    }
}

impl Default for Options {
    fn default() -> Self {
        <Self as clap::Parser>::parse_from(["linkdesk-sandbox"])
    }
}

#[cfg(test)]
mod tests {
    use super::Options;
    use clap::Parser;

    #[test]
    fn rates_are_fractions() {
        let ok =
            Options::try_parse_from(["s", "--fail-rate", "0.5", "--drop-after-commit-rate", "1"]);
        assert_eq!(ok.unwrap().fail_rate, 0.5);
        for bad in ["5", "-0.1", "NaN", "half"] {
            assert!(
                Options::try_parse_from(["s", "--fail-rate", bad]).is_err(),
                "{bad}"
            );
            assert!(
                Options::try_parse_from(["s", "--drop-after-commit-rate", bad]).is_err(),
                "{bad}"
            );
        }
    }
}
