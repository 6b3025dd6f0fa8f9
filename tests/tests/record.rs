//! `acnslab record`: a console session on a real lab (`acnslab up`) is recorded into a scenario
//! file that `acnslab run` replays on a fresh lab; a wrong expectation in it fails with its file and
//! line; lab time between commands becomes a `wait:`; bad input (unknown device, no lab, an existing
//! file) is refused with exit status 1 before anything is recorded.

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use acnslab::scenario::format::StepKind;
use acnslab_tests::{
    acnslab_binary, free_base_port, run_acnslab, run_with_timeout, ssh_exec, wait_for, Finished,
    LabProcess,
};

const TIMEOUT: Duration = Duration::from_secs(120);

/// `acnslab record DEVICE --state-dir DIR --out FILE` with `input` on its stdin.
fn record(dir: &Path, device: &str, out: &Path, input: &str) -> Finished {
    run_with_timeout(
        Command::new(acnslab_binary())
            .args(["record", device, "--state-dir"])
            .arg(dir)
            .arg("--out")
            .arg(out),
        Some(input.as_bytes()),
        TIMEOUT,
    )
}

fn run_file(file: &Path) -> Finished {
    run_acnslab(&["run", &file.display().to_string()], TIMEOUT)
}

/// `acnslab up` as [`LabProcess::start`] starts it, once its control socket answers (the ports
/// open a moment before).
fn start_lab(dir: &Path, extra: &[&str]) -> LabProcess {
    // Transfers as fast as loopback allows: the recording is about the session, not the link.
    let args: Vec<&str> = ["--rate-kbps", "0"].iter().chain(extra).copied().collect();
    let lab = LabProcess::start(dir, free_base_port(5), 5, &args);
    let socket = dir.join("control.sock");
    assert!(
        wait_for(Duration::from_secs(30), || socket.exists()),
        "no control socket in {}",
        dir.display()
    );
    lab
}

/// The 1-based line of the first line of `text` that contains `needle`.
fn line_of(text: &str, needle: &str) -> usize {
    text.lines()
        .position(|l| l.contains(needle))
        .map(|i| i + 1)
        .unwrap_or_else(|| panic!("{needle:?} is not in the file:\n{text}"))
}

#[test]
fn a_recorded_session_replays_on_a_fresh_lab() {
    let tmp = tempfile::tempdir().expect("temp dir");
    let dir = tmp.path().join("state");
    let lab = start_lab(&dir, &[]);
    let file = tmp.path().join("session.yaml");
    let input = "show version\n\
                 configure terminal\n\
                 hostname edge1\n\
                 end\n\
                 show running-config\n\
                 write memory\n\
                 show clock\n\
                 configure terminal\n\
                 hostname edge2\n\
                 end\n\
                 reload\n\
                 no\n\
                 \n\
                 show running-config\n\
                 copy ftp install 10.1.1.100 /images ACNS-5.2.1-K9.bin\n\
                 ftpuser\n\
                 ftppass\n\
                 show version\n";
    let run = record(&dir, "ce1", &file, input);
    run.assert_success();
    let shown = file.display().to_string();
    assert!(
        run.stdout.contains(&format!("acnslab run {shown}")),
        "{}",
        run.describe()
    );
    assert!(run.stdout.contains("is up again"), "{}", run.describe());
    let text = std::fs::read_to_string(&file).expect("the recorded file");

    // What the file says, as people read it.
    for needle in [
        "# Recorded by `acnslab record ce1`",
        "FRESH lab",
        "PASSWORDS",
        // LabProcess starts the lab with --boot-seconds 1: the topology goes with the file
        "topology:",
        "boot_seconds: 1.0",
        "  - cli: {device: ce1, lines: [show version]}",
        "'^The system has been up for \\d+ \\w+(?:, \\d+ \\w+)*\\.$'",
        "        - hostname edge1\n",
        "      exact: \"\"\n",
        "  - cli: {device: ce1, lines: [write memory]}\n    expect:\n      exact: |\n        Building configuration...\n        [OK]\n",
        "  - cli: {device: ce1, lines: [show clock]}\n    expect:\n      regex: '^Local time: \\w{3} \\w{3} [ \\d]\\d \\d\\d:\\d\\d:\\d\\d \\d{4} UTC$'\n",
        "# answers \"System configuration has been modified. Save?[yes]:\"",
        "# answers \"Proceed with reload?[confirm]\"",
        "# answers \"Enter password for remote ftp server:\"; secret",
        "  - until: {device: ce1, power: running, timeout: 1m, every: 1s}",
        "Application and Content Networking System Software Release 5.2.1",
    ] {
        assert!(text.contains(needle), "{needle:?} is not in the file:\n{text}");
    }

    // What it means, as the scenario parser reads it.
    let scenario = acnslab::scenario::load(&file).unwrap_or_else(|e| panic!("{e}\n{text}"));
    let shape: Vec<String> = scenario
        .steps
        .iter()
        .map(|s| match &s.kind {
            StepKind::Cli { lines, .. } => lines.join(" | "),
            StepKind::Until { check, .. } => format!("until {}", check.device),
            StepKind::Wait(d) => format!("wait {d:?}"),
            other => format!("{other:?}"),
        })
        .collect();
    assert_eq!(
        shape,
        [
            "show version",
            "configure terminal | hostname edge1 | end",
            "show running-config",
            "write memory",
            "show clock",
            "configure terminal | hostname edge2 | end",
            "reload | no | ",
            "until ce1",
            "show running-config",
            "copy ftp install 10.1.1.100 /images ACNS-5.2.1-K9.bin | ftpuser | ftppass",
            "until ce1",
            "show version",
        ],
        "{text}"
    );
    // after the reload without saving: edge1, the saved name
    let after_reload = text
        .split("  - until:")
        .nth(1)
        .expect("a part after the first until");
    assert!(after_reload.contains("hostname edge1"), "{text}");
    assert!(!after_reload.contains("hostname edge2"), "{text}");

    // Replayed on a fresh lab (the recorded one is no longer fresh: ce1 runs 5.2.1 now).
    let replay = run_file(&file);
    assert_eq!(replay.code(), 0, "{}\n{text}", replay.describe());
    assert!(
        replay.stdout.contains("1 passed, 0 failed"),
        "{}",
        replay.describe()
    );

    // One expectation made wrong: the failure names the file and the step's line.
    let step_line = line_of(&text, "lines: [write memory]");
    let broken = text.replacen("        [OK]\n", "        [FAILED]\n", 1);
    assert_ne!(broken, text);
    let broken_file = tmp.path().join("broken.yaml");
    std::fs::write(&broken_file, &broken).expect("write the broken file");
    let replay = run_file(&broken_file);
    assert_eq!(replay.code(), 1, "{}", replay.describe());
    let at = format!("at {}:{step_line} ", broken_file.display());
    assert!(
        replay.stdout.contains(&at),
        "{at:?} missing\n{}",
        replay.describe()
    );
    assert!(replay.stdout.contains("+ [OK]"), "{}", replay.describe());
    assert!(
        replay.stdout.contains("0 passed, 1 failed"),
        "{}",
        replay.describe()
    );

    let (status, _, stderr) = lab.stop();
    assert!(status.success(), "{stderr}");
}

/// Issue 11 item 7: a recording made on a lab that was changed before it began (ce1 upgraded to
/// 5.2.1, renamed and saved, one change not saved) replays: the file gives the lab as it was,
/// not `lab: default`.
#[test]
fn a_recording_of_a_changed_lab_replays() {
    let tmp = tempfile::tempdir().expect("temp dir");
    let dir = tmp.path().join("state");
    let lab = start_lab(&dir, &[]);
    let ce1 = lab.port(2);
    // over SSH, as a user would: the install reboots ce1 into 5.2.1
    let install = ssh_exec(
        ce1,
        "copy ftp install 10.1.1.100 /images ACNS-5.2.1-K9.bin; ftpuser; ftppass",
    );
    assert!(
        install
            .stdout
            .contains("Installing software version 5.2.1."),
        "{}",
        install.describe()
    );
    assert!(
        wait_for(Duration::from_secs(60), || {
            let run = ssh_exec(ce1, "show version");
            run.code() == 0 && run.stdout.contains("Release 5.2.1")
        }),
        "ce1 did not come back on 5.2.1"
    );
    let changed = ssh_exec(
        ce1,
        "configure terminal; hostname edge1; end; write memory; \
         configure terminal; ntp server 10.1.1.100; end",
    );
    assert_eq!(changed.code(), 0, "{}", changed.describe());

    let file = tmp.path().join("changed.yaml");
    let input = "show version\n\
                 show running-config\n\
                 show startup-config\n\
                 reload\n\
                 no\n\
                 \n\
                 show running-config\n";
    let run = record(&dir, "ce1", &file, input);
    run.assert_success();
    let text = std::fs::read_to_string(&file).expect("the recorded file");
    for needle in [
        "topology:\n",
        "    version: 5.2.1\n",
        "    startup_config: |",
        "hostname edge1",
        "    running_config: |",
        "ntp server 10.1.1.100",
    ] {
        assert!(
            text.contains(needle),
            "{needle:?} is not in the file:\n{text}"
        );
    }
    assert!(!text.contains("lab: default"), "{text}");
    // only ce1 was changed: the other devices are as the topology makes them
    assert_eq!(text.matches("startup_config:").count(), 1, "{text}");
    assert_eq!(text.matches("version: ").count(), 1, "{text}");

    let replay = run_file(&file);
    assert_eq!(replay.code(), 0, "{}\n{text}", replay.describe());
    assert!(
        replay.stdout.contains("1 passed, 0 failed"),
        "{}",
        replay.describe()
    );
    let (status, _, stderr) = lab.stop();
    assert!(status.success(), "{stderr}");
}

#[test]
fn lab_time_between_commands_is_a_wait() {
    let tmp = tempfile::tempdir().expect("temp dir");
    let dir = tmp.path().join("state");
    // 60 lab seconds per second: a two-second pause is two minutes of lab time.
    let lab = start_lab(&dir, &["--speed", "60"]);
    let file = tmp.path().join("waits.yaml");
    let stdout = std::fs::File::create(tmp.path().join("stdout")).expect("stdout file");
    let mut child = Command::new(acnslab_binary())
        .args(["record", "cdm2", "--state-dir"])
        .arg(&dir)
        .arg("--out")
        .arg(&file)
        .stdin(Stdio::piped())
        .stdout(stdout)
        .stderr(Stdio::piped())
        .spawn()
        .expect("start acnslab record");
    {
        use std::io::Write;
        let mut stdin = child.stdin.take().expect("piped stdin");
        stdin.write_all(b"show cms info\n").expect("write");
        stdin.flush().expect("flush");
        std::thread::sleep(Duration::from_secs(2));
        stdin.write_all(b"show cms info\n").expect("write");
        // dropped: end of input ends the recording
    }
    let started = Instant::now();
    let ended = wait_for(TIMEOUT, || matches!(child.try_wait(), Ok(Some(_))));
    if !ended {
        let _ = child.kill();
    }
    let status = child.wait().expect("wait for acnslab record");
    assert!(
        ended,
        "acnslab record did not end within {:?}",
        started.elapsed()
    );
    let text = std::fs::read_to_string(&file).unwrap_or_default();
    assert!(status.success(), "{status}\n{text}");

    let scenario = acnslab::scenario::load(&file).unwrap_or_else(|e| panic!("{e}\n{text}"));
    let waits: Vec<Duration> = scenario
        .steps
        .iter()
        .filter_map(|s| match s.kind {
            StepKind::Wait(d) => Some(d),
            _ => None,
        })
        .collect();
    assert_eq!(waits.len(), 1, "{text}");
    assert!(
        (Duration::from_secs(100)..Duration::from_secs(300)).contains(&waits[0]),
        "about two minutes of lab time: {:?}\n{text}",
        waits[0]
    );
    let replay = run_file(&file);
    assert_eq!(replay.code(), 0, "{}\n{text}", replay.describe());

    // Bad input, refused before anything is recorded, with status 1.
    let other = tmp.path().join("other.yaml");
    let unknown = record(&dir, "ce9", &other, "show version\n");
    assert_eq!(unknown.code(), 1, "{}", unknown.describe());
    assert!(
        unknown.stderr.contains("no device named \"ce9\""),
        "{}",
        unknown.describe()
    );
    assert!(!other.exists());

    let before = std::fs::read_to_string(&file).expect("the file");
    let again = record(&dir, "cdm2", &file, "show cms info\n");
    assert_eq!(again.code(), 1, "{}", again.describe());
    assert!(
        again.stderr.contains("the file exists"),
        "{}",
        again.describe()
    );
    assert!(!again.stdout.contains("recording"), "{}", again.describe());
    assert_eq!(std::fs::read_to_string(&file).expect("the file"), before);

    let (status, _, stderr) = lab.stop();
    assert!(status.success(), "{stderr}");

    let no_lab = record(&tmp.path().join("nothing"), "ce1", &other, "show version\n");
    assert_eq!(no_lab.code(), 1, "{}", no_lab.describe());
    assert!(
        no_lab.stderr.contains("no lab in") && no_lab.stderr.contains("it has no lab.json"),
        "{}",
        no_lab.describe()
    );
    // a stopped lab leaves lab.json behind: the lock says nothing runs
    let stopped = record(&dir, "ce1", &other, "show version\n");
    assert_eq!(stopped.code(), 1, "{}", stopped.describe());
    assert!(
        stopped.stderr.contains("no lab is running in") && stopped.stderr.contains("was stopped"),
        "{}",
        stopped.describe()
    );
    assert!(!other.exists());
}
