//! The scenario file format (YAML, documented in `docs/scenarios.md`): the checked [`Scenario`]
//! the runner executes, and every check that can be made before anything runs. Errors carry the
//! file and the line: serde errors their own position, semantic errors (unknown device, a step with
//! no kind or two kinds, a bad regex) the line of the step's `-`.
//!
//! - `steps`: the table of step kinds (declared once) and the checked step types;
//! - `raw`: the serde shapes of the file and of each kind's value; `duration`: `30s`, `1h30m`;
//! - `validate`: the rules of a step and one validator per kind; `values` and `names`: checks of
//!   single values and of names against the lab;
//! - `lab`: the lab and the clock's start; `yaml`: lines of keys and list items, serde errors.
//!
//! Owns no running: nothing here touches a lab (that is `runner`'s).

mod duration;
mod lab;
mod names;
mod raw;
mod steps;
mod validate;
mod values;
mod yaml;

use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};

use crate::topology::Topology;

pub use duration::{parse_duration, Dur};
pub use lab::default_start;
pub(crate) use lab::lab_of;
pub(crate) use raw::LabWord;
pub use raw::{
    ApiCall, Check, CmsPut, CmsRemove, Expect, FileFault, FillDisk, Many, PowerLoss,
    ServerFileFault, ServerFileWrite, StatusOn, UntilJob,
};
pub(crate) use steps::RawStep;
pub use steps::{ApiStep, Expectation, Step, StepKind, Truncate, STEP_KINDS};
pub(crate) use validate::{check_against, steps_of};
pub use values::{var_refs, SYNC_WORDS};
pub(crate) use yaml::{from_yaml, item_lines, line_of_key};

/// A scenario file that cannot be run; found before anything runs.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{file}:{line}: {message}")]
pub struct ScenarioError {
    pub file: String,
    pub line: usize,
    pub message: String,
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
    let raw: raw::RawScenario = from_yaml(text, path)?;
    let topology = lab_of(
        text,
        path,
        raw.lab.is_some(),
        raw.topology.as_ref(),
        raw.topology_file.as_deref(),
    )?;
    let start = lab::start_of(text, path, raw.start.as_deref())?;
    let steps = steps_of(text, path, "steps", raw.steps, &topology)?;
    if steps.is_empty() {
        return Err(ScenarioError {
            file: path.display().to_string(),
            line: line_of_key(text, "steps").unwrap_or(1),
            message: "steps: a scenario needs at least one step".into(),
        });
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
