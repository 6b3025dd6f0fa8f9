//! The lab's health and metrics port (base port + 300 in the default lab): `/healthz` answers 200
//! while every device is up and listening and 503 naming a device that reloads, then 200 again;
//! `/metrics`, read with Prometheus's own text-format parser, counts the lab's devices, sessions,
//! commands and failed logins (SSH and the CDM's API) as they happen, upgrade jobs by status, the
//! standby's replication lag and the lab clock.

use std::net::SocketAddr;
use std::time::Duration;

use acnslab_tests::{
    deploy_python, free_base_port, http_get, run_client_within, ssh_exec, ssh_exec_at, wait_for,
    LabProcess, Terminal, CLIENT_TIMEOUT, USERNAME,
};
use serde_json::Value;

const CE1: u16 = 2;

fn local(port: u16) -> SocketAddr {
    SocketAddr::from(([127, 0, 0, 1], port))
}

/// `/healthz`: (status, JSON).
fn healthz(port: u16) -> (u16, Value) {
    let (status, body) = http_get(local(port), &format!("127.0.0.1:{port}"), "/healthz", None)
        .expect("GET /healthz");
    let json = serde_json::from_str(&body).unwrap_or_else(|e| panic!("{e}: {body}"));
    (status, json)
}

/// `/metrics` as Prometheus's parser reads it.
struct Metrics {
    types: Value,
    samples: Vec<(String, Value, Option<f64>)>,
    text: String,
}

impl Metrics {
    fn scrape(port: u16, dir: &std::path::Path) -> Metrics {
        let (status, text) = http_get(local(port), &format!("127.0.0.1:{port}"), "/metrics", None)
            .expect("GET /metrics");
        assert_eq!(status, 200, "{text}");
        let file = dir.join("metrics.txt");
        std::fs::write(&file, &text).unwrap();
        let parsed = run_client_within(
            &deploy_python(),
            "parse_metrics.py",
            &[file.display().to_string()],
            CLIENT_TIMEOUT,
        );
        let samples = parsed["samples"]
            .as_array()
            .expect("samples")
            .iter()
            .map(|s| {
                (
                    s[0].as_str().unwrap().to_string(),
                    s[1].clone(),
                    s[2].as_f64(),
                )
            })
            .collect();
        Metrics {
            types: parsed["types"].clone(),
            samples,
            text,
        }
    }

    /// The value of the sample `name` whose labels include `labels`.
    fn value(&self, name: &str, labels: &[(&str, &str)]) -> f64 {
        self.samples
            .iter()
            .find(|(n, l, _)| n == name && labels.iter().all(|(k, v)| l[*k] == *v))
            .and_then(|(_, _, v)| *v)
            .unwrap_or_else(|| panic!("no {name} {labels:?} in\n{}", self.text))
    }
}

#[test]
fn healthz_and_metrics_follow_the_lab() {
    let temp = tempfile::tempdir().unwrap();
    let dir = temp.path().join("state");
    let base = free_base_port(5);
    // a reboot long enough to be seen, short enough to wait for
    let lab = LabProcess::start(&dir, base, 5, &["--boot-seconds", "3"]);
    let health = base + 300;
    let info: Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("lab.json")).unwrap()).unwrap();
    assert_eq!(info["health"], format!("127.0.0.1:{health}"), "{info:#}");

    let (status, json) = healthz(health);
    assert_eq!(status, 200, "{json:#}");
    assert_eq!(json["status"], "ok");
    assert_eq!(
        (json["devices"].as_u64(), json["ready"].as_u64()),
        (Some(5), Some(5))
    );

    let m = Metrics::scrape(health, temp.path());
    assert_eq!(m.types["acnslab_devices"], "gauge", "{}", m.text);
    assert_eq!(m.types["acnslab_commands"], "counter", "{}", m.text);
    assert_eq!(
        m.value("acnslab_devices", &[("kind", "ce"), ("power", "running")]),
        2.0
    );
    assert_eq!(
        m.value("acnslab_devices", &[("kind", "cdm"), ("power", "running")]),
        2.0
    );
    assert_eq!(m.value("acnslab_device_ready", &[("device", "cr1")]), 1.0);
    for phase in ["proceeding", "in_progress", "successful", "failed"] {
        assert_eq!(m.value("acnslab_upgrade_jobs", &[("status", phase)]), 0.0);
    }
    let lag = m.value(
        "acnslab_cms_replication_lag_seconds",
        &[("standby", "cdm2")],
    );
    assert!(lag >= 0.0, "{lag}");
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs_f64();
    let clock = m.value("acnslab_lab_clock_seconds", &[]);
    assert!((clock - now).abs() < 3600.0, "lab clock {clock}, now {now}");

    // a command over SSH: one session, one command; a wrong password: a failed SSH login
    let ce1 = [("device", "ce1")];
    let ssh_fail = [("device", "ce1"), ("door", "ssh")];
    let (sessions, commands, failures) = (
        m.value("acnslab_ssh_sessions_total", &ce1),
        m.value("acnslab_commands_total", &ce1),
        m.value("acnslab_login_failures_total", &ssh_fail),
    );
    let run = ssh_exec(lab.port(CE1), "show version");
    assert_eq!(run.code(), 0, "{}", run.describe());
    let run = ssh_exec_at(
        "127.0.0.1",
        lab.port(CE1),
        "not-the-password",
        "show version",
    );
    assert_ne!(run.code(), 0, "{}", run.describe());
    // the CDM's API with a wrong password: a failed web login of cdm1
    let web_fail = [("device", "cdm1"), ("door", "web")];
    let web_failures = m.value("acnslab_login_failures_total", &web_fail);
    let (status, body) = http_get(
        local(base + 100),
        &format!("127.0.0.1:{}", base + 100),
        "/api/devices",
        Some((USERNAME, "not-the-password")),
    )
    .unwrap();
    assert_eq!(status, 401, "{body}");

    let m = Metrics::scrape(health, temp.path());
    assert_eq!(m.value("acnslab_ssh_sessions_total", &ce1), sessions + 1.0);
    assert_eq!(m.value("acnslab_commands_total", &ce1), commands + 1.0);
    assert!(
        m.value("acnslab_login_failures_total", &ssh_fail) > failures,
        "{}",
        m.text
    );
    assert_eq!(
        m.value("acnslab_login_failures_total", &web_fail),
        web_failures + 1.0
    );

    // a reload: 503 naming the device while it boots, then 200 again
    let mut term = Terminal::open(lab.port(CE1), "ce1#");
    term.send("reload\r");
    term.expect_end("Proceed with reload?[confirm]");
    term.send("\r");
    term.wait_closed();
    let mut seen = Value::Null;
    let down = wait_for(Duration::from_secs(30), || {
        let (status, json) = healthz(health);
        let named = json["not_ready"]
            .as_array()
            .is_some_and(|d| d.iter().any(|d| d["name"] == "ce1"));
        seen = json;
        status == 503 && named
    });
    assert!(down, "/healthz never named the reloading ce1: {seen:#}");
    assert_eq!(seen["status"], "unavailable", "{seen:#}");
    assert_eq!(
        seen["not_ready"].as_array().map(Vec::len),
        Some(1),
        "{seen:#}"
    );
    let up = wait_for(Duration::from_secs(60), || healthz(health).0 == 200);
    assert!(
        up,
        "/healthz stayed 503 after the reboot: {:#}",
        healthz(health).1
    );
    let m = Metrics::scrape(health, temp.path());
    assert_eq!(m.value("acnslab_device_ready", &ce1), 1.0);

    let (status, _, stderr) = lab.stop();
    assert!(status.success(), "{stderr}");
}
