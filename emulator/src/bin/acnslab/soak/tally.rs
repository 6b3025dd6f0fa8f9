//! Counting what the sessions report: failures by kind, latency samples (a bounded uniform sample
//! with the exact count and maximum) and the tally of a stretch of time (an interval, or the whole
//! soak). Pure: no clock, no I/O.

use acnslab::ssh_client::ClientError;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde::Serialize;

use crate::measure::percentiles::{round3, Percentiles};

/// Why a session failed, in the few kinds a soak reports.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FailureKind {
    /// TCP connect or key exchange failed.
    Connect,
    /// The login was refused or failed.
    Auth,
    /// No answer, or no prompt, within the client's time limit.
    Timeout,
    /// The device closed the session (or the connection went).
    Closed,
    /// Anything else: a channel refused, a reply too long.
    Other,
}

impl FailureKind {
    /// The kind of a client failure.
    pub fn of(failure: &ClientError) -> FailureKind {
        match failure {
            ClientError::Connect { .. } => FailureKind::Connect,
            ClientError::Login { .. } | ClientError::Refused { .. } => FailureKind::Auth,
            ClientError::NoAnswer { .. } | ClientError::NoPrompt { .. } => FailureKind::Timeout,
            ClientError::ClosedAtOnce { .. }
            | ClientError::Closed { .. }
            | ClientError::Send { .. } => FailureKind::Closed,
            ClientError::Channel { .. } | ClientError::Overflow => FailureKind::Other,
        }
    }

    /// The kind as the report names it.
    pub fn name(self) -> &'static str {
        match self {
            FailureKind::Connect => "connect",
            FailureKind::Auth => "auth",
            FailureKind::Timeout => "timeout",
            FailureKind::Closed => "closed",
            FailureKind::Other => "other",
        }
    }
}

/// Failures by kind.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct ErrorCounts {
    pub connect: usize,
    pub auth: usize,
    pub timeout: usize,
    pub closed: usize,
    pub other: usize,
}

impl ErrorCounts {
    pub fn add(&mut self, kind: FailureKind) {
        let count = match kind {
            FailureKind::Connect => &mut self.connect,
            FailureKind::Auth => &mut self.auth,
            FailureKind::Timeout => &mut self.timeout,
            FailureKind::Closed => &mut self.closed,
            FailureKind::Other => &mut self.other,
        };
        *count += 1;
    }

    pub fn total(&self) -> usize {
        self.connect + self.auth + self.timeout + self.closed + self.other
    }
}

/// Latency samples, seconds: all of them up to `capacity`, then a uniform sample of that size
/// (reservoir sampling), so that a long soak's memory stays bounded; the count and the maximum
/// stay exact.
pub struct Samples {
    kept: Vec<f64>,
    seen: u64,
    max: f64,
    capacity: usize,
    rng: StdRng,
}

/// Samples a tally keeps before it starts sampling (8 MB).
pub const SAMPLE_CAPACITY: usize = 1_000_000;

impl Samples {
    pub fn new(capacity: usize) -> Samples {
        Samples {
            kept: Vec::new(),
            seen: 0,
            max: 0.0,
            capacity: capacity.max(1),
            rng: StdRng::seed_from_u64(0x50a6),
        }
    }

    pub fn add(&mut self, seconds: f64) {
        self.seen += 1;
        self.max = self.max.max(seconds);
        if self.kept.len() < self.capacity {
            self.kept.push(seconds);
        } else {
            let slot = self.rng.gen_range(0..self.seen);
            if let Ok(slot) = usize::try_from(slot) {
                if slot < self.capacity {
                    self.kept[slot] = seconds;
                }
            }
        }
    }

    /// How many were added.
    pub fn seen(&self) -> u64 {
        self.seen
    }

    /// Percentiles in milliseconds, of the sample kept; `n` and `max` are exact.
    pub fn percentiles(&self) -> Percentiles {
        let mut p = Percentiles::of(&self.kept);
        if self.seen > 0 {
            p.n = usize::try_from(self.seen).unwrap_or(usize::MAX);
            p.max = round3(self.max * 1000.0);
        }
        p
    }
}

/// What one session reported.
#[derive(Debug, Clone, PartialEq)]
pub enum Event {
    /// Logged in, at the first prompt.
    Opened,
    /// Could not open.
    OpenFailed { kind: FailureKind, detail: String },
    /// A command came back to the prompt after `seconds`.
    Reply { seconds: f64 },
    /// An open session ended by a failure before the soak stopped it.
    Dropped { kind: FailureKind, detail: String },
    /// Logged out at the end of the soak.
    Closed,
}

/// Examples of failures kept, the first ones.
const EXAMPLES: usize = 5;

/// What happened during a stretch of time.
pub struct Tally {
    pub opened: usize,
    pub open_failed: usize,
    pub dropped: usize,
    pub closed: usize,
    pub errors: ErrorCounts,
    pub latency: Samples,
    pub examples: Vec<String>,
}

impl Default for Tally {
    fn default() -> Self {
        Tally {
            opened: 0,
            open_failed: 0,
            dropped: 0,
            closed: 0,
            errors: ErrorCounts::default(),
            latency: Samples::new(SAMPLE_CAPACITY),
            examples: Vec::new(),
        }
    }
}

impl Tally {
    pub fn record(&mut self, event: &Event) {
        match event {
            Event::Opened => self.opened += 1,
            Event::OpenFailed { kind, detail } => {
                self.open_failed += 1;
                self.failure(*kind, detail);
            }
            Event::Reply { seconds } => self.latency.add(*seconds),
            Event::Dropped { kind, detail } => {
                self.dropped += 1;
                self.failure(*kind, detail);
            }
            Event::Closed => self.closed += 1,
        }
    }

    fn failure(&mut self, kind: FailureKind, detail: &str) {
        self.errors.add(kind);
        if self.examples.len() < EXAMPLES {
            self.examples.push(detail.to_string());
        }
    }

    /// Commands that came back to the prompt.
    pub fn commands(&self) -> u64 {
        self.latency.seen()
    }

    /// Sessions open now, when this tally covers the soak from its start.
    pub fn open(&self) -> usize {
        self.opened
            .saturating_sub(self.dropped)
            .saturating_sub(self.closed)
    }
}

#[cfg(test)]
mod tests {
    use std::net::SocketAddr;
    use std::time::Duration;

    use super::*;

    #[test]
    fn an_interval_counts_commands_errors_by_kind_and_its_latency() {
        let mut t = Tally::default();
        for _ in 0..3 {
            t.record(&Event::Opened);
        }
        t.record(&Event::OpenFailed {
            kind: FailureKind::Auth,
            detail: "refused".into(),
        });
        for ms in [1.0, 2.0, 3.0, 4.0, 40.0] {
            t.record(&Event::Reply {
                seconds: ms / 1000.0,
            });
        }
        t.record(&Event::Dropped {
            kind: FailureKind::Timeout,
            detail: "no prompt".into(),
        });
        t.record(&Event::Closed);
        assert_eq!((t.opened, t.open_failed, t.dropped, t.closed), (3, 1, 1, 1));
        assert_eq!(t.open(), 1);
        assert_eq!(t.commands(), 5);
        assert_eq!(
            t.errors,
            ErrorCounts {
                auth: 1,
                timeout: 1,
                ..ErrorCounts::default()
            }
        );
        assert_eq!(t.errors.total(), 2);
        assert_eq!(t.examples, ["refused", "no prompt"]);
        let p = t.latency.percentiles();
        assert_eq!((p.n, p.p50, p.max), (5, 3.0, 40.0));
        assert_eq!(Tally::default().latency.percentiles().n, 0);
    }

    #[test]
    fn samples_beyond_the_capacity_keep_an_exact_count_and_maximum() {
        let mut s = Samples::new(100);
        for i in 0..10_000 {
            s.add(f64::from(i % 1000) / 1000.0);
        }
        s.add(5.0);
        assert_eq!(s.kept.len(), 100);
        let p = s.percentiles();
        assert_eq!((p.n, p.max), (10_001, 5000.0));
        // A uniform sample of 0..1 s: its median is near 500 ms.
        assert!((200.0..800.0).contains(&p.p50), "{p:?}");
    }

    #[test]
    fn client_failures_fall_into_the_reported_kinds() {
        let addr = SocketAddr::from(([127, 0, 0, 1], 22));
        let timeout = Duration::from_secs(1);
        let cases = [
            (
                ClientError::Refused {
                    addr,
                    user: "admin".into(),
                },
                FailureKind::Auth,
            ),
            (
                ClientError::NoAnswer { addr, timeout },
                FailureKind::Timeout,
            ),
            (
                ClientError::NoPrompt {
                    timeout,
                    tail: String::new(),
                },
                FailureKind::Timeout,
            ),
            (ClientError::Closed { addr }, FailureKind::Closed),
            (ClientError::ClosedAtOnce { addr }, FailureKind::Closed),
            (ClientError::Overflow, FailureKind::Other),
        ];
        for (failure, kind) in cases {
            assert_eq!(FailureKind::of(&failure), kind, "{failure}");
        }
    }
}
