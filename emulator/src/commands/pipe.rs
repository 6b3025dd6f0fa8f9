//! Output modifiers after a `show` command, as ACNS (and IOS) have them: `show running-config |
//! include hostname`. `include` and `exclude` keep or drop the lines a regular expression matches,
//! `begin` starts at the first line it matches, `section` keeps each matching line with the
//! indented lines under it. Pure: splits a line at its `|`, parses what follows (keywords may be
//! abbreviated, the rest of the line is the pattern), filters an output, and offers the `?` help;
//! errors carry the byte offset the caret goes under.

use regex::Regex;

/// What an output modifier does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Modifier {
    Begin,
    Exclude,
    Include,
    Section,
}

/// The modifiers, with their `?` help (recalled from IOS), in the order `?` lists them.
pub const MODIFIERS: [(&str, &str, Modifier); 4] = [
    ("begin", "Begin with the line that matches", Modifier::Begin),
    ("exclude", "Exclude lines that match", Modifier::Exclude),
    ("include", "Include lines that match", Modifier::Include),
    ("section", "Filter a section of output", Modifier::Section),
];

/// The `?` help of the `|` itself, and of the pattern (recalled from IOS).
pub const PIPE_HELP: &str = "Output modifiers";
pub const PATTERN_HELP: &str = "Regular Expression";

/// A parsed `| MODIFIER PATTERN`.
#[derive(Debug, Clone)]
pub struct Pipe {
    pub modifier: Modifier,
    pattern: Regex,
}

/// Why the text after `|` is not a modifier.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PipeError {
    /// Not a modifier (byte offset of the word in the line).
    #[error("invalid input at byte {at}")]
    Invalid { at: usize },
    /// A modifier without a pattern, or nothing after `|`.
    #[error("incomplete command")]
    Incomplete,
    /// The pattern is not a regular expression (byte offset of the pattern).
    #[error("invalid regular expression: {why}")]
    BadPattern { at: usize, why: String },
}

/// Splits `line` at its first `|`: the command before it, and the byte offset just after it.
pub fn split(line: &str) -> (&str, Option<usize>) {
    match line.find('|') {
        Some(i) => (&line[..i], Some(i + 1)),
        None => (line, None),
    }
}

/// Whether an output modifier may follow the command declared as `syntax`: `show` commands.
pub fn follows(syntax: &str) -> bool {
    syntax.starts_with("show")
}

/// The modifiers a (possibly abbreviated, possibly empty) word may be.
fn candidates(word: &str) -> Vec<&'static (&'static str, &'static str, Modifier)> {
    let word = word.to_ascii_lowercase();
    MODIFIERS
        .iter()
        .filter(|(name, _, _)| name.starts_with(&word))
        .collect()
}

/// Parses the text of `line` from byte `from` (just after the `|`) that follows the command
/// declared as `command` (`None`: no command before the `|`); a `|` no modifier may follow is
/// invalid where it stands.
pub fn parse(command: Option<&str>, line: &str, from: usize) -> Result<Pipe, PipeError> {
    if !command.is_some_and(follows) {
        return Err(PipeError::Invalid {
            at: from.saturating_sub(1),
        });
    }
    let rest = &line[from..];
    let word_at = from + (rest.len() - rest.trim_start().len());
    let rest = rest.trim_start();
    let word_end = rest.find(char::is_whitespace).unwrap_or(rest.len());
    let word = &rest[..word_end];
    if word.is_empty() {
        return Err(PipeError::Incomplete);
    }
    let modifier = match candidates(word).as_slice() {
        [(_, _, modifier)] => *modifier,
        _ => return Err(PipeError::Invalid { at: word_at }),
    };
    let after = &rest[word_end..];
    let pattern_at = word_at + word_end + (after.len() - after.trim_start().len());
    // One run of blanks separates the modifier from its pattern; the rest of the line is the
    // pattern, spaces included (`| exclude ^ ` drops indented lines).
    let pattern = after.trim_start().trim_end_matches(['\r', '\n']);
    if pattern.trim().is_empty() {
        return Err(PipeError::Incomplete);
    }
    let pattern = Regex::new(pattern).map_err(|e| PipeError::BadPattern {
        at: pattern_at,
        why: first_line(&e.to_string()),
    })?;
    Ok(Pipe { modifier, pattern })
}

/// The last line of a regex error (the one that says what is wrong).
fn first_line(text: &str) -> String {
    text.lines()
        .rev()
        .find(|l| !l.trim().is_empty())
        .unwrap_or(text)
        .trim()
        .trim_start_matches("error: ")
        .to_string()
}

/// The `?` help after `|` at byte `from` of `line` (which ends where the `?` was typed):
/// (token, help) rows, and whether they complete a partial word.
pub fn help(line: &str, from: usize) -> (Vec<(String, String)>, bool) {
    let rest = line[from..].trim_start();
    let word_end = rest.find(char::is_whitespace);
    match word_end {
        // still typing the modifier (or nothing yet)
        None => {
            let rows = candidates(rest)
                .into_iter()
                .map(|(name, help, _)| (name.to_string(), help.to_string()))
                .collect();
            (rows, !rest.is_empty())
        }
        Some(_) => (vec![("LINE".into(), PATTERN_HELP.into())], false),
    }
}

impl Pipe {
    /// `text` (lines ending in `\n`) filtered.
    pub fn apply(&self, text: &str) -> String {
        let lines = text.split_inclusive('\n');
        let matches = |line: &str| self.pattern.is_match(line.trim_end_matches(['\r', '\n']));
        match self.modifier {
            Modifier::Include => lines.filter(|l| matches(l)).collect(),
            Modifier::Exclude => lines.filter(|l| !matches(l)).collect(),
            Modifier::Begin => lines.skip_while(|l| !matches(l)).collect(),
            Modifier::Section => {
                let mut out = String::new();
                let mut inside = false;
                for line in lines {
                    let indented = line.starts_with([' ', '\t']);
                    if matches(line) {
                        inside = true;
                    } else if !indented {
                        inside = false;
                    }
                    if inside {
                        out.push_str(line);
                    }
                }
                out
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const CONFIG: &str = "hostname ce1\ninterface GigabitEthernet 1/0\n ip address 10.1.1.10 255.255.255.0\n exit\nip default-gateway 10.1.1.1\ncms enable\n";

    fn filtered(line: &str) -> String {
        let (_, at) = split(line);
        parse(Some("show"), line, at.unwrap())
            .unwrap()
            .apply(CONFIG)
    }

    #[test]
    fn each_modifier_filters_as_on_ios() {
        assert_eq!(
            filtered("show running-config | include ^ip|host"),
            "hostname ce1\nip default-gateway 10.1.1.1\n"
        );
        assert_eq!(filtered("show run | exclude ^ "), "hostname ce1\ninterface GigabitEthernet 1/0\nip default-gateway 10.1.1.1\ncms enable\n");
        assert_eq!(
            filtered("show run | begin ^ip default"),
            "ip default-gateway 10.1.1.1\ncms enable\n"
        );
        assert_eq!(
            filtered("show run | section interface"),
            "interface GigabitEthernet 1/0\n ip address 10.1.1.10 255.255.255.0\n exit\n"
        );
        // abbreviated modifiers, and a pattern with spaces
        assert_eq!(filtered("show run | inc cms enable"), "cms enable\n");
        assert_eq!(filtered("show run | i nothing"), "");
    }

    #[test]
    fn errors_say_where() {
        let line = "show version | grep x";
        assert_eq!(
            parse(Some("show version"), line, 14).unwrap_err(),
            PipeError::Invalid { at: 15 }
        );
        assert_eq!(
            parse(Some("show version"), "show version | include", 14).unwrap_err(),
            PipeError::Incomplete
        );
        assert_eq!(
            parse(Some("show version"), "show version |", 14).unwrap_err(),
            PipeError::Incomplete
        );
        // `e` abbreviates only exclude; a pattern that is not a regular expression points at itself
        let line = "show version | e (unclosed";
        match parse(Some("show version"), line, 14) {
            Err(PipeError::BadPattern { at, why }) => {
                assert_eq!(&line[at..], "(unclosed");
                assert!(why.contains("unclosed"), "{why}");
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn help_lists_the_modifiers_then_the_pattern() {
        let (rows, partial) = help("show version | ", 14);
        let names: Vec<&str> = rows.iter().map(|(n, _)| n.as_str()).collect();
        assert_eq!(
            (names.as_slice(), partial),
            (["begin", "exclude", "include", "section"].as_slice(), false)
        );
        let (rows, partial) = help("show version | in", 14);
        assert_eq!(
            (rows[0].0.as_str(), rows.len(), partial),
            ("include", 1, true)
        );
        let (rows, _) = help("show version | include ", 14);
        assert_eq!(rows, [("LINE".to_string(), PATTERN_HELP.to_string())]);
    }
}
