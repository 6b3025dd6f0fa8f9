//! A device's configuration as data: what `show running-config` prints and what the startup
//! configuration file holds. Rendering to text lives here; reading text back is done by replaying the
//! lines through the configuration-mode grammar (see `device::Device::load_startup`), exactly as a
//! real device does on boot, so there is no second parser.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::net::Ipv4Addr;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::release::Version;
use crate::text;

/// The three kinds of ACNS device.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, PartialOrd, Ord, JsonSchema,
)]
#[serde(rename_all = "lowercase")]
pub enum DeviceKind {
    Cdm,
    Ce,
    Cr,
}

impl DeviceKind {
    pub const ALL: [DeviceKind; 3] = [DeviceKind::Cdm, DeviceKind::Ce, DeviceKind::Cr];

    /// `CDM`, `CE`, `CR`.
    pub fn label(self) -> &'static str {
        match self {
            DeviceKind::Cdm => "CDM",
            DeviceKind::Ce => "CE",
            DeviceKind::Cr => "CR",
        }
    }

    /// The keyword of `device mode ...`.
    pub fn device_mode(self) -> &'static str {
        match self {
            DeviceKind::Cdm => "content-distribution-manager",
            DeviceKind::Ce => "content-engine",
            DeviceKind::Cr => "content-router",
        }
    }

    pub fn from_device_mode(word: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.device_mode() == word)
    }

    /// The hostname of a device of this kind with factory settings (after `write erase` and a
    /// reload, or `no hostname`): its model number, as ACNS does ("the default hostname is the
    /// model number, e.g. CE-590") [recalled: ACNS command reference]. The lab takes the kind's
    /// default model, whatever model the topology gives [ours].
    pub fn factory_hostname(self) -> &'static str {
        self.default_model()
    }

    /// The model a device of this kind has unless the topology says otherwise.
    pub fn default_model(self) -> &'static str {
        match self {
            DeviceKind::Cdm => "CDM-4650",
            DeviceKind::Ce => "CE-565",
            DeviceKind::Cr => "CR-4430",
        }
    }
}

/// The role of a CDM.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum CdmRole {
    Primary,
    Standby,
}

impl CdmRole {
    pub fn as_str(self) -> &'static str {
        match self {
            CdmRole::Primary => "primary",
            CdmRole::Standby => "standby",
        }
    }
}

/// One local user account.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct User {
    pub password: String,
    pub privilege: u8,
}

/// Configuration of one GigabitEthernet interface.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Interface {
    pub address: Option<(Ipv4Addr, Ipv4Addr)>,
    pub shutdown: bool,
}

/// `clock timezone NAME HOURS MINUTES`: the zone's name and its offset from UTC.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Timezone {
    pub name: String,
    /// -23..=23; the sign also applies to the minutes.
    pub hours: i8,
    pub minutes: u8,
}

impl Timezone {
    /// The offset from UTC.
    pub fn offset(&self) -> chrono::Duration {
        let minutes = i64::from(self.hours.unsigned_abs()) * 60 + i64::from(self.minutes);
        let sign = if self.hours < 0 { -1 } else { 1 };
        chrono::Duration::minutes(sign * minutes)
    }
}

/// NTP servers a device may have (`ntp server`) [recalled: ACNS command reference, up to four].
pub const MAX_NTP_SERVERS: usize = 4;
/// Name servers a device may have (`ip name-server`) [recalled: ACNS, up to eight].
pub const MAX_NAME_SERVERS: usize = 8;
/// Syslog hosts a device may have (`logging host`) [recalled: ACNS 5.x, up to four].
pub const MAX_LOGGING_HOSTS: usize = 4;
/// ACNS closes an idle CLI session after 15 minutes unless `exec-timeout` says otherwise
/// [recalled]. The lab enforces only a configured `exec-timeout` [ours]: on a sped-up lab clock
/// (`--speed 100`) the default would close a session after 9 seconds of thought.
pub const DEFAULT_EXEC_TIMEOUT: u16 = 15;

/// A device's configuration (running or startup).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Config {
    pub hostname: String,
    /// The kind this device becomes on its next boot (`device mode`).
    pub device_mode: DeviceKind,
    pub interfaces: BTreeMap<(u8, u8), Interface>,
    pub default_gateway: Option<Ipv4Addr>,
    pub users: BTreeMap<String, User>,
    pub cdm_role: Option<CdmRole>,
    pub cdm_ip: Option<Ipv4Addr>,
    pub cms_enabled: bool,
    pub timezone: Option<Timezone>,
    pub ntp_servers: Vec<Ipv4Addr>,
    pub name_servers: Vec<Ipv4Addr>,
    pub domain_name: Option<String>,
    pub logging_hosts: Vec<Ipv4Addr>,
    /// SNMP communities, each read-write (`rw`) or read-only.
    pub snmp_communities: BTreeMap<String, bool>,
    /// `exec-timeout`: minutes of inactivity (lab time) after which a CLI session is closed (0:
    /// never); `None`: not configured (ACNS's default, [`DEFAULT_EXEC_TIMEOUT`], not enforced).
    pub exec_timeout: Option<u16>,
}

/// The interfaces every device has (slot/port).
pub const INTERFACES: [(u8, u8); 2] = [(1, 0), (2, 0)];

impl Config {
    /// The factory configuration of a device of `kind`, with the default `admin`/`default` account.
    pub fn factory(hostname: &str, kind: DeviceKind) -> Self {
        let mut users = BTreeMap::new();
        users.insert(
            "admin".to_string(),
            User {
                password: "default".into(),
                privilege: 15,
            },
        );
        Config {
            hostname: hostname.to_string(),
            device_mode: kind,
            interfaces: INTERFACES
                .iter()
                .map(|&i| (i, Interface::default()))
                .collect(),
            default_gateway: None,
            users,
            cdm_role: (kind == DeviceKind::Cdm).then_some(CdmRole::Primary),
            cdm_ip: None,
            cms_enabled: false,
            timezone: None,
            ntp_servers: Vec::new(),
            name_servers: Vec::new(),
            domain_name: None,
            logging_hosts: Vec::new(),
            snmp_communities: BTreeMap::new(),
            exec_timeout: None,
        }
    }

    /// The configuration as `show running-config` prints it (lines end with `\n`).
    pub fn render(&self, version: Version) -> String {
        let mut out = String::new();
        let _ = writeln!(out, "{} {version}", text::show::CONFIG_HEADER);
        out.push_str("!\n");
        let _ = writeln!(out, "device mode {}", self.device_mode.device_mode());
        out.push_str("!\n");
        let _ = writeln!(out, "hostname {}", self.hostname);
        out.push_str("!\n");
        // The order of the blocks follows the running-configs of ACNS's descendant WAAS 4.x
        // [recalled]: clock timezone and ip domain-name before the interfaces; name servers, NTP
        // and logging after the default gateway; SNMP after the users. exec-timeout's place [ours].
        if let Some(tz) = &self.timezone {
            let _ = writeln!(
                out,
                "clock timezone {} {} {}",
                tz.name, tz.hours, tz.minutes
            );
            out.push_str("!\n");
        }
        if let Some(domain) = &self.domain_name {
            let _ = writeln!(out, "ip domain-name {domain}");
            out.push_str("!\n");
        }
        for ((slot, port), iface) in &self.interfaces {
            let _ = writeln!(out, "interface GigabitEthernet {slot}/{port}");
            if let Some((addr, mask)) = iface.address {
                let _ = writeln!(out, " ip address {addr} {mask}");
            }
            if iface.shutdown {
                out.push_str(" shutdown\n");
            }
            out.push_str(" exit\n");
        }
        out.push_str("!\n");
        if let Some(gw) = self.default_gateway {
            let _ = writeln!(out, "ip default-gateway {gw}");
            out.push_str("!\n");
        }
        self.render_services(&mut out);
        for (name, user) in &self.users {
            // two lines, as ACNS writes a user [recalled, contract §12]
            let _ = writeln!(
                out,
                "username {name} password 1 {}",
                obscure_password(&user.password)
            );
            let _ = writeln!(out, "username {name} privilege {}", user.privilege);
        }
        out.push_str("!\n");
        if !self.snmp_communities.is_empty() {
            for (community, rw) in &self.snmp_communities {
                let rw = if *rw { " rw" } else { "" };
                let _ = writeln!(out, "snmp-server community {community}{rw}");
            }
            out.push_str("!\n");
        }
        if let Some(role) = self.cdm_role {
            let _ = writeln!(out, "cdm role {}", role.as_str());
        }
        if let Some(ip) = self.cdm_ip {
            let _ = writeln!(out, "cdm ip {ip}");
        }
        if self.cms_enabled {
            out.push_str("cms enable\n");
        }
        out.push_str("!\n");
        let _ = writeln!(out, "{}", text::show::CONFIG_FOOTER);
        out
    }

    /// Name servers, NTP, syslog hosts and the exec timeout, each block followed by `!`.
    fn render_services(&self, out: &mut String) {
        if !self.name_servers.is_empty() {
            for server in &self.name_servers {
                let _ = writeln!(out, "ip name-server {server}");
            }
            out.push_str("!\n");
        }
        if !self.ntp_servers.is_empty() {
            let servers: Vec<String> = self.ntp_servers.iter().map(|s| s.to_string()).collect();
            let _ = writeln!(out, "ntp server {}", servers.join(" "));
            out.push_str("!\n");
        }
        if !self.logging_hosts.is_empty() {
            for host in &self.logging_hosts {
                let _ = writeln!(out, "logging host {host}");
            }
            out.push_str("!\n");
        }
        if let Some(minutes) = self.exec_timeout {
            let _ = writeln!(out, "exec-timeout {minutes}");
            out.push_str("!\n");
        }
    }
}

const OBSCURE_KEY: &[u8] = b"acnslab-type1";

/// Type-1 password form of the configuration: reversible obscuring (like IOS type 7), so that a saved
/// configuration does not show passwords in clear but can be loaded back. Not a security measure.
pub fn obscure_password(password: &str) -> String {
    password
        .bytes()
        .zip(OBSCURE_KEY.iter().cycle())
        .map(|(b, k)| format!("{:02X}", b ^ k))
        .collect()
}

/// The inverse of [`obscure_password`]; `None` if `text` is not such a string.
pub fn reveal_password(text: &str) -> Option<String> {
    if !text.len().is_multiple_of(2) || text.is_empty() {
        return None;
    }
    let bytes: Option<Vec<u8>> = (0..text.len())
        .step_by(2)
        .zip(OBSCURE_KEY.iter().cycle())
        .map(|(i, k)| {
            text.get(i..i + 2)
                .and_then(|h| u8::from_str_radix(h, 16).ok())
                .map(|b| b ^ k)
        })
        .collect();
    String::from_utf8(bytes?).ok()
}

/// Whether `mask` is a contiguous netmask.
pub fn is_netmask(mask: Ipv4Addr) -> bool {
    let m = u32::from(mask);
    m.leading_ones() + m.trailing_zeros() == 32
}

/// Whether `name` is an acceptable hostname: 1-63 of `[A-Za-z0-9._-]`.
pub fn is_hostname(name: &str) -> bool {
    (1..=63).contains(&name.len())
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_round_trip_and_are_not_clear() {
        for pw in ["default", "a", "p@ss word", "日本"] {
            let o = obscure_password(pw);
            assert!(!o.contains(pw));
            assert_eq!(reveal_password(&o).as_deref(), Some(pw));
        }
        assert_eq!(reveal_password("zz"), None);
        assert_eq!(reveal_password("abc"), None);
    }

    #[test]
    fn netmask_and_hostname_rules() {
        assert!(is_netmask("255.255.255.0".parse().unwrap()));
        assert!(is_netmask("0.0.0.0".parse().unwrap()));
        assert!(!is_netmask("255.0.255.0".parse().unwrap()));
        assert!(is_hostname("ce-1.lab_x"));
        assert!(!is_hostname("bad name"));
        assert!(!is_hostname(&"x".repeat(64)));
    }

    #[test]
    fn factory_config_renders_admin_and_mode() {
        let text = Config::factory("ce1", DeviceKind::Ce).render(Version::new(5, 1, 3));
        assert!(text.starts_with("! ACNS version 5.1.3\n"));
        assert!(text.contains("device mode content-engine\n"));
        assert!(text.contains("hostname ce1\n"));
        assert!(text.contains("username admin password 1 "));
        assert!(text.contains("\nusername admin privilege 15\n"), "{text}");
        assert!(text.contains("interface GigabitEthernet 1/0\n"));
        assert!(!text.contains("cdm role"));
    }
}
