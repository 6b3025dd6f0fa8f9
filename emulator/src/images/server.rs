//! The embedded image servers: one FTP server (libunftp, file-system back-end) and one HTTP server
//! (hyper) serving the same folder on 127.0.0.1 (a lab's `listen` address), as the lab's image server (spec §11).
//!
//! This module owns their lifecycle: start (port 0 picks a free port), stop (both stop listening and
//! open sessions are cut, so devices see `connection refused` — the "server down" fault), restart on
//! the same ports. FTP needs the configured user and password (anonymous is refused unless it is the
//! configured user); HTTP answers `GET` and `HEAD`, `404` for anything that is not a file in the
//! folder. Uploads (`STOR`) land in the folder too.

use std::convert::Infallible;
use std::fmt::Debug;
use std::io;
use std::net::{Shutdown, SocketAddr};
use std::path::{Component, Path, PathBuf};
use std::sync::Arc;

use crate::admission::Gate;
use crate::owned::{Backoff, Tasks};
use bytes::Bytes;
use futures_util::TryStreamExt;
use http_body_util::combinators::BoxBody;
use http_body_util::{BodyExt, Empty, Full, StreamBody};
use hyper::body::{Frame, Incoming};
use hyper::header::{HeaderValue, ALLOW, CONTENT_LENGTH, CONTENT_TYPE};
use hyper::{Method, Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use tokio::net::{TcpListener, TcpStream};
use unftp_core::auth::{AuthenticationError, Authenticator, Credentials, DefaultUser, Principal};
use unftp_core::storage::{self, StorageBackend};
use unftp_sbe_fs::Filesystem;

/// Why an image server could not start.
#[derive(Debug, thiserror::Error)]
pub enum ServerError {
    #[error("image folder {0} does not exist or is not a directory")]
    Folder(PathBuf),
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        addr: SocketAddr,
        #[source]
        source: io::Error,
    },
}

/// An FTP server and an HTTP server serving one folder on loopback.
pub struct ImageServer {
    inner: Arc<Inner>,
}

struct Inner {
    folder: PathBuf,
    user: String,
    password: String,
    ftp_addr: SocketAddr,
    http_addr: SocketAddr,
    gates: ServerGates,
    running: tokio::sync::Mutex<Option<Running>>,
}

/// How many connections the servers take at once: a place in `ftp` or `http` for each
/// connection (each inside the lab's connections), and for an FTP session one more in
/// `connections` for its data connection.
#[derive(Clone)]
pub struct ServerGates {
    pub ftp: Arc<Gate>,
    pub http: Arc<Gate>,
    pub connections: Arc<Gate>,
}

impl ServerGates {
    /// The gates of a server on its own (not part of a lab): `per_listener` connections each.
    pub fn alone(per_listener: usize) -> ServerGates {
        let connections = Gate::new("connections of the image server", per_listener * 4);
        ServerGates {
            ftp: Gate::inside(&connections, "FTP connections", per_listener),
            http: Gate::inside(&connections, "HTTP connections", per_listener),
            connections,
        }
    }
}

/// Connections per listener of a server started on its own ([`ImageServer::start`]).
const CONNECTIONS_ALONE: usize = 64;

/// The servers' accept loops and connections, stopped together.
struct Running {
    tasks: Tasks,
}

/// How long [`ImageServer::stop`] waits for the loops and connections to end.
const STOP_GRACE: std::time::Duration = std::time::Duration::from_secs(5);

const LOOPBACK: [u8; 4] = [127, 0, 0, 1];
/// Read size for HTTP responses.
const HTTP_CHUNK: usize = 256 * 1024;

impl ImageServer {
    /// Starts both servers on 127.0.0.1 (`0` picks a free port) serving `folder`.
    pub async fn start(
        folder: PathBuf,
        ftp_port: u16,
        http_port: u16,
        user: &str,
        password: &str,
    ) -> Result<Self, ServerError> {
        let gates = ServerGates::alone(CONNECTIONS_ALONE);
        let ip = std::net::IpAddr::from(LOOPBACK);
        Self::start_limited(folder, ip, ftp_port, http_port, user, password, gates).await
    }

    /// [`ImageServer::start`] on `ip` (a lab's `listen` address) within `gates` (a lab's).
    pub async fn start_limited(
        folder: PathBuf,
        ip: std::net::IpAddr,
        ftp_port: u16,
        http_port: u16,
        user: &str,
        password: &str,
        gates: ServerGates,
    ) -> Result<Self, ServerError> {
        if !folder.is_dir() {
            return Err(ServerError::Folder(folder));
        }
        let folder = folder.canonicalize().unwrap_or(folder);
        let ftp = bind(SocketAddr::new(ip, ftp_port)).await?;
        let http = bind(SocketAddr::new(ip, http_port)).await?;
        let local =
            |l: &TcpListener, port| l.local_addr().unwrap_or_else(|_| SocketAddr::new(ip, port));
        let inner = Arc::new(Inner {
            folder,
            user: user.to_string(),
            password: password.to_string(),
            ftp_addr: local(&ftp, ftp_port),
            http_addr: local(&http, http_port),
            gates,
            running: tokio::sync::Mutex::new(None),
        });
        *inner.running.lock().await = Some(Inner::spawn(&inner, ftp, http));
        Ok(Self { inner })
    }

    pub fn ftp_addr(&self) -> SocketAddr {
        self.inner.ftp_addr
    }

    pub fn http_addr(&self) -> SocketAddr {
        self.inner.http_addr
    }

    /// The folder served.
    pub fn folder(&self) -> &Path {
        &self.inner.folder
    }

    pub async fn is_running(&self) -> bool {
        self.inner.running.lock().await.is_some()
    }

    /// Stops both servers: when this returns, new connections are refused; open sessions are cut.
    pub async fn stop(&self) {
        let running = self.inner.running.lock().await.take();
        if let Some(running) = running {
            running.tasks.shutdown(STOP_GRACE).await;
        }
    }

    /// Starts the servers again on the same ports (no-op when running).
    pub async fn restart(&self) -> Result<(), ServerError> {
        let mut running = self.inner.running.lock().await;
        if running.is_some() {
            return Ok(());
        }
        let ftp = bind(self.inner.ftp_addr).await?;
        let http = bind(self.inner.http_addr).await?;
        *running = Some(Inner::spawn(&self.inner, ftp, http));
        Ok(())
    }
}

impl Drop for ImageServer {
    fn drop(&mut self) {
        if let Ok(mut running) = self.inner.running.try_lock() {
            if let Some(running) = running.take() {
                running.tasks.cancel();
            }
        }
    }
}

async fn bind(addr: SocketAddr) -> Result<TcpListener, ServerError> {
    TcpListener::bind(addr)
        .await
        .map_err(|source| ServerError::Bind { addr, source })
}

impl Inner {
    fn spawn(this: &Arc<Self>, ftp: TcpListener, http: TcpListener) -> Running {
        let tasks = Tasks::new();
        tasks.spawn(ftp_accept(this.clone(), ftp, tasks.clone()));
        tasks.spawn(http_accept(this.clone(), http, tasks.clone()));
        Running { tasks }
    }
}

// ---------------------------------------------------------------------------------------------
// FTP

#[derive(Debug)]
struct LabAuth {
    user: String,
    password: String,
}

#[async_trait::async_trait]
impl Authenticator for LabAuth {
    async fn authenticate(
        &self,
        username: &str,
        creds: &Credentials,
    ) -> Result<Principal, AuthenticationError> {
        if username != self.user {
            return Err(AuthenticationError::BadUser);
        }
        if creds.password.as_deref() != Some(self.password.as_str()) {
            return Err(AuthenticationError::BadPassword);
        }
        Ok(Principal {
            username: username.to_string(),
        })
    }
}

/// Accepts FTP sessions until stopped; each runs as one of `tasks` (cut when they stop).
async fn ftp_accept(inner: Arc<Inner>, listener: TcpListener, tasks: Tasks) {
    let auth: Arc<LabAuth> = Arc::new(LabAuth {
        user: inner.user.clone(),
        password: inner.password.clone(),
    });
    let mut backoff = Backoff::default();
    loop {
        let (stream, peer) = backoff.accept("FTP", || listener.accept()).await;
        // a place for the session and one for its data connection
        let passes = inner
            .gates
            .ftp
            .enter()
            .and_then(|control| Ok((control, inner.gates.connections.enter()?)));
        let passes = match passes {
            Ok(passes) => passes,
            Err(refused) => {
                refused.log("FTP", peer);
                continue;
            }
        };
        let root = inner.folder.clone();
        let auth = auth.clone();
        tasks.spawn(async move {
            let _passes = passes;
            // Keep a handle on the control socket so a stop cuts the session (the FTP server's
            // own tasks hold the stream).
            let Ok((stream, control)) = split_handle(stream) else {
                return;
            };
            let _cut = CutOnDrop(control);
            if Filesystem::new(root.clone()).is_err() {
                return;
            }
            let server = libunftp::ServerBuilder::with_authenticator(
                Box::new(move || FastFs {
                    inner: Filesystem::new(root.clone())
                        .expect("image folder checked at connection"),
                }),
                auth,
            )
            .greeting("acnslab image server ready")
            .logger(slog::Logger::root(slog::Discard, slog::o!()))
            .idle_session_timeout(300)
            .build();
            let Ok(server) = server else {
                return;
            };
            let _ = server.service(stream).await;
        });
    }
}

/// Shuts a socket down when dropped: when a stop drops the session's future, or it ends.
struct CutOnDrop(std::net::TcpStream);

impl Drop for CutOnDrop {
    fn drop(&mut self) {
        let _ = self.0.shutdown(Shutdown::Both);
    }
}

/// The file-system back-end with large reads for downloads (its own reads are 4 KiB, each a
/// blocking-pool round trip, which caps FTP throughput well under the disk's).
#[derive(Debug)]
struct FastFs {
    inner: Filesystem,
}

const FTP_READ_BUF: usize = 1 << 20;

#[async_trait::async_trait]
impl StorageBackend<DefaultUser> for FastFs {
    type Metadata = <Filesystem as StorageBackend<DefaultUser>>::Metadata;

    fn name(&self) -> &str {
        "acnslab image folder"
    }

    fn supported_features(&self) -> u32 {
        StorageBackend::<DefaultUser>::supported_features(&self.inner)
    }

    async fn metadata<P: AsRef<Path> + Send + Debug>(
        &self,
        user: &DefaultUser,
        path: P,
    ) -> storage::Result<Self::Metadata> {
        self.inner.metadata(user, path).await
    }

    async fn list<P: AsRef<Path> + Send + Debug>(
        &self,
        user: &DefaultUser,
        path: P,
    ) -> storage::Result<Vec<storage::Fileinfo<PathBuf, Self::Metadata>>> {
        self.inner.list(user, path).await
    }

    async fn get<P: AsRef<Path> + Send + Debug>(
        &self,
        user: &DefaultUser,
        path: P,
        start_pos: u64,
    ) -> storage::Result<Box<dyn tokio::io::AsyncRead + Send + Sync + Unpin>> {
        let reader = self.inner.get(user, path, start_pos).await?;
        Ok(Box::new(tokio::io::BufReader::with_capacity(
            FTP_READ_BUF,
            reader,
        )))
    }

    async fn put<
        P: AsRef<Path> + Send + Debug,
        R: tokio::io::AsyncRead + Send + Sync + Unpin + 'static,
    >(
        &self,
        user: &DefaultUser,
        input: R,
        path: P,
        start_pos: u64,
    ) -> storage::Result<u64> {
        self.inner.put(user, input, path, start_pos).await
    }

    async fn del<P: AsRef<Path> + Send + Debug>(
        &self,
        user: &DefaultUser,
        path: P,
    ) -> storage::Result<()> {
        self.inner.del(user, path).await
    }

    async fn mkd<P: AsRef<Path> + Send + Debug>(
        &self,
        user: &DefaultUser,
        path: P,
    ) -> storage::Result<()> {
        self.inner.mkd(user, path).await
    }

    async fn rename<P: AsRef<Path> + Send + Debug>(
        &self,
        user: &DefaultUser,
        from: P,
        to: P,
    ) -> storage::Result<()> {
        self.inner.rename(user, from, to).await
    }

    async fn rmd<P: AsRef<Path> + Send + Debug>(
        &self,
        user: &DefaultUser,
        path: P,
    ) -> storage::Result<()> {
        self.inner.rmd(user, path).await
    }

    async fn cwd<P: AsRef<Path> + Send + Debug>(
        &self,
        user: &DefaultUser,
        path: P,
    ) -> storage::Result<()> {
        self.inner.cwd(user, path).await
    }
}

/// Returns the stream plus a second handle on the same socket (to shut it down from outside).
fn split_handle(stream: TcpStream) -> io::Result<(TcpStream, std::net::TcpStream)> {
    let std_stream = stream.into_std()?;
    let handle = std_stream.try_clone()?;
    Ok((TcpStream::from_std(std_stream)?, handle))
}

// ---------------------------------------------------------------------------------------------
// HTTP

type Body = BoxBody<Bytes, io::Error>;

/// How long an HTTP server of the lab (this one, a CDM's API) waits for a request's headers,
/// from the connection or the end of the previous request: a client that sends them a byte at a
/// time (slowloris) or never is closed after this.
pub const HEADER_READ_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(10);

/// Accepts HTTP connections until stopped; each runs as one of `tasks` (dropped when they stop).
async fn http_accept(inner: Arc<Inner>, listener: TcpListener, tasks: Tasks) {
    let root = Arc::new(inner.folder.clone());
    let mut backoff = Backoff::default();
    loop {
        let (stream, peer) = backoff.accept("HTTP", || listener.accept()).await;
        let pass = match inner.gates.http.enter() {
            Ok(pass) => pass,
            Err(refused) => {
                refused.log("HTTP", peer);
                continue;
            }
        };
        let _ = stream.set_nodelay(true);
        let root = root.clone();
        tasks.spawn(async move {
            let _pass = pass;
            let service = hyper::service::service_fn(move |req| serve(root.clone(), req));
            let _ = hyper::server::conn::http1::Builder::new()
                .timer(hyper_util::rt::TokioTimer::new())
                .header_read_timeout(HEADER_READ_TIMEOUT)
                .serve_connection(TokioIo::new(stream), service)
                .await;
        });
    }
}

fn simple(status: StatusCode, text: &str) -> Response<Body> {
    let mut resp = Response::new(
        Full::new(Bytes::from(format!("{text}\n")))
            .map_err(|never| match never {})
            .boxed(),
    );
    *resp.status_mut() = status;
    resp.headers_mut()
        .insert(CONTENT_TYPE, HeaderValue::from_static("text/plain"));
    resp
}

/// Maps a request path to a file under `root`; `None` for anything that could leave the folder.
fn resolve(root: &Path, path: &str) -> Option<PathBuf> {
    let decoded = super::meta::percent_decode(path)?;
    let rel = Path::new(decoded.trim_start_matches('/'));
    if decoded.contains('\\') || decoded.contains('\0') {
        return None;
    }
    if !rel.components().all(|c| matches!(c, Component::Normal(_))) {
        return None;
    }
    Some(root.join(rel))
}

async fn serve(root: Arc<PathBuf>, req: Request<Incoming>) -> Result<Response<Body>, Infallible> {
    let head = match *req.method() {
        Method::GET => false,
        Method::HEAD => true,
        _ => {
            let mut resp = simple(StatusCode::METHOD_NOT_ALLOWED, "405 Method Not Allowed");
            resp.headers_mut()
                .insert(ALLOW, HeaderValue::from_static("GET, HEAD"));
            return Ok(resp);
        }
    };
    let not_found = || Ok(simple(StatusCode::NOT_FOUND, "404 Not Found"));
    let Some(path) = resolve(&root, req.uri().path()) else {
        return not_found();
    };
    let Ok(file) = tokio::fs::File::open(&path).await else {
        return not_found();
    };
    let len = match file.metadata().await {
        Ok(m) if m.is_file() => m.len(),
        _ => return not_found(),
    };
    let body: Body = if head {
        Empty::new().map_err(|never| match never {}).boxed()
    } else {
        let stream = tokio_util::io::ReaderStream::with_capacity(file, HTTP_CHUNK);
        StreamBody::new(stream.map_ok(Frame::data)).boxed()
    };
    let mut resp = Response::new(body);
    let headers = resp.headers_mut();
    headers.insert(CONTENT_LENGTH, HeaderValue::from(len));
    let ctype = if path.extension().is_some_and(|e| e == "meta") {
        "text/plain"
    } else {
        "application/octet-stream"
    };
    headers.insert(CONTENT_TYPE, HeaderValue::from_static(ctype));
    Ok(resp)
}
