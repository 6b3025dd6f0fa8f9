//! What the runner prints and writes: the line diff shown for a failed `exact` expectation, and
//! JUnit XML (one `testsuite`, one `testcase` per scenario, a `failure` element with the same text
//! the console shows), written by hand.

use std::fmt::Write as _;

use super::runner::Outcome;

/// A line diff of `want` against `got`: `  ` same, `- ` only expected, `+ ` only got.
pub fn line_diff(want: &[String], got: &[String]) -> String {
    let (n, m) = (want.len(), got.len());
    // longest common subsequence table, from the end
    let mut lcs = vec![vec![0usize; m + 1]; n + 1];
    for i in (0..n).rev() {
        for j in (0..m).rev() {
            lcs[i][j] = if want[i] == got[j] {
                lcs[i + 1][j + 1] + 1
            } else {
                lcs[i + 1][j].max(lcs[i][j + 1])
            };
        }
    }
    let mut out = String::new();
    let (mut i, mut j) = (0, 0);
    while i < n || j < m {
        if i < n && j < m && want[i] == got[j] {
            let _ = writeln!(out, "    {}", want[i]);
            i += 1;
            j += 1;
        } else if i < n && (j == m || lcs[i + 1][j] >= lcs[i][j + 1]) {
            let _ = writeln!(out, "  - {}", want[i]);
            i += 1;
        } else {
            let _ = writeln!(out, "  + {}", got[j]);
            j += 1;
        }
    }
    out.trim_end().to_string()
}

/// Escapes text for XML attributes and content.
pub fn xml_escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\n' | '\t' | '\r' => out.push(c),
            c if (c as u32) < 0x20 => {}
            c => out.push(c),
        }
    }
    out
}

/// JUnit XML for a run.
pub fn junit_xml(outcomes: &[Outcome]) -> String {
    let failures = outcomes.iter().filter(|o| !o.passed()).count();
    let time: f64 = outcomes.iter().map(|o| o.elapsed.as_secs_f64()).sum();
    let mut x = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    let _ = writeln!(
        x,
        "<testsuites name=\"acnslab\" tests=\"{}\" failures=\"{failures}\" errors=\"0\" time=\"{time:.3}\">",
        outcomes.len()
    );
    let _ = writeln!(
        x,
        "  <testsuite name=\"acnslab scenarios\" tests=\"{}\" failures=\"{failures}\" errors=\"0\" skipped=\"0\" time=\"{time:.3}\">",
        outcomes.len()
    );
    for o in outcomes {
        let class = o
            .file
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_default();
        let _ = write!(
            x,
            "    <testcase name=\"{}\" classname=\"scenarios.{}\" file=\"{}\" time=\"{:.3}\"",
            xml_escape(&o.name),
            xml_escape(&class),
            xml_escape(&o.file.display().to_string()),
            o.elapsed.as_secs_f64()
        );
        match &o.failure {
            None => x.push_str("/>\n"),
            Some(f) => {
                let first = f.message.lines().next().unwrap_or_default();
                let _ = writeln!(
                    x,
                    ">\n      <failure type=\"{}\" message=\"{}:{}: {}\">{}</failure>\n    </testcase>",
                    xml_escape(&f.step),
                    xml_escape(&o.file.display().to_string()),
                    f.line,
                    xml_escape(first),
                    xml_escape(&o.failure_text())
                );
            }
        }
    }
    x.push_str("  </testsuite>\n</testsuites>\n");
    x
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(s: &[&str]) -> Vec<String> {
        s.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn diff_marks_changed_lines() {
        let d = line_diff(&v(&["a", "b", "c"]), &v(&["a", "x", "c"]));
        assert_eq!(d, "    a\n  - b\n  + x\n    c");
    }

    #[test]
    fn escapes() {
        assert_eq!(xml_escape("<a & \"b\">"), "&lt;a &amp; &quot;b&quot;&gt;");
    }
}
