//! Property tests: no input makes the matcher or renderer panic, and any
//! unique abbreviation of a declared command parses like the full command.

use crate::common::{exec_mode, Cmd};
use cli_grammar::{render_error, render_help, ParseError, Parsed};
use proptest::prelude::*;

/// A word of a sample command line: a keyword with the length of its
/// shortest unique prefix at that position, or a placeholder value.
#[derive(Debug, Clone, Copy)]
enum Part {
    Keyword(&'static str, usize),
    Arg(&'static str),
}
use Part::{Arg, Keyword as Kw};

/// Concrete fixture lines; minimal unique prefixes worked out by hand from
/// the keywords possible at each position (`ip` vs `ipv6`, `configure` vs `copy`).
const SAMPLES: &[(Cmd, &[Part])] = &[
    (Cmd::ShowVersion, &[Kw("show", 1), Kw("version", 1)]),
    (Cmd::ShowRunning, &[Kw("show", 1), Kw("running-config", 1)]),
    (Cmd::ShowStartup, &[Kw("show", 1), Kw("startup-config", 1)]),
    (
        Cmd::ShowInterface,
        &[
            Kw("show", 1),
            Kw("interface", 1),
            Kw("gigabitethernet", 1),
            Arg("1/0"),
        ],
    ),
    (
        Cmd::ShowInterface,
        &[
            Kw("show", 1),
            Kw("interface", 1),
            Kw("portchannel", 1),
            Arg("4"),
        ],
    ),
    (Cmd::Configure, &[Kw("configure", 3)]),
    (Cmd::Configure, &[Kw("configure", 3), Kw("terminal", 1)]),
    (
        Cmd::CopyRunStart,
        &[
            Kw("copy", 3),
            Kw("running-config", 1),
            Kw("startup-config", 1),
        ],
    ),
    (
        Cmd::CopyFtp,
        &[
            Kw("copy", 3),
            Kw("ftp", 1),
            Kw("install", 1),
            Arg("10.1.1.1"),
            Arg("/pub"),
            Arg("ACNS-5.5.bin"),
        ],
    ),
    (
        Cmd::CopyFtp,
        &[
            Kw("copy", 3),
            Kw("ftp", 1),
            Kw("install", 1),
            Arg("ftp.example.com"),
            Arg("dir"),
            Arg("file"),
        ],
    ),
    (Cmd::Reload, &[Kw("reload", 1)]),
    (Cmd::Reload, &[Kw("reload", 1), Kw("force", 1)]),
    (
        Cmd::IpRoute,
        &[
            Kw("ip", 2),
            Kw("route", 1),
            Arg("10.0.0.0"),
            Arg("255.0.0.0"),
        ],
    ),
    (Cmd::Ipv6Enable, &[Kw("ipv6", 3), Kw("enable", 1)]),
    (
        Cmd::TerminalLength,
        &[Kw("terminal", 1), Kw("length", 1), Arg("24")],
    ),
    (Cmd::Echo, &[Kw("echo", 1), Arg("hello   brave world")]),
    (Cmd::Ping, &[Kw("ping", 1), Arg("172.16.0.1")]),
];

/// Builds the typed line: each keyword cut to a unique prefix chosen by
/// `cuts`, optionally upper-cased, words joined by `gaps`.
fn abbreviated_line(parts: &[Part], cuts: &[(u8, bool)], gaps: &[&str]) -> String {
    let mut line = String::new();
    for (index, part) in parts.iter().enumerate() {
        if index > 0 {
            line.push_str(gaps[index % gaps.len()]);
        }
        match part {
            Part::Keyword(keyword, shortest) => {
                let (cut, upper) = cuts[index % cuts.len()];
                let length = shortest + usize::from(cut) % (keyword.len() - shortest + 1);
                let prefix = &keyword[..length];
                line.push_str(&if upper {
                    prefix.to_uppercase()
                } else {
                    prefix.to_string()
                });
            }
            Part::Arg(text) => line.push_str(text),
        }
    }
    line
}

fn vocabulary_word() -> impl Strategy<Value = String> {
    prop_oneof![
        prop::sample::select(vec![
            "show",
            "sh",
            "s",
            "c",
            "co",
            "copy",
            "ftp",
            "install",
            "ip",
            "i",
            "ipv6",
            "reload",
            "force",
            "terminal",
            "length",
            "echo",
            "ping",
            "int",
            "gi",
            "1/0",
            "4",
            "513",
            "10.1.1.1",
            "999.1.1.1",
            "?",
            "|",
            "[",
            "é",
            "ß",
            "İ",
            "\u{212A}",
        ])
        .prop_map(str::to_string),
        "[^ ]{0,6}",
    ]
}

fn vocabulary_line() -> impl Strategy<Value = String> {
    (
        prop::collection::vec(vocabulary_word(), 0..7),
        prop::sample::select(vec![" ", "  ", "\t", "\u{3000}", " \u{a0}"]),
        any::<bool>(),
    )
        .prop_map(|(words, gap, trailing)| {
            let mut line = words.join(gap);
            if trailing {
                line.push(' ');
            }
            line
        })
}

fn exercise(line: &str) {
    let set = exec_mode();
    let parsed = set.parse(line);
    if let Parsed::Error(error) = &parsed {
        check_error(error, line);
        let _ = render_error(error, 7, line);
    }
    match set.help(line) {
        Ok(help) => {
            let _ = render_help(&help);
        }
        Err(error) => {
            check_error(&error, line);
            let _ = render_error(&error, 0, line);
        }
    }
    let completion = set.complete(line);
    // Tab only ever rewrites the last word; earlier words stay as typed.
    let earlier_words = line.trim_end_matches(|c: char| !c.is_whitespace());
    assert!(completion.line.starts_with(earlier_words), "{line:?}");
}

/// Invalid positions always point at a character of the line.
fn check_error(error: &ParseError, line: &str) {
    if let ParseError::Invalid { at } = error {
        assert!(*at < line.len(), "{at} beyond {line:?}");
        assert!(line.is_char_boundary(*at));
        assert!(!line[*at..].starts_with(char::is_whitespace));
    }
}

proptest! {
    #[test]
    fn arbitrary_input_never_panics(line in ".{0,40}") {
        exercise(&line);
    }

    #[test]
    fn command_like_input_never_panics(line in vocabulary_line()) {
        exercise(&line);
    }

    #[test]
    fn render_error_accepts_any_offset(at in any::<usize>(), width in 0usize..200, line in ".{0,20}") {
        let text = render_error(&ParseError::Invalid { at }, width, &line);
        prop_assert!(text.ends_with("% Invalid input detected at '^' marker.\n"));
    }

    #[test]
    fn unique_abbreviations_parse_like_full_commands(
        sample in 0..SAMPLES.len(),
        cuts in prop::collection::vec((any::<u8>(), any::<bool>()), 1..8),
        gaps in prop::collection::vec(prop::sample::select(vec![" ", "  ", "\t", " \t "]), 1..4),
        leading in prop::sample::select(vec!["", " ", "\t"]),
    ) {
        let (id, parts) = SAMPLES[sample];
        let line = format!("{leading}{}", abbreviated_line(parts, &cuts, &gaps));
        let expected_args: Vec<&str> = parts
            .iter()
            .filter_map(|part| match part {
                Part::Arg(text) => Some(*text),
                Part::Keyword(..) => None,
            })
            .collect();
        let expected_keywords: Vec<&str> = parts
            .iter()
            .filter_map(|part| match part {
                Part::Keyword(keyword, _) => Some(*keyword),
                Part::Arg(_) => None,
            })
            .collect();
        match exec_mode().parse(&line) {
            Parsed::Match(matched) => {
                prop_assert_eq!(matched.id, id, "line {:?}", line);
                prop_assert_eq!(matched.args(), expected_args, "line {:?}", line);
                prop_assert_eq!(matched.keywords(), expected_keywords, "line {:?}", line);
            }
            other => prop_assert!(false, "{:?} gave {:?}", line, other),
        }
    }
}

#[test]
fn shortest_prefixes_in_samples_are_really_the_shortest() {
    // One character less than the listed shortest prefix must not parse to
    // the same command, so the table above cannot silently drift.
    let set = exec_mode();
    for (id, parts) in SAMPLES {
        for (index, part) in parts.iter().enumerate() {
            let Part::Keyword(_, shortest) = part else {
                continue;
            };
            if *shortest < 2 {
                continue;
            }
            let words: Vec<String> = parts
                .iter()
                .enumerate()
                .map(|(other, part)| match part {
                    Part::Keyword(word, _) if other == index => word[..shortest - 1].to_string(),
                    Part::Keyword(word, _) => word.to_string(),
                    Part::Arg(text) => text.to_string(),
                })
                .collect();
            let line = words.join(" ");
            // `i` is ambiguous; `ip enable` picks the exact `ip` and fails.
            if let Parsed::Match(matched) = set.parse(&line) {
                assert_ne!(matched.id, *id, "{line:?}");
            }
        }
    }
}
