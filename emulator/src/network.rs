//! The lab network between devices: CMS messages (registration, status, replication requests) travel
//! from one virtual address to another through [`Network::deliver`], which tests and scenarios can cut
//! and heal between any two addresses. The CDM side of each message is handled here, synchronously,
//! against the CDM's device state and CMS database. No sockets: addresses are virtual (spec §11).

use std::collections::{HashMap, HashSet};
use std::net::Ipv4Addr;
use std::sync::{Arc, Mutex};

use serde::{Deserialize, Serialize};

use crate::cms::replication::{self, UpdateReply, UpdateRequest};
use crate::cms::{Cms, CmsError, DeviceRow};
use crate::config::{CdmRole, DeviceKind};
use crate::device::{CmsService, Device, Kick, Power, StandbyReport};
use crate::release::{cdm_accepts, Version};
use crate::standby::StandbyState;

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

/// Why a message did not arrive.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NetError {
    #[error("no route to {0}: the link is cut")]
    Cut(Ipv4Addr),
    #[error("{0} does not answer")]
    NoAnswer(Ipv4Addr),
}

/// How a device reaches an image server (see [`Network::server_from`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ServerRoute {
    Unknown,
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
    /// reachable at its real endpoints. The one place the cut rule applies to image servers.
    pub fn server_from(&self, from: Ipv4Addr, host: &str) -> ServerRoute {
        match (self.server_ip(host), self.server(host)) {
            (Some(ip), Some(_)) if self.is_cut(from, ip) => ServerRoute::Cut,
            (Some(_), Some(endpoints)) => ServerRoute::Reachable(endpoints),
            _ => ServerRoute::Unknown,
        }
    }

    /// The virtual address of an image server given by address or name.
    pub fn server_ip(&self, host: &str) -> Option<Ipv4Addr> {
        let ip = host
            .parse()
            .ok()
            .or_else(|| self.server_names.get(&host.to_ascii_lowercase()).copied())?;
        self.servers.contains_key(&ip).then_some(ip)
    }

    /// The image server behind a virtual address or server name.
    pub fn server(&self, host: &str) -> Option<ServerEndpoints> {
        let ip = host
            .parse()
            .ok()
            .or_else(|| self.server_names.get(&host.to_ascii_lowercase()).copied())?;
        self.servers.get(&ip).copied()
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

    /// Whether a lab host (a running device or a server) at `to` answers `from`: the link is not
    /// cut. Services the lab does not emulate (NTP) take any such host as their server [ours].
    pub fn answers(&self, from: Ipv4Addr, to: Ipv4Addr) -> bool {
        let known = self.servers.contains_key(&to)
            || self
                .devices
                .get(&to)
                .is_some_and(|d| d.state().power == crate::device::Power::Running);
        known && !self.is_cut(from, to)
    }

    /// Carries a message from `from` to the CDM at `to` and returns its answer.
    pub fn deliver(
        &self,
        from: Ipv4Addr,
        to: Ipv4Addr,
        message: Message,
    ) -> Result<Answer, NetError> {
        if self.is_cut(from, to) {
            return Err(NetError::Cut(to));
        }
        let cdm = self.devices.get(&to).ok_or(NetError::NoAnswer(to))?;
        handle(cdm, message).ok_or(NetError::NoAnswer(to))
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

/// The CDM's side of a message; `None` when the CDM does not answer (down, not a CDM, CMS not
/// running).
pub fn handle(cdm: &Device, message: Message) -> Option<Answer> {
    if cdm.identity.kind != DeviceKind::Cdm {
        return None;
    }
    let now = cdm.clock().now();
    let mut state = cdm.state();
    if state.power != Power::Running || state.cms_service() != CmsService::Running {
        return None;
    }
    let role = state.running.cdm_role.unwrap_or(CdmRole::Primary);
    let cdm_version = state.version;
    if role != CdmRole::Primary {
        return Some(Answer::Refused("not the primary CDM".into()));
    }
    if let Message::StandbyStatus { name, word, line } = &message {
        let report = StandbyReport {
            word: word.clone(),
            line: line.clone(),
            at: now,
        };
        state.standby_reports.insert(name.clone(), report);
    }
    let mut log = None;
    let mut heard = None;
    let cms = state.cms.as_mut()?;
    let answer = match message {
        Message::Register {
            name,
            kind,
            ip,
            version,
        } => {
            if !cdm_accepts(cdm_version, version) {
                // A device this CDM knew is Offline here now, on the version it runs (a CE
                // downgraded to 4.2.9, a CE left behind by a CDM upgraded first).
                if let Ok(Some(row)) = cms.device(&name) {
                    let offline = DeviceRow {
                        version: version.to_string(),
                        status: "Offline".into(),
                        last_seen: now.to_rfc3339(),
                        ..row
                    };
                    write_device(cms, &offline).ok()?;
                }
                return Some(Answer::Refused(format!(
                    "the CDM runs {cdm_version} and does not manage devices on {version}"
                )));
            }
            let row = DeviceRow {
                name: name.clone(),
                kind: kind.label().into(),
                ip: ip.to_string(),
                version: version.to_string(),
                status: "Online".into(),
                last_seen: now.to_rfc3339(),
            };
            // The time of a refresh that changes nothing else is kept in memory, for the sweep.
            write_device(cms, &row).ok()?;
            heard = Some(name.clone());
            let cdms = cms
                .cdm_addresses()
                .unwrap_or_default()
                .iter()
                .filter_map(|ip| ip.parse().ok())
                .collect();
            Answer::Registered {
                device_id: format!("{}-{name}", kind.label()),
                cdms,
            }
        }
        Message::Offline { name } => {
            mark_offline(cms, &name).ok()?;
            Answer::Done
        }
        Message::Probe => Answer::Done,
        Message::Deregister { name } => {
            cms.forget_device(&name).ok()?;
            Answer::Done
        }
        Message::GetUpdates {
            name,
            request,
            version,
        } => {
            if version != cdm_version {
                Answer::VersionMismatch {
                    primary: cdm_version,
                }
            } else {
                let reply = replication::serve(cms, &request).ok()?;
                if let UpdateReply::Full(snapshot) = &reply {
                    let rows: usize = snapshot.tables.iter().map(|(_, rows)| rows.len()).sum();
                    log = Some(
                        crate::text::log::FULL_UPDATE_SENT
                            .replace("{name}", &name)
                            .replace("{rows}", &rows.to_string()),
                    );
                }
                Answer::Updates(reply)
            }
        }
        Message::StandbyStatus { name, word, .. } => {
            // A standby whose CMS stopped is offline for the primary, as a device is.
            if word == StandbyState::CMS_DISABLED {
                mark_offline(cms, &name).ok()?;
            }
            Answer::Done
        }
    };
    if let Some(line) = log {
        state.log(now, line);
    }
    if let Some(name) = heard {
        state.heard_from.insert(name, now);
    }
    Some(answer)
}

/// Writes a device's row, unless the stored one differs from it only in `last_seen`: a refresh
/// that changes nothing else is not worth a replicated change.
fn write_device(cms: &mut Cms, row: &DeviceRow) -> Result<(), CmsError> {
    let only_time = cms.device(&row.name)?.is_some_and(|old| {
        DeviceRow {
            last_seen: row.last_seen.clone(),
            ..old
        } == *row
    });
    if !only_time {
        cms.upsert_device(row)?;
    }
    Ok(())
}

/// Marks a known device Offline on this CDM (nothing if it has no row).
fn mark_offline(cms: &mut Cms, name: &str) -> Result<(), CmsError> {
    match cms.device(name)? {
        Some(row) => write_device(
            cms,
            &DeviceRow {
                status: "Offline".into(),
                ..row
            },
        ),
        None => Ok(()),
    }
}

/// The primary's sweep: devices not heard from since `stale_before` are marked Offline.
pub fn sweep(cdm: &Device, stale_before: chrono::DateTime<chrono::Utc>) -> usize {
    let mut state = cdm.state();
    if state.power != Power::Running || state.cms_service() != CmsService::Running {
        return 0;
    }
    if state.running.cdm_role.unwrap_or(CdmRole::Primary) != CdmRole::Primary {
        return 0;
    }
    let own = cdm.identity.name.clone();
    // A device counts as heard from at the latest of: its row's time, the last message this CDM
    // had from it (refreshes that change nothing else are not written), this CDM's boot (a CDM
    // just started gives every device its full interval).
    let booted_at = state.booted_at;
    let heard_from = state.heard_from.clone();
    let Some(cms) = state.cms.as_mut() else {
        return 0;
    };
    let stale: Vec<DeviceRow> = cms
        .devices()
        .unwrap_or_default()
        .into_iter()
        .filter(|r| r.name != own && r.status == "Online")
        .filter(|r| {
            let row_time = chrono::DateTime::parse_from_rfc3339(&r.last_seen)
                .map(|t| t.with_timezone(&chrono::Utc))
                .ok();
            let heard = [row_time, heard_from.get(&r.name).copied(), Some(booted_at)]
                .into_iter()
                .flatten()
                .max()
                .unwrap_or(booted_at);
            heard < stale_before
        })
        .collect();
    let mut marked = 0;
    for row in stale {
        if cms
            .upsert_device(&DeviceRow {
                status: "Offline".into(),
                ..row
            })
            .is_ok()
        {
            marked += 1;
        }
    }
    marked
}
