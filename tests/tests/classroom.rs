//! A classroom on one host end to end: `acnslab classroom up --trainees 3` starts three labs of an
//! exercise, each a process of its own with its own ports and generated password (in
//! `classroom.json`, 0600, and nowhere on the screen), and the teacher's page; in a real browser
//! (headless Chromium driven by Selenium) the page shows one trainee's goal met, live, once that
//! trainee has solved it over SSH, and the others' not; `classroom status` and `down` follow it.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use acnslab_tests::{
    browser, client_python, free_classroom_base, run_acnslab, target_dir, Terminal,
};

fn exercise(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../scenarios/exercises")
        .join(name)
}

/// Runs `acnslab classroom down` on a folder when dropped (the class outlives the test otherwise).
struct Down(PathBuf);

impl Drop for Down {
    fn drop(&mut self) {
        let _ = run_acnslab(
            &["classroom", "down", "--dir", &self.0.to_string_lossy()],
            Duration::from_secs(120),
        );
    }
}

#[test]
fn the_teacher_page_shows_the_goal_one_trainee_solved_over_ssh() {
    let (chromium, chromedriver) = browser();
    let python = client_python();
    let temp = tempfile::tempdir().expect("temp dir");
    let dir = temp.path().join("class");
    let base = free_classroom_base(3);
    let _down = Down(dir.clone());
    let up = run_acnslab(
        &[
            "classroom",
            "up",
            "--trainees",
            "3",
            "--exercise",
            &exercise("03-recover-cdm-from-backup.yaml").to_string_lossy(),
            "--dir",
            &dir.to_string_lossy(),
            "--base-port",
            &base.to_string(),
            "--boot-seconds",
            "1",
        ],
        Duration::from_secs(300),
    );
    assert_eq!(up.code(), 0, "{}", up.describe());

    // classroom.json: each trainee's folder, ports and a password of its own, for the teacher only
    let roster_path = dir.join("classroom.json");
    let mode = {
        use std::os::unix::fs::PermissionsExt;
        std::fs::metadata(&roster_path)
            .expect("classroom.json")
            .permissions()
            .mode()
            & 0o777
    };
    assert_eq!(mode, 0o600);
    let roster: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&roster_path).expect("read")).expect("JSON");
    let trainees = roster["trainees"].as_array().expect("trainees");
    assert_eq!(trainees.len(), 3, "{roster:#}");
    let passwords: Vec<&str> = trainees
        .iter()
        .map(|t| t["password"].as_str().expect("a password"))
        .collect();
    assert!(
        passwords[0] != passwords[1]
            && passwords[1] != passwords[2]
            && passwords[0] != passwords[2]
    );
    for (k, t) in trainees.iter().enumerate() {
        assert_eq!(t["trainee"], format!("trainee{}", k + 1));
        assert_eq!(
            t["state_dir"],
            dir.join(format!("trainee{}", k + 1))
                .to_string_lossy()
                .as_ref()
        );
        assert_eq!(t["error"], serde_json::Value::Null, "{t:#}");
        assert_eq!(
            t["ssh"]["cdm1"],
            format!("127.0.0.1:{}", u32::from(base) + 400 * k as u32),
            "{t:#}"
        );
    }
    // the table names the labs and the page; no password is shown, nor logged
    for t in [
        "trainee1",
        "trainee2",
        "trainee3",
        "teacher's page: http://127.0.0.1:",
    ] {
        assert!(up.stdout.contains(t), "{t}\n{}", up.describe());
    }
    for k in 1..=3 {
        let log =
            std::fs::read_to_string(dir.join(format!("trainee{k}/lab.log"))).unwrap_or_default();
        let teacher_log = std::fs::read_to_string(dir.join("teacher.log")).unwrap_or_default();
        for p in &passwords {
            for text in [&up.stdout, &up.stderr, &log, &teacher_log] {
                assert!(!text.contains(p), "a password was shown:\n{text}");
            }
        }
    }
    let status = run_acnslab(
        &["classroom", "status", "--dir", &dir.to_string_lossy()],
        Duration::from_secs(60),
    );
    assert_eq!(status.code(), 0, "{}", status.describe());
    assert!(
        status.stdout.contains("3 of 3 lab(s) running"),
        "{}",
        status.describe()
    );

    // the page, in a browser that stays on it while trainee2 works
    let page = roster["teacher"]
        .as_str()
        .expect("the page's URL")
        .to_string();
    let screenshot = target_dir().join("classroom-teacher-page.png");
    let mut client = Command::new(&python)
        .arg(Path::new(env!("CARGO_MANIFEST_DIR")).join("clients/teacher_page.py"))
        .args([
            page.as_str(),
            &chromium.to_string_lossy(),
            &chromedriver.to_string_lossy(),
            "trainee2",
            "1",
            &screenshot.to_string_lossy(),
        ])
        .env("PYTHONUNBUFFERED", "1")
        .env("PYTHONDONTWRITEBYTECODE", "1")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start teacher_page.py");
    let (lines, received) = mpsc::channel();
    let stdout = client.stdout.take().expect("piped");
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            if lines.send(line).is_err() {
                return;
            }
        }
    });
    let stderr = client.stderr.take().expect("piped");
    let errors = std::thread::spawn(move || std::io::read_to_string(stderr).unwrap_or_default());
    let loaded = received.recv_timeout(Duration::from_secs(120));
    if loaded.as_deref() != Ok("page loaded") {
        let _ = client.kill();
        panic!(
            "the page did not load: {loaded:?}\n{}",
            errors.join().unwrap_or_default()
        );
    }

    // trainee2 brings device group edge back from the backup, over SSH with its own password
    let trainee2 = &trainees[1];
    let port: u16 = trainee2["ssh"]["cdm1"]
        .as_str()
        .and_then(|a| a.rsplit_once(':'))
        .and_then(|(_, p)| p.parse().ok())
        .expect("trainee2's cdm1 port");
    let mut cdm1 = Terminal::open_with_password(port, passwords[1], "cdm1#");
    let listing = cdm1.run("dir", "cdm1#");
    let dump = listing
        .split_whitespace()
        .find(|w| w.starts_with("acns-db-") && w.ends_with(".dump"))
        .unwrap_or_else(|| panic!("no backup in dir:\n{listing}"))
        .to_string();
    cdm1.run("configure terminal", "cdm1(config)#");
    cdm1.run("no cms enable", "cdm1(config)#");
    cdm1.run("end", "cdm1#");
    cdm1.run("cms database delete", "Proceed?[no]:");
    cdm1.run("yes", "cdm1#");
    let restored = cdm1.run(&format!("cms database restore {dump}"), "cdm1#");
    assert!(
        restored.contains("CMS database restored from"),
        "{restored}"
    );

    let mut last = None;
    while let Ok(line) = received.recv_timeout(Duration::from_secs(200)) {
        last = Some(line);
    }
    let status = client.wait().expect("wait for the browser client");
    let errors = errors.join().unwrap_or_default();
    assert!(
        status.success(),
        "teacher_page.py failed ({status})\n{errors}"
    );
    let result: serde_json::Value = serde_json::from_str(last.as_deref().unwrap_or_default())
        .unwrap_or_else(|e| panic!("no JSON from teacher_page.py ({e}): {last:?}\n{errors}"));
    assert_eq!(
        result["title"],
        "Classroom: Recover the primary CDM's database from a backup"
    );
    assert_eq!(
        result["goal"],
        "device group edge is back on the primary CDM"
    );
    let not_met = serde_json::json!({
        "trainee1": "not met", "trainee2": "not met", "trainee3": "not met"
    });
    assert_eq!(result["before"], not_met, "{result:#}");
    assert_eq!(
        result["after"],
        serde_json::json!({"trainee1": "not met", "trainee2": "met", "trainee3": "not met"}),
        "{result:#}"
    );
    assert_eq!(
        result["same_page"], true,
        "the page followed without a reload"
    );

    // down stops the page and every lab; status says so
    let down = run_acnslab(
        &["classroom", "down", "--dir", &dir.to_string_lossy()],
        Duration::from_secs(120),
    );
    assert_eq!(down.code(), 0, "{}", down.describe());
    assert!(
        down.stdout.contains("teacher's page stopped"),
        "{}",
        down.describe()
    );
    assert_eq!(
        down.stdout.matches("lab stopped in").count(),
        3,
        "{}",
        down.describe()
    );
    let status = run_acnslab(
        &[
            "classroom",
            "status",
            "--dir",
            &dir.to_string_lossy(),
            "--json",
        ],
        Duration::from_secs(60),
    );
    assert_eq!(status.code(), 1, "{}", status.describe());
    let now: serde_json::Value = serde_json::from_str(&status.stdout).expect("JSON");
    assert_eq!(now["teacher"]["running"], false);
    assert!(now["trainees"]
        .as_array()
        .expect("trainees")
        .iter()
        .all(|t| t["running"] == false));
    assert!(
        !status.stdout.contains(passwords[0]),
        "status shows no password"
    );
}

#[test]
fn a_classroom_that_cannot_be_laid_out_is_refused_before_anything_is_written() {
    let temp = tempfile::tempdir().expect("temp dir");
    let dir = temp.path().join("class");
    let file = exercise("01-upgrade-ce-group.yaml");
    for (args, says) in [
        (vec!["--trainees", "0"], "--trainees: from 1 to 200, got 0"),
        (
            vec!["--trainees", "90", "--base-port", "2201"],
            "at most 76 trainees from this base",
        ),
        (
            vec![
                "--trainees",
                "2",
                "--base-port",
                "2201",
                "--teacher-port",
                "2650",
            ],
            "--teacher-port 2650: in the ports of trainee2's lab (2601 to 3000)",
        ),
    ] {
        let mut all = vec![
            "classroom",
            "up",
            "--exercise",
            file.to_str().expect("utf-8"),
            "--dir",
            dir.to_str().expect("utf-8"),
        ];
        all.extend(args);
        let out = run_acnslab(&all, Duration::from_secs(60));
        assert_eq!(out.code(), 1, "{}", out.describe());
        assert!(out.stderr.contains(says), "{says}\n{}", out.describe());
        assert!(!dir.exists(), "nothing was written");
    }
    // a folder that is not a classroom's is never taken over
    std::fs::create_dir_all(&dir).expect("mkdir");
    std::fs::write(dir.join("notes.txt"), "mine").expect("write");
    let out = run_acnslab(
        &[
            "classroom",
            "up",
            "--trainees",
            "1",
            "--exercise",
            &file.to_string_lossy(),
            "--dir",
            &dir.to_string_lossy(),
            "--restart",
        ],
        Duration::from_secs(60),
    );
    assert_eq!(out.code(), 1, "{}", out.describe());
    assert!(
        out.stderr.contains("not a classroom's folder"),
        "{}",
        out.describe()
    );
    assert!(dir.join("notes.txt").exists());
    // no classroom there to show or stop
    for verb in ["status", "down"] {
        let out = run_acnslab(
            &["classroom", verb, "--dir", &dir.to_string_lossy()],
            Duration::from_secs(60),
        );
        assert_eq!(out.code(), 1, "{}", out.describe());
        assert!(out.stderr.contains("no classroom in"), "{}", out.describe());
    }
}
