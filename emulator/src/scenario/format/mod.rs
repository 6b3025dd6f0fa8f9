//! The scenario file format (YAML, documented in `docs/scenarios.md`): the checked [`Scenario`]
//! the runner executes, and every check that can be made before anything runs. Every error of a
//! file is found in one pass ([`ScenarioErrors`], sorted by line): the file is read key by key and
//! step by step (`crate::yaml_parts`), so a step that does not parse does not hide the others, and
//! the steps that parse are all checked. Errors carry the file and the line: serde errors their own
//! position, semantic errors (unknown device, a step with no kind or two kinds, a bad regex) the
//! line of the step's `-`. Only a YAML syntax error stops the reading.
//!
//! - `steps`: the table of step kinds (declared once) and the checked step types;
//! - `raw`: the serde shapes of the file and of each kind's value; `duration`: `30s`, `1h30m`;
//! - `validate`: the rules of a step and one validator per kind; `values` and `names`: checks of
//!   single values and of names against the lab;
//! - `head`: what every scenario and exercise file starts with (name, description, lab) and its
//!   required lists; `lab`: the lab and the clock's start.
//!
//! Owns no running: nothing here touches a lab (that is `runner`'s).

mod duration;
mod head;
mod lab;
mod names;
mod raw;
mod steps;
mod validate;
mod values;

use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};

use crate::topology::Topology;
use crate::yaml_parts::PartError;

pub use duration::{parse_duration, Dur};
pub(crate) use head::{read_file, read_head, required_items};
pub use lab::default_start;
pub use raw::{
    ApiCall, Check, CmsPut, CmsRemove, Expect, FileFault, FillDisk, Many, PowerLoss,
    ServerFileFault, ServerFileWrite, StatusOn, UntilJob,
};
pub(crate) use raw::{LabWord, RawScenario};
pub(crate) use steps::RawStep;
pub use steps::{ApiStep, Expectation, Step, StepKind, Truncate, STEP_KINDS};
pub(crate) use validate::{check_against, numbered, steps_of};
pub use values::{var_refs, SYNC_WORDS};

/// One error of a scenario (or exercise) file; found before anything runs.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{file}:{line}: {message}")]
pub struct ScenarioError {
    pub file: String,
    pub line: usize,
    pub message: String,
}

/// Every error found in a scenario (or exercise) file, sorted by line (never empty); shown one per
/// line.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}", render_errors(.0))]
pub struct ScenarioErrors(Vec<ScenarioError>);

fn render_errors(errors: &[ScenarioError]) -> String {
    errors
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join("\n")
}

impl ScenarioErrors {
    /// The errors, sorted by line (a stable sort: those of one line stay in the order found).
    /// `errors` must not be empty.
    pub fn new(mut errors: Vec<ScenarioError>) -> Self {
        debug_assert!(!errors.is_empty(), "ScenarioErrors without an error");
        errors.sort_by_key(|e| e.line);
        ScenarioErrors(errors)
    }

    /// The error of the first line.
    pub fn first(&self) -> &ScenarioError {
        &self.0[0]
    }

    pub fn iter(&self) -> std::slice::Iter<'_, ScenarioError> {
        self.0.iter()
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn into_vec(self) -> Vec<ScenarioError> {
        self.0
    }
}

/// Errors of one file as they are found: each at a line, with the file's name.
pub(crate) struct Found {
    file: String,
    errors: Vec<ScenarioError>,
}

impl Found {
    pub fn new(path: &Path) -> Self {
        Found {
            file: path.display().to_string(),
            errors: Vec::new(),
        }
    }

    pub fn at(&mut self, line: usize, message: impl Into<String>) {
        self.errors.push(ScenarioError {
            file: self.file.clone(),
            line,
            message: message.into(),
        });
    }

    /// How many errors were found so far.
    pub fn count(&self) -> usize {
        self.errors.len()
    }

    pub fn part(&mut self, e: PartError) {
        self.at(e.line, e.message);
    }

    /// The value of a part that was read, or its error noted and `None`.
    pub fn take<T>(&mut self, read: Result<T, PartError>) -> Option<T> {
        read.map_err(|e| self.part(e)).ok()
    }

    /// The value read, if nothing was found; else every error.
    pub fn finish<T>(self, value: Option<T>) -> Result<T, ScenarioErrors> {
        match value {
            Some(value) if self.errors.is_empty() => Ok(value),
            _ => Err(self.into_errors()),
        }
    }

    /// Every error found; a fallback one if a part that could not be read noted none.
    pub fn into_errors(mut self) -> ScenarioErrors {
        if self.errors.is_empty() {
            self.at(0, "the file could not be read");
        }
        ScenarioErrors::new(self.errors)
    }
}

/// The top-level keys of a scenario file.
pub const TOP_KEYS: [&str; 7] = [
    "name",
    "description",
    "lab",
    "topology",
    "topology_file",
    "start",
    "steps",
];

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

/// Reads and checks a scenario file.
pub fn load(path: &Path) -> Result<Scenario, ScenarioErrors> {
    read_file(path, parse)
}

/// Parses and checks a scenario text; `path` names it in errors and anchors `topology_file`.
/// Every error is reported: a YAML syntax error alone (nothing after it can be read), else each
/// unknown key, each value and step that does not parse, and each rule broken by what parsed.
pub fn parse(text: &str, path: &Path) -> Result<Scenario, ScenarioErrors> {
    let (doc, mut found, head) = head::read_head(text, path, &TOP_KEYS)?;
    let start = lab::start_of(&doc, &mut found);
    let raw_steps = head::required_items::<RawStep>(&doc, "steps", &mut found);
    let listed = raw_steps.len();
    let steps = steps_of(raw_steps, head.lab.as_ref(), &mut found);
    if listed == 0 && doc.has("steps") {
        found.at(
            doc.line("steps"),
            "steps: a scenario needs at least one step",
        );
    }
    let scenario = match (head.name, head.lab, start) {
        (Some(name), Some(topology), Some(start)) => Some(Scenario {
            name,
            description: head.description,
            file: path.to_path_buf(),
            topology,
            start,
            steps,
        }),
        _ => None,
    };
    found.finish(scenario)
}
