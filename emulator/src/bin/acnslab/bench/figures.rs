//! What `acnslab bench` measures (latency percentiles, memory, CPU time, the figures of each
//! phase) and the table it prints.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::measure::percentiles::{round3, Percentiles};
use crate::measure::process::Process;

/// Memory of this process, KiB.
#[derive(Clone, Copy, Debug, Default, Serialize, Deserialize)]
pub struct Memory {
    pub rss_kb: u64,
    /// `None` where /proc/self/smaps_rollup is missing.
    pub pss_kb: Option<u64>,
}

impl Memory {
    pub fn now() -> Self {
        Memory {
            rss_kb: Process::Current.rss_kb().unwrap_or(0),
            pss_kb: Process::Current.pss_kb(),
        }
    }
}

/// A lab start: wall time and memory before and after.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct StartFigures {
    pub devices: usize,
    pub wall_s: f64,
    pub cpu_s: f64,
    pub before: Memory,
    /// Right after the start returned and the listener tasks ran once (idle lab).
    pub after: Memory,
    pub rss_kb_per_device: f64,
    pub pss_kb_per_device: Option<f64>,
}

impl StartFigures {
    pub(super) fn new(
        devices: usize,
        wall_s: f64,
        cpu_s: f64,
        before: Memory,
        after: Memory,
    ) -> Self {
        let per = |a: u64, b: u64| round3((a as f64 - b as f64) / devices.max(1) as f64);
        StartFigures {
            devices,
            wall_s: round3(wall_s),
            cpu_s: round3(cpu_s),
            before,
            after,
            rss_kb_per_device: per(after.rss_kb, before.rss_kb),
            pss_kb_per_device: after.pss_kb.zip(before.pss_kb).map(|(a, b)| per(a, b)),
        }
    }
}

/// What a client child reports (one phase).
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct ClientReport {
    pub sessions_attempted: usize,
    pub sessions_ok: usize,
    pub errors: BTreeMap<String, usize>,
    pub error_examples: Vec<String>,
    /// TCP connect + key exchange + password authentication.
    pub connect_auth_ms: Percentiles,
    /// Channel, pty, shell, until the first prompt.
    pub first_prompt_ms: Percentiles,
    /// From the start of the TCP connect to the end of the first `show version` output (prompt).
    pub connect_to_show_version_ms: Percentiles,
    /// Concurrent phase: new sessions opened one after the other (connect to the end of `show
    /// version`) while the C sessions are open.
    pub probe_connect_to_show_version_ms: Percentiles,
    /// Sequential phase: the whole session including the disconnect.
    pub session_ms: Percentiles,
    /// Every timed `show version`, send to prompt.
    pub command_ms: Percentiles,
    pub commands_ok: usize,
    /// Concurrent phase: wall time of the command part (all sessions ready, then K commands each).
    pub command_phase_s: f64,
    pub commands_per_s: f64,
    pub wall_s: f64,
    /// The client process's own CPU time.
    pub client_cpu_s: f64,
    pub stopped_by_deadline: bool,
}

/// Server CPU of a phase, measured in the lab process.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct ServerCpu {
    pub total_s: f64,
    pub ms_per_session: Option<f64>,
    pub ms_per_command: Option<f64>,
}

/// The figures of the sequential phase.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct SequentialFigures {
    pub client: ClientReport,
    /// Each session: connect, auth, shell, prompt, one `show version`, disconnect.
    pub server_cpu: ServerCpu,
}

/// The figures of the concurrent phase.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct ConcurrentFigures {
    pub concurrency: usize,
    pub commands_per_session: usize,
    pub client: ClientReport,
    /// Opening the C sessions (each up to and including its first `show version`) and closing them.
    pub server_cpu_sessions: ServerCpu,
    /// The C x K commands once all sessions were open.
    pub server_cpu_commands: ServerCpu,
    /// The probe sessions (connect .. `show version` .. disconnect) while the C sessions were open.
    pub server_cpu_probes: ServerCpu,
}

/// Everything `acnslab bench` measures.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct BenchReport {
    pub devices: usize,
    pub base_port: u16,
    pub cores: usize,
    pub fresh_start: StartFigures,
    pub idle_after_load: Memory,
    pub sequential: SequentialFigures,
    pub concurrent: ConcurrentFigures,
    /// Second start of the same state directory, in a new process.
    pub resume: Option<StartFigures>,
}

fn ms(x: Option<f64>) -> String {
    x.map(|v| format!("{v:.3} ms"))
        .unwrap_or_else(|| "-".into())
}

fn kb(x: f64) -> String {
    format!("{x:.1} KiB")
}

/// The figures as a plain two-column table.
pub fn table(r: &BenchReport) -> String {
    let mut rows: Vec<(String, String)> = Vec::new();
    let mut row = |k: &str, v: String| rows.push((k.to_string(), v));
    let f = &r.fresh_start;
    row("devices", format!("{} ({} cores)", r.devices, r.cores));
    row("fresh start, wall", format!("{:.3} s", f.wall_s));
    row("fresh start, cpu", format!("{:.3} s", f.cpu_s));
    row(
        "RSS before / after start",
        format!("{} / {} KiB", f.before.rss_kb, f.after.rss_kb),
    );
    row("RSS per device", kb(f.rss_kb_per_device));
    if let (Some(b), Some(a), Some(p)) = (f.before.pss_kb, f.after.pss_kb, f.pss_kb_per_device) {
        row("PSS before / after start", format!("{b} / {a} KiB"));
        row("PSS per device", kb(p));
    }
    if let Some(res) = &r.resume {
        row("resume start, wall", format!("{:.3} s", res.wall_s));
        row("resume start, cpu", format!("{:.3} s", res.cpu_s));
        row(
            "resume RSS before / after",
            format!("{} / {} KiB", res.before.rss_kb, res.after.rss_kb),
        );
        row("resume RSS per device", kb(res.rss_kb_per_device));
        if let Some(p) = res.pss_kb_per_device {
            row("resume PSS per device", kb(p));
        }
    } else {
        row("resume", "failed (see stderr)".into());
    }
    row(
        "RSS after the load (sessions closed)",
        format!("{} KiB", r.idle_after_load.rss_kb),
    );
    let s = &r.sequential;
    row(
        "sequential sessions ok / attempted",
        format!("{} / {}", s.client.sessions_ok, s.client.sessions_attempted),
    );
    let p = &s.client.connect_to_show_version_ms;
    row(
        "sequential connect..show version p50 / p99",
        format!("{:.3} / {:.3} ms", p.p50, p.p99),
    );
    let p = &s.client.session_ms;
    row(
        "sequential whole session p50 / p99",
        format!("{:.3} / {:.3} ms", p.p50, p.p99),
    );
    let p = &s.client.connect_auth_ms;
    row(
        "sequential connect+auth p50 / p99",
        format!("{:.3} / {:.3} ms", p.p50, p.p99),
    );
    row(
        "server cpu per session (seq)",
        ms(s.server_cpu.ms_per_session),
    );
    let c = &r.concurrent;
    row(
        "concurrent sessions ok / attempted",
        format!(
            "{} / {} (x {} commands)",
            c.client.sessions_ok, c.client.sessions_attempted, c.commands_per_session
        ),
    );
    let p = &c.client.connect_to_show_version_ms;
    row(
        "concurrent connect..show version p50 / p99",
        format!("{:.3} / {:.3} ms", p.p50, p.p99),
    );
    let p = &c.client.probe_connect_to_show_version_ms;
    row(
        "new session while C open: connect..show version p50 / p99",
        format!("{:.3} / {:.3} ms (n={})", p.p50, p.p99, p.n),
    );
    let p = &c.client.command_ms;
    row(
        "concurrent show version p50 / p99",
        format!("{:.3} / {:.3} ms", p.p50, p.p99),
    );
    row(
        "concurrent commands per second",
        format!(
            "{} ({} in {:.3} s)",
            c.client.commands_per_s, c.client.commands_ok, c.client.command_phase_s
        ),
    );
    row(
        "server cpu per session (conc)",
        ms(c.server_cpu_sessions.ms_per_session),
    );
    row(
        "server cpu per show version (conc)",
        ms(c.server_cpu_commands.ms_per_command),
    );
    row(
        "client cpu (seq / conc)",
        format!(
            "{:.3} / {:.3} s",
            s.client.client_cpu_s, c.client.client_cpu_s
        ),
    );
    let errors: usize =
        s.client.errors.values().sum::<usize>() + c.client.errors.values().sum::<usize>();
    row("errors", errors.to_string());
    let width = rows.iter().map(|(k, _)| k.len()).max().unwrap_or(0);
    let mut out = String::new();
    for (k, v) in rows {
        out.push_str(&format!("{k:<width$}  {v}\n"));
    }
    for example in s
        .client
        .error_examples
        .iter()
        .chain(&c.client.error_examples)
    {
        out.push_str(&format!("  error: {example}\n"));
    }
    out
}
