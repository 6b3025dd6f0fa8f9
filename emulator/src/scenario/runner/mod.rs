//! Runs one checked [`Scenario`] in-process: a fresh lab in a temporary state directory on a
//! virtual clock (reboots and polling intervals cost no wall time), CLI lines typed into
//! [`Session`](crate::session::Session)s as an SSH shell would, checks read from live device state,
//! faults applied to the lab's network and disks. Stops at the first failing step and reports its
//! line, what was expected against what was found, and the device's recent CLI transcript.
//!
//! This file is the run loop: the lab's lifetime, the runner's memory (transcripts, outputs, saved
//! values, armed power losses) and the dispatch of each [`StepKind`] to its handler. The handlers
//! live beside it: `cli` (typing lines), `expect`, `checks`, `api` (and `until_job`), `faults`
//! (files on disks and servers).

mod api;
mod checks;
mod cli;
mod expect;
mod faults;

use std::collections::{HashMap, VecDeque};
use std::fmt::Write as _;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use crate::clock::LabClock;
use crate::device::Device;
use crate::lab::{Lab, LabOptions};

use serde_json::Value;

use super::format::{Scenario, Step, StepKind};

pub use api::pick;
pub use checks::check;
pub use expect::expect_output;
use faults::{corrupt, truncate};
pub use faults::{glob, matching_files};

/// How many transcript lines a failure shows.
pub const TRANSCRIPT_LINES: usize = 30;

/// Why a scenario failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failure {
    /// The line of the failing step (0 when the lab itself could not start).
    pub line: usize,
    /// The step's key (`cli`, `check`, ...).
    pub step: String,
    /// Expected against got, or what went wrong.
    pub message: String,
    /// The device the step was about and its last CLI lines.
    pub transcript: Option<(String, Vec<String>)>,
}

/// The result of one scenario.
#[derive(Debug, Clone)]
pub struct Outcome {
    pub name: String,
    pub file: PathBuf,
    pub failure: Option<Failure>,
    /// Steps that ran (including the failing one).
    pub steps_run: usize,
    /// Wall time.
    pub elapsed: Duration,
    /// Lab time the scenario covered.
    pub lab_time: Duration,
}

impl Outcome {
    pub fn passed(&self) -> bool {
        self.failure.is_none()
    }

    /// The failure as printed under `FAIL name`.
    pub fn failure_text(&self) -> String {
        let Some(f) = &self.failure else {
            return String::new();
        };
        let mut out = String::new();
        let _ = writeln!(
            out,
            "  at {}:{} ({} step)",
            self.file.display(),
            f.line,
            f.step
        );
        for l in f.message.lines() {
            let _ = writeln!(out, "  {l}");
        }
        if let Some((device, lines)) = &f.transcript {
            if lines.is_empty() {
                let _ = writeln!(out, "  no CLI transcript of {device} yet");
            } else {
                let _ = writeln!(out, "  recent transcript of {device}:");
                for l in lines {
                    let _ = writeln!(out, "    | {l}");
                }
            }
        }
        out
    }
}

/// How `cli` steps reach the devices.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Transport {
    /// Lines go straight into a [`Session`] of the device (the default: fastest, same behaviour).
    #[default]
    InProcess,
    /// Each `cli` step logs in over real SSH to the device's listener on loopback and types its
    /// lines into a pty shell, reading each reply up to the next prompt or question.
    Ssh,
}

/// How long the SSH transport waits for a connection or a prompt (real time).
pub const SSH_TIMEOUT: Duration = Duration::from_secs(60);

/// Runs a scenario to its end or its first failure. Needs a tokio runtime (the lab's listeners).
pub async fn run(scenario: &Scenario) -> Outcome {
    run_over(scenario, Transport::InProcess).await
}

/// [`run`] with `cli` steps sent over `transport`.
pub async fn run_over(scenario: &Scenario, transport: Transport) -> Outcome {
    let started = Instant::now();
    let dir = temp_dir(&scenario.name);
    let mut outcome = Outcome {
        name: scenario.name.clone(),
        file: scenario.file.clone(),
        failure: None,
        steps_run: 0,
        elapsed: Duration::ZERO,
        lab_time: Duration::ZERO,
    };
    let mut options = LabOptions::new(&dir);
    options.cdm_http = Some(crate::api::service());
    options.topology = Some(scenario.topology.clone());
    options.clock = Some(LabClock::virtual_at(scenario.start));
    match Lab::start(options).await {
        Err(e) => {
            outcome.failure = Some(Failure {
                line: 0,
                step: "lab".into(),
                message: format!("the lab did not start: {e}"),
                transcript: None,
            });
        }
        Ok(lab) => {
            let mut runner = Runner {
                lab: &lab,
                transcripts: HashMap::new(),
                last_output: None,
                outputs: HashMap::new(),
                vars: HashMap::new(),
                transport,
                power_losses: HashMap::new(),
            };
            for step in &scenario.steps {
                outcome.steps_run += 1;
                if let Err(f) = runner.step(step).await {
                    outcome.failure = Some(f);
                    break;
                }
            }
            outcome.lab_time = (lab.clock().now() - scenario.start)
                .to_std()
                .unwrap_or_default();
            lab.shutdown().await;
        }
    }
    let _ = std::fs::remove_dir_all(&dir);
    outcome.elapsed = started.elapsed();
    outcome
}

/// Runs `steps` in order on a lab that is already up (an exercise's setup), CLI in-process; stops
/// at the first failing step.
pub async fn run_steps(lab: &Lab, steps: &[Step]) -> Result<(), Failure> {
    let mut runner = Runner {
        lab,
        transcripts: HashMap::new(),
        last_output: None,
        outputs: HashMap::new(),
        vars: HashMap::new(),
        transport: Transport::InProcess,
        power_losses: HashMap::new(),
    };
    for step in steps {
        runner.step(step).await?;
    }
    Ok(())
}

fn temp_dir(name: &str) -> PathBuf {
    static NEXT: AtomicU64 = AtomicU64::new(0);
    let slug: String = name
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
        .take(40)
        .collect();
    let dir = std::env::temp_dir().join(format!(
        "acnslab-scenario-{}-{}-{slug}",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::Relaxed)
    ));
    let _ = std::fs::remove_dir_all(&dir);
    dir
}

struct Runner<'a> {
    lab: &'a Lab,
    transcripts: HashMap<String, VecDeque<String>>,
    /// (device, output) of the last CLI step.
    last_output: Option<(String, String)>,
    /// The last CLI output per device.
    outputs: HashMap<String, String>,
    /// Values saved by `api:` steps (`save:`), used as `${name}`.
    vars: HashMap<String, Value>,
    transport: Transport,
    /// Power losses armed by `power_loss:` steps: device -> the MB of a download that fires it.
    power_losses: HashMap<String, u64>,
}

impl Runner<'_> {
    fn fail(&self, step: &Step, device: Option<&str>, message: String) -> Failure {
        Failure {
            line: step.line,
            step: step.kind.word().into(),
            message,
            transcript: device.map(|d| {
                let lines = self
                    .transcripts
                    .get(d)
                    .map(|t| {
                        let skip = t.len().saturating_sub(TRANSCRIPT_LINES);
                        t.iter().skip(skip).cloned().collect()
                    })
                    .unwrap_or_default();
                (d.to_string(), lines)
            }),
        }
    }

    fn device(&self, name: &str) -> &std::sync::Arc<Device> {
        self.lab.node(name).expect("checked at load").device()
    }

    fn record(&mut self, device: &str, text: &str) {
        let t = self.transcripts.entry(device.to_string()).or_default();
        for l in text.lines() {
            t.push_back(l.to_string());
        }
        while t.len() > 4 * TRANSCRIPT_LINES {
            t.pop_front();
        }
    }

    async fn step(&mut self, step: &Step) -> Result<(), Failure> {
        match &step.kind {
            StepKind::Cli {
                device,
                lines,
                expect,
            } => {
                let lines = lines
                    .iter()
                    .map(|l| self.subst(l))
                    .collect::<Result<Vec<_>, _>>()
                    .map_err(|m| self.fail(step, Some(device), m))?;
                let out = self.cli(step, device, &lines).await?;
                self.outputs.insert(device.clone(), out.clone());
                self.last_output = Some((device.clone(), out.clone()));
                if let Some(e) = expect {
                    if let Err(m) = expect_output(e, &out) {
                        return Err(self.fail(step, Some(device), m));
                    }
                }
            }
            StepKind::Expect(e) => {
                let (device, out) = match &e.device {
                    Some(d) => (d.clone(), self.outputs.get(d).cloned().unwrap_or_default()),
                    None => self.last_output.clone().unwrap_or_default(),
                };
                if let Err(m) = expect_output(e, &out) {
                    return Err(self.fail(step, Some(&device), m));
                }
            }
            StepKind::Wait(d) => self.lab.advance(*d),
            StepKind::Check(c) => {
                let misses = check(self.lab, c);
                if !misses.is_empty() {
                    return Err(self.fail(step, Some(&c.device), misses.join("\n")));
                }
            }
            StepKind::Until {
                check: c,
                timeout,
                every,
            } => {
                let mut waited = Duration::ZERO;
                loop {
                    self.lab.settle();
                    let misses = check(self.lab, c);
                    if misses.is_empty() {
                        break;
                    }
                    if waited >= *timeout {
                        let mut m = format!(
                            "not met within {} of lab time (checked every {}):\n",
                            words(*timeout),
                            words(*every)
                        );
                        m.push_str(&misses.join("\n"));
                        return Err(self.fail(step, Some(&c.device), m));
                    }
                    let d = (*every).min(*timeout - waited);
                    self.lab.advance(d);
                    waited += d;
                }
            }
            StepKind::PowerLoss { device, after_mb } => {
                self.power_losses.insert(device.clone(), *after_mb);
            }
            StepKind::PowerCycle(d) | StepKind::Reload(d) => {
                let node = self.lab.node(d).expect("checked at load");
                self.record(d, "*** power cycle ***");
                node.reload();
                self.lab.settle();
            }
            StepKind::Cut(a, b) => {
                self.lab.network().cut(*a, *b);
                self.lab.settle();
            }
            StepKind::Heal(a, b) => {
                self.lab.network().heal(*a, *b);
                self.lab.settle();
            }
            StepKind::CorruptFile { device, file } => {
                let path = self
                    .disk_file(device, file)
                    .map_err(|m| self.fail(step, Some(device), m))?;
                corrupt(&path).map_err(|m| self.fail(step, Some(device), m))?;
            }
            StepKind::FillDisk { device, free_mb } => self.device(device).fill_disk(*free_mb),
            StepKind::TruncateFile { device, file, how } => {
                let path = self
                    .disk_file(device, file)
                    .map_err(|m| self.fail(step, Some(device), m))?;
                truncate(&path, *how).map_err(|m| self.fail(step, Some(device), m))?;
            }
            StepKind::CmsPut(p) => {
                let r = {
                    let mut state = self.device(&p.device).state();
                    match state.cms.as_mut().filter(|c| c.exists()) {
                        Some(cms) => cms.put(&p.table, p.row.clone()).map_err(|e| e.to_string()),
                        None => Err("no CMS database".into()),
                    }
                };
                r.map_err(|m| self.fail(step, Some(&p.device), format!("cms_put: {m}")))?;
                self.lab.settle();
            }
            StepKind::CmsRemove(p) => {
                let r = {
                    let mut state = self.device(&p.device).state();
                    match state.cms.as_mut().filter(|c| c.exists()) {
                        Some(cms) => cms.remove(&p.table, &p.key).map_err(|e| e.to_string()),
                        None => Err("no CMS database".into()),
                    }
                };
                r.map_err(|m| self.fail(step, Some(&p.device), format!("cms_remove: {m}")))?;
                self.lab.settle();
            }
            StepKind::Api(a) => {
                self.api(a).await.map_err(|m| self.fail(step, None, m))?;
                self.lab.settle();
            }
            StepKind::UntilJob {
                cdm,
                ended,
                successful,
                failed,
                timeout,
            } => {
                self.until_job(cdm, *ended, *successful, *failed, *timeout)
                    .await
                    .map_err(|m| self.fail(step, None, m))?;
                self.lab.settle();
            }
            StepKind::StopServer(name) => {
                if !self.lab.stop_server(name).await {
                    return Err(self.fail(step, None, format!("no embedded server {name}")));
                }
            }
            StepKind::StartServer(name) => {
                self.lab
                    .restart_server(name)
                    .await
                    .map_err(|m| self.fail(step, None, format!("start_server {name}: {m}")))?;
            }
            StepKind::CorruptServerFile { server, file } => {
                let path = self
                    .server_file(server, file)
                    .map_err(|m| self.fail(step, None, m))?;
                corrupt(&path).map_err(|m| self.fail(step, None, m))?;
            }
            StepKind::TruncateServerFile { server, file, how } => {
                let path = self
                    .server_file(server, file)
                    .map_err(|m| self.fail(step, None, m))?;
                truncate(&path, *how).map_err(|m| self.fail(step, None, m))?;
            }
            StepKind::WriteServerFile { server, file, text } => {
                let r = self.write_server_file(server, file, text);
                r.map_err(|m| self.fail(step, None, m))?;
            }
        }
        Ok(())
    }
}

pub(crate) fn words(d: Duration) -> String {
    let s = d.as_secs();
    match s {
        0 if d.is_zero() => "0s".into(),
        0 => format!("{}ms", d.as_millis()),
        s if s % 3600 == 0 => format!("{}h", s / 3600),
        s if s % 60 == 0 => format!("{}m", s / 60),
        s => format!("{s}s"),
    }
}
