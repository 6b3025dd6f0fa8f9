//! One virtual ACNS device: its identity, its configuration (running and startup), its software
//! versions, its disk, and its power state machine (booting, running, rebooting).
//!
//! The state machine is pure: [`transition`] maps a state and an event to the next state and the effects
//! the async edge must carry out (close sessions, stop or start the SSH listener, start the boot timer).
//! This module never touches sockets or timers; `lab` drives it. Persistent parts (startup
//! configuration, versions) are written atomically to the device's folder in the state directory
//! whenever they change, so a killed process never leaves them half-written.

use std::collections::{BTreeMap, HashMap};
use std::net::Ipv4Addr;
use std::path::{Path, PathBuf};

use crate::persist::{write_atomic, write_new};
use std::sync::{Mutex, MutexGuard};

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::clock::LabClock;
use crate::cms::Cms;
use crate::config::{CdmRole, Config, DeviceKind, User};
use crate::disk_path::{DiskPath, PathError};
use crate::release::{release, Version};
use crate::standby::{StandbyState, StandbySync};

/// Where a device is in its power cycle.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Power {
    /// Powering on (lab start): no SSH until boot completes.
    Booting,
    /// Up: accepts SSH sessions.
    Running,
    /// Going down after `reload` and booting again: no SSH until boot completes.
    Rebooting,
}

impl Power {
    /// Every power state.
    pub const ALL: [Power; 3] = [Power::Booting, Power::Running, Power::Rebooting];

    /// The state in one word, as the control socket, `acnslab status` and scenario checks say it.
    pub fn word(self) -> &'static str {
        match self {
            Power::Running => "running",
            Power::Booting => "booting",
            Power::Rebooting => "rebooting",
        }
    }
}

/// What can happen to a device's power state.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PowerEvent {
    /// `reload` was confirmed (or an install asked for its reboot).
    Reload,
    /// The boot timer ran out.
    BootComplete,
}

/// What the async edge must do after a transition.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PowerEffect {
    /// Close every CLI session of the device.
    CloseSessions,
    /// Stop accepting SSH connections (the port refuses them).
    StopListening,
    /// Start the boot timer; `BootComplete` follows when it runs out.
    StartBootTimer,
    /// Apply what a boot applies: pending image, startup configuration.
    ApplyBoot,
    /// Accept SSH connections again.
    StartListening,
}

/// The device's power state machine: the next state and the effects, or `None` when the event does
/// not apply in this state (a reload while already rebooting, a stale boot timer).
pub fn transition(state: Power, event: PowerEvent) -> Option<(Power, &'static [PowerEffect])> {
    use PowerEffect::*;
    match (state, event) {
        (Power::Running, PowerEvent::Reload) => Some((
            Power::Rebooting,
            &[CloseSessions, StopListening, StartBootTimer],
        )),
        (Power::Booting | Power::Rebooting, PowerEvent::BootComplete) => {
            Some((Power::Running, &[ApplyBoot, StartListening]))
        }
        (Power::Booting | Power::Rebooting, PowerEvent::Reload)
        | (Power::Running, PowerEvent::BootComplete) => None,
    }
}

/// The fixed identity of a device, from the topology.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Identity {
    /// The topology name (`cdm1`); also the initial hostname and the folder name.
    pub name: String,
    pub kind: DeviceKind,
    pub model: String,
    pub ip: Ipv4Addr,
    /// Size of `/local/local1` in MB.
    pub disk_mb: u64,
}

/// What is kept on disk besides the startup configuration.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Persisted {
    pub version: Version,
    #[serde(default)]
    pub pending_version: Option<Version>,
}

/// What runs a device's CMS agent at once when asked (the lab's scheduler queue).
pub trait Kick: Send + Sync {
    /// Queues device `index` for an immediate agent run.
    fn kick(&self, index: usize);
}

/// How a device asks its lab to run its agent: the lab's queue and the device's index there. The
/// device knows nothing else of the lab: whoever needs the network is handed it.
#[derive(Clone)]
pub struct Kicker {
    pub queue: std::sync::Weak<dyn Kick>,
    pub index: usize,
}

/// A CLI session open on the device, for `show users`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionInfo {
    pub user: String,
    pub peer: String,
    pub since: DateTime<Utc>,
}

/// The mutable state of a device.
#[derive(Debug)]
pub struct DeviceState {
    pub power: Power,
    pub running: Config,
    pub startup: Config,
    pub version: Version,
    pub pending_version: Option<Version>,
    pub booted_at: DateTime<Utc>,
    pub sessions: BTreeMap<u64, SessionInfo>,
    next_session: u64,
    /// The CMS database (CDMs only).
    pub cms: Option<Cms>,
    /// CE/CR: the registration with a CDM, as this device last learned it.
    pub registration: Option<Registration>,
    /// CE/CR: the CDM that last refused this device's registration, and why (cleared when one
    /// accepts it).
    pub refused: Option<(Ipv4Addr, String)>,
    /// Standby CDM: how replication from the primary stands (see [`DeviceState::standby_state`]).
    pub standby: StandbySync,
    /// Primary CDM: the state each standby last reported (by name), with when.
    pub standby_reports: BTreeMap<String, StandbyReport>,
    /// Primary CDM: when each device was last heard from. The sweep reads it; a refresh that
    /// changes nothing but the time is not written to the database (not worth a replicated change).
    pub heard_from: HashMap<String, DateTime<Utc>>,
    /// CE/CR: the CDMs of the network, as the CDM last told us (to follow a failover).
    pub known_cdms: Vec<Ipv4Addr>,
    /// The system log (`show logging`), newest last, bounded.
    pub log: std::collections::VecDeque<(DateTime<Utc>, String)>,
    /// What `clock set` put between the lab clock and this device's clock (zero until then); kept
    /// across reloads, as a hardware clock is.
    pub clock_offset: chrono::Duration,
    /// CLI sessions opened since the last boot (`show statistics`).
    pub sessions_since_boot: u64,
    /// Boots since the lab opened the device: work begun before a power loss checks it (see
    /// [`Device::boot_mark`]) and is abandoned, as the real device would have died with it.
    pub boots: u64,
    /// Where the system log is also written as syslog lines (`/local1/syslog.txt`).
    pub syslog: PathBuf,
    /// What a device made at this start carries into its first boot (taken by it).
    first_boot: Option<FirstBoot>,
}

/// Lines the system log keeps.
pub const LOG_LINES: usize = 500;

impl DeviceState {
    /// Adds a line to the system log, and to `/local1/syslog.txt`.
    pub fn log(&mut self, at: DateTime<Utc>, line: impl Into<String>) {
        let line = line.into();
        let text = crate::syslog_file::line(at, &self.running.hostname, &line);
        if let Err(e) = crate::syslog_file::append(&self.syslog, at, &text) {
            tracing::warn!(path = %self.syslog.display(), error = %e, "syslog.txt not written");
        }
        if self.log.len() == LOG_LINES {
            self.log.pop_front();
        }
        self.log.push_back((at, line));
    }
}

/// A CE's or CR's registration with its CDM.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Registration {
    pub cdm: Ipv4Addr,
    pub device_id: String,
    /// The last time the CDM answered this device's poll (`Time of last config-sync`).
    pub synced: DateTime<Utc>,
    /// Since when the CDM has not answered (a cut link, the device's interface shut, the CDM
    /// down): `show cms info` then says Offline, as the CDM soon will. `None` while it answers.
    pub unanswered_since: Option<DateTime<Utc>>,
}

/// A standby's state as its primary last heard it (`Message::StandbyStatus`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StandbyReport {
    /// The state's name ([`StandbyState::word`]).
    pub word: String,
    /// The state in one line ([`StandbyState::line`]).
    pub line: String,
    pub at: DateTime<Utc>,
}

/// Whether the CMS service runs, and if not, why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CmsService {
    Running,
    /// `no cms enable` (or never enabled).
    Disabled,
    /// Enabled in configuration but held: a CDM without a database, or with a database of another
    /// schema than the software's.
    Held(String),
}

impl DeviceState {
    /// A standby CDM's state (`None` on any other device): its replication and its CMS service.
    pub fn standby_state(&self) -> Option<StandbyState> {
        if self.running.cdm_role != Some(CdmRole::Standby) {
            return None;
        }
        let service = match self.cms_service() {
            CmsService::Running => Ok(()),
            CmsService::Disabled => Err(None),
            CmsService::Held(why) => Err(Some(why)),
        };
        Some(self.standby.state(service))
    }

    /// The CMS service state, derived from configuration, power and (CDM) database.
    pub fn cms_service(&self) -> CmsService {
        if !self.running.cms_enabled {
            return CmsService::Disabled;
        }
        match &self.cms {
            None => CmsService::Running,
            Some(cms) if !cms.exists() => CmsService::Held("no CMS database".into()),
            Some(cms) => match cms.schema() {
                Ok(schema) if schema == release(self.version).schema => CmsService::Running,
                Ok(schema) => CmsService::Held(format!(
                    "database schema {schema} does not match software {} (schema {})",
                    self.version,
                    release(self.version).schema
                )),
                Err(e) => CmsService::Held(e.to_string()),
            },
        }
    }
}

/// Failures of the device's own storage.
#[derive(Debug, thiserror::Error)]
pub enum DeviceError {
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{path}: {message}")]
    Corrupt { path: PathBuf, message: String },
    #[error("CMS database: {0}")]
    Cms(#[from] crate::cms::CmsError),
}

/// A virtual device. Shared (`Arc`) between its sessions and the lab; all state is behind one
/// `std::sync::Mutex` that is never held across an `.await`.
pub struct Device {
    pub identity: Identity,
    clock: LabClock,
    kicker: std::sync::OnceLock<Kicker>,
    /// Bytes `/local/local1` may hold when a fault filled it (0: its full size).
    disk_limit: std::sync::atomic::AtomicU64,
    dir: PathBuf,
    state: Mutex<DeviceState>,
    /// What happened on it since the lab started (the lab's metrics).
    counters: crate::counters::DeviceCounters,
}

const STARTUP_FILE: &str = "startup-config";
const PERSISTED_FILE: &str = "device.json";
const DISK_DIR: &str = "local1";
const CMS_FILE: &str = "cms.db";

/// Reads a startup-config text (the device's name and kind given) into a configuration and the
/// rejected lines (number, message). The CLI's configuration grammar does this
/// (`commands::load_config_text`); the device is given it, since the device model sits below the
/// commands.
pub type ReadConfig = fn(&str, &str, DeviceKind) -> (Config, Vec<(usize, String)>);

/// What a device gets the first time its folder is made: its startup configuration, and what it
/// carries into its first boot (a lab recorded with unsaved changes, or with an install waiting
/// for a reload, is replayed that way: topology keys `running_config` and `pending_version`).
#[derive(Debug, Clone, PartialEq)]
pub struct Initial {
    pub startup: Config,
    /// The running configuration after the first boot, when it is not the startup one.
    pub running: Option<Config>,
    /// An installed version the first reload after the first boot boots into.
    pub pending_version: Option<Version>,
}

impl From<Config> for Initial {
    fn from(startup: Config) -> Self {
        Initial {
            startup,
            running: None,
            pending_version: None,
        }
    }
}

/// What a new device carries into its first boot (see [`Initial`]).
#[derive(Debug, Default)]
struct FirstBoot {
    running: Option<Config>,
    /// The pending version stays pending through the first boot (it was installed before it).
    keep_pending: bool,
}

impl Device {
    /// Opens the device stored in `dir`, creating it with `initial` (configuration, and what it
    /// carries into its first boot) and `version` if the folder holds none yet; a saved
    /// startup-config is read with `read_config`. The device starts in [`Power::Booting`] with its
    /// startup configuration as running configuration.
    pub fn open<I: Into<Initial>>(
        identity: Identity,
        dir: &Path,
        clock: LabClock,
        initial: impl FnOnce() -> I,
        version: Version,
        read_config: ReadConfig,
    ) -> Result<Self, DeviceError> {
        let io = |path: &Path| {
            let path = path.to_path_buf();
            move |source| DeviceError::Io { path, source }
        };
        // (what a download cut short left on the disk goes at the boot: `apply_boot`)
        crate::persist::create_private_dir_all(&dir.join(DISK_DIR)).map_err(io(dir))?;
        let startup_path = dir.join(STARTUP_FILE);
        let brand_new = !startup_path.exists();
        let mut rejected = Vec::new();
        // What a device made now carries into its first boot.
        let mut first: Option<Initial> = None;
        // Damaged state is started with what there is, and said (docs/topology.md, "Damaged state").
        let mut damaged = Vec::new();
        let startup = match std::fs::read_to_string(&startup_path) {
            Ok(text) if text.trim().is_empty() => {
                damaged.push(format!(
                    "{}{}",
                    crate::text::msg::STARTUP_EMPTY,
                    startup_path.display()
                ));
                read_config(&text, &identity.name, identity.kind).0
            }
            Ok(text) => {
                let (config, errors) = read_config(&text, &identity.name, identity.kind);
                for (line, message) in errors {
                    tracing::warn!(device = %identity.name, line, %message, "startup configuration line rejected");
                    rejected.push(format!(
                        "{}{line}: {message}",
                        crate::text::msg::STARTUP_LINE_REJECTED
                    ));
                }
                config
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                let made: Initial = initial().into();
                write_new(&startup_path, made.startup.render(version).as_bytes())
                    .map_err(io(&startup_path))?;
                let config = made.startup.clone();
                first = Some(made);
                config
            }
            Err(e) => return Err(io(&startup_path)(e)),
        };
        let persisted_path = dir.join(PERSISTED_FILE);
        let persisted = match std::fs::read(&persisted_path) {
            Ok(bytes) => {
                serde_json::from_slice::<Persisted>(&bytes).map_err(|e| DeviceError::Corrupt {
                    path: persisted_path.clone(),
                    message: e.to_string(),
                })?
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                if !brand_new {
                    damaged.push(format!(
                        "{}{}",
                        crate::text::msg::VERSIONS_MISSING
                            .replace("{version}", &version.to_string()),
                        persisted_path.display()
                    ));
                }
                let p = Persisted {
                    version,
                    pending_version: first.as_ref().and_then(|f| f.pending_version),
                };
                write_new(
                    &persisted_path,
                    &serde_json::to_vec_pretty(&p).unwrap_or_default(),
                )
                .map_err(io(&persisted_path))?;
                p
            }
            Err(e) => return Err(io(&persisted_path)(e)),
        };
        let cms = if identity.kind == DeviceKind::Cdm {
            let mut cms = Cms::open(&dir.join(CMS_FILE))?;
            if brand_new && startup.cms_enabled && !cms.exists() {
                cms.create(release(persisted.version).schema, &clock.now().to_rfc3339())?;
            }
            Some(cms)
        } else {
            None
        };
        let first_boot = first.map(|f| FirstBoot {
            keep_pending: f.pending_version.is_some() && persisted.pending_version.is_some(),
            running: f.running,
        });
        let state = DeviceState {
            first_boot,
            power: Power::Booting,
            running: startup.clone(),
            startup,
            version: persisted.version,
            pending_version: persisted.pending_version,
            booted_at: clock.now(),
            sessions: BTreeMap::new(),
            next_session: 1,
            cms,
            registration: None,
            refused: None,
            standby: StandbySync::default(),
            standby_reports: BTreeMap::new(),
            heard_from: HashMap::new(),
            known_cdms: Vec::new(),
            boots: 0,
            clock_offset: chrono::Duration::zero(),
            sessions_since_boot: 0,
            log: Default::default(),
            syslog: dir.join(DISK_DIR).join(crate::syslog_file::NAME),
        };
        let mut state = state;
        for line in &damaged {
            tracing::warn!(device = %identity.name, "{line}");
        }
        for line in damaged.into_iter().chain(rejected) {
            let now = clock.now();
            state.log(now, line);
        }
        Ok(Device {
            identity,
            clock,
            kicker: std::sync::OnceLock::new(),
            disk_limit: std::sync::atomic::AtomicU64::new(0),
            dir: dir.to_path_buf(),
            state: Mutex::new(state),
            counters: Default::default(),
        })
    }

    /// Connects the device to its lab: [`Device::kick`] then asks the lab to run this device's CMS
    /// agent at once (after `cms enable`, a reboot, a role change).
    pub fn set_kicker(&self, kicker: Kicker) {
        let _ = self.kicker.set(kicker);
    }

    /// Asks the lab to run this device's CMS agent now (no-op outside a lab).
    pub fn kick(&self) {
        if let Some(kicker) = self.kicker.get() {
            if let Some(queue) = kicker.queue.upgrade() {
                queue.kick(kicker.index);
            }
        }
    }

    /// Locks the device state. Never hold the guard across an `.await`.
    pub fn state(&self) -> MutexGuard<'_, DeviceState> {
        self.state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// What happened on the device since the lab started: sessions, commands, failed logins.
    pub fn counters(&self) -> &crate::counters::DeviceCounters {
        &self.counters
    }

    pub fn clock(&self) -> &LabClock {
        &self.clock
    }

    /// Whether `/local/local1` holds more than its size (after a download into it).
    pub fn disk_full(&self) -> bool {
        disk_used(&self.disk_dir()) > self.disk_capacity()
    }

    /// The size of `/local/local1` in bytes: the topology's `disk_mb`, or less after [`Device::fill_disk`].
    pub fn disk_capacity(&self) -> u64 {
        let full = self.identity.disk_mb.saturating_mul(1024 * 1024);
        match self.disk_limit.load(std::sync::atomic::Ordering::Relaxed) {
            0 => full,
            limit => limit.min(full),
        }
    }

    /// Fault injection: the disk has only `free_mb` MB left from now on (other data filled it).
    pub fn fill_disk(&self, free_mb: u64) {
        let limit = disk_used(&self.disk_dir())
            .saturating_add(free_mb.saturating_mul(1024 * 1024))
            .max(1);
        self.disk_limit
            .store(limit, std::sync::atomic::Ordering::Relaxed);
    }

    /// The host folder behind `/local/local1`.
    pub fn disk_dir(&self) -> PathBuf {
        self.dir.join(DISK_DIR)
    }

    /// The host path of a name on the disk read from its top (`name`, `sub/name`, `local1/name`,
    /// `/local1/name`, `/local/local1/name`), or `None` for a name that is not on the disk (see
    /// [`DiskPath`]) or names the disk itself.
    pub fn disk_file(&self, name: &str) -> Option<PathBuf> {
        self.disk_path(&DiskPath::root(), name)
            .ok()
            .filter(|(path, _)| !path.is_root())
            .map(|(_, host)| host)
    }

    /// `typed` read from the directory `cwd` of the disk: the path on the disk and on the host, or
    /// why it is not a name on the disk (outside it, or through a symbolic link).
    pub fn disk_path(&self, cwd: &DiskPath, typed: &str) -> Result<(DiskPath, PathBuf), PathError> {
        let path = cwd.resolve(typed)?;
        let host = path.on_host(&self.disk_dir())?;
        Ok((path, host))
    }

    /// The device's folder in the state directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The current hostname (running configuration).
    pub fn hostname(&self) -> String {
        self.state().running.hostname.clone()
    }

    /// The role of a CDM (running configuration), `None` for CEs and CRs.
    pub fn cdm_role(&self) -> Option<CdmRole> {
        if self.identity.kind != DeviceKind::Cdm {
            return None;
        }
        self.state().running.cdm_role
    }

    /// Applies a power event; returns the effects for the edge to carry out (empty when the event did
    /// not apply). `ApplyBoot` is carried out here, since it only touches device state.
    pub fn power_event(&self, event: PowerEvent) -> Vec<PowerEffect> {
        let mut state = self.state();
        let Some((next, effects)) = transition(state.power, event) else {
            return Vec::new();
        };
        state.power = next;
        if effects.contains(&PowerEffect::ApplyBoot) {
            self.apply_boot(&mut state);
        }
        if effects.contains(&PowerEffect::CloseSessions) {
            state.sessions.clear();
            let now = self.clock.now();
            state.log(now, crate::text::log::RELOAD);
        }
        effects.to_vec()
    }

    fn apply_boot(&self, state: &mut DeviceState) {
        state.boots += 1;
        let first_boot = state.first_boot.take().unwrap_or_default();
        // What a download cut short by a power loss left behind is gone after the boot.
        remove_leftovers(&self.disk_dir());
        if first_boot.keep_pending {
            // installed before this device was made: the next reload boots into it
        } else if let Some(pending) = state.pending_version.take() {
            state.version = pending;
            if let Err(e) = self.save_persisted(state) {
                tracing::error!(device = %self.identity.name, error = %e, "cannot record the booted version");
            }
        }
        state.running = first_boot.running.unwrap_or_else(|| state.startup.clone());
        state.booted_at = self.clock.now();
        state.sessions_since_boot = 0;
        // What a standby knew of its primary belongs to the software before the boot.
        state.standby.booted();
        let line = format!("{} {}", crate::text::log::BOOTED, state.version);
        state.log(state.booted_at, line);
        let schema = release(state.version).schema;
        if let Some(cms) = state.cms.as_mut().filter(|c| c.exists()) {
            match cms.migrate_up(schema) {
                Ok(Some(from)) => {
                    tracing::info!(device = %self.identity.name, %from, to = %schema, "CMS database migrated")
                }
                Ok(None) => {}
                Err(e) => {
                    tracing::error!(device = %self.identity.name, error = %e, "CMS database not migrated")
                }
            }
        }
    }

    /// Gives a file or directory just written on the device's disk the lab clock's time as its
    /// modification time, so `dir` lists it at lab time (as its name, e.g. a dump's, says).
    pub fn stamp(&self, path: &Path) {
        let at = std::time::SystemTime::from(self.clock.now());
        let opened = std::fs::File::options()
            .write(true)
            .open(path)
            .or_else(|_| std::fs::File::open(path));
        if let Ok(file) = opened {
            let _ = file.set_modified(at);
        }
    }

    /// Marks the current boot, for long work (a download) that must not finish on a device that
    /// lost power in the meantime: see [`Device::still_up`].
    pub fn boot_mark(&self) -> u64 {
        self.state().boots
    }

    /// Whether the device has stayed up, without a reload or power loss, since `mark` was taken.
    pub fn still_up(&self, mark: u64) -> bool {
        let state = self.state();
        state.power == Power::Running && state.boots == mark
    }

    /// `write memory`: the running configuration becomes the startup configuration, on disk first.
    pub fn save_running(&self) -> Result<(), DeviceError> {
        let mut state = self.state();
        let path = self.dir.join(STARTUP_FILE);
        write_atomic(&path, state.running.render(state.version).as_bytes())
            .map_err(|source| DeviceError::Io { path, source })?;
        state.startup = state.running.clone();
        let now = self.clock.now();
        state.log(now, crate::text::log::CONFIG_SAVED);
        Ok(())
    }

    /// Gives the `admin` account (privilege 15, made when missing) `password` in the running and
    /// the startup configuration, the startup one on disk first (the lab password of `acnslab up
    /// --password-file`); `false` when both had it already and nothing was written.
    pub fn set_admin_password(&self, password: &str) -> Result<bool, DeviceError> {
        let account = User {
            password: password.to_string(),
            privilege: 15,
        };
        let mut state = self.state();
        let has = |config: &Config| config.users.get("admin") == Some(&account);
        if has(&state.running) && has(&state.startup) {
            return Ok(false);
        }
        if !has(&state.startup) {
            let mut startup = state.startup.clone();
            startup.users.insert("admin".to_string(), account.clone());
            let path = self.dir.join(STARTUP_FILE);
            write_atomic(&path, startup.render(state.version).as_bytes())
                .map_err(|source| DeviceError::Io { path, source })?;
            state.startup = startup;
        }
        state.running.users.insert("admin".to_string(), account);
        Ok(true)
    }

    /// `write erase`: the startup configuration becomes the factory one (hostname the model
    /// number, the `admin` account, nothing else), on disk first; the running configuration is
    /// untouched until the next boot.
    pub fn erase_startup(&self) -> Result<(), DeviceError> {
        let kind = self.identity.kind;
        let factory = Config::factory(kind.factory_hostname(), kind);
        let mut state = self.state();
        let path = self.dir.join(STARTUP_FILE);
        write_atomic(&path, factory.render(state.version).as_bytes())
            .map_err(|source| DeviceError::Io { path, source })?;
        state.startup = factory;
        let now = self.clock.now();
        state.log(now, crate::text::log::CONFIG_ERASED);
        Ok(())
    }

    /// The device's own clock (UTC): the lab clock moved by `clock set`.
    pub fn time(&self) -> DateTime<Utc> {
        self.clock.now() + self.state().clock_offset
    }

    /// `clock set`: from now on the device's clock reads `at` (UTC) plus the lab time passed.
    pub fn set_time(&self, at: DateTime<Utc>) {
        let offset = at - self.clock.now();
        self.state().clock_offset = offset;
    }

    /// Adds a line to the system log, stamped with the lab clock.
    pub fn log(&self, line: impl Into<String>) {
        let now = self.clock.now();
        self.state().log(now, line);
    }

    /// Records the version the next boot runs (after an install), on disk first.
    pub fn set_pending_version(&self, version: Version) -> Result<(), DeviceError> {
        let mut state = self.state();
        let old = state.pending_version.replace(version);
        let saved = self.save_persisted(&state);
        if saved.is_err() {
            state.pending_version = old;
        }
        saved
    }

    fn save_persisted(&self, state: &DeviceState) -> Result<(), DeviceError> {
        let path = self.dir.join(PERSISTED_FILE);
        let p = Persisted {
            version: state.version,
            pending_version: state.pending_version,
        };
        write_atomic(&path, &serde_json::to_vec_pretty(&p).unwrap_or_default())
            .map_err(|source| DeviceError::Io { path, source })
    }

    /// Registers a CLI session; returns its id for [`Device::close_session`].
    pub fn open_session(&self, user: &str, peer: &str) -> u64 {
        let mut state = self.state();
        let id = state.next_session;
        state.next_session += 1;
        state.sessions_since_boot += 1;
        let since = self.clock.now();
        state.sessions.insert(
            id,
            SessionInfo {
                user: user.into(),
                peer: peer.into(),
                since,
            },
        );
        id
    }

    pub fn close_session(&self, id: u64) {
        self.state().sessions.remove(&id);
    }

    /// Checks a login; returns the user's privilege level.
    pub fn authenticate(&self, user: &str, password: &str) -> Option<u8> {
        let state = self.state();
        let account = state.running.users.get(user)?;
        (account.password == password).then_some(account.privilege)
    }
}

/// Removes what an interrupted download or copy leaves in a disk folder: hidden temporary files
/// (`.download-*`, `.preposition-*`, `.NAME.tmp`) and `*.tmp`. Called when a device opens, so a lab
/// killed in the middle of a download comes back with the disk as it was before.
fn remove_leftovers(disk: &Path) {
    let Ok(entries) = std::fs::read_dir(disk) else {
        return;
    };
    for entry in entries.filter_map(Result::ok) {
        let name = entry.file_name().to_string_lossy().into_owned();
        if name.starts_with('.') || name.ends_with(".tmp") {
            let _ = std::fs::remove_file(entry.path());
        }
    }
}

/// Bytes used by the files of a folder and of the folders below it (symbolic links not followed).
pub fn disk_used(path: &Path) -> u64 {
    std::fs::read_dir(path)
        .map(|entries| {
            entries
                .filter_map(Result::ok)
                .filter_map(|e| Some((e.path(), e.metadata().ok()?)))
                .map(|(path, meta)| {
                    if meta.is_dir() {
                        disk_used(&path)
                    } else if meta.is_file() {
                        meta.len()
                    } else {
                        0
                    }
                })
                .sum()
        })
        .unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn disk_used_counts_subdirectories_but_not_through_links() {
        let disk = tempfile::tempdir().unwrap();
        let elsewhere = tempfile::tempdir().unwrap();
        std::fs::write(elsewhere.path().join("big"), vec![0u8; 1000]).unwrap();
        std::fs::write(disk.path().join("a"), b"12345").unwrap();
        std::fs::create_dir_all(disk.path().join("logs/old")).unwrap();
        std::fs::write(disk.path().join("logs/old/b"), b"123").unwrap();
        #[cfg(unix)]
        std::os::unix::fs::symlink(elsewhere.path(), disk.path().join("link")).unwrap();
        assert_eq!(disk_used(disk.path()), 8);
    }

    #[test]
    fn power_state_machine_table() {
        use PowerEffect::*;
        let cases = [
            (Power::Running, PowerEvent::Reload, Some(Power::Rebooting)),
            (
                Power::Rebooting,
                PowerEvent::BootComplete,
                Some(Power::Running),
            ),
            (
                Power::Booting,
                PowerEvent::BootComplete,
                Some(Power::Running),
            ),
            (Power::Rebooting, PowerEvent::Reload, None),
            (Power::Booting, PowerEvent::Reload, None),
            (Power::Running, PowerEvent::BootComplete, None),
        ];
        for (from, event, to) in cases {
            assert_eq!(
                transition(from, event).map(|t| t.0),
                to,
                "{from:?} + {event:?}"
            );
        }
        let (_, effects) = transition(Power::Running, PowerEvent::Reload).unwrap();
        assert_eq!(effects, &[CloseSessions, StopListening, StartBootTimer]);
    }
}
