//! How many connections the lab holds at once. A [`Gate`] has a number of places and may sit
//! inside a wider gate: a connection takes a place in its gate and in every gate around it, or in
//! none ([`Gate::enter`]), and gives them all back when its [`Pass`] is dropped. A gate that turns
//! a connection away says so once (the first refusal since it last had room), so the log names the
//! limit without a line per refused connection.
//!
//! The lab's gates (built by `lab::start` from `lab.limits`, docs/security.md): every accepted
//! connection, from the descriptors the process may open ([`descriptor_limit`] and
//! [`descriptor_reserve`]); inside it the SSH connections waiting to log in, lab-wide and per
//! device, and the connections of each HTTP and FTP listener.

use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::Arc;

/// A number of places, possibly inside a wider gate.
#[derive(Debug)]
pub struct Gate {
    /// What the places are for, in the log (`"SSH connections waiting to log in on ce1"`).
    what: String,
    places: usize,
    taken: AtomicUsize,
    refused: AtomicU64,
    /// Set by a refusal, cleared when a place is given back: the next refusal is the first of a
    /// new run of them.
    full: AtomicBool,
    outer: Option<Arc<Gate>>,
}

/// Places taken in a gate and every gate around it; given back on drop.
#[derive(Debug)]
pub struct Pass {
    gate: Arc<Gate>,
}

/// Why a connection was turned away: the gate that had no room, and whether it is the first
/// refusal since that gate last had room (log it then).
#[derive(Debug, Clone)]
pub struct Refused {
    pub what: String,
    pub places: usize,
    pub first: bool,
}

impl std::fmt::Display for Refused {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} at the limit ({}); new connections are closed until some go",
            self.what, self.places
        )
    }
}

impl Refused {
    /// Logs a connection from `peer` to `listener` turned away: a warning on the first refusal of
    /// a run (the operator learns the limit and why), a debug line for the others.
    pub fn log(&self, listener: &str, peer: impl std::fmt::Display) {
        if self.first {
            tracing::warn!(listener, %peer, "{self}");
        } else {
            tracing::debug!(listener, %peer, "{self}; closed");
        }
    }
}

impl Gate {
    /// A gate of `places` (at least one) with no gate around it.
    pub fn new(what: impl Into<String>, places: usize) -> Arc<Gate> {
        Self::build(what.into(), places, None)
    }

    /// A gate of `places` inside `outer`: a place here also takes one there.
    pub fn inside(outer: &Arc<Gate>, what: impl Into<String>, places: usize) -> Arc<Gate> {
        Self::build(what.into(), places, Some(outer.clone()))
    }

    fn build(what: String, places: usize, outer: Option<Arc<Gate>>) -> Arc<Gate> {
        Arc::new(Gate {
            what,
            places: places.max(1),
            taken: AtomicUsize::new(0),
            refused: AtomicU64::new(0),
            full: AtomicBool::new(false),
            outer,
        })
    }

    /// A place here and in every gate around this one, or the first gate (from the innermost
    /// out) that has none; nothing is held then.
    pub fn enter(self: &Arc<Self>) -> Result<Pass, Refused> {
        let mut gate = Some(self);
        let mut entered: Vec<&Arc<Gate>> = Vec::new();
        while let Some(g) = gate {
            let took = g
                .taken
                .fetch_update(Ordering::AcqRel, Ordering::Acquire, |n| {
                    (n < g.places).then_some(n + 1)
                })
                .is_ok();
            if !took {
                for taken in entered {
                    taken.leave();
                }
                g.refused.fetch_add(1, Ordering::Relaxed);
                let first = !g.full.swap(true, Ordering::AcqRel);
                return Err(Refused {
                    what: g.what.clone(),
                    places: g.places,
                    first,
                });
            }
            entered.push(g);
            gate = g.outer.as_ref();
        }
        Ok(Pass { gate: self.clone() })
    }

    fn leave(&self) {
        self.taken.fetch_sub(1, Ordering::AcqRel);
        self.full.store(false, Ordering::Release);
    }

    /// Places taken now.
    pub fn taken(&self) -> usize {
        self.taken.load(Ordering::Acquire)
    }

    /// Places in all.
    pub fn places(&self) -> usize {
        self.places
    }

    /// Connections turned away by this gate so far.
    pub fn refused(&self) -> u64 {
        self.refused.load(Ordering::Relaxed)
    }
}

impl Drop for Pass {
    fn drop(&mut self) {
        let mut gate = Some(&self.gate);
        while let Some(g) = gate {
            g.leave();
            gate = g.outer.as_ref();
        }
    }
}

/// The number of files this process may open (`RLIMIT_NOFILE`), after raising the soft limit to
/// the hard one as a server does (`ulimit -n` is often 1024 while the hard limit is far higher).
/// Only when the hard limit is below `needed` (a lab of 100,000 devices needs a listener each) is
/// it raised too, to `wanted` at most and the system's most (`/proc/sys/fs/nr_open`), which only a
/// process allowed to (root, `CAP_SYS_RESOURCE`) can; a limit someone set that leaves what is
/// needed is kept.
pub fn descriptor_limit(needed: u64, wanted: u64) -> u64 {
    let mut limit = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    let most = std::fs::read_to_string("/proc/sys/fs/nr_open")
        .ok()
        .and_then(|t| t.trim().parse::<u64>().ok());
    // SAFETY: getrlimit and setrlimit only read and write the struct passed.
    #[allow(unsafe_code)]
    unsafe {
        if libc::getrlimit(libc::RLIMIT_NOFILE, &mut limit) != 0 {
            return 1024;
        }
        let set = |to: u64| {
            let raised = libc::rlimit {
                rlim_cur: to,
                rlim_max: to,
            };
            libc::setrlimit(libc::RLIMIT_NOFILE, &raised) == 0
        };
        let hard = limit.rlim_max;
        let beyond = most.map_or(0, |most| wanted.max(needed).min(most));
        if hard < needed && beyond > hard && set(beyond) {
            limit.rlim_cur = beyond;
        } else if limit.rlim_cur < limit.rlim_max && set(hard) {
            limit.rlim_cur = limit.rlim_max;
        }
    }
    limit.rlim_cur
}

/// Descriptors a lab keeps for itself beyond the connections it accepts: its listeners (one per
/// device, one HTTP per CDM, FTP and HTTP per image server), the CMS database files of each CDM
/// (database, journal, shared memory), outgoing transfers, its control socket and its runtime,
/// with room to spare.
pub fn descriptor_reserve(devices: usize, cdms: usize, servers: usize) -> u64 {
    const SPARE: u64 = 64;
    let count = |n: usize| u64::try_from(n).unwrap_or(u64::MAX);
    SPARE
        .saturating_add(count(devices))
        .saturating_add(count(cdms).saturating_mul(4))
        .saturating_add(count(servers).saturating_mul(4))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_pass_takes_a_place_in_every_gate_around_and_gives_them_back() {
        let lab = Gate::new("connections", 3);
        let ce1 = Gate::inside(&lab, "ce1", 2);
        let ce2 = Gate::inside(&lab, "ce2", 2);
        let a = ce1.enter().unwrap();
        let b = ce1.enter().unwrap();
        let refused = ce1.enter().unwrap_err();
        assert_eq!((refused.what.as_str(), refused.places), ("ce1", 2));
        assert!(refused.first);
        assert!(!ce1.enter().unwrap_err().first, "said once per run");
        assert_eq!(lab.taken(), 2, "the refusal held nothing");
        let c = ce2.enter().unwrap();
        let refused = ce2.enter().unwrap_err();
        assert_eq!(refused.what, "connections", "the outer gate is full");
        assert_eq!(ce2.taken(), 1, "nothing held in the inner gate either");
        drop(a);
        assert_eq!((lab.taken(), ce1.taken()), (2, 1));
        let d = ce1.enter().unwrap();
        assert_eq!(ce2.enter().unwrap_err().what, "connections");
        assert_eq!((ce1.refused(), ce2.refused(), lab.refused()), (2, 0, 2));
        drop((b, c, d));
        assert_eq!((lab.taken(), ce1.taken(), ce2.taken()), (0, 0, 0));
    }

    #[test]
    fn the_reserve_counts_listeners_and_files() {
        assert_eq!(descriptor_reserve(5, 2, 1), 64 + 5 + 8 + 4);
        assert_eq!(descriptor_reserve(usize::MAX, usize::MAX, 1), u64::MAX);
    }

    #[test]
    fn the_descriptor_limit_is_read() {
        assert!(descriptor_limit(0, 0) >= 16);
    }
}
