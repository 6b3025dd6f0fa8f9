//! OpenSSH against the lab: exec channels (output and exit status) and an interactive `ssh -tt`
//! session fed through a pipe.

use acnslab_tests::{ssh_exec, Terminal, TestLab, CE1_VERSION_LINE};

#[test]
fn exec_show_version_succeeds() {
    let lab = TestLab::start();
    let run = ssh_exec(lab.port("ce1"), "show version");
    assert_eq!(run.code(), 0, "{}", run.describe());
    assert!(
        run.stdout.contains(CE1_VERSION_LINE),
        "no {CE1_VERSION_LINE:?} in\n{}",
        run.describe()
    );
    assert!(
        run.stdout
            .contains("Application and Content Networking System Software (ACNS)"),
        "{}",
        run.describe()
    );
    // An exec channel has no prompt and no echo.
    assert!(!run.stdout.contains("ce1#"), "{}", run.describe());
}

/// `ssh ce1 'show running-config | include ^hostname'`, as a script greps a device: only the
/// matching line comes back; a modifier that is not one is a CLI error (exit status 1).
#[test]
fn exec_with_an_output_modifier_returns_the_matching_lines() {
    let lab = TestLab::start();
    let run = ssh_exec(lab.port("ce1"), "show running-config | include ^hostname");
    assert_eq!(run.code(), 0, "{}", run.describe());
    assert_eq!(run.stdout.trim_end(), "hostname ce1", "{}", run.describe());
    let run = ssh_exec(lab.port("ce1"), "show running-config | grep hostname");
    assert_eq!(run.code(), 1, "{}", run.describe());
    assert!(
        run.stdout
            .contains("% Invalid input detected at '^' marker."),
        "{}",
        run.describe()
    );
}

#[test]
fn exec_cli_error_exits_with_status_1() {
    let lab = TestLab::start();
    let port = lab.port("ce2");
    let invalid = ssh_exec(port, "show bogus");
    assert_eq!(invalid.code(), 1, "{}", invalid.describe());
    assert!(
        invalid
            .stdout
            .contains("% Invalid input detected at '^' marker."),
        "{}",
        invalid.describe()
    );
    let incomplete = ssh_exec(port, "show");
    assert_eq!(incomplete.code(), 1, "{}", incomplete.describe());
    assert!(
        incomplete.stdout.contains("% Incomplete command."),
        "{}",
        incomplete.describe()
    );
    // Several commands in one exec request: one failure makes the whole request fail.
    let mixed = ssh_exec(port, "show version\nshow bogus");
    assert_eq!(mixed.code(), 1, "{}", mixed.describe());
    assert!(
        mixed.stdout.contains("Version: ce565-"),
        "{}",
        mixed.describe()
    );
}

#[test]
fn exec_runs_configuration_in_one_request() {
    let lab = TestLab::start();
    let port = lab.port("cr1");
    let run = ssh_exec(
        port,
        "configure terminal\nhostname router-9\nend\nwrite memory",
    );
    assert_eq!(run.code(), 0, "{}", run.describe());
    assert!(run.stdout.contains("[OK]"), "{}", run.describe());
    let startup = ssh_exec(port, "show startup-config");
    assert_eq!(startup.code(), 0, "{}", startup.describe());
    assert!(
        startup.stdout.contains("hostname router-9"),
        "{}",
        startup.describe()
    );
}

#[test]
fn wrong_password_is_refused() {
    let lab = TestLab::start();
    // Same ssh invocation, but the askpass program gives a wrong password.
    let dir = tempfile::tempdir().unwrap();
    let askpass = dir.path().join("wrong.sh");
    std::fs::write(&askpass, "#!/bin/sh\necho wrong\n").unwrap();
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&askpass, std::fs::Permissions::from_mode(0o755)).unwrap();
    }
    let run = acnslab_tests::run_with_timeout(
        acnslab_tests::ssh_command(lab.port("ce1"))
            .env("SSH_ASKPASS", &askpass)
            .arg("admin@127.0.0.1")
            .arg("show version"),
        None,
        acnslab_tests::CLIENT_TIMEOUT,
    );
    assert_eq!(run.code(), 255, "{}", run.describe());
    assert!(!run.stdout.contains("Version:"), "{}", run.describe());
}

/// A typo is not the end of a login: OpenSSH asks again (three times by default) and the second,
/// right, password gets in, as on a real device.
#[test]
fn a_wrong_password_can_be_typed_again() {
    let lab = TestLab::start();
    let dir = tempfile::tempdir().unwrap();
    let askpass = dir.path().join("typo-then-right.sh");
    let count = dir.path().join("asked");
    std::fs::write(
        &askpass,
        format!(
            "#!/bin/sh\nif [ -e {0} ]; then echo default; else touch {0}; echo wrong; fi\n",
            count.display()
        ),
    )
    .unwrap();
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&askpass, std::fs::Permissions::from_mode(0o755)).unwrap();
    }
    // the password method alone, asked up to three times (ssh_command allows one)
    let run = acnslab_tests::run_with_timeout(
        std::process::Command::new("ssh")
            .env("SSH_ASKPASS", &askpass)
            .env("SSH_ASKPASS_REQUIRE", "force")
            .env("DISPLAY", ":0")
            .args(["-F", "/dev/null", "-p", &lab.port("ce1").to_string()])
            .args([
                "-o",
                "StrictHostKeyChecking=no",
                "-o",
                "UserKnownHostsFile=/dev/null",
            ])
            .args(["-o", "LogLevel=ERROR", "-o", "PubkeyAuthentication=no"])
            .args(["-o", "PreferredAuthentications=password"])
            .args(["-o", "NumberOfPasswordPrompts=3", "-o", "ConnectTimeout=10"])
            .arg("admin@127.0.0.1")
            .arg("show version"),
        None,
        acnslab_tests::CLIENT_TIMEOUT,
    );
    assert_eq!(run.code(), 0, "{}", run.describe());
    assert!(run.stdout.contains(CE1_VERSION_LINE), "{}", run.describe());
}

#[test]
fn interactive_tty_session() {
    let lab = TestLab::start();
    let mut term = Terminal::spawn(lab.port("ce1"));
    // The prompt comes as soon as the shell opens, with nothing after it.
    let banner = term.expect_end("ce1#");
    assert!(!banner.contains('\x1b'), "ANSI escape in {banner:?}");

    let out = term.run("terminal length 0", "ce1#");
    assert_eq!(out, "terminal length 0\r\nce1#", "echo, Enter, prompt");

    let out = term.run("show version", "ce1#");
    assert!(out.starts_with("show version\r\n"), "{out:?}");
    assert!(out.contains(CE1_VERSION_LINE), "{out:?}");
    // Every output line ends with \r\n.
    let body = &out["show version\r\n".len()..out.len() - "ce1#".len()];
    assert!(body.ends_with("\r\n"), "{body:?}");
    assert!(
        !body.replace("\r\n", "").contains('\n'),
        "bare \\n in {body:?}"
    );

    let out = term.run("configure terminal", "ce1(config)#");
    assert_eq!(out, "configure terminal\r\nce1(config)#");
    term.run("end", "ce1#");

    term.send("exit\r");
    let (rest, status) = term.wait_closed();
    assert!(rest.starts_with("exit\r\n"), "{rest:?}");
    let status = status.expect("ssh exited");
    assert_eq!(
        status.code(),
        Some(0),
        "exit status of the session\n{}",
        term.describe()
    );
}

/// The lab network over OpenSSH on a real clock: `ping` from ce1 to the image server answers a
/// second at a time; `shutdown` on ce1's interface stops pings, downloads and its registration
/// (Offline on the CDM, its polls a second apart here); `no shutdown` brings all of it back.
#[test]
fn ping_works_until_the_interface_is_shut_and_again_after_no_shutdown() {
    let mut topology = acnslab::topology::Topology::default_lab();
    topology.lab.poll_seconds = 1.0;
    let lab = TestLab::start_with(acnslab_tests::LabSetup {
        topology: Some(topology),
        ..Default::default()
    });
    let mut term = Terminal::spawn(lab.port("ce1"));
    term.expect_end("ce1#");
    term.run("terminal length 0", "ce1#");
    term.send("ping count 3 images\r");
    let started = std::time::Instant::now();
    let first = term.expect("icmp_seq=1 ");
    assert!(!first.contains("statistics"), "{first:?}");
    let rest = term.expect_end("ce1#");
    assert!(
        started.elapsed() >= std::time::Duration::from_secs(2),
        "three probes a second apart"
    );
    assert!(
        rest.contains("3 packets transmitted, 3 packets received, 0% packet loss"),
        "{rest:?}"
    );

    for line in [
        "configure terminal",
        "interface GigabitEthernet 1/0",
        "shutdown",
        "end",
    ] {
        term.send(&format!("{line}\r"));
    }
    term.expect_end("ce1#");
    let out = term.run("ping images", "ce1#");
    assert!(out.contains("connect: Network is unreachable"), "{out:?}");
    term.send("copy ftp disk images /images ACNS-5.2.1-K9.bin x.bin\r");
    term.expect("username");
    term.send("ftpuser\r");
    term.expect("password");
    term.send("ftppass\r");
    let out = term.expect_end("ce1#");
    assert!(out.contains("network is unreachable"), "{out:?}");
    let offline = acnslab_tests::wait_for(std::time::Duration::from_secs(30), || {
        ssh_exec(lab.port("cdm1"), "show cms devices | include ^ce1 ")
            .stdout
            .contains("Offline")
    });
    assert!(offline, "ce1 never went Offline on cdm1");

    for line in [
        "configure terminal",
        "interface GigabitEthernet 1/0",
        "no shutdown",
        "end",
    ] {
        term.send(&format!("{line}\r"));
    }
    term.expect_end("ce1#");
    let out = term.run("ping count 1 images", "ce1#");
    assert!(
        out.contains("1 packets received, 0% packet loss"),
        "{out:?}"
    );
    let online = acnslab_tests::wait_for(std::time::Duration::from_secs(30), || {
        ssh_exec(lab.port("cdm1"), "show cms devices | include ^ce1 ")
            .stdout
            .contains("Online")
    });
    assert!(online, "ce1 never came back Online on cdm1");
}

/// Ctrl-C stops a long command, as on a terminal: a 100-probe `ping` ends at the interrupt with
/// `^C` and the prompt, and the session goes on.
#[test]
fn ctrl_c_interrupts_a_long_ping() {
    let lab = TestLab::start();
    let mut term = Terminal::spawn(lab.port("ce1"));
    term.expect_end("ce1#");
    term.send("ping count 100 images\r");
    term.expect("icmp_seq=1 ");
    term.send("\x03");
    let rest = term.expect_end("ce1#");
    assert!(rest.contains("^C"), "{rest:?}");
    assert!(!rest.contains("icmp_seq=100 "), "{rest:?}");
    let out = term.run("show clock", "ce1#");
    assert!(out.contains("Local time:"), "{out:?}");
}
