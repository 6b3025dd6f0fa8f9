//! A soak's timeline: starts the sessions, notes when all are open (or failed to open), holds them
//! for the planned time while printing a row every interval, then stops them, waits for them to
//! log out and measures the lab once more five seconds later. It owns the clock and the counting;
//! the sessions, the readings and the rendering are the other modules'.

use std::io::Write as _;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::{mpsc, Semaphore};
use tokio::task::JoinSet;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

use super::meter::{percent, Meter};
use super::plan::SoakPlan;
use super::report::{row_line, IntervalRow, RssFigures, Summary};
use super::sessions::{spawn_all, Pace, LOGINS_IN_FLIGHT};
use super::tally::Tally;
use crate::measure::percentiles::round3;
use crate::measure::process::Process;
use acnslab::signals::StopSignals;

/// How long the sessions may take to log out once stopped.
const CLOSE_LIMIT: Duration = Duration::from_secs(30);
/// How long after the last session left the lab's memory is read again.
const SETTLE: Duration = Duration::from_secs(5);
/// How often the lab's memory is read for its peak.
const PEAK_PERIOD: Duration = Duration::from_secs(1);

/// What the timeline produced.
pub struct Held {
    pub rows: Vec<IntervalRow>,
    pub summary: Summary,
}

/// Runs the soak of `plan` against `targets`, reading the lab process `lab` if known. Rows are
/// printed as they come.
pub async fn hold(
    plan: &SoakPlan,
    targets: &[SocketAddr],
    lab: Option<Process>,
    signals: &mut StopSignals,
) -> Held {
    let mut meter = Meter::new(lab);
    let mut summary = Summary {
        sessions: plan.sessions,
        lab_rss_mb: RssFigures {
            start: meter.lab_rss_mb(),
            ..RssFigures::default()
        },
        ..Summary::default()
    };
    let mut peak = summary.lab_rss_mb.start;
    let (events_tx, mut events) = mpsc::unbounded_channel();
    let stop = CancellationToken::new();
    let pace = Pace {
        command: Arc::from(plan.command.as_str()),
        think: plan.think,
        logins: Arc::new(Semaphore::new(LOGINS_IN_FLIGHT)),
        events: events_tx,
        stop: stop.clone(),
    };
    let start = Instant::now();
    let mut tasks = JoinSet::new();
    spawn_all(&mut tasks, targets, plan.sessions, &pace);
    // Only the sessions hold a sender now: the channel ends when the last one has.
    drop(pace);

    let mut total = Tally::default();
    let mut interval = Tally::default();
    let mut rows = Vec::new();
    let mut rows_ticker = tokio::time::interval_at(start + plan.interval, plan.interval);
    rows_ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut peak_ticker = tokio::time::interval(PEAK_PERIOD);
    let mut hold_end: Option<Instant> = None;
    let mut last_row_at = start;
    loop {
        let end_of_hold = async {
            match hold_end {
                Some(at) => tokio::time::sleep_until(at).await,
                None => std::future::pending().await,
            }
        };
        tokio::select! {
            Some(event) = events.recv() => {
                interval.record(&event);
                total.record(&event);
                if hold_end.is_none() && total.opened + total.open_failed == plan.sessions {
                    let ramp = start.elapsed();
                    summary.all_open_after_s = Some(round3(ramp.as_secs_f64()));
                    hold_end = Some(Instant::now() + plan.hold);
                    eprintln!(
                        "soak: {} sessions open after {:.1} s ({} failed); holding them for {} s",
                        total.opened,
                        ramp.as_secs_f64(),
                        total.open_failed,
                        plan.hold.as_secs_f64()
                    );
                }
            }
            _ = rows_ticker.tick() => {
                let row = make_row(start, &total, &std::mem::take(&mut interval), &mut meter);
                print_row(&row);
                last_row_at = Instant::now();
                let gone = lab.is_some() && row.lab_rss_mb.is_none();
                rows.push(row);
                if gone {
                    eprintln!("soak: the lab process has ended");
                    summary.lab_gone = true;
                    break;
                }
                if hold_end.is_some() && total.open() == 0 {
                    eprintln!("soak: no session is left open");
                    break;
                }
            }
            _ = peak_ticker.tick() => {
                peak = max(peak, meter.lab_rss_mb());
            }
            _ = end_of_hold => break,
            _ = signals.wait() => {
                eprintln!("soak: interrupted; closing the sessions");
                summary.interrupted = true;
                break;
            }
        }
    }
    summary.wall_s = round3(start.elapsed().as_secs_f64());
    if let Some((cpu, wall)) = meter.lab_cpu_since_start() {
        summary.lab_cpu_s = Some(round3(cpu));
        summary.lab_cpu_pct = Some(percent(cpu, wall));
    }
    // The last, shorter interval, unless a row was printed just now.
    if !summary.lab_gone && last_row_at.elapsed() > Duration::from_millis(100) {
        let row = make_row(start, &total, &std::mem::take(&mut interval), &mut meter);
        print_row(&row);
        rows.push(row);
    }
    summary.lab_rss_mb.end = meter.lab_rss_mb();
    peak = max(peak, summary.lab_rss_mb.end);

    stop.cancel();
    let limit = Instant::now() + CLOSE_LIMIT;
    // Replies in flight at the stop, and the logouts, until every session has ended (the channel
    // closes with the last one).
    loop {
        match tokio::time::timeout_at(limit, events.recv()).await {
            Ok(Some(event)) => total.record(&event),
            Ok(None) => break,
            Err(_) => {
                eprintln!(
                    "soak: {} sessions had not logged out within {CLOSE_LIMIT:?}",
                    total.open()
                );
                tasks.abort_all();
                break;
            }
        }
    }
    while tasks.join_next().await.is_some() {}
    if !summary.lab_gone && lab.is_some() {
        tokio::time::sleep(SETTLE).await;
        summary.lab_rss_mb.after_close = meter.lab_rss_mb();
    }
    summary.lab_rss_mb.peak = peak;
    summary.opened = total.opened;
    summary.open_failed = total.open_failed;
    summary.dropped = total.dropped;
    summary.commands = total.commands();
    summary.errors = total.errors;
    summary.latency_ms = total.latency.percentiles();
    summary.error_examples = std::mem::take(&mut total.examples);
    Held { rows, summary }
}

fn max(a: Option<f64>, b: Option<f64>) -> Option<f64> {
    match (a, b) {
        (Some(a), Some(b)) => Some(a.max(b)),
        (a, b) => a.or(b),
    }
}

/// The row of an interval that ends now.
fn make_row(start: Instant, total: &Tally, interval: &Tally, meter: &mut Meter) -> IntervalRow {
    let reading = meter.read();
    IntervalRow {
        elapsed_s: round3(start.elapsed().as_secs_f64()),
        open: total.open(),
        commands: interval.commands(),
        errors: interval.errors,
        latency_ms: interval.latency.percentiles(),
        lab_rss_mb: reading.lab_rss_mb,
        lab_cpu_pct: reading.lab_cpu_pct,
        soak_cpu_pct: reading.soak_cpu_pct,
    }
}

fn print_row(row: &IntervalRow) {
    let mut out = std::io::stdout().lock();
    let _ = writeln!(out, "{}", row_line(row));
    let _ = out.flush();
}
