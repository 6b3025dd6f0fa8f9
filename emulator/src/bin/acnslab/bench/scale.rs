//! `acnslab bench --scale N1,N2,...`: the bench once per size, each a new process of this binary
//! (`bench --devices N --json FILE`, so no size inherits the heap of another), then one table of
//! the start and resume times per device at each size and the ratio of each size's times to the
//! first's, beside the ratio of the sizes (what a linear start gives).

use std::path::Path;
use std::process::{Command, Stdio};

use serde::{Deserialize, Serialize};

use super::figures::{BenchReport, StartFigures};
use super::lab::addressing_word;
use super::BenchArgs;
use crate::measure::percentiles::round3;

/// The figures of every size, as `--json` writes them.
#[derive(Debug, Serialize, Deserialize)]
pub struct ScaleReport {
    pub sizes: Vec<BenchReport>,
}

pub(super) fn run_scale(args: &BenchArgs) -> Result<(), String> {
    // the children's figures, removed afterwards
    let work = std::env::temp_dir().join(format!("acnslab-bench-scale-{}", std::process::id()));
    std::fs::create_dir_all(&work).map_err(|e| format!("{}: {e}", work.display()))?;
    let measured: Result<Vec<BenchReport>, String> = args
        .scale
        .iter()
        .map(|&devices| {
            eprintln!("bench --scale: {devices} devices");
            one_size(args, devices, &work)
        })
        .collect();
    let _ = std::fs::remove_dir_all(&work);
    let sizes = measured?;
    print!("{}", table(&sizes));
    if let Some(path) = &args.json {
        let json = serde_json::to_vec_pretty(&ScaleReport { sizes }).map_err(|e| e.to_string())?;
        std::fs::write(path, json).map_err(|e| format!("{}: {e}", path.display()))?;
    }
    Ok(())
}

/// `acnslab bench` of `devices` devices in a new process; its figures.
fn one_size(args: &BenchArgs, devices: usize, work: &Path) -> Result<BenchReport, String> {
    let exe = std::env::current_exe().map_err(|e| e.to_string())?;
    let json = work.join(format!("bench-{devices}.json"));
    let mut command = Command::new(exe);
    command
        .arg("bench")
        .args(["--devices", &devices.to_string()])
        .args(["--base-port", &args.base_port.to_string()])
        .args(["--sessions", &args.sessions.to_string()])
        .args(["--concurrency", &args.concurrency.to_string()])
        .args(["--commands", &args.commands.to_string()])
        .args(["--max-seconds", &args.max_seconds.to_string()])
        .args(["--addressing", addressing_word(args.addressing)])
        .arg("--json")
        .arg(&json)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::inherit());
    if let Some(dir) = &args.state_dir {
        command
            .arg("--state-dir")
            .arg(dir.join(format!("n{devices}")));
    }
    if args.keep_state {
        command.arg("--keep-state");
    }
    let status = command
        .status()
        .map_err(|e| format!("bench --scale: {e}"))?;
    if !status.success() {
        return Err(format!(
            "bench --scale: the bench of {devices} devices failed ({status})"
        ));
    }
    let bytes = std::fs::read(&json).map_err(|e| format!("{}: {e}", json.display()))?;
    serde_json::from_slice(&bytes).map_err(|e| format!("{}: {e}", json.display()))
}

/// Milliseconds per device of a start.
fn per_device_ms(start: &StartFigures) -> f64 {
    round3(start.wall_s * 1000.0 / start.devices.max(1) as f64)
}

/// `a / b` as `8.1x`, `-` when either is missing or zero.
fn ratio(a: Option<f64>, b: Option<f64>) -> String {
    match (a, b) {
        (Some(a), Some(b)) if a > 0.0 && b > 0.0 => format!("{:.1}x", a / b),
        _ => "-".into(),
    }
}

/// `ms` of server CPU with three decimals, `-` when not measured.
fn cpu_ms(ms: Option<f64>) -> String {
    ms.map_or("-".into(), |ms| format!("{ms:.3}"))
}

/// One row per size: start and resume, wall (cpu), per device, RSS per device, the lab's CPU per
/// sequential session and per command of the concurrent sessions, errors; then the ratio of each
/// size's wall times to the first size's, beside the ratio of the sizes.
pub fn table(sizes: &[BenchReport]) -> String {
    let mut out = format!(
        "{:>8}  {:>18}  {:>10}  {:>18}  {:>10}  {:>13}  {:>14}  {:>14}  {:>6}\n",
        "devices",
        "fresh s (cpu s)",
        "ms/device",
        "resume s (cpu s)",
        "ms/device",
        "KiB/device",
        "cpu ms/session",
        "cpu ms/command",
        "errors"
    );
    for r in sizes {
        let fresh = &r.fresh_start;
        let (resume, resume_per, resume_kib) = match &r.resume {
            Some(res) => (
                format!("{:.3} ({:.3})", res.wall_s, res.cpu_s),
                format!("{:.3}", per_device_ms(res)),
                format!("{:.1}", res.rss_kb_per_device),
            ),
            None => ("failed".into(), "-".into(), "-".into()),
        };
        let errors: usize = r.sequential.client.errors.values().sum::<usize>()
            + r.concurrent.client.errors.values().sum::<usize>();
        out.push_str(&format!(
            "{:>8}  {:>18}  {:>10}  {:>18}  {:>10}  {:>13}  {:>14}  {:>14}  {:>6}\n",
            r.devices,
            format!("{:.3} ({:.3})", fresh.wall_s, fresh.cpu_s),
            format!("{:.3}", per_device_ms(fresh)),
            resume,
            resume_per,
            format!("{:.1} / {resume_kib}", fresh.rss_kb_per_device),
            cpu_ms(r.sequential.server_cpu.ms_per_session),
            cpu_ms(r.concurrent.server_cpu_commands.ms_per_command),
            errors
        ));
    }
    if let Some(first) = sizes.first() {
        for r in &sizes[1..] {
            let resume = |b: &BenchReport| b.resume.as_ref().map(|s| s.wall_s);
            out.push_str(&format!(
                "{} / {} devices ({}): fresh start {}, resume {} (linear: the ratio of the sizes)\n",
                r.devices,
                first.devices,
                ratio(Some(r.devices as f64), Some(first.devices as f64)),
                ratio(Some(r.fresh_start.wall_s), Some(first.fresh_start.wall_s)),
                ratio(resume(r), resume(first)),
            ));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn report(devices: usize, fresh: f64, resume: Option<f64>) -> BenchReport {
        let start = |wall_s| StartFigures {
            devices,
            wall_s,
            cpu_s: wall_s / 2.0,
            rss_kb_per_device: 5.0,
            ..StartFigures::default()
        };
        let mut report = BenchReport {
            devices,
            fresh_start: start(fresh),
            resume: resume.map(start),
            ..BenchReport::default()
        };
        report.sequential.server_cpu.ms_per_session = Some(0.4125);
        report
    }

    #[test]
    fn the_table_has_a_row_per_size_and_the_ratios_to_the_first() {
        let text = table(&[report(1_000, 0.5, Some(0.25)), report(10_000, 4.0, None)]);
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), 4, "{text}");
        assert!(
            lines[1].contains("0.500 (0.250)") && lines[1].contains("0.500"),
            "{text}"
        );
        assert!(lines[0].contains("cpu ms/session") && lines[0].contains("cpu ms/command"));
        assert!(
            lines[1].contains("0.412") || lines[1].contains("0.413"),
            "{text}"
        );
        assert!(lines[2].contains("failed"), "{text}");
        assert!(
            lines[3].starts_with("10000 / 1000 devices (10.0x): fresh start 8.0x, resume -"),
            "{text}"
        );
    }
}
