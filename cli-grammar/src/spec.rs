//! Command declarations: parses a syntax string such as
//! `copy ftp install {HOST|A.B.C.D} REMOTEDIR [port (1-65535)]` into typed
//! tokens (each carrying its help string) and expands optional groups and
//! alternatives into the linear token paths the matcher walks.
//! Owns [`SpecError`] and the token kinds with their word validation.

use std::fmt;

/// Upper bound on linear paths one declaration may expand to.
const MAX_PATHS_PER_COMMAND: usize = 4096;

/// A malformed declaration: bad syntax, or help strings not matching tokens.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SpecError(pub String);

impl fmt::Display for SpecError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for SpecError {}

/// What a token of a declaration accepts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum TokenKind {
    /// A keyword (lowercase or mixed case), matched case-insensitively, abbreviable.
    Keyword,
    /// `A.B.C.D`: a dotted-quad IPv4 address.
    Ipv4,
    /// `(LO-HI)`: an inclusive integer range.
    Range { low: u64, high: u64 },
    /// `S/P`: slot/port.
    SlotPort,
    /// `LINE`: the raw rest of the line.
    Line,
    /// Any other ALL-CAPS placeholder: one word of anything.
    Word,
}

/// How well a token matches a word; lower is better.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Tier {
    ExactKeyword,
    KeywordPrefix,
    TypedPlaceholder,
    LoosePlaceholder,
}

/// One keyword or placeholder of a declaration, with its help string.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Token {
    /// The spec text without its name: `show`, `FILE`, `(0-512)`.
    pub text: String,
    /// The name a handler reads a placeholder's value by: written `A.B.C.D$gateway`,
    /// `(0-512)$lines`; an ALL-CAPS word placeholder (`FILE`, `LINE`) is named by itself in
    /// lowercase (`file`, `line`) unless it says otherwise. Keywords have none.
    pub name: Option<String>,
    /// `text` in lowercase: what keywords are compared against.
    pub folded: String,
    pub kind: TokenKind,
    pub help: String,
}

impl Token {
    pub fn is_keyword(&self) -> bool {
        self.kind == TokenKind::Keyword
    }

    /// The label shown by `?`: ranges read `<0-512>`, the rest their spec text.
    pub fn display(&self) -> String {
        match self.kind {
            TokenKind::Range { low, high } => format!("<{low}-{high}>"),
            _ => self.text.clone(),
        }
    }

    /// How this token matches `word`, if at all. `lowered` is `word` in lowercase.
    pub fn tier(&self, word: &str, lowered: &str) -> Option<Tier> {
        match &self.kind {
            TokenKind::Keyword if self.folded == lowered => Some(Tier::ExactKeyword),
            TokenKind::Keyword if self.folded.starts_with(lowered) => Some(Tier::KeywordPrefix),
            TokenKind::Keyword => None,
            TokenKind::Ipv4 => is_ipv4(word).then_some(Tier::TypedPlaceholder),
            TokenKind::Range { low, high } => parse_decimal(word)
                .filter(|value| (*low..=*high).contains(value))
                .map(|_| Tier::TypedPlaceholder),
            TokenKind::SlotPort => is_slot_port(word).then_some(Tier::TypedPlaceholder),
            TokenKind::Line | TokenKind::Word => Some(Tier::LoosePlaceholder),
        }
    }
}

/// A declaration after parsing: its tokens and every linear path through them.
#[derive(Debug, Clone)]
pub(crate) struct Command<T> {
    pub id: T,
    pub tokens: Vec<Token>,
    /// Each path lists indices into `tokens`, in input order.
    pub paths: Vec<Vec<usize>>,
}

impl<T> Command<T> {
    /// Parses `syntax`, pairing each token with its help string in order.
    pub fn parse(id: T, syntax: &str, help: &[&str]) -> Result<Self, SpecError> {
        let fail = |why: String| SpecError(format!("bad command syntax `{syntax}`: {why}"));
        let lexemes = lex(syntax);
        let mut parser = GroupParser {
            lexemes: &lexemes,
            next: 0,
            tokens: Vec::new(),
        };
        let tree = parser.sequence().map_err(fail)?;
        if let Some(stray) = lexemes.get(parser.next) {
            return Err(fail(format!("unexpected `{}`", stray.as_str())));
        }
        let mut tokens = parser.tokens;
        if tokens.len() != help.len() {
            return Err(fail(format!(
                "{} tokens but {} help strings",
                tokens.len(),
                help.len()
            )));
        }
        for (token, text) in tokens.iter_mut().zip(help) {
            token.help = (*text).to_string();
        }
        let paths = expand_sequence(&tree).map_err(fail)?;
        check_paths(&tokens, &paths).map_err(fail)?;
        Ok(Command { id, tokens, paths })
    }
}

fn check_paths(tokens: &[Token], paths: &[Vec<usize>]) -> Result<(), String> {
    for path in paths {
        if path.is_empty() {
            return Err("the command can match an empty line".into());
        }
        let line_before_end = path[..path.len() - 1]
            .iter()
            .any(|&index| tokens[index].kind == TokenKind::Line);
        if line_before_end {
            return Err("LINE must be the last token".into());
        }
    }
    Ok(())
}

/// A lexical unit of a syntax string.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Lexeme {
    Open(char),
    Close(char),
    Bar,
    Atom(String),
}

impl Lexeme {
    fn as_str(&self) -> String {
        match self {
            Lexeme::Open(c) | Lexeme::Close(c) => c.to_string(),
            Lexeme::Bar => "|".into(),
            Lexeme::Atom(text) => text.clone(),
        }
    }
}

fn lex(syntax: &str) -> Vec<Lexeme> {
    let mut lexemes = Vec::new();
    let mut atom = String::new();
    for c in syntax.chars() {
        let delimiter = match c {
            '[' | '{' => Some(Lexeme::Open(c)),
            ']' | '}' => Some(Lexeme::Close(c)),
            '|' => Some(Lexeme::Bar),
            _ => None,
        };
        if delimiter.is_some() || c.is_whitespace() {
            if !atom.is_empty() {
                lexemes.push(Lexeme::Atom(std::mem::take(&mut atom)));
            }
            lexemes.extend(delimiter);
        } else {
            atom.push(c);
        }
    }
    if !atom.is_empty() {
        lexemes.push(Lexeme::Atom(atom));
    }
    lexemes
}

/// The syntax tree of a declaration; leaves are indices into the token list.
#[derive(Debug, Clone)]
enum Node {
    Token(usize),
    /// One of the alternatives; `optional` also allows none.
    Group {
        alternatives: Vec<Vec<Node>>,
        optional: bool,
    },
}

/// Recursive-descent parser over lexemes, collecting tokens in order.
struct GroupParser<'a> {
    lexemes: &'a [Lexeme],
    next: usize,
    tokens: Vec<Token>,
}

impl GroupParser<'_> {
    /// Parses items until a `|`, a closing bracket or the end.
    fn sequence(&mut self) -> Result<Vec<Node>, String> {
        let mut nodes = Vec::new();
        while let Some(lexeme) = self.lexemes.get(self.next) {
            match lexeme {
                Lexeme::Atom(text) => {
                    self.next += 1;
                    self.tokens.push(classify(text)?);
                    nodes.push(Node::Token(self.tokens.len() - 1));
                }
                Lexeme::Open(open) => {
                    self.next += 1;
                    nodes.push(self.group(*open)?);
                }
                Lexeme::Close(_) | Lexeme::Bar => break,
            }
        }
        Ok(nodes)
    }

    /// Parses the alternatives of a group whose opening bracket was consumed.
    fn group(&mut self, open: char) -> Result<Node, String> {
        let close = if open == '[' { ']' } else { '}' };
        let mut alternatives = Vec::new();
        loop {
            let alternative = self.sequence()?;
            if alternative.is_empty() {
                return Err(format!("empty alternative in `{open}...{close}`"));
            }
            alternatives.push(alternative);
            match self.lexemes.get(self.next) {
                Some(Lexeme::Bar) => self.next += 1,
                Some(Lexeme::Close(found)) if *found == close => {
                    self.next += 1;
                    break;
                }
                Some(other) => {
                    return Err(format!("expected `{close}`, found `{}`", other.as_str()))
                }
                None => return Err(format!("unclosed `{open}`")),
            }
        }
        Ok(Node::Group {
            alternatives,
            optional: open == '[',
        })
    }
}

/// Turns one atom of a syntax string into a token (help filled in later): `TEXT` or `TEXT$name`.
fn classify(atom: &str) -> Result<Token, String> {
    let (text, explicit_name) = match atom.split_once('$') {
        Some((text, name)) if is_argument_name(name) => (text, Some(name)),
        Some(_) => {
            return Err(format!(
                "`{atom}`: a name after `$` is lowercase letters, digits and `_`"
            ))
        }
        None => (atom, None),
    };
    let kind = if text == "A.B.C.D" {
        TokenKind::Ipv4
    } else if text == "S/P" {
        TokenKind::SlotPort
    } else if text == "LINE" {
        TokenKind::Line
    } else if let Some(range) = parse_range(text)? {
        range
    } else if is_placeholder_name(text) {
        TokenKind::Word
    } else if is_keyword_name(text) {
        TokenKind::Keyword
    } else {
        return Err(format!("`{text}` is neither a keyword nor a placeholder"));
    };
    let name = match (&kind, explicit_name) {
        (TokenKind::Keyword, Some(_)) => return Err(format!("`{atom}`: keywords take no name")),
        (_, Some(name)) => Some(name.to_string()),
        (TokenKind::Word | TokenKind::Line, None) => Some(text.to_lowercase()),
        _ => None,
    };
    Ok(Token {
        text: text.to_string(),
        folded: text.to_lowercase(),
        name,
        kind,
        help: String::new(),
    })
}

/// `[a-z][a-z0-9_]*`: what may follow `$` in a declaration.
fn is_argument_name(name: &str) -> bool {
    let mut chars = name.chars();
    chars.next().is_some_and(|c| c.is_ascii_lowercase())
        && chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
}

/// A declaration as a user reads it: the syntax without the `$name`s of its placeholders
/// (`ip address A.B.C.D$address A.B.C.D$mask` reads `ip address A.B.C.D A.B.C.D`).
pub fn display_syntax(syntax: &str) -> String {
    let mut out = String::with_capacity(syntax.len());
    let mut in_name = false;
    for c in syntax.chars() {
        if c == '$' {
            in_name = true;
        } else if in_name && (c.is_ascii_alphanumeric() || c == '_') {
            continue;
        } else {
            in_name = false;
            out.push(c);
        }
    }
    out
}

/// A value that a placeholder of `kind` accepts, for generated example lines.
pub(crate) fn example_word(kind: &TokenKind) -> String {
    match kind {
        TokenKind::Keyword => String::new(),
        TokenKind::Ipv4 => "10.1.1.1".into(),
        TokenKind::Range { low, .. } => low.to_string(),
        TokenKind::SlotPort => "1/0".into(),
        TokenKind::Line | TokenKind::Word => "x".into(),
    }
}

/// `(LO-HI)` becomes a range; other text is not a range (`Ok(None)`).
fn parse_range(text: &str) -> Result<Option<TokenKind>, String> {
    let Some(inner) = text.strip_prefix('(').and_then(|t| t.strip_suffix(')')) else {
        return Ok(None);
    };
    let bounds = inner.split_once('-');
    let parsed = bounds.and_then(|(low, high)| Some((parse_decimal(low)?, parse_decimal(high)?)));
    match parsed {
        Some((low, high)) if low <= high => Ok(Some(TokenKind::Range { low, high })),
        _ => Err(format!("`{text}` is not a valid range (LO-HI)")),
    }
}

/// Keywords are letters, digits and `.-_`, starting with a letter or digit; mixed case is allowed
/// (`GigabitEthernet`: shown as declared, matched case-insensitively). All-caps names are placeholders
/// and are classified before this is asked.
fn is_keyword_name(text: &str) -> bool {
    let mut chars = text.chars();
    chars.next().is_some_and(|c| c.is_ascii_alphanumeric())
        && chars.all(|c| c.is_ascii_alphanumeric() || ".-_".contains(c))
}

fn is_placeholder_name(text: &str) -> bool {
    let mut chars = text.chars();
    chars.next().is_some_and(|c| c.is_ascii_uppercase())
        && chars.all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || "_-".contains(c))
}

/// A non-empty run of ASCII digits that fits in a `u64`.
pub(crate) fn parse_decimal(text: &str) -> Option<u64> {
    if text.is_empty() || !text.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    text.parse().ok()
}

fn is_ipv4(text: &str) -> bool {
    let octets: Vec<&str> = text.split('.').collect();
    octets.len() == 4
        && octets
            .iter()
            .all(|octet| octet.len() <= 3 && parse_decimal(octet).is_some_and(|v| v <= 255))
}

fn is_slot_port(text: &str) -> bool {
    text.split_once('/')
        .is_some_and(|(slot, port)| parse_decimal(slot).is_some() && parse_decimal(port).is_some())
}

fn expand_sequence(nodes: &[Node]) -> Result<Vec<Vec<usize>>, String> {
    let mut paths: Vec<Vec<usize>> = vec![Vec::new()];
    for node in nodes {
        let tails = expand_node(node)?;
        if paths.len().saturating_mul(tails.len()) > MAX_PATHS_PER_COMMAND {
            return Err(format!(
                "expands to more than {MAX_PATHS_PER_COMMAND} paths"
            ));
        }
        paths = paths
            .iter()
            .flat_map(|head| {
                tails
                    .iter()
                    .map(move |tail| [head.as_slice(), tail].concat())
            })
            .collect();
    }
    Ok(paths)
}

fn expand_node(node: &Node) -> Result<Vec<Vec<usize>>, String> {
    match node {
        Node::Token(index) => Ok(vec![vec![*index]]),
        Node::Group {
            alternatives,
            optional,
        } => {
            let mut paths = Vec::new();
            for alternative in alternatives {
                for path in expand_sequence(alternative)? {
                    if !paths.contains(&path) {
                        paths.push(path);
                    }
                }
            }
            if *optional && !paths.contains(&Vec::new()) {
                paths.push(Vec::new());
            }
            Ok(paths)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tokens_of(paths: &[Vec<usize>], tokens: &[Token]) -> Vec<String> {
        paths
            .iter()
            .map(|path| {
                let words: Vec<&str> = path.iter().map(|&i| tokens[i].text.as_str()).collect();
                words.join(" ")
            })
            .collect()
    }

    #[test]
    fn expands_optionals_and_alternatives() {
        let command = Command::parse(
            1,
            "copy {HOST|A.B.C.D} [port (1-65535)]",
            &["c", "h", "a", "p", "n"],
        )
        .expect("valid");
        let paths = tokens_of(&command.paths, &command.tokens);
        assert_eq!(
            paths,
            [
                "copy HOST port (1-65535)",
                "copy HOST",
                "copy A.B.C.D port (1-65535)",
                "copy A.B.C.D",
            ]
        );
        assert_eq!(
            command.tokens[4].kind,
            TokenKind::Range {
                low: 1,
                high: 65535
            }
        );
        assert_eq!(command.tokens[4].display(), "<1-65535>");
    }

    #[test]
    fn nested_groups() {
        let command =
            Command::parse(1, "a [b [c | d]]", &["a", "b", "c", "d"]).expect("valid nested");
        let paths = tokens_of(&command.paths, &command.tokens);
        assert_eq!(paths, ["a b c", "a b d", "a b", "a"]);
    }

    #[test]
    fn rejects_malformed_syntax() {
        let cases: &[(&str, &[&str])] = &[
            ("show [version", &["s", "v"]),
            ("show version]", &["s", "v"]),
            ("show {a | }", &["s", "a"]),
            ("show {}", &["s"]),
            ("show Ver$ion", &["s", "v"]),
            ("ping (9-1)", &["p", "r"]),
            ("ping (x-1)", &["p", "r"]),
            ("echo LINE more", &["e", "l", "m"]),
            ("[optional]", &["o"]),
            ("", &[]),
            ("show {a ]", &["s", "a"]),
            ("ping A.B.C.D$Bad", &["p", "a"]),
            ("ping A.B.C.D$", &["p", "a"]),
            ("show$x", &["s"]),
        ];
        for (syntax, help) in cases {
            let error = Command::parse(1, syntax, help).expect_err(syntax);
            assert!(error.to_string().contains(syntax), "{error}");
        }
    }

    #[test]
    fn rejects_help_count_mismatch() {
        let error = Command::parse(1, "show version", &["only one"]).expect_err("mismatch");
        assert!(error.0.contains("show version"));
        assert!(error.0.contains("2 tokens but 1 help"));
    }

    #[test]
    fn placeholders_are_named() {
        let command = Command::parse(
            1,
            "copy HOST A.B.C.D$gateway (0-9) FILE$local LINE",
            &["c", "h", "a", "r", "f", "l"],
        )
        .expect("valid");
        let names: Vec<Option<&str>> = command.tokens.iter().map(|t| t.name.as_deref()).collect();
        assert_eq!(
            names,
            [
                None,
                Some("host"),
                Some("gateway"),
                None,
                Some("local"),
                Some("line")
            ]
        );
        assert_eq!(command.tokens[2].text, "A.B.C.D");
        assert_eq!(
            display_syntax("ip address A.B.C.D$address A.B.C.D$mask [port (1-9)$port]"),
            "ip address A.B.C.D A.B.C.D [port (1-9)]"
        );
    }

    #[test]
    fn validates_placeholders() {
        let ip = classify("A.B.C.D").expect("ip");
        assert!(ip.tier("10.0.0.255", "10.0.0.255").is_some());
        for bad in [
            "10.0.0",
            "10.0.0.256",
            "a.b.c.d",
            "1..2.3",
            "1.2.3.4.5",
            "0001.1.1.1",
        ] {
            assert_eq!(ip.tier(bad, bad), None, "{bad}");
        }
        let slot = classify("S/P").expect("slot");
        assert!(slot.tier("1/0", "1/0").is_some());
        assert_eq!(slot.tier("1/", "1/"), None);
        let range = classify("(0-512)").expect("range");
        assert!(range.tier("512", "512").is_some());
        assert_eq!(range.tier("513", "513"), None);
        assert_eq!(range.tier("-1", "-1"), None);
        assert_eq!(range.tier("+1", "+1"), None);
        assert_eq!(range.tier("99999999999999999999", "9"), None);
    }
}
