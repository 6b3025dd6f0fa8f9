//! The scenario file format (YAML, documented in `docs/scenarios.md`): the raw serde shapes
//! (`deny_unknown_fields` everywhere, so a misspelt key is an error), the checked [`Scenario`] the
//! runner executes, and every check that can be made before anything runs. Errors carry the file
//! and the line: serde errors their own position, semantic errors (unknown device, a step with no
//! kind or two kinds, a bad regex) the line of the step's `-`.

use std::collections::BTreeMap;
use std::fmt;
use std::net::Ipv4Addr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use chrono::{DateTime, TimeZone, Utc};
use serde::{Deserialize, Deserializer};

use crate::config::DeviceKind;
use crate::release::Version;
use crate::topology::Topology;

/// A scenario file that cannot be run; found before anything runs.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{file}:{line}: {message}")]
pub struct ScenarioError {
    pub file: String,
    pub line: usize,
    pub message: String,
}

/// A lab-clock duration written as `30s`, `5m`, `1h`, `1h30m`, `2d` (or a bare number of seconds).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Dur(pub Duration);

/// Parses `30s`, `5m`, `1h30m`, `500ms`, `2d`.
pub fn parse_duration(text: &str) -> Result<Duration, String> {
    let bad =
        || format!("bad duration '{text}': use a number with a unit, like 30s, 5m, 1h or 1h30m");
    let t = text.trim();
    if t.is_empty() {
        return Err(bad());
    }
    let mut total = Duration::ZERO;
    let mut rest = t;
    while !rest.is_empty() {
        let digits = rest.chars().take_while(|c| c.is_ascii_digit()).count();
        if digits == 0 {
            return Err(bad());
        }
        let n: u64 = rest[..digits].parse().map_err(|_| bad())?;
        rest = &rest[digits..];
        let unit = rest
            .chars()
            .take_while(|c| c.is_ascii_alphabetic())
            .collect::<String>();
        rest = &rest[unit.len()..];
        let d = match unit.as_str() {
            "ms" => Duration::from_millis(n),
            "s" => Duration::from_secs(n),
            "m" => Duration::from_secs(n * 60),
            "h" => Duration::from_secs(n * 3600),
            "d" => Duration::from_secs(n * 86400),
            _ => return Err(bad()),
        };
        total += d;
    }
    Ok(total)
}

impl<'de> Deserialize<'de> for Dur {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Raw {
            Secs(u64),
            Text(String),
        }
        match Raw::deserialize(d)
            .map_err(|_| serde::de::Error::custom("bad duration: use 30s, 5m, 1h or 1h30m"))?
        {
            Raw::Secs(s) => Ok(Dur(Duration::from_secs(s))),
            Raw::Text(t) => parse_duration(&t)
                .map(Dur)
                .map_err(serde::de::Error::custom),
        }
    }
}

/// One string or a list of strings.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Many(pub Vec<String>);

impl<'de> Deserialize<'de> for Many {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Raw {
            One(String),
            List(Vec<String>),
        }
        match Raw::deserialize(d)
            .map_err(|_| serde::de::Error::custom("expected a string or a list of strings"))?
        {
            Raw::One(s) => Ok(Many(vec![s])),
            Raw::List(l) => Ok(Many(l)),
        }
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawScenario {
    name: String,
    #[serde(default)]
    description: Option<String>,
    #[serde(default)]
    lab: Option<LabWord>,
    #[serde(default)]
    topology: Option<serde_norway::Value>,
    #[serde(default)]
    topology_file: Option<String>,
    #[serde(default)]
    start: Option<String>,
    steps: Vec<RawStep>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "lowercase")]
pub(crate) enum LabWord {
    Default,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawStep {
    /// A label shown in reports; no effect.
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    cli: Option<RawCli>,
    #[serde(default)]
    device: Option<String>,
    #[serde(default)]
    send: Option<Many>,
    #[serde(default)]
    expect: Option<Expect>,
    #[serde(default)]
    wait: Option<Dur>,
    #[serde(default)]
    until: Option<Check>,
    #[serde(default)]
    check: Option<Check>,
    #[serde(default)]
    power_cycle: Option<String>,
    #[serde(default)]
    reload: Option<String>,
    #[serde(default)]
    cut: Option<[String; 2]>,
    #[serde(default)]
    heal: Option<[String; 2]>,
    #[serde(default)]
    corrupt_file: Option<FileFault>,
    #[serde(default)]
    truncate_file: Option<FileFault>,
    #[serde(default)]
    fill_disk: Option<FillDisk>,
    #[serde(default)]
    power_loss: Option<PowerLoss>,
    #[serde(default)]
    cms_put: Option<CmsPut>,
    #[serde(default)]
    cms_remove: Option<CmsRemove>,
    #[serde(default)]
    api: Option<ApiCall>,
    #[serde(default)]
    until_job: Option<UntilJob>,
    #[serde(default)]
    stop_server: Option<String>,
    #[serde(default)]
    start_server: Option<String>,
    #[serde(default)]
    corrupt_server_file: Option<ServerFileFault>,
    #[serde(default)]
    truncate_server_file: Option<ServerFileFault>,
    #[serde(default)]
    write_server_file: Option<ServerFileWrite>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawCli {
    device: String,
    lines: Many,
    #[serde(default)]
    expect: Option<Expect>,
}

/// What the output of a CLI step must (or must not) hold.
#[derive(Debug, Clone, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct Expect {
    /// The output of this device's last CLI step (default: the last CLI step of the scenario).
    #[serde(default)]
    pub device: Option<String>,
    /// Each string appears in the output (a multi-line string must appear as a block).
    #[serde(default)]
    pub contains: Option<Many>,
    /// Each regular expression matches somewhere in the output (multi-line mode: `^`/`$` per line).
    #[serde(default)]
    pub regex: Option<Many>,
    /// The output is exactly this (trailing spaces and surrounding blank lines ignored).
    #[serde(default)]
    pub exact: Option<String>,
    /// None of these strings appears in the output.
    #[serde(default)]
    pub absent: Option<Many>,
}

/// Device state to check, now (`check:`) or until it holds (`until:`, with `timeout`/`every`).
#[derive(Debug, Clone, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct Check {
    pub device: String,
    /// Running software version, e.g. `5.2.1`.
    #[serde(default)]
    pub version: Option<String>,
    /// Installed version waiting for a reboot, or `none`.
    #[serde(default)]
    pub pending_version: Option<String>,
    /// `running`, `booting` or `rebooting`.
    #[serde(default)]
    pub power: Option<String>,
    /// `enabled`, `disabled` (configuration), `running` or `held` (service state).
    #[serde(default)]
    pub cms: Option<String>,
    /// CDM role in the running configuration: `primary` or `standby`.
    #[serde(default)]
    pub role: Option<String>,
    #[serde(default)]
    pub hostname: Option<String>,
    /// CE/CR: registered with a CDM or not.
    #[serde(default)]
    pub registered: Option<bool>,
    /// CE/CR: registered with this CDM (name or address).
    #[serde(default)]
    pub registered_with: Option<String>,
    /// The device's status in a CDM's device table.
    #[serde(default)]
    pub status_on: Option<StatusOn>,
    /// Standby CDM: `in sync`, `version mismatch`, `primary unreachable`, `never`, `full update`.
    #[serde(default)]
    pub sync: Option<String>,
    /// CDM: `present` or `absent`.
    #[serde(default)]
    pub database: Option<String>,
    /// CDM: the database schema, e.g. `5.2`.
    #[serde(default)]
    pub schema: Option<String>,
    /// CDM: number of rows of the device table.
    #[serde(default)]
    pub cms_devices: Option<u64>,
    /// CDM: number of rows per replicated table, e.g. `{device_groups: 2}`.
    #[serde(default)]
    pub rows: Option<BTreeMap<String, u64>>,
    /// CDM: every replicated table holds the same rows as on this CDM.
    #[serde(default)]
    pub same_data_as: Option<String>,
    /// Files in `/local/local1` (`*` matches any characters).
    #[serde(default)]
    pub file_exists: Option<Many>,
    #[serde(default)]
    pub file_absent: Option<Many>,
    /// `until:` only: give up after this long on the lab clock.
    #[serde(default)]
    pub timeout: Option<Dur>,
    /// `until:` only: advance the lab clock by this much between tries (default 10s).
    #[serde(default)]
    pub every: Option<Dur>,
}

/// `status_on: {cdm: cdm1, status: Online}`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StatusOn {
    pub cdm: String,
    pub status: String,
}

/// `fill_disk: {device, free_mb}`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FillDisk {
    pub device: String,
    #[serde(default)]
    pub free_mb: u64,
}

/// `power_loss: {device: ce1, after_mb: 2}`: armed now, fires during the device's next download.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PowerLoss {
    pub device: String,
    pub after_mb: u64,
}

/// A file fault on a device's disk.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FileFault {
    pub device: String,
    /// A file in `/local/local1`; `*` matches any characters; must match exactly one file.
    pub file: String,
    /// `truncate_file`: remove this many bytes from the end.
    #[serde(default)]
    pub bytes: Option<u64>,
    /// `truncate_file`: keep only the first this many bytes.
    #[serde(default)]
    pub keep: Option<u64>,
}

/// A change through the CDM's data API: insert or replace one row.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CmsPut {
    pub device: String,
    pub table: String,
    pub row: serde_json::Map<String, serde_json::Value>,
}

/// A removal through the CDM's data API.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CmsRemove {
    pub device: String,
    pub table: String,
    pub key: String,
}

/// `api:` a call to a CDM's HTTP API (`docs/api.md`) and what its answer must hold.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ApiCall {
    /// The CDM whose API is called (default: the lab's primary CDM).
    #[serde(default)]
    pub cdm: Option<String>,
    /// `GET` (default), `POST`, `PUT` or `DELETE`.
    #[serde(default)]
    pub method: Option<String>,
    /// `/api/...`; may use `${name}`.
    pub path: String,
    /// The JSON body; strings may use `${name}` (a string that is only `${name}` takes the saved
    /// value with its JSON type).
    #[serde(default)]
    pub body: Option<serde_json::Value>,
    /// The expected HTTP status.
    #[serde(default)]
    pub status: Option<u16>,
    /// Substrings of the answer's JSON text (compact: `"status":"Online"`).
    #[serde(default)]
    pub contains: Option<Many>,
    /// None of these appears in the answer's JSON text.
    #[serde(default)]
    pub absent: Option<Many>,
    /// JSON pointer -> expected value; a segment `[key=value]` picks the array element whose
    /// `key` is `value`.
    #[serde(default)]
    pub json: Option<BTreeMap<String, serde_json::Value>>,
    /// name -> JSON pointer: remember a value of the answer, usable later as `${name}`.
    #[serde(default)]
    pub save: Option<BTreeMap<String, String>>,
}

/// `until_job:` wait in real time (downloads are real) until jobs of the CDM have ended.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UntilJob {
    #[serde(default)]
    pub cdm: Option<String>,
    /// How many jobs must have ended (successful or failed).
    pub ended: u64,
    /// Then exactly this many must be successful / failed.
    #[serde(default)]
    pub successful: Option<u64>,
    #[serde(default)]
    pub failed: Option<u64>,
    /// Wall-clock limit (required).
    #[serde(default)]
    pub timeout: Option<Dur>,
}

/// A file fault in an image server's folder.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ServerFileFault {
    pub server: String,
    /// A path in the served folder, e.g. `images/ACNS-5.2.1-K9.bin`; `*` in the file name.
    pub file: String,
    #[serde(default)]
    pub bytes: Option<u64>,
    #[serde(default)]
    pub keep: Option<u64>,
}

/// `write_server_file:` put a file (e.g. a meta file) into an image server's folder.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ServerFileWrite {
    pub server: String,
    /// A path in the served folder, e.g. `meta/custom.meta`.
    pub file: String,
    /// The content; may use `${name}`.
    pub text: String,
}

/// A checked `api:` step.
#[derive(Debug, Clone)]
pub struct ApiStep {
    pub cdm: String,
    pub method: String,
    pub path: String,
    pub body: Option<serde_json::Value>,
    pub status: Option<u16>,
    pub contains: Vec<String>,
    pub absent: Vec<String>,
    pub json: Vec<(String, serde_json::Value)>,
    pub save: Vec<(String, String)>,
}

/// A checked scenario, ready to run.
#[derive(Debug, Clone)]
pub struct Scenario {
    pub name: String,
    pub description: Option<String>,
    pub file: PathBuf,
    pub topology: Topology,
    pub start: DateTime<Utc>,
    pub steps: Vec<Step>,
}

/// One step and where it is written.
#[derive(Debug, Clone)]
pub struct Step {
    pub line: usize,
    pub label: Option<String>,
    pub kind: StepKind,
}

/// A truncation: drop bytes from the end, or keep a prefix.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Truncate {
    Drop(u64),
    Keep(u64),
}

/// What a step does.
#[derive(Debug, Clone)]
pub enum StepKind {
    Cli {
        device: String,
        lines: Vec<String>,
        expect: Option<Expectation>,
    },
    Expect(Expectation),
    Wait(Duration),
    Until {
        check: Check,
        timeout: Duration,
        every: Duration,
    },
    Check(Check),
    PowerCycle(String),
    Reload(String),
    Cut(Ipv4Addr, Ipv4Addr),
    Heal(Ipv4Addr, Ipv4Addr),
    CorruptFile {
        device: String,
        file: String,
    },
    TruncateFile {
        device: String,
        file: String,
        how: Truncate,
    },
    /// Leave only `free_mb` MB free on a device's `/local/local1`.
    FillDisk {
        device: String,
        free_mb: u64,
    },
    /// Arms a power loss that fires once a download on `device` has `after_mb` MB (its `#`s).
    PowerLoss {
        device: String,
        after_mb: u64,
    },
    CmsPut(CmsPut),
    CmsRemove(CmsRemove),
    Api(Box<ApiStep>),
    UntilJob {
        cdm: String,
        ended: u64,
        successful: Option<u64>,
        failed: Option<u64>,
        timeout: Duration,
    },
    StopServer(String),
    StartServer(String),
    CorruptServerFile {
        server: String,
        file: String,
    },
    TruncateServerFile {
        server: String,
        file: String,
        how: Truncate,
    },
    WriteServerFile {
        server: String,
        file: String,
        text: String,
    },
}

impl StepKind {
    /// The step's key, as written in the file.
    pub fn word(&self) -> &'static str {
        match self {
            StepKind::Cli { .. } => "cli",
            StepKind::Expect(_) => "expect",
            StepKind::Wait(_) => "wait",
            StepKind::Until { .. } => "until",
            StepKind::Check(_) => "check",
            StepKind::PowerCycle(_) => "power_cycle",
            StepKind::Reload(_) => "reload",
            StepKind::Cut(..) => "cut",
            StepKind::Heal(..) => "heal",
            StepKind::CorruptFile { .. } => "corrupt_file",
            StepKind::TruncateFile { .. } => "truncate_file",
            StepKind::FillDisk { .. } => "fill_disk",
            StepKind::PowerLoss { .. } => "power_loss",
            StepKind::CmsPut(_) => "cms_put",
            StepKind::CmsRemove(_) => "cms_remove",
            StepKind::Api(_) => "api",
            StepKind::UntilJob { .. } => "until_job",
            StepKind::StopServer(_) => "stop_server",
            StepKind::StartServer(_) => "start_server",
            StepKind::CorruptServerFile { .. } => "corrupt_server_file",
            StepKind::TruncateServerFile { .. } => "truncate_server_file",
            StepKind::WriteServerFile { .. } => "write_server_file",
        }
    }
}

/// An [`Expect`] with its regular expressions compiled.
#[derive(Debug, Clone)]
pub struct Expectation {
    pub device: Option<String>,
    pub contains: Vec<String>,
    pub regex: Vec<regex::Regex>,
    pub exact: Option<String>,
    pub absent: Vec<String>,
}

impl fmt::Display for Expectation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut parts = Vec::new();
        parts.extend(self.contains.iter().map(|c| format!("contains {c:?}")));
        parts.extend(self.regex.iter().map(|r| format!("regex /{r}/")));
        parts.extend(self.absent.iter().map(|a| format!("absent {a:?}")));
        if self.exact.is_some() {
            parts.push("exact block".into());
        }
        f.write_str(&parts.join(", "))
    }
}

/// The virtual clock's start when the file names none (the time of the behaviour spec's examples).
pub fn default_start() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 26, 9, 0, 0).unwrap()
}

/// Reads and checks a scenario file.
pub fn load(path: &Path) -> Result<Scenario, ScenarioError> {
    let file = path.display().to_string();
    let text = std::fs::read_to_string(path).map_err(|e| ScenarioError {
        file: file.clone(),
        line: 0,
        message: e.to_string(),
    })?;
    parse(&text, path)
}

/// Parses and checks a scenario text; `path` names it in errors and anchors `topology_file`.
pub fn parse(text: &str, path: &Path) -> Result<Scenario, ScenarioError> {
    let file = path.display().to_string();
    let err = |line: usize, message: String| ScenarioError {
        file: file.clone(),
        line,
        message,
    };
    let raw: RawScenario = from_yaml(text, path)?;
    let topology = lab_of(
        text,
        path,
        raw.lab.is_some(),
        raw.topology.as_ref(),
        raw.topology_file.as_deref(),
    )?;
    let start = start_of(text, path, raw.start.as_deref())?;
    let steps = steps_of(text, path, "steps", raw.steps, &topology)?;
    if steps.is_empty() {
        return Err(err(
            line_of_key(text, "steps").unwrap_or(1),
            "steps: a scenario needs at least one step".into(),
        ));
    }
    Ok(Scenario {
        name: raw.name,
        description: raw.description,
        file: path.to_path_buf(),
        topology,
        start,
        steps,
    })
}

/// Deserializes a whole file; a YAML or shape error carries its line.
pub(crate) fn from_yaml<T: serde::de::DeserializeOwned>(
    text: &str,
    path: &Path,
) -> Result<T, ScenarioError> {
    serde_norway::from_str(text).map_err(|e| {
        let line = e.location().map(|l| l.line()).unwrap_or(0);
        let message = e.to_string();
        let message = message
            .split(" at line ")
            .next()
            .unwrap_or_default()
            .to_string();
        ScenarioError {
            file: path.display().to_string(),
            line,
            message,
        }
    })
}

/// The lab of a scenario or exercise file: `lab: default` (`lab_given`), an inline `topology:`,
/// a `topology_file:` relative to `path`, or the default lab; always on ephemeral ports.
pub(crate) fn lab_of(
    text: &str,
    path: &Path,
    lab_given: bool,
    topology: Option<&serde_norway::Value>,
    topology_file: Option<&str>,
) -> Result<Topology, ScenarioError> {
    let file = path.display().to_string();
    let err = |line: usize, message: String| ScenarioError {
        file: file.clone(),
        line,
        message,
    };
    let top_line = |key: &str| line_of_key(text, key).unwrap_or(1);
    let given = [lab_given, topology.is_some(), topology_file.is_some()];
    if given.iter().filter(|g| **g).count() > 1 {
        return Err(err(
            top_line("topology")
                .min(top_line("topology_file"))
                .min(top_line("lab")),
            "give one of `lab: default`, `topology:` or `topology_file:`".into(),
        ));
    }
    let mut topology = if let Some(value) = topology {
        let at = top_line("topology");
        let (block, offset) = match block_of(text, "topology") {
            Some(b) => b,
            None => (serde_norway::to_string(value).unwrap_or_default(), 0),
        };
        Topology::parse(&block, &file).map_err(|e| {
            let line = if offset > 0 && e.line > 0 {
                offset + e.line
            } else {
                at
            };
            err(line, format!("topology: {}", e.message))
        })?
    } else if let Some(rel) = topology_file {
        let at = top_line("topology_file");
        let p = path.parent().unwrap_or(Path::new(".")).join(rel);
        Topology::load(&p).map_err(|e| {
            err(
                at,
                format!(
                    "topology_file {}: line {}: {}",
                    p.display(),
                    e.line,
                    e.message
                ),
            )
        })?
    } else {
        Topology::default_lab()
    };
    // A scenario's lab never takes fixed ports: many may run at once.
    topology.lab.base_port = 0;
    for d in &mut topology.devices {
        d.port = None;
    }
    for s in &mut topology.servers {
        s.ftp_port = 0;
        s.http_port = 0;
    }
    Ok(topology)
}

/// The virtual clock's start: `start:` or [`default_start`].
fn start_of(text: &str, path: &Path, start: Option<&str>) -> Result<DateTime<Utc>, ScenarioError> {
    match start {
        Some(s) => DateTime::parse_from_rfc3339(s)
            .map(|t| t.with_timezone(&Utc))
            .map_err(|e| ScenarioError {
                file: path.display().to_string(),
                line: line_of_key(text, "start").unwrap_or(1),
                message: format!(
                    "start: '{s}' is not an RFC 3339 time like 2026-11-26T09:00:00Z ({e})"
                ),
            }),
        None => Ok(default_start()),
    }
}

/// Checks the steps listed under the top-level `key:` against `topology`; each error carries the
/// line of its step.
pub(crate) fn steps_of(
    text: &str,
    path: &Path,
    key: &str,
    raw_steps: Vec<RawStep>,
    topology: &Topology,
) -> Result<Vec<Step>, ScenarioError> {
    let lines = item_lines(text, key, raw_steps.len());
    let at = line_of_key(text, key).unwrap_or(1);
    let mut steps = Vec::with_capacity(raw_steps.len());
    let names = Names { topology };
    let mut cli_seen: Vec<String> = Vec::new();
    let mut saved: Vec<String> = Vec::new();
    for (i, rs) in raw_steps.into_iter().enumerate() {
        let line = lines.get(i).copied().unwrap_or(at);
        let step =
            check_step(rs, &names, &mut cli_seen, &mut saved).map_err(|m| ScenarioError {
                file: path.display().to_string(),
                line,
                message: format!("step {}: {m}", i + 1),
            })?;
        steps.push(Step {
            line,
            label: step.1,
            kind: step.0,
        });
    }
    Ok(steps)
}

/// Checks a `check:` mapping against `topology` (devices that exist, keys that apply to them).
pub(crate) fn check_against(c: &Check, topology: &Topology) -> Result<(), String> {
    if c.timeout.is_some() || c.every.is_some() {
        return Err("`timeout` and `every` belong to `until:`, not to a check".into());
    }
    check_check(c, &Names { topology })
}

struct Names<'a> {
    topology: &'a Topology,
}

impl Names<'_> {
    fn device(&self, name: &str) -> Result<String, String> {
        if self.topology.devices.iter().any(|d| d.name == name) {
            Ok(name.to_string())
        } else {
            let known: Vec<&str> = self
                .topology
                .devices
                .iter()
                .map(|d| d.name.as_str())
                .collect();
            Err(format!(
                "unknown device '{name}' (this lab has: {})",
                known.join(", ")
            ))
        }
    }

    fn kind(&self, name: &str) -> Option<DeviceKind> {
        self.topology
            .devices
            .iter()
            .find(|d| d.name == name)
            .map(|d| d.kind)
    }

    fn cdm(&self, name: &str) -> Result<String, String> {
        let n = self.device(name)?;
        if self.kind(&n) == Some(DeviceKind::Cdm) {
            Ok(n)
        } else {
            Err(format!("'{name}' is not a CDM"))
        }
    }

    /// `cdm:` of an api step, or the lab's primary CDM.
    fn cdm_or_primary(&self, name: Option<&str>) -> Result<String, String> {
        match name {
            Some(n) => self.cdm(n),
            None => self
                .topology
                .devices
                .iter()
                .find(|d| {
                    d.kind == DeviceKind::Cdm && d.role == Some(crate::config::CdmRole::Primary)
                })
                .map(|d| d.name.clone())
                .ok_or_else(|| "this lab has no primary CDM: name one with `cdm:`".into()),
        }
    }

    /// An embedded image server of the lab.
    fn server(&self, name: &str) -> Result<String, String> {
        match self.topology.servers.iter().find(|s| s.name == name) {
            Some(s) if s.ftp.is_some() || s.http.is_some() => Err(format!(
                "server '{name}' is an external server: only the lab's embedded servers can be stopped or changed"
            )),
            Some(s) => Ok(s.name.clone()),
            None => {
                let known: Vec<&str> = self
                    .topology
                    .servers
                    .iter()
                    .map(|s| s.name.as_str())
                    .collect();
                Err(format!(
                    "unknown server '{name}' (this lab has: {})",
                    if known.is_empty() {
                        "no servers".to_string()
                    } else {
                        known.join(", ")
                    }
                ))
            }
        }
    }

    /// A device or server name, or an address of the lab.
    fn address(&self, word: &str) -> Result<Ipv4Addr, String> {
        if let Some(d) = self.topology.devices.iter().find(|d| d.name == word) {
            return Ok(d.ip);
        }
        if let Some(s) = self.topology.servers.iter().find(|s| s.name == word) {
            return Ok(s.ip);
        }
        match word.parse::<Ipv4Addr>() {
            Ok(ip) => Ok(ip),
            Err(_) => Err(format!(
                "unknown device '{word}' (give a device or server name, or an address)"
            )),
        }
    }
}

type Checked = (StepKind, Option<String>);

fn check_step(
    rs: RawStep,
    names: &Names,
    cli_seen: &mut Vec<String>,
    saved: &mut Vec<String>,
) -> Result<Checked, String> {
    let mut kinds: Vec<&str> = Vec::new();
    let flags = [
        (rs.cli.is_some(), "cli"),
        (rs.send.is_some(), "send"),
        (rs.wait.is_some(), "wait"),
        (rs.until.is_some(), "until"),
        (rs.check.is_some(), "check"),
        (rs.power_cycle.is_some(), "power_cycle"),
        (rs.reload.is_some(), "reload"),
        (rs.cut.is_some(), "cut"),
        (rs.heal.is_some(), "heal"),
        (rs.corrupt_file.is_some(), "corrupt_file"),
        (rs.truncate_file.is_some(), "truncate_file"),
        (rs.fill_disk.is_some(), "fill_disk"),
        (rs.power_loss.is_some(), "power_loss"),
        (rs.cms_put.is_some(), "cms_put"),
        (rs.cms_remove.is_some(), "cms_remove"),
        (rs.api.is_some(), "api"),
        (rs.until_job.is_some(), "until_job"),
        (rs.stop_server.is_some(), "stop_server"),
        (rs.start_server.is_some(), "start_server"),
        (rs.corrupt_server_file.is_some(), "corrupt_server_file"),
        (rs.truncate_server_file.is_some(), "truncate_server_file"),
        (rs.write_server_file.is_some(), "write_server_file"),
    ];
    for (set, word) in flags {
        if set {
            kinds.push(word);
        }
    }
    let label = rs.name.clone();
    if kinds.len() > 1 {
        return Err(format!(
            "one kind per step, this one has {}",
            kinds.join(" and ")
        ));
    }
    if rs.device.is_some() && rs.send.is_none() {
        return Err("`device:` at the top of a step goes with `send:`".into());
    }
    if rs.expect.is_some() && !kinds.is_empty() && !matches!(kinds[0], "cli" | "send") {
        return Err(format!(
            "`expect:` can stand alone or go with `cli:`/`send:`, not with `{}:`",
            kinds[0]
        ));
    }
    let Some(kind) = kinds.first().copied() else {
        return match rs.expect {
            Some(e) => {
                let e = expectation(e, names)?;
                let about = e.device.clone();
                match about {
                    Some(d) if !cli_seen.contains(&d) => Err(format!(
                        "expect: no earlier cli step on device '{d}' to check the output of"
                    )),
                    None if cli_seen.is_empty() => {
                        Err("expect: no earlier cli step to check the output of".into())
                    }
                    _ => Ok((StepKind::Expect(e), label)),
                }
            }
            None => Err("empty step: give one of cli, send (with device), expect, wait, until, check, power_cycle, reload, cut, heal, corrupt_file, truncate_file, fill_disk, power_loss, cms_put, cms_remove, api, until_job, stop_server, start_server, corrupt_server_file, truncate_server_file, write_server_file".into()),
        };
    };
    let step = match kind {
        "cli" | "send" => {
            let (device, lines, inner) = match (rs.cli, rs.device, rs.send) {
                (Some(c), _, _) => (c.device, c.lines, c.expect),
                (None, Some(d), Some(s)) => (d, s, None),
                (None, None, Some(_)) => return Err("`send:` needs `device:`".into()),
                _ => unreachable!("kind is cli or send"),
            };
            let device = names.device(&device)?;
            if lines.0.is_empty() {
                return Err("cli: no lines to send".into());
            }
            for l in &lines.0 {
                known_vars(l, saved)?;
            }
            let expect = match (inner, rs.expect) {
                (Some(_), Some(_)) => return Err("two `expect:` in one step".into()),
                (Some(e), None) | (None, Some(e)) => {
                    if e.device.is_some() {
                        return Err("an `expect:` inside a cli step takes no `device:`".into());
                    }
                    Some(expectation(e, names)?)
                }
                (None, None) => None,
            };
            cli_seen.push(device.clone());
            StepKind::Cli {
                device,
                lines: lines.0,
                expect,
            }
        }
        "wait" => StepKind::Wait(rs.wait.unwrap().0),
        "until" => {
            let mut c = rs.until.unwrap();
            check_check(&c, names)?;
            let timeout = c
                .timeout
                .take()
                .ok_or("until: needs `timeout:` (e.g. timeout: 10m)")?
                .0;
            let every = c
                .every
                .take()
                .map(|d| d.0)
                .unwrap_or(Duration::from_secs(10));
            if every.is_zero() {
                return Err("until: `every:` must be more than 0".into());
            }
            StepKind::Until {
                check: c,
                timeout,
                every,
            }
        }
        "check" => {
            let c = rs.check.unwrap();
            if c.timeout.is_some() || c.every.is_some() {
                return Err("check: `timeout:`/`every:` belong to `until:`".into());
            }
            check_check(&c, names)?;
            StepKind::Check(c)
        }
        "power_cycle" => StepKind::PowerCycle(names.device(&rs.power_cycle.unwrap())?),
        "reload" => StepKind::Reload(names.device(&rs.reload.unwrap())?),
        "cut" => {
            let [a, b] = rs.cut.unwrap();
            StepKind::Cut(names.address(&a)?, names.address(&b)?)
        }
        "heal" => {
            let [a, b] = rs.heal.unwrap();
            StepKind::Heal(names.address(&a)?, names.address(&b)?)
        }
        "corrupt_file" => {
            let f = rs.corrupt_file.unwrap();
            if f.bytes.is_some() || f.keep.is_some() {
                return Err("corrupt_file: takes only `device:` and `file:`".into());
            }
            StepKind::CorruptFile {
                device: names.device(&f.device)?,
                file: plain_file(&f.file)?,
            }
        }
        "power_loss" => {
            let p = rs.power_loss.unwrap();
            if p.after_mb == 0 {
                return Err(
                    "power_loss: `after_mb` must be 1 or more (the `#` that triggers it)".into(),
                );
            }
            StepKind::PowerLoss {
                device: names.device(&p.device)?,
                after_mb: p.after_mb,
            }
        }
        "fill_disk" => {
            let f = rs.fill_disk.unwrap();
            StepKind::FillDisk {
                device: names.device(&f.device)?,
                free_mb: f.free_mb,
            }
        }
        "truncate_file" => {
            let f = rs.truncate_file.unwrap();
            let how = match (f.bytes, f.keep) {
                (Some(n), None) => Truncate::Drop(n),
                (None, Some(n)) => Truncate::Keep(n),
                _ => {
                    return Err(
                        "truncate_file: give `bytes:` (cut this many from the end) or `keep:`"
                            .into(),
                    )
                }
            };
            StepKind::TruncateFile {
                device: names.device(&f.device)?,
                file: plain_file(&f.file)?,
                how,
            }
        }
        "cms_put" => {
            let p = rs.cms_put.unwrap();
            names.cdm(&p.device)?;
            table(&p.table)?;
            StepKind::CmsPut(p)
        }
        "cms_remove" => {
            let p = rs.cms_remove.unwrap();
            names.cdm(&p.device)?;
            table(&p.table)?;
            StepKind::CmsRemove(p)
        }
        "api" => StepKind::Api(Box::new(api_step(rs.api.unwrap(), names, saved)?)),
        "until_job" => {
            let u = rs.until_job.unwrap();
            let timeout = u
                .timeout
                .ok_or("until_job: needs `timeout:` (real time, e.g. timeout: 60s)")?
                .0;
            if timeout.is_zero() {
                return Err("until_job: `timeout:` must be more than 0".into());
            }
            if u.ended == 0 {
                return Err("until_job: `ended:` must be at least 1".into());
            }
            let sum = u.successful.unwrap_or(0) + u.failed.unwrap_or(0);
            if sum > u.ended {
                return Err(format!(
                    "until_job: successful + failed ({sum}) is more than ended ({})",
                    u.ended
                ));
            }
            StepKind::UntilJob {
                cdm: names.cdm_or_primary(u.cdm.as_deref())?,
                ended: u.ended,
                successful: u.successful,
                failed: u.failed,
                timeout,
            }
        }
        "stop_server" => StepKind::StopServer(names.server(&rs.stop_server.unwrap())?),
        "start_server" => StepKind::StartServer(names.server(&rs.start_server.unwrap())?),
        "corrupt_server_file" => {
            let f = rs.corrupt_server_file.unwrap();
            if f.bytes.is_some() || f.keep.is_some() {
                return Err("corrupt_server_file: takes only `server:` and `file:`".into());
            }
            StepKind::CorruptServerFile {
                server: names.server(&f.server)?,
                file: server_file(&f.file)?,
            }
        }
        "truncate_server_file" => {
            let f = rs.truncate_server_file.unwrap();
            let how = match (f.bytes, f.keep) {
                (Some(n), None) => Truncate::Drop(n),
                (None, Some(n)) => Truncate::Keep(n),
                _ => return Err(
                    "truncate_server_file: give `bytes:` (cut this many from the end) or `keep:`"
                        .into(),
                ),
            };
            StepKind::TruncateServerFile {
                server: names.server(&f.server)?,
                file: server_file(&f.file)?,
                how,
            }
        }
        "write_server_file" => {
            let w = rs.write_server_file.unwrap();
            let file = server_file(&w.file)?;
            if file.contains('*') {
                return Err("write_server_file: `file:` names one file, without `*`".into());
            }
            known_vars(&w.text, saved)?;
            StepKind::WriteServerFile {
                server: names.server(&w.server)?,
                file,
                text: w.text,
            }
        }
        other => return Err(format!("unknown step kind `{other}`")),
    };
    Ok((step, label))
}

/// The `${name}` references of a text.
pub fn var_refs(text: &str) -> Vec<&str> {
    let mut found = Vec::new();
    let mut rest = text;
    while let Some(at) = rest.find("${") {
        let after = &rest[at + 2..];
        match after.find('}') {
            Some(end) => {
                found.push(&after[..end]);
                rest = &after[end + 1..];
            }
            None => break,
        }
    }
    found
}

/// Every `${name}` of `text` was saved by an earlier step.
fn known_vars(text: &str, saved: &[String]) -> Result<(), String> {
    for v in var_refs(text) {
        if !saved.iter().any(|s| s == v) {
            return Err(if saved.is_empty() {
                format!("`${{{v}}}`: no earlier api step saves a value named '{v}'")
            } else {
                format!(
                    "`${{{v}}}`: no earlier api step saves a value named '{v}' (saved so far: {})",
                    saved.join(", ")
                )
            });
        }
    }
    Ok(())
}

fn known_vars_json(value: &serde_json::Value, saved: &[String]) -> Result<(), String> {
    match value {
        serde_json::Value::String(s) => known_vars(s, saved),
        serde_json::Value::Array(a) => a.iter().try_for_each(|v| known_vars_json(v, saved)),
        serde_json::Value::Object(o) => o.iter().try_for_each(|(k, v)| {
            known_vars(k, saved)?;
            known_vars_json(v, saved)
        }),
        _ => Ok(()),
    }
}

/// A JSON pointer (`/0/status`, `` for the whole answer), with `[key=value]` segments allowed.
fn pointer(p: &str) -> Result<(), String> {
    if !(p.is_empty() || p.starts_with('/')) {
        return Err(format!(
            "'{p}' is not a JSON pointer: it starts with / (like /0/status), or is empty for the whole answer"
        ));
    }
    for seg in p.split('/').skip(1) {
        if seg.starts_with('[') && !(seg.ends_with(']') && seg.contains('=')) {
            return Err(format!(
                "JSON pointer '{p}': a segment [..] selects by a field, like [name=ce1]"
            ));
        }
    }
    Ok(())
}

fn api_step(a: ApiCall, names: &Names, saved: &mut Vec<String>) -> Result<ApiStep, String> {
    let cdm = names.cdm_or_primary(a.cdm.as_deref())?;
    let method = a
        .method
        .unwrap_or_else(|| "GET".into())
        .to_ascii_uppercase();
    if !matches!(method.as_str(), "GET" | "POST" | "PUT" | "DELETE") {
        return Err(format!(
            "api: method is GET, POST, PUT or DELETE, not '{method}'"
        ));
    }
    if !a.path.starts_with('/') {
        return Err(format!(
            "api: path '{}' must start with / (like /api/devices)",
            a.path
        ));
    }
    known_vars(&a.path, saved)?;
    if let Some(b) = &a.body {
        known_vars_json(b, saved)?;
        if method == "GET" || method == "DELETE" {
            return Err(format!("api: a {method} takes no `body:`"));
        }
    }
    if let Some(s) = a.status {
        if !(100..=599).contains(&s) {
            return Err(format!("api: status {s} is not an HTTP status"));
        }
    }
    let contains = a.contains.map(|m| m.0).unwrap_or_default();
    let absent = a.absent.map(|m| m.0).unwrap_or_default();
    for t in contains.iter().chain(absent.iter()) {
        known_vars(t, saved)?;
    }
    let json: Vec<(String, serde_json::Value)> = a.json.unwrap_or_default().into_iter().collect();
    for (p, v) in &json {
        pointer(p).map_err(|m| format!("api: json: {m}"))?;
        known_vars(p, saved)?;
        known_vars_json(v, saved)?;
    }
    let save: Vec<(String, String)> = a.save.unwrap_or_default().into_iter().collect();
    for (name, p) in &save {
        if name.is_empty()
            || !name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
        {
            return Err(format!(
                "api: save: '{name}' is not a name (letters, digits, _ and -)"
            ));
        }
        pointer(p).map_err(|m| format!("api: save: {m}"))?;
    }
    for (name, _) in &save {
        if !saved.contains(name) {
            saved.push(name.clone());
        }
    }
    Ok(ApiStep {
        cdm,
        method,
        path: a.path,
        body: a.body,
        status: a.status,
        contains,
        absent,
        json,
        save,
    })
}

/// A path in an image server's folder: relative, no `.`/`..` parts; `*` only in the file name.
fn server_file(path: &str) -> Result<String, String> {
    let p = path.trim_start_matches('/');
    let parts: Vec<&str> = p.split('/').collect();
    if p.is_empty()
        || parts
            .iter()
            .any(|c| c.is_empty() || *c == "." || *c == "..")
    {
        return Err(format!(
            "'{path}' is not a file of the server's folder (like images/ACNS-5.2.1-K9.bin)"
        ));
    }
    if parts[..parts.len() - 1].iter().any(|c| c.contains('*')) {
        return Err(format!("'{path}': `*` only in the file name"));
    }
    Ok(p.to_string())
}

fn table(name: &str) -> Result<(), String> {
    if crate::cms::schema::REPLICATED
        .iter()
        .any(|(t, _)| *t == name)
    {
        Ok(())
    } else {
        let known: Vec<&str> = crate::cms::schema::REPLICATED
            .iter()
            .map(|(t, _)| *t)
            .collect();
        Err(format!(
            "unknown CMS table '{name}' (tables: {})",
            known.join(", ")
        ))
    }
}

fn plain_file(name: &str) -> Result<String, String> {
    let name = name.strip_prefix("/local/local1/").unwrap_or(name);
    if name.is_empty() || name.contains('/') || name == "." || name == ".." {
        return Err(format!("'{name}' is not a file name in /local/local1"));
    }
    Ok(name.to_string())
}

fn expectation(e: Expect, names: &Names) -> Result<Expectation, String> {
    let device = e.device.as_deref().map(|d| names.device(d)).transpose()?;
    let mut regex = Vec::new();
    for r in e.regex.map(|m| m.0).unwrap_or_default() {
        let compiled = regex::RegexBuilder::new(&r)
            .multi_line(true)
            .build()
            .map_err(|err| format!("expect: bad regex /{r}/: {err}"))?;
        regex.push(compiled);
    }
    let x = Expectation {
        device,
        contains: e.contains.map(|m| m.0).unwrap_or_default(),
        regex,
        exact: e.exact,
        absent: e.absent.map(|m| m.0).unwrap_or_default(),
    };
    if x.contains.is_empty() && x.regex.is_empty() && x.exact.is_none() && x.absent.is_empty() {
        return Err("expect: give contains, regex, exact or absent".into());
    }
    Ok(x)
}

fn check_check(c: &Check, names: &Names) -> Result<(), String> {
    let device = names.device(&c.device)?;
    let kind = names.kind(&device);
    let is_cdm = kind == Some(DeviceKind::Cdm);
    let need_cdm = |key: &str, set: bool| -> Result<(), String> {
        if set && !is_cdm {
            Err(format!(
                "check: `{key}` is about a CDM; '{device}' is not one"
            ))
        } else {
            Ok(())
        }
    };
    need_cdm("role", c.role.is_some())?;
    need_cdm("sync", c.sync.is_some())?;
    need_cdm("database", c.database.is_some())?;
    need_cdm("schema", c.schema.is_some())?;
    need_cdm("cms_devices", c.cms_devices.is_some())?;
    need_cdm("rows", c.rows.is_some())?;
    need_cdm("same_data_as", c.same_data_as.is_some())?;
    if is_cdm && (c.registered.is_some() || c.registered_with.is_some()) {
        return Err(format!(
            "check: `registered` is about a CE or CR; '{device}' is a CDM"
        ));
    }
    for v in [&c.version, &c.pending_version].into_iter().flatten() {
        if v != "none" {
            v.parse::<Version>()
                .map_err(|_| format!("check: '{v}' is not a version like 5.2.1"))?;
        }
    }
    if let Some(p) = &c.power {
        if !matches!(p.as_str(), "running" | "booting" | "rebooting") {
            return Err(format!(
                "check: power is running, booting or rebooting, not '{p}'"
            ));
        }
    }
    if let Some(s) = &c.cms {
        if !matches!(s.as_str(), "enabled" | "disabled" | "running" | "held") {
            return Err(format!(
                "check: cms is enabled, disabled, running or held, not '{s}'"
            ));
        }
    }
    if let Some(r) = &c.role {
        if !matches!(r.as_str(), "primary" | "standby") {
            return Err(format!("check: role is primary or standby, not '{r}'"));
        }
    }
    if let Some(s) = &c.sync {
        if !SYNC_WORDS.contains(&s.as_str()) {
            return Err(format!(
                "check: sync is one of {}, not '{s}'",
                SYNC_WORDS.join(", ")
            ));
        }
    }
    if let Some(d) = &c.database {
        if !matches!(d.as_str(), "present" | "absent") {
            return Err(format!("check: database is present or absent, not '{d}'"));
        }
    }
    if let Some(r) = &c.registered_with {
        names.address(r)?;
    }
    if let Some(s) = &c.status_on {
        names.cdm(&s.cdm)?;
    }
    if let Some(other) = &c.same_data_as {
        names.cdm(other)?;
    }
    if let Some(rows) = &c.rows {
        for t in rows.keys() {
            table(t)?;
        }
    }
    for f in c
        .file_exists
        .iter()
        .chain(c.file_absent.iter())
        .flat_map(|m| m.0.iter())
    {
        plain_file(f)?;
    }
    Ok(())
}

/// The words of `check: sync:`.
pub const SYNC_WORDS: &[&str] = &[
    "in sync",
    "version mismatch",
    "primary unreachable",
    "never",
    "full update",
];

/// The 1-based line of a top-level `key:`.
pub(crate) fn line_of_key(text: &str, key: &str) -> Option<usize> {
    text.lines()
        .position(|l| {
            l.strip_prefix(key)
                .is_some_and(|rest| rest.trim_start().starts_with(':'))
        })
        .map(|i| i + 1)
}

/// The indented block under a top-level `key:`, dedented, and the line number of `key:` (so a line
/// `n` of the block is line `offset + n` of the file). `None` for a flow value on the key's line.
fn block_of(text: &str, key: &str) -> Option<(String, usize)> {
    let at = line_of_key(text, key)?;
    let all: Vec<&str> = text.lines().collect();
    let head = all[at - 1];
    let after = head[key.len()..]
        .trim_start()
        .trim_start_matches(':')
        .trim();
    if !(after.is_empty() || after.starts_with('#')) {
        return None;
    }
    let mut block = Vec::new();
    for l in &all[at..] {
        let blank = l.trim().is_empty() || l.trim_start().starts_with('#');
        if !blank && !l.starts_with(' ') {
            break;
        }
        block.push(*l);
    }
    let indent = block
        .iter()
        .filter(|l| !l.trim().is_empty())
        .map(|l| l.len() - l.trim_start().len())
        .min()
        .unwrap_or(0);
    let text = block
        .iter()
        .map(|l| if l.len() >= indent { &l[indent..] } else { "" })
        .collect::<Vec<_>>()
        .join("\n");
    Some((text, at))
}

/// The 1-based line of each item of the top-level `key:` list (block style); empty if the list
/// cannot be found this way or the count differs from `expected`.
pub(crate) fn item_lines(text: &str, key: &str, expected: usize) -> Vec<usize> {
    let Some(at) = line_of_key(text, key) else {
        return Vec::new();
    };
    let all: Vec<&str> = text.lines().collect();
    let mut indent: Option<usize> = None;
    let mut found = Vec::new();
    for (i, l) in all.iter().enumerate().skip(at) {
        let t = l.trim_start();
        if t.is_empty() || t.starts_with('#') {
            continue;
        }
        let ind = l.len() - t.len();
        let item = t == "-" || t.starts_with("- ");
        match indent {
            None if item => {
                indent = Some(ind);
                found.push(i + 1);
            }
            None => break,
            Some(n) if ind == n && item => found.push(i + 1),
            Some(n) if ind < n || (ind == n && !item) => break,
            Some(_) => {}
        }
    }
    if found.len() == expected {
        found
    } else {
        Vec::new()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations() {
        assert_eq!(parse_duration("30s"), Ok(Duration::from_secs(30)));
        assert_eq!(parse_duration("5m"), Ok(Duration::from_secs(300)));
        assert_eq!(parse_duration("1h30m"), Ok(Duration::from_secs(5400)));
        assert_eq!(parse_duration("250ms"), Ok(Duration::from_millis(250)));
        assert!(parse_duration("5 minutes").is_err());
        assert!(parse_duration("m5").is_err());
        assert!(parse_duration("").is_err());
    }

    #[test]
    fn step_lines_follow_the_list() {
        let text = "name: x\nsteps:\n  - wait: 1s\n\n  # note\n  - cli:\n      device: ce1\n      lines: [a]\n  - wait: 2s\n";
        assert_eq!(item_lines(text, "steps", 3), vec![3, 6, 9]);
        let flush = "name: x\nsteps:\n- wait: 1s\n- wait: 2s\nother: 1\n";
        assert_eq!(item_lines(flush, "steps", 2), vec![3, 4]);
    }
}
