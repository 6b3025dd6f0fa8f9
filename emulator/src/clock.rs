//! The lab clock: the one source of time for everything time-related in a lab (uptime, `show clock`,
//! boot durations, polling intervals, file names). It runs either on real time with a speed factor
//! or on a virtual timeline that only moves when [`LabClock::advance`] is called (tests, scenario runs),
//! so reboots and intervals cost no wall time there. It knows nothing about devices.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use tokio::sync::oneshot;

/// A shared handle to the lab clock; clones see the same time.
#[derive(Clone)]
pub struct LabClock {
    inner: Arc<Inner>,
}

enum Inner {
    Real {
        origin: Instant,
        origin_lab: DateTime<Utc>,
        speed: f64,
    },
    Virtual(Mutex<VirtualTime>),
}

struct VirtualTime {
    now: DateTime<Utc>,
    next_id: u64,
    timers: BTreeMap<(DateTime<Utc>, u64), oneshot::Sender<()>>,
}

impl LabClock {
    /// Real time starting now, running `speed` times faster than the wall clock (1.0 = real time).
    pub fn real(speed: f64) -> Self {
        let speed = if speed.is_finite() && speed > 0.0 {
            speed
        } else {
            1.0
        };
        Self {
            inner: Arc::new(Inner::Real {
                origin: Instant::now(),
                origin_lab: Utc::now(),
                speed,
            }),
        }
    }

    /// A virtual clock standing at `start` until advanced.
    pub fn virtual_at(start: DateTime<Utc>) -> Self {
        let time = VirtualTime {
            now: start,
            next_id: 0,
            timers: BTreeMap::new(),
        };
        Self {
            inner: Arc::new(Inner::Virtual(Mutex::new(time))),
        }
    }

    /// Whether this clock only moves by [`LabClock::advance`].
    pub fn is_virtual(&self) -> bool {
        matches!(*self.inner, Inner::Virtual(_))
    }

    /// The lab's current date and time.
    pub fn now(&self) -> DateTime<Utc> {
        match &*self.inner {
            Inner::Real {
                origin,
                origin_lab,
                speed,
            } => {
                let lab_elapsed = scale(origin.elapsed(), *speed);
                later(*origin_lab, lab_elapsed)
            }
            Inner::Virtual(time) => lock(time).now,
        }
    }

    /// Waits until `duration` of lab time has passed.
    pub async fn sleep(&self, duration: Duration) {
        match &*self.inner {
            Inner::Real { speed, .. } => tokio::time::sleep(scale(duration, 1.0 / *speed)).await,
            Inner::Virtual(time) => {
                let fired = {
                    let mut time = lock(time);
                    let (tx, rx) = oneshot::channel();
                    let deadline = later(time.now, duration);
                    if deadline <= time.now {
                        return;
                    }
                    let id = time.next_id;
                    time.next_id += 1;
                    time.timers.insert((deadline, id), tx);
                    rx
                };
                let _ = fired.await;
            }
        }
    }

    /// Moves a virtual clock forward by `duration`, waking every sleeper whose deadline has come, in
    /// deadline order. Does nothing on a real clock.
    pub fn advance(&self, duration: Duration) {
        let Inner::Virtual(time) = &*self.inner else {
            return;
        };
        let mut time = lock(time);
        let target = later(time.now, duration);
        while let Some(entry) = time.timers.first_entry() {
            if entry.key().0 > target {
                break;
            }
            let ((deadline, _), waker) = entry.remove_entry();
            time.now = deadline;
            let _ = waker.send(());
        }
        time.now = target;
    }

    /// Number of sleepers waiting on a virtual clock (0 on a real clock).
    pub fn pending_timers(&self) -> usize {
        match &*self.inner {
            Inner::Virtual(time) => lock(time).timers.len(),
            Inner::Real { .. } => 0,
        }
    }
}

/// `t` plus `d`, saturating at the last date chrono can hold instead of panicking (a huge
/// duration, or a fast clock running long).
pub fn later(t: DateTime<Utc>, d: Duration) -> DateTime<Utc> {
    chrono::Duration::from_std(d)
        .ok()
        .and_then(|d| t.checked_add_signed(d))
        .unwrap_or(DateTime::<Utc>::MAX_UTC)
}

/// `d` times `factor`, saturating at `Duration::MAX` (and 0 for a factor that is not a positive
/// number) instead of panicking as `Duration::mul_f64` does.
pub fn scale(d: Duration, factor: f64) -> Duration {
    let secs = d.as_secs_f64() * factor;
    if secs.is_nan() || secs <= 0.0 {
        return Duration::ZERO;
    }
    Duration::try_from_secs_f64(secs).unwrap_or(Duration::MAX)
}

fn lock(time: &Mutex<VirtualTime>) -> std::sync::MutexGuard<'_, VirtualTime> {
    time.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// Uptime in the words of `show version`: units that are zero are left out, singular or plural as
/// appropriate ("2 weeks, 1 day, 3 hours, 2 minutes, 56 seconds").
pub fn uptime_words(uptime: Duration) -> String {
    const UNITS: [(&str, u64); 5] = [
        ("week", 604_800),
        ("day", 86_400),
        ("hour", 3_600),
        ("minute", 60),
        ("second", 1),
    ];
    let mut left = uptime.as_secs();
    let mut parts = Vec::new();
    for (name, size) in UNITS {
        let n = left / size;
        left %= size;
        if n > 0 {
            parts.push(format!("{n} {name}{}", if n == 1 { "" } else { "s" }));
        }
    }
    if parts.is_empty() {
        return "0 seconds".to_string();
    }
    parts.join(", ")
}

/// The ACNS date format of `show version` and `show clock`: `Wed Nov 25 10:35:47 2026`.
pub fn ctime(t: DateTime<Utc>) -> String {
    t.format("%a %b %e %H:%M:%S %Y").to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn uptime_leaves_out_zero_units_and_pluralises() {
        let t = 2 * 604_800 + 86_400 + 3 * 3_600 + 2 * 60 + 56;
        assert_eq!(
            uptime_words(Duration::from_secs(t)),
            "2 weeks, 1 day, 3 hours, 2 minutes, 56 seconds"
        );
        assert_eq!(uptime_words(Duration::from_secs(3_601)), "1 hour, 1 second");
        assert_eq!(uptime_words(Duration::from_secs(0)), "0 seconds");
    }

    #[test]
    fn ctime_matches_acns() {
        let t = Utc.with_ymd_and_hms(2026, 11, 25, 10, 35, 47).unwrap();
        assert_eq!(ctime(t), "Wed Nov 25 10:35:47 2026");
    }

    #[test]
    fn huge_durations_saturate_instead_of_panicking() {
        let start = Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap();
        assert_eq!(later(start, Duration::MAX), DateTime::<Utc>::MAX_UTC);
        assert_eq!(
            later(DateTime::<Utc>::MAX_UTC, Duration::from_secs(1)),
            DateTime::<Utc>::MAX_UTC
        );
        // 9e12 s fits a chrono Duration but not a date
        assert_eq!(
            later(start, Duration::from_secs(9_000_000_000_000)),
            DateTime::<Utc>::MAX_UTC
        );
        assert_eq!(
            later(start, Duration::from_secs(1)),
            start + chrono::Duration::seconds(1)
        );
        assert_eq!(
            scale(Duration::from_secs(40), 2e11),
            Duration::from_secs(8_000_000_000_000)
        );
        assert_eq!(scale(Duration::from_secs(1), 1e300), Duration::MAX);
        assert_eq!(scale(Duration::MAX, 1e300), Duration::MAX);
        assert_eq!(scale(Duration::from_secs(1), 1.0 / 1e-300), Duration::MAX);
        assert_eq!(scale(Duration::from_secs(1), f64::NAN), Duration::ZERO);
        assert_eq!(
            scale(Duration::from_secs(3), 0.5),
            Duration::from_millis(1500)
        );
    }

    #[test]
    fn a_virtual_clock_advanced_by_a_huge_duration_stops_at_the_last_date() {
        let start = Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap();
        let clock = LabClock::virtual_at(start);
        clock.advance(Duration::from_secs(u64::MAX));
        assert_eq!(clock.now(), DateTime::<Utc>::MAX_UTC);
        clock.advance(Duration::MAX);
        assert_eq!(clock.now(), DateTime::<Utc>::MAX_UTC);
    }

    #[tokio::test]
    async fn a_virtual_sleep_of_a_huge_duration_waits_instead_of_returning_at_once() {
        let clock = LabClock::virtual_at(Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap());
        let sleeper = tokio::spawn({
            let clock = clock.clone();
            async move { clock.sleep(Duration::MAX).await }
        });
        while clock.pending_timers() < 1 {
            tokio::task::yield_now().await;
        }
        assert!(!sleeper.is_finished());
        clock.advance(Duration::MAX);
        sleeper.await.unwrap();
    }

    #[tokio::test]
    async fn a_real_clock_at_an_absurd_speed_saturates() {
        let clock = LabClock::real(1e300);
        std::thread::sleep(Duration::from_millis(2));
        assert_eq!(clock.now(), DateTime::<Utc>::MAX_UTC);
        // a sleep at a tiny speed is capped, not a panic
        let slow = LabClock::real(1e-300);
        let sleep = slow.sleep(Duration::from_secs(1));
        assert!(tokio::time::timeout(Duration::from_millis(10), sleep)
            .await
            .is_err());
    }

    #[tokio::test]
    async fn virtual_clock_wakes_sleepers_in_order_only_when_advanced() {
        let start = Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap();
        let clock = LabClock::virtual_at(start);
        let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
        for secs in [30u64, 10, 20] {
            let (clock, tx) = (clock.clone(), tx.clone());
            tokio::spawn(async move {
                clock.sleep(Duration::from_secs(secs)).await;
                tx.send((secs, clock.now())).unwrap();
            });
        }
        while clock.pending_timers() < 3 {
            tokio::task::yield_now().await;
        }
        clock.advance(Duration::from_secs(15));
        let (first, at) = rx.recv().await.unwrap();
        assert_eq!(first, 10);
        assert_eq!(at, start + chrono::Duration::seconds(15));
        assert!(rx.try_recv().is_err());
        clock.advance(Duration::from_secs(60));
        let mut rest = vec![rx.recv().await.unwrap().0, rx.recv().await.unwrap().0];
        rest.sort();
        assert_eq!(rest, vec![20, 30]);
        assert_eq!(clock.now(), start + chrono::Duration::seconds(75));
    }
}
