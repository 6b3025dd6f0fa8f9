//! Ansible against a lab device, as CLIENTS.md describes it: ansible-playbook from the client venv
//! (the `ansible` package bundles cisco.ios and ansible.netcommon), `network_cli` over paramiko and
//! over libssh (ansible-pylibssh),
//! `cisco.ios.ios_command`, `cisco.ios.ios_config` and `ansible.utils.cli_parse` with the lab's
//! TextFSM templates. The playbook asserts what the device
//! answered; the test then asks the lab's own state.

use std::process::Command;
use std::time::Duration;

use acnslab_tests::{client_python, run_with_timeout, TestLab, CE1_VERSION_LINE};

const PLAYBOOK: &str = r#"
- hosts: ce1
  gather_facts: false
  tasks:
    - name: show version and the CMS state
      cisco.ios.ios_command:
        commands: [show version, show cms info]
      register: shown
    - name: the device answered as ACNS 5.1.3, registered with its CDM
      ansible.builtin.assert:
        that:
          - "'VERSION_LINE' in shown.stdout[0]"
          - "'CMS services' in shown.stdout[1]"
    - name: the routes, parsed by the lab's TextFSM template (docs/parsers.md)
      ansible.utils.cli_parse:
        command: show ip routes
        parser:
          name: ansible.utils.textfsm
          template_path: TEMPLATES/cisco_acns_show_ip_routes.textfsm
        set_fact: routes
    - name: the default route is there, structured
      ansible.builtin.assert:
        that:
          - "routes | selectattr('DESTINATION', 'equalto', '0.0.0.0') | map(attribute='GATEWAY') | list == ['10.1.1.1']"
    - name: rename the device
      cisco.ios.ios_config:
        lines: [hostname ansible-ce1]
      register: renamed
    - name: the change was made
      ansible.builtin.assert:
        that: [renamed.changed]
    - name: save it
      cisco.ios.ios_command:
        commands: [write memory]
      register: saved
    - name: saved
      ansible.builtin.assert:
        that: ["'[OK]' in saved.stdout[0]"]
    - name: the running configuration has the new name
      cisco.ios.ios_command:
        commands: [show running-config]
        wait_for: ["result[0] contains 'hostname ansible-ce1'"]
"#;

#[test]
fn ansible_network_cli_over_paramiko_runs_commands_and_configures() {
    playbook_against_ce1("paramiko");
}

#[test]
fn ansible_network_cli_over_libssh_runs_commands_and_configures() {
    playbook_against_ce1("libssh");
}

/// Runs the playbook against ce1 of a fresh lab with `network_cli` over `ssh_type`.
fn playbook_against_ce1(ssh_type: &str) {
    let lab = TestLab::start();
    let dir = tempfile::tempdir().expect("temp dir");
    let inventory = format!(
        "all:\n  hosts:\n    ce1:\n      ansible_host: 127.0.0.1\n      ansible_port: {}\n  vars:\n    \
         ansible_connection: ansible.netcommon.network_cli\n    ansible_network_os: cisco.ios.ios\n    \
         ansible_user: admin\n    ansible_password: default\n    \
         ansible_network_cli_ssh_type: {ssh_type}\n",
        lab.port("ce1")
    );
    std::fs::write(dir.path().join("inventory.yml"), inventory).expect("inventory");
    std::fs::write(
        dir.path().join("play.yml"),
        PLAYBOOK.replace("VERSION_LINE", CE1_VERSION_LINE).replace(
            "TEMPLATES",
            &std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("../parsers/textfsm")
                .display()
                .to_string(),
        ),
    )
    .expect("playbook");
    let python = client_python();
    let playbook = python.with_file_name("ansible-playbook");
    let run = run_with_timeout(
        Command::new(&playbook)
            .current_dir(dir.path())
            .args(["-i", "inventory.yml", "play.yml"])
            .env("ANSIBLE_HOME", dir.path().join("ansible-home"))
            .env("ANSIBLE_LOCAL_TEMP", dir.path().join("ansible-tmp"))
            .env("ANSIBLE_HOST_KEY_CHECKING", "False")
            .env("ANSIBLE_DEPRECATION_WARNINGS", "False")
            .env("ANSIBLE_PERSISTENT_COMMAND_TIMEOUT", "30")
            .env("ANSIBLE_NOCOLOR", "1"),
        None,
        Duration::from_secs(180),
    );
    run.assert_success();
    assert!(
        run.stdout.contains("ok=9") && run.stdout.contains("failed=0"),
        "{}",
        run.describe()
    );
    // The lab agrees: the device is renamed and the name is saved.
    let device = lab.lab().node("ce1").expect("ce1").device().clone();
    let state = device.state();
    assert_eq!(state.running.hostname, "ansible-ce1");
    assert_eq!(state.startup.hostname, "ansible-ce1");
}
