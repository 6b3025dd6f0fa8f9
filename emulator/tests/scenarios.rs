//! Scenario files (`acnslab run`): every file of `scenarios/` passes; a deliberately wrong
//! expectation fails with its file, line and a diff; bad files are refused with file and line
//! before anything runs; JUnit output is well-formed and counts right; the binary's exit status
//! and summary line.

use std::path::{Path, PathBuf};
use std::process::Command;

use acnslab::scenario::{self, Transport};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap()
        .to_path_buf()
}

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/scenarios")
        .join(name)
}

/// Runs every file of `scenarios/` over `transport`; all must pass.
fn every_file_passes(transport: Transport) {
    let files = scenario::collect(&[root().join("scenarios")]).unwrap();
    assert!(files.len() >= 17, "{files:?}");
    let scenarios = scenario::load_all(&files).unwrap_or_else(|e| panic!("{e:?}"));
    let outcomes = scenario::run_all(&scenarios, transport, |_| {});
    let failures: Vec<String> = outcomes
        .iter()
        .filter(|o| !o.passed())
        .map(|o| format!("FAIL {}\n{}", o.name, o.failure_text()))
        .collect();
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn every_file_in_scenarios_passes() {
    every_file_passes(Transport::InProcess);
}

/// The same files, every `cli` step over real SSH to the devices' listeners: the same outputs (the
/// `exact` expectations compare them line for line), the same state.
#[test]
fn every_file_in_scenarios_passes_with_the_cli_over_ssh() {
    every_file_passes(Transport::Ssh);
}

#[test]
fn a_wrong_expectation_fails_with_file_line_and_diff() {
    for transport in [Transport::InProcess, Transport::Ssh] {
        wrong_expectation_fails(transport);
    }
}

fn wrong_expectation_fails(transport: Transport) {
    let s = scenario::load(&fixture("wrong-expectation.yaml")).unwrap();
    let outcomes = scenario::run_all(&[s], transport, |_| {});
    let o = &outcomes[0];
    let f = o.failure.as_ref().expect("the scenario must fail");
    assert_eq!(f.line, 9, "{f:?}");
    assert_eq!(f.step, "expect");
    assert_eq!(o.steps_run, 3, "stops at the failing step");
    let text = o.failure_text();
    assert!(
        text.contains("wrong-expectation.yaml:9 (expect step)"),
        "{text}"
    );
    assert!(
        text.contains("  - ce1             CE    10.1.1.10       5.2.1               Online"),
        "{text}"
    );
    assert!(
        text.contains("  + ce1             CE    10.1.1.10       5.1.3               Online"),
        "{text}"
    );
    assert!(
        text.contains("    cdm1            CDM   10.1.1.5        5.1.3               Online"),
        "unchanged lines shown as context: {text}"
    );
    assert!(text.contains("recent transcript of cdm1:"), "{text}");
    assert!(text.contains("| cdm1#show cms devices"), "{text}");
}

fn load_error(name: &str) -> scenario::ScenarioError {
    scenario::load(&fixture(&format!("bad/{name}")))
        .expect_err(name)
        .first()
        .clone()
}

#[test]
fn bad_files_are_refused_with_file_and_line() {
    let e = load_error("unknown-step.yaml");
    assert_eq!(e.line, 4, "{e}");
    assert!(e.file.ends_with("bad/unknown-step.yaml"), "{e}");
    assert!(e.message.contains("reboot_everything"), "{e}");

    let e = load_error("bad-duration.yaml");
    assert_eq!(e.line, 3, "{e}");
    assert!(e.message.contains("bad duration '5 minutes'"), "{e}");

    let e = load_error("unknown-device.yaml");
    assert_eq!(e.line, 8, "{e}");
    assert!(e.message.contains("unknown device 'ce9'"), "{e}");
    assert!(e.message.contains("cdm1, cdm2, ce1, ce2, cr1"), "{e}");

    let e = load_error("yaml-error.yaml");
    assert!((3..=4).contains(&e.line), "{e}");

    let e = load_error("topology-error.yaml");
    assert_eq!(e.line, 8, "{e}");
    assert!(e.message.contains("toaster"), "{e}");
    assert_eq!(
        e.to_string(),
        format!("{}:8: {}", e.file, e.message),
        "printed as file:line: message"
    );
}

/// Issue 11 item 7: every mistake of a file in one pass, sorted by line: an unknown top-level key,
/// steps that do not parse (a bad duration, an unknown step kind, a misspelt key) and steps that
/// parse but break a rule (an unknown device, a bad regex, a bad word, a value nobody saved).
#[test]
fn every_error_of_a_file_is_reported_at_once() {
    let errors = scenario::load(&fixture("bad/many-mistakes.yaml")).unwrap_err();
    let found: Vec<(usize, &str)> = errors
        .iter()
        .map(|e| (e.line, e.message.as_str()))
        .collect();
    let expected: [(usize, &str); 8] = [
        (2, "unknown field `descripton`"),
        (4, "bad duration '5 minutes'"),
        (5, "unknown device 'ce9'"),
        (8, "bad regex"),
        (9, "not 'sleeping'"),
        (10, "unknown field `reboot_everything`"),
        (11, "unknown field `timout`"),
        (12, "no earlier api step saves a value named 'file'"),
    ];
    assert_eq!(found.len(), expected.len(), "{errors}");
    for ((line, message), (want_line, want)) in found.iter().zip(expected) {
        assert_eq!(*line, want_line, "{errors}");
        assert!(
            message.contains(want),
            "line {line}: {message:?} lacks {want:?}\n{errors}"
        );
    }
    // each as file:line: message, on a line of its own (a regex error goes on with its caret)
    let starts = errors
        .to_string()
        .lines()
        .filter(|l| l.contains("many-mistakes.yaml:"))
        .count();
    assert_eq!(starts, 8, "{errors}");
    // steps are counted from 1, whether they did not parse or broke a rule
    assert!(found[5].1.starts_with("step 5: unknown field"), "{errors}");
    assert!(
        found[6].1.starts_with("step 6: until: unknown field"),
        "{errors}"
    );
    assert!(errors
        .iter()
        .all(|e| e.file.ends_with("bad/many-mistakes.yaml")));

    // a step that did not parse still counts as a cli step for a later `expect:`
    let text = "name: x\nsteps:\n  - cli: {device: ce1, lines: [a], colour: red}\n  - expect: {contains: a}\n";
    let errors = scenario::parse(text, Path::new("x.yaml")).unwrap_err();
    assert_eq!(errors.len(), 1, "{errors}");
    // a lab with errors: the steps are still checked, without names
    let text = "name: x\ntopology:\n  devices:\n    - {name: a, kind: toaster, ip: 10.0.0.1}\nsteps:\n  - power_cycle: zz\n  - wait: soon\n";
    let errors = scenario::parse(text, Path::new("x.yaml")).unwrap_err();
    let lines: Vec<usize> = errors.iter().map(|e| e.line).collect();
    assert_eq!(lines, [4, 7], "{errors}");
}

/// A topology's `startup_config`/`running_config` (what `acnslab record` writes for a changed
/// lab) is checked line by line before anything runs; a refused line is an error at its line.
#[test]
fn configurations_in_a_topology_are_checked_line_by_line() {
    let text = "\
name: x
topology:
  devices:
    - name: ce1
      kind: ce
      ip: 10.1.1.10
      version: 5.2.1
      pending_version: 5.3.3
      startup_config: |
        hostname edge1
        frobnicate the widgets
      running_config: |
        hostname edge2
steps:
  - check: {device: ce1, version: 5.2.1, pending_version: 5.3.3, hostname: edge2}
";
    let errors = scenario::parse(text, Path::new("x.yaml")).unwrap_err();
    assert_eq!(errors.len(), 1, "{errors}");
    let e = errors.first();
    assert_eq!(e.line, 11, "{e}");
    assert!(
        e.message
            .starts_with("topology: devices[0] (ce1): startup_config: line 2: "),
        "{e}"
    );
    let fixed = text.replace("        frobnicate the widgets\n", "");
    let s = scenario::parse(&fixed, Path::new("x.yaml")).unwrap();
    let ce1 = &s.topology.devices[0];
    assert_eq!(ce1.startup_config.as_deref(), Some("hostname edge1\n"));
    assert_eq!(ce1.running_config.as_deref(), Some("hostname edge2\n"));
}

#[test]
fn semantic_errors_point_at_their_step() {
    let text = "name: x\nsteps:\n  - wait: 1m\n  - check: {device: ce1, schema: \"5.1\"}\n";
    let e = scenario::parse(text, Path::new("x.yaml"))
        .unwrap_err()
        .first()
        .clone();
    assert_eq!((e.line, e.file.as_str()), (4, "x.yaml"), "{e}");
    assert!(e.message.contains("not one"), "{e}");
    let text = "name: x\nsteps:\n  - expect: {contains: a}\n";
    let e = scenario::parse(text, Path::new("x.yaml"))
        .unwrap_err()
        .first()
        .clone();
    assert_eq!(e.line, 3, "{e}");
    let text = "name: x\nsteps:\n  - wait: 1m\n    reload: ce1\n";
    let e = scenario::parse(text, Path::new("x.yaml"))
        .unwrap_err()
        .first()
        .clone();
    assert!(e.message.contains("one kind per step"), "{e}");
    let text = "name: x\nsteps:\n  - cli: {device: ce1, lines: [a]}\n    expect: {regex: '(('}\n";
    let e = scenario::parse(text, Path::new("x.yaml"))
        .unwrap_err()
        .first()
        .clone();
    assert!(e.message.contains("bad regex"), "{e}");
}

/// Issue 15 item 5: a scenario's server `folder` outside its lab, with `truncate_server_file`,
/// emptied a file outside any lab. Now the file is refused before anything runs.
#[test]
fn a_server_folder_outside_the_lab_is_refused_and_nothing_is_touched() {
    let tmp = tempfile::tempdir().unwrap();
    let victim = tmp.path().join("victim.bin");
    std::fs::write(&victim, "precious").unwrap();
    let text = format!(
        "name: escape\ntopology:\n  devices:\n    - name: ce1\n      kind: ce\n      ip: 10.1.1.10\n  servers:\n    - name: images\n      ip: 10.1.1.100\n      folder: {}\nsteps:\n  - truncate_server_file: {{server: images, file: victim.bin, keep: 0}}\n",
        tmp.path().display()
    );
    let e = scenario::parse(&text, Path::new("x.yaml"))
        .unwrap_err()
        .first()
        .clone();
    assert_eq!((e.file.as_str(), e.line), ("x.yaml", 10), "{e}");
    assert!(
        e.message.contains("inside the lab's state directory"),
        "{e}"
    );
    let e = scenario::parse(
        &text.replace(&tmp.path().display().to_string(), "../../.."),
        Path::new("x.yaml"),
    )
    .unwrap_err()
    .first()
    .clone();
    assert_eq!(e.line, 10, "{e}");
    let e =
        parse_error("  - truncate_server_file: {server: images, file: ../victim.bin, keep: 0}\n");
    assert_eq!(e.line, 3, "{e}");
    assert_eq!(std::fs::read_to_string(&victim).unwrap(), "precious");
}

/// Issue 15 item 10: a 100k-deep nested YAML took 48 s to reject.
#[test]
fn a_deeply_nested_scenario_is_refused_at_once_with_its_line() {
    let started = std::time::Instant::now();
    let text = format!("name: x\nsteps: {}", "{a: ".repeat(100_000));
    let e = scenario::parse(&text, Path::new("x.yaml"))
        .unwrap_err()
        .first()
        .clone();
    assert_eq!(
        (e.line, e.message.as_str()),
        (2, "collections nested more than 64 deep")
    );
    assert!(started.elapsed() < std::time::Duration::from_secs(1));
}

/// A minimal well-formedness check: every tag closes in order, attributes are quoted, text holds
/// no raw `<` or stray `&`.
fn well_formed(xml: &str) -> Result<(), String> {
    let body = xml
        .strip_prefix("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n")
        .ok_or("no XML declaration")?;
    let mut stack: Vec<String> = Vec::new();
    let mut rest = body;
    while let Some(open) = rest.find('<') {
        let text = &rest[..open];
        check_text(text)?;
        let close = rest[open..].find('>').ok_or("unclosed tag")? + open;
        let tag = &rest[open + 1..close];
        if let Some(name) = tag.strip_prefix('/') {
            let top = stack.pop().ok_or("closing tag without opening")?;
            if top != name {
                return Err(format!("</{name}> closes <{top}>"));
            }
        } else {
            let self_closing = tag.ends_with('/');
            let tag = tag.trim_end_matches('/');
            let name = tag.split_whitespace().next().ok_or("empty tag")?;
            let attrs = &tag[name.len()..];
            if attrs.matches('"').count() % 2 != 0 || attrs.contains('<') {
                return Err(format!("bad attributes in <{tag}>"));
            }
            check_text(attrs)?;
            if !self_closing {
                stack.push(name.to_string());
            }
        }
        rest = &rest[close + 1..];
    }
    check_text(rest)?;
    if stack.is_empty() {
        Ok(())
    } else {
        Err(format!("unclosed: {stack:?}"))
    }
}

fn check_text(text: &str) -> Result<(), String> {
    for (i, _) in text.match_indices('&') {
        let entity = &text[i..];
        if !["&amp;", "&lt;", "&gt;", "&quot;", "&apos;"]
            .iter()
            .any(|e| entity.starts_with(e))
        {
            return Err(format!("stray & in {text:?}"));
        }
    }
    Ok(())
}

fn attr(xml: &str, tag: &str, name: &str) -> String {
    let at = xml.find(&format!("<{tag} ")).unwrap();
    let tail = &xml[at..];
    let key = format!(" {name}=\"");
    let start = tail.find(&key).unwrap() + key.len();
    tail[start..start + tail[start..].find('"').unwrap()].to_string()
}

#[test]
fn junit_is_well_formed_and_counts_right() {
    let files = vec![fixture("passing.yaml"), fixture("wrong-expectation.yaml")];
    let scenarios = scenario::load_all(&files).unwrap();
    let outcomes = scenario::run_all(&scenarios, Transport::InProcess, |_| {});
    let xml = scenario::junit_xml(&outcomes);
    well_formed(&xml).unwrap_or_else(|e| panic!("{e}\n{xml}"));
    assert_eq!(attr(&xml, "testsuites", "tests"), "2");
    assert_eq!(attr(&xml, "testsuites", "failures"), "1");
    assert_eq!(attr(&xml, "testsuite", "failures"), "1");
    assert_eq!(xml.matches("<testcase ").count(), 2);
    assert_eq!(xml.matches("<failure ").count(), 1);
    assert!(
        xml.contains("name=\"deliberately wrong expectation\""),
        "{xml}"
    );
    assert!(
        xml.contains("wrong-expectation.yaml:9: expected exactly"),
        "{xml}"
    );
    assert_eq!(scenario::summary(&outcomes), "1 passed, 1 failed");
}

#[test]
fn the_binary_prints_pass_fail_and_summary_and_sets_the_exit_status() {
    let junit = std::env::temp_dir().join(format!("acnslab-junit-{}.xml", std::process::id()));
    let out = Command::new(env!("CARGO_BIN_EXE_acnslab"))
        .arg("run")
        .arg(fixture("passing.yaml"))
        .arg(fixture("wrong-expectation.yaml"))
        .arg("--junit")
        .arg(&junit)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{stdout}");
    assert!(stdout.contains("PASS a passing fixture"), "{stdout}");
    assert!(
        stdout.contains("FAIL deliberately wrong expectation"),
        "{stdout}"
    );
    assert!(
        stdout.lines().any(|l| l == "1 passed, 1 failed"),
        "{stdout}"
    );
    let xml = std::fs::read_to_string(&junit).unwrap();
    let _ = std::fs::remove_file(&junit);
    well_formed(&xml).unwrap();

    let ok = Command::new(env!("CARGO_BIN_EXE_acnslab"))
        .args(["run"])
        .arg(fixture("passing.yaml"))
        .output()
        .unwrap();
    assert_eq!(ok.status.code(), Some(0));
    assert!(String::from_utf8_lossy(&ok.stdout).contains("1 passed, 0 failed"));

    let over_ssh = Command::new(env!("CARGO_BIN_EXE_acnslab"))
        .args(["run", "--ssh"])
        .arg(fixture("passing.yaml"))
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&over_ssh.stdout);
    assert_eq!(over_ssh.status.code(), Some(0), "{stdout}");
    assert!(stdout.contains("CLI over SSH)"), "{stdout}");
    assert!(stdout.contains("1 passed, 0 failed"), "{stdout}");

    // a bad file among good ones: nothing runs, the error names file and line
    let bad = Command::new(env!("CARGO_BIN_EXE_acnslab"))
        .args(["run"])
        .arg(fixture("passing.yaml"))
        .arg(fixture("bad/bad-duration.yaml"))
        .output()
        .unwrap();
    assert_eq!(bad.status.code(), Some(1));
    let stdout = String::from_utf8_lossy(&bad.stdout);
    let stderr = String::from_utf8_lossy(&bad.stderr);
    assert!(!stdout.contains("PASS"), "nothing ran: {stdout}");
    assert!(stderr.contains("bad-duration.yaml:3: "), "{stderr}");

    // every error of every file, one per line, then the count; nothing runs
    let bad = Command::new(env!("CARGO_BIN_EXE_acnslab"))
        .args(["run"])
        .arg(fixture("bad/many-mistakes.yaml"))
        .arg(fixture("bad/bad-duration.yaml"))
        .output()
        .unwrap();
    assert_eq!(bad.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&bad.stderr);
    let located = stderr
        .lines()
        .filter(|l| l.contains("many-mistakes.yaml:") || l.contains("bad-duration.yaml:"))
        .count();
    assert_eq!(located, 9, "{stderr}");
    assert!(
        stderr.contains("9 error(s) in 2 scenario file(s); nothing was run"),
        "{stderr}"
    );
}

#[test]
fn shards_run_their_share_of_the_files_and_every_file_once() {
    // five quick scenarios in a folder, named by their place in the sorted list
    let dir = tempfile::tempdir().unwrap();
    let passing = std::fs::read_to_string(fixture("passing.yaml")).unwrap();
    for (k, file) in ["a", "b", "c", "d", "e"].iter().enumerate() {
        let text = passing.replace("name: a passing fixture", &format!("name: file {k}"));
        std::fs::write(dir.path().join(format!("{file}.yaml")), text).unwrap();
    }
    let run = |shard: &str| {
        Command::new(env!("CARGO_BIN_EXE_acnslab"))
            .arg("run")
            .arg(dir.path())
            .args(["--shard", shard])
            .output()
            .unwrap()
    };
    let ran = |out: &std::process::Output| -> Vec<String> {
        String::from_utf8_lossy(&out.stdout)
            .lines()
            .filter_map(|l| l.strip_prefix("PASS file "))
            .map(|l| l.split_whitespace().next().unwrap_or_default().to_string())
            .collect()
    };
    let mut all = Vec::new();
    for (shard, expected) in [("0/2", ["0", "2", "4"].as_slice()), ("1/2", &["1", "3"])] {
        let out = run(shard);
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert_eq!(out.status.code(), Some(0), "{stdout}");
        assert_eq!(ran(&out), expected, "{stdout}");
        assert!(
            stdout.contains(&format!(
                "shard {shard}: {} of 5 scenario file(s)",
                expected.len()
            )),
            "{stdout}"
        );
        all.extend(ran(&out));
    }
    all.sort();
    assert_eq!(all, ["0", "1", "2", "3", "4"]);

    // more shards than files: this one has none, and that is not a failure
    let out = run("6/7");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{stdout}");
    assert!(
        stdout.lines().any(|l| l == "0 passed, 0 failed"),
        "{stdout}"
    );

    // a bad value names the flag and says what is wrong; nothing runs
    for (shard, says) in [
        (
            "2/2",
            "the index I must be less than the number of shards N (from 0 to 1), got 2",
        ),
        ("0/0", "the number of shards N must be 1 or more"),
        ("1", "expected I/N"),
        ("x/3", "\"x\" is not a number"),
    ] {
        let out = run(shard);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{shard}: {stderr}");
        assert!(stderr.contains("--shard"), "{shard}: {stderr}");
        assert!(stderr.contains(says), "{shard}: {stderr}");
        assert!(!String::from_utf8_lossy(&out.stdout).contains("PASS"));
    }
}

fn parse_error(steps: &str) -> scenario::ScenarioError {
    let text = format!("name: x\nsteps:\n{steps}");
    scenario::parse(&text, Path::new("x.yaml"))
        .unwrap_err()
        .first()
        .clone()
}

#[test]
fn power_loss_steps_are_checked() {
    let e = parse_error("  - wait: 1m\n  - power_loss: {device: ce1, after_mb: 0}\n");
    assert_eq!(e.line, 4, "{e}");
    assert!(e.message.contains("`after_mb` must be 1 or more"), "{e}");
    let e = parse_error("  - power_loss: {device: ce9, after_mb: 2}\n");
    assert!(e.message.contains("ce9"), "{e}");
    let e = parse_error("  - power_loss: {device: ce1}\n");
    assert!(e.message.contains("after_mb"), "{e}");
}

#[test]
fn api_until_job_and_server_step_errors_point_at_their_step() {
    // a `${name}` nobody saved
    let e = parse_error("  - wait: 1m\n  - api: {path: \"/api/files/${file}\"}\n");
    assert_eq!((e.file.as_str(), e.line), ("x.yaml", 4), "{e}");
    assert!(
        e.message
            .contains("no earlier api step saves a value named 'file'"),
        "{e}"
    );
    // saved by an earlier step: fine, in paths, bodies and CLI lines
    let ok = "name: x\nsteps:\n  - api: {method: POST, path: /api/files, body: {url: u}, save: {file: /id}}\n  - api: {method: POST, path: /api/upgrades, body: {file: \"${file}\", device: ce1}}\n  - cli: {device: ce1, lines: [\"show ${file}\"]}\n";
    scenario::parse(ok, Path::new("x.yaml")).unwrap();
    // but not before it is saved
    let e = parse_error("  - cli: {device: ce1, lines: [\"show ${file}\"]}\n  - api: {path: /api/files, save: {file: /0/id}}\n");
    assert_eq!(e.line, 3, "{e}");
    let e = parse_error("  - api: {method: PATCH, path: /api/files}\n");
    assert!(e.message.contains("GET, POST, PUT or DELETE"), "{e}");
    let e = parse_error("  - api: {path: api/files}\n");
    assert!(e.message.contains("must start with /"), "{e}");
    let e = parse_error("  - api: {path: /api/devices, json: {0/status: Online}}\n");
    assert!(e.message.contains("not a JSON pointer"), "{e}");
    let e = parse_error("  - api: {path: /api/devices, save: {x: \"/[name]/status\"}}\n");
    assert!(e.message.contains("[name=ce1]"), "{e}");
    let e = parse_error("  - api: {cdm: ce1, path: /api/devices}\n");
    assert!(e.message.contains("'ce1' is not a CDM"), "{e}");
    let e = parse_error("  - api: {method: GET, path: /api/devices, body: {a: 1}}\n");
    assert!(e.message.contains("takes no `body:`"), "{e}");
    let e = parse_error("  - api: {path: /api/devices, stauts: 200}\n");
    assert_eq!(e.line, 3, "{e}");
    assert!(e.message.contains("stauts"), "{e}");
    // until_job
    let e = parse_error("  - wait: 1s\n  - until_job: {ended: 2}\n");
    assert_eq!(e.line, 4, "{e}");
    assert!(e.message.contains("timeout"), "{e}");
    let e = parse_error("  - until_job: {ended: 1, failed: 2, timeout: 30s}\n");
    assert!(e.message.contains("more than ended"), "{e}");
    let e = parse_error("  - until_job: {ended: 1, timeout: 30 seconds}\n");
    assert!(e.message.contains("bad duration"), "{e}");
    // servers
    let e = parse_error("  - wait: 1s\n  - stop_server: ftp9\n");
    assert_eq!(e.line, 4, "{e}");
    assert!(
        e.message
            .contains("unknown server 'ftp9' (this lab has: images)"),
        "{e}"
    );
    let e = parse_error("  - corrupt_server_file: {server: images, file: ../etc/passwd}\n");
    assert!(
        e.message.contains("not a file of the server's folder"),
        "{e}"
    );
    let e = parse_error("  - corrupt_server_file: {server: images, file: images/a.bin, keep: 3}\n");
    assert!(e.message.contains("only `server:` and `file:`"), "{e}");
    let e = parse_error("  - truncate_server_file: {server: images, file: images/a.bin}\n");
    assert!(e.message.contains("give `bytes:`"), "{e}");
    let e = parse_error("  - write_server_file: {server: images, file: meta/*.meta, text: x}\n");
    assert!(e.message.contains("without `*`"), "{e}");
}

#[test]
fn a_wrong_api_expectation_fails_with_its_line_and_the_answer() {
    let text = "name: api fails
topology:
  devices:
    - {name: cdm1, kind: cdm, role: primary, ip: 10.1.1.5}
    - {name: ce1, kind: ce, ip: 10.1.1.10}
  servers:
    - {name: images, ip: 10.1.1.100, image_mb: 1}
steps:
  - api: {path: /api/devices, status: 200, json: {\"/[name=ce1]/version\": 5.1.3}}
  - api:
      method: POST
      path: /api/files
      body: {url: \"http://10.1.1.100/meta/ACNS-5.2.1-K9-http.meta\"}
      save: {file: /id}
  - api: {method: DELETE, path: \"/api/files/${file}\", status: 204}
  - api: {path: /api/devices, json: {\"/[name=ce1]/version\": 5.2.1, \"/[name=ce9]/version\": 5.2.1}}
  - wait: 1s
";
    let s = scenario::parse(text, Path::new("api-fails.yaml")).unwrap();
    let outcomes = scenario::run_all(&[s], Transport::InProcess, |_| {});
    let o = &outcomes[0];
    let f = o.failure.as_ref().expect("the scenario must fail");
    assert_eq!((f.line, f.step.as_str()), (16, "api"), "{f:?}");
    assert_eq!(o.steps_run, 4);
    let text = o.failure_text();
    assert!(text.contains("api-fails.yaml:16 (api step)"), "{text}");
    assert!(
        text.contains("/[name=ce1]/version: expected \"5.2.1\", got \"5.1.3\""),
        "{text}"
    );
    assert!(
        text.contains("/[name=ce9]/version: expected \"5.2.1\", got nothing there"),
        "{text}"
    );
    assert!(text.contains("answer (200):"), "{text}");
}

/// Lines typed after the line that reloads the device cannot be sent: the step fails the same way
/// in-process and over SSH, naming the line.
#[test]
fn lines_after_a_reload_fail_the_step_in_both_transports() {
    let text = "name: lines after reload\nlab: default\nsteps:\n  - cli: {device: ce1, lines: [reload, \"\", show version]}\n";
    for transport in [Transport::InProcess, Transport::Ssh] {
        let s = scenario::parse(text, Path::new("r.yaml")).unwrap();
        let outcomes = scenario::run_all(&[s], transport, |_| {});
        let f = outcomes[0].failure.as_ref().expect("the step must fail");
        assert_eq!(f.line, 4, "{f:?}");
        assert!(
            f.message.starts_with(
                "the device reloaded at line 2 (\"\"); 1 line(s) after it were not sent"
            ),
            "{transport:?}: {f:?}"
        );
    }
}

/// Issue 11 item 3: ports a scenario's topology pins are used exactly (`lab.base_port`, a
/// device's `port`); a topology that pins none runs on ephemeral ports, so labs never collide.
#[test]
fn a_scenario_uses_the_ports_its_topology_pins_and_ephemeral_ones_otherwise() {
    let topology = |lab: &str, port: &str| {
        format!(
            "name: pinned\ntopology:\n  lab:\n    boot_seconds: 1{lab}\n  devices:\n    - {{name: ce1, kind: ce, ip: 10.1.1.10{port}}}\n    - {{name: ce2, kind: ce, ip: 10.1.1.11}}\nsteps:\n  - cli: {{device: ce1, lines: [show version]}}\n"
        )
    };
    let parsed = |text: &str| scenario::parse(text, Path::new("p.yaml")).unwrap();

    let free = parsed(&topology("", ""));
    assert_eq!(
        free.topology.lab.base_port, 0,
        "ephemeral when nothing is pinned"
    );
    assert_eq!(free.topology.devices[0].port, None);

    // a port below the kernel's ephemeral range (a lab refuses those), held here
    let start = 12_000 + (std::process::id() % 8_000) as u16;
    let (held, port) = (start..start + 2_000)
        .step_by(7)
        .find_map(|p| Some((std::net::TcpListener::bind(("127.0.0.1", p)).ok()?, p)))
        .expect("a free port below 22000");
    let pinned = parsed(&topology(&format!("\n    base_port: {port}"), ""));
    assert_eq!(
        pinned.topology.lab.base_port, port,
        "the pinned base is kept"
    );
    let device = parsed(&topology("", &format!(", port: {port}")));
    assert_eq!(device.topology.lab.base_port, 0);
    assert_eq!(
        device.topology.devices[0].port,
        Some(port),
        "a device's port is kept"
    );

    // Used exactly: with the pinned port held by someone else, the lab cannot start and says so.
    for s in [pinned, device] {
        let outcomes = scenario::run_all(&[s], Transport::InProcess, |_| {});
        let f = outcomes[0].failure.as_ref().expect("the port is held");
        assert_eq!(f.step, "lab", "{f:?}");
        assert!(
            f.message.contains(&format!("{port}")) && f.message.contains("in use"),
            "{f:?}"
        );
    }
    drop(held);
}
