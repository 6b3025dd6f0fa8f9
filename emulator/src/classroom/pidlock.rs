//! The teacher's page of a classroom runs as a process of its own: it holds an exclusive `flock`
//! on `DIR/teacher.lock` (its pid written inside) for its whole life, so `classroom up` does not
//! start a second one, and `classroom down` and `status` find it (the pid) and know when it has
//! stopped (the kernel releases the lock however the process ends): a `pid_lock::PidLock` on that
//! file, with what a held lock means for a classroom.

use std::path::{Path, PathBuf};

/// The lock file's name in the classroom's folder.
pub const FILE: &str = "teacher.lock";

/// Why the lock was not taken.
#[derive(Debug, thiserror::Error)]
pub enum TeacherLockError {
    #[error("{}: the teacher's page of this classroom already runs (pid {pid})", .dir.display())]
    Held { dir: PathBuf, pid: u32 },
    #[error("{}: {source}", .path.display())]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
}

/// The teacher's page's lock, held for the page's life; released on drop.
#[derive(Debug)]
pub struct TeacherLock {
    _held: crate::pid_lock::PidLock,
}

impl TeacherLock {
    /// Takes the lock of the classroom in `dir` (which exists).
    pub fn acquire(dir: &Path) -> Result<TeacherLock, TeacherLockError> {
        use crate::pid_lock::{PidLock, PidLockError};
        match PidLock::acquire(&dir.join(FILE)) {
            Ok(held) => Ok(TeacherLock { _held: held }),
            Err(PidLockError::Held { pid, .. }) => Err(TeacherLockError::Held {
                dir: dir.to_path_buf(),
                pid,
            }),
            Err(PidLockError::Io { path, source }) => Err(TeacherLockError::Io { path, source }),
        }
    }
}

/// The pid of the teacher's page of the classroom in `dir`, `None` when it does not run.
pub fn holder(dir: &Path) -> Option<u32> {
    crate::pid_lock::holder(&dir.join(FILE))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_holder_at_a_time_and_its_pid_is_known() {
        let dir = tempfile::tempdir().unwrap();
        assert_eq!(holder(dir.path()), None);
        let lock = TeacherLock::acquire(dir.path()).unwrap();
        assert_eq!(holder(dir.path()), Some(std::process::id()));
        let e = TeacherLock::acquire(dir.path()).unwrap_err().to_string();
        assert!(e.contains("already runs"), "{e}");
        drop(lock);
        assert_eq!(holder(dir.path()), None);
    }
}
