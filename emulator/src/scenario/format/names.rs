//! The names a step may use, checked against the scenario's topology: devices, CDMs, the lab's
//! embedded image servers, and addresses (a device or server name, or an IPv4 address). Each
//! lookup returns the name (or address) to keep, or the message naming what the lab has. Without a
//! topology (the file's lab has errors, reported on their own) every name passes and no kind is
//! known, so the other checks of the steps still run.

use std::net::Ipv4Addr;

use crate::config::DeviceKind;
use crate::topology::Topology;

/// The lab a scenario's steps are checked against.
pub(super) struct Names<'a> {
    pub topology: Option<&'a Topology>,
}

impl Names<'_> {
    /// A device of the lab.
    pub fn device(&self, name: &str) -> Result<String, String> {
        let Some(topology) = self.topology else {
            return Ok(name.to_string());
        };
        if topology.devices.iter().any(|d| d.name == name) {
            Ok(name.to_string())
        } else {
            let known: Vec<&str> = topology.devices.iter().map(|d| d.name.as_str()).collect();
            Err(format!(
                "unknown device '{name}' (this lab has: {})",
                known.join(", ")
            ))
        }
    }

    /// The kind of a device of the lab.
    pub fn kind(&self, name: &str) -> Option<DeviceKind> {
        self.topology?
            .devices
            .iter()
            .find(|d| d.name == name)
            .map(|d| d.kind)
    }

    /// A CDM of the lab.
    pub fn cdm(&self, name: &str) -> Result<String, String> {
        let n = self.device(name)?;
        if matches!(self.kind(&n), Some(DeviceKind::Cdm) | None) {
            Ok(n)
        } else {
            Err(format!("'{name}' is not a CDM"))
        }
    }

    /// `cdm:` of an api step, or the lab's primary CDM.
    pub fn cdm_or_primary(&self, name: Option<&str>) -> Result<String, String> {
        let Some(topology) = self.topology else {
            return Ok(name.unwrap_or("the primary CDM").to_string());
        };
        match name {
            Some(n) => self.cdm(n),
            None => topology
                .devices
                .iter()
                .find(|d| {
                    d.kind == DeviceKind::Cdm && d.role == Some(crate::config::CdmRole::Primary)
                })
                .map(|d| d.name.clone())
                .ok_or_else(|| "this lab has no primary CDM: name one with `cdm:`".into()),
        }
    }

    /// An embedded image server of the lab.
    pub fn server(&self, name: &str) -> Result<String, String> {
        let Some(topology) = self.topology else {
            return Ok(name.to_string());
        };
        match topology.servers.iter().find(|s| s.name == name) {
            Some(s) if s.ftp.is_some() || s.http.is_some() => Err(format!(
                "server '{name}' is an external server: only the lab's embedded servers can be stopped or changed"
            )),
            Some(s) => Ok(s.name.clone()),
            None => {
                let known: Vec<&str> = topology
                    .servers
                    .iter()
                    .map(|s| s.name.as_str())
                    .collect();
                Err(format!(
                    "unknown server '{name}' (this lab has: {})",
                    if known.is_empty() {
                        "no servers".to_string()
                    } else {
                        known.join(", ")
                    }
                ))
            }
        }
    }

    /// A device or server name, or an address of the lab.
    pub fn address(&self, word: &str) -> Result<Ipv4Addr, String> {
        let Some(topology) = self.topology else {
            return Ok(word.parse().unwrap_or(Ipv4Addr::UNSPECIFIED));
        };
        if let Some(d) = topology.devices.iter().find(|d| d.name == word) {
            return Ok(d.ip);
        }
        if let Some(s) = topology.servers.iter().find(|s| s.name == word) {
            return Ok(s.ip);
        }
        match word.parse::<Ipv4Addr>() {
            Ok(ip) => Ok(ip),
            Err(_) => Err(format!(
                "unknown device '{word}' (give a device or server name, or an address)"
            )),
        }
    }
}
