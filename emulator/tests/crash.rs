//! A process killed with SIGKILL in the middle of CMS work never leaves a database that fails
//! validation, nor a backup under its final name that does not restore. The test runs itself as a
//! child process that loops over backups, replication batches and writes, kills it at several
//! moments, and checks what is left on disk.

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;

use acnslab::cms::replication::{apply_reply, position, serve, UpdateRequest};
use acnslab::cms::{dump, Cms, DeviceRow};
use acnslab::release::{Schema, Version};

const CHILD_ENV: &str = "ACNSLAB_CRASH_CHILD_DIR";

fn row(i: usize, round: usize) -> DeviceRow {
    DeviceRow {
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
        last_seen: round.to_string(),
    }
}

/// The child: works on the databases in `dir` until killed.
fn child(dir: &Path) -> ! {
    let mut primary = Cms::open(&dir.join("primary.db")).unwrap();
    let mut standby = Cms::open(&dir.join("standby.db")).unwrap();
    if !primary.exists() {
        primary.create(Schema(5, 1), "t").unwrap();
    }
    if !standby.exists() {
        standby.create(Schema(5, 1), "t").unwrap();
    }
    for round in 0.. {
        let rows = (0..300).map(|i| {
            serde_json::to_value(row(i, round))
                .unwrap()
                .as_object()
                .unwrap()
                .clone()
        });
        primary.put_many("devices", rows).unwrap();
        primary.upsert_device(&row(round % 300, round + 1)).unwrap();
        let (epoch, applied) = position(&standby).unwrap();
        let reply = serve(
            &primary,
            &UpdateRequest {
                epoch,
                applied,
                full: round.is_multiple_of(5),
            },
        )
        .unwrap();
        apply_reply(&mut standby, &reply).unwrap();
        primary
            .backup(&dir.join("backup.dump"), Version::new(5, 1, 3), "t")
            .unwrap();
    }
    unreachable!()
}

#[test]
fn sigkill_during_writes_backups_and_replication_leaves_valid_databases() {
    if let Ok(dir) = std::env::var(CHILD_ENV) {
        child(Path::new(&dir));
    }
    let dir = tempfile::tempdir().unwrap();
    let exe = std::env::current_exe().unwrap();
    let mut saw_backup = false;
    for (round, delay_ms) in [150u64, 420, 777, 1003, 1500].into_iter().enumerate() {
        let mut child = Command::new(&exe)
            .args([
                "--exact",
                "crash::sigkill_during_writes_backups_and_replication_leaves_valid_databases",
                "--nocapture",
            ])
            .env(CHILD_ENV, dir.path())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        std::thread::sleep(Duration::from_millis(delay_ms));
        child.kill().unwrap(); // SIGKILL
        child.wait().unwrap();
        for db in ["primary.db", "standby.db"] {
            let path = dir.path().join(db);
            if !path.exists() {
                continue; // killed before it was first renamed into place
            }
            let cms = Cms::open(&path).unwrap();
            assert_eq!(cms.validate().unwrap(), Schema(5, 1), "round {round}: {db}");
        }
        let backup = dir.path().join("backup.dump");
        saw_backup |= backup.exists();
        if backup.exists() {
            let bytes = std::fs::read(&backup).unwrap();
            dump::decode(&bytes).unwrap_or_else(|e| {
                panic!("round {round}: backup under its final name is bad: {e}")
            });
        }
        // the standby never holds a change the primary does not have
        let primary = Cms::open(&dir.path().join("primary.db")).unwrap();
        let standby = Cms::open(&dir.path().join("standby.db")).unwrap();
        if primary.exists() && standby.exists() {
            let (_, applied) = position(&standby).unwrap();
            assert!(applied <= primary.last_seq().unwrap(), "round {round}");
        }
    }
    // the child really worked: rows, replicated rows and a backup are there
    let primary = Cms::open(&dir.path().join("primary.db")).unwrap();
    let standby = Cms::open(&dir.path().join("standby.db")).unwrap();
    assert!(primary.count("devices").unwrap() > 0);
    assert!(standby.count("devices").unwrap() > 0);
    assert!(saw_backup);
}
