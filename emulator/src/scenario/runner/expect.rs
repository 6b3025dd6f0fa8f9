//! What a cli step's output must hold (`expect:`): contains, regex, absent, exact (with a line diff
//! on a mismatch); the message says expected against got.

use std::fmt::Write as _;

use super::super::format::Expectation;
use super::super::report::line_diff;

/// Normalises output for `exact`: no trailing spaces, no blank lines at either end.
fn normal(text: &str) -> Vec<String> {
    let mut lines: Vec<String> = text.lines().map(|l| l.trim_end().to_string()).collect();
    while lines.last().is_some_and(|l| l.is_empty()) {
        lines.pop();
    }
    while lines.first().is_some_and(|l| l.is_empty()) {
        lines.remove(0);
    }
    lines
}

/// Checks `out` against an expectation; the error says expected against got.
pub fn expect_output(e: &Expectation, out: &str) -> Result<(), String> {
    let mut misses = Vec::new();
    for c in &e.contains {
        if !out.contains(c.as_str()) && !normal(out).join("\n").contains(&normal(c).join("\n")) {
            misses.push(format!("expected the output to contain: {c:?}"));
        }
    }
    for r in &e.regex {
        if !r.is_match(out) {
            misses.push(format!("expected the output to match: /{r}/"));
        }
    }
    for a in &e.absent {
        if out.contains(a.as_str()) {
            misses.push(format!("expected the output NOT to contain: {a:?}"));
        }
    }
    if let Some(x) = &e.exact {
        let (want, got) = (normal(x), normal(out));
        if want != got {
            misses.push(format!(
                "expected exactly this output; diff (- expected, + got):\n{}",
                line_diff(&want, &got)
            ));
            // the diff already shows the output
            return Err(misses.join("\n"));
        }
    }
    if misses.is_empty() {
        return Ok(());
    }
    let mut m = misses.join("\n");
    m.push_str("\ngot:\n");
    if out.trim().is_empty() {
        m.push_str("  (no output)\n");
    }
    for l in out.lines() {
        let _ = writeln!(m, "  {l}");
    }
    Err(m.trim_end().to_string())
}
