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

use std::collections::HashMap;
use std::net::{Ipv4Addr, SocketAddr};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, Weak};
use std::time::Duration;

use serde::Serialize;
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;
use tracing::Instrument as _;

use crate::clock::LabClock;
use crate::config::{CdmRole, Config, DeviceKind, Interface};
use crate::device::{Device, DeviceError, Identity, Kicker, PowerEffect, PowerEvent};
use crate::images::server::ImageServer;
use crate::images::LabImages;
use crate::network::{Job, LabLink, Network, ServerEndpoints};
use crate::owned::{Backoff, Tasks};
use crate::persist::{sync_dir, write_atomic, write_new};
use crate::release::Version;
use crate::topology::{DeviceSpec, ServerSpec, Topology, TopologyError};

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
    /// A clock to use instead of a real one (tests and scenario runs pass a virtual clock).
    pub clock: Option<LabClock>,
}

impl LabOptions {
    pub fn new(state_dir: impl Into<PathBuf>) -> Self {
        LabOptions {
            state_dir: state_dir.into(),
            topology: None,
            base_port: None,
            speed: None,
            boot_seconds: None,
            clock: None,
        }
    }
}

/// Why a lab could not start.
#[derive(Debug, thiserror::Error)]
pub enum LabError {
    #[error(transparent)]
    Topology(#[from] TopologyError),
    #[error(transparent)]
    Device(#[from] DeviceError),
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error(
        "device {device}: cannot listen on 127.0.0.1:{port}: {source} (choose another --base-port)"
    )]
    Port {
        device: String,
        port: u16,
        source: std::io::Error,
    },
    #[error("image server {server}: {message}")]
    Server { server: String, message: String },
    #[error("{path}: bad SSH host key: {message}")]
    HostKey { path: PathBuf, message: String },
}

/// Binds a listening socket on `addr` without waiting (address reuse on, as tokio's own bind).
fn bind_now(addr: SocketAddr) -> std::io::Result<TcpListener> {
    let socket = tokio::net::TcpSocket::new_v4()?;
    socket.set_reuseaddr(true)?;
    socket.bind(addr)?;
    socket.listen(1024)
}

fn io_error(path: &Path) -> impl FnOnce(std::io::Error) -> LabError + '_ {
    move |source| LabError::Io {
        path: path.to_path_buf(),
        source,
    }
}

/// One device of a running lab with its SSH endpoint.
pub struct Node {
    index: usize,
    device: Arc<Device>,
    link: Arc<LabLink>,
    spec: DeviceSpec,
    addr: SocketAddr,
    /// CDMs: where the HTTP API listens.
    api_addr: Option<SocketAddr>,
    ssh: Arc<russh::server::Config>,
    boot_time: Duration,
    /// The lab's owned tasks: this node's listener, connections and long CLI tasks run there.
    tasks: Tasks,
    /// Stops the current listener (a reboot closes the port).
    listener: Mutex<Option<CancellationToken>>,
    connections: Mutex<HashMap<u64, russh::server::Handle>>,
    next_connection: AtomicU64,
    me: Weak<Node>,
}

impl Node {
    pub fn device(&self) -> &Arc<Device> {
        &self.device
    }

    pub fn spec(&self) -> &DeviceSpec {
        &self.spec
    }

    /// The loopback address of the device's SSH server.
    pub fn ssh_addr(&self) -> SocketAddr {
        self.addr
    }

    /// Reloads the device: closes its sessions, refuses SSH while it boots, then comes back with its
    /// startup configuration (and a pending image, if any).
    pub fn reload(&self) {
        if self.device.state().power == crate::device::Power::Running {
            crate::agent::going_offline(&self.device, &self.link.network);
        }
        let effects = self.device.power_event(PowerEvent::Reload);
        self.carry_out(&effects);
    }

    /// The boot timer ran out: the device comes up and its CMS agent runs at once.
    fn boot_complete(&self) {
        let effects = self.device.power_event(PowerEvent::BootComplete);
        self.carry_out(&effects);
        if !effects.is_empty() {
            self.link.kick(self.index);
        }
    }

    fn carry_out(&self, effects: &[PowerEffect]) {
        for effect in effects {
            match effect {
                PowerEffect::CloseSessions => self.close_connections(),
                PowerEffect::StopListening => self.stop_listening(),
                PowerEffect::StartBootTimer => {
                    let boot = chrono::Duration::from_std(self.boot_time).unwrap_or_default();
                    self.link
                        .schedule(self.device.clock().now() + boot, Job::Boot(self.index));
                }
                PowerEffect::ApplyBoot => {}
                PowerEffect::StartListening => {
                    let Some(me) = self.me.upgrade() else {
                        continue;
                    };
                    // At once when the port is free, so that a client connecting right after the
                    // boot (on a virtual clock: in the same instant) finds it open; otherwise the
                    // old listener is still being dropped and a task retries.
                    match bind_now(self.addr) {
                        Ok(listener) => me.serve(listener),
                        Err(_) => self.tasks.spawn(async move { me.listen_again().await }),
                    }
                }
            }
        }
    }

    async fn listen_again(self: Arc<Self>) {
        // Give the aborted listener task a moment to be dropped before the first attempt.
        tokio::task::yield_now().await;
        for attempt in 0..50u32 {
            match TcpListener::bind(self.addr).await {
                Ok(listener) => {
                    self.serve(listener);
                    return;
                }
                Err(e) => {
                    tracing::warn!(device = %self.spec.name, attempt, error = %e, "cannot listen again yet");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                }
            }
        }
        tracing::error!(device = %self.spec.name, "gave up listening after reboot");
    }

    fn serve(self: &Arc<Self>, listener: TcpListener) {
        let me = self.clone();
        let token = self.tasks.child_token();
        if let Some(old) = lock(&self.listener).replace(token.clone()) {
            old.cancel();
        }
        let span = tracing::info_span!("listener", device = %self.spec.name, addr = %self.addr);
        self.tasks.spawn_until(
            token,
            async move {
                let mut backoff = Backoff::default();
                loop {
                    let (socket, peer) = match listener.accept().await {
                        Ok(accepted) => {
                            backoff.succeeded();
                            accepted
                        }
                        Err(e) => {
                            let wait = backoff.failed();
                            tracing::warn!(error = %e, ?wait, "accept failed; waiting before the next");
                            tokio::time::sleep(wait).await;
                            continue;
                        }
                    };
                    me.connect(socket, peer);
                }
            }
            .instrument(span),
        );
    }

    /// Serves one SSH connection, owned by the lab, in a span naming the device and the peer.
    fn connect(self: &Arc<Self>, socket: tokio::net::TcpStream, peer: SocketAddr) {
        let id = self.next_connection.fetch_add(1, Ordering::Relaxed);
        let handler = crate::ssh::Connection::new(self.clone(), Some(peer), id);
        let config = self.ssh.clone();
        let span = tracing::info_span!(
            "ssh",
            device = %self.spec.name,
            %peer,
            connection = id,
            user = tracing::field::Empty
        );
        self.tasks.spawn(
            async move {
                tracing::debug!("connected");
                let _ = socket.set_nodelay(true);
                match russh::server::run_stream(config, socket, handler).await {
                    Ok(session) => match session.await {
                        Ok(()) => tracing::debug!("closed"),
                        Err(e) => tracing::debug!(error = %e, "ssh session ended with an error"),
                    },
                    Err(e) => tracing::debug!(error = %e, "ssh handshake failed"),
                }
            }
            .instrument(span),
        );
    }

    fn stop_listening(&self) {
        if let Some(token) = lock(&self.listener).take() {
            token.cancel();
        }
    }

    pub(crate) fn remember_connection(&self, id: u64, handle: russh::server::Handle) {
        lock(&self.connections).insert(id, handle);
    }

    pub(crate) fn forget_connection(&self, id: u64) {
        lock(&self.connections).remove(&id);
    }

    fn close_connections(&self) {
        let handles: Vec<_> = lock(&self.connections).drain().map(|(_, h)| h).collect();
        for handle in handles {
            self.tasks.spawn(async move {
                // Let clients take in the last output and the channel close first: OpenSSH drops
                // unwritten output ("Reloading the system...") when the disconnect comes first.
                tokio::time::sleep(Duration::from_millis(200)).await;
                let _ = handle
                    .disconnect(
                        russh::Disconnect::ByApplication,
                        "reload".into(),
                        String::new(),
                    )
                    .await;
            });
        }
    }

    /// Number of SSH connections open on the device.
    pub fn connection_count(&self) -> usize {
        lock(&self.connections).len()
    }
}

impl crate::ssh::Host for Node {
    fn device(&self) -> &Arc<Device> {
        &self.device
    }

    fn reload(&self) {
        Node::reload(self);
    }

    fn remember_connection(&self, id: u64, handle: russh::server::Handle) {
        Node::remember_connection(self, id, handle);
    }

    fn forget_connection(&self, id: u64) {
        Node::forget_connection(self, id);
    }

    fn spawn_task(&self, task: std::pin::Pin<Box<dyn std::future::Future<Output = ()> + Send>>) {
        self.tasks.spawn(task);
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

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
    pub devices: Vec<DeviceInfo>,
    /// Image servers: virtual address and where FTP and HTTP really listen.
    #[serde(default)]
    pub servers: Vec<ServerInfo>,
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

/// A running lab.
pub struct Lab {
    inner: Arc<Inner>,
    /// Every task of the lab (scheduler, API servers, listeners, connections, CLI tasks).
    tasks: Tasks,
}

struct Inner {
    nodes: Vec<Arc<Node>>,
    by_name: HashMap<String, usize>,
    clock: LabClock,
    state_dir: PathBuf,
    link: Arc<LabLink>,
    poll_interval: Duration,
    /// The image servers, with the embedded server when there is one.
    servers: Vec<(ServerSpec, Option<ImageServer>, ServerEndpoints)>,
    /// Held while jobs run, so the scheduler task and [`Lab::advance`] never run two at once.
    running: Mutex<()>,
}

impl Inner {
    /// Runs every kicked agent and every job due now; returns how many ran.
    fn run_due(&self) -> usize {
        let _one_at_a_time = lock(&self.running);
        let mut ran = 0;
        loop {
            let kicks = self.link.take_kicks();
            for index in &kicks {
                if let Some(node) = self.nodes.get(*index) {
                    crate::agent::poll(&node.device, &self.link.network);
                }
            }
            ran += kicks.len();
            match self.link.take_due(self.clock.now()) {
                Some(job) => {
                    self.run(job);
                    ran += 1;
                }
                None if kicks.is_empty() => return ran,
                None => {}
            }
        }
    }

    fn run(&self, job: Job) {
        let interval = chrono::Duration::from_std(self.poll_interval).unwrap_or_default();
        let now = self.clock.now();
        match job {
            Job::Poll(i) => {
                crate::agent::poll(&self.nodes[i].device, &self.link.network);
                self.link.schedule(now + interval, Job::Poll(i));
            }
            Job::Sweep(i) => {
                crate::network::sweep(&self.nodes[i].device, now - interval * 3);
                self.link.schedule(now + interval, Job::Sweep(i));
            }
            Job::Boot(i) => self.nodes[i].boot_complete(),
        }
    }
}

/// The scheduler task: runs jobs when the lab clock reaches them, and kicked agents at once.
async fn scheduler(inner: Arc<Inner>) {
    loop {
        inner.run_due();
        let wait = inner
            .link
            .next_due()
            .map(|at| (at - inner.clock.now()).to_std().unwrap_or_default());
        let sleep = async {
            match wait {
                Some(d) => inner.clock.sleep(d).await,
                None => std::future::pending().await,
            }
        };
        tokio::select! {
            _ = sleep => {}
            _ = inner.link.wake.notified() => {}
        }
    }
}

const TOPOLOGY_FILE: &str = "topology.yaml";
const HOST_KEY_FILE: &str = "ssh_host_ed25519_key";

impl Lab {
    /// Starts a lab: opens (or creates) every device in the state directory and binds its SSH port.
    /// Nothing is left listening if any step fails.
    pub async fn start(options: LabOptions) -> Result<Lab, LabError> {
        let dir = options.state_dir.clone();
        std::fs::create_dir_all(&dir).map_err(io_error(&dir))?;
        let mut topology = match options.topology {
            Some(t) => t,
            None => {
                let stored = dir.join(TOPOLOGY_FILE);
                if stored.exists() {
                    Topology::load(&stored)?
                } else {
                    Topology::default_lab()
                }
            }
        };
        if let Some(port) = options.base_port {
            topology.lab.base_port = port;
        }
        if let Some(speed) = options.speed {
            topology.lab.speed = speed;
        }
        if let Some(boot) = options.boot_seconds {
            topology.lab.boot_seconds = boot;
        }
        let text = serde_norway::to_string(&topology).unwrap_or_default();
        let topo_path = dir.join(TOPOLOGY_FILE);
        write_atomic(&topo_path, text.as_bytes()).map_err(io_error(&topo_path))?;
        raise_open_file_limit();
        crate::persist::set_durable_writes(topology.lab.durable);

        let clock = options
            .clock
            .unwrap_or_else(|| LabClock::real(topology.lab.speed));
        let boot_time = Duration::from_secs_f64(topology.lab.boot_seconds);
        let poll_interval = Duration::from_secs_f64(topology.lab.poll_seconds);
        // Files created for new devices are written without a sync each, then synced at once.
        let mut created = false;
        let mut listeners = Vec::with_capacity(topology.devices.len());
        let mut api_listeners = Vec::new();
        let mut devices = Vec::with_capacity(topology.devices.len());
        let mut keys = Vec::with_capacity(topology.devices.len());
        for (index, spec) in topology.devices.iter().enumerate() {
            let port = topology.port_of(index);
            let addr = SocketAddr::from(([127, 0, 0, 1], port));
            let listener = std::net::TcpListener::bind(addr).map_err(|source| LabError::Port {
                device: spec.name.clone(),
                port,
                source,
            })?;
            listener.set_nonblocking(true).map_err(io_error(&dir))?;
            let addr = listener.local_addr().map_err(io_error(&dir))?;
            listeners.push((addr, listener));
            if spec.kind == DeviceKind::Cdm {
                let port = if topology.lab.base_port == 0 {
                    0
                } else {
                    topology
                        .lab
                        .base_port
                        .saturating_add(topology.devices.len().max(100) as u16 + index as u16)
                };
                let api = std::net::TcpListener::bind(SocketAddr::from(([127, 0, 0, 1], port)))
                    .map_err(|source| LabError::Port {
                        device: spec.name.clone(),
                        port,
                        source,
                    })?;
                api.set_nonblocking(true).map_err(io_error(&dir))?;
                api_listeners.push((index, api.local_addr().map_err(io_error(&dir))?, api));
            }
            let device_dir = dir.join("devices").join(&spec.name);
            created |= !device_dir.join(HOST_KEY_FILE).exists();
            let identity = Identity {
                name: spec.name.clone(),
                kind: spec.kind,
                model: spec
                    .model
                    .clone()
                    .unwrap_or_else(|| spec.kind.default_model().to_string()),
                ip: spec.ip,
                disk_mb: spec.disk_mb,
            };
            let device = Device::open(
                identity,
                &device_dir,
                clock.clone(),
                || initial_config(&topology, spec),
                topology.version_of(index),
                crate::commands::load_config_text,
            )?;
            devices.push(Arc::new(device));
            keys.push(load_or_create_host_key(&device_dir.join(HOST_KEY_FILE))?);
        }
        let mut network = Network::new(devices.iter().cloned());
        let servers = start_servers(&topology, &dir, &mut network).await?;
        let link = Arc::new(LabLink::new(network));
        let tasks = Tasks::new();
        let mut nodes = Vec::with_capacity(devices.len());
        for (index, ((device, key), spec)) in devices
            .into_iter()
            .zip(keys)
            .zip(&topology.devices)
            .enumerate()
        {
            device.set_kicker(Kicker {
                link: Arc::downgrade(&link),
                index,
            });
            let node = Arc::new_cyclic(|me| Node {
                index,
                device,
                link: link.clone(),
                spec: spec.clone(),
                addr: listeners[index].0,
                api_addr: api_listeners
                    .iter()
                    .find(|(i, _, _)| *i == index)
                    .map(|(_, a, _)| *a),
                ssh: Arc::new(crate::ssh::server_config(key)),
                boot_time,
                tasks: tasks.clone(),
                listener: Mutex::new(None),
                connections: Mutex::new(HashMap::new()),
                next_connection: AtomicU64::new(1),
                me: me.clone(),
            });
            nodes.push(node);
        }
        let now = clock.now();
        for (node, (_, listener)) in nodes.iter().zip(listeners) {
            node.device.power_event(PowerEvent::BootComplete);
            let listener = TcpListener::from_std(listener).map_err(io_error(&dir))?;
            node.serve(listener);
        }
        // CDMs first, so that their CMS is up when the others register.
        let mut order: Vec<&Arc<Node>> = nodes.iter().collect();
        order.sort_by_key(|n| {
            (
                n.spec.kind != DeviceKind::Cdm,
                n.spec.role == Some(CdmRole::Standby),
            )
        });
        for node in order {
            link.schedule(now, Job::Poll(node.index));
            if node.spec.kind == DeviceKind::Cdm {
                link.schedule(now, Job::Sweep(node.index));
            }
        }
        let by_name = nodes
            .iter()
            .enumerate()
            .map(|(i, n)| (n.spec.name.clone(), i))
            .collect();
        let inner = Arc::new(Inner {
            nodes,
            by_name,
            clock,
            state_dir: dir,
            link,
            poll_interval,
            servers,
            running: Mutex::new(()),
        });
        // Primaries first: their CMS must be up before the others register.
        inner.run_due();
        seed_groups(&inner, &topology);
        tasks.spawn(scheduler(inner.clone()));
        for (index, _, listener) in api_listeners {
            let listener = TcpListener::from_std(listener).map_err(io_error(&inner.state_dir))?;
            let access = Arc::new(CdmApi {
                inner: Arc::downgrade(&inner),
                index,
            });
            tasks.spawn(crate::api::serve(listener, access));
        }
        let lab = Lab { inner, tasks };
        lab.write_info()?;
        if created {
            sync_dir(&lab.inner.state_dir).map_err(io_error(&lab.inner.state_dir))?;
        }
        Ok(lab)
    }

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
        let target = clock.now() + chrono::Duration::from_std(duration).unwrap_or_default();
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
                ssh: n.addr.to_string(),
                api: n.api_addr.map(|a| a.to_string()),
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
            devices,
            servers,
        }
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
    pub async fn restart_server(&self, name: &str) -> Result<(), String> {
        let server = self
            .server(name)
            .ok_or_else(|| format!("no embedded image server named {name}"))?;
        server.restart().await.map_err(|e| e.to_string())
    }

    fn server(&self, name: &str) -> Option<&ImageServer> {
        self.inner
            .servers
            .iter()
            .find(|(s, _, _)| s.name == name)
            .and_then(|(_, e, _)| e.as_ref())
    }

    fn write_info(&self) -> Result<(), LabError> {
        let path = self.inner.state_dir.join("lab.json");
        let json = serde_json::to_vec_pretty(&self.info()).unwrap_or_default();
        write_atomic(&path, &json).map_err(io_error(&path))
    }

    /// The start-up table: name, kind, role, virtual IP, and the ssh command.
    pub fn table(&self) -> String {
        let mut out = format!(
            "{:<12} {:<5} {:<8} {:<16} {}\n",
            "NAME", "KIND", "ROLE", "IP", "SSH"
        );
        for d in self.info().devices {
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
        for s in self.info().servers {
            let ftp = s.ftp.map(|a| format!("ftp {a}")).unwrap_or_default();
            let http = s.http.map(|a| format!("  http {a}")).unwrap_or_default();
            out.push_str(&format!(
                "{:<12} {:<5} {:<8} {:<16} {ftp}{http} ({}/{})\n",
                s.name, "IMG", "-", s.ip, s.username, s.password
            ));
        }
        out
    }

    /// Stops the lab: the scheduler, every listener and session, the API servers; waits for them to
    /// end (a drain, at most a few seconds). State on disk is already complete.
    pub async fn shutdown(&self) {
        for node in &self.inner.nodes {
            node.stop_listening();
            node.close_connections();
        }
        self.tasks.shutdown(SHUTDOWN_GRACE).await;
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

/// What a CDM's HTTP API reaches of the lab.
struct CdmApi {
    inner: std::sync::Weak<Inner>,
    index: usize,
}

impl crate::api::LabAccess for CdmApi {
    fn cdm(&self) -> Arc<Node> {
        match self.inner.upgrade() {
            Some(inner) => inner.nodes[self.index].clone(),
            None => unreachable!("the API task is aborted before the lab is dropped"),
        }
    }

    fn node(&self, name: &str) -> Option<Arc<Node>> {
        let inner = self.inner.upgrade()?;
        inner.by_name.get(name).map(|&i| inner.nodes[i].clone())
    }

    fn spawn_job(&self, job: std::pin::Pin<Box<dyn std::future::Future<Output = ()> + Send>>) {
        if let Some(inner) = self.inner.upgrade() {
            inner.nodes[self.index].tasks.spawn(job);
        }
    }
}

/// Puts the topology's device groups into the primary CDM's database (when missing).
fn seed_groups(inner: &Inner, topology: &Topology) {
    let mut groups: std::collections::BTreeMap<&str, Vec<String>> = Default::default();
    for d in &topology.devices {
        for g in &d.groups {
            groups.entry(g).or_default().push(d.name.clone());
        }
    }
    let Some(primary) = inner
        .nodes
        .iter()
        .find(|n| n.device.cdm_role() == Some(CdmRole::Primary))
    else {
        return;
    };
    for (name, members) in groups {
        let seeded = crate::upgrade::with_primary(&primary.device, |cms| {
            crate::upgrade::ensure_group(cms, name, &members)
        });
        if let Err(e) = seeded {
            tracing::warn!(group = name, error = %e, "device group not created");
        }
    }
}

/// Starts the embedded image servers of the topology (filling their folders with the lab's images
/// and meta files) and puts every server's endpoints on the network.
async fn start_servers(
    topology: &Topology,
    dir: &Path,
    network: &mut Network,
) -> Result<Vec<(ServerSpec, Option<ImageServer>, ServerEndpoints)>, LabError> {
    let mut servers = Vec::new();
    for spec in &topology.servers {
        let fail = |message: String| LabError::Server {
            server: spec.name.clone(),
            message,
        };
        let (embedded, endpoints) = if spec.ftp.is_some() || spec.http.is_some() {
            (
                None,
                ServerEndpoints {
                    ftp: spec.ftp,
                    http: spec.http,
                },
            )
        } else {
            let folder = spec
                .folder
                .clone()
                .unwrap_or_else(|| dir.join("servers").join(&spec.name));
            std::fs::create_dir_all(&folder).map_err(io_error(&folder))?;
            let images = LabImages {
                current: topology
                    .devices
                    .first()
                    .and_then(|d| d.version)
                    .unwrap_or(crate::release::DEFAULT_VERSION),
                newer: Version::new(5, 2, 1),
                downgrade: Version::new(4, 2, 9),
                size: spec.image_mb * 1024 * 1024,
                server_ip: spec.ip,
                cdm_ip_for_downgrade: topology.primary_cdm_ip().unwrap_or(spec.ip),
                ftp_user: spec.user.clone(),
                ftp_password: spec.password.clone(),
            };
            crate::images::populate_lab_folder(&folder, &images)
                .map_err(|e| fail(e.to_string()))?;
            let server = ImageServer::start(
                folder,
                spec.ftp_port,
                spec.http_port,
                &spec.user,
                &spec.password,
            )
            .await
            .map_err(|e| fail(e.to_string()))?;
            let endpoints = ServerEndpoints {
                ftp: Some(server.ftp_addr()),
                http: Some(server.http_addr()),
            };
            (Some(server), endpoints)
        };
        network.add_server(&spec.name, spec.ip, endpoints);
        servers.push((spec.clone(), embedded, endpoints));
    }
    Ok(servers)
}

/// The configuration a device gets the first time it is created: hostname, address, gateway, the
/// admin account, its CDM role and the primary CDM's address, CMS as the topology says.
fn initial_config(topology: &Topology, spec: &DeviceSpec) -> Config {
    let mut config = Config::factory(&spec.name, spec.kind);
    let mask = Ipv4Addr::from(
        u32::MAX
            .checked_shl(32 - u32::from(topology.lab.prefix))
            .unwrap_or(0),
    );
    config.interfaces.insert(
        (1, 0),
        Interface {
            address: Some((spec.ip, mask)),
            shutdown: false,
        },
    );
    config.default_gateway = Some(topology.lab.gateway);
    config.cms_enabled = spec.cms;
    if spec.kind == DeviceKind::Cdm {
        config.cdm_role = Some(spec.role.unwrap_or(CdmRole::Primary));
    }
    if config.cdm_role != Some(CdmRole::Primary) {
        config.cdm_ip = topology.primary_cdm_ip().filter(|ip| *ip != spec.ip);
    }
    config
}

fn load_or_create_host_key(path: &Path) -> Result<russh::keys::PrivateKey, LabError> {
    use russh::keys::ssh_key::private::Ed25519Keypair;
    use russh::keys::ssh_key::LineEnding;
    let bad = |message: String| LabError::HostKey {
        path: path.to_path_buf(),
        message,
    };
    match std::fs::read_to_string(path) {
        Ok(text) => russh::keys::PrivateKey::from_openssh(text).map_err(|e| bad(e.to_string())),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            let seed: [u8; 32] = rand::random();
            let key = russh::keys::PrivateKey::from(Ed25519Keypair::from_seed(&seed));
            let text = key
                .to_openssh(LineEnding::LF)
                .map_err(|e| bad(e.to_string()))?;
            write_new(path, text.as_bytes()).map_err(io_error(path))?;
            Ok(key)
        }
        Err(e) => Err(io_error(path)(e)),
    }
}

/// Each device holds a listening socket and its sessions: lift the soft open-file limit to the hard one.
fn raise_open_file_limit() {
    #[allow(unsafe_code)]
    // SAFETY: getrlimit/setrlimit only read and write the struct we pass.
    unsafe {
        let mut limit = libc::rlimit {
            rlim_cur: 0,
            rlim_max: 0,
        };
        if libc::getrlimit(libc::RLIMIT_NOFILE, &mut limit) == 0 && limit.rlim_cur < limit.rlim_max
        {
            limit.rlim_cur = limit.rlim_max;
            let _ = libc::setrlimit(libc::RLIMIT_NOFILE, &limit);
        }
    }
}
