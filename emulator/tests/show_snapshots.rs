//! Snapshots of what every `show` command and `dir` print on every device of the default lab, on a
//! virtual clock an hour after the lab started, in privileged EXEC and then in user EXEC. The
//! commands are the complete lines the `?` help offers after `show`, so a new `show` command joins
//! its snapshot by itself. A change to any output, or to the commands a mode or kind offers, shows
//! up here. Update with `cargo insta review` (or `INSTA_UPDATE=always`) only for a change the CLI
//! is meant to make.

use std::time::Duration;

use acnslab::session::Session;

use crate::util::{admin_session, default_lab, walk_help, CliMode};

/// How long the lab runs before the commands: long enough for uptimes in hours, minutes and
/// seconds, and for the CMS agents' polls.
const UP_FOR: Duration = Duration::from_secs(3723);

/// The `show` commands (and `dir`) `session` offers, in the order its help lists them.
fn show_commands(session: &Session) -> Vec<String> {
    walk_help(session)
        .into_iter()
        .filter(|stop| stop.is_complete())
        .map(|stop| stop.line.trim_end().to_string())
        .filter(|line| line.starts_with("show ") || line == "dir")
        .collect()
}

/// Every `show` command and `dir` run on `device` in each EXEC mode, typed out as a terminal
/// shows it: the prompt, the command, then its output.
async fn show_transcript(device: &str) -> String {
    let dir = tempfile::tempdir().unwrap();
    let lab = default_lab(dir.path()).await;
    lab.advance(UP_FOR);
    let mut transcript = String::new();
    for mode in [CliMode::PrivilegedExec, CliMode::UserExec] {
        let mut session = admin_session(&lab, device, mode);
        for line in show_commands(&session) {
            let prompt = session.prompt();
            let reply = session.execute(&line);
            transcript.push_str(&format!("{prompt}{line}\n{}", reply.text));
        }
    }
    transcript
}

/// One test per device of the default lab, each with its own snapshot file.
macro_rules! show_snapshots {
    ($($device:ident)*) => {$(
        #[tokio::test]
        async fn $device() {
            insta::assert_snapshot!(show_transcript(stringify!($device)).await);
        }
    )*};
}

show_snapshots!(cdm1 cdm2 ce1 ce2 cr1);
