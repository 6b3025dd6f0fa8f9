//! Shared fixture for the integration tests: a small exec-mode command set
//! resembling the ACNS CLI, and the ids its commands map to.

#![allow(dead_code)]

use cli_grammar::{CommandSet, Match, Parsed};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cmd {
    ShowVersion,
    ShowRunning,
    ShowStartup,
    ShowInterface,
    Configure,
    CopyRunStart,
    CopyFtp,
    Reload,
    IpRoute,
    Ipv6Enable,
    TerminalLength,
    Echo,
    Ping,
}

/// `(id, syntax, help)` of every fixture command, in declaration order.
pub const DECLARATIONS: &[(Cmd, &str, &[&str])] = &[
    (
        Cmd::ShowVersion,
        "show version",
        &[
            "Show running system information",
            "System hardware and software status",
        ],
    ),
    (
        Cmd::ShowRunning,
        "show running-config",
        &[
            "Show running system information",
            "Current operating configuration",
        ],
    ),
    (
        Cmd::ShowStartup,
        "show startup-config",
        &[
            "Show running system information",
            "Contents of startup configuration",
        ],
    ),
    (
        Cmd::ShowInterface,
        "show interface {gigabitethernet S/P$slot | portchannel (1-4)$channel}",
        &[
            "Show running system information",
            "Interface status and configuration",
            "Gigabit Ethernet interface",
            "Slot/port",
            "Port channel interface",
            "Port channel number",
        ],
    ),
    (
        Cmd::Configure,
        "configure [terminal]",
        &["Enter configuration mode", "Configure from the terminal"],
    ),
    (
        Cmd::CopyRunStart,
        "copy running-config startup-config",
        &[
            "Copy from one file to another",
            "Copy running configuration",
            "Copy to startup configuration",
        ],
    ),
    (
        Cmd::CopyFtp,
        "copy ftp install {HOST|A.B.C.D$address} REMOTEDIR REMOTEFILE",
        &[
            "Copy from one file to another",
            "Copy from an FTP server",
            "Install a software release",
            "Hostname of the FTP server",
            "IP address of the FTP server",
            "Remote directory",
            "Remote file name",
        ],
    ),
    (
        Cmd::Reload,
        "reload [force]",
        &[
            "Halt and perform a cold restart",
            "Do not ask for confirmation",
        ],
    ),
    (
        Cmd::IpRoute,
        "ip route A.B.C.D$prefix A.B.C.D$mask",
        &[
            "Internet Protocol",
            "Static route",
            "Destination prefix",
            "Mask",
        ],
    ),
    (
        Cmd::Ipv6Enable,
        "ipv6 enable",
        &["Internet Protocol version 6", "Enable IPv6"],
    ),
    (
        Cmd::TerminalLength,
        "terminal length (0-512)$lines",
        &[
            "Set terminal line parameters",
            "Set number of lines on a screen",
            "Number of lines",
        ],
    ),
    (Cmd::Echo, "echo LINE", &["Echo a message", "Message text"]),
    (
        Cmd::Ping,
        "ping A.B.C.D$target",
        &["Send echo messages", "Destination address"],
    ),
];

pub fn exec_mode() -> CommandSet<Cmd> {
    let mut set = CommandSet::new();
    for (id, syntax, help) in DECLARATIONS {
        set.add(*id, syntax, help)
            .expect("fixture declarations are valid");
    }
    set
}

/// Parses `line` and insists it matched.
pub fn must_match(set: &CommandSet<Cmd>, line: &str) -> Match<Cmd> {
    match set.parse(line) {
        Parsed::Match(matched) => matched,
        other => panic!("{line:?} did not match: {other:?}"),
    }
}
