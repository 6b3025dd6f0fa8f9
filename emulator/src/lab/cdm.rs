//! What a CDM's HTTP front ends (the JSON API, the web pages) reach of the lab: the CDM they serve,
//! the other devices, the lab's owned tasks for upgrade jobs. The lab serves each CDM's HTTP port
//! with the router its caller hands it ([`super::LabOptions::cdm_http`]); it knows no routes.

use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Weak};

use tracing::Instrument as _;

use super::{Inner, Node};
use crate::config::CdmRole;
use crate::topology::Topology;
use crate::upgrade::{self, Target, UpgradeError};

/// What a CDM's HTTP front ends need from the lab.
pub trait CdmAccess: Send + Sync + 'static {
    /// The CDM the port belongs to.
    fn cdm(&self) -> Arc<Node>;
    /// Any device of the lab by name (to run its upgrade job).
    fn node(&self, name: &str) -> Option<Arc<Node>>;
    /// Runs an upgrade job as one of the lab's owned tasks (stopped with the lab).
    fn spawn_job(&self, job: Pin<Box<dyn Future<Output = ()> + Send>>);
    /// The address this CDM's HTTP port is bound to (the lab's `listen` address and the port).
    fn http_addr(&self) -> Option<std::net::SocketAddr>;
}

/// The lab as one CDM's HTTP front ends hold it.
pub type CdmShared = Arc<dyn CdmAccess>;

/// Builds what one CDM serves on its HTTP port (given by the front end: `crate::api::service`).
pub type CdmHttp = Arc<dyn Fn(CdmShared) -> axum::Router + Send + Sync>;

/// [`CdmAccess`] for one CDM of a running lab: the CDM itself (kept while a connection of its
/// HTTP port lives), the rest of the lab by a weak reference (gone once the lab is).
pub(super) struct LabCdm {
    pub(super) cdm: Arc<Node>,
    pub(super) inner: Weak<Inner>,
}

impl CdmAccess for LabCdm {
    fn cdm(&self) -> Arc<Node> {
        self.cdm.clone()
    }

    fn node(&self, name: &str) -> Option<Arc<Node>> {
        let inner = self.inner.upgrade()?;
        inner.by_name.get(name).map(|&i| inner.nodes[i].clone())
    }

    fn spawn_job(&self, job: Pin<Box<dyn Future<Output = ()> + Send>>) {
        if !self.cdm.tasks.stopping() {
            self.cdm.tasks.spawn(job);
        }
    }

    fn http_addr(&self) -> Option<std::net::SocketAddr> {
        self.cdm.api_addr
    }
}

/// How long a CDM's HTTP port waits for the next piece of a request body (a JSON or form body is
/// a few hundred bytes: it comes at once from any real client).
pub const BODY_READ_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(10);

/// Serves `router` on an HTTP `listener` (`what`: a CDM's, the health port) until `stop`: then it stops accepting, lets the
/// requests under way finish and closes its connections, and ends once they are closed. Each
/// connection has the header-read timeout of the lab's HTTP servers
/// (`images::server::HEADER_READ_TIMEOUT`), which `axum::serve` cannot set, and takes a place in
/// `gate` (closed at once when there is none); a request body that stops arriving for
/// [`BODY_READ_TIMEOUT`] fails its request (400) instead of holding the connection. What is
/// logged while a connection is served carries its `http{peer=...}` span.
pub(super) async fn serve_http(
    what: &'static str,
    listener: tokio::net::TcpListener,
    router: axum::Router,
    gate: std::sync::Arc<crate::admission::Gate>,
    stop: tokio_util::sync::CancellationToken,
) {
    let router = router.layer(tower_http::timeout::RequestBodyTimeoutLayer::new(
        BODY_READ_TIMEOUT,
    ));
    let connections = tokio_util::task::TaskTracker::new();
    let mut backoff = crate::owned::Backoff::default();
    loop {
        let (stream, peer) = tokio::select! {
            _ = stop.cancelled() => break,
            accepted = backoff.accept(what, || listener.accept()) => accepted,
        };
        let pass = match gate.enter() {
            Ok(pass) => pass,
            Err(refused) => {
                refused.log(what, peer);
                continue;
            }
        };
        let (router, stop) = (router.clone(), stop.clone());
        // what the handlers log (a failed login) says which client it was
        let span = tracing::info_span!("http", %peer);
        connections.spawn(tracing::Instrument::instrument(
            async move {
                let _pass = pass;
                let service = hyper::service::service_fn(move |request| {
                    let mut router = router.clone();
                    async move { tower_service::Service::call(&mut router, request).await }
                });
                let connection = hyper::server::conn::http1::Builder::new()
                    .timer(hyper_util::rt::TokioTimer::new())
                    .header_read_timeout(crate::images::server::HEADER_READ_TIMEOUT)
                    .serve_connection(hyper_util::rt::TokioIo::new(stream), service);
                let mut connection = std::pin::pin!(connection);
                tokio::select! {
                    _ = connection.as_mut() => {}
                    _ = stop.cancelled() => {
                        connection.as_mut().graceful_shutdown();
                        let _ = connection.await;
                    }
                }
            },
            span,
        ));
    }
    drop(listener);
    connections.close();
    connections.wait().await;
}

/// Creates the upgrade jobs of `target` to registered file `file` and starts them in the
/// background; returns the job ids. Shared by the API and the web pages.
pub fn start_upgrade(
    lab: &CdmShared,
    file: i64,
    target: &Target,
) -> Result<Vec<i64>, UpgradeError> {
    let cdm = lab.cdm();
    let now = cdm.device().clock().now().to_rfc3339();
    let cdm_version = cdm.device().state().version;
    let created = upgrade::with_primary(cdm.device(), |cms| {
        upgrade::create_jobs(cms, cdm_version, file, target, &now)
    })?;
    for (id, name, meta) in created.run {
        let Some(node) = lab.node(&name) else {
            continue;
        };
        node.device().log(format!(
            "%ACNS-6-UPGRADE: {}",
            crate::text::upgrade::PROCEEDING
        ));
        tracing::info!(device = %name, job = id, "upgrade job started");
        let cdm_device = cdm.device().clone();
        let span = tracing::info_span!("upgrade_job", job = id, device = %name);
        lab.spawn_job(Box::pin(
            async move {
                let device = node.device().clone();
                let link = node.link.clone();
                upgrade::run_job(cdm_device, device, &link.network, id, meta, move || {
                    node.reload()
                })
                .await;
            }
            .instrument(span),
        ));
    }
    Ok(created.ids)
}

/// Registers a meta file URL (System > Software Update): fetches the meta file from its server as
/// the CDM reaches it, checks it, records it. Shared by the API and the web pages.
pub async fn register_file(
    lab: &CdmShared,
    url: &str,
    user: Option<&str>,
    password: Option<&str>,
) -> Result<upgrade::FileView, UpgradeError> {
    let cdm = lab.cdm();
    upgrade::with_primary(cdm.device(), |_| Ok(()))?;
    let bytes = upgrade::fetch(&cdm.link.network, url, user, password).await?;
    let now = cdm.device().clock().now().to_rfc3339();
    upgrade::with_primary(cdm.device(), |cms| {
        upgrade::register(cms, url, &bytes, &now)
    })
}

/// Puts the topology's device groups into the primary CDM's database (when missing).
pub(super) fn seed_groups(inner: &Inner, topology: &Topology) {
    let mut groups: std::collections::BTreeMap<&str, Vec<String>> = Default::default();
    for d in &topology.devices {
        for g in &d.groups {
            groups.entry(g).or_default().push(d.name.clone());
        }
    }
    let Some(primary) = primary(inner) else {
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

/// Marks the jobs a stopped lab left unfinished as failed, with the reason, in the primary CDM's
/// database and in each device's log.
pub(super) fn fail_interrupted_jobs(inner: &Inner) {
    let Some(primary) = primary(inner) else {
        return;
    };
    let now = primary.device.clock().now().to_rfc3339();
    let failed = crate::upgrade::with_primary(&primary.device, |cms| {
        crate::upgrade::fail_unfinished(cms, &now)
    });
    match failed {
        Ok(failed) => {
            for (job, device) in failed {
                tracing::warn!(job, device, "upgrade job left unfinished by a stop: failed");
                if let Some(&i) = inner.by_name.get(&device) {
                    inner.nodes[i].device.log(format!(
                        "%ACNS-3-UPGRADE: {}: {}",
                        crate::text::upgrade::FAILED,
                        crate::text::upgrade::STOPPED
                    ));
                }
            }
        }
        Err(e) => tracing::debug!(error = %e, "unfinished upgrade jobs not checked"),
    }
}

/// The primary CDM of the lab, if it has one.
fn primary(inner: &Inner) -> Option<&Arc<Node>> {
    inner
        .nodes
        .iter()
        .find(|n| n.device.cdm_role() == Some(CdmRole::Primary))
}
