//! The system commands on a device of the default lab, in-process: services configured, saved and
//! brought back by a reload; `write erase` then a reload to factory settings; `clock set` and the
//! time zone in `show clock`; `show tech-support` paged; and `exec-timeout` closing an idle SSH
//! shell after lab time passes.

use std::time::Duration;

use acnslab::device::PowerEvent;
use acnslab::shell::Shell;
use acnslab::ssh_client::{CliShell, Ending};

use crate::util::{admin_session, default_lab, CliMode};

/// Types `lines` into a new admin session on `device`; returns each reply's text.
fn run(lab: &acnslab::lab::Lab, device: &str, lines: &[&str]) -> Vec<String> {
    let mut session = admin_session(lab, device, CliMode::PrivilegedExec);
    lines.iter().map(|l| session.execute(l).text).collect()
}

/// Reloads `device` at once (what `reload force` asks the lab for, without the boot delay).
fn reboot(lab: &acnslab::lab::Lab, device: &str) {
    let device = lab.node(device).unwrap().device();
    device.power_event(PowerEvent::Reload);
    device.power_event(PowerEvent::BootComplete);
}

#[tokio::test]
async fn saved_services_survive_a_reload_and_write_erase_brings_factory_settings() {
    let dir = tempfile::tempdir().unwrap();
    let lab = default_lab(dir.path()).await;
    run(
        &lab,
        "ce1",
        &[
            "configure",
            "clock timezone JST 9 0",
            "ntp server 10.1.1.100",
            "ip name-server 10.1.1.53",
            "ip domain-name lab.example",
            "logging host 10.1.1.99",
            "snmp-server community public",
            "exec-timeout 30",
            "end",
            "write memory",
        ],
    );
    reboot(&lab, "ce1");
    let out = run(&lab, "ce1", &["show running-config", "show ntp status"]);
    for line in [
        "clock timezone JST 9 0",
        "ntp server 10.1.1.100",
        "ip name-server 10.1.1.53",
        "ip domain-name lab.example",
        "logging host 10.1.1.99",
        "snmp-server community public",
        "exec-timeout 30",
    ] {
        assert!(
            out[0].contains(&format!("\n{line}\n")),
            "{line} in {}",
            out[0]
        );
    }
    // the image server 10.1.1.100 is a lab host: it answers, and is selected
    assert!(out[1].contains("\n*10.1.1.100 "), "{}", out[1]);

    let out = run(&lab, "ce1", &["write erase", "yes"]);
    assert_eq!(out[1], "[OK]\nErase of nvram: complete\n");
    reboot(&lab, "ce1");
    let device = lab.node("ce1").unwrap().device();
    assert_eq!(device.hostname(), "CE-565");
    let out = run(&lab, "ce1", &["show running-config"]);
    assert!(!out[0].contains("ntp server"), "{}", out[0]);
    assert!(!out[0].contains("cms enable"), "{}", out[0]);
}

#[tokio::test]
async fn clock_set_and_tech_support_on_a_shell() {
    let dir = tempfile::tempdir().unwrap();
    let lab = default_lab(dir.path()).await;
    let session = admin_session(&lab, "cr1", CliMode::PrivilegedExec);
    let mut shell = Shell::new(session);
    shell.start();
    let mut feed = |text: &str| String::from_utf8(shell.input(text.as_bytes()).bytes).unwrap();
    feed("clock set 23:59:50 31 December 2026\r");
    let out = feed("show clock detail\r");
    assert!(
        out.contains("Local time: Thu Dec 31 23:59:50 2026 UTC\r\n"),
        "{out:?}"
    );
    assert!(
        out.contains("Time source: set manually (clock set)"),
        "{out:?}"
    );
    lab.advance(Duration::from_secs(20));
    let out = feed("show clock\r");
    assert!(
        out.contains("Local time: Fri Jan  1 00:00:10 2027 UTC\r\n"),
        "{out:?}"
    );
    // uptime stays on the lab clock
    assert!(feed("show version\r").contains("up for "));
    let out = feed("show tech-support\r");
    assert!(
        out.contains("------------------ show version ------------------"),
        "{out:?}"
    );
    assert!(out.ends_with(" --More-- "), "{out:?}");
    let rest = feed("q");
    assert!(rest.ends_with("cr1#"), "{rest:?}");
}

#[tokio::test]
async fn exec_timeout_closes_an_idle_ssh_shell() {
    let dir = tempfile::tempdir().unwrap();
    let lab = default_lab(dir.path()).await;
    let addr = lab.node("ce2").unwrap().ssh_addr();
    let timeout = Duration::from_secs(10);
    let mut cli = CliShell::open(addr, "admin", "default", timeout)
        .await
        .unwrap();
    for line in ["configure", "exec-timeout 2", "end"] {
        let reply = cli.send(line).await.unwrap();
        assert!(matches!(reply.ending, Ending::Waiting { .. }), "{reply:?}");
    }
    // a minute of idleness is not enough
    lab.advance(Duration::from_secs(60));
    tokio::time::sleep(Duration::from_millis(200)).await;
    let reply = cli.send("show privilege").await.unwrap();
    assert!(
        reply.output.contains("Current privilege level is 15"),
        "{reply:?}"
    );
    // two minutes are
    lab.advance(Duration::from_secs(121));
    tokio::time::sleep(Duration::from_millis(200)).await;
    // an error means the channel was already gone
    if let Ok(reply) = cli.send("show privilege").await {
        assert!(matches!(reply.ending, Ending::Closed { .. }), "{reply:?}");
    }
}
