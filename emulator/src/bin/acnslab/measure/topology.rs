//! The lab the measuring commands start: a generated topology of N devices, where each device's
//! SSH server listens (`ports`: its own port on 127.0.0.1; `loopback`: its own address, all on
//! the base port), and the rule for the ports it takes on 127.0.0.1 (its SSH ports and its CDMs'
//! HTTP ports stay below the ephemeral range, where the clients' own ports come from).

use std::net::{Ipv4Addr, SocketAddr};

use acnslab::config::{CdmRole, DeviceKind};
use acnslab::topology::{loopback_of, Addressing, DeviceSpec, LabSettings, Topology};

/// Largest lab a measuring command starts with a port per device (ports must stay below the
/// ephemeral range, 32768).
pub const MAX_DEVICES: usize = 10_000;
/// Largest lab a measuring command starts with loopback addressing (one port for every device).
pub const MAX_LOOPBACK_DEVICES: usize = 100_000;

/// Largest lab of `addressing`.
pub fn max_devices(addressing: Addressing) -> usize {
    match addressing {
        Addressing::Ports => MAX_DEVICES,
        Addressing::Loopback => MAX_LOOPBACK_DEVICES,
    }
}
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
/// `base_port + max(devices, 100) + index`; with loopback addressing, where every device's SSH
/// is on the base port, at `base_port + 100 + index`).
pub fn last_port(devices: usize, base_port: u16, addressing: Addressing) -> u32 {
    let ssh_ports = match addressing {
        Addressing::Ports => devices,
        Addressing::Loopback => 1,
    };
    let last_ssh = u32::from(base_port) + ssh_ports.saturating_sub(1) as u32;
    if devices >= 5 {
        last_ssh.max(u32::from(base_port) + ssh_ports.max(100) as u32 + 1)
    } else {
        last_ssh
    }
}

/// Checks that the generated lab of `devices` devices from `base_port` stays within
/// 1024..32767.
pub fn check_ports(
    devices: usize,
    base_port: u16,
    addressing: Addressing,
) -> Result<(), PortRangeError> {
    let last = last_port(devices, base_port, addressing);
    if base_port < FIRST_USER_PORT || last >= FIRST_EPHEMERAL_PORT {
        return Err(PortRangeError {
            first: base_port,
            last,
        });
    }
    Ok(())
}

/// Devices that fit in 10.1.0.0/16 as the generated topology numbers them (250 a /24).
const DEVICES_PER_SLASH_16: usize = 250 * 250;

/// The address of device `i` of the generated topology: 10.1.0.2 to 10.1.0.251, 10.1.1.2, ...;
/// past 62,500 devices 10.2.0.2 and on (never an address whose loopback twin is refused).
pub fn ip_of(i: usize) -> Ipv4Addr {
    let b = 1 + i / DEVICES_PER_SLASH_16;
    let c = i / 250 % 250;
    Ipv4Addr::new(10, b as u8, c as u8, (i % 250 + 2) as u8)
}

/// Where device `i` of the generated topology of `base_port` listens for SSH.
pub fn ssh_addr(addressing: Addressing, base_port: u16, i: usize) -> SocketAddr {
    match addressing {
        Addressing::Ports => SocketAddr::from((Ipv4Addr::LOCALHOST, base_port + i as u16)),
        Addressing::Loopback => SocketAddr::from((loopback_of(ip_of(i)), base_port)),
    }
}

/// The generated topology: `cdm1` (primary) and `cdm2` (standby) from 5 devices up, then CEs and
/// CRs, three CEs for each CR; addresses in 10.1.0.0/16 (10.0.0.0/8 past 62,500 devices: `ip_of`),
/// gateway 10.1.0.1. `base_port` 0: every device gets a free port from the system (read them from
/// `lab.json`).
pub fn generated_topology(devices: usize, base_port: u16) -> Topology {
    generated(devices, base_port, Addressing::Ports)
}

/// [`generated_topology`] with `addressing`; with loopback addressing every device's SSH port is
/// `base_port`.
pub fn generated(devices: usize, base_port: u16, addressing: Addressing) -> Topology {
    let mut specs = Vec::with_capacity(devices);
    let (mut ces, mut crs) = (0, 0);
    for i in 0..devices {
        let ip = ip_of(i);
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
            prefix: if devices > DEVICES_PER_SLASH_16 {
                8
            } else {
                16
            },
            addressing,
            ssh_port: (addressing == Addressing::Loopback).then_some(base_port),
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
        let ports = Addressing::Ports;
        // Four devices: no CDM, the SSH ports only.
        assert_eq!(last_port(4, 20_000, ports), 20_003);
        // Ten devices: the standby CDM's API at base + 100 + 1.
        assert_eq!(last_port(10, 20_000, ports), 20_101);
        assert_eq!(last_port(10_000, 20_000, ports), 30_001);
        assert!(check_ports(10, 32_600, ports).is_ok());
        assert_eq!(
            check_ports(10, 32_700, ports),
            Err(PortRangeError {
                first: 32_700,
                last: 32_801
            })
        );
        assert!(check_ports(1, 80, ports).is_err());
        // loopback: one SSH port, the CDMs' APIs at base + 100, + 101, whatever the size
        assert_eq!(last_port(100_000, 20_000, Addressing::Loopback), 20_101);
    }

    #[test]
    fn a_hundred_thousand_loopback_devices_are_a_valid_topology() {
        let t = generated(MAX_LOOPBACK_DEVICES, 20_000, Addressing::Loopback);
        assert!(t.recheck("generated").is_ok());
        assert_eq!(ip_of(62_499), Ipv4Addr::new(10, 1, 249, 251));
        assert_eq!(ip_of(62_500), Ipv4Addr::new(10, 2, 0, 2));
        assert_eq!(
            ssh_addr(Addressing::Loopback, 20_000, 99_999),
            t.ssh_addr_of(99_999)
        );
        assert_eq!(
            ssh_addr(Addressing::Ports, 20_000, 7),
            generated_topology(10, 20_000).ssh_addr_of(7)
        );
    }
}
