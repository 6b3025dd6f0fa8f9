//! The lab's connection gates, from `lab.limits` and the number of files the process may open:
//! every connection the lab accepts takes a place in `connections`; an SSH connection also takes
//! one among those waiting to log in (its device's, inside the lab's) until it logs in; an HTTP
//! or FTP connection one of its listener's. The lab keeps what the descriptor limit leaves after
//! its own files and listeners ([`crate::admission::descriptor_reserve`]), so a flood that reaches
//! the limit is turned away before the lab runs out of descriptors, and the connections already
//! logged in, the API and the control socket go on.

use std::sync::Arc;
use std::time::Duration;

use crate::admission::{descriptor_reserve, Gate};
use crate::config::DeviceKind;
use crate::topology::Topology;

/// The fewest connections a lab is started with.
const FEWEST_CONNECTIONS: u64 = 16;
/// The most SSH connections waiting to log in lab-wide unless `lab.limits.unauthenticated` says.
const DEFAULT_UNAUTHENTICATED: u64 = 256;

/// Why the limits cannot be kept with the files this process may open.
#[derive(Debug, thiserror::Error)]
#[error("lab.limits: {0}")]
pub struct LimitsError(String);

/// The gates of one lab.
pub struct LabGates {
    pub connections: Arc<Gate>,
    pub unauthenticated: Arc<Gate>,
    per_device: usize,
    per_listener: usize,
    pub login_grace: Duration,
    /// The process's limit on open files, and what the lab keeps of it for itself.
    pub open_files: u64,
    pub reserve: u64,
}

/// The open files a lab of `topology` keeps for itself ([`descriptor_reserve`]).
fn reserve_of(topology: &Topology) -> u64 {
    let cdms = topology
        .devices
        .iter()
        .filter(|d| d.kind == DeviceKind::Cdm)
        .count();
    descriptor_reserve(topology.devices.len(), cdms, topology.servers.len())
}

impl LabGates {
    /// The open files a lab of `topology` needs (its own, [`descriptor_reserve`], and the fewest
    /// connections) and would like (room for `lab.limits.connections`, or 4,096 connections when
    /// it does not say): a lab whose limit is below what it needs raises it where it may
    /// (`admission::descriptor_limit`).
    pub fn files(topology: &Topology) -> (u64, u64) {
        let reserve = reserve_of(topology);
        let connections = topology.lab.limits.connections.map_or(4_096, u64::from);
        (
            reserve.saturating_add(FEWEST_CONNECTIONS),
            reserve.saturating_add(connections),
        )
    }

    /// The gates of `topology` for a process that may open `open_files` files.
    pub fn new(topology: &Topology, open_files: u64) -> Result<LabGates, LimitsError> {
        let limits = &topology.lab.limits;
        let reserve = reserve_of(topology);
        let room = open_files.saturating_sub(reserve);
        let connections = match limits.connections {
            Some(asked) if u64::from(asked) > room => {
                return Err(LimitsError(format!(
                    "connections: {asked} connections and the lab's own {reserve} files need {} open files, but this process may open {open_files} (raise it with `ulimit -n`, or ask for fewer)",
                    u64::from(asked) + reserve
                )))
            }
            Some(asked) => u64::from(asked),
            None if room < FEWEST_CONNECTIONS => {
                return Err(LimitsError(format!(
                    "this process may open {open_files} files; a lab of {} devices and {} servers needs at least {} (one listener per device; raise the limit with `ulimit -n`, or above the hard limit `ulimit -Hn` as root, with `prlimit --nofile`, or `LimitNOFILE=` of a systemd unit; the lab raises its hard limit itself when it has CAP_SYS_RESOURCE, as root usually does)",
                    topology.devices.len(),
                    topology.servers.len(),
                    reserve + FEWEST_CONNECTIONS
                )))
            }
            None => room,
        };
        let unauthenticated = match limits.unauthenticated {
            Some(asked) => u64::from(asked).min(connections),
            None => (connections / 2).clamp(1, DEFAULT_UNAUTHENTICATED),
        };
        let size = |n: u64| usize::try_from(n).unwrap_or(usize::MAX);
        let connections_gate = Gate::new("connections of the lab", size(connections));
        let unauthenticated_gate = Gate::new(
            "SSH connections of the lab waiting to log in",
            size(unauthenticated),
        );
        Ok(LabGates {
            connections: connections_gate,
            unauthenticated: unauthenticated_gate,
            per_device: size(u64::from(limits.unauthenticated_per_device)),
            per_listener: size(u64::from(limits.connections_per_listener)),
            login_grace: Duration::from_secs(u64::from(limits.login_grace_seconds)),
            open_files,
            reserve,
        })
    }

    /// The gate of `device`'s SSH connections waiting to log in, inside the lab's.
    pub fn waiting_to_log_in(&self, device: &str) -> Arc<Gate> {
        Gate::inside(
            &self.unauthenticated,
            format!("SSH connections waiting to log in on {device}"),
            self.per_device,
        )
    }

    /// The gate of one HTTP or FTP listener, inside the lab's connections.
    pub fn listener(&self, what: impl std::fmt::Display) -> Arc<Gate> {
        Gate::inside(
            &self.connections,
            format!("connections of {what}"),
            self.per_listener,
        )
    }

    /// One line for the log at start.
    pub fn describe(&self) -> String {
        format!(
            "at most {} connections (open files {}, {} kept for the lab's own), {} waiting to log in ({} per device), {} s to log in, {} per HTTP or FTP listener",
            self.connections.places(),
            self.open_files,
            self.reserve,
            self.unauthenticated.places(),
            self.per_device,
            self.login_grace.as_secs(),
            self.per_listener
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lab(limits: &str) -> Topology {
        Topology::parse(
            &format!(
                "lab:\n  limits: {limits}\ndevices:\n  - {{name: cdm1, kind: cdm, role: primary, ip: 10.1.1.5}}\n  - {{name: ce1, kind: ce, ip: 10.1.1.10}}\nservers:\n  - {{name: images, ip: 10.1.1.100}}\n"
            ),
            "t.yaml",
        )
        .unwrap()
    }

    #[test]
    fn by_default_the_lab_takes_what_the_descriptors_leave_and_half_for_logins() {
        let gates = LabGates::new(&lab("{}"), 200).unwrap();
        let reserve = 64 + 2 + 4 + 4;
        assert_eq!(gates.reserve, reserve);
        assert_eq!(gates.connections.places() as u64, 200 - reserve);
        assert_eq!(gates.unauthenticated.places() as u64, (200 - reserve) / 2);
        let many = LabGates::new(&lab("{}"), 1_000_000).unwrap();
        assert_eq!(many.unauthenticated.places(), 256);
        assert_eq!(many.waiting_to_log_in("ce1").places(), 32);
        assert_eq!(many.login_grace, Duration::from_secs(60));
    }

    #[test]
    fn limits_the_descriptors_cannot_hold_are_refused_with_the_way_out() {
        let e = LabGates::new(&lab("{connections: 5000}"), 1024)
            .err()
            .unwrap()
            .to_string();
        assert!(
            e.contains("need 5074 open files") && e.contains("ulimit -n"),
            "{e}"
        );
        let e = LabGates::new(&lab("{}"), 80).err().unwrap().to_string();
        assert!(e.contains("needs at least 90"), "{e}");
    }

    #[test]
    fn asked_limits_are_kept() {
        let gates = LabGates::new(
            &lab("{connections: 100, unauthenticated: 500, unauthenticated_per_device: 4, login_grace_seconds: 5, connections_per_listener: 3}"),
            100_000,
        )
        .unwrap();
        assert_eq!(gates.connections.places(), 100);
        assert_eq!(
            gates.unauthenticated.places(),
            100,
            "never above connections"
        );
        assert_eq!(gates.waiting_to_log_in("ce1").places(), 4);
        assert_eq!(gates.listener("x").places(), 3);
        assert_eq!(gates.login_grace, Duration::from_secs(5));
    }

    #[test]
    fn limits_out_of_range_are_refused_with_the_line() {
        let e = Topology::parse(
            "lab:\n  limits:\n    unauthenticated_per_device: 0\ndevices:\n  - {name: ce1, kind: ce, ip: 10.1.1.10}\n",
            "t.yaml",
        )
        .unwrap_err()
        .to_string();
        assert!(
            e.contains("t.yaml:3")
                && e.contains("lab.limits.unauthenticated_per_device: must be 1 to 10000 (got 0)"),
            "{e}"
        );
    }
}
