//! IOS-style text for parse errors and `?` help, kept apart from matching.
//! Lines are joined with `\n` and end with `\n`; the caller converts to CRLF.

use crate::outcome::{Help, ParseError};

/// Renders `err` for `line` typed after a prompt `prompt_width` characters wide.
pub fn render_error(err: &ParseError, prompt_width: usize, line: &str) -> String {
    match err {
        ParseError::Invalid { at } => {
            let column = prompt_width + display_column(line, *at);
            format!(
                "{}^\n% Invalid input detected at '^' marker.\n",
                " ".repeat(column)
            )
        }
        ParseError::Incomplete => "% Incomplete command.\n".to_string(),
        ParseError::Ambiguous { input } => format!("% Ambiguous command: \"{}\"\n", input.trim()),
    }
}

/// Characters before byte offset `at` (clamped to the line, rounded down to a char boundary).
fn display_column(line: &str, at: usize) -> usize {
    line.char_indices()
        .take_while(|(offset, _)| *offset < at)
        .count()
}

/// Renders `?` output: a two-column table, or one line of words for partial help.
pub fn render_help(help: &Help) -> String {
    if help.items.is_empty() {
        return String::new();
    }
    if help.partial {
        let tokens: Vec<&str> = help.items.iter().map(|item| item.token.as_str()).collect();
        return format!("{}\n", tokens.join("  "));
    }
    let width = help
        .items
        .iter()
        .map(|item| item.token.chars().count())
        .max()
        .unwrap_or(0);
    let mut text = String::new();
    for item in &help.items {
        let row = format!("  {:<width$}  {}", item.token, item.help);
        text.push_str(row.trim_end());
        text.push('\n');
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::outcome::HelpItem;

    #[test]
    fn caret_counts_characters_not_bytes() {
        let line = "é shw";
        let rendered = render_error(&ParseError::Invalid { at: 3 }, 5, line);
        assert_eq!(
            rendered,
            "       ^\n% Invalid input detected at '^' marker.\n"
        );
    }

    #[test]
    fn caret_offset_past_the_end_is_clamped() {
        let rendered = render_error(&ParseError::Invalid { at: 99 }, 0, "ab");
        assert!(rendered.starts_with("  ^\n"));
    }

    #[test]
    fn empty_help_prints_token_only() {
        let help = Help {
            items: vec![
                HelpItem {
                    token: "WORD".into(),
                    help: "A word".into(),
                },
                HelpItem {
                    token: "<cr>".into(),
                    help: String::new(),
                },
            ],
            partial: false,
        };
        assert_eq!(render_help(&help), "  WORD  A word\n  <cr>\n");
    }
}
