//! Building a lab from its topology: the state directory, each device opened (or created with its
//! initial configuration and SSH host key), its listeners bound, the image servers started, the
//! first agent polls run, the scheduler and the CDMs' HTTP ports served.

use std::collections::HashMap;
use std::net::{Ipv4Addr, SocketAddr};
use std::path::Path;
use std::sync::atomic::AtomicU64;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::net::TcpListener;

use super::cdm::{fail_interrupted_jobs, seed_groups, serve_http, LabCdm};
use super::limits::LabGates;
use super::open::{open_devices, other_device_folders};
use super::scheduler::scheduler;
use super::{io_error, Inner, Lab, LabError, LabOptions, Node};
use crate::clock::LabClock;
use crate::cms::{Cms, CmsError};
use crate::config::{CdmRole, Config, DeviceKind, Interface};
use crate::device::{Initial, Kick, Kicker};
use crate::images::server::{ImageServer, ServerGates};
use crate::images::LabImages;
use crate::network::{Job, LabLink, Lan, Network, ServerEndpoints};
use crate::owned::Tasks;
use crate::persist::{sync_dir, write_atomic};
use crate::release::Version;
use crate::topology::{Addressing, DeviceSpec, ServerSpec, Topology};

const TOPOLOGY_FILE: &str = "topology.yaml";

impl Lab {
    /// Starts a lab: opens (or creates) every device in the state directory and binds its SSH port.
    /// Nothing is left listening if any step fails, and nothing in the state directory is
    /// written (nor the directory made) before the topology, the flags, the limits and every SSH
    /// and API port are checked.
    pub async fn start(options: LabOptions) -> Result<Lab, LabError> {
        let dir = options.state_dir.clone();
        // one lab per state directory: a second is refused before anything else (the lock itself
        // is taken once everything is checked, so a refused start leaves no lock file behind)
        super::lock::refuse_if_running(&dir)?;
        let mut topology = match options.topology {
            Some(t) => t,
            None => {
                let stored = dir.join(TOPOLOGY_FILE);
                if stored.exists() {
                    Topology::load(&stored)?
                } else if dir.join("devices").is_dir() {
                    // never a default lab over the devices of another
                    return Err(LabError::NoTopology { dir });
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
        if let Some(addressing) = options.addressing {
            topology.lab.addressing = addressing;
        }
        if let Some(port) = options.ssh_port {
            topology.lab.ssh_port = Some(port);
        }
        if topology.lab.addressing == Addressing::Loopback && topology.lab.ssh_port.is_none() {
            // the port the lab got is the lab's from now on (topology.yaml keeps it)
            topology.lab.ssh_port = Some(super::ports::default_ssh_port(topology.lab.base_port));
        }
        if let Some(rate) = options.rate_kbps {
            for server in &mut topology.servers {
                server.rate_kbps = rate;
            }
        }
        if let Some(listen) = options.listen {
            topology.lab.listen = listen;
        }
        topology.recheck("the command-line overrides")?;
        let password = options.admin_password.as_ref();
        super::listen::check_exposure(
            topology.lab.listen,
            password,
            options.allow_default_password,
        )?;
        // what each new device would get: a configuration line the CLI refuses stops the start
        let initials = topology
            .devices
            .iter()
            .map(|spec| {
                let mut initial = initial_of(&topology, spec)?;
                if let Some(password) = password {
                    with_admin_password(&mut initial, password.reveal());
                }
                Ok(initial)
            })
            .collect::<Result<Vec<_>, LabError>>()?;
        let (needed, wanted) = LabGates::files(&topology);
        let gates = LabGates::new(
            &topology,
            crate::admission::descriptor_limit(needed, wanted),
        )?;
        tracing::info!("connections: {}", gates.describe());
        let with_web = options.cdm_http.is_some();
        let with_health = options.lab_http.is_some();
        super::ports::check(
            &topology,
            with_web,
            with_health,
            super::ports::ephemeral_range(),
        )?;
        let (listeners, api_listeners) = bind_ports(&topology, with_web)?;
        let health_listener = match with_health {
            true => Some(bind_health(&topology)?),
            false => None,
        };
        // Checked: from here on the state directory is written. A new one is private from the
        // start (no "tightened" warning for it).
        crate::persist::create_private_dir_all(&dir).map_err(io_error(&dir))?;
        let lock = super::lock::StateDirLock::acquire(&dir)?;
        warn_if_exposed(&topology, password.is_some());
        // Passwords, host keys and CMS data: nobody else on the host reads them, also the files
        // an older version left 0644 (each device's folder as the device is opened).
        // the devices' folders the topology leaves out: listed once, made private and told
        let left_out = other_device_folders(&dir, &topology);
        let mut tightened = tighten_state_dir(&dir, &left_out).map_err(io_error(&dir))?;
        warn_of_devices_left_out(&dir, &left_out);
        let text = serde_norway::to_string(&topology).unwrap_or_default();
        let topo_path = dir.join(TOPOLOGY_FILE);
        write_atomic(&topo_path, text.as_bytes()).map_err(io_error(&topo_path))?;
        crate::persist::set_durable_writes(topology.lab.durable);

        let clock = options
            .clock
            .unwrap_or_else(|| LabClock::real(topology.lab.speed));
        let boot_time = Duration::from_secs_f64(topology.lab.boot_seconds);
        let poll_interval = Duration::from_secs_f64(topology.lab.poll_seconds);
        // Blocking work on every core, off the async workers.
        let (topology, opened) = {
            let (state_dir, clock) = (dir.clone(), clock.clone());
            let password = password.cloned();
            tokio::task::spawn_blocking(move || {
                let opened =
                    open_devices(&state_dir, &topology, &initials, &clock, password.as_ref());
                (topology, opened)
            })
            .await
            .map_err(|e| match e.try_into_panic() {
                Ok(panic) => std::panic::resume_unwind(panic),
                // the runtime is shutting down
                Err(e) => io_error(&dir)(std::io::Error::other(e)),
            })?
        };
        let opened = opened?;
        // Files created for new devices are written without a sync each, then synced at once.
        let created = opened.iter().any(|o| o.created);
        tightened += opened.iter().map(|o| o.tightened).sum::<usize>();
        if tightened > 0 {
            tracing::warn!(
                state_dir = %dir.display(),
                tightened,
                "files and folders of the state directory were readable by others: now 0600/0700"
            );
        }
        let (devices, keys): (Vec<_>, Vec<_>) =
            opened.into_iter().map(|o| (o.device, o.key)).unzip();
        let mut network = Network::new(devices.iter().cloned());
        network.set_lan(lan_of(&topology));
        let servers = start_servers(&topology, &dir, &mut network, &gates).await?;
        let link = Arc::new(LabLink::new(network));
        let tasks = Tasks::new();
        let mut nodes = Vec::with_capacity(devices.len());
        for (index, ((device, key), spec)) in devices
            .into_iter()
            .zip(keys)
            .zip(&topology.devices)
            .enumerate()
        {
            let queue: Arc<dyn Kick> = link.clone();
            device.set_kicker(Kicker {
                queue: Arc::downgrade(&queue),
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
                handles: Mutex::new(HashMap::new()),
                next_connection: AtomicU64::new(1),
                connections: gates.connections.clone(),
                pre_login: Arc::new(crate::ssh::PreLogin::new(
                    gates.waiting_to_log_in(&spec.name),
                    gates.login_grace,
                )),
                me: me.clone(),
            });
            nodes.push(node);
        }
        let now = clock.now();
        for (node, (_, listener)) in nodes.iter().zip(listeners) {
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
            topology: topology.clone(),
            nodes,
            by_name,
            clock,
            state_dir: dir,
            link,
            poll_interval,
            health_addr: health_listener.as_ref().map(|(addr, _)| *addr),
            servers,
            running: Mutex::new(()),
        });
        // Primaries first: their CMS must be up before the others register. The first round
        // registers every device: one transaction for each CDM's database, not one per device.
        each_cms(&inner.nodes, Cms::begin_batch);
        inner.run_due();
        seed_groups(&inner, &topology);
        fail_interrupted_jobs(&inner);
        each_cms(&inner.nodes, Cms::end_batch);
        tasks.spawn(scheduler(inner.clone()));
        tasks.spawn(super::memory::return_memory(gates.connections.clone()));
        if let Some(http) = &options.cdm_http {
            for (index, _, listener) in api_listeners {
                let listener =
                    TcpListener::from_std(listener).map_err(io_error(&inner.state_dir))?;
                let access = Arc::new(LabCdm {
                    cdm: inner.nodes[index].clone(),
                    inner: Arc::downgrade(&inner),
                });
                // It ends by itself once its connections are closed; the lab's shutdown waits.
                let router = http(access);
                let gate = gates.listener(format_args!(
                    "the HTTP API of {}",
                    inner.nodes[index].spec.name
                ));
                tasks.spawn_graceful(|stop| serve_http("CDM HTTP", listener, router, gate, stop));
            }
        }
        if let (Some(http), Some((_, listener))) = (&options.lab_http, health_listener) {
            let listener = TcpListener::from_std(listener).map_err(io_error(&inner.state_dir))?;
            let router = http(super::LabWatch {
                inner: Arc::downgrade(&inner),
            });
            let gate = gates.listener(format_args!("the health port"));
            tasks.spawn_graceful(|stop| serve_http("health", listener, router, gate, stop));
        }
        let lab = Lab {
            inner,
            tasks,
            lock: Mutex::new(Some(lock)),
        };
        lab.write_info()?;
        if created {
            sync_dir(&lab.inner.state_dir).map_err(io_error(&lab.inner.state_dir))?;
        }
        Ok(lab)
    }
}

/// Runs `step` on the CMS database of each CDM (`Cms::begin_batch`, `Cms::end_batch`); a
/// failure is logged (each write of a batch is checked on its own).
fn each_cms(nodes: &[Arc<Node>], step: impl Fn(&mut Cms) -> Result<(), CmsError>) {
    for node in nodes.iter().filter(|n| n.spec.kind == DeviceKind::Cdm) {
        if let Some(cms) = node.device.state().cms.as_mut() {
            if let Err(e) = step(cms) {
                tracing::error!(device = %node.spec.name, error = %e, "CMS database batch");
            }
        }
    }
}

/// The listeners of a lab: (address, listener) of each device's SSH port, and (device index,
/// address, listener) of each CDM's HTTP port when `cdm_http`; bound (not yet served) before
/// anything is written, so a port in use changes nothing.
#[allow(clippy::type_complexity)]
fn bind_ports(
    topology: &Topology,
    cdm_http: bool,
) -> Result<
    (
        Vec<(SocketAddr, std::net::TcpListener)>,
        Vec<(usize, SocketAddr, std::net::TcpListener)>,
    ),
    LabError,
> {
    let bind = |device: &str, at: SocketAddr| {
        let port_error = |source| {
            if topology.lab.addressing == Addressing::Loopback && at.ip() != topology.lab.listen {
                LabError::LoopbackPort {
                    device: device.to_string(),
                    addr: at,
                    source,
                }
            } else {
                LabError::Port {
                    device: device.to_string(),
                    ip: at.ip(),
                    port: at.port(),
                    source,
                }
            }
        };
        let listener = std::net::TcpListener::bind(at).map_err(port_error)?;
        listener.set_nonblocking(true).map_err(port_error)?;
        let addr = listener.local_addr().map_err(port_error)?;
        Ok::<_, LabError>((addr, listener))
    };
    let local = |port: u16| SocketAddr::new(topology.lab.listen, port);
    let mut listeners = Vec::with_capacity(topology.devices.len());
    let mut api_listeners = Vec::new();
    for (index, spec) in topology.devices.iter().enumerate() {
        listeners.push(bind(&spec.name, topology.ssh_addr_of(index))?);
        if spec.kind == DeviceKind::Cdm && cdm_http {
            let (addr, listener) = bind(&spec.name, local(topology.web_port_of(index)))?;
            api_listeners.push((index, addr, listener));
        }
    }
    Ok((listeners, api_listeners))
}

/// The lab's health port (`/healthz`, `/metrics`), bound on the lab's address before anything
/// is written.
fn bind_health(topology: &Topology) -> Result<(SocketAddr, std::net::TcpListener), LabError> {
    let ip = topology.lab.listen;
    let port = topology.health_port();
    let port_error = |source| LabError::Port {
        device: "the health port".to_string(),
        ip,
        port,
        source,
    };
    let listener = std::net::TcpListener::bind(SocketAddr::new(ip, port)).map_err(port_error)?;
    listener.set_nonblocking(true).map_err(port_error)?;
    let addr = listener.local_addr().map_err(port_error)?;
    Ok((addr, listener))
}

/// Starts the embedded image servers of the topology (filling their folders with the lab's images
/// and meta files) and puts every server's endpoints on the network.
async fn start_servers(
    topology: &Topology,
    dir: &Path,
    network: &mut Network,
    gates: &LabGates,
) -> Result<Vec<(ServerSpec, Option<ImageServer>, ServerEndpoints)>, LabError> {
    let mut servers = Vec::new();
    for (index, spec) in topology.servers.iter().enumerate() {
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
                    rate_kbps: spec.rate_kbps,
                },
            )
        } else {
            // A relative folder is one of the state directory's.
            let folder = match &spec.folder {
                Some(folder) => dir.join(folder),
                None => dir.join("servers").join(&spec.name),
            };
            crate::persist::create_private_dir_all(&folder).map_err(io_error(&folder))?;
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
            // writing images is seconds of disk work for large ones: off the async workers
            let writing = folder.clone();
            tokio::task::spawn_blocking(move || {
                crate::images::populate_lab_folder(&writing, &images)
            })
            .await
            .map_err(|e| fail(e.to_string()))?
            .map_err(|e| fail(e.to_string()))?;
            // in the state directory, the images and meta files (with the FTP login) are the lab
            // user's only; a folder of the user's own elsewhere is left as it is
            if folder.starts_with(dir) {
                crate::persist::tighten_tree(&folder).map_err(io_error(&folder))?;
            }
            let (ftp_port, http_port) = topology.server_ports_of(index);
            let server = ImageServer::start_limited(
                folder,
                topology.lab.listen,
                ftp_port,
                http_port,
                &spec.user,
                &spec.password,
                ServerGates {
                    ftp: gates.listener(format_args!("the FTP server of {}", spec.name)),
                    http: gates.listener(format_args!("the HTTP server of {}", spec.name)),
                    connections: gates.connections.clone(),
                },
            )
            .await
            .map_err(|e| fail(e.to_string()))?;
            // the devices' transfers connect from this host
            let endpoints = ServerEndpoints {
                ftp: Some(super::listen::reachable(server.ftp_addr())),
                http: Some(super::listen::reachable(server.http_addr())),
                rate_kbps: spec.rate_kbps,
            };
            (Some(server), endpoints)
        };
        network.add_server(&spec.name, spec.ip, endpoints);
        servers.push((spec.clone(), embedded, endpoints));
    }
    Ok(servers)
}

/// Says, once at start, which devices of the state directory the topology leaves out (a lab
/// started again with a smaller topology): their folders are kept as they were, unused, and the
/// CDMs' databases still list them, as a real CDM keeps a device that stopped reporting.
fn warn_of_devices_left_out(dir: &Path, left_out: &[std::path::PathBuf]) {
    let mut names: Vec<String> = left_out
        .iter()
        .filter_map(|p| p.file_name().map(|n| n.to_string_lossy().into_owned()))
        .collect();
    if names.is_empty() {
        return;
    }
    names.sort();
    tracing::warn!(
        state_dir = %dir.display(),
        devices = %names.join(", "),
        "devices of this state directory are not in the topology: their folders are kept, unused, and the CDMs' databases and device groups still list them (offline); remove devices/NAME, or start with another --state-dir for a clean lab"
    );
}

/// Says, once at start, that other hosts reach the lab and with which login (never the password).
fn warn_if_exposed(topology: &Topology, password_given: bool) {
    let listen = topology.lab.listen;
    if !super::listen::is_exposed(listen) {
        return;
    }
    if password_given {
        tracing::warn!(
            %listen,
            "the lab listens where other hosts reach it (device SSH, the CDMs' web GUI and API, the image servers, the health port); every device's admin account has the password given"
        );
    } else {
        tracing::warn!(
            %listen,
            "the lab listens where other hosts reach it (device SSH, the CDMs' web GUI and API, the image servers, the health port) with the DEFAULT login admin/default (--allow-default-password): anyone who reaches this host can log in"
        );
    }
}

/// `initial` with the `admin` account (privilege 15) given `password`, in its startup
/// configuration and in the running one it boots with.
fn with_admin_password(initial: &mut Initial, password: &str) {
    for config in std::iter::once(&mut initial.startup).chain(initial.running.as_mut()) {
        config.users.insert(
            "admin".to_string(),
            crate::config::User {
                password: password.to_string(),
                privilege: 15,
            },
        );
    }
}

/// The shape of the lab network a topology describes: gateway, prefix, each link's latency.
fn lan_of(topology: &Topology) -> Lan {
    let ms = |ms: f64| std::time::Duration::from_secs_f64(ms / 1000.0);
    let devices = topology.devices.iter().map(|d| (d.ip, d.latency_ms));
    let servers = topology.servers.iter().map(|s| (s.ip, s.latency_ms));
    Lan {
        gateway: Some(topology.lab.gateway),
        prefix: topology.lab.prefix,
        latency: ms(topology.lab.latency_ms),
        latencies: devices
            .chain(servers)
            .filter_map(|(ip, latency)| Some((ip, ms(latency?))))
            .collect(),
    }
}

/// What a device gets the first time it is created: the topology's `startup_config` or the
/// configuration made from the topology ([`initial_config`]), and what it carries into its first
/// boot (`running_config`, `pending_version`). A configuration line the configuration mode
/// refuses is an error: the topology asks for something the lab cannot give.
pub(super) fn initial_of(topology: &Topology, spec: &DeviceSpec) -> Result<Initial, LabError> {
    let read = |key: &'static str, text: &str| {
        let (config, rejected) = crate::commands::load_config_text(text, &spec.name, spec.kind);
        match rejected.into_iter().next() {
            None => Ok(config),
            Some((line, message)) => Err(LabError::Config {
                device: spec.name.clone(),
                key,
                line,
                message,
            }),
        }
    };
    let startup = match &spec.startup_config {
        Some(text) => read("startup_config", text)?,
        None => initial_config(topology, spec),
    };
    let running = spec
        .running_config
        .as_deref()
        .map(|text| read("running_config", text))
        .transpose()?;
    Ok(Initial {
        startup,
        running,
        pending_version: spec.pending_version,
    })
}

/// The configuration a device gets the first time it is created, unless the topology gives its
/// `startup_config`: hostname, address, gateway, the admin account, its CDM role and the primary
/// CDM's address, CMS as the topology says.
pub(super) fn initial_config(topology: &Topology, spec: &DeviceSpec) -> Config {
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

/// Takes away other users' access to the state directory and what the lab keeps in it (its own
/// files, `devices/`, `servers/`): only those, as the directory may hold other files of the user.
/// The folders of the topology's devices are left to [`open_devices`], which makes each private
/// as it opens the device; `left_out` are the folders of devices no longer in the topology.
/// Returns how many files and folders were tightened.
fn tighten_state_dir(dir: &Path, left_out: &[std::path::PathBuf]) -> std::io::Result<usize> {
    let private = |path: &Path| {
        std::fs::symlink_metadata(path).map(|m| {
            m.file_type().is_symlink()
                || std::os::unix::fs::PermissionsExt::mode(&m.permissions()) & 0o077 == 0
        })
    };
    let mut tightened = 0;
    for path in [dir.to_path_buf(), dir.join("devices")] {
        if path.exists() && !private(&path)? {
            crate::persist::make_private(&path)?;
            tightened += 1;
        }
    }
    for path in [TOPOLOGY_FILE, "lab.json", "servers"]
        .into_iter()
        .map(|name| dir.join(name))
        .chain(left_out.iter().cloned())
    {
        if std::fs::symlink_metadata(&path).is_ok() {
            tightened += crate::persist::tighten_tree(&path)?;
        }
    }
    Ok(tightened)
}
