//! `acnslab bench` end to end, small: the binary starts a lab of a few devices, its client
//! processes log in over real SSH (the library's `ssh_client`), run `show version`, and the JSON
//! figures count every session and command with no error.

use std::process::Command;

#[test]
fn a_small_bench_runs_every_session_and_command_without_errors() {
    let dir = tempfile::tempdir().unwrap();
    let json = dir.path().join("bench.json");
    // Fixed ports are what bench needs; spread by process id so parallel runs rarely meet.
    let base_port = 23_000 + (std::process::id() % 4_000) as u16;
    let output = Command::new(env!("CARGO_BIN_EXE_acnslab"))
        .args([
            "bench",
            "--devices",
            "4",
            "--sessions",
            "5",
            "--concurrency",
            "3",
        ])
        .args(["--commands", "4", "--max-seconds", "60", "--base-port"])
        .arg(base_port.to_string())
        .arg("--json")
        .arg(&json)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "bench failed:\n{stdout}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let report: serde_json::Value = serde_json::from_slice(&std::fs::read(&json).unwrap()).unwrap();
    let sequential = &report["sequential"]["client"];
    assert_eq!(sequential["sessions_ok"], 5, "{sequential}");
    assert_eq!(sequential["commands_ok"], 5, "{sequential}");
    assert_eq!(sequential["errors"], serde_json::json!({}), "{sequential}");
    let concurrent = &report["concurrent"]["client"];
    assert_eq!(concurrent["sessions_ok"], 3, "{concurrent}");
    assert_eq!(concurrent["commands_ok"], 12, "{concurrent}");
    assert_eq!(concurrent["errors"], serde_json::json!({}), "{concurrent}");
    assert_eq!(report["devices"], 4);
    assert!(report["resume"]["wall_s"].as_f64().is_some(), "{report}");
    assert!(stdout.contains("errors"), "{stdout}");
}
