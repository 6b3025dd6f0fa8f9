//! `show ...`: read-only views of device state, formatted as ACNS prints them (fixed texts come
//! from `crate::text`). The CMS views are in `cms_show`, the clock's in `clock`, the system's
//! state (processes, memory, services, statistics, tech-support) in `status`, the disk's in
//! `directory`, the network's in `net`.

use std::fmt::Write as _;

use super::context::Ctx;
use super::outcome::Outcome;
use super::unit::ExecCommand;
use crate::clock::{ctime, uptime_words};
use crate::config::INTERFACES;
use crate::device::Device;
use crate::release::release;
use crate::text;

/// The physical memory every device has, in MB (`show hardware`, `show memory`) [ours].
pub const MEMORY_MB: u32 = 2048;

/// Help of the `show` keyword, shared by every `show` command.
pub const H_SHOW: &str = "Show running system information";

pub(super) static EXEC: &[&ExecCommand] = &[
    &SHOW_VERSION,
    &SHOW_RUNNING_CONFIG,
    &SHOW_STARTUP_CONFIG,
    &SHOW_HARDWARE,
    &SHOW_DISKS_DETAILS,
    &SHOW_DEVICE_MODE,
    &SHOW_DEVICE_MODE_CONFIGURED,
    &SHOW_PRIVILEGE,
    &SHOW_USERS,
    &SHOW_TERMINAL,
    &SHOW_LOGGING,
    &SHOW_HISTORY,
];

static SHOW_VERSION: ExecCommand = ExecCommand::new(
    "show version",
    &[H_SHOW, "System software version and uptime"],
    |_, ctx| Outcome::Print(version_block(ctx.device)),
);

static SHOW_RUNNING_CONFIG: ExecCommand = ExecCommand::new(
    "show running-config",
    &[H_SHOW, "Current operating configuration"],
    |_, ctx| {
        let state = ctx.device.state();
        Outcome::Print(state.running.render(state.version))
    },
)
.privileged();

static SHOW_STARTUP_CONFIG: ExecCommand = ExecCommand::new(
    "show startup-config",
    &[H_SHOW, "Contents of startup configuration"],
    |_, ctx| {
        let state = ctx.device.state();
        Outcome::Print(state.startup.render(state.version))
    },
)
.privileged();

static SHOW_HARDWARE: ExecCommand = ExecCommand::new(
    "show hardware",
    &[H_SHOW, "Display system hardware information"],
    |_, ctx| {
        let device = ctx.device;
        let mut out = version_block(device);
        let lines = text::hardware_lines(&device.identity.model, MEMORY_MB, INTERFACES.len());
        for line in lines {
            let _ = writeln!(out, "{line}");
        }
        Outcome::Print(out)
    },
);

static SHOW_DISKS_DETAILS: ExecCommand = ExecCommand::new(
    "show disks details",
    &[
        H_SHOW,
        "Disk and file system information",
        "Show disk details",
    ],
    |_, ctx| {
        let device = ctx.device;
        let used = crate::device::disk_used(&device.disk_dir()) / (1024 * 1024);
        Outcome::Print(
            text::disks_details_lines(device.identity.disk_mb, used)
                .iter()
                .map(|l| format!("{l}\n"))
                .collect(),
        )
    },
)
.privileged();

const H_DEVICE_MODE: &str = "Display the device mode";

static SHOW_DEVICE_MODE: ExecCommand = ExecCommand::new(
    "show device-mode current",
    &[H_SHOW, H_DEVICE_MODE, "Current device mode"],
    |_, ctx| {
        Outcome::Print(format!(
            "{} {}\n",
            text::show::DEVICE_MODE,
            ctx.device.identity.kind.device_mode()
        ))
    },
)
.privileged();

/// The mode the configuration names (`device mode ...`), which a reload with that configuration
/// saved makes current.
static SHOW_DEVICE_MODE_CONFIGURED: ExecCommand = ExecCommand::new(
    "show device-mode configured",
    &[
        H_SHOW,
        H_DEVICE_MODE,
        "Configured device mode (after save and reload)",
    ],
    |_, ctx| {
        let configured = ctx.device.state().running.device_mode;
        Outcome::Print(format!(
            "{} {}\n",
            text::show::CONFIGURED_DEVICE_MODE,
            configured.device_mode()
        ))
    },
)
.privileged();

static SHOW_PRIVILEGE: ExecCommand = ExecCommand::new(
    "show privilege",
    &[H_SHOW, "Show current privilege level"],
    |_, ctx| {
        Outcome::Print(format!(
            "{} {}\n",
            text::show::PRIVILEGE,
            ctx.session.privilege
        ))
    },
);

static SHOW_USERS: ExecCommand = ExecCommand::new(
    "show users",
    &[H_SHOW, "Display information about terminal lines"],
    |_, ctx| Outcome::Print(users(ctx)),
);

static SHOW_TERMINAL: ExecCommand = ExecCommand::new(
    "show terminal",
    &[H_SHOW, "Display terminal configuration parameters"],
    |_, ctx| {
        Outcome::Print(format!(
            "{} {} lines, {} {} columns\n",
            text::show::TERMINAL_LENGTH,
            ctx.session.term.length,
            text::show::TERMINAL_WIDTH,
            ctx.session.term.width
        ))
    },
);

static SHOW_LOGGING: ExecCommand = ExecCommand::new(
    "show logging",
    &[H_SHOW, "Display the system log"],
    |_, ctx| {
        let state = ctx.device.state();
        let mut out = format!("{}\n", text::log::HEADER);
        for (at, line) in &state.log {
            let _ = writeln!(out, "{} {line}", at.format("%b %e %H:%M:%S"));
        }
        Outcome::Print(out)
    },
)
.privileged();

static SHOW_HISTORY: ExecCommand = ExecCommand::new(
    "show history",
    &[H_SHOW, "Display the session command history"],
    |_, ctx| {
        Outcome::Print(
            ctx.session
                .history
                .iter()
                .map(|l| format!("  {l}\n"))
                .collect(),
        )
    },
);

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

fn users(ctx: &Ctx<'_>) -> String {
    let state = ctx.device.state();
    let now = ctx.device.clock().now();
    let mut out = format!("{}\n", text::show::USERS_HEADER);
    for (index, (id, info)) in state.sessions.iter().enumerate() {
        let mark = if *id == ctx.session.id { '*' } else { ' ' };
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

#[cfg(test)]
mod tests {
    use crate::commands::testing::run;
    use crate::config::DeviceKind;

    #[test]
    fn show_version_names_the_release_and_the_model() {
        let out = run(DeviceKind::Ce, &["show version"]);
        assert!(out[0].contains("Version: ce565-5.1.3"), "{}", out[0]);
    }

    #[test]
    fn show_device_mode_configured_follows_device_mode() {
        let out = run(
            DeviceKind::Ce,
            &[
                "show device-mode configured",
                "configure",
                "device mode content-router",
                "end",
                "show device-mode configured",
                "show device-mode current",
            ],
        );
        assert_eq!(out[0], "Configured device mode: content-engine\n");
        assert_eq!(out[4], "Configured device mode: content-router\n");
        assert_eq!(out[5], "Current device mode: content-engine\n");
    }

    #[test]
    fn show_terminal_follows_terminal_length() {
        let out = run(DeviceKind::Cr, &["terminal length 0", "show terminal"]);
        assert!(out[1].starts_with("Length: 0 lines"), "{}", out[1]);
    }
}
