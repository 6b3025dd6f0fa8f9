//! The values the matcher hands back: parse results ([`Parsed`], [`Match`],
//! [`MatchedWord`], [`ParseError`]), `?` help ([`Help`], [`HelpItem`]) and
//! Tab completion ([`Completion`]), plus the accessors callers use on a match.

use std::ops::Range;

/// The outcome of parsing one input line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Parsed<T> {
    /// The line is blank or whitespace only.
    Empty,
    Match(Match<T>),
    Error(ParseError),
}

/// A successfully matched command.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Match<T> {
    pub id: T,
    pub words: Vec<MatchedWord>,
}

/// One input word and the declaration token it matched.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MatchedWord {
    /// The spec text of the token: `show`, `FILE`, `(0-512)`.
    pub token: String,
    /// The placeholder's name in the declaration (`FILE` → `file`, `A.B.C.D$gateway` →
    /// `gateway`); `None` for keywords and unnamed typed placeholders.
    pub name: Option<String>,
    /// Keywords: the full keyword. Placeholders: the text typed
    /// (for `LINE`, the raw rest of the line without trailing whitespace).
    pub text: String,
    pub is_keyword: bool,
    /// Byte range of the typed text in the input line.
    pub span: Range<usize>,
}

impl<T> Match<T> {
    /// The id, and the matched words under a unit id: for callers that dispatch on the id and
    /// hand the words on to a handler that does not need it.
    pub fn into_parts(self) -> (T, Match<()>) {
        (
            self.id,
            Match {
                id: (),
                words: self.words,
            },
        )
    }

    /// Whether the full keyword `keyword` is part of the matched path.
    pub fn has(&self, keyword: &str) -> bool {
        self.words
            .iter()
            .any(|word| word.is_keyword && word.token == keyword)
    }

    /// Text typed for the placeholder named `name` (see [`MatchedWord::name`]); `None` when an
    /// optional part holding it was not typed.
    pub fn arg(&self, name: &str) -> Option<&str> {
        self.words
            .iter()
            .find(|word| word.name.as_deref() == Some(name))
            .map(|word| word.text.as_str())
    }

    /// The number typed for the range placeholder named `name` (`(0-512)$lines`).
    pub fn number(&self, name: &str) -> Option<u64> {
        self.arg(name).and_then(crate::spec::parse_decimal)
    }

    /// The address typed for the `A.B.C.D` placeholder named `name`.
    pub fn ipv4(&self, name: &str) -> Option<std::net::Ipv4Addr> {
        self.arg(name).and_then(|text| text.parse().ok())
    }

    /// The slot and port typed for the `S/P` placeholder named `name`.
    pub fn slot_port(&self, name: &str) -> Option<(u64, u64)> {
        let (slot, port) = self.arg(name)?.split_once('/')?;
        Some((
            crate::spec::parse_decimal(slot)?,
            crate::spec::parse_decimal(port)?,
        ))
    }

    /// Texts of all placeholders, in input order.
    pub fn args(&self) -> Vec<&str> {
        self.words
            .iter()
            .filter(|word| !word.is_keyword)
            .map(|word| word.text.as_str())
            .collect()
    }

    /// Full names of all matched keywords, in input order.
    pub fn keywords(&self) -> Vec<&str> {
        self.words
            .iter()
            .filter(|word| word.is_keyword)
            .map(|word| word.text.as_str())
            .collect()
    }
}

/// Why a line did not parse.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ParseError {
    /// Byte offset of the first character of the offending word.
    Invalid { at: usize },
    /// A command was started but not finished.
    Incomplete,
    /// A word abbreviates several different keywords; `input` is the trimmed line.
    Ambiguous { input: String },
}

impl std::fmt::Display for ParseError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ParseError::Invalid { at } => write!(f, "invalid input at byte {at}"),
            ParseError::Incomplete => f.write_str("incomplete command"),
            ParseError::Ambiguous { input } => write!(f, "ambiguous command: \"{input}\""),
        }
    }
}

impl std::error::Error for ParseError {}

/// What `?` shows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Help {
    /// Keywords sorted, then placeholders sorted, then `<cr>` if the line may end.
    pub items: Vec<HelpItem>,
    /// Help for a partially typed word (`co?`): only the matching words.
    pub partial: bool,
}

/// One line of `?` output.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HelpItem {
    /// `show`, `WORD`, `A.B.C.D`, `<0-512>`, `<cr>`.
    pub token: String,
    pub help: String,
}

/// What Tab does to a line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Completion {
    /// The full line after Tab; unchanged if nothing could be completed.
    pub line: String,
    /// Keywords (sorted) that the partial last word abbreviates.
    pub candidates: Vec<String>,
}
