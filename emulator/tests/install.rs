//! Software installs over real FTP/HTTP from the lab's embedded image server, on a virtual clock:
//! the happy paths of the guide (CLI install on a CE, on a CDM with its automatic backup copied off
//! the box) and every failure of spec §5, each of which must leave the device as it was.

use std::time::Duration;

use acnslab::clock::LabClock;
use acnslab::config::DeviceKind;
use acnslab::lab::{Lab, LabOptions};
use acnslab::release::Version;
use acnslab::session::Action;
use acnslab::topology::Topology;
use chrono::TimeZone;

const TOPOLOGY: &str = "lab:
  base_port: 0
  boot_seconds: 30
devices:
  - name: cdm1
    kind: cdm
    ip: 10.1.1.5
  - name: ce1
    kind: ce
    ip: 10.1.1.10
servers:
  - name: images
    ip: 10.1.1.100
    image_mb: 2
";

async fn lab(dir: &std::path::Path) -> Lab {
    let mut options = LabOptions::new(dir);
    options.cdm_http = Some(acnslab::api::service());
    options.topology = Some(Topology::parse(TOPOLOGY, "test").unwrap());
    options.clock = Some(LabClock::virtual_at(
        chrono::Utc.with_ymd_and_hms(2026, 11, 26, 9, 0, 0).unwrap(),
    ));
    Lab::start(options).await.unwrap()
}

/// Types lines on `device`, running long tasks and reloads as an SSH edge would.
async fn cli(lab: &Lab, device: &str, lines: &[&str]) -> String {
    let node = lab.node(device).unwrap();
    let mut session = node.session("admin", 15, "test");
    let mut out = String::new();
    for line in lines {
        let reply = session.execute(line);
        out.push_str(&reply.text);
        out.push_str(&session.prompt());
        match reply.action {
            Action::Run(task) => {
                let mut progress = |t: &str| out.push_str(t);
                let finished = acnslab::tasks::run(
                    task,
                    node.device().clone(),
                    Some(&node.lab().network),
                    &mut progress,
                )
                .await;
                out.push_str(&finished.text);
                if finished.reload {
                    node.reload();
                    break;
                }
            }
            Action::Reload => {
                node.reload();
                break;
            }
            _ => {}
        }
    }
    drop(session);
    lab.settle();
    out
}

fn version(lab: &Lab, device: &str) -> Version {
    lab.node(device).unwrap().device().state().version
}

fn image_folder(lab: &Lab) -> std::path::PathBuf {
    lab.info().servers[0].folder.clone().unwrap().join("images")
}

const FTP_INSTALL: &str = "copy ftp install 10.1.1.100 /images ACNS-5.2.1-K9.bin";

#[tokio::test]
async fn copy_ftp_install_downloads_verifies_and_reboots_into_the_new_version() {
    let dir = tempfile::tempdir().unwrap();
    let lab = lab(dir.path()).await;
    let out = cli(
        &lab,
        "ce1",
        &[
            "configure terminal",
            "no cms enable",
            "end",
            FTP_INSTALL,
            "ftpuser",
            "ftppass",
        ],
    )
    .await;
    assert!(
        out.contains("Enter username for remote ftp server:"),
        "{out}"
    );
    assert!(out.contains("##"), "one # per MB: {out}");
    assert!(out.contains("Installing software version 5.2.1."), "{out}");
    assert_eq!(
        version(&lab, "ce1"),
        Version::new(5, 1, 3),
        "the running version changes only after the reboot"
    );
    lab.advance(Duration::from_secs(31));
    assert_eq!(version(&lab, "ce1"), Version::new(5, 2, 1));
    let state = lab.node("ce1").unwrap().device().state();
    assert!(
        !state.running.cms_enabled,
        "`no cms enable` given before the install holds after it"
    );
    assert!(state.pending_version.is_none());
    let log: Vec<_> = state.log.iter().map(|(_, l)| l.clone()).collect();
    assert!(
        log.iter().any(|l| l.contains("Download completed")),
        "{log:?}"
    );
}

#[tokio::test]
async fn a_cdm_install_backs_up_its_database_which_copy_disk_ftp_takes_off_the_box() {
    let dir = tempfile::tempdir().unwrap();
    let lab = lab(dir.path()).await;
    let out = cli(
        &lab,
        "cdm1",
        &[
            "configure terminal",
            "no cms enable",
            "end",
            FTP_INSTALL,
            "ftpuser",
            "ftppass",
        ],
    )
    .await;
    assert!(
        out.contains(
            "Backing up the CMS database before the upgrade: local1/acns-db-11-26-2026-09-00.dump"
        ),
        "{out}"
    );
    lab.advance(Duration::from_secs(31));
    assert_eq!(version(&lab, "cdm1"), Version::new(5, 2, 1));
    let out = cli(&lab, "cdm1", &["show cms database"]).await;
    assert!(out.contains("schema 5.2"), "migrated on boot: {out}");
    let dump = "acns-db-11-26-2026-09-00.dump";
    let out = cli(
        &lab,
        "cdm1",
        &[
            &format!("copy disk ftp 10.1.1.100 / {dump} {dump}"),
            "ftpuser",
            "ftppass",
        ],
    )
    .await;
    assert!(out.contains("upload completed"), "{out}");
    let uploaded = image_folder(&lab).parent().unwrap().join(dump);
    assert_eq!(
        std::fs::read(&uploaded).unwrap(),
        std::fs::read(lab.node("cdm1").unwrap().device().disk_dir().join(dump)).unwrap()
    );
    let out = cli(
        &lab,
        "cdm1",
        &["configure terminal", "cms enable", "end", "show cms info"],
    )
    .await;
    assert!(out.contains("Service cms_cdm is running"), "{out}");
}

#[tokio::test]
async fn copy_ftp_disk_then_install_from_disk_and_file_commands() {
    let dir = tempfile::tempdir().unwrap();
    let lab = lab(dir.path()).await;
    let out = cli(
        &lab,
        "ce1",
        &[
            "copy ftp disk 10.1.1.100 /images ACNS-5.2.1-K9.bin new.bin",
            "ftpuser",
            "ftppass",
            "dir",
        ],
    )
    .await;
    assert!(out.contains("new.bin"), "{out}");
    let out = cli(
        &lab,
        "ce1",
        &["cpfile new.bin copy.bin", "delfile new.bin", "dir"],
    )
    .await;
    assert!(
        out.contains("copy.bin") && !out.contains(" new.bin"),
        "{out}"
    );
    assert!(cli(&lab, "ce1", &["delfile ../startup-config"])
        .await
        .contains("% Error: only files and directories under /local1 can be named"));
    let out = cli(&lab, "ce1", &["install copy.bin"]).await;
    assert!(out.contains("Installing software version 5.2.1."), "{out}");
    lab.advance(Duration::from_secs(31));
    assert_eq!(version(&lab, "ce1"), Version::new(5, 2, 1));
}

#[tokio::test]
async fn copy_http_install_works_and_refuses_other_ports() {
    let dir = tempfile::tempdir().unwrap();
    let lab = lab(dir.path()).await;
    let out = cli(
        &lab,
        "ce1",
        &["copy http install 10.1.1.100 /images ACNS-5.2.1-K9.bin port 8080"],
    )
    .await;
    assert!(out.contains("% Error: cannot connect"), "{out}");
    let out = cli(
        &lab,
        "ce1",
        &["copy http install 10.1.1.100 /images ACNS-5.2.1-K9.bin"],
    )
    .await;
    assert!(out.contains("HTTP download completed"), "{out}");
    lab.advance(Duration::from_secs(31));
    assert_eq!(version(&lab, "ce1"), Version::new(5, 2, 1));
}

/// Every failure: one `% Error:` line, and the device keeps version, configuration and disk.
#[tokio::test]
async fn failed_installs_change_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let lab = lab(dir.path()).await;
    let folder = image_folder(&lab);
    // a corrupt copy, a truncated copy, a CDM-only image, the running version
    let good = std::fs::read(folder.join("ACNS-5.2.1-K9.bin")).unwrap();
    let mut corrupt = good.clone();
    let last = corrupt.len() - 1;
    corrupt[last] ^= 0xff;
    std::fs::write(folder.join("corrupt.bin"), &corrupt).unwrap();
    std::fs::write(folder.join("short.bin"), &good[..good.len() / 2]).unwrap();
    acnslab::images::write_image(
        &folder.join("cdm-only.bin"),
        Version::new(5, 2, 1),
        &[DeviceKind::Cdm],
        1 << 20,
    )
    .unwrap();
    let cases: &[(&[&str], &str)] = &[
        (
            &[
                "copy ftp install 10.1.1.100 /images missing.bin",
                "ftpuser",
                "ftppass",
            ],
            "file not found",
        ),
        (&[FTP_INSTALL, "ftpuser", "wrong"], "login failed"),
        (
            &[
                "copy ftp install 10.1.1.200 /images x.bin",
                "ftpuser",
                "ftppass",
            ],
            "no FTP/HTTP server at 10.1.1.200",
        ),
        (
            &[
                "copy ftp install 10.1.1.100 /images corrupt.bin",
                "ftpuser",
                "ftppass",
            ],
            "checksum mismatch",
        ),
        (
            &[
                "copy ftp install 10.1.1.100 /images short.bin",
                "ftpuser",
                "ftppass",
            ],
            "invalid software image",
        ),
        (
            &[
                "copy ftp install 10.1.1.100 /images cdm-only.bin",
                "ftpuser",
                "ftppass",
            ],
            "does not support this device type",
        ),
        (
            &[
                "copy ftp install 10.1.1.100 /images ACNS-5.1.3-K9.bin",
                "ftpuser",
                "ftppass",
            ],
            "5.1.3 is already running",
        ),
        (&["install nothing.bin"], "no such file"),
    ];
    let before_config = lab.node("ce1").unwrap().device().state().running.clone();
    for (lines, expected) in cases {
        let out = cli(&lab, "ce1", lines).await;
        assert!(
            out.contains("% Error:") && out.contains(expected),
            "{lines:?}: {out}"
        );
        let state = lab.node("ce1").unwrap().device().state();
        assert_eq!(state.version, Version::new(5, 1, 3), "{lines:?}");
        assert_eq!(state.pending_version, None, "{lines:?}");
        assert_eq!(state.power, acnslab::device::Power::Running, "{lines:?}");
        assert_eq!(state.running, before_config, "{lines:?}");
    }
    // the running version is refused before anything is downloaded
    let out = cli(
        &lab,
        "ce1",
        &[
            "copy ftp install 10.1.1.100 /images ACNS-5.1.3-K9.bin",
            "ftpuser",
            "ftppass",
        ],
    )
    .await;
    assert!(out.contains("5.1.3 is already running"), "{out}");
    assert!(
        !out.contains("Initiating FTP download"),
        "checked first: {out}"
    );
    // server down, then back
    assert!(lab.stop_server("images").await);
    let out = cli(&lab, "ce1", &[FTP_INSTALL, "ftpuser", "ftppass"]).await;
    assert!(out.contains("% Error: cannot connect"), "{out}");
    lab.restart_server("images").await.unwrap();
    let out = cli(&lab, "ce1", &[FTP_INSTALL, "ftpuser", "ftppass"]).await;
    assert!(out.contains("Installing software version 5.2.1."), "{out}");
    // no temporary download is left on the disk (only the system log's syslog.txt is there)
    let leftovers: Vec<_> = std::fs::read_dir(lab.node("ce1").unwrap().device().disk_dir())
        .unwrap()
        .filter_map(Result::ok)
        .filter(|e| e.file_name() != acnslab::syslog_file::NAME)
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
}

#[tokio::test]
async fn downgrade_to_429_needs_the_downgrade_image() {
    let dir = tempfile::tempdir().unwrap();
    let lab = lab(dir.path()).await;
    let folder = image_folder(&lab);
    std::fs::copy(
        folder.join("ACNS-5.x.x-TO-4.2.9-K9.bin"),
        folder.join("plain-4.2.9.bin"),
    )
    .unwrap();
    let out = cli(
        &lab,
        "ce1",
        &[
            "copy ftp install 10.1.1.100 /images plain-4.2.9.bin",
            "ftpuser",
            "ftppass",
        ],
    )
    .await;
    assert!(
        out.contains("needs the ACNS-5.x.x-TO-4.2.9-K9.bin image"),
        "{out}"
    );
    let out = cli(
        &lab,
        "ce1",
        &[
            "copy ftp install 10.1.1.100 /images ACNS-5.x.x-TO-4.2.9-K9.bin",
            "ftpuser",
            "ftppass",
        ],
    )
    .await;
    assert!(out.contains("Installing software version 4.2.9."), "{out}");
    lab.advance(Duration::from_secs(31));
    assert_eq!(version(&lab, "ce1"), Version::new(4, 2, 9));
}

#[tokio::test]
async fn a_download_that_fills_the_disk_changes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let mut options = LabOptions::new(dir.path());
    options.cdm_http = Some(acnslab::api::service());
    let small = TOPOLOGY.replace(
        "    kind: ce\n    ip: 10.1.1.10\n",
        "    kind: ce\n    ip: 10.1.1.10\n    disk_mb: 1\n",
    );
    options.topology = Some(Topology::parse(&small, "test").unwrap());
    options.clock = Some(LabClock::virtual_at(
        chrono::Utc.with_ymd_and_hms(2026, 11, 26, 9, 0, 0).unwrap(),
    ));
    let lab = Lab::start(options).await.unwrap();
    for lines in [
        &[FTP_INSTALL, "ftpuser", "ftppass"][..],
        &[
            "copy ftp disk 10.1.1.100 /images ACNS-5.2.1-K9.bin big.bin",
            "ftpuser",
            "ftppass",
        ][..],
    ] {
        let out = cli(&lab, "ce1", lines).await;
        assert!(
            out.contains("% Error: not enough space on /local/local1"),
            "{out}"
        );
        assert_eq!(version(&lab, "ce1"), Version::new(5, 1, 3));
        assert!(lab
            .node("ce1")
            .unwrap()
            .device()
            .state()
            .pending_version
            .is_none());
        let files = std::fs::read_dir(lab.node("ce1").unwrap().device().disk_dir())
            .unwrap()
            .filter_map(Result::ok)
            .filter(|e| e.file_name() != acnslab::syslog_file::NAME)
            .count();
        assert_eq!(files, 0, "nothing left on the disk but syslog.txt");
    }
}

#[tokio::test]
async fn a_lab_killed_mid_download_comes_back_unchanged() {
    let dir = tempfile::tempdir().unwrap();
    {
        let lab = lab(dir.path()).await;
        // what a download cut short by a killed process leaves: partial files, nothing installed
        let disk = lab.node("ce1").unwrap().device().disk_dir();
        std::fs::write(disk.join(".download-4242"), b"partial image").unwrap();
        std::fs::write(disk.join(".preposition-7"), b"partial image").unwrap();
        std::fs::write(disk.join("new.bin.tmp"), b"partial copy").unwrap();
        std::fs::write(disk.join("kept.txt"), b"a user file").unwrap();
        lab.shutdown().await;
    }
    let lab = lab(dir.path()).await;
    let disk = lab.node("ce1").unwrap().device().disk_dir();
    let mut left: Vec<String> = std::fs::read_dir(&disk)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    left.sort();
    assert_eq!(left, ["kept.txt", acnslab::syslog_file::NAME]);
    let state = lab.node("ce1").unwrap().device().state();
    assert_eq!(
        (state.version, state.pending_version),
        (Version::new(5, 1, 3), None)
    );
}
