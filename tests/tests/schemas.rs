//! The shipped JSON Schemas (`schemas/`, issue 11 item 7) checked with a real validator
//! (python-jsonschema, Draft 2020-12, formats checked), as an editor would use them: every file
//! acnslab ships validates (scenarios, exercises and their solutions, the default topology), and
//! the broken fixtures do not. The YAML is read by acnslab's own parser (YAML 1.2 scalars, as
//! yaml-language-server reads them) and handed to the validator as JSON.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use acnslab::file_schemas::FileKind;
use acnslab_tests::{run_with_timeout, schema_python};

const VALIDATE: &str = "\
import json, sys, jsonschema
schema = json.load(open(sys.argv[1]))
jsonschema.Draft202012Validator.check_schema(schema)
v = jsonschema.Draft202012Validator(schema, format_checker=jsonschema.FormatChecker())
for f in sys.argv[2:]:
    errors = ['/'.join(map(str, e.absolute_path)) + ': ' + e.message for e in v.iter_errors(json.load(open(f)))]
    print(json.dumps({'file': f, 'errors': errors}))
";

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn yaml_files(dir: &Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "yaml"))
        .collect();
    files.sort();
    files
}

/// Each `(name, YAML text)` validated against `kind`'s shipped schema: its errors, by name.
fn validate(kind: FileKind, texts: &[(String, String)]) -> Vec<(String, Vec<String>)> {
    let tmp = tempfile::tempdir().unwrap();
    let mut command = Command::new(schema_python());
    command
        .args(["-c", VALIDATE])
        .arg(repo().join(kind.shipped_path()));
    for (i, (name, text)) in texts.iter().enumerate() {
        let value: serde_json::Value =
            serde_norway::from_str(text).unwrap_or_else(|e| panic!("{name}: {e}"));
        let json = tmp.path().join(format!("{i}.json"));
        std::fs::write(&json, serde_json::to_vec(&value).unwrap()).unwrap();
        command.arg(&json);
    }
    let run = run_with_timeout(&mut command, None, Duration::from_secs(120));
    run.assert_success();
    run.stdout
        .lines()
        .zip(texts)
        .map(|(line, (name, _))| {
            let answer: serde_json::Value = serde_json::from_str(line).unwrap();
            let errors = answer["errors"]
                .as_array()
                .unwrap()
                .iter()
                .map(|e| e.as_str().unwrap().to_string())
                .collect();
            (name.clone(), errors)
        })
        .collect()
}

fn read(files: &[PathBuf]) -> Vec<(String, String)> {
    files
        .iter()
        .map(|f| (f.display().to_string(), std::fs::read_to_string(f).unwrap()))
        .collect()
}

#[test]
fn every_shipped_file_validates_against_its_schema() {
    let scenarios = [
        yaml_files(&repo().join("scenarios")),
        yaml_files(&repo().join("emulator/tests/fixtures/exercises")),
        vec![
            repo().join("emulator/tests/fixtures/scenarios/passing.yaml"),
            repo().join("emulator/tests/fixtures/scenarios/wrong-expectation.yaml"),
            // a mistake the schema cannot see: ce9 is not a device of the lab
            repo().join("emulator/tests/fixtures/scenarios/bad/unknown-device.yaml"),
        ],
    ]
    .concat();
    assert!(scenarios.len() > 20, "{scenarios:?}");
    let exercises = yaml_files(&repo().join("scenarios/exercises"));
    assert_eq!(exercises.len(), 3, "{exercises:?}");
    let topologies = vec![(
        "the default topology".to_string(),
        acnslab::topology::DEFAULT_TOPOLOGY.to_string(),
    )];
    for (kind, texts) in [
        (FileKind::Scenario, read(&scenarios)),
        (FileKind::Exercise, read(&exercises)),
        (FileKind::Topology, topologies),
    ] {
        for (name, errors) in validate(kind, &texts) {
            assert!(errors.is_empty(), "{name} ({kind:?}): {errors:#?}");
        }
    }
}

#[test]
fn broken_files_do_not_validate() {
    let bad = repo().join("emulator/tests/fixtures/scenarios/bad");
    let files: Vec<PathBuf> = [
        "bad-duration.yaml",
        "many-mistakes.yaml",
        "topology-error.yaml",
        "unknown-step.yaml",
    ]
    .iter()
    .map(|f| bad.join(f))
    .collect();
    let results = validate(FileKind::Scenario, &read(&files));
    for (name, errors) in &results {
        assert!(!errors.is_empty(), "{name} validates, but it is broken");
    }
    // the schema sees the shape: a misspelt key, a bad duration, an unknown kind of device
    let many = &results[1].1;
    for needle in [
        "'descripton' was unexpected",
        "'5 minutes'",
        "'timout' was unexpected",
    ] {
        assert!(
            many.iter().any(|e| e.contains(needle)),
            "{needle:?} not among {many:#?}"
        );
    }
    assert!(
        results[2].1.iter().any(|e| e.contains("'toaster'")),
        "{:#?}",
        results[2].1
    );
    // a topology out of range
    let topology =
        "lab:\n  speed: 0\ndevices:\n  - {name: a, kind: ce, ip: 10.0.0.300, disk_mb: 0}\n";
    let results = validate(
        FileKind::Topology,
        &[("t.yaml".to_string(), topology.to_string())],
    );
    let errors = &results[0].1;
    assert_eq!(errors.len(), 3, "{errors:#?}");
}
