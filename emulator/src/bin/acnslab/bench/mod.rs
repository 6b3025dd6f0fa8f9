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
//! Everything listens on and connects to loopback only: 127.0.0.1, or with `--addressing
//! loopback` each device's own address of 127.0.0.0/8.
//!
//! `--scale N1,N2,...` runs the whole bench once per size, each in a process of its own, and
//! prints the start and resume times per device side by side with the ratio between sizes.
//!
//! The parts: `figures` (what is measured, and the table printed), `lab` (the lab process: the
//! phases and the child processes), `client` (the client processes, through the library's
//! `ssh_client`), `scale` (one bench per size); the generated topology, percentiles and /proc
//! readings are shared with `acnslab soak` (`crate::measure`).

mod client;
mod figures;
mod lab;
mod scale;

use std::path::PathBuf;
use std::time::Duration;

use acnslab::topology::Addressing;

use crate::measure::topology::{check_ports, max_devices};
use client::client_main;
use lab::{resume_main, run_lab};

const MAX_CONCURRENCY: usize = 1_000;
const MAX_SESSIONS: usize = 100_000;
const MAX_COMMANDS: usize = 10_000;
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
    /// Run the bench once per size (e.g. `1000,10000`), each in a new process, and print the
    /// start and resume times per device at each size and the ratios between them (instead of
    /// `--devices`).
    #[arg(long, value_delimiter = ',', num_args = 1..)]
    pub scale: Vec<usize>,
    /// Where each device's SSH server listens: `ports` (127.0.0.1, port base+n) or `loopback`
    /// (its own address 127.X.Y.Z, all on the base port; up to 100,000 devices).
    #[arg(long, value_enum, default_value_t = Addressing::Ports)]
    pub addressing: Addressing,
    /// Sequential sessions (connect, prompt, `show version`, disconnect).
    #[arg(long, default_value_t = 100)]
    pub sessions: usize,
    /// Concurrent sessions, opened at once.
    #[arg(long, default_value_t = 100)]
    pub concurrency: usize,
    /// `show version` commands per concurrent session once all are open.
    #[arg(long, default_value_t = 10)]
    pub commands: usize,
    /// SSH port of the first device, on 127.0.0.1 (the last one must stay below 32768); with
    /// `--addressing loopback` every device's SSH port.
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

/// Runs `acnslab bench` in the role its arguments say.
pub fn run(args: BenchArgs) -> Result<(), String> {
    if !args.scale.is_empty() {
        for &devices in &args.scale {
            check(&BenchArgs {
                devices,
                ..args.clone()
            })?;
        }
        return scale::run_scale(&args);
    }
    check(&args)?;
    match args.role {
        Role::Lab => run_lab(&args),
        Role::ClientSequential => client_main(&args, false),
        Role::ClientConcurrent => client_main(&args, true),
        Role::Resume => resume_main(&args),
    }
}

fn check(args: &BenchArgs) -> Result<(), String> {
    let most = max_devices(args.addressing);
    if args.devices == 0 || args.devices > most {
        let hint = match args.addressing {
            Addressing::Ports => " (up to 100000 with --addressing loopback)",
            Addressing::Loopback => "",
        };
        return Err(format!("--devices: 1 to {most}{hint}"));
    }
    check_ports(args.devices, args.base_port, args.addressing).map_err(|e| e.to_string())?;
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ports_must_stay_below_the_ephemeral_range() {
        let mut args = BenchArgs {
            devices: 10_000,
            scale: Vec::new(),
            addressing: Addressing::Ports,
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
        args.devices = 100_000;
        args.base_port = 20_000;
        assert!(check(&args).is_err(), "a port per device");
        args.addressing = Addressing::Loopback;
        assert!(check(&args).is_ok());
        args.devices = 100_001;
        assert!(check(&args).is_err());
    }
}
