//! Linkdesk's one rate limiter, used by the Link Money token manager (5 token
//! requests a minute), the sync's pacing (link operations spaced evenly) and
//! the sandbox's documented limits (429 with `Retry-After`): a sliding window
//! that allows at most `limit` events in any `period`.
//!
//! Two ways to use it: `try_acquire` takes a slot now or says how long until
//! one frees (refuse or wait); `reserve` books the earliest slot, possibly in
//! the future, and returns when it is (queue and sleep until then). A slot
//! whose event provably never happened can be given back with `release`.

use std::collections::VecDeque;
use std::time::{Duration, Instant};

#[derive(Debug, Clone)]
pub struct SlidingWindow {
    limit: usize,
    period: Duration,
    /// When each counted event happens, oldest first (reserved ones may lie
    /// in the future).
    events: VecDeque<Instant>,
}

impl SlidingWindow {
    /// At most `limit` events in any `period`. A limit of 0 allows nothing.
    pub fn new(limit: usize, period: Duration) -> Self {
        Self {
            limit,
            period,
            events: VecDeque::new(),
        }
    }

    pub fn limit(&self) -> usize {
        self.limit
    }

    pub fn period(&self) -> Duration {
        self.period
    }

    fn forget_before(&mut self, now: Instant) {
        while self
            .events
            .front()
            .is_some_and(|&t| now.saturating_duration_since(t) >= self.period)
        {
            self.events.pop_front();
        }
    }

    /// Counts an event at `now` if the window has room; otherwise how long
    /// until it has.
    pub fn try_acquire(&mut self, now: Instant) -> Result<(), Duration> {
        self.forget_before(now);
        let waiting = self.earliest(now);
        if waiting <= now {
            self.insert(now);
            return Ok(());
        }
        Err(waiting.saturating_duration_since(now))
    }

    /// Books the earliest moment at or after `now` when an event fits, counts
    /// it, and returns it.
    pub fn reserve(&mut self, now: Instant) -> Instant {
        self.forget_before(now);
        let at = self.earliest(now);
        self.insert(at);
        at
    }

    /// Gives back the slot counted at `at` (the event never happened).
    pub fn release(&mut self, at: Instant) {
        if let Some(pos) = self.events.iter().rposition(|t| *t == at) {
            self.events.remove(pos);
        }
    }

    /// The earliest moment at or after `now` when one more event keeps every
    /// `period` within `limit`: `period` after the event `limit` places back.
    fn earliest(&self, now: Instant) -> Instant {
        if self.limit == 0 {
            return now + Duration::from_secs(365 * 24 * 3600);
        }
        let n = self.events.len();
        let mut at = now;
        if n >= self.limit {
            at = at.max(self.events[n - self.limit] + self.period);
        }
        at
    }

    fn insert(&mut self, at: Instant) {
        let pos = self.events.partition_point(|t| *t <= at);
        self.events.insert(pos, at);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn secs(s: u64) -> Duration {
        Duration::from_secs(s)
    }

    #[test]
    fn five_per_window_then_wait_for_the_oldest() {
        let t0 = Instant::now();
        let mut w = SlidingWindow::new(5, secs(60));
        for i in 0..5 {
            w.try_acquire(t0 + secs(i * 10)).unwrap();
        }
        assert_eq!(w.try_acquire(t0 + secs(45)).unwrap_err(), secs(15));
        w.try_acquire(t0 + secs(60)).unwrap();
        assert!(w.try_acquire(t0 + secs(61)).is_err());
        w.try_acquire(t0 + secs(70)).unwrap();
    }

    #[test]
    fn never_more_than_the_limit_in_any_window() {
        let t0 = Instant::now();
        let mut w = SlidingWindow::new(5, secs(60));
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
                .filter(|t| t.duration_since(*start) < secs(60))
                .count();
            assert!(in_window <= 5);
        }
        assert!(sent.len() >= 35);
    }

    #[test]
    fn released_slots_are_free_again() {
        let t0 = Instant::now();
        let mut w = SlidingWindow::new(5, secs(60));
        for i in 0..5 {
            w.try_acquire(t0 + secs(i)).unwrap();
        }
        w.release(t0 + secs(4));
        w.try_acquire(t0 + secs(5)).unwrap();
        assert!(w.try_acquire(t0 + secs(6)).is_err());
    }

    #[test]
    fn one_per_interval_spaces_reservations_evenly() {
        let t0 = Instant::now();
        let mut w = SlidingWindow::new(1, Duration::from_millis(700));
        let slots: Vec<Instant> = (0..5).map(|_| w.reserve(t0)).collect();
        for (i, at) in slots.iter().enumerate() {
            assert_eq!(*at, t0 + Duration::from_millis(700 * i as u64));
        }
        // Later callers queue behind the booked slots, never before them.
        assert_eq!(w.reserve(t0 + secs(1)), t0 + Duration::from_millis(3500));
        // Once the queue has drained, a new one starts now.
        assert_eq!(w.reserve(t0 + secs(10)), t0 + secs(10));
    }

    #[test]
    fn reservations_and_acquisitions_share_the_window() {
        let t0 = Instant::now();
        let mut w = SlidingWindow::new(2, secs(10));
        assert_eq!(w.reserve(t0), t0);
        assert_eq!(w.reserve(t0), t0);
        assert_eq!(w.try_acquire(t0 + secs(1)).unwrap_err(), secs(9));
        assert_eq!(w.reserve(t0 + secs(1)), t0 + secs(10));
    }

    #[test]
    fn a_zero_limit_allows_nothing() {
        let mut w = SlidingWindow::new(0, secs(1));
        assert!(w.try_acquire(Instant::now()).is_err());
    }
}
