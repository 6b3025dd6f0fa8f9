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
        #[command(flatten)]
        listen: acnslab::lab::listen::ListenArgs,
        /// Run the lab in the background (output in STATE_DIR/lab.log); return once every device
        /// accepts SSH. `acnslab down` stops it.
        #[arg(long)]
        detach: bool,
    },
    /// Stop the lab of a state directory (SIGTERM) and wait until it has stopped.
    Down {
        #[arg(long, default_value = "acnslab-state")]
        state_dir: PathBuf,
    },
    /// Whether the lab of a state directory runs, and each device now (exit status 1 if it does not run).
    Status {
        #[arg(long, default_value = "acnslab-state")]
        state_dir: PathBuf,
        /// JSON instead of a table.
        #[arg(long)]
        json: bool,
    },
    /// The labs acnslab up started (its registry), and those found in the folders given.
    List {
        /// Folders to look in (each folder and its subfolders).
        folders: Vec<PathBuf>,
        /// JSON instead of a table.
        #[arg(long)]
        json: bool,
    },
    /// Everything the running lab knows of one device.
    Inspect {
        /// Device name, e.g. ce1.
        device: String,
        #[arg(long, default_value = "acnslab-state")]
        state_dir: PathBuf,
        /// JSON instead of a table.
        #[arg(long)]
        json: bool,
    },
    /// Ask the running lab's health port (GET /healthz): exit status 0 only when every device is
    /// up and listening (a container's HEALTHCHECK).
    Healthcheck {
        #[arg(long, default_value = "acnslab-state")]
        state_dir: PathBuf,
        /// The health port on 127.0.0.1 (default: the one lab.json names).
        #[arg(long)]
        port: Option<u16>,
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
        /// Run only shard I of N (from 0): the files whose place in the list (the paths as given,
        /// each folder's files sorted) is I modulo N, e.g. a Kubernetes Indexed Job's pod
        /// `$(JOB_COMPLETION_INDEX)/4`. Every file is still checked.
        #[arg(long, value_name = "I/N")]
        shard: Option<acnslab::scenario::Shard>,
    },
    /// Graded exercises for training labs: start one, check your work (see docs/exercises.md).
    Exercise {
        #[command(subcommand)]
        command: acnslab::exercise::ExerciseCommand,
    },
    /// A classroom on one host: N labs of an exercise, one per trainee, and the teacher's page
    /// (see docs/exercises.md).
    Classroom {
        #[command(subcommand)]
        command: acnslab::classroom::ClassroomCommand,
    },
    /// Print the JSON Schema of a topology, scenario or exercise file (for editors; shipped in
    /// schemas/).
    Schema {
        #[arg(value_enum)]
        kind: acnslab::file_schemas::FileKind,
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

/// Prints what a lifecycle verb says; `Err` when it did not succeed (the text is on stdout then:
/// a `status` of a lab that does not run still prints it, and exits 1).
fn print_outcome(outcome: Result<acnslab::lifecycle::Outcome, String>) -> Result<(), String> {
    let outcome = outcome?;
    print!("{}", outcome.text);
    let _ = std::io::Write::flush(&mut std::io::stdout());
    if outcome.success {
        Ok(())
    } else {
        std::process::exit(1)
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    tracing_subscriber::fmt()
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "warn".into()),
        )
        .with_writer(std::io::stderr)
        .init();
    let result = match cli.command {
        Command::Up {
            detach: true,
            state_dir,
            ..
        } => {
            let args: Vec<std::ffi::OsString> = std::env::args_os()
                .skip(1)
                .filter(|a| a != "--detach")
                .collect();
            print_outcome(acnslab::lifecycle::detach::detach(&state_dir, &args))
        }
        Command::Up {
            topology,
            state_dir,
            base_port,
            lab,
            listen,
            detach: false,
        } => acnslab::app::up(topology, state_dir, base_port, lab, &listen),
        Command::Down { state_dir } => print_outcome(acnslab::lifecycle::down::down(&state_dir)),
        Command::Status { state_dir, json } => {
            print_outcome(acnslab::lifecycle::status::status(&state_dir, json))
        }
        Command::List { folders, json } => {
            print_outcome(acnslab::lifecycle::list::list(&folders, json))
        }
        Command::Inspect {
            device,
            state_dir,
            json,
        } => print_outcome(acnslab::lifecycle::inspect::inspect(
            &state_dir, &device, json,
        )),
        Command::Healthcheck { state_dir, port } => print_outcome(
            acnslab::lifecycle::healthcheck::healthcheck(&state_dir, port),
        ),
        Command::Console { device, state_dir } => acnslab::app::console(&state_dir, &device),
        Command::Record(args) => acnslab::record::run(args).map_err(|e| e.to_string()),
        Command::Run {
            paths,
            ssh,
            junit,
            shard,
        } => {
            let transport = if ssh {
                acnslab::scenario::Transport::Ssh
            } else {
                acnslab::scenario::Transport::InProcess
            };
            acnslab::scenario::run_cli(paths, transport, junit, shard)
        }
        Command::Bench(args) => bench::run(args),
        Command::Soak(args) => soak::run(args),
        Command::Image { command } => acnslab::images::cli::run(command),
        Command::Cdm(args) => acnslab::app::cdm(args),
        Command::Exercise { command } => acnslab::exercise::run(command),
        Command::Classroom { command } => match acnslab::classroom::run(command) {
            Ok(Some(outcome)) => print_outcome(Ok(outcome)),
            Ok(None) => Ok(()),
            Err(e) => Err(e),
        },
        Command::Schema { kind } => {
            print!("{}", kind.text());
            Ok(())
        }
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("acnslab: {message}");
            ExitCode::FAILURE
        }
    }
}
