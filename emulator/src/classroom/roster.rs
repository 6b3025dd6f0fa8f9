//! `DIR/classroom.json`, where the teacher finds the class (docs/exercises.md, "A classroom"):
//! the exercise, each trainee's state directory, ports, addresses and generated password, whether
//! its lab started (or why not), and the teacher's page. It holds the passwords, so it is written
//! 0600 in a 0700 folder (`persist::write_atomic`) and its contents are never logged.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

/// The file's name in the classroom's folder.
pub const FILE: &str = "classroom.json";

/// Why `classroom.json` cannot be read or written.
#[derive(Debug, thiserror::Error)]
pub enum RosterError {
    #[error("no classroom in {} (it has no {FILE}); start one with `acnslab classroom up --trainees N --exercise FILE --dir {}`", .0.display(), .0.display())]
    Missing(PathBuf),
    #[error("{}: {message}", .path.display())]
    Unreadable { path: PathBuf, message: String },
}

/// The class.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Roster {
    /// The exercise file every lab runs.
    pub exercise: PathBuf,
    /// Its name.
    pub name: String,
    /// Where the labs and the page listen.
    pub listen: std::net::IpAddr,
    /// The teacher's page: `http://host:port/`.
    pub teacher: String,
    /// Its port.
    pub teacher_port: u16,
    pub trainees: Vec<Trainee>,
}

/// One trainee's lab.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Trainee {
    /// `trainee1`, ...
    pub trainee: String,
    pub state_dir: PathBuf,
    /// The SSH port of the lab's first device.
    pub base_port: u16,
    /// The lab's health port as a URL (`/healthz`, `/metrics`, `/exercise`): what the teacher's
    /// page asks.
    pub lab: String,
    /// Each device's SSH `host:port` (from the lab's `lab.json`; empty when it did not start).
    #[serde(default)]
    pub ssh: BTreeMap<String, String>,
    /// Each CDM's web GUI and API, `http://host:port/`.
    #[serde(default)]
    pub web: BTreeMap<String, String>,
    /// The password of every device's `admin` account in this lab.
    pub password: String,
    /// `None` when the lab started; why it did not otherwise.
    #[serde(default)]
    pub error: Option<String>,
}

impl Roster {
    /// `DIR/classroom.json`.
    pub fn read(dir: &Path) -> Result<Roster, RosterError> {
        let path = dir.join(FILE);
        let text = match std::fs::read_to_string(&path) {
            Ok(text) => text,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                return Err(RosterError::Missing(dir.to_path_buf()))
            }
            Err(e) => {
                return Err(RosterError::Unreadable {
                    path,
                    message: e.to_string(),
                })
            }
        };
        serde_json::from_str(&text).map_err(|e| RosterError::Unreadable {
            path,
            message: e.to_string(),
        })
    }

    /// Writes `DIR/classroom.json` (0600, atomically).
    pub fn write(&self, dir: &Path) -> Result<(), RosterError> {
        let path = dir.join(FILE);
        let json = serde_json::to_vec_pretty(self).unwrap_or_default();
        crate::persist::write_atomic(&path, &json).map_err(|e| RosterError::Unreadable {
            path,
            message: e.to_string(),
        })
    }
}
