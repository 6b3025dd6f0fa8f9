//! The per-mode [`CommandSet`]: walks input words against every declared
//! path (exact keyword > keyword prefix > typed placeholder > loose
//! placeholder), and from that walk answers `parse`, `?` help and Tab
//! completion.

use std::ops::Range;

use crate::outcome::{Completion, Help, HelpItem, Match, MatchedWord, ParseError, Parsed};
use crate::spec::{Command, SpecError, Tier, Token, TokenKind};

/// The commands of one CLI mode. `T` is the caller's command id.
#[derive(Debug, Clone)]
pub struct CommandSet<T> {
    commands: Vec<Command<T>>,
}

impl<T: Copy + Eq + std::fmt::Debug> Default for CommandSet<T> {
    fn default() -> Self {
        Self::new()
    }
}

/// One whitespace-separated word of the input.
#[derive(Debug)]
struct Word<'a> {
    text: &'a str,
    lowered: String,
    span: Range<usize>,
}

/// Splits `line` into words with their byte spans.
fn split_words(line: &str) -> Vec<Word<'_>> {
    let mut words = Vec::new();
    let mut start = None;
    for (offset, c) in line.char_indices() {
        match (c.is_whitespace(), start) {
            (true, Some(begin)) => {
                words.push(make_word(line, begin..offset));
                start = None;
            }
            (false, None) => start = Some(offset),
            _ => {}
        }
    }
    if let Some(begin) = start {
        words.push(make_word(line, begin..line.len()));
    }
    words
}

fn make_word(line: &str, span: Range<usize>) -> Word<'_> {
    let text = &line[span.clone()];
    Word {
        text,
        lowered: text.to_lowercase(),
        span,
    }
}

/// Whether the last word is still being typed (no trailing whitespace).
fn ends_mid_word(line: &str) -> bool {
    line.chars().last().is_some_and(|c| !c.is_whitespace())
}

/// A declared path still consistent with the words walked so far.
#[derive(Debug, Clone, Copy)]
struct Cursor {
    command: usize,
    path: usize,
    /// Index of the word where a `LINE` token started swallowing the rest.
    line_from: Option<usize>,
}

impl<T: Copy + Eq + std::fmt::Debug> CommandSet<T> {
    pub fn new() -> Self {
        CommandSet {
            commands: Vec::new(),
        }
    }

    /// Declares a command: `help` holds one string per keyword/placeholder of `syntax`.
    pub fn add(&mut self, id: T, syntax: &str, help: &[&str]) -> Result<(), SpecError> {
        self.commands.push(Command::parse(id, syntax, help)?);
        Ok(())
    }

    /// Parses a full command line.
    pub fn parse(&self, line: &str) -> Parsed<T> {
        let words = split_words(line);
        if words.is_empty() {
            return Parsed::Empty;
        }
        let cursors = match self.walk(&words, line) {
            Ok(cursors) => cursors,
            Err(error) => return Parsed::Error(error),
        };
        match cursors.iter().find(|c| self.ends_at(c, words.len())) {
            Some(cursor) => Parsed::Match(self.build_match(cursor, &words, line)),
            None => Parsed::Error(ParseError::Incomplete),
        }
    }

    /// One example line per declared path (keywords in full, each placeholder with a value it
    /// accepts), with the id it must parse to: for tests that run every command of a set.
    pub fn examples(&self) -> Vec<(T, String)> {
        let mut lines = Vec::new();
        for command in &self.commands {
            for path in &command.paths {
                let words: Vec<String> = path
                    .iter()
                    .map(|&index| {
                        let token = &command.tokens[index];
                        match token.kind {
                            TokenKind::Keyword => token.text.clone(),
                            ref kind => crate::spec::example_word(kind),
                        }
                    })
                    .collect();
                lines.push((command.id, words.join(" ")));
            }
        }
        lines
    }

    /// What `?` shows for `line`, the text typed before the `?`.
    pub fn help(&self, line: &str) -> Result<Help, ParseError> {
        let words = split_words(line);
        if ends_mid_word(line) {
            let (last, complete) = words.split_last().ok_or(ParseError::Incomplete)?;
            let cursors = self.walk(complete, line)?;
            self.partial_help(&cursors, complete.len(), last)
        } else {
            let cursors = self.walk(&words, line)?;
            Ok(self.next_word_help(&cursors, words.len()))
        }
    }

    /// What Tab does to `line`.
    pub fn complete(&self, line: &str) -> Completion {
        let unchanged = Completion {
            line: line.to_string(),
            candidates: Vec::new(),
        };
        if !ends_mid_word(line) {
            return unchanged;
        }
        let words = split_words(line);
        let Some((last, complete)) = words.split_last() else {
            return unchanged;
        };
        let Ok(cursors) = self.walk(complete, line) else {
            return unchanged;
        };
        let candidates: Vec<String> = self
            .keywords_starting_with(&cursors, complete.len(), &last.lowered)
            .iter()
            .map(|token| token.text.clone())
            .collect();
        let completed = match candidates.as_slice() {
            [only] => Some(format!("{only} ")),
            [] => None,
            several => {
                Some(longest_common_prefix(several)).filter(|p| p.len() > last.lowered.len())
            }
        };
        let line = match completed {
            Some(word) => format!("{}{word}", &line[..last.span.start]),
            None => line.to_string(),
        };
        Completion { line, candidates }
    }

    fn path(&self, cursor: &Cursor) -> &[usize] {
        &self.commands[cursor.command].paths[cursor.path]
    }

    fn token(&self, cursor: &Cursor, index: usize) -> Option<&Token> {
        let command = &self.commands[cursor.command];
        let token_index = self.path(cursor).get(index)?;
        Some(&command.tokens[*token_index])
    }

    /// The token the next word (at `index`) would match, unless `LINE` swallows it.
    fn next_token(&self, cursor: &Cursor, index: usize) -> Option<&Token> {
        match cursor.line_from {
            Some(_) => None,
            None => self.token(cursor, index),
        }
    }

    /// Whether the path is complete after `count` words.
    fn ends_at(&self, cursor: &Cursor, count: usize) -> bool {
        cursor.line_from.is_some() || self.path(cursor).len() == count
    }

    fn all_cursors(&self) -> Vec<Cursor> {
        let mut cursors = Vec::new();
        for (command, declared) in self.commands.iter().enumerate() {
            for path in 0..declared.paths.len() {
                cursors.push(Cursor {
                    command,
                    path,
                    line_from: None,
                });
            }
        }
        cursors
    }

    /// Walks `words` from the start, keeping the best-matching paths at each word.
    fn walk(&self, words: &[Word<'_>], line: &str) -> Result<Vec<Cursor>, ParseError> {
        let mut cursors = self.all_cursors();
        for (index, word) in words.iter().enumerate() {
            cursors = self.advance(cursors, index, word, line)?;
        }
        Ok(cursors)
    }

    fn tier(&self, cursor: &Cursor, index: usize, word: &Word<'_>) -> Option<Tier> {
        match cursor.line_from {
            Some(_) => Some(Tier::LoosePlaceholder),
            None => self.token(cursor, index)?.tier(word.text, &word.lowered),
        }
    }

    /// Keeps the cursors matching the word at `index` in the best tier present.
    fn advance(
        &self,
        cursors: Vec<Cursor>,
        index: usize,
        word: &Word<'_>,
        line: &str,
    ) -> Result<Vec<Cursor>, ParseError> {
        let rated: Vec<(Cursor, Tier)> = cursors
            .into_iter()
            .filter_map(|cursor| Some((cursor, self.tier(&cursor, index, word)?)))
            .collect();
        let best = rated
            .iter()
            .map(|(_, tier)| *tier)
            .min()
            .ok_or(ParseError::Invalid {
                at: word.span.start,
            })?;
        let kept: Vec<Cursor> = rated
            .into_iter()
            .filter(|(_, tier)| *tier == best)
            .map(|(cursor, _)| self.start_line_if_needed(cursor, index))
            .collect();
        if best == Tier::KeywordPrefix && self.distinct_keywords(&kept, index) > 1 {
            return Err(ParseError::Ambiguous {
                input: line.trim().to_string(),
            });
        }
        Ok(kept)
    }

    fn start_line_if_needed(&self, mut cursor: Cursor, index: usize) -> Cursor {
        let is_line = self
            .next_token(&cursor, index)
            .is_some_and(|token| token.kind == TokenKind::Line);
        if is_line {
            cursor.line_from = Some(index);
        }
        cursor
    }

    fn distinct_keywords(&self, cursors: &[Cursor], index: usize) -> usize {
        let mut seen: Vec<&str> = Vec::new();
        for cursor in cursors {
            if let Some(token) = self.token(cursor, index).filter(|t| t.is_keyword()) {
                if !seen.contains(&token.text.as_str()) {
                    seen.push(&token.text);
                }
            }
        }
        seen.len()
    }

    fn build_match(&self, cursor: &Cursor, words: &[Word<'_>], line: &str) -> Match<T> {
        let command = &self.commands[cursor.command];
        let line_end = line.trim_end().len();
        let matched = self
            .path(cursor)
            .iter()
            .zip(words)
            .map(|(&token_index, word)| {
                let token = &command.tokens[token_index];
                let span = match token.kind {
                    TokenKind::Line => word.span.start..line_end,
                    _ => word.span.clone(),
                };
                let text = match token.kind {
                    TokenKind::Keyword => token.text.clone(),
                    _ => line[span.clone()].to_string(),
                };
                MatchedWord {
                    token: token.text.clone(),
                    name: token.name.clone(),
                    text,
                    is_keyword: token.is_keyword(),
                    span,
                }
            })
            .collect();
        Match {
            id: command.id,
            words: matched,
        }
    }

    /// Distinct next tokens of `cursors` at `index`, first declaration first.
    fn next_tokens(&self, cursors: &[Cursor], index: usize) -> Vec<&Token> {
        let mut tokens: Vec<&Token> = Vec::new();
        for cursor in cursors {
            if let Some(token) = self.next_token(cursor, index) {
                if !tokens.iter().any(|seen| seen.display() == token.display()) {
                    tokens.push(token);
                }
            }
        }
        tokens
    }

    /// Keywords possible at `index` that start with `prefix`, sorted.
    fn keywords_starting_with(
        &self,
        cursors: &[Cursor],
        index: usize,
        prefix: &str,
    ) -> Vec<&Token> {
        let mut keywords: Vec<&Token> = self
            .next_tokens(cursors, index)
            .into_iter()
            .filter(|token| token.is_keyword() && token.folded.starts_with(prefix))
            .collect();
        keywords.sort_by(|a, b| a.text.cmp(&b.text));
        keywords
    }

    /// Help for the word after `count` complete words.
    fn next_word_help(&self, cursors: &[Cursor], count: usize) -> Help {
        let tokens = self.next_tokens(cursors, count);
        let (mut keywords, mut placeholders): (Vec<&Token>, Vec<&Token>) =
            tokens.into_iter().partition(|token| token.is_keyword());
        keywords.sort_by(|a, b| a.text.cmp(&b.text));
        placeholders.sort_by_key(|token| token.display());
        let mut items: Vec<HelpItem> = keywords
            .into_iter()
            .chain(placeholders)
            .map(help_item)
            .collect();
        if cursors.iter().any(|cursor| self.ends_at(cursor, count)) {
            items.push(HelpItem {
                token: "<cr>".into(),
                help: String::new(),
            });
        }
        Help {
            items,
            partial: false,
        }
    }

    /// Help for a partly typed word: matching keywords, else accepting placeholders.
    fn partial_help(
        &self,
        cursors: &[Cursor],
        index: usize,
        last: &Word<'_>,
    ) -> Result<Help, ParseError> {
        let mut tokens = self.keywords_starting_with(cursors, index, &last.lowered);
        if tokens.is_empty() {
            tokens = self.accepting_placeholders(cursors, index, last);
        }
        if tokens.is_empty() {
            return Err(ParseError::Invalid {
                at: last.span.start,
            });
        }
        Ok(Help {
            items: tokens.into_iter().map(help_item).collect(),
            partial: true,
        })
    }

    fn accepting_placeholders(
        &self,
        cursors: &[Cursor],
        index: usize,
        word: &Word<'_>,
    ) -> Vec<&Token> {
        let mut tokens: Vec<&Token> = Vec::new();
        for cursor in cursors {
            let position = cursor.line_from.unwrap_or(index);
            let accepted = self
                .token(cursor, position)
                .filter(|token| !token.is_keyword() && self.tier(cursor, index, word).is_some());
            if let Some(token) = accepted {
                if !tokens.iter().any(|seen| seen.display() == token.display()) {
                    tokens.push(token);
                }
            }
        }
        tokens.sort_by_key(|token| token.display());
        tokens
    }
}

fn help_item(token: &Token) -> HelpItem {
    HelpItem {
        token: token.display(),
        help: token.help.clone(),
    }
}

/// Longest common prefix of ASCII keywords.
fn longest_common_prefix(words: &[String]) -> String {
    let Some((first, rest)) = words.split_first() else {
        return String::new();
    };
    let mut length = first.len();
    for word in rest {
        length = first
            .bytes()
            .zip(word.bytes())
            .take(length)
            .take_while(|(a, b)| a == b)
            .count();
    }
    first[..length].to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_words_with_byte_spans() {
        let words = split_words("  show\tvérsion  x ");
        let spans: Vec<(&str, Range<usize>)> =
            words.iter().map(|w| (w.text, w.span.clone())).collect();
        assert_eq!(spans, [("show", 2..6), ("vérsion", 7..15), ("x", 17..18)]);
    }

    #[test]
    fn common_prefix() {
        let words = ["configure".to_string(), "copy".to_string()];
        assert_eq!(longest_common_prefix(&words), "co");
        assert_eq!(longest_common_prefix(&words[..1]), "configure");
    }
}
