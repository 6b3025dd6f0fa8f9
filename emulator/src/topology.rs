//! The topology file (YAML): which devices a lab has, their kinds, roles, addresses, models and
//! versions, and lab-wide settings. Also the default lab of the behaviour spec (§11), as a YAML text so
//! the documentation and the code show the same thing. Errors name the file, the line and the key,
//! and are found before anything starts, all of them at once (each key, device and server is read
//! on its own through `yaml_parts`).

use std::collections::{HashMap, HashSet};
use std::net::{IpAddr, Ipv4Addr};
use std::path::Path;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::config::{CdmRole, DeviceKind};
use crate::release::{Version, DEFAULT_VERSION};
use crate::yaml_parts::{Document, PartError};

/// The default lab: primary and standby CDM, two CEs in group `edge`, one CR.
pub const DEFAULT_TOPOLOGY: &str = "\
# The default acnslab lab (ACNS-BEHAVIOUR.md §11).
lab:
  base_port: 2201
  boot_seconds: 5
devices:
  - name: cdm1
    kind: cdm
    role: primary
    ip: 10.1.1.5
  - name: cdm2
    kind: cdm
    role: standby
    ip: 10.1.1.6
  - name: ce1
    kind: ce
    ip: 10.1.1.10
    groups: [edge]
  - name: ce2
    kind: ce
    ip: 10.1.1.11
    groups: [edge]
  - name: cr1
    kind: cr
    ip: 10.1.1.20
servers:
  - name: images
    ip: 10.1.1.100
";

/// Lab-wide settings.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct LabSettings {
    /// SSH port of the first device; the others follow in order. 0: every device gets a free port
    /// from the system (tests; read the ports from `lab.json`).
    #[serde(default = "default_base_port")]
    pub base_port: u16,
    /// How long a reboot takes, in lab-clock seconds.
    #[serde(default = "default_boot_seconds")]
    #[schemars(range(min = BOOT_SECONDS_RANGE.0, max = BOOT_SECONDS_RANGE.1))]
    pub boot_seconds: f64,
    /// How often CMS agents poll their CDM and a standby polls its primary, in lab seconds.
    #[serde(default = "default_poll_seconds")]
    #[schemars(range(min = POLL_SECONDS_RANGE.0, max = POLL_SECONDS_RANGE.1))]
    pub poll_seconds: f64,
    /// Wait for the disk on every state write (default). `false` keeps writes atomic but skips the
    /// fsyncs: for throw-away labs (CI runs, benchmarks).
    #[serde(default = "yes")]
    pub durable: bool,
    /// Lab clock speed factor (1 = real time).
    #[serde(default = "default_speed")]
    #[schemars(range(min = SPEED_RANGE.0, max = SPEED_RANGE.1))]
    pub speed: f64,
    /// The default gateway every device is configured with.
    #[serde(default = "default_gateway")]
    pub gateway: Ipv4Addr,
    /// Prefix length of the lab network.
    #[serde(default = "default_prefix")]
    #[schemars(range(max = 30))]
    pub prefix: u8,
    /// One-way latency of each node's link to the lab network, in milliseconds (a device or server
    /// may set its own `latency_ms`). A round trip between two nodes crosses both links twice.
    #[serde(default = "default_latency_ms")]
    #[schemars(range(min = 0.0, max = MAX_LATENCY_MS))]
    pub latency_ms: f64,
    /// How many connections the lab holds at once (docs/security.md).
    #[serde(default, skip_serializing_if = "Limits::is_default")]
    pub limits: Limits,
    /// The address every listener of the lab binds (device SSH, CDM web and API, image servers,
    /// the health port): `127.0.0.1` by default; `0.0.0.0` (or `::`) for every address of the
    /// host, as a container needs. Any address but loopback asks for the lab's password
    /// (`acnslab up --password-file`, docs/deploy.md).
    #[serde(default = "default_listen", skip_serializing_if = "is_default_listen")]
    #[schemars(with = "String")]
    pub listen: IpAddr,
    /// Where the devices' SSH servers listen: `ports` (default), each on its own port of
    /// 127.0.0.1 from `base_port`; `loopback`, each on its own address of 127.0.0.0/8 (the last
    /// three octets of its `ip`: 10.1.1.10 listens on 127.1.1.10), all on `ssh_port`, so a lab is
    /// not bounded by the port space. The web/API and image servers keep their ports on 127.0.0.1.
    #[serde(default, skip_serializing_if = "Addressing::is_ports")]
    pub addressing: Addressing,
    /// With `addressing: loopback`, the one SSH port of every device (a device's `port` wins).
    /// Default: 22 when the lab may listen on privileged ports (root, CAP_NET_BIND_SERVICE,
    /// `net.ipv4.ip_unprivileged_port_start`), `base_port` otherwise; 0: a free port for each
    /// device (read them from `lab.json`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ssh_port: Option<u16>,
}

fn default_listen() -> IpAddr {
    IpAddr::V4(Ipv4Addr::LOCALHOST)
}

fn is_default_listen(ip: &IpAddr) -> bool {
    *ip == default_listen()
}

/// Why `ip` cannot be a lab's listen address (multicast, broadcast: nothing binds there).
pub fn listen_error(ip: IpAddr) -> Option<String> {
    let bad = match ip {
        IpAddr::V4(v4) => v4.is_multicast() || v4.is_broadcast(),
        IpAddr::V6(v6) => v6.is_multicast(),
    };
    bad.then(|| {
        format!("lab.listen: {ip} is not an address of this host (give 127.0.0.1, 0.0.0.0, :: or one of the host's own addresses)")
    })
}

/// Where the devices' SSH servers listen (`lab.addressing`).
#[derive(
    Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema, clap::ValueEnum,
)]
#[serde(rename_all = "lowercase")]
pub enum Addressing {
    /// Each on its own port of 127.0.0.1, from `base_port`.
    #[default]
    Ports,
    /// Each on its own address of 127.0.0.0/8 (its `ip`'s last three octets), on `ssh_port`.
    Loopback,
}

impl Addressing {
    fn is_ports(&self) -> bool {
        *self == Addressing::Ports
    }
}

/// The loopback address a device of address `ip` listens on with `addressing: loopback`: 127 and
/// the last three octets (10.1.1.10: 127.1.1.10).
pub fn loopback_of(ip: Ipv4Addr) -> Ipv4Addr {
    let [_, b, c, d] = ip.octets();
    Ipv4Addr::new(127, b, c, d)
}

/// Why a loopback address cannot be a device's, if it cannot: the network's and the broadcast
/// address of 127.0.0.0/8, and 127.0.0.1, where the lab's web/API and image servers listen.
fn unusable_loopback(addr: Ipv4Addr) -> Option<&'static str> {
    match addr.octets() {
        [127, 0, 0, 0] => Some("the network address of 127.0.0.0/8"),
        [127, 255, 255, 255] => Some("the broadcast address of 127.0.0.0/8"),
        [127, 0, 0, 1] => {
            Some("the host's own loopback address, where the lab's web and image servers listen")
        }
        _ => None,
    }
}

/// How many connections the lab holds at once, and for how long before login (`lab.limits`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Limits {
    /// Connections of every kind (SSH, HTTP, FTP) the lab holds at once. Default: what the
    /// process's limit on open files leaves once the lab's own files and listeners are counted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = LIMIT_RANGES[0].1, max = LIMIT_RANGES[0].2))]
    pub connections: Option<u32>,
    /// SSH connections of the whole lab waiting to log in. Default: half of `connections`, at
    /// most 256, so that a flood that never logs in leaves the other half to sessions, the API
    /// and transfers.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = LIMIT_RANGES[1].1, max = LIMIT_RANGES[1].2))]
    pub unauthenticated: Option<u32>,
    /// SSH connections of one device waiting to log in (OpenSSH's MaxStartups starts refusing at
    /// 10).
    #[serde(default = "default_unauthenticated_per_device")]
    #[schemars(range(min = LIMIT_RANGES[2].1, max = LIMIT_RANGES[2].2))]
    pub unauthenticated_per_device: u32,
    /// Seconds a connection may take to log in before it is closed (OpenSSH: 120).
    #[serde(default = "default_login_grace_seconds")]
    #[schemars(range(min = LIMIT_RANGES[3].1, max = LIMIT_RANGES[3].2))]
    pub login_grace_seconds: u32,
    /// Connections of one HTTP or FTP listener (a CDM's API and GUI, an image server).
    #[serde(default = "default_connections_per_listener")]
    #[schemars(range(min = LIMIT_RANGES[4].1, max = LIMIT_RANGES[4].2))]
    pub connections_per_listener: u32,
}

fn default_unauthenticated_per_device() -> u32 {
    32
}
fn default_login_grace_seconds() -> u32 {
    60
}
fn default_connections_per_listener() -> u32 {
    64
}

/// The allowed values of each `lab.limits` key: (key, least, most).
pub const LIMIT_RANGES: [(&str, u32, u32); 5] = [
    ("connections", 16, 1_000_000),
    ("unauthenticated", 1, 1_000_000),
    ("unauthenticated_per_device", 1, 10_000),
    ("login_grace_seconds", 1, 3_600),
    ("connections_per_listener", 1, 100_000),
];

impl Default for Limits {
    fn default() -> Self {
        Limits {
            connections: None,
            unauthenticated: None,
            unauthenticated_per_device: default_unauthenticated_per_device(),
            login_grace_seconds: default_login_grace_seconds(),
            connections_per_listener: default_connections_per_listener(),
        }
    }
}

impl Limits {
    fn is_default(&self) -> bool {
        *self == Limits::default()
    }

    /// Each key out of its range: the key and the error message.
    fn problems(&self) -> Vec<(String, String)> {
        let values = [
            self.connections,
            self.unauthenticated,
            Some(self.unauthenticated_per_device),
            Some(self.login_grace_seconds),
            Some(self.connections_per_listener),
        ];
        LIMIT_RANGES
            .into_iter()
            .zip(values)
            .filter_map(|((key, least, most), value)| {
                let value = value?;
                (!(least..=most).contains(&value)).then(|| {
                    (
                        key.to_string(),
                        format!("lab.limits.{key}: must be {least} to {most} (got {value})"),
                    )
                })
            })
            .collect()
    }
}

fn default_base_port() -> u16 {
    2201
}
fn default_boot_seconds() -> f64 {
    5.0
}
fn default_poll_seconds() -> f64 {
    300.0
}
fn default_speed() -> f64 {
    1.0
}
fn default_gateway() -> Ipv4Addr {
    Ipv4Addr::new(10, 1, 1, 1)
}
fn default_prefix() -> u8 {
    24
}
/// A switched LAN: a quarter of a millisecond per link.
fn default_latency_ms() -> f64 {
    0.25
}
/// The slowest link a topology may give, one way (10 s).
pub const MAX_LATENCY_MS: f64 = 10_000.0;

impl Default for LabSettings {
    fn default() -> Self {
        LabSettings {
            base_port: default_base_port(),
            boot_seconds: default_boot_seconds(),
            poll_seconds: default_poll_seconds(),
            durable: true,
            speed: default_speed(),
            gateway: default_gateway(),
            prefix: default_prefix(),
            latency_ms: default_latency_ms(),
            limits: Limits::default(),
            listen: default_listen(),
            addressing: Addressing::Ports,
            ssh_port: None,
        }
    }
}

/// One device of the topology.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct DeviceSpec {
    /// Topology name: initial hostname, folder under `devices/`, the name steps use. 1-63 of
    /// letters, digits, `.`, `_`, `-`, not starting with `.`; unique.
    pub name: String,
    /// Device kind.
    pub kind: DeviceKind,
    /// CDMs only: `primary` or `standby`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub role: Option<CdmRole>,
    /// Virtual address (on `GigabitEthernet 1/0`), unique.
    pub ip: Ipv4Addr,
    /// Model shown by `show hardware` (default `CDM-4650`, `CE-565`, `CR-4430`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub model: Option<String>,
    /// Software version the device starts with (default 5.1.3).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version: Option<Version>,
    /// A fixed SSH port instead of the next one after `base_port`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub port: Option<u16>,
    /// Size of the device's `/local/local1`, in MB (a small one lets a download fill it).
    #[serde(default = "default_disk_mb")]
    #[schemars(range(min = 1, max = MAX_DISK_MB))]
    pub disk_mb: u64,
    /// Device groups (CEs only).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub groups: Vec<String>,
    /// Whether CMS starts enabled (default: yes, devices start registered and online).
    #[serde(default = "yes")]
    pub cms: bool,
    /// One-way latency of this device's link, in milliseconds (default: `lab.latency_ms`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 0.0, max = MAX_LATENCY_MS))]
    pub latency_ms: Option<f64>,
    /// An installed version waiting for a reload (as `copy ftp install` leaves it): the device
    /// starts on `version` and boots into this one at its first reload. Only for a new device.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pending_version: Option<Version>,
    /// The device's startup configuration (the text of `show startup-config`) instead of the one
    /// made from the topology (hostname, address, gateway, admin account, CMS). Only for a new
    /// device; each line must be one the configuration mode accepts.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub startup_config: Option<String>,
    /// The running configuration at the first start, when it is not the startup one (changes not
    /// saved: `reload` asks to save them). Only for a new device.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub running_config: Option<String>,
}

fn default_disk_mb() -> u64 {
    65_536
}

fn yes() -> bool {
    true
}

/// An image server (FTP and HTTP) behind a virtual address. Embedded servers on loopback serve a
/// folder; `ftp`/`http` point the address at external servers instead.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ServerSpec {
    /// Server name (also a host for `copy ftp ...`); unique among devices and servers.
    pub name: String,
    /// Virtual address, unique among devices and servers.
    pub ip: Ipv4Addr,
    /// An external FTP server (`host:port`) instead of the embedded one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ftp: Option<std::net::SocketAddr>,
    /// An external HTTP server (`host:port`) instead of the embedded one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub http: Option<std::net::SocketAddr>,
    /// Loopback port of the embedded FTP server (0: from `lab.base_port`, see
    /// [`Topology::server_ports_of`]; any free port when that is 0).
    #[serde(default)]
    pub ftp_port: u16,
    /// Loopback port of the embedded HTTP server (0: as `ftp_port`).
    #[serde(default)]
    pub http_port: u16,
    /// The folder the embedded servers serve (default: `servers/NAME` in the state directory,
    /// filled with the lab's images and meta files).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub folder: Option<std::path::PathBuf>,
    /// FTP login of the embedded server.
    #[serde(default = "default_ftp_user")]
    pub user: String,
    /// FTP password of the embedded server.
    #[serde(default = "default_ftp_password")]
    pub password: String,
    /// Size of the generated images, in MB.
    #[serde(default = "default_image_mb")]
    #[schemars(range(min = 1, max = 4096))]
    pub image_mb: u64,
    /// The rate of the link to this server, in kilobits per lab second (default 1544: a T1, the
    /// WAN link of a 2005 branch office). Downloads and uploads go at this pace on a real-time
    /// clock (a `speed` factor speeds them up with the rest of the lab); on a virtual clock they
    /// are instant. 0: as fast as loopback allows.
    #[serde(default = "default_rate_kbps")]
    #[schemars(range(max = MAX_RATE_KBPS))]
    pub rate_kbps: u32,
    /// One-way latency of this server's link, in milliseconds (default: `lab.latency_ms`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 0.0, max = MAX_LATENCY_MS))]
    pub latency_ms: Option<f64>,
}

fn default_ftp_user() -> String {
    "ftpuser".into()
}
fn default_ftp_password() -> String {
    "ftppass".into()
}
fn default_image_mb() -> u64 {
    8
}
/// The fastest link a topology may give (10 Gbit/s).
pub const MAX_RATE_KBPS: u32 = 10_000_000;
/// A T1 (1.544 Mbit/s), the usual WAN link to a 2005 branch office.
pub const DEFAULT_RATE_KBPS: u32 = 1544;
fn default_rate_kbps() -> u32 {
    DEFAULT_RATE_KBPS
}

/// A whole topology.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(
    title = "acnslab topology file",
    description = "Which devices and image servers a lab has, and lab-wide settings (docs/topology.md)."
)]
pub struct Topology {
    /// Lab-wide settings; every key optional.
    #[serde(default)]
    pub lab: LabSettings,
    /// The devices, at least one; device n gets SSH port `base_port + n`.
    pub devices: Vec<DeviceSpec>,
    /// FTP/HTTP image servers behind virtual addresses.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub servers: Vec<ServerSpec>,
}

/// One error of a topology file; the message names the key.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{file}{}: {message}", if *.line > 0 { format!(":{line}") } else { String::new() })]
pub struct TopologyError {
    pub file: String,
    pub line: usize,
    pub message: String,
}

/// Every error found in a topology file, in the order of their lines (never empty); shown one per
/// line.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}", render_errors(.0))]
pub struct TopologyErrors(Vec<TopologyError>);

fn render_errors(errors: &[TopologyError]) -> String {
    errors
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join("\n")
}

impl TopologyErrors {
    /// The errors, sorted by line (a stable sort: those of one line stay in the order found).
    pub fn new(mut errors: Vec<TopologyError>) -> Self {
        errors.sort_by_key(|e| e.line);
        TopologyErrors(errors)
    }

    /// The error of the first line.
    pub fn first(&self) -> &TopologyError {
        &self.0[0]
    }

    pub fn iter(&self) -> std::slice::Iter<'_, TopologyError> {
        self.0.iter()
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn into_vec(self) -> Vec<TopologyError> {
        self.0
    }
}

/// The top-level keys of a topology file.
pub const TOP_KEYS: [&str; 3] = ["lab", "devices", "servers"];

/// Where the parts of a topology were written, for the lines of its errors: each device's and
/// server's index in its list and line, the text to find the lab's keys in, and how many devices
/// the file lists (some may not have parsed). Empty for a topology changed in code.
#[derive(Debug, Default)]
struct Places<'t> {
    text: &'t str,
    devices: Vec<(usize, usize)>,
    servers: Vec<(usize, usize)>,
    devices_listed: usize,
}

impl Places<'_> {
    /// The index in the file's list and the line of device `i` of the parsed topology.
    fn device(&self, i: usize) -> (usize, usize) {
        self.devices.get(i).copied().unwrap_or((i, 0))
    }

    fn server(&self, i: usize) -> (usize, usize) {
        self.servers.get(i).copied().unwrap_or((i, 0))
    }

    /// The line of a lab key (`speed`), 0 without a text.
    fn key(&self, key: &str) -> usize {
        line_of(self.text, key)
    }
}

impl Topology {
    /// The default lab.
    pub fn default_lab() -> Self {
        Self::parse(DEFAULT_TOPOLOGY, "<default lab>").expect("the default topology is valid")
    }

    /// Reads and checks a topology file.
    pub fn load(path: &Path) -> Result<Self, TopologyErrors> {
        let file = path.display().to_string();
        let text = std::fs::read_to_string(path).map_err(|e| {
            TopologyErrors::new(vec![TopologyError {
                file: file.clone(),
                line: 0,
                message: e.to_string(),
            }])
        })?;
        Self::parse(&text, &file)
    }

    /// Parses and checks a topology text; `file` names it in errors. Every error is found: each
    /// top-level key, device and server is read on its own (`yaml_parts`), then the rules are
    /// checked on what could be read.
    pub fn parse(text: &str, file: &str) -> Result<Self, TopologyErrors> {
        match Self::parse_valid(text) {
            Some(topology) => Ok(topology),
            None => Self::parse_parts(text, file),
        }
    }

    /// [`Topology::parse`] part by part, every error with its line.
    fn parse_parts(text: &str, file: &str) -> Result<Self, TopologyErrors> {
        let error = |e: PartError| TopologyError {
            file: file.to_string(),
            line: e.line,
            message: e.message,
        };
        let doc = Document::parse_within(text, crate::yaml_limits::MAX_TOPOLOGY_BYTES)
            .map_err(|e| TopologyErrors::new(vec![error(e)]))?;
        let mut found = doc.unknown_keys(&TOP_KEYS);
        let lab = match doc.field::<Option<LabSettings>>("lab") {
            Some(Ok(lab)) => lab.unwrap_or_default(),
            Some(Err(e)) => {
                found.extend(doc.further_field_errors::<Option<LabSettings>>("lab", &e));
                found.push(e);
                LabSettings::default()
            }
            None => LabSettings::default(),
        };
        let mut places = Places {
            text,
            ..Places::default()
        };
        let mut devices = Vec::new();
        match doc.items::<DeviceSpec>("devices") {
            None => found.push(doc.missing("devices")),
            Some(Err(e)) => found.push(e),
            Some(Ok(items)) => {
                places.devices_listed = items.len();
                for (index, item) in items.into_iter().enumerate() {
                    let further = doc.further_errors("devices", index, &item);
                    match item.value {
                        Ok(d) => {
                            devices.push(d);
                            places.devices.push((index, item.line));
                        }
                        Err(e) => found.push(e),
                    }
                    found.extend(further);
                }
            }
        }
        let mut servers = Vec::new();
        match doc.items::<ServerSpec>("servers") {
            None => {}
            Some(Err(e)) => found.push(e),
            Some(Ok(items)) => {
                for (index, item) in items.into_iter().enumerate() {
                    let further = doc.further_errors("servers", index, &item);
                    match item.value {
                        Ok(s) => {
                            servers.push(s);
                            places.servers.push((index, item.line));
                        }
                        Err(e) => found.push(e),
                    }
                    found.extend(further);
                }
            }
        }
        let topology = Topology {
            lab,
            devices,
            servers,
        };
        found.extend(
            topology
                .problems(&places)
                .into_iter()
                .map(|(line, message)| PartError { line, message }),
        );
        if found.is_empty() {
            Ok(topology)
        } else {
            Err(TopologyErrors::new(found.into_iter().map(error).collect()))
        }
    }

    /// A valid topology text in one pass (a lab's `topology.yaml` of thousands of devices, read at
    /// every start); `None` when anything is wrong, which [`Topology::parse`] then finds part by
    /// part with its line.
    fn parse_valid(text: &str) -> Option<Self> {
        crate::yaml_limits::check_within(text, crate::yaml_limits::MAX_TOPOLOGY_BYTES).ok()?;
        let topology: Topology = serde_norway::from_str(text).ok()?;
        topology
            .problems(&Places::default())
            .is_empty()
            .then_some(topology)
    }

    /// Checks a topology again after it was changed in code (the command-line overrides of
    /// `acnslab up`); `source` names where the change came from.
    pub fn recheck(&self, source: &str) -> Result<(), TopologyErrors> {
        let problems = self.problems(&Places::default());
        if problems.is_empty() {
            return Ok(());
        }
        Err(TopologyErrors::new(
            problems
                .into_iter()
                .map(|(_, message)| TopologyError {
                    file: source.to_string(),
                    line: 0,
                    message,
                })
                .collect(),
        ))
    }

    /// Rules serde cannot express, every one broken: the line (from `places`) and the message.
    fn problems(&self, places: &Places) -> Vec<(usize, String)> {
        let mut found = Vec::new();
        if self.devices.is_empty() && places.devices_listed == 0 {
            found.push((
                places.key("devices"),
                "devices: a lab needs at least one device".into(),
            ));
        }
        for (key, value, range) in [
            ("speed", self.lab.speed, SPEED_RANGE),
            ("boot_seconds", self.lab.boot_seconds, BOOT_SECONDS_RANGE),
            ("poll_seconds", self.lab.poll_seconds, POLL_SECONDS_RANGE),
        ] {
            if let Err(message) = check_range(value, range) {
                found.push((places.key(key), format!("lab.{key}: {message}")));
            }
        }
        if self.lab.prefix > 30 {
            found.push((places.key("prefix"), "lab.prefix: must be 0 to 30".into()));
        }
        if let Some(message) = latency_error(Some(self.lab.latency_ms)) {
            found.push((places.key("latency_ms"), format!("lab.{message}")));
        }
        for (key, message) in self.lab.limits.problems() {
            found.push((places.key(&key), message));
        }
        if let Some(message) = listen_error(self.lab.listen) {
            found.push((places.key("listen"), message));
        }
        let loopback = self.lab.addressing == Addressing::Loopback;
        if loopback && self.lab.listen != default_listen() {
            found.push((
                places.key("listen"),
                format!("lab.listen: {} with `addressing: loopback`: each device listens on its own address of 127.0.0.0/8, which other hosts do not reach (use `addressing: ports` to listen on another address)", self.lab.listen),
            ));
        }
        if !loopback && self.lab.ssh_port.is_some() {
            found.push((
                places.key("ssh_port"),
                "lab.ssh_port: only with `addressing: loopback` (each device has its own port otherwise)"
                    .into(),
            ));
        }
        let (mut names, mut ips, mut ports) = (HashSet::new(), HashSet::new(), HashSet::new());
        // with loopback addressing: each loopback address and the device that has it
        let mut listening: HashMap<Ipv4Addr, &str> = HashMap::new();
        let mut primaries = 0;
        for (i, d) in self.devices.iter().enumerate() {
            let (index, line) = places.device(i);
            let mut here =
                |msg: String| found.push((line, format!("devices[{index}] ({}): {msg}", d.name)));
            if !is_plain_name(&d.name) {
                here("name: 1 to 63 letters, digits, '.', '_' or '-', not starting with '.' (it is a folder name under devices/)".into());
            } else if !names.insert(d.name.to_ascii_lowercase()) {
                here("name: used by another device".into());
            }
            if !ips.insert(d.ip) {
                here(format!("ip: {} is used by another device", d.ip));
            }
            if loopback {
                let addr = loopback_of(d.ip);
                if let Some(why) = unusable_loopback(addr) {
                    here(format!(
                        "ip: {} would listen on {addr}, {why} (`addressing: loopback` keeps the last three octets of a device's address)",
                        d.ip
                    ));
                } else if let Some(other) = listening.insert(addr, &d.name) {
                    here(format!(
                        "ip: {} would listen on {addr} like device {other} (`addressing: loopback` keeps the last three octets of a device's address: they must differ)",
                        d.ip
                    ));
                }
            } else {
                let port = self.port_of(i);
                let ephemeral = port == 0 && self.lab.base_port == 0 && d.port.is_none();
                if !ephemeral && (port == 0 || !ports.insert(port)) {
                    here(format!("port: {port} is used by another device or invalid"));
                }
            }
            match (d.kind, d.role) {
                (DeviceKind::Cdm, Some(CdmRole::Primary) | None) => {
                    primaries += 1;
                    if primaries == 2 {
                        found.push((line, "devices: more than one primary CDM".into()));
                    }
                }
                (DeviceKind::Cdm, Some(CdmRole::Standby)) => {}
                (_, Some(_)) => found.push((
                    line,
                    format!("devices[{index}] ({}): role: only a CDM has a role", d.name),
                )),
                (_, None) => {}
            }
            let mut here =
                |msg: String| found.push((line, format!("devices[{index}] ({}): {msg}", d.name)));
            if !(1..=MAX_DISK_MB).contains(&d.disk_mb) {
                here(format!("disk_mb: must be 1 to {MAX_DISK_MB}"));
            }
            if d.kind != DeviceKind::Ce && !d.groups.is_empty() {
                here("groups: only CEs can join device groups".into());
            }
            if let Some(message) = latency_error(d.latency_ms) {
                here(message);
            }
        }
        for (i, s) in self.servers.iter().enumerate() {
            let (index, line) = places.server(i);
            let mut here =
                |msg: String| found.push((line, format!("servers[{index}] ({}): {msg}", s.name)));
            if !is_plain_name(&s.name) || !names.insert(s.name.to_ascii_lowercase()) {
                here("name: invalid or used by another device or server".into());
            }
            if !ips.insert(s.ip) {
                here(format!("ip: {} is used by another device or server", s.ip));
            }
            if s.image_mb == 0 || s.image_mb > 4096 {
                here("image_mb: must be 1 to 4096".into());
            }
            if s.rate_kbps > MAX_RATE_KBPS {
                here(format!(
                    "rate_kbps: must be 0 (no limit) to {MAX_RATE_KBPS}"
                ));
            }
            if let Some(message) = latency_error(s.latency_ms) {
                here(message);
            }
        }
        found
    }

    /// The SSH port of device `index`.
    pub fn port_of(&self, index: usize) -> u16 {
        if self.lab.addressing == Addressing::Loopback {
            let port = self.lab.ssh_port.unwrap_or(self.lab.base_port);
            return self.devices[index].port.unwrap_or(port);
        }
        if self.lab.base_port == 0 {
            return self.devices[index].port.unwrap_or(0);
        }
        self.devices[index].port.unwrap_or_else(|| {
            self.lab
                .base_port
                .saturating_add(u16::try_from(index).unwrap_or(u16::MAX))
        })
    }

    /// Where device `index`'s SSH server listens: the lab's listen address (127.0.0.1 by default)
    /// and its port, or with loopback addressing its own loopback address ([`loopback_of`]) and
    /// the lab's SSH port.
    pub fn ssh_addr_of(&self, index: usize) -> std::net::SocketAddr {
        let host = match self.lab.addressing {
            Addressing::Ports => self.lab.listen,
            Addressing::Loopback => IpAddr::V4(loopback_of(self.devices[index].ip)),
        };
        std::net::SocketAddr::from((host, self.port_of(index)))
    }

    /// The ports of a lab with D devices are laid out in blocks of `max(D, 100)` from
    /// `lab.base_port`: SSH of device n at `base + n`, the web GUI and API of a CDM at index n at
    /// `base + block + n`, the FTP and HTTP servers of image server s at `base + 2 block + 2s` and
    /// `+ 1`. A port a device or server sets itself wins; with `base_port: 0` every port not set is
    /// a free one. With loopback addressing the SSH servers take no ports of the block, which
    /// then only reaches past the last CDM (100 when the CDMs are among the first 100 devices).
    fn port_block(&self) -> u16 {
        let spanned = match self.lab.addressing {
            Addressing::Ports => self.devices.len(),
            Addressing::Loopback => self
                .devices
                .iter()
                .rposition(|d| d.kind == DeviceKind::Cdm)
                .map_or(0, |last| last + 1),
        };
        u16::try_from(spanned.max(100)).unwrap_or(u16::MAX)
    }

    /// The highest port the base-port layout reaches, counted without the 65535 cap (so a base
    /// too close to the top shows): `None` with `base_port: 0`. Ports the topology sets itself
    /// are not the layout's.
    pub fn layout_top(&self, with_web: bool, with_health: bool) -> Option<u32> {
        if self.lab.base_port == 0 {
            return None;
        }
        let base = u32::from(self.lab.base_port);
        let block = u32::from(self.port_block());
        let count = |n: usize| u32::try_from(n).unwrap_or(u32::MAX);
        // with loopback addressing every device's SSH shares one port (the base when not set)
        let ssh_ports = match self.lab.addressing {
            Addressing::Ports => self.devices.len(),
            Addressing::Loopback => 1,
        };
        let mut top = base + count(ssh_ports).saturating_sub(1);
        if with_web {
            if let Some(last) = self.devices.iter().rposition(|d| d.kind == DeviceKind::Cdm) {
                top = top.max(base + block + count(last));
            }
        }
        if !self.servers.is_empty() {
            top = top.max(base + 2 * block + 2 * count(self.servers.len()) - 1);
        }
        if with_health {
            top = top.max(base + 3 * block);
        }
        Some(top)
    }

    /// The HTTP port (web GUI and API) of the CDM at `index` (see [`Topology::port_block`]).
    pub fn web_port_of(&self, index: usize) -> u16 {
        if self.lab.base_port == 0 {
            return 0;
        }
        self.lab
            .base_port
            .saturating_add(self.port_block())
            .saturating_add(u16::try_from(index).unwrap_or(u16::MAX))
    }

    /// The FTP and HTTP ports of the embedded servers of image server `index`.
    pub fn server_ports_of(&self, index: usize) -> (u16, u16) {
        let spec = &self.servers[index];
        let derived = |offset: u16| {
            if self.lab.base_port == 0 {
                return 0;
            }
            let pair = u16::try_from(index)
                .unwrap_or(u16::MAX)
                .saturating_mul(2)
                .saturating_add(offset);
            self.lab
                .base_port
                .saturating_add(self.port_block().saturating_mul(2))
                .saturating_add(pair)
        };
        let pick = |given: u16, offset| if given == 0 { derived(offset) } else { given };
        (pick(spec.ftp_port, 0), pick(spec.http_port, 1))
    }

    /// The lab's own HTTP port (`/healthz`, `/metrics`): `base + 3 block`, the first port after
    /// the image servers' block (see [`Topology::port_block`]); a free one with `base_port: 0`.
    pub fn health_port(&self) -> u16 {
        if self.lab.base_port == 0 {
            return 0;
        }
        self.lab
            .base_port
            .saturating_add(self.port_block().saturating_mul(3))
    }

    /// Every fixed (non-zero) port the lab listens on, with what listens there; embedded image
    /// servers only (an external server's port is not the lab's). `with_web`: the CDMs' HTTP ports;
    /// `with_health`: the lab's health and metrics port.
    pub fn fixed_ports(&self, with_web: bool, with_health: bool) -> Vec<(String, u16)> {
        let mut ports = Vec::new();
        let loopback = self.lab.addressing == Addressing::Loopback;
        if loopback {
            let shared = self.lab.ssh_port.unwrap_or(self.lab.base_port);
            ports.push(("the devices' SSH (lab.ssh_port)".to_string(), shared));
        }
        for (index, d) in self.devices.iter().enumerate() {
            if !loopback || d.port.is_some() {
                ports.push((format!("{} SSH", d.name), self.port_of(index)));
            }
            if with_web && d.kind == DeviceKind::Cdm {
                ports.push((format!("{} web", d.name), self.web_port_of(index)));
            }
        }
        for (index, s) in self.servers.iter().enumerate() {
            if s.ftp.is_some() || s.http.is_some() {
                continue;
            }
            let (ftp, http) = self.server_ports_of(index);
            ports.push((format!("{} FTP", s.name), ftp));
            ports.push((format!("{} HTTP", s.name), http));
        }
        if with_health {
            ports.push(("the health port".to_string(), self.health_port()));
        }
        ports.retain(|(_, port)| *port != 0);
        ports
    }

    /// The primary CDM's address, if the topology has one.
    pub fn primary_cdm_ip(&self) -> Option<Ipv4Addr> {
        self.devices
            .iter()
            .find(|d| d.kind == DeviceKind::Cdm && d.role != Some(CdmRole::Standby))
            .map(|d| d.ip)
    }

    /// The version a device starts with.
    pub fn version_of(&self, index: usize) -> Version {
        self.devices[index].version.unwrap_or(DEFAULT_VERSION)
    }
}

/// The allowed lab clock speeds (`lab.speed`, `--speed`): a thousandth of real time to ten
/// thousand times faster. Outside, the lab clock's arithmetic or the scheduler's timers overflow
/// long before anything useful happens.
pub const SPEED_RANGE: (f64, f64) = (0.001, 10_000.0);
/// The allowed reboot durations (`lab.boot_seconds`, `--boot-seconds`), lab seconds: up to a day.
pub const BOOT_SECONDS_RANGE: (f64, f64) = (0.0, 86_400.0);
/// The allowed agent poll intervals (`lab.poll_seconds`), lab seconds: 1 s to a day.
pub const POLL_SECONDS_RANGE: (f64, f64) = (1.0, 86_400.0);
/// The largest device disk (`disk_mb`): 16 TiB.
pub const MAX_DISK_MB: u64 = 16 * 1024 * 1024;

/// Whether `value` is a finite number within `range` (inclusive); the error says the range.
pub fn check_range(value: f64, (min, max): (f64, f64)) -> Result<f64, String> {
    if value.is_finite() && (min..=max).contains(&value) {
        Ok(value)
    } else {
        Err(format!(
            "must be a number from {min} to {max} (got {value:?})"
        ))
    }
}

/// A command-line value parser for a number within `range` (`--speed`, `--boot-seconds`).
pub fn parse_in_range(text: &str, range: (f64, f64)) -> Result<f64, String> {
    let value: f64 = text
        .trim()
        .parse()
        .map_err(|_| format!("'{text}' is not a number"))?;
    check_range(value, range)
}

/// Whether `name` can name a device or server: a hostname (`config::is_hostname`) that is also a
/// plain folder name under `devices/` or `servers/`, so never `.`, `..` or a hidden name.
pub fn is_plain_name(name: &str) -> bool {
    crate::config::is_hostname(name) && !name.starts_with('.')
}

/// Whether `path` stays below the folder it is relative to: not absolute, no `.` or `..` parts.
pub fn is_inner_path(path: &Path) -> bool {
    path.components().next().is_some()
        && path
            .components()
            .all(|c| matches!(c, std::path::Component::Normal(_)))
}

/// What is wrong with a `latency_ms`, if anything.
fn latency_error(latency_ms: Option<f64>) -> Option<String> {
    let ms = latency_ms?;
    (!(ms.is_finite() && (0.0..=MAX_LATENCY_MS).contains(&ms)))
        .then(|| format!("latency_ms: must be 0 to {MAX_LATENCY_MS}"))
}

/// The 1-based line of the first occurrence of `needle`, or 0.
fn line_of(text: &str, needle: &str) -> usize {
    text.lines()
        .position(|l| l.contains(needle))
        .or_else(|| {
            // `name: '..'`: the same key with its value quoted
            text.lines()
                .position(|l| l.replace(['\'', '"'], "").contains(needle))
        })
        .map(|i| i + 1)
        .unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `text`'s errors: as many as `expected`, each at its line and starting with its text, in
    /// order; their messages.
    fn errors_in_order(text: &str, expected: &[(usize, &str)]) -> Vec<String> {
        let errors = Topology::parse(text, "t.yaml").unwrap_err();
        let found: Vec<(usize, String)> =
            errors.iter().map(|e| (e.line, e.message.clone())).collect();
        assert_eq!(found.len(), expected.len(), "{errors}");
        for ((line, message), (want_line, want)) in found.iter().zip(expected) {
            assert_eq!(line, want_line, "{errors}");
            assert!(
                message.starts_with(want),
                "{message:?} is not {want:?}\n{errors}"
            );
        }
        found.into_iter().map(|(_, message)| message).collect()
    }

    #[test]
    fn default_lab_is_the_spec_lab() {
        let t = Topology::default_lab();
        let names: Vec<_> = t.devices.iter().map(|d| d.name.as_str()).collect();
        assert_eq!(names, ["cdm1", "cdm2", "ce1", "ce2", "cr1"]);
        assert_eq!(t.primary_cdm_ip(), Some(Ipv4Addr::new(10, 1, 1, 5)));
        assert_eq!(t.port_of(4), 2205);
        // its image server is behind a T1
        assert_eq!(t.servers[0].rate_kbps, 1544);
    }

    #[test]
    fn flag_values_are_checked_against_the_same_ranges() {
        assert_eq!(parse_in_range("2.5", SPEED_RANGE), Ok(2.5));
        for bad in ["2e11", "1e-300", "NaN", "inf", "-1"] {
            let e = parse_in_range(bad, SPEED_RANGE).unwrap_err();
            assert!(e.contains("from 0.001 to 10000"), "{bad}: {e}");
        }
        assert!(parse_in_range("x", BOOT_SECONDS_RANGE)
            .unwrap_err()
            .contains("not a number"));
        assert!(parse_in_range("1e300", BOOT_SECONDS_RANGE).is_err());
    }

    #[test]
    fn names_that_leave_their_folder_are_refused() {
        for name in [".", "..", ".hidden", "a/b", "..."] {
            let text = format!("devices:\n  - name: ok\n    kind: ce\n    ip: 10.0.0.1\n  - name: '{name}'\n    kind: ce\n    ip: 10.0.0.2\n");
            let e = Topology::parse(&text, "t.yaml")
                .unwrap_err()
                .first()
                .clone();
            assert!(
                e.to_string().starts_with("t.yaml:5: devices[1]"),
                "{name}: {e}"
            );
            let text = format!("devices:\n  - name: ok\n    kind: ce\n    ip: 10.0.0.1\nservers:\n  - name: '{name}'\n    ip: 10.0.0.2\n");
            let e = Topology::parse(&text, "t.yaml")
                .unwrap_err()
                .first()
                .clone();
            assert!(
                e.to_string().starts_with("t.yaml:6: servers[0]"),
                "{name}: {e}"
            );
        }
        assert!(is_plain_name("ce-1.lab") && is_plain_name("a..b"));
    }

    #[test]
    fn a_lab_reads_back_the_topology_it_wrote_past_a_mebibyte() {
        // what a lab of 15,000 devices writes to its state directory (the resume of a
        // 19,000-device bench lab was refused: the file was above the 1 MiB of other files)
        let mut t = Topology::default_lab();
        let ce = t.devices[2].clone();
        t.devices = (0..15_000u32)
            .map(|i| DeviceSpec {
                name: format!("ce{i}"),
                ip: Ipv4Addr::from(u32::from(Ipv4Addr::new(10, 2, 0, 2)) + i),
                ..ce.clone()
            })
            .collect();
        let text = serde_norway::to_string(&t).unwrap();
        assert!(text.len() > crate::yaml_limits::MAX_BYTES, "{}", text.len());
        assert_eq!(Topology::parse(&text, "topology.yaml").unwrap(), t);
    }

    #[test]
    fn a_deeply_nested_file_is_refused_at_once() {
        let started = std::time::Instant::now();
        let text = format!("devices: []\nlab: {}", "{a: ".repeat(100_000));
        let e = Topology::parse(&text, "t.yaml")
            .unwrap_err()
            .first()
            .clone();
        assert_eq!(
            e.to_string(),
            "t.yaml:2: collections nested more than 64 deep"
        );
        assert!(started.elapsed() < std::time::Duration::from_secs(1));
    }

    #[test]
    fn unknown_key_names_file_line_and_key() {
        let text = "devices:\n  - name: a\n    kind: ce\n    ip: 10.0.0.1\n    colour: red\n";
        let e = Topology::parse(text, "lab.yaml")
            .unwrap_err()
            .first()
            .clone();
        assert_eq!((e.file.as_str(), e.line), ("lab.yaml", 5), "{e}");
        assert!(e.message.contains("colour"), "{e}");
    }

    #[test]
    fn a_valid_file_reads_the_same_in_one_pass_as_part_by_part() {
        let mut full = Topology::default_lab();
        full.lab.durable = false;
        full.lab.limits.connections = Some(500);
        let ce = &mut full.devices[2];
        ce.model = Some("CE-7305".into());
        ce.version = Some(Version::new(5, 2, 1));
        ce.pending_version = Some(Version::new(5, 3, 1));
        ce.port = Some(2999);
        ce.latency_ms = Some(3.5);
        ce.startup_config = Some("hostname x\n".into());
        ce.running_config = Some("hostname y\n".into());
        full.servers[0].folder = Some("images".into());
        let written = serde_norway::to_string(&full).unwrap();
        for text in [DEFAULT_TOPOLOGY, written.as_str()] {
            let whole = Topology::parse_valid(text).expect("valid");
            assert_eq!(Topology::parse_parts(text, "t").unwrap(), whole);
        }
        assert_eq!(Topology::parse(&written, "t").unwrap(), full);
        // anything wrong is left to the reading part by part
        let duplicate = DEFAULT_TOPOLOGY.replace("10.1.1.6", "10.1.1.5");
        assert!(Topology::parse_valid(&duplicate).is_none());
        assert_eq!(
            Topology::parse(&duplicate, "t").unwrap_err().first().line,
            10
        );
    }

    #[test]
    fn every_error_is_found_at_once_sorted_by_line() {
        let text = "\
lab:
  speed: 0
  colour: red
devices:
  - name: a
    kind: router
    ip: 10.0.0.1
  - name: b
    kind: ce
    ip: 10.0.0.2
    size: big
  - name: c
    kind: cr
    role: primary
    ip: 10.0.0.2
servers:
  - name: s
    ip: 10.0.0.9
    image_mb: 0
planets: []
";
        // `lab` did not parse, so its `speed` is not checked; `b` did not, so `c`'s address is
        // not taken
        let expected = [
            (3, "lab: unknown field `colour`"),
            (6, "devices[0].kind: unknown variant `router`"),
            (11, "devices[1]: unknown field `size`"),
            (12, "devices[2] (c): role: only a CDM has a role"),
            (17, "servers[0] (s): image_mb: must be 1 to 4096"),
            (20, "unknown field `planets`"),
        ];
        errors_in_order(text, &expected);
        // a device whose rules are broken twice gets both
        let text = "devices:\n  - {name: a, kind: ce, ip: 10.0.0.1}\n  - {name: a, kind: cr, role: standby, ip: 10.0.0.1, disk_mb: 0}\n";
        let errors = Topology::parse(text, "t.yaml").unwrap_err();
        assert_eq!(errors.len(), 4, "{errors}");
        assert!(errors.iter().all(|e| e.line == 3), "{errors}");
    }

    #[test]
    fn loopback_addressing_listens_on_each_devices_own_address() {
        let text = "lab:\n  base_port: 3000\n  addressing: loopback\n  ssh_port: 2222\ndevices:\n  - name: cdm1\n    kind: cdm\n    ip: 10.1.1.5\n  - name: ce1\n    kind: ce\n    ip: 10.1.1.10\n  - name: ce2\n    kind: ce\n    ip: 10.1.1.11\n    port: 2300\n";
        let t = Topology::parse(text, "t.yaml").unwrap();
        assert_eq!(t.lab.addressing, Addressing::Loopback);
        assert_eq!(t.ssh_addr_of(1), "127.1.1.10:2222".parse().unwrap());
        assert_eq!(t.ssh_addr_of(2), "127.1.1.11:2300".parse().unwrap());
        // the web and image servers keep the base-port layout on 127.0.0.1
        assert_eq!(t.web_port_of(0), 3100);
        // written back, read the same
        let written = serde_norway::to_string(&t).unwrap();
        assert!(written.contains("addressing: loopback"), "{written}");
        assert_eq!(Topology::parse(&written, "t").unwrap(), t);
        // ports addressing writes neither key
        let default = serde_norway::to_string(&Topology::default_lab()).unwrap();
        assert!(!default.contains("addressing") && !default.contains("ssh_port"));
        assert_eq!(
            Topology::default_lab().ssh_addr_of(2),
            "127.0.0.1:2203".parse().unwrap()
        );
        // a hundred thousand devices: the port block stays at 100 (the CDM is first)
        let mut big = t.clone();
        big.devices = (0..100_000u32)
            .map(|i| DeviceSpec {
                name: format!("ce{i}"),
                ip: Ipv4Addr::from(u32::from(Ipv4Addr::new(10, 2, 0, 2)) + i),
                port: None,
                ..t.devices[1].clone()
            })
            .collect();
        big.devices[0] = t.devices[0].clone();
        assert!(big.recheck("test").is_ok());
        assert_eq!(big.web_port_of(0), 3100);
    }

    #[test]
    fn loopback_addresses_must_be_distinct_and_usable() {
        let lab = "lab:\n  addressing: loopback\ndevices:\n";
        let device =
            |name: &str, ip: &str| format!("  - name: {name}\n    kind: ce\n    ip: {ip}\n");
        let cases = [
            (
                [device("a", "10.1.1.10"), device("b", "172.1.1.10")].concat(),
                7,
                "devices[1] (b): ip: 172.1.1.10 would listen on 127.1.1.10 like device a",
            ),
            (
                device("a", "10.0.0.0"),
                4,
                "ip: 10.0.0.0 would listen on 127.0.0.0, the network address of 127.0.0.0/8",
            ),
            (
                device("a", "192.255.255.255"),
                4,
                "would listen on 127.255.255.255, the broadcast address",
            ),
            (
                device("a", "10.0.0.1"),
                4,
                "would listen on 127.0.0.1, the host's own loopback address",
            ),
        ];
        for (devices, line, message) in cases {
            let text = format!("{lab}{devices}");
            let e = Topology::parse(&text, "t.yaml").unwrap_err();
            assert_eq!(e.len(), 1, "{e}");
            assert_eq!(e.first().line, line, "{e}");
            assert!(e.first().message.contains(message), "{e}");
        }
        // the same addresses are fine with ports addressing
        let ports = format!(
            "devices:\n{}{}",
            device("a", "10.1.1.10"),
            device("b", "172.1.1.10")
        );
        assert!(Topology::parse(&ports, "t").is_ok());
        // ssh_port needs loopback addressing
        let e = Topology::parse(&format!("lab:\n  ssh_port: 22\n{}", &ports[..]), "t.yaml")
            .unwrap_err();
        assert_eq!(e.first().line, 2, "{e}");
        assert!(e
            .first()
            .message
            .contains("lab.ssh_port: only with `addressing: loopback`"));
        // loopback addressing listens on 127.0.0.0/8 only: another listen address is refused
        let e = Topology::parse(
            &format!(
                "lab:\n  addressing: loopback\n  listen: 0.0.0.0\ndevices:\n{}",
                device("a", "10.1.1.10")
            ),
            "t.yaml",
        )
        .unwrap_err();
        assert_eq!((e.len(), e.first().line), (1, 3), "{e}");
        assert!(e
            .first()
            .message
            .contains("lab.listen: 0.0.0.0 with `addressing: loopback`"));
    }

    #[test]
    fn every_error_of_one_part_is_found_with_its_value_and_a_suggestion() {
        let text = "lab:\n  boot_secnds: 1\n  speed: fast\ndevices:\n  - name: cdm1\n    kind: cdm\n    ip: 10.1.1.5\n  - name: ce1\n    kind: ce\n    colour: red\n    ip: 10.1.1.300\n    disk_mb: lots\n  - name: ce2\n    knd: ce\n    ip: 10.1.1.12\n";
        let expected = [
            (2, "lab: unknown field `boot_secnds`"),
            (3, "lab.speed: invalid type: string \"fast\""),
            (10, "devices[1]: unknown field `colour`"),
            (
                11,
                "devices[1].ip: invalid IPv4 address syntax (got `10.1.1.300`)",
            ),
            (12, "devices[1].disk_mb: invalid type: string \"lots\""),
            (14, "devices[2]: unknown field `knd`"),
        ];
        let found = errors_in_order(text, &expected);
        assert!(found[0].ends_with("(did you mean `boot_seconds`?)"));
        assert!(found[5].ends_with("(did you mean `kind`?)"));
        // nothing close: no suggestion
        assert!(!found[2].contains("did you mean"), "{}", found[2]);
    }

    #[test]
    fn bad_values_are_refused_with_their_line() {
        let cases = [
            ("devices:\n  - name: a\n    kind: router\n    ip: 10.0.0.1\n", 3, "kind"),
            ("devices:\n  - name: a\n    kind: ce\n    ip: 10.0.0.300\n", 4, "ip"),
            (
                "devices:\n  - name: a\n    kind: ce\n    ip: 10.0.0.1\n  - name: b\n    kind: ce\n    ip: 10.0.0.1\n",
                5,
                "10.0.0.1",
            ),
            ("devices:\n  - name: r\n    kind: cr\n    role: primary\n    ip: 10.0.0.1\n", 2, "role"),
            ("lab:\n  speed: 0\ndevices:\n  - name: a\n    kind: ce\n    ip: 10.0.0.1\n", 2, "speed"),
            (
                "lab:\n  base_port: 0\n  speed: 1e-300\ndevices:\n  - name: a\n    kind: ce\n    ip: 10.0.0.1\n",
                3,
                "t.yaml:3: lab.speed: must be a number from 0.001 to 10000 (got 1e-300)",
            ),
            (
                "lab:\n  boot_seconds: 1e300\ndevices:\n  - name: a\n    kind: ce\n    ip: 10.0.0.1\n",
                2,
                "lab.boot_seconds: must be a number from 0 to 86400",
            ),
            (
                "lab:\n  poll_seconds: 1e300\ndevices:\n  - name: a\n    kind: ce\n    ip: 10.0.0.1\n",
                2,
                "lab.poll_seconds: must be a number from 1 to 86400",
            ),
            (
                "lab:\n  poll_seconds: .inf\ndevices:\n  - name: a\n    kind: ce\n    ip: 10.0.0.1\n",
                2,
                "lab.poll_seconds",
            ),
            (
                "devices:\n  - name: a\n    kind: ce\n    ip: 10.0.0.1\n    disk_mb: 18446744073709551615\n",
                2,
                "disk_mb: must be 1 to 16777216",
            ),
            (
                "devices:\n  - name: a\n    kind: ce\n    ip: 10.0.0.1\nservers:\n  - name: s\n    ip: 10.0.0.2\n    rate_kbps: 10000001\n",
                6,
                "rate_kbps: must be 0 (no limit) to 10000000",
            ),
            (
                "lab:\n  latency_ms: -1\ndevices:\n  - name: a\n    kind: ce\n    ip: 10.0.0.1\n",
                2,
                "lab.latency_ms: must be 0 to 10000",
            ),
            (
                "devices:\n  - name: a\n    kind: ce\n    ip: 10.0.0.1\n    latency_ms: .nan\n",
                2,
                "devices[0] (a): latency_ms: must be 0 to 10000",
            ),
        ];
        for (text, line, word) in cases {
            let e = Topology::parse(text, "t.yaml").unwrap_err().first().clone();
            assert_eq!(e.line, line, "{e}");
            assert!(e.to_string().contains(word), "{e}");
        }
    }
}
