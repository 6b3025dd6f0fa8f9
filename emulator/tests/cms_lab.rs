//! The CMS side of the upgrade guide, in a real lab (real SQLite files, real state directory) on a
//! virtual clock: registration, the standby's replication and its version rule, partitions, and the
//! CDM database procedures typed as CLI lines. Sessions are driven directly (the SSH path is
//! covered by the end-to-end tests); polling intervals and reboots cost no wall time here.

use std::time::Duration;

use acnslab::clock::LabClock;
use acnslab::cms::{Cms, DeviceRow};
use acnslab::lab::{Lab, LabOptions};
use acnslab::release::{Schema, Version};
use acnslab::session::Action;
use acnslab::topology::Topology;
use chrono::TimeZone;

const POLL: Duration = Duration::from_secs(300);

fn topology(cdm1: &str, cdm2: &str, ce: &str) -> Topology {
    let text = format!(
        "lab:\n  base_port: 0\n  boot_seconds: 30\ndevices:\n  - name: cdm1\n    kind: cdm\n    role: primary\n    ip: 10.1.1.5\n    version: {cdm1}\n  - name: cdm2\n    kind: cdm\n    role: standby\n    ip: 10.1.1.6\n    version: {cdm2}\n  - name: ce1\n    kind: ce\n    ip: 10.1.1.10\n    version: {ce}\n  - name: cr1\n    kind: cr\n    ip: 10.1.1.20\n    version: {ce}\n"
    );
    Topology::parse(&text, "test").unwrap()
}

async fn lab(dir: &std::path::Path, t: Topology) -> Lab {
    let mut options = LabOptions::new(dir);
    options.cdm_http = Some(acnslab::api::service());
    options.topology = Some(t);
    options.clock = Some(LabClock::virtual_at(
        chrono::Utc.with_ymd_and_hms(2026, 11, 26, 9, 0, 0).unwrap(),
    ));
    Lab::start(options).await.unwrap()
}

/// Runs a long task through the common driver to its end, on a runtime of its own (the tests
/// here type lines synchronously); returns what it printed.
fn run_task(node: &std::sync::Arc<acnslab::lab::Node>, task: acnslab::tasks::Task) -> String {
    std::thread::scope(|scope| {
        scope
            .spawn(|| {
                let runtime = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                    .unwrap();
                let mut out = String::new();
                runtime.block_on(acnslab::driver::run_task(
                    task,
                    node.device(),
                    Some(node.lab()),
                    &mut |t: &str| out.push_str(t),
                ));
                out
            })
            .join()
            .unwrap()
    })
}

/// Types `lines` into a new admin session on `device`; returns everything printed. A long task
/// (`cms database backup`) and a reload are carried out as the SSH edge would.
fn cli(lab: &Lab, device: &str, lines: &[&str]) -> String {
    let node = lab.node(device).unwrap();
    let mut session = node.session("admin", 15, "test");
    let mut out = String::new();
    for line in lines {
        let reply = session.execute(line);
        out.push_str(&reply.text);
        if let Action::Run(task) = reply.action.clone() {
            out.push_str(&run_task(node, task));
        }
        out.push_str(&session.prompt());
        if reply.action == Action::Reload {
            node.reload();
            break;
        }
    }
    drop(session);
    lab.settle();
    out
}

fn status(lab: &Lab, cdm: &str, device: &str) -> Option<String> {
    let node = lab.node(cdm).unwrap();
    let state = node.device().state();
    state.cms.as_ref()?.device(device).ok()?.map(|r| r.status)
}

fn rows(lab: &Lab, cdm: &str) -> Vec<DeviceRow> {
    let state = lab.node(cdm).unwrap().device().state();
    state.cms.as_ref().unwrap().devices().unwrap()
}

/// A change only the primary makes: a new device group row.
fn change_on_primary(lab: &Lab, name: &str) {
    let node = lab.node("cdm1").unwrap();
    let mut state = node.device().state();
    let mut row = serde_json::Map::new();
    row.insert("name".into(), name.into());
    row.insert("description".into(), "test".into());
    state
        .cms
        .as_mut()
        .unwrap()
        .put("device_groups", row)
        .unwrap();
}

fn groups(lab: &Lab, cdm: &str) -> Vec<String> {
    let state = lab.node(cdm).unwrap().device().state();
    let rows = state.cms.as_ref().unwrap().rows("device_groups").unwrap();
    rows.iter()
        .map(|r| r["name"].as_str().unwrap().to_string())
        .collect()
}

#[tokio::test]
async fn devices_register_and_go_offline_while_they_reboot() {
    let dir = tempfile::tempdir().unwrap();
    let lab = lab(dir.path(), topology("5.1.3", "5.1.3", "5.1.3")).await;
    for name in ["cdm1", "cdm2", "ce1", "cr1"] {
        assert_eq!(
            status(&lab, "cdm1", name).as_deref(),
            Some("Online"),
            "{name}"
        );
    }
    let out = cli(&lab, "cdm1", &["show cms devices"]);
    assert!(
        out.contains("ce1             CE    10.1.1.10       5.1.3               Online"),
        "{out}"
    );
    cli(&lab, "ce1", &["reload force"]);
    assert_eq!(status(&lab, "cdm1", "ce1").as_deref(), Some("Offline"));
    lab.advance(Duration::from_secs(31));
    assert_eq!(status(&lab, "cdm1", "ce1").as_deref(), Some("Online"));
    // CMS disabled on the CE: Offline; its own service state says so
    let out = cli(
        &lab,
        "ce1",
        &[
            "configure terminal",
            "no cms enable",
            "end",
            "show cms info",
        ],
    );
    assert!(
        out.contains("Service cms_ce is not running")
            || out.contains("Service cms_cdm is not running"),
        "{out}"
    );
    assert_eq!(status(&lab, "cdm1", "ce1").as_deref(), Some("Offline"));
    cli(&lab, "ce1", &["configure terminal", "cms enable", "end"]);
    assert_eq!(status(&lab, "cdm1", "ce1").as_deref(), Some("Online"));
}

#[tokio::test]
async fn an_unreachable_device_is_marked_offline_after_missed_polls() {
    let dir = tempfile::tempdir().unwrap();
    let lab = lab(dir.path(), topology("5.1.3", "5.1.3", "5.1.3")).await;
    let (ce, cdm) = ("10.1.1.10".parse().unwrap(), "10.1.1.5".parse().unwrap());
    lab.network().cut(ce, cdm);
    lab.advance(POLL * 2);
    assert_eq!(
        status(&lab, "cdm1", "ce1").as_deref(),
        Some("Online"),
        "not yet: two polls missed"
    );
    lab.advance(POLL * 2);
    assert_eq!(status(&lab, "cdm1", "ce1").as_deref(), Some("Offline"));
    assert_eq!(
        status(&lab, "cdm1", "cr1").as_deref(),
        Some("Online"),
        "others unaffected"
    );
    lab.network().heal(ce, cdm);
    lab.advance(POLL);
    assert_eq!(status(&lab, "cdm1", "ce1").as_deref(), Some("Online"));
}

#[tokio::test]
async fn a_shut_interface_cuts_the_device_off_like_a_cut_link() {
    let dir = tempfile::tempdir().unwrap();
    let lab = lab(dir.path(), topology("5.1.3", "5.1.3", "5.1.3")).await;
    let shut = [
        "configure terminal",
        "interface GigabitEthernet 1/0",
        "shutdown",
        "end",
    ];
    let device_id = |lab: &Lab| {
        let out = cli(lab, "ce1", &["show cms info | include Device Id"]);
        let line = out
            .lines()
            .find(|l| l.starts_with("Device Id"))
            .unwrap_or_default();
        line.split('=')
            .nth(1)
            .unwrap_or_default()
            .trim()
            .to_string()
    };
    let id = device_id(&lab);
    assert!(id.parse::<u32>().is_ok(), "{id}");
    let unshut = [
        "configure terminal",
        "interface GigabitEthernet 1/0",
        "no shutdown",
        "end",
    ];
    // the CE's own interface: its polls no longer leave it, and the CDM marks it Offline
    cli(&lab, "ce1", &shut);
    lab.advance(POLL * 4);
    assert_eq!(status(&lab, "cdm1", "ce1").as_deref(), Some("Offline"));
    // the CE knows it too: its polls go unanswered
    let info = cli(&lab, "ce1", &["show cms info"]);
    assert!(
        info.contains("Status                               = Offline"),
        "{info}"
    );
    assert!(info.contains("CDM not answering since"), "{info}");
    assert_eq!(status(&lab, "cdm1", "cr1").as_deref(), Some("Online"));
    cli(&lab, "ce1", &unshut);
    lab.advance(POLL);
    assert_eq!(status(&lab, "cdm1", "ce1").as_deref(), Some("Online"));
    assert_eq!(
        device_id(&lab),
        id,
        "Offline and back: the same device for the CDM"
    );
    // the primary CDM's interface: nothing reaches it, every device goes Offline there
    cli(&lab, "cdm1", &shut);
    lab.advance(POLL * 4);
    cli(&lab, "cdm1", &unshut);
    assert_eq!(status(&lab, "cdm1", "ce1").as_deref(), Some("Offline"));
    lab.advance(POLL);
    assert_eq!(status(&lab, "cdm1", "ce1").as_deref(), Some("Online"));
}

#[tokio::test]
async fn a_primary_change_reaches_the_standby_after_one_polling_interval() {
    let dir = tempfile::tempdir().unwrap();
    let lab = lab(dir.path(), topology("5.1.3", "5.1.3", "5.1.3")).await;
    lab.advance(POLL);
    change_on_primary(&lab, "edge");
    assert!(!groups(&lab, "cdm2").contains(&"edge".to_string()));
    lab.advance(POLL);
    assert_eq!(groups(&lab, "cdm2"), vec!["edge"]);
    assert_eq!(rows(&lab, "cdm2"), rows(&lab, "cdm1"));
    let out = cli(&lab, "cdm2", &["show cms info"]);
    assert!(
        out.contains("Standby sync status                  = in sync"),
        "{out}"
    );
}

#[tokio::test]
async fn a_standby_on_another_version_does_not_process_updates_until_versions_match() {
    let dir = tempfile::tempdir().unwrap();
    let lab = lab(dir.path(), topology("5.2.1", "5.1.3", "5.2.1")).await;
    change_on_primary(&lab, "edge");
    lab.advance(POLL);
    assert!(groups(&lab, "cdm2").is_empty());
    let out = cli(&lab, "cdm2", &["show cms info"]);
    assert!(
        out.contains("version mismatch: primary runs 5.2.1, this standby runs 5.1.3"),
        "{out}"
    );
    assert!(out.contains("not processed"), "{out}");
    // the standby gets the primary's version (what an install does) and reboots: schema migrates
    let node = lab.node("cdm2").unwrap();
    node.device().state().pending_version = Some(Version::new(5, 2, 1));
    node.reload();
    lab.advance(Duration::from_secs(31));
    assert_eq!(node.device().state().version, Version::new(5, 2, 1));
    let out = cli(&lab, "cdm2", &["show cms database"]);
    assert!(out.contains("schema 5.2"), "{out}");
    lab.advance(POLL);
    assert_eq!(groups(&lab, "cdm2"), vec!["edge"]);
    assert_eq!(rows(&lab, "cdm2"), rows(&lab, "cdm1"));
}

#[tokio::test]
async fn after_a_partition_heals_the_standby_converges_with_nothing_applied_twice() {
    let dir = tempfile::tempdir().unwrap();
    let lab = lab(dir.path(), topology("5.1.3", "5.1.3", "5.1.3")).await;
    lab.advance(POLL);
    let (p, s) = ("10.1.1.5".parse().unwrap(), "10.1.1.6".parse().unwrap());
    lab.network().cut(p, s);
    for i in 0..50 {
        change_on_primary(&lab, &format!("g{i:02}"));
    }
    lab.advance(POLL * 2);
    assert!(groups(&lab, "cdm2").is_empty());
    assert!(cli(&lab, "cdm2", &["show cms info"]).contains("primary unreachable"));
    lab.network().heal(p, s);
    lab.advance(POLL);
    assert_eq!(groups(&lab, "cdm2"), groups(&lab, "cdm1"));
    assert_eq!(groups(&lab, "cdm2").len(), 50);
    lab.advance(POLL);
    let last = |name: &str| {
        let state = lab.node(name).unwrap().device().state();
        state.cms.as_ref().unwrap().last_seq().unwrap()
    };
    assert_eq!(
        last("cdm2"),
        last("cdm1"),
        "the standby's log holds each change once"
    );
}

#[tokio::test]
async fn the_guides_cdm_database_procedure() {
    let dir = tempfile::tempdir().unwrap();
    let lab = lab(dir.path(), topology("5.2.1", "5.2.1", "5.2.1")).await;
    change_on_primary(&lab, "edge");
    // 1. no cms enable on standby then primary
    for cdm in ["cdm2", "cdm1"] {
        cli(&lab, cdm, &["configure terminal", "no cms enable", "end"]);
    }
    // preconditions refuse and change nothing
    let out = cli(&lab, "cdm1", &["cms database restore nothing.dump"]);
    assert!(out.contains("a CMS database exists"), "{out}");
    // 2. backup
    let out = cli(&lab, "cdm1", &["cms database backup"]);
    let name = out
        .split_whitespace()
        .find(|w| w.starts_with("acns-db-") && w.ends_with(".dump"))
        .unwrap()
        .to_string();
    assert_eq!(name, "acns-db-11-26-2026-09-00.dump", "{out}");
    let cdm1_disk = lab.node("cdm1").unwrap().device().disk_dir();
    assert!(cdm1_disk.join(&name).is_file());
    assert!(cli(&lab, "cdm1", &["dir"]).contains(&name));
    // 3. delete, with confirmation ("no" keeps it)
    let out = cli(&lab, "cdm1", &["cms database delete", "no"]);
    assert!(
        out.contains("Proceed?[no]:") && out.contains("not deleted"),
        "{out}"
    );
    let out = cli(&lab, "cdm1", &["cms database delete", "yes"]);
    assert!(out.contains("CMS database deleted."), "{out}");
    assert!(cli(&lab, "cdm1", &["cms database validate"]).contains("no CMS database exists"));
    // 4. restore a dump of the older release (brought onto the box beforehand)
    let older = tempfile::tempdir().unwrap();
    let mut old = Cms::open(&older.path().join("cms.db")).unwrap();
    old.create(Schema(5, 1), "then").unwrap();
    old.backup(
        &cdm1_disk.join("acns-db-5.1.dump"),
        Version::new(5, 1, 3),
        "then",
    )
    .unwrap();
    let out = cli(
        &lab,
        "cdm1",
        &["cms database restore acns-db-5.1.dump", "show cms database"],
    );
    assert!(
        out.contains("restored from acns-db-5.1.dump (schema 5.1, software 5.1.3)"),
        "{out}"
    );
    assert!(out.contains("present, schema 5.1"), "{out}");
    // CMS cannot start on 5.2.1 software with a 5.1 database: the error names both and the way out
    let out = cli(&lab, "cdm1", &["configure terminal", "cms enable"]);
    assert!(
        out.contains("schema 5.1") && out.contains("5.2.1") && out.contains("needs schema 5.2"),
        "{out}"
    );
    assert!(
        !lab.node("cdm1")
            .unwrap()
            .device()
            .state()
            .running
            .cms_enabled
    );
    // back to the 5.2 backup: delete, restore, enable
    cli(
        &lab,
        "cdm1",
        &[
            "cms database delete",
            "yes",
            &format!("cms database restore {name}"),
        ],
    );
    let out = cli(
        &lab,
        "cdm1",
        &["configure terminal", "cms enable", "end", "show cms info"],
    );
    assert!(out.contains("Service cms_cdm is running"), "{out}");
    // standby: backup, delete, create, cms enable -> full update from the primary
    let out = cli(
        &lab,
        "cdm2",
        &[
            "cms database backup",
            "cms database delete",
            "yes",
            "cms database create",
        ],
    );
    assert!(
        out.contains("CMS database created with schema 5.2."),
        "{out}"
    );
    assert!(groups(&lab, "cdm2").is_empty());
    cli(&lab, "cdm2", &["configure terminal", "cms enable", "end"]);
    assert_eq!(groups(&lab, "cdm2"), vec!["edge"]);
    assert_eq!(rows(&lab, "cdm2"), rows(&lab, "cdm1"));
    assert!(
        cli(&lab, "cdm2", &["cms database validate"]).contains("CMS database is valid: schema 5.2")
    );
}

#[tokio::test]
async fn restore_refuses_a_truncated_dump_and_keeps_everything() {
    let dir = tempfile::tempdir().unwrap();
    let lab = lab(dir.path(), topology("5.1.3", "5.1.3", "5.1.3")).await;
    let before = rows(&lab, "cdm1");
    cli(
        &lab,
        "cdm1",
        &[
            "configure terminal",
            "no cms enable",
            "end",
            "cms database backup",
        ],
    );
    let disk = lab.node("cdm1").unwrap().device().disk_dir();
    let dump = std::fs::read_dir(&disk)
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| p.extension().is_some_and(|x| x == "dump"))
        .unwrap();
    let bytes = std::fs::read(&dump).unwrap();
    std::fs::write(disk.join("cut.dump"), &bytes[..bytes.len() - 100]).unwrap();
    std::fs::write(disk.join("foreign.dump"), b"not a dump at all").unwrap();
    cli(&lab, "cdm1", &["cms database delete", "yes"]);
    for file in ["cut.dump", "foreign.dump", "missing.dump", "../etc/passwd"] {
        let out = cli(&lab, "cdm1", &[&format!("cms database restore {file}")]);
        assert!(out.contains("% Error:"), "{file}: {out}");
        assert!(!lab
            .node("cdm1")
            .unwrap()
            .device()
            .state()
            .cms
            .as_ref()
            .unwrap()
            .exists());
    }
    cli(
        &lab,
        "cdm1",
        &[&format!(
            "cms database restore {}",
            dump.file_name().unwrap().to_string_lossy()
        )],
    );
    assert_eq!(rows(&lab, "cdm1"), before);
}

/// A dump whose database is changed by `sql` (the same header, a recomputed checksum).
fn crafted(good: &std::path::Path, dest: &std::path::Path, sql: &str) {
    let bytes = std::fs::read(good).unwrap();
    let (header, body) = acnslab::cms::dump::decode(&bytes).unwrap();
    let tmp = tempfile::tempdir().unwrap();
    let db = tmp.path().join("x.db");
    std::fs::write(&db, body).unwrap();
    rusqlite::Connection::open(&db)
        .unwrap()
        .execute_batch(sql)
        .unwrap();
    let body = std::fs::read(&db).unwrap();
    std::fs::write(dest, acnslab::cms::dump::encode(&header, &body)).unwrap();
}

/// Issue 15 item 8: a dump missing a table, or with wrong columns, restored; `validate` called the
/// wrong-columns one valid; afterwards CEs could not register.
#[tokio::test]
async fn restore_and_validate_refuse_a_database_without_the_schemas_tables() {
    let dir = tempfile::tempdir().unwrap();
    let lab = lab(dir.path(), topology("5.1.3", "5.1.3", "5.1.3")).await;
    let before = rows(&lab, "cdm1");
    cli(
        &lab,
        "cdm1",
        &[
            "configure terminal",
            "no cms enable",
            "end",
            "cms database backup",
        ],
    );
    let disk = lab.node("cdm1").unwrap().device().disk_dir();
    let good = std::fs::read_dir(&disk)
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| p.extension().is_some_and(|x| x == "dump"))
        .unwrap();
    let wrong_columns =
        "DROP TABLE jobs; CREATE TABLE jobs (id INTEGER PRIMARY KEY, device INTEGER);";
    crafted(&good, &disk.join("no-jobs.dump"), "DROP TABLE jobs;");
    crafted(&good, &disk.join("columns.dump"), wrong_columns);
    cli(&lab, "cdm1", &["cms database delete", "yes"]);
    for (file, says) in [
        ("no-jobs.dump", "table jobs is missing"),
        (
            "columns.dump",
            "table jobs: column device is INTEGER (want TEXT NOT NULL)",
        ),
    ] {
        let out = cli(&lab, "cdm1", &[&format!("cms database restore {file}")]);
        assert!(out.contains("% Error:"), "{file}: {out}");
        assert!(
            out.contains("does not have the tables of schema 5.1"),
            "{out}"
        );
        assert!(out.contains(says), "{file}: {out}");
        let device = lab.node("cdm1").unwrap().device().clone();
        assert!(!device.state().cms.as_ref().unwrap().exists(), "{file}");
    }
    let name = good.file_name().unwrap().to_string_lossy().into_owned();
    cli(&lab, "cdm1", &[&format!("cms database restore {name}")]);
    let out = cli(&lab, "cdm1", &["cms database validate"]);
    assert!(!out.contains("% Error"), "{out}");
    // the live database's columns changed behind the CDM's back: validate says so
    let db = lab.node("cdm1").unwrap().device().dir().join("cms.db");
    rusqlite::Connection::open(&db)
        .unwrap()
        .execute_batch("ALTER TABLE update_files DROP COLUMN meta;")
        .unwrap();
    let out = cli(&lab, "cdm1", &["cms database validate"]);
    assert!(
        out.contains("table update_files: column meta (TEXT NOT NULL DEFAULT '') is missing"),
        "{out}"
    );
    rusqlite::Connection::open(&db)
        .unwrap()
        .execute_batch("ALTER TABLE update_files ADD COLUMN meta TEXT NOT NULL DEFAULT '';")
        .unwrap();
    cli(&lab, "cdm1", &["configure terminal", "cms enable", "end"]);
    assert_eq!(rows(&lab, "cdm1"), before);
}

#[tokio::test]
async fn cms_database_commands_need_their_preconditions() {
    let dir = tempfile::tempdir().unwrap();
    let lab = lab(dir.path(), topology("5.1.3", "5.1.3", "5.1.3")).await;
    let out = cli(&lab, "cdm1", &["cms database delete"]);
    assert!(
        out.contains("CMS is enabled. Disable it first with 'no cms enable'"),
        "{out}"
    );
    assert!(cli(&lab, "cdm1", &["cms database downgrade"]).contains("CMS is enabled"));
    assert!(cli(&lab, "cdm1", &["cms database create"]).contains("a CMS database exists"));
    cli(
        &lab,
        "cdm1",
        &["configure terminal", "no cms enable", "end"],
    );
    assert!(cli(&lab, "cdm1", &["cms database downgrade"]).contains("already matches"));
    assert!(cli(&lab, "ce1", &["cms database backup"]).contains("% Invalid input"));
    assert!(lab
        .node("cdm1")
        .unwrap()
        .device()
        .state()
        .cms
        .as_ref()
        .unwrap()
        .exists());
}

#[tokio::test]
async fn cms_state_survives_a_lab_restart() {
    let dir = tempfile::tempdir().unwrap();
    {
        let lab = lab(dir.path(), topology("5.1.3", "5.1.3", "5.1.3")).await;
        change_on_primary(&lab, "kept");
        lab.shutdown().await;
    }
    let mut options = LabOptions::new(dir.path());
    options.cdm_http = Some(acnslab::api::service());
    options.clock = Some(LabClock::virtual_at(
        chrono::Utc.with_ymd_and_hms(2026, 11, 27, 9, 0, 0).unwrap(),
    ));
    let lab = Lab::start(options).await.unwrap();
    assert_eq!(groups(&lab, "cdm1"), vec!["kept"]);
    assert_eq!(status(&lab, "cdm1", "ce1").as_deref(), Some("Online"));
}

#[tokio::test]
async fn failover_follows_the_guide_and_devices_follow_the_new_primary() {
    let dir = tempfile::tempdir().unwrap();
    let lab = lab(dir.path(), topology("5.1.3", "5.1.3", "5.1.3")).await;
    lab.advance(POLL);
    change_on_primary(&lab, "before");
    lab.advance(POLL);
    // the standby cannot take over while the primary is active
    let out = cli(&lab, "cdm2", &["configure terminal", "cdm role primary"]);
    assert!(
        out.contains("the primary CDM at 10.1.1.5 is still active"),
        "{out}"
    );
    // old primary to standby (following cdm2), then cdm2 takes over
    cli(
        &lab,
        "cdm1",
        &[
            "configure terminal",
            "cdm role standby",
            "cdm ip 10.1.1.6",
            "end",
            "write memory",
        ],
    );
    let out = cli(
        &lab,
        "cdm2",
        &[
            "configure terminal",
            "cdm role primary",
            "end",
            "show cms info",
        ],
    );
    assert!(
        out.contains("Current CDM role                     = Primary"),
        "{out}"
    );
    lab.advance(POLL);
    assert_eq!(
        status(&lab, "cdm2", "ce1").as_deref(),
        Some("Online"),
        "the CE follows the new primary"
    );
    assert_eq!(
        lab.node("ce1")
            .unwrap()
            .device()
            .state()
            .registration
            .as_ref()
            .unwrap()
            .cdm
            .to_string(),
        "10.1.1.6"
    );
    // changes now flow from cdm2 to cdm1
    {
        let node = lab.node("cdm2").unwrap();
        let mut state = node.device().state();
        let mut row = serde_json::Map::new();
        row.insert("name".into(), "after".into());
        state
            .cms
            .as_mut()
            .unwrap()
            .put("device_groups", row)
            .unwrap();
    }
    lab.advance(POLL);
    assert_eq!(groups(&lab, "cdm1"), vec!["after", "before"]);
}

#[tokio::test]
async fn deregister_removes_the_device_and_force_works_without_the_cdm() {
    let dir = tempfile::tempdir().unwrap();
    let lab = lab(dir.path(), topology("5.1.3", "5.1.3", "5.1.3")).await;
    let out = cli(&lab, "ce1", &["cms deregister", "show cms info"]);
    assert!(out.contains("Deregistered from the CDM."), "{out}");
    assert!(
        out.contains("Service cms_ce is not running")
            || out.contains("Service cms_cdm is not running"),
        "{out}"
    );
    assert_eq!(
        status(&lab, "cdm1", "ce1"),
        None,
        "gone from the CDM's device table"
    );
    // a CR that cannot reach its CDM: refused without force, done locally with force
    lab.network()
        .cut("10.1.1.20".parse().unwrap(), "10.1.1.5".parse().unwrap());
    let out = cli(&lab, "cr1", &["cms deregister"]);
    assert!(out.contains("the CDM cannot be reached"), "{out}");
    assert!(
        lab.node("cr1")
            .unwrap()
            .device()
            .state()
            .running
            .cms_enabled
    );
    let out = cli(&lab, "cr1", &["cms deregister force"]);
    assert!(out.contains("Deregistered"), "{out}");
    assert!(
        !lab.node("cr1")
            .unwrap()
            .device()
            .state()
            .running
            .cms_enabled
    );
}

#[tokio::test]
async fn a_cdm_upgraded_first_leaves_devices_on_older_versions_offline_until_upgraded() {
    let dir = tempfile::tempdir().unwrap();
    let lab = lab(dir.path(), topology("5.1.3", "5.1.3", "5.1.3")).await;
    let upgrade = |name: &str| {
        let node = lab.node(name).unwrap();
        node.device().state().pending_version = Some(Version::new(5, 2, 1));
        node.reload();
    };
    upgrade("cdm1");
    lab.advance(Duration::from_secs(31));
    lab.advance(POLL * 4);
    assert_eq!(
        status(&lab, "cdm1", "ce1").as_deref(),
        Some("Offline"),
        "a 5.1.3 CE no longer talks to a 5.2.1 CDM"
    );
    assert!(lab
        .node("ce1")
        .unwrap()
        .device()
        .state()
        .registration
        .is_none());
    upgrade("ce1");
    lab.advance(Duration::from_secs(31));
    assert_eq!(status(&lab, "cdm1", "ce1").as_deref(), Some("Online"));
    let row = rows(&lab, "cdm1")
        .into_iter()
        .find(|r| r.name == "ce1")
        .unwrap();
    assert_eq!(row.version, "5.2.1");
    assert_eq!(
        status(&lab, "cdm1", "cr1").as_deref(),
        Some("Offline"),
        "still on 5.1.3"
    );
}

/// Devices that poll without anything to change stay Online on the primary, and so on the standby:
/// refreshes that change nothing but the time are not written to the database, and the sweep
/// still counts them (it once marked every quiet device Offline after three intervals, then Online
/// again at its next poll).
#[tokio::test]
async fn quiet_devices_stay_online_for_hours() {
    let dir = tempfile::tempdir().unwrap();
    let lab = lab(dir.path(), topology("5.1.3", "5.1.3", "5.1.3")).await;
    for step in 0..24 {
        lab.advance(POLL);
        for cdm in ["cdm1", "cdm2"] {
            for device in ["ce1", "cr1"] {
                assert_eq!(
                    status(&lab, cdm, device).as_deref(),
                    Some("Online"),
                    "{device} on {cdm} after {} minutes",
                    (step + 1) * 5
                );
            }
        }
    }
}

fn log_of(lab: &Lab, device: &str) -> Vec<String> {
    let state = lab.node(device).unwrap().device().state();
    state.log.iter().map(|(_, line)| line.clone()).collect()
}

/// The standby's row in the primary's `/api/devices`: (status, standby_status).
async fn standby_in_api(lab: &Lab) -> (String, String) {
    let api = acnslab::api::Client::of(&lab.info().devices[0]).unwrap();
    let (code, devices) = api.call("GET", "/api/devices", None).await.unwrap();
    assert_eq!(code, 200, "{devices}");
    let cdm2 = devices
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["name"] == "cdm2")
        .unwrap()
        .clone();
    let text = |key: &str| cdm2[key].as_str().unwrap_or("(none)").to_string();
    (text("status"), text("standby_status"))
}

/// The standby's state through the tail of procedures 6 and 7: in sync, CMS disabled, version
/// mismatch, updating after `cms enable` (the full update logged on both CDMs), in sync again. The
/// same state, at every step, in `show cms info`, the primary's API and the standby's log; and a
/// state never mixes the versions from before a reboot with those after it.
#[tokio::test]
async fn the_standbys_state_is_the_same_in_show_cms_info_the_api_and_the_log() {
    let dir = tempfile::tempdir().unwrap();
    let lab = lab(dir.path(), topology("5.1.3", "5.1.3", "5.1.3")).await;
    lab.advance(POLL);
    let sync_status = |lab: &Lab| {
        let out = cli(lab, "cdm2", &["show cms info"]);
        out.lines()
            .find_map(|l| l.strip_prefix("Standby sync status"))
            .map(|s| s.trim_start_matches([' ', '=']).trim().to_string())
            .unwrap_or_else(|| panic!("no Sync status in {out}"))
    };
    assert_eq!(sync_status(&lab), "in sync");
    assert_eq!(
        standby_in_api(&lab).await,
        ("Online".into(), "in sync".into())
    );

    // the primary is upgraded first: the standby sees the version mismatch
    let reload_into = |name: &str, version: Version| {
        let node = lab.node(name).unwrap();
        node.device().state().pending_version = Some(version);
        node.reload();
    };
    reload_into("cdm1", Version::new(5, 2, 1));
    lab.advance(Duration::from_secs(31));
    lab.advance(POLL);
    let mismatch = "version mismatch: primary runs 5.2.1, this standby runs 5.1.3; updates from the primary are not processed";
    assert_eq!(sync_status(&lab), mismatch);
    assert!(
        log_of(&lab, "cdm2").contains(&format!("%ACNS-5-CMS: Standby CDM status: {mismatch}")),
        "{:?}",
        log_of(&lab, "cdm2")
    );

    // the guide: no cms enable on the standby (saved), then its install
    cli(
        &lab,
        "cdm2",
        &["configure terminal", "no cms enable", "end", "write memory"],
    );
    assert_eq!(sync_status(&lab), "CMS disabled");
    assert!(
        log_of(&lab, "cdm2").contains(&"%ACNS-5-CMS: Standby CDM status: CMS disabled".to_string())
    );
    assert_eq!(
        standby_in_api(&lab).await,
        ("Offline".into(), "CMS disabled".into())
    );
    // the primary remembers the report across its own reboot
    lab.node("cdm1").unwrap().reload();
    lab.advance(Duration::from_secs(31));
    assert_eq!(standby_in_api(&lab).await.1, "CMS disabled");
    reload_into("cdm2", Version::new(5, 2, 1));
    lab.advance(Duration::from_secs(31));
    let after_boot = cli(&lab, "cdm2", &["show cms info"]);
    assert!(
        after_boot.contains("Standby sync status                  = CMS disabled")
            && !after_boot.contains("this standby runs 5.1.3")
            && !after_boot.contains("primary runs 5.2.1, this standby runs 5.2.1"),
        "{after_boot}"
    );

    // cms enable: a full data update is requested, sent by the primary, applied by the standby
    cli(&lab, "cdm2", &["configure terminal", "cms enable", "end"]);
    let cdm2_log = log_of(&lab, "cdm2");
    assert!(
        cdm2_log.contains(
            &"%ACNS-5-CMS: Full data update requested from the primary CDM 10.1.1.5".to_string()
        ),
        "{cdm2_log:?}"
    );
    lab.advance(POLL);
    let cdm1_log = log_of(&lab, "cdm1");
    assert!(
        cdm1_log
            .iter()
            .any(|l| l.starts_with("%ACNS-5-CMS: Full data update sent to the standby CDM cdm2: ")),
        "{cdm1_log:?}"
    );
    let cdm2_log = log_of(&lab, "cdm2");
    assert!(
        cdm2_log.iter().any(|l| l
            .starts_with("%ACNS-5-CMS: Full data update from the primary CDM 10.1.1.5 applied: ")),
        "{cdm2_log:?}"
    );
    assert_eq!(
        cdm2_log.last().map(String::as_str),
        Some("%ACNS-5-CMS: Standby CDM status: in sync"),
        "{cdm2_log:?}"
    );
    assert_eq!(sync_status(&lab), "in sync");
    assert_eq!(
        standby_in_api(&lab).await,
        ("Online".into(), "in sync".into())
    );
}

/// `cms enable` and `no cms enable` say what they do, as ACNS's descendant WAAS does: a CE sends
/// its registration, a standby asks for the full update, each reminds to save the configuration.
#[tokio::test]
async fn cms_enable_and_disable_say_what_they_do() {
    let dir = tempfile::tempdir().unwrap();
    let lab = lab(dir.path(), topology("5.1.3", "5.1.3", "5.1.3")).await;
    let out = cli(&lab, "ce1", &["configure terminal", "no cms enable"]);
    assert!(
        out.ends_with("ce1(config)#management services disabled\nce1(config)#"),
        "{out}"
    );
    let out = cli(&lab, "ce1", &["configure terminal", "cms enable"]);
    for line in [
        "Registering Content Engine...",
        "Sending device registration request to Content Distribution Manager 10.1.1.5",
        "Please preserve running configuration using 'copy running-config startup-config'.",
        "management services enabled",
    ] {
        assert!(out.contains(line), "{line:?} in {out}");
    }
    // enabling what is enabled says nothing
    let again = cli(&lab, "ce1", &["configure terminal", "cms enable"]);
    assert!(!again.contains("management services"), "{again}");
    cli(&lab, "cdm2", &["configure terminal", "no cms enable"]);
    let out = cli(&lab, "cdm2", &["configure terminal", "cms enable"]);
    assert!(
        out.contains(
            "Requesting a full data update from the primary Content Distribution Manager 10.1.1.5"
        ),
        "{out}"
    );
}

/// `acnslab status --json` (`Lab::status`): each device's CMS service as an object, not words:
/// whether it runs, a CDM's database schema, a standby's sync state, a CE's registration and
/// its CDM, each as the device's own state has it.
#[tokio::test]
async fn the_status_gives_each_devices_cms_service_as_data() {
    let dir = tempfile::tempdir().unwrap();
    let lab = lab(dir.path(), topology("5.1.3", "5.1.3", "5.1.3")).await;
    let cms_of = |name: &str| {
        let device = lab.status().into_iter().find(|d| d.name == name).unwrap();
        let json = serde_json::to_value(&device).unwrap();
        assert!(json["cms"].is_object(), "{name}: {json}");
        json["cms"].clone()
    };
    let schema_of = |name: &str| {
        let state = lab.node(name).unwrap().device().state();
        state.cms.as_ref().unwrap().schema().unwrap().to_string()
    };
    let cdm1 = cms_of("cdm1");
    assert_eq!(cdm1["state"], "enabled", "{cdm1}");
    assert_eq!(cdm1["schema"], schema_of("cdm1"), "{cdm1}");
    assert!(cdm1.get("sync").is_none(), "a primary has no sync: {cdm1}");
    let cdm2 = cms_of("cdm2");
    let sync = {
        let state = lab.node("cdm2").unwrap().device().state();
        state.standby_state().unwrap().word().to_string()
    };
    assert_eq!(cdm2["sync"], sync, "{cdm2}");
    assert_eq!(cdm2["schema"], schema_of("cdm2"), "{cdm2}");
    let ce1 = cms_of("ce1");
    let cdm1_ip = lab.node("cdm1").unwrap().spec().ip.to_string();
    assert_eq!(ce1["state"], "enabled", "{ce1}");
    assert_eq!(ce1["registration"], "online", "{ce1}");
    assert_eq!(ce1["cdm"], cdm1_ip, "{ce1}");
    assert!(ce1.get("schema").is_none(), "a CE has no database: {ce1}");
    cli(&lab, "ce1", &["configure terminal", "no cms enable"]);
    let ce1 = cms_of("ce1");
    assert_eq!(ce1["state"], "disabled", "{ce1}");
    assert!(ce1.get("registration").is_none(), "{ce1}");
}
