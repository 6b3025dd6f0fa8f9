//! The client processes of `acnslab bench`: sequential or concurrent SSH sessions against the
//! running lab, through the library's `ssh_client`, gated by the parent on stdin; each prints its
//! figures as one JSON line.

use std::collections::BTreeMap;
use std::io::{BufRead, Write as _};
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use acnslab::ssh_client::{login, CliShell, ClientError};

use super::figures::ClientReport;
use super::{BenchArgs, COMMAND, OP_TIMEOUT, PROBES};
use crate::measure::cli::{run_line, PASSWORD, USERNAME};
use crate::measure::percentiles::{round3, Percentiles};
use crate::measure::process::Process;
use crate::measure::topology::ssh_addr;

/// Failures by kind, with a few examples.
#[derive(Default)]
struct Errors {
    counts: BTreeMap<String, usize>,
    examples: Vec<String>,
}

impl Errors {
    fn add(&mut self, at: SocketAddr, failure: ClientError) {
        *self.counts.entry(failure.kind().to_string()).or_default() += 1;
        if self.examples.len() < 5 {
            self.examples
                .push(format!("{at} {}: {failure}", failure.kind()));
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

pub(super) fn client_main(args: &BenchArgs, concurrent: bool) -> Result<(), String> {
    // A runtime like the lab's (one worker per core): client and lab share the machine's cores, as
    // they do when any client runs on the lab's host. The client's CPU is reported.
    let runtime = tokio::runtime::Runtime::new().map_err(|e| e.to_string())?;
    let cpu0 = Process::Current.cpu_seconds();
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
    report.client_cpu_s = round3(Process::Current.cpu_seconds() - cpu0);
    let json = serde_json::to_string(&report).map_err(|e| e.to_string())?;
    say(&format!("RESULT {json}"));
    Ok(())
}

/// Runs the measured command; a reply that ends the session is a failure.
async fn run(cli: &mut CliShell, at: SocketAddr) -> Result<(), ClientError> {
    run_line(cli, COMMAND, at).await
}

/// Where the `i`th of `count` sessions goes: spread evenly over the devices (the first, then every
/// `devices / count`th), the devices in turn when there are more sessions than devices.
fn addr_of(args: &BenchArgs, i: usize, count: usize) -> SocketAddr {
    let device = if count <= args.devices {
        i * args.devices / count.max(1)
    } else {
        i % args.devices
    };
    ssh_addr(args.addressing, args.base_port, device)
}

async fn sequential_client(args: &BenchArgs) -> ClientReport {
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
        let at = addr_of(args, i, args.sessions);
        let t0 = Instant::now();
        let result = async {
            let handle = login(at, USERNAME, PASSWORD, OP_TIMEOUT).await?;
            let t1 = Instant::now();
            let mut cli = CliShell::start(handle, at, OP_TIMEOUT).await?;
            let t2 = Instant::now();
            run(&mut cli, at).await?;
            let t3 = Instant::now();
            cli.close().await;
            Ok::<_, ClientError>((t1, t2, t3, Instant::now()))
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
            Err(failure) => errors.add(at, failure),
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
    let deadline = Instant::now() + Duration::from_secs(args.max_seconds);
    let (ready_tx, mut ready_rx) = tmpsc::unbounded_channel::<bool>();
    let (go_tx, go_rx) = watch::channel(0u8);
    let w0 = Instant::now();
    let mut tasks = tokio::task::JoinSet::new();
    for i in 0..args.concurrency {
        let at = addr_of(args, i, args.concurrency + PROBES);
        let ready_tx = ready_tx.clone();
        let mut go_rx = go_rx.clone();
        let k = args.commands;
        tasks.spawn(async move {
            let mut times = SessionTimes::default();
            let t0 = Instant::now();
            let opened = async {
                let handle = login(at, USERNAME, PASSWORD, OP_TIMEOUT).await?;
                let t1 = Instant::now();
                let mut cli = CliShell::start(handle, at, OP_TIMEOUT).await?;
                let t2 = Instant::now();
                run(&mut cli, at).await?;
                times.connect = (t1 - t0).as_secs_f64();
                times.prompt = (t2 - t1).as_secs_f64();
                times.to_show = t0.elapsed().as_secs_f64();
                Ok::<_, ClientError>(cli)
            }
            .await;
            let _ = ready_tx.send(opened.is_ok());
            let mut cli = match opened {
                Ok(cli) => cli,
                Err(failure) => return (at, times, Some(failure), false),
            };
            let _ = go_rx.wait_for(|stage| *stage >= 1).await;
            let mut failure = None;
            for _ in 0..k {
                if Instant::now() > deadline {
                    break;
                }
                let t = Instant::now();
                match run(&mut cli, at).await {
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
            cli.close().await;
            (at, times, failure, true)
        });
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
        let at = addr_of(args, args.concurrency + j, args.concurrency + PROBES);
        let t0 = Instant::now();
        let probe = async {
            let mut cli = CliShell::open(at, USERNAME, PASSWORD, OP_TIMEOUT).await?;
            run(&mut cli, at).await?;
            Ok::<_, ClientError>(cli)
        }
        .await;
        match probe {
            Ok(cli) => {
                probes.push(t0.elapsed().as_secs_f64());
                cli.close().await;
            }
            Err(failure) => probe_errors.add(at, failure),
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
    loop {
        let (at, times, failure, opened) =
            match tokio::time::timeout_at(limit, tasks.join_next()).await {
                Ok(None) => break,
                Ok(Some(Ok(ended))) => ended,
                Ok(Some(Err(_))) => {
                    *errors.counts.entry("task".into()).or_default() += 1;
                    continue;
                }
                Err(_) => {
                    // Past the time limit: the sessions still running are counted, not awaited.
                    *errors.counts.entry("task".into()).or_default() += tasks.len();
                    tasks.abort_all();
                    break;
                }
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
            errors.add(at, f);
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
