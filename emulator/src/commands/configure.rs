//! Configuration-mode commands: each turns a matched line into a change of a [`Config`]. The same
//! handlers serve a user at `host(config)#` and the replay of a startup-config file on boot
//! ([`load_config_text`]), so the saved text and the live commands can never disagree. The CMS
//! settings (`cms enable`, `cdm ip`, `cdm role`) are in `cms_config`.

use cli_grammar::Parsed;

use super::args::Args;
use super::context::{Applied, ConfigMode, Next};
use super::unit::{ConfigCommand, ConfigModes, Place};
use crate::config::{is_hostname, is_netmask, reveal_password, Config, DeviceKind, User};
use crate::text::msg;

pub(super) static CONFIG: &[&ConfigCommand] = &[
    &HOSTNAME,
    &NO_HOSTNAME,
    &INTERFACE,
    &IP_DEFAULT_GATEWAY,
    &NO_IP_DEFAULT_GATEWAY,
    &USERNAME,
    &USERNAME_OBSCURED,
    &USERNAME_PRIVILEGE,
    &NO_USERNAME,
    &DEVICE_MODE,
    &DO,
    &EXIT,
    &END,
    &IP_ADDRESS,
    &NO_IP_ADDRESS,
    &SHUTDOWN,
    &NO_SHUTDOWN,
];

/// Help of the `no` keyword, shared by every `no` command.
pub const H_NO: &str = "Negate a command or set its defaults";
/// Help of the `ip` keyword.
pub const H_IP: &str = "Internet Protocol configuration";
const H_USERNAME: &str = "Establish user name authentication";
const H_USER_NAME: &str = "User name";
const H_PASSWORD: &str = "Set the user password";
const H_PRIVILEGE: &str = "Set the user privilege level";
const H_PRIV_LEVEL: &str = "Privilege level";
const H_GATEWAY: &str = "Specify the default gateway";
const H_GATEWAY_ADDRESS: &str = "Address of the default gateway";
const H_IP_ADDRESS: &str = "Set the interface IP address";
const H_SHUTDOWN: &str = "Shut down this interface";

const H_HOSTNAME: &str = "Configure the system's network name";
const H_HOSTNAME_NAME: &str = "This system's network name";

static HOSTNAME: ConfigCommand = ConfigCommand::new(
    "hostname WORD$name",
    &[H_HOSTNAME, H_HOSTNAME_NAME],
    |args, config, _| {
        let name = args.word("name");
        if !is_hostname(name) {
            return Err(msg::BAD_HOSTNAME.into());
        }
        config.hostname = name.to_string();
        Ok(Applied::default())
    },
);

/// `no hostname`: back to the factory hostname, the model number [recalled: ACNS command
/// reference; see `DeviceKind::factory_hostname`].
static NO_HOSTNAME: ConfigCommand = ConfigCommand::new(
    "no hostname [WORD$name]",
    &[H_NO, H_HOSTNAME, H_HOSTNAME_NAME],
    |_, config, place| {
        config.hostname = place.kind.factory_hostname().to_string();
        Ok(Applied::default())
    },
);

static INTERFACE: ConfigCommand = ConfigCommand::new(
    "interface GigabitEthernet S/P$interface",
    &[
        "Configure an interface",
        "Select a gigabit ethernet interface to configure",
        "GigabitEthernet slot/port",
    ],
    |args, config, _| {
        let (slot, port) = args.slot_port("interface");
        let key = (u8::try_from(slot), u8::try_from(port));
        match key {
            (Ok(slot), Ok(port)) if config.interfaces.contains_key(&(slot, port)) => Ok(
                Applied::next(Next::Enter(ConfigMode::Interface(slot, port))),
            ),
            _ => Err(format!("{}{slot}/{port}", msg::NO_SUCH_INTERFACE)),
        }
    },
)
.modes(ConfigModes::Both);

static IP_DEFAULT_GATEWAY: ConfigCommand = ConfigCommand::new(
    "ip default-gateway A.B.C.D$gateway",
    &[H_IP, H_GATEWAY, H_GATEWAY_ADDRESS],
    |args, config, _| {
        config.default_gateway = Some(args.ipv4("gateway"));
        Ok(Applied::default())
    },
);

static NO_IP_DEFAULT_GATEWAY: ConfigCommand = ConfigCommand::new(
    "no ip default-gateway [A.B.C.D$gateway]",
    &[H_NO, H_IP, H_GATEWAY, H_GATEWAY_ADDRESS],
    |_, config, _| {
        config.default_gateway = None;
        Ok(Applied::default())
    },
);

/// `username NAME password ...` sets a password (a new user gets privilege 0 unless the line says
/// otherwise); ACNS writes a user as two lines, `username NAME password 1 OBSCURED` then `username
/// NAME privilege N` [recalled, contract §12]; the one-line form with `privilege` is accepted too.
static USERNAME: ConfigCommand = ConfigCommand::new(
    "username NAME password PASSWORD [privilege (0-15)$privilege]",
    &[
        H_USERNAME,
        H_USER_NAME,
        H_PASSWORD,
        "The user password (clear text)",
        H_PRIVILEGE,
        H_PRIV_LEVEL,
    ],
    |args, config, _| {
        let password = args.word("password").to_string();
        set_user(config, args, password)
    },
);

static USERNAME_OBSCURED: ConfigCommand = ConfigCommand::new(
    "username NAME password 1 OBSCURED [privilege (0-15)$privilege]",
    &[
        H_USERNAME,
        H_USER_NAME,
        H_PASSWORD,
        "Specifies an obscured password follows",
        "The obscured password",
        H_PRIVILEGE,
        H_PRIV_LEVEL,
    ],
    |args, config, _| {
        let password = reveal_password(args.word("obscured"))
            .ok_or_else(|| msg::BAD_OBSCURED_PASSWORD.to_string())?;
        set_user(config, args, password)
    },
);

static USERNAME_PRIVILEGE: ConfigCommand = ConfigCommand::new(
    "username NAME privilege (0-15)$privilege",
    &[H_USERNAME, H_USER_NAME, H_PRIVILEGE, H_PRIV_LEVEL],
    |args, config, _| {
        let name = args.word("name");
        let Some(password) = config.users.get(name).map(|u| u.password.clone()) else {
            return Err(format!("{}{name}", msg::NO_SUCH_USER));
        };
        set_user(config, args, password)
    },
);

/// Sets `NAME`'s password and, if the line gives one, privilege (else the user's own, 0 if new).
fn set_user(config: &mut Config, args: &Args<'_>, password: String) -> Result<Applied, String> {
    let name = args.word("name").to_string();
    let privilege = match args.opt_number("privilege") {
        Some(privilege) => privilege as u8,
        None => config.users.get(&name).map_or(0, |u| u.privilege),
    };
    if privilege < 15 && is_last_admin(config, &name) {
        return Err(msg::LAST_ADMIN.into());
    }
    config.users.insert(
        name,
        User {
            password,
            privilege,
        },
    );
    Ok(Applied::default())
}

static NO_USERNAME: ConfigCommand = ConfigCommand::new(
    "no username NAME",
    &[H_NO, H_USERNAME, H_USER_NAME],
    |args, config, _| {
        let name = args.word("name");
        if is_last_admin(config, name) {
            return Err(msg::LAST_ADMIN.into());
        }
        config.users.remove(name);
        Ok(Applied::default())
    },
);

static DEVICE_MODE: ConfigCommand = ConfigCommand::new(
    "device mode {content-distribution-manager | content-engine | content-router}",
    &[
        "Configure the device",
        "Device mode (takes effect after reload)",
        "Content Distribution Manager",
        "Content Engine",
        "Content Router",
    ],
    |args, config, place| {
        let new_kind = DeviceKind::ALL
            .into_iter()
            .find(|kind| args.has(kind.device_mode()))
            .unwrap_or(place.kind);
        let mut applied = Applied::default();
        if new_kind != config.device_mode {
            applied.notice = Some(msg::DEVICE_MODE_AFTER_RELOAD.to_string());
        }
        config.device_mode = new_kind;
        Ok(applied)
    },
);

static DO: ConfigCommand = ConfigCommand::new(
    "do LINE",
    &["Run an EXEC command", "EXEC command"],
    |args, _, _| Ok(Applied::next(Next::Exec(args.word("line").to_string()))),
)
.modes(ConfigModes::Both);

static EXIT: ConfigCommand = ConfigCommand::new("exit", &["Exit from this mode"], |_, _, _| {
    Ok(Applied::next(Next::Up))
})
.modes(ConfigModes::Both);

static END: ConfigCommand =
    ConfigCommand::new("end", &["Exit to privileged EXEC mode"], |_, _, _| {
        Ok(Applied::next(Next::End))
    })
    .modes(ConfigModes::Both);

static IP_ADDRESS: ConfigCommand = ConfigCommand::new(
    "ip address A.B.C.D$address A.B.C.D$mask",
    &[H_IP, H_IP_ADDRESS, "IP address", "IP subnet mask"],
    |args, config, place| {
        let mask = args.ipv4("mask");
        if !is_netmask(mask) {
            return Err(format!("{}{mask}", msg::BAD_MASK));
        }
        interface(config, place)?.address = Some((args.ipv4("address"), mask));
        Ok(Applied::default())
    },
)
.modes(ConfigModes::Interface);

static NO_IP_ADDRESS: ConfigCommand = ConfigCommand::new(
    "no ip address [A.B.C.D$address A.B.C.D$mask]",
    &[H_NO, H_IP, H_IP_ADDRESS, "IP address", "IP subnet mask"],
    |_, config, place| {
        interface(config, place)?.address = None;
        Ok(Applied::default())
    },
)
.modes(ConfigModes::Interface);

static SHUTDOWN: ConfigCommand =
    ConfigCommand::new("shutdown", &[H_SHUTDOWN], |_, config, place| {
        interface(config, place)?.shutdown = true;
        Ok(Applied::default())
    })
    .modes(ConfigModes::Interface);

static NO_SHUTDOWN: ConfigCommand =
    ConfigCommand::new("no shutdown", &[H_NO, H_SHUTDOWN], |_, config, place| {
        interface(config, place)?.shutdown = false;
        Ok(Applied::default())
    })
    .modes(ConfigModes::Interface);

/// The interface an interface-mode command applies to.
fn interface(config: &mut Config, place: Place) -> Result<&mut crate::config::Interface, String> {
    let ConfigMode::Interface(slot, port) = place.mode else {
        return Err(msg::NOT_ON_THIS_DEVICE.into());
    };
    Ok(config.interfaces.entry((slot, port)).or_default())
}

fn is_last_admin(config: &Config, name: &str) -> bool {
    let is_admin = config.users.get(name).is_some_and(|u| u.privilege == 15);
    is_admin && config.users.values().filter(|u| u.privilege == 15).count() == 1
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
        match super::config_grammar(*mode, kind).parse(line) {
            Parsed::Empty => return Ok(()),
            Parsed::Match(m) => {
                let (command, matched) = m.into_parts();
                let args = Args::new(&matched, command.syntax);
                let applied = (command.apply)(&args, config, Place { mode: *mode, kind })?;
                match applied.next {
                    Next::Enter(next) => *mode = next,
                    Next::Up => *mode = ConfigMode::Global,
                    Next::Stay | Next::End | Next::Exec(_) => {}
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

/// Reads a configuration text (a startup-config file) by replaying its lines through the
/// configuration grammar, as a device does on boot. Returns the configuration and the lines that were
/// rejected (1-based line number, message). A text without any user keeps the factory `admin` account
/// so a device can never be locked out by its own file.
pub fn load_config_text(
    text: &str,
    hostname: &str,
    kind: DeviceKind,
) -> (Config, Vec<(usize, String)>) {
    let factory = Config::factory(hostname, kind);
    let mut config = Config {
        users: Default::default(),
        cdm_role: None,
        ..factory.clone()
    };
    let mut errors = Vec::new();
    let mut mode = ConfigMode::Global;
    for (index, raw) in text.lines().enumerate() {
        let line = raw.trim();
        if line.is_empty() || line.starts_with('!') {
            continue;
        }
        if let Err(message) = replay_line(&mut config, &mut mode, line, kind) {
            errors.push((index + 1, message));
        }
    }
    if config.users.is_empty() {
        config.users = factory.users;
    }
    if kind == DeviceKind::Cdm && config.cdm_role.is_none() {
        config.cdm_role = factory.cdm_role;
    }
    (config, errors)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rendered_config_loads_back_identically() {
        for kind in DeviceKind::ALL {
            let mut config = Config::factory("dev-1", kind);
            config.default_gateway = Some("10.1.1.1".parse().unwrap());
            config.interfaces.get_mut(&(1, 0)).unwrap().address = Some((
                "10.1.1.10".parse().unwrap(),
                "255.255.255.0".parse().unwrap(),
            ));
            if kind != DeviceKind::Cdm {
                config.cdm_ip = Some("10.1.1.5".parse().unwrap());
            }
            config.cms_enabled = true;
            config.timezone = Some(crate::config::Timezone {
                name: "JST".into(),
                hours: -9,
                minutes: 30,
            });
            config.ntp_servers = vec!["10.1.1.100".parse().unwrap(), "10.1.1.101".parse().unwrap()];
            config.name_servers = vec!["10.1.1.53".parse().unwrap(), "10.1.1.54".parse().unwrap()];
            config.domain_name = Some("lab.example".into());
            config.logging_hosts = vec!["10.1.1.99".parse().unwrap()];
            config.snmp_communities.insert("public".into(), false);
            config.snmp_communities.insert("private".into(), true);
            config.exec_timeout = Some(0);
            config.users.insert(
                "oper".into(),
                crate::config::User {
                    password: "s3cret pw".into(),
                    privilege: 0,
                },
            );
            let text = config.render(crate::release::DEFAULT_VERSION);
            let (loaded, errors) = load_config_text(&text, "other", kind);
            assert_eq!(errors, vec![], "{text}");
            assert_eq!(loaded, config, "{text}");
        }
    }

    #[test]
    fn no_hostname_goes_back_to_the_model_number() {
        let out = crate::commands::testing::run(
            DeviceKind::Cdm,
            &["configure", "no hostname", "do show running-config"],
        );
        assert!(out[2].contains("\nhostname CDM-4650\n"), "{}", out[2]);
    }

    #[test]
    fn bad_startup_lines_are_reported_with_their_number() {
        let (config, errors) = load_config_text(
            "hostname ok\nfrobnicate\nip default-gateway 999.1.1.1\n",
            "x",
            DeviceKind::Ce,
        );
        assert_eq!(config.hostname, "ok");
        assert_eq!(errors.iter().map(|e| e.0).collect::<Vec<_>>(), vec![2, 3]);
        assert!(config.users.contains_key("admin"));
    }
}
