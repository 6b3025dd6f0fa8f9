//! The teacher's page of a classroom runs as a process of its own: it holds an exclusive `flock`
//! on `DIR/teacher.lock` (its pid written inside) for its whole life, so `classroom up` does not
//! start a second one, and `classroom down` and `status` find it (the pid) and know when it has
//! stopped (the kernel releases the lock however the process ends).

use std::fs::{File, OpenOptions, TryLockError};
use std::io::{Read as _, Write as _};
use std::path::{Path, PathBuf};

/// The lock file's name in the classroom's folder.
pub const FILE: &str = "teacher.lock";

/// Why the lock was not taken.
#[derive(Debug, thiserror::Error)]
pub enum PidLockError {
    #[error("{}: the teacher's page of this classroom already runs (pid {pid})", .dir.display())]
    Held { dir: PathBuf, pid: u32 },
    #[error("{}: {source}", .path.display())]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
}

/// The held lock; released on drop.
#[derive(Debug)]
pub struct PidLock {
    file: File,
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

impl PidLock {
    /// Takes the lock of the classroom in `dir` (which exists).
    pub fn acquire(dir: &Path) -> Result<PidLock, PidLockError> {
        let path = dir.join(FILE);
        let io = |source| PidLockError::Io {
            path: path.clone(),
            source,
        };
        let mut file = open(&path).map_err(io)?;
        match file.try_lock() {
            Ok(()) => {}
            Err(TryLockError::WouldBlock) => {
                return Err(PidLockError::Held {
                    dir: dir.to_path_buf(),
                    pid: holder(dir).unwrap_or(0),
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

/// The pid of the process holding the lock of `dir`, `None` when nobody holds it.
pub fn holder(dir: &Path) -> Option<u32> {
    let mut file = File::open(dir.join(FILE)).ok()?;
    match file.try_lock_shared() {
        Ok(()) => {
            let _ = file.unlock();
            None
        }
        Err(TryLockError::WouldBlock) => {
            let mut text = String::new();
            let _ = file.read_to_string(&mut text);
            // held: a pid that cannot be read yet (being written) is still a holder
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
        assert_eq!(holder(dir.path()), None);
        let lock = PidLock::acquire(dir.path()).unwrap();
        assert_eq!(holder(dir.path()), Some(std::process::id()));
        let e = PidLock::acquire(dir.path()).unwrap_err().to_string();
        assert!(e.contains("already runs"), "{e}");
        drop(lock);
        assert_eq!(holder(dir.path()), None);
    }
}
