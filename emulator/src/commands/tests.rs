//! Tests of the command table as a whole: every declaration builds, no two commands share a
//! syntax in one grammar, every placeholder is named, and every path of every declared command
//! runs its handler on every device kind without a panic (a handler reading an argument its
//! declaration does not have, or an undeclared question, fails here).

use std::collections::HashSet;

use cli_grammar::Parsed;

use super::testing::device;
use super::*;
use crate::config::Config;
use crate::session::Session;

#[test]
fn every_grammar_builds() {
    build_grammars().unwrap();
}

#[test]
fn no_two_commands_share_a_syntax() {
    let mut exec = HashSet::new();
    for command in exec_commands() {
        assert!(exec.insert(command.syntax), "{command:?} twice");
    }
    let mut config = HashSet::new();
    for command in config_commands() {
        assert!(config.insert(command.syntax), "{command:?} twice");
    }
}

/// Every placeholder on every example path of `set` has a name a handler can read it by.
fn assert_placeholders_named<T: Copy + Eq + std::fmt::Debug>(set: &cli_grammar::CommandSet<T>) {
    for (command, line) in set.examples() {
        let Parsed::Match(m) = set.parse(&line) else {
            panic!("{line}")
        };
        for word in m.words.iter().filter(|w| !w.is_keyword) {
            assert!(word.name.is_some(), "{command:?}: `{}` unnamed", word.token);
        }
    }
}

#[test]
fn every_placeholder_is_named() {
    for kind in DeviceKind::ALL {
        for privileged in [false, true] {
            assert_placeholders_named(exec_grammar(privileged, kind));
        }
        for mode in [ConfigMode::Global, ConfigMode::Interface(1, 0)] {
            assert_placeholders_named(config_grammar(mode, kind));
        }
    }
}

/// Every path of every EXEC command, on every kind, at both prompts: the line parses, the handler
/// runs, and the questions it asks are answered (with the empty answer) without a panic.
#[test]
fn every_exec_command_runs() {
    for kind in DeviceKind::ALL {
        for privileged in [false, true] {
            for (command, line) in exec_grammar(privileged, kind).examples() {
                let dir = tempfile::tempdir().unwrap();
                let device = device(kind, dir.path());
                let mut session = Session::new(
                    device,
                    None,
                    "admin",
                    if privileged { 15 } else { 1 },
                    "test",
                );
                let reply = session.execute(&line);
                let mut answers = 0;
                while session.input_kind() != crate::session::InputKind::Command && answers < 4 {
                    session.execute("");
                    answers += 1;
                }
                let unparsed = ["% Invalid", "% Incomplete", "% Ambiguous"];
                assert!(
                    !unparsed.iter().any(|e| reply.text.contains(e)),
                    "{command:?} `{line}` on {kind:?}: {}",
                    reply.text
                );
            }
        }
    }
}

/// Every path of every configuration command applies (or refuses with a `%` message) on a fresh
/// configuration of every kind, in every mode it belongs to.
#[test]
fn every_config_command_applies_or_refuses() {
    for kind in DeviceKind::ALL {
        for mode in [ConfigMode::Global, ConfigMode::Interface(1, 0)] {
            for (command, line) in config_grammar(mode, kind).examples() {
                let Parsed::Match(m) = config_grammar(mode, kind).parse(&line) else {
                    panic!("{line}")
                };
                let (id, matched) = m.into_parts();
                assert_eq!(id, command);
                let mut config = Config::factory("dev1", kind);
                let result = (command.apply)(
                    &Args::new(&matched, command.syntax),
                    &mut config,
                    Place { mode, kind },
                );
                if let Err(e) = result {
                    assert!(e.starts_with("% "), "{command:?} `{line}`: {e}");
                }
            }
        }
    }
}

#[test]
fn questions_are_declared_by_the_commands_that_ask_them() {
    let prompts: Vec<&str> = questions().map(|q| q.prompt).collect();
    for prompt in [
        crate::text::prompt::PASSWORD,
        crate::text::prompt::SAVE_BEFORE_RELOAD,
        crate::text::prompt::PROCEED_WITH_RELOAD,
        crate::text::cms::CONFIRM_DELETE,
        crate::text::install::ASK_FTP_USER,
        crate::text::install::ASK_FTP_PASSWORD,
    ] {
        assert!(prompts.contains(&prompt), "{prompt}");
    }
}
