//! The lab a soak measures, run as users run it: `acnslab up` (this same binary) as a child process
//! on a generated topology, in a state directory of its own. The child is in its own process group
//! (a Ctrl-C at the terminal reaches the soak, which stops the lab itself) and gets SIGTERM should
//! the soak die (`PR_SET_PDEATHSIG`). Where its devices listen and its pid come from `lab.json`.

use std::io::BufRead;
use std::net::SocketAddr;
use std::os::unix::fs::DirBuilderExt;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use acnslab::lab::LabInfo;

use super::error::SoakError;
use crate::measure::topology::generated_topology;

/// How long a lab may take to come up (a fresh 10,000-device lab took 40 s on a slow disk).
const START_LIMIT: Duration = Duration::from_secs(180);
/// How long it may take to stop after SIGTERM before it is killed.
const STOP_LIMIT: Duration = Duration::from_secs(15);
/// The line `acnslab up` prints once the lab serves.
const READY_LINE: &str = "state: ";
/// The topology file the soak writes for `acnslab up --topology`.
const TOPOLOGY_FILE: &str = "soak-topology.yaml";

/// A running `acnslab up` child.
pub struct LabChild {
    child: Child,
    state_dir: PathBuf,
    remove_state: bool,
    /// The devices' SSH addresses, in topology order.
    pub targets: Vec<SocketAddr>,
}

impl LabChild {
    /// Writes the generated topology of `devices` devices, starts `acnslab up` on it and waits
    /// until it serves. `state_dir` `None`: a new temporary directory, removed at the end unless
    /// `keep_state`.
    pub fn start(
        devices: usize,
        base_port: u16,
        state_dir: Option<&Path>,
        keep_state: bool,
    ) -> Result<LabChild, SoakError> {
        let (state_dir, temporary) = match state_dir {
            Some(dir) => (dir.to_path_buf(), false),
            None => (temporary_dir(), true),
        };
        if state_dir.join("topology.yaml").exists() {
            return Err(SoakError::StateInUse(state_dir));
        }
        // Private from the start, as the lab keeps it (else it warns that it had to tighten it).
        std::fs::DirBuilder::new()
            .recursive(true)
            .mode(acnslab::persist::PRIVATE_DIR)
            .create(&state_dir)
            .map_err(SoakError::io(&state_dir))?;
        let topology_path = state_dir.join(TOPOLOGY_FILE);
        let yaml =
            serde_norway::to_string(&generated_topology(devices, base_port)).map_err(|e| {
                SoakError::LabInfo {
                    path: topology_path.clone(),
                    reason: e.to_string(),
                }
            })?;
        acnslab::persist::write_atomic(&topology_path, yaml.as_bytes())
            .map_err(SoakError::io(&topology_path))?;
        let exe = std::env::current_exe().map_err(SoakError::Spawn)?;
        let mut command = Command::new(exe);
        command
            .arg("up")
            .arg("--topology")
            .arg(&topology_path)
            .arg("--state-dir")
            .arg(&state_dir)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .process_group(0);
        #[allow(unsafe_code)]
        // SAFETY: the closure runs in the child between fork and exec and only makes one
        // async-signal-safe system call (prctl).
        unsafe {
            command.pre_exec(|| {
                libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGTERM);
                Ok(())
            });
        }
        let mut child = command.spawn().map_err(SoakError::Spawn)?;
        let stdout = child.stdout.take();
        let mut lab = LabChild {
            child,
            state_dir,
            remove_state: temporary && !keep_state,
            targets: Vec::new(),
        };
        let (ready_tx, ready) = mpsc::channel();
        if let Some(stdout) = stdout {
            // Reads the lab's output to its end: the ready line, then the rest is dropped.
            std::thread::spawn(move || {
                for line in std::io::BufReader::new(stdout).lines() {
                    let Ok(line) = line else { break };
                    if line.starts_with(READY_LINE) {
                        let _ = ready_tx.send(());
                    }
                }
            });
        }
        lab.wait_until_ready(&ready)?;
        lab.targets = read_targets(&lab.state_dir.join("lab.json"))?;
        Ok(lab)
    }

    fn wait_until_ready(&mut self, ready: &mpsc::Receiver<()>) -> Result<(), SoakError> {
        let until = Instant::now() + START_LIMIT;
        loop {
            if let Ok(Some(status)) = self.child.try_wait() {
                return Err(SoakError::LabExited(status));
            }
            if Instant::now() >= until {
                return Err(SoakError::LabSlow(START_LIMIT));
            }
            match ready.recv_timeout(Duration::from_millis(100)) {
                Ok(()) => return Ok(()),
                Err(mpsc::RecvTimeoutError::Timeout) => {}
                // Its stdout closed: it is ending, and try_wait will say how.
                Err(mpsc::RecvTimeoutError::Disconnected) => {
                    std::thread::sleep(Duration::from_millis(100))
                }
            }
        }
    }

    /// The lab's process id.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Stops the lab with SIGTERM (killed if it takes longer than 15 s) and removes a temporary
    /// state directory; says where the state is kept otherwise. Dropping a `LabChild` does the same.
    pub fn stop(self) {
        drop(self);
    }

    fn terminate(&mut self) {
        if !matches!(self.child.try_wait(), Ok(None)) {
            return;
        }
        let pid = libc::pid_t::try_from(self.child.id()).unwrap_or(0);
        if pid > 0 {
            #[allow(unsafe_code)]
            // SAFETY: kill sends a signal to our own child, which has not been reaped yet.
            unsafe {
                libc::kill(pid, libc::SIGTERM);
            }
        }
        let until = Instant::now() + STOP_LIMIT;
        while Instant::now() < until {
            if !matches!(self.child.try_wait(), Ok(None)) {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        eprintln!("soak: the lab did not stop within {STOP_LIMIT:?} of SIGTERM; killed");
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for LabChild {
    fn drop(&mut self) {
        self.terminate();
        if self.remove_state {
            let _ = std::fs::remove_dir_all(&self.state_dir);
        } else {
            eprintln!(
                "soak: the lab's state is kept in {}",
                self.state_dir.display()
            );
        }
    }
}

/// `acnslab-soak-PID-NANOS` in the system's temporary directory.
fn temporary_dir() -> PathBuf {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or(0);
    std::env::temp_dir().join(format!("acnslab-soak-{}-{nanos:x}", std::process::id()))
}

/// The devices' SSH addresses from `lab.json`.
fn read_targets(path: &Path) -> Result<Vec<SocketAddr>, SoakError> {
    let bad = |reason: String| SoakError::LabInfo {
        path: path.to_path_buf(),
        reason,
    };
    let text = std::fs::read_to_string(path).map_err(SoakError::io(path))?;
    let info: LabInfo = serde_json::from_str(&text).map_err(|e| bad(e.to_string()))?;
    if info.devices.is_empty() {
        return Err(bad("no devices".into()));
    }
    info.devices
        .iter()
        .map(|d| {
            d.ssh
                .parse()
                .map_err(|_| bad(format!("{}: bad ssh address {:?}", d.name, d.ssh)))
        })
        .collect()
}
