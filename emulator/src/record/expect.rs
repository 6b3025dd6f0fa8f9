//! How `acnslab record` turns a recorded output into an `expect:` that a replay on a fresh lab, on
//! a virtual clock, passes whenever the device behaves the same. Two tables decide it:
//!
//! - [`CLOCK_TEXT`]: text that depends on the clock (dates and times, uptimes, backup file names
//!   with dates and their sizes, transfer speeds). A line holding some becomes a `regex` with that text replaced by
//!   a pattern; the other lines become `contains` blocks.
//! - [`SESSION_TEXT`]: commands whose output depends on the session rather than on the device
//!   (`show history`, `show users`): only the lines a replayed session also prints are kept.
//!
//! An output with neither is expected `exact`ly. Pure functions; no I/O.

use std::sync::OnceLock;

use regex::Regex;

/// One kind of clock-dependent text: how it is found in a recorded line (`find`) and the pattern
/// that stands for it in the line's regex.
#[derive(Debug, Clone, Copy)]
pub struct ClockText {
    pub what: &'static str,
    pub find: &'static str,
    pub pattern: &'static str,
}

/// Every kind of clock-dependent text, tried in this order on each output line.
pub const CLOCK_TEXT: &[ClockText] = &[
    ClockText {
        what: "a CMS backup file's row in dir (its size follows the rows it holds, its date the clock)",
        find: r"^ *\d+ +(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun) (?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) [ \d]\d \d\d:\d\d:\d\d \d{4} +acns-db-\d{1,2}-\d{1,2}-\d{4}-\d{2}-\d{2}\.dump$",
        pattern: r" *\d+ +\w{3} \w{3} [ \d]\d \d\d:\d\d:\d\d \d{4} +acns-db-\d{1,2}-\d{1,2}-\d{4}-\d{2}-\d{2}\.dump",
    },
    ClockText {
        what: "a date and time (show version, show clock, dir, show cms info)",
        find: r"\b(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun) (?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) [ \d]\d \d\d:\d\d:\d\d \d{4}\b",
        pattern: r"\w{3} \w{3} [ \d]\d \d\d:\d\d:\d\d \d{4}",
    },
    ClockText {
        what: "a system log time stamp (show logging)",
        find: r"^(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) [ \d]\d \d\d:\d\d:\d\d ",
        pattern: r"\w{3} [ \d]\d \d\d:\d\d:\d\d ",
    },
    ClockText {
        what: "an uptime (show version)",
        find: r"\bup for \d+ (?:week|day|hour|minute|second)s?(?:, \d+ (?:week|day|hour|minute|second)s?)*",
        pattern: r"up for \d+ \w+(?:, \d+ \w+)*",
    },
    ClockText {
        what: "a CMS backup file name (cms database backup, an install on a CDM, dir)",
        find: r"\bacns-db-\d{1,2}-\d{1,2}-\d{4}-\d{2}-\d{2}\.dump\b",
        pattern: r"acns-db-\d{1,2}-\d{1,2}-\d{4}-\d{2}-\d{2}\.dump",
    },
    ClockText {
        what: "an RFC 3339 time",
        find: r"\b\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?(?:Z|[+-]\d\d:\d\d)",
        pattern: r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?(?:Z|[+-]\d\d:\d\d)",
    },
    ClockText {
        what: "a transfer speed",
        find: r"\b\d+(?:\.\d+)? ?(?:[KMG]i?B|bytes)/s(?:ec)?\b",
        pattern: r"\d+(?:\.\d+)? ?(?:[KMG]i?B|bytes)/s(?:ec)?",
    },
];

/// Which lines of a session-dependent output a replayed session prints too.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Keep {
    /// The header line only.
    FirstLine,
    /// The last line only.
    LastLine,
}

/// Commands whose output depends on the session: (declared syntax, lines kept, why).
pub const SESSION_TEXT: &[(&str, Keep, &str)] = &[
    (
        "show history",
        Keep::LastLine,
        "a replayed step's session has only that step's commands; the last one is `show history`",
    ),
    (
        "show users",
        Keep::FirstLine,
        "the sessions open, their idle times and locations differ on replay",
    ),
];

/// What one output line asks of the replay.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Line {
    /// The same text (trailing spaces aside).
    Exact(String),
    /// A line matching this regex (anchored, multi-line mode).
    Pattern(String),
    /// Nothing (session-dependent).
    Skip,
}

/// The expectation of a cli step, as it is written to the file.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Expect {
    pub exact: Option<String>,
    pub contains: Vec<String>,
    pub regex: Vec<String>,
}

fn finders() -> &'static [Regex] {
    static FINDERS: OnceLock<Vec<Regex>> = OnceLock::new();
    FINDERS.get_or_init(|| {
        CLOCK_TEXT
            .iter()
            .filter_map(|c| Regex::new(c.find).ok())
            .collect()
    })
}

/// The clock-dependent texts of `text`, in order, without overlaps (an earlier, then longer, match
/// wins): byte ranges and their table entries.
fn clock_texts(text: &str) -> Vec<(usize, usize, &'static ClockText)> {
    let mut all: Vec<(usize, usize, &'static ClockText)> = finders()
        .iter()
        .zip(CLOCK_TEXT)
        .flat_map(|(re, c)| re.find_iter(text).map(move |m| (m.start(), m.end(), c)))
        .collect();
    all.sort_by_key(|(start, end, _)| (*start, usize::MAX - end));
    let mut kept: Vec<(usize, usize, &'static ClockText)> = Vec::new();
    for found in all {
        if kept.last().is_none_or(|(_, end, _)| found.0 >= *end) {
            kept.push(found);
        }
    }
    kept
}

/// What kind of clock-dependent text `typed` holds (a backup file name typed from an earlier
/// output, say), if any: replay at another time may not find it.
pub fn clock_text_in(typed: &str) -> Option<&'static str> {
    clock_texts(typed).first().map(|(_, _, c)| c.what)
}

/// One output line: exact, or a regex with its clock-dependent parts replaced by patterns.
pub fn classify(line: &str) -> Line {
    let line = line.trim_end();
    let found = clock_texts(line);
    if found.is_empty() {
        return Line::Exact(line.to_string());
    }
    let mut regex = String::from("^");
    let mut at = 0;
    for (start, end, clock) in found {
        regex.push_str(&regex::escape(&line[at..start]));
        regex.push_str(clock.pattern);
        at = end;
    }
    regex.push_str(&regex::escape(&line[at..]));
    regex.push('$');
    Line::Pattern(regex)
}

/// The lines of one typed line's output, with the session rules of its command applied.
pub fn lines_of(output: &str, command: Option<&str>) -> Vec<Line> {
    let text: Vec<&str> = output.lines().collect();
    let keep = command.and_then(|c| {
        SESSION_TEXT
            .iter()
            .find(|(cmd, _, _)| *cmd == c)
            .map(|(_, k, _)| *k)
    });
    let last = text.iter().rposition(|l| !l.trim().is_empty());
    text.iter()
        .enumerate()
        .map(|(i, l)| match keep {
            Some(Keep::FirstLine) if i > 0 => Line::Skip,
            Some(Keep::LastLine) if Some(i) != last => Line::Skip,
            _ => classify(l),
        })
        .collect()
}

/// The expectation for a step's output lines: `exact` when every line is exact, otherwise
/// `contains` for each block of exact lines and a `regex` for each clock-dependent line.
/// `None` when nothing is left to expect.
pub fn expectation(lines: &[Line]) -> Option<Expect> {
    if lines.iter().all(|l| matches!(l, Line::Exact(_))) {
        let text: Vec<&str> = lines
            .iter()
            .filter_map(|l| match l {
                Line::Exact(t) => Some(t.as_str()),
                _ => None,
            })
            .collect();
        return Some(Expect {
            exact: Some(trim_blank_ends(&text).join("\n")),
            ..Expect::default()
        });
    }
    let mut expect = Expect::default();
    let mut block: Vec<&str> = Vec::new();
    let flush = |block: &mut Vec<&str>, expect: &mut Expect| {
        let kept = trim_blank_ends(block).join("\n");
        if !kept.is_empty() && !expect.contains.contains(&kept) {
            expect.contains.push(kept);
        }
        block.clear();
    };
    for line in lines {
        match line {
            Line::Exact(t) => block.push(t),
            Line::Pattern(r) => {
                flush(&mut block, &mut expect);
                if !expect.regex.contains(r) {
                    expect.regex.push(r.clone());
                }
            }
            Line::Skip => flush(&mut block, &mut expect),
        }
    }
    flush(&mut block, &mut expect);
    if expect.contains.is_empty() && expect.regex.is_empty() {
        return None;
    }
    Some(expect)
}

fn trim_blank_ends<'a>(lines: &[&'a str]) -> Vec<&'a str> {
    let first = lines.iter().position(|l| !l.trim().is_empty());
    let last = lines.iter().rposition(|l| !l.trim().is_empty());
    match (first, last) {
        (Some(f), Some(l)) => lines[f..=l].to_vec(),
        _ => Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_table_pattern_compiles_and_matches_what_it_finds() {
        assert_eq!(
            finders().len(),
            CLOCK_TEXT.len(),
            "a `find` does not compile"
        );
        let samples = [
            "         69810  Thu Nov 26 10:54:50 2026   acns-db-11-26-2026-10-57.dump",
            "Thu Nov 26 10:45:28 2026",
            "Nov  5 08:04:52 ",
            "up for 1 day, 2 hours, 3 seconds",
            "acns-db-11-26-2026-09-02.dump",
            "2026-11-26T09:00:00.250Z",
            "12.5 MB/s",
        ];
        for (clock, sample) in CLOCK_TEXT.iter().zip(samples) {
            let find = Regex::new(clock.find).expect("find compiles");
            assert!(find.is_match(sample), "{}: {sample}", clock.what);
            let pattern = Regex::new(&format!("^{}$", clock.pattern)).expect("pattern compiles");
            assert!(pattern.is_match(sample), "{}: pattern {sample}", clock.what);
        }
    }

    /// (recorded line, what the expectation asks for it, a line of another time it must match)
    const LINES: &[(&str, Option<&str>, &str)] = &[
        (
            "System was restarted on Thu Nov 26 10:45:28 2026.",
            Some(r"^System was restarted on \w{3} \w{3} [ \d]\d \d\d:\d\d:\d\d \d{4}\.$"),
            "System was restarted on Fri Dec  4 09:00:00 2026.",
        ),
        (
            "The system has been up for 2 seconds.",
            Some(r"^The system has been up for \d+ \w+(?:, \d+ \w+)*\.$"),
            "The system has been up for 1 week, 3 minutes, 1 second.",
        ),
        (
            "Local time: Thu Nov 26 10:45:31 2026 UTC",
            Some(r"^Local time: \w{3} \w{3} [ \d]\d \d\d:\d\d:\d\d \d{4} UTC$"),
            "Local time: Thu Nov 26 09:00:00 2026 UTC",
        ),
        (
            "Nov 26 10:45:28 %ACNS-5-BOOT: System booted, software version 5.1.3",
            Some(r"^\w{3} [ \d]\d \d\d:\d\d:\d\d %ACNS\-5\-BOOT: System booted, software version 5\.1\.3$"),
            "Nov 26 09:00:00 %ACNS-5-BOOT: System booted, software version 5.1.3",
        ),
        (
            "Creating database backup file acns-db-11-26-2026-10-47.dump",
            Some(r"^Creating database backup file acns-db-\d{1,2}-\d{1,2}-\d{4}-\d{2}-\d{2}\.dump$"),
            "Creating database backup file acns-db-11-26-2026-09-00.dump",
        ),
        (
            "         69810  Thu Nov 26 08:05:05 2026   acns-db-11-26-2026-08-05.dump",
            Some(r"^ *\d+ +\w{3} \w{3} [ \d]\d \d\d:\d\d:\d\d \d{4} +acns-db-\d{1,2}-\d{1,2}-\d{4}-\d{2}-\d{2}\.dump$"),
            "         69800  Thu Nov 26 09:00:00 2026   acns-db-11-26-2026-09-00.dump",
        ),
        (
            "       8388608  Thu Nov 26 08:05:05 2026   ACNS-5.2.1-K9.bin",
            Some(r"^       8388608  \w{3} \w{3} [ \d]\d \d\d:\d\d:\d\d \d{4}   ACNS\-5\.2\.1\-K9\.bin$"),
            "       8388608  Fri Nov 27 10:00:00 2026   ACNS-5.2.1-K9.bin",
        ),
        (
            "Registration:               registered with 10.1.1.5 since Thu Nov 26 10:45:28 2026",
            Some(r"^Registration:               registered with 10\.1\.1\.5 since \w{3} \w{3} [ \d]\d \d\d:\d\d:\d\d \d{4}$"),
            "Registration:               registered with 10.1.1.5 since Thu Nov 26 09:00:00 2026",
        ),
        // no clock in these: exact
        ("Compiled 10:35:03 Mar 21 2005 by cnbuild", None, ""),
        ("Application and Content Networking System Software Release 5.1.3 (build b26 Mar 21 2005)", None, ""),
        ("FTP download completed. (8388608 bytes)", None, ""),
        ("2 GigabitEthernet interfaces", None, ""),
        ("hostname ce1", None, ""),
    ];

    #[test]
    fn clock_dependent_lines_become_regexes_that_match_other_times() {
        for (line, want, other) in LINES {
            match (classify(line), want) {
                (Line::Pattern(got), Some(want)) => {
                    assert_eq!(&got, want, "{line}");
                    let re = Regex::new(&got).expect("compiles");
                    assert!(re.is_match(line), "{got} must match the recorded line");
                    assert!(re.is_match(other), "{got} must match {other}");
                }
                (Line::Exact(got), None) => assert_eq!(&got, line),
                (got, want) => panic!("{line}: got {got:?}, want {want:?}"),
            }
        }
    }

    #[test]
    fn typed_text_with_a_date_is_flagged() {
        assert!(clock_text_in("cms database restore acns-db-11-26-2026-09-02.dump").is_some());
        assert_eq!(clock_text_in("show version"), None);
    }

    #[test]
    fn output_without_clock_text_is_exact() {
        let lines = lines_of("Building configuration...\n[OK]\n", Some("write [memory]"));
        assert_eq!(
            expectation(&lines),
            Some(Expect {
                exact: Some("Building configuration...\n[OK]".into()),
                ..Expect::default()
            })
        );
        // nothing printed: exactly nothing
        assert_eq!(
            expectation(&lines_of("", Some("hostname WORD$name"))),
            Some(Expect {
                exact: Some(String::new()),
                ..Expect::default()
            })
        );
    }

    #[test]
    fn show_version_keeps_its_fixed_lines_as_blocks() {
        let out = "Application and Content Networking System Software (ACNS)\n\
                   Version: ce565-5.1.3\n\
                   \n\
                   Compiled 10:35:03 Mar 21 2005 by cnbuild\n\
                   \n\
                   System was restarted on Thu Nov 26 10:45:28 2026.\n\
                   The system has been up for 2 seconds.\n";
        let e = expectation(&lines_of(out, Some("show version"))).expect("an expectation");
        assert_eq!(e.exact, None);
        assert_eq!(
            e.contains,
            vec![
                "Application and Content Networking System Software (ACNS)\nVersion: ce565-5.1.3\n\nCompiled 10:35:03 Mar 21 2005 by cnbuild"
            ]
        );
        assert_eq!(e.regex.len(), 2);
    }

    #[test]
    fn session_dependent_outputs_keep_what_a_new_session_prints() {
        let users = "    Line       User          Host(s)              Idle       Location\n\
                     *  vty 0     admin         idle                 00:00:00   console\n\
                     \x20  vty 1     admin         idle                 00:03:10   127.0.0.1\n";
        let e = expectation(&lines_of(users, Some("show users"))).expect("header");
        assert_eq!(
            e.contains,
            vec!["    Line       User          Host(s)              Idle       Location"]
        );
        assert!(e.regex.is_empty() && e.exact.is_none());
        let history = "  show version\n  configure terminal\n  sh hist\n";
        let e = expectation(&lines_of(history, Some("show history"))).expect("last line");
        assert_eq!(e.contains, vec!["  sh hist"]);
        // the same text from another command is exact
        let e = expectation(&lines_of(history, None)).expect("exact");
        assert!(e.exact.is_some());
    }
}
