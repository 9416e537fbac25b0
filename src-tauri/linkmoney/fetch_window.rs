//! Link Money's authentication limit (5 token requests a minute per IP), as
//! the token manager keeps it with Linkdesk's one rate limiter
//! (`linkdesk_ratelimit::SlidingWindow`).

use std::time::Duration;

/// How many token requests may be sent per window, and how long a caller may
/// wait for a slot before getting `rate_limited`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FetchLimits {
    pub max_fetches: usize,
    pub window: Duration,
    pub max_wait: Duration,
}

impl Default for FetchLimits {
    fn default() -> Self {
        Self {
            max_fetches: 5,
            // The documented minute plus one second, so that a request sent at
            // the very end of one window is not counted in the next by the
            // service's clock.
            window: Duration::from_secs(61),
            max_wait: Duration::from_secs(15),
        }
    }
}

impl FetchLimits {
    /// The sliding window these limits describe.
    pub(crate) fn window(&self) -> linkdesk_ratelimit::SlidingWindow {
        linkdesk_ratelimit::SlidingWindow::new(self.max_fetches, self.window)
    }
}
