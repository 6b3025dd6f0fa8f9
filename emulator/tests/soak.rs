//! `acnslab soak` end to end, tiny: the binary starts a lab (`acnslab up` as its child, on free
//! ports), holds 20 logged-in sessions for 12 s with a row every 3 s, and reports the lab's RSS in
//! every row, commands in every row, no error and no session dropped; the lab is gone afterwards.

use std::process::Command;

#[test]
fn a_tiny_soak_holds_every_session_and_reports_the_labs_memory_without_errors() {
    let dir = tempfile::tempdir().unwrap();
    let json = dir.path().join("soak.json");
    let state = dir.path().join("lab");
    let output = Command::new(env!("CARGO_BIN_EXE_acnslab"))
        .args([
            "soak",
            "--sessions",
            "20",
            "--minutes",
            "0.2",
            "--interval",
            "3",
        ])
        .args(["--devices", "4", "--think-seconds", "1", "--state-dir"])
        .arg(&state)
        .arg("--json")
        .arg(&json)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "soak failed:\n{stdout}\n{stderr}");
    // The rows: a header, then lines that end with RSS, lab CPU and soak CPU.
    let rows: Vec<&str> = stdout
        .lines()
        .skip_while(|l| !l.contains("lab RSS MB"))
        .skip(1)
        .take_while(|l| l.trim_start().starts_with(|c: char| c.is_ascii_digit()))
        .collect();
    assert!(rows.len() >= 4, "{stdout}");
    for row in &rows {
        let rss: f64 = row.split_whitespace().nth_back(2).unwrap().parse().unwrap();
        assert!(rss > 0.0, "{row}");
    }
    assert!(stdout.contains("verdict   pass"), "{stdout}");

    let report: serde_json::Value = serde_json::from_slice(&std::fs::read(&json).unwrap()).unwrap();
    let summary = &report["summary"];
    assert_eq!(summary["opened"], 20, "{summary}");
    assert_eq!(summary["dropped"], 0, "{summary}");
    let errors = summary["errors"].as_object().unwrap();
    assert!(errors.values().all(|n| n == 0), "{summary}");
    // 20 sessions, one command a second each, for 12 s.
    assert!(summary["commands"].as_u64().unwrap() >= 100, "{summary}");
    assert!(summary["lab_rss_mb"]["after_close"].as_f64().unwrap() > 0.0);
    let intervals = report["intervals"].as_array().unwrap();
    assert_eq!(intervals.len(), rows.len());
    for (i, row) in intervals.iter().enumerate() {
        assert!(row["lab_rss_mb"].as_f64().unwrap() > 0.0, "{row}");
        assert_eq!(row["open"], 20, "{row}");
        // The last row may cover a fraction of a second (the hold ends 12 s after the logins).
        if i + 1 < intervals.len() {
            assert!(row["commands"].as_u64().unwrap() > 0, "{row}");
        }
    }
    // The lab was stopped; a given state directory is kept.
    let pid = report["settings"]["lab_pid"].as_u64().unwrap();
    assert!(!std::path::Path::new(&format!("/proc/{pid}")).exists());
    assert!(state.join("lab.json").exists());
}
