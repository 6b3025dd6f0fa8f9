//! Bounds on a YAML text before it is parsed (topology, scenario and exercise files): at most
//! [`MAX_BYTES`] ([`MAX_TOPOLOGY_BYTES`] for a topology: a lab of 100,000 devices writes a
//! `topology.yaml` of 7 MB), and flow collections (`[...]`, `{...}`) nested at most [`MAX_DEPTH`]
//! deep. The
//! YAML parser takes tens of seconds to refuse 100,000 nested brackets; this refuses them at once,
//! with the line. Knows nothing of what the YAML holds.

/// The largest file accepted: 1 MiB (the largest shipped scenario is 7 KB).
pub const MAX_BYTES: usize = 1024 * 1024;
/// The largest topology file accepted: 64 MiB (about 75 bytes a device as a lab writes it).
pub const MAX_TOPOLOGY_BYTES: usize = 64 * 1024 * 1024;
/// The deepest nesting of flow collections accepted.
pub const MAX_DEPTH: usize = 64;

/// Why a text was refused, with the 1-based line where it happened (0 for the size).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct TooBig {
    pub line: usize,
    pub message: String,
}

/// Checks `text` against the bounds. Brackets count only where they open or close a flow
/// collection: at the start of a value (after `: `, `- `, `,`, another bracket, or first on a
/// line) or inside one; not in quotes, comments or the middle of a plain word (`a[b`).
pub fn check(text: &str) -> Result<(), TooBig> {
    check_within(text, MAX_BYTES)
}

/// [`check`] with `max_bytes` as the largest size.
pub fn check_within(text: &str, max_bytes: usize) -> Result<(), TooBig> {
    if text.len() > max_bytes {
        return Err(TooBig {
            line: 0,
            message: format!("the file is {} bytes; the most is {max_bytes}", text.len()),
        });
    }
    let mut depth = 0usize;
    let mut quote: Option<char> = None;
    for (index, line) in text.lines().enumerate() {
        // the last character that was not a space, on this line (None: at its start)
        let mut previous: Option<char> = None;
        let mut chars = line.chars().peekable();
        while let Some(c) = chars.next() {
            if let Some(q) = quote {
                match c {
                    '\\' if q == '"' => {
                        chars.next();
                    }
                    '\'' if q == '\'' && chars.peek() == Some(&'\'') => {
                        chars.next();
                    }
                    c if c == q => quote = None,
                    _ => {}
                }
                continue;
            }
            let starts_value = matches!(previous, None | Some(':' | '-' | ',' | '[' | '{' | '?'));
            match c {
                '#' if previous.is_none() || line_before_is_space(line, &chars) => break,
                '"' | '\'' if starts_value || depth > 0 => quote = Some(c),
                '[' | '{' if starts_value || depth > 0 => {
                    depth += 1;
                    if depth > MAX_DEPTH {
                        return Err(TooBig {
                            line: index + 1,
                            message: format!("collections nested more than {MAX_DEPTH} deep"),
                        });
                    }
                }
                ']' | '}' if depth > 0 => depth -= 1,
                _ => {}
            }
            if !c.is_whitespace() {
                previous = Some(c);
            }
        }
    }
    Ok(())
}

/// Whether the character just consumed (a `#`) follows a space: then it starts a comment.
fn line_before_is_space(line: &str, rest: &std::iter::Peekable<std::str::Chars<'_>>) -> bool {
    let left = rest.clone().count();
    let consumed = line.chars().count() - left;
    consumed >= 2
        && line
            .chars()
            .nth(consumed - 2)
            .is_some_and(char::is_whitespace)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deep_or_huge_texts_are_refused_at_once_with_the_line() {
        let t = std::time::Instant::now();
        let e = check(&format!(
            "name: x\nsteps:\n  - wait: {}",
            "[".repeat(100_000)
        ))
        .unwrap_err();
        assert_eq!(e.line, 3, "{e}");
        assert!(e.message.contains("nested more than 64"), "{e}");
        let e = check(&format!("lab: {}", "{a: ".repeat(100_000))).unwrap_err();
        assert_eq!(e.line, 1);
        assert!(t.elapsed() < std::time::Duration::from_secs(1));
        let e = check(&"x".repeat(MAX_BYTES + 1)).unwrap_err();
        assert!(e.message.contains("the most is 1048576"), "{e}");
    }

    #[test]
    fn ordinary_files_pass() {
        let ok = [
            "devices:\n  - name: a\n    groups: [edge, core]\n    x: {a: [1, {b: 2}]}\n",
            // brackets in words, quotes, comments and block scalars are not collections
            &format!("a: {}\n", "x[".repeat(100)),
            &format!("a: '{}'\nb: \"{}\"\n", "[".repeat(100), "{".repeat(100)),
            &format!("a: 1 # {}\n", "[".repeat(100)),
            "regex: '(('\nsend: \"show [a\"\n",
        ];
        for text in ok {
            assert_eq!(check(text), Ok(()), "{text}");
        }
        for dir in [
            "scenarios",
            "emulator/tests/fixtures/scenarios",
            "emulator/tests/fixtures/exercises",
            "scenarios/exercises",
        ] {
            let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("..")
                .join(dir);
            for entry in std::fs::read_dir(&root).into_iter().flatten().flatten() {
                let text = std::fs::read_to_string(entry.path()).unwrap_or_default();
                assert_eq!(check(&text), Ok(()), "{}", entry.path().display());
            }
        }
        assert_eq!(check(crate::topology::DEFAULT_TOPOLOGY), Ok(()));
    }
}
