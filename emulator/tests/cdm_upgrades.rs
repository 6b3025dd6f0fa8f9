//! Upgrades managed from the CDM over its HTTP API (the guide's procedures 1-5): versions, meta
//! file registration rules, group and single-device upgrades with the table 7-2 status messages,
//! a failing download in a group, and the 4.2.9 downgrade with CDM-IP. Real HTTP API, real FTP/HTTP
//! downloads, virtual clock for the reboots.

use std::time::Duration;

use acnslab::api::Client;
use acnslab::clock::LabClock;
use acnslab::lab::{Lab, LabOptions};
use acnslab::release::Version;
use acnslab::topology::Topology;
use chrono::TimeZone;
use serde_json::{json, Value};

const TOPOLOGY: &str = "lab:
  base_port: 0
  boot_seconds: 30
devices:
  - name: cdm1
    kind: cdm
    role: primary
    ip: 10.1.1.5
  - name: cdm2
    kind: cdm
    role: standby
    ip: 10.1.1.6
  - name: ce1
    kind: ce
    ip: 10.1.1.10
    groups: [edge]
  - name: ce2
    kind: ce
    ip: 10.1.1.11
    groups: [edge]
  - name: ce3
    kind: ce
    ip: 10.1.1.12
    groups: [edge]
  - name: cr1
    kind: cr
    ip: 10.1.1.20
servers:
  - name: images
    ip: 10.1.1.100
    image_mb: 2
";

const META_521: &str = "http://10.1.1.100/meta/ACNS-5.2.1-K9-http.meta";

async fn lab(dir: &std::path::Path) -> (Lab, Client) {
    let mut options = LabOptions::new(dir);
    options.cdm_http = Some(acnslab::api::service());
    options.topology = Some(Topology::parse(TOPOLOGY, "test").unwrap());
    options.clock = Some(LabClock::virtual_at(
        chrono::Utc.with_ymd_and_hms(2026, 11, 26, 9, 0, 0).unwrap(),
    ));
    let lab = Lab::start(options).await.unwrap();
    let api = Client::of(&lab.info().devices[0]).unwrap();
    (lab, api)
}

async fn get(api: &Client, path: &str) -> Value {
    let (status, body) = api.call("GET", path, None).await.unwrap();
    assert_eq!(status, 200, "{path}: {body}");
    body
}

fn column(devices: &Value, name: &str, field: &str) -> String {
    devices
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["name"] == name)
        .unwrap()[field]
        .as_str()
        .unwrap()
        .to_string()
}

/// Registers the meta file at `url` on the primary (200 expected): the file's record.
async fn register(api: &Client, url: &str) -> Value {
    let (status, file) = api
        .call("POST", "/api/files", Some(json!({ "url": url })))
        .await
        .unwrap();
    assert_eq!(status, 200, "{file}");
    file
}

/// Asks for the upgrade `request` (`{"file": .., "device"|"group": ..}`; 200 expected): the ids.
async fn upgrade(api: &Client, request: Value) -> Value {
    let (status, ids) = api
        .call("POST", "/api/upgrades", Some(request))
        .await
        .unwrap();
    assert_eq!(status, 200, "{ids}");
    ids
}

/// Waits (real time: downloads are real) until every job has ended.
async fn wait_jobs(api: &Client, count: usize) -> Value {
    for _ in 0..400 {
        let jobs = get(api, "/api/jobs").await;
        let done = jobs.as_array().unwrap().iter().filter(|j| {
            let s = j["status"].as_str().unwrap();
            s == "Prepositioned Download Successful" || s == "Prepositioned Download Failed"
        });
        if done.count() == count {
            return jobs;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("jobs did not end: {}", get(api, "/api/jobs").await);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn register_rules_and_group_upgrade_with_one_failing_download() {
    let dir = tempfile::tempdir().unwrap();
    let (lab, api) = lab(dir.path()).await;
    // 1. versions
    let devices = get(&api, "/api/devices").await;
    assert_eq!(devices.as_array().unwrap().len(), 6);
    assert_eq!(column(&devices, "ce1", "software_version"), "5.1.3");
    // 2. register, duplicate refused, image refused, delete, register again
    let (status, file) = api
        .call("POST", "/api/files", Some(json!({ "url": META_521 })))
        .await
        .unwrap();
    assert_eq!(status, 200, "{file}");
    assert!(
        file["version"].as_str().unwrap().starts_with("5.2.1"),
        "{file}"
    );
    let (status, body) = api
        .call("POST", "/api/files", Some(json!({ "url": META_521 })))
        .await
        .unwrap();
    assert_eq!(status, 409, "{body}");
    assert!(body["error"]
        .as_str()
        .unwrap()
        .contains("already registered"));
    // issue 15 item 10: the same file written otherwise was a new registration
    for same in [
        format!("{META_521}?x=1"),
        format!("{META_521}#top"),
        META_521.replace("/meta/", "//meta/./"),
        META_521.replace("10.1.1.100", "10.1.1.100:80"),
        META_521.replace("/meta/", "/%6Deta/"),
    ] {
        let (status, body) = api
            .call("POST", "/api/files", Some(json!({ "url": same })))
            .await
            .unwrap();
        assert_eq!(status, 409, "{same}: {body}");
    }
    let image = "http://10.1.1.100/images/ACNS-5.2.1-K9.bin";
    let (status, body) = api
        .call("POST", "/api/files", Some(json!({ "url": image })))
        .await
        .unwrap();
    assert_eq!(
        (
            status,
            body["error"].as_str().unwrap().contains("not a meta file")
        ),
        (400, true),
        "{body}"
    );
    let (status, _) = api
        .call("DELETE", &format!("/api/files/{}", file["id"]), None)
        .await
        .unwrap();
    assert_eq!(status, 204);
    let (status, file) = api
        .call("POST", "/api/files", Some(json!({ "url": META_521 })))
        .await
        .unwrap();
    assert_eq!(status, 200);
    let id = file["id"].as_i64().unwrap();
    assert_eq!(get(&api, "/api/files").await.as_array().unwrap().len(), 1);
    // the CDM itself: CLI only
    let (status, body) = api
        .call(
            "POST",
            "/api/upgrades",
            Some(json!({ "file": id, "device": "cdm2" })),
        )
        .await
        .unwrap();
    assert_eq!(
        (status, body["error"].as_str().unwrap().contains("CLI")),
        (400, true),
        "{body}"
    );
    // 3. the edge group; ce3 cannot reach the image server
    lab.network()
        .cut("10.1.1.12".parse().unwrap(), "10.1.1.100".parse().unwrap());
    let groups = get(&api, "/api/groups").await;
    assert_eq!(groups[0]["devices"], json!(["ce1", "ce2", "ce3"]));
    let (status, ids) = api
        .call(
            "POST",
            "/api/upgrades",
            Some(json!({ "file": id, "group": "edge" })),
        )
        .await
        .unwrap();
    assert_eq!(status, 200, "{ids}");
    assert_eq!(ids.as_array().unwrap().len(), 3);
    let jobs = wait_jobs(&api, 3).await;
    for job in jobs.as_array().unwrap() {
        let history: Vec<&str> = job["history"]
            .as_array()
            .unwrap()
            .iter()
            .map(|h| h[1].as_str().unwrap())
            .collect();
        if job["device"] == "ce3" {
            // the table 7-2 status, then why, in the history and as the API's `reason`
            let why = "the image server 10.1.1.100 cannot be reached from this device";
            assert_eq!(
                history,
                [
                    "Proceeding with Prepositioned Download",
                    "Prepositioned Download Failed",
                    &format!("Reason: {why}"),
                ],
                "{job}"
            );
            assert_eq!(job["reason"], why, "{job}");
        } else {
            assert_eq!(job["reason"], Value::Null, "{job}");
            assert_eq!(
                history,
                [
                    "Proceeding with Prepositioned Download",
                    "Prepositioned Download in Progress (Completed 1 MB)",
                    "Prepositioned Download in Progress (Completed 2 MB)",
                    "Prepositioned Download Successful",
                ],
                "{job}"
            );
        }
    }
    // the version column changes only when the devices come back on the new version; until then
    // (the device reboots) it shows the last table 7-2 message
    let devices = get(&api, "/api/devices").await;
    assert_eq!(column(&devices, "ce1", "version"), "5.1.3");
    assert_eq!(
        column(&devices, "ce1", "software_version"),
        "Prepositioned Download Successful"
    );
    assert_eq!(
        column(&devices, "ce3", "software_version"),
        "Prepositioned Download Failed"
    );
    // the Devices page gives the reason with it
    assert_eq!(
        column(&devices, "ce3", "reason"),
        "the image server 10.1.1.100 cannot be reached from this device"
    );
    let ce1 = devices
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["name"] == "ce1")
        .unwrap();
    assert_eq!(ce1.get("reason"), None, "a successful job has none: {ce1}");
    lab.advance(Duration::from_secs(31));
    let devices = get(&api, "/api/devices").await;
    for ce in ["ce1", "ce2"] {
        assert_eq!(
            column(&devices, ce, "software_version"),
            "5.2.1",
            "{devices}"
        );
        assert_eq!(
            lab.node(ce).unwrap().device().state().version,
            Version::new(5, 2, 1)
        );
    }
    assert_eq!(column(&devices, "ce3", "version"), "5.1.3");
    assert_eq!(
        lab.node("ce3").unwrap().device().state().version,
        Version::new(5, 1, 3)
    );
    // the messages went to the device's system log too
    let log: Vec<String> = lab
        .node("ce1")
        .unwrap()
        .device()
        .state()
        .log
        .iter()
        .map(|(_, l)| l.clone())
        .collect();
    assert!(
        log.iter()
            .any(|l| l.contains("Prepositioned Download Successful")),
        "{log:?}"
    );
    // and the failure with its reason to the failed device's
    let ce3_log = lab.node("ce3").unwrap().device().state().log.clone();
    assert!(
        ce3_log.iter().any(|(_, l)| l
            == "%ACNS-3-UPGRADE: Prepositioned Download Failed: the image server 10.1.1.100 cannot be reached from this device"),
        "{ce3_log:?}"
    );
    // 4. an upgrade to the version a device already runs fails at once, saying why
    lab.network()
        .heal("10.1.1.12".parse().unwrap(), "10.1.1.100".parse().unwrap());
    let (status, ids) = api
        .call(
            "POST",
            "/api/upgrades",
            Some(json!({ "file": id, "device": "ce1" })),
        )
        .await
        .unwrap();
    assert_eq!(status, 200, "{ids}");
    let job_id = ids[0].as_i64().unwrap();
    let job = loop {
        let job = get(&api, &format!("/api/jobs/{job_id}")).await;
        if job["status"] != "Proceeding with Prepositioned Download" {
            break job;
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    };
    assert_eq!(job["status"], "Prepositioned Download Failed", "{job}");
    assert_eq!(job["reason"], "version 5.2.1 is already running", "{job}");
    assert_eq!(
        job["history"].as_array().unwrap().len(),
        3,
        "no download: {job}"
    );
    // an unknown API path: the API's JSON error, 404
    let (status, body) = api.call("GET", "/api/nothing", None).await.unwrap();
    assert_eq!(status, 404, "{body}");
    assert_eq!(body["error"], "no such API path: /api/nothing");
    // 5. delete the registration
    let (status, _) = api
        .call("DELETE", &format!("/api/files/{id}"), None)
        .await
        .unwrap();
    assert_eq!(status, 204);
    assert!(get(&api, "/api/files").await.as_array().unwrap().is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn single_device_downgrade_to_429_points_it_at_cdm_ip() {
    let dir = tempfile::tempdir().unwrap();
    let (lab, api) = lab(dir.path()).await;
    let url = "http://10.1.1.100/meta/ACNS-5.x.x-TO-4.2.9-K9-http.meta";
    let file = register(&api, url).await;
    upgrade(&api, json!({ "file": file["id"], "device": "ce1" })).await;
    wait_jobs(&api, 1).await;
    lab.advance(Duration::from_secs(31));
    {
        let state = lab.node("ce1").unwrap().device().state();
        assert_eq!(state.version, Version::new(4, 2, 9));
        assert_eq!(
            state.running.cdm_ip,
            Some("10.1.1.5".parse().unwrap()),
            "CDM-IP of the meta file"
        );
    }
    // The 4.2.9 CE belongs to a 4.x CDM: this 5.x CDM refuses its registration and shows it
    // Offline, on the version it runs ...
    lab.advance(Duration::from_secs(301));
    let devices = get(&api, "/api/devices").await;
    assert_eq!(column(&devices, "ce1", "status"), "Offline", "{devices}");
    assert_eq!(column(&devices, "ce1", "version"), "4.2.9", "{devices}");
    assert_eq!(
        column(&devices, "ce1", "software_version"),
        "4.2.9",
        "{devices}"
    );
    // the CE says why it is not registered, in show cms info and its log
    let mut session = lab.node("ce1").unwrap().session("admin", 15, "test");
    let info = session.execute("show cms info").text;
    assert!(
        info.contains("Registered with CDM                  = none\n")
            && info.contains(
                "Registration refused                 = by 10.1.1.5: the CDM runs 5.1.3 and does not manage devices on 4.2.9\n"
            ),
        "{info}"
    );
    let log = session.execute("show logging").text;
    assert!(
        log.contains(
            "%ACNS-4-CMS: Registration refused by the CDM 10.1.1.5: the CDM runs 5.1.3 and does not manage devices on 4.2.9"
        ),
        "{log}"
    );
    drop(session);
    let why = "ce1 runs 4.2.9, which this CDM (5.1.3) does not manage: it registers with a CDM of its own release";
    // ... refuses to upgrade it again, saying why ...
    let upgrade_521 = json!({ "url": META_521 });
    let (status, file_521) = api
        .call("POST", "/api/files", Some(upgrade_521))
        .await
        .unwrap();
    assert_eq!(status, 200, "{file_521}");
    let (status, body) = api
        .call(
            "POST",
            "/api/upgrades",
            Some(json!({ "file": file_521["id"], "device": "ce1" })),
        )
        .await
        .unwrap();
    assert_eq!((status, body["error"].as_str()), (409, Some(why)), "{body}");
    // ... and in a group upgrade, its job fails at once with that reason while the others run
    let (status, ids) = api
        .call(
            "POST",
            "/api/upgrades",
            Some(json!({ "file": file_521["id"], "group": "edge" })),
        )
        .await
        .unwrap();
    assert_eq!(status, 200, "{ids}");
    let jobs = wait_jobs(&api, 4).await;
    let ce1_job = jobs
        .as_array()
        .unwrap()
        .iter()
        .find(|j| j["device"] == "ce1" && j["id"] != 1)
        .unwrap();
    assert_eq!(ce1_job["status"], "Prepositioned Download Failed", "{jobs}");
    assert_eq!(ce1_job["reason"], why, "{jobs}");
    for ce in ["ce2", "ce3"] {
        let job = jobs
            .as_array()
            .unwrap()
            .iter()
            .find(|j| j["device"] == ce)
            .unwrap();
        assert_eq!(job["status"], "Prepositioned Download Successful", "{jobs}");
    }
    assert_eq!(
        lab.node("ce1").unwrap().device().state().version,
        Version::new(4, 2, 9)
    );
    // The downgrade's registration deleted and made again: a new id, never that of the deleted
    // one, which job 1 still names.
    let (status, _) = api
        .call("DELETE", &format!("/api/files/{}", file["id"]), None)
        .await
        .unwrap();
    assert_eq!(status, 204);
    let (status, again) = api
        .call("POST", "/api/files", Some(json!({ "url": url })))
        .await
        .unwrap();
    assert_eq!((status, again["id"].as_i64()), (200, Some(3)), "{again}");
    // a standby answers that it is not the primary
    let standby = Client::of(&lab.info().devices[1]).unwrap();
    let (status, body) = standby.call("GET", "/api/devices", None).await.unwrap();
    assert_eq!(status, 503, "{body}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_cdm_client_reaches_the_primary_through_lab_json() {
    use acnslab::app::{cdm, CdmArgs, CdmCommand};
    let dir = tempfile::tempdir().unwrap();
    let (_lab, _api) = lab(dir.path()).await;
    let state_dir = dir.path().to_path_buf();
    let run_as = move |password: Option<&str>, command: CdmCommand| {
        let args = CdmArgs {
            state_dir: state_dir.clone(),
            cdm: None,
            json: false,
            user: None,
            password: password.map(str::to_string),
            command,
        };
        std::thread::spawn(move || cdm(args)).join().unwrap()
    };
    let run = |command: CdmCommand| run_as(None, command);
    let register = || CdmCommand::Register {
        url: META_521.into(),
        user: None,
        password: None,
    };
    assert_eq!(run(register()), Ok(()));
    let again = run(register()).unwrap_err();
    assert!(again.contains("already registered"), "{again}");
    assert_eq!(run(CdmCommand::Devices), Ok(()));
    assert_eq!(run(CdmCommand::Device { name: "ce1".into() }), Ok(()));
    assert_eq!(run(CdmCommand::File { id: 1 }), Ok(()));
    let absent = run(CdmCommand::Group {
        name: "core".into(),
    })
    .unwrap_err();
    assert_eq!(absent, "no device group core");
    // lab.json's password logs in; another one is refused, with a hint
    let refused = run_as(Some("guess"), CdmCommand::Devices).unwrap_err();
    assert!(
        refused
            .starts_with("Login failed: wrong username or password. (give --user and --password"),
        "{refused}"
    );
    let upgrade = CdmCommand::Upgrade {
        file: 1,
        device: Some("ce1".into()),
        group: None,
        wait: true,
    };
    assert_eq!(run(upgrade), Ok(()));
    let cdm_refused = run(CdmCommand::Upgrade {
        file: 1,
        device: Some("cdm1".into()),
        group: None,
        wait: false,
    });
    assert!(cdm_refused.unwrap_err().contains("CLI"));
    let missing = tempfile::tempdir().unwrap();
    let args = CdmArgs {
        state_dir: missing.path().into(),
        cdm: None,
        json: false,
        user: None,
        password: None,
        command: CdmCommand::Devices,
    };
    assert!(std::thread::spawn(move || cdm(args))
        .join()
        .unwrap()
        .unwrap_err()
        .contains("lab.json"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn jobs_a_stopped_lab_left_unfinished_are_failed_with_the_reason_at_the_next_start() {
    let dir = tempfile::tempdir().unwrap();
    let (lab, api) = lab(dir.path()).await;
    let file = register(&api, META_521).await;
    // jobs created, as an upgrade request does, then the lab stops before they run
    let cdm = lab.node("cdm1").unwrap().device().clone();
    let created = acnslab::upgrade::with_primary(&cdm, |cms| {
        acnslab::upgrade::create_jobs(
            cms,
            Version::new(5, 1, 3),
            file["id"].as_i64().unwrap(),
            &acnslab::upgrade::Target::Group("edge".into()),
            "2026-11-26T09:00:00Z",
        )
    })
    .unwrap();
    assert_eq!((created.ids.len(), created.run.len()), (3, 3));
    lab.shutdown().await;
    drop(lab);
    let (lab, api) = self::lab(dir.path()).await;
    let jobs = get(&api, "/api/jobs").await;
    for job in jobs.as_array().unwrap() {
        assert_eq!(job["status"], "Prepositioned Download Failed", "{job}");
        assert_eq!(
            job["reason"], "the lab stopped before the job ended",
            "{job}"
        );
    }
    let ce1_log = lab.node("ce1").unwrap().device().state().log.clone();
    assert!(
        ce1_log.iter().any(|(_, l)| l
            == "%ACNS-3-UPGRADE: Prepositioned Download Failed: the lab stopped before the job ended"),
        "{ce1_log:?}"
    );
}

/// Every time in the API's answers (and so in `acnslab cdm ... --json`) is RFC 3339 in UTC to the
/// second, as `upgrade::view_time` writes it: a registration's, a job history's, a standby's
/// report.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_answers_times_are_rfc_3339_in_utc_to_the_second() {
    let dir = tempfile::tempdir().unwrap();
    let (lab, api) = lab(dir.path()).await;
    let file = register(&api, META_521).await;
    let ids = upgrade(&api, json!({ "file": file["id"], "device": "ce1" })).await;
    wait_jobs(&api, 1).await;
    let mut times = Vec::new();
    for answer in [
        get(&api, "/api/files").await,
        get(&api, "/api/jobs").await,
        get(&api, &format!("/api/jobs/{}", ids[0])).await,
        get(&api, "/api/devices").await,
    ] {
        for item in answer.as_array().into_iter().flatten().chain([&answer]) {
            for (key, value) in item.as_object().into_iter().flatten() {
                if key.ends_with("_at") {
                    times.push((key.clone(), value.clone()));
                }
            }
            for entry in item["history"].as_array().into_iter().flatten() {
                times.push(("history".into(), entry[0].clone()));
            }
        }
    }
    for wanted in ["registered_at", "history", "standby_reported_at"] {
        assert!(times.iter().any(|(k, _)| k == wanted), "no {wanted}");
    }
    for (key, value) in times {
        let text = value.as_str().unwrap_or_else(|| panic!("{key}: {value}"));
        let at = chrono::DateTime::parse_from_rfc3339(text)
            .unwrap_or_else(|e| panic!("{key}: {text:?} is not RFC 3339: {e}"));
        assert_eq!(
            text,
            acnslab::upgrade::view_time(at.with_timezone(&chrono::Utc)),
            "{key}"
        );
    }
    lab.shutdown().await;
}
