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
    /// `disabled`, `enabled`, `held: WHY` (a CDM whose database does not fit), and for a CE or CR
    /// what its CDM said: `online (cdm 10.1.1.5)`, `offline (cdm 10.1.1.5 not answering)`,
    /// `refused by 10.1.1.5: WHY`, `not registered`; for a standby its sync state.
    pub cms: String,
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
                let cms = match state.cms_service() {
                    CmsService::Disabled => "disabled".to_string(),
                    CmsService::Held(why) => format!("held: {why}"),
                    CmsService::Running => match (node.spec.kind, state.standby_state()) {
                        (DeviceKind::Cdm, Some(standby)) => standby.word().to_string(),
                        (DeviceKind::Cdm, None) => "enabled".to_string(),
                        _ => agent_word(&state),
                    },
                };
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

/// A CE's or CR's CMS agent in a few words.
fn agent_word(state: &crate::device::DeviceState) -> String {
    if let Some((cdm, why)) = &state.refused {
        return format!("refused by {cdm}: {why}");
    }
    match &state.registration {
        Some(r) if r.unanswered_since.is_some() => format!("offline (cdm {} not answering)", r.cdm),
        Some(r) => format!("online (cdm {})", r.cdm),
        None => "not registered".to_string(),
    }
}
