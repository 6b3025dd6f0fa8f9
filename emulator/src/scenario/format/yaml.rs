//! Where things are in a scenario (or exercise) file's YAML text: serde errors turned into
//! [`ScenarioError`]s with their line, the line of a top-level key, the block under it and the
//! line of each item of a top-level list (serde gives no positions for values that parsed).
//! Knows nothing of steps or labs.

use std::path::Path;

use super::ScenarioError;

/// Deserializes a whole file; a YAML or shape error carries its line.
pub(crate) fn from_yaml<T: serde::de::DeserializeOwned>(
    text: &str,
    path: &Path,
) -> Result<T, ScenarioError> {
    crate::yaml_limits::check(text).map_err(|e| ScenarioError {
        file: path.display().to_string(),
        line: e.line,
        message: e.message,
    })?;
    serde_norway::from_str(text).map_err(|e| {
        let line = e.location().map(|l| l.line()).unwrap_or(0);
        let message = e.to_string();
        let message = message
            .split(" at line ")
            .next()
            .unwrap_or_default()
            .to_string();
        ScenarioError {
            file: path.display().to_string(),
            line,
            message,
        }
    })
}

/// The 1-based line of a top-level `key:`.
pub(crate) fn line_of_key(text: &str, key: &str) -> Option<usize> {
    text.lines()
        .position(|l| {
            l.strip_prefix(key)
                .is_some_and(|rest| rest.trim_start().starts_with(':'))
        })
        .map(|i| i + 1)
}

/// The indented block under a top-level `key:`, dedented, and the line number of `key:` (so a line
/// `n` of the block is line `offset + n` of the file). `None` for a flow value on the key's line.
pub(super) fn block_of(text: &str, key: &str) -> Option<(String, usize)> {
    let at = line_of_key(text, key)?;
    let all: Vec<&str> = text.lines().collect();
    let head = all[at - 1];
    let after = head[key.len()..]
        .trim_start()
        .trim_start_matches(':')
        .trim();
    if !(after.is_empty() || after.starts_with('#')) {
        return None;
    }
    let mut block = Vec::new();
    for l in &all[at..] {
        let blank = l.trim().is_empty() || l.trim_start().starts_with('#');
        if !blank && !l.starts_with(' ') {
            break;
        }
        block.push(*l);
    }
    let indent = block
        .iter()
        .filter(|l| !l.trim().is_empty())
        .map(|l| l.len() - l.trim_start().len())
        .min()
        .unwrap_or(0);
    let text = block
        .iter()
        .map(|l| if l.len() >= indent { &l[indent..] } else { "" })
        .collect::<Vec<_>>()
        .join("\n");
    Some((text, at))
}

/// The 1-based line of each item of the top-level `key:` list (block style); empty if the list
/// cannot be found this way or the count differs from `expected`.
pub(crate) fn item_lines(text: &str, key: &str, expected: usize) -> Vec<usize> {
    let Some(at) = line_of_key(text, key) else {
        return Vec::new();
    };
    let all: Vec<&str> = text.lines().collect();
    let mut indent: Option<usize> = None;
    let mut found = Vec::new();
    for (i, l) in all.iter().enumerate().skip(at) {
        let t = l.trim_start();
        if t.is_empty() || t.starts_with('#') {
            continue;
        }
        let ind = l.len() - t.len();
        let item = t == "-" || t.starts_with("- ");
        match indent {
            None if item => {
                indent = Some(ind);
                found.push(i + 1);
            }
            None => break,
            Some(n) if ind == n && item => found.push(i + 1),
            Some(n) if ind < n || (ind == n && !item) => break,
            Some(_) => {}
        }
    }
    if found.len() == expected {
        found
    } else {
        Vec::new()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn step_lines_follow_the_list() {
        let text = "name: x\nsteps:\n  - wait: 1s\n\n  # note\n  - cli:\n      device: ce1\n      lines: [a]\n  - wait: 2s\n";
        assert_eq!(item_lines(text, "steps", 3), vec![3, 6, 9]);
        let flush = "name: x\nsteps:\n- wait: 1s\n- wait: 2s\nother: 1\n";
        assert_eq!(item_lines(flush, "steps", 2), vec![3, 4]);
    }
}
