//! The one way to run a line and carry out what it asks, for every front end: the SSH shell's
//! tasks, SSH `exec` requests, the local console, the scenario runner and the CDM GUI's Show
//! Commands. [`run_line`] runs a line through a [`Session`] and carries out its [`Action`]: a
//! long task (download, upload, install) runs here with its output streamed to the caller;
//! what is left for the caller is said by [`After`] (a reload is the lab's to do, since it
//! closes every session of the device and its port).

use std::sync::Arc;

use crate::device::Device;
use crate::network::LabLink;
use crate::session::{Action, Session};
use crate::tasks::Task;

/// What the caller must do after a line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum After {
    /// Nothing: the session goes on.
    Open,
    /// The session closed (`exit`).
    Closed,
    /// Reload the device (`reload`, or an install finished): the session is over.
    Reload,
}

/// How a line ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Ran {
    /// The command (or its task) failed: an `exec` channel exits with status 1.
    pub failed: bool,
    pub after: After,
    /// A long task ran (a transfer, an install): an `After::Reload` then completes an install.
    pub task: bool,
}

/// Runs `line` in `session` and carries out what it asks; everything it prints goes to `out`,
/// as it comes.
pub async fn run_line(
    session: &mut Session,
    line: &str,
    out: &mut (dyn FnMut(&str) + Send),
) -> Ran {
    let reply = session.execute(line);
    if reply.failed {
        tracing::info!(
            device = %session.device().identity.name,
            line = %without_secrets(line),
            error = reply.text.trim().lines().last().unwrap_or(""),
            "command failed"
        );
    }
    out(&reply.text);
    let carried = carry_out(reply.action, session.device(), session.lab(), out).await;
    Ran {
        failed: reply.failed || carried.failed,
        ..carried
    }
}

/// `line` for the log, with what follows a secret's keyword masked: `password`, `secret`,
/// `community` or `key`, also abbreviated or misspelt (`pass`, `passwrd`, `communty`), since a
/// failed line is logged precisely when a keyword was not understood.
fn without_secrets(line: &str) -> String {
    let mut masked = Vec::new();
    let mut hide = false;
    for word in line.split_whitespace() {
        masked.push(if hide { "****" } else { word });
        hide = hide || names_a_secret(word);
    }
    masked.join(" ")
}

/// The keywords a secret follows in a configuration line.
const SECRET_KEYWORDS: [&str; 4] = ["password", "secret", "community", "key"];

/// Whether `word` is, or may be meant as, one of [`SECRET_KEYWORDS`]: the keyword, an
/// abbreviation of it (two letters or more), or a spelling within two edits of it (five letters
/// or more). Masking too much in a log loses nothing; a secret in clear does.
fn names_a_secret(word: &str) -> bool {
    let word = word.to_ascii_lowercase();
    SECRET_KEYWORDS.iter().any(|keyword| {
        word == *keyword
            || (word.len() >= 2 && keyword.starts_with(word.as_str()))
            || (word.len() >= 5 && strsim::damerau_levenshtein(&word, keyword) <= 2)
    })
}

/// Carries out an [`Action`] of a reply (already printed): runs a task to its end with its
/// output streamed to `out`.
async fn carry_out(
    action: Action,
    device: &Arc<Device>,
    lab: Option<&Arc<LabLink>>,
    out: &mut (dyn FnMut(&str) + Send),
) -> Ran {
    let after = |after| Ran {
        failed: false,
        after,
        task: false,
    };
    match action {
        Action::None => after(After::Open),
        Action::Close => after(After::Closed),
        Action::Reload => after(After::Reload),
        Action::Run(task) => run_task(task, device, lab, out).await,
    }
}

/// Runs a long task of `device` (on `lab`'s network) with its output streamed to `out`.
pub async fn run_task(
    task: Task,
    device: &Arc<Device>,
    lab: Option<&Arc<LabLink>>,
    out: &mut (dyn FnMut(&str) + Send),
) -> Ran {
    let network = lab.map(|l| &l.network);
    let finished = crate::tasks::run(task, device.clone(), network, out).await;
    out(&finished.text);
    Ran {
        failed: finished.failed,
        after: if finished.reload {
            After::Reload
        } else {
            After::Open
        },
        task: true,
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn secrets_are_masked_in_the_log() {
        assert_eq!(
            super::without_secrets("username admin password s3cret privilege 15"),
            "username admin password **** **** ****"
        );
        assert_eq!(super::without_secrets("shw version"), "shw version");
        // misspelt or abbreviated keywords: the line failed because the keyword was not understood
        for (line, shown) in [
            (
                "snmp-server communty topsecret",
                "snmp-server communty ****",
            ),
            (
                "username admin passwrd s3cret",
                "username admin passwrd ****",
            ),
            ("username admin pa s3cret", "username admin pa ****"),
            ("enable secert s3cret", "enable secert ****"),
            ("tacacs key k3y", "tacacs key ****"),
            ("show running-config", "show running-config"),
            (
                "interface GigabitEthernet 1/0",
                "interface GigabitEthernet 1/0",
            ),
        ] {
            assert_eq!(super::without_secrets(line), shown, "{line}");
        }
    }
}
