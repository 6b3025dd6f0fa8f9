//! EXEC commands that change the session or the device as a whole: `configure`, `enable`,
//! `disable`, `exit`, `terminal`, `write memory|terminal|erase`, `copy ... -config`, `reload` (with
//! its save and confirm questions).

use super::args::Args;
use super::context::{ConfigMode, Ctx, Mode};
use super::outcome::{yes_no, Ask, Input, Outcome};
use super::unit::ExecCommand;
use crate::device::Device;
use crate::text::{msg, prompt};

pub(super) static EXEC: &[&ExecCommand] = &[
    &CONFIGURE,
    &ENABLE,
    &DISABLE,
    &EXIT,
    &TERMINAL_LENGTH,
    &TERMINAL_WIDTH,
    &WRITE_MEMORY,
    &WRITE_TERMINAL,
    &WRITE_ERASE,
    &COPY_RUNNING_STARTUP,
    &COPY_STARTUP_RUNNING,
    &RELOAD,
];

const H_TERMINAL: &str = "Set terminal line parameters";
/// Help of the `copy` keyword, shared by every `copy` command.
pub const H_COPY: &str = "Copy a file or configuration";

/// `enable`'s question.
pub static ASK_ENABLE_PASSWORD: Ask = Ask {
    prompt: prompt::PASSWORD,
    input: Input::Secret,
};
static ASK_SAVE_BEFORE_RELOAD: Ask = Ask {
    prompt: prompt::SAVE_BEFORE_RELOAD,
    input: Input::Answer,
};
static ASK_CONFIRM_ERASE: Ask = Ask {
    prompt: prompt::ERASE_STARTUP,
    input: Input::Answer,
};
static ASK_CONFIRM_RELOAD: Ask = Ask {
    prompt: prompt::PROCEED_WITH_RELOAD,
    input: Input::Answer,
};

static CONFIGURE: ExecCommand = ExecCommand::new(
    "configure [terminal]",
    &["Enter configuration mode", "Configure from the terminal"],
    |_, ctx| {
        ctx.session.mode = Mode::Config(ConfigMode::Global);
        Outcome::done()
    },
)
.privileged();

static ENABLE: ExecCommand =
    ExecCommand::new("enable", &["Turn on privileged commands"], |_, ctx| {
        if ctx.session.privilege >= 15 {
            return Outcome::done();
        }
        Outcome::ask(&ASK_ENABLE_PASSWORD, |answer, ctx| {
            let accepted = ctx
                .device
                .state()
                .running
                .users
                .values()
                .any(|u| u.privilege >= 15 && u.password == answer);
            if accepted {
                ctx.session.privilege = 15;
                Outcome::done()
            } else {
                Outcome::Fail(msg::BAD_SECRET.into())
            }
        })
    })
    .asks(&[&ASK_ENABLE_PASSWORD]);

static DISABLE: ExecCommand =
    ExecCommand::new("disable", &["Turn off privileged commands"], |_, ctx| {
        ctx.session.privilege = ctx.session.privilege.min(1);
        Outcome::done()
    })
    .privileged();

static EXIT: ExecCommand =
    ExecCommand::new("exit", &["Exit from this mode"], |_, _| Outcome::Close);

static TERMINAL_LENGTH: ExecCommand = ExecCommand::new(
    "terminal length (0-512)$lines",
    &[
        H_TERMINAL,
        "Set number of lines on a screen",
        "Number of lines on screen (0 for no pausing)",
    ],
    |args: &Args<'_>, ctx| {
        ctx.session.term.length = args.number("lines") as u32;
        Outcome::done()
    },
);

static TERMINAL_WIDTH: ExecCommand = ExecCommand::new(
    "terminal width (0-512)$columns",
    &[
        H_TERMINAL,
        "Set width of the display terminal",
        "Number of characters on a screen line",
    ],
    |args: &Args<'_>, ctx| {
        ctx.session.term.width = args.number("columns") as u32;
        Outcome::done()
    },
);

const H_WRITE: &str = "Write running configuration to memory or terminal";

static WRITE_MEMORY: ExecCommand = ExecCommand::new(
    "write [memory]",
    &[H_WRITE, "Write to NV memory"],
    |_, ctx| save(ctx.device),
)
.privileged();

/// `write terminal`: the running configuration, as `show running-config` prints it.
static WRITE_TERMINAL: ExecCommand = ExecCommand::new(
    "write terminal",
    &[H_WRITE, "Write to terminal"],
    |_, ctx| {
        let state = ctx.device.state();
        Outcome::Print(state.running.render(state.version))
    },
)
.privileged();

/// `write erase`: after a confirmation, the startup configuration becomes the factory one; the
/// next boot starts from it [ours: what is erased; the question recalled from IOS].
static WRITE_ERASE: ExecCommand = ExecCommand::new(
    "write erase",
    &[H_WRITE, "Erase the startup configuration"],
    |_, _| {
        Outcome::ask(&ASK_CONFIRM_ERASE, |answer, ctx| {
            if yes_no(answer, true) != Some(true) {
                return Outcome::Print(format!("{}\n", msg::ERASE_ABORTED));
            }
            match ctx.device.erase_startup() {
                Ok(()) => Outcome::Print(format!("{}\n{}\n", msg::OK, msg::ERASE_DONE)),
                Err(e) => Outcome::Fail(format!("% Error: cannot erase the configuration: {e}")),
            }
        })
    },
)
.privileged()
.asks(&[&ASK_CONFIRM_ERASE]);

static COPY_RUNNING_STARTUP: ExecCommand = ExecCommand::new(
    "copy running-config startup-config",
    &[
        H_COPY,
        "Copy running configuration to startup configuration",
        "Copy to startup configuration",
    ],
    |_, ctx| save(ctx.device),
)
.privileged();

static COPY_STARTUP_RUNNING: ExecCommand = ExecCommand::new(
    "copy startup-config running-config",
    &[
        H_COPY,
        "Copy startup configuration to running configuration",
        "Copy to running configuration",
    ],
    |_, ctx| {
        let mut state = ctx.device.state();
        state.running = state.startup.clone();
        Outcome::done()
    },
)
.privileged();

static RELOAD: ExecCommand = ExecCommand::new(
    "reload [force]",
    &[
        "Halt and perform a cold restart",
        "Reload without asking to save or confirm",
    ],
    reload,
)
.privileged()
.asks(&[&ASK_SAVE_BEFORE_RELOAD, &ASK_CONFIRM_RELOAD]);

fn reload(args: &Args<'_>, ctx: &mut Ctx<'_>) -> Outcome {
    if args.has("force") {
        return reloading();
    }
    let modified = {
        let state = ctx.device.state();
        state.running != state.startup
    };
    if !modified {
        return confirm_reload();
    }
    Outcome::ask(&ASK_SAVE_BEFORE_RELOAD, save_before_reload)
}

/// The answer to `Save?[yes]:`; an answer that is neither yes nor no asks again, as IOS does.
fn save_before_reload(answer: &str, ctx: &mut Ctx<'_>) -> Outcome {
    match yes_no(answer, true) {
        Some(true) => match save(ctx.device) {
            Outcome::Fail(e) => Outcome::Fail(e),
            _ => confirm_reload(),
        },
        Some(false) => confirm_reload(),
        None => Outcome::ask_after(
            format!("{}\n", msg::ANSWER_YES_OR_NO),
            &ASK_SAVE_BEFORE_RELOAD,
            save_before_reload,
        ),
    }
}

fn confirm_reload() -> Outcome {
    Outcome::ask(&ASK_CONFIRM_RELOAD, |answer, _| {
        match yes_no(answer, true) {
            Some(true) => reloading(),
            _ => Outcome::Print(format!("{}\n", msg::RELOAD_ABORTED)),
        }
    })
}

fn reloading() -> Outcome {
    Outcome::Reload(format!("{}\n", msg::RELOADING))
}

/// `write memory`: save and report as IOS does.
pub fn save(device: &Device) -> Outcome {
    match device.save_running() {
        Ok(()) => Outcome::Print(format!("{}\n{}\n", msg::BUILDING_CONFIGURATION, msg::OK)),
        Err(e) => Outcome::Fail(format!("% Error: cannot save the configuration: {e}")),
    }
}

#[cfg(test)]
mod tests {
    use crate::commands::testing::run;
    use crate::config::DeviceKind;

    #[test]
    fn write_terminal_prints_the_running_config() {
        let out = run(
            DeviceKind::Ce,
            &["write terminal", "show running-config", "wr t"],
        );
        assert!(out[0].starts_with("! ACNS version"), "{}", out[0]);
        assert_eq!(out[0], out[1]);
        assert_eq!(out[0], out[2]);
    }

    #[test]
    fn write_erase_asks_then_leaves_factory_settings_for_the_next_boot() {
        let out = run(
            DeviceKind::Ce,
            &[
                "write erase",
                "no",
                "show startup-config",
                "write erase",
                "",
                "show startup-config",
                "show running-config",
            ],
        );
        assert_eq!(out[1], "Erase aborted.\n");
        assert!(out[2].contains("hostname dev1\n"), "{}", out[2]);
        assert_eq!(out[4], "[OK]\nErase of nvram: complete\n");
        assert!(out[5].contains("hostname CE-565\n"), "{}", out[5]);
        assert!(
            out[5].contains("username admin privilege 15\n"),
            "{}",
            out[5]
        );
        assert!(out[6].contains("hostname dev1\n"), "{}", out[6]);
    }
}
