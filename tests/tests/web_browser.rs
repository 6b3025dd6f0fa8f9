//! The CDM's web pages in a real browser: headless Chromium driven by Selenium (chromedriver)
//! against a lab started as a process. The guide's procedure 3 done in the GUI: register the meta
//! file (System > Software Update), the same URL again refused, upgrade device group edge (Device
//! Groups), the jobs' status messages of table 7-2, the new version on Devices; the standby's pages
//! send the user to the primary. The API is asked afterwards: the pages and the API agree.

use acnslab_tests::{browser, free_base_port, run_client, target_dir, LabProcess};

#[test]
fn procedure_3_in_the_cdm_web_pages_with_a_real_browser() {
    let (chromium, chromedriver) = browser();
    let dir = tempfile::tempdir().expect("temp dir");
    let lab = LabProcess::start(dir.path(), free_base_port(5), 5, &[]);
    let info: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(dir.path().join("lab.json")).expect("lab.json"),
    )
    .expect("lab.json is JSON");
    let api = |name: &str| {
        info["devices"]
            .as_array()
            .and_then(|d| d.iter().find(|d| d["name"] == name))
            .and_then(|d| d["api"].as_str())
            .unwrap_or_else(|| panic!("no API address for {name} in {info:#}"))
            .to_string()
    };
    let screenshot = target_dir().join("cdm-devices-page.png");
    let result = run_client(
        "browser_gui.py",
        &[
            format!("http://{}", api("cdm1")),
            format!("http://{}", api("cdm2")),
            chromium.display().to_string(),
            chromedriver.display().to_string(),
            screenshot.display().to_string(),
        ],
    );
    let text = |key: &str| result[key].as_str().unwrap_or_default().to_string();
    assert_eq!(
        text("start_title"),
        "Devices - Content Distribution Manager cdm1",
        "{result:#}"
    );
    assert_eq!(
        result["menu"],
        serde_json::json!([
            "Devices",
            "Device Groups",
            "System > Software Update",
            "Software Update Jobs"
        ]),
        "{result:#}"
    );
    assert_eq!(text("no_files"), "No software update files are registered.");
    assert!(
        text("registered_note").starts_with(
            "Software update file registered: http://10.1.1.100/meta/ACNS-5.2.1-K9-http.meta"
        ),
        "{result:#}"
    );
    assert!(text("file_version").starts_with("5.2.1"), "{result:#}");
    assert!(
        text("duplicate_error").contains("already registered"),
        "{result:#}"
    );
    assert_eq!(text("edge_members"), "ce1, ce2", "{result:#}");
    assert!(
        text("upgrade_note").starts_with("Software update started; jobs:"),
        "{result:#}"
    );
    assert_eq!(
        result["job_statuses"],
        serde_json::json!([
            "Prepositioned Download Successful",
            "Prepositioned Download Successful"
        ]),
        "{result:#}"
    );
    let history = text("job_history");
    for message in [
        "Proceeding with Prepositioned Download",
        "Prepositioned Download in Progress (Completed 1 MB)",
        "Prepositioned Download Successful",
    ] {
        assert!(history.contains(message), "{message}: {result:#}");
    }
    assert_eq!(result["versions"]["ce1"], "5.2.1", "{result:#}");
    assert_eq!(
        result["versions"]["cr1"], "5.1.3",
        "not in the group: {result:#}"
    );
    assert_eq!(result["versions"]["cdm1"], "5.1.3", "{result:#}");
    assert_eq!(text("ce1_status"), "Online", "{result:#}");
    assert_eq!(text("cdm1_action"), "CLI only", "{result:#}");
    assert!(
        text("standby_error").contains("not the primary"),
        "{result:#}"
    );
    assert!(screenshot.is_file(), "the browser saved a screenshot");

    // the JSON API tells the same
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let (status, devices) = runtime
        .block_on(acnslab::api::call(
            api("cdm1").parse().expect("address"),
            "GET",
            "/api/devices",
            None,
        ))
        .expect("API call");
    assert_eq!(status, 200);
    let ce2 = devices
        .as_array()
        .and_then(|d| d.iter().find(|d| d["name"] == "ce2"))
        .expect("ce2 in the API's device list");
    assert_eq!(ce2["software_version"], "5.2.1", "{devices:#}");
    drop(lab);
}
