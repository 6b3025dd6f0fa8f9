//! The JSON Schemas of `schemas/` (issue 11 item 7): each shipped file is what `acnslab schema`
//! generates from the types (regenerate them with the command the failure prints), and each
//! schema has exactly the keys the loaders read, at the top and in a step.

use std::collections::BTreeSet;
use std::path::PathBuf;
use std::process::Command;

use acnslab::file_schemas::FileKind;

/// The command that writes the schemas again, from the top of the repository.
const REFRESH: &str = "for k in topology scenario exercise; do cargo run -q -p acnslab -- schema $k > schemas/$k.schema.json; done";

fn shipped(kind: FileKind) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("..")
        .join(kind.shipped_path())
}

#[test]
fn the_shipped_schemas_are_the_generated_ones() {
    let mut stale = Vec::new();
    for kind in FileKind::ALL {
        let path = shipped(kind);
        let on_disk = std::fs::read_to_string(&path).unwrap_or_default();
        if on_disk != kind.text() {
            stale.push(kind.shipped_path());
        }
    }
    assert!(
        stale.is_empty(),
        "out of date: {}. The file types changed; write the schemas again (from the top of the \
         repository) with:\n  {REFRESH}",
        stale.join(", ")
    );
}

#[test]
fn acnslab_schema_prints_them() {
    for kind in FileKind::ALL {
        let out = Command::new(env!("CARGO_BIN_EXE_acnslab"))
            .args(["schema", kind.word()])
            .output()
            .unwrap();
        assert!(out.status.success(), "{kind:?}: {out:?}");
        assert_eq!(
            String::from_utf8_lossy(&out.stdout),
            kind.text(),
            "{kind:?}"
        );
    }
    let bad = Command::new(env!("CARGO_BIN_EXE_acnslab"))
        .args(["schema", "planet"])
        .output()
        .unwrap();
    assert!(!bad.status.success());
}

fn keys(schema: &serde_json::Value) -> BTreeSet<String> {
    schema["properties"]
        .as_object()
        .expect("an object schema")
        .keys()
        .cloned()
        .collect()
}

fn set(words: &[&str]) -> BTreeSet<String> {
    words.iter().map(|w| w.to_string()).collect()
}

/// The loaders read a file key by key; their key lists and the schemas' shapes must not drift.
#[test]
fn each_schema_has_the_keys_its_loader_reads() {
    let topology = FileKind::Topology.schema();
    assert_eq!(keys(&topology), set(&acnslab::topology::TOP_KEYS));
    let scenario = FileKind::Scenario.schema();
    assert_eq!(keys(&scenario), set(&acnslab::scenario::format::TOP_KEYS));
    let exercise = FileKind::Exercise.schema();
    assert_eq!(keys(&exercise), set(&acnslab::exercise::TOP_KEYS));
    // a step: every kind of the step table, and the keys that go with one
    let step = keys(&scenario["$defs"]["RawStep"]);
    let mut expected = set(acnslab::scenario::format::STEP_KINDS);
    expected.extend(set(&["name", "device"]));
    assert_eq!(step, expected);
    for schema in [&topology, &scenario, &exercise] {
        assert_eq!(schema["additionalProperties"], false);
        assert!(schema["title"]
            .as_str()
            .is_some_and(|t| t.starts_with("acnslab ")));
    }
}
