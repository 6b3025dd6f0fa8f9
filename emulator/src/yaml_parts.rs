//! A YAML file read in parts, so that one mistake does not hide the others: a topology, scenario
//! or exercise file reports all its errors at once. The text is bounded ([`crate::yaml_limits`])
//! and parsed once as a whole, which finds YAML syntax errors (the first one stops everything:
//! nothing after it can be read). Then each top-level key, and each item of a top-level list, is
//! deserialized on its own, so each gets its own error.
//!
//! A part is deserialized from its own lines of the file's text (a list item with its list's key
//! line), and serde's errors are moved back to the lines of the file, so they keep their line and
//! their path (`steps[3].until: unknown field ...`); reading every part costs the length of the
//! file once, not once per part. A part
//! that cannot be cut out that way (a flow list such as `steps: [...]`, an alias of an anchor in
//! another part) is deserialized from the parsed value instead, and its errors point at its key or
//! item. Knows nothing of what the keys mean.

use std::collections::BTreeMap;

use serde::de::DeserializeOwned;
use serde_norway::{Mapping, Value};

/// A problem with one part, at a 1-based line of the file (0: the file as a whole).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PartError {
    pub line: usize,
    pub message: String,
}

/// One item of a top-level list: the line of its `-`, what it deserialized to, and its value as
/// parsed (to salvage what a broken item still says).
#[derive(Debug)]
pub struct Item<T> {
    pub line: usize,
    pub value: Result<T, PartError>,
    pub raw: Value,
    /// The 0-based lines of the file the item spans, when it was cut out of the text.
    lines: Option<(usize, usize)>,
}

/// A parsed YAML file whose top level is a mapping.
#[derive(Debug)]
pub struct Document<'t> {
    lines: Vec<&'t str>,
    root: Mapping,
    /// Each top-level key written in block style at the start of a line: the key, the 0-based
    /// index of its line and the index after its last line.
    spans: Vec<(String, usize, usize)>,
}

impl<'t> Document<'t> {
    /// Bounds and parses `text`; the error is the first YAML syntax error, or a top level that is
    /// not a mapping.
    pub fn parse(text: &'t str) -> Result<Self, PartError> {
        Self::parse_within(text, crate::yaml_limits::MAX_BYTES)
    }

    /// [`Document::parse`] of a text of at most `max_bytes`.
    pub fn parse_within(text: &'t str, max_bytes: usize) -> Result<Self, PartError> {
        crate::yaml_limits::check_within(text, max_bytes).map_err(|e| PartError {
            line: e.line,
            message: e.message,
        })?;
        let root = match serde_norway::from_str::<Value>(text).map_err(|e| serde_error(&e))? {
            Value::Mapping(m) => m,
            Value::Null => {
                return Err(PartError {
                    line: 1,
                    message: "the file is empty".into(),
                })
            }
            _ => {
                return Err(PartError {
                    line: 1,
                    message: "expected `key: value` lines at the top of the file".into(),
                })
            }
        };
        let lines: Vec<&str> = text.lines().collect();
        let starts: Vec<(String, usize)> = lines
            .iter()
            .enumerate()
            .filter_map(|(i, l)| top_key(l).map(|k| (k, i)))
            .collect();
        let spans = starts
            .iter()
            .enumerate()
            .map(|(n, (key, start))| {
                let end = starts.get(n + 1).map_or(lines.len(), |(_, next)| *next);
                (key.clone(), *start, end)
            })
            .collect();
        Ok(Document { lines, root, spans })
    }

    /// Whether the file gives `key` at its top level.
    pub fn has(&self, key: &str) -> bool {
        self.root.contains_key(key)
    }

    /// The value of the top-level `key`, as parsed.
    pub fn value(&self, key: &str) -> Option<&Value> {
        self.root.get(key)
    }

    /// The 1-based line of the top-level `key` (1 when it cannot be found, as in a flow mapping).
    pub fn line(&self, key: &str) -> usize {
        self.span(key).map_or(1, |(start, _)| start + 1)
    }

    /// The 1-based line of the first line of the file that `matches`.
    pub fn find_line(&self, matches: impl Fn(&str) -> bool) -> Option<usize> {
        self.find_line_after(0, matches)
    }

    /// The 1-based line of the first line after line `after` (1-based; 0: from the start) that
    /// `matches`.
    pub fn find_line_after(&self, after: usize, matches: impl Fn(&str) -> bool) -> Option<usize> {
        self.lines
            .iter()
            .enumerate()
            .skip(after)
            .find(|(_, l)| matches(l))
            .map(|(i, _)| i + 1)
    }

    /// A top-level key that is not one of `known`, as an error at its line each.
    pub fn unknown_keys(&self, known: &[&str]) -> Vec<PartError> {
        let expected = known
            .iter()
            .map(|k| format!("`{k}`"))
            .collect::<Vec<_>>()
            .join(", ");
        self.root
            .keys()
            .filter_map(|k| {
                let name = match k {
                    Value::String(s) if known.contains(&s.as_str()) => return None,
                    Value::String(s) => s.clone(),
                    other => serde_norway::to_string(other)
                        .unwrap_or_default()
                        .trim()
                        .to_string(),
                };
                Some(PartError {
                    line: self.line(&name),
                    message: with_a_suggestion(format!(
                        "unknown field `{name}`, expected one of {expected}"
                    )),
                })
            })
            .collect()
    }

    /// The error for a required top-level `key` the file lacks.
    pub fn missing(&self, key: &str) -> PartError {
        PartError {
            line: 1,
            message: format!("missing field `{key}`"),
        }
    }

    /// The top-level `key`'s value as a `T`, `None` when the file does not give it.
    pub fn field<T: DeserializeOwned>(&self, key: &str) -> Option<Result<T, PartError>> {
        let value = self.root.get(key)?;
        let from_text = self.span(key).and_then(|(start, end)| {
            let cut = self.cut(&[(start, end)]);
            // a part that does not parse alone (an alias of another part's anchor) is read from
            // the parsed value
            serde_norway::from_str::<Value>(&cut.text).ok()?;
            Some(
                serde_norway::from_str::<BTreeMap<String, T>>(&cut.text)
                    .map_err(|e| cut.error(&e))
                    .and_then(|mut m| {
                        m.remove(key).ok_or_else(|| PartError {
                            line: start + 1,
                            message: format!("`{key}` could not be read"),
                        })
                    }),
            )
        });
        Some(from_text.unwrap_or_else(|| {
            serde_norway::from_value::<T>(value.clone()).map_err(|e| PartError {
                line: self.line(key),
                message: format!("{key}: {}", serde_error(&e).message),
            })
        }))
    }

    /// The items of the top-level list `key`, each deserialized on its own; `None` when the file
    /// does not give `key`, an error when its value is not a list. An empty value is an empty list.
    pub fn items<T: DeserializeOwned>(&self, key: &str) -> Option<Result<Vec<Item<T>>, PartError>> {
        let list = match self.root.get(key)? {
            Value::Sequence(s) => s,
            Value::Null => return Some(Ok(Vec::new())),
            _ => {
                return Some(Err(PartError {
                    line: self.line(key),
                    message: format!("{key}: expected a list (`- ...` lines)"),
                }))
            }
        };
        let ranges = self.item_ranges(key, list.len());
        let items = list
            .iter()
            .enumerate()
            .map(|(i, raw)| {
                let cut = ranges.as_ref().map(|(head, r)| (*head, r[i]));
                let value = cut
                    .and_then(|(head, range)| self.item_from_text::<T>(key, i, head, range))
                    .unwrap_or_else(|| {
                        serde_norway::from_value::<T>(raw.clone()).map_err(|e| PartError {
                            line: cut.map_or(self.line(key), |(_, (start, _))| start + 1),
                            message: format!("{key}[{i}]: {}", serde_error(&e).message),
                        })
                    });
                Item {
                    line: cut.map_or(self.line(key), |(_, (start, _))| start + 1),
                    value,
                    raw: raw.clone(),
                    lines: cut.map(|(_, range)| range),
                }
            })
            .collect();
        Some(Ok(items))
    }

    /// The errors of a broken item of list `key` beyond its first (serde stops at one): see
    /// [`Document::more_errors`].
    pub fn further_errors<T: DeserializeOwned>(
        &self,
        key: &str,
        index: usize,
        item: &Item<T>,
    ) -> Vec<PartError> {
        match &item.value {
            Err(first) => self.more_errors::<T>(
                &item.raw,
                first,
                item.lines,
                item.line,
                &format!("{key}[{index}]"),
            ),
            Ok(_) => Vec::new(),
        }
    }

    /// The errors of the top-level `key` beyond `first`, the error its [`Document::field`] gave.
    pub fn further_field_errors<T: DeserializeOwned>(
        &self,
        key: &str,
        first: &PartError,
    ) -> Vec<PartError> {
        match self.root.get(key) {
            Some(raw) => self.more_errors::<T>(raw, first, self.span(key), self.line(key), key),
            None => Vec::new(),
        }
    }

    /// The errors of a broken mapping `raw` (on the 0-based `lines` of the file; named `prefix`
    /// in messages) beyond `first`: read again without each key blamed so far, until it reads or
    /// no key is to blame. A missing field is not reported (it is the key just taken out). At most
    /// [`MAX_FURTHER_ERRORS`].
    fn more_errors<T: DeserializeOwned>(
        &self,
        raw: &Value,
        first: &PartError,
        lines: Option<(usize, usize)>,
        fallback_line: usize,
        prefix: &str,
    ) -> Vec<PartError> {
        let Value::Mapping(raw) = raw else {
            return Vec::new();
        };
        let mut map = raw.clone();
        let mut blamed = blamed_key(&first.message);
        let mut found = Vec::new();
        while let Some(name) = blamed.take() {
            if map.remove(name.as_str()).is_none() || found.len() == MAX_FURTHER_ERRORS {
                break;
            }
            let read: Result<T, _> = serde_path_to_error::deserialize(Value::Mapping(map.clone()));
            let Err(e) = read else {
                break;
            };
            let mut path = e.path().to_string();
            let message = serde_error(e.inner()).message;
            if message.starts_with("unknown field") {
                // the path ends with the unknown key, which the message names
                path = path
                    .rsplit_once('.')
                    .map_or("", |(parent, _)| parent)
                    .to_string();
            }
            if message.starts_with("missing field") {
                break;
            }
            // the path (`ip`, `cms.role`) names the key, as the first error's message does
            let message = match path.as_str() {
                "." | "" => format!("{prefix}: {message}"),
                _ => format!("{prefix}.{path}: {message}"),
            };
            blamed = blamed_key(&message);
            let at = blamed
                .as_deref()
                .and_then(|name| self.key_line_within(lines, name));
            let message = match at {
                Some(line) => with_the_value(message, self.lines[line - 1]),
                None => message,
            };
            found.push(PartError {
                line: at.unwrap_or(fallback_line),
                message,
            });
        }
        found
    }

    /// The 1-based line of `name:` within the 0-based `lines` of an item (its first line may
    /// start with `- `).
    fn key_line_within(&self, lines: Option<(usize, usize)>, name: &str) -> Option<usize> {
        let (start, end) = lines?;
        (start..end.min(self.lines.len())).find_map(|i| {
            let entry = self.lines[i]
                .trim_start()
                .trim_start_matches("- ")
                .trim_start();
            entry
                .split_once(':')
                .is_some_and(|(k, _)| k.trim() == name)
                .then_some(i + 1)
        })
    }

    /// The block under the top-level `key`, dedented, and the line number of `key:` (so line `n` of
    /// the block is line `offset + n` of the file). `None` for a value on the key's own line.
    pub fn block(&self, key: &str) -> Option<(String, usize)> {
        let (start, end) = self.span(key)?;
        if !rest_after_key(self.lines[start]).is_empty() {
            return None;
        }
        let block = &self.lines[start + 1..end];
        let indent = block
            .iter()
            .filter(|l| !is_blank(l))
            .map(|l| indent_of(l))
            .min()
            .unwrap_or(0);
        // a comment less indented than the block is blanked, keeping the line numbers
        let mut text = block
            .iter()
            .map(|l| {
                if indent_of(l) >= indent {
                    &l[indent..]
                } else {
                    ""
                }
            })
            .collect::<Vec<_>>()
            .join("\n");
        // its last line ends as in the file (a `|` block's last line keeps its line end)
        text.push('\n');
        Some((text, start + 1))
    }

    fn span(&self, key: &str) -> Option<(usize, usize)> {
        self.spans
            .iter()
            .find(|(k, _, _)| k == key)
            .map(|(_, start, end)| (*start, *end))
    }

    /// The lines of `ranges` (in order, not overlapping), each ended, so a `|` block at the end
    /// keeps its last line end; with where each came from.
    fn cut(&self, ranges: &[(usize, usize)]) -> Cut {
        let mut cut = Cut::default();
        for &(start, end) in ranges {
            for (i, l) in self.lines[start..end].iter().enumerate() {
                cut.text.push_str(l);
                cut.text.push('\n');
                cut.lines.push(start + i);
            }
        }
        cut
    }

    /// The line of `key:` and each item's lines, for a block list of `expected` items whose key
    /// line holds nothing else; `None` when the list is not written that way.
    fn item_ranges(&self, key: &str, expected: usize) -> Option<(usize, Vec<(usize, usize)>)> {
        let (start, end) = self.span(key)?;
        if !rest_after_key(self.lines[start]).is_empty() {
            return None;
        }
        let mut indent = None;
        let mut starts = Vec::new();
        for i in start + 1..end {
            let l = self.lines[i];
            if is_blank(l) {
                continue;
            }
            let t = l.trim_start();
            let item = t == "-" || t.starts_with("- ");
            match indent {
                None if item => {
                    indent = Some(indent_of(l));
                    starts.push(i);
                }
                None => return None,
                Some(n) if indent_of(l) == n && item => starts.push(i),
                Some(n) if indent_of(l) <= n => return None,
                Some(_) => {}
            }
        }
        if starts.len() != expected {
            return None;
        }
        let ranges = starts
            .iter()
            .enumerate()
            .map(|(n, s)| (*s, starts.get(n + 1).copied().unwrap_or(end)))
            .collect();
        Some((start, ranges))
    }

    /// Item `index` of the list `key` read from the text alone (the key's line and the item's
    /// lines); `None` when that text does not parse by itself.
    fn item_from_text<T: DeserializeOwned>(
        &self,
        key: &str,
        index: usize,
        head: usize,
        range: (usize, usize),
    ) -> Option<Result<T, PartError>> {
        let cut = self.cut(&[(head, head + 1), range]);
        serde_norway::from_str::<Value>(&cut.text).ok()?;
        let read = serde_norway::from_str::<BTreeMap<String, Vec<T>>>(&cut.text);
        Some(match read {
            Ok(mut m) => m
                .remove(key)
                .and_then(|v| v.into_iter().next())
                .ok_or_else(|| PartError {
                    line: range.0 + 1,
                    message: format!("{key}[{index}] could not be read"),
                }),
            Err(e) => {
                let mut error = cut.error(&e);
                // alone, the item is the list's first: give it its own index back
                let alone = format!("{key}[0]");
                if let Some(rest) = error.message.strip_prefix(&alone) {
                    error.message = format!("{key}[{index}]{rest}");
                } else {
                    error.message = format!("{key}[{index}]: {}", error.message);
                }
                Err(error)
            }
        })
    }
}

/// Some lines of a file, cut out to be read on their own.
#[derive(Debug, Default)]
struct Cut {
    text: String,
    /// The 0-based line of the file of each line of `text`.
    lines: Vec<usize>,
}

impl Cut {
    /// A serde error in the cut text as a [`PartError`] at the line of the file.
    fn error(&self, e: &serde_norway::Error) -> PartError {
        let mut error = serde_error(e);
        if let Some(text) = error
            .line
            .checked_sub(1)
            .and_then(|i| self.text.lines().nth(i))
        {
            error.message = with_the_value(error.message, text);
        }
        if error.line > 0 {
            // past the last line (an error at the end of the text): the line after the cut
            error.line = match self.lines.get(error.line - 1) {
                Some(line) => line + 1,
                None => self.lines.last().map_or(0, |line| line + 2),
            };
        }
        error
    }
}

/// At most this many further errors of one item ([`Document::further_errors`]).
pub const MAX_FURTHER_ERRORS: usize = 16;

/// The key a serde message blames: the unknown field's name, or the last name of its path
/// (`ip` of `ip: invalid IPv4 address syntax`, `kind` of `kind: unknown variant ...`).
fn blamed_key(message: &str) -> Option<String> {
    if let Some((_, rest)) = message.split_once("unknown field `") {
        return rest.split_once('`').map(|(name, _)| name.to_string());
    }
    let (path, _) = message.split_once(": ")?;
    let last = path.rsplit('.').next()?.split('[').next()?;
    (!last.is_empty() && !last.contains(' ')).then(|| last.to_string())
}

/// A serde error as a [`PartError`]: its line, and its message without ` at line N column M`,
/// with the closest expected name of a misspelt one ([`with_a_suggestion`]).
pub fn serde_error(e: &serde_norway::Error) -> PartError {
    let message = e.to_string();
    let message = match message.rfind(" at line ") {
        Some(at) => message[..at].to_string(),
        None => message,
    };
    PartError {
        line: e.location().map_or(0, |l| l.line()),
        message: with_a_suggestion(message),
    }
}

/// `message` (serde's `unknown field `boot_secnds`, expected one of `base_port`, ...` or
/// `unknown variant ...`) with ` (did you mean `boot_seconds`?)` when one expected name is close
/// to the unknown one: within a third of its length in edits, at least one.
pub fn with_a_suggestion(message: String) -> String {
    let Some(unknown) = ["unknown field `", "unknown variant `"]
        .iter()
        .find_map(|start| message.split_once(start).map(|(_, rest)| rest))
        .and_then(|rest| rest.split_once('`').map(|(name, _)| name.to_string()))
    else {
        return message;
    };
    let Some((_, expected)) = message.split_once("expected ") else {
        return message;
    };
    let allowed = (unknown.chars().count() / 3).max(1);
    let closest = expected
        .split('`')
        .skip(1)
        .step_by(2)
        .map(|name| {
            let edits = strsim::damerau_levenshtein(
                &unknown.to_ascii_lowercase(),
                &name.to_ascii_lowercase(),
            );
            (edits, name)
        })
        .filter(|(edits, _)| *edits <= allowed)
        .min_by_key(|(edits, _)| *edits);
    match closest {
        Some((_, name)) => format!("{message} (did you mean `{name}`?)"),
        None => message,
    }
}

/// `message`, an error about the value on `line` (`    ip: 10.1.1.300`), with that value when
/// the message does not show it (`devices[1].ip: invalid IPv4 address syntax (got `10.1.1.300`)`):
/// only when the line's key is the last name of the message's path.
fn with_the_value(message: String, line: &str) -> String {
    let Some((path, _)) = message.split_once(": ") else {
        return message;
    };
    let last = path
        .rsplit('.')
        .next()
        .unwrap_or(path)
        .split('[')
        .next()
        .unwrap_or("");
    let entry = line.trim_start().trim_start_matches("- ").trim_start();
    let Some((key, value)) = entry.split_once(':') else {
        return message;
    };
    let value = value.split(" #").next().unwrap_or("").trim();
    if last.is_empty() || key.trim() != last || value.is_empty() || message.contains(value) {
        return message;
    }
    format!("{message} (got `{value}`)")
}

/// The key of a top-level `key:` line (block style, at the start of the line).
fn top_key(line: &str) -> Option<String> {
    let first = line.chars().next()?;
    if first.is_whitespace() || matches!(first, '#' | '-' | ']' | '}' | ',' | '.' | '%' | '?') {
        return None;
    }
    if matches!(first, '"' | '\'') {
        let close = line[1..].find(first)? + 1;
        let after = &line[close + 1..];
        return after
            .trim_start()
            .starts_with(':')
            .then(|| line[1..close].to_string());
    }
    let colon = line
        .char_indices()
        .find(|(i, c)| *c == ':' && line[i + 1..].chars().next().is_none_or(char::is_whitespace))
        .map(|(i, _)| i)?;
    Some(line[..colon].trim_end().to_string())
}

/// What follows `key:` on a top-level key line, without a comment.
fn rest_after_key(line: &str) -> &str {
    let after = match line.chars().next() {
        Some(q @ ('"' | '\'')) => line[1..]
            .find(q)
            .map_or("", |close| &line[close + 2..])
            .trim_start()
            .strip_prefix(':')
            .unwrap_or(""),
        _ => line
            .char_indices()
            .find(|(i, c)| {
                *c == ':' && line[i + 1..].chars().next().is_none_or(char::is_whitespace)
            })
            .map_or("", |(i, _)| &line[i + 1..]),
    };
    let after = after.trim();
    if after.starts_with('#') {
        ""
    } else {
        after
    }
}

fn is_blank(line: &str) -> bool {
    let t = line.trim_start();
    t.is_empty() || t.starts_with('#')
}

/// The spaces a line starts with (YAML indents with spaces only).
fn indent_of(line: &str) -> usize {
    line.len() - line.trim_start_matches(' ').len()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, serde::Deserialize)]
    #[serde(deny_unknown_fields)]
    struct Thing {
        name: String,
        #[serde(default)]
        size: u32,
    }

    #[test]
    fn each_item_gets_its_own_error_at_its_line() {
        let text = "title: x\nthings:\n  - name: a\n  - name: b\n    colour: red\n\n  # note\n  - size: 3\n  - name: d\n    size: lots\nother: 1\n";
        let doc = Document::parse(text).unwrap();
        let items = doc.items::<Thing>("things").unwrap().unwrap();
        let lines: Vec<usize> = items.iter().map(|i| i.line).collect();
        assert_eq!(lines, [3, 4, 8, 9]);
        assert_eq!(items[0].value.as_ref().unwrap().name, "a");
        assert_eq!(items[0].value.as_ref().unwrap().size, 0);
        let e = items[1].value.as_ref().unwrap_err();
        assert_eq!(e.line, 5, "{e:?}");
        assert!(
            e.message.starts_with("things[1]: unknown field `colour`"),
            "{e:?}"
        );
        let e = items[2].value.as_ref().unwrap_err();
        assert!(
            e.message.starts_with("things[2]: missing field `name`"),
            "{e:?}"
        );
        let e = items[3].value.as_ref().unwrap_err();
        assert_eq!(e.line, 10, "{e:?}");
        assert!(
            e.message.starts_with("things[3].size: invalid type"),
            "{e:?}"
        );
        let unknown = doc.unknown_keys(&["things", "other"]);
        assert_eq!(
            unknown,
            [PartError {
                line: 1,
                message: "unknown field `title`, expected one of `things`, `other`".into()
            }]
        );
    }

    #[test]
    fn an_item_is_read_from_its_own_lines_only() {
        // however long the file, an item's text is its list's key line and its own lines
        let mut text = String::from("title: x\nthings:\n");
        for n in 0..1000 {
            text.push_str(&format!("  - name: t{n}\n    size: {n}\n"));
        }
        let doc = Document::parse(&text).unwrap();
        let (head, ranges) = doc.item_ranges("things", 1000).unwrap();
        let cut = doc.cut(&[(head, head + 1), ranges[700]]);
        assert_eq!(cut.text, "things:\n  - name: t700\n    size: 700\n");
        assert_eq!(cut.lines, [1, 1402, 1403]);
        let items = doc.items::<Thing>("things").unwrap().unwrap();
        assert_eq!(items[700].value.as_ref().unwrap().size, 700);
        assert_eq!(items[700].line, 1403);
    }

    #[test]
    fn flush_and_flow_lists_are_read_too() {
        let flush = "things:\n- name: a\n- name: b\n  size: x\n";
        let doc = Document::parse(flush).unwrap();
        let items = doc.items::<Thing>("things").unwrap().unwrap();
        assert_eq!(items[1].value.as_ref().unwrap_err().line, 4);
        let flow = "things: [{name: a}, {name: b, size: x}]\n";
        let doc = Document::parse(flow).unwrap();
        let items = doc.items::<Thing>("things").unwrap().unwrap();
        assert!(items[0].value.is_ok());
        let e = items[1].value.as_ref().unwrap_err();
        assert_eq!(e.line, 1);
        assert!(e.message.starts_with("things[1]: "), "{e:?}");
    }

    #[test]
    fn fields_keep_their_lines_and_syntax_errors_stop() {
        let text = "a: 1\nthing:\n  name: x\n  size: -1\n";
        let doc = Document::parse(text).unwrap();
        let e = doc.field::<Thing>("thing").unwrap().unwrap_err();
        assert_eq!(e.line, 4, "{e:?}");
        assert!(e.message.starts_with("thing.size: "), "{e:?}");
        assert_eq!(doc.field::<u32>("a").unwrap(), Ok(1));
        assert!(doc.field::<u32>("b").is_none());
        let e = Document::parse("a: [1\nb: 2\n").unwrap_err();
        assert!(e.line >= 1, "{e:?}");
        assert_eq!(
            Document::parse("").unwrap_err().message,
            "the file is empty"
        );
        assert!(Document::parse("- 1\n").is_err());
    }

    #[test]
    fn a_literal_block_keeps_its_last_line_end() {
        let text = "things:\n  - name: |\n      a\n      b\nblock:\n  name: |\n    c";
        let doc = Document::parse(text).unwrap();
        let items = doc.items::<Thing>("things").unwrap().unwrap();
        assert_eq!(items[0].value.as_ref().unwrap().name, "a\nb\n");
        let (inner, _) = doc.block("block").unwrap();
        let doc = Document::parse(&inner).unwrap();
        assert_eq!(doc.field::<String>("name").unwrap().unwrap(), "c\n");
    }

    #[test]
    fn blocks_are_dedented_with_their_offset() {
        let text = "x: 1\ntopology:\n  devices:\n    - a\n\n  lab: {}\ny: 2\n";
        let doc = Document::parse(text).unwrap();
        let (block, offset) = doc.block("topology").unwrap();
        assert_eq!(block, "devices:\n  - a\n\nlab: {}\n");
        assert_eq!(offset, 2);
        assert!(doc.block("x").is_none());
    }

    #[test]
    fn odd_texts_do_not_panic() {
        for text in [
            "\"a\": 1\n'b: c': 2\n",
            "é: 1\nü:\n  - x\n",
            "a:\n- 1\n -2\n",
            "? complex\n: value\n",
            "a: &x {name: n}\nthings:\n  - *x\n",
        ] {
            if let Ok(doc) = Document::parse(text) {
                let _ = doc.items::<Thing>("things");
                let _ = doc.field::<Thing>("a");
                let _ = doc.unknown_keys(&["a"]);
                let _ = doc.block("a");
            }
        }
        let doc = Document::parse("a: &x {name: n}\nthings:\n  - *x\n").unwrap();
        let items = doc.items::<Thing>("things").unwrap().unwrap();
        assert_eq!(items[0].value.as_ref().unwrap().name, "n");
    }
}
