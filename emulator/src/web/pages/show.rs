//! The Show Commands pane (Show/Clear Commands > Show Commands) of a device's window: a command
//! from the drop-down list and Submit; the output of the chosen one, run through
//! [`run_show`](crate::web::run_show). Template and the command list only.

use std::sync::Arc;

use maud::{html, Markup};

use crate::lab::Node;
use crate::text::gui as text;
use crate::web::run_show::run_show;

/// The commands of Show/Clear Commands > Show Commands, as the CLI command they run.
const SHOW_COMMANDS: [(&str, &str); 6] = [
    ("version", "show version"),
    ("running-config", "show running-config"),
    ("startup-config", "show startup-config"),
    ("cms info", "show cms info"),
    ("clock", "show clock"),
    ("disks details", "show disks details"),
];

/// The command line of the list's `command`, run on `node`, and what it printed (asked before the
/// page is built, so no lock of the page is held while the device answers).
pub(super) async fn show_output(
    node: Option<&Arc<Node>>,
    command: Option<&str>,
) -> Option<(&'static str, String)> {
    let line = SHOW_COMMANDS
        .iter()
        .find(|(word, _)| Some(*word) == command)
        .map(|(_, line)| *line)?;
    let output = match node {
        Some(node) => run_show(node, line).await,
        None => String::new(),
    };
    Some((line, output))
}

/// The pane of the device window at `base`; with the output of a command of the list.
pub(super) fn show_pane(base: &str, shown: Option<(&str, String)>) -> Markup {
    html! {
        h2 #window { (text::PANE_SHOW) }
        form #show method="get" action=(base) {
            input type="hidden" name="pane" value="show";
            select name="command" { @for (word, _) in SHOW_COMMANDS { option { (word) } } }
            " "
            button type="submit" { (text::SUBMIT) }
        }
        @if let Some((line, output)) = shown {
            h3 { (line) }
            pre #output { (output) }
        }
    }
}
