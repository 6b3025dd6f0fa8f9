//! What a handler works on besides its arguments: the device, the lab network it is on, and the state of the session that
//! typed the line (mode, privilege, terminal settings, history, current directory). Handlers change the session
//! through [`Ctx`] and never see a socket; the session (one layer up) owns the state and prints.

use std::sync::Arc;

use crate::device::Device;
use crate::disk_path::DiskPath;
use crate::network::Network;

/// Where in configuration a line is applied.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConfigMode {
    Global,
    Interface(u8, u8),
}

/// Where a session is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    Exec,
    Config(ConfigMode),
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

/// The state of one CLI session that commands read and change.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionState {
    /// The id the device knows the session by (`show users`).
    pub id: u64,
    pub user: String,
    pub privilege: u8,
    pub mode: Mode,
    pub term: TermSettings,
    /// Commands typed, oldest first (`show history`).
    pub history: Vec<String>,
    /// The current directory on the disk (`cd`, `pwd`); relative names start there.
    pub cwd: DiskPath,
}

/// What an EXEC handler (or an answer's continuation) gets.
pub struct Ctx<'a> {
    pub device: &'a Arc<Device>,
    /// The lab's network the device is on (`None` outside a lab: nothing answers).
    pub network: Option<&'a Network>,
    pub session: &'a mut SessionState,
}

/// What a configuration command does besides changing the configuration.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Applied {
    /// A line to print (a notice, not an error).
    pub notice: Option<String>,
    /// Where the session goes next.
    pub next: Next,
}

/// Where a session goes after a configuration command.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum Next {
    /// Stays in its mode.
    #[default]
    Stay,
    /// Enters a sub-mode (`interface GigabitEthernet 1/0`).
    Enter(ConfigMode),
    /// Leaves the mode for the one above (`exit`).
    Up,
    /// Back to privileged EXEC (`end`).
    End,
    /// Runs this EXEC command line and stays (`do LINE`).
    Exec(String),
}

impl Applied {
    pub fn next(next: Next) -> Self {
        Applied { notice: None, next }
    }
}
