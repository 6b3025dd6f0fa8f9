//! `acnslab record DEVICE`: a console on one device of a running lab (the same console as
//! `acnslab console`, through the control socket) that records every line typed and every reply, and
//! at the end writes them as a scenario file (docs/scenarios.md) replaying the session on a fresh lab.
//!
//! - [`Recorder`] turns the session into steps (pure, no I/O): lines typed from a resting prompt
//!   (privileged EXEC, no question) start a new `cli` step, so each command gets its own
//!   expectation; configuration blocks and answers to questions stay in the step of the command
//!   that needed them; a reload ends its step and adds an `until` the device runs; lab time that
//!   passed between commands becomes `wait` steps.
//! - [`expect`] chooses each step's expectation (`exact`, or `contains` + `regex` around text that
//!   depends on the clock or on the session).
//! - [`yaml`] writes the file.
//!
//! It never touches devices itself: everything goes through the control socket.

pub mod expect;
pub mod yaml;

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use chrono::{DateTime, SubsecRound, Utc};
use cli_grammar::Parsed;

use crate::commands::{config_grammar, exec_grammar, ConfigMode};
use crate::config::DeviceKind;
use crate::console::{Console, ConsoleError, Input};
use crate::control::{ConsoleClient, ControlError, Reply, Request};
use crate::topology::Topology;
use yaml::{LabSource, Recording};

/// `acnslab record` options.
#[derive(Debug, Clone, clap::Args)]
pub struct RecordArgs {
    /// Device name, e.g. ce1.
    pub device: String,
    /// State directory of the running lab.
    #[arg(long, default_value = "acnslab-state")]
    pub state_dir: PathBuf,
    /// The scenario file to write (default: recorded-DEVICE.yaml). An existing file is never
    /// overwritten.
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// The scenario's name (default: "DEVICE session recorded on DATE").
    #[arg(long)]
    pub name: Option<String>,
}

/// One line typed in a cli step and what it added to the step's output.
#[derive(Debug, Clone, PartialEq)]
pub struct Typed {
    pub line: String,
    /// The question this line answers (`Proceed with reload?[confirm]`).
    pub answers: Option<String>,
    /// Typed at a secret prompt (a password).
    pub secret: bool,
    /// The command's declared syntax, when the line was one the grammar knows (for
    /// [`expect::SESSION_TEXT`]).
    pub command: Option<&'static str>,
    /// What a scenario's cli step prints for it: the reply, then the question asked next.
    pub output: String,
}

/// Lines typed in one session, replayed as one `cli` step.
#[derive(Debug, Clone, PartialEq)]
pub struct CliStep {
    pub device: String,
    pub lines: Vec<Typed>,
}

/// One recorded step.
#[derive(Debug, Clone, PartialEq)]
pub enum Step {
    Cli(CliStep),
    /// Lab time that passed (whole seconds).
    Wait(Duration),
    /// The device reloaded: wait until it runs again.
    Until {
        device: String,
        timeout: Duration,
    },
}

/// Lab time between commands becomes a `wait:` once at least this much has built up, so the
/// replay's clock stays within this of the recorded one.
pub const WAIT_FROM: Duration = Duration::from_secs(5);

/// Turns a console session into steps.
pub struct Recorder {
    device: String,
    kind: DeviceKind,
    boot_seconds: f64,
    steps: Vec<Step>,
    current: Option<CliStep>,
    /// `terminal length|width` lines of this session: every later step starts with them, since a
    /// step is a new session.
    preamble: Vec<Typed>,
    start: Option<DateTime<Utc>>,
    /// Where the replay's virtual clock will be: `start` plus the waits and boots written so far.
    replay_now: Option<DateTime<Utc>>,
    reloaded_at: Option<DateTime<Utc>>,
}

impl Recorder {
    pub fn new(device: &str, kind: DeviceKind, boot_seconds: f64) -> Self {
        Recorder {
            device: device.to_string(),
            kind,
            boot_seconds,
            steps: Vec::new(),
            current: None,
            preamble: Vec::new(),
            start: None,
            replay_now: None,
            reloaded_at: None,
        }
    }

    /// `line` was typed at `before`'s prompt at lab time `now`, and the device answered `reply`.
    pub fn typed(&mut self, before: &Reply, line: &str, now: DateTime<Utc>, reply: &Reply) {
        let question = before.question;
        if !question && line.trim().is_empty() {
            return; // Enter at a prompt: nothing to replay
        }
        let at_rest = !question && is_resting(&before.prompt);
        if at_rest || self.current.is_none() {
            self.end_step();
            self.catch_up(now);
            self.current = Some(CliStep {
                device: self.device.clone(),
                lines: self.preamble.clone(),
            });
        }
        let command = if question {
            None
        } else {
            command_of(self.kind, &before.prompt, line)
        };
        let mut output = reply.output.clone();
        if reply.question && !reply.closed {
            output.push_str(&reply.prompt);
            output.push('\n');
        }
        let typed = Typed {
            // the session ignores trailing blanks (Tab completion leaves one)
            line: line.trim_end().to_string(),
            answers: question.then(|| before.prompt.clone()),
            secret: before.secret,
            command,
            output,
        };
        if command.is_some_and(|syntax| syntax.starts_with("terminal ")) && reply.output.is_empty()
        {
            self.preamble.retain(|t| t.command != command);
            self.preamble.push(typed.clone());
        }
        let preamble = self.preamble.len();
        let Some(step) = self.current.as_mut() else {
            return;
        };
        step.lines.push(typed);
        if reply.closed {
            let lone_exit = !reply.reloading && at_rest && step.lines.len() <= preamble + 1;
            let step = self.current.take();
            if !lone_exit {
                self.steps.extend(step.map(Step::Cli));
            }
            self.preamble.clear();
            if reply.reloading {
                self.reloaded_at = Some(now);
            }
        }
    }

    /// The reloaded device runs again (lab time `now`): the replay waits for it too.
    pub fn booted(&mut self, now: DateTime<Utc>) {
        let boot = Duration::from_secs_f64(self.boot_seconds.max(0.0));
        let took = self
            .reloaded_at
            .take()
            .and_then(|at| (now - at).to_std().ok())
            .unwrap_or_default();
        let minutes = (boot.max(took).as_secs_f64() * 2.0 / 60.0).ceil().max(1.0);
        self.steps.push(Step::Until {
            device: self.device.clone(),
            timeout: Duration::from_secs(minutes as u64 * 60),
        });
        if let Some(replay) = self.replay_now.as_mut() {
            *replay += chrono::Duration::seconds(boot.as_secs_f64().ceil() as i64);
        }
    }

    /// The replay's start (the lab time of the first line) and the steps.
    pub fn finish(mut self) -> (Option<DateTime<Utc>>, Vec<Step>) {
        self.end_step();
        (self.start, self.steps)
    }

    fn end_step(&mut self) {
        if let Some(step) = self.current.take() {
            self.steps.push(Step::Cli(step));
        }
    }

    /// Adds a `wait:` for the lab time the replay would otherwise be behind by.
    fn catch_up(&mut self, now: DateTime<Utc>) {
        let start = *self.start.get_or_insert_with(|| now.trunc_subsecs(0));
        let replay = self.replay_now.get_or_insert(start);
        let behind = (now - *replay).to_std().unwrap_or_default();
        if behind >= WAIT_FROM {
            let whole = Duration::from_secs(behind.as_secs());
            *replay += chrono::Duration::seconds(whole.as_secs() as i64);
            self.steps.push(Step::Wait(whole));
        }
    }
}

/// A prompt a new session also starts at: privileged EXEC (`ce1#`), not configuration.
fn is_resting(prompt: &str) -> bool {
    prompt.ends_with('#') && !prompt.ends_with(")#")
}

/// The declared syntax of the command `line` is at `prompt`, if the grammar knows it (`do LINE`:
/// the EXEC command).
fn command_of(kind: DeviceKind, prompt: &str, line: &str) -> Option<&'static str> {
    let config_mode = if prompt.ends_with("(config)#") {
        Some(ConfigMode::Global)
    } else if prompt.ends_with("(config-if)#") {
        Some(ConfigMode::Interface(1, 0))
    } else {
        None
    };
    let exec = |privileged: bool, line: &str| match exec_grammar(privileged, kind).parse(line) {
        Parsed::Match(m) => Some(m.id.syntax),
        _ => None,
    };
    match config_mode {
        Some(mode) => match config_grammar(mode, kind).parse(line) {
            Parsed::Match(m) if m.id.syntax == "do LINE" => {
                exec(true, line.trim_start().split_once(char::is_whitespace)?.1)
            }
            Parsed::Match(m) => Some(m.id.syntax),
            _ => None,
        },
        None if prompt.ends_with('#') => exec(true, line),
        None if prompt.ends_with('>') => exec(false, line),
        None => None,
    }
}

/// What `record` needs to know about the running lab.
struct LabFacts {
    kind: DeviceKind,
    source: LabSource,
    boot_seconds: f64,
    speed: f64,
}

/// Why a recording could not start, go on, or be saved.
#[derive(Debug, thiserror::Error)]
pub enum RecordError {
    #[error(transparent)]
    NoLab(#[from] crate::lab::NoLab),
    #[error("no device named {device:?} in the lab of {} (its devices: {names})", .dir.display())]
    NoDevice {
        device: String,
        dir: PathBuf,
        names: String,
    },
    #[error(
        "{}: the file exists; acnslab record never overwrites a file (remove it or give another --out)",
        .0.display()
    )]
    Exists(PathBuf),
    #[error(transparent)]
    Console(#[from] ConsoleError),
    #[error(transparent)]
    Control(#[from] ControlError),
    #[error("{device} did not come back within {seconds}s")]
    NoBoot { device: String, seconds: u64 },
    #[error("{}: {source}; the recording was not saved. It follows:\n{text}", .path.display())]
    NotSaved {
        path: PathBuf,
        source: std::io::Error,
        text: String,
    },
    #[error("{}: {source}", .path.display())]
    Write {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{source} (the recording so far is in {})", .path.display())]
    Ended {
        source: Box<RecordError>,
        path: PathBuf,
    },
}

impl LabFacts {
    fn read(state_dir: &Path, device: &str) -> Result<LabFacts, RecordError> {
        let info = crate::lab::LabInfo::running(state_dir)?;
        let kind = match info.devices.iter().find(|d| d.name == device) {
            Some(d) => d.kind,
            None => {
                let names: Vec<&str> = info.devices.iter().map(|d| d.name.as_str()).collect();
                return Err(RecordError::NoDevice {
                    device: device.to_string(),
                    dir: state_dir.to_path_buf(),
                    names: names.join(", "),
                });
            }
        };
        // The lab as it is now: the topology it runs (with --boot-seconds and the like applied),
        // each device's versions and its configuration where it was changed.
        let topology = ConsoleClient::connect(state_dir)?.snapshot()?;
        Ok(LabFacts {
            kind,
            source: lab_source(&topology),
            boot_seconds: topology.lab.boot_seconds,
            speed: topology.lab.speed,
        })
    }
}

/// `lab: default` when the lab is the default lab as it starts (ports, speed and fsyncs aside: a
/// scenario does not use them), else the topology itself: with the versions and configurations
/// the devices had when the recording began (`Lab::snapshot`), so the replay starts from them.
fn lab_source(topology: &Topology) -> LabSource {
    let plain = |t: &Topology| {
        let mut t = t.clone();
        let defaults = crate::topology::LabSettings::default();
        t.lab.base_port = 0; // written as it is: a replay on ephemeral ports, beside the lab
        t.lab.speed = defaults.speed;
        t.lab.durable = defaults.durable;
        for d in &mut t.devices {
            d.port = None;
        }
        for s in &mut t.servers {
            s.ftp_port = 0;
            s.http_port = 0;
        }
        t
    };
    let topology = plain(topology);
    if topology == plain(&Topology::default_lab()) {
        LabSource::Default
    } else {
        LabSource::Topology(serde_norway::to_string(&topology).unwrap_or_default())
    }
}

/// `acnslab record DEVICE`.
pub fn run(args: RecordArgs) -> Result<(), RecordError> {
    let out = args
        .out
        .clone()
        .unwrap_or_else(|| PathBuf::from(format!("recorded-{}.yaml", args.device)));
    if out.exists() {
        return Err(RecordError::Exists(out));
    }
    let lab = LabFacts::read(&args.state_dir, &args.device)?;
    let (mut console, first) = Console::open(&args.state_dir, &args.device)?;
    println!(
        "[record] recording {} into {}; Ctrl-D (or `exit`) ends the recording.",
        args.device,
        out.display()
    );
    let mut recorder = Recorder::new(&args.device, lab.kind, lab.boot_seconds);
    let ended = record_session(&mut console, first, &mut recorder, &args, &lab);
    let (start, steps) = recorder.finish();
    if steps.is_empty() {
        println!("[record] nothing was recorded; no file written.");
        return ended;
    }
    let written_at = Utc::now();
    let recording = Recording {
        name: args.name.clone().unwrap_or_else(|| {
            format!(
                "{} session recorded on {}",
                args.device,
                written_at.format("%Y-%m-%d %H:%M UTC")
            )
        }),
        device: args.device.clone(),
        state_dir: args.state_dir.display().to_string(),
        written_at,
        lab: lab.source,
        start,
        steps,
    };
    write_new(&out, &recording.to_yaml())?;
    println!(
        "[record] wrote {} ({} steps). Replay it on a fresh lab with:\n  acnslab run {}",
        out.display(),
        recording.steps.len(),
        out.display()
    );
    if recording.has_secrets() {
        println!("[record] the file holds the passwords typed at secret prompts, in clear text.");
    }
    for line in recording.clock_dependent_lines() {
        println!(
            "[record] note: {line:?} holds clock-dependent text; a replay may need it changed."
        );
    }
    ended.map_err(|e| RecordError::Ended {
        source: Box::new(e),
        path: out,
    })
}

/// The console loop: read, send, print, record; after a reload, wait for the boot and go on.
fn record_session(
    console: &mut Console,
    mut reply: Reply,
    recorder: &mut Recorder,
    args: &RecordArgs,
    lab: &LabFacts,
) -> Result<(), RecordError> {
    loop {
        let line = match console.read(&reply)? {
            Input::End => return Ok(()),
            Input::Line(line) => line,
        };
        let now = console.now()?;
        let next = console.request(&Request::Line(line.clone()))?;
        print!("{}", next.output);
        let _ = std::io::stdout().flush();
        if let Some(e) = next.error {
            return Err(ControlError::Refused(e).into());
        }
        recorder.typed(&reply, &line, now, &next);
        if !next.closed {
            reply = next;
            continue;
        }
        if !next.reloading {
            return Ok(());
        }
        let (client, first, now) = wait_for_boot(&args.state_dir, &args.device, lab)?;
        console.reconnect(client);
        recorder.booted(now);
        reply = first;
    }
}

/// Waits (in real time) until the reloaded device runs, then opens a new session on it; returns
/// the session, its first reply and the lab time it came back.
fn wait_for_boot(
    state_dir: &Path,
    device: &str,
    lab: &LabFacts,
) -> Result<(ConsoleClient, Reply, DateTime<Utc>), RecordError> {
    let speed = if lab.speed.is_finite() && lab.speed > 0.0 {
        lab.speed
    } else {
        1.0
    };
    let expected = Duration::from_secs_f64((lab.boot_seconds / speed).max(0.0));
    let limit = expected * 3 + Duration::from_secs(30);
    println!(
        "[record] {device} is reloading; waiting for it to boot (about {}s, giving up after {}s)...",
        expected.as_secs_f64().ceil(),
        limit.as_secs()
    );
    let started = Instant::now();
    // The lab closed the old session's connection: a new one, polled until the device runs.
    let mut client = ConsoleClient::connect(state_dir)?;
    loop {
        if client.power(device)? == "running" {
            let now = client.now()?;
            let first = client.request(&Request::Open(device.to_string()))?;
            if let Some(e) = first.error {
                return Err(ControlError::Refused(e).into());
            }
            println!("[record] {device} is up again; recording goes on.");
            return Ok((client, first, now));
        }
        if started.elapsed() > limit {
            return Err(RecordError::NoBoot {
                device: device.to_string(),
                seconds: limit.as_secs(),
            });
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// Writes `text` to a new file at `path`; never replaces an existing one.
fn write_new(path: &Path, text: &str) -> Result<(), RecordError> {
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(path)
        .map_err(|source| RecordError::NotSaved {
            path: path.to_path_buf(),
            source,
            text: text.to_string(),
        })?;
    file.write_all(text.as_bytes())
        .and_then(|()| file.sync_all())
        .map_err(|source| RecordError::Write {
            path: path.to_path_buf(),
            source,
        })
}

#[cfg(test)]
mod tests;
