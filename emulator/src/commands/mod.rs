//! The command table: one declaration per command (modes, device kinds, syntax, one help string per
//! token) and the per-mode grammars built from it. Parsing, abbreviations, `?` help, Tab completion
//! and `^` errors all come from these declarations through `cli-grammar`.
//!
//! Handlers live in one module per area (`show`, `exec`, `configure`); they get typed arguments from the
//! grammar's match, read and change device state, and return a [`Reply`]. They never touch sockets.

pub mod cms;
pub mod configure;
pub mod exec;
pub mod files;
pub mod show;

use std::collections::HashMap;
use std::sync::OnceLock;

use cli_grammar::CommandSet;

use crate::config::{Config, DeviceKind};

/// Every command, by what it does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Cmd {
    // EXEC
    ShowVersion,
    ShowRunningConfig,
    ShowStartupConfig,
    ShowClock,
    ShowHardware,
    ShowDisksDetails,
    ShowDeviceMode,
    ShowPrivilege,
    ShowUsers,
    ShowTerminal,
    ShowHistory,
    ShowLogging,
    Dir,
    Configure,
    Enable,
    Disable,
    Exit,
    End,
    TerminalLength,
    TerminalWidth,
    WriteMemory,
    CopyRunningStartup,
    CopyStartupRunning,
    Reload,
    ShowCmsInfo,
    ShowCmsDatabase,
    ShowCmsDevices,
    CmsBackup,
    CmsCreate,
    CmsDelete,
    CmsRestore,
    CmsValidate,
    CmsDowngrade,
    CmsDeregister,
    CopyFtpInstall,
    CopyFtpDisk,
    CopyHttpInstall,
    CopyDiskFtp,
    Install,
    Delfile,
    Cpfile,
    // global configuration
    Hostname,
    Interface,
    IpDefaultGateway,
    NoIpDefaultGateway,
    Username,
    UsernameObscured,
    NoUsername,
    CmsEnable,
    NoCmsEnable,
    CdmIp,
    NoCdmIp,
    CdmRole,
    DeviceMode,
    Do,
    // interface configuration
    IpAddress,
    NoIpAddress,
    Shutdown,
    NoShutdown,
}

/// The grammars: which set of commands a line is parsed against.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Grammar {
    UserExec,
    PrivExec,
    Config,
    Interface,
}

/// One command's declaration.
pub struct Def {
    pub cmd: Cmd,
    /// Grammars the command belongs to.
    pub modes: &'static [Grammar],
    /// Device kinds that have it; empty means all.
    pub kinds: &'static [DeviceKind],
    pub syntax: &'static str,
    /// One help string per token of `syntax`, in order.
    pub help: &'static [&'static str],
}

use Grammar::{Config as CFG, Interface as IF, PrivExec as PRIV, UserExec as USER};

const ALL_EXEC: &[Grammar] = &[USER, PRIV];
const ALL_MODES: &[Grammar] = &[USER, PRIV, CFG, IF];
const CDM_ONLY: &[DeviceKind] = &[DeviceKind::Cdm];
const CE_CR: &[DeviceKind] = &[DeviceKind::Ce, DeviceKind::Cr];
const ANY: &[DeviceKind] = &[];

// Help strings shared by keywords that start several commands.
const H_SHOW: &str = "Show running system information";
const H_NO: &str = "Negate a command or set its defaults";
const H_COPY: &str = "Copy a file or configuration";
const H_TERMINAL: &str = "Set terminal line parameters";
const H_IP: &str = "Internet Protocol configuration";
const H_CDM: &str = "Configure the Content Distribution Manager";
const H_CMS: &str = "Configure the Centralized Management System";
const H_ENABLE_CMS: &str = "Enable the CMS service";
const H_USERNAME: &str = "Establish user name authentication";
const H_USER_NAME: &str = "User name";
const H_PASSWORD: &str = "Set the user password";
const H_PRIVILEGE: &str = "Set the user privilege level";
const H_PRIV_LEVEL: &str = "Privilege level";
const H_EXIT: &str = "Exit from this mode";
const H_END: &str = "Exit to privileged EXEC mode";
const H_CMS_EXEC: &str = "CMS utility commands";
const H_CMS_SHOW: &str = "Display Centralized Management System information";
const H_DATABASE: &str = "CMS database maintenance";
const H_FTP: &str = "Copy from an FTP server";
const H_HOST: &str = "Server name or IP address";
const H_REMOTEDIR: &str = "Remote directory";
const H_REMOTEFILE: &str = "Remote file name";
const H_LOCALFILE: &str = "File name in /local/local1";
const H_INSTALL: &str = "Download and install a software image (the device reboots)";
const H_DISK: &str = "Copy to or from the local disk (/local/local1)";
const H_RUNNING: &str = "Current operating configuration";
const H_STARTUP: &str = "Contents of startup configuration";

/// The command table.
pub const DEFS: &[Def] = &[
    Def {
        cmd: Cmd::ShowVersion,
        modes: ALL_EXEC,
        kinds: ANY,
        syntax: "show version",
        help: &[H_SHOW, "System software version and uptime"],
    },
    Def {
        cmd: Cmd::ShowRunningConfig,
        modes: &[PRIV],
        kinds: ANY,
        syntax: "show running-config",
        help: &[H_SHOW, H_RUNNING],
    },
    Def {
        cmd: Cmd::ShowStartupConfig,
        modes: &[PRIV],
        kinds: ANY,
        syntax: "show startup-config",
        help: &[H_SHOW, H_STARTUP],
    },
    Def {
        cmd: Cmd::ShowClock,
        modes: ALL_EXEC,
        kinds: ANY,
        syntax: "show clock",
        help: &[H_SHOW, "Display the system clock"],
    },
    Def {
        cmd: Cmd::ShowHardware,
        modes: ALL_EXEC,
        kinds: ANY,
        syntax: "show hardware",
        help: &[H_SHOW, "Display system hardware information"],
    },
    Def {
        cmd: Cmd::ShowDisksDetails,
        modes: &[PRIV],
        kinds: ANY,
        syntax: "show disks details",
        help: &[
            H_SHOW,
            "Disk and file system information",
            "Show disk details",
        ],
    },
    Def {
        cmd: Cmd::ShowDeviceMode,
        modes: &[PRIV],
        kinds: ANY,
        syntax: "show device-mode current",
        help: &[H_SHOW, "Display the device mode", "Current device mode"],
    },
    Def {
        cmd: Cmd::ShowPrivilege,
        modes: ALL_EXEC,
        kinds: ANY,
        syntax: "show privilege",
        help: &[H_SHOW, "Show current privilege level"],
    },
    Def {
        cmd: Cmd::ShowUsers,
        modes: ALL_EXEC,
        kinds: ANY,
        syntax: "show users",
        help: &[H_SHOW, "Display information about terminal lines"],
    },
    Def {
        cmd: Cmd::ShowTerminal,
        modes: ALL_EXEC,
        kinds: ANY,
        syntax: "show terminal",
        help: &[H_SHOW, "Display terminal configuration parameters"],
    },
    Def {
        cmd: Cmd::ShowLogging,
        modes: &[PRIV],
        kinds: ANY,
        syntax: "show logging",
        help: &[H_SHOW, "Display the system log"],
    },
    Def {
        cmd: Cmd::ShowHistory,
        modes: ALL_EXEC,
        kinds: ANY,
        syntax: "show history",
        help: &[H_SHOW, "Display the session command history"],
    },
    Def {
        cmd: Cmd::Dir,
        modes: &[PRIV],
        kinds: ANY,
        syntax: "dir [DIRECTORY]",
        help: &[
            "List files in a directory",
            "Directory name (default /local/local1)",
        ],
    },
    Def {
        cmd: Cmd::Configure,
        modes: &[PRIV],
        kinds: ANY,
        syntax: "configure [terminal]",
        help: &["Enter configuration mode", "Configure from the terminal"],
    },
    Def {
        cmd: Cmd::Enable,
        modes: ALL_EXEC,
        kinds: ANY,
        syntax: "enable",
        help: &["Turn on privileged commands"],
    },
    Def {
        cmd: Cmd::Disable,
        modes: &[PRIV],
        kinds: ANY,
        syntax: "disable",
        help: &["Turn off privileged commands"],
    },
    Def {
        cmd: Cmd::Exit,
        modes: ALL_MODES,
        kinds: ANY,
        syntax: "exit",
        help: &[H_EXIT],
    },
    Def {
        cmd: Cmd::End,
        modes: &[CFG, IF],
        kinds: ANY,
        syntax: "end",
        help: &[H_END],
    },
    Def {
        cmd: Cmd::TerminalLength,
        modes: ALL_EXEC,
        kinds: ANY,
        syntax: "terminal length (0-512)",
        help: &[
            H_TERMINAL,
            "Set number of lines on a screen",
            "Number of lines on screen (0 for no pausing)",
        ],
    },
    Def {
        cmd: Cmd::TerminalWidth,
        modes: ALL_EXEC,
        kinds: ANY,
        syntax: "terminal width (0-512)",
        help: &[
            H_TERMINAL,
            "Set width of the display terminal",
            "Number of characters on a screen line",
        ],
    },
    Def {
        cmd: Cmd::WriteMemory,
        modes: &[PRIV],
        kinds: ANY,
        syntax: "write [memory]",
        help: &[
            "Write running configuration to memory or terminal",
            "Write to NV memory",
        ],
    },
    Def {
        cmd: Cmd::CopyRunningStartup,
        modes: &[PRIV],
        kinds: ANY,
        syntax: "copy running-config startup-config",
        help: &[
            H_COPY,
            "Copy running configuration to startup configuration",
            "Copy to startup configuration",
        ],
    },
    Def {
        cmd: Cmd::CopyStartupRunning,
        modes: &[PRIV],
        kinds: ANY,
        syntax: "copy startup-config running-config",
        help: &[
            H_COPY,
            "Copy startup configuration to running configuration",
            "Copy to running configuration",
        ],
    },
    Def {
        cmd: Cmd::Reload,
        modes: &[PRIV],
        kinds: ANY,
        syntax: "reload [force]",
        help: &[
            "Halt and perform a cold restart",
            "Reload without asking to save or confirm",
        ],
    },
    Def {
        cmd: Cmd::ShowCmsInfo,
        modes: &[PRIV],
        kinds: ANY,
        syntax: "show cms info",
        help: &[
            H_SHOW,
            H_CMS_SHOW,
            "CMS role, registration and service state",
        ],
    },
    Def {
        cmd: Cmd::ShowCmsDatabase,
        modes: &[PRIV],
        kinds: CDM_ONLY,
        syntax: "show cms database",
        help: &[H_SHOW, H_CMS_SHOW, "CMS database state, schema and tables"],
    },
    Def {
        cmd: Cmd::ShowCmsDevices,
        modes: &[PRIV],
        kinds: CDM_ONLY,
        syntax: "show cms devices",
        help: &[H_SHOW, H_CMS_SHOW, "Devices registered with this CDM"],
    },
    Def {
        cmd: Cmd::CmsBackup,
        modes: &[PRIV],
        kinds: CDM_ONLY,
        syntax: "cms database backup",
        help: &[
            H_CMS_EXEC,
            H_DATABASE,
            "Back up the database to /local/local1",
        ],
    },
    Def {
        cmd: Cmd::CmsCreate,
        modes: &[PRIV],
        kinds: CDM_ONLY,
        syntax: "cms database create",
        help: &[
            H_CMS_EXEC,
            H_DATABASE,
            "Create an empty database for the running software",
        ],
    },
    Def {
        cmd: Cmd::CmsDelete,
        modes: &[PRIV],
        kinds: CDM_ONLY,
        syntax: "cms database delete",
        help: &[
            H_CMS_EXEC,
            H_DATABASE,
            "Delete the database and all its tables",
        ],
    },
    Def {
        cmd: Cmd::CmsRestore,
        modes: &[PRIV],
        kinds: CDM_ONLY,
        syntax: "cms database restore FILE",
        help: &[
            H_CMS_EXEC,
            H_DATABASE,
            "Restore the database from a backup",
            "Backup file name in /local/local1",
        ],
    },
    Def {
        cmd: Cmd::CmsValidate,
        modes: &[PRIV],
        kinds: CDM_ONLY,
        syntax: "cms database validate",
        help: &[
            H_CMS_EXEC,
            H_DATABASE,
            "Check the database's integrity and schema",
        ],
    },
    Def {
        cmd: Cmd::CmsDowngrade,
        modes: &[PRIV],
        kinds: CDM_ONLY,
        syntax: "cms database downgrade",
        help: &[
            H_CMS_EXEC,
            H_DATABASE,
            "Convert the database to the running (older) software",
        ],
    },
    Def {
        cmd: Cmd::CmsDeregister,
        modes: &[PRIV],
        kinds: CE_CR,
        syntax: "cms deregister [force]",
        help: &[
            H_CMS_EXEC,
            "Remove this device's registration from the CDM",
            "Deregister locally even if the CDM cannot be reached",
        ],
    },
    Def {
        cmd: Cmd::CopyFtpInstall,
        modes: &[PRIV],
        kinds: ANY,
        syntax: "copy ftp install HOST REMOTEDIR REMOTEFILE",
        help: &[H_COPY, H_FTP, H_INSTALL, H_HOST, H_REMOTEDIR, H_REMOTEFILE],
    },
    Def {
        cmd: Cmd::CopyFtpDisk,
        modes: &[PRIV],
        kinds: ANY,
        syntax: "copy ftp disk HOST REMOTEDIR REMOTEFILE LOCALFILE",
        help: &[
            H_COPY,
            H_FTP,
            H_DISK,
            H_HOST,
            H_REMOTEDIR,
            H_REMOTEFILE,
            H_LOCALFILE,
        ],
    },
    Def {
        cmd: Cmd::CopyHttpInstall,
        modes: &[PRIV],
        kinds: ANY,
        syntax: "copy http install HOST REMOTEDIR REMOTEFILE [port (1-65535)]",
        help: &[
            H_COPY,
            "Copy from an HTTP server",
            H_INSTALL,
            H_HOST,
            H_REMOTEDIR,
            H_REMOTEFILE,
            "HTTP server port (default 80)",
            "Port number",
        ],
    },
    Def {
        cmd: Cmd::CopyDiskFtp,
        modes: &[PRIV],
        kinds: ANY,
        syntax: "copy disk ftp HOST REMOTEDIR REMOTEFILE LOCALFILE",
        help: &[
            H_COPY,
            H_DISK,
            "Copy to an FTP server",
            H_HOST,
            H_REMOTEDIR,
            H_REMOTEFILE,
            H_LOCALFILE,
        ],
    },
    Def {
        cmd: Cmd::Install,
        modes: &[PRIV],
        kinds: ANY,
        syntax: "install LOCALFILE",
        help: &[
            "Install a software image from /local/local1 (the device reboots)",
            H_LOCALFILE,
        ],
    },
    Def {
        cmd: Cmd::Delfile,
        modes: &[PRIV],
        kinds: ANY,
        syntax: "delfile LOCALFILE",
        help: &["Delete a file from /local/local1", H_LOCALFILE],
    },
    Def {
        cmd: Cmd::Cpfile,
        modes: &[PRIV],
        kinds: ANY,
        syntax: "cpfile SOURCE DESTINATION",
        help: &[
            "Copy a file within /local/local1",
            "Source file name",
            "Destination file name",
        ],
    },
    // global configuration
    Def {
        cmd: Cmd::Hostname,
        modes: &[CFG],
        kinds: ANY,
        syntax: "hostname WORD",
        help: &[
            "Configure the system's network name",
            "This system's network name",
        ],
    },
    Def {
        cmd: Cmd::Interface,
        modes: &[CFG, IF],
        kinds: ANY,
        syntax: "interface GigabitEthernet S/P",
        help: &[
            "Configure an interface",
            "Select a gigabit ethernet interface to configure",
            "GigabitEthernet slot/port",
        ],
    },
    Def {
        cmd: Cmd::IpDefaultGateway,
        modes: &[CFG],
        kinds: ANY,
        syntax: "ip default-gateway A.B.C.D",
        help: &[
            H_IP,
            "Specify the default gateway",
            "Address of the default gateway",
        ],
    },
    Def {
        cmd: Cmd::NoIpDefaultGateway,
        modes: &[CFG],
        kinds: ANY,
        syntax: "no ip default-gateway [A.B.C.D]",
        help: &[
            H_NO,
            H_IP,
            "Specify the default gateway",
            "Address of the default gateway",
        ],
    },
    Def {
        cmd: Cmd::Username,
        modes: &[CFG],
        kinds: ANY,
        syntax: "username NAME password PASSWORD privilege (0-15)",
        help: &[
            H_USERNAME,
            H_USER_NAME,
            H_PASSWORD,
            "The user password (clear text)",
            H_PRIVILEGE,
            H_PRIV_LEVEL,
        ],
    },
    Def {
        cmd: Cmd::UsernameObscured,
        modes: &[CFG],
        kinds: ANY,
        syntax: "username NAME password 1 OBSCURED privilege (0-15)",
        help: &[
            H_USERNAME,
            H_USER_NAME,
            H_PASSWORD,
            "Specifies an obscured password follows",
            "The obscured password",
            H_PRIVILEGE,
            H_PRIV_LEVEL,
        ],
    },
    Def {
        cmd: Cmd::NoUsername,
        modes: &[CFG],
        kinds: ANY,
        syntax: "no username NAME",
        help: &[H_NO, H_USERNAME, H_USER_NAME],
    },
    Def {
        cmd: Cmd::CmsEnable,
        modes: &[CFG],
        kinds: ANY,
        syntax: "cms enable",
        help: &[H_CMS, H_ENABLE_CMS],
    },
    Def {
        cmd: Cmd::NoCmsEnable,
        modes: &[CFG],
        kinds: ANY,
        syntax: "no cms enable",
        help: &[H_NO, H_CMS, H_ENABLE_CMS],
    },
    Def {
        cmd: Cmd::CdmIp,
        modes: &[CFG],
        kinds: ANY,
        syntax: "cdm ip A.B.C.D",
        help: &[
            H_CDM,
            "Address of the primary Content Distribution Manager",
            "IP address",
        ],
    },
    Def {
        cmd: Cmd::NoCdmIp,
        modes: &[CFG],
        kinds: ANY,
        syntax: "no cdm ip [A.B.C.D]",
        help: &[
            H_NO,
            H_CDM,
            "Address of the primary Content Distribution Manager",
            "IP address",
        ],
    },
    Def {
        cmd: Cmd::CdmRole,
        modes: &[CFG],
        kinds: CDM_ONLY,
        syntax: "cdm role {primary | standby}",
        help: &[
            H_CDM,
            "Role of this Content Distribution Manager",
            "Primary Content Distribution Manager",
            "Standby Content Distribution Manager",
        ],
    },
    Def {
        cmd: Cmd::DeviceMode,
        modes: &[CFG],
        kinds: ANY,
        syntax: "device mode {content-distribution-manager | content-engine | content-router}",
        help: &[
            "Configure the device",
            "Device mode (takes effect after reload)",
            "Content Distribution Manager",
            "Content Engine",
            "Content Router",
        ],
    },
    Def {
        cmd: Cmd::Do,
        modes: &[CFG, IF],
        kinds: ANY,
        syntax: "do LINE",
        help: &["Run an EXEC command", "EXEC command"],
    },
    Def {
        cmd: Cmd::Exit,
        modes: &[CFG],
        kinds: ANY,
        syntax: "exit",
        help: &[H_EXIT],
    },
    // interface configuration
    Def {
        cmd: Cmd::IpAddress,
        modes: &[IF],
        kinds: ANY,
        syntax: "ip address A.B.C.D A.B.C.D",
        help: &[
            H_IP,
            "Set the interface IP address",
            "IP address",
            "IP subnet mask",
        ],
    },
    Def {
        cmd: Cmd::NoIpAddress,
        modes: &[IF],
        kinds: ANY,
        syntax: "no ip address [A.B.C.D A.B.C.D]",
        help: &[
            H_NO,
            H_IP,
            "Set the interface IP address",
            "IP address",
            "IP subnet mask",
        ],
    },
    Def {
        cmd: Cmd::Shutdown,
        modes: &[IF],
        kinds: ANY,
        syntax: "shutdown",
        help: &["Shut down this interface"],
    },
    Def {
        cmd: Cmd::NoShutdown,
        modes: &[IF],
        kinds: ANY,
        syntax: "no shutdown",
        help: &[H_NO, "Shut down this interface"],
    },
];

type Grammars = HashMap<(Grammar, DeviceKind), CommandSet<Cmd>>;

/// The grammar of `mode` on a device of `kind`, built once from [`DEFS`].
pub fn grammar(mode: Grammar, kind: DeviceKind) -> &'static CommandSet<Cmd> {
    static GRAMMARS: OnceLock<Grammars> = OnceLock::new();
    let all =
        GRAMMARS.get_or_init(|| build_grammars().unwrap_or_else(|e| panic!("command table: {e}")));
    &all[&(mode, kind)]
}

/// Builds every grammar from the table; an error names the declaration at fault.
pub fn build_grammars() -> Result<Grammars, String> {
    let mut all = Grammars::new();
    for mode in [USER, PRIV, CFG, IF] {
        for kind in DeviceKind::ALL {
            let mut set = CommandSet::new();
            let mut seen = std::collections::HashSet::new();
            for def in DEFS.iter().filter(|d| d.modes.contains(&mode)) {
                if !def.kinds.is_empty() && !def.kinds.contains(&kind) {
                    continue;
                }
                if !seen.insert(def.syntax) {
                    continue;
                }
                set.add(def.cmd, def.syntax, def.help)
                    .map_err(|e| format!("{}: {e}", def.syntax))?;
            }
            all.insert((mode, kind), set);
        }
    }
    Ok(all)
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
    let mut mode = configure::ConfigMode::Global;
    for (index, raw) in text.lines().enumerate() {
        let line = raw.trim();
        if line.is_empty() || line.starts_with('!') {
            continue;
        }
        if let Err(message) = configure::replay_line(&mut config, &mut mode, line, kind) {
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
    fn every_declaration_builds() {
        build_grammars().unwrap();
    }

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
