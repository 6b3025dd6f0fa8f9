//! `acnslab status`: whether the lab of a state directory runs, and each device now (power,
//! software, CMS, sessions, ports), asked through the control socket.

use std::path::Path;

use serde::Serialize;

use super::{render, table, Outcome};
use crate::control::ConsoleClient;
use crate::lab::{DeviceStatus, LabInfo, NoLab};

/// `acnslab status --json`.
#[derive(Debug, Serialize)]
pub struct LabStatus {
    pub state_dir: std::path::PathBuf,
    pub running: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pid: Option<u32>,
    /// Why no lab runs, in words.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    pub devices: Vec<DeviceStatus>,
}

/// The status of `dir`'s lab; not running is exit status 1 (with the reason).
pub fn status(dir: &Path, json: bool) -> Result<Outcome, String> {
    let found = match LabInfo::running(dir) {
        Ok(info) => {
            let devices = ConsoleClient::connect(dir)
                .and_then(|mut client| client.status())
                .map_err(|e| e.to_string())?;
            LabStatus {
                state_dir: dir.to_path_buf(),
                running: true,
                pid: Some(info.pid),
                reason: None,
                devices,
            }
        }
        Err(NoLab::Unreadable { path, message }) => {
            return Err(format!("{}: {message}", path.display()))
        }
        Err(none) => LabStatus {
            state_dir: dir.to_path_buf(),
            running: false,
            pid: None,
            reason: Some(none.to_string()),
            devices: Vec::new(),
        },
    };
    let text = if json {
        serde_json::to_string_pretty(&found).map_err(|e| e.to_string())? + "\n"
    } else {
        render_status(&found)
    };
    Ok(Outcome {
        text,
        success: found.running,
    })
}

fn render_status(status: &LabStatus) -> String {
    let Some(pid) = status.pid else {
        return format!("{}\n", status.reason.as_deref().unwrap_or("no lab"));
    };
    let mut rows = table(&[
        "NAME", "KIND", "ROLE", "POWER", "VERSION", "CMS", "SESSIONS", "SSH", "WEB",
    ]);
    for d in &status.devices {
        let version = match &d.pending_version {
            Some(next) => format!("{} (next {next})", d.version),
            None => d.version.clone(),
        };
        rows.add_row(vec![
            d.name.clone(),
            d.kind.label().to_string(),
            d.role.map(|r| r.as_str()).unwrap_or("-").to_string(),
            d.power.clone(),
            version,
            d.cms.clone(),
            d.sessions.to_string(),
            d.ssh.clone(),
            d.web.clone().unwrap_or_else(|| "-".into()),
        ]);
    }
    format!(
        "lab in {}: running (pid {pid}), {} devices\n{}",
        status.state_dir.display(),
        status.devices.len(),
        render(&rows)
    )
}
