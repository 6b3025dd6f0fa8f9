//! `acnslab soak`: holds N logged-in SSH sessions on a lab for T minutes, each typing a command
//! every few seconds, and prints a row every interval: sessions open, commands, errors by kind,
//! latency percentiles, the lab's RSS and CPU. Then a summary; the sessions log out, and the lab's
//! RSS five seconds later says whether its memory came back. The exit status is 1 when a session
//! failed to open or dropped, or any error occurred, so that a run can be judged by it.
//!
//! The lab is `acnslab up` as a child process on the generated topology `acnslab bench` uses
//! (`lab_child`), or a running lab given by `--targets` (its RSS and CPU with `--pid`). The parts:
//! `plan` (the flags, checked before anything starts), `descriptors` (the open-file limit),
//! `sessions` (the clients, through the library's `ssh_client`), `tally` (counting), `meter` (RSS
//! and CPU readings), `hold` (the timeline), `report` (rows, summary, JSON), `error`.

mod descriptors;
mod error;
mod hold;
mod lab_child;
mod meter;
mod plan;
mod report;
mod sessions;
mod tally;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use acnslab::signals::StopSignals;

use crate::measure::process::Process;
use error::SoakError;
use lab_child::LabChild;
use plan::{LabPlan, SoakPlan};
use report::{header, settings_line, summary_text, Settings, SoakReport, ERRORS_LEGEND};

/// `acnslab soak`.
#[derive(Clone, Debug, clap::Args)]
pub struct SoakArgs {
    /// Sessions to open and hold (logged in, interactive, with a pty).
    #[arg(long, default_value_t = 1000)]
    pub sessions: usize,
    /// How long to hold them once all are open, minutes (fractions allowed: 0.5).
    #[arg(long, default_value_t = 10.0)]
    pub minutes: f64,
    /// Devices of the lab the soak starts (generated as by `acnslab bench`) [default: 10].
    #[arg(long)]
    pub devices: Option<usize>,
    /// Seconds between two report rows.
    #[arg(long, default_value_t = 30.0)]
    pub interval: f64,
    /// The line each session types.
    #[arg(long, default_value = "show version")]
    pub command: String,
    /// Pause of each session between a reply and its next command, seconds.
    #[arg(long, default_value_t = 5.0)]
    pub think_seconds: f64,
    /// SSH port of the first device of the lab the soak starts, on 127.0.0.1 (the others follow);
    /// 0: free ports from the system [default: 0].
    #[arg(long)]
    pub base_port: Option<u16>,
    /// State directory of the lab the soak starts (default: a new temporary one, removed
    /// afterwards).
    #[arg(long)]
    pub state_dir: Option<PathBuf>,
    /// Keep the temporary state directory.
    #[arg(long)]
    pub keep_state: bool,
    /// Also write the rows and the summary as JSON to this file.
    #[arg(long)]
    pub json: Option<PathBuf>,
    /// Soak a lab that already runs instead: its devices' SSH addresses, host:port,...
    #[arg(long, value_delimiter = ',', value_parser = target)]
    pub targets: Vec<SocketAddr>,
    /// With --targets: the lab's process id (`pid` in its lab.json), for its RSS and CPU.
    #[arg(long)]
    pub pid: Option<u32>,
}

fn target(text: &str) -> Result<SocketAddr, String> {
    use std::net::ToSocketAddrs;
    text.to_socket_addrs()
        .map_err(|e| format!("{e} (want host:port)"))?
        .next()
        .ok_or_else(|| "no address".to_string())
}

/// Runs `acnslab soak`.
pub fn run(args: SoakArgs) -> Result<(), String> {
    soak(&args).map_err(|e| e.to_string())
}

fn soak(args: &SoakArgs) -> Result<(), SoakError> {
    let plan = SoakPlan::check(args)?;
    let limit = descriptors::raise_open_file_limit();
    if limit.soft > limit.before {
        eprintln!(
            "soak: open-file limit raised from {} to {} (the lab inherits it)",
            limit.before, limit.soft
        );
    }
    let lab_devices = match &plan.lab {
        LabPlan::Start { devices, .. } => *devices,
        LabPlan::Running { .. } => 0,
    };
    descriptors::check(limit, plan.sessions, lab_devices)?;
    if let Some(path) = &plan.json {
        // Writable now rather than found unwritable after the soak.
        std::fs::File::create(path).map_err(SoakError::io(path))?;
    }
    if let LabPlan::Running { pid: Some(pid), .. } = &plan.lab {
        if Process::Id(*pid).rss_kb().is_none() {
            return Err(SoakError::NoProcess(*pid));
        }
    }
    let runtime = tokio::runtime::Runtime::new().map_err(SoakError::Runtime)?;
    // Registered before the lab starts: a Ctrl-C from now on ends the soak cleanly.
    let mut signals = {
        let _inside = runtime.enter();
        StopSignals::register()
    };
    let (lab, targets, pid) = match &plan.lab {
        LabPlan::Start {
            devices,
            base_port,
            state_dir,
            keep_state,
        } => {
            eprintln!("soak: starting a lab of {devices} devices (acnslab up)");
            let lab = LabChild::start(*devices, *base_port, state_dir.as_deref(), *keep_state)?;
            let (targets, pid) = (lab.targets.clone(), lab.pid());
            (Some(lab), targets, Some(pid))
        }
        LabPlan::Running { targets, pid } => (None, targets.clone(), *pid),
    };
    let settings = Settings {
        sessions: plan.sessions,
        devices: targets.len(),
        targets: targets.iter().map(ToString::to_string).collect(),
        started_lab: lab.is_some(),
        lab_pid: pid,
        command: plan.command.clone(),
        minutes: plan.hold.as_secs_f64() / 60.0,
        interval_s: plan.interval.as_secs_f64(),
        think_s: plan.think.as_secs_f64(),
        logins_in_flight: sessions::LOGINS_IN_FLIGHT,
        open_file_limit: limit.soft,
    };
    println!("{}", settings_line(&settings));
    println!("{ERRORS_LEGEND}");
    println!("{}", header());
    let held = runtime.block_on(hold::hold(
        &plan,
        &targets,
        pid.map(Process::Id),
        &mut signals,
    ));
    if let Some(lab) = lab {
        lab.stop();
    }
    runtime.shutdown_timeout(Duration::from_secs(2));
    print!("{}", summary_text(&held.summary));
    let report = SoakReport {
        settings,
        intervals: held.rows,
        summary: held.summary,
    };
    if let Some(path) = &plan.json {
        let json = serde_json::to_vec_pretty(&report).map_err(|e| SoakError::Io {
            path: path.clone(),
            source: e.into(),
        })?;
        std::fs::write(path, json).map_err(SoakError::io(path))?;
    }
    let faults = report.summary.faults();
    if faults.is_empty() {
        Ok(())
    } else {
        Err(SoakError::Failed(faults.join(", ")))
    }
}
