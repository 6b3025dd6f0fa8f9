//! The TextFSM templates of `parsers/textfsm` as netmiko users meet them: `send_command(...,
//! use_textfsm=True)` with `NET_TEXTFSM` pointing there, on a device of a running lab, returns
//! structured rows for every command of the index (netmiko's `raise_parsing_error` makes a template
//! that matches nothing fail instead of handing back raw text).

use std::path::PathBuf;

use acnslab_tests::{run_client, TestLab};
use serde_json::Value;

/// The command each template of the index is tried with, and one more form of `show clock`.
const COMMANDS: [(&str, &str); 10] = [
    ("cisco_acns_show_version.textfsm", "show version"),
    ("cisco_acns_show_cms_info.textfsm", "show cms info"),
    (
        "cisco_acns_show_interface.textfsm",
        "show interface GigabitEthernet 1/0",
    ),
    ("cisco_acns_show_ip_routes.textfsm", "show ip routes"),
    ("cisco_acns_show_arp.textfsm", "show arp"),
    (
        "cisco_acns_show_disks_details.textfsm",
        "show disks details",
    ),
    ("cisco_acns_show_clock.textfsm", "show clock"),
    ("cisco_acns_show_clock.textfsm", "sh clock detail"),
    (
        "cisco_acns_show_running-config.textfsm",
        "show running-config",
    ),
    ("cisco_acns_dir.textfsm", "dir"),
];

fn templates() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../parsers/textfsm")
}

/// The rows netmiko returned for `command` (a list, or the test fails with what came back).
fn rows<'a>(result: &'a Value, command: &str) -> &'a Vec<Value> {
    result[command]
        .as_array()
        .unwrap_or_else(|| panic!("{command}: no rows but {:#}", result[command]))
}

fn cell<'a>(row: &'a Value, key: &str) -> &'a str {
    row[key]
        .as_str()
        .unwrap_or_else(|| panic!("no {key} in {row:#}"))
}

#[test]
fn every_template_of_the_index_is_tried_here() {
    let index = std::fs::read_to_string(templates().join("index")).unwrap();
    let listed: Vec<&str> = index
        .lines()
        .filter(|l| l.starts_with("cisco_acns_"))
        .map(|l| l.split(',').next().unwrap().trim())
        .collect();
    assert!(listed.len() >= 9, "{listed:?}");
    for template in listed {
        assert!(
            COMMANDS.iter().any(|(t, _)| *t == template),
            "{template} is in the index but no test command uses it"
        );
        assert!(templates().join(template).is_file(), "{template} missing");
    }
}

#[test]
fn netmiko_use_textfsm_returns_rows_for_each_template() {
    let lab = TestLab::start();
    let mut args = vec![
        lab.port("ce1").to_string(),
        templates().display().to_string(),
    ];
    args.extend(COMMANDS.iter().map(|(_, c)| c.to_string()));
    let result = run_client("netmiko_textfsm.py", &args);

    let version = &rows(&result, "show version")[0];
    assert_eq!(cell(version, "version"), "5.1.3", "{version:#}");
    assert_eq!(cell(version, "model"), "ce565");
    assert_eq!(cell(version, "build"), "b26");

    let info = &rows(&result, "show cms info")[0];
    assert!(cell(info, "device_id").parse::<u32>().is_ok(), "{info:#}");
    assert_eq!(cell(info, "registered_as"), "Content Engine");
    assert_eq!(cell(info, "registered_with"), "10.1.1.5");
    assert_eq!(cell(info, "status"), "Online");
    assert_eq!(info["running_services"], serde_json::json!(["cms_ce"]));

    let iface = &rows(&result, "show interface GigabitEthernet 1/0")[0];
    assert_eq!(cell(iface, "ip_address"), "10.1.1.10", "{iface:#}");
    assert_eq!(cell(iface, "netmask"), "255.255.255.0");
    assert_eq!(cell(iface, "flags"), "UP BROADCAST RUNNING MULTICAST");
    assert!(cell(iface, "input_packets").parse::<u64>().unwrap() > 0);

    let routes = rows(&result, "show ip routes");
    assert!(
        routes
            .iter()
            .any(|r| cell(r, "destination") == "0.0.0.0" && cell(r, "gateway") == "10.1.1.1"),
        "{routes:#?}"
    );
    let arp = rows(&result, "show arp");
    assert!(
        arp.iter().any(|r| cell(r, "address") == "10.1.1.5"),
        "the CDM it polls: {arp:#?}"
    );
    let disks = &rows(&result, "show disks details")[0];
    assert_eq!(cell(disks, "mount_point"), "/local/local1", "{disks:#}");
    let clock = &rows(&result, "show clock")[0];
    assert!(
        cell(clock, "year").parse::<u32>().unwrap() >= 2026,
        "{clock:#}"
    );
    let detail = &rows(&result, "sh clock detail")[0];
    assert_eq!(cell(detail, "time_source"), "hardware clock", "{detail:#}");

    let config = rows(&result, "show running-config");
    assert_eq!(config.len(), 2, "one row per interface: {config:#?}");
    assert_eq!(cell(&config[0], "hostname"), "ce1");
    assert_eq!(cell(&config[0], "interface"), "GigabitEthernet 1/0");
    assert_eq!(cell(&config[0], "ip_address"), "10.1.1.10");
    assert_eq!(cell(&config[1], "default_gateway"), "10.1.1.1");
    let dir = rows(&result, "dir");
    assert!(
        dir.iter().any(|r| cell(r, "name") == "syslog.txt"),
        "{dir:#?}"
    );
}
