//! CMS database figures (not a test): backup and restore of a database holding 10,000 devices, and
//! replication of 10,000 changes to a standby. Run with `cargo bench -p acnslab --bench cms`.

use std::time::Instant;

use acnslab::cms::replication::{apply_reply, position, serve, UpdateRequest};
use acnslab::cms::{Cms, DeviceRow};
use acnslab::release::{Schema, Version};

const DEVICES: usize = 10_000;

fn rows(round: usize) -> impl Iterator<Item = serde_json::Map<String, serde_json::Value>> {
    (0..DEVICES).map(move |i| {
        let row = DeviceRow {
            name: format!("ce{i:05}"),
            kind: "CE".into(),
            ip: format!("10.{}.{}.{}", i / 65536, (i / 256) % 256, i % 256),
            version: "5.1.3".into(),
            status: if round.is_multiple_of(2) {
                "Online"
            } else {
                "Offline"
            }
            .into(),
            last_seen: format!("2026-11-26T09:00:{:02}Z", round % 60),
        };
        serde_json::to_value(row)
            .unwrap()
            .as_object()
            .unwrap()
            .clone()
    })
}

fn main() {
    let dir = tempfile::tempdir().unwrap();
    let mut primary = Cms::open(&dir.path().join("primary.db")).unwrap();
    primary.create(Schema(5, 1), "bench").unwrap();
    let t = Instant::now();
    primary.put_many("devices", rows(0)).unwrap();
    let fill = t.elapsed();

    let dump = dir.path().join("bench.dump");
    let t = Instant::now();
    let size = primary
        .backup(&dump, Version::new(5, 1, 3), "bench")
        .unwrap();
    let backup = t.elapsed();

    let mut restored = Cms::open(&dir.path().join("restored.db")).unwrap();
    let t = Instant::now();
    restored.restore(&dump).unwrap();
    let restore = t.elapsed();
    assert_eq!(restored.count("devices").unwrap(), DEVICES as u64);

    // standby in sync with the first 10,000 changes, then 10,000 more on the primary
    let mut standby = Cms::open(&dir.path().join("standby.db")).unwrap();
    standby.create(Schema(5, 1), "bench").unwrap();
    let (epoch, applied) = position(&standby).unwrap();
    apply_reply(
        &mut standby,
        &serve(
            &primary,
            &UpdateRequest {
                epoch,
                applied,
                full: false,
            },
        )
        .unwrap(),
    )
    .unwrap();
    primary.put_many("devices", rows(1)).unwrap();
    let t = Instant::now();
    let (epoch, applied) = position(&standby).unwrap();
    let reply = serve(
        &primary,
        &UpdateRequest {
            epoch,
            applied,
            full: false,
        },
    )
    .unwrap();
    let served = t.elapsed();
    let n = apply_reply(&mut standby, &reply).unwrap();
    let replicate = t.elapsed();
    assert_eq!(n, DEVICES);
    assert_eq!(standby.devices().unwrap(), primary.devices().unwrap());

    println!("CMS database with {DEVICES} devices (release build, SQLite synchronous=FULL)");
    println!(
        "  fill (one transaction)       {:>9.1} ms",
        fill.as_secs_f64() * 1e3
    );
    println!(
        "  backup  ({:>6} KB dump)     {:>9.1} ms   target < 1000 ms",
        size / 1024,
        backup.as_secs_f64() * 1e3
    );
    println!(
        "  restore (checked, renamed)   {:>9.1} ms   target < 1000 ms",
        restore.as_secs_f64() * 1e3
    );
    println!(
        "  replicate {n} changes       {:>9.1} ms   ({:.0} changes/s; read on primary {:.1} ms)   target > 50000/s",
        replicate.as_secs_f64() * 1e3,
        n as f64 / replicate.as_secs_f64(),
        served.as_secs_f64() * 1e3
    );
}
