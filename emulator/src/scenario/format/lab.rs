//! The lab and the clock a scenario (or exercise) file asks for: `lab: default`, an inline
//! `topology:` (errors with the scenario file's line), a `topology_file:`, always on ephemeral
//! ports; and the virtual clock's `start:`. Knows nothing of steps.

use std::path::Path;

use chrono::{DateTime, TimeZone, Utc};

use super::yaml::{block_of, line_of_key};
use super::ScenarioError;
use crate::topology::{is_inner_path, Topology};

/// The virtual clock's start when the file names none (the time of the behaviour spec's examples).
pub fn default_start() -> DateTime<Utc> {
    // a UTC time is never ambiguous nor skipped: `single` always has it
    Utc.with_ymd_and_hms(2026, 11, 26, 9, 0, 0)
        .single()
        .unwrap_or_default()
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
    // A scenario's server folders stay inside the lab's state directory: its fault steps write there.
    for s in &topology.servers {
        if let Some(folder) = s.folder.as_deref().filter(|f| !is_inner_path(f)) {
            let shown = folder.display().to_string();
            let line = text
                .lines()
                .position(|l| l.contains("folder") && l.contains(&shown))
                .map_or(1, |i| i + 1);
            return Err(err(
                line,
                format!(
                    "servers ({}): folder: '{}' must be a relative path inside the lab's state directory (no '..', not absolute)",
                    s.name, shown
                ),
            ));
        }
    }
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
pub(super) fn start_of(
    text: &str,
    path: &Path,
    start: Option<&str>,
) -> Result<DateTime<Utc>, ScenarioError> {
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn server_folders_outside_the_state_directory_are_refused_with_their_line() {
        for folder in ["/tmp/victim", "../victim", "images/../../x", "."] {
            let text = format!(
                "name: t\ntopology:\n  devices:\n    - name: a\n      kind: ce\n      ip: 10.0.0.1\n  servers:\n    - name: s\n      ip: 10.0.0.2\n      folder: {folder}\n"
            );
            let value: serde_norway::Value = serde_norway::from_str(&text).unwrap();
            let e = lab_of(
                &text,
                Path::new("x.yaml"),
                false,
                value.get("topology"),
                None,
            )
            .unwrap_err();
            assert_eq!((e.file.as_str(), e.line), ("x.yaml", 10), "{folder}: {e}");
            assert!(e.message.contains("must be a relative path inside"), "{e}");
        }
        let text = "topology:\n  devices:\n    - name: a\n      kind: ce\n      ip: 10.0.0.1\n  servers:\n    - name: s\n      ip: 10.0.0.2\n      folder: mine/images\n";
        let value: serde_norway::Value = serde_norway::from_str(text).unwrap();
        assert!(lab_of(
            text,
            Path::new("x.yaml"),
            false,
            value.get("topology"),
            None
        )
        .is_ok());
    }

    #[test]
    fn the_default_start_is_the_spec_examples_time() {
        assert_eq!(default_start().to_rfc3339(), "2026-11-26T09:00:00+00:00");
    }
}
