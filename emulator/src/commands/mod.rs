//! The commands of the CLI, one unit each: a declaration (syntax with named placeholders, one help
//! string per token, where it runs) that carries its handler, in one area module per subject.
//! Parsing, abbreviations, `?` help, Tab completion and `^` errors all come from these
//! declarations through `cli-grammar`; the per-mode grammars are built here, once.
//!
//! Module map:
//! - [`unit`]: what a command is ([`ExecCommand`], [`ConfigCommand`]); [`args`]: typed, named
//!   arguments; [`context`]: the session state a handler sees; [`outcome`]: what an EXEC command
//!   leads to, questions included.
//! - Areas: [`show`], [`system`] (modes, terminal, save, erase, reload), [`clock`] (`clock set`,
//!   `show clock`, `show ntp status`), [`status`] (processes, memory, services, statistics,
//!   tech-support), [`configure`] (global and interface configuration, the startup-config
//!   replay), [`services`] (clock timezone, NTP, DNS, syslog, SNMP, exec-timeout), [`cms`],
//!   [`cms_show`], [`cms_config`], [`copy`] (transfers), [`files`] (what changes the disk:
//!   `install`, `delfile`, `cpfile`, `rename`, `mkdir`, `rmdir`, `deltree`, `mkfile`),
//!   [`directory`] (what looks at it: `cd`, `pwd`, `dir`, `ls`, `lls`, `type`, `type-tail`),
//!   [`net`] (`ping`, `traceroute`, `dnslookup`, `show interface`, `show ip routes`, `show arp`).
//!
//! Handlers read and change device state and return an [`Outcome`] or an [`Applied`]; they never
//! touch sockets or sessions. Adding a command: docs/adding-a-command.md.

pub mod args;
pub mod clock;
pub mod cms;
pub mod cms_config;
pub mod cms_show;
pub mod configure;
pub mod context;
pub mod copy;
pub mod directory;
pub mod files;
pub mod net;
pub mod outcome;
pub mod pipe;
pub mod services;
pub mod show;
pub mod status;
pub mod system;
pub mod unit;

use std::collections::HashMap;
use std::sync::OnceLock;

use cli_grammar::CommandSet;

use crate::config::DeviceKind;

pub use args::Args;
pub use configure::load_config_text;
pub use context::{Applied, ConfigMode, Ctx, Mode, Next, SessionState, TermSettings};
pub use outcome::{Ask, Input, Outcome, Question};
pub use unit::{ConfigCommand, ExecCommand, Place};

/// The id an EXEC grammar gives back: the command's declaration.
pub type ExecId = &'static ExecCommand;
/// The id a configuration grammar gives back.
pub type ConfigId = &'static ConfigCommand;

/// Every EXEC command, area by area.
static EXEC_AREAS: &[&[&ExecCommand]] = &[
    show::EXEC,
    status::EXEC,
    cms_show::EXEC,
    system::EXEC,
    clock::EXEC,
    cms::EXEC,
    copy::EXEC,
    files::EXEC,
    net::EXEC,
    directory::EXEC,
];

/// Every configuration command, area by area.
static CONFIG_AREAS: &[&[&ConfigCommand]] =
    &[configure::CONFIG, services::CONFIG, cms_config::CONFIG];

/// Every EXEC command.
pub fn exec_commands() -> impl Iterator<Item = &'static ExecCommand> {
    EXEC_AREAS.iter().flat_map(|area| area.iter().copied())
}

/// Every configuration command.
pub fn config_commands() -> impl Iterator<Item = &'static ConfigCommand> {
    CONFIG_AREAS.iter().flat_map(|area| area.iter().copied())
}

/// Every declared syntax, as a user reads it (without placeholder names).
pub fn syntaxes() -> Vec<String> {
    exec_commands()
        .map(|c| c.syntax)
        .chain(config_commands().map(|c| c.syntax))
        .map(cli_grammar::display_syntax)
        .collect()
}

/// Every question a command may ask.
pub fn questions() -> impl Iterator<Item = &'static Ask> {
    exec_commands().flat_map(|c| c.asks.iter().copied())
}

struct Grammars {
    exec: HashMap<(bool, DeviceKind), CommandSet<ExecId>>,
    config: HashMap<(bool, DeviceKind), CommandSet<ConfigId>>,
}

fn grammars() -> &'static Grammars {
    static GRAMMARS: OnceLock<Grammars> = OnceLock::new();
    GRAMMARS.get_or_init(|| build_grammars().unwrap_or_else(|e| panic!("command table: {e}")))
}

/// The EXEC grammar at the privileged (`#`) or user (`>`) prompt of a device of `kind`.
pub fn exec_grammar(privileged: bool, kind: DeviceKind) -> &'static CommandSet<ExecId> {
    &grammars().exec[&(privileged, kind)]
}

/// The grammar of configuration mode `mode` on a device of `kind`.
pub fn config_grammar(mode: ConfigMode, kind: DeviceKind) -> &'static CommandSet<ConfigId> {
    let interface = matches!(mode, ConfigMode::Interface(..));
    &grammars().config[&(interface, kind)]
}

/// Builds every grammar from the declarations; an error names the declaration at fault.
fn build_grammars() -> Result<Grammars, String> {
    let mut grammars = Grammars {
        exec: HashMap::new(),
        config: HashMap::new(),
    };
    for kind in DeviceKind::ALL {
        for privileged in [false, true] {
            let mut set = CommandSet::new();
            for command in exec_commands() {
                if command.on(kind) && (privileged || !command.privileged) {
                    set.add(command, command.syntax, command.help)
                        .map_err(|e| format!("{}: {e}", command.syntax))?;
                }
            }
            grammars.exec.insert((privileged, kind), set);
        }
        for (interface, mode) in [
            (false, ConfigMode::Global),
            (true, ConfigMode::Interface(1, 0)),
        ] {
            let mut set = CommandSet::new();
            for command in config_commands() {
                if command.on(kind) && command.modes.contains(mode) {
                    set.add(command, command.syntax, command.help)
                        .map_err(|e| format!("{}: {e}", command.syntax))?;
                }
            }
            grammars.config.insert((interface, kind), set);
        }
    }
    Ok(grammars)
}

#[cfg(test)]
pub(crate) mod testing;
#[cfg(test)]
mod tests;
