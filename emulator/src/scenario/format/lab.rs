//! The lab and the clock a scenario (or exercise) file asks for: `lab: default`, an inline
//! `topology:` (its errors, every one, with the scenario file's lines), a `topology_file:`, on
//! ephemeral ports unless the file pins them; and the virtual clock's `start:`. Knows nothing of
//! steps.

use std::path::Path;

use chrono::{DateTime, TimeZone, Utc};
use serde_norway::Value;

use super::raw::LabWord;
use super::Found;
use crate::topology::{is_inner_path, Topology};
use crate::yaml_parts::Document;

/// The virtual clock's start when the file names none (the time of the behaviour spec's examples).
pub fn default_start() -> DateTime<Utc> {
    // a UTC time is never ambiguous nor skipped: `single` always has it
    Utc.with_ymd_and_hms(2026, 11, 26, 9, 0, 0)
        .single()
        .unwrap_or_default()
}

/// The lab of a scenario or exercise file: `lab: default`, an inline `topology:`, a
/// `topology_file:` relative to `path`, or the default lab; on ephemeral ports but those the
/// topology pins (`lab.base_port`, a device's `port`, a server's FTP/HTTP port). `None`
/// when it has errors (each noted in `found`): the steps are then checked without a lab.
pub(crate) fn lab_of(doc: &Document, path: &Path, found: &mut Found) -> Option<Topology> {
    let file = path.display().to_string();
    let errors_before = found.count();
    if let Some(read) = doc.field::<Option<LabWord>>("lab") {
        found.take(read);
    }
    let topology_file = doc
        .field::<String>("topology_file")
        .and_then(|read| found.take(read));
    let given: Vec<&str> = ["lab", "topology", "topology_file"]
        .into_iter()
        .filter(|k| doc.has(k))
        .collect();
    if given.len() > 1 {
        let line = given.iter().map(|k| doc.line(k)).min().unwrap_or(1);
        found.at(
            line,
            "give one of `lab: default`, `topology:` or `topology_file:`",
        );
        return None;
    }
    // the topology as written, to tell the ports it pins from the defaults
    let mut written = Value::Null;
    let topology = if let Some(value) = doc.value("topology") {
        written = value.clone();
        let at = doc.line("topology");
        let (block, offset) = match doc.block("topology") {
            Some(b) => b,
            None => (serde_norway::to_string(value).unwrap_or_default(), 0),
        };
        match Topology::parse(&block, &file) {
            Ok(t) => Some(t),
            Err(errors) => {
                for e in errors.iter() {
                    let line = if offset > 0 && e.line > 0 {
                        offset + e.line
                    } else {
                        at
                    };
                    found.at(line, format!("topology: {}", e.message));
                }
                None
            }
        }
    } else if let Some(rel) = topology_file {
        let at = doc.line("topology_file");
        let p = path.parent().unwrap_or(Path::new(".")).join(rel);
        written = std::fs::read_to_string(&p)
            .ok()
            .and_then(|text| serde_norway::from_str(&text).ok())
            .unwrap_or(Value::Null);
        match Topology::load(&p) {
            Ok(t) => Some(t),
            Err(errors) => {
                for e in errors.iter() {
                    found.at(
                        at,
                        format!(
                            "topology_file {}: line {}: {}",
                            p.display(),
                            e.line,
                            e.message
                        ),
                    );
                }
                None
            }
        }
    } else if doc.has("topology_file") {
        None // its error is noted
    } else {
        Some(Topology::default_lab())
    };
    let mut topology = topology?;
    configurations(doc, &topology, found);
    // A scenario's server folders stay inside the lab's state directory: its fault steps write there.
    for s in &topology.servers {
        if let Some(folder) = s.folder.as_deref().filter(|f| !is_inner_path(f)) {
            let shown = folder.display().to_string();
            let line = doc
                .find_line(|l| l.contains("folder") && l.contains(&shown))
                .unwrap_or(1);
            found.at(
                line,
                format!(
                    "servers ({}): folder: '{}' must be a relative path inside the lab's state directory (no '..', not absolute)",
                    s.name, shown
                ),
            );
        }
    }
    if found.count() > errors_before {
        return None;
    }
    // Ports the file pins are kept (`lab.base_port`, a device's `port`, a server's `ftp_port` or
    // `http_port`); every other one is ephemeral, so labs of scenarios never collide by default.
    if !pins_base_port(&written) {
        topology.lab.base_port = 0;
    }
    Some(topology)
}

/// Whether the topology as written sets `lab.base_port` itself (rather than taking the default).
fn pins_base_port(written: &Value) -> bool {
    written
        .get("lab")
        .and_then(|lab| lab.get("base_port"))
        .is_some_and(|port| !port.is_null())
}

/// Every line of the devices' `startup_config` and `running_config` is one the configuration mode
/// accepts (the lab would refuse to start otherwise); each refused line is an error at its line
/// of the file (an inline topology's block), or at `topology_file:`.
fn configurations(doc: &Document, topology: &Topology, found: &mut Found) {
    for (index, d) in topology.devices.iter().enumerate() {
        for (key, text) in [
            ("startup_config", &d.startup_config),
            ("running_config", &d.running_config),
        ] {
            let Some(text) = text else { continue };
            let (_, rejected) = crate::commands::load_config_text(text, &d.name, d.kind);
            for (n, message) in rejected {
                let line = if doc.has("topology") {
                    // the key's line after the device's name, then the line of the block
                    let name = doc
                        .find_line(|l| l.contains("name:") && l.contains(d.name.as_str()))
                        .unwrap_or(0);
                    doc.find_line_after(name, |l| l.trim_start().starts_with(&format!("{key}:")))
                        .map_or(doc.line("topology"), |at| at + n)
                } else {
                    doc.line("topology_file")
                };
                found.at(
                    line,
                    format!(
                        "topology: devices[{index}] ({}): {key}: line {n}: {message}",
                        d.name
                    ),
                );
            }
        }
    }
}

/// The virtual clock's start: `start:` or [`default_start`]; `None` when it is not a time (noted
/// in `found`).
pub(crate) fn start_of(doc: &Document, found: &mut Found) -> Option<DateTime<Utc>> {
    let Some(read) = doc.field::<String>("start") else {
        return Some(default_start());
    };
    let s = found.take(read)?;
    match DateTime::parse_from_rfc3339(&s) {
        Ok(t) => Some(t.with_timezone(&Utc)),
        Err(e) => {
            found.at(
                doc.line("start"),
                format!("start: '{s}' is not an RFC 3339 time like 2026-11-26T09:00:00Z ({e})"),
            );
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lab(text: &str) -> Result<Topology, Vec<super::super::ScenarioError>> {
        let doc = Document::parse(text).unwrap();
        let mut found = Found::new(Path::new("x.yaml"));
        let topology = lab_of(&doc, Path::new("x.yaml"), &mut found);
        found.finish(topology).map_err(|e| e.into_vec())
    }

    #[test]
    fn server_folders_outside_the_state_directory_are_refused_with_their_line() {
        for folder in ["/tmp/victim", "../victim", "images/../../x", "."] {
            let text = format!(
                "name: t\ntopology:\n  devices:\n    - name: a\n      kind: ce\n      ip: 10.0.0.1\n  servers:\n    - name: s\n      ip: 10.0.0.2\n      folder: {folder}\n"
            );
            let e = lab(&text).unwrap_err().remove(0);
            assert_eq!((e.file.as_str(), e.line), ("x.yaml", 10), "{folder}: {e}");
            assert!(e.message.contains("must be a relative path inside"), "{e}");
        }
        let text = "topology:\n  devices:\n    - name: a\n      kind: ce\n      ip: 10.0.0.1\n  servers:\n    - name: s\n      ip: 10.0.0.2\n      folder: mine/images\n";
        assert!(lab(text).is_ok());
    }

    #[test]
    fn every_error_of_an_inline_topology_has_its_line() {
        let text = "name: t\ntopology:\n  devices:\n    - name: a\n      kind: router\n      ip: 10.0.0.1\n    - name: b\n      kind: ce\n      ip: 10.0.0.300\n    - name: c\n      kind: cr\n      role: primary\n      ip: 10.0.0.3\n";
        let errors = lab(text).unwrap_err();
        let lines: Vec<usize> = errors.iter().map(|e| e.line).collect();
        assert_eq!(lines, [5, 9, 10], "{errors:?}");
        assert!(
            errors.iter().all(|e| e.message.starts_with("topology: ")),
            "{errors:?}"
        );
    }

    #[test]
    fn the_default_start_is_the_spec_examples_time() {
        assert_eq!(default_start().to_rfc3339(), "2026-11-26T09:00:00+00:00");
    }
}
