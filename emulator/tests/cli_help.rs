//! The `acnslab` binary's `--help` as a new user reads it: every argument and option of `acnslab
//! cdm` and of each of its subcommands says what it is (clap prints an empty description for an
//! argument without a doc comment). The help is parsed from the binary's own output.

use std::process::Command;

/// `acnslab ARGS... --help`, its standard output.
fn help(args: &[&str]) -> String {
    let out = Command::new(env!("CARGO_BIN_EXE_acnslab"))
        .args(args)
        .arg("--help")
        .output()
        .expect("run acnslab");
    assert!(out.status.success(), "{args:?} --help: {out:?}");
    String::from_utf8(out.stdout).expect("UTF-8 help")
}

/// The lines of the section `title` (`Commands:`, `Arguments:`, `Options:`) up to the next
/// section or the end.
fn section<'a>(text: &'a str, title: &str) -> Vec<&'a str> {
    text.lines()
        .skip_while(|l| *l != title)
        .skip(1)
        .take_while(|l| l.is_empty() || l.starts_with(' '))
        .filter(|l| !l.trim().is_empty())
        .collect()
}

/// How far clap indents an entry at most: `  -h, --help` at 2, `      --file <FILE>` at 6;
/// a description's own lines (wrapped, or under a long entry) stand further right.
const ENTRY_INDENT: usize = 6;

/// The entries of a section: each entry's name (`--file`, `<URL>`, a subcommand) and its
/// description (the rest of its line after two spaces, or the more indented line under it).
fn entries(lines: &[&str]) -> Vec<(String, String)> {
    let indent = |l: &str| l.len() - l.trim_start().len();
    let mut found = Vec::new();
    for (i, line) in lines.iter().enumerate() {
        if indent(line) > ENTRY_INDENT {
            continue;
        }
        let text = line.trim();
        let (spec, description) = text.split_once("  ").unwrap_or((text, ""));
        let description = match description.trim() {
            "" => lines
                .get(i + 1)
                .filter(|next| indent(next) > ENTRY_INDENT)
                .map(|next| next.trim())
                .unwrap_or(""),
            said => said,
        };
        let words: Vec<&str> = spec.split([',', ' ']).collect();
        let name = words
            .iter()
            .find(|w| w.starts_with("--"))
            .or_else(|| words.first())
            .copied()
            .unwrap_or(spec);
        found.push((name.to_string(), description.to_string()));
    }
    found
}

#[test]
fn every_argument_of_the_cdm_subcommands_has_a_description() {
    let cdm = help(&["cdm"]);
    let subcommands: Vec<String> = entries(&section(&cdm, "Commands:"))
        .into_iter()
        .map(|(name, _)| name)
        .filter(|name| name != "help")
        .collect();
    assert!(
        subcommands.iter().any(|s| s == "upgrade"),
        "no subcommands found in:\n{cdm}"
    );
    let mut undescribed = Vec::new();
    let mut seen = 0;
    for sub in std::iter::once(None).chain(subcommands.iter().map(Some)) {
        let args: Vec<&str> = std::iter::once("cdm")
            .chain(sub.map(String::as_str))
            .collect();
        let text = help(&args);
        for title in ["Arguments:", "Options:"] {
            for (name, description) in entries(&section(&text, title)) {
                seen += 1;
                if description.is_empty() {
                    undescribed.push(format!("acnslab {} {name}", args.join(" ")));
                }
            }
        }
    }
    assert!(seen > subcommands.len(), "no arguments parsed");
    assert!(
        undescribed.is_empty(),
        "arguments without a description: {undescribed:#?}"
    );
}
