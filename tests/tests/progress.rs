//! Progress a user sees on a terminal (issue 11 item 6), in a real pseudo-terminal (util-linux
//! `script`): `acnslab run` on a folder shows which scenario runs and how far it is, `acnslab up`
//! shows a bar of bytes while it writes large software images; without a terminal the output is
//! plain lines with no escape codes.

use std::process::Command;
use std::time::Duration;

use acnslab_tests::{acnslab_binary, free_base_port, run_acnslab, run_with_timeout};

/// Runs `command` (a shell line) in a pseudo-terminal; what the terminal showed.
fn on_a_terminal(command: &str, timeout: Duration) -> String {
    let run = run_with_timeout(
        Command::new("script").args(["-qec", command, "/dev/null"]),
        None,
        timeout,
    );
    assert!(run.status.is_some(), "{}", run.describe());
    run.stdout
}

/// A small scenario file (one CE, one command) named `name` in `dir`.
fn scenario(dir: &std::path::Path, name: &str) -> String {
    let path = dir.join(format!("{name}.yaml"));
    std::fs::write(
        &path,
        format!(
            "name: {name}\ntopology:\n  devices:\n    - {{name: ce1, kind: ce, ip: 10.1.1.10}}\nsteps:\n  - cli: {{device: ce1, lines: [show version]}}\n    expect: {{contains: \"Version: ce\"}}\n"
        ),
    )
    .unwrap();
    path.display().to_string()
}

#[test]
fn a_scenario_folder_shows_its_progress_on_a_terminal_and_plain_lines_otherwise() {
    let dir = tempfile::tempdir().unwrap();
    let files = [
        scenario(dir.path(), "first"),
        scenario(dir.path(), "second"),
    ];
    let line = format!(
        "{} run {} {}",
        acnslab_binary().display(),
        files[0],
        files[1]
    );
    let shown = on_a_terminal(&line, Duration::from_secs(120));
    assert!(shown.contains("[1/2]"), "the bar counts the files: {shown}");
    assert!(
        shown.contains("running "),
        "the bar names the scenario: {shown}"
    );
    assert_eq!(shown.matches("PASS ").count(), 2, "{shown}");
    assert!(shown.contains("2 passed, 0 failed"), "{shown}");

    let plain = run_acnslab(&["run", &files[0], &files[1]], Duration::from_secs(120));
    assert_eq!(plain.code(), 0, "{}", plain.describe());
    assert!(
        !plain.stdout.contains('\x1b'),
        "no escape codes: {:?}",
        plain.stdout
    );
    assert!(!plain.stdout.contains("[1/2]"), "{}", plain.stdout);
    assert_eq!(
        plain
            .stdout
            .lines()
            .filter(|l| l.starts_with("PASS "))
            .count(),
        2
    );
}

#[test]
fn the_first_start_shows_a_bar_while_it_writes_large_images() {
    let dir = tempfile::tempdir().unwrap();
    let topology = dir.path().join("lab.yaml");
    std::fs::write(
        &topology,
        "devices:\n  - {name: ce1, kind: ce, ip: 10.1.1.10}\nservers:\n  - {name: srv, ip: 10.1.1.100, image_mb: 120}\n",
    )
    .unwrap();
    let base = free_base_port(1);
    // the lab stops by itself (Ctrl-C from `timeout`) a few seconds after it started
    let line = format!(
        "timeout -s INT 10 {} up --topology {} --state-dir {} --base-port {base}",
        acnslab_binary().display(),
        topology.display(),
        dir.path().join("state").display()
    );
    let shown = on_a_terminal(&line, Duration::from_secs(60));
    assert!(
        shown.contains("writing the software images"),
        "a bar while 360 MiB of images are written: {shown}"
    );
    assert!(
        shown.contains("MiB/360.00 MiB"),
        "the bar counts bytes: {shown}"
    );
    assert!(
        shown.contains("ssh admin@127.0.0.1"),
        "then the table: {shown}"
    );
}
