//! A device-group upgrade of many CEs managed by the CDM, on the virtual clock (not a test):
//! register the meta file, upgrade the group through the HTTP API, wait for every job (real HTTP
//! downloads from the embedded server), boot everyone, and check every CE runs the new version.
//! Run with `cargo bench -p acnslab --bench upgrade` (`ACNSLAB_BENCH_CES` sets the count; 1000).

use std::fmt::Write as _;
use std::time::{Duration, Instant};

use acnslab::api::Client;
use acnslab::clock::LabClock;
use acnslab::lab::{Lab, LabOptions};
use acnslab::release::Version;
use acnslab::topology::Topology;
use chrono::TimeZone;
use serde_json::json;

fn main() {
    let ces: usize = std::env::var("ACNSLAB_BENCH_CES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1000);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(run(ces));
}

async fn run(ces: usize) {
    let mut text = String::from(
        "lab:\n  base_port: 0\n  boot_seconds: 30\n  prefix: 16\n  durable: false\ndevices:\n  - name: cdm1\n    kind: cdm\n    ip: 10.1.0.5\n",
    );
    for i in 0..ces {
        let _ = write!(
            text,
            "  - name: ce{i}\n    kind: ce\n    ip: 10.1.{}.{}\n    groups: [edge]\n",
            1 + i / 250,
            1 + i % 250
        );
    }
    text.push_str("servers:\n  - name: images\n    ip: 10.1.0.100\n    image_mb: 1\n");
    let dir = tempfile::tempdir().unwrap();
    let mut options = LabOptions::new(dir.path());
    options.cdm_http = Some(acnslab::api::service());
    options.topology = Some(Topology::parse(&text, "bench").unwrap());
    options.clock = Some(LabClock::virtual_at(
        chrono::Utc.with_ymd_and_hms(2026, 11, 26, 9, 0, 0).unwrap(),
    ));
    let t = Instant::now();
    let lab = Lab::start(options).await.unwrap();
    let started = t.elapsed();
    let api = Client::of(&lab.info().devices[0]).unwrap();

    let t = Instant::now();
    let url = "http://10.1.0.100/meta/ACNS-5.2.1-K9-http.meta";
    let (status, file) = api
        .call("POST", "/api/files", Some(json!({ "url": url })))
        .await
        .unwrap();
    assert_eq!(status, 200, "{file}");
    let (status, ids) = api
        .call(
            "POST",
            "/api/upgrades",
            Some(json!({ "file": file["id"], "group": "edge" })),
        )
        .await
        .unwrap();
    assert_eq!(status, 200, "{ids}");
    let jobs_started = t.elapsed();
    loop {
        let (_, jobs) = api.call("GET", "/api/jobs", None).await.unwrap();
        let ended = jobs
            .as_array()
            .unwrap()
            .iter()
            .filter(|j| j["status"].as_str().unwrap().ends_with("Successful"))
            .count();
        if ended == ces {
            break;
        }
        assert!(
            t.elapsed() < Duration::from_secs(600),
            "jobs did not end: {ended} of {ces}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let downloaded = t.elapsed();
    lab.advance(Duration::from_secs(31));
    let total = t.elapsed();
    let upgraded = lab
        .nodes()
        .iter()
        .filter(|n| n.device().state().version == Version::new(5, 2, 1))
        .count();
    assert_eq!(upgraded, ces, "every CE runs 5.2.1 after the boot");
    println!(
        "device-group upgrade of {ces} CEs (1 MB images over HTTP, virtual clock, release build)"
    );
    println!(
        "  lab start                    {:>8.2} s",
        started.as_secs_f64()
    );
    println!(
        "  register + start {ces} jobs  {:>8.2} s",
        jobs_started.as_secs_f64()
    );
    println!(
        "  all downloads + installs     {:>8.2} s",
        downloaded.as_secs_f64()
    );
    println!(
        "  boot + re-register, total    {:>8.2} s   target < 10 s",
        total.as_secs_f64()
    );
}
