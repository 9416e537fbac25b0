//! Team mode: a PostgreSQL database the business already runs, shared by
//! every seat of the desk. It holds refund claims (refund #n of a payment is
//! claimed, with its amount, before it is sent), one audit trail fed from
//! each seat's durable outbox in `journal.sqlite`, and two-person approval of
//! refunds above a team threshold. Each agent connects as their own
//! PostgreSQL role, so the database knows who did what (triggers stamp
//! `session_user`); grants, not Linkdesk, keep the audit trail append-only.
//! Without a team store configured none of this runs and Linkdesk works as a
//! single seat.

mod approvals;
mod claims;
mod config;
pub mod desk;
mod outbox;
mod schema;

use std::net::IpAddr;
use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use deadpool_postgres::{Manager, ManagerConfig, Pool, RecyclingMethod, Runtime};
use tokio_postgres::config::{Host, SslMode};

use crate::error::{AppError, AppResult, ErrorCode};
use crate::secrets::SecretString;

pub use approvals::{Approval, ApprovalRequest};
pub use claims::{ClaimRequest, PaymentClaims};
pub use config::{password_account, TeamConfig, TeamSettings, TeamStatus};
pub use outbox::{
    deliver_outbox, spawn_delivery, Delivery, StoreFor, TeamAuditFilter, TeamAuditPage,
    TeamAuditRow,
};
pub use schema::LATEST_VERSION;

const CONNECT_TIMEOUT: Duration = Duration::from_secs(4);

/// One team store (the one of an environment kind). Cheap to clone; the pool
/// connects lazily, so a store that is down now is still a store: every
/// operation then fails with `team_unavailable` and the reason.
#[derive(Clone)]
pub struct TeamStore {
    inner: Arc<Inner>,
}

struct Inner {
    pool: Pool,
    /// "sandbox" or "production": which environments' refunds and entries
    /// this store holds.
    kind: String,
    /// The URL as configured (never with a password), for messages.
    shown: String,
}

impl std::fmt::Debug for TeamStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TeamStore")
            .field("kind", &self.inner.kind)
            .field("url", &self.inner.shown)
            .finish_non_exhaustive()
    }
}

/// Whether `host` is this machine: the only place a team store may be
/// reached without TLS.
fn is_loopback(host: &Host) -> bool {
    match host {
        Host::Unix(_) => true,
        Host::Tcp(h) => {
            h.eq_ignore_ascii_case("localhost")
                || IpAddr::from_str(h.trim_matches(['[', ']'])).is_ok_and(|ip| ip.is_loopback())
        }
    }
}

/// Reads and checks a team store URL: `postgres://user@host:port/database`.
/// A password in the URL is refused (it belongs in the keyring).
pub fn parse_url(url: &str) -> AppResult<tokio_postgres::Config> {
    let url = url.trim();
    if !(url.starts_with("postgres://") || url.starts_with("postgresql://")) {
        return Err(AppError::invalid(
            "The team store URL must look like postgres://agent@host:5432/database",
        ));
    }
    let config = tokio_postgres::Config::from_str(url).map_err(|e| {
        AppError::invalid(format!(
            "The team store URL is not valid ({e}); it must look like postgres://agent@host:5432/database"
        ))
    })?;
    if config.get_password().is_some() {
        return Err(AppError::invalid(
            "Put the team store's password in the password field, not in the URL: it is kept in the OS keyring only.",
        ));
    }
    if config.get_user().is_none_or(str::is_empty) {
        return Err(AppError::invalid(
            "The team store URL names no user: each agent connects as their own PostgreSQL role (postgres://agent@host/database).",
        ));
    }
    if config.get_hosts().is_empty() {
        return Err(AppError::invalid("The team store URL names no host"));
    }
    if config.get_dbname().is_none_or(str::is_empty) {
        return Err(AppError::invalid("The team store URL names no database"));
    }
    Ok(config)
}

/// A URL as typed, for the audit log: any password in it is replaced.
pub fn redacted_url(url: &str) -> String {
    if url.trim().is_empty() {
        return String::new();
    }
    match url::Url::parse(url.trim()) {
        Ok(mut u) => {
            if u.password().is_some() {
                let _ = u.set_password(Some("redacted"));
            }
            u.to_string()
        }
        Err(_) => "(not a valid URL)".into(),
    }
}

/// The URL without anything secret, for messages and the UI.
pub(super) fn shown_url(config: &tokio_postgres::Config) -> String {
    let host = match config.get_hosts().first() {
        Some(Host::Tcp(h)) => h.clone(),
        Some(Host::Unix(p)) => p.display().to_string(),
        None => String::new(),
    };
    let port = config.get_ports().first().copied().unwrap_or(5432);
    format!(
        "postgres://{}@{host}:{port}/{}",
        config.get_user().unwrap_or_default(),
        config.get_dbname().unwrap_or_default()
    )
}

fn tls_connector() -> tokio_postgres_rustls::MakeRustlsConnect {
    let roots = rustls::RootCertStore {
        roots: webpki_roots::TLS_SERVER_ROOTS.to_vec(),
    };
    let config = rustls::ClientConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .expect("rustls' default protocol versions")
    .with_root_certificates(roots)
    .with_no_client_auth();
    tokio_postgres_rustls::MakeRustlsConnect::new(config)
}

impl TeamStore {
    /// A store for `kind` at `url` with `password` (from the keyring). TLS is
    /// required (and the server's certificate verified) unless the host is
    /// this machine. Nothing is connected yet.
    pub fn new(kind: &str, url: &str, password: Option<SecretString>) -> AppResult<TeamStore> {
        let mut config = parse_url(url)?;
        let shown = shown_url(&config);
        if let Some(p) = &password {
            config.password(p.expose());
        }
        config
            .connect_timeout(CONNECT_TIMEOUT)
            .application_name("linkdesk")
            .keepalives(true);
        let local = config.get_hosts().iter().all(is_loopback);
        let manager_config = ManagerConfig {
            recycling_method: RecyclingMethod::Fast,
        };
        let manager = if local {
            config.ssl_mode(SslMode::Disable);
            Manager::from_config(config, tokio_postgres::NoTls, manager_config)
        } else {
            config.ssl_mode(SslMode::Require);
            Manager::from_config(config, tls_connector(), manager_config)
        };
        let pool = Pool::builder(manager)
            .max_size(4)
            .runtime(Runtime::Tokio1)
            .wait_timeout(Some(CONNECT_TIMEOUT))
            .create_timeout(Some(CONNECT_TIMEOUT))
            .recycle_timeout(Some(CONNECT_TIMEOUT))
            .build()
            .map_err(|e| AppError::internal(format!("Team store pool: {e}")))?;
        Ok(TeamStore {
            inner: Arc::new(Inner {
                pool,
                kind: kind.to_string(),
                shown,
            }),
        })
    }

    pub fn kind(&self) -> &str {
        &self.inner.kind
    }

    pub fn shown_url(&self) -> &str {
        &self.inner.shown
    }

    /// A pooled connection, or `team_unavailable` with the reason.
    pub(crate) async fn client(&self) -> AppResult<deadpool_postgres::Object> {
        self.inner.pool.get().await.map_err(|e| {
            let reason = match e {
                deadpool_postgres::PoolError::Backend(e) => describe(&e),
                deadpool_postgres::PoolError::Timeout(_) => "it did not answer in time".into(),
                other => other.to_string(),
            };
            self.unavailable(&reason)
        })
    }

    fn unavailable(&self, reason: &str) -> AppError {
        AppError::new(
            ErrorCode::TeamUnavailable,
            format!(
                "The team store ({}) cannot be used right now: {reason}",
                self.inner.shown
            ),
        )
    }

    /// A database error as the UI sees it: refused rights are `forbidden`,
    /// a lost connection `team_unavailable`.
    pub(crate) fn error(&self, e: tokio_postgres::Error) -> AppError {
        match e.code() {
            Some(c) if *c == tokio_postgres::error::SqlState::INSUFFICIENT_PRIVILEGE => {
                AppError::new(ErrorCode::Forbidden, describe(&e))
            }
            Some(c) if *c == tokio_postgres::error::SqlState::CHECK_VIOLATION => {
                AppError::new(ErrorCode::Conflict, describe(&e))
            }
            Some(_) => AppError::internal(format!("Team store: {}", describe(&e))),
            None => self.unavailable(&describe(&e)),
        }
    }

    /// Connects, applies the schema's migrations when this role may (a member
    /// of linkdesk_owner) and checks the schema is the one this Linkdesk
    /// speaks. Returns who the database says this agent is.
    pub async fn connect(&self) -> AppResult<String> {
        let mut client = self.client().await?;
        schema::migrate(self, &mut client).await?;
        let row = client
            .query_one("SELECT session_user::text", &[])
            .await
            .map_err(|e| self.error(e))?;
        Ok(row.get(0))
    }
}

/// A PostgreSQL error in words: the server's message when there is one.
fn describe(e: &tokio_postgres::Error) -> String {
    match e.as_db_error() {
        Some(db) => db.message().to_string(),
        None => {
            let mut text = e.to_string();
            let mut source = std::error::Error::source(e);
            while let Some(s) = source {
                text = format!("{text}: {s}");
                source = s.source();
            }
            text
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_are_checked() {
        assert!(parse_url("postgres://alice@db.example:5432/desk").is_ok());
        let err = parse_url("postgres://alice:hunter2@db.example/desk").unwrap_err();
        assert!(err.message.contains("keyring"), "{}", err.message);
        assert!(!err.message.contains("hunter2"));
        assert!(parse_url("postgres://db.example/desk").is_err());
        assert!(parse_url("postgres://alice@db.example").is_err());
        assert!(parse_url("mysql://alice@db/desk").is_err());
    }

    #[test]
    fn the_audit_log_never_gets_a_password_from_a_url() {
        let shown = redacted_url("postgres://alice:hunter2@db.example/desk");
        assert!(!shown.contains("hunter2"), "{shown}");
        assert!(shown.contains("alice"));
        assert_eq!(redacted_url("::"), "(not a valid URL)");
    }

    #[test]
    fn only_this_machine_goes_without_tls() {
        assert!(is_loopback(&Host::Tcp("127.0.0.1".into())));
        assert!(is_loopback(&Host::Tcp("localhost".into())));
        assert!(is_loopback(&Host::Tcp("::1".into())));
        assert!(!is_loopback(&Host::Tcp("10.0.0.5".into())));
        assert!(!is_loopback(&Host::Tcp("db.example".into())));
    }

    #[tokio::test]
    async fn a_store_far_away_requires_tls() {
        let store = TeamStore::new("sandbox", "postgres://alice@db.example/desk", None).unwrap();
        assert_eq!(store.shown_url(), "postgres://alice@db.example:5432/desk");
    }
}
