//! The `acnslab` command: a thin clap front end over the library, and two measuring tools that are
//! no part of the library: `acnslab bench` (`bench/`) and `acnslab soak` (`soak/`), which share
//! `measure/`.

mod bench;
mod measure;
mod soak;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

#[derive(Parser)]
#[command(
    name = "acnslab",
    version,
    about = "Emulator of Cisco ACNS 5.x devices for test labs"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Start a lab (the default lab unless --topology is given) and run until Ctrl-C or SIGTERM.
    Up {
        /// Topology file (YAML, see docs/topology.md).
        #[arg(long)]
        topology: Option<PathBuf>,
        /// State directory: configuration, versions, disks, host keys. Reused by the next `up`.
        #[arg(long, default_value = "acnslab-state")]
        state_dir: PathBuf,
        /// SSH port of the first device (the others follow).
        #[arg(long)]
        base_port: Option<u16>,
        #[command(flatten)]
        lab: acnslab::lab::LabOverrides,
    },
    /// A local console on one device of the running lab.
    Console {
        /// Device name, e.g. ce1.
        device: String,
        #[arg(long, default_value = "acnslab-state")]
        state_dir: PathBuf,
    },
    /// A console on one device that records the session as a scenario file (acnslab run replays it).
    Record(acnslab::record::RecordArgs),
    /// Run scenario files (or every *.yaml of a folder) in-process on a virtual clock.
    Run {
        /// Scenario files or folders.
        #[arg(required = true)]
        paths: Vec<PathBuf>,
        /// Send the CLI steps over real SSH to the lab's devices (loopback) instead of in-process.
        #[arg(long)]
        ssh: bool,
        /// Also write JUnit XML here.
        #[arg(long)]
        junit: Option<PathBuf>,
    },
    /// Graded exercises for training labs: start one, check your work (see docs/exercises.md).
    Exercise {
        #[command(subcommand)]
        command: acnslab::exercise::ExerciseCommand,
    },
    /// The CDM GUI's functions from a shell (devices, meta files, groups, upgrades, jobs).
    Cdm(acnslab::app::CdmArgs),
    /// Make and check synthetic software images and meta files.
    Image {
        #[command(subcommand)]
        command: acnslab::images::cli::ImageCommand,
    },
    /// Measure start-up time, memory per device, SSH latency and server CPU (see docs/benchmarks.md).
    Bench(bench::BenchArgs),
    /// Hold N logged-in SSH sessions for T minutes; print the lab's RSS, CPU and latency over time
    /// (see docs/benchmarks.md).
    Soak(soak::SoakArgs),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "warn".into()),
        )
        .with_writer(std::io::stderr)
        .init();
    let result = match cli.command {
        Command::Up {
            topology,
            state_dir,
            base_port,
            lab,
        } => acnslab::app::up(topology, state_dir, base_port, lab),
        Command::Console { device, state_dir } => acnslab::app::console(&state_dir, &device),
        Command::Record(args) => acnslab::record::run(args).map_err(|e| e.to_string()),
        Command::Run { paths, ssh, junit } => {
            let transport = if ssh {
                acnslab::scenario::Transport::Ssh
            } else {
                acnslab::scenario::Transport::InProcess
            };
            acnslab::scenario::run_cli(paths, transport, junit)
        }
        Command::Bench(args) => bench::run(args),
        Command::Soak(args) => soak::run(args),
        Command::Image { command } => acnslab::images::cli::run(command),
        Command::Cdm(args) => acnslab::app::cdm(args),
        Command::Exercise { command } => acnslab::exercise::run(command),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("acnslab: {message}");
            ExitCode::FAILURE
        }
    }
}
