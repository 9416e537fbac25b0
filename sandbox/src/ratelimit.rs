//! The documented rate limits, over a sliding 60-second window (Linkdesk's
//! one rate limiter, `linkdesk_ratelimit::SlidingWindow`, per key):
//! authentication 5/min per IP, link operations N/min per client,
//! biller operations 200/min per client.

use std::{
    collections::HashMap,
    net::IpAddr,
    sync::Mutex,
    time::{Duration, Instant},
};

use linkdesk_ratelimit::SlidingWindow;

use crate::util::lock;

const WINDOW: Duration = Duration::from_secs(60);
const AUTHENTICATION_PER_MINUTE: u32 = 5;
const BILLER_OPERATIONS_PER_MINUTE: u32 = 200;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Group {
    /// Link Money `POST /v1/tokens`, per client IP.
    Authentication,
    /// Every BillerAPI `/link/...` call but the session page, per client ID.
    LinkOperations,
    /// `/billers` and `/bills/...`, per client ID.
    BillerOperations,
}

impl Group {
    /// The group a request belongs to, if any. The link session page is the
    /// user's browser, not an API client, so it is not limited.
    pub fn of(method: &str, path: &str) -> Option<Group> {
        if path == "/v1/tokens" && method == "POST" {
            Some(Group::Authentication)
        } else if path.starts_with("/link/session/") {
            None
        } else if path.starts_with("/link/") {
            Some(Group::LinkOperations)
        } else if path == "/billers" || path.starts_with("/billers/") || path.starts_with("/bills/")
        {
            Some(Group::BillerOperations)
        } else {
            None
        }
    }

    /// Clients are told apart by X-Client-ID; calls without one (and the
    /// authentication group) by IP address.
    pub fn key(self, client_id: Option<&str>, ip: Option<IpAddr>) -> String {
        let ip = ip.map_or_else(|| "unknown".to_string(), |ip| ip.to_string());
        match (self, client_id) {
            (Group::Authentication, _) | (_, None) => format!("ip:{ip}"),
            (_, Some(id)) => format!("client:{id}"),
        }
    }
}

pub struct RateLimiter {
    enabled: bool,
    link_operations: u32,
    windows: Mutex<HashMap<(Group, String), SlidingWindow>>,
}

impl RateLimiter {
    pub fn new(enabled: bool, link_operations_per_minute: u32) -> Self {
        RateLimiter {
            enabled,
            link_operations: link_operations_per_minute,
            windows: Mutex::new(HashMap::new()),
        }
    }

    fn limit(&self, group: Group) -> u32 {
        match group {
            Group::Authentication => AUTHENTICATION_PER_MINUTE,
            Group::LinkOperations => self.link_operations,
            Group::BillerOperations => BILLER_OPERATIONS_PER_MINUTE,
        }
    }

    /// Counts one call; `Err(seconds)` when over the limit, with the whole
    /// seconds until a slot frees (at least 1).
    pub fn check(&self, group: Group, key: String, now: Instant) -> Result<(), u64> {
        if !self.enabled {
            return Ok(());
        }
        let limit = self.limit(group) as usize;
        let mut windows = lock(&self.windows);
        let calls = windows
            .entry((group, key))
            .or_insert_with(|| SlidingWindow::new(limit, WINDOW));
        calls.try_acquire(now).map_err(|wait| {
            let seconds = wait.as_secs() + u64::from(wait.subsec_nanos() > 0);
            seconds.max(1)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sliding_window_refuses_then_frees_a_slot() {
        let limiter = RateLimiter::new(true, 3);
        let start = Instant::now();
        let key = || "client:a".to_string();
        for _ in 0..3 {
            assert!(limiter.check(Group::LinkOperations, key(), start).is_ok());
        }
        let later = start + Duration::from_millis(20_500);
        assert_eq!(limiter.check(Group::LinkOperations, key(), later), Err(40));
        // Another client has its own window.
        assert!(limiter
            .check(Group::LinkOperations, "client:b".into(), later)
            .is_ok());
        assert!(limiter
            .check(Group::LinkOperations, key(), start + WINDOW)
            .is_ok());
    }

    #[test]
    fn disabled_never_refuses_and_groups_are_classified() {
        let limiter = RateLimiter::new(false, 0);
        assert!(limiter
            .check(Group::LinkOperations, "k".into(), Instant::now())
            .is_ok());
        assert_eq!(Group::of("POST", "/v1/tokens"), Some(Group::Authentication));
        assert_eq!(
            Group::of("GET", "/link/request-to-link"),
            Some(Group::LinkOperations)
        );
        assert_eq!(Group::of("GET", "/link/session/lt_x"), None);
        assert_eq!(Group::of("GET", "/billers"), Some(Group::BillerOperations));
        assert_eq!(Group::of("GET", "/v1/customers/x"), None);
    }
}
