//! What the runner prints and writes: the line diff shown for a failed `exact` expectation, and
//! JUnit XML (one `testsuite`, one `testcase` per scenario, a `failure` element with the same text
//! the console shows) through `quick-junit`. Runs nothing.
//!
//! The line diff stays hand-written: `similar` (its LCS as well as its Myers diff) settles ties
//! between equally short diffs differently, so some failure diffs would read differently.

use std::fmt::Write as _;
use std::time::Duration;

use quick_junit::{NonSuccessKind, Report, TestCase, TestCaseStatus, TestSuite};

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

/// The JUnit report of a run: one `testsuite`, one `testcase` per scenario (classname
/// `scenarios.FILE_STEM`, attribute `file`), a `failure` with the step as its type, `FILE:LINE:
/// first line` as its message and the console's failure text as its body.
pub fn junit_report(outcomes: &[Outcome]) -> Report {
    let time: Duration = outcomes.iter().map(|o| o.elapsed).sum();
    let mut suite = TestSuite::new("acnslab scenarios");
    suite.set_time(time);
    for o in outcomes {
        let status = match &o.failure {
            None => TestCaseStatus::success(),
            Some(f) => {
                let first = f.message.lines().next().unwrap_or_default();
                let mut status = TestCaseStatus::non_success(NonSuccessKind::Failure);
                status
                    .set_type(f.step.as_str())
                    .set_message(format!("{}:{}: {first}", o.file.display(), f.line))
                    .set_description(o.failure_text());
                status
            }
        };
        let class = o
            .file
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_default();
        let mut case = TestCase::new(o.name.as_str(), status);
        case.set_classname(format!("scenarios.{class}"))
            .set_time(o.elapsed);
        case.extra
            .insert("file".into(), o.file.display().to_string().into());
        suite.add_test_case(case);
    }
    let mut report = Report::new("acnslab");
    report.set_time(time).add_test_suite(suite);
    report
}

/// [`junit_report`] as XML text.
pub fn junit_xml(outcomes: &[Outcome]) -> String {
    junit_report(outcomes)
        .to_string()
        .expect("JUnit XML written to memory: no I/O to fail")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scenario::runner::Failure;

    fn v(s: &[&str]) -> Vec<String> {
        s.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn diff_marks_changed_lines() {
        let d = line_diff(&v(&["a", "b", "c"]), &v(&["a", "x", "c"]));
        assert_eq!(d, "    a\n  - b\n  + x\n    c");
    }

    #[test]
    fn junit_carries_names_failures_and_escapes() {
        let outcome = |name: &str, failure: Option<Failure>| Outcome {
            name: name.into(),
            file: "scenarios/01-x.yaml".into(),
            failure,
            steps_run: 1,
            elapsed: Duration::from_millis(1500),
            lab_time: Duration::ZERO,
        };
        let failed = Failure {
            line: 9,
            step: "expect".into(),
            message: "expected <a & \"b\">\nmore".into(),
            transcript: None,
        };
        let xml = junit_xml(&[outcome("ok", None), outcome("bad & <worse>", Some(failed))]);
        assert!(xml.starts_with("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites name=\"acnslab\" tests=\"2\""), "{xml}");
        assert!(xml.contains("failures=\"1\""), "{xml}");
        assert!(xml.contains("name=\"bad &amp; &lt;worse&gt;\""), "{xml}");
        assert!(xml.contains("classname=\"scenarios.01-x\""), "{xml}");
        assert!(xml.contains("file=\"scenarios/01-x.yaml\""), "{xml}");
        assert!(xml.contains("time=\"1.500\""), "{xml}");
        assert!(
            xml.contains(
                "message=\"scenarios/01-x.yaml:9: expected &lt;a &amp; &quot;b&quot;&gt;\""
            ),
            "{xml}"
        );
        assert!(xml.contains("type=\"expect\""), "{xml}");
        assert!(
            xml.contains("  at scenarios/01-x.yaml:9 (expect step)\n  expected &lt;a"),
            "{xml}"
        );
    }
}
