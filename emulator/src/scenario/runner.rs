//! Runs one checked [`Scenario`] in-process: a fresh lab in a temporary state directory on a
//! virtual clock (reboots and polling intervals cost no wall time), CLI lines typed into
//! [`Session`]s as an SSH shell would, checks read from live device state, faults applied to the
//! lab's network and disks. Stops at the first failing step and reports its line, what was expected
//! against what was found, and the device's recent CLI transcript.

use std::collections::{HashMap, VecDeque};
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use crate::clock::LabClock;
use crate::device::{Device, Power, SyncState};
use crate::lab::{Lab, LabOptions};
use crate::session::{Action, InputKind, Session};

use serde_json::Value;

use super::format::{var_refs, ApiStep, Check, Expectation, Scenario, Step, StepKind, Truncate};
use super::report::line_diff;

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

    fn write_server_file(&self, server: &str, file: &str, text: &str) -> Result<(), String> {
        let text = self.subst(text)?;
        let path = self.server_folder(server)?.join(file);
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
        }
        std::fs::write(&path, text).map_err(|e| format!("{}: {e}", path.display()))
    }

    fn server_folder(&self, server: &str) -> Result<PathBuf, String> {
        self.lab
            .info()
            .servers
            .into_iter()
            .find(|s| s.name == server)
            .and_then(|s| s.folder)
            .ok_or_else(|| format!("{server} is not an embedded server of this lab"))
    }

    /// `${name}` replaced by saved values (strings as they are, other values as JSON text).
    fn subst(&self, text: &str) -> Result<String, String> {
        let mut out = text.to_string();
        for name in var_refs(text) {
            let v = self
                .vars
                .get(name)
                .ok_or_else(|| format!("`${{{name}}}` was never saved (its api step failed?)"))?;
            let t = match v {
                Value::String(s) => s.clone(),
                other => other.to_string(),
            };
            out = out.replace(&format!("${{{name}}}"), &t);
        }
        Ok(out)
    }

    /// [`Self::subst`] through a JSON value; a string that is only `${name}` becomes the saved
    /// value itself, with its type (a file id stays a number).
    fn subst_json(&self, value: &Value) -> Result<Value, String> {
        Ok(match value {
            Value::String(s) => {
                let refs = var_refs(s);
                if refs.len() == 1 && *s == format!("${{{}}}", refs[0]) {
                    match self.vars.get(refs[0]) {
                        Some(v) => v.clone(),
                        None => Value::String(self.subst(s)?),
                    }
                } else {
                    Value::String(self.subst(s)?)
                }
            }
            Value::Array(a) => Value::Array(
                a.iter()
                    .map(|v| self.subst_json(v))
                    .collect::<Result<_, _>>()?,
            ),
            Value::Object(o) => {
                let mut m = serde_json::Map::new();
                for (k, v) in o {
                    m.insert(self.subst(k)?, self.subst_json(v)?);
                }
                Value::Object(m)
            }
            other => other.clone(),
        })
    }

    fn api_addr(&self, cdm: &str) -> Result<std::net::SocketAddr, String> {
        self.lab
            .info()
            .devices
            .into_iter()
            .find(|d| d.name == cdm)
            .and_then(|d| d.api)
            .and_then(|a| a.parse().ok())
            .ok_or_else(|| format!("{cdm} has no CDM API in this lab"))
    }

    /// One API call and its expectations; `save:` values are remembered.
    async fn api(&mut self, a: &ApiStep) -> Result<(), String> {
        let addr = self.api_addr(&a.cdm)?;
        let path = self.subst(&a.path)?;
        let body = a.body.as_ref().map(|b| self.subst_json(b)).transpose()?;
        let what = match &body {
            Some(b) => format!("{} {path} {b}", a.method),
            None => format!("{} {path}", a.method),
        };
        let (status, answer) = crate::api::call(addr, &a.method, &path, body)
            .await
            .map_err(|e| format!("{what}: no answer from {}'s API: {e}", a.cdm))?;
        let text = if answer.is_null() {
            String::new()
        } else {
            answer.to_string()
        };
        let mut misses = Vec::new();
        if let Some(want) = a.status {
            if want != status {
                misses.push(format!("status: expected {want}, got {status}"));
            }
        }
        for c in &a.contains {
            let c = self.subst(c)?;
            if !text.contains(&c) {
                misses.push(format!("expected the answer to contain: {c:?}"));
            }
        }
        for c in &a.absent {
            let c = self.subst(c)?;
            if text.contains(&c) {
                misses.push(format!("expected the answer NOT to contain: {c:?}"));
            }
        }
        for (p, want) in &a.json {
            let p = self.subst(p)?;
            let want = self.subst_json(want)?;
            match pick(&answer, &p) {
                // `null` also stands for "nothing there"
                None if want.is_null() => {}
                None => misses.push(format!("{p}: expected {want}, got nothing there")),
                Some(got) if !same_value(&want, got) => {
                    misses.push(format!("{p}: expected {want}, got {got}"))
                }
                Some(_) => {}
            }
        }
        if misses.is_empty() {
            for (name, p) in &a.save {
                match pick(&answer, p) {
                    Some(v) => {
                        self.vars.insert(name.clone(), v.clone());
                    }
                    None => misses.push(format!("save {name}: nothing at {p} of the answer")),
                }
            }
        }
        if misses.is_empty() {
            return Ok(());
        }
        let pretty = serde_json::to_string_pretty(&answer).unwrap_or(text);
        let mut m = format!("{what}\n{}\nanswer ({status}):\n", misses.join("\n"));
        for l in pretty.lines().take(60) {
            let _ = writeln!(m, "  {l}");
        }
        Err(m.trim_end().to_string())
    }

    /// Polls the CDM's jobs (real time: downloads are real) until `ended` have ended.
    async fn until_job(
        &mut self,
        cdm: &str,
        ended: u64,
        successful: Option<u64>,
        failed: Option<u64>,
        timeout: Duration,
    ) -> Result<(), String> {
        let addr = self.api_addr(cdm)?;
        let started = Instant::now();
        loop {
            let last = match crate::api::call(addr, "GET", "/api/jobs", None).await {
                Ok((200, jobs)) => {
                    let statuses: Vec<&str> = jobs
                        .as_array()
                        .map(|a| a.iter().filter_map(|j| j["status"].as_str()).collect())
                        .unwrap_or_default();
                    let ok = statuses.iter().filter(|s| **s == SUCCESSFUL).count() as u64;
                    let bad = statuses.iter().filter(|s| **s == FAILED).count() as u64;
                    if ok + bad >= ended {
                        let mut misses = Vec::new();
                        if let Some(n) = successful.filter(|n| *n != ok) {
                            misses.push(format!("successful jobs: expected {n}, got {ok}"));
                        }
                        if let Some(n) = failed.filter(|n| *n != bad) {
                            misses.push(format!("failed jobs: expected {n}, got {bad}"));
                        }
                        if misses.is_empty() {
                            return Ok(());
                        }
                        return Err(format!(
                            "{}\njobs:\n{}",
                            misses.join("\n"),
                            job_lines(&jobs)
                        ));
                    }
                    job_lines(&jobs)
                }
                Ok((status, body)) => format!("  GET /api/jobs answered {status}: {body}"),
                Err(e) => format!("  GET /api/jobs: {e}"),
            };
            if started.elapsed() >= timeout {
                return Err(format!(
                    "{ended} job(s) had not ended after {} of real time (downloads are real); jobs:\n{last}",
                    words(timeout)
                ));
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// A file of an image server's folder (`*` in the file name must match exactly one file).
    fn server_file(&self, server: &str, file: &str) -> Result<PathBuf, String> {
        let folder = self.server_folder(server)?;
        let (dir, pattern) = match file.rsplit_once('/') {
            Some((d, f)) => (folder.join(d), f),
            None => (folder.clone(), file),
        };
        let matches = matching_files(&dir, pattern);
        match matches.len() {
            1 => Ok(dir.join(&matches[0])),
            0 => Err(format!("no file matching '{file}' on server {server}")),
            _ => Err(format!(
                "'{file}' matches {} files on server {server}: {}",
                matches.len(),
                matches.join(", ")
            )),
        }
    }

    /// Types `lines` into a new privilege-15 session, as an SSH shell would; returns the output.
    async fn cli(
        &mut self,
        step: &Step,
        device: &str,
        lines: &[String],
    ) -> Result<String, Failure> {
        let node = self.lab.node(device).expect("checked at load").clone();
        let power = node.device().state().power;
        if power != Power::Running {
            return Err(self.fail(
                step,
                Some(device),
                format!(
                    "cannot connect to {device}: it is {} (its port refuses connections until boot completes; add a `wait:` or an `until: {{device: {device}, power: running, timeout: ..}}`)",
                    power_word(power)
                ),
            ));
        }
        if self.transport == Transport::Ssh {
            return self.cli_over_ssh(step, device, &node, lines).await;
        }
        let mut session = Session::new(node.device().clone(), "admin", 15, "scenario");
        let mut out = String::new();
        for (i, line) in lines.iter().enumerate() {
            let echo = format!("{}{line}", session.prompt());
            self.record(device, &echo);
            let reply = session.execute(line);
            self.record(device, &reply.text);
            out.push_str(&reply.text);
            // A question (`Save?[yes]:`, `[confirm]`, a user name) is shown as the prompt: it is
            // part of what the operator sees, so it is part of the output.
            if session.input_kind() != InputKind::Command && reply.action == Action::None {
                out.push_str(&session.prompt());
                out.push('\n');
            }
            match reply.action {
                Action::None => {}
                Action::Close => {
                    drop(session);
                    return self.session_over(step, device, i, lines, out, "the session closed");
                }
                Action::Reload => {
                    drop(session);
                    node.reload();
                    self.record(device, "*** reloading: session closed ***");
                    return self.session_over(step, device, i, lines, out, "the device reloaded");
                }
                Action::Run(task) => {
                    // a download or install: run it to its end, as the SSH edge does
                    let mut progress = String::new();
                    let mut fuse = PowerFuse::new(self.power_losses.get(device).copied(), &node);
                    let finished =
                        crate::tasks::run(task, node.device().clone(), &mut |t: &str| {
                            progress.push_str(t);
                            fuse.output(t);
                        })
                        .await;
                    progress.push_str(&finished.text);
                    self.record(device, &progress);
                    out.push_str(&progress);
                    if fuse.blown() {
                        drop(session);
                        return self.lost_power(step, device, i, lines, out);
                    }
                    if finished.reload {
                        drop(session);
                        node.reload();
                        self.record(device, "*** reloading: session closed ***");
                        let why = "the device rebooted to complete an install";
                        return self.session_over(step, device, i, lines, out, why);
                    }
                }
            }
        }
        drop(session);
        self.lab.settle();
        Ok(out)
    }

    /// The end of a cli step whose device lost power during a download (`power_loss:`).
    fn lost_power(
        &mut self,
        step: &Step,
        device: &str,
        i: usize,
        lines: &[String],
        out: String,
    ) -> Result<String, Failure> {
        self.power_losses.remove(device);
        self.record(device, "*** power lost during the download ***");
        self.session_over(step, device, i, lines, out, "the device lost power")
    }

    /// A cli step's session ended at line `i` (`why`): the lab settles; lines after it are an
    /// error, since nothing could receive them.
    fn session_over(
        &mut self,
        step: &Step,
        device: &str,
        i: usize,
        lines: &[String],
        out: String,
        why: &str,
    ) -> Result<String, Failure> {
        self.lab.settle();
        if i + 1 < lines.len() {
            return Err(self.fail(
                step,
                Some(device),
                format!(
                    "{why} at line {} ({:?}); {} line(s) after it were not sent: put them in a later step (after a `wait:` or `until:` if the device is booting)",
                    i + 1,
                    lines[i],
                    lines.len() - i - 1
                ),
            ));
        }
        Ok(out)
    }

    /// [`Self::cli`] over real SSH: logs in as `admin` (password `default`), turns paging off
    /// (`terminal length 0`, not part of the output), types each line and reads up to the next
    /// prompt. A session closed without an exit status is the device reloading.
    async fn cli_over_ssh(
        &mut self,
        step: &Step,
        device: &str,
        node: &std::sync::Arc<crate::lab::Node>,
        lines: &[String],
    ) -> Result<String, Failure> {
        use crate::ssh_client::{CliShell, Ending};
        let addr = node.ssh_addr();
        // A device that has just booted may take a moment to listen again, as on real hardware;
        // an operator would retry, so does the runner, for a short while.
        let retry_until = Instant::now() + Duration::from_secs(3);
        let mut shell = loop {
            match CliShell::open(addr, "admin", "default", SSH_TIMEOUT).await {
                Ok(shell) => break shell,
                Err(m) if Instant::now() >= retry_until => {
                    return Err(self.fail(step, Some(device), format!("{device} over SSH: {m}")))
                }
                Err(_) => tokio::time::sleep(Duration::from_millis(10)).await,
            }
        };
        shell
            .send("terminal length 0")
            .await
            .map_err(|m| self.fail(step, Some(device), format!("{device} over SSH: {m}")))?;
        let mut out = String::new();
        for (i, line) in lines.iter().enumerate() {
            let echo = format!("{}{line}", shell.prompt());
            self.record(device, &echo);
            let mut fuse = PowerFuse::new(self.power_losses.get(device).copied(), node);
            let exchange = shell
                .send_watching(line, &mut |t: &str| fuse.output(t))
                .await
                .map_err(|m| self.fail(step, Some(device), format!("{device} over SSH: {m}")))?;
            self.record(device, &exchange.output);
            if fuse.blown() {
                out.push_str(&exchange.output);
                return self.lost_power(step, device, i, lines, out);
            }
            out.push_str(&exchange.output);
            match exchange.ending {
                Ending::Waiting { prompt, kind } => {
                    if kind != InputKind::Command {
                        out.push_str(&prompt);
                        out.push('\n');
                    }
                }
                Ending::Closed { exit_status } => {
                    let reloaded = exit_status.is_none();
                    if reloaded {
                        // The server closes the channel, then reloads the device.
                        let deadline = Instant::now() + Duration::from_secs(5);
                        while node.device().state().power == Power::Running
                            && Instant::now() < deadline
                        {
                            tokio::time::sleep(Duration::from_millis(2)).await;
                        }
                        self.record(device, "*** reloading: session closed ***");
                    }
                    let why = if reloaded {
                        "the device reloaded"
                    } else {
                        "the session closed"
                    };
                    return self.session_over(step, device, i, lines, out, why);
                }
            }
        }
        shell.close().await;
        self.lab.settle();
        Ok(out)
    }

    fn disk_file(&self, device: &str, pattern: &str) -> Result<PathBuf, String> {
        let dir = self.device(device).disk_dir();
        let matches = matching_files(&dir, pattern);
        match matches.len() {
            1 => Ok(dir.join(&matches[0])),
            0 => Err(format!(
                "no file matching '{pattern}' in /local/local1 of {device}"
            )),
            _ => Err(format!(
                "'{pattern}' matches {} files in /local/local1 of {device}: {}",
                matches.len(),
                matches.join(", ")
            )),
        }
    }
}

/// A `power_loss:` armed for one download: counts the progress `#`s (one per MB, on lines of
/// nothing else) of the output and cuts the device's power once, when the count reaches the armed MB.
struct PowerFuse<'a> {
    after_mb: Option<u64>,
    text: String,
    node: &'a crate::lab::Node,
    blown: bool,
}

impl<'a> PowerFuse<'a> {
    fn new(after_mb: Option<u64>, node: &'a crate::lab::Node) -> Self {
        PowerFuse {
            after_mb,
            text: String::new(),
            node,
            blown: false,
        }
    }

    /// New output of the step (progress as it comes).
    fn output(&mut self, text: &str) {
        let Some(after) = self.after_mb else {
            return;
        };
        if self.blown {
            return;
        }
        self.text.push_str(text);
        let hashes: usize = self
            .text
            .lines()
            .filter(|l| !l.is_empty() && l.chars().all(|c| c == '#'))
            .map(str::len)
            .sum();
        if hashes as u64 >= after {
            self.blown = true;
            self.node.reload();
        }
    }

    fn blown(&self) -> bool {
        self.blown
    }
}

/// Names of the visible files of `dir` that match `pattern` (`*` = any characters), sorted. A
/// pattern that starts with `.` looks at the hidden files too (a download's partial `.download-*`).
pub fn matching_files(dir: &Path, pattern: &str) -> Vec<String> {
    let hidden = pattern.starts_with('.');
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .into_iter()
        .flatten()
        .flatten()
        .filter(|e| e.path().is_file())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| hidden || (!n.ends_with(".tmp") && !n.starts_with('.')))
        .filter(|n| glob(pattern, n))
        .collect();
    names.sort();
    names
}

/// `*` matches any run of characters; everything else matches itself.
pub fn glob(pattern: &str, name: &str) -> bool {
    let parts: Vec<&str> = pattern.split('*').collect();
    if parts.len() == 1 {
        return pattern == name;
    }
    let (first, last) = (parts[0], parts[parts.len() - 1]);
    if !name.starts_with(first) || name.len() < first.len() + last.len() || !name.ends_with(last) {
        return false;
    }
    let mut rest = &name[first.len()..name.len() - last.len()];
    for p in &parts[1..parts.len() - 1] {
        match rest.find(p) {
            Some(i) => rest = &rest[i + p.len()..],
            None => return false,
        }
    }
    true
}

fn corrupt(path: &Path) -> Result<(), String> {
    let mut bytes = std::fs::read(path).map_err(|e| format!("{}: {e}", path.display()))?;
    if bytes.is_empty() {
        return Err(format!(
            "{}: empty file, nothing to corrupt",
            path.display()
        ));
    }
    // Flip bytes in the middle and at the end: past any header, and through any checksum.
    let mid = bytes.len() / 2;
    let end = bytes.len();
    for i in (mid..end.min(mid + 16)).chain(end.saturating_sub(4)..end) {
        bytes[i] ^= 0x5a;
    }
    std::fs::write(path, bytes).map_err(|e| format!("{}: {e}", path.display()))
}

fn truncate(path: &Path, how: Truncate) -> Result<(), String> {
    let len = std::fs::metadata(path)
        .map_err(|e| format!("{}: {e}", path.display()))?
        .len();
    let to = match how {
        Truncate::Drop(n) => len.saturating_sub(n),
        Truncate::Keep(n) => n.min(len),
    };
    let f = std::fs::OpenOptions::new()
        .write(true)
        .open(path)
        .map_err(|e| format!("{}: {e}", path.display()))?;
    f.set_len(to)
        .map_err(|e| format!("{}: {e}", path.display()))
}

const SUCCESSFUL: &str = "Prepositioned Download Successful";
const FAILED: &str = "Prepositioned Download Failed";

/// One line per job: id, device, status.
fn job_lines(jobs: &Value) -> String {
    let lines: Vec<String> = jobs
        .as_array()
        .map(|a| {
            a.iter()
                .map(|j| format!("  job {} {}: {}", j["id"], j["device"], j["status"]))
                .collect()
        })
        .unwrap_or_default();
    if lines.is_empty() {
        "  (no jobs)".into()
    } else {
        lines.join("\n")
    }
}

/// The value at a JSON pointer; a segment `[key=value]` picks the first array element whose `key`
/// is `value` (compared as text).
pub fn pick<'v>(value: &'v Value, pointer: &str) -> Option<&'v Value> {
    let mut at = value;
    for seg in pointer.split('/').skip(1) {
        let seg = seg.replace("~1", "/").replace("~0", "~");
        if let Some((key, want)) = seg
            .strip_prefix('[')
            .and_then(|s| s.strip_suffix(']'))
            .and_then(|s| s.split_once('='))
        {
            at = at.as_array()?.iter().find(|e| {
                e.get(key).is_some_and(|v| match v {
                    Value::String(s) => s == want,
                    other => json_text(other) == want,
                })
            })?;
        } else {
            at = match at {
                Value::Object(o) => o.get(&seg)?,
                Value::Array(a) => a.get(seg.parse::<usize>().ok()?)?,
                _ => return None,
            };
        }
    }
    Some(at)
}

/// A JSON value as text (`1`, `true`, `"x"` for a string).
fn json_text(v: &Value) -> String {
    v.to_string()
}

/// Equal JSON values; a number or boolean also equals its text (`"1"` matches `1`).
fn same_value(want: &Value, got: &Value) -> bool {
    want == got
        || match (want, got) {
            (Value::String(w), Value::Number(_) | Value::Bool(_)) => *w == json_text(got),
            (Value::Number(w), Value::Number(g)) => w.as_f64() == g.as_f64(),
            _ => false,
        }
}

/// Normalises output for `exact`: no trailing spaces, no blank lines at either end.
fn normal(text: &str) -> Vec<String> {
    let mut lines: Vec<String> = text.lines().map(|l| l.trim_end().to_string()).collect();
    while lines.last().is_some_and(|l| l.is_empty()) {
        lines.pop();
    }
    while lines.first().is_some_and(|l| l.is_empty()) {
        lines.remove(0);
    }
    lines
}

/// Checks `out` against an expectation; the error says expected against got.
pub fn expect_output(e: &Expectation, out: &str) -> Result<(), String> {
    let mut misses = Vec::new();
    for c in &e.contains {
        if !out.contains(c.as_str()) && !normal(out).join("\n").contains(&normal(c).join("\n")) {
            misses.push(format!("expected the output to contain: {c:?}"));
        }
    }
    for r in &e.regex {
        if !r.is_match(out) {
            misses.push(format!("expected the output to match: /{r}/"));
        }
    }
    for a in &e.absent {
        if out.contains(a.as_str()) {
            misses.push(format!("expected the output NOT to contain: {a:?}"));
        }
    }
    if let Some(x) = &e.exact {
        let (want, got) = (normal(x), normal(out));
        if want != got {
            misses.push(format!(
                "expected exactly this output; diff (- expected, + got):\n{}",
                line_diff(&want, &got)
            ));
            // the diff already shows the output
            return Err(misses.join("\n"));
        }
    }
    if misses.is_empty() {
        return Ok(());
    }
    let mut m = misses.join("\n");
    m.push_str("\ngot:\n");
    if out.trim().is_empty() {
        m.push_str("  (no output)\n");
    }
    for l in out.lines() {
        let _ = writeln!(m, "  {l}");
    }
    Err(m.trim_end().to_string())
}

fn power_word(p: Power) -> &'static str {
    match p {
        Power::Running => "running",
        Power::Booting => "booting",
        Power::Rebooting => "rebooting",
    }
}

fn sync_word(s: &SyncState) -> &'static str {
    match s {
        SyncState::Never => "never",
        SyncState::InSync { .. } => "in sync",
        SyncState::VersionMismatch { .. } => "version mismatch",
        SyncState::Unreachable { .. } => "primary unreachable",
        SyncState::FullUpdatePending => "full update",
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

fn miss(
    misses: &mut Vec<String>,
    what: &str,
    want: impl std::fmt::Display,
    got: impl std::fmt::Display,
) {
    misses.push(format!("{what}: expected {want}, got {got}"));
}

fn address_of(lab: &Lab, word: &str) -> String {
    lab.node(word)
        .map(|n| n.spec().ip.to_string())
        .unwrap_or_else(|| word.to_string())
}

/// Evaluates a check against live state; one line per mismatch.
pub fn check(lab: &Lab, c: &Check) -> Vec<String> {
    let mut misses = Vec::new();
    let node = lab.node(&c.device).expect("checked at load");
    let device = node.device();
    let d = &c.device;
    {
        let state = device.state();
        if let Some(v) = &c.version {
            if state.version.to_string() != *v {
                miss(&mut misses, &format!("{d} version"), v, state.version);
            }
        }
        if let Some(v) = &c.pending_version {
            let got = state
                .pending_version
                .map(|p| p.to_string())
                .unwrap_or_else(|| "none".into());
            if got != *v {
                miss(&mut misses, &format!("{d} pending version"), v, got);
            }
        }
        if let Some(p) = &c.power {
            if power_word(state.power) != p {
                miss(
                    &mut misses,
                    &format!("{d} power"),
                    p,
                    power_word(state.power),
                );
            }
        }
        if let Some(want) = &c.cms {
            let service = state.cms_service();
            let got = match want.as_str() {
                "enabled" | "disabled" => if state.running.cms_enabled {
                    "enabled"
                } else {
                    "disabled"
                }
                .to_string(),
                _ => match &service {
                    crate::device::CmsService::Running => "running".to_string(),
                    crate::device::CmsService::Disabled => "disabled".to_string(),
                    crate::device::CmsService::Held(why) => format!("held ({why})"),
                },
            };
            let ok = got == *want || (want == "held" && got.starts_with("held"));
            if !ok {
                miss(&mut misses, &format!("{d} CMS"), want, got);
            }
        }
        if let Some(r) = &c.role {
            let got = state
                .running
                .cdm_role
                .map(|r| r.as_str().to_string())
                .unwrap_or_else(|| "none".into());
            if got != *r {
                miss(&mut misses, &format!("{d} role"), r, got);
            }
        }
        if let Some(h) = &c.hostname {
            if state.running.hostname != *h {
                miss(
                    &mut misses,
                    &format!("{d} hostname"),
                    h,
                    &state.running.hostname,
                );
            }
        }
        if let Some(want) = c.registered {
            let got = state.registration.is_some();
            if got != want {
                let got = match &state.registration {
                    Some(r) => format!("registered with {}", r.cdm),
                    None => "not registered".into(),
                };
                miss(
                    &mut misses,
                    &format!("{d} registration"),
                    if want { "registered" } else { "not registered" },
                    got,
                );
            }
        }
        if let Some(w) = &c.registered_with {
            let want = address_of(lab, w);
            let got = state
                .registration
                .as_ref()
                .map(|r| r.cdm.to_string())
                .unwrap_or_else(|| "not registered".into());
            if got != want {
                miss(&mut misses, &format!("{d} registered with"), want, got);
            }
        }
        if let Some(s) = &c.sync {
            if sync_word(&state.sync) != s {
                miss(&mut misses, &format!("{d} sync"), s, sync_word(&state.sync));
            }
        }
        let cms = state.cms.as_ref().filter(|c| c.exists());
        if let Some(want) = &c.database {
            let got = if cms.is_some() { "present" } else { "absent" };
            if got != want {
                miss(&mut misses, &format!("{d} CMS database"), want, got);
            }
        }
        if let Some(want) = &c.schema {
            let got = cms
                .map(|c| {
                    c.schema()
                        .map(|s| s.to_string())
                        .unwrap_or_else(|e| e.to_string())
                })
                .unwrap_or_else(|| "no database".into());
            if got != *want {
                miss(&mut misses, &format!("{d} CMS schema"), want, got);
            }
        }
        if let Some(n) = c.cms_devices {
            let got = cms
                .map(|c| {
                    c.count("devices")
                        .map(|n| n.to_string())
                        .unwrap_or_else(|e| e.to_string())
                })
                .unwrap_or_else(|| "no database".into());
            if got != n.to_string() {
                miss(&mut misses, &format!("{d} CMS devices"), n, got);
            }
        }
        for (table, n) in c.rows.iter().flatten() {
            let got = cms
                .map(|c| {
                    c.count(table)
                        .map(|n| n.to_string())
                        .unwrap_or_else(|e| e.to_string())
                })
                .unwrap_or_else(|| "no database".into());
            if got != n.to_string() {
                miss(&mut misses, &format!("{d} rows of {table}"), n, got);
            }
        }
    }
    if let Some(s) = &c.status_on {
        let cdm = lab.node(&s.cdm).expect("checked at load").device();
        let state = cdm.state();
        let got = match state.cms.as_ref().filter(|c| c.exists()) {
            None => "no CMS database on the CDM".to_string(),
            Some(cms) => match cms.device(d) {
                Ok(Some(row)) => row.status,
                Ok(None) => "not in the CDM's device table".to_string(),
                Err(e) => e.to_string(),
            },
        };
        if !got.eq_ignore_ascii_case(&s.status) {
            miss(
                &mut misses,
                &format!("{d} status on {}", s.cdm),
                &s.status,
                got,
            );
        }
    }
    if let Some(other) = &c.same_data_as {
        let mine = tables(device);
        let theirs = tables(lab.node(other).expect("checked at load").device());
        for ((table, a), (_, b)) in mine.iter().zip(theirs.iter()) {
            if a != b {
                misses.push(format!(
                    "{d} table {table} differs from {other}: {} row(s) here, {} there{}",
                    a.len(),
                    b.len(),
                    first_difference(a, b)
                ));
            }
        }
    }
    let dir = device.disk_dir();
    for f in c.file_exists.iter().flat_map(|m| m.0.iter()) {
        if matching_files(&dir, f).is_empty() {
            let all = matching_files(&dir, "*");
            misses.push(format!(
                "{d} /local/local1: expected a file '{f}', found {}",
                if all.is_empty() {
                    "no files".into()
                } else {
                    all.join(", ")
                }
            ));
        }
    }
    for f in c.file_absent.iter().flat_map(|m| m.0.iter()) {
        let found = matching_files(&dir, f);
        if !found.is_empty() {
            misses.push(format!(
                "{d} /local/local1: expected no file '{f}', found {}",
                found.join(", ")
            ));
        }
    }
    misses
}

type Rows = Vec<String>;

fn tables(device: &Device) -> Vec<(&'static str, Rows)> {
    let state = device.state();
    crate::cms::schema::REPLICATED
        .iter()
        .map(|(t, _)| {
            let rows = state
                .cms
                .as_ref()
                .filter(|c| c.exists())
                .and_then(|c| c.rows(t).ok())
                .unwrap_or_default()
                .into_iter()
                .map(|r| serde_json::Value::Object(r).to_string())
                .collect();
            (*t, rows)
        })
        .collect()
}

fn first_difference(a: &Rows, b: &Rows) -> String {
    if let Some(r) = a.iter().find(|r| !b.contains(r)) {
        return format!("; only here: {r}");
    }
    if let Some(r) = b.iter().find(|r| !a.contains(r)) {
        return format!("; only there: {r}");
    }
    String::new()
}
