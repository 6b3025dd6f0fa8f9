//! A running lab: the devices of a topology, each with its SSH listener on loopback, the state
//! directory, `lab.json`, and the async edge of each device's power state machine (boot timers on the
//! lab clock, closing sessions, stopping and restarting the listener).
//!
//! State directory layout:
//! ```text
//! DIR/topology.yaml            the topology the lab was created with (resumed by `acnslab up`)
//! DIR/lab.json                 for tools: devices, addresses, ssh endpoints, credentials
//! DIR/control.sock             the control socket of a running lab (`acnslab console`)
//! DIR/devices/NAME/            one folder per device:
//!     ssh_host_ed25519_key     its SSH host key, generated once
//!     startup-config           its startup configuration
//!     device.json              its software versions
//!     local1/                  its disk, /local/local1
//! ```
//!
//! The parts: `start` (building a lab from its topology), `open` (its devices opened on every
//! core), `node` (one device with its SSH
//! listener and connections), `scheduler` (jobs on the lab clock), `info` (`lab.json` and the
//! start-up table), `cdm` (what a CDM's HTTP front ends reach of the lab), `snapshot` (the lab as
//! it is now, as a topology).

mod cdm;
mod health;
mod info;
pub mod limits;
pub mod listen;
pub mod lock;
mod memory;
mod node;
mod open;
pub mod ports;
mod scheduler;
mod snapshot;
mod start;
mod status;

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use crate::clock::LabClock;
use crate::device::DeviceError;
use crate::images::server::ImageServer;
use crate::network::{LabLink, Network, ServerEndpoints};
use crate::owned::Tasks;
use crate::topology::{Addressing, ServerSpec, Topology, TopologyErrors};

pub use cdm::{register_file, start_upgrade, CdmAccess, CdmHttp, CdmShared, BODY_READ_TIMEOUT};
pub use health::{DeviceFigures, Figures, LabHttp, LabWatch, StandbyFigures, JOB_PHASES};
pub use info::{DeviceInfo, LabInfo, NoLab, ServerInfo};
pub use node::Node;
pub use status::{CmsRegistration, CmsState, CmsStatus, DeviceStatus};

/// How to start a lab.
#[derive(Clone)]
pub struct LabOptions {
    pub state_dir: PathBuf,
    /// `None`: resume the topology stored in the state directory, or the default lab.
    pub topology: Option<Topology>,
    /// Overrides the topology's base port.
    pub base_port: Option<u16>,
    /// Overrides the topology's clock speed.
    pub speed: Option<f64>,
    /// Overrides the topology's boot time (lab seconds).
    pub boot_seconds: Option<f64>,
    /// Overrides the link rate of every image server (kilobits per lab second, 0: no limit).
    pub rate_kbps: Option<u32>,
    /// Overrides the topology's addressing (`lab.addressing`).
    pub addressing: Option<Addressing>,
    /// Overrides the topology's SSH port of loopback addressing (`lab.ssh_port`).
    pub ssh_port: Option<u16>,
    /// A clock to use instead of a real one (tests and scenario runs pass a virtual clock).
    pub clock: Option<LabClock>,
    /// What each CDM serves on its HTTP port (the API and web pages: `crate::api::service`);
    /// `None`: the CDMs have no HTTP port.
    pub cdm_http: Option<CdmHttp>,
    /// What the lab serves on its health port (`/healthz`, `/metrics`: `crate::observe::service`);
    /// `None`: the lab has no health port.
    pub lab_http: Option<LabHttp>,
    /// Overrides the topology's listen address (`lab.listen`).
    pub listen: Option<std::net::IpAddr>,
    /// The password every device's `admin` account gets at start (and so the CDMs' web GUI and
    /// API); `None`: the accounts keep what they have.
    pub admin_password: Option<listen::LabPassword>,
    /// Start on an address other hosts reach without `admin_password` (see [`listen`]).
    pub allow_default_password: bool,
}

/// The command-line overrides of a topology's lab settings, the same for `acnslab up` and
/// `acnslab exercise start`.
#[derive(Debug, Clone, Default, clap::Args)]
pub struct LabOverrides {
    /// Lab clock speed factor (1 = real time; 0.001 to 10000).
    #[arg(long, value_parser = speed_flag)]
    pub speed: Option<f64>,
    /// Reboot duration in lab seconds (0 to 86400).
    #[arg(long, value_parser = boot_seconds_flag)]
    pub boot_seconds: Option<f64>,
    /// Rate of every image server's link, in kilobits per lab second (default: each server's
    /// `rate_kbps`, 1544 unless the topology says otherwise; 0: no limit).
    #[arg(long, value_parser = clap::value_parser!(u32).range(0..=i64::from(crate::topology::MAX_RATE_KBPS)))]
    pub rate_kbps: Option<u32>,
    /// Where the devices' SSH servers listen: `ports` (each its own port on 127.0.0.1) or
    /// `loopback` (each its own address, 127.X.Y.Z from its X.Y.Z, on one port: --ssh-port)
    /// (default: the topology's `lab.addressing`).
    #[arg(long, value_enum)]
    pub addressing: Option<Addressing>,
    /// The one SSH port of loopback addressing (default: the topology's `lab.ssh_port`, else 22
    /// when the lab may listen there, else the base port).
    #[arg(long)]
    pub ssh_port: Option<u16>,
}

fn speed_flag(text: &str) -> Result<f64, String> {
    crate::topology::parse_in_range(text, crate::topology::SPEED_RANGE)
}

fn boot_seconds_flag(text: &str) -> Result<f64, String> {
    crate::topology::parse_in_range(text, crate::topology::BOOT_SECONDS_RANGE)
}

impl LabOverrides {
    /// Puts the overrides given into `options`.
    pub fn apply(&self, options: &mut LabOptions) {
        options.speed = self.speed;
        options.boot_seconds = self.boot_seconds;
        options.rate_kbps = self.rate_kbps;
        options.addressing = self.addressing;
        options.ssh_port = self.ssh_port;
    }
}

impl LabOptions {
    pub fn new(state_dir: impl Into<PathBuf>) -> Self {
        LabOptions {
            state_dir: state_dir.into(),
            topology: None,
            base_port: None,
            speed: None,
            boot_seconds: None,
            rate_kbps: None,
            addressing: None,
            ssh_port: None,
            clock: None,
            cdm_http: None,
            lab_http: None,
            listen: None,
            admin_password: None,
            allow_default_password: false,
        }
    }
}

/// Why a lab could not start.
#[derive(Debug, thiserror::Error)]
pub enum LabError {
    #[error(transparent)]
    Topology(#[from] TopologyErrors),
    #[error(transparent)]
    Device(#[from] DeviceError),
    #[error(transparent)]
    Limits(#[from] limits::LimitsError),
    #[error(transparent)]
    Ports(#[from] ports::PortsError),
    #[error(transparent)]
    Listen(#[from] listen::ListenError),
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error(
        "device {device}: cannot listen on {}: {source} (choose another --base-port)", std::net::SocketAddr::new(*.ip, *.port)
    )]
    Port {
        device: String,
        ip: std::net::IpAddr,
        port: u16,
        source: std::io::Error,
    },
    #[error("device {device}: cannot listen on {addr}: {source} (with `addressing: loopback` every device listens on its own address and lab.ssh_port; choose another with --ssh-port or lab.ssh_port)")]
    LoopbackPort {
        device: String,
        addr: std::net::SocketAddr,
        source: std::io::Error,
    },
    #[error("image server {server}: {message}")]
    Server { server: String, message: String },
    #[error("no embedded image server named {0}")]
    NoServer(String),
    #[error(transparent)]
    Locked(#[from] lock::LockError),
    #[error("{path}: the device's SSH host key cannot be used: {message}. Remove the file to have a new key made at the next start (clients will see a changed host key), or put an unencrypted OpenSSH ed25519 key there")]
    HostKey { path: PathBuf, message: String },
    #[error("device {device}: {key}: line {line}: {message}")]
    Config {
        device: String,
        key: &'static str,
        line: usize,
        message: String,
    },
    #[error("{dir}: the state directory has devices/ but no topology.yaml, so the lab it holds is not known. Start it with --topology FILE (the topology it was made with), or use another --state-dir for a new lab")]
    NoTopology { dir: PathBuf },
}

fn io_error(path: &Path) -> impl FnOnce(std::io::Error) -> LabError + '_ {
    move |source| LabError::Io {
        path: path.to_path_buf(),
        source,
    }
}

/// A running lab.
pub struct Lab {
    inner: Arc<Inner>,
    /// Every task of the lab (scheduler, API servers, listeners, connections, CLI tasks).
    tasks: Tasks,
    /// The state directory's lock, held until the lab has stopped.
    lock: Mutex<Option<lock::StateDirLock>>,
}

struct Inner {
    /// The topology the lab runs (the command-line overrides applied).
    topology: Topology,
    pub(super) nodes: Vec<Arc<Node>>,
    by_name: HashMap<String, usize>,
    clock: LabClock,
    state_dir: PathBuf,
    link: Arc<LabLink>,
    poll_interval: Duration,
    /// Where the health port is bound (when the lab has one).
    health_addr: Option<std::net::SocketAddr>,
    /// The image servers, with the embedded server when there is one.
    servers: Vec<(ServerSpec, Option<ImageServer>, ServerEndpoints)>,
    /// Held while jobs run, so the scheduler task and [`Lab::advance`] never run two at once.
    running: Mutex<()>,
}

impl Lab {
    pub fn nodes(&self) -> &[Arc<Node>] {
        &self.inner.nodes
    }

    pub fn node(&self, name: &str) -> Option<&Arc<Node>> {
        self.inner.by_name.get(name).map(|&i| &self.inner.nodes[i])
    }

    pub fn clock(&self) -> &LabClock {
        &self.inner.clock
    }

    pub fn state_dir(&self) -> &Path {
        &self.inner.state_dir
    }

    /// Where a client on this host reaches the lab's health port (`/healthz`, `/metrics`).
    pub fn health_addr(&self) -> Option<std::net::SocketAddr> {
        self.inner.health_addr.map(listen::reachable)
    }

    /// The network between the devices (cut and heal links here).
    pub fn network(&self) -> &Network {
        &self.inner.link.network
    }

    /// The polling interval of CMS agents and the standby (lab time).
    pub fn poll_interval(&self) -> Duration {
        self.inner.poll_interval
    }

    /// Runs kicked agents and due jobs now (after a change made outside the scheduler, e.g. by a
    /// test driving sessions directly); returns how many ran.
    pub fn settle(&self) -> usize {
        self.inner.run_due()
    }

    /// Moves a virtual lab clock forward by `duration`, running every job that falls due on the way,
    /// in time order, before returning. On a real clock it only runs what is due now.
    pub fn advance(&self, duration: Duration) {
        let clock = &self.inner.clock;
        let target = crate::clock::later(clock.now(), duration);
        if clock.is_virtual() {
            while let Some(at) = self.inner.link.next_due().filter(|at| *at <= target) {
                let step = (at - clock.now()).to_std().unwrap_or_default();
                clock.advance(step);
                self.inner.run_due();
            }
            clock.advance((target - clock.now()).to_std().unwrap_or_default());
        }
        self.inner.run_due();
    }

    /// Stops an image server (fault: the server is down, connections are refused).
    pub async fn stop_server(&self, name: &str) -> bool {
        match self.server(name) {
            Some(server) => {
                server.stop().await;
                true
            }
            None => false,
        }
    }

    /// Starts a stopped image server again on the same ports.
    pub async fn restart_server(&self, name: &str) -> Result<(), LabError> {
        let server = self
            .server(name)
            .ok_or_else(|| LabError::NoServer(name.to_string()))?;
        server.restart().await.map_err(|e| LabError::Server {
            server: name.to_string(),
            message: e.to_string(),
        })
    }

    fn server(&self, name: &str) -> Option<&ImageServer> {
        self.inner
            .servers
            .iter()
            .find(|(s, _, _)| s.name == name)
            .and_then(|(_, e, _)| e.as_ref())
    }

    /// Stops the lab: the scheduler, every listener and session, the API servers; waits for them to
    /// end (a drain, at most a few seconds). State on disk is already complete.
    pub async fn shutdown(&self) {
        for node in &self.inner.nodes {
            node.stop_listening();
            node.close_connections();
        }
        self.tasks.shutdown(SHUTDOWN_GRACE).await;
        // lab.json says the lab stopped, then another may start in the directory
        if let Err(e) = self.write_info() {
            tracing::warn!(error = %e, "cannot mark lab.json stopped");
        }
        lock(&self.lock).take();
    }

    /// Number of the lab's tasks still running (listeners, connections, scheduler, ...).
    pub fn task_count(&self) -> usize {
        self.tasks.len()
    }
}

/// How long [`Lab::shutdown`] waits for the lab's tasks to end.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(5);

impl Drop for Lab {
    fn drop(&mut self) {
        self.tasks.cancel();
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

#[cfg(test)]
mod tests {
    use clap::Parser;

    #[derive(Parser)]
    struct Flags {
        #[command(flatten)]
        lab: super::LabOverrides,
    }

    #[test]
    fn out_of_range_flags_are_refused_with_the_range() {
        let ok = Flags::try_parse_from(["up", "--speed", "60", "--boot-seconds", "0"]).unwrap();
        assert_eq!((ok.lab.speed, ok.lab.boot_seconds), (Some(60.0), Some(0.0)));
        for args in [
            ["up", "--speed", "2e11"],
            ["up", "--speed", "1e-300"],
            ["up", "--boot-seconds", "1e300"],
            ["up", "--boot-seconds=-1", "--speed=1"],
        ] {
            let e = Flags::try_parse_from(args).err().unwrap().to_string();
            assert!(e.contains("must be a number from"), "{args:?}: {e}");
        }
    }

    #[tokio::test]
    async fn a_lab_refuses_out_of_range_overrides_given_in_code() {
        let dir = tempfile::tempdir().unwrap();
        let mut options = super::LabOptions::new(dir.path());
        let mut topology = crate::topology::Topology::default_lab();
        topology.lab.base_port = 0;
        options.topology = Some(topology);
        options.speed = Some(2e11);
        let e = super::Lab::start(options).await.err().unwrap().to_string();
        assert!(
            e.contains("lab.speed: must be a number from 0.001 to 10000"),
            "{e}"
        );
    }
}
