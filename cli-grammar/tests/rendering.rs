//! Snapshot tests of the IOS-style text for `?` help and parse errors.

use crate::common::exec_mode;
use cli_grammar::{render_error, render_help, ParseError, Parsed};

const PROMPT: &str = "host#";

fn help_text(line: &str) -> String {
    render_help(&exec_mode().help(line).expect("help succeeds"))
}

fn error_text(line: &str) -> String {
    match exec_mode().parse(line) {
        Parsed::Error(error) => render_error(&error, PROMPT.len(), line),
        other => panic!("{line:?} unexpectedly parsed: {other:?}"),
    }
}

#[test]
fn help_for_empty_line() {
    insta::assert_snapshot!(help_text(""));
}

#[test]
fn help_after_show() {
    insta::assert_snapshot!(help_text("show "));
}

#[test]
fn help_after_reload_lists_cr_last() {
    insta::assert_snapshot!(help_text("reload "));
}

#[test]
fn partial_help_for_co() {
    insta::assert_snapshot!(help_text("co"));
}

#[test]
fn invalid_input_marker() {
    let line = "show versoin";
    insta::assert_snapshot!(format!("{PROMPT}{line}\n{}", error_text(line)));
}

#[test]
fn invalid_input_marker_at_line_start() {
    let line = "shw version";
    let text = error_text(line);
    assert_eq!(text, "     ^\n% Invalid input detected at '^' marker.\n");
    insta::assert_snapshot!(format!("{PROMPT}{line}\n{text}"));
}

#[test]
fn incomplete_command() {
    insta::assert_snapshot!(error_text("show"));
}

#[test]
fn ambiguous_command() {
    insta::assert_snapshot!(error_text(" c "));
}

#[test]
fn help_errors_render_the_same_way() {
    let line = "show bogus ";
    let error = exec_mode().help(line).expect_err("invalid");
    assert_eq!(error, ParseError::Invalid { at: 5 });
    assert_eq!(
        render_error(&error, PROMPT.len(), line),
        "          ^\n% Invalid input detected at '^' marker.\n"
    );
}
