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
            d.cms.to_string(),
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::DeviceKind;
    use crate::lab::{CmsRegistration, CmsState, CmsStatus};

    fn device(name: &str, cms: CmsStatus) -> DeviceStatus {
        DeviceStatus {
            name: name.into(),
            kind: DeviceKind::Ce,
            role: None,
            model: "CE-565".into(),
            ip: "10.1.1.10".parse().unwrap(),
            hostname: name.into(),
            power: "running".into(),
            version: "5.1.3".into(),
            pending_version: None,
            uptime_seconds: 1,
            cms,
            sessions: 0,
            ssh: "127.0.0.1:2203".into(),
            web: None,
            groups: Vec::new(),
            disk_mb: 1,
        }
    }

    fn cms(state: CmsState) -> CmsStatus {
        CmsStatus {
            state,
            reason: None,
            schema: None,
            sync: None,
            registration: None,
            cdm: None,
        }
    }

    /// The CMS column keeps its words whatever shape `--json` gives the service.
    #[test]
    fn the_cms_column_says_the_service_in_words() {
        let cdm: std::net::Ipv4Addr = "10.1.1.5".parse().unwrap();
        let registered = |registration, reason: Option<&str>| CmsStatus {
            registration: Some(registration),
            cdm: Some(cdm),
            reason: reason.map(str::to_string),
            ..cms(CmsState::Enabled)
        };
        let cases = [
            (cms(CmsState::Disabled), "disabled".to_string()),
            (cms(CmsState::Enabled), "enabled".to_string()),
            (
                CmsStatus {
                    reason: Some("no CMS database".into()),
                    ..cms(CmsState::Held)
                },
                "held: no CMS database".to_string(),
            ),
            (
                CmsStatus {
                    sync: Some("in sync".into()),
                    schema: Some("5.1".into()),
                    ..cms(CmsState::Enabled)
                },
                "in sync".to_string(),
            ),
            (
                registered(CmsRegistration::Online, None),
                format!("online (cdm {cdm})"),
            ),
            (
                registered(CmsRegistration::Offline, None),
                format!("offline (cdm {cdm} not answering)"),
            ),
            (
                registered(CmsRegistration::Refused, Some("version 4.2.9")),
                format!("refused by {cdm}: version 4.2.9"),
            ),
            (
                CmsStatus {
                    registration: Some(CmsRegistration::NotRegistered),
                    ..cms(CmsState::Enabled)
                },
                "not registered".to_string(),
            ),
        ];
        for (service, words) in cases {
            let status = LabStatus {
                state_dir: "/tmp/lab".into(),
                running: true,
                pid: Some(1),
                reason: None,
                devices: vec![device("ce1", service.clone())],
            };
            let table = render_status(&status);
            let row = table.lines().nth(2).unwrap_or_default();
            assert!(row.contains(&format!(" {words} ")), "{words}: {table}");
            let json = serde_json::to_value(&status.devices[0]).unwrap();
            assert_eq!(json["cms"], serde_json::to_value(&service).unwrap());
            assert!(json["cms"]["state"].is_string(), "{json}");
        }
    }
}
