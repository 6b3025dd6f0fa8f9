//! `acnslab bench`: start a lab of N generated devices in this process, measure start-up time and
//! memory (fresh and resumed), then drive it over real SSH from a separate client process (this same
//! binary, re-run with a hidden `--role`) so that the server's CPU time is this process's own CPU
//! time, measured with `getrusage(RUSAGE_SELF)` around each phase.
//!
//! Phases, each bounded in count and in time (`--max-seconds`):
//! 1. fresh start of N devices on a new state directory: wall time, RSS/PSS before and after;
//! 2. sequential sessions: S times connect, authenticate, pty + shell, first prompt, `show version`,
//!    disconnect; latency percentiles, server CPU per session;
//! 3. C concurrent sessions opened at once (each up to its first `show version`), then, once all
//!    are ready, K `show version` each; setup and per-command latency, commands per second, server CPU
//!    for the setup, the command and the teardown parts separately;
//! 4. resume: the lab is stopped and a fresh process starts it again from the same state directory
//!    (wall time, memory), so its memory figures are not blurred by freed heap of the first start.
//!
//! Everything listens on and connects to 127.0.0.1 only.

use std::collections::BTreeMap;
use std::io::{BufRead, Write as _};
use std::net::Ipv4Addr;
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc;
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};

use crate::config::{CdmRole, DeviceKind};
use crate::lab::{Lab, LabOptions};
use crate::topology::{DeviceSpec, LabSettings, Topology};

/// Largest lab the bench starts (ports must stay below the ephemeral range, 32768).
pub const MAX_DEVICES: usize = 10_000;
const MAX_CONCURRENCY: usize = 1_000;
const MAX_SESSIONS: usize = 100_000;
const MAX_COMMANDS: usize = 10_000;
const FIRST_EPHEMERAL_PORT: u32 = 32_768;
const USERNAME: &str = "admin";
const PASSWORD: &str = "default";
const COMMAND: &str = "show version";
/// Sessions opened one by one while the concurrent sessions are open.
const PROBES: usize = 20;
/// Per SSH operation (connect, read to the prompt) in the client.
const OP_TIMEOUT: Duration = Duration::from_secs(20);

/// What a bench process does; `Lab` is the user-facing command, the others are its children.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Role {
    /// Start the lab, run the phases, print the figures.
    Lab,
    /// Child: sequential sessions against the running lab.
    ClientSequential,
    /// Child: concurrent sessions, gated by the parent on stdin.
    ClientConcurrent,
    /// Child: start the lab again from its state directory, measure, stop.
    Resume,
}

/// `acnslab bench`.
#[derive(Clone, Debug, clap::Args)]
pub struct BenchArgs {
    /// Number of devices (generated topology: 2 CDMs, then CEs and CRs, 3 to 1).
    #[arg(long, default_value_t = 100)]
    pub devices: usize,
    /// Sequential sessions (connect, prompt, `show version`, disconnect).
    #[arg(long, default_value_t = 100)]
    pub sessions: usize,
    /// Concurrent sessions, opened at once.
    #[arg(long, default_value_t = 100)]
    pub concurrency: usize,
    /// `show version` commands per concurrent session once all are open.
    #[arg(long, default_value_t = 10)]
    pub commands: usize,
    /// SSH port of the first device, on 127.0.0.1 (the last one must stay below 32768).
    #[arg(long, default_value_t = 20_000)]
    pub base_port: u16,
    /// Also write the figures as JSON to this file.
    #[arg(long)]
    pub json: Option<PathBuf>,
    /// State directory (default: a new temporary one, removed afterwards).
    #[arg(long)]
    pub state_dir: Option<PathBuf>,
    /// Keep the temporary state directory.
    #[arg(long)]
    pub keep_state: bool,
    /// Time limit of each phase, seconds.
    #[arg(long, default_value_t = 120)]
    pub max_seconds: u64,
    #[arg(long, value_enum, default_value_t = Role::Lab, hide = true)]
    pub role: Role,
}

// ------------------------------------------------------------------------------------------------
// figures

/// Latency percentiles, milliseconds.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct Percentiles {
    pub n: usize,
    pub mean: f64,
    pub p50: f64,
    pub p95: f64,
    pub p99: f64,
    pub max: f64,
}

impl Percentiles {
    /// From durations in seconds; linear interpolation between ranks (as the peer harness does).
    pub fn of(samples: &[f64]) -> Self {
        let mut v: Vec<f64> = samples.iter().map(|s| s * 1000.0).collect();
        if v.is_empty() {
            return Percentiles::default();
        }
        v.sort_by(f64::total_cmp);
        let pct = |p: f64| {
            let k = (v.len() - 1) as f64 * p / 100.0;
            let f = k.floor() as usize;
            let c = (f + 1).min(v.len() - 1);
            v[f] + (v[c] - v[f]) * (k - f as f64)
        };
        Percentiles {
            n: v.len(),
            mean: round3(v.iter().sum::<f64>() / v.len() as f64),
            p50: round3(pct(50.0)),
            p95: round3(pct(95.0)),
            p99: round3(pct(99.0)),
            max: round3(v[v.len() - 1]),
        }
    }
}

fn round3(x: f64) -> f64 {
    (x * 1000.0).round() / 1000.0
}

/// Memory of this process, KiB.
#[derive(Clone, Copy, Debug, Default, Serialize, Deserialize)]
pub struct Memory {
    pub rss_kb: u64,
    /// `None` where /proc/self/smaps_rollup is missing.
    pub pss_kb: Option<u64>,
}

impl Memory {
    pub fn now() -> Self {
        let field = |path: &str, key: &str| {
            std::fs::read_to_string(path).ok().and_then(|text| {
                text.lines()
                    .find_map(|l| l.strip_prefix(key))
                    .and_then(|rest| rest.split_whitespace().next()?.parse().ok())
            })
        };
        Memory {
            rss_kb: field("/proc/self/status", "VmRSS:").unwrap_or(0),
            pss_kb: field("/proc/self/smaps_rollup", "Pss:"),
        }
    }
}

/// CPU time (user + system) this process has used so far, all threads, seconds.
pub fn cpu_seconds() -> f64 {
    #[allow(unsafe_code)]
    // SAFETY: getrusage only writes the struct we pass; an all-zero rusage is a valid value.
    let usage = unsafe {
        let mut usage: libc::rusage = std::mem::zeroed();
        if libc::getrusage(libc::RUSAGE_SELF, &mut usage) != 0 {
            return 0.0;
        }
        usage
    };
    let secs = |t: libc::timeval| t.tv_sec as f64 + t.tv_usec as f64 / 1e6;
    secs(usage.ru_utime) + secs(usage.ru_stime)
}

/// A lab start: wall time and memory before and after.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct StartFigures {
    pub devices: usize,
    pub wall_s: f64,
    pub cpu_s: f64,
    pub before: Memory,
    /// Right after the start returned and the listener tasks ran once (idle lab).
    pub after: Memory,
    pub rss_kb_per_device: f64,
    pub pss_kb_per_device: Option<f64>,
}

impl StartFigures {
    fn new(devices: usize, wall_s: f64, cpu_s: f64, before: Memory, after: Memory) -> Self {
        let per = |a: u64, b: u64| round3((a as f64 - b as f64) / devices.max(1) as f64);
        StartFigures {
            devices,
            wall_s: round3(wall_s),
            cpu_s: round3(cpu_s),
            before,
            after,
            rss_kb_per_device: per(after.rss_kb, before.rss_kb),
            pss_kb_per_device: after.pss_kb.zip(before.pss_kb).map(|(a, b)| per(a, b)),
        }
    }
}

/// What a client child reports (one phase).
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct ClientReport {
    pub sessions_attempted: usize,
    pub sessions_ok: usize,
    pub errors: BTreeMap<String, usize>,
    pub error_examples: Vec<String>,
    /// TCP connect + key exchange + password authentication.
    pub connect_auth_ms: Percentiles,
    /// Channel, pty, shell, until the first prompt.
    pub first_prompt_ms: Percentiles,
    /// From the start of the TCP connect to the end of the first `show version` output (prompt).
    pub connect_to_show_version_ms: Percentiles,
    /// Concurrent phase: new sessions opened one after the other (connect to the end of `show
    /// version`) while the C sessions are open.
    pub probe_connect_to_show_version_ms: Percentiles,
    /// Sequential phase: the whole session including the disconnect.
    pub session_ms: Percentiles,
    /// Every timed `show version`, send to prompt.
    pub command_ms: Percentiles,
    pub commands_ok: usize,
    /// Concurrent phase: wall time of the command part (all sessions ready, then K commands each).
    pub command_phase_s: f64,
    pub commands_per_s: f64,
    pub wall_s: f64,
    /// The client process's own CPU time.
    pub client_cpu_s: f64,
    pub stopped_by_deadline: bool,
}

/// Server CPU of a phase, measured in the lab process.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct ServerCpu {
    pub total_s: f64,
    pub ms_per_session: Option<f64>,
    pub ms_per_command: Option<f64>,
}

/// The figures of the sequential phase.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct SequentialFigures {
    pub client: ClientReport,
    /// Each session: connect, auth, shell, prompt, one `show version`, disconnect.
    pub server_cpu: ServerCpu,
}

/// The figures of the concurrent phase.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct ConcurrentFigures {
    pub concurrency: usize,
    pub commands_per_session: usize,
    pub client: ClientReport,
    /// Opening the C sessions (each up to and including its first `show version`) and closing them.
    pub server_cpu_sessions: ServerCpu,
    /// The C x K commands once all sessions were open.
    pub server_cpu_commands: ServerCpu,
    /// The probe sessions (connect .. `show version` .. disconnect) while the C sessions were open.
    pub server_cpu_probes: ServerCpu,
}

/// Everything `acnslab bench` measures.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct BenchReport {
    pub devices: usize,
    pub base_port: u16,
    pub cores: usize,
    pub fresh_start: StartFigures,
    pub idle_after_load: Memory,
    pub sequential: SequentialFigures,
    pub concurrent: ConcurrentFigures,
    /// Second start of the same state directory, in a new process.
    pub resume: Option<StartFigures>,
}

// ------------------------------------------------------------------------------------------------
// entry point

/// Runs `acnslab bench` in the role its arguments say.
pub fn run(args: BenchArgs) -> Result<(), String> {
    check(&args)?;
    match args.role {
        Role::Lab => run_lab(&args),
        Role::ClientSequential => client_main(&args, false),
        Role::ClientConcurrent => client_main(&args, true),
        Role::Resume => resume_main(&args),
    }
}

fn check(args: &BenchArgs) -> Result<(), String> {
    if args.devices == 0 || args.devices > MAX_DEVICES {
        return Err(format!("--devices: 1 to {MAX_DEVICES}"));
    }
    let last = u32::from(args.base_port) + args.devices as u32 - 1;
    if args.base_port < 1024 || last >= FIRST_EPHEMERAL_PORT {
        return Err(format!(
            "--base-port: ports {}..={last} must lie within 1024..32767",
            args.base_port
        ));
    }
    if args.sessions > MAX_SESSIONS {
        return Err(format!("--sessions: at most {MAX_SESSIONS}"));
    }
    if args.concurrency > MAX_CONCURRENCY {
        return Err(format!("--concurrency: at most {MAX_CONCURRENCY}"));
    }
    if args.commands > MAX_COMMANDS {
        return Err(format!("--commands: at most {MAX_COMMANDS}"));
    }
    if args.max_seconds == 0 || args.max_seconds > 3600 {
        return Err("--max-seconds: 1 to 3600".into());
    }
    Ok(())
}

/// The generated topology: `cdm1` (primary) and `cdm2` (standby) from 5 devices up, then CEs and
/// CRs, three CEs for each CR; addresses in 10.1.0.0/16, gateway 10.1.0.1.
pub fn generated_topology(devices: usize, base_port: u16) -> Topology {
    let mut specs = Vec::with_capacity(devices);
    let (mut ces, mut crs) = (0, 0);
    for i in 0..devices {
        let ip = Ipv4Addr::new(10, 1, (i / 250) as u8, (i % 250 + 2) as u8);
        let (name, kind, role) = if devices >= 5 && i < 2 {
            let role = if i == 0 {
                CdmRole::Primary
            } else {
                CdmRole::Standby
            };
            (format!("cdm{}", i + 1), DeviceKind::Cdm, Some(role))
        } else if i % 4 == 3 {
            crs += 1;
            (format!("cr{crs}"), DeviceKind::Cr, None)
        } else {
            ces += 1;
            (format!("ce{ces}"), DeviceKind::Ce, None)
        };
        specs.push(DeviceSpec {
            name,
            kind,
            role,
            ip,
            model: None,
            version: None,
            port: None,
            groups: Vec::new(),
            disk_mb: 65_536,
            cms: true,
        });
    }
    Topology {
        lab: LabSettings {
            base_port,
            gateway: Ipv4Addr::new(10, 1, 0, 1),
            prefix: 16,
            ..LabSettings::default()
        },
        devices: specs,
        servers: Vec::new(),
    }
}

// ------------------------------------------------------------------------------------------------
// the lab process

fn run_lab(args: &BenchArgs) -> Result<(), String> {
    let (state_dir, temporary) = match &args.state_dir {
        Some(dir) => (dir.clone(), false),
        None => {
            let nanos = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.subsec_nanos())
                .unwrap_or(0);
            let dir = std::env::temp_dir()
                .join(format!("acnslab-bench-{}-{nanos:x}", std::process::id()));
            (dir, true)
        }
    };
    if state_dir.join("topology.yaml").exists() {
        return Err(format!(
            "{}: already holds a lab; the bench wants a fresh state directory",
            state_dir.display()
        ));
    }
    let result = bench_lab(args, &state_dir);
    if temporary && !args.keep_state {
        let _ = std::fs::remove_dir_all(&state_dir);
    } else {
        eprintln!("state kept in {}", state_dir.display());
    }
    let report = result?;
    print!("{}", table(&report));
    if let Some(path) = &args.json {
        let json = serde_json::to_vec_pretty(&report).map_err(|e| e.to_string())?;
        std::fs::write(path, json).map_err(|e| format!("{}: {e}", path.display()))?;
    }
    Ok(())
}

fn bench_lab(args: &BenchArgs, state_dir: &Path) -> Result<BenchReport, String> {
    // The same runtime `acnslab up` uses (one worker per core).
    let runtime = tokio::runtime::Runtime::new().map_err(|e| e.to_string())?;
    let n = args.devices;
    eprintln!(
        "bench: starting {n} devices on 127.0.0.1:{}..",
        args.base_port
    );
    let mut options = LabOptions::new(state_dir);
    options.cdm_http = Some(crate::api::service());
    options.topology = Some(generated_topology(n, args.base_port));
    let (lab, fresh_start) = runtime.block_on(start_measured(options, n))?;

    eprintln!("bench: {} sequential sessions", args.sessions);
    let sequential = sequential_phase(args)?;
    eprintln!(
        "bench: {} concurrent sessions x {} commands",
        args.concurrency, args.commands
    );
    let concurrent = concurrent_phase(args)?;
    let idle_after_load = Memory::now();

    runtime.block_on(async {
        lab.shutdown().await;
        drop(lab);
        // Let the aborted listener tasks drop their sockets before the resume binds the ports.
        tokio::time::sleep(Duration::from_millis(300)).await;
    });
    eprintln!("bench: resume in a new process");
    let resume = match resume_phase(args, state_dir) {
        Ok(figures) => Some(figures),
        Err(e) => {
            eprintln!("bench: resume failed: {e}");
            None
        }
    };
    runtime.shutdown_timeout(Duration::from_secs(2));
    Ok(BenchReport {
        devices: n,
        base_port: args.base_port,
        cores: std::thread::available_parallelism()
            .map(|c| c.get())
            .unwrap_or(1),
        fresh_start,
        idle_after_load,
        sequential,
        concurrent,
        resume,
    })
}

/// Starts a lab and measures it; memory "after" is taken once the listener tasks have run.
async fn start_measured(options: LabOptions, n: usize) -> Result<(Lab, StartFigures), String> {
    let before = Memory::now();
    let cpu0 = cpu_seconds();
    let t0 = Instant::now();
    let lab = Lab::start(options).await.map_err(|e| e.to_string())?;
    let wall = t0.elapsed().as_secs_f64();
    let cpu = cpu_seconds() - cpu0;
    tokio::time::sleep(Duration::from_millis(200)).await;
    let after = Memory::now();
    Ok((lab, StartFigures::new(n, wall, cpu, before, after)))
}

/// A client child: this binary again, `bench --role ...`, with piped stdin and stdout.
struct ClientChild {
    child: Child,
    stdin: Option<ChildStdin>,
    lines: mpsc::Receiver<String>,
    deadline: Instant,
}

impl ClientChild {
    fn spawn(args: &BenchArgs, role: &str, extra: &[String]) -> Result<Self, String> {
        let exe = std::env::current_exe().map_err(|e| e.to_string())?;
        let mut command = Command::new(exe);
        command
            .arg("bench")
            .args(["--role", role])
            .args(["--devices", &args.devices.to_string()])
            .args(["--base-port", &args.base_port.to_string()])
            .args(["--sessions", &args.sessions.to_string()])
            .args(["--concurrency", &args.concurrency.to_string()])
            .args(["--commands", &args.commands.to_string()])
            .args(["--max-seconds", &args.max_seconds.to_string()])
            .args(extra)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit());
        let mut child = command.spawn().map_err(|e| format!("bench client: {e}"))?;
        let stdout = child.stdout.take().ok_or("bench client: no stdout")?;
        let stdin = child.stdin.take();
        let (tx, lines) = mpsc::channel();
        std::thread::spawn(move || {
            for line in std::io::BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        Ok(ClientChild {
            child,
            stdin,
            lines,
            // The child bounds itself by --max-seconds; this is the backstop.
            deadline: Instant::now() + Duration::from_secs(args.max_seconds + 60),
        })
    }

    /// The next line that starts with `word`; `Err` when the child ends or overruns.
    fn expect(&mut self, word: &str) -> Result<String, String> {
        loop {
            let left = self.deadline.saturating_duration_since(Instant::now());
            match self.lines.recv_timeout(left) {
                Ok(line) => {
                    if let Some(rest) = line.strip_prefix(word) {
                        return Ok(rest.trim().to_string());
                    }
                }
                Err(mpsc::RecvTimeoutError::Timeout) => {
                    let _ = self.child.kill();
                    return Err(format!("bench client overran; waiting for {word}"));
                }
                Err(mpsc::RecvTimeoutError::Disconnected) => {
                    return Err(format!("bench client ended before {word}"));
                }
            }
        }
    }

    fn go(&mut self) {
        if let Some(stdin) = self.stdin.as_mut() {
            let _ = stdin.write_all(b"go\n");
            let _ = stdin.flush();
        }
    }

    fn finish<T: for<'de> Deserialize<'de>>(mut self) -> Result<T, String> {
        let json = self.expect("RESULT")?;
        self.stdin = None;
        let _ = self.child.wait();
        serde_json::from_str(&json).map_err(|e| format!("bench client result: {e}"))
    }
}

impl Drop for ClientChild {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

fn per(total_s: f64, count: usize) -> Option<f64> {
    (count > 0).then(|| round3(total_s * 1000.0 / count as f64 * 1000.0) / 1000.0)
}

fn sequential_phase(args: &BenchArgs) -> Result<SequentialFigures, String> {
    if args.sessions == 0 {
        return Ok(SequentialFigures::default());
    }
    let mut child = ClientChild::spawn(args, "client-sequential", &[])?;
    child.expect("STARTED")?;
    let cpu0 = cpu_seconds();
    child.go();
    let client: ClientReport = child.finish()?;
    let total = cpu_seconds() - cpu0;
    let ok = client.sessions_ok;
    Ok(SequentialFigures {
        server_cpu: ServerCpu {
            total_s: round3(total),
            ms_per_session: per(total, ok),
            ms_per_command: None,
        },
        client,
    })
}

fn concurrent_phase(args: &BenchArgs) -> Result<ConcurrentFigures, String> {
    let mut figures = ConcurrentFigures {
        concurrency: args.concurrency,
        commands_per_session: args.commands,
        ..ConcurrentFigures::default()
    };
    if args.concurrency == 0 {
        return Ok(figures);
    }
    let mut child = ClientChild::spawn(args, "client-concurrent", &[])?;
    child.expect("STARTED")?;
    let cpu0 = cpu_seconds();
    child.go();
    child.expect("READY")?;
    let cpu1 = cpu_seconds();
    child.go();
    child.expect("PROBED")?;
    let cpu_probes = cpu_seconds();
    child.go();
    child.expect("DONE")?;
    let cpu2 = cpu_seconds();
    child.go();
    let client: ClientReport = child.finish()?;
    let cpu3 = cpu_seconds();
    let sessions = (cpu1 - cpu0) + (cpu3 - cpu2);
    let probes = cpu_probes - cpu1;
    let commands = cpu2 - cpu_probes;
    figures.server_cpu_sessions = ServerCpu {
        total_s: round3(sessions),
        ms_per_session: per(sessions, client.sessions_ok),
        ms_per_command: None,
    };
    figures.server_cpu_commands = ServerCpu {
        total_s: round3(commands),
        ms_per_session: None,
        ms_per_command: per(commands, client.commands_ok),
    };
    figures.server_cpu_probes = ServerCpu {
        total_s: round3(probes),
        ms_per_session: per(probes, client.probe_connect_to_show_version_ms.n),
        ms_per_command: None,
    };
    figures.client = client;
    Ok(figures)
}

fn resume_phase(args: &BenchArgs, state_dir: &Path) -> Result<StartFigures, String> {
    let extra = ["--state-dir".to_string(), state_dir.display().to_string()];
    let child = ClientChild::spawn(args, "resume", &extra)?;
    child.finish()
}

/// Child: starts the lab again from `--state-dir`, measures, stops.
fn resume_main(args: &BenchArgs) -> Result<(), String> {
    let dir = args.state_dir.clone().ok_or("--state-dir is required")?;
    let runtime = tokio::runtime::Runtime::new().map_err(|e| e.to_string())?;
    let figures = runtime.block_on(async {
        // No topology: the lab resumes the one stored in the state directory.
        let mut options = LabOptions::new(dir);
        options.cdm_http = Some(crate::api::service());
        let (lab, figures) = start_measured(options, args.devices).await?;
        if lab.nodes().len() != args.devices {
            return Err(format!(
                "resumed {} devices, expected {}",
                lab.nodes().len(),
                args.devices
            ));
        }
        lab.shutdown().await;
        Ok::<_, String>(figures)
    })?;
    let json = serde_json::to_string(&figures).map_err(|e| e.to_string())?;
    println!("RESULT {json}");
    Ok(())
}

// ------------------------------------------------------------------------------------------------
// the client process

/// Our own lab on loopback, with host keys generated for this run: trusted.
use crate::ssh_client::LabHost as Trusting;

/// Why a session failed, as a short kind (counted) and a message (a few are kept).
struct Failure {
    kind: &'static str,
    message: String,
}

fn fail(kind: &'static str) -> impl FnOnce(russh::Error) -> Failure {
    move |e| Failure {
        kind,
        message: e.to_string(),
    }
}

/// One interactive session: connection, shell channel, the prompt it learned.
struct CliClient {
    handle: russh::client::Handle<Trusting>,
    channel: russh::Channel<russh::client::Msg>,
    prompt: Vec<u8>,
}

impl CliClient {
    /// Connects and authenticates; returns the handle.
    async fn connect(
        config: Arc<russh::client::Config>,
        port: u16,
    ) -> Result<russh::client::Handle<Trusting>, Failure> {
        let connect = async {
            let mut handle = russh::client::connect(config, ("127.0.0.1", port), Trusting)
                .await
                .map_err(fail("connect"))?;
            let auth = handle
                .authenticate_password(USERNAME, PASSWORD)
                .await
                .map_err(fail("auth"))?;
            if !auth.success() {
                return Err(Failure {
                    kind: "auth",
                    message: "password refused".into(),
                });
            }
            Ok(handle)
        };
        tokio::time::timeout(OP_TIMEOUT, connect)
            .await
            .map_err(|_| Failure {
                kind: "connect_timeout",
                message: format!("port {port}"),
            })?
    }

    /// Opens the shell channel and reads the first prompt (a last line ending in `#` or `>`).
    async fn shell(handle: russh::client::Handle<Trusting>) -> Result<Self, Failure> {
        let channel = handle
            .channel_open_session()
            .await
            .map_err(fail("channel"))?;
        channel
            .request_pty(true, "vt100", 200, 24, 0, 0, &[])
            .await
            .map_err(fail("pty"))?;
        channel.request_shell(true).await.map_err(fail("shell"))?;
        let mut client = CliClient {
            handle,
            channel,
            prompt: Vec::new(),
        };
        let buf = client
            .read_until(|buf| {
                let line = last_line(buf);
                matches!(line.last(), Some(b'#' | b'>')) && line.len() < 80
            })
            .await?;
        client.prompt = last_line(&buf).to_vec();
        Ok(client)
    }

    /// Sends one command and reads to the next prompt; answers `--More--` with a space.
    async fn run(&mut self, command: &str) -> Result<usize, Failure> {
        self.channel
            .data_bytes(format!("{command}\n").into_bytes())
            .await
            .map_err(fail("send"))?;
        let prompt = self.prompt.clone();
        let buf = self.read_until(|buf| last_line(buf) == prompt).await?;
        Ok(buf.len())
    }

    async fn read_until(&mut self, done: impl Fn(&[u8]) -> bool) -> Result<Vec<u8>, Failure> {
        let mut buf = Vec::new();
        let deadline = tokio::time::Instant::now() + OP_TIMEOUT;
        loop {
            let msg = tokio::time::timeout_at(deadline, self.channel.wait())
                .await
                .map_err(|_| Failure {
                    kind: "read_timeout",
                    message: format!("no prompt; tail {:?}", tail(&buf)),
                })?;
            match msg {
                Some(russh::ChannelMsg::Data { data }) => {
                    buf.extend_from_slice(&data);
                    if done(&buf) {
                        return Ok(buf);
                    }
                    if buf.ends_with(b"--More--") || buf.ends_with(b"--More-- ") {
                        self.channel
                            .data_bytes(&b" "[..])
                            .await
                            .map_err(fail("send"))?;
                    }
                    if buf.len() > 8 << 20 {
                        return Err(Failure {
                            kind: "overflow",
                            message: "8 MB without a prompt".into(),
                        });
                    }
                }
                Some(
                    russh::ChannelMsg::Eof
                    | russh::ChannelMsg::Close
                    | russh::ChannelMsg::ExitStatus { .. },
                )
                | None => {
                    return Err(Failure {
                        kind: "eof",
                        message: format!("channel closed; tail {:?}", tail(&buf)),
                    })
                }
                Some(_) => {}
            }
        }
    }

    async fn disconnect(self) {
        let _ = self
            .handle
            .disconnect(russh::Disconnect::ByApplication, "", "en")
            .await;
        // Let the connection task send the message and close the socket.
        let _ = tokio::time::timeout(Duration::from_secs(5), self.handle).await;
    }
}

/// The last line of the output so far, without trailing spaces.
fn last_line(buf: &[u8]) -> &[u8] {
    let end = buf
        .iter()
        .rposition(|b| *b != b' ')
        .map(|i| i + 1)
        .unwrap_or(0);
    let buf = &buf[..end];
    let start = buf
        .iter()
        .rposition(|b| *b == b'\n' || *b == b'\r')
        .map(|i| i + 1)
        .unwrap_or(0);
    &buf[start..]
}

fn tail(buf: &[u8]) -> String {
    String::from_utf8_lossy(&buf[buf.len().saturating_sub(80)..]).into_owned()
}

fn client_config() -> Arc<russh::client::Config> {
    Arc::new(russh::client::Config {
        nodelay: true,
        inactivity_timeout: Some(Duration::from_secs(120)),
        ..Default::default()
    })
}

/// Collects failures: counts per kind and the first few messages.
#[derive(Default)]
struct Errors {
    counts: BTreeMap<String, usize>,
    examples: Vec<String>,
}

impl Errors {
    fn add(&mut self, port: u16, failure: Failure) {
        *self.counts.entry(failure.kind.to_string()).or_default() += 1;
        if self.examples.len() < 5 {
            self.examples.push(format!(
                "127.0.0.1:{port} {}: {}",
                failure.kind, failure.message
            ));
        }
    }
}

/// Waits for a line on stdin (the parent's go-ahead); EOF also goes ahead.
async fn wait_for_go() {
    let _ = tokio::task::spawn_blocking(|| {
        let mut line = String::new();
        let _ = std::io::stdin().lock().read_line(&mut line);
    })
    .await;
}

fn say(word: &str) {
    let mut out = std::io::stdout().lock();
    let _ = writeln!(out, "{word}");
    let _ = out.flush();
}

fn client_main(args: &BenchArgs, concurrent: bool) -> Result<(), String> {
    // A runtime like the lab's (one worker per core): client and lab share the machine's cores, as
    // they do when any client runs on the lab's host. The client's CPU is reported.
    let runtime = tokio::runtime::Runtime::new().map_err(|e| e.to_string())?;
    let cpu0 = cpu_seconds();
    let report = runtime.block_on(async {
        say("STARTED");
        wait_for_go().await;
        if concurrent {
            concurrent_client(args).await
        } else {
            sequential_client(args).await
        }
    });
    let mut report = report;
    report.client_cpu_s = round3(cpu_seconds() - cpu0);
    let json = serde_json::to_string(&report).map_err(|e| e.to_string())?;
    say(&format!("RESULT {json}"));
    Ok(())
}

fn port_of(args: &BenchArgs, i: usize) -> u16 {
    args.base_port + (i % args.devices) as u16
}

async fn sequential_client(args: &BenchArgs) -> ClientReport {
    let config = client_config();
    let deadline = Instant::now() + Duration::from_secs(args.max_seconds);
    let (mut connect, mut prompt, mut to_show, mut session, mut command) =
        (vec![], vec![], vec![], vec![], vec![]);
    let mut errors = Errors::default();
    let mut report = ClientReport::default();
    let w0 = Instant::now();
    for i in 0..args.sessions {
        if Instant::now() > deadline {
            report.stopped_by_deadline = true;
            break;
        }
        report.sessions_attempted += 1;
        let port = port_of(args, i);
        let t0 = Instant::now();
        let result = async {
            let handle = CliClient::connect(config.clone(), port).await?;
            let t1 = Instant::now();
            let mut cli = CliClient::shell(handle).await?;
            let t2 = Instant::now();
            cli.run(COMMAND).await?;
            let t3 = Instant::now();
            cli.disconnect().await;
            Ok::<_, Failure>((t1, t2, t3, Instant::now()))
        }
        .await;
        match result {
            Ok((t1, t2, t3, t4)) => {
                connect.push((t1 - t0).as_secs_f64());
                prompt.push((t2 - t1).as_secs_f64());
                command.push((t3 - t2).as_secs_f64());
                to_show.push((t3 - t0).as_secs_f64());
                session.push((t4 - t0).as_secs_f64());
                report.sessions_ok += 1;
                report.commands_ok += 1;
            }
            Err(failure) => errors.add(port, failure),
        }
    }
    report.wall_s = round3(w0.elapsed().as_secs_f64());
    report.connect_auth_ms = Percentiles::of(&connect);
    report.first_prompt_ms = Percentiles::of(&prompt);
    report.connect_to_show_version_ms = Percentiles::of(&to_show);
    report.session_ms = Percentiles::of(&session);
    report.command_ms = Percentiles::of(&command);
    report.errors = errors.counts;
    report.error_examples = errors.examples;
    report
}

/// What one concurrent session measured.
#[derive(Default)]
struct SessionTimes {
    connect: f64,
    prompt: f64,
    to_show: f64,
    commands: Vec<f64>,
    ended_commands: Option<Instant>,
}

async fn concurrent_client(args: &BenchArgs) -> ClientReport {
    use tokio::sync::{mpsc as tmpsc, watch};
    let config = client_config();
    let deadline = Instant::now() + Duration::from_secs(args.max_seconds);
    let (ready_tx, mut ready_rx) = tmpsc::unbounded_channel::<bool>();
    let (go_tx, go_rx) = watch::channel(0u8);
    let w0 = Instant::now();
    let mut tasks = Vec::with_capacity(args.concurrency);
    for i in 0..args.concurrency {
        let port = port_of(args, i);
        let config = config.clone();
        let ready_tx = ready_tx.clone();
        let mut go_rx = go_rx.clone();
        let k = args.commands;
        tasks.push(tokio::spawn(async move {
            let mut times = SessionTimes::default();
            let t0 = Instant::now();
            let opened = async {
                let handle = CliClient::connect(config, port).await?;
                let t1 = Instant::now();
                let mut cli = CliClient::shell(handle).await?;
                let t2 = Instant::now();
                cli.run(COMMAND).await?;
                times.connect = (t1 - t0).as_secs_f64();
                times.prompt = (t2 - t1).as_secs_f64();
                times.to_show = t0.elapsed().as_secs_f64();
                Ok::<_, Failure>(cli)
            }
            .await;
            let _ = ready_tx.send(opened.is_ok());
            let mut cli = match opened {
                Ok(cli) => cli,
                Err(failure) => return (port, times, Some(failure), false),
            };
            let _ = go_rx.wait_for(|stage| *stage >= 1).await;
            let mut failure = None;
            for _ in 0..k {
                if Instant::now() > deadline {
                    break;
                }
                let t = Instant::now();
                match cli.run(COMMAND).await {
                    Ok(_) => times.commands.push(t.elapsed().as_secs_f64()),
                    Err(f) => {
                        failure = Some(f);
                        break;
                    }
                }
            }
            times.ended_commands = Some(Instant::now());
            let _ = ready_tx.send(true);
            let _ = go_rx.wait_for(|stage| *stage >= 2).await;
            cli.disconnect().await;
            (port, times, failure, true)
        }));
    }
    drop(ready_tx);
    let limit = tokio::time::Instant::from_std(deadline + OP_TIMEOUT);
    let mut report = ClientReport::default();
    let mut probe_errors = Errors::default();
    // Stage 1: every session open (or failed). Stage 2: every open session done with its commands.
    let mut opened = 0;
    for _ in 0..args.concurrency {
        match tokio::time::timeout_at(limit, ready_rx.recv()).await {
            Ok(Some(ok)) => opened += usize::from(ok),
            Ok(None) => break,
            Err(_) => {
                report.stopped_by_deadline = true;
                break;
            }
        }
    }
    say("READY");
    wait_for_go().await;
    // With the C sessions open: new sessions one at a time, connect to the end of `show version`.
    let mut probes = Vec::new();
    for j in 0..PROBES.min(args.sessions.max(1)) {
        let port = port_of(args, args.concurrency + j);
        let t0 = Instant::now();
        let probe = async {
            let handle = CliClient::connect(config.clone(), port).await?;
            let mut cli = CliClient::shell(handle).await?;
            cli.run(COMMAND).await?;
            Ok::<_, Failure>(cli)
        }
        .await;
        match probe {
            Ok(cli) => {
                probes.push(t0.elapsed().as_secs_f64());
                cli.disconnect().await;
            }
            Err(failure) => probe_errors.add(port, failure),
        }
    }
    report.probe_connect_to_show_version_ms = Percentiles::of(&probes);
    say("PROBED");
    wait_for_go().await;
    let commands_start = Instant::now();
    let _ = go_tx.send(1);
    for _ in 0..opened {
        match tokio::time::timeout_at(limit, ready_rx.recv()).await {
            Ok(Some(_)) => {}
            Ok(None) => break,
            Err(_) => {
                report.stopped_by_deadline = true;
                break;
            }
        }
    }
    say("DONE");
    wait_for_go().await;
    let _ = go_tx.send(2);
    let mut errors = probe_errors;
    let (mut connect, mut prompt, mut to_show, mut command) = (vec![], vec![], vec![], vec![]);
    let mut last_end = commands_start;
    for task in tasks {
        let Ok(Ok((port, times, failure, opened))) = tokio::time::timeout_at(limit, task).await
        else {
            *errors.counts.entry("task".into()).or_default() += 1;
            continue;
        };
        report.sessions_attempted += 1;
        if opened {
            report.sessions_ok += 1;
            connect.push(times.connect);
            prompt.push(times.prompt);
            to_show.push(times.to_show);
        }
        if let Some(end) = times.ended_commands {
            last_end = last_end.max(end);
        }
        report.commands_ok += times.commands.len();
        command.extend(times.commands);
        if let Some(f) = failure {
            errors.add(port, f);
        }
    }
    report.command_phase_s = round3(last_end.duration_since(commands_start).as_secs_f64());
    report.commands_per_s = if report.command_phase_s > 0.0 {
        (report.commands_ok as f64 / report.command_phase_s).round()
    } else {
        0.0
    };
    report.wall_s = round3(w0.elapsed().as_secs_f64());
    report.connect_auth_ms = Percentiles::of(&connect);
    report.first_prompt_ms = Percentiles::of(&prompt);
    report.connect_to_show_version_ms = Percentiles::of(&to_show);
    report.command_ms = Percentiles::of(&command);
    report.errors = errors.counts;
    report.error_examples = errors.examples;
    report
}

// ------------------------------------------------------------------------------------------------
// the table

fn ms(x: Option<f64>) -> String {
    x.map(|v| format!("{v:.3} ms"))
        .unwrap_or_else(|| "-".into())
}

fn kb(x: f64) -> String {
    format!("{x:.1} KiB")
}

/// The figures as a plain two-column table.
pub fn table(r: &BenchReport) -> String {
    let mut rows: Vec<(String, String)> = Vec::new();
    let mut row = |k: &str, v: String| rows.push((k.to_string(), v));
    let f = &r.fresh_start;
    row("devices", format!("{} ({} cores)", r.devices, r.cores));
    row("fresh start, wall", format!("{:.3} s", f.wall_s));
    row("fresh start, cpu", format!("{:.3} s", f.cpu_s));
    row(
        "RSS before / after start",
        format!("{} / {} KiB", f.before.rss_kb, f.after.rss_kb),
    );
    row("RSS per device", kb(f.rss_kb_per_device));
    if let (Some(b), Some(a), Some(p)) = (f.before.pss_kb, f.after.pss_kb, f.pss_kb_per_device) {
        row("PSS before / after start", format!("{b} / {a} KiB"));
        row("PSS per device", kb(p));
    }
    if let Some(res) = &r.resume {
        row("resume start, wall", format!("{:.3} s", res.wall_s));
        row("resume start, cpu", format!("{:.3} s", res.cpu_s));
        row(
            "resume RSS before / after",
            format!("{} / {} KiB", res.before.rss_kb, res.after.rss_kb),
        );
        row("resume RSS per device", kb(res.rss_kb_per_device));
        if let Some(p) = res.pss_kb_per_device {
            row("resume PSS per device", kb(p));
        }
    } else {
        row("resume", "failed (see stderr)".into());
    }
    row(
        "RSS after the load (sessions closed)",
        format!("{} KiB", r.idle_after_load.rss_kb),
    );
    let s = &r.sequential;
    row(
        "sequential sessions ok / attempted",
        format!("{} / {}", s.client.sessions_ok, s.client.sessions_attempted),
    );
    let p = &s.client.connect_to_show_version_ms;
    row(
        "sequential connect..show version p50 / p99",
        format!("{:.3} / {:.3} ms", p.p50, p.p99),
    );
    let p = &s.client.session_ms;
    row(
        "sequential whole session p50 / p99",
        format!("{:.3} / {:.3} ms", p.p50, p.p99),
    );
    let p = &s.client.connect_auth_ms;
    row(
        "sequential connect+auth p50 / p99",
        format!("{:.3} / {:.3} ms", p.p50, p.p99),
    );
    row(
        "server cpu per session (seq)",
        ms(s.server_cpu.ms_per_session),
    );
    let c = &r.concurrent;
    row(
        "concurrent sessions ok / attempted",
        format!(
            "{} / {} (x {} commands)",
            c.client.sessions_ok, c.client.sessions_attempted, c.commands_per_session
        ),
    );
    let p = &c.client.connect_to_show_version_ms;
    row(
        "concurrent connect..show version p50 / p99",
        format!("{:.3} / {:.3} ms", p.p50, p.p99),
    );
    let p = &c.client.probe_connect_to_show_version_ms;
    row(
        "new session while C open: connect..show version p50 / p99",
        format!("{:.3} / {:.3} ms (n={})", p.p50, p.p99, p.n),
    );
    let p = &c.client.command_ms;
    row(
        "concurrent show version p50 / p99",
        format!("{:.3} / {:.3} ms", p.p50, p.p99),
    );
    row(
        "concurrent commands per second",
        format!(
            "{} ({} in {:.3} s)",
            c.client.commands_per_s, c.client.commands_ok, c.client.command_phase_s
        ),
    );
    row(
        "server cpu per session (conc)",
        ms(c.server_cpu_sessions.ms_per_session),
    );
    row(
        "server cpu per show version (conc)",
        ms(c.server_cpu_commands.ms_per_command),
    );
    row(
        "client cpu (seq / conc)",
        format!(
            "{:.3} / {:.3} s",
            s.client.client_cpu_s, c.client.client_cpu_s
        ),
    );
    let errors: usize =
        s.client.errors.values().sum::<usize>() + c.client.errors.values().sum::<usize>();
    row("errors", errors.to_string());
    let width = rows.iter().map(|(k, _)| k.len()).max().unwrap_or(0);
    let mut out = String::new();
    for (k, v) in rows {
        out.push_str(&format!("{k:<width$}  {v}\n"));
    }
    for example in s
        .client
        .error_examples
        .iter()
        .chain(&c.client.error_examples)
    {
        out.push_str(&format!("  error: {example}\n"));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_interpolate_like_the_peer_harness() {
        let p = Percentiles::of(&[0.001, 0.002, 0.003, 0.004]);
        assert_eq!((p.n, p.p50, p.max), (4, 2.5, 4.0));
        assert_eq!(Percentiles::of(&[]).n, 0);
    }

    #[test]
    fn generated_topology_is_mostly_ces_and_crs_and_valid() {
        let t = generated_topology(1000, 20_000);
        let text = serde_norway::to_string(&t).unwrap();
        let parsed = Topology::parse(&text, "gen").unwrap();
        let count = |k| parsed.devices.iter().filter(|d| d.kind == k).count();
        assert_eq!(count(DeviceKind::Cdm), 2);
        assert!(count(DeviceKind::Ce) > 700 && count(DeviceKind::Cr) > 200);
        assert_eq!(parsed.port_of(999), 20_999);
        let small = generated_topology(3, 20_000);
        assert!(small.devices.iter().all(|d| d.kind != DeviceKind::Cdm));
    }

    #[test]
    fn last_line_ignores_trailing_spaces() {
        assert_eq!(last_line(b"x\r\nce1# "), b"ce1#");
        assert_eq!(last_line(b"ce1#"), b"ce1#");
    }

    #[test]
    fn ports_must_stay_below_the_ephemeral_range() {
        let mut args = BenchArgs {
            devices: 10_000,
            sessions: 1,
            concurrency: 1,
            commands: 1,
            base_port: 20_000,
            json: None,
            state_dir: None,
            keep_state: false,
            max_seconds: 10,
            role: Role::Lab,
        };
        assert!(check(&args).is_ok());
        args.base_port = 30_000;
        assert!(check(&args).is_err());
    }
}
