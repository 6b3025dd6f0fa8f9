//! What the lab's health and metrics port reports, read from the running lab as plain data: each
//! device's power, whether its SSH port listens, its sessions and counters ([`DeviceFigures`]);
//! the primary CDM's upgrade jobs by phase; each standby CDM's replication lag; the lab clock
//! ([`Figures`]). [`LabWatch`] is what the lab hands to the port's front end
//! ([`super::LabOptions::lab_http`], filled with `crate::observe::service()`), which renders it
//! (JSON, Prometheus text); the lab knows no routes and no formats.

use std::collections::BTreeMap;
use std::sync::{Arc, Weak};

use super::Inner;
use crate::config::{CdmRole, DeviceKind};
use crate::counters::Counts;
use crate::device::Power;

/// Builds what the lab serves on its health port (given by the front end).
pub type LabHttp = Arc<dyn Fn(LabWatch) -> axum::Router + Send + Sync>;

/// The running lab, as its health port reads it (gone once the lab is).
#[derive(Clone)]
pub struct LabWatch {
    pub(super) inner: Weak<Inner>,
}

/// One device now.
#[derive(Debug, Clone, PartialEq)]
pub struct DeviceFigures {
    pub name: String,
    pub kind: DeviceKind,
    pub power: Power,
    /// Its SSH port accepts connections.
    pub listening: bool,
    /// SSH connections logged in now.
    pub sessions_open: usize,
    pub counts: Counts,
}

impl DeviceFigures {
    /// Up and serving: running, and its SSH port listening.
    pub fn ready(&self) -> bool {
        self.power == Power::Running && self.listening
    }
}

/// A standby CDM's replication.
#[derive(Debug, Clone, PartialEq)]
pub struct StandbyFigures {
    pub name: String,
    /// Lab seconds since it last applied the primary's updates (`None`: never since the lab
    /// started).
    pub lag_seconds: Option<f64>,
}

/// The lab now, for `/metrics`.
#[derive(Debug, Clone, PartialEq)]
pub struct Figures {
    pub devices: Vec<DeviceFigures>,
    /// The primary CDM's upgrade jobs by phase (`upgrade::job_phase`), every phase present.
    pub jobs: BTreeMap<&'static str, u64>,
    pub standbys: Vec<StandbyFigures>,
    /// The lab clock, in seconds since the Unix epoch.
    pub clock_seconds: f64,
    /// The lab clock's speed factor.
    pub speed: f64,
}

/// The phases of an upgrade job, as `upgrade::job_phase` names them.
pub const JOB_PHASES: [&str; 4] = ["proceeding", "in_progress", "successful", "failed"];

impl LabWatch {
    /// Each device now (empty once the lab is gone).
    pub fn devices(&self) -> Vec<DeviceFigures> {
        let Some(inner) = self.inner.upgrade() else {
            return Vec::new();
        };
        inner
            .nodes
            .iter()
            .map(|node| DeviceFigures {
                name: node.spec.name.clone(),
                kind: node.spec.kind,
                power: node.device.state().power,
                listening: node.is_listening(),
                sessions_open: node.connection_count(),
                counts: node.device.counters().now(),
            })
            .collect()
    }

    /// Everything `/metrics` reports (`None` once the lab is gone).
    pub fn figures(&self) -> Option<Figures> {
        let inner = self.inner.upgrade()?;
        let mut jobs: BTreeMap<&'static str, u64> =
            JOB_PHASES.iter().map(|phase| (*phase, 0)).collect();
        let primary = inner
            .nodes
            .iter()
            .find(|n| n.device.cdm_role() == Some(CdmRole::Primary));
        if let Some(primary) = primary {
            // a primary that is down or has CMS off has no jobs to tell: every phase stays 0
            let listed =
                crate::upgrade::with_primary(&primary.device, |cms| crate::upgrade::jobs(cms));
            for job in listed.unwrap_or_default() {
                *jobs
                    .entry(crate::upgrade::job_phase(&job.status))
                    .or_default() += 1;
            }
        }
        let now = inner.clock.now();
        let standbys = inner
            .nodes
            .iter()
            .filter(|n| {
                n.spec.kind == DeviceKind::Cdm && n.device.cdm_role() == Some(CdmRole::Standby)
            })
            .map(|n| StandbyFigures {
                name: n.spec.name.clone(),
                lag_seconds: n
                    .device
                    .state()
                    .standby
                    .last_applied
                    .map(|at| (now - at).num_milliseconds().max(0) as f64 / 1000.0),
            })
            .collect();
        Some(Figures {
            devices: self.devices(),
            jobs,
            standbys,
            clock_seconds: now.timestamp_millis() as f64 / 1000.0,
            speed: inner.topology.lab.speed,
        })
    }
}
