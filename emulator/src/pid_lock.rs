//! A lock file a process holds for its whole life: an exclusive advisory `flock` on the file,
//! with the holder's pid written inside (for people and for `down`), released by the kernel when
//! the process ends however it ends. Others ask whether it is held, and by whom, without taking
//! it. Used for a lab's state directory (`lab.lock`) and a classroom's teacher page
//! (`teacher.lock`); what a held lock means is theirs to say.

use std::fs::{File, OpenOptions, TryLockError};
use std::io::{Read as _, Write as _};
use std::path::{Path, PathBuf};

/// A held lock file; released on drop.
#[derive(Debug)]
pub struct PidLock {
    file: File,
}

/// Why the lock was not taken.
#[derive(Debug, thiserror::Error)]
pub enum PidLockError {
    /// Another process holds it (its pid, 0 when it cannot be read yet).
    #[error("{}: held by pid {pid}", .path.display())]
    Held { path: PathBuf, pid: u32 },
    #[error("{}: {source}", .path.display())]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
}

impl PidLock {
    /// Takes the lock file at `path` (created 0600 if missing; its folder exists) and writes this
    /// process's pid in it.
    pub fn acquire(path: &Path) -> Result<PidLock, PidLockError> {
        let io = |source| PidLockError::Io {
            path: path.to_path_buf(),
            source,
        };
        let mut file = open(path).map_err(io)?;
        match file.try_lock() {
            Ok(()) => {}
            Err(TryLockError::WouldBlock) => {
                return Err(PidLockError::Held {
                    path: path.to_path_buf(),
                    pid: holder(path).unwrap_or(0),
                })
            }
            Err(TryLockError::Error(e)) => return Err(io(e)),
        }
        let _ = file.set_len(0);
        let _ = writeln!(file, "{}", std::process::id());
        Ok(PidLock { file })
    }
}

impl Drop for PidLock {
    fn drop(&mut self) {
        let _ = self.file.unlock();
    }
}

fn open(path: &Path) -> std::io::Result<File> {
    use std::os::unix::fs::OpenOptionsExt;
    OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .mode(0o600)
        .open(path)
}

/// The pid of the process holding the lock file at `path` (0 when held but not written yet);
/// `None` when there is no such file or nobody holds it. Creates nothing.
pub fn holder(path: &Path) -> Option<u32> {
    let mut file = File::open(path).ok()?;
    match file.try_lock_shared() {
        Ok(()) => {
            let _ = file.unlock();
            None
        }
        Err(TryLockError::WouldBlock) => {
            let mut text = String::new();
            let _ = file.read_to_string(&mut text);
            Some(text.trim().parse().unwrap_or(0))
        }
        Err(TryLockError::Error(_)) => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_holder_at_a_time_and_its_pid_is_known() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("x.lock");
        assert_eq!(holder(&path), None, "no file: nobody");
        let lock = PidLock::acquire(&path).unwrap();
        assert_eq!(holder(&path), Some(std::process::id()));
        let e = PidLock::acquire(&path).unwrap_err();
        assert!(
            matches!(e, PidLockError::Held { pid, .. } if pid == std::process::id()),
            "{e}"
        );
        drop(lock);
        assert_eq!(holder(&path), None, "released");
        let _again = PidLock::acquire(&path).unwrap();
    }
}
