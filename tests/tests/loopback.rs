//! Loopback addressing (`lab.addressing: loopback`, docs/topology.md) over a real `acnslab up`
//! process: each device listens on its own address of 127.0.0.0/8 (the last three octets of its
//! lab address), all on one SSH port, and OpenSSH reaches each by its address; `lab.json`, the
//! start-up table and `acnslab status` say the addresses.

use std::time::Duration;

use acnslab_tests::{
    free_base_port, run_acnslab, run_with_timeout, ssh_command, wait_for, LabProcess,
    CLIENT_TIMEOUT, USERNAME,
};

const TOPOLOGY: &str = "\
lab:
  addressing: loopback
  ssh_port: PORT
devices:
  - name: cdm1
    kind: cdm
    role: primary
    ip: 10.1.1.5
  - name: ce1
    kind: ce
    ip: 10.1.1.10
  - name: ce2
    kind: ce
    ip: 10.1.1.11
";

/// `show running-config` over OpenSSH's exec channel to `host:port`.
fn running_config(host: &str, port: u16) -> String {
    let run = run_with_timeout(
        ssh_command(port)
            .arg(format!("{USERNAME}@{host}"))
            .arg("show running-config"),
        None,
        CLIENT_TIMEOUT,
    );
    assert_eq!(run.code(), 0, "{}", run.describe());
    run.stdout.clone()
}

#[test]
fn each_device_answers_on_its_own_loopback_address_on_one_port() {
    let tmp = tempfile::tempdir().unwrap();
    let state = tmp.path().join("state");
    let topology = tmp.path().join("lab.yaml");
    // one free port for every device's SSH; the CDM's web port from its own base
    let port = free_base_port(1);
    std::fs::write(&topology, TOPOLOGY.replace("PORT", &port.to_string())).unwrap();
    let base = free_base_port(1);
    let lab = LabProcess::start(&state, base, 0, &["--topology", topology.to_str().unwrap()]);
    let listening = |host: &str| {
        let addr = format!("{host}:{port}").parse().unwrap();
        std::net::TcpStream::connect_timeout(&addr, Duration::from_secs(2)).is_ok()
    };
    assert!(wait_for(Duration::from_secs(30), || {
        ["127.1.1.5", "127.1.1.10", "127.1.1.11"]
            .iter()
            .all(|h| listening(h))
    }));
    assert!(
        !listening("127.0.0.1"),
        "nothing of the devices on 127.0.0.1:{port}"
    );

    for (host, name) in [
        ("127.1.1.10", "ce1"),
        ("127.1.1.11", "ce2"),
        ("127.1.1.5", "cdm1"),
    ] {
        let config = running_config(host, port);
        assert!(
            config.contains(&format!("hostname {name}\n")),
            "{host}:{port} is not {name}:\n{config}"
        );
    }

    let info: serde_json::Value =
        serde_json::from_slice(&std::fs::read(state.join("lab.json")).unwrap()).unwrap();
    let ssh_of = |name: &str| {
        info["devices"]
            .as_array()
            .unwrap()
            .iter()
            .find(|d| d["name"] == name)
            .map(|d| d["ssh"].as_str().unwrap().to_string())
            .unwrap()
    };
    assert_eq!(ssh_of("ce1"), format!("127.1.1.10:{port}"));
    assert_eq!(ssh_of("ce2"), format!("127.1.1.11:{port}"));

    let status = run_acnslab(
        &["status", "--state-dir", state.to_str().unwrap()],
        Duration::from_secs(30),
    );
    assert_eq!(status.code(), 0, "{}", status.describe());
    assert!(
        status.stdout.contains(&format!("127.1.1.11:{port}")),
        "{}",
        status.describe()
    );

    let (_, stdout, stderr) = lab.stop();
    assert!(
        stdout.contains(&format!("ssh admin@127.1.1.10 -p {port}")),
        "the start-up table:\n{stdout}\n{stderr}"
    );
}
