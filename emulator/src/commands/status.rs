//! Views of the system's state: `show processes`, `show memory`, `show services`, `show statistics
//! services|tcp`, and `show tech-support`, which gathers the other views. The lab runs no
//! processes and counts no packets: every figure is derived from the device's real state
//! (uptime, open and past CLI sessions, CMS service, configured services, disk, log), so the same
//! state always prints the same figures [ours; layouts recalled from ACNS/WAAS where marked in
//! `crate::text::status`].

use std::fmt::Write as _;

use cli_grammar::Parsed;

use super::args::Args;
use super::context::Ctx;
use super::outcome::Outcome;
use super::show::{H_SHOW, MEMORY_MB};
use super::unit::ExecCommand;
use crate::clock::uptime_words;
use crate::config::DeviceKind;
use crate::device::{disk_used, CmsService};
use crate::text::{log, status as words};

pub(super) static EXEC: &[&ExecCommand] = &[
    &SHOW_PROCESSES,
    &SHOW_MEMORY,
    &SHOW_SERVICES,
    &SHOW_STATISTICS_SERVICES,
    &SHOW_STATISTICS_TCP,
    &SHOW_TECH_SUPPORT,
];

const H_STATISTICS: &str = "Display statistics";

static SHOW_PROCESSES: ExecCommand = ExecCommand::new(
    "show processes",
    &[H_SHOW, "Display process information"],
    |_, ctx| Outcome::Print(processes(&Facts::of(ctx))),
);

static SHOW_MEMORY: ExecCommand = ExecCommand::new(
    "show memory",
    &[H_SHOW, "Display memory usage"],
    |_, ctx| Outcome::Print(memory(&Facts::of(ctx))),
);

static SHOW_SERVICES: ExecCommand = ExecCommand::new(
    "show services",
    &[H_SHOW, "Display the services and their ports"],
    |_, ctx| Outcome::Print(services(&Facts::of(ctx))),
);

static SHOW_STATISTICS_SERVICES: ExecCommand = ExecCommand::new(
    "show statistics services",
    &[H_SHOW, H_STATISTICS, "Services statistics"],
    |_, ctx| Outcome::Print(statistics_services(&Facts::of(ctx))),
)
.privileged();

static SHOW_STATISTICS_TCP: ExecCommand = ExecCommand::new(
    "show statistics tcp",
    &[H_SHOW, H_STATISTICS, "TCP statistics"],
    |_, ctx| Outcome::Print(statistics_tcp(&Facts::of(ctx))),
)
.privileged();

static SHOW_TECH_SUPPORT: ExecCommand = ExecCommand::new(
    "show tech-support",
    &[
        H_SHOW,
        "Information for the Cisco Technical Assistance Center",
    ],
    |_, ctx| Outcome::Print(tech_support(ctx)),
)
.privileged();

/// What the figures are derived from, read under one lock.
struct Facts {
    kind: DeviceKind,
    uptime_secs: u64,
    /// (session id, user, seconds since it opened, whether it is the one asking)
    sessions: Vec<(u64, String, u64, bool)>,
    sessions_since_boot: u64,
    cms_running: bool,
    ntp_servers: usize,
    logging_hosts: usize,
    snmp_communities: usize,
    saves_since_boot: usize,
    transfers_since_boot: usize,
    log_lines: usize,
    disk_used_mb: u64,
    disk_mb: u64,
}

impl Facts {
    fn of(ctx: &Ctx<'_>) -> Facts {
        let device = ctx.device;
        let now = device.clock().now();
        let disk_used_mb = disk_used(&device.disk_dir()) / (1024 * 1024);
        let state = device.state();
        let since = |at: chrono::DateTime<chrono::Utc>| (now - at).num_seconds().max(0) as u64;
        let booted_at = state.booted_at;
        let logged_since_boot = |prefix: &str| {
            state
                .log
                .iter()
                .filter(|(at, line)| *at >= booted_at && line.starts_with(prefix))
                .count()
        };
        Facts {
            kind: device.identity.kind,
            uptime_secs: since(booted_at),
            sessions: state
                .sessions
                .iter()
                .map(|(id, s)| (*id, s.user.clone(), since(s.since), *id == ctx.session.id))
                .collect(),
            sessions_since_boot: state.sessions_since_boot,
            cms_running: matches!(state.cms_service(), CmsService::Running),
            ntp_servers: state.running.ntp_servers.len(),
            logging_hosts: state.running.logging_hosts.len(),
            snmp_communities: state.running.snmp_communities.len(),
            saves_since_boot: logged_since_boot(log::CONFIG_SAVED),
            transfers_since_boot: logged_since_boot(log::DOWNLOAD_STARTED)
                + logged_since_boot(log::UPLOAD_STARTED),
            log_lines: state.log.len(),
            disk_used_mb,
            disk_mb: device.identity.disk_mb,
        }
    }

    /// The CMS processes of the device's kind (when CMS runs), with their pid and weight.
    fn cms_processes(&self) -> &'static [(u32, &'static str, u64)] {
        if !self.cms_running {
            return &[];
        }
        match self.kind {
            DeviceKind::Cdm => &[
                (700, "cms_cdm", 20),
                (710, "cms_httpd", 10),
                (720, "postgres", 15),
            ],
            DeviceKind::Ce => &[(700, "cms_ce", 20)],
            DeviceKind::Cr => &[(700, "cms_cr", 20)],
        }
    }

    /// CPU use in percent (user, system): a base, each CLI session and a running CMS add some.
    fn cpu(&self) -> (f64, f64) {
        let user =
            0.20 + 0.15 * self.sessions.len() as f64 + if self.cms_running { 0.60 } else { 0.0 };
        (user, user * 1.5)
    }
}

fn processes(facts: &Facts) -> String {
    let (user, system) = facts.cpu();
    let mut out = format!(
        "{}\n  cpu: {user:.2}% User, {system:.2}% System, 0.00% User(nice), {:.2}% Idle\n{}\n{}\n{}\n",
        words::CPU_USAGE,
        100.0 - user - system,
        words::PROCESS_RULE,
        words::PROCESS_HEADER,
        words::PROCESS_HEADER_RULE
    );
    // (pid, state, command, seconds running, weight in CPU per mille)
    let up = facts.uptime_secs;
    let mut rows: Vec<(u64, char, String, u64, u64)> = vec![
        (1, 'S', "(init)".into(), up, 1),
        (250, 'S', "(syslogd)".into(), up, 2),
        (310, 'S', "(crond)".into(), up, 1),
        (420, 'S', "(sshd)".into(), up, 3),
    ];
    if facts.ntp_servers > 0 {
        rows.push((330, 'S', "(ntpd)".into(), up, 1));
    }
    if facts.snmp_communities > 0 {
        rows.push((340, 'S', "(snmpd)".into(), up, 2));
    }
    for &(pid, name, weight) in facts.cms_processes() {
        rows.push((u64::from(pid), 'S', format!("({name})"), up, weight));
    }
    for (id, user, secs, own) in &facts.sessions {
        let state = if *own { 'R' } else { 'S' };
        rows.push((1000 + id, state, format!("(sshd: {user})"), *secs, 5));
    }
    rows.sort();
    for (pid, state, command, secs, weight) in rows {
        let user_t = secs * weight / 1000;
        let sys_t = secs * weight / 2000;
        let _ = writeln!(
            out,
            "{pid:>5}   {state}   0 {user_t:>6} {sys_t:>6}     {command}"
        );
    }
    out
}

fn memory(facts: &Facts) -> String {
    let physical = u64::from(MEMORY_MB) * 1024;
    let base_mb: u64 = match facts.kind {
        DeviceKind::Cdm => 620,
        DeviceKind::Ce => 410,
        DeviceKind::Cr => 300,
    };
    let cms_mb = if facts.cms_running { 96 } else { 0 };
    let used = (base_mb + cms_mb + 6 * facts.sessions.len() as u64) * 1024;
    let buffers = 65_536 + (facts.uptime_secs / 60).min(16_384);
    let cached = 262_144 + (facts.disk_used_mb * 1024).min(786_432);
    let free = physical.saturating_sub(used + buffers + cached);
    let swap = 2_097_144;
    let values = [physical, free, buffers, cached, swap, swap];
    let mut out = String::new();
    for (name, value) in words::MEMORY_ROWS.iter().zip(values) {
        let _ = writeln!(out, "{name:<22} : {value:>10} KB");
    }
    out
}

fn services(facts: &Facts) -> String {
    let running = |on: bool| {
        if on {
            words::RUNNING
        } else {
            words::NOT_RUNNING
        }
    };
    let configured = |count: usize, what: &str| {
        if count == 0 {
            words::NOT_CONFIGURED.to_string()
        } else {
            format!("{}, {count} {what}", words::RUNNING)
        }
    };
    let mut rows = vec![
        (
            "ssh",
            "tcp",
            22,
            format!("{}, {} session(s)", words::RUNNING, facts.sessions.len()),
        ),
        ("cms", "tcp", 443, running(facts.cms_running).to_string()),
    ];
    if facts.kind == DeviceKind::Cdm {
        rows.push((
            "cms_httpd",
            "tcp",
            8443,
            running(facts.cms_running).to_string(),
        ));
    }
    rows.push((
        "ntp",
        "udp",
        123,
        configured(facts.ntp_servers, "server(s)"),
    ));
    rows.push((
        "syslog",
        "udp",
        514,
        configured(facts.logging_hosts, "remote host(s)"),
    ));
    rows.push((
        "snmp",
        "udp",
        161,
        configured(facts.snmp_communities, "community(ies)"),
    ));
    let mut out = format!("{}\n{}\n", words::SERVICES_HEADER, words::SERVICES_RULE);
    for (name, protocol, port, state) in rows {
        let _ = writeln!(out, "{name:<15}  {protocol:<8}  {port:<5}  {state}");
    }
    out
}

fn statistics_services(facts: &Facts) -> String {
    let uptime = std::time::Duration::from_secs(facts.uptime_secs);
    let rows = [
        ("Uptime", uptime_words(uptime)),
        ("CLI sessions open", facts.sessions.len().to_string()),
        ("CLI sessions opened", facts.sessions_since_boot.to_string()),
        ("Configuration saves", facts.saves_since_boot.to_string()),
        ("File transfers", facts.transfers_since_boot.to_string()),
        ("System log entries", facts.log_lines.to_string()),
        (
            "Disk /local/local1 used",
            format!("{} MB of {} MB", facts.disk_used_mb, facts.disk_mb),
        ),
        (
            "CMS service",
            if facts.cms_running {
                words::RUNNING
            } else {
                words::NOT_RUNNING
            }
            .to_string(),
        ),
    ];
    rows_block(words::SERVICES_TITLE, &rows)
}

fn statistics_tcp(facts: &Facts) -> String {
    let rows = [
        ("Active opens", facts.transfers_since_boot.to_string()),
        ("Passive opens", facts.sessions_since_boot.to_string()),
        ("Connections established", facts.sessions.len().to_string()),
        (
            "Connections closed",
            (facts
                .sessions_since_boot
                .saturating_sub(facts.sessions.len() as u64)
                + facts.transfers_since_boot as u64)
                .to_string(),
        ),
    ];
    rows_block(words::TCP_TITLE, &rows)
}

fn rows_block(title: &str, rows: &[(&str, String)]) -> String {
    let mut out = format!("{title}\n");
    for (name, value) in rows {
        let _ = writeln!(out, "  {name:<30}: {value}");
    }
    out
}

/// The commands `show tech-support` runs, in order.
const TECH_SUPPORT: [&str; 16] = [
    "show version",
    "show hardware",
    "show running-config",
    "show interface GigabitEthernet 1/0",
    "show ip routes",
    "show arp",
    "show clock detail",
    "show processes",
    "show memory",
    "show disks details",
    "show services",
    "show statistics services",
    "show statistics tcp",
    "show ntp status",
    "show cms info",
    "show logging",
];

/// Every command of [`TECH_SUPPORT`], each under a `------------------ show x ------------------`
/// line, as IOS and ACNS print it.
fn tech_support(ctx: &mut Ctx<'_>) -> String {
    let grammar = super::exec_grammar(true, ctx.device.identity.kind);
    let mut out = String::new();
    for line in TECH_SUPPORT {
        let Parsed::Match(m) = grammar.parse(line) else {
            continue;
        };
        let (command, matched) = m.into_parts();
        let text = match (command.run)(&Args::new(&matched, command.syntax), ctx) {
            Outcome::Print(text) | Outcome::Fail(text) => text,
            _ => continue,
        };
        let rule = words::TECH_SUPPORT_RULE;
        let _ = write!(out, "\n{rule} {line} {rule}\n\n{text}");
    }
    out
}

#[cfg(test)]
mod tests {
    use crate::commands::testing::run;
    use crate::config::DeviceKind;

    #[test]
    fn figures_follow_the_device_state() {
        let out = run(
            DeviceKind::Cdm,
            &[
                "show processes",
                "show services",
                "configure",
                "ntp server 10.1.1.100",
                "end",
                "show services",
                "show statistics services",
                "show memory",
            ],
        );
        assert!(out[0].starts_with("CPU Usage:\n  cpu: "), "{}", out[0]);
        assert!(out[0].contains("   R   0 "), "{}", out[0]);
        assert!(out[0].contains("(sshd: admin)"), "{}", out[0]);
        assert!(
            out[1].contains("\nntp              udp       123    not configured\n"),
            "{}",
            out[1]
        );
        assert!(
            out[5].contains("\nntp              udp       123    running, 1 server(s)\n"),
            "{}",
            out[5]
        );
        assert!(
            out[6].contains("  CLI sessions open             : 1\n"),
            "{}",
            out[6]
        );
        assert!(
            out[7].starts_with("Total physical memory  :    2097152 KB\n"),
            "{}",
            out[7]
        );
    }

    #[test]
    fn tech_support_gathers_the_show_commands() {
        let out = run(DeviceKind::Ce, &["show tech-support"]);
        for line in [
            "\n------------------ show version ------------------\n\nApplication and Content",
            "\n------------------ show running-config ------------------\n\n! ACNS version",
            "\n------------------ show logging ------------------\n\n",
        ] {
            assert!(out[0].contains(line), "{line:?} in {}", out[0]);
        }
    }
}
