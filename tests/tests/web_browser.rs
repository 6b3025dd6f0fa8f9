//! The CDM's web GUI in a real browser: headless Chromium driven by Selenium (chromedriver) against
//! a lab started as a process, following the guide's GUI procedures as written (log in; 1: versions
//! through Edit > Status and Show Commands; 2: register a meta file URL, a duplicate refused; 3:
//! upgrade device group edge through the Update Software window, the Software Version column;
//! 4: delete the registration from the Update Software window and through Edit > Trash); the
//! standby's GUI sends the user to the primary. The JSON API is asked afterwards: they agree.

use acnslab_tests::{
    browser, client_python, free_base_port, run_client_within, target_dir, LabProcess,
};

#[test]
fn the_guides_gui_procedures_in_a_real_browser() {
    let (chromium, chromedriver) = browser();
    let dir = tempfile::tempdir().expect("temp dir");
    // The default lab as `acnslab up` starts it (T1 links, 5 s reboots).
    let lab = LabProcess::start(dir.path(), free_base_port(5), 5, &["--boot-seconds", "5"]);
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
    // The upgrade goes at the pace of a T1 (8 MB images: about 45 s) and is watched as it runs.
    let result = run_client_within(
        &client_python(),
        "browser_gui.py",
        &[
            format!("http://{}", api("cdm1")),
            format!("http://{}", api("cdm2")),
            chromium.display().to_string(),
            chromedriver.display().to_string(),
            screenshot.display().to_string(),
        ],
        std::time::Duration::from_secs(300),
    );
    let text = |key: &str| result[key].as_str().unwrap_or_default().to_string();
    let has = |key: &str, part: &str| {
        assert!(
            text(key).contains(part),
            "{key} should contain {part:?}: {result:#}"
        )
    };
    // log in first, as the guide's step 1 says
    assert_eq!(
        text("unauthenticated_title"),
        "Login - Content Distribution Manager cdm1"
    );
    assert_eq!(
        text("bad_login"),
        "Login failed: wrong username or password."
    );
    assert_eq!(
        text("after_login_title"),
        "Content Engines - Content Distribution Manager cdm1"
    );
    assert_eq!(
        result["menu"],
        serde_json::json!([
            "Devices > CDM",
            "Devices > Content Engines",
            "Devices > Content Routers",
            "Devices > Device Groups",
            "System > Software Update",
            "Software Update Jobs"
        ]),
        "{result:#}"
    );
    // procedure 1
    assert_eq!(text("ces_window"), "Content Engines");
    assert_eq!(text("ce1_window"), "Modifying Content Engine ce1");
    has("ce1_information", "Software Version 5.1.3");
    has("show_version", "Version: ce565-5.1.3");
    // Devices > CDM: the standby's state, as it reported it to the primary
    assert_eq!(
        result["cdm_columns"],
        serde_json::json!([
            "",
            "Name",
            "IP Address",
            "Software Version",
            "Status",
            "Standby Status"
        ]),
        "{result:#}"
    );
    assert_eq!(text("cdm2_standby"), "in sync");
    assert_eq!(text("cdm1_standby"), "-");
    assert_eq!(
        text("cdm1_window"),
        "Modifying Content Distribution Manager cdm1"
    );
    assert_eq!(
        result["cdm1_panes"],
        serde_json::json!(["Status", "Show/Clear Commands > Show Commands"]),
        "a CDM is upgraded by CLI only: {result:#}"
    );
    // procedure 2
    assert_eq!(text("software_window"), "Software Update File Registration");
    assert_eq!(text("no_files"), "No software update files are registered.");
    assert_eq!(
        text("new_file_window"),
        "Registering New Software Update File"
    );
    has(
        "registered_note",
        "Software update file registered: http://10.1.1.100/meta/ACNS-5.2.1-K9-http.meta",
    );
    assert_eq!(
        text("file_url"),
        "http://10.1.1.100/meta/ACNS-5.2.1-K9-http.meta"
    );
    assert_eq!(
        text("duplicate_window"),
        "Registering New Software Update File"
    );
    has("duplicate_error", "already registered");
    // what the user typed stays in the form after the refusal
    has("duplicate_url_kept", "/meta/ACNS-5.2.1-K9");
    // an unknown address: a window of the GUI that says so, with a way back
    assert_eq!(text("not_found_title"), "Page Not Found");
    has("not_found_text", "/no/such/page");
    assert_eq!(text("after_not_found"), "Content Engines");
    // procedure 3
    assert_eq!(text("group_window"), "Modifying Device Group edge");
    assert_eq!(text("update_window"), "Update Software");
    assert_eq!(text("upgrade_window"), "Device Groups");
    has("upgrade_note", "Software update started; jobs:");
    assert_eq!(text("group_versions"), "ce1: 5.2.1; ce2: 5.2.1");
    // While the upgrade ran at the default lab's T1 pace, the Software Version column went through
    // the guide's table 7-2 messages (the download's megabytes counted as one message).
    let mut messages: Vec<String> = result["columns_seen"]
        .as_array()
        .expect("columns_seen")
        .iter()
        .flat_map(|column| column.as_str().unwrap_or_default().split("; "))
        .filter_map(|cell| cell.split_once(": ").map(|(_, m)| m))
        .filter(|m| m.contains("Prepositioned Download"))
        .map(|m| match m.find(" (Completed ") {
            Some(i) if m.ends_with(" MB)") => format!("{} (Completed N MB)", &m[..i]),
            _ => m.to_string(),
        })
        .collect();
    messages.sort();
    messages.dedup();
    assert_eq!(
        messages,
        [
            "Prepositioned Download Successful",
            "Prepositioned Download in Progress (Completed N MB)",
            "Proceeding with Prepositioned Download",
        ],
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
    // one row per job, times to the second; the history behind each job's link
    assert_eq!(result["job_rows"], 2, "{result:#}");
    assert!(
        regex_lite_time(&text("job_changed")) && regex_lite_time(&text("file_registered")),
        "a time to the second: {result:#}"
    );
    has("job_window", "Software Update Job");
    for message in [
        "Proceeding with Prepositioned Download",
        "Prepositioned Download in Progress (Completed 1 MB)",
        "Prepositioned Download Successful",
    ] {
        has("job_history", message);
    }
    assert_eq!(result["ce_versions"]["ce1"], "5.2.1", "{result:#}");
    assert_eq!(text("cr1_version"), "5.1.3", "not in the group");
    // procedure 4, both ways
    assert_eq!(
        text("ce_update_window"),
        "Update Software for Content Engine"
    );
    assert_eq!(text("delete_prompt"), "Delete this software update file?");
    assert_eq!(
        text("after_delete_window"),
        "Software Update File Registration"
    );
    assert_eq!(
        text("after_delete_files"),
        "No software update files are registered."
    );
    assert_eq!(text("modify_window"), "Modifying Software Update File");
    assert_eq!(
        text("after_trash_files"),
        "No software update files are registered."
    );
    has("standby_error", "not the primary");
    assert_eq!(
        text("still_logged_in"),
        "Content Engines",
        "a login on cdm2 is not one on cdm1, nor ends it"
    );
    assert_eq!(text("after_logout"), "Login");
    assert!(screenshot.is_file(), "the browser saved a screenshot");

    // the JSON API tells the same
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let labinfo: acnslab::lab::LabInfo = serde_json::from_value(info.clone()).expect("lab.json");
    let cdm1 = labinfo
        .devices
        .iter()
        .find(|d| d.name == "cdm1")
        .expect("cdm1 in lab.json");
    let admin = acnslab::api::Client::of(cdm1).expect("cdm1's API");
    let (status, devices) = runtime
        .block_on(admin.call("GET", "/api/devices", None))
        .expect("API call");
    assert_eq!(status, 200, "{devices}");
    let anonymous = admin.with_auth(acnslab::api::Auth::Anonymous);
    let (status, refused) = runtime
        .block_on(anonymous.call("GET", "/api/devices", None))
        .expect("API call");
    assert_eq!(status, 401, "the API needs the same login: {refused}");
    let (status, _) = runtime
        .block_on(admin.call("GET", "/devices/ce", None))
        .expect("page request");
    assert_eq!(
        status, 303,
        "pages take the GUI's login window, not the API's Basic credentials"
    );
    let ce2 = devices
        .as_array()
        .and_then(|d| d.iter().find(|d| d["name"] == "ce2"))
        .expect("ce2 in the API's device list");
    assert_eq!(ce2["software_version"], "5.2.1", "{devices:#}");
    drop(lab);
}

/// `YYYY-MM-DD HH:MM:SS`, nothing finer.
fn regex_lite_time(text: &str) -> bool {
    let b = text.as_bytes();
    b.len() == 19
        && b.iter().enumerate().all(|(i, c)| match i {
            4 | 7 => *c == b'-',
            10 => *c == b' ',
            13 | 16 => *c == b':',
            _ => c.is_ascii_digit(),
        })
}
