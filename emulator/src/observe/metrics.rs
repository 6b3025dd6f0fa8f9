//! The lab's figures ([`Figures`]) in the Prometheus text format (0.0.4), encoded by the
//! `prometheus-client` crate from a registry built afresh at each scrape: the lab's own counters
//! are the source, so nothing here keeps state. The metrics (all prefixed `acnslab_`):
//!
//! | metric | type | labels |
//! |---|---|---|
//! | `devices` | gauge | `kind`, `power` |
//! | `device_ready` | gauge (0/1) | `device`, `kind` |
//! | `ssh_sessions_open` | gauge | `device`, `kind` |
//! | `ssh_sessions_total` | counter | `device`, `kind` |
//! | `commands_total` | counter | `device`, `kind` |
//! | `login_failures_total` | counter | `device`, `kind`, `door` (`ssh`; `web` on CDMs) |
//! | `upgrade_jobs` | gauge | `status` (`proceeding`, `in_progress`, `successful`, `failed`) |
//! | `cms_replication_lag_seconds` | gauge | `standby` |
//! | `lab_clock_seconds`, `lab_clock_speed` | gauge | — |
//!
//! and, without the prefix, the process's figures under the names every Prometheus client
//! library uses (`process_cpu_seconds_total`, `process_resident_memory_bytes`,
//! `process_virtual_memory_bytes`, `process_open_fds`, `process_max_fds`,
//! `process_start_time_seconds`). Samples of a metric come in the order of their labels, so two
//! scrapes of the same lab read the same.

use prometheus_client::encoding::prometheus_text::encode;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::registry::Registry;

use crate::config::DeviceKind;
use crate::counters::LoginDoor;
use crate::device::Power;
use crate::lab::Figures;

use super::process::ProcessFigures;

/// The `Content-Type` of the answer.
pub const CONTENT_TYPE: &str = prometheus_client::encoding::prometheus_text::CONTENT_TYPE;

type Labels = Vec<(&'static str, String)>;
type Gauges = Family<Labels, Gauge>;
type FloatGauges = Family<Labels, Gauge<f64, std::sync::atomic::AtomicU64>>;
type Counters = Family<Labels, Counter>;

fn kind_word(kind: DeviceKind) -> String {
    kind.label().to_ascii_lowercase()
}

/// `figures` and `process` as the text `/metrics` answers.
pub fn render(figures: &Figures, process: &ProcessFigures) -> String {
    let mut root = Registry::default();
    register_process(&mut root, process);
    let registry = root.sub_registry_with_prefix("acnslab");
    let devices = Gauges::default();
    let ready = Gauges::default();
    let open = Gauges::default();
    let sessions = Counters::default();
    let commands = Counters::default();
    let failures = Counters::default();
    let jobs = Gauges::default();
    let lag = FloatGauges::default();
    let clock = Gauge::<f64, std::sync::atomic::AtomicU64>::default();
    let speed = Gauge::<f64, std::sync::atomic::AtomicU64>::default();
    for kind in DeviceKind::ALL {
        for power in Power::ALL {
            let count = figures
                .devices
                .iter()
                .filter(|d| d.kind == kind && d.power == power)
                .count();
            devices
                .get_or_create(&vec![
                    ("kind", kind_word(kind)),
                    ("power", power.word().to_string()),
                ])
                .set(i64::try_from(count).unwrap_or(i64::MAX));
        }
    }
    for d in &figures.devices {
        let labels = vec![("device", d.name.clone()), ("kind", kind_word(d.kind))];
        ready.get_or_create(&labels).set(i64::from(d.ready()));
        open.get_or_create(&labels)
            .set(i64::try_from(d.sessions_open).unwrap_or(i64::MAX));
        sessions.get_or_create(&labels).inc_by(d.counts.sessions);
        commands.get_or_create(&labels).inc_by(d.counts.commands);
        let mut doors = vec![(LoginDoor::Ssh, d.counts.ssh_login_failures)];
        if d.kind == DeviceKind::Cdm {
            doors.push((LoginDoor::Web, d.counts.web_login_failures));
        }
        for (door, count) in doors {
            let mut labels = labels.clone();
            labels.push(("door", door.word().to_string()));
            failures.get_or_create(&labels).inc_by(count);
        }
    }
    for (phase, count) in &figures.jobs {
        jobs.get_or_create(&vec![("status", phase.to_string())])
            .set(i64::try_from(*count).unwrap_or(i64::MAX));
    }
    for standby in &figures.standbys {
        if let Some(seconds) = standby.lag_seconds {
            lag.get_or_create(&vec![("standby", standby.name.clone())])
                .set(seconds);
        }
    }
    clock.set(figures.clock_seconds);
    speed.set(figures.speed);
    registry.register(
        "devices",
        "Devices of the lab by kind and power state",
        devices,
    );
    registry.register(
        "device_ready",
        "Whether the device is up and its SSH port listens (1) or not (0)",
        ready,
    );
    registry.register("ssh_sessions_open", "SSH sessions logged in now", open);
    registry.register(
        "ssh_sessions",
        "SSH sessions opened (successful logins) since the lab started",
        sessions,
    );
    registry.register(
        "commands",
        "Command lines run on the device since the lab started (SSH, console, scenarios, the web GUI's Show Commands)",
        commands,
    );
    registry.register(
        "login_failures",
        "Failed logins since the lab started, by door: ssh, or web (a CDM's web GUI and API)",
        failures,
    );
    registry.register(
        "upgrade_jobs",
        "Upgrade jobs in the primary CDM's database by status",
        jobs,
    );
    registry.register(
        "cms_replication_lag_seconds",
        "Lab seconds since the standby CDM last applied the primary's updates",
        lag,
    );
    registry.register(
        "lab_clock_seconds",
        "The lab clock, in seconds since the Unix epoch",
        clock,
    );
    registry.register(
        "lab_clock_speed",
        "The lab clock's speed factor (1 = real time)",
        speed,
    );
    let mut text = String::new();
    // writing to a String does not fail
    let _ = encode(&mut text, &root);
    with_samples_in_order(&text)
}

/// The process's figures, each under its standard name, those that were read.
fn register_process(registry: &mut Registry, process: &ProcessFigures) {
    type FloatGauge = Gauge<f64, std::sync::atomic::AtomicU64>;
    let float = |value: f64| {
        let gauge = FloatGauge::default();
        gauge.set(value);
        gauge
    };
    let int = |value: u64| {
        let gauge = Gauge::<i64>::default();
        gauge.set(i64::try_from(value).unwrap_or(i64::MAX));
        gauge
    };
    if let Some(seconds) = process.cpu_seconds {
        let cpu = Counter::<f64, std::sync::atomic::AtomicU64>::default();
        cpu.inc_by(seconds);
        registry.register(
            "process_cpu_seconds",
            "Total user and system CPU time spent in seconds",
            cpu,
        );
    }
    let gauges = [
        (
            "process_resident_memory_bytes",
            "Resident memory size in bytes",
            process.resident_bytes,
        ),
        (
            "process_virtual_memory_bytes",
            "Virtual memory size in bytes",
            process.virtual_bytes,
        ),
        (
            "process_open_fds",
            "Number of open file descriptors",
            process.open_fds,
        ),
        (
            "process_max_fds",
            "Maximum number of open file descriptors",
            process.max_fds,
        ),
    ];
    for (name, help, value) in gauges {
        if let Some(value) = value {
            registry.register(name, help, int(value));
        }
    }
    if let Some(start) = process.start_time_seconds {
        registry.register(
            "process_start_time_seconds",
            "Start time of the process since unix epoch in seconds",
            float(start),
        );
    }
}

/// `text` with the samples of each metric sorted (a family keeps its label sets in a hash map,
/// so they came in another order at each scrape); comments and the metrics' order unchanged.
fn with_samples_in_order(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut samples: Vec<&str> = Vec::new();
    let flush = |samples: &mut Vec<&str>, out: &mut String| {
        samples.sort_unstable();
        for sample in samples.drain(..) {
            out.push_str(sample);
            out.push('\n');
        }
    };
    for line in text.lines() {
        if line.starts_with('#') {
            flush(&mut samples, &mut out);
            out.push_str(line);
            out.push('\n');
        } else {
            samples.push(line);
        }
    }
    flush(&mut samples, &mut out);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::counters::Counts;
    use crate::lab::{DeviceFigures, StandbyFigures};

    #[test]
    fn every_figure_becomes_a_sample() {
        let figures = Figures {
            devices: vec![
                DeviceFigures {
                    name: "cdm1".into(),
                    kind: DeviceKind::Cdm,
                    power: Power::Running,
                    listening: true,
                    sessions_open: 2,
                    counts: Counts {
                        sessions: 5,
                        commands: 7,
                        ssh_login_failures: 1,
                        web_login_failures: 3,
                    },
                },
                DeviceFigures {
                    name: "ce1".into(),
                    kind: DeviceKind::Ce,
                    power: Power::Rebooting,
                    listening: false,
                    sessions_open: 0,
                    counts: Counts::default(),
                },
            ],
            jobs: crate::lab::JOB_PHASES
                .iter()
                .map(|p| (*p, u64::from(*p == "failed")))
                .collect(),
            standbys: vec![
                StandbyFigures {
                    name: "cdm2".into(),
                    lag_seconds: Some(12.5),
                },
                StandbyFigures {
                    name: "cdm3".into(),
                    lag_seconds: None,
                },
            ],
            clock_seconds: 1_700_000_000.25,
            speed: 60.0,
        };
        let process = ProcessFigures {
            cpu_seconds: Some(1.5),
            resident_bytes: Some(8_388_608),
            open_fds: Some(12),
            ..ProcessFigures::default()
        };
        let text = render(&figures, &process);
        // the same figures, the same text (samples in the order of their labels)
        assert_eq!(text, render(&figures, &process));
        let ready: Vec<&str> = text
            .lines()
            .filter(|l| l.starts_with("acnslab_device_ready{"))
            .collect();
        assert!(ready.windows(2).all(|w| w[0] <= w[1]), "{ready:?}");
        for line in [
            "# TYPE acnslab_devices gauge",
            r#"acnslab_devices{kind="cdm",power="running"} 1"#,
            r#"acnslab_devices{kind="ce",power="rebooting"} 1"#,
            r#"acnslab_devices{kind="cr",power="running"} 0"#,
            r#"acnslab_device_ready{device="ce1",kind="ce"} 0"#,
            r#"acnslab_ssh_sessions_open{device="cdm1",kind="cdm"} 2"#,
            "# TYPE acnslab_ssh_sessions_total counter",
            r#"acnslab_ssh_sessions_total{device="cdm1",kind="cdm"} 5"#,
            r#"acnslab_commands_total{device="cdm1",kind="cdm"} 7"#,
            r#"acnslab_login_failures_total{device="cdm1",kind="cdm",door="web"} 3"#,
            r#"acnslab_login_failures_total{device="ce1",kind="ce",door="ssh"} 0"#,
            r#"acnslab_upgrade_jobs{status="failed"} 1"#,
            r#"acnslab_upgrade_jobs{status="in_progress"} 0"#,
            r#"acnslab_cms_replication_lag_seconds{standby="cdm2"} 12.5"#,
            "acnslab_lab_clock_speed 60.0",
            "# TYPE process_cpu_seconds_total counter",
            "process_cpu_seconds_total 1.5",
            "process_resident_memory_bytes 8388608",
            "process_open_fds 12",
        ] {
            assert!(text.lines().any(|l| l == line), "no {line:?} in\n{text}");
        }
        assert!(
            !text.contains("process_max_fds"),
            "a figure not read is left out\n{text}"
        );
        assert!(
            !text.contains("cdm3"),
            "a standby never in sync has no lag\n{text}"
        );
        assert!(
            !text.contains(r#"device="ce1",kind="ce",door="web""#),
            "only CDMs have a web door\n{text}"
        );
    }
}
