//! The interactive shell fed raw bytes, as an SSH channel would: prompts, modes, help, completion,
//! errors, questions, paging, and the device state the commands change. No sockets: the shell is
//! socket-free by design, so these tests see exactly what a client would.

use std::sync::Arc;
use std::time::Duration;

use acnslab::clock::LabClock;
use acnslab::config::{Config, DeviceKind, User};
use acnslab::device::{Device, Identity, Power, PowerEvent};
use acnslab::release::DEFAULT_VERSION;
use acnslab::session::{Action, Session};
use acnslab::shell::Shell;
use chrono::TimeZone;

struct Fixture {
    _dir: tempfile::TempDir,
    device: Arc<Device>,
    clock: LabClock,
}

fn fixture(kind: DeviceKind) -> Fixture {
    let dir = tempfile::tempdir().unwrap();
    let clock = LabClock::virtual_at(
        chrono::Utc
            .with_ymd_and_hms(2026, 11, 25, 10, 35, 47)
            .unwrap(),
    );
    let identity = Identity {
        name: "ce1".into(),
        kind,
        model: kind.default_model().into(),
        ip: "10.1.1.10".parse().unwrap(),
        disk_mb: 65_536,
    };
    let initial = move || {
        let mut config = Config::factory("ce1", kind);
        config.users.insert(
            "oper".into(),
            User {
                password: "operpw".into(),
                privilege: 0,
            },
        );
        config
    };
    let device = Device::open(
        identity,
        dir.path(),
        clock.clone(),
        initial,
        DEFAULT_VERSION,
        acnslab::commands::load_config_text,
    )
    .unwrap();
    device.power_event(PowerEvent::BootComplete);
    Fixture {
        _dir: dir,
        device: Arc::new(device),
        clock,
    }
}

fn shell(f: &Fixture, user: &str, privilege: u8) -> (Shell, String) {
    let mut shell = Shell::new(Session::new(
        f.device.clone(),
        None,
        user,
        privilege,
        "127.0.0.1",
    ));
    let first = String::from_utf8(shell.start()).unwrap();
    (shell, first)
}

/// Feeds `input` and returns what the client sees.
fn feed(shell: &mut Shell, input: &str) -> String {
    let out = shell.input(input.as_bytes());
    String::from_utf8(out.bytes).unwrap()
}

#[test]
fn prompt_comes_first_and_modes_change_it() {
    let f = fixture(DeviceKind::Ce);
    let (mut sh, first) = shell(&f, "admin", 15);
    assert_eq!(first, "ce1#");
    assert!(feed(&mut sh, "conf t\r").ends_with("\r\nce1(config)#"));
    assert!(feed(&mut sh, "int gi 1/0\n").ends_with("ce1(config-if)#"));
    assert!(feed(&mut sh, "exit\r\n").ends_with("ce1(config)#"));
    assert!(feed(&mut sh, "interface GigabitEthernet 2/0\r").ends_with("ce1(config-if)#"));
    // Ctrl-Z is `end`
    assert!(feed(&mut sh, "\x1a").ends_with("ce1#"));
    let out = feed(&mut sh, "configure\rexit\r");
    assert!(out.ends_with("ce1#"), "{out:?}");
}

#[test]
fn output_lines_end_with_crlf_and_nothing_follows_the_prompt() {
    let f = fixture(DeviceKind::Ce);
    let (mut sh, _) = shell(&f, "admin", 15);
    feed(&mut sh, "terminal length 0\r");
    let out = feed(&mut sh, "show version\r");
    assert!(out.starts_with("show version\r\n"), "{out:?}");
    assert!(out.contains("\r\nVersion: ce565-5.1.3\r\n"), "{out:?}");
    assert!(
        !out.replace("\r\n", "").contains('\n'),
        "bare LF in {out:?}"
    );
    assert!(
        out.ends_with("seconds.\r\nce1#") || out.ends_with("second.\r\nce1#"),
        "{out:?}"
    );
}

#[test]
fn errors_put_the_caret_under_the_bad_word() {
    let f = fixture(DeviceKind::Ce);
    let (mut sh, _) = shell(&f, "admin", 15);
    let out = feed(&mut sh, "show versoin\r");
    // prompt "ce1#" is 4 columns, "show " 5 more: the caret is in column 9
    assert!(
        out.contains(&format!(
            "\r\n{}^\r\n% Invalid input detected at '^' marker.\r\n",
            " ".repeat(9)
        )),
        "{out:?}"
    );
    assert!(feed(&mut sh, "show\r").contains("% Incomplete command.\r\n"));
    assert!(feed(&mut sh, "c\r").contains("% Ambiguous command: \"c\"\r\n"));
    feed(&mut sh, "conf t\r");
    let out = feed(&mut sh, "hostname bad/name\r");
    assert!(out.contains("% Error: a hostname"), "{out:?}");
    assert_eq!(f.device.hostname(), "ce1");
}

#[test]
fn question_mark_prints_help_and_redraws_the_line() {
    let f = fixture(DeviceKind::Ce);
    let (mut sh, _) = shell(&f, "admin", 15);
    let out = feed(&mut sh, "copy ?");
    assert!(out.starts_with("copy ?\r\n"), "{out:?}");
    assert!(out.contains("  running-config  "), "{out:?}");
    assert!(out.ends_with("\r\nce1#copy "), "{out:?}");
    let out = feed(&mut sh, "r?");
    assert!(out.contains("running-config"), "{out:?}");
    assert!(out.ends_with("ce1#copy r"), "{out:?}");
    // the line is still there: Tab completes it, Enter runs it
    let out = feed(&mut sh, "\t");
    assert_eq!(out, "unning-config ");
}

#[test]
fn cdm_only_commands_are_not_offered_on_a_ce() {
    let ce = fixture(DeviceKind::Ce);
    let (mut sh, _) = shell(&ce, "admin", 15);
    feed(&mut sh, "conf t\r");
    assert!(!feed(&mut sh, "cdm ?").contains("role"));
    let cdm = fixture(DeviceKind::Cdm);
    let (mut sh, _) = shell(&cdm, "admin", 15);
    feed(&mut sh, "conf t\r");
    assert!(feed(&mut sh, "cdm ?").contains("role"));
}

#[test]
fn enable_asks_a_password_without_echo() {
    let f = fixture(DeviceKind::Ce);
    let (mut sh, first) = shell(&f, "oper", 0);
    assert_eq!(first, "ce1>");
    assert!(feed(&mut sh, "show privilege\r").contains("Current privilege level is 0"));
    assert!(feed(&mut sh, "conf t\r").contains("% Invalid input"));
    let out = feed(&mut sh, "enable\r");
    assert!(out.ends_with("Password:"), "{out:?}");
    let out = feed(&mut sh, "wrong\r");
    assert!(!out.contains("wrong"), "password echoed: {out:?}");
    assert!(
        out.contains("% Bad secrets") && out.ends_with("ce1>"),
        "{out:?}"
    );
    feed(&mut sh, "enable\r");
    let out = feed(&mut sh, "default\r");
    assert!(!out.contains("default"), "{out:?}");
    assert!(out.ends_with("ce1#"), "{out:?}");
    assert!(feed(&mut sh, "disable\r").ends_with("ce1>"));
}

#[test]
fn pager_honours_terminal_length() {
    let f = fixture(DeviceKind::Ce);
    let (mut sh, _) = shell(&f, "admin", 15);
    feed(&mut sh, "terminal length 5\r");
    let out = feed(&mut sh, "show running-config\r");
    assert!(out.ends_with(" --More-- "), "{out:?}");
    assert_eq!(out.matches("\r\n").count(), 1 + 4, "{out:?}");
    let out = feed(&mut sh, "q");
    assert!(out.ends_with("ce1#"), "{out:?}");
    feed(&mut sh, "terminal length 0\r");
    let out = feed(&mut sh, "show running-config\r");
    assert!(!out.contains("--More--") && out.contains("End of ACNS configuration"));
}

#[test]
fn write_memory_and_reload_questions() {
    let f = fixture(DeviceKind::Ce);
    let (mut sh, _) = shell(&f, "admin", 15);
    feed(&mut sh, "conf t\rhostname edge-7\rend\r");
    assert_eq!(f.device.hostname(), "edge-7");
    let out = feed(&mut sh, "reload\r");
    assert!(
        out.ends_with("System configuration has been modified. Save?[yes]:"),
        "{out:?}"
    );
    // neither yes nor no: said so, and asked again (as IOS does), not cancelled
    let out = feed(&mut sh, "maybe\r");
    assert!(out.contains("% Please answer 'yes' or 'no'."), "{out:?}");
    assert!(
        out.ends_with("System configuration has been modified. Save?[yes]:"),
        "{out:?}"
    );
    let out = feed(&mut sh, "no\r");
    assert!(out.ends_with("Proceed with reload?[confirm]"), "{out:?}");
    let out = sh.input(b"n\r");
    assert!(String::from_utf8(out.bytes)
        .unwrap()
        .contains("Reload aborted."));
    assert_eq!(out.action, None);
    let out = feed(&mut sh, "write memory\r");
    assert!(out.contains("[OK]"), "{out:?}");
    assert!(
        std::fs::read_to_string(f.device.dir().join("startup-config"))
            .unwrap()
            .contains("hostname edge-7")
    );
    let out = feed(&mut sh, "reload\r");
    assert!(
        out.ends_with("Proceed with reload?[confirm]"),
        "saved config must not ask: {out:?}"
    );
    let out = sh.input(b"\r");
    assert_eq!(out.action, Some(Action::Reload));
}

#[test]
fn reload_without_saving_brings_the_startup_configuration_back() {
    let f = fixture(DeviceKind::Ce);
    let (mut sh, _) = shell(&f, "admin", 15);
    feed(&mut sh, "conf t\rhostname changed\rend\r");
    let out = sh.input(b"reload force\r");
    assert_eq!(out.action, Some(Action::Reload));
    f.device.power_event(PowerEvent::Reload);
    assert_eq!(f.device.state().power, Power::Rebooting);
    f.clock.advance(Duration::from_secs(60));
    f.device.power_event(PowerEvent::BootComplete);
    assert_eq!(f.device.hostname(), "ce1");
    let (mut sh, _) = shell(&f, "admin", 15);
    assert!(feed(&mut sh, "show version\r").contains("up for 0 seconds"));
    f.clock.advance(Duration::from_secs(3 * 3600 + 61));
    assert!(feed(&mut sh, "show version\r").contains("up for 3 hours, 1 minute, 1 second."));
}

#[test]
fn do_runs_exec_commands_from_configuration() {
    let f = fixture(DeviceKind::Ce);
    let (mut sh, _) = shell(&f, "admin", 15);
    feed(&mut sh, "conf t\r");
    let out = feed(&mut sh, "do show privilege\r");
    assert!(
        out.contains("Current privilege level is 15") && out.ends_with("ce1(config)#"),
        "{out:?}"
    );
}

#[test]
fn show_users_lists_sessions_and_marks_this_one() {
    let f = fixture(DeviceKind::Ce);
    let (_other, _) = shell(&f, "oper", 0);
    let (mut sh, _) = shell(&f, "admin", 15);
    let out = feed(&mut sh, "show users\r");
    let lines: Vec<_> = out.lines().filter(|l| l.contains("vty")).collect();
    assert_eq!(lines.len(), 2, "{out:?}");
    assert!(
        lines
            .iter()
            .any(|l| l.starts_with('*') && l.contains("admin")),
        "{out:?}"
    );
    drop(_other);
    let out = feed(&mut sh, "show users\r");
    assert_eq!(out.lines().filter(|l| l.contains("vty")).count(), 1);
}

#[test]
fn a_rebooting_device_refuses_commands() {
    let f = fixture(DeviceKind::Ce);
    let (mut sh, _) = shell(&f, "admin", 15);
    f.device.power_event(PowerEvent::Reload);
    assert!(feed(&mut sh, "show version\r").contains("rebooting"));
}

#[test]
fn show_logging_records_boot_save_and_reload() {
    let f = fixture(DeviceKind::Ce);
    let (mut sh, _) = shell(&f, "admin", 15);
    feed(&mut sh, "write memory\r");
    f.device.power_event(PowerEvent::Reload);
    f.device.power_event(PowerEvent::BootComplete);
    let (mut sh, _) = shell(&f, "admin", 15);
    feed(&mut sh, "terminal length 0\r");
    let out = feed(&mut sh, "show logging\r");
    let boot = out
        .find("System booted, software version 5.1.3")
        .expect(&out);
    let saved = out.find("Configuration saved").expect(&out);
    let reload = out.find("Reload requested").expect(&out);
    assert!(boot < saved && saved < reload, "{out}");
    assert_eq!(out.matches("System booted").count(), 2, "{out}");
}

#[test]
fn rejected_startup_lines_are_reported_in_the_system_log() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("startup-config"),
        "hostname fromfile\nfrobnicate now\n",
    )
    .unwrap();
    let clock = LabClock::virtual_at(
        chrono::Utc
            .with_ymd_and_hms(2026, 11, 25, 10, 35, 47)
            .unwrap(),
    );
    let identity = Identity {
        name: "ce1".into(),
        kind: DeviceKind::Ce,
        model: "CE-565".into(),
        ip: "10.1.1.10".parse().unwrap(),
        disk_mb: 65_536,
    };
    let device = Device::open(
        identity,
        dir.path(),
        clock,
        || Config::factory("ce1", DeviceKind::Ce),
        DEFAULT_VERSION,
        acnslab::commands::load_config_text,
    )
    .unwrap();
    let state = device.state();
    assert_eq!(state.running.hostname, "fromfile");
    let log: Vec<&str> = state.log.iter().map(|(_, l)| l.as_str()).collect();
    assert!(
        log.iter()
            .any(|l| l.starts_with("% Error in startup configuration, line 2:")),
        "{log:?}"
    );
}

/// What a byte-level client (the SSH scenario runner) uses to know a reply is complete: every prompt
/// and question the shell prints is recognised, and the echo and output before it are not.
#[test]
fn every_prompt_the_shell_prints_is_recognised_as_waiting_for_input() {
    use acnslab::session::{waiting_for, InputKind};
    let f = fixture(DeviceKind::Ce);
    let (mut shell, first) = shell(&f, "admin", 15);
    let last = |text: &str| text.rsplit('\n').next().unwrap_or("").to_string();
    assert_eq!(waiting_for(&last(&first)), Some(InputKind::Command));
    for (line, kind) in [
        ("configure terminal", InputKind::Command),
        ("hostname edge-1", InputKind::Command),
        ("interface GigabitEthernet 1/0", InputKind::Command),
        ("end", InputKind::Command),
        ("show version", InputKind::Command),
        ("reload", InputKind::Answer),
    ] {
        let out = feed(&mut shell, &format!("{line}\r"));
        assert_eq!(
            waiting_for(&last(&out)),
            Some(kind),
            "after {line}: {out:?}"
        );
        for earlier in out.split('\n').rev().skip(1) {
            assert_eq!(
                waiting_for(earlier.trim_end_matches('\r')),
                None,
                "{earlier:?}"
            );
        }
    }
}

/// Output modifiers after a show command, typed at a terminal: the filtered output, `?` after the
/// command and after `|`, and errors with their caret.
#[test]
fn output_modifiers_filter_show_commands() {
    let f = fixture(DeviceKind::Ce);
    let (mut sh, _) = shell(&f, "admin", 15);
    feed(&mut sh, "terminal length 0\r");
    let out = feed(&mut sh, "show running-config | include ^hostname\r");
    assert_eq!(
        out,
        "show running-config | include ^hostname\r\nhostname ce1\r\nce1#"
    );
    let out = feed(&mut sh, "show version | begin ^Version\r");
    assert!(
        out.starts_with("show version | begin ^Version\r\nVersion: ce565-5.1.3\r\n"),
        "{out:?}"
    );
    let all = feed(&mut sh, "show running-config\r");
    let out = feed(&mut sh, "show running-config | exclude hostname\r");
    assert!(
        !out.contains("hostname ce1") && all.contains("hostname ce1"),
        "{out:?}"
    );
    assert_eq!(
        out.lines().count() + 1,
        all.lines().count(),
        "one line less: {out:?}"
    );
    // ? after a complete show command offers |, and after | the modifiers
    let help = feed(&mut sh, "show version ?");
    assert!(
        help.contains("  |     Output modifiers\r\n  <cr>\r\n"),
        "{help:?}"
    );
    feed(&mut sh, "\x15");
    let help = feed(&mut sh, "show version | ?");
    for row in [
        "  begin    Begin with the line that matches",
        "  exclude  Exclude lines that match",
        "  include  Include lines that match",
        "  section  Filter a section of output",
    ] {
        assert!(help.contains(row), "{help:?}");
    }
    feed(&mut sh, "\x15");
    // errors: not a modifier, no pattern, a pattern that is not a regular expression, a | after
    // a command that is not a show command
    let out = feed(&mut sh, "show version | grep x\r");
    assert!(
        out.contains(&format!(
            "\r\n{}^\r\n% Invalid input detected at '^' marker.\r\n",
            " ".repeat(4 + 15)
        )),
        "{out:?}"
    );
    assert!(feed(&mut sh, "show version | include\r").contains("% Incomplete command.\r\n"));
    let out = feed(&mut sh, "show version | include (x\r");
    assert!(
        out.contains(&format!(
            "\r\n{}^\r\n% Invalid regular expression: unclosed group\r\n",
            " ".repeat(4 + 23)
        )),
        "{out:?}"
    );
    let out = feed(&mut sh, "write memory | include OK\r");
    assert!(
        out.contains("% Invalid input detected at '^' marker."),
        "{out:?}"
    );
    assert!(!f
        .device
        .state()
        .log
        .iter()
        .any(|(_, l)| l.contains("Configuration saved")));
}

/// Accounts as ACNS writes them: two lines, the password then the privilege; both forms are
/// accepted, and the two lines read back (a reload's replay) into the same account.
#[test]
fn accounts_are_written_as_two_lines_and_read_back() {
    let f = fixture(DeviceKind::Ce);
    let (mut sh, _) = shell(&f, "admin", 15);
    feed(&mut sh, "terminal length 0\r");
    feed(&mut sh, "configure terminal\r");
    let out = feed(&mut sh, "username ghost privilege 3\r");
    assert!(
        out.contains(
            "% Error: set a password first ('username NAME password ...'); no such user: ghost"
        ),
        "{out:?}"
    );
    assert_eq!(
        feed(&mut sh, "username oper2 password secret\r"),
        "username oper2 password secret\r\nce1(config)#"
    );
    feed(&mut sh, "username oper2 privilege 5\r");
    feed(&mut sh, "username one password pw privilege 2\r");
    feed(&mut sh, "end\r");
    let out = feed(
        &mut sh,
        "show running-config | include ^username (oper2|one) \r",
    );
    let lines: Vec<&str> = out
        .lines()
        .skip(1)
        .filter(|l| l.starts_with("username"))
        .collect();
    assert_eq!(lines.len(), 4, "{out:?}");
    assert!(
        lines[0].starts_with("username one password 1 ") && lines[1] == "username one privilege 2",
        "{lines:?}"
    );
    assert!(
        lines[2].starts_with("username oper2 password 1 ")
            && lines[3] == "username oper2 privilege 5",
        "{lines:?}"
    );
    // the rendered configuration replays into the same accounts, without errors
    let running = f.device.state().running.clone();
    let text = running.render(f.device.state().version);
    let (replayed, errors) = acnslab::commands::load_config_text(&text, "ce1", DeviceKind::Ce);
    assert!(errors.is_empty(), "{errors:?}");
    assert_eq!(replayed.users, running.users);
    assert_eq!(replayed.users["oper2"].privilege, 5);
}

#[test]
fn the_disk_can_be_walked_changed_and_never_left() {
    let f = fixture(DeviceKind::Ce);
    let (mut sh, _) = shell(&f, "admin", 15);
    let disk = f.device.disk_dir();
    feed(&mut sh, "terminal length 0\r");
    assert!(feed(&mut sh, "pwd\r").contains("\r\n/local1\r\n"));
    feed(&mut sh, "mkdir logs\r");
    feed(&mut sh, "cd local1/logs\r");
    assert!(feed(&mut sh, "pwd\r").contains("\r\n/local1/logs\r\n"));
    feed(&mut sh, "mkfile a.txt\r");
    assert!(disk.join("logs/a.txt").is_file());
    feed(&mut sh, "rename a.txt /local/local1/logs/b.txt\r");
    assert!(disk.join("logs/b.txt").is_file() && !disk.join("logs/a.txt").exists());
    std::fs::write(disk.join("logs/b.txt"), "one\ntwo\nthree\n").unwrap();
    assert!(feed(&mut sh, "type b.txt\r").contains("\r\none\r\ntwo\r\nthree\r\nce1#"));
    let out = feed(&mut sh, "type-tail b.txt 2\r");
    assert!(out.contains("\r\ntwo\r\nthree\r\nce1#"), "{out:?}");
    feed(&mut sh, "cd ..\r");
    let out = feed(&mut sh, "dir\r");
    assert!(out.contains("<DIR>  logs\r\n"), "{out:?}");
    assert!(out.contains("syslog.txt\r\n"), "{out:?}");
    // the system log is on the disk too
    let out = feed(&mut sh, "type-tail /local1/syslog.txt\r");
    assert!(out.contains("ce1 %ACNS-5-BOOT: System booted"), "{out:?}");
    // an empty directory goes with rmdir, a full one needs deltree and its question
    assert!(feed(&mut sh, "rmdir logs\r").contains("% Error: the directory is not empty"));
    let out = feed(&mut sh, "deltree logs\r");
    assert!(
        out.contains("The directory /local1/logs and every file and directory in it will be deleted.\r\nProceed?[no]:"),
        "{out:?}"
    );
    assert!(feed(&mut sh, "\r").contains("Directory not deleted."));
    assert!(disk.join("logs/b.txt").exists());
    feed(&mut sh, "deltree logs\r");
    feed(&mut sh, "yes\r");
    assert!(!disk.join("logs").exists());
    feed(&mut sh, "mkdir empty\r");
    assert!(!feed(&mut sh, "rmdir empty\r").contains("% Error"));
    assert!(!disk.join("empty").exists());
    // nothing leaves /local1: the refusal comes before the disk is touched
    for line in [
        "cd ..",
        "cd /etc",
        "dir ../..",
        "type /etc/passwd",
        "type-tail ../../device.json",
        "mkdir /local/local2",
        "mkfile ../outside.txt",
        "delfile /local1/../startup-config",
        "cpfile syslog.txt /tmp/x",
        "rename syslog.txt ../x",
        "deltree /local",
    ] {
        let out = feed(&mut sh, &format!("{line}\r"));
        assert!(
            out.contains("% Error: only files and directories under /local1 can be named: "),
            "{line}: {out:?}"
        );
    }
    assert!(f.device.dir().join("startup-config").exists());
    assert!(!f.device.dir().join("outside.txt").exists());
    #[cfg(unix)]
    {
        std::os::unix::fs::symlink(f.device.dir(), disk.join("link")).unwrap();
        let out = feed(&mut sh, "type link/startup-config\r");
        assert!(
            out.contains("% Error: symbolic links under /local1 are not followed"),
            "{out:?}"
        );
        assert!(feed(&mut sh, "cd link\r").contains("% Error: symbolic links"));
    }
    assert!(feed(&mut sh, "pwd\r").contains("\r\n/local1\r\n"));
}
