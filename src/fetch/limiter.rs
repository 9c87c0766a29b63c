//! Per-host politeness: spaces request starts to one hostname by a minimum interval.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Duration;

use tokio::time::Instant;

/// Past this many remembered hosts, slots already in the past are dropped so a
/// long-running daemon that meets many redirect targets does not grow forever.
const PRUNE_THRESHOLD: usize = 1024;

/// Shared schedule of "next allowed request start" per hostname.
///
/// A std `Mutex` rather than a tokio one: the lock is only held to read and
/// bump a map entry, never across an `.await`, which is the case tokio's own
/// docs recommend the blocking mutex for.
#[derive(Debug)]
pub(crate) struct HostLimiter {
    default_interval: Duration,
    state: Mutex<State>,
}

#[derive(Debug, Default)]
struct State {
    next_allowed: HashMap<String, Instant>,
    overrides: HashMap<String, Duration>,
}

impl HostLimiter {
    pub(crate) fn new(default_interval: Duration) -> Self {
        Self {
            default_interval,
            state: Mutex::new(State::default()),
        }
    }

    pub(crate) fn set_interval(&self, host: &str, interval: Duration) {
        let mut state = self.lock();
        state.overrides.insert(host.to_ascii_lowercase(), interval);
    }

    pub(crate) fn interval_for(&self, host: &str) -> Duration {
        let state = self.lock();
        state
            .overrides
            .get(host)
            .copied()
            .unwrap_or(self.default_interval)
    }

    /// Waits until this caller may start a request to `host`.
    ///
    /// The slot is reserved under the lock and the sleep happens outside it,
    /// so concurrent callers for one host queue up at successive slots while
    /// callers for other hosts are never held up.
    pub(crate) async fn wait_turn(&self, host: &str) {
        let start = {
            let mut state = self.lock();
            let interval = state
                .overrides
                .get(host)
                .copied()
                .unwrap_or(self.default_interval);
            if interval.is_zero() {
                return;
            }
            let now = Instant::now();
            if state.next_allowed.len() >= PRUNE_THRESHOLD {
                state.next_allowed.retain(|_, at| *at > now);
            }
            let start = match state.next_allowed.get(host) {
                Some(&at) if at > now => at,
                _ => now,
            };
            // Checked: a far-future slot is no reason to panic.
            let next = start.checked_add(interval).unwrap_or(start);
            state.next_allowed.insert(host.to_owned(), next);
            start
        };
        tokio::time::sleep_until(start).await;
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        // The map holds plain data that stays consistent even if a holder
        // panicked, so a poisoned lock is still safe to use.
        self.state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // tokio's paused clock: time moves only when every task waits, so the
    // spacing is exact and the machine's speed does not matter.

    #[tokio::test(start_paused = true)]
    async fn same_host_is_spaced() {
        let limiter = HostLimiter::new(Duration::from_millis(60));
        let t0 = Instant::now();
        for _ in 0..3 {
            limiter.wait_turn("a.example").await;
        }
        assert_eq!(t0.elapsed(), Duration::from_millis(120));
    }

    #[tokio::test(start_paused = true)]
    async fn other_hosts_are_not_delayed() {
        let limiter = HostLimiter::new(Duration::from_secs(5));
        let t0 = Instant::now();
        limiter.wait_turn("a.example").await;
        limiter.wait_turn("b.example").await;
        limiter.wait_turn("c.example").await;
        assert_eq!(t0.elapsed(), Duration::ZERO);
    }

    #[tokio::test(start_paused = true)]
    async fn override_interval_applies_to_that_host_only() {
        let limiter = HostLimiter::new(Duration::from_secs(5));
        limiter.set_interval("Fast.Example", Duration::from_millis(10));
        assert_eq!(
            limiter.interval_for("fast.example"),
            Duration::from_millis(10)
        );
        assert_eq!(
            limiter.interval_for("other.example"),
            Duration::from_secs(5)
        );
        let t0 = Instant::now();
        for _ in 0..3 {
            limiter.wait_turn("fast.example").await;
        }
        assert_eq!(t0.elapsed(), Duration::from_millis(20));
    }

    #[tokio::test(start_paused = true)]
    async fn zero_interval_never_waits() {
        let limiter = HostLimiter::new(Duration::ZERO);
        let t0 = Instant::now();
        for _ in 0..5 {
            limiter.wait_turn("a.example").await;
        }
        assert_eq!(t0.elapsed(), Duration::ZERO);
    }
}
