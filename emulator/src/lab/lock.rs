//! One lab per state directory: a running lab holds an exclusive lock on `DIR/lab.lock` (an
//! advisory `flock`, released by the kernel when the process ends however it ends), so a second
//! `acnslab up` on the same directory is refused before it changes anything, and tools tell a
//! running lab from a stopped or killed one without trusting `lab.json`'s pid.

use std::path::{Path, PathBuf};

use super::info::LabInfo;
use crate::pid_lock::{PidLock, PidLockError};

const LOCK_FILE: &str = "lab.lock";

/// The lock of a running lab's state directory; released on drop.
#[derive(Debug)]
pub struct StateDirLock {
    _held: PidLock,
}

/// Why the lock was not taken.
#[derive(Debug, thiserror::Error)]
pub enum LockError {
    #[error("{}: a lab is already running in this state directory{}; stop it with `acnslab down --state-dir {}`, or use another --state-dir", .dir.display(), describe(.running.as_deref()), .dir.display())]
    Running {
        dir: PathBuf,
        running: Option<Box<LabInfo>>,
    },
    #[error("{}: {source}", .path.display())]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
}

/// ` (pid N; SSH ports A-B, web W)` from the running lab's `lab.json`, when it can be read.
fn describe(running: Option<&LabInfo>) -> String {
    let Some(info) = running else {
        return String::new();
    };
    let port = |addr: &str| addr.rsplit_once(':').map(|(_, p)| p.to_string());
    let ssh: Vec<String> = info.devices.iter().filter_map(|d| port(&d.ssh)).collect();
    let web: Vec<String> = info
        .devices
        .iter()
        .filter_map(|d| d.api.as_deref().and_then(port))
        .collect();
    let ssh = match (ssh.first(), ssh.last()) {
        (Some(first), Some(last)) if first != last => format!("; SSH ports {first}-{last}"),
        (Some(only), _) => format!("; SSH port {only}"),
        _ => String::new(),
    };
    let web = if web.is_empty() {
        String::new()
    } else {
        format!(", web {}", web.join(", "))
    };
    format!(" (pid {}{ssh}{web})", info.pid)
}

impl StateDirLock {
    /// Takes the lock of `dir` (which exists), or says which lab holds it.
    pub fn acquire(dir: &Path) -> Result<StateDirLock, LockError> {
        match PidLock::acquire(&dir.join(LOCK_FILE)) {
            Ok(held) => Ok(StateDirLock { _held: held }),
            Err(PidLockError::Held { .. }) => Err(LockError::Running {
                dir: dir.to_path_buf(),
                running: LabInfo::read(dir).ok().map(Box::new),
            }),
            Err(PidLockError::Io { path, source }) => Err(LockError::Io { path, source }),
        }
    }
}

/// Refuses, as [`StateDirLock::acquire`] would, when a lab runs in `dir` now, without creating
/// anything: the check a start makes before its others, taking the lock only once they pass.
pub fn refuse_if_running(dir: &Path) -> Result<(), LockError> {
    if is_running(dir) {
        return Err(LockError::Running {
            dir: dir.to_path_buf(),
            running: LabInfo::read(dir).ok().map(Box::new),
        });
    }
    Ok(())
}

/// Whether a lab runs in `dir` now: its lock is held. `false` when there is no lock file (no lab
/// ever ran there) or nobody holds it (the lab stopped, or was killed).
pub fn is_running(dir: &Path) -> bool {
    crate::pid_lock::holder(&dir.join(LOCK_FILE)).is_some()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_second_lock_on_the_same_directory_is_refused_until_the_first_goes() {
        let dir = tempfile::tempdir().unwrap();
        assert!(!is_running(dir.path()), "no lock file yet");
        let first = StateDirLock::acquire(dir.path()).unwrap();
        assert!(is_running(dir.path()));
        let e = StateDirLock::acquire(dir.path()).unwrap_err().to_string();
        assert!(
            e.contains("a lab is already running in this state directory")
                && e.contains("acnslab down --state-dir"),
            "{e}"
        );
        drop(first);
        assert!(!is_running(dir.path()));
        let _again = StateDirLock::acquire(dir.path()).unwrap();
    }
}
