//! The raw serde shapes of a scenario file, as written: the top level and the value of each step
//! kind. `deny_unknown_fields` everywhere, so a misspelt key is an error with its line. The same
//! types give the file's JSON Schema (`format::json_schema`, their doc comments its descriptions).
//! Owns no checks beyond the shape (those are `validate`'s) and no step list (that is `steps`').

use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::{Deserialize, Deserializer};

use super::duration::Dur;
use super::steps::RawStep;
use crate::topology::Topology;

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

impl JsonSchema for Many {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "StringOrList".into()
    }

    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({
            "description": "One string or a list of strings.",
            "anyOf": [
                {"type": "string"},
                {"type": "array", "items": {"type": "string"}},
            ],
        })
    }
}

/// The top level of a scenario file: its shape, for the JSON Schema (`file_schemas`; the file is
/// read key by key, `format::TOP_KEYS`, and a test keeps the two the same).
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(
    title = "acnslab scenario file",
    description = "A procedure replayed on a fresh lab on a virtual clock: CLI steps, checks, waits and faults (docs/scenarios.md)."
)]
#[allow(dead_code)] // read for its schema; the loader reads the same keys one by one
pub(crate) struct RawScenario {
    /// What the scenario shows; printed with PASS or FAIL.
    pub name: String,
    /// Free text.
    #[serde(default)]
    pub description: Option<String>,
    /// `default`: the default lab of docs/topology.md (also when no lab is given).
    #[serde(default)]
    pub lab: Option<LabWord>,
    /// An inline topology, in the topology file format (docs/topology.md).
    #[serde(default)]
    #[schemars(with = "Option<Topology>")]
    pub topology: Option<serde_norway::Value>,
    /// A topology file, relative to this file.
    #[serde(default)]
    pub topology_file: Option<String>,
    /// The virtual clock's start, an RFC 3339 time (default 2026-11-26T09:00:00Z).
    #[serde(default)]
    pub start: Option<String>,
    /// The steps, run in order; each is a mapping with one kind.
    pub steps: Vec<RawStep>,
}

/// `lab: default`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub(crate) enum LabWord {
    Default,
}

/// `cli: {device, lines, expect}`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawCli {
    pub device: String,
    pub lines: Many,
    #[serde(default)]
    pub expect: Option<Expect>,
}

/// What the output of a CLI step must (or must not) hold.
#[derive(Debug, Clone, Deserialize, Default, JsonSchema)]
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
#[derive(Debug, Clone, Deserialize, Default, JsonSchema)]
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
    /// Standby CDM: `cms disabled`, `version mismatch`, `primary unreachable`, `updating`, `in sync`,
    /// `not yet polled` (`crate::standby::StandbyState::WORDS`).
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
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct StatusOn {
    pub cdm: String,
    pub status: String,
}

/// `fill_disk: {device, free_mb}`.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct FillDisk {
    pub device: String,
    #[serde(default)]
    pub free_mb: u64,
}

/// `power_loss: {device: ce1, after_mb: 2}`: armed now, fires during the device's next download.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PowerLoss {
    pub device: String,
    pub after_mb: u64,
}

/// A file fault on a device's disk.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
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
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CmsPut {
    pub device: String,
    pub table: String,
    pub row: serde_json::Map<String, serde_json::Value>,
}

/// A removal through the CDM's data API.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CmsRemove {
    pub device: String,
    pub table: String,
    pub key: String,
}

/// `api:` a call to a CDM's HTTP API (`docs/api.md`) and what its answer must hold.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
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
#[derive(Debug, Clone, Deserialize, JsonSchema)]
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
#[derive(Debug, Clone, Deserialize, JsonSchema)]
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
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ServerFileWrite {
    pub server: String,
    /// A path in the served folder, e.g. `meta/custom.meta`.
    pub file: String,
    /// The content; may use `${name}`.
    pub text: String,
}
