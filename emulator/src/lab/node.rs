//! One device of a running lab: its SSH listener (closed and opened again by reboots), its
//! connections, and the async edge of its power state machine (boot timers, closing sessions).

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, Weak};
use std::time::Duration;

use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;
use tracing::Instrument as _;

use super::lock;
use crate::admission::Gate;
use crate::device::{Device, PowerEffect, PowerEvent};
use crate::network::{Job, LabLink};
use crate::owned::{Backoff, Tasks};
use crate::topology::DeviceSpec;

/// Binds a listening socket on `addr` without waiting (address reuse on, as tokio's own bind).
pub(super) fn bind_now(addr: SocketAddr) -> std::io::Result<TcpListener> {
    let socket = if addr.is_ipv4() {
        tokio::net::TcpSocket::new_v4()?
    } else {
        tokio::net::TcpSocket::new_v6()?
    };
    socket.set_reuseaddr(true)?;
    socket.bind(addr)?;
    socket.listen(1024)
}

/// One device of a running lab with its SSH endpoint.
pub struct Node {
    pub(super) index: usize,
    pub(super) device: Arc<Device>,
    pub(super) link: Arc<LabLink>,
    pub(super) spec: DeviceSpec,
    pub(super) addr: SocketAddr,
    /// CDMs: where the HTTP API listens.
    pub(super) api_addr: Option<SocketAddr>,
    pub(super) ssh: Arc<russh::server::Config>,
    pub(super) boot_time: Duration,
    /// The lab's owned tasks: this node's listener, connections and long CLI tasks run there.
    pub(super) tasks: Tasks,
    /// Stops the current listener (a reboot closes the port).
    pub(super) listener: Mutex<Option<CancellationToken>>,
    /// The handles of its open SSH connections, by connection id (a reload closes them).
    pub(super) handles: Mutex<HashMap<u64, russh::server::Handle>>,
    pub(super) next_connection: AtomicU64,
    /// Every connection the lab holds (`lab.limits.connections`): an SSH connection takes a
    /// place for as long as it is open.
    pub(super) connections: Arc<Gate>,
    /// Connections that have not logged in yet (`lab.limits.unauthenticated_per_device`).
    pub(super) pre_login: Arc<crate::ssh::PreLogin>,
    pub(super) me: Weak<Node>,
}

impl Node {
    pub fn device(&self) -> &Arc<Device> {
        &self.device
    }

    /// A CLI session on this device for `user` (already authenticated) with `privilege`, from
    /// `peer`, on the lab's network.
    pub fn session(&self, user: &str, privilege: u8, peer: &str) -> crate::session::Session {
        crate::session::Session::new(
            self.device.clone(),
            Some(self.link.clone()),
            user,
            privilege,
            peer,
        )
    }

    /// The lab the device is on: its network (and the scheduler's queue).
    pub fn lab(&self) -> &Arc<LabLink> {
        &self.link
    }

    pub fn spec(&self) -> &DeviceSpec {
        &self.spec
    }

    /// Where a client on this host reaches the device's SSH server (the address it listens on,
    /// loopback when that is the wildcard).
    pub fn ssh_addr(&self) -> SocketAddr {
        super::listen::reachable(self.addr)
    }

    /// Where a client on this host reaches the CDM's web GUI and API (CDMs only).
    pub fn web_addr(&self) -> Option<SocketAddr> {
        self.api_addr.map(super::listen::reachable)
    }

    /// Reloads the device: closes its sessions, refuses SSH while it boots, then comes back with its
    /// startup configuration (and a pending image, if any).
    pub fn reload(&self) {
        tracing::info!(device = %self.spec.name, "reload");
        if self.device.state().power == crate::device::Power::Running {
            crate::agent::going_offline(&self.device, &self.link.network);
        }
        let effects = self.device.power_event(PowerEvent::Reload);
        self.carry_out(&effects);
    }

    /// The boot timer ran out: the device comes up and its CMS agent runs at once.
    pub(super) fn boot_complete(&self) {
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
                    // a port often needs a moment to be free again after a reload: only a long
                    // wait is worth a warning
                    if attempt < 10 {
                        tracing::debug!(device = %self.spec.name, attempt, error = %e, "cannot listen again yet");
                    } else {
                        tracing::warn!(device = %self.spec.name, attempt, error = %e, "cannot listen again yet");
                    }
                    tokio::time::sleep(Duration::from_millis(100)).await;
                }
            }
        }
        tracing::error!(device = %self.spec.name, "gave up listening after reboot");
    }

    pub(super) fn serve(self: &Arc<Self>, listener: TcpListener) {
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
                    let (socket, peer) = backoff.accept("SSH", || listener.accept()).await;
                    me.connect(socket, peer);
                }
            }
            .instrument(span),
        );
    }

    /// Serves one SSH connection, owned by the lab, in a span naming the device and the peer.
    fn connect(self: &Arc<Self>, socket: tokio::net::TcpStream, peer: SocketAddr) {
        // closed at once when the lab or the device is at a limit: a flood of connections that
        // never log in holds nothing more
        let admitted = self
            .connections
            .enter()
            .and_then(|pass| Ok((pass, self.pre_login.admit()?)));
        let (pass, ticket) = match admitted {
            Ok(admitted) => admitted,
            Err(refused) => {
                refused.log(&self.spec.name, peer);
                return;
            }
        };
        let id = self.next_connection.fetch_add(1, Ordering::Relaxed);
        let span = tracing::info_span!(
            "ssh",
            device = %self.spec.name,
            %peer,
            connection = id,
            user = tracing::field::Empty
        );
        let handler =
            crate::ssh::Connection::new(self.clone(), Some(peer), id, ticket.clone(), span.clone());
        let config = self.ssh.clone();
        let login_grace = self.pre_login.grace();
        self.tasks.spawn(
            async move {
                tracing::debug!("connected");
                let _ = socket.set_nodelay(true);
                let grace = tokio::time::sleep(login_grace);
                tokio::pin!(grace);
                let session = tokio::select! {
                    started = russh::server::run_stream(config, socket, handler) => started,
                    _ = &mut grace => {
                        tracing::debug!("no login within the grace time; closed");
                        return;
                    }
                };
                let session = match session {
                    Ok(session) => session,
                    Err(e) => {
                        tracing::debug!(error = %e, "ssh handshake failed");
                        return;
                    }
                };
                tokio::pin!(session);
                let ended = tokio::select! {
                    ended = &mut session => Some(ended),
                    _ = &mut grace, if !ticket.is_logged_in() => None,
                };
                let ended = match ended {
                    Some(ended) => ended,
                    None if !ticket.is_logged_in() => {
                        tracing::debug!("no login within the grace time; closed");
                        return;
                    }
                    None => session.await,
                };
                drop(ticket);
                drop(pass);
                match ended {
                    Ok(()) => tracing::info!("session closed"),
                    Err(e) => tracing::info!(error = %e, "session closed with an error"),
                }
            }
            .instrument(span),
        );
    }

    /// Whether its SSH port accepts connections now (not while it boots, nor while a listener
    /// waits for the port after a reboot).
    pub fn is_listening(&self) -> bool {
        lock(&self.listener)
            .as_ref()
            .is_some_and(|token| !token.is_cancelled())
    }

    pub(super) fn stop_listening(&self) {
        if let Some(token) = lock(&self.listener).take() {
            token.cancel();
        }
    }

    pub(crate) fn remember_connection(&self, id: u64, handle: russh::server::Handle) {
        lock(&self.handles).insert(id, handle);
    }

    pub(crate) fn forget_connection(&self, id: u64) {
        lock(&self.handles).remove(&id);
    }

    pub(super) fn close_connections(&self) {
        let handles: Vec<_> = lock(&self.handles).drain().map(|(_, h)| h).collect();
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
        lock(&self.handles).len()
    }
}

impl crate::ssh::Host for Node {
    fn device(&self) -> &Arc<Device> {
        &self.device
    }

    fn lab(&self) -> Arc<LabLink> {
        self.link.clone()
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
