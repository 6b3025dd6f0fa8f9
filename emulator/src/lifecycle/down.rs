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
    let interrupted = jobs_under_way(&info);
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
    let mut text = format!(
        "lab stopped in {:.1} s (pid {}); state kept in {}\n",
        started.elapsed().as_secs_f64(),
        info.pid,
        dir.display()
    );
    if interrupted > 0 {
        text.push_str(&format!(
            "warning: {interrupted} upgrade job(s) were under way; the next start marks them failed (stopped by the lab's stop): start them again from the CDM\n"
        ));
    }
    Ok(Outcome::ok(text))
}

/// How many upgrade jobs are under way in the lab (`proceeding` or `in_progress` in its health
/// port's `/metrics`); 0 when the lab has no health port or does not answer at once.
fn jobs_under_way(info: &LabInfo) -> u64 {
    let Some(addr) = info.health.as_deref().and_then(|a| a.parse().ok()) else {
        return 0;
    };
    match super::healthcheck::get(addr, "/metrics") {
        Ok((200, body)) => under_way_in(&body),
        _ => 0,
    }
}

/// The upgrade jobs under way in a `/metrics` text.
fn under_way_in(metrics: &str) -> u64 {
    metrics
        .lines()
        .filter_map(|line| {
            let rest = line.strip_prefix("acnslab_upgrade_jobs{")?;
            let (labels, value) = rest.split_once("} ")?;
            let under_way = labels.contains("status=\"proceeding\"")
                || labels.contains("status=\"in_progress\"");
            under_way.then(|| value.trim().parse::<f64>().ok())?
        })
        .map(|v| v as u64)
        .sum()
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_jobs_under_way_are_read_from_the_metrics() {
        let text = "# TYPE acnslab_upgrade_jobs gauge\nacnslab_upgrade_jobs{status=\"proceeding\"} 2\nacnslab_upgrade_jobs{status=\"in_progress\"} 1\nacnslab_upgrade_jobs{status=\"successful\"} 5\nacnslab_upgrade_jobs{status=\"failed\"} 1\n";
        assert_eq!(super::under_way_in(text), 3);
        assert_eq!(super::under_way_in(""), 0);
    }
}
