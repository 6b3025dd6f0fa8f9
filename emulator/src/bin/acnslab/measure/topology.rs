//! The lab the measuring commands start: a generated topology of N devices, and the rule for the
//! ports it takes on 127.0.0.1 (its SSH ports and its CDMs' HTTP ports stay below the ephemeral
//! range, where the clients' own ports come from).

use std::net::Ipv4Addr;

use acnslab::config::{CdmRole, DeviceKind};
use acnslab::topology::{DeviceSpec, LabSettings, Topology};

/// Largest lab a measuring command starts (ports must stay below the ephemeral range, 32768).
pub const MAX_DEVICES: usize = 10_000;
/// Where Linux's default ephemeral port range starts.
pub const FIRST_EPHEMERAL_PORT: u32 = 32_768;
/// The lowest port a lab may be asked to bind (no privileged ports).
const FIRST_USER_PORT: u16 = 1024;

/// Ports a generated lab would take outside the allowed range.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("--base-port: ports {first}..={last} must lie within 1024..32767")]
pub struct PortRangeError {
    pub first: u16,
    pub last: u32,
}

/// The highest port the generated lab of `devices` devices from `base_port` binds: its last SSH
/// port, or the standby CDM's HTTP port (the lab puts a CDM's API at
/// `base_port + max(devices, 100) + index`).
pub fn last_port(devices: usize, base_port: u16) -> u32 {
    let last_ssh = u32::from(base_port) + devices.saturating_sub(1) as u32;
    if devices >= 5 {
        last_ssh.max(u32::from(base_port) + devices.max(100) as u32 + 1)
    } else {
        last_ssh
    }
}

/// Checks that the generated lab of `devices` devices from `base_port` stays within
/// 1024..32767.
pub fn check_ports(devices: usize, base_port: u16) -> Result<(), PortRangeError> {
    let last = last_port(devices, base_port);
    if base_port < FIRST_USER_PORT || last >= FIRST_EPHEMERAL_PORT {
        return Err(PortRangeError {
            first: base_port,
            last,
        });
    }
    Ok(())
}

/// The generated topology: `cdm1` (primary) and `cdm2` (standby) from 5 devices up, then CEs and
/// CRs, three CEs for each CR; addresses in 10.1.0.0/16, gateway 10.1.0.1. `base_port` 0: every
/// device gets a free port from the system (read them from `lab.json`).
pub fn generated_topology(devices: usize, base_port: u16) -> Topology {
    let mut specs = Vec::with_capacity(devices);
    let (mut ces, mut crs) = (0, 0);
    for i in 0..devices {
        let ip = Ipv4Addr::new(10, 1, (i / 250) as u8, (i % 250 + 2) as u8);
        let (name, kind, role) = if devices >= 5 && i < 2 {
            let role = if i == 0 {
                CdmRole::Primary
            } else {
                CdmRole::Standby
            };
            (format!("cdm{}", i + 1), DeviceKind::Cdm, Some(role))
        } else if i % 4 == 3 {
            crs += 1;
            (format!("cr{crs}"), DeviceKind::Cr, None)
        } else {
            ces += 1;
            (format!("ce{ces}"), DeviceKind::Ce, None)
        };
        specs.push(DeviceSpec {
            name,
            kind,
            role,
            ip,
            model: None,
            version: None,
            port: None,
            groups: Vec::new(),
            disk_mb: 65_536,
            cms: true,
            latency_ms: None,
            pending_version: None,
            startup_config: None,
            running_config: None,
        });
    }
    Topology {
        lab: LabSettings {
            base_port,
            gateway: Ipv4Addr::new(10, 1, 0, 1),
            prefix: 16,
            ..LabSettings::default()
        },
        devices: specs,
        servers: Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_topology_is_mostly_ces_and_crs_and_valid() {
        let t = generated_topology(1000, 20_000);
        let text = serde_norway::to_string(&t).unwrap();
        let parsed = Topology::parse(&text, "gen").unwrap();
        let count = |k| parsed.devices.iter().filter(|d| d.kind == k).count();
        assert_eq!(count(DeviceKind::Cdm), 2);
        assert!(count(DeviceKind::Ce) > 700 && count(DeviceKind::Cr) > 200);
        assert_eq!(parsed.port_of(999), 20_999);
        let small = generated_topology(3, 20_000);
        assert!(small.devices.iter().all(|d| d.kind != DeviceKind::Cdm));
    }

    #[test]
    fn the_cdms_http_ports_count_among_the_ports_taken() {
        // Four devices: no CDM, the SSH ports only.
        assert_eq!(last_port(4, 20_000), 20_003);
        // Ten devices: the standby CDM's API at base + 100 + 1.
        assert_eq!(last_port(10, 20_000), 20_101);
        assert_eq!(last_port(10_000, 20_000), 30_001);
        assert!(check_ports(10, 32_600).is_ok());
        assert_eq!(
            check_ports(10, 32_700),
            Err(PortRangeError {
                first: 32_700,
                last: 32_801
            })
        );
        assert!(check_ports(1, 80).is_err());
    }
}
