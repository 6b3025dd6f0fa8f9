//! What several test modules share: the default lab (`Topology::default_lab`) started in a
//! directory on a virtual clock, admin sessions on its devices in each CLI mode, and a walk of a
//! session's `?` help. Helpers only: the assertions live in the modules that use them.

use std::path::Path;

use acnslab::clock::LabClock;
use acnslab::lab::{Lab, LabOptions};
use acnslab::session::Session;
use chrono::TimeZone;

/// The default lab in `dir`, every port a free one, on a virtual clock that starts at a fixed
/// moment: every time the CLI prints is the same on every run.
pub async fn default_lab(dir: &Path) -> Lab {
    let mut options = LabOptions::new(dir);
    options.cdm_http = Some(acnslab::api::service());
    options.base_port = Some(0);
    options.clock = Some(LabClock::virtual_at(
        chrono::Utc
            .with_ymd_and_hms(2026, 11, 25, 10, 35, 47)
            .unwrap(),
    ));
    Lab::start(options).await.unwrap()
}

/// The CLI modes, each with the lines that lead to it from a new admin session.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CliMode {
    /// `>`
    UserExec,
    /// `#`
    PrivilegedExec,
    /// `(config)#`
    GlobalConfig,
    /// `(config-if)#`
    InterfaceConfig,
}

impl CliMode {
    fn lines(self) -> &'static [&'static str] {
        match self {
            CliMode::UserExec => &["disable"],
            CliMode::PrivilegedExec => &[],
            CliMode::GlobalConfig => &["configure terminal"],
            CliMode::InterfaceConfig => &["configure terminal", "interface GigabitEthernet 1/0"],
        }
    }
}

/// A new session of `admin` (privilege 15) on `device` of `lab`, taken to `mode`.
pub fn admin_session(lab: &Lab, device: &str, mode: CliMode) -> Session {
    let node = lab
        .node(device)
        .unwrap_or_else(|| panic!("the lab has no device {device}"));
    let mut session = node.session("admin", 15, "127.0.0.1");
    for line in mode.lines() {
        let reply = session.execute(line);
        assert_eq!(reply.text, "", "{device}: `{line}` on the way to {mode:?}");
    }
    session
}

/// One `?` asked during a walk: the line before it and the help printed.
pub struct HelpStop {
    pub line: String,
    pub help: String,
}

impl HelpStop {
    /// The line is a whole command: the help offers `<cr>`.
    pub fn is_complete(&self) -> bool {
        self.help.lines().any(|row| row.trim() == "<cr>")
    }
}

/// Longest line walked: deeper than any declared command, short enough to stop a runaway.
const MAX_WORDS: usize = 12;

/// Every `?` a user can ask in `session`'s mode, depth first in the order the help lists them:
/// the empty line first, then each keyword offered (and a sample value for each argument
/// offered) followed by a space. `LINE` (the raw rest of a line) is not walked into.
pub fn walk_help(session: &Session) -> Vec<HelpStop> {
    let mut stops = Vec::new();
    walk_from(session, String::new(), &mut stops);
    stops
}

fn walk_from(session: &Session, line: String, stops: &mut Vec<HelpStop>) {
    let help = session.help(&line);
    let next: Vec<String> = if line.split_whitespace().count() < MAX_WORDS {
        help.lines()
            .filter_map(|row| row.split_whitespace().next())
            .filter_map(sample_word)
            .collect()
    } else {
        Vec::new()
    };
    stops.push(HelpStop {
        line: line.clone(),
        help,
    });
    for word in next {
        walk_from(session, format!("{line}{word} "), stops);
    }
}

/// The word typed for a token the help lists: the keyword itself, or a sample value of the
/// argument. `None` for `<cr>`, `LINE`, and anything that is not a help token (error text).
fn sample_word(token: &str) -> Option<String> {
    let is_keyword = token.starts_with(|c: char| c.is_ascii_alphabetic())
        && token.chars().all(|c| c.is_ascii_alphanumeric() || c == '-');
    let is_word_argument = token.chars().all(|c| c.is_ascii_uppercase());
    match token {
        "LINE" => None,
        "A.B.C.D" => Some("10.1.1.1".into()),
        "S/P" => Some("1/0".into()),
        _ if is_word_argument => Some("x".into()),
        _ if is_keyword => Some(token.into()),
        _ => token
            .strip_prefix('<')
            .and_then(|t| t.strip_suffix('>'))
            .and_then(|range| range.split_once('-'))
            .filter(|(low, _)| low.parse::<u32>().is_ok())
            .map(|(low, _)| low.into()),
    }
}
