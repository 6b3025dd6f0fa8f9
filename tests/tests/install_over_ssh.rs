//! The guide's CLI install over real SSH (procedure 6 on a CE and on the primary CDM): the FTP login
//! questions, the `#` progress, the reboot into the new version, and the automatic `.dump` copied off
//! the box with `copy disk ftp`.

use std::time::Duration;

use acnslab_tests::{ssh_exec, try_connect, wait_for, LabSetup, Terminal, TestLab};

fn install(port: u16, prompt: &str) -> String {
    let mut term = Terminal::open(port, prompt);
    term.send("copy ftp install 10.1.1.100 /images ACNS-5.2.1-K9.bin\r");
    term.expect_end("Enter username for remote ftp server:");
    term.send("ftpuser\r");
    term.expect_end("Enter password for remote ftp server:");
    term.send("ftppass\r");
    let (out, _) = term.wait_closed();
    out
}

#[test]
fn copy_ftp_install_over_ssh_reboots_into_the_new_version_and_the_cdm_backup_leaves_the_box() {
    let lab = TestLab::start_with(LabSetup {
        boot_seconds: Some(1.0),
        ..LabSetup::default()
    });
    let ce = lab.port("ce1");
    let out = install(ce, "ce1#");
    assert!(
        !out.contains("ftppass"),
        "the password is not echoed: {out:?}"
    );
    assert!(
        out.contains("########\r\nFTP download completed."),
        "{out:?}"
    );
    assert!(
        out.contains("Installing software version 5.2.1.\r\n"),
        "{out:?}"
    );
    assert!(wait_for(Duration::from_secs(20), || ssh_exec(
        ce,
        "show version"
    )
    .code()
        == 0));
    let version = ssh_exec(ce, "show version");
    assert!(
        version.stdout.contains("Version: ce565-5.2.1"),
        "{}",
        version.describe()
    );

    // procedure 6 on the primary CDM: CMS off, install, backup written, copied off, CMS on
    let cdm = lab.port("cdm1");
    ssh_exec(cdm, "configure terminal\nno cms enable\nend").assert_success();
    let out = install(cdm, "cdm1#");
    assert!(
        out.contains("Backing up the CMS database before the upgrade: local1/acns-db-"),
        "{out:?}"
    );
    assert!(wait_for(Duration::from_secs(20), || try_connect(cdm)
        .is_ok()
        && ssh_exec(cdm, "show version").code() == 0));
    let dir = ssh_exec(cdm, "dir");
    let dump = dir
        .stdout
        .split_whitespace()
        .find(|w| w.starts_with("acns-db-"))
        .expect("the automatic dump")
        .to_string();
    let copy = ssh_exec(
        cdm,
        &format!("copy disk ftp 10.1.1.100 / {dump} {dump}\nftpuser\nftppass"),
    );
    assert!(
        copy.stdout.contains("upload completed"),
        "{}",
        copy.describe()
    );
    let folder = lab.lab().info().servers[0].folder.clone().unwrap();
    assert!(folder.join(&dump).is_file());
    let on = ssh_exec(
        cdm,
        "configure terminal\ncms enable\nend\nshow cms info\nshow version",
    );
    assert!(
        on.stdout.contains("running") && on.stdout.contains("cdm4650-5.2.1"),
        "{}",
        on.describe()
    );
}

/// `copy ftp disk` over SSH on a lab whose image server sits behind a 16 Mbit/s link: the 8 MB
/// image takes the link's time (about 4.2 s), and the `#` marks come along the way, not at the end.
#[test]
fn copy_ftp_disk_goes_at_the_pace_of_the_link_with_the_marks_along_the_way() {
    let lab = TestLab::start_with(LabSetup {
        rate_kbps: Some(16_000),
        ..LabSetup::default()
    });
    let mut term = Terminal::open(lab.port("ce1"), "ce1#");
    term.send("copy ftp disk 10.1.1.100 /images ACNS-5.2.1-K9.bin paced.bin\r");
    term.expect_end("Enter username for remote ftp server:");
    term.send("ftpuser\r");
    term.expect_end("Enter password for remote ftp server:");
    term.send("ftppass\r");
    let asked = std::time::Instant::now();
    term.expect("#");
    let first_mark = asked.elapsed();
    let rest = term.expect_end("ce1#");
    let done = asked.elapsed();
    assert!(rest.contains("FTP download completed."), "{rest:?}");
    // 8 MiB at 16,000 kbit/s: 4.19 s of link time.
    assert!(
        done >= Duration::from_secs_f64(4.0),
        "the download took {done:?}, the link needs 4.2 s"
    );
    assert!(
        done - first_mark >= Duration::from_secs(2),
        "the first # came {first_mark:?} after the login, the end {done:?}"
    );
    let dir = term.run("dir", "ce1#");
    assert!(dir.contains("paced.bin"), "{dir:?}");
}
