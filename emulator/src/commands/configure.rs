//! Configuration-mode handlers: each turns a matched command into a change of a [`Config`]. The same
//! code serves a user at `host(config)#` and the replay of a startup-config file on boot, so the saved
//! text and the live commands can never disagree.

use std::net::Ipv4Addr;

use cli_grammar::{Match, Parsed};

use super::{grammar, Cmd, Grammar};
use crate::config::{is_hostname, is_netmask, reveal_password, CdmRole, Config, DeviceKind, User};
use crate::text::msg;

/// Where in configuration a line is applied.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConfigMode {
    Global,
    Interface(u8, u8),
}

impl ConfigMode {
    pub fn grammar(self) -> Grammar {
        match self {
            ConfigMode::Global => Grammar::Config,
            ConfigMode::Interface(..) => Grammar::Interface,
        }
    }
}

/// What a configuration command did, besides changing the configuration.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Applied {
    /// A line to print (a notice, not an error).
    pub notice: Option<&'static str>,
    /// The mode to continue in (entering an interface).
    pub enter: Option<ConfigMode>,
}

/// Applies one matched configuration command to `config`. `Err` carries the `% ...` message to print;
/// the configuration is unchanged in that case.
pub fn apply(
    m: &Match<Cmd>,
    config: &mut Config,
    mode: ConfigMode,
    kind: DeviceKind,
) -> Result<Applied, String> {
    let ip = |placeholder_index: usize| -> Ipv4Addr {
        m.args()
            .get(placeholder_index)
            .and_then(|a| a.parse().ok())
            .unwrap_or(Ipv4Addr::UNSPECIFIED)
    };
    let mut applied = Applied::default();
    match m.id {
        Cmd::Hostname => {
            let name = m.arg("WORD").unwrap_or_default();
            if !is_hostname(name) {
                return Err(msg::BAD_HOSTNAME.into());
            }
            config.hostname = name.to_string();
        }
        Cmd::Interface => {
            let (slot, port) = parse_slot_port(m.arg("S/P").unwrap_or_default());
            if !config.interfaces.contains_key(&(slot, port)) {
                return Err(format!("{}{slot}/{port}", msg::NO_SUCH_INTERFACE));
            }
            applied.enter = Some(ConfigMode::Interface(slot, port));
        }
        Cmd::IpDefaultGateway => config.default_gateway = Some(ip(0)),
        Cmd::NoIpDefaultGateway => config.default_gateway = None,
        Cmd::Username | Cmd::UsernameObscured => {
            let name = m.arg("NAME").unwrap_or_default().to_string();
            let password = if m.id == Cmd::UsernameObscured {
                reveal_password(m.arg("OBSCURED").unwrap_or_default())
                    .ok_or_else(|| msg::BAD_OBSCURED_PASSWORD.to_string())?
            } else {
                m.arg("PASSWORD").unwrap_or_default().to_string()
            };
            let privilege = m.number("(0-15)").unwrap_or(0) as u8;
            let demotes_last_admin = privilege < 15 && is_last_admin(config, &name);
            if demotes_last_admin {
                return Err(msg::LAST_ADMIN.into());
            }
            config.users.insert(
                name,
                User {
                    password,
                    privilege,
                },
            );
        }
        Cmd::NoUsername => {
            let name = m.arg("NAME").unwrap_or_default();
            if is_last_admin(config, name) {
                return Err(msg::LAST_ADMIN.into());
            }
            config.users.remove(name);
        }
        Cmd::CmsEnable => config.cms_enabled = true,
        Cmd::NoCmsEnable => config.cms_enabled = false,
        Cmd::CdmIp => {
            if kind == DeviceKind::Cdm && config.cdm_role == Some(CdmRole::Primary) {
                return Err(msg::NOT_ON_THIS_DEVICE.into());
            }
            config.cdm_ip = Some(ip(0));
        }
        Cmd::NoCdmIp => config.cdm_ip = None,
        Cmd::CdmRole => {
            config.cdm_role = Some(if m.has("standby") {
                CdmRole::Standby
            } else {
                CdmRole::Primary
            });
            if config.cdm_role == Some(CdmRole::Primary) {
                config.cdm_ip = None;
            }
        }
        Cmd::DeviceMode => {
            let word = m.words.get(2).map(|w| w.text.as_str()).unwrap_or_default();
            let new_kind = DeviceKind::from_device_mode(word).unwrap_or(kind);
            if new_kind != config.device_mode {
                applied.notice = Some(msg::DEVICE_MODE_AFTER_RELOAD);
            }
            config.device_mode = new_kind;
        }
        Cmd::IpAddress | Cmd::NoIpAddress | Cmd::Shutdown | Cmd::NoShutdown => {
            let ConfigMode::Interface(slot, port) = mode else {
                return Err(msg::NOT_ON_THIS_DEVICE.into());
            };
            let mask = ip(1);
            if m.id == Cmd::IpAddress && !is_netmask(mask) {
                return Err(format!("{}{mask}", msg::BAD_MASK));
            }
            let iface = config.interfaces.entry((slot, port)).or_default();
            match m.id {
                Cmd::IpAddress => iface.address = Some((ip(0), mask)),
                Cmd::NoIpAddress => iface.address = None,
                Cmd::Shutdown => iface.shutdown = true,
                _ => iface.shutdown = false,
            }
        }
        other => return Err(format!("% Error: {other:?} is not a configuration command")),
    }
    Ok(applied)
}

fn is_last_admin(config: &Config, name: &str) -> bool {
    let is_admin = config.users.get(name).is_some_and(|u| u.privilege == 15);
    is_admin && config.users.values().filter(|u| u.privilege == 15).count() == 1
}

/// `1/0` -> (1, 0); the grammar has already checked the shape.
pub fn parse_slot_port(text: &str) -> (u8, u8) {
    let mut parts = text.split('/').map(|p| p.parse::<u8>().unwrap_or(u8::MAX));
    (
        parts.next().unwrap_or(u8::MAX),
        parts.next().unwrap_or(u8::MAX),
    )
}

/// Replays one line of a configuration file in `mode`, following `interface` and `exit` the way the
/// CLI does; a line that does not belong to the interface mode falls back to global configuration.
pub fn replay_line(
    config: &mut Config,
    mode: &mut ConfigMode,
    line: &str,
    kind: DeviceKind,
) -> Result<(), String> {
    loop {
        match grammar(mode.grammar(), kind).parse(line) {
            Parsed::Empty => return Ok(()),
            Parsed::Match(m) if m.id == Cmd::Exit => {
                *mode = ConfigMode::Global;
                return Ok(());
            }
            Parsed::Match(m) if matches!(m.id, Cmd::End | Cmd::Do) => return Ok(()),
            Parsed::Match(m) => {
                let applied = apply(&m, config, *mode, kind)?;
                if let Some(next) = applied.enter {
                    *mode = next;
                }
                return Ok(());
            }
            Parsed::Error(e) if *mode == ConfigMode::Global => {
                return Err(cli_grammar::render_error(&e, 0, line)
                    .trim_end()
                    .replace('\n', " "))
            }
            Parsed::Error(_) => *mode = ConfigMode::Global,
        }
    }
}
