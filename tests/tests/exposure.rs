//! `acnslab up --listen`: a lab bound to every address answers beyond 127.0.0.1 (here at
//! 127.0.0.2, which a lab on 127.0.0.1 does not answer), its devices and CDM API take the lab
//! password from `--password-file` and no longer `admin/default`, the password is never printed or
//! logged, and the state files holding it are private; a lab other hosts would reach with the
//! default login, a bad password or a bad address is refused before anything is written.

use std::net::SocketAddr;
use std::os::unix::fs::PermissionsExt;
use std::time::Duration;

use acnslab_tests::{
    free_base_port, http_get, run_acnslab, ssh_exec_at, LabProcess, PASSWORD, USERNAME,
};

/// The lab password of these tests (letters, digits, `-`: the askpass script says it as it is).
const LAB_PASSWORD: &str = "Trainee-Pass-42";
const CDM1: u16 = 0;
const CE1: u16 = 2;

/// A second loopback address: reached only by a lab bound to every address.
const OTHER_ADDRESS: &str = "127.0.0.2";

fn at(host: &str, port: u16) -> SocketAddr {
    SocketAddr::new(host.parse().unwrap(), port)
}

#[test]
fn a_lab_on_every_address_takes_the_lab_password_and_never_shows_it() {
    let temp = tempfile::tempdir().unwrap();
    let dir = temp.path().join("state");
    let password_file = temp.path().join("lab-password");
    std::fs::write(&password_file, format!("{LAB_PASSWORD}\n")).unwrap();
    let base = free_base_port(5);
    let lab = LabProcess::start_logging_with(
        &dir,
        base,
        5,
        "acnslab=debug",
        &[
            "--listen",
            "0.0.0.0",
            "--password-file",
            password_file.to_str().unwrap(),
        ],
    );

    // SSH at an address other than 127.0.0.1, with the lab password; the default is refused
    let run = ssh_exec_at(OTHER_ADDRESS, lab.port(CE1), LAB_PASSWORD, "show version");
    assert_eq!(run.code(), 0, "{}", run.describe());
    assert!(run.stdout.contains("Version: ce565"), "{}", run.describe());
    let run = ssh_exec_at(OTHER_ADDRESS, lab.port(CE1), PASSWORD, "show version");
    assert_ne!(
        run.code(),
        0,
        "admin/default still logs in\n{}",
        run.describe()
    );

    // the CDM's API under a name of a port mapping, with the lab password only
    let api = at(OTHER_ADDRESS, base + 100 + CDM1);
    let (status, body) = http_get(
        api,
        "lab.example:8080",
        "/api/devices/ce1",
        Some((USERNAME, LAB_PASSWORD)),
    )
    .unwrap();
    assert_eq!(status, 200, "{body}");
    assert!(body.contains("\"name\":\"ce1\""), "{body}");
    let (status, body) = http_get(
        api,
        "lab.example:8080",
        "/api/devices/ce1",
        Some((USERNAME, PASSWORD)),
    )
    .unwrap();
    assert_eq!(status, 401, "the CDM API still takes admin/default: {body}");

    // lab.json tells tools where to connect from this host, with the password, privately
    let info: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("lab.json")).unwrap()).unwrap();
    let ce1 = &info["devices"][usize::from(CE1)];
    assert_eq!(ce1["ssh"], format!("127.0.0.1:{}", base + CE1), "{info:#}");
    assert_eq!(ce1["password"], LAB_PASSWORD, "{info:#}");
    for file in ["lab.json", "devices/ce1/startup-config"] {
        let mode = std::fs::metadata(dir.join(file))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o077, 0, "{file} is readable by others: {mode:o}");
    }
    // the startup configuration keeps the password obscured, not in clear text
    let startup = std::fs::read_to_string(dir.join("devices/ce1/startup-config")).unwrap();
    assert!(startup.contains("username admin password 1 "), "{startup}");
    assert!(!startup.contains(LAB_PASSWORD), "{startup}");
    let topology = std::fs::read_to_string(dir.join("topology.yaml")).unwrap();
    assert!(topology.contains("listen: 0.0.0.0"), "{topology}");
    assert!(!topology.contains(LAB_PASSWORD), "{topology}");

    let (status, stdout, stderr) = lab.stop();
    assert!(status.success(), "{stderr}");
    assert!(
        stderr.contains("where other hosts reach it"),
        "no warning that the lab is exposed:\n{stderr}"
    );
    assert!(
        stdout.contains("password for admin: the one given"),
        "{stdout}"
    );
    for (what, text) in [("stdout", &stdout), ("stderr", &stderr)] {
        assert!(
            !text.contains(LAB_PASSWORD),
            "the password is in the {what}:\n{text}"
        );
    }

    // resumed on loopback without a password: the devices keep the lab password, and the lab
    // answers 127.0.0.1 only
    let lab = LabProcess::start(&dir, base, 5, &["--listen", "127.0.0.1"]);
    let run = ssh_exec_at("127.0.0.1", lab.port(CE1), LAB_PASSWORD, "show clock");
    assert_eq!(run.code(), 0, "{}", run.describe());
    assert!(
        std::net::TcpStream::connect_timeout(
            &at(OTHER_ADDRESS, lab.port(CE1)),
            Duration::from_secs(2)
        )
        .is_err(),
        "a lab on 127.0.0.1 answers {OTHER_ADDRESS}"
    );
    let (status, _, stderr) = lab.stop();
    assert!(status.success(), "{stderr}");
}

#[test]
fn an_exposed_lab_without_a_password_or_with_a_bad_one_writes_nothing() {
    let temp = tempfile::tempdir().unwrap();
    let dir = temp.path().join("state");
    let state = dir.to_str().unwrap();
    let base = free_base_port(5).to_string();
    let up = |extra: &[&str]| {
        let mut args = vec!["up", "--state-dir", state, "--base-port", &base];
        args.extend_from_slice(extra);
        run_acnslab(&args, Duration::from_secs(60))
    };

    let run = up(&["--listen", "0.0.0.0"]);
    assert_eq!(run.code(), 1, "{}", run.describe());
    assert!(
        run.stderr.contains("--password-file") && run.stderr.contains("--allow-default-password"),
        "{}",
        run.describe()
    );
    let secret = "abc d12";
    let run = up(&["--listen", "0.0.0.0", "--password", secret]);
    assert_eq!(run.code(), 1, "{}", run.describe());
    assert!(
        run.stderr
            .contains("--password: the password must be 8 to 64"),
        "{}",
        run.describe()
    );
    assert!(!run.stderr.contains(secret), "{}", run.describe());
    let missing = temp.path().join("no-such-file");
    let run = up(&["--password-file", missing.to_str().unwrap()]);
    assert_eq!(run.code(), 1, "{}", run.describe());
    assert!(
        run.stderr.contains("--password-file") && run.stderr.contains("no-such-file"),
        "{}",
        run.describe()
    );
    let run = up(&["--listen", "224.0.0.1", "--allow-default-password"]);
    assert_eq!(run.code(), 1, "{}", run.describe());
    assert!(
        run.stderr.contains("--listen: 224.0.0.1"),
        "{}",
        run.describe()
    );

    // the topology's lab.listen counts as the flag does, and a bad one is named with its line
    let exposed = temp.path().join("exposed.yaml");
    std::fs::write(
        &exposed,
        "lab:\n  listen: 0.0.0.0\ndevices:\n  - {name: ce1, kind: ce, ip: 10.1.1.10}\n",
    )
    .unwrap();
    let run = up(&["--topology", exposed.to_str().unwrap()]);
    assert_eq!(run.code(), 1, "{}", run.describe());
    assert!(
        run.stderr.contains("--allow-default-password"),
        "{}",
        run.describe()
    );
    let bad = temp.path().join("bad.yaml");
    std::fs::write(
        &bad,
        "lab:\n  base_port: 2201\n  listen: 300.1.1.1\ndevices:\n  - {name: ce1, kind: ce, ip: 10.1.1.10}\n",
    )
    .unwrap();
    let run = up(&["--topology", bad.to_str().unwrap()]);
    assert_eq!(run.code(), 1, "{}", run.describe());
    assert!(
        run.stderr.contains(&format!("{}:3:", bad.display())),
        "{}",
        run.describe()
    );
    assert!(
        !dir.exists(),
        "a refused start wrote the state directory {}",
        dir.display()
    );
}
