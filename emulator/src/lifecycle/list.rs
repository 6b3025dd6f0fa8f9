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
    pub pid: u32,
    pub devices: usize,
    /// SSH ports of its devices, first to last.
    pub ssh: String,
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
        labs.push(ListedLab {
            running: lock::is_running(&dir),
            state_dir: dir,
            pid: info.pid,
            devices: info.devices.len(),
            ssh,
        });
    }
    if json {
        let text = serde_json::to_string_pretty(&labs).map_err(|e| e.to_string())? + "\n";
        return Ok(Outcome::ok(text));
    }
    if labs.is_empty() {
        return Ok(Outcome::ok(
            "no labs found (acnslab up adds each lab it starts; give folders to look in)\n".into(),
        ));
    }
    let mut rows = table(&["STATE DIR", "STATUS", "PID", "DEVICES", "SSH PORTS"]);
    for lab in &labs {
        rows.add_row(vec![
            lab.state_dir.display().to_string(),
            if lab.running { "running" } else { "stopped" }.to_string(),
            if lab.running {
                lab.pid.to_string()
            } else {
                "-".into()
            },
            lab.devices.to_string(),
            lab.ssh.clone(),
        ]);
    }
    Ok(Outcome::ok(render(&rows)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::{Error, ErrorKind};

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
