//! Unit tests of the recorder: how a session becomes steps, and that the file it writes reads back
//! through the scenario parser as the same steps and expectations.

use std::path::Path;
use std::time::Duration;

use chrono::{DateTime, TimeZone, Utc};

use super::expect::Expect;
use super::yaml::{LabSource, Recording};
use super::*;
use crate::scenario::format::StepKind;

fn at(secs: i64) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 26, 10, 0, 0)
        .single()
        .expect("a date")
        + chrono::Duration::seconds(secs)
}

fn prompt(p: &str) -> Reply {
    Reply {
        prompt: p.into(),
        question: !p.ends_with('#') && !p.ends_with('>'),
        secret: p.ends_with("password for remote ftp server:"),
        ..Reply::default()
    }
}

fn out(text: &str, p: &str) -> Reply {
    Reply {
        output: text.into(),
        ..prompt(p)
    }
}

fn closed(text: &str, reloading: bool) -> Reply {
    Reply {
        output: text.into(),
        closed: true,
        reloading,
        ..Reply::default()
    }
}

const SAVE: &str = "System configuration has been modified. Save?[yes]:";
const CONFIRM: &str = "Proceed with reload?[confirm]";
const VERSION: &str = "Application and Content Networking System Software (ACNS)\n\
Version: ce565-5.1.3\n\
\n\
System was restarted on Thu Nov 26 09:58:00 2026.\n\
The system has been up for 2 minutes.\n";
const USERS: &str = "    Line       User          Host(s)              Idle       Location\n\
*  vty 0     admin         idle                 00:00:00   console\n";

/// A session like the end-to-end test's, typed into a recorder.
fn session() -> Recorder {
    let mut r = Recorder::new("ce1", DeviceKind::Ce, 5.0);
    let mut p = prompt("ce1#");
    let mut send = |r: &mut Recorder, line: &str, t: i64, reply: Reply| {
        r.typed(&p, line, at(t), &reply);
        p = reply;
    };
    send(&mut r, "show version", 0, out(VERSION, "ce1#"));
    send(&mut r, "", 1, out("", "ce1#")); // Enter: not recorded
    send(&mut r, "configure terminal", 2, prompt("ce1(config)#"));
    send(&mut r, "hostname edge1", 3, prompt("edge1(config)#"));
    // 20 s of thought inside configuration mode: the wait comes at the next resting prompt
    send(&mut r, "end", 23, prompt("edge1#"));
    send(
        &mut r,
        "write memory",
        24,
        out("Building configuration...\n[OK]\n", "edge1#"),
    );
    send(&mut r, "show users", 25, out(USERS, "edge1#"));
    send(&mut r, "configure terminal", 26, prompt("edge1(config)#"));
    send(&mut r, "hostname edge2", 26, prompt("edge2(config)#"));
    send(&mut r, "end", 26, prompt("edge2#"));
    send(&mut r, "reload", 27, prompt(SAVE));
    send(&mut r, "no", 28, prompt(CONFIRM));
    send(
        &mut r,
        "",
        29,
        closed("Reloading the system. Please wait ...\n", true),
    );
    r.booted(at(35));
    let mut p = prompt("edge1#");
    let mut send = |r: &mut Recorder, line: &str, t: i64, reply: Reply| {
        r.typed(&p, line, at(t), &reply);
        p = reply;
    };
    send(
        &mut r,
        "sh clock",
        36,
        out("Local time: Thu Nov 26 10:00:36 2026 UTC\n", "edge1#"),
    );
    send(&mut r, "exit", 37, closed("", false));
    r
}

fn cli(lines: &[&str]) -> Vec<String> {
    lines.iter().map(|l| l.to_string()).collect()
}

fn lines_of(step: &Step) -> Vec<String> {
    match step {
        Step::Cli(c) => c.lines.iter().map(|t| t.line.clone()).collect(),
        other => panic!("not a cli step: {other:?}"),
    }
}

#[test]
fn a_session_becomes_one_step_per_command_with_waits_and_boots() {
    let (start, steps) = session().finish();
    assert_eq!(start, Some(at(0)));
    let shape: Vec<String> = steps
        .iter()
        .map(|s| match s {
            Step::Cli(c) => c
                .lines
                .iter()
                .map(|t| t.line.as_str())
                .collect::<Vec<_>>()
                .join(" | "),
            Step::Wait(d) => format!("wait {}s", d.as_secs()),
            Step::Until { device, timeout } => format!("until {device} {}s", timeout.as_secs()),
        })
        .collect();
    assert_eq!(
        shape,
        [
            "show version",
            "configure terminal | hostname edge1 | end",
            "wait 24s",
            "write memory",
            "show users",
            "configure terminal | hostname edge2 | end",
            "reload | no | ",
            "until ce1 60s",
            // the replay reloads at 24 (the gaps since were under WAIT_FROM), runs at 29: 7 s behind
            "wait 7s",
            "sh clock",
        ]
    );
    // the reload step: answers and questions, as a scenario's output shows them
    let Step::Cli(reload) = &steps[6] else {
        panic!("not cli")
    };
    assert_eq!(reload.lines[1].answers.as_deref(), Some(SAVE));
    assert_eq!(reload.lines[2].answers.as_deref(), Some(CONFIRM));
    let e = reload.expectation().expect("an expectation");
    assert_eq!(
        e.exact.as_deref(),
        Some(
            "System configuration has been modified. Save?[yes]:\nProceed with reload?[confirm]\nReloading the system. Please wait ..."
        )
    );
    assert_eq!(lines_of(&steps[9]), cli(&["sh clock"]));
}

#[test]
fn terminal_settings_open_every_later_step_and_a_lone_exit_is_dropped() {
    let mut r = Recorder::new("cr1", DeviceKind::Cr, 5.0);
    let p = prompt("cr1#");
    r.typed(&p, "terminal length 0", at(0), &out("", "cr1#"));
    r.typed(&p, "terminal length 10", at(0), &out("", "cr1#"));
    r.typed(
        &p,
        "show terminal",
        at(1),
        &out("Length: 10 lines, Width: 80 columns\n", "cr1#"),
    );
    r.typed(&p, "exit", at(2), &closed("", false));
    let (_, steps) = r.finish();
    let lines: Vec<Vec<String>> = steps.iter().map(lines_of).collect();
    assert_eq!(
        lines,
        [
            cli(&["terminal length 0"]),
            cli(&["terminal length 0", "terminal length 10"]),
            cli(&["terminal length 10", "show terminal"]),
        ]
    );
}

#[test]
fn time_between_commands_builds_up_into_waits() {
    let mut r = Recorder::new("cdm1", DeviceKind::Cdm, 5.0);
    let p = prompt("cdm1#");
    for t in [0, 3, 6, 9, 400] {
        r.typed(&p, "show cms info", at(t), &out("x\n", "cdm1#"));
    }
    let (_, steps) = r.finish();
    let waits: Vec<u64> = steps
        .iter()
        .filter_map(|s| match s {
            Step::Wait(d) => Some(d.as_secs()),
            _ => None,
        })
        .collect();
    // 3 s is under WAIT_FROM; 6 s is not (replay at 6); then 9 - 6 = 3; then 400 - 6 = 394
    assert_eq!(waits, [6, 394]);
}

#[test]
fn commands_are_recognised_by_the_grammar_in_every_mode() {
    assert_eq!(
        command_of(DeviceKind::Ce, "ce1#", "sh hist"),
        Some("show history")
    );
    assert_eq!(
        command_of(DeviceKind::Ce, "ce1(config)#", "do sh users"),
        Some("show users")
    );
    assert_eq!(
        command_of(
            DeviceKind::Ce,
            "ce1(config-if)#",
            "ip address 10.1.1.9 255.255.255.0"
        ),
        Some("ip address A.B.C.D$address A.B.C.D$mask")
    );
    assert_eq!(command_of(DeviceKind::Ce, "ce1#", "shw version"), None);
    assert_eq!(command_of(DeviceKind::Ce, CONFIRM, "show version"), None);
}

#[test]
fn session_text_names_declared_commands() {
    let declared: Vec<&str> = crate::commands::exec_commands().map(|c| c.syntax).collect();
    for (syntax, _, _) in expect::SESSION_TEXT {
        assert!(
            declared.contains(syntax),
            "{syntax} is not a declared command"
        );
    }
}

fn recording(steps: Vec<Step>, lab: LabSource) -> Recording {
    Recording {
        name: "ce1: reload: \"quoted\" # not a comment".into(),
        device: "ce1".into(),
        state_dir: "/tmp/state".into(),
        written_at: at(0),
        lab,
        start: Some(at(0)),
        steps,
    }
}

/// The file reads back through the scenario parser as the steps and expectations recorded.
#[test]
fn the_file_reads_back_as_the_recorded_steps() {
    let (_, mut steps) = session().finish();
    // odd outputs: leading spaces, a lone question, a secret answer, a dump name typed in
    steps.push(Step::Cli(CliStep {
        device: "ce1".into(),
        lines: vec![
            Typed {
                line: "copy disk ftp 10.1.1.100 / x.dump acns-db-11-26-2026-10-00.dump".into(),
                answers: None,
                secret: false,
                command: Some("copy disk ftp HOST REMOTEDIR REMOTEFILE LOCALFILE"),
                output: "Enter username for remote ftp server:\n".into(),
            },
            Typed {
                line: "ftpuser".into(),
                answers: Some("Enter username for remote ftp server:".into()),
                secret: false,
                command: None,
                output: "Enter password for remote ftp server:\n".into(),
            },
            Typed {
                line: "pa ss: #1".into(),
                answers: Some("Enter password for remote ftp server:".into()),
                secret: true,
                command: None,
                output: "   size\n   ----\nat 2026-11-26T10:00:00Z\n\tTab\n".into(),
            },
        ],
    }));
    let rec = recording(steps.clone(), LabSource::Default);
    assert!(rec.has_secrets());
    let text = rec.to_yaml();
    let scenario = crate::scenario::parse(&text, Path::new("recorded.yaml"))
        .unwrap_or_else(|e| panic!("{e}\n{text}"));
    assert_eq!(scenario.name, rec.name);
    assert_eq!(scenario.start, at(0));
    assert_eq!(scenario.steps.len(), steps.len(), "{text}");
    for (want, got_step) in steps.iter().zip(&scenario.steps) {
        match (want, &got_step.kind) {
            (
                Step::Cli(c),
                StepKind::Cli {
                    device,
                    lines,
                    expect,
                },
            ) => {
                assert_eq!(device, &c.device);
                let typed: Vec<String> = c.lines.iter().map(|t| t.line.clone()).collect();
                assert_eq!(lines, &typed, "{text}");
                let want = c.expectation();
                let got = expect.as_ref().map(|e| Expect {
                    exact: e
                        .exact
                        .as_ref()
                        .map(|x| x.trim_end_matches('\n').to_string()),
                    contains: e
                        .contains
                        .iter()
                        .map(|x| x.trim_end_matches('\n').to_string())
                        .collect(),
                    regex: e.regex.iter().map(|r| r.as_str().to_string()).collect(),
                });
                assert_eq!(got, want, "step at line {}\n{text}", got_step.line);
                // and the recorded output passes its own expectation
                if let Some(e) = expect {
                    let output: String = c.lines.iter().map(|t| t.output.as_str()).collect();
                    crate::scenario::runner::expect_output(e, &output)
                        .unwrap_or_else(|m| panic!("{m}\n{text}"));
                }
            }
            (Step::Wait(d), StepKind::Wait(g)) => assert_eq!(d, g),
            (
                Step::Until { device, timeout },
                StepKind::Until {
                    check,
                    timeout: t,
                    every,
                },
            ) => {
                assert_eq!(&check.device, device);
                assert_eq!(check.power.as_deref(), Some("running"));
                assert_eq!(t, timeout);
                assert_eq!(*every, Duration::from_secs(1));
            }
            (want, got) => panic!("{want:?} read back as {got:?}\n{text}"),
        }
    }
    assert!(text.contains("# secret"), "{text}");
    assert!(text.contains("PASSWORDS"), "{text}");
    assert!(text.contains("lab: default"), "{text}");
}

#[test]
fn a_topology_that_is_not_the_default_lab_is_written_inline() {
    let default = crate::topology::Topology::default_lab();
    let mut moved = default.clone();
    moved.lab.base_port = 27000;
    moved.lab.speed = 30.0;
    assert_eq!(
        lab_source(&moved),
        LabSource::Default,
        "ports and speed do not count"
    );
    let mut slow = default.clone();
    slow.lab.boot_seconds = 42.0;
    let source = lab_source(&slow);
    assert!(matches!(source, LabSource::Topology(_)));
    let rec = recording(
        vec![Step::Cli(CliStep {
            device: "ce1".into(),
            lines: vec![Typed {
                line: "show privilege".into(),
                answers: None,
                secret: false,
                command: Some("show privilege"),
                output: "Current privilege level is 15\n".into(),
            }],
        })],
        source,
    );
    let text = rec.to_yaml();
    assert!(!text.contains("PASSWORDS"), "{text}");
    let scenario = crate::scenario::parse(&text, Path::new("recorded.yaml"))
        .unwrap_or_else(|e| panic!("{e}\n{text}"));
    assert_eq!(scenario.topology.lab.boot_seconds, 42.0);
    assert_eq!(scenario.topology.devices, default.devices);
}
