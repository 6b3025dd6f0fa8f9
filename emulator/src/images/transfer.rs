//! The FTP and HTTP clients devices use: download an image or a meta file, upload a file (e.g. a CMS
//! backup with `copy disk ftp`). Clients: suppaftp (tokio) for FTP, hyper (HTTP/1.1) for HTTP.
//!
//! This module owns the transfer mechanics and their errors only: addresses are the real loopback
//! endpoints (the lab maps virtual addresses first), and error messages never name an address, so a
//! device can print them after `% Error: ` next to the virtual address the user typed.
//! Downloads stream to a temporary sibling ([`super::tmp_path`]: `DIR/.NAME.tmp`) renamed into place
//! when complete, so a failed download never leaves a partial file under the final name and removes
//! its temporary file.
//!
//! Every download and upload goes at the pace of the lab's link to the server ([`Pace`]): data
//! moves in steps of at most [`PACE_STEP`] bytes, and after each step the transfer waits on the lab
//! clock until the link could have carried that much.

use std::io;
use std::net::SocketAddr;
use std::path::Path;
use std::time::Duration;

use bytes::Bytes;
use chrono::{DateTime, Utc};
use http_body_util::{BodyExt, Empty};
use hyper::header::{HeaderValue, CONTENT_LENGTH, HOST};
use hyper::{Request, StatusCode};
use hyper_util::rt::TokioIo;
use suppaftp::tokio::AsyncFtpStream;
use suppaftp::types::FileType;
use suppaftp::{FtpError, Status};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use super::tmp_path;
use crate::clock::LabClock;

/// How long connecting (TCP + greeting) may take.
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
/// Downloads are written to disk in chunks of this size.
const CHUNK: usize = 1 << 20;
/// The most a transfer reads or writes between two looks at its pace (and its progress).
pub const PACE_STEP: usize = 64 * 1024;
/// A transfer ahead of its link by less than this goes on without waiting (no tiny sleeps).
const PACE_SLACK: Duration = Duration::from_millis(20);

/// The pace of a transfer: the rate of the lab's link to the server, on the lab clock. A rate of 0
/// or a virtual clock means no pace at all: a virtual clock moves only when its runner advances
/// it, so a transfer waiting on it would stall a scenario; there transfers are instant.
pub struct Pace {
    link: Option<(LabClock, f64)>,
    started: Option<DateTime<Utc>>,
    /// How long the server may stay silent before the transfer fails.
    idle: Duration,
}

/// How long a server may stay silent (no reply, no data) before a transfer fails with
/// [`TransferError::Stalled`]: a server that stops mid-way never holds a device for ever.
pub const IDLE_TIMEOUT: Duration = Duration::from_secs(30);

/// `step` within the transfer's idle limit.
async fn within<T>(
    idle: Duration,
    step: impl std::future::Future<Output = Result<T, TransferError>>,
) -> Result<T, TransferError> {
    tokio::time::timeout(idle, step)
        .await
        .map_err(|_| TransferError::Stalled(idle.as_secs()))?
}

impl Pace {
    /// As fast as loopback allows.
    pub fn unlimited() -> Pace {
        Pace {
            link: None,
            started: None,
            idle: IDLE_TIMEOUT,
        }
    }

    /// The pace of a link of `rate_kbps` kilobits per lab second on `clock`.
    pub fn link(clock: &LabClock, rate_kbps: u32) -> Pace {
        if rate_kbps == 0 || clock.is_virtual() {
            return Pace::unlimited();
        }
        let bytes_per_second = f64::from(rate_kbps) * 1000.0 / 8.0;
        Pace {
            link: Some((clock.clone(), bytes_per_second)),
            started: None,
            idle: IDLE_TIMEOUT,
        }
    }

    /// The same pace with another limit on the server's silence (tests).
    pub fn with_idle_timeout(mut self, idle: Duration) -> Pace {
        self.idle = idle;
        self
    }

    /// The lab time the link needs for `bytes`, if the transfer is paced.
    pub fn time_for(&self, bytes: u64) -> Option<Duration> {
        let (_, rate) = self.link.as_ref()?;
        Some(Duration::from_secs_f64(bytes as f64 / rate))
    }

    /// Waits until the link could have carried `total` bytes since the transfer began (the first
    /// call, made with 0 when the data starts to flow).
    pub async fn allow(&mut self, total: u64) {
        let Some(due) = self.time_for(total) else {
            return;
        };
        let Some((clock, _)) = &self.link else {
            return;
        };
        let now = clock.now();
        let started = *self.started.get_or_insert(now);
        let elapsed = (now - started).to_std().unwrap_or_default();
        if due > elapsed + PACE_SLACK {
            clock.sleep(due - elapsed).await;
        }
    }
}

/// Why a transfer failed. Every message reads well after `% Error: `.
#[derive(Debug, thiserror::Error)]
pub enum TransferError {
    #[error("cannot connect to the server: {0}")]
    Connect(String),
    #[error("login failed: the server refused the user name or password")]
    Login,
    #[error("file not found on the server: {0}")]
    NotFound(String),
    #[error("directory not found on the server: {0}")]
    NoDirectory(String),
    #[error("the server refused the request: {0}")]
    Server(String),
    #[error("the file is larger than {0} bytes")]
    TooLarge(usize),
    #[error("transfer interrupted: {0}")]
    Interrupted(String),
    #[error("transfer stalled: the server sent nothing for {0} s")]
    Stalled(u64),
    #[error("local file error: {0}")]
    Io(#[from] io::Error),
}

/// An io error as a short phrase, without `(os error N)`.
fn describe(e: &io::Error) -> String {
    match e.kind() {
        io::ErrorKind::ConnectionRefused => "connection refused".into(),
        io::ErrorKind::TimedOut => "connection timed out".into(),
        io::ErrorKind::ConnectionReset => "connection reset by the server".into(),
        io::ErrorKind::UnexpectedEof => "connection closed by the server".into(),
        _ => {
            let s = e.to_string();
            match s.find(" (os error") {
                Some(i) => s[..i].to_string(),
                None => s,
            }
        }
    }
}

fn reply_text(r: &suppaftp::types::Response) -> String {
    let body = String::from_utf8_lossy(&r.body);
    let body = body.trim();
    let code = r.status.code().to_string();
    if body.starts_with(&code) {
        body.to_string()
    } else {
        format!("{code} {body}")
    }
}

/// Maps an FTP error during a session; `missing` names what a 550 reply means is not there.
fn ftp_error(e: FtpError, missing: &str) -> TransferError {
    match e {
        FtpError::ConnectionError(e) => TransferError::Interrupted(describe(&e)),
        FtpError::UnexpectedResponse(r) => match r.status {
            Status::FileUnavailable | Status::BadFilename => {
                TransferError::NotFound(missing.to_string())
            }
            Status::NotLoggedIn | Status::InvalidCredentials => TransferError::Login,
            _ => TransferError::Server(reply_text(&r)),
        },
        other => TransferError::Server(other.to_string()),
    }
}

/// An FTP server and the login to use on it.
#[derive(Debug, Clone, Copy)]
pub struct FtpServer<'a> {
    pub addr: SocketAddr,
    pub user: &'a str,
    pub password: &'a str,
}

impl<'a> FtpServer<'a> {
    pub fn new(addr: SocketAddr, user: &'a str, password: &'a str) -> Self {
        FtpServer {
            addr,
            user,
            password,
        }
    }
}

async fn ftp_session(server: &FtpServer<'_>, dir: &str) -> Result<AsyncFtpStream, TransferError> {
    let FtpServer {
        addr,
        user,
        password,
    } = *server;
    let mut ftp = match tokio::time::timeout(CONNECT_TIMEOUT, TcpStream::connect(addr)).await {
        Err(_) => return Err(TransferError::Connect("connection timed out".into())),
        Ok(Err(e)) => return Err(TransferError::Connect(describe(&e))),
        Ok(Ok(tcp)) => {
            let _ = tcp.set_nodelay(true);
            let greeting = AsyncFtpStream::connect_with_stream(tcp);
            match tokio::time::timeout(CONNECT_TIMEOUT, greeting).await {
                Err(_) => return Err(TransferError::Connect("no greeting from the server".into())),
                Ok(Err(FtpError::ConnectionError(e))) => {
                    return Err(TransferError::Connect(describe(&e)))
                }
                Ok(Err(e)) => return Err(ftp_error(e, "")),
                Ok(Ok(ftp)) => ftp,
            }
        }
    };
    ftp.login(user, password).await.map_err(|e| match e {
        FtpError::UnexpectedResponse(r)
            if matches!(r.status, Status::NotLoggedIn | Status::InvalidCredentials) =>
        {
            TransferError::Login
        }
        e => ftp_error(e, ""),
    })?;
    ftp.transfer_type(FileType::Binary)
        .await
        .map_err(|e| ftp_error(e, ""))?;
    if !dir.is_empty() && dir != "." {
        ftp.cwd(dir).await.map_err(|e| match ftp_error(e, dir) {
            TransferError::NotFound(d) => TransferError::NoDirectory(d),
            other => other,
        })?;
    }
    Ok(ftp)
}

/// Where downloaded bytes go: a file written atomically, or memory with a size limit.
enum Sink<'a> {
    File {
        dest: &'a Path,
        tmp: std::path::PathBuf,
        file: tokio::fs::File,
    },
    Memory {
        data: Vec<u8>,
        limit: usize,
    },
}

impl<'a> Sink<'a> {
    async fn file(dest: &'a Path) -> Result<Sink<'a>, TransferError> {
        let tmp = tmp_path(dest);
        let file = tokio::fs::File::create(&tmp).await?;
        Ok(Sink::File { dest, tmp, file })
    }

    async fn write(&mut self, bytes: &[u8]) -> Result<(), TransferError> {
        match self {
            Sink::File { file, .. } => file.write_all(bytes).await?,
            Sink::Memory { data, limit } => {
                if data.len() + bytes.len() > *limit {
                    return Err(TransferError::TooLarge(*limit));
                }
                data.extend_from_slice(bytes);
            }
        }
        Ok(())
    }

    /// Completes the sink: renames the file into place.
    async fn commit(self) -> Result<Vec<u8>, TransferError> {
        match self {
            Sink::File {
                dest,
                tmp,
                mut file,
            } => {
                file.flush().await?;
                drop(file);
                tokio::fs::rename(&tmp, dest).await?;
                Ok(Vec::new())
            }
            Sink::Memory { data, .. } => Ok(data),
        }
    }

    async fn abandon(self) {
        if let Sink::File { tmp, file, .. } = self {
            drop(file);
            let _ = tokio::fs::remove_file(&tmp).await;
        }
    }
}

async fn ftp_retrieve(
    server: &FtpServer<'_>,
    dir: &str,
    file: &str,
    sink: &mut Sink<'_>,
    pace: &mut Pace,
    progress: &mut (dyn FnMut(u64) + Send),
) -> Result<u64, TransferError> {
    let idle = pace.idle;
    let mut ftp = within(idle, ftp_session(server, dir)).await?;
    let mut stream = within(idle, async {
        ftp.retr_as_stream(file)
            .await
            .map_err(|e| ftp_error(e, file))
    })
    .await?;
    let mut buf = vec![0u8; CHUNK];
    let mut total = 0u64;
    pace.allow(0).await;
    loop {
        let mut filled = 0;
        while filled < buf.len() {
            let step = (filled + PACE_STEP).min(buf.len());
            let n = within(idle, async {
                stream
                    .read(&mut buf[filled..step])
                    .await
                    .map_err(|e| TransferError::Interrupted(describe(&e)))
            })
            .await?;
            if n == 0 {
                break;
            }
            filled += n;
            total += n as u64;
            progress(total);
            pace.allow(total).await;
        }
        if filled == 0 {
            break;
        }
        sink.write(&buf[..filled]).await?;
        if filled < buf.len() {
            break;
        }
    }
    stream.finish().await.map_err(|e| match e {
        // Some servers accept RETR (150) and only then find the file missing.
        FtpError::UnexpectedResponse(r) if r.status == Status::FileUnavailable => {
            TransferError::NotFound(file.to_string())
        }
        FtpError::UnexpectedResponse(r) => {
            TransferError::Interrupted(format!("server reported {}", reply_text(&r)))
        }
        e => ftp_error(e, file),
    })?;
    let _ = ftp.quit().await;
    Ok(total)
}

/// Downloads `dir/file` over FTP into `dest` (via a temporary sibling renamed at the end), calling
/// `progress` with the byte count so far as data arrives. Returns the size downloaded.
pub async fn ftp_download(
    server: &FtpServer<'_>,
    dir: &str,
    file: &str,
    dest: &Path,
    pace: &mut Pace,
    progress: &mut (dyn FnMut(u64) + Send),
) -> Result<u64, TransferError> {
    let mut sink = Sink::file(dest).await?;
    match ftp_retrieve(server, dir, file, &mut sink, pace, progress).await {
        Ok(total) => {
            sink.commit().await?;
            Ok(total)
        }
        Err(e) => {
            sink.abandon().await;
            Err(e)
        }
    }
}

/// Fetches a small file (a meta file) over FTP into memory, refusing files over `limit` bytes.
pub async fn ftp_fetch(
    server: &FtpServer<'_>,
    dir: &str,
    file: &str,
    limit: usize,
) -> Result<Vec<u8>, TransferError> {
    let mut sink = Sink::Memory {
        data: Vec::new(),
        limit,
    };
    let mut pace = Pace::unlimited();
    ftp_retrieve(server, dir, file, &mut sink, &mut pace, &mut |_| {}).await?;
    sink.commit().await
}

/// Uploads `src` to `dir/file` over FTP (replacing it), at `pace`. Returns the size sent.
pub async fn ftp_upload(
    server: &FtpServer<'_>,
    dir: &str,
    file: &str,
    src: &Path,
    pace: &mut Pace,
) -> Result<u64, TransferError> {
    let mut input = tokio::fs::File::open(src).await?;
    let idle = pace.idle;
    let mut ftp = within(idle, ftp_session(server, dir)).await?;
    let mut stream = within(idle, async {
        ftp.put_with_stream(file)
            .await
            .map_err(|e| ftp_error(e, dir))
    })
    .await?;
    let mut buf = vec![0u8; PACE_STEP];
    let mut total = 0u64;
    pace.allow(0).await;
    loop {
        let n = input.read(&mut buf).await?;
        if n == 0 {
            break;
        }
        within(idle, async {
            stream
                .write_all(&buf[..n])
                .await
                .map_err(|e| TransferError::Interrupted(describe(&e)))
        })
        .await?;
        total += n as u64;
        pace.allow(total).await;
    }
    stream.finish().await.map_err(|e| match e {
        FtpError::UnexpectedResponse(r) => {
            TransferError::Interrupted(format!("server reported {}", reply_text(&r)))
        }
        e => ftp_error(e, file),
    })?;
    let _ = ftp.quit().await;
    Ok(total)
}

async fn http_retrieve(
    addr: SocketAddr,
    path: &str,
    sink: &mut Sink<'_>,
    pace: &mut Pace,
    progress: &mut (dyn FnMut(u64) + Send),
) -> Result<u64, TransferError> {
    let tcp = match tokio::time::timeout(CONNECT_TIMEOUT, TcpStream::connect(addr)).await {
        Err(_) => return Err(TransferError::Connect("connection timed out".into())),
        Ok(Err(e)) => return Err(TransferError::Connect(describe(&e))),
        Ok(Ok(tcp)) => tcp,
    };
    let _ = tcp.set_nodelay(true);
    let (mut sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(tcp))
        .await
        .map_err(|e| TransferError::Connect(e.to_string()))?;
    // The connection runs as a task of its own (reading the socket while this task writes the
    // disk), owned here: dropping the set at the end of the download aborts it.
    let mut connection = tokio::task::JoinSet::new();
    connection.spawn(async move {
        let _ = conn.await;
    });
    let path = if path.starts_with('/') {
        path.to_string()
    } else {
        format!("/{path}")
    };
    let req = Request::get(path.as_str())
        .header(
            HOST,
            HeaderValue::from_str(&addr.to_string()).expect("address"),
        )
        .header("user-agent", "acnslab")
        .body(Empty::<Bytes>::new())
        .map_err(|e| TransferError::Server(e.to_string()))?;
    let idle = pace.idle;
    let work = async {
        let resp = within(idle, async {
            sender
                .send_request(req)
                .await
                .map_err(|e| TransferError::Interrupted(e.to_string()))
        })
        .await?;
        match resp.status() {
            StatusCode::OK => {}
            StatusCode::NOT_FOUND | StatusCode::GONE => {
                return Err(TransferError::NotFound(path.clone()))
            }
            StatusCode::UNAUTHORIZED | StatusCode::FORBIDDEN => {
                return Err(TransferError::Server(format!(
                    "HTTP {} (servers with authentication are not supported)",
                    resp.status()
                )))
            }
            s => return Err(TransferError::Server(format!("HTTP {s}"))),
        }
        let expected = resp
            .headers()
            .get(CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse::<u64>().ok());
        let mut body = resp.into_body();
        let mut total = 0u64;
        let mut pending: Vec<u8> = Vec::with_capacity(CHUNK);
        pace.allow(0).await;
        while let Some(frame) = within(idle, async { Ok(body.frame().await) }).await? {
            let frame = frame.map_err(|e| TransferError::Interrupted(e.to_string()))?;
            if let Ok(data) = frame.into_data() {
                total += data.len() as u64;
                progress(total);
                pace.allow(total).await;
                if pending.is_empty() && data.len() >= CHUNK {
                    sink.write(&data).await?;
                } else {
                    pending.extend_from_slice(&data);
                    if pending.len() >= CHUNK {
                        sink.write(&pending).await?;
                        pending.clear();
                    }
                }
            }
        }
        if !pending.is_empty() {
            sink.write(&pending).await?;
        }
        if let Some(expected) = expected {
            if total != expected {
                return Err(TransferError::Interrupted(format!(
                    "received {total} of {expected} bytes"
                )));
            }
        }
        Ok(total)
    };
    let result = work.await;
    connection.abort_all();
    result
}

/// Downloads `path` over HTTP into `dest` (via a temporary sibling renamed at the end), calling
/// `progress` with the byte count so far. `404` gives [`TransferError::NotFound`].
pub async fn http_download(
    addr: SocketAddr,
    path: &str,
    dest: &Path,
    pace: &mut Pace,
    progress: &mut (dyn FnMut(u64) + Send),
) -> Result<u64, TransferError> {
    let mut sink = Sink::file(dest).await?;
    match http_retrieve(addr, path, &mut sink, pace, progress).await {
        Ok(total) => {
            sink.commit().await?;
            Ok(total)
        }
        Err(e) => {
            sink.abandon().await;
            Err(e)
        }
    }
}

/// Fetches a small file (a meta file) over HTTP into memory, refusing files over `limit` bytes.
pub async fn http_fetch(
    addr: SocketAddr,
    path: &str,
    limit: usize,
) -> Result<Vec<u8>, TransferError> {
    let mut sink = Sink::Memory {
        data: Vec::new(),
        limit,
    };
    http_retrieve(addr, path, &mut sink, &mut Pace::unlimited(), &mut |_| {}).await?;
    sink.commit().await
}
