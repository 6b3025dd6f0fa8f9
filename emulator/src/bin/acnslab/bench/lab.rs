//! The lab process of `acnslab bench`: starts the lab, runs the phases with the client processes
//! as children, measures the server's CPU time and memory around each, resumes from the state
//! directory in a fresh process.

use std::io::{BufRead, Write as _};
use std::path::Path;
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use acnslab::lab::{Lab, LabOptions};
use serde::Deserialize;

use super::figures::{
    table, BenchReport, ClientReport, ConcurrentFigures, Memory, SequentialFigures, ServerCpu,
    StartFigures,
};
use super::BenchArgs;
use crate::measure::percentiles::round3;
use crate::measure::process::Process;
use crate::measure::topology::{generated, ssh_addr};

pub(super) fn run_lab(args: &BenchArgs) -> Result<(), String> {
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
    let first = ssh_addr(args.addressing, args.base_port, 0);
    eprintln!("bench: starting {n} devices, the first on {first}");
    let mut options = LabOptions::new(state_dir);
    options.cdm_http = Some(acnslab::api::service());
    options.topology = Some(generated(n, args.base_port, args.addressing));
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
    let cpu0 = Process::Current.cpu_seconds();
    let t0 = Instant::now();
    let lab = Lab::start(options).await.map_err(|e| e.to_string())?;
    let wall = t0.elapsed().as_secs_f64();
    let cpu = Process::Current.cpu_seconds() - cpu0;
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
            .args(["--addressing", addressing_word(args.addressing)])
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

/// `--addressing`'s word for `addressing`.
pub(super) fn addressing_word(addressing: acnslab::topology::Addressing) -> &'static str {
    match addressing {
        acnslab::topology::Addressing::Ports => "ports",
        acnslab::topology::Addressing::Loopback => "loopback",
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
    let cpu0 = Process::Current.cpu_seconds();
    child.go();
    let client: ClientReport = child.finish()?;
    let total = Process::Current.cpu_seconds() - cpu0;
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
    let cpu0 = Process::Current.cpu_seconds();
    child.go();
    child.expect("READY")?;
    let cpu1 = Process::Current.cpu_seconds();
    child.go();
    child.expect("PROBED")?;
    let cpu_probes = Process::Current.cpu_seconds();
    child.go();
    child.expect("DONE")?;
    let cpu2 = Process::Current.cpu_seconds();
    child.go();
    let client: ClientReport = child.finish()?;
    let cpu3 = Process::Current.cpu_seconds();
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
pub(super) fn resume_main(args: &BenchArgs) -> Result<(), String> {
    let dir = args.state_dir.clone().ok_or("--state-dir is required")?;
    let runtime = tokio::runtime::Runtime::new().map_err(|e| e.to_string())?;
    let figures = runtime.block_on(async {
        // No topology: the lab resumes the one stored in the state directory.
        let mut options = LabOptions::new(dir);
        options.cdm_http = Some(acnslab::api::service());
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
