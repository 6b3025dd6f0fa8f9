//! `show ...` and `dir`: read-only views of device state, formatted as ACNS prints them (fixed texts
//! come from `crate::text`).

use std::fmt::Write as _;

use cli_grammar::Match;

use super::Cmd;
use crate::clock::{ctime, uptime_words};
use crate::config::INTERFACES;
use crate::device::Device;
use crate::release::release;
use crate::text;

/// What a `show` handler may read besides the device.
pub struct ShowCtx<'a> {
    pub device: &'a Device,
    pub privilege: u8,
    pub session_id: u64,
    pub term_length: u32,
    pub term_width: u32,
    pub history: &'a [String],
}

/// Runs a read-only command; `Err` is a `% ...` message.
pub fn run(m: &Match<Cmd>, ctx: &ShowCtx<'_>) -> Result<String, String> {
    let device = ctx.device;
    Ok(match m.id {
        Cmd::ShowVersion => version_block(device),
        Cmd::ShowHardware => {
            let mut out = version_block(device);
            let lines = text::hardware_lines(&device.identity.model, 2048, INTERFACES.len());
            for line in lines {
                let _ = writeln!(out, "{line}");
            }
            out
        }
        Cmd::ShowRunningConfig => {
            let state = device.state();
            state.running.render(state.version)
        }
        Cmd::ShowStartupConfig => {
            let state = device.state();
            state.startup.render(state.version)
        }
        Cmd::ShowClock => format!(
            "{} {} UTC\n",
            text::show::CLOCK_PREFIX,
            ctime(device.clock().now())
        ),
        Cmd::ShowDisksDetails => {
            let used = dir_size(&device.disk_dir()) / (1024 * 1024);
            text::disks_details_lines(device.identity.disk_mb, used)
                .iter()
                .map(|l| format!("{l}\n"))
                .collect()
        }
        Cmd::ShowDeviceMode => {
            format!(
                "{} {}\n",
                text::show::DEVICE_MODE,
                device.identity.kind.device_mode()
            )
        }
        Cmd::ShowPrivilege => format!("{} {}\n", text::show::PRIVILEGE, ctx.privilege),
        Cmd::ShowUsers => users(ctx),
        Cmd::ShowTerminal => format!(
            "{} {} lines, {} {} columns\n",
            text::show::TERMINAL_LENGTH,
            ctx.term_length,
            text::show::TERMINAL_WIDTH,
            ctx.term_width
        ),
        Cmd::ShowLogging => {
            let state = device.state();
            let mut out = format!("{}\n", text::log::HEADER);
            for (at, line) in &state.log {
                let _ = writeln!(out, "{} {line}", at.format("%b %e %H:%M:%S"));
            }
            out
        }
        Cmd::ShowHistory => ctx.history.iter().map(|l| format!("  {l}\n")).collect(),
        Cmd::Dir => dir(device, m.arg("DIRECTORY"))?,
        Cmd::ShowCmsInfo => super::cms::info(device),
        Cmd::ShowCmsDatabase => super::cms::database(device),
        Cmd::ShowCmsDevices => super::cms::devices(device),
        other => return Err(format!("% Error: {other:?} is not a show command")),
    })
}

/// The `show version` block [seen: real 5.3.3 capture].
pub fn version_block(device: &Device) -> String {
    let (version, booted_at) = {
        let state = device.state();
        (state.version, state.booted_at)
    };
    let r = release(version);
    let model = device.identity.model.to_lowercase().replace('-', "");
    let now = device.clock().now();
    let uptime = (now - booted_at).to_std().unwrap_or_default();
    let v = text::version::PRODUCT;
    format!(
        "{v}\n{}\n{} {version} (build {} {})\nVersion: {model}-{version}\n\nCompiled {} {} by cnbuild\n{}\n\n{} {}.\n{} {}.\n",
        text::version::COPYRIGHT,
        text::version::RELEASE_PREFIX,
        r.build,
        r.date,
        r.time,
        r.date,
        text::version::COMPILE_OPTIONS,
        text::version::RESTARTED_ON,
        ctime(booted_at),
        text::version::UP_FOR,
        uptime_words(uptime),
    )
}

fn users(ctx: &ShowCtx<'_>) -> String {
    let state = ctx.device.state();
    let now = ctx.device.clock().now();
    let mut out = format!("{}\n", text::show::USERS_HEADER);
    for (index, (id, info)) in state.sessions.iter().enumerate() {
        let mark = if *id == ctx.session_id { '*' } else { ' ' };
        let secs = (now - info.since).num_seconds().max(0);
        let idle = format!("{:02}:{:02}:{:02}", secs / 3600, secs / 60 % 60, secs % 60);
        let _ = writeln!(
            out,
            "{mark}  vty {index:<6}{:<14}{:<21}{idle:<11}{}",
            info.user, "idle", info.peer
        );
    }
    out
}

const SYSFS: &str = "/local/local1";

fn dir(device: &Device, arg: Option<&str>) -> Result<String, String> {
    let root = device.disk_dir();
    let path = match arg.map(|a| a.trim_end_matches('/')) {
        None | Some("") | Some(SYSFS) | Some(".") => root,
        Some(sub) => {
            let rel = sub
                .strip_prefix(SYSFS)
                .map(|r| r.trim_start_matches('/'))
                .unwrap_or(sub);
            if rel
                .split('/')
                .any(|part| part.is_empty() || part == ".." || part == ".")
            {
                return Err(format!("{}{sub}", text::msg::NO_SUCH_DIRECTORY));
            }
            root.join(rel)
        }
    };
    let entries = std::fs::read_dir(&path)
        .map_err(|_| format!("{}{}", text::msg::NO_SUCH_DIRECTORY, arg.unwrap_or(SYSFS)))?;
    let mut rows: Vec<(String, u64, bool, String)> = entries
        .filter_map(Result::ok)
        .filter_map(|e| {
            let meta = e.metadata().ok()?;
            let modified: chrono::DateTime<chrono::Utc> = meta.modified().ok()?.into();
            let name = e.file_name().to_string_lossy().into_owned();
            if name.ends_with(".tmp") || name.starts_with('.') {
                return None;
            }
            Some((name, meta.len(), meta.is_dir(), ctime(modified)))
        })
        .collect();
    rows.sort();
    let mut out = format!("{}\n   {}\n", text::show::DIR_HEADER, text::show::DIR_RULE);
    for (name, size, is_dir, time) in rows {
        let size = if is_dir {
            "<DIR>".to_string()
        } else {
            size.to_string()
        };
        let _ = writeln!(out, "{size:>14}  {time:<25}  {name}");
    }
    Ok(out)
}

fn dir_size(path: &std::path::Path) -> u64 {
    std::fs::read_dir(path)
        .map(|entries| {
            entries
                .filter_map(Result::ok)
                .filter_map(|e| e.metadata().ok())
                .map(|m| if m.is_dir() { 0 } else { m.len() })
                .sum()
        })
        .unwrap_or(0)
}
