//! `acnslab down`: stops the lab of a state directory as a service manager would (SIGTERM to its
//! process, which stops its devices, saves nothing that was not saved, and marks `lab.json`
//! stopped), and waits until its lock is released.

use std::path::Path;
use std::time::{Duration, Instant};

use super::Outcome;
use crate::lab::{lock, LabInfo, NoLab};

/// How long `down` waits for the lab to stop.
pub const STOP_WAIT: Duration = Duration::from_secs(30);

/// Stops the lab running in `dir`; a directory without a running lab is not an error (the lab is
/// down either way), and says so.
pub fn down(dir: &Path) -> Result<Outcome, String> {
    let info = match LabInfo::running(dir) {
        Ok(info) => info,
        Err(NoLab::Unreadable { path, message }) => {
            return Err(format!("{}: {message}", path.display()))
        }
        Err(none) => return Ok(Outcome::ok(format!("{none}\n"))),
    };
    let pid = libc::pid_t::try_from(info.pid).map_err(|_| format!("bad pid {}", info.pid))?;
    // SAFETY: kill has no memory effects; the pid is the lab's (its lock is held).
    #[allow(unsafe_code)]
    let sent = unsafe { libc::kill(pid, libc::SIGTERM) };
    if sent != 0 {
        return Err(format!(
            "cannot stop the lab in {} (pid {}): {}",
            dir.display(),
            info.pid,
            std::io::Error::last_os_error()
        ));
    }
    let started = Instant::now();
    while lock::is_running(dir) {
        if started.elapsed() > STOP_WAIT {
            return Err(format!(
                "the lab in {} (pid {}) did not stop within {} s; `kill -9 {}` ends it (its saved state is safe)",
                dir.display(),
                info.pid,
                STOP_WAIT.as_secs(),
                info.pid
            ));
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    Ok(Outcome::ok(format!(
        "lab stopped in {:.1} s (pid {}); state kept in {}\n",
        started.elapsed().as_secs_f64(),
        info.pid,
        dir.display()
    )))
}
