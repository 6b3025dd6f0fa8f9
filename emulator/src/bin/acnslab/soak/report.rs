//! What a soak prints and writes: a line with the settings, a header, one row per interval, the
//! summary, and the same as JSON; and the verdict (a soak passes with every session open to the
//! end and no error). Rendering only: the figures come from the tallies and the meter.

use serde::Serialize;

use super::tally::ErrorCounts;
use crate::measure::percentiles::Percentiles;

/// What the soak was asked to do.
#[derive(Debug, Clone, Serialize)]
pub struct Settings {
    pub sessions: usize,
    pub devices: usize,
    /// The devices' SSH addresses.
    pub targets: Vec<String>,
    /// Whether the soak started the lab itself (`acnslab up` as its child).
    pub started_lab: bool,
    pub lab_pid: Option<u32>,
    pub command: String,
    pub minutes: f64,
    pub interval_s: f64,
    pub think_s: f64,
    pub logins_in_flight: usize,
    pub open_file_limit: u64,
}

/// One interval.
#[derive(Debug, Clone, Serialize)]
pub struct IntervalRow {
    /// Since the first session started to log in, at the end of the interval.
    pub elapsed_s: f64,
    /// Sessions open at the end of the interval.
    pub open: usize,
    /// Commands that came back to the prompt during the interval.
    pub commands: u64,
    /// Failures during the interval (to open, or of an open session).
    pub errors: ErrorCounts,
    /// Enter to prompt, of the interval's commands.
    pub latency_ms: Percentiles,
    pub lab_rss_mb: Option<f64>,
    /// Percent of one core.
    pub lab_cpu_pct: Option<f64>,
    pub soak_cpu_pct: f64,
}

/// The lab's resident memory over the soak, MB.
#[derive(Debug, Clone, Default, Serialize)]
pub struct RssFigures {
    /// Before the first session.
    pub start: Option<f64>,
    /// Highest reading (once a second).
    pub peak: Option<f64>,
    /// At the end of the hold, the sessions still open.
    pub end: Option<f64>,
    /// Five seconds after the last session left.
    pub after_close: Option<f64>,
}

/// The whole soak.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Summary {
    pub sessions: usize,
    pub opened: usize,
    pub open_failed: usize,
    /// When every session was open (or had failed to open), since the start.
    pub all_open_after_s: Option<f64>,
    /// Open sessions that ended by a failure before the soak closed them.
    pub dropped: usize,
    /// Commands that came back to the prompt, replies in flight at the end included.
    pub commands: u64,
    pub errors: ErrorCounts,
    pub error_examples: Vec<String>,
    pub latency_ms: Percentiles,
    pub lab_rss_mb: RssFigures,
    /// The lab's CPU time from the first session to the end of the hold, and as percent of one
    /// core.
    pub lab_cpu_s: Option<f64>,
    pub lab_cpu_pct: Option<f64>,
    /// From the first session to the end of the hold.
    pub wall_s: f64,
    /// Stopped early by Ctrl-C or SIGTERM.
    pub interrupted: bool,
    /// The lab process ended during the soak.
    pub lab_gone: bool,
}

impl Summary {
    /// What keeps the soak from passing, if anything.
    pub fn faults(&self) -> Vec<String> {
        let mut faults = Vec::new();
        let errors = self.errors.total();
        if errors > 0 {
            faults.push(format!("{errors} errors"));
        }
        if self.dropped > 0 {
            faults.push(format!("{} sessions dropped", self.dropped));
        }
        if self.opened < self.sessions {
            faults.push(format!(
                "{} of {} sessions opened",
                self.opened, self.sessions
            ));
        }
        if self.interrupted {
            faults.push("interrupted".into());
        }
        if self.lab_gone {
            faults.push("the lab process ended".into());
        }
        faults
    }
}

/// Everything a soak measured (`--json`).
#[derive(Debug, Clone, Serialize)]
pub struct SoakReport {
    pub settings: Settings,
    pub intervals: Vec<IntervalRow>,
    pub summary: Summary,
}

/// The soak's first line.
pub fn settings_line(s: &Settings) -> String {
    let devices = if s.devices == 1 { "device" } else { "devices" };
    let lab = if s.started_lab {
        format!("a lab of {} {devices} (pid", s.devices)
    } else {
        format!("{} running {devices} (pid", s.devices)
    };
    let pid = s
        .lab_pid
        .map(|p| p.to_string())
        .unwrap_or_else(|| "unknown: no RSS".into());
    format!(
        "soak: {} sessions on {lab} {pid}), `{}` every {} s each, held {} min, a row every {} s",
        s.sessions, s.command, s.think_s, s.minutes, s.interval_s
    )
}

/// The column titles; errors are counted by kind: connect/auth/timeout/closed/other.
pub fn header() -> String {
    format!(
        "{:>9} {:>6} {:>8} {:>11} {:>9} {:>9} {:>9} {:>10} {:>9} {:>10}",
        "elapsed",
        "open",
        "commands",
        "errors*",
        "p50 ms",
        "p99 ms",
        "max ms",
        "lab RSS MB",
        "lab CPU %",
        "soak CPU %"
    )
}

/// The legend of the errors column.
pub const ERRORS_LEGEND: &str = "* errors by kind: connect/auth/timeout/closed/other";

fn errors_cell(e: &ErrorCounts) -> String {
    format!(
        "{}/{}/{}/{}/{}",
        e.connect, e.auth, e.timeout, e.closed, e.other
    )
}

fn or_dash(value: Option<f64>, decimals: usize) -> String {
    value
        .map(|v| format!("{v:.decimals$}"))
        .unwrap_or_else(|| "-".into())
}

/// One row.
pub fn row_line(r: &IntervalRow) -> String {
    let latency = |v: f64| or_dash((r.latency_ms.n > 0).then_some(v), 2);
    format!(
        "{:>7.1} s {:>6} {:>8} {:>11} {:>9} {:>9} {:>9} {:>10} {:>9} {:>10.1}",
        r.elapsed_s,
        r.open,
        r.commands,
        errors_cell(&r.errors),
        latency(r.latency_ms.p50),
        latency(r.latency_ms.p99),
        latency(r.latency_ms.max),
        or_dash(r.lab_rss_mb, 1),
        or_dash(r.lab_cpu_pct, 1),
        r.soak_cpu_pct
    )
}

/// The summary, a figure a line.
pub fn summary_text(s: &Summary) -> String {
    let mb = |v: Option<f64>| {
        v.map(|v| format!("{v:.1} MB"))
            .unwrap_or_else(|| "-".into())
    };
    let e = &s.errors;
    let mut rows = vec![
        (
            "sessions",
            format!(
                "{} of {} opened{}, {} failed to open, {} dropped",
                s.opened,
                s.sessions,
                s.all_open_after_s
                    .map(|t| format!(" (all within {t:.1} s)"))
                    .unwrap_or_default(),
                s.open_failed,
                s.dropped
            ),
        ),
        ("commands", s.commands.to_string()),
        (
            "errors",
            format!(
                "{} (connect {}, auth {}, timeout {}, closed {}, other {})",
                e.total(),
                e.connect,
                e.auth,
                e.timeout,
                e.closed,
                e.other
            ),
        ),
        (
            "latency",
            if s.latency_ms.n > 0 {
                format!(
                    "p50 {:.2} ms, p99 {:.2} ms, max {:.2} ms",
                    s.latency_ms.p50, s.latency_ms.p99, s.latency_ms.max
                )
            } else {
                "-".into()
            },
        ),
        (
            "lab RSS",
            format!(
                "start {}, peak {}, end {}, 5 s after the sessions left {}",
                mb(s.lab_rss_mb.start),
                mb(s.lab_rss_mb.peak),
                mb(s.lab_rss_mb.end),
                mb(s.lab_rss_mb.after_close)
            ),
        ),
        (
            "lab CPU",
            match (s.lab_cpu_s, s.lab_cpu_pct) {
                (Some(cpu), Some(pct)) => {
                    format!("{cpu:.2} s in {:.1} s ({pct:.1} % of a core)", s.wall_s)
                }
                _ => "-".into(),
            },
        ),
    ];
    let faults = s.faults();
    rows.push((
        "verdict",
        if faults.is_empty() {
            "pass".into()
        } else {
            format!("FAIL: {}", faults.join(", "))
        },
    ));
    let mut out = String::new();
    for (key, value) in rows {
        out.push_str(&format!("{key:<9} {value}\n"));
    }
    for example in &s.error_examples {
        out.push_str(&format!("  error: {example}\n"));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row() -> IntervalRow {
        IntervalRow {
            elapsed_s: 30.0,
            open: 1000,
            commands: 5989,
            errors: ErrorCounts {
                timeout: 2,
                ..ErrorCounts::default()
            },
            latency_ms: Percentiles::of(&[0.001, 0.002, 0.012]),
            lab_rss_mb: Some(24.13),
            lab_cpu_pct: Some(7.9),
            soak_cpu_pct: 3.25,
        }
    }

    #[test]
    fn a_row_lines_up_under_the_header() {
        let line = row_line(&row());
        assert_eq!(line.len(), header().len(), "\n{}\n{line}", header());
        assert!(line.contains(" 0/0/2/0/0 "), "{line}");
        assert!(line.contains(" 24.1 ") && line.contains(" 12.00"), "{line}");
        let empty = row_line(&IntervalRow {
            commands: 0,
            latency_ms: Percentiles::default(),
            lab_rss_mb: None,
            lab_cpu_pct: None,
            ..row()
        });
        assert_eq!(empty.matches(" -").count(), 5, "{empty}");
    }

    #[test]
    fn a_soak_passes_only_with_every_session_open_to_the_end_and_no_error() {
        let clean = Summary {
            sessions: 20,
            opened: 20,
            commands: 60,
            ..Summary::default()
        };
        assert!(clean.faults().is_empty());
        assert!(summary_text(&clean).contains("verdict   pass"));
        let mut bad = clean.clone();
        bad.opened = 19;
        bad.open_failed = 1;
        bad.errors.auth = 1;
        bad.dropped = 2;
        bad.errors.closed = 2;
        assert_eq!(
            bad.faults(),
            ["3 errors", "2 sessions dropped", "19 of 20 sessions opened"]
        );
        assert!(summary_text(&bad).contains("FAIL: 3 errors"));
    }
}
