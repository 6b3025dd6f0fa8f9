//! EXEC commands that change the session or the device: `configure`, `enable`, `disable`, `exit`,
//! `terminal`, `write memory`, `copy ... -config`, `reload`. A handler decides; the session carries
//! out the [`Outcome`] (mode changes, prompts, the reload effect).

use cli_grammar::Match;

use super::Cmd;
use crate::device::Device;
use crate::text::msg;

/// What an EXEC command asks the session to do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// Print this text (may be empty).
    Print(String),
    /// Print this `% ...` error; the command failed.
    Fail(String),
    /// Enter global configuration mode.
    EnterConfig,
    /// Ask for a password, then raise the privilege to 15.
    AskEnablePassword,
    /// Drop to user EXEC.
    Disable,
    /// Close the session.
    Close,
    /// Ask whether to save before the reload, then confirm.
    AskSaveBeforeReload,
    /// Ask to confirm the reload.
    AskConfirmReload,
    /// Reload now.
    Reload,
    /// Ask to confirm `cms database delete`.
    AskDeleteCms,
    /// Ask the FTP login for a copy.
    AskFtpLogin(crate::session::FtpCopy),
    /// Run a long task.
    Run(crate::tasks::Task),
    /// An image was installed: print this, then reboot.
    Installed(String),
}

/// Terminal settings a session keeps.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TermSettings {
    pub length: u32,
    pub width: u32,
}

impl Default for TermSettings {
    fn default() -> Self {
        TermSettings {
            length: 24,
            width: 80,
        }
    }
}

/// Runs an EXEC command that is not a plain `show`.
pub fn run(m: &Match<Cmd>, device: &Device, privilege: u8, term: &mut TermSettings) -> Outcome {
    match m.id {
        Cmd::Configure => Outcome::EnterConfig,
        Cmd::Enable if privilege >= 15 => Outcome::Print(String::new()),
        Cmd::Enable => Outcome::AskEnablePassword,
        Cmd::Disable => Outcome::Disable,
        Cmd::Exit => Outcome::Close,
        Cmd::TerminalLength => {
            term.length = m.number("(0-512)").unwrap_or(24) as u32;
            Outcome::Print(String::new())
        }
        Cmd::TerminalWidth => {
            term.width = m.number("(0-512)").unwrap_or(80) as u32;
            Outcome::Print(String::new())
        }
        Cmd::WriteMemory | Cmd::CopyRunningStartup => save(device),
        Cmd::CopyStartupRunning => {
            let mut state = device.state();
            let startup = state.startup.clone();
            state.running = startup;
            Outcome::Print(String::new())
        }
        Cmd::Reload if m.has("force") => Outcome::Reload,
        Cmd::Reload => {
            let state = device.state();
            if state.running != state.startup {
                Outcome::AskSaveBeforeReload
            } else {
                Outcome::AskConfirmReload
            }
        }
        Cmd::CmsBackup
        | Cmd::CmsCreate
        | Cmd::CmsDelete
        | Cmd::CmsRestore
        | Cmd::CmsValidate
        | Cmd::CmsDowngrade => super::cms::run(m, device),
        Cmd::CmsDeregister => super::cms::deregister(m, device),
        Cmd::CopyFtpInstall | Cmd::CopyFtpDisk | Cmd::CopyDiskFtp => {
            let args = m.args();
            let arg = |i: usize| args.get(i).map(|s| s.to_string()).unwrap_or_default();
            Outcome::AskFtpLogin(crate::session::FtpCopy {
                host: arg(0),
                dir: arg(1),
                file: arg(2),
                local: (m.id != Cmd::CopyFtpInstall).then(|| arg(3)),
                upload: m.id == Cmd::CopyDiskFtp,
            })
        }
        Cmd::CopyHttpInstall => {
            let args = m.args();
            let arg = |i: usize| args.get(i).map(|s| s.to_string()).unwrap_or_default();
            Outcome::Run(crate::tasks::Task::Download {
                via: crate::tasks::Via::Http {
                    port: m.number("(1-65535)").unwrap_or(80) as u16,
                },
                host: arg(0),
                dir: arg(1),
                file: arg(2),
                then: crate::tasks::Then::Install,
            })
        }
        Cmd::Install => super::files::install(m, device),
        Cmd::Delfile => super::files::delfile(m, device),
        Cmd::Cpfile => super::files::cpfile(m, device),
        other => Outcome::Fail(format!("% Error: {other:?} is not an EXEC command")),
    }
}

/// `write memory`: save and report as IOS does.
pub fn save(device: &Device) -> Outcome {
    match device.save_running() {
        Ok(()) => Outcome::Print(format!("{}\n{}\n", msg::BUILDING_CONFIGURATION, msg::OK)),
        Err(e) => Outcome::Fail(format!("% Error: cannot save the configuration: {e}")),
    }
}
