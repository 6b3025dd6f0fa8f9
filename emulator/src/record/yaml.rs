//! The text of the scenario file `acnslab record` writes (docs/scenarios.md): a header comment,
//! `name`, the lab (`lab: default` or an inline `topology:`), `start`, and the steps. Laid out for
//! people: a one-line cli step as a flow mapping, answers commented with their question, outputs as
//! literal blocks. Scalars are quoted whenever plain YAML could read them as something else.

use std::fmt::Write as _;

use chrono::{DateTime, Utc};

use super::expect::{self, Expect};
use super::{CliStep, Step};

/// Where the replay's lab comes from.
#[derive(Debug, Clone, PartialEq)]
pub enum LabSource {
    /// The default lab of docs/topology.md.
    Default,
    /// This topology (YAML text of a topology file).
    Topology(String),
}

/// Everything the file says.
#[derive(Debug, Clone)]
pub struct Recording {
    pub name: String,
    pub device: String,
    /// The state directory of the recorded lab.
    pub state_dir: String,
    /// Wall-clock time the file was written.
    pub written_at: DateTime<Utc>,
    pub lab: LabSource,
    /// The lab time of the first recorded line: the replay's virtual clock starts there.
    pub start: Option<DateTime<Utc>>,
    pub steps: Vec<Step>,
}

impl Recording {
    /// Whether a line was typed at a secret prompt (a password is in the file).
    pub fn has_secrets(&self) -> bool {
        self.steps.iter().any(|s| match s {
            Step::Cli(c) => c.lines.iter().any(|t| t.secret),
            _ => false,
        })
    }

    /// The typed lines that hold clock-dependent text (`cms database restore acns-db-...dump`).
    pub fn clock_dependent_lines(&self) -> Vec<String> {
        self.steps
            .iter()
            .filter_map(|s| match s {
                Step::Cli(c) => Some(c),
                _ => None,
            })
            .flat_map(|c| c.lines.iter())
            .filter(|t| !t.secret && expect::clock_text_in(&t.line).is_some())
            .map(|t| t.line.clone())
            .collect()
    }

    /// The file's text.
    pub fn to_yaml(&self) -> String {
        let mut out = String::new();
        self.header(&mut out);
        let _ = writeln!(out, "name: {}", scalar(&self.name));
        match &self.lab {
            LabSource::Default => out.push_str("lab: default\n"),
            LabSource::Topology(text) => {
                out.push_str("topology:\n");
                // every line kept: a configuration's block may hold empty ones
                for line in text.lines() {
                    if line.is_empty() {
                        out.push('\n');
                    } else {
                        let _ = writeln!(out, "  {line}");
                    }
                }
            }
        }
        if let Some(start) = self.start {
            let _ = writeln!(
                out,
                "start: {}",
                start.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
            );
        }
        out.push_str("steps:\n");
        for step in &self.steps {
            match step {
                Step::Cli(cli) => cli_step(&mut out, cli),
                Step::Wait(d) => {
                    let _ = writeln!(out, "  - wait: {}", duration(d.as_secs()));
                }
                Step::Until { device, timeout } => {
                    let _ = writeln!(
                        out,
                        "  - until: {{device: {}, power: running, timeout: {}, every: 1s}}",
                        scalar(device),
                        duration(timeout.as_secs())
                    );
                }
            }
        }
        out
    }

    fn header(&self, out: &mut String) {
        let mut lines = vec![
            format!(
                "Recorded by `acnslab record {}` on {} (wall clock), from the lab in {}.",
                self.device,
                self.written_at.format("%Y-%m-%d %H:%M UTC"),
                self.state_dir
            ),
            "Replay: `acnslab run THIS_FILE`. It starts from a FRESH lab made as the recorded lab was".into(),
            "when the recording began (the default lab, or the topology below: each device's".into(),
            "versions, and its configuration where it was changed), on a virtual clock from `start:`.".into(),
            "Not carried over: files on the devices' disks, rows of the CDMs' databases.".into(),
            "Each output is expected `exact`ly, except where it depends on the clock (dates, uptimes,".into(),
            "backup file names) or on the session (show users, show history): there `contains` the".into(),
            "other lines and a `regex` per clock-dependent line. `wait:` is lab time that passed".into(),
            "between commands; `until:` waits for a reloaded device to boot.".into(),
        ];
        if self.has_secrets() {
            lines.push(
                "PASSWORDS: lines typed at secret prompts (FTP, enable) are recorded in clear text"
                    .into(),
            );
            lines.push(
                "(marked `# secret`): the replay needs them. Do not share this file as it is."
                    .into(),
            );
        }
        for line in lines {
            let _ = writeln!(out, "# {line}");
        }
    }
}

/// One cli step, with its expectation.
fn cli_step(out: &mut String, cli: &CliStep) {
    let comments: Vec<Option<String>> = cli.lines.iter().map(line_comment).collect();
    if cli.lines.len() == 1 && comments[0].is_none() {
        let _ = writeln!(
            out,
            "  - cli: {{device: {}, lines: [{}]}}",
            scalar(&cli.device),
            scalar(&cli.lines[0].line)
        );
    } else {
        let _ = writeln!(
            out,
            "  - cli:\n      device: {}\n      lines:",
            scalar(&cli.device)
        );
        let texts: Vec<String> = cli.lines.iter().map(|t| scalar(&t.line)).collect();
        let width = texts.iter().map(|t| t.chars().count()).max().unwrap_or(0);
        for (text, comment) in texts.iter().zip(&comments) {
            match comment {
                Some(c) => {
                    let _ = writeln!(out, "        - {text:<width$}  # {c}");
                }
                None => {
                    let _ = writeln!(out, "        - {text}");
                }
            }
        }
    }
    if let Some(e) = cli.expectation() {
        out.push_str("    expect:\n");
        expectation(out, &e);
    }
}

fn line_comment(t: &super::Typed) -> Option<String> {
    let mut parts = Vec::new();
    if let Some(q) = &t.answers {
        parts.push(format!("answers {q:?}"));
    }
    if t.secret {
        parts.push("secret".into());
    }
    if !t.secret {
        if let Some(what) = expect::clock_text_in(&t.line) {
            parts.push(format!(
                "holds {what}: a replay at another time may need it changed"
            ));
        }
    }
    (!parts.is_empty()).then(|| parts.join("; "))
}

fn expectation(out: &mut String, e: &Expect) {
    if let Some(exact) = &e.exact {
        out.push_str("      exact:");
        value(out, exact, 6);
    }
    for (key, items, quote) in [
        ("contains", &e.contains, scalar as fn(&str) -> String),
        ("regex", &e.regex, single_quoted as fn(&str) -> String),
    ] {
        match items.as_slice() {
            [] => {}
            [one] if !one.contains('\n') => {
                let _ = writeln!(out, "      {key}: {}", quote(one));
            }
            many => {
                let _ = writeln!(out, "      {key}:");
                for item in many {
                    out.push_str("        -");
                    if item.contains('\n') {
                        value(out, item, 8);
                    } else {
                        let _ = writeln!(out, " {}", quote(item));
                    }
                }
            }
        }
    }
}

/// Writes ` VALUE\n` after a key (or `-`) written at column `at`: a literal block for several
/// lines, else a scalar.
fn value(out: &mut String, text: &str, at: usize) {
    if !text.contains('\n') || !block_safe(text) {
        let _ = writeln!(out, " {}", scalar(text));
        return;
    }
    // A first line starting with a space needs the indentation indicator.
    let indicator = if text.starts_with(' ') { "2" } else { "" };
    let _ = writeln!(out, " |{indicator}");
    for line in text.lines() {
        if line.is_empty() {
            out.push('\n');
        } else {
            let _ = writeln!(out, "{:width$}{line}", "", width = at + 2);
        }
    }
}

/// Whether `text` can be a literal block: printable, no trailing spaces, no tabs.
fn block_safe(text: &str) -> bool {
    text.chars().all(|c| c == '\n' || !c.is_control()) && text.lines().all(|l| l == l.trim_end())
}

/// A YAML scalar for `s`: plain when nothing could misread it, else double-quoted.
pub fn scalar(s: &str) -> String {
    if is_plain_safe(s) {
        return s.to_string();
    }
    let mut q = String::from("\"");
    for c in s.chars() {
        match c {
            '"' => q.push_str("\\\""),
            '\\' => q.push_str("\\\\"),
            '\n' => q.push_str("\\n"),
            '\t' => q.push_str("\\t"),
            c if c.is_control() => {
                let _ = write!(q, "\\u{:04X}", c as u32);
            }
            c => q.push(c),
        }
    }
    q.push('"');
    q
}

/// A single-quoted scalar (for regexes: backslashes stay as they are).
fn single_quoted(s: &str) -> String {
    if s.chars().any(|c| c.is_control()) {
        return scalar(s);
    }
    format!("'{}'", s.replace('\'', "''"))
}

fn is_plain_safe(s: &str) -> bool {
    const WORDS: [&str; 11] = [
        "y", "yes", "n", "no", "true", "false", "on", "off", "null", "default", "none",
    ];
    let first_ok = s.chars().next().is_some_and(|c| c.is_ascii_alphabetic());
    first_ok
        && s == s.trim()
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || " ._/-+=()*".contains(c))
        && !WORDS.contains(&s.to_ascii_lowercase().as_str())
}

/// A duration in the scenario syntax: `1h2m3s`, `90s` → `1m30s`, `0s`.
pub fn duration(secs: u64) -> String {
    let (h, m, s) = (secs / 3600, secs / 60 % 60, secs % 60);
    let mut out = String::new();
    if h > 0 {
        let _ = write!(out, "{h}h");
    }
    if m > 0 {
        let _ = write!(out, "{m}m");
    }
    if s > 0 || out.is_empty() {
        let _ = write!(out, "{s}s");
    }
    out
}

impl CliStep {
    /// The expectation on this step's output (all its lines' outputs, in order).
    pub fn expectation(&self) -> Option<Expect> {
        let lines: Vec<expect::Line> = self
            .lines
            .iter()
            .flat_map(|t| expect::lines_of(&t.output, t.command))
            .collect();
        expect::expectation(&lines)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scalars_that_yaml_could_misread_are_quoted() {
        for (s, want) in [
            ("show version", "show version"),
            ("hostname edge1", "hostname edge1"),
            (
                "interface GigabitEthernet 1/0",
                "interface GigabitEthernet 1/0",
            ),
            ("", "\"\""),
            ("no", "\"no\""),
            ("yes", "\"yes\""),
            ("Y", "\"Y\""),
            ("1", "\"1\""),
            ("[OK]", "\"[OK]\""),
            (
                "ip address 10.1.1.10 255.255.255.0",
                "ip address 10.1.1.10 255.255.255.0",
            ),
            (
                "copy ftp install 10.1.1.100 /images A.bin",
                "copy ftp install 10.1.1.100 /images A.bin",
            ),
            ("a: b", "\"a: b\""),
            ("x # y", "\"x # y\""),
            ("say \"hi\"", "\"say \\\"hi\\\"\""),
            ("  Line", "\"  Line\""),
            ("show ?", "\"show ?\""),
        ] {
            assert_eq!(scalar(s), want, "{s:?}");
        }
    }

    #[test]
    fn durations_use_the_scenario_syntax() {
        for (secs, want) in [
            (0, "0s"),
            (5, "5s"),
            (90, "1m30s"),
            (3600, "1h"),
            (3725, "1h2m5s"),
        ] {
            assert_eq!(duration(secs), want);
            let back = crate::scenario::format::parse_duration(want).expect("parses");
            assert_eq!(back.as_secs(), secs);
        }
    }
}
