//! Keeps token requests within Link Money's authentication limit (5 requests a
//! minute per IP): a rolling record of when each request was sent.

use std::collections::VecDeque;
use std::time::Duration;

use tokio::time::Instant;

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

#[derive(Debug)]
pub(crate) struct FetchWindow {
    limits: FetchLimits,
    sent: VecDeque<Instant>,
}

impl FetchWindow {
    pub fn new(limits: FetchLimits) -> Self {
        Self {
            limits,
            sent: VecDeque::new(),
        }
    }

    /// Takes a slot at `now`, or says how long until one frees.
    pub fn try_acquire(&mut self, now: Instant) -> Result<(), Duration> {
        while let Some(first) = self.sent.front() {
            if now.saturating_duration_since(*first) >= self.limits.window {
                self.sent.pop_front();
            } else {
                break;
            }
        }
        if self.sent.len() < self.limits.max_fetches {
            self.sent.push_back(now);
            return Ok(());
        }
        match self.sent.front() {
            Some(first) => Err((*first + self.limits.window).saturating_duration_since(now)),
            None => Err(self.limits.window),
        }
    }

    /// Gives back the slot taken at `at`: the request provably never reached
    /// the service (no connection), so it did not count there either.
    pub fn release(&mut self, at: Instant) {
        if let Some(pos) = self.sent.iter().rposition(|t| *t == at) {
            self.sent.remove(pos);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn limits() -> FetchLimits {
        FetchLimits {
            max_fetches: 5,
            window: Duration::from_secs(60),
            max_wait: Duration::from_secs(1),
        }
    }

    #[test]
    fn five_per_window_then_wait_for_the_oldest() {
        let t0 = Instant::now();
        let mut w = FetchWindow::new(limits());
        for i in 0..5 {
            w.try_acquire(t0 + Duration::from_secs(i * 10)).unwrap();
        }
        let wait = w.try_acquire(t0 + Duration::from_secs(45)).unwrap_err();
        assert_eq!(wait, Duration::from_secs(15));
        w.try_acquire(t0 + Duration::from_secs(60)).unwrap();
        assert!(w.try_acquire(t0 + Duration::from_secs(61)).is_err());
        w.try_acquire(t0 + Duration::from_secs(70)).unwrap();
    }

    #[test]
    fn never_more_than_the_limit_in_any_window() {
        let t0 = Instant::now();
        let mut w = FetchWindow::new(limits());
        let mut sent = Vec::new();
        for s in 0..600u64 {
            let now = t0 + Duration::from_millis(s * 700);
            if w.try_acquire(now).is_ok() {
                sent.push(now);
            }
        }
        for (i, start) in sent.iter().enumerate() {
            let in_window = sent[i..]
                .iter()
                .filter(|t| t.duration_since(*start) < Duration::from_secs(60))
                .count();
            assert!(in_window <= 5);
        }
        assert!(sent.len() >= 35);
    }

    #[test]
    fn released_slots_are_free_again() {
        let t0 = Instant::now();
        let mut w = FetchWindow::new(limits());
        for i in 0..5 {
            w.try_acquire(t0 + Duration::from_secs(i)).unwrap();
        }
        w.release(t0 + Duration::from_secs(4));
        w.try_acquire(t0 + Duration::from_secs(5)).unwrap();
        assert!(w.try_acquire(t0 + Duration::from_secs(6)).is_err());
    }
}
