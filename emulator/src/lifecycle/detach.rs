//! `acnslab up --detach`: the same `acnslab up` started in the background, in a session of its
//! own (Ctrl-C or a closed terminal does not reach it), its output in `DIR/lab.log`; returns once
//! every device accepts SSH, with the start-up table, or with the lab's own error when it fails
//! to start. `acnslab down` stops it. [`spawn_background`] is that start without the waiting, for
//! other background processes (`acnslab classroom`'s teacher page).

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use super::Outcome;
use crate::lab::{lock, LabInfo};

/// How long a detached start may take before `up --detach` gives up waiting (the lab goes on).
pub const START_WAIT: Duration = Duration::from_secs(120);
/// The detached lab's log, in its state directory.
pub const LOG_FILE: &str = "lab.log";

/// Starts `acnslab ARGS` (an `up` without `--detach`) in the background for state directory
/// `dir`, and waits until it serves.
pub fn detach(dir: &Path, args: &[std::ffi::OsString]) -> Result<Outcome, String> {
    // the same refusal the lab itself gives, without starting a process
    lock::refuse_if_running(dir).map_err(|e| e.to_string())?;
    let existed = dir.exists();
    crate::persist::create_private_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    let log_path = dir.join(LOG_FILE);
    let (mut child, log_len) =
        spawn_background(args, &log_path).map_err(|e| format!("cannot start the lab: {e}"))?;
    let pid = child.id();
    let started = Instant::now();
    loop {
        if let Ok(Some(status)) = child.try_wait() {
            let text = std::fs::read(&log_path).unwrap_or_default();
            let tail = String::from_utf8_lossy(text.get(log_len as usize..).unwrap_or(&[]))
                .trim()
                .to_string();
            if !existed && holds_only_the_log(dir) {
                // a directory this start made for its log alone goes with it
                let _ = std::fs::remove_dir_all(dir);
                return Err(format!("the lab did not start ({status}):\n{tail}"));
            }
            return Err(format!(
                "the lab did not start ({status}):\n{tail}\n(the whole log: {})",
                log_path.display()
            ));
        }
        if let Ok(info) = LabInfo::read(dir) {
            let serving = info.pid == pid
                && info.running
                && lock::is_running(dir)
                && crate::control::socket_path(dir).exists()
                && all_listen(&info);
            if serving {
                return Ok(Outcome::ok(format!(
                    "{}lab running in the background (pid {pid}, log {}); stop it with `acnslab down --state-dir {}`\n",
                    info.table(),
                    log_path.display(),
                    dir.display()
                )));
            }
        }
        if started.elapsed() > START_WAIT {
            return Err(format!(
                "the lab (pid {pid}) is not serving after {} s; see {} (it goes on starting; `acnslab down --state-dir {}` stops it)",
                START_WAIT.as_secs(),
                log_path.display(),
                dir.display()
            ));
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// Whether `dir` holds nothing but the detached lab's log.
fn holds_only_the_log(dir: &Path) -> bool {
    std::fs::read_dir(dir).is_ok_and(|entries| {
        entries
            .flatten()
            .all(|e| e.file_name() == std::ffi::OsStr::new(LOG_FILE))
    })
}

/// Starts `acnslab ARGS` in the background in a session of its own (Ctrl-C or a closed terminal
/// does not reach it), stdin empty, stdout and stderr appended to `log` (0600); returns the child
/// and the log's length before it (where its output starts).
pub fn spawn_background(
    args: &[std::ffi::OsString],
    log: &Path,
) -> Result<(std::process::Child, u64), String> {
    let file = {
        use std::os::unix::fs::OpenOptionsExt;
        std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .mode(0o600)
            .open(log)
            .map_err(|e| format!("{}: {e}", log.display()))?
    };
    let log_len = file.metadata().map(|m| m.len()).unwrap_or(0);
    let err = file.try_clone().map_err(|e| e.to_string())?;
    let exe = std::env::current_exe().map_err(|e| format!("cannot find acnslab itself: {e}"))?;
    let mut command = Command::new(exe);
    command
        .args(args)
        .stdin(Stdio::null())
        .stdout(file)
        .stderr(err)
        .env("NO_COLOR", "1");
    {
        use std::os::unix::process::CommandExt;
        // SAFETY: setsid is async-signal-safe and touches only the child.
        #[allow(unsafe_code)]
        unsafe {
            command.pre_exec(|| {
                if libc::setsid() == -1 {
                    return Err(std::io::Error::last_os_error());
                }
                Ok(())
            });
        }
    }
    let child = command.spawn().map_err(|e| e.to_string())?;
    Ok((child, log_len))
}

/// Whether every device's SSH port accepts a connection.
fn all_listen(info: &LabInfo) -> bool {
    info.devices.iter().all(|d| {
        d.ssh
            .parse()
            .ok()
            .and_then(|addr| {
                std::net::TcpStream::connect_timeout(&addr, Duration::from_millis(500)).ok()
            })
            .is_some()
    })
}
