//! What a command is: one declaration that carries its syntax, its help (one string per token),
//! where it may run (EXEC level or configuration modes, device kinds), the questions it may ask and
//! its handler. EXEC commands ([`ExecCommand`]) and configuration commands ([`ConfigCommand`]) are
//! two types, so a command cannot be declared for a mode it has no handler for.
//!
//! Each area module (`show`, `system`, `configure`, `cms`, ...) declares its commands as `static`s
//! next to their handlers and lists them in its `EXEC` / `CONFIG` slice; `commands::grammar` builds
//! the per-mode grammars from those slices. Nothing here touches sockets or sessions.

use crate::config::{Config, DeviceKind};
use crate::device::Device;
use crate::network::Network;

use super::args::Args;
use super::context::{Applied, ConfigMode, Ctx};
use super::outcome::{Ask, Outcome};

/// Device kinds that have a command; empty means all.
pub type Kinds = &'static [DeviceKind];

/// Every device kind.
pub const ANY: Kinds = &[];
/// Content Distribution Managers only.
pub const CDM_ONLY: Kinds = &[DeviceKind::Cdm];
/// Content Engines and Content Routers.
pub const CE_CR: Kinds = &[DeviceKind::Ce, DeviceKind::Cr];

/// Runs an EXEC command: reads or changes the device and the session, says what comes next.
pub type ExecFn = fn(&Args<'_>, &mut Ctx<'_>) -> Outcome;

/// Applies a configuration command to a configuration (a candidate copy: it replaces the running
/// configuration only on `Ok`). The same function serves a user at `(config)#` and the replay of a
/// startup-config on boot. `Err` is the `% ...` message.
pub type ApplyFn = fn(&Args<'_>, &mut Config, Place) -> Result<Applied, String>;

/// Checks a configuration command against the live device before it is applied (interactive use
/// only, not on replay), on the lab network it is on. `Ok(Some(text))` is a notice to print; `Err`
/// the `% ...` message.
pub type CheckFn = fn(&Args<'_>, &Device, Option<&Network>) -> Result<Option<String>, String>;

/// Where a configuration command is applied.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Place {
    pub mode: ConfigMode,
    pub kind: DeviceKind,
}

/// An EXEC command (`ce1>` and `ce1#`).
pub struct ExecCommand {
    /// The declaration: keywords, named placeholders (`A.B.C.D$address`), `[ ]`, `{ | }`.
    pub syntax: &'static str,
    /// One help string per token of `syntax`, in order.
    pub help: &'static [&'static str],
    /// Only at the privileged prompt (`#`); otherwise at both.
    pub privileged: bool,
    pub kinds: Kinds,
    /// The questions the handler (or an answer's continuation) may ask.
    pub asks: &'static [&'static Ask],
    pub run: ExecFn,
}

/// Which configuration modes a configuration command belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConfigModes {
    /// `(config)#` only.
    Global,
    /// `(config-if)#` only.
    Interface,
    /// Both.
    Both,
}

impl ConfigModes {
    pub fn contains(self, mode: ConfigMode) -> bool {
        matches!(
            (self, mode),
            (ConfigModes::Both, _)
                | (ConfigModes::Global, ConfigMode::Global)
                | (ConfigModes::Interface, ConfigMode::Interface(..))
        )
    }
}

/// A configuration command (`(config)#`, `(config-if)#`).
pub struct ConfigCommand {
    pub syntax: &'static str,
    pub help: &'static [&'static str],
    pub modes: ConfigModes,
    pub kinds: Kinds,
    pub check: Option<CheckFn>,
    pub apply: ApplyFn,
}

impl ExecCommand {
    /// A command of user and privileged EXEC, on every device kind, asking nothing.
    pub const fn new(syntax: &'static str, help: &'static [&'static str], run: ExecFn) -> Self {
        ExecCommand {
            syntax,
            help,
            privileged: false,
            kinds: ANY,
            asks: &[],
            run,
        }
    }

    /// Only at the privileged prompt.
    pub const fn privileged(self) -> Self {
        ExecCommand {
            privileged: true,
            ..self
        }
    }

    /// Only on these device kinds.
    pub const fn only(self, kinds: Kinds) -> Self {
        ExecCommand { kinds, ..self }
    }

    /// May ask these questions.
    pub const fn asks(self, asks: &'static [&'static Ask]) -> Self {
        ExecCommand { asks, ..self }
    }
}

impl ConfigCommand {
    /// A command of global configuration, on every device kind, without a live check.
    pub const fn new(syntax: &'static str, help: &'static [&'static str], apply: ApplyFn) -> Self {
        ConfigCommand {
            syntax,
            help,
            modes: ConfigModes::Global,
            kinds: ANY,
            check: None,
            apply,
        }
    }

    /// In these configuration modes.
    pub const fn modes(self, modes: ConfigModes) -> Self {
        ConfigCommand { modes, ..self }
    }

    /// Only on these device kinds.
    pub const fn only(self, kinds: Kinds) -> Self {
        ConfigCommand { kinds, ..self }
    }

    /// Checked against the live device first.
    pub const fn checked(self, check: CheckFn) -> Self {
        ConfigCommand {
            check: Some(check),
            ..self
        }
    }
}

fn kinds_have(kinds: Kinds, kind: DeviceKind) -> bool {
    kinds.is_empty() || kinds.contains(&kind)
}

impl ExecCommand {
    pub fn on(&self, kind: DeviceKind) -> bool {
        kinds_have(self.kinds, kind)
    }
}

impl ConfigCommand {
    pub fn on(&self, kind: DeviceKind) -> bool {
        kinds_have(self.kinds, kind)
    }
}

// Declarations are `static`s: a command is the same one wherever it is referred to, so the
// grammar's ids compare by address.
impl PartialEq for ExecCommand {
    fn eq(&self, other: &Self) -> bool {
        std::ptr::eq(self, other)
    }
}
impl Eq for ExecCommand {}
impl PartialEq for ConfigCommand {
    fn eq(&self, other: &Self) -> bool {
        std::ptr::eq(self, other)
    }
}
impl Eq for ConfigCommand {}

impl std::fmt::Debug for ExecCommand {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "`{}`", self.syntax)
    }
}
impl std::fmt::Debug for ConfigCommand {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "`{}`", self.syntax)
    }
}
