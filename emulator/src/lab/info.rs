//! What the lab tells tools and people about itself: `lab.json` (devices, addresses, SSH and
//! HTTP endpoints, credentials, image servers) and the start-up table `acnslab up` prints.

use std::net::Ipv4Addr;
use std::path::PathBuf;

use serde::Serialize;

use super::{io_error, Lab, LabError};
use crate::config::{CdmRole, DeviceKind};
use crate::persist::write_atomic;

/// One device as `lab.json` and the start-up table describe it.
#[derive(Debug, Clone, Serialize, serde::Deserialize, PartialEq)]
pub struct DeviceInfo {
    pub name: String,
    pub kind: DeviceKind,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub role: Option<CdmRole>,
    pub ip: Ipv4Addr,
    /// `host:port` of the SSH server.
    pub ssh: String,
    /// CDMs: `host:port` of the HTTP API (docs/api.md).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub api: Option<String>,
    pub username: String,
    pub password: String,
}

/// `lab.json`.
#[derive(Debug, Clone, Serialize, serde::Deserialize, PartialEq)]
pub struct LabInfo {
    pub state_dir: PathBuf,
    pub pid: u32,
    /// Whether the lab was running when this was written: a lab that stops rewrites it `false`;
    /// one that was killed leaves `true` (ask [`super::lock::is_running`]).
    #[serde(default)]
    pub running: bool,
    pub devices: Vec<DeviceInfo>,
    /// Image servers: virtual address and where FTP and HTTP really listen.
    #[serde(default)]
    pub servers: Vec<ServerInfo>,
    /// `host:port` of the lab's health port (`/healthz`, `/metrics`), when it has one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub health: Option<String>,
    /// The address the lab's listeners bind (`--listen`, `lab.listen`: `127.0.0.1`, `0.0.0.0`,
    /// ...); with loopback addressing each device's SSH binds its own address instead. Absent
    /// from the `lab.json` of an older version.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub listen: Option<std::net::IpAddr>,
}

/// An image server as `lab.json` describes it.
#[derive(Debug, Clone, Serialize, serde::Deserialize, PartialEq)]
pub struct ServerInfo {
    pub name: String,
    pub ip: Ipv4Addr,
    pub ftp: Option<String>,
    pub http: Option<String>,
    pub username: String,
    pub password: String,
    /// The folder an embedded server serves.
    pub folder: Option<PathBuf>,
}

/// Why no running lab was found in a state directory, in words for the user.
#[derive(Debug, thiserror::Error)]
pub enum NoLab {
    #[error("no lab in {} (it has no lab.json); start one with `acnslab up --state-dir {}`", .0.display(), .0.display())]
    Never(PathBuf),
    #[error("no lab is running in {} (pid {pid} {how}); start it again with `acnslab up --state-dir {}`", .dir.display(), .dir.display())]
    Stopped {
        dir: PathBuf,
        pid: u32,
        how: &'static str,
    },
    #[error("{}: {message}", .path.display())]
    Unreadable { path: PathBuf, message: String },
}

impl LabInfo {
    /// `DIR/lab.json` as the lab last wrote it, running or not.
    pub fn read(dir: &std::path::Path) -> Result<LabInfo, NoLab> {
        let path = dir.join("lab.json");
        let text = match std::fs::read_to_string(&path) {
            Ok(text) => text,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                return Err(NoLab::Never(dir.to_path_buf()))
            }
            Err(e) => {
                return Err(NoLab::Unreadable {
                    path,
                    message: e.to_string(),
                })
            }
        };
        serde_json::from_str(&text).map_err(|e| NoLab::Unreadable {
            path,
            message: e.to_string(),
        })
    }

    /// The lab running in `dir`, or why there is none.
    pub fn running(dir: &std::path::Path) -> Result<LabInfo, NoLab> {
        let info = Self::read(dir)?;
        if super::lock::is_running(dir) {
            return Ok(info);
        }
        Err(NoLab::Stopped {
            dir: dir.to_path_buf(),
            pid: info.pid,
            how: if info.running {
                "ended without stopping: killed or crashed"
            } else {
                "was stopped"
            },
        })
    }
}

impl Lab {
    /// What `lab.json` holds.
    pub fn info(&self) -> LabInfo {
        let devices = self
            .inner
            .nodes
            .iter()
            .map(|n| DeviceInfo {
                name: n.spec.name.clone(),
                kind: n.spec.kind,
                role: n.device.cdm_role(),
                ip: n.spec.ip,
                ssh: n.ssh_addr().to_string(),
                api: n.web_addr().map(|a| a.to_string()),
                username: "admin".into(),
                password: n
                    .device
                    .state()
                    .running
                    .users
                    .get("admin")
                    .map(|u| u.password.clone())
                    .unwrap_or_default(),
            })
            .collect();
        let servers = self
            .inner
            .servers
            .iter()
            .map(|(spec, embedded, endpoints)| ServerInfo {
                name: spec.name.clone(),
                ip: spec.ip,
                ftp: endpoints.ftp.map(|a| a.to_string()),
                http: endpoints.http.map(|a| a.to_string()),
                username: spec.user.clone(),
                password: spec.password.clone(),
                folder: embedded.as_ref().map(|s| s.folder().to_path_buf()),
            })
            .collect();
        LabInfo {
            state_dir: self.inner.state_dir.clone(),
            pid: std::process::id(),
            running: !self.tasks.stopping(),
            devices,
            servers,
            health: self.health_addr().map(|a| a.to_string()),
            listen: Some(self.inner.topology.lab.listen),
        }
    }

    pub(super) fn write_info(&self) -> Result<(), LabError> {
        let path = self.inner.state_dir.join("lab.json");
        let json = serde_json::to_vec_pretty(&self.info()).unwrap_or_default();
        write_atomic(&path, &json).map_err(io_error(&path))
    }

    /// The start-up table: name, kind, role, virtual IP, and the ssh command.
    pub fn table(&self) -> String {
        self.info().table()
    }
}

impl LabInfo {
    /// The start-up table `acnslab up` prints (also `up --detach`, from `lab.json`).
    pub fn table(&self) -> String {
        let mut out = format!(
            "{:<12} {:<5} {:<8} {:<16} {}\n",
            "NAME", "KIND", "ROLE", "IP", "SSH"
        );
        for d in &self.devices {
            let (host, port) = d.ssh.rsplit_once(':').unwrap_or((&d.ssh, ""));
            let role = d.role.map(|r| r.as_str()).unwrap_or("-");
            // A CDM's web pages and API (primary only answers; the standby says so).
            let web = d
                .api
                .as_deref()
                .map(|a| format!("  web http://{a}/"))
                .unwrap_or_default();
            out.push_str(&format!(
                "{:<12} {:<5} {:<8} {:<16} ssh {}@{} -p {}{web}\n",
                d.name,
                d.kind.label(),
                role,
                d.ip,
                d.username,
                host,
                port
            ));
        }
        for s in &self.servers {
            let ftp = s
                .ftp
                .as_ref()
                .map(|a| format!("ftp {a}"))
                .unwrap_or_default();
            let http = s
                .http
                .as_ref()
                .map(|a| format!("  http {a}"))
                .unwrap_or_default();
            out.push_str(&format!(
                "{:<12} {:<5} {:<8} {:<16} {ftp}{http} ({}/{})\n",
                s.name, "IMG", "-", s.ip, s.username, s.password
            ));
        }
        if let Some(health) = &self.health {
            out.push_str(&format!(
                "{:<12} {:<5} {:<8} {:<16} health http://{health}/healthz  metrics http://{health}/metrics\n",
                "lab", "HTTP", "-", "-"
            ));
        }
        out
    }
}
