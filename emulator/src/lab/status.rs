//! Each device of a running lab as `acnslab status` and `acnslab inspect` show it, read from live
//! state (power, software, CMS, sessions) and the topology (addresses, ports, groups); served
//! through the control socket (`{"status": null}`).

use std::net::Ipv4Addr;

use serde::{Deserialize, Serialize};

use super::Lab;
use crate::config::{CdmRole, DeviceKind};
use crate::device::CmsService;

/// One device now.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DeviceStatus {
    pub name: String,
    pub kind: DeviceKind,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub role: Option<CdmRole>,
    pub model: String,
    pub ip: Ipv4Addr,
    pub hostname: String,
    /// `running`, `booting` or `rebooting`.
    pub power: String,
    pub version: String,
    /// The version an install left to boot into, until the reload.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pending_version: Option<String>,
    /// Seconds of the lab clock since the last boot.
    pub uptime_seconds: i64,
    /// Its CMS service: whether it runs, a CDM's database schema, a standby's sync state, what a
    /// CE's or CR's CDM said. `status` shows it in words ([`CmsStatus`]'s `Display`).
    pub cms: CmsStatus,
    /// CLI sessions open (SSH and console).
    pub sessions: usize,
    /// `host:port` of its SSH server.
    pub ssh: String,
    /// CDMs: `host:port` of its web GUI and API.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub web: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub groups: Vec<String>,
    /// Size of `/local/local1`, MB.
    pub disk_mb: u64,
}

/// A device's CMS service now.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CmsStatus {
    pub state: CmsState,
    /// Why the service is held, or why the CDM refused this CE's or CR's registration.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// A CDM: the schema of its CMS database (e.g. `5.1`), none without a database.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub schema: Option<String>,
    /// A standby CDM whose service runs: its sync state (`in sync`, `updating`, `version
    /// mismatch`, `primary unreachable`, `not yet polled`: the words of a scenario's `check: {sync:
    /// ...}`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sync: Option<String>,
    /// A CE or CR whose service runs: what its CDM said of it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub registration: Option<CmsRegistration>,
    /// The CDM it registered with (or that refused it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cdm: Option<Ipv4Addr>,
}

/// Whether the CMS service runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CmsState {
    /// `cms enable`, and running.
    Enabled,
    /// `no cms enable` (or never enabled).
    Disabled,
    /// Enabled, but held: a CDM without a database, or with one of another schema (`reason`).
    Held,
}

/// What a CE's or CR's CDM said of it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CmsRegistration {
    /// Registered, and its CDM answers its polls.
    Online,
    /// Registered, but its CDM stopped answering.
    Offline,
    /// Its CDM refused it (`reason`).
    Refused,
    NotRegistered,
}

/// The words of `status`'s CMS column: `disabled`, `enabled`, `held: WHY`; for a standby its sync
/// state; for a CE or CR `online (cdm 10.1.1.5)`, `offline (cdm 10.1.1.5 not answering)`,
/// `refused by 10.1.1.5: WHY`, `not registered`.
impl std::fmt::Display for CmsStatus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let reason = self.reason.as_deref().unwrap_or_default();
        let cdm = self
            .cdm
            .map(|ip| ip.to_string())
            .unwrap_or_else(|| "?".into());
        match (self.state, &self.sync, self.registration) {
            (CmsState::Disabled, _, _) => f.write_str("disabled"),
            (CmsState::Held, _, _) => write!(f, "held: {reason}"),
            (CmsState::Enabled, Some(sync), _) => f.write_str(sync),
            (CmsState::Enabled, None, Some(CmsRegistration::Online)) => {
                write!(f, "online (cdm {cdm})")
            }
            (CmsState::Enabled, None, Some(CmsRegistration::Offline)) => {
                write!(f, "offline (cdm {cdm} not answering)")
            }
            (CmsState::Enabled, None, Some(CmsRegistration::Refused)) => {
                write!(f, "refused by {cdm}: {reason}")
            }
            (CmsState::Enabled, None, Some(CmsRegistration::NotRegistered)) => {
                f.write_str("not registered")
            }
            (CmsState::Enabled, None, None) => f.write_str("enabled"),
        }
    }
}

impl Lab {
    /// Every device now, in topology order.
    pub fn status(&self) -> Vec<DeviceStatus> {
        let now = self.clock().now();
        self.inner
            .nodes
            .iter()
            .map(|node| {
                let device = node.device();
                let state = device.state();
                let cms = cms_status(node.spec.kind, &state);
                DeviceStatus {
                    name: node.spec.name.clone(),
                    kind: node.spec.kind,
                    role: state.running.cdm_role,
                    model: device.identity.model.clone(),
                    ip: node.spec.ip,
                    hostname: state.running.hostname.clone(),
                    power: state.power.word().to_string(),
                    version: state.version.to_string(),
                    pending_version: state.pending_version.map(|v| v.to_string()),
                    uptime_seconds: (now - state.booted_at).num_seconds().max(0),
                    cms,
                    sessions: state.sessions.len(),
                    ssh: node.ssh_addr().to_string(),
                    web: node.web_addr().map(|a| a.to_string()),
                    groups: node.spec.groups.clone(),
                    disk_mb: device.identity.disk_mb,
                }
            })
            .collect()
    }
}

/// The CMS service of a device of `kind` in `state`.
fn cms_status(kind: DeviceKind, state: &crate::device::DeviceState) -> CmsStatus {
    let schema = state
        .cms
        .as_ref()
        .filter(|cms| cms.exists())
        .and_then(|cms| cms.schema().ok())
        .map(|schema| schema.to_string());
    let mut status = CmsStatus {
        state: CmsState::Enabled,
        reason: None,
        schema,
        sync: None,
        registration: None,
        cdm: None,
    };
    match state.cms_service() {
        CmsService::Disabled => status.state = CmsState::Disabled,
        CmsService::Held(why) => {
            status.state = CmsState::Held;
            status.reason = Some(why);
        }
        CmsService::Running if kind == DeviceKind::Cdm => {
            status.sync = state.standby_state().map(|s| s.word().to_string());
        }
        CmsService::Running => {
            let (registration, cdm, reason) = agent_registration(state);
            status.registration = Some(registration);
            status.cdm = cdm;
            status.reason = reason;
        }
    }
    status
}

/// What a CE's or CR's CMS agent heard from its CDM: the registration, the CDM, why it refused.
fn agent_registration(
    state: &crate::device::DeviceState,
) -> (CmsRegistration, Option<Ipv4Addr>, Option<String>) {
    if let Some((cdm, why)) = &state.refused {
        return (CmsRegistration::Refused, Some(*cdm), Some(why.clone()));
    }
    match &state.registration {
        Some(r) if r.unanswered_since.is_some() => (CmsRegistration::Offline, Some(r.cdm), None),
        Some(r) => (CmsRegistration::Online, Some(r.cdm), None),
        None => (CmsRegistration::NotRegistered, None, None),
    }
}
