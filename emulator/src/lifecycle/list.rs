//! `acnslab list`: the labs of this user, from a registry every `acnslab up` adds its state
//! directory to (`$ACNSLAB_REGISTRY`, or `$XDG_STATE_HOME/acnslab/labs`, or
//! `~/.local/state/acnslab/labs`: one absolute path per line), and the state directories found
//! directly under folders given on the command line. Each with whether it runs (its lock), its pid
//! and ports. Directories that no longer hold a lab are dropped from the registry.

use std::io::Write as _;
use std::path::{Path, PathBuf};

use serde::Serialize;

use super::{render, table, Outcome};
use crate::lab::{lock, LabInfo};

/// One lab found.
#[derive(Debug, Serialize, PartialEq)]
pub struct ListedLab {
    pub state_dir: PathBuf,
    pub running: bool,
    /// The lab's process; none for a stopped lab.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pid: Option<u32>,
    /// The address its listeners bind (`--listen`), as it last ran (its `lab.json`); none from
    /// the `lab.json` of an older version.
    pub listen: Option<std::net::IpAddr>,
    pub devices: usize,
    /// SSH ports of its devices, first to last.
    pub ssh: String,
}

impl ListedLab {
    /// The lab of `dir`, from its `lab.json` (`info`) and whether it runs now.
    fn of(dir: PathBuf, info: &LabInfo, running: bool) -> ListedLab {
        let ports: Vec<&str> = info
            .devices
            .iter()
            .filter_map(|d| d.ssh.rsplit_once(':').map(|(_, p)| p))
            .collect();
        let ssh = match (ports.first(), ports.last()) {
            (Some(a), Some(b)) if a != b => format!("{a}-{b}"),
            (Some(a), _) => a.to_string(),
            _ => "-".into(),
        };
        ListedLab {
            state_dir: dir,
            running,
            pid: running.then_some(info.pid),
            listen: info.listen,
            devices: info.devices.len(),
            ssh,
        }
    }
}

/// The registry file.
pub fn registry_path() -> Option<PathBuf> {
    if let Some(path) = std::env::var_os("ACNSLAB_REGISTRY") {
        return Some(PathBuf::from(path));
    }
    let state = std::env::var_os("XDG_STATE_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".local/state")))?;
    Some(state.join("acnslab").join("labs"))
}

/// Adds `dir` to the registry (once). A registry that cannot be written is logged, never fatal:
/// the lab runs whether or not `list` will find it.
pub fn register(dir: &Path) {
    let Some(path) = registry_path() else {
        return;
    };
    let Ok(dir) = dir.canonicalize() else {
        return;
    };
    if registered(&path).contains(&dir) {
        return;
    }
    let appended = (|| {
        use std::os::unix::fs::OpenOptionsExt;
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent)?;
        }
        let mut file = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .mode(0o600)
            .open(&path)?;
        // one write of one short line: appends of two labs starting at once do not mix
        file.write_all(format!("{}\n", dir.display()).as_bytes())
    })();
    if let Err(e) = appended {
        tracing::warn!(registry = %path.display(), error = %e, "cannot add the lab to the registry of `acnslab list`");
    }
}

fn registered(path: &Path) -> Vec<PathBuf> {
    std::fs::read_to_string(path)
        .unwrap_or_default()
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(PathBuf::from)
        .collect()
}

/// The ports a lab of `lab.json` listens on (SSH, web, image servers).
fn ports_of(info: &LabInfo) -> Vec<u16> {
    let port = |addr: &str| {
        addr.rsplit_once(':')
            .and_then(|(_, p)| p.parse::<u16>().ok())
    };
    let mut ports: Vec<u16> = Vec::new();
    for d in &info.devices {
        ports.extend(port(&d.ssh));
        ports.extend(d.api.as_deref().and_then(port));
    }
    for s in &info.servers {
        ports.extend(s.ftp.as_deref().and_then(port));
        ports.extend(s.http.as_deref().and_then(port));
    }
    ports.extend(info.health.as_deref().and_then(port));
    ports
}

/// The labs of the registry that run now, with their ports.
fn running_labs() -> Vec<(PathBuf, LabInfo)> {
    let Some(path) = registry_path() else {
        return Vec::new();
    };
    registered(&path)
        .into_iter()
        .filter(|dir| lock::is_running(dir))
        .filter_map(|dir| LabInfo::read(&dir).ok().map(|info| (dir, info)))
        .collect()
}

/// The message for a port `up` could not listen on: the running lab that holds it when the
/// registry knows one, and a base port whose block of 1,000 no running lab uses.
pub fn port_in_use(device: &str, addr: std::net::SocketAddr, source: &std::io::Error) -> String {
    let port = addr.port();
    match source.kind() {
        std::io::ErrorKind::AddrNotAvailable => {
            return format!(
                "device {device}: cannot listen on {addr}: {} is not an address of this host; give --listen (or lab.listen) one of its addresses, 127.0.0.1 or 0.0.0.0",
                addr.ip()
            )
        }
        std::io::ErrorKind::PermissionDenied => {
            return format!(
                "device {device}: cannot listen on {addr}: {source} (ports below 1024 need privileges); choose a --base-port of 1024 or more"
            )
        }
        _ => {}
    }
    let labs = running_labs();
    let taken: Vec<u16> = labs.iter().flat_map(|(_, info)| ports_of(info)).collect();
    let free_base = (2u16..=31)
        .map(|k| k * 1000 + 201)
        .find(|base| !taken.iter().any(|p| (*base..base + 1000).contains(p)));
    let suggestion = free_base
        .map(|b| format!("; --base-port {b} is clear of every running lab"))
        .unwrap_or_default();
    match labs.iter().find(|(_, info)| ports_of(info).contains(&port)) {
        Some((dir, info)) => format!(
            "device {device}: cannot listen on {addr}: the lab running in {} (pid {}) uses it; choose another --base-port{suggestion}",
            dir.display(),
            info.pid
        ),
        None => format!(
            "device {device}: cannot listen on {addr}: {source} (another program holds it); choose another --base-port{suggestion}"
        ),
    }
}

/// The labs of the registry and of `folders` (each folder itself and its subfolders).
pub fn list(folders: &[PathBuf], json: bool) -> Result<Outcome, String> {
    let mut dirs = Vec::new();
    if let Some(path) = registry_path() {
        let known = registered(&path);
        let kept: Vec<&PathBuf> = known
            .iter()
            .filter(|d| d.join("lab.json").is_file())
            .collect();
        if kept.len() < known.len() {
            let text: String = kept.iter().map(|d| format!("{}\n", d.display())).collect();
            let _ = crate::persist::write_atomic(&path, text.as_bytes());
        }
        dirs.extend(kept.into_iter().cloned());
    }
    for folder in folders {
        let folder = folder
            .canonicalize()
            .map_err(|e| format!("{}: {e}", folder.display()))?;
        dirs.push(folder.clone());
        if let Ok(entries) = std::fs::read_dir(&folder) {
            dirs.extend(entries.flatten().map(|e| e.path()).filter(|p| p.is_dir()));
        }
    }
    let mut labs: Vec<ListedLab> = Vec::new();
    for dir in dirs {
        let Ok(info) = LabInfo::read(&dir) else {
            continue;
        };
        if labs.iter().any(|l| l.state_dir == dir) {
            continue;
        }
        let running = lock::is_running(&dir);
        labs.push(ListedLab::of(dir, &info, running));
    }
    rendered(&labs, json).map(Outcome::ok)
}

/// The columns of `acnslab list`'s table.
const COLUMNS: [&str; 6] = [
    "STATE DIR",
    "STATUS",
    "PID",
    "LISTEN",
    "DEVICES",
    "SSH PORTS",
];

/// `labs` as pretty JSON, or as a table.
fn rendered(labs: &[ListedLab], json: bool) -> Result<String, String> {
    if json {
        return Ok(serde_json::to_string_pretty(labs).map_err(|e| e.to_string())? + "\n");
    }
    if labs.is_empty() {
        return Ok(
            "no labs found (acnslab up adds each lab it starts; give folders to look in)\n".into(),
        );
    }
    let mut rows = table(&COLUMNS);
    let or_dash = |value: Option<String>| value.unwrap_or_else(|| "-".into());
    for lab in labs {
        rows.add_row(vec![
            lab.state_dir.display().to_string(),
            if lab.running { "running" } else { "stopped" }.to_string(),
            or_dash(lab.pid.map(|p| p.to_string())),
            or_dash(lab.listen.map(|a| a.to_string())),
            lab.devices.to_string(),
            lab.ssh.clone(),
        ]);
    }
    Ok(render(&rows))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::DeviceKind;
    use crate::lab::DeviceInfo;
    use std::io::{Error, ErrorKind};

    /// A `lab.json` of a lab of two devices listening on `listen`, written by process `pid`.
    fn lab_json(pid: u32, listen: &str) -> LabInfo {
        let device = |name: &str, port: u16| DeviceInfo {
            name: name.into(),
            kind: DeviceKind::Ce,
            role: None,
            ip: "10.1.1.10".parse().unwrap(),
            ssh: format!("127.0.0.1:{port}"),
            api: None,
            username: "admin".into(),
            password: "default".into(),
        };
        LabInfo {
            state_dir: "/labs/a".into(),
            pid,
            running: false,
            devices: vec![device("ce1", 2203), device("ce2", 2204)],
            servers: Vec::new(),
            health: None,
            listen: Some(listen.parse().unwrap()),
        }
    }

    /// The cells of the table's first lab, by column header.
    fn first_row(table: &str) -> Vec<(String, String)> {
        let mut lines = table.lines();
        let header = lines.next().unwrap();
        let row = lines.next().unwrap();
        // columns start where their header does
        let starts: Vec<usize> = COLUMNS
            .iter()
            .map(|h| header.find(h).unwrap_or_else(|| panic!("no {h}: {header}")))
            .collect();
        let names = header
            .split("  ")
            .map(str::trim)
            .filter(|h| !h.is_empty())
            .map(str::to_string);
        names
            .zip(starts.iter().enumerate().map(|(i, start)| {
                let end = starts
                    .get(i + 1)
                    .copied()
                    .unwrap_or(row.len())
                    .min(row.len());
                row[*start..end].trim().to_string()
            }))
            .collect()
    }

    #[test]
    fn a_stopped_lab_shows_its_last_listen_address_and_no_pid() {
        let info = lab_json(4242, "0.0.0.0");
        let stopped = ListedLab::of("/labs/a".into(), &info, false);
        let running = ListedLab::of("/labs/a".into(), &info, true);
        assert_eq!(stopped.pid, None);
        assert_eq!(running.pid, Some(info.pid));
        for lab in [&stopped, &running] {
            assert_eq!(lab.listen, info.listen);
        }
        let cells = first_row(&rendered(&[stopped], false).unwrap());
        let cell = |name: &str| cells.iter().find(|(h, _)| h == name).unwrap().1.clone();
        assert_eq!(cell("STATUS"), "stopped", "{cells:?}");
        assert_eq!(cell("PID"), "-", "{cells:?}");
        assert_eq!(
            cell("LISTEN"),
            info.listen.unwrap().to_string(),
            "{cells:?}"
        );
        let cells = first_row(&rendered(&[running], false).unwrap());
        let cell = |name: &str| cells.iter().find(|(h, _)| h == name).unwrap().1.clone();
        assert_eq!(cell("PID"), info.pid.to_string(), "{cells:?}");
        assert_eq!(
            cell("LISTEN"),
            info.listen.unwrap().to_string(),
            "{cells:?}"
        );
        let json: serde_json::Value = serde_json::from_str(
            &rendered(&[ListedLab::of("/labs/a".into(), &info, false)], true).unwrap(),
        )
        .unwrap();
        assert!(json[0].get("pid").is_none(), "{json}");
        assert_eq!(
            json[0]["listen"],
            info.listen.unwrap().to_string(),
            "{json}"
        );
    }

    #[test]
    fn a_lab_json_without_a_listen_address_lists_a_dash() {
        let mut json = serde_json::to_value(lab_json(1, "127.0.0.1")).unwrap();
        json.as_object_mut().unwrap().remove("listen");
        let older: LabInfo = serde_json::from_value(json).unwrap();
        let cells =
            first_row(&rendered(&[ListedLab::of("/x".into(), &older, false)], false).unwrap());
        assert!(
            cells.iter().any(|(h, v)| h == "LISTEN" && v == "-"),
            "{cells:?}"
        );
    }

    #[test]
    fn a_port_that_cannot_be_had_says_why_in_the_users_words() {
        let addr = "10.9.9.9:9301".parse().unwrap();
        let not_here = port_in_use("cdm1", addr, &Error::from(ErrorKind::AddrNotAvailable));
        assert!(
            not_here.contains("10.9.9.9 is not an address of this host")
                && !not_here.contains("holds it"),
            "{not_here}"
        );
        let low = port_in_use(
            "cdm1",
            "127.0.0.1:80".parse().unwrap(),
            &Error::from(ErrorKind::PermissionDenied),
        );
        assert!(low.contains("ports below 1024 need privileges"), "{low}");
    }
}
