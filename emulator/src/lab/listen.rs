//! Where a lab listens and who may log in when others can reach it: the `--listen` address every
//! listener binds (device SSH, CDM web and API, image servers, the health port; `lab.listen` in the
//! topology), the lab password that every device's `admin` account gets (`--password`,
//! `--password-file`), and the rule that a lab reachable from other hosts never runs with the
//! default login unless asked to (`--allow-default-password`). A password is checked before
//! anything is written, and no error or log line ever carries it. Knows nothing of sockets beyond
//! addresses.

use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::path::{Path, PathBuf};

/// The lab password's rules: the length range, in characters.
pub const PASSWORD_LENGTH: (usize, usize) = (8, 64);

/// Why the listen address or the password cannot be used. No variant holds the password.
#[derive(Debug, thiserror::Error)]
pub enum ListenError {
    #[error("{flag}: the password must be {} to {} printable ASCII characters without spaces (got {length} characters{what})", PASSWORD_LENGTH.0, PASSWORD_LENGTH.1)]
    BadPassword {
        flag: String,
        length: usize,
        /// What else is wrong, if anything (`, one of them not printable`).
        what: &'static str,
    },
    #[error("--password-file {}: {source}", .path.display())]
    PasswordFile {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{0}")]
    Listen(String),
    #[error("the lab would listen on {listen}, where other hosts reach it, with the login admin/default: give the lab's password with --password-file FILE (or --password), or accept the default login with --allow-default-password")]
    DefaultPassword { listen: IpAddr },
}

/// The password every device's `admin` account gets (and so the CDMs' web GUI and API). Its
/// `Debug` shows stars, so it cannot reach a log by accident.
#[derive(Clone, PartialEq, Eq)]
pub struct LabPassword(String);

impl fmt::Debug for LabPassword {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("LabPassword(****)")
    }
}

impl LabPassword {
    /// Checks `text` (given by `flag`, named in the error): 8 to 64 printable ASCII characters,
    /// no spaces (a password is one word of the configuration: `username admin password WORD`).
    pub fn new(text: &str, flag: &str) -> Result<LabPassword, ListenError> {
        let length = text.chars().count();
        let printable = text.chars().all(|c| c.is_ascii_graphic());
        if printable && (PASSWORD_LENGTH.0..=PASSWORD_LENGTH.1).contains(&length) {
            return Ok(LabPassword(text.to_string()));
        }
        Err(ListenError::BadPassword {
            flag: flag.to_string(),
            length,
            what: if printable {
                ""
            } else {
                ", some of them spaces or not printable ASCII"
            },
        })
    }

    /// The first line of `path` (a file holding the password and a newline, as a Kubernetes
    /// Secret or `echo` writes it: one line end is dropped).
    pub fn from_file(path: &Path) -> Result<LabPassword, ListenError> {
        let text = std::fs::read_to_string(path).map_err(|source| ListenError::PasswordFile {
            path: path.to_path_buf(),
            source,
        })?;
        let text = text
            .strip_suffix('\n')
            .map(|t| t.strip_suffix('\r').unwrap_or(t))
            .unwrap_or(&text);
        Self::new(text, &format!("--password-file {}", path.display()))
    }

    /// The password itself, for the devices' configurations and `lab.json` only.
    pub fn reveal(&self) -> &str {
        &self.0
    }
}

/// A `--listen` value: an IP address, or `localhost` (127.0.0.1, as a user writes it). Other
/// names are refused: a name that resolves differently later would move the lab.
pub fn parse_listen(text: &str) -> Result<IpAddr, String> {
    if text.eq_ignore_ascii_case("localhost") {
        return Ok(IpAddr::V4(Ipv4Addr::LOCALHOST));
    }
    text.parse().map_err(|_| {
        format!("{text:?} is not an IP address (give 127.0.0.1, localhost, 0.0.0.0, :: or one of this host's addresses)")
    })
}

/// `acnslab up`'s flags for where the lab listens and its password.
#[derive(Debug, Clone, Default, clap::Args)]
pub struct ListenArgs {
    /// The address every listener binds: device SSH, CDM web/API, image servers, the health port
    /// (default: the topology's `lab.listen`, 127.0.0.1). Any other than loopback needs
    /// --password-file, --password or --allow-default-password.
    #[arg(long, value_name = "ADDR", value_parser = parse_listen)]
    pub listen: Option<IpAddr>,
    /// The password of every device's admin account (and so of the CDMs' web GUI and API), set at
    /// start. Visible to other users in the process list: prefer --password-file.
    #[arg(long, value_name = "PASSWORD", conflicts_with = "password_file")]
    pub password: Option<String>,
    /// A file holding the lab's password (one line), e.g. a mounted Kubernetes Secret.
    #[arg(long, value_name = "FILE")]
    pub password_file: Option<PathBuf>,
    /// Let a lab that other hosts reach keep the login admin/default.
    #[arg(long)]
    pub allow_default_password: bool,
}

/// What [`ListenArgs`] ask for, checked.
#[derive(Debug, Clone, Default)]
pub struct Exposure {
    pub listen: Option<IpAddr>,
    pub password: Option<LabPassword>,
    pub allow_default_password: bool,
}

impl ListenArgs {
    /// Reads and checks the password (from the flag or the file); nothing is written.
    pub fn resolve(&self) -> Result<Exposure, ListenError> {
        let password = match (&self.password, &self.password_file) {
            (Some(text), _) => Some(LabPassword::new(text, "--password")?),
            (None, Some(path)) => Some(LabPassword::from_file(path)?),
            (None, None) => None,
        };
        if let Some(ip) = self.listen {
            if let Some(message) = crate::topology::listen_error(ip) {
                return Err(ListenError::Listen(message.replacen(
                    "lab.listen",
                    "--listen",
                    1,
                )));
            }
        }
        Ok(Exposure {
            listen: self.listen,
            password,
            allow_default_password: self.allow_default_password,
        })
    }
}

/// Whether other hosts may reach a listener bound to `ip` (anything but loopback).
pub fn is_exposed(ip: IpAddr) -> bool {
    !ip.is_loopback()
}

/// Refuses a lab that other hosts reach with the default login, unless allowed.
pub fn check_exposure(
    listen: IpAddr,
    password: Option<&LabPassword>,
    allow_default_password: bool,
) -> Result<(), ListenError> {
    if is_exposed(listen) && password.is_none() && !allow_default_password {
        return Err(ListenError::DefaultPassword { listen });
    }
    Ok(())
}

/// Where a client on this host connects to a listener bound to `bound`: the same address, or
/// loopback for the wildcard (`0.0.0.0`, `::`).
pub fn reachable(bound: SocketAddr) -> SocketAddr {
    let ip = match bound.ip() {
        IpAddr::V4(v4) if v4.is_unspecified() => IpAddr::V4(Ipv4Addr::LOCALHOST),
        IpAddr::V6(v6) if v6.is_unspecified() => IpAddr::V6(Ipv6Addr::LOCALHOST),
        ip => ip,
    };
    SocketAddr::new(ip, bound.port())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn listen_takes_an_address_or_localhost() {
        assert_eq!(
            parse_listen("localhost"),
            Ok(IpAddr::V4(Ipv4Addr::LOCALHOST))
        );
        assert_eq!(
            parse_listen("0.0.0.0"),
            Ok(IpAddr::V4(Ipv4Addr::UNSPECIFIED))
        );
        assert_eq!(parse_listen("::"), Ok(IpAddr::V6(Ipv6Addr::UNSPECIFIED)));
        let e = parse_listen("lab.example").unwrap_err();
        assert!(
            e.contains("not an IP address") && e.contains("localhost"),
            "{e}"
        );
    }

    #[test]
    fn a_password_is_one_printable_word_and_never_shown() {
        assert!(LabPassword::new("s3cret-Pw", "--password").is_ok());
        for (text, length) in [("short", 5), ("has a space", 11), ("tab\tinside1", 11)] {
            let e = LabPassword::new(text, "--password")
                .unwrap_err()
                .to_string();
            assert!(
                e.starts_with("--password: the password must be 8 to 64"),
                "{e}"
            );
            assert!(e.contains(&format!("got {length} characters")), "{e}");
            assert!(!e.contains(text), "the error shows the password: {e}");
        }
        let long = "x".repeat(65);
        assert!(LabPassword::new(&long, "--password").is_err());
        let p = LabPassword::new("s3cret-Pw", "--password").unwrap();
        assert!(!format!("{p:?}").contains("s3cret"));
    }

    #[test]
    fn a_password_file_loses_one_line_end() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("pw");
        for text in ["s3cret-Pw\n", "s3cret-Pw\r\n", "s3cret-Pw"] {
            std::fs::write(&path, text).unwrap();
            assert_eq!(LabPassword::from_file(&path).unwrap().reveal(), "s3cret-Pw");
        }
        std::fs::write(&path, "s3cret-Pw\n\n").unwrap();
        let e = LabPassword::from_file(&path).unwrap_err().to_string();
        assert!(
            e.starts_with(&format!("--password-file {}", path.display())),
            "{e}"
        );
        let e = LabPassword::from_file(&dir.path().join("missing"))
            .unwrap_err()
            .to_string();
        assert!(e.contains("missing") && e.contains("No such file"), "{e}");
    }

    #[test]
    fn only_loopback_may_keep_the_default_login() {
        let any: IpAddr = "0.0.0.0".parse().unwrap();
        let local: IpAddr = "127.0.0.1".parse().unwrap();
        assert!(check_exposure(local, None, false).is_ok());
        assert!(check_exposure("::1".parse().unwrap(), None, false).is_ok());
        let e = check_exposure(any, None, false).unwrap_err().to_string();
        assert!(
            e.contains("--password-file") && e.contains("--allow-default-password"),
            "{e}"
        );
        assert!(check_exposure(any, None, true).is_ok());
        let pw = LabPassword::new("s3cret-Pw", "--password").unwrap();
        assert!(check_exposure(any, Some(&pw), false).is_ok());
    }

    #[test]
    fn the_wildcard_is_reached_through_loopback() {
        let addr = |s: &str| s.parse::<SocketAddr>().unwrap();
        assert_eq!(reachable(addr("0.0.0.0:2201")), addr("127.0.0.1:2201"));
        assert_eq!(reachable(addr("[::]:2201")), addr("[::1]:2201"));
        assert_eq!(reachable(addr("10.0.0.5:2201")), addr("10.0.0.5:2201"));
    }
}
