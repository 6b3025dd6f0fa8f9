//! Long-running CLI work: downloads (`copy ftp install`, `copy ftp disk`, `copy http install`) and
//! uploads (`copy disk ftp`). A session hands a [`Task`] to its edge, which runs it outside the SSH
//! callback with [`run`], streaming progress (`#` per MB) as it goes, and gives the [`Finished`]
//! result back to the shell. Downloads land in a hidden temporary file and are renamed or installed
//! only when complete and verified, so a failure or a killed process changes nothing. Installs
//! (`install LOCALFILE` too) verify the image off the async workers (`spawn_blocking`).

use std::path::PathBuf;
use std::sync::Arc;

use crate::cms::BackupSource;
use crate::device::Device;
use crate::images::transfer::{self, Pace, TransferError};
use crate::install::InstallError;
use crate::network::{Network, ServerRoute};
use crate::release::Version;
use crate::text::install as text;

/// How a download reaches its server.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Via {
    Ftp { user: String, password: String },
    Http { port: u16 },
}

/// What happens to a downloaded file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Then {
    /// Install it (the device then reboots).
    Install,
    /// Keep it in `/local/local1` under this name.
    Keep(String),
}

/// A long-running command.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Task {
    Download {
        via: Via,
        host: String,
        dir: String,
        file: String,
        then: Then,
    },
    Upload {
        user: String,
        password: String,
        host: String,
        dir: String,
        file: String,
        local: String,
    },
    /// Install an image already on the disk (`install LOCALFILE`).
    Install { local: String },
    /// `ping [count N] HOST`: probes a second apart on the lab clock.
    Ping { host: String, count: u32 },
    /// `traceroute HOST`.
    Traceroute { host: String },
    /// `cms database backup`: write a dump into `/local/local1` under the first free name of
    /// `cms::dump_names`, off the device's lock and off the async workers (the database is checked
    /// when the command runs).
    CmsBackup {
        source: BackupSource,
        software: Version,
        now: chrono::DateTime<chrono::Utc>,
    },
}

impl Task {
    /// Whether Ctrl-C may stop the task: transfers and probes may; an install or a backup, once
    /// begun, runs to its end (stopping it half-way would leave the device between two states).
    pub fn interruptible(&self) -> bool {
        matches!(
            self,
            Task::Download { .. }
                | Task::Upload { .. }
                | Task::Ping { .. }
                | Task::Traceroute { .. }
        )
    }
}

/// The hidden file a download of `device` lands in until it is complete.
fn download_temp(device: &Device) -> PathBuf {
    device
        .disk_dir()
        .join(format!(".download-{}", std::process::id()))
}

/// What an interrupted task leaves behind is removed (a download's partial file).
pub fn clean_up_interrupted(task: &Task, device: &Device) {
    if let Task::Download { .. } = task {
        let _ = std::fs::remove_file(download_temp(device));
    }
}

/// How a task ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finished {
    /// The rest of the output (after the progress already streamed).
    pub text: String,
    pub failed: bool,
    /// The device must reboot now (an install).
    pub reload: bool,
}

impl Finished {
    /// A task that printed everything along the way.
    fn quiet(failed: bool) -> Self {
        Finished {
            text: String::new(),
            failed,
            reload: false,
        }
    }

    fn fail(text: impl Into<String>) -> Self {
        let mut text = text.into();
        if !text.ends_with('\n') {
            text.push('\n');
        }
        Finished {
            text,
            failed: true,
            reload: false,
        }
    }
}

fn describe(e: &TransferError) -> String {
    format!("% Error: {e}")
}

/// Installs `image` (named `name`) off the async workers: verifying means hashing the whole image,
/// which takes seconds for a large one.
async fn install_off_runtime(
    device: &Arc<Device>,
    image: PathBuf,
    name: &str,
) -> Result<String, InstallError> {
    let device = device.clone();
    let name = name.to_string();
    tokio::task::spawn_blocking(move || crate::install::install(&device, &image, &name))
        .await
        .unwrap_or_else(|e| Err(InstallError::Stopped(e.to_string())))
}

/// Writes a CMS backup off the async workers; prints what `cms database backup` prints.
async fn cms_backup(
    device: &Arc<Device>,
    source: BackupSource,
    software: Version,
    now: chrono::DateTime<chrono::Utc>,
) -> Finished {
    let dir = device.disk_dir();
    let written =
        tokio::task::spawn_blocking(move || source.backup_into(&dir, software, now)).await;
    match written {
        Ok(Ok((name, _))) => {
            device.stamp(&device.disk_dir().join(&name));
            device.log(format!(
                "{} local1/{name}",
                crate::text::log::DATABASE_BACKED_UP
            ));
            Finished {
                text: format!(
                    "{} {name}\nBackup file local1/{name} {}\n",
                    crate::text::cms::BACKUP_CREATING,
                    crate::text::cms::BACKUP_READY
                ),
                failed: false,
                reload: false,
            }
        }
        Ok(Err(e)) => Finished::fail(format!("% Error: {e}")),
        Err(e) => Finished::fail(format!("% Error: {e}")),
    }
}

/// Runs `task` for `device` on `network` (`None`: a device outside a lab reaches no server); `out`
/// receives progress text as it happens.
pub async fn run(
    task: Task,
    device: Arc<Device>,
    network: Option<&Network>,
    out: &mut (dyn FnMut(&str) + Send),
) -> Finished {
    let client = NetworkClient {
        device: &device,
        network,
    };
    match task {
        Task::Ping { host, count } => {
            let replied = crate::probe::ping(&device, network, &host, count, out).await;
            Finished::quiet(!replied)
        }
        Task::Traceroute { host } => {
            let arrived = crate::probe::traceroute(&device, network, &host, out).await;
            Finished::quiet(!arrived)
        }
        Task::Install { local } => {
            let Some(path) = device.disk_file(&local) else {
                return Finished::fail(format!("{}{local}", crate::text::msg::BAD_FILE_NAME));
            };
            if !path.is_file() {
                return Finished::fail(format!("{}{local}", crate::text::cms::NO_FILE));
            }
            match install_off_runtime(&device, path, &local).await {
                Ok(text) => Finished {
                    text,
                    failed: false,
                    reload: true,
                },
                Err(e) => Finished::fail(e.to_string()),
            }
        }
        Task::CmsBackup {
            source,
            software,
            now,
        } => cms_backup(&device, source, software, now).await,
        Task::Download {
            via,
            host,
            dir,
            file,
            then,
        } => download(client, via, &host, &dir, &file, then, out).await,
        Task::Upload {
            user,
            password,
            host,
            dir,
            file,
            local,
        } => {
            let Some(src) = device.disk_file(&local) else {
                return Finished::fail(format!("{}{local}", crate::text::msg::BAD_FILE_NAME));
            };
            if !src.is_file() {
                return Finished::fail(format!("{}{local}", crate::text::cms::NO_FILE));
            }
            let Some(addr) = client.endpoint(&host, true) else {
                return Finished::fail(format!("{}{host}", text::UNKNOWN_HOST));
            };
            out(&format!("{}\n", text::UPLOAD_START));
            let what = format!("{local} to {host}:{}/{file}", dir.trim_end_matches('/'));
            device.log(format!("{} {what}", crate::text::log::UPLOAD_STARTED));
            let uploaded = match addr {
                Ok(addr) => {
                    let mut pace = client.pace(&host);
                    transfer::ftp_upload(
                        &transfer::FtpServer::new(addr, &user, &password),
                        &dir,
                        &file,
                        &src,
                        &mut pace,
                    )
                    .await
                }
                Err(e) => Err(e),
            };
            if let Ok(bytes) = &uploaded {
                client.count(&host, *bytes, false);
            }
            match &uploaded {
                Ok(bytes) => device.log(format!(
                    "{} {what} ({bytes} bytes)",
                    crate::text::log::UPLOAD_DONE
                )),
                Err(e) => device.log(format!("{} {what}: {e}", crate::text::log::UPLOAD_FAILED)),
            }
            match uploaded {
                Ok(bytes) => Finished {
                    text: format!("FTP {} ({bytes} bytes)\n", text::UPLOAD_DONE),
                    failed: false,
                    reload: false,
                },
                Err(e) => Finished::fail(describe(&e)),
            }
        }
    }
}

/// A device as a client of the lab's network (`network` is `None` outside a lab).
#[derive(Clone, Copy)]
struct NetworkClient<'a> {
    device: &'a Arc<Device>,
    network: Option<&'a Network>,
}

impl NetworkClient<'_> {
    /// The loopback endpoint (FTP or HTTP) of the server behind a virtual address or server name,
    /// as this device reaches it: `None` for an unknown host, `Some(Err(..))` when connecting will
    /// fail (a cut link: refused; the device's own interface down: network unreachable).
    fn endpoint(
        &self,
        host: &str,
        ftp: bool,
    ) -> Option<Result<std::net::SocketAddr, TransferError>> {
        match self.network?.server_from(self.device.identity.ip, host) {
            ServerRoute::Reachable(s) => (if ftp { s.ftp } else { s.http }).map(Ok),
            ServerRoute::Cut => Some(Err(refused())),
            ServerRoute::NoRoute => {
                Some(Err(TransferError::Connect("network is unreachable".into())))
            }
            ServerRoute::Unknown => None,
        }
    }

    /// Counts a transfer of `bytes` with the server behind `host` on both interfaces (`download`:
    /// from the server to this device).
    fn count(&self, host: &str, bytes: u64, download: bool) {
        if let Some(network) = self.network {
            network.count_transfer(self.device.identity.ip, host, bytes, download);
        }
    }

    /// The pace of a transfer with the server behind `host`: the rate of the lab's link to it on
    /// the device's clock.
    fn pace(&self, host: &str) -> Pace {
        match self
            .network
            .map(|n| n.server_from(self.device.identity.ip, host))
        {
            Some(ServerRoute::Reachable(s)) => Pace::link(self.device.clock(), s.rate_kbps),
            _ => Pace::unlimited(),
        }
    }
}

/// What connecting through a cut link gives.
fn refused() -> TransferError {
    TransferError::Connect("connection refused".into())
}

async fn download(
    client: NetworkClient<'_>,
    via: Via,
    host: &str,
    dir: &str,
    file: &str,
    then: Then,
    out: &mut (dyn FnMut(&str) + Send),
) -> Finished {
    let device = client.device;
    // An image whose name announces the version already running is refused before the download,
    // not after it; anything else is for the install to check on the image itself.
    if then == Then::Install {
        let running = device.state().version;
        if crate::images::version_from_name(file) == Some(running) {
            return Finished::fail(InstallError::SameVersion(running).to_string());
        }
    }
    if let Then::Keep(local) = &then {
        if device.disk_file(local).is_none() {
            return Finished::fail(format!("{}{local}", crate::text::msg::BAD_FILE_NAME));
        }
    }
    let is_ftp = matches!(via, Via::Ftp { .. });
    if let Via::Http { port } = via {
        if port != 80 {
            return Finished::fail(format!(
                "% Error: cannot connect to {host} port {port}: connection refused"
            ));
        }
    }
    let Some(addr) = client.endpoint(host, is_ftp) else {
        return Finished::fail(format!("{}{host}", text::UNKNOWN_HOST));
    };
    let temp = download_temp(device);
    let mark = device.boot_mark();
    let what = format!("{host}:{}/{file}", dir.trim_end_matches('/'));
    device.log(format!("{} {what}", crate::text::log::DOWNLOAD_STARTED));
    out(&format!(
        "{}\n{}\n",
        if is_ftp {
            text::FTP_START
        } else {
            text::HTTP_START
        },
        text::ONE_HASH_PER_MB
    ));
    let mut hashes = 0u64;
    let mut progress = |bytes: u64| {
        let mb = bytes / (1024 * 1024);
        if mb > hashes {
            out(&"#".repeat((mb - hashes) as usize));
            hashes = mb;
        }
    };
    let mut pace = client.pace(host);
    let result = match (&via, addr) {
        (_, Err(e)) => Err(e),
        (Via::Ftp { user, password }, Ok(addr)) => {
            transfer::ftp_download(
                &transfer::FtpServer::new(addr, user, password),
                dir,
                file,
                &temp,
                &mut pace,
                &mut progress,
            )
            .await
        }
        (Via::Http { .. }, Ok(addr)) => {
            let path = format!("{}/{}", dir.trim_end_matches('/'), file);
            let path = if path.starts_with('/') {
                path
            } else {
                format!("/{path}")
            };
            transfer::http_download(addr, &path, &temp, &mut pace, &mut progress).await
        }
    };
    if !device.still_up(mark) {
        // The device lost power (or reloaded) during the download: nothing more happens; the
        // partial file is what a dead device leaves, removed at its next boot.
        return Finished {
            text: String::new(),
            failed: true,
            reload: false,
        };
    }
    if let Ok(bytes) = &result {
        client.count(host, *bytes, true);
    }
    match &result {
        Ok(bytes) => device.log(format!(
            "{} {what} ({bytes} bytes)",
            crate::text::log::DOWNLOAD_DONE
        )),
        Err(e) => device.log(format!("{} {what}: {e}", crate::text::log::DOWNLOAD_FAILED)),
    }
    let finished = match result {
        Ok(_) if device.disk_full() => Finished::fail(format!("\n{}", text::DISK_FULL)),
        Err(e) => Finished::fail(format!("\n{}", describe(&e))),
        Ok(bytes) => {
            let mut text = format!(
                "\n{} {} ({bytes} bytes)\n",
                if is_ftp { "FTP" } else { "HTTP" },
                text::DOWNLOAD_DONE
            );
            match then {
                Then::Install => match install_off_runtime(device, temp.clone(), file).await {
                    Ok(done) => {
                        text.push_str(&done);
                        Finished {
                            text,
                            failed: false,
                            reload: true,
                        }
                    }
                    Err(e) => Finished::fail(format!("{text}{e}")),
                },
                Then::Keep(local) => {
                    let dest = device
                        .disk_file(&local)
                        .unwrap_or_else(|| device.disk_dir().join(&local));
                    match std::fs::rename(&temp, &dest) {
                        Ok(()) => {
                            device.stamp(&dest);
                            Finished {
                                text,
                                failed: false,
                                reload: false,
                            }
                        }
                        Err(e) => Finished::fail(format!("{text}% Error: {local}: {e}")),
                    }
                }
            }
        }
    };
    let _ = std::fs::remove_file(&temp);
    finished
}
