//! `reload` over real SSH: the port refuses connections while the device boots, and the device comes
//! back with its startup configuration (saved or not).

use std::io::ErrorKind;
use std::time::{Duration, Instant};

use acnslab_tests::{ssh_exec, try_connect, wait_for, LabSetup, Terminal, TestLab};

const BOOT_SECONDS: f64 = 2.0;

fn lab() -> TestLab {
    TestLab::start_with(LabSetup {
        boot_seconds: Some(BOOT_SECONDS),
        ..LabSetup::default()
    })
}

/// After the session was closed by `reload`: the port refuses connections (at once, give or take the
/// moment the server takes to drop its listener), then accepts again after the boot time. Returns how
/// long it was down.
fn check_down_then_up(port: u16) -> Duration {
    let closed_at = Instant::now();
    let refused = wait_for(
        Duration::from_millis(500),
        || matches!(try_connect(port), Err(e) if e.kind() == ErrorKind::ConnectionRefused),
    );
    assert!(
        refused,
        "connections must be refused right after reload, got {:?}",
        try_connect(port)
    );
    let up = wait_for(Duration::from_secs(20), || try_connect(port).is_ok());
    assert!(up, "the device did not come back within 20 s");
    let down = closed_at.elapsed();
    assert!(
        down >= Duration::from_secs_f64(BOOT_SECONDS * 0.5),
        "the device came back after {down:?}, before its {BOOT_SECONDS} s boot"
    );
    down
}

#[test]
fn saved_hostname_survives_reload() {
    let lab = lab();
    let port = lab.port("ce1");
    let mut term = Terminal::open(port, "ce1#");
    term.run("configure terminal", "ce1(config)#");
    let out = term.run("hostname edge-7", "edge-7(config)#");
    assert_eq!(out, "hostname edge-7\r\nedge-7(config)#");
    term.run("end", "edge-7#");
    let out = term.run("write memory", "edge-7#");
    assert!(out.contains("[OK]"), "{out:?}");

    // Saved: no save question, only the confirmation (Enter = yes).
    term.send("reload\r");
    let out = term.expect_end("Proceed with reload?[confirm]");
    assert!(!out.contains("Save?"), "{out:?}");
    term.send("\r");
    let (rest, _) = term.wait_closed();
    assert!(
        rest.contains("Reloading the system"),
        "{rest:?}\n{}",
        term.describe()
    );

    check_down_then_up(port);
    let mut term = Terminal::open(port, "edge-7#");
    let out = term.run("show running-config", "edge-7#");
    assert!(out.contains("hostname edge-7"), "{out:?}");
}

#[test]
fn unsaved_hostname_is_lost_on_reload() {
    let lab = lab();
    let port = lab.port("ce2");
    let mut term = Terminal::open(port, "ce2#");
    term.run("configure terminal", "ce2(config)#");
    term.run("hostname temporary", "temporary(config)#");
    term.run("end", "temporary#");

    term.send("reload\r");
    term.expect_end("System configuration has been modified. Save?[yes]:");
    term.send("no\r");
    term.expect_end("Proceed with reload?[confirm]");
    term.send("\r");
    let (rest, _) = term.wait_closed();
    assert!(
        rest.contains("Reloading the system"),
        "{rest:?}\n{}",
        term.describe()
    );

    check_down_then_up(port);
    let run = ssh_exec(port, "show running-config");
    assert_eq!(run.code(), 0, "{}", run.describe());
    assert!(run.stdout.contains("hostname ce2"), "{}", run.describe());
    assert!(!run.stdout.contains("temporary"), "{}", run.describe());
    let mut term = Terminal::open(port, "ce2#");
    term.run("show version", "ce2#");
}

#[test]
fn reload_can_be_cancelled() {
    let lab = lab();
    let port = lab.port("cdm1");
    let mut term = Terminal::open(port, "cdm1#");
    term.send("reload\r");
    term.expect_end("Proceed with reload?[confirm]");
    term.send("n\r");
    let out = term.expect_end("cdm1#");
    assert!(out.contains("Reload aborted."), "{out:?}");
    // The device stayed up: the session still works and new connections are accepted.
    let out = term.run("show privilege", "cdm1#");
    assert!(out.contains("Current privilege level is 15"), "{out:?}");
    assert!(try_connect(port).is_ok());
}

#[test]
fn reload_closes_every_session_of_the_device_only() {
    let lab = lab();
    let mut first = Terminal::open(lab.port("ce1"), "ce1#");
    let mut other_device = Terminal::open(lab.port("ce2"), "ce2#");
    let mut second = Terminal::open(lab.port("ce1"), "ce1#");
    second.send("reload\r");
    second.expect_end("Proceed with reload?[confirm]");
    second.send("y\r");
    second.wait_closed();
    // The other session on the reloading device is closed too.
    first.wait_closed();
    // The other device is not affected.
    let out = other_device.run("show privilege", "ce2#");
    assert!(out.contains("Current privilege level is 15"), "{out:?}");
    let port = lab.port("ce1");
    assert!(wait_for(Duration::from_secs(20), || try_connect(port).is_ok()));
    Terminal::open(port, "ce1#");
}

/// `ssh ce1 reload`, as an operator types it at a shell prompt: the exec request prints the
/// question and takes the answer from the client's input (Enter confirms); input that ends
/// before an answer (`< /dev/null`, a script) reloads nothing and exits with status 1.
#[test]
fn an_exec_reload_asks_on_the_clients_input() {
    use acnslab_tests::{run_with_timeout, ssh_command, CLIENT_TIMEOUT, USERNAME};
    let lab = lab();
    let port = lab.port("ce1");
    let exec = |input: Option<&[u8]>| {
        run_with_timeout(
            ssh_command(port)
                .arg(format!("{USERNAME}@127.0.0.1"))
                .arg("reload"),
            input,
            CLIENT_TIMEOUT,
        )
    };
    // no input: nothing happens, and the client is told
    let run = exec(None);
    assert_eq!(run.code(), 1, "{}", run.describe());
    assert!(
        run.stdout.contains("Proceed with reload?[confirm]")
            && run
                .stdout
                .contains("% No answer: the input ended before one was given; nothing was done."),
        "{}",
        run.describe()
    );
    assert!(
        ssh_exec(port, "show version").code() == 0,
        "ce1 must still be up"
    );
    // "n" cancels, the device stays up
    let run = exec(Some(b"n\n"));
    assert_eq!(run.code(), 0, "{}", run.describe());
    assert!(run.stdout.contains("Reload aborted."), "{}", run.describe());
    assert!(ssh_exec(port, "show version").code() == 0);
    // Enter confirms: the device reloads
    let run = exec(Some(b"\n"));
    assert_eq!(run.code(), 0, "{}", run.describe());
    assert!(
        run.stdout.contains("Proceed with reload?[confirm]"),
        "{}",
        run.describe()
    );
    check_down_then_up(port);
    // the request's own lines still answer without reading the input
    let run = ssh_exec(port, "reload\nn");
    assert_eq!(run.code(), 0, "{}", run.describe());
    assert!(run.stdout.contains("Reload aborted."), "{}", run.describe());
}
