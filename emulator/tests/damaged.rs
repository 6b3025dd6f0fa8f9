//! Issue 15 item 9: damaged state is reported at start (docs/topology.md, "Damaged state"). What
//! would make the lab wrong (no topology beside existing devices, a host key the lab cannot use)
//! refuses the start, naming the file and the way out; what a device can start without (its
//! versions file, an empty startup-config) is a warning naming the file, in the log and the
//! device's system log.

use std::path::Path;

use acnslab::clock::LabClock;
use acnslab::lab::{Lab, LabError, LabOptions};
use chrono::TimeZone;

async fn start(dir: &Path) -> Result<Lab, LabError> {
    let mut options = LabOptions::new(dir);
    options.base_port = Some(0);
    options.clock = Some(LabClock::virtual_at(
        chrono::Utc
            .with_ymd_and_hms(2026, 11, 25, 10, 35, 47)
            .unwrap(),
    ));
    Lab::start(options).await
}

fn log_of(lab: &Lab, device: &str) -> Vec<String> {
    let state = lab.node(device).unwrap().device().state();
    state.log.iter().map(|(_, line)| line.clone()).collect()
}

#[tokio::test]
async fn a_missing_topology_beside_existing_devices_is_an_error_not_a_default_lab() {
    let tmp = tempfile::tempdir().unwrap();
    start(tmp.path()).await.unwrap().shutdown().await;
    std::fs::remove_file(tmp.path().join("topology.yaml")).unwrap();
    let e = start(tmp.path()).await.err().unwrap().to_string();
    assert!(e.contains("has devices/ but no topology.yaml"), "{e}");
    assert!(e.contains("--topology FILE"), "{e}");
    assert!(
        !tmp.path().join("topology.yaml").exists(),
        "nothing written"
    );
}

#[tokio::test]
async fn a_host_key_the_lab_cannot_use_refuses_the_start_with_the_file_and_the_way_out() {
    let tmp = tempfile::tempdir().unwrap();
    start(tmp.path()).await.unwrap().shutdown().await;
    let key = tmp.path().join("devices/ce1/ssh_host_ed25519_key");
    std::fs::remove_file(&key).unwrap();
    let made = std::process::Command::new("ssh-keygen")
        .args(["-q", "-t", "ed25519", "-N", "secret", "-f"])
        .arg(&key)
        .status()
        .unwrap();
    assert!(made.success());
    let e = start(tmp.path()).await.err().unwrap().to_string();
    assert!(e.contains(&key.display().to_string()), "{e}");
    assert!(e.contains("passphrase"), "{e}");
    assert!(e.contains("Remove the file"), "{e}");

    std::fs::write(&key, "-----BEGIN OPENSSH PRIVATE KEY-----\ngarbage\n").unwrap();
    let e = start(tmp.path()).await.err().unwrap().to_string();
    assert!(
        e.contains("ssh_host_ed25519_key: the device's SSH host key cannot be used"),
        "{e}"
    );

    // the way out works
    std::fs::remove_file(&key).unwrap();
    start(tmp.path()).await.unwrap().shutdown().await;
}

#[tokio::test]
async fn a_missing_versions_file_and_an_empty_startup_config_are_warnings_naming_the_file() {
    let tmp = tempfile::tempdir().unwrap();
    start(tmp.path()).await.unwrap().shutdown().await;
    let versions = tmp.path().join("devices/ce1/device.json");
    let startup = tmp.path().join("devices/ce2/startup-config");
    std::fs::remove_file(&versions).unwrap();
    std::fs::write(&startup, "").unwrap();
    let lab = start(tmp.path()).await.unwrap();
    let ce1 = log_of(&lab, "ce1");
    assert!(
        ce1.iter().any(|l| l.contains("versions file is missing")
            && l.contains("5.1.3")
            && l.contains(&versions.display().to_string())),
        "{ce1:?}"
    );
    let ce2 = log_of(&lab, "ce2");
    assert!(
        ce2.iter()
            .any(|l| l.contains("startup configuration is empty")
                && l.contains(&startup.display().to_string())),
        "{ce2:?}"
    );
    // the others say nothing of the kind
    assert!(!log_of(&lab, "cdm1").iter().any(|l| l.contains("% Warning")));
    lab.shutdown().await;
}
