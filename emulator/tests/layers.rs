//! Keeps the layers of docs/architecture.md true: every top-level module of `emulator/src` belongs
//! to one layer, and a module may only import (`crate::...`) modules of its own layer or of layers
//! below it; no two modules import each other, directly or round a circle. The sources are read as
//! text (`crate::x` paths, `use crate::{x, y}` groups); test-only code (`#[cfg(test)] mod tests`
//! at the end of a file, `tests.rs`, `testing.rs`) is left out.
//!
//! `KNOWN_UPWARD` and `KNOWN_CIRCLES` list what is not fixed yet (issue 9), each with what removes
//! it; the test also fails when an entry there is no longer true, so the lists only shrink.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

/// The layers, bottom first (docs/architecture.md, "Layers").
const LAYERS: &[(&str, &[&str])] = &[
    (
        "foundation: texts, data, formats",
        &[
            "text",
            "release",
            "config",
            "clock",
            "terminal",
            "persist",
            "topology",
            "owned",
            "disk_path",
            "syslog_file",
            "yaml_limits",
            "yaml_parts",
            "lockout",
            "pid_lock",
            "admission",
            "counters",
        ],
    ),
    (
        "device model, network, persistence",
        &[
            "device", "standby", "cms", "network", "agent", "images", "install",
        ],
    ),
    (
        "commands and jobs",
        &["commands", "tasks", "probe", "upgrade"],
    ),
    ("session", &["session", "shell", "driver", "ssh_client"]),
    ("lab runtime", &["lab", "ssh", "signals"]),
    (
        "front ends",
        &[
            "api",
            "web",
            "cdm_login",
            "control",
            "console",
            "scenario",
            "exercise",
            "classroom",
            "file_schemas",
            "record",
            "lifecycle",
            "observe",
        ],
    ),
    ("binary", &["app"]),
];

/// Imports from a module to a module of a higher layer, not removed yet: (from, to, what removes it).
const KNOWN_UPWARD: &[(&str, &str, &str)] = &[];

/// Pairs of modules on a circle, not removed yet: (a, b, what removes it).
const KNOWN_CIRCLES: &[(&str, &str, &str)] = &[];

fn layer_of(module: &str) -> Option<usize> {
    LAYERS
        .iter()
        .position(|(_, modules)| modules.contains(&module))
}

/// The top-level modules each top-level module imports.
fn imports() -> BTreeMap<String, BTreeSet<String>> {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut graph: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    let mut files = Vec::new();
    collect(&src, &mut files);
    for file in files {
        let rel = file.strip_prefix(&src).unwrap();
        let first = rel
            .components()
            .next()
            .unwrap()
            .as_os_str()
            .to_string_lossy();
        let module = first.trim_end_matches(".rs").to_string();
        let name = file.file_name().unwrap().to_string_lossy();
        if module == "lib" || module == "bin" || name == "tests.rs" || name == "testing.rs" {
            continue;
        }
        let text = std::fs::read_to_string(&file).unwrap();
        let code = match text.find("#[cfg(test)]\nmod tests") {
            Some(at) => &text[..at],
            None => &text[..],
        };
        let targets = graph.entry(module.clone()).or_default();
        for line in code.lines() {
            let line = line.split("//").next().unwrap_or("");
            for target in crate_paths(line) {
                if target != module {
                    targets.insert(target);
                }
            }
        }
    }
    graph
}

/// The first segment of every `crate::...` path on a line (`crate::{a, b::c}` gives `a` and `b`).
fn crate_paths(line: &str) -> Vec<String> {
    let mut found = Vec::new();
    let mut rest = line;
    while let Some(at) = rest.find("crate::") {
        rest = &rest[at + "crate::".len()..];
        if let Some(group) = rest.strip_prefix('{') {
            let end = group.find('}').unwrap_or(group.len());
            for part in group[..end].split(',') {
                let head = part.trim().split("::").next().unwrap_or("");
                if !head.is_empty() {
                    found.push(head.to_string());
                }
            }
        } else {
            let head: String = rest
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                .collect();
            if !head.is_empty() {
                found.push(head);
            }
        }
    }
    found
}

fn collect(dir: &Path, files: &mut Vec<std::path::PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            collect(&path, files);
        } else if path.extension().is_some_and(|e| e == "rs") {
            files.push(path);
        }
    }
}

#[test]
fn every_module_has_a_layer() {
    let missing: Vec<String> = imports()
        .into_keys()
        .filter(|m| layer_of(m).is_none())
        .collect();
    assert!(
        missing.is_empty(),
        "modules without a layer (add them to LAYERS and docs/architecture.md): {missing:?}"
    );
}

#[test]
fn no_module_imports_from_a_layer_above_it() {
    let mut upward = BTreeSet::new();
    for (from, targets) in imports() {
        for to in targets {
            if let (Some(a), Some(b)) = (layer_of(&from), layer_of(&to)) {
                if b > a {
                    upward.insert((from.clone(), to));
                }
            }
        }
    }
    let known: BTreeSet<(String, String)> = KNOWN_UPWARD
        .iter()
        .map(|(a, b, _)| (a.to_string(), b.to_string()))
        .collect();
    let new: Vec<_> = upward.difference(&known).collect();
    assert!(
        new.is_empty(),
        "imports from a lower layer to a higher one: {new:?}"
    );
    let gone: Vec<_> = known.difference(&upward).collect();
    assert!(gone.is_empty(), "fixed, remove from KNOWN_UPWARD: {gone:?}");
}

#[test]
fn no_import_circles() {
    let graph = imports();
    // a and b are on a circle when each reaches the other
    let reach = |from: &str| -> BTreeSet<String> {
        let mut seen = BTreeSet::new();
        let mut todo = vec![from.to_string()];
        while let Some(m) = todo.pop() {
            for next in graph.get(&m).into_iter().flatten() {
                if seen.insert(next.clone()) {
                    todo.push(next.clone());
                }
            }
        }
        seen
    };
    let mut circles = BTreeSet::new();
    for a in graph.keys() {
        for b in graph.get(a).into_iter().flatten() {
            if a != b && reach(b).contains(a) {
                let pair = if a < b { (a, b) } else { (b, a) };
                circles.insert((pair.0.clone(), pair.1.clone()));
            }
        }
    }
    let known: BTreeSet<(String, String)> = KNOWN_CIRCLES
        .iter()
        .map(|(a, b, _)| {
            let (a, b) = if a < b { (a, b) } else { (b, a) };
            (a.to_string(), b.to_string())
        })
        .collect();
    let new: Vec<_> = circles.difference(&known).collect();
    assert!(
        new.is_empty(),
        "modules importing each other (directly or round a circle): {new:?}"
    );
    let gone: Vec<_> = known.difference(&circles).collect();
    assert!(
        gone.is_empty(),
        "fixed, remove from KNOWN_CIRCLES: {gone:?}"
    );
}

#[test]
fn crate_paths_are_found_in_uses_and_expressions() {
    assert_eq!(
        crate_paths("use crate::{device::Device, text};  let x = crate::tasks::run();"),
        ["device", "text", "tasks"]
    );
}
