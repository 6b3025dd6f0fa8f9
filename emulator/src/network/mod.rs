//! The lab network between devices: CMS messages (registration, status, replication requests) travel
//! from one virtual address to another through [`Network::deliver`], which tests and scenarios can cut
//! and heal between any two addresses. The CDM's side of each message is [`cdm_side`]. No sockets:
//! addresses are virtual (spec §11).

use std::collections::{HashMap, HashSet};
use std::net::Ipv4Addr;
use std::sync::{Arc, Mutex};

use serde::{Deserialize, Serialize};

mod cdm_side;
mod reach;
mod traffic;
pub use cdm_side::{handle, sweep};
pub use reach::{attached, Lan, Reach};
pub use traffic::{Counters, Traffic};

use crate::cms::replication::{UpdateReply, UpdateRequest};
use crate::config::DeviceKind;
use crate::device::{Device, Kick};
use crate::release::Version;

/// A CMS message from a device to a CDM.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum Message {
    /// Register, or refresh the registration (every poll): the device is online.
    Register {
        name: String,
        kind: DeviceKind,
        ip: Ipv4Addr,
        version: Version,
    },
    /// The device goes offline (reload, `no cms enable`).
    Offline { name: String },
    /// Remove the device from the CDM (`cms deregister`).
    Deregister { name: String },
    /// Is this the active primary? (checked before a standby takes over with `cdm role primary`)
    Probe,
    /// A standby asks for the primary's updates.
    GetUpdates {
        name: String,
        request: UpdateRequest,
        version: Version,
    },
    /// A standby tells the primary how it stands (`crate::standby::StandbyState`: its word and
    /// line), after each poll and when its CMS service stops.
    StandbyStatus {
        name: String,
        word: String,
        line: String,
    },
}

/// A CDM's answer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum Answer {
    /// Registered; `cdms` lists every CDM of the network (so the device can follow a failover).
    Registered {
        device_id: String,
        cdms: Vec<Ipv4Addr>,
    },
    Done,
    Refused(String),
    Updates(UpdateReply),
    VersionMismatch {
        primary: Version,
    },
}

/// The size of a CMS message or its answer on the wire, for the interface counters (an HTTPS
/// exchange of a few hundred bytes).
const CMS_MESSAGE_BYTES: u64 = 640;

/// The bytes a transfer's request takes on the wire (login, commands), for the interface counters.
const TRANSFER_REQUEST_BYTES: u64 = 300;

/// Why a message did not arrive.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NetError {
    #[error("no route to {0}: the link is cut")]
    Cut(Ipv4Addr),
    #[error("network is unreachable: this device's interface is down")]
    NoRoute,
    #[error("{0} does not answer")]
    NoAnswer(Ipv4Addr),
}

/// How a device reaches an image server (see [`Network::server_from`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ServerRoute {
    Unknown,
    /// The device's own interface is down: nothing leaves it.
    NoRoute,
    /// The link is cut: packets leave and nothing answers.
    Cut,
    Reachable(ServerEndpoints),
}

/// Where an image server behind a virtual address really listens.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ServerEndpoints {
    pub ftp: Option<std::net::SocketAddr>,
    pub http: Option<std::net::SocketAddr>,
    /// The rate of the link to the server, in kilobits per lab second (0: no limit).
    pub rate_kbps: u32,
}

/// The devices by virtual address, the image servers, and the cut links.
#[derive(Default)]
pub struct Network {
    devices: HashMap<Ipv4Addr, Arc<Device>>,
    servers: HashMap<Ipv4Addr, ServerEndpoints>,
    server_names: HashMap<String, Ipv4Addr>,
    cuts: Mutex<HashSet<(Ipv4Addr, Ipv4Addr)>>,
    lan: Lan,
    traffic: Traffic,
}

fn pair(a: Ipv4Addr, b: Ipv4Addr) -> (Ipv4Addr, Ipv4Addr) {
    if a <= b {
        (a, b)
    } else {
        (b, a)
    }
}

impl Network {
    pub fn new(devices: impl IntoIterator<Item = Arc<Device>>) -> Self {
        let devices = devices.into_iter().map(|d| (d.identity.ip, d)).collect();
        Network {
            devices,
            ..Default::default()
        }
    }

    /// Adds an image server behind `ip` (also reachable by `name`).
    pub fn add_server(&mut self, name: &str, ip: Ipv4Addr, endpoints: ServerEndpoints) {
        self.servers.insert(ip, endpoints);
        self.server_names.insert(name.to_ascii_lowercase(), ip);
    }

    /// The image server `host` as the device at `from` sees it: unknown, behind a cut link, or
    /// reachable at its real endpoints, by the rule of [`Network::reach`].
    pub fn server_from(&self, from: Ipv4Addr, host: &str) -> ServerRoute {
        let (Some(ip), Some(endpoints)) = (self.server_ip(host), self.server(host)) else {
            return ServerRoute::Unknown;
        };
        match self.reach(from, ip) {
            Reach::Reply { .. } => ServerRoute::Reachable(endpoints),
            Reach::NoRoute => ServerRoute::NoRoute,
            Reach::NoHost | Reach::Lost => ServerRoute::Cut,
        }
    }

    /// What each address has sent and received.
    pub fn traffic(&self) -> &Traffic {
        &self.traffic
    }

    /// The address of a host given by address, or by the name of a server or a device of the lab
    /// (the lab's own names, as its DNS would give them).
    pub fn resolve(&self, host: &str) -> Option<Ipv4Addr> {
        self.address_or_server_name(host).or_else(|| {
            self.devices
                .values()
                .find(|d| d.identity.name.eq_ignore_ascii_case(host))
                .map(|d| d.identity.ip)
        })
    }

    /// The lab's name for an address: a server's or a device's topology name.
    pub fn name_of(&self, ip: Ipv4Addr) -> Option<String> {
        self.server_names
            .iter()
            .find(|(_, &server)| server == ip)
            .map(|(name, _)| name.clone())
            .or_else(|| self.devices.get(&ip).map(|d| d.identity.name.clone()))
    }

    /// `host` as an address, or the address of the server of that name.
    fn address_or_server_name(&self, host: &str) -> Option<Ipv4Addr> {
        host.parse()
            .ok()
            .or_else(|| self.server_names.get(&host.to_ascii_lowercase()).copied())
    }

    /// The virtual address of an image server given by address or name.
    pub fn server_ip(&self, host: &str) -> Option<Ipv4Addr> {
        let ip = self.address_or_server_name(host)?;
        self.servers.contains_key(&ip).then_some(ip)
    }

    /// The image server behind a virtual address or server name.
    pub fn server(&self, host: &str) -> Option<ServerEndpoints> {
        self.servers
            .get(&self.address_or_server_name(host)?)
            .copied()
    }

    /// Counts a transfer of `bytes` between the device at `device` and the server behind `host`
    /// on both interfaces, with its request (`download`: from the server to the device).
    pub fn count_transfer(&self, device: Ipv4Addr, host: &str, bytes: u64, download: bool) {
        let Some(server) = self.server_ip(host) else {
            return;
        };
        let (from, to) = if download {
            (server, device)
        } else {
            (device, server)
        };
        self.traffic.count(to, from, TRANSFER_REQUEST_BYTES);
        self.traffic.count(from, to, bytes);
    }

    fn cuts(&self) -> std::sync::MutexGuard<'_, HashSet<(Ipv4Addr, Ipv4Addr)>> {
        self.cuts.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Cuts the link between two addresses (both directions).
    pub fn cut(&self, a: Ipv4Addr, b: Ipv4Addr) {
        self.cuts().insert(pair(a, b));
    }

    /// Heals the link between two addresses.
    pub fn heal(&self, a: Ipv4Addr, b: Ipv4Addr) {
        self.cuts().remove(&pair(a, b));
    }

    pub fn is_cut(&self, a: Ipv4Addr, b: Ipv4Addr) -> bool {
        self.cuts().contains(&pair(a, b))
    }

    /// Whether a lab host at `to` answers `from` (the rule of [`Network::reach`]). Services the
    /// lab does not emulate (NTP) take any host that answers as their server [ours].
    pub fn answers(&self, from: Ipv4Addr, to: Ipv4Addr) -> bool {
        matches!(self.reach(from, to), Reach::Reply { .. })
    }

    /// Carries a message from `from` to the CDM at `to` and returns its answer.
    pub fn deliver(
        &self,
        from: Ipv4Addr,
        to: Ipv4Addr,
        message: Message,
    ) -> Result<Answer, NetError> {
        match self.reach(from, to) {
            Reach::NoRoute => Err(NetError::NoRoute),
            Reach::Lost => Err(NetError::Cut(to)),
            Reach::Reply { .. } => {
                self.traffic.count(from, to, CMS_MESSAGE_BYTES);
                let cdm = self.devices.get(&to).ok_or(NetError::NoAnswer(to))?;
                let answer = handle(cdm, message).ok_or(NetError::NoAnswer(to))?;
                self.traffic.count(to, from, CMS_MESSAGE_BYTES);
                Ok(answer)
            }
            Reach::NoHost => Err(NetError::NoAnswer(to)),
        }
    }
}

/// What the devices of a lab share: the network, and the queue of devices whose CMS agent must run
/// now (kicked after `cms enable`, a boot, a role change). The lab's scheduler drains the queue.
#[derive(Default)]
pub struct LabLink {
    pub network: Network,
    kicks: Mutex<std::collections::VecDeque<usize>>,
    timers: Mutex<std::collections::BTreeMap<(chrono::DateTime<chrono::Utc>, u64), Job>>,
    next_timer: std::sync::atomic::AtomicU64,
    pub wake: tokio::sync::Notify,
}

impl Kick for LabLink {
    fn kick(&self, index: usize) {
        LabLink::kick(self, index);
    }
}

/// Work the lab's scheduler does at a time on the lab clock.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Job {
    /// Run device `i`'s CMS agent, then again one polling interval later.
    Poll(usize),
    /// Primary CDM `i` marks devices it has not heard from as Offline; repeats.
    Sweep(usize),
    /// Device `i` finishes booting.
    Boot(usize),
}

impl LabLink {
    pub fn new(network: Network) -> Self {
        LabLink {
            network,
            ..Default::default()
        }
    }

    /// Runs `job` at lab time `at`.
    pub fn schedule(&self, at: chrono::DateTime<chrono::Utc>, job: Job) {
        let n = self
            .next_timer
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        self.timers
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .insert((at, n), job);
        self.wake.notify_one();
    }

    /// The earliest scheduled time.
    pub fn next_due(&self) -> Option<chrono::DateTime<chrono::Utc>> {
        self.timers
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .first_key_value()
            .map(|(k, _)| k.0)
    }

    /// Takes the earliest job due at or before `now`.
    pub fn take_due(&self, now: chrono::DateTime<chrono::Utc>) -> Option<Job> {
        let mut timers = self.timers.lock().unwrap_or_else(|p| p.into_inner());
        let entry = timers.first_entry()?;
        (entry.key().0 <= now).then(|| entry.remove())
    }

    /// Queues device `index` for an immediate agent run.
    pub fn kick(&self, index: usize) {
        self.kicks
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .push_back(index);
        self.wake.notify_one();
    }

    /// Takes the queued devices.
    pub fn take_kicks(&self) -> Vec<usize> {
        self.kicks
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .drain(..)
            .collect()
    }
}
