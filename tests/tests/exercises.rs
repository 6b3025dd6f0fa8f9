//! Graded exercises end to end: `acnslab exercise start` runs as a real process, `acnslab exercise
//! check` reports goals "not met" on the starting lab, the trainee's procedure is done over real
//! SSH (OpenSSH) or with the `acnslab cdm` client, and the same check then reports every goal met.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use acnslab_tests::{
    acnslab_binary, free_base_port, is_listening, run_acnslab, wait_for, Finished, Terminal,
};

fn exercise(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("workspace root")
        .join("scenarios/exercises")
        .join(name)
}

/// `acnslab exercise start` as a subprocess; killed when dropped.
struct ExerciseProcess {
    child: Child,
    state_dir: tempfile::TempDir,
    base_port: u16,
}

impl ExerciseProcess {
    fn start(file: &Path, extra: &[&str]) -> ExerciseProcess {
        use std::os::unix::process::CommandExt;
        let state_dir = tempfile::tempdir().expect("temp dir");
        let base_port = free_base_port(5);
        let mut child = Command::new(acnslab_binary())
            .args(["exercise", "start"])
            .arg(file)
            .arg("--state-dir")
            .arg(state_dir.path())
            .args(["--base-port", &base_port.to_string(), "--boot-seconds", "1"])
            // Image transfers as fast as loopback allows (a trainee's lab goes at its links' pace).
            .args(["--rate-kbps", "0"])
            .args(extra)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .process_group(0)
            .spawn()
            .expect("start acnslab exercise start");
        let grader = state_dir.path().join("exercise.sock");
        let ready = wait_for(Duration::from_secs(30), || {
            ((0..5).all(|i| is_listening(base_port + i)) && grader.exists())
                || matches!(child.try_wait(), Ok(Some(_)))
        });
        if let Ok(Some(status)) = child.try_wait() {
            panic!("acnslab exercise start exited early: {status}");
        }
        assert!(ready, "the exercise's lab did not come up within 30 s");
        ExerciseProcess {
            child,
            state_dir,
            base_port,
        }
    }

    fn check(&self) -> Finished {
        let dir = self.state_dir.path().to_string_lossy().into_owned();
        run_acnslab(
            &["exercise", "check", "--state-dir", &dir],
            Duration::from_secs(30),
        )
    }

    /// Checks until every goal is met (exit status 0) or `timeout`; returns the last report.
    fn check_until_met(&self, timeout: Duration) -> Finished {
        let mut last = self.check();
        wait_for(timeout, || {
            last = self.check();
            last.code() == 0
        });
        last
    }

    fn cdm(&self, args: &[&str]) -> Finished {
        let dir = self.state_dir.path().to_string_lossy().into_owned();
        let mut all = vec!["cdm", "--state-dir", dir.as_str()];
        all.extend_from_slice(args);
        run_acnslab(&all, Duration::from_secs(60))
    }
}

impl Drop for ExerciseProcess {
    fn drop(&mut self) {
        let _ = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status();
        let exited = wait_for(Duration::from_secs(10), || {
            matches!(self.child.try_wait(), Ok(Some(_)))
        });
        if !exited {
            let _ = self.child.kill();
        }
        let _ = self.child.wait();
    }
}

#[test]
fn recovering_a_cdm_from_its_backup_over_ssh_meets_every_goal() {
    let lab = ExerciseProcess::start(
        &exercise("03-recover-cdm-from-backup.yaml"),
        &["--speed", "100"],
    );
    let first = lab.check();
    assert_eq!(first.code(), 1, "{}", first.describe());
    assert!(
        first
            .stdout
            .contains("[not met] device group edge is back on the primary CDM"),
        "{}",
        first.describe()
    );
    assert!(
        first
            .stdout
            .contains("hint: cms database restore only works with CMS disabled"),
        "{}",
        first.describe()
    );
    assert!(first.stdout.contains("Score: "), "{}", first.describe());

    // the trainee's procedure, over OpenSSH
    let mut cdm1 = Terminal::open(lab.base_port, "cdm1#");
    let dir = cdm1.run("dir", "cdm1#");
    let dump = dir
        .split_whitespace()
        .find(|w| w.starts_with("acns-db-") && w.ends_with(".dump"))
        .unwrap_or_else(|| panic!("no backup in dir:\n{dir}"))
        .to_string();
    cdm1.run("configure terminal", "cdm1(config)#");
    cdm1.run("no cms enable", "cdm1(config)#");
    cdm1.run("end", "cdm1#");
    cdm1.run("cms database delete", "Proceed?[no]:");
    let deleted = cdm1.run("yes", "cdm1#");
    assert!(deleted.contains("CMS database deleted."), "{deleted}");
    let restored = cdm1.run(&format!("cms database restore {dump}"), "cdm1#");
    assert!(
        restored.contains("CMS database restored from"),
        "{restored}"
    );
    cdm1.run("configure terminal", "cdm1(config)#");
    cdm1.run("cms enable", "cdm1(config)#");
    cdm1.run("end", "cdm1#");

    // the standby catches up at its polling interval (5 min of lab time = 3 s at speed 100)
    let last = lab.check_until_met(Duration::from_secs(60));
    assert_eq!(last.code(), 0, "{}", last.describe());
    assert!(!last.stdout.contains("[not met]"), "{}", last.describe());
    assert!(
        last.stdout
            .contains("Score: 6 of 6 points (100%), 5 of 5 goals met"),
        "{}",
        last.describe()
    );
}

#[test]
fn upgrading_the_ce_group_from_the_cdm_meets_every_goal() {
    let lab = ExerciseProcess::start(&exercise("01-upgrade-ce-group.yaml"), &[]);
    let first = lab.check();
    assert_eq!(first.code(), 1, "{}", first.describe());
    for goal in [
        "[not met] the 5.2.1 meta file is registered on the primary CDM (once)",
        "[not met] ce1 runs 5.2.1 and is Online on cdm1",
        "[not met] ce2 runs 5.2.1 and is Online on cdm1",
        "[met    ] the primary CDM is still on 5.1.3",
    ] {
        assert!(first.stdout.contains(goal), "{goal}\n{}", first.describe());
    }
    assert!(
        first
            .stdout
            .contains("ce1 version: expected 5.2.1, got 5.1.3"),
        "{}",
        first.describe()
    );

    let registered = lab.cdm(&["register", "http://10.1.1.100/meta/ACNS-5.2.1-K9-http.meta"]);
    assert_eq!(registered.code(), 0, "{}", registered.describe());
    // a table, as every `acnslab cdm` answer is without --json
    assert!(
        registered.stdout.starts_with("Id  Version") && registered.stdout.contains("ACNS 5.2.1"),
        "{}",
        registered.describe()
    );
    let files = lab.cdm(&["--json", "files"]);
    let files: serde_json::Value = serde_json::from_str(&files.stdout).expect("files as JSON");
    let id = files[0]["id"].as_i64().expect("a file id").to_string();
    let upgraded = lab.cdm(&["upgrade", "--file", &id, "--group", "edge", "--wait"]);
    assert_eq!(upgraded.code(), 0, "{}", upgraded.describe());
    // not a terminal: each job's story once, not a line per megabyte, and a summary
    let progress_lines = upgraded
        .stdout
        .lines()
        .filter(|l| l.contains("Prepositioned Download in Progress"))
        .count();
    let jobs = upgraded
        .stdout
        .lines()
        .filter(|l| l.contains("Prepositioned Download Successful"))
        .count();
    assert!(
        jobs >= 1 && progress_lines <= jobs,
        "{}",
        upgraded.describe()
    );
    assert!(
        upgraded
            .stdout
            .contains(&format!("{jobs} upgraded, 0 failed")),
        "{}",
        upgraded.describe()
    );

    // the CEs reboot (1 s) and report Online at their next poll
    let last = lab.check_until_met(Duration::from_secs(30));
    assert_eq!(last.code(), 0, "{}", last.describe());
    assert!(
        last.stdout
            .contains("Score: 6 of 6 points (100%), 4 of 4 goals met"),
        "{}",
        last.describe()
    );

    // the same upgrade again: every job fails at once, and --wait says so, with the reason
    let again = lab.cdm(&["upgrade", "--file", &id, "--group", "edge", "--wait"]);
    assert_eq!(again.code(), 1, "{}", again.describe());
    assert!(
        again.stdout.contains("0 upgraded, ")
            && again.stderr.contains("job(s) failed")
            && again.stderr.contains("version 5.2.1 is already running"),
        "{}",
        again.describe()
    );
    assert!(
        again
            .stdout
            .contains("Reason: version 5.2.1 is already running"),
        "{}",
        again.describe()
    );
}

#[test]
fn exercise_files_and_state_directories_are_checked_before_anything_starts() {
    for name in [
        "01-upgrade-ce-group.yaml",
        "02-upgrade-cdm-pair.yaml",
        "03-recover-cdm-from-backup.yaml",
    ] {
        acnslab::exercise::load(&exercise(name)).unwrap_or_else(|e| panic!("{e}"));
    }
    let dir = tempfile::tempdir().expect("temp dir");
    let bad = dir.path().join("bad.yaml");
    std::fs::write(
        &bad,
        "name: bad\nsetup:\n  - wait: 5m\ngoals:\n  - goal: x\n    check: {device: ce1, version: 5.2.1}\n",
    )
    .expect("write");
    let out = run_acnslab(
        &["exercise", "start", &bad.to_string_lossy(), "--state-dir"],
        Duration::from_secs(30),
    );
    assert_ne!(out.code(), 0, "{}", out.describe());
    let state = dir.path().join("state");
    let out = run_acnslab(
        &[
            "exercise",
            "start",
            &bad.to_string_lossy(),
            "--state-dir",
            &state.to_string_lossy(),
        ],
        Duration::from_secs(30),
    );
    assert_eq!(out.code(), 1, "{}", out.describe());
    assert!(
        out.stderr
            .contains("bad.yaml:3: setup: `wait` is not allowed here"),
        "{}",
        out.describe()
    );
    assert!(!state.exists(), "nothing started");

    std::fs::write(
        &bad,
        "name: bad\ngoals:\n  - goal: x\n    check: {device: ce1, version: 5.2.1}\n  - goal: y\n    check: {device: ce9, version: 5.2.1}\n",
    )
    .expect("write");
    let out = run_acnslab(
        &[
            "exercise",
            "start",
            &bad.to_string_lossy(),
            "--state-dir",
            &state.to_string_lossy(),
        ],
        Duration::from_secs(30),
    );
    assert_eq!(out.code(), 1, "{}", out.describe());
    assert!(
        out.stderr.contains("bad.yaml:5: goal 2: "),
        "{}",
        out.describe()
    );
    assert!(out.stderr.contains("ce9"), "{}", out.describe());

    // a state directory holding something else is never taken over
    std::fs::create_dir_all(&state).expect("mkdir");
    std::fs::write(state.join("notes.txt"), "mine").expect("write");
    let out = run_acnslab(
        &[
            "exercise",
            "start",
            &exercise("01-upgrade-ce-group.yaml").to_string_lossy(),
            "--state-dir",
            &state.to_string_lossy(),
            "--restart",
        ],
        Duration::from_secs(30),
    );
    assert_eq!(out.code(), 1, "{}", out.describe());
    assert!(
        out.stderr
            .contains("not the state directory of an acnslab lab"),
        "{}",
        out.describe()
    );
    assert!(state.join("notes.txt").exists());

    // no exercise running there
    let out = run_acnslab(
        &["exercise", "check", "--state-dir", &state.to_string_lossy()],
        Duration::from_secs(30),
    );
    assert_eq!(out.code(), 1, "{}", out.describe());
    assert!(
        out.stderr.contains("no exercise is running"),
        "{}",
        out.describe()
    );
}

#[test]
fn a_detached_exercise_with_a_password_serves_its_grade_over_http() {
    let dir = tempfile::tempdir().expect("temp dir");
    let state = dir.path().join("state");
    let password = "Trainee-7-pw";
    let password_file = dir.path().join("password");
    std::fs::write(&password_file, format!("{password}\n")).expect("write");
    let file = exercise("03-recover-cdm-from-backup.yaml");

    // listening where others reach it with the default login is refused before anything is made
    let refused = run_acnslab(
        &[
            "exercise",
            "start",
            &file.to_string_lossy(),
            "--state-dir",
            &state.to_string_lossy(),
            "--listen",
            "0.0.0.0",
            "--detach",
        ],
        Duration::from_secs(30),
    );
    assert_eq!(refused.code(), 1, "{}", refused.describe());
    assert!(
        refused
            .stderr
            .contains("give the lab's password with --password-file"),
        "{}",
        refused.describe()
    );
    assert!(!state.exists(), "nothing was written");

    let base_port = free_base_port(5);
    let _down = acnslab_tests::DownOnDrop(state.clone());
    let started = run_acnslab(
        &[
            "exercise",
            "start",
            &file.to_string_lossy(),
            "--state-dir",
            &state.to_string_lossy(),
            "--base-port",
            &base_port.to_string(),
            "--boot-seconds",
            "1",
            "--password-file",
            &password_file.to_string_lossy(),
            "--detach",
        ],
        Duration::from_secs(180),
    );
    assert_eq!(started.code(), 0, "{}", started.describe());
    for says in [
        "Exercise: Recover the primary CDM's database from a backup",
        "lab running in the background",
        "Log in with admin and the lab's password.",
    ] {
        assert!(
            started.stdout.contains(says),
            "{says}\n{}",
            started.describe()
        );
    }
    let log = std::fs::read_to_string(state.join("lab.log")).unwrap_or_default();
    for text in [&started.stdout, &started.stderr, &log] {
        assert!(!text.contains(password), "the password was shown:\n{text}");
    }

    // the grade over HTTP, on the health port lab.json names: what `exercise check` reports
    let info: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(state.join("lab.json")).expect("lab.json"))
            .expect("JSON");
    let health: std::net::SocketAddr = info["health"]
        .as_str()
        .expect("a health port")
        .parse()
        .expect("host:port");
    let (status, body) =
        acnslab_tests::http_get(health, &health.to_string(), "/exercise", None).expect("GET");
    assert_eq!(status, 200, "{body}");
    let grade: acnslab::exercise::Grade = serde_json::from_str(&body).expect("a grade");
    assert_eq!(
        grade.exercise,
        "Recover the primary CDM's database from a backup"
    );
    let first = &grade.goals[0];
    assert_eq!(first.goal, "device group edge is back on the primary CDM");
    assert!(!first.met, "{body}");
    assert!(
        first
            .hint
            .as_deref()
            .is_some_and(|h| h.contains("cms database restore")),
        "{body}"
    );
    let check = run_acnslab(
        &["exercise", "check", "--state-dir", &state.to_string_lossy()],
        Duration::from_secs(30),
    );
    assert_eq!(check.code(), 1, "{}", check.describe());
    assert!(
        check.stdout.contains(&grade.render()),
        "{}\n{body}",
        check.describe()
    );
    let (status, _) =
        acnslab_tests::http_get(health, &health.to_string(), "/healthz", None).expect("GET");
    assert_eq!(status, 200);

    // the password is every device's; the default login is not
    let ce1 = base_port + 2;
    let version = acnslab_tests::ssh_exec_at("127.0.0.1", ce1, password, "show version");
    assert_eq!(version.code(), 0, "{}", version.describe());
    let default = acnslab_tests::ssh_exec_at("127.0.0.1", ce1, "default", "show version");
    assert_ne!(default.code(), 0, "{}", default.describe());

    let down = run_acnslab(
        &["down", "--state-dir", &state.to_string_lossy()],
        Duration::from_secs(60),
    );
    assert_eq!(down.code(), 0, "{}", down.describe());
    assert!(acnslab_tests::http_get(health, "x", "/exercise", None).is_err());
}
