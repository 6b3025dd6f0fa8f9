//! `acnslab classroom down`: stops the teacher's page (SIGTERM to the holder of its lock, then
//! waits for the lock) and every trainee's lab (`acnslab down` of its state directory); the labs'
//! state stays. A classroom that is not running is not an error.

use std::path::Path;
use std::time::{Duration, Instant};

use super::roster::Roster;
use crate::lifecycle::Outcome;

/// How long the page may take to stop.
const STOP_WAIT: Duration = Duration::from_secs(30);

/// Stops the classroom of `dir`.
pub fn down(dir: &Path) -> Result<Outcome, String> {
    let roster = Roster::read(dir).map_err(|e| e.to_string())?;
    let mut text = match super::pidlock::holder(dir) {
        None => "teacher's page: not running\n".to_string(),
        Some(pid) => {
            stop_teacher(dir, pid)?;
            format!("teacher's page stopped (pid {pid})\n")
        }
    };
    let mut failed = Vec::new();
    for t in &roster.trainees {
        match crate::lifecycle::down::down(&t.state_dir) {
            Ok(outcome) => text.push_str(&format!("{}: {}", t.trainee, outcome.text)),
            Err(why) => {
                text.push_str(&format!("{}: {why}\n", t.trainee));
                failed.push(t.trainee.clone());
            }
        }
    }
    if failed.is_empty() {
        Ok(Outcome {
            text,
            success: true,
        })
    } else {
        print!("{text}");
        Err(format!("could not stop the labs of {}", failed.join(", ")))
    }
}

fn stop_teacher(dir: &Path, pid: u32) -> Result<(), String> {
    let target = libc::pid_t::try_from(pid).map_err(|_| format!("bad pid {pid}"))?;
    if target <= 0 {
        return Err(format!(
            "{}: the teacher's page holds its lock, but its pid cannot be read",
            dir.display()
        ));
    }
    // SAFETY: kill has no memory effects; the pid holds the page's lock.
    #[allow(unsafe_code)]
    let sent = unsafe { libc::kill(target, libc::SIGTERM) };
    if sent != 0 {
        return Err(format!(
            "cannot stop the teacher's page (pid {pid}): {}",
            std::io::Error::last_os_error()
        ));
    }
    let started = Instant::now();
    while super::pidlock::holder(dir).is_some() {
        if started.elapsed() > STOP_WAIT {
            return Err(format!(
                "the teacher's page (pid {pid}) did not stop within {} s",
                STOP_WAIT.as_secs()
            ));
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    Ok(())
}
