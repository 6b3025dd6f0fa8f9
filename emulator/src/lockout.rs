//! A login lockout (a CDM's web GUI, a device's SSH logins): after `max_failures` failed logins
//! within `window`, every login (right or wrong) is refused until `window` has passed since the
//! last failure. Every client of a lab is on loopback, so the count is per CDM or device, not per
//! address: a password guesser gets a handful of tries a minute instead of thousands a second.
//! Real time (`Instant`), not the lab clock: a fast or virtual lab clock must not shorten it.
//! Pure: the caller passes the time in.

use std::collections::VecDeque;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// The web GUI's rule: five failed logins within a minute.
pub const MAX_FAILURES: usize = 5;
/// How far back failures count, and how long a lockout lasts after the last one.
pub const WINDOW: Duration = Duration::from_secs(60);

/// The recent failures of one login window.
pub struct Lockout {
    failures: Mutex<VecDeque<Instant>>,
    max_failures: usize,
    window: Duration,
}

impl Default for Lockout {
    /// [`MAX_FAILURES`] within [`WINDOW`].
    fn default() -> Self {
        Lockout::new(MAX_FAILURES, WINDOW)
    }
}

impl Lockout {
    /// Locks after `max_failures` failed logins within `window`, for `window` after the last.
    pub fn new(max_failures: usize, window: Duration) -> Self {
        Lockout {
            failures: Mutex::new(VecDeque::new()),
            max_failures: max_failures.max(1),
            window,
        }
    }

    /// `None` when a login may be tried at `now`; else how long until it may.
    pub fn wait(&self, now: Instant) -> Option<Duration> {
        let mut failures = self.failures.lock().unwrap_or_else(|p| p.into_inner());
        while failures
            .front()
            .is_some_and(|t| now.saturating_duration_since(*t) >= self.window)
        {
            failures.pop_front();
        }
        let last = *failures.back()?;
        (failures.len() >= self.max_failures).then(|| {
            self.window
                .saturating_sub(now.saturating_duration_since(last))
        })
    }

    /// A failed login at `now` (the list never holds more than `max_failures`).
    pub fn failed(&self, now: Instant) {
        let mut failures = self.failures.lock().unwrap_or_else(|p| p.into_inner());
        if failures.len() >= self.max_failures {
            failures.pop_front();
        }
        failures.push_back(now);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn five_failures_in_a_minute_lock_logins_for_a_minute_after_the_last() {
        let lockout = Lockout::default();
        let t0 = Instant::now();
        for i in 0..4 {
            lockout.failed(t0 + Duration::from_secs(i));
            assert_eq!(lockout.wait(t0 + Duration::from_secs(i)), None);
        }
        lockout.failed(t0 + Duration::from_secs(10));
        assert_eq!(
            lockout.wait(t0 + Duration::from_secs(10)),
            Some(Duration::from_secs(60))
        );
        assert_eq!(
            lockout.wait(t0 + Duration::from_secs(40)),
            Some(Duration::from_secs(30))
        );
        // the first failures leave the window one by one: unlocked
        assert_eq!(lockout.wait(t0 + Duration::from_secs(61)), None);
        // failures spread out never lock
        let spread = Lockout::default();
        for i in 0..20 {
            spread.failed(t0 + Duration::from_secs(20 * i));
            assert_eq!(spread.wait(t0 + Duration::from_secs(20 * i)), None, "{i}");
        }
    }
}
