//! The device's clock: `clock set` (EXEC), `show clock [detail]` and `show ntp status`. The device's
//! time is the lab clock moved by `clock set` (`Device::time`), shown in the zone of `clock
//! timezone`; a reachable NTP server (any lab host at a configured address) puts it back on the
//! lab clock.

use std::fmt::Write as _;
use std::net::Ipv4Addr;

use chrono::{DateTime, NaiveDate, NaiveTime, Utc};

use super::args::Args;
use super::context::Ctx;
use super::outcome::Outcome;
use super::services::H_CLOCK;
use super::show::H_SHOW;
use super::unit::ExecCommand;
use crate::clock::ctime;
use crate::text::{clock as words, log, msg};

pub(super) static EXEC: &[&ExecCommand] = &[&CLOCK_SET, &SHOW_CLOCK, &SHOW_NTP_STATUS];

static CLOCK_SET: ExecCommand = ExecCommand::new(
    "clock set TIME (1-31)$day MONTH (1993-2035)$year",
    &[
        H_CLOCK,
        "Set the time and date",
        "Current time (hh:mm:ss)",
        "Day of the month",
        "Month of the year (January, Jan, ...)",
        "Year",
    ],
    clock_set,
)
.privileged();

static SHOW_CLOCK: ExecCommand = ExecCommand::new(
    "show clock [detail]",
    &[
        H_SHOW,
        "Display the system clock",
        "Also UTC time, offset and time source",
    ],
    |args: &Args<'_>, ctx| Outcome::Print(show_clock(ctx, args.has("detail"))),
);

static SHOW_NTP_STATUS: ExecCommand = ExecCommand::new(
    "show ntp status",
    &[
        H_SHOW,
        "Display the NTP configuration",
        "NTP servers and their state",
    ],
    |_, ctx| Outcome::Print(ntp_status(ctx)),
);

/// Where the device's time comes from.
enum Source {
    Hardware,
    Manual,
    Ntp(Ipv4Addr),
}

/// A configured NTP server as the device sees it.
struct Peer {
    address: Ipv4Addr,
    reachable: bool,
}

/// The configured NTP servers; a server answers if a lab host has its address and the link to it
/// is not cut [ours].
fn peers(ctx: &Ctx<'_>) -> Vec<Peer> {
    let servers = ctx.device.state().running.ntp_servers.clone();
    let from = ctx.device.identity.ip;
    servers
        .into_iter()
        .map(|address| Peer {
            address,
            reachable: ctx
                .network
                .is_some_and(|network| network.answers(from, address)),
        })
        .collect()
}

/// The device's time (UTC) and where it comes from: NTP when a server answers, else the clock
/// `clock set` moved, else the hardware (lab) clock.
fn now(ctx: &Ctx<'_>) -> (DateTime<Utc>, Source) {
    if let Some(peer) = peers(ctx).into_iter().find(|p| p.reachable) {
        return (ctx.device.clock().now(), Source::Ntp(peer.address));
    }
    let manual = !ctx.device.state().clock_offset.is_zero();
    let source = if manual {
        Source::Manual
    } else {
        Source::Hardware
    };
    (ctx.device.time(), source)
}

/// The configured zone's name and offset (UTC and zero without `clock timezone`).
fn zone(ctx: &Ctx<'_>) -> (String, chrono::Duration) {
    match &ctx.device.state().running.timezone {
        Some(tz) => (tz.name.clone(), tz.offset()),
        None => ("UTC".into(), chrono::Duration::zero()),
    }
}

/// `show clock`: the local time; `detail` adds UTC, the epoch, the offset and the source.
pub fn show_clock(ctx: &Ctx<'_>, detail: bool) -> String {
    let (utc, source) = now(ctx);
    let (zone, offset) = zone(ctx);
    let mut out = format!("{} {} {zone}\n", words::LOCAL, ctime(utc + offset));
    if detail {
        let seconds = offset.num_seconds();
        let minutes = seconds.abs() / 60;
        let sign = if seconds < 0 { "-" } else { "" };
        let source = match source {
            Source::Hardware => words::SOURCE_HARDWARE.to_string(),
            Source::Manual => words::SOURCE_MANUAL.to_string(),
            Source::Ntp(server) => format!("{} {server}", words::SOURCE_NTP),
        };
        let _ = writeln!(out, "{} {} UTC", words::UTC, ctime(utc));
        let _ = writeln!(out, "{} {} seconds", words::EPOCH, utc.timestamp());
        let _ = writeln!(
            out,
            "{} {seconds} seconds ({sign}{} hours {} minutes)",
            words::UTC_OFFSET,
            minutes / 60,
            minutes % 60
        );
        let _ = writeln!(out, "{} {source}", words::SOURCE);
    }
    out
}

/// `show ntp status`: disabled without servers; else the list and an `ntpq -p` table, the first
/// server that answers selected (`*`), the others that answer candidates (`+`) [recalled layout;
/// figures ours, from the lab time since boot].
pub fn ntp_status(ctx: &Ctx<'_>) -> String {
    let peers = peers(ctx);
    if peers.is_empty() {
        return format!("{}\n", words::NTP_DISABLED);
    }
    let since_boot = (ctx.device.clock().now() - ctx.device.state().booted_at)
        .num_seconds()
        .max(0);
    let list: Vec<String> = peers.iter().map(|p| p.address.to_string()).collect();
    let mut out = format!(
        "{}\n{} {}\n\n{}\n{}\n",
        words::NTP_ENABLED,
        words::NTP_SERVER_LIST,
        list.join(" "),
        words::NTP_TABLE_HEADER,
        words::NTP_TABLE_RULE
    );
    let mut selected = false;
    for peer in &peers {
        let address = peer.address.to_string();
        if peer.reachable {
            // one poll every 64 s since boot; `reach` is the octal register of the last 8 polls
            let polls = (since_boot / 64 + 1).min(8) as u32;
            let reach = (1u32 << polls) - 1;
            let mark = if selected { '+' } else { '*' };
            selected = true;
            let _ = writeln!(
                out,
                "{mark}{address:<15} {:<15} {:>2} u {:>4} {:>4} {:>4o}    0.412    0.004   0.018",
                "LOCAL(0)",
                11,
                since_boot % 64,
                64,
                reach
            );
        } else {
            let _ = writeln!(
                out,
                " {address:<15} {:<15} {:>2} u {:>4} {:>4} {:>4}    0.000    0.000   0.000",
                ".INIT.", 16, "-", 64, 0
            );
        }
    }
    out
}

fn clock_set(args: &Args<'_>, ctx: &mut Ctx<'_>) -> Outcome {
    let time = args.word("time");
    let Some(time) = parse_time(time) else {
        return Outcome::Fail(format!("{}{time}", msg::BAD_TIME));
    };
    let month_word = args.word("month");
    let Some(month) = parse_month(month_word) else {
        return Outcome::Fail(format!("{}{month_word}", msg::BAD_MONTH));
    };
    let (day, year) = (args.number("day") as u32, args.number("year") as i32);
    let Some(date) = NaiveDate::from_ymd_opt(year, month, day) else {
        return Outcome::Fail(format!("{}{day} {month_word} {year}", msg::BAD_DATE));
    };
    // the time typed is local time, in the configured zone
    let (_, offset) = zone(ctx);
    let utc = date.and_time(time).and_utc() - offset;
    ctx.device.set_time(utc);
    ctx.device.log(format!("{} {}", log::CLOCK_SET, ctime(utc)));
    Outcome::done()
}

/// `hh:mm:ss`, 24-hour.
fn parse_time(text: &str) -> Option<NaiveTime> {
    let mut parts = text.split(':').map(|p| p.parse::<u32>().ok());
    let (h, m, s) = (parts.next()??, parts.next()??, parts.next()??);
    if parts.next().is_some() {
        return None;
    }
    NaiveTime::from_hms_opt(h, m, s)
}

/// A month's English name or any prefix of at least three letters of it (`Nov`, `november`).
fn parse_month(text: &str) -> Option<u32> {
    const MONTHS: [&str; 12] = [
        "january",
        "february",
        "march",
        "april",
        "may",
        "june",
        "july",
        "august",
        "september",
        "october",
        "november",
        "december",
    ];
    let text = text.to_ascii_lowercase();
    if text.len() < 3 {
        return None;
    }
    let index = MONTHS.iter().position(|m| m.starts_with(&text))?;
    u32::try_from(index + 1).ok()
}

#[cfg(test)]
mod tests {
    use crate::commands::testing::run;
    use crate::config::DeviceKind;

    #[test]
    fn clock_set_moves_show_clock_in_the_configured_zone() {
        let out = run(
            DeviceKind::Ce,
            &[
                "show clock",
                "clock set 10:20:30 1 Dec 2026",
                "show clock",
                "configure",
                "clock timezone JST 9 0",
                "end",
                "show clock detail",
                "clock set 25:00:00 1 Dec 2026",
                "clock set 10:00:00 31 Feb 2026",
                "clock set 10:00:00 1 Foo 2026",
            ],
        );
        assert!(out[0].ends_with(" UTC\n"), "{}", out[0]);
        assert_eq!(out[1], "");
        assert_eq!(out[2], "Local time: Tue Dec  1 10:20:30 2026 UTC\n");
        assert!(
            out[6].starts_with("Local time: Tue Dec  1 19:20:30 2026 JST\n"),
            "{}",
            out[6]
        );
        assert!(out[6].contains("\nUTC time: Tue Dec  1 10:20:30 2026 UTC\n"));
        assert!(out[6].contains("\nUTC offset: 32400 seconds (9 hours 0 minutes)\n"));
        assert!(out[6].contains("\nTime source: set manually (clock set)\n"));
        for bad in &out[7..] {
            assert!(bad.starts_with("% Error:"), "{bad}");
        }
    }

    #[test]
    fn ntp_status_lists_servers_that_do_not_answer_outside_a_lab() {
        let out = run(
            DeviceKind::Cr,
            &[
                "show ntp status",
                "configure",
                "ntp server 10.1.1.100",
                "end",
                "show ntp status",
            ],
        );
        assert_eq!(out[0], "NTP disabled\n");
        assert!(out[4].starts_with("NTP enabled\nServer list: 10.1.1.100\n"));
        assert!(
            out[4].contains("\n 10.1.1.100      .INIT.          16 u"),
            "{}",
            out[4]
        );
    }
}
