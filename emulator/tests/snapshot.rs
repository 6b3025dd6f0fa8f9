//! `Lab::snapshot` (what `acnslab record` writes as the replay's lab, issue 11 item 7): a lab
//! started from the snapshot of another is that lab again: each device's running and pending
//! version, its startup configuration and its unsaved changes.

use std::time::Duration;

use acnslab::lab::{Lab, LabOptions};
use acnslab::release::Version;
use acnslab::topology::Topology;

use crate::util::{admin_session, default_lab, CliMode};

fn type_lines(lab: &Lab, device: &str, lines: &[&str]) -> String {
    let mut session = admin_session(lab, device, CliMode::PrivilegedExec);
    lines
        .iter()
        .map(|l| session.execute(l).text)
        .collect::<Vec<_>>()
        .concat()
}

/// What a device is, for comparing two labs: versions and both configurations.
fn facts(lab: &Lab, device: &str) -> (Version, Option<Version>, String, String) {
    let node = lab.node(device).unwrap();
    let state = node.device().state();
    (
        state.version,
        state.pending_version,
        state.startup.render(state.version),
        state.running.render(state.version),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_lab_started_from_a_snapshot_is_the_same_lab() {
    let tmp = tempfile::tempdir().unwrap();
    let lab = default_lab(&tmp.path().join("first")).await;
    // a fresh lab is its topology: nothing to carry
    let fresh = lab.snapshot();
    let mut default = Topology::default_lab();
    default.lab.base_port = 0;
    assert_eq!(fresh, default, "{fresh:#?}");

    // ce1: renamed and saved, then upgraded (an install left pending, a reload)
    type_lines(
        &lab,
        "ce1",
        &[
            "configure terminal",
            "hostname edge1",
            "end",
            "write memory",
        ],
    );
    let v521 = Version::new(5, 2, 1);
    lab.node("ce1").unwrap().device().state().pending_version = Some(v521);
    lab.node("ce1").unwrap().reload();
    lab.advance(Duration::from_secs(10));
    // ce2: an install waiting for a reload, and a change not saved
    lab.node("ce2").unwrap().device().state().pending_version = Some(v521);
    type_lines(
        &lab,
        "ce2",
        &["configure terminal", "ntp server 10.1.1.100", "end"],
    );

    let snapshot = lab.snapshot();
    let spec = |name: &str| snapshot.devices.iter().find(|d| d.name == name).unwrap();
    assert_eq!(spec("ce1").version, Some(v521));
    assert!(spec("ce1")
        .startup_config
        .as_deref()
        .unwrap()
        .contains("hostname edge1"));
    assert_eq!(spec("ce1").running_config, None);
    assert_eq!(spec("ce2").pending_version, Some(v521));
    assert_eq!(spec("ce2").startup_config, None);
    assert!(spec("ce2")
        .running_config
        .as_deref()
        .unwrap()
        .contains("ntp server 10.1.1.100"));
    for untouched in ["cdm1", "cdm2", "cr1"] {
        let d = spec(untouched);
        assert_eq!(
            (
                &d.version,
                &d.pending_version,
                &d.startup_config,
                &d.running_config
            ),
            (&None, &None, &None, &None),
            "{untouched}"
        );
    }
    // it survives YAML, as record writes it and a scenario reads it
    let text = serde_norway::to_string(&snapshot).unwrap();
    let read = Topology::parse(&text, "snapshot.yaml").unwrap();
    assert_eq!(read, snapshot, "{text}");

    let mut options = LabOptions::new(tmp.path().join("second"));
    options.topology = Some(read);
    options.clock = Some(acnslab::clock::LabClock::virtual_at(lab.clock().now()));
    let again = Lab::start(options).await.unwrap();
    for device in ["cdm1", "cdm2", "ce1", "ce2", "cr1"] {
        assert_eq!(facts(&again, device), facts(&lab, device), "{device}");
    }
    // the unsaved change is unsaved there too, and the pending version waits for a reload
    let mut session = admin_session(&again, "ce2", CliMode::PrivilegedExec);
    session.execute("reload");
    assert!(session.prompt().contains("Save?"), "{}", session.prompt());
    session.execute("no");
    let confirmed = session.execute("");
    assert!(confirmed.text.contains("Reloading"), "{}", confirmed.text);
    // what the edge does with the reply's reload
    again.node("ce2").unwrap().reload();
    again.advance(Duration::from_secs(10));
    assert_eq!(facts(&again, "ce2").0, v521);
    assert!(!facts(&again, "ce2").3.contains("ntp server"));
    again.shutdown().await;
    lab.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_configuration_line_the_cli_refuses_stops_the_start() {
    let tmp = tempfile::tempdir().unwrap();
    let mut topology = Topology::default_lab();
    topology.lab.base_port = 0;
    topology.devices[2].startup_config = Some("hostname edge1\nfrobnicate the widgets\n".into());
    let mut options = LabOptions::new(tmp.path());
    options.topology = Some(topology);
    let e = Lab::start(options).await.err().expect("refused");
    let e = e.to_string();
    assert!(e.starts_with("device ce1: startup_config: line 2: "), "{e}");
}
