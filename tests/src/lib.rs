//! Support for the end-to-end tests: labs (in-process through the library API, or the real `acnslab`
//! binary as a subprocess) on free loopback ports, OpenSSH as a client (exec, `ssh -tt` sessions,
//! `ssh-keyscan`), and a Python venv with the real client libraries (netmiko, paramiko, scrapli).
//!
//! Every external program runs under a timeout: a server bug shows up as a client hang, and a hung
//! test must fail, not block CI.

use std::ffi::OsString;
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, ExitStatus, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

use acnslab::lab::{Lab, LabError, LabOptions};
use acnslab::topology::Topology;

/// The lab's login.
pub const USERNAME: &str = "admin";
pub const PASSWORD: &str = "default";
/// The devices of the default lab, in port order.
pub const DEVICES: [&str; 5] = ["cdm1", "cdm2", "ce1", "ce2", "cr1"];
/// The `show version` line of `ce1` in the default lab.
pub const CE1_VERSION_LINE: &str = "Version: ce565-5.1.3";
/// The Python client packages, pinned as CLIENTS.md says.
pub const CLIENT_PACKAGES: [&str; 6] = [
    "netmiko==4.8.0",
    "paramiko==5.1.0",
    "scrapli==2025.1.30",
    "selenium==4.45.0",
    "ansible==12.3.0",
    "ansible-pylibssh==1.4.0",
];

/// How long one client (ssh, a Python script) may run before it is killed and the test fails.
pub const CLIENT_TIMEOUT: Duration = Duration::from_secs(60);

// ---------------------------------------------------------------------------------------------
// Ports

const PORT_LOW: u32 = 20000;
const PORT_HIGH: u32 = 30000;
const PORT_BLOCK: u32 = 8;
/// A lab's ports repeat every `max(D, 100)` from its base (docs/topology.md: SSH at base, the CDMs'
/// web at base + 100, image servers at base + 200, the health port at base + 300): bases are taken
/// only from the first 92 ports of each 400, so the web, server and health ports of one test's lab
/// never land in another's block.
const PORT_STRIDE: u32 = 400;
const BLOCKS_PER_STRIDE: u32 = 11;
static NEXT_BLOCK: AtomicU32 = AtomicU32::new(0);

/// A base port with `count` free consecutive ports in 20000-30000. Blocks are handed out by a
/// process-wide counter starting at an offset derived from the process id, so tests running in
/// parallel (threads or processes) do not pick the same ports; each block is checked by binding it.
pub fn free_base_port(count: u16) -> u16 {
    assert!(u32::from(count) <= PORT_BLOCK, "at most {PORT_BLOCK} ports");
    let blocks = (PORT_HIGH - PORT_LOW - PORT_STRIDE) / PORT_STRIDE * BLOCKS_PER_STRIDE;
    let start = std::process::id().wrapping_mul(7919) % blocks;
    for _ in 0..blocks {
        let n = (start + NEXT_BLOCK.fetch_add(1, Ordering::Relaxed)) % blocks;
        let base =
            PORT_LOW + (n / BLOCKS_PER_STRIDE) * PORT_STRIDE + (n % BLOCKS_PER_STRIDE) * PORT_BLOCK;
        let held: Vec<_> = (0..u32::from(count))
            .map_while(|i| TcpListener::bind(("127.0.0.1", (base + i) as u16)).ok())
            .collect();
        if held.len() == usize::from(count) {
            return base as u16;
        }
    }
    panic!("no {count} free consecutive ports in {PORT_LOW}-{PORT_HIGH}");
}

/// Where classrooms of the tests go: above the single labs' 20000-30000 and below the kernel's
/// ephemeral range, in slots of 8 ports, each a class of at most 3 default labs 400 ports apart
/// and the teacher's page after them (`acnslab classroom up`'s layout).
const CLASSROOM_LOW: u32 = 30000;
const CLASSROOM_SLOTS: u32 = 11;
static NEXT_CLASSROOM: AtomicU32 = AtomicU32::new(0);

/// A base port for `classroom up --trainees N` (at most 3) of the default lab whose labs' SSH
/// ports and teacher's page are free now; as [`free_base_port`], slots are handed out by a counter
/// from an offset derived from the process id.
pub fn free_classroom_base(trainees: u16) -> u16 {
    assert!(trainees <= 3, "at most 3 trainees in a test classroom");
    let start = std::process::id().wrapping_mul(7919) % CLASSROOM_SLOTS;
    for _ in 0..CLASSROOM_SLOTS {
        let n = (start + NEXT_CLASSROOM.fetch_add(1, Ordering::Relaxed)) % CLASSROOM_SLOTS;
        let base = CLASSROOM_LOW + n * PORT_BLOCK;
        let ports: Vec<u32> = (0..u32::from(trainees))
            .flat_map(|k| (0..5).map(move |i| base + k * PORT_STRIDE + i))
            .chain([base + u32::from(trainees) * PORT_STRIDE])
            .collect();
        let held: Vec<_> = ports
            .iter()
            .map_while(|p| TcpListener::bind(("127.0.0.1", *p as u16)).ok())
            .collect();
        if held.len() == ports.len() {
            return base as u16;
        }
    }
    panic!("no free classroom slot from {CLASSROOM_LOW}");
}

fn loopback(port: u16) -> SocketAddr {
    SocketAddr::from(([127, 0, 0, 1], port))
}

/// Tries one TCP connection to 127.0.0.1:`port`.
pub fn try_connect(port: u16) -> std::io::Result<()> {
    TcpStream::connect_timeout(&loopback(port), Duration::from_secs(2)).map(drop)
}

/// Whether something accepts connections on 127.0.0.1:`port`.
pub fn is_listening(port: u16) -> bool {
    try_connect(port).is_ok()
}

/// Polls `condition` every 25 ms until it holds (true) or `timeout` passes (false).
pub fn wait_for(timeout: Duration, mut condition: impl FnMut() -> bool) -> bool {
    let deadline = Instant::now() + timeout;
    loop {
        if condition() {
            return true;
        }
        if Instant::now() >= deadline {
            return false;
        }
        std::thread::sleep(Duration::from_millis(25));
    }
}

// ---------------------------------------------------------------------------------------------
// Labs in-process

/// How to start an in-process [`TestLab`]; everything is optional.
#[derive(Default, Clone)]
pub struct LabSetup {
    /// Reboot time in seconds (default 1).
    pub boot_seconds: Option<f64>,
    /// State directory (default: a fresh temporary one, removed with the lab).
    pub state_dir: Option<PathBuf>,
    /// Base port (default: a free one).
    pub base_port: Option<u16>,
    /// Topology (default: the default lab).
    pub topology: Option<Topology>,
    /// The image servers' link rate in kbit/s (default 0: as fast as loopback allows, so tests
    /// that download images stay quick; the topology's own rate is used by `acnslab up`).
    pub rate_kbps: Option<u32>,
}

/// A lab running in this process on its own tokio runtime, so the tests themselves stay synchronous
/// and can block on clients. Dropping it shuts the lab down.
pub struct TestLab {
    lab: Option<Lab>,
    runtime: Option<tokio::runtime::Runtime>,
    state_dir: PathBuf,
    _temp: Option<tempfile::TempDir>,
}

impl TestLab {
    /// The default lab on a temporary state directory, free ports, 1 s boot.
    pub fn start() -> TestLab {
        TestLab::start_with(LabSetup::default())
    }

    pub fn start_with(setup: LabSetup) -> TestLab {
        let (temp, state_dir) = match setup.state_dir.clone() {
            Some(dir) => (None, dir),
            None => {
                let temp = tempfile::Builder::new()
                    .prefix("acnslab-e2e-")
                    .tempdir()
                    .expect("create a temporary state directory");
                let dir = temp.path().to_path_buf();
                (Some(temp), dir)
            }
        };
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .expect("build a tokio runtime for the lab");
        let devices = setup
            .topology
            .as_ref()
            .map(|t| t.devices.len())
            .unwrap_or(DEVICES.len());
        let mut attempts = 0;
        let lab = loop {
            attempts += 1;
            let base_port = setup
                .base_port
                .unwrap_or_else(|| free_base_port(u16::try_from(devices).unwrap_or(8)));
            let mut options = LabOptions::new(&state_dir);
            options.cdm_http = Some(acnslab::api::service());
            options.topology = setup.topology.clone();
            options.base_port = Some(base_port);
            options.boot_seconds = Some(setup.boot_seconds.unwrap_or(1.0));
            options.rate_kbps = Some(setup.rate_kbps.unwrap_or(0));
            match runtime.block_on(Lab::start(options)) {
                Ok(lab) => break lab,
                // Someone took a port between our check and the bind: try another block.
                Err(LabError::Port { .. }) if setup.base_port.is_none() && attempts < 5 => {}
                Err(e) => panic!("the lab did not start in {}: {e}", state_dir.display()),
            }
        };
        TestLab {
            lab: Some(lab),
            runtime: Some(runtime),
            state_dir,
            _temp: temp,
        }
    }

    pub fn lab(&self) -> &Lab {
        self.lab.as_ref().expect("the lab is running")
    }

    /// The SSH port of device `name`.
    pub fn port(&self, name: &str) -> u16 {
        self.lab()
            .node(name)
            .unwrap_or_else(|| panic!("no device {name} in the lab"))
            .ssh_addr()
            .port()
    }

    pub fn state_dir(&self) -> &Path {
        &self.state_dir
    }

    /// Stops the lab (sessions and listeners closed) and keeps its state directory, which is
    /// returned with its temporary-directory guard (if any) for a later [`LabSetup::state_dir`].
    pub fn stop(mut self) -> (PathBuf, Option<tempfile::TempDir>) {
        self.shutdown();
        (self.state_dir.clone(), self._temp.take())
    }

    fn shutdown(&mut self) {
        if let (Some(lab), Some(runtime)) = (self.lab.take(), self.runtime.as_ref()) {
            runtime.block_on(lab.shutdown());
        }
        if let Some(runtime) = self.runtime.take() {
            runtime.shutdown_timeout(Duration::from_secs(2));
        }
    }
}

impl Drop for TestLab {
    fn drop(&mut self) {
        self.shutdown();
    }
}

// ---------------------------------------------------------------------------------------------
// Running programs with a timeout

/// What a program run by [`run_with_timeout`] did.
#[derive(Debug)]
pub struct Finished {
    /// `None` if it was killed at the timeout.
    pub status: Option<ExitStatus>,
    pub stdout: String,
    pub stderr: String,
    pub elapsed: Duration,
    what: String,
}

impl Finished {
    /// The exit code; panics (with the output) if the program timed out or died by a signal.
    pub fn code(&self) -> i32 {
        match self.status.and_then(|s| s.code()) {
            Some(code) => code,
            None => panic!("{} did not exit normally\n{}", self.what, self.describe()),
        }
    }

    /// Panics with the output unless the program exited with status 0.
    pub fn assert_success(&self) -> &Self {
        assert_eq!(self.code(), 0, "{} failed\n{}", self.what, self.describe());
        self
    }

    /// Status, stdout and stderr, for failure messages.
    pub fn describe(&self) -> String {
        let status = match self.status {
            Some(s) => s.to_string(),
            None => format!("killed after the {:?} timeout", self.elapsed),
        };
        format!(
            "--- status: {status}\n--- stdout:\n{}\n--- stderr:\n{}",
            self.stdout, self.stderr
        )
    }
}

fn spawn_reader(mut from: impl Read + Send + 'static) -> std::thread::JoinHandle<Vec<u8>> {
    std::thread::spawn(move || {
        let mut bytes = Vec::new();
        let _ = from.read_to_end(&mut bytes);
        bytes
    })
}

/// Kills `child` and everything in its process group (it was started as a group leader).
fn kill_group(child: &mut Child) {
    let _ = Command::new("kill")
        .args(["-KILL", "--", &format!("-{}", child.id())])
        .stderr(Stdio::null())
        .status();
    let _ = child.kill();
}

/// Runs `command` (its own process group, stdin from `input` or empty), killing it and its children
/// after `timeout`.
pub fn run_with_timeout(
    command: &mut Command,
    input: Option<&[u8]>,
    timeout: Duration,
) -> Finished {
    try_run_with_timeout(command, input, timeout)
        .unwrap_or_else(|e| panic!("cannot run {command:?}: {e}"))
}

/// [`run_with_timeout`], returning an error if the program cannot be started.
pub fn try_run_with_timeout(
    command: &mut Command,
    input: Option<&[u8]>,
    timeout: Duration,
) -> std::io::Result<Finished> {
    use std::os::unix::process::CommandExt;
    let what = format!("{command:?}");
    let started = Instant::now();
    let mut child = command
        .stdin(if input.is_some() {
            Stdio::piped()
        } else {
            Stdio::null()
        })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .process_group(0)
        .spawn()?;
    if let (Some(input), Some(mut stdin)) = (input, child.stdin.take()) {
        let input = input.to_vec();
        std::thread::spawn(move || {
            let _ = stdin.write_all(&input);
        });
    }
    let out = spawn_reader(child.stdout.take().expect("piped stdout"));
    let err = spawn_reader(child.stderr.take().expect("piped stderr"));
    let deadline = started + timeout;
    let status = loop {
        match child.try_wait() {
            Ok(Some(status)) => break Some(status),
            Ok(None) if Instant::now() < deadline => std::thread::sleep(Duration::from_millis(10)),
            _ => {
                kill_group(&mut child);
                let _ = child.wait();
                break None;
            }
        }
    };
    // A grandchild could keep the pipes open: kill the group before reading to the end.
    if status.is_some() {
        let _ = Command::new("kill")
            .args(["-KILL", "--", &format!("-{}", child.id())])
            .stderr(Stdio::null())
            .status();
    }
    let stdout = String::from_utf8_lossy(&out.join().unwrap_or_default()).into_owned();
    let stderr = String::from_utf8_lossy(&err.join().unwrap_or_default()).into_owned();
    Ok(Finished {
        status,
        stdout,
        stderr,
        elapsed: started.elapsed(),
        what,
    })
}

// ---------------------------------------------------------------------------------------------
// Build locations and the acnslab binary

/// Where this test binary was built: (target directory, profile directory name). The test binary is
/// `TARGET/PROFILE/deps/NAME-HASH`.
fn build_location() -> (PathBuf, String) {
    let exe = std::env::current_exe().expect("the test binary's path");
    let deps = exe.parent();
    if let Some(deps) = deps.filter(|d| d.file_name().is_some_and(|n| n == "deps")) {
        if let (Some(profile), Some(target)) = (deps.parent(), deps.parent().and_then(Path::parent))
        {
            let name = profile
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_else(|| "debug".into());
            return (target.to_path_buf(), name);
        }
    }
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../target"));
    (target, "debug".into())
}

/// The target directory the tests were built in (holds the client venv).
pub fn target_dir() -> PathBuf {
    build_location().0
}

/// The `acnslab` binary, built on first use with `cargo build -p acnslab` into the same target
/// directory and profile as the tests (a no-op when it is up to date).
pub fn acnslab_binary() -> PathBuf {
    static BINARY: OnceLock<Result<PathBuf, String>> = OnceLock::new();
    match BINARY.get_or_init(build_acnslab) {
        Ok(path) => path.clone(),
        Err(e) => panic!("{e}"),
    }
}

fn build_acnslab() -> Result<PathBuf, String> {
    let (target, profile_dir) = build_location();
    let profile = if profile_dir == "debug" {
        "dev"
    } else {
        profile_dir.as_str()
    };
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| OsString::from(env!("CARGO")));
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR")).join("../Cargo.toml");
    let build = try_run_with_timeout(
        Command::new(cargo)
            .args(["build", "--quiet", "-p", "acnslab", "--bin", "acnslab"])
            .args(["--profile", profile])
            .arg("--manifest-path")
            .arg(&manifest)
            .arg("--target-dir")
            .arg(&target),
        None,
        Duration::from_secs(1200),
    )
    .map_err(|e| format!("cannot run cargo to build acnslab: {e}"))?;
    if build.status.map(|s| s.success()) != Some(true) {
        return Err(format!(
            "cannot build the acnslab binary\n{}",
            build.describe()
        ));
    }
    let binary = target.join(&profile_dir).join("acnslab");
    if binary.is_file() {
        Ok(binary)
    } else {
        Err(format!(
            "cargo built acnslab but {} is missing",
            binary.display()
        ))
    }
}

/// Runs `acnslab down --state-dir DIR` when dropped: a detached lab outlives the test otherwise.
pub struct DownOnDrop(pub PathBuf);

impl Drop for DownOnDrop {
    fn drop(&mut self) {
        let _ = run_acnslab(
            &["down", "--state-dir", &self.0.to_string_lossy()],
            Duration::from_secs(60),
        );
    }
}

/// Runs `acnslab ARGS` to completion (under a timeout).
pub fn run_acnslab(args: &[&str], timeout: Duration) -> Finished {
    run_with_timeout(Command::new(acnslab_binary()).args(args), None, timeout)
}

thread_local! {
    /// The `RUST_LOG` of the next lab this thread starts ([`LabProcess::start_logging`]).
    static LOG_FILTER: std::cell::RefCell<Option<String>> = const { std::cell::RefCell::new(None) };
}

/// `acnslab up` running as a subprocess. Dropping it kills the process.
pub struct LabProcess {
    child: Child,
    pub base_port: u16,
    stdout: std::thread::JoinHandle<Vec<u8>>,
    stderr: std::thread::JoinHandle<Vec<u8>>,
}

impl LabProcess {
    /// Starts `acnslab up --state-dir DIR --base-port PORT --boot-seconds 1 EXTRA...` and waits until
    /// the `devices` ports accept connections. `EXTRA` may set `--boot-seconds` itself.
    pub fn start(state_dir: &Path, base_port: u16, devices: u16, extra: &[&str]) -> LabProcess {
        Self::start_with_open_files(state_dir, base_port, devices, extra, None)
    }

    /// [`LabProcess::start`] with `RUST_LOG` set to `filter` (what the lab logs on stderr).
    pub fn start_logging(
        state_dir: &Path,
        base_port: u16,
        devices: u16,
        filter: &str,
    ) -> LabProcess {
        LOG_FILTER.with(|f| *f.borrow_mut() = Some(filter.to_string()));
        let lab = Self::start_with_open_files(state_dir, base_port, devices, &[], None);
        LOG_FILTER.with(|f| *f.borrow_mut() = None);
        lab
    }

    /// [`LabProcess::start`] with `extra` arguments and `RUST_LOG` set to `filter`.
    pub fn start_logging_with(
        state_dir: &Path,
        base_port: u16,
        devices: u16,
        filter: &str,
        extra: &[&str],
    ) -> LabProcess {
        LOG_FILTER.with(|f| *f.borrow_mut() = Some(filter.to_string()));
        let lab = Self::start_with_open_files(state_dir, base_port, devices, extra, None);
        LOG_FILTER.with(|f| *f.borrow_mut() = None);
        lab
    }

    /// [`LabProcess::start`] with the process's limit on open files (soft and hard, as
    /// `prlimit --nofile=N` sets it) when `open_files` is given.
    pub fn start_with_open_files(
        state_dir: &Path,
        base_port: u16,
        devices: u16,
        extra: &[&str],
        open_files: Option<u64>,
    ) -> LabProcess {
        use std::os::unix::process::CommandExt;
        let boot: &[&str] = if extra.contains(&"--boot-seconds") {
            &[]
        } else {
            &["--boot-seconds", "1"]
        };
        let mut command = Command::new(acnslab_binary());
        command
            .arg("up")
            .arg("--state-dir")
            .arg(state_dir)
            .args(["--base-port", &base_port.to_string()])
            .args(boot)
            .args(extra)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .process_group(0);
        // the lab's entry in the registry of `acnslab list` stays beside the test's state, not in
        // the user's home
        command.env(
            "ACNSLAB_REGISTRY",
            state_dir
                .parent()
                .unwrap_or(state_dir)
                .join("acnslab-registry"),
        );
        if let Some(filter) = LOG_FILTER.with(|f| f.borrow().clone()) {
            command.env("RUST_LOG", filter);
        }
        if let Some(limit) = open_files {
            let limit = libc::rlimit {
                rlim_cur: limit as libc::rlim_t,
                rlim_max: limit as libc::rlim_t,
            };
            // SAFETY: setrlimit is async-signal-safe; it only touches the child's own limits.
            #[allow(unsafe_code)]
            unsafe {
                command.pre_exec(move || {
                    if libc::setrlimit(libc::RLIMIT_NOFILE, &limit) == 0 {
                        Ok(())
                    } else {
                        Err(std::io::Error::last_os_error())
                    }
                });
            }
        }
        let mut child = command.spawn().expect("start acnslab up");
        let stdout = spawn_reader(child.stdout.take().expect("piped stdout"));
        let stderr = spawn_reader(child.stderr.take().expect("piped stderr"));
        let mut process = LabProcess {
            child,
            base_port,
            stdout,
            stderr,
        };
        // Ports are bound before lab.json and the control socket are written: wait for all three.
        let control = state_dir.join("control.sock");
        let info = state_dir.join("lab.json");
        let up = wait_for(Duration::from_secs(30), || {
            ((0..devices).all(|i| is_listening(base_port + i)) && control.exists() && info.exists())
                || matches!(process.child.try_wait(), Ok(Some(_)))
        });
        if let Ok(Some(status)) = process.child.try_wait() {
            let (out, err) = process.output();
            panic!("acnslab up exited early ({status})\nstdout:\n{out}\nstderr:\n{err}");
        }
        assert!(
            up,
            "acnslab up did not open its {devices} ports within 30 s"
        );
        process
    }

    /// The lab's process id.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// CPU time the lab process has used so far (user and system), from /proc.
    pub fn cpu_time(&self) -> Duration {
        let stat =
            std::fs::read_to_string(format!("/proc/{}/stat", self.child.id())).unwrap_or_default();
        // the fields after the command name (which may hold spaces) in parentheses
        let fields: Vec<&str> = stat
            .rsplit_once(')')
            .map(|(_, rest)| rest.split_whitespace().collect())
            .unwrap_or_default();
        let ticks = |i: usize| {
            fields
                .get(i)
                .and_then(|f| f.parse::<u64>().ok())
                .unwrap_or(0)
        };
        // utime and stime are fields 14 and 15 of stat(5): 12 and 13 after the command name
        let total = ticks(11) + ticks(12);
        // SAFETY: sysconf has no preconditions.
        #[allow(unsafe_code)]
        let per_second = unsafe { libc::sysconf(libc::_SC_CLK_TCK) }.max(1) as u64;
        Duration::from_millis(total * 1000 / per_second)
    }

    /// The lab process's resident memory, in KiB (`VmRSS` of /proc).
    pub fn rss_kib(&self) -> u64 {
        std::fs::read_to_string(format!("/proc/{}/status", self.child.id()))
            .ok()
            .and_then(|status| {
                status
                    .lines()
                    .find(|l| l.starts_with("VmRSS:"))
                    .and_then(|l| l.split_whitespace().nth(1)?.parse().ok())
            })
            .unwrap_or(0)
    }

    /// The SSH port of device number `index` (0 = first).
    pub fn port(&self, index: u16) -> u16 {
        self.base_port + index
    }

    /// Stops the lab with SIGTERM as a service manager would, and returns (exit status, stdout, stderr).
    pub fn stop(mut self) -> (ExitStatus, String, String) {
        let _ = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status();
        let exited = wait_for(Duration::from_secs(15), || {
            matches!(self.child.try_wait(), Ok(Some(_)))
        });
        if !exited {
            kill_group(&mut self.child);
        }
        let status = self.child.wait().expect("wait for acnslab");
        assert!(exited, "acnslab up did not stop within 15 s of SIGTERM");
        let (out, err) = self.output();
        (status, out, err)
    }

    fn output(&mut self) -> (String, String) {
        let take = |h: &mut std::thread::JoinHandle<Vec<u8>>| {
            let h = std::mem::replace(h, std::thread::spawn(Vec::new));
            String::from_utf8_lossy(&h.join().unwrap_or_default()).into_owned()
        };
        // The readers end when the process (the pipes' only writer) is gone.
        if !matches!(self.child.try_wait(), Ok(Some(_))) {
            return (String::new(), String::new());
        }
        (take(&mut self.stdout), take(&mut self.stderr))
    }
}

impl Drop for LabProcess {
    fn drop(&mut self) {
        if !matches!(self.child.try_wait(), Ok(Some(_))) {
            kill_group(&mut self.child);
            let _ = self.child.wait();
        }
    }
}

// ---------------------------------------------------------------------------------------------
// OpenSSH

/// An `SSH_ASKPASS` program answering the lab password (OpenSSH has no password option).
fn askpass() -> PathBuf {
    static ASKPASS: OnceLock<PathBuf> = OnceLock::new();
    ASKPASS
        .get_or_init(|| write_askpass("acnslab-test-askpass.sh", PASSWORD))
        .clone()
}

/// Writes an askpass script answering `password` (letters, digits and `-` only) to
/// `TARGET/name`.
fn write_askpass(name: &str, password: &str) -> PathBuf {
    use std::os::unix::fs::PermissionsExt;
    assert!(
        password
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-'),
        "a test password the askpass script can say as it is"
    );
    let dir = target_dir();
    std::fs::create_dir_all(&dir).expect("create the target directory");
    let path = dir.join(name);
    let tmp = dir.join(format!("{name}.{}.tmp", std::process::id()));
    std::fs::write(&tmp, format!("#!/bin/sh\necho '{password}'\n"))
        .expect("write the askpass script");
    std::fs::set_permissions(&tmp, std::fs::Permissions::from_mode(0o755))
        .expect("make the askpass script executable");
    std::fs::rename(&tmp, &path).expect("install the askpass script");
    path
}

/// `ssh -p PORT admin@HOST COMMAND` logging in with `password` (letters, digits and `-`): a lab
/// started with `--password`, or reached at another address than 127.0.0.1.
pub fn ssh_exec_at(host: &str, port: u16, password: &str, command: &str) -> Finished {
    let script = write_askpass(&format!("acnslab-test-askpass-{password}.sh"), password);
    run_with_timeout(
        ssh_command(port)
            .env("SSH_ASKPASS", script)
            .arg(format!("{USERNAME}@{host}"))
            .arg(command),
        None,
        CLIENT_TIMEOUT,
    )
}

/// One HTTP/1.1 GET of `path` at `addr` with `Host: host` (and HTTP Basic `login`), the
/// connection closed after it: (status, body). A plain client: what a probe or a scraper sends.
pub fn http_get(
    addr: SocketAddr,
    host: &str,
    path: &str,
    login: Option<(&str, &str)>,
) -> std::io::Result<(u16, String)> {
    let mut stream = TcpStream::connect_timeout(&addr, Duration::from_secs(5))?;
    stream.set_read_timeout(Some(CLIENT_TIMEOUT))?;
    let auth = login
        .map(|(user, password)| {
            format!(
                "Authorization: Basic {}\r\n",
                base64(format!("{user}:{password}").as_bytes())
            )
        })
        .unwrap_or_default();
    write!(
        stream,
        "GET {path} HTTP/1.1\r\nHost: {host}\r\n{auth}Connection: close\r\n\r\n"
    )?;
    let mut answer = Vec::new();
    stream.read_to_end(&mut answer)?;
    let answer = String::from_utf8_lossy(&answer).into_owned();
    let (head, body) = answer.split_once("\r\n\r\n").unwrap_or((&answer, ""));
    let status = head
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| std::io::Error::other(format!("not an HTTP answer: {head:?}")))?;
    let body = if head
        .to_ascii_lowercase()
        .contains("transfer-encoding: chunked")
    {
        unchunk(body)
    } else {
        body.to_string()
    };
    Ok((status, body))
}

/// The body of a chunked HTTP answer.
fn unchunk(mut text: &str) -> String {
    let mut body = String::new();
    while let Some((size, rest)) = text.split_once("\r\n") {
        let Ok(size) = usize::from_str_radix(size.trim(), 16) else {
            break;
        };
        if size == 0 || rest.len() < size {
            break;
        }
        body.push_str(&rest[..size]);
        text = rest[size..].trim_start_matches("\r\n");
    }
    body
}

/// Standard base64 with padding (HTTP Basic credentials).
fn base64(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let n = chunk
            .iter()
            .enumerate()
            .fold(0u32, |n, (i, b)| n | u32::from(*b) << (16 - 8 * i));
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(char::from(ALPHABET[(n >> (18 - 6 * i) & 63) as usize]));
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// `ssh` to admin@127.0.0.1:`port` with no user configuration, no host key checks, and the password
/// given by an askpass program. Add `-tt` or a remote command and run it.
pub fn ssh_command(port: u16) -> Command {
    let mut command = Command::new("ssh");
    command
        .env("SSH_ASKPASS", askpass())
        .env("SSH_ASKPASS_REQUIRE", "force")
        .env("DISPLAY", ":0")
        .args(["-F", "/dev/null", "-p", &port.to_string()])
        .args(["-o", "StrictHostKeyChecking=no"])
        .args(["-o", "UserKnownHostsFile=/dev/null"])
        .args(["-o", "GlobalKnownHostsFile=/dev/null"])
        .args(["-o", "LogLevel=ERROR"])
        .args(["-o", "PubkeyAuthentication=no"])
        .args([
            "-o",
            "PreferredAuthentications=keyboard-interactive,password",
        ])
        .args(["-o", "NumberOfPasswordPrompts=1"])
        .args(["-o", "ConnectTimeout=10"])
        .args(["-e", "none"]);
    command
}

/// `ssh -p PORT admin@127.0.0.1 COMMAND` (an exec channel).
pub fn ssh_exec(port: u16, command: &str) -> Finished {
    run_with_timeout(
        ssh_command(port)
            .arg(format!("{USERNAME}@127.0.0.1"))
            .arg(command),
        None,
        CLIENT_TIMEOUT,
    )
}

/// The ed25519 host key of 127.0.0.1:`port` as `ssh-keyscan` sees it (`ssh-ed25519 AAAA...`).
pub fn host_key(port: u16) -> String {
    let scan = run_with_timeout(
        Command::new("ssh-keyscan").args([
            "-T",
            "10",
            "-t",
            "ed25519",
            "-p",
            &port.to_string(),
            "127.0.0.1",
        ]),
        None,
        CLIENT_TIMEOUT,
    );
    let key = scan
        .stdout
        .lines()
        .filter(|l| !l.starts_with('#'))
        .find_map(|l| l.split_once(' ').map(|(_, key)| key.trim().to_string()));
    key.unwrap_or_else(|| panic!("ssh-keyscan found no host key\n{}", scan.describe()))
}

/// An interactive `ssh -tt` session driven through pipes: what is sent goes to the device's shell
/// byte for byte, and what comes back (echo, output, prompts) is read with deadlines.
pub struct Terminal {
    child: Child,
    stdin: Option<ChildStdin>,
    received: Receiver<Vec<u8>>,
    pending: Vec<u8>,
    transcript: Vec<u8>,
    stderr: Arc<Mutex<Vec<u8>>>,
    closed: bool,
}

/// How long one expected answer may take.
pub const READ_TIMEOUT: Duration = Duration::from_secs(20);

impl Terminal {
    /// Logs in to 127.0.0.1:`port` with `ssh -tt` and waits for the first prompt, which must end
    /// with `prompt`; returns the session.
    pub fn open(port: u16, prompt: &str) -> Terminal {
        let mut terminal = Terminal::spawn(port);
        terminal.expect_end(prompt);
        terminal
    }

    /// [`Terminal::open`] logged in with `password` instead of the lab's default one.
    pub fn open_with_password(port: u16, password: &str, prompt: &str) -> Terminal {
        let script = write_askpass(&format!("acnslab-test-askpass-{password}.sh"), password);
        let mut command = ssh_command(port);
        command.env("SSH_ASKPASS", script);
        let mut terminal = Terminal::spawn_with(command);
        terminal.expect_end(prompt);
        terminal
    }

    /// Starts `ssh -tt` without waiting for anything.
    pub fn spawn(port: u16) -> Terminal {
        Terminal::spawn_with(ssh_command(port))
    }

    fn spawn_with(mut command: Command) -> Terminal {
        use std::os::unix::process::CommandExt;
        let mut child = command
            .arg("-tt")
            .arg(format!("{USERNAME}@127.0.0.1"))
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .process_group(0)
            .spawn()
            .expect("start ssh -tt");
        let (tx, rx) = mpsc::channel();
        let mut stdout = child.stdout.take().expect("piped stdout");
        std::thread::spawn(move || {
            let mut chunk = [0u8; 4096];
            loop {
                match stdout.read(&mut chunk) {
                    Ok(0) | Err(_) => return,
                    Ok(n) => {
                        if tx.send(chunk[..n].to_vec()).is_err() {
                            return;
                        }
                    }
                }
            }
        });
        let stderr = Arc::new(Mutex::new(Vec::new()));
        let mut err_pipe = child.stderr.take().expect("piped stderr");
        let sink = stderr.clone();
        std::thread::spawn(move || {
            let mut chunk = [0u8; 4096];
            while let Ok(n @ 1..) = err_pipe.read(&mut chunk) {
                sink.lock()
                    .unwrap_or_else(|p| p.into_inner())
                    .extend_from_slice(&chunk[..n]);
            }
        });
        let stdin = child.stdin.take();
        Terminal {
            child,
            stdin,
            received: rx,
            pending: Vec::new(),
            transcript: Vec::new(),
            stderr,
            closed: false,
        }
    }

    /// Sends raw bytes (use `\r` for Enter, `\t` for Tab).
    pub fn send(&mut self, text: &str) {
        let stdin = self.stdin.as_mut().expect("the session's stdin is open");
        stdin
            .write_all(text.as_bytes())
            .and_then(|()| stdin.flush())
            .unwrap_or_else(|e| panic!("cannot write to ssh: {e}\n{}", self.describe()));
    }

    /// Everything received so far, for failure messages.
    pub fn describe(&self) -> String {
        let stderr = self
            .stderr
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone();
        format!(
            "--- received:\n{:?}\n--- ssh stderr:\n{}",
            String::from_utf8_lossy(&self.transcript),
            String::from_utf8_lossy(&stderr)
        )
    }

    /// Reads until `done(pending text)` holds; returns the pending text and clears it. Panics after
    /// [`READ_TIMEOUT`] with everything received.
    fn read_until(&mut self, what: &str, done: impl Fn(&str) -> bool) -> String {
        let deadline = Instant::now() + READ_TIMEOUT;
        loop {
            let text = String::from_utf8_lossy(&self.pending).into_owned();
            if done(&text) {
                self.pending.clear();
                return text;
            }
            let left = deadline.saturating_duration_since(Instant::now());
            match self.received.recv_timeout(left) {
                Ok(bytes) => {
                    self.transcript.extend_from_slice(&bytes);
                    self.pending.extend_from_slice(&bytes);
                }
                Err(RecvTimeoutError::Timeout) => {
                    panic!("timed out waiting for {what}\n{}", self.describe())
                }
                Err(RecvTimeoutError::Disconnected) => {
                    self.closed = true;
                    panic!(
                        "the session closed while waiting for {what}\n{}",
                        self.describe()
                    )
                }
            }
        }
    }

    /// Waits until what was received since the last read ends with `suffix` (a prompt: the device
    /// sends nothing after it) and returns it.
    pub fn expect_end(&mut self, suffix: &str) -> String {
        self.read_until(&format!("output ending with {suffix:?}"), |t| {
            t.ends_with(suffix)
        })
    }

    /// Waits until what was received since the last read contains `needle`; returns it all.
    pub fn expect(&mut self, needle: &str) -> String {
        self.read_until(&format!("{needle:?}"), |t| t.contains(needle))
    }

    /// Types `line`, presses Enter and waits for `next_prompt`; returns the echo and the output.
    pub fn run(&mut self, line: &str, next_prompt: &str) -> String {
        self.send(&format!("{line}\r"));
        self.expect_end(next_prompt)
    }

    /// Waits for the device to close the session; returns what came before the close and ssh's
    /// exit status.
    pub fn wait_closed(&mut self) -> (String, Option<ExitStatus>) {
        let deadline = Instant::now() + READ_TIMEOUT;
        while !self.closed {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.received.recv_timeout(left) {
                Ok(bytes) => {
                    self.transcript.extend_from_slice(&bytes);
                    self.pending.extend_from_slice(&bytes);
                }
                Err(RecvTimeoutError::Disconnected) => self.closed = true,
                Err(RecvTimeoutError::Timeout) => {
                    panic!("the session did not close\n{}", self.describe())
                }
            }
        }
        let rest = String::from_utf8_lossy(&std::mem::take(&mut self.pending)).into_owned();
        let exited = wait_for(READ_TIMEOUT, || {
            matches!(self.child.try_wait(), Ok(Some(_)))
        });
        let status = if exited { self.child.wait().ok() } else { None };
        (rest, status)
    }
}

impl Drop for Terminal {
    fn drop(&mut self) {
        self.stdin.take();
        if !matches!(self.child.try_wait(), Ok(Some(_))) {
            kill_group(&mut self.child);
            let _ = self.child.wait();
        }
    }
}

/// The column (from the start of the terminal line, 0-based) of the `^` of an invalid-input error in
/// `output`, if it has a caret line.
pub fn caret_column(output: &str) -> Option<usize> {
    output
        .split(['\r', '\n'])
        .find(|l| l.trim() == "^")
        .map(|l| l.chars().take_while(|c| *c == ' ').count())
}

// ---------------------------------------------------------------------------------------------
// Python clients

/// The Python interpreter of the client venv (`TARGET/client-venv`), created on first use with the
/// pinned client packages. Panics with the reason if the venv cannot be set up: a client test must
/// fail, never silently skip.
pub fn client_python() -> PathBuf {
    static PYTHON: OnceLock<Result<PathBuf, String>> = OnceLock::new();
    match PYTHON.get_or_init(|| setup_venv("client-venv", &CLIENT_PACKAGES)) {
        Ok(python) => python.clone(),
        Err(e) => panic!(
            "the Python client venv could not be set up, so the client tests cannot run: {e}\n\
             (needs python3 with the venv module and access to PyPI; ACNSLAB_TEST_PYTHON chooses \
             the interpreter)"
        ),
    }
}

/// scrapli's 2026 rewrite (the `cisco_iosxe` definition): same package name as the classic
/// scrapli of [`CLIENT_PACKAGES`], so it has a venv of its own.
pub const SCRAPLI_2026_PACKAGES: [&str; 1] = ["scrapli==2026.10.14"];

/// The Python of the scrapli 2026 venv (`TARGET/scrapli2026-venv`); as [`client_python`].
pub fn scrapli_2026_python() -> PathBuf {
    static PYTHON: OnceLock<Result<PathBuf, String>> = OnceLock::new();
    match PYTHON.get_or_init(|| setup_venv("scrapli2026-venv", &SCRAPLI_2026_PACKAGES)) {
        Ok(python) => python.clone(),
        Err(e) => panic!("the scrapli 2026 venv could not be set up: {e}"),
    }
}

/// The JSON Schema validator the schema tests check the shipped schemas with (the reference
/// implementation of Draft 2020-12).
pub const SCHEMA_PACKAGES: [&str; 1] = ["jsonschema==4.26.0"];

/// The Python of the schema venv (`TARGET/schema-venv`); as [`client_python`].
pub fn schema_python() -> PathBuf {
    static PYTHON: OnceLock<Result<PathBuf, String>> = OnceLock::new();
    match PYTHON.get_or_init(|| setup_venv("schema-venv", &SCHEMA_PACKAGES)) {
        Ok(python) => python.clone(),
        Err(e) => panic!("the JSON Schema venv could not be set up: {e}"),
    }
}

/// The parsers of the deployment tests: Prometheus's own text-format parser (the Python client's
/// `prometheus_client.parser`) and an offline validator of Kubernetes objects against the
/// Kubernetes API's schemas.
pub const DEPLOY_PACKAGES: [&str; 2] = ["prometheus-client==0.26.0", "kubernetes-validate==1.37.0"];

/// The Python of the deployment venv (`TARGET/deploy-venv`); as [`client_python`].
pub fn deploy_python() -> PathBuf {
    static PYTHON: OnceLock<Result<PathBuf, String>> = OnceLock::new();
    match PYTHON.get_or_init(|| setup_venv("deploy-venv", &DEPLOY_PACKAGES)) {
        Ok(python) => python.clone(),
        Err(e) => panic!("the deployment venv could not be set up: {e}"),
    }
}

/// Every pinned package is installed at its version (and importable: the check imports them).
const VENV_CHECK: &str = "\
import importlib, importlib.metadata as m, sys
want = dict(p.split('==') for p in sys.argv[1:])
got = {k: m.version(k) for k in want}
assert got == want, got
for k in want:
    importlib.import_module(k.replace('-', '_').replace('ansible_pylibssh', 'pylibsshext'))
";

fn venv_works(python: &Path, packages: &[&str]) -> bool {
    python.is_file()
        && try_run_with_timeout(
            Command::new(python).args(["-c", VENV_CHECK]).args(packages),
            None,
            Duration::from_secs(120),
        )
        .is_ok_and(|run| run.status.is_some_and(|s| s.success()))
}

fn setup_venv(name: &str, packages: &[&str]) -> Result<PathBuf, String> {
    let target = target_dir();
    std::fs::create_dir_all(&target).map_err(|e| format!("{}: {e}", target.display()))?;
    let venv = target.join(name);
    let python = venv.join("bin").join("python");
    // One process sets the venv up; the others wait for the lock and then reuse it.
    let _lock = FileLock::acquire(&target.join(format!("{name}.lock")))?;
    if venv_works(&python, packages) {
        return Ok(python);
    }
    if venv.exists() {
        std::fs::remove_dir_all(&venv).map_err(|e| format!("{}: {e}", venv.display()))?;
    }
    let base = std::env::var("ACNSLAB_TEST_PYTHON").unwrap_or_else(|_| "python3".into());
    let create = try_run_with_timeout(
        Command::new(&base).args(["-m", "venv"]).arg(&venv),
        None,
        Duration::from_secs(300),
    )
    .map_err(|e| format!("cannot run {base}: {e}"))?;
    if create.status.map(|s| s.success()) != Some(true) {
        return Err(format!("`{base} -m venv` failed\n{}", create.describe()));
    }
    let install = try_run_with_timeout(
        Command::new(&python)
            .args([
                "-m",
                "pip",
                "install",
                "--disable-pip-version-check",
                "--no-input",
                "-q",
            ])
            .args(packages),
        None,
        Duration::from_secs(1200),
    )
    .map_err(|e| format!("cannot run {}: {e}", python.display()))?;
    if install.status.map(|s| s.success()) != Some(true) {
        let _ = std::fs::remove_dir_all(&venv);
        return Err(format!(
            "pip install {} failed\n{}",
            packages.join(" "),
            install.describe()
        ));
    }
    if !venv_works(&python, packages) {
        return Err(format!(
            "the venv at {} was installed but cannot import the clients",
            venv.display()
        ));
    }
    Ok(python)
}

/// An exclusive `flock` on a file, released when dropped (or when the process dies).
struct FileLock(#[allow(dead_code)] std::fs::File);

impl FileLock {
    fn acquire(path: &Path) -> Result<FileLock, String> {
        use std::os::fd::AsRawFd;
        let file = std::fs::OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(path)
            .map_err(|e| format!("{}: {e}", path.display()))?;
        loop {
            #[allow(unsafe_code)]
            // SAFETY: flock only takes a file descriptor we own for the duration of the call.
            let rc = unsafe { libc::flock(file.as_raw_fd(), libc::LOCK_EX) };
            if rc == 0 {
                return Ok(FileLock(file));
            }
            let e = std::io::Error::last_os_error();
            if e.kind() != std::io::ErrorKind::Interrupted {
                return Err(format!("lock {}: {e}", path.display()));
            }
        }
    }
}

/// Runs the client script `tests/clients/NAME` with the venv's Python and `args` under
/// [`CLIENT_TIMEOUT`]; the script prints one JSON object as its last line, which is returned.
pub fn run_client(name: &str, args: &[String]) -> serde_json::Value {
    run_client_in(&client_python(), name, args)
}

/// [`run_client`] with another venv's Python (e.g. [`scrapli_2026_python`]).
pub fn run_client_in(python: &Path, name: &str, args: &[String]) -> serde_json::Value {
    run_client_within(python, name, args, CLIENT_TIMEOUT)
}

/// [`run_client_in`] with a time limit of its own (a client that watches a lab work in real time).
pub fn run_client_within(
    python: &Path,
    name: &str,
    args: &[String],
    timeout: Duration,
) -> serde_json::Value {
    let script = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("clients")
        .join(name);
    let run = run_with_timeout(
        Command::new(python)
            .arg(&script)
            .args(args)
            .env("PYTHONUNBUFFERED", "1")
            .env("PYTHONDONTWRITEBYTECODE", "1"),
        None,
        timeout,
    );
    run.assert_success();
    let last = run.stdout.lines().last().unwrap_or_default();
    serde_json::from_str(last).unwrap_or_else(|e| {
        panic!(
            "{name} did not print a JSON result ({e})\n{}",
            run.describe()
        )
    })
}

/// A string field of a client's JSON result.
pub fn field<'a>(result: &'a serde_json::Value, key: &str) -> &'a str {
    result
        .get(key)
        .and_then(|v| v.as_str())
        .unwrap_or_else(|| panic!("no string {key:?} in the client's result {result:#}"))
}

// ---------------------------------------------------------------------------------------------
// A real browser

/// Chromium and chromedriver for the web-page tests: `ACNSLAB_TEST_CHROMIUM` /
/// `ACNSLAB_TEST_CHROMEDRIVER`, else Debian's `/usr/bin/chromium` and `/usr/bin/chromedriver`,
/// installed with apt-get (packages chromium and chromium-driver) on first use when missing. Panics
/// with the reason if there is no browser: a browser test must fail, never silently skip.
pub fn browser() -> (PathBuf, PathBuf) {
    static BROWSER: OnceLock<Result<(PathBuf, PathBuf), String>> = OnceLock::new();
    match BROWSER.get_or_init(setup_browser) {
        Ok(paths) => paths.clone(),
        Err(e) => panic!(
            "no browser for the web-page tests: {e}\n(needs Debian's chromium and chromium-driver \
             packages, installed with apt-get as root, or ACNSLAB_TEST_CHROMIUM and \
             ACNSLAB_TEST_CHROMEDRIVER)"
        ),
    }
}

fn setup_browser() -> Result<(PathBuf, PathBuf), String> {
    let chromium = std::env::var_os("ACNSLAB_TEST_CHROMIUM")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("/usr/bin/chromium"));
    let driver = std::env::var_os("ACNSLAB_TEST_CHROMEDRIVER")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("/usr/bin/chromedriver"));
    let target = target_dir();
    std::fs::create_dir_all(&target).map_err(|e| format!("{}: {e}", target.display()))?;
    // One test process installs; the others wait for the lock, then find it installed.
    let _lock = FileLock::acquire(&target.join("browser.lock"))?;
    if chromium.is_file() && driver.is_file() {
        return Ok((chromium, driver));
    }
    apt_install(&["chromium", "chromium-driver"])?;
    if chromium.is_file() && driver.is_file() {
        Ok((chromium, driver))
    } else {
        Err(format!(
            "installed, but {} or {} is missing",
            chromium.display(),
            driver.display()
        ))
    }
}

// ---------------------------------------------------------------------------------------------
// Containers

/// `podman` with the global options this kind of host needs (runc, cgroupfs, and a
/// `containers.conf` of the tests' own with `default_ulimits = []`), installed with apt-get
/// (packages podman and runc) on first use when missing. Panics with the reason if there is no
/// podman: a container test must fail, never silently skip.
pub fn podman() -> Command {
    static PODMAN: OnceLock<Result<PathBuf, String>> = OnceLock::new();
    let conf = match PODMAN.get_or_init(setup_podman) {
        Ok(conf) => conf.clone(),
        Err(e) => panic!(
            "no podman for the container tests: {e}\n(needs Debian's podman and runc packages, \
             installed with apt-get as root)"
        ),
    };
    let mut command = Command::new("podman");
    command.env("CONTAINERS_CONF", conf).args([
        "--runtime",
        "/usr/sbin/runc",
        "--cgroup-manager",
        "cgroupfs",
    ]);
    command
}

fn setup_podman() -> Result<PathBuf, String> {
    let target = target_dir();
    let dir = target.join("containers");
    std::fs::create_dir_all(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    let conf = dir.join("containers.conf");
    // the host's limits are what a container gets (podman's defaults ask for more than some
    // hosts allow)
    std::fs::write(&conf, "[containers]\ndefault_ulimits = []\n")
        .map_err(|e| format!("{}: {e}", conf.display()))?;
    let _lock = FileLock::acquire(&target.join("podman.lock"))?;
    let present = || {
        Path::new("/usr/sbin/runc").is_file()
            && Command::new("podman")
                .arg("--version")
                .output()
                .is_ok_and(|o| o.status.success())
    };
    if present() {
        return Ok(conf);
    }
    apt_install(&["podman", "runc"])?;
    if present() {
        Ok(conf)
    } else {
        Err("installed, but podman or /usr/sbin/runc is missing".into())
    }
}

/// Installs Debian `packages` with apt-get (waiting for the dpkg lock rather than failing if
/// another apt run holds it; `apt-get update` and a second try if the first fails). The error
/// holds every apt-get run's output.
pub fn apt_install(packages: &[&str]) -> Result<(), String> {
    let apt = |args: &[&str]| {
        try_run_with_timeout(
            Command::new("apt-get")
                .args(args)
                .env("DEBIAN_FRONTEND", "noninteractive"),
            None,
            Duration::from_secs(900),
        )
        .map_err(|e| format!("cannot run apt-get: {e}"))
    };
    let mut install = vec!["-o", "DPkg::Lock::Timeout=600", "install", "-y", "-q"];
    install.extend_from_slice(packages);
    let first = apt(&install)?;
    if first.status.map(|s| s.success()) == Some(true) {
        return Ok(());
    }
    let update = apt(&["-o", "DPkg::Lock::Timeout=600", "update", "-q"])?;
    let again = apt(&install)?;
    if again.status.map(|s| s.success()) == Some(true) {
        return Ok(());
    }
    Err(format!(
        "apt-get install {} failed\n{}\n{}\n{}",
        packages.join(" "),
        first.describe(),
        update.describe(),
        again.describe()
    ))
}

// ---------------------------------------------------------------------------------------------
// Kubernetes manifests

/// The kustomize that renders the manifests of `deploy/kubernetes` in the tests: `kubectl
/// kustomize` of Debian's `kubernetes-client` package (kubectl 1.20 with kustomize 2.0), unpacked
/// into `TARGET/kubernetes-client` (`apt-get download` and `dpkg -x`: nothing is installed on the
/// host, and a newer kubectl of the developer's is left alone), so that every machine renders with
/// the same one. Panics with the reason if it cannot be had: a manifest test must fail, never
/// silently skip.
pub fn kubectl() -> PathBuf {
    static KUBECTL: OnceLock<Result<PathBuf, String>> = OnceLock::new();
    match KUBECTL.get_or_init(setup_kubectl) {
        Ok(path) => path.clone(),
        Err(e) => panic!(
            "no kubectl to render the Kubernetes manifests with: {e}\n(needs apt-get and dpkg \
             and Debian's kubernetes-client package)"
        ),
    }
}

fn kubectl_works(kubectl: &Path) -> bool {
    kubectl.is_file()
        && try_run_with_timeout(
            Command::new(kubectl).args(["version", "--client"]),
            None,
            Duration::from_secs(60),
        )
        .is_ok_and(|run| run.status.is_some_and(|s| s.success()))
}

fn setup_kubectl() -> Result<PathBuf, String> {
    let target = target_dir();
    std::fs::create_dir_all(&target).map_err(|e| format!("{}: {e}", target.display()))?;
    let dir = target.join("kubernetes-client");
    let kubectl = dir.join("root/usr/bin/kubectl");
    // One process unpacks it; the others wait for the lock and then use it.
    let _lock = FileLock::acquire(&target.join("kubernetes-client.lock"))?;
    if kubectl_works(&kubectl) {
        return Ok(kubectl);
    }
    if dir.exists() {
        std::fs::remove_dir_all(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    }
    std::fs::create_dir_all(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    let run = |program: &str, args: &[&str]| {
        try_run_with_timeout(
            Command::new(program)
                .args(args)
                .current_dir(&dir)
                .env("DEBIAN_FRONTEND", "noninteractive"),
            None,
            Duration::from_secs(900),
        )
        .map_err(|e| format!("cannot run {program}: {e}"))
    };
    let download = ["download", "-q", "kubernetes-client"];
    let first = run("apt-get", &download)?;
    if first.status.map(|s| s.success()) != Some(true) {
        // a machine whose package lists were never fetched knows no package yet
        let update = run(
            "apt-get",
            &["-o", "DPkg::Lock::Timeout=600", "update", "-q"],
        )?;
        let again = run("apt-get", &download)?;
        if again.status.map(|s| s.success()) != Some(true) {
            return Err(format!(
                "apt-get download kubernetes-client failed\n{}\n{}\n{}",
                first.describe(),
                update.describe(),
                again.describe()
            ));
        }
    }
    let deb = std::fs::read_dir(&dir)
        .map_err(|e| format!("{}: {e}", dir.display()))?
        .flatten()
        .map(|e| e.path())
        .find(|p| p.extension().is_some_and(|x| x == "deb"))
        .ok_or_else(|| format!("apt-get download left no .deb in {}", dir.display()))?;
    let deb = deb.display().to_string();
    let unpack = run("dpkg", &["-x", &deb, "root"])?;
    if unpack.status.map(|s| s.success()) != Some(true) {
        return Err(format!("dpkg -x {deb} failed\n{}", unpack.describe()));
    }
    if kubectl_works(&kubectl) {
        Ok(kubectl)
    } else {
        Err(format!(
            "unpacked {deb}, but {} does not run",
            kubectl.display()
        ))
    }
}
