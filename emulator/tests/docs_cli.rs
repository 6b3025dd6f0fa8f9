//! Keeps `docs/cli.md` true: every declared command (`commands::syntaxes`) must appear there with its syntax
//! verbatim (in a table row or in backticks). Add the row to docs/cli.md when you add a command.

use std::path::Path;

#[test]
fn every_command_syntax_is_documented_in_cli_md() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../docs/cli.md");
    let doc = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    let missing: Vec<String> = acnslab::commands::syntaxes()
        .into_iter()
        .filter(|syntax| !doc.contains(&format!("`{syntax}`")))
        .collect();
    assert!(
        missing.is_empty(),
        "docs/cli.md lacks these commands (add a row with the syntax in backticks):\n  {}",
        missing.join("\n  ")
    );
}
