//! The container image (deploy/image): `build.sh` builds it with podman from the acnslab binary
//! the tests already have (the debug build: a release build would add minutes to CI; the image is
//! the same but for the binary), without any registry; the containerised default lab takes its
//! password from a mounted file, answers SSH through a mapped port with it (not with
//! admin/default), `/healthz` through another, and podman's health check (the image's
//! `HEALTHCHECK`, `acnslab healthcheck`) passes.

use std::net::SocketAddr;
use std::path::Path;
use std::process::Command;
use std::time::Duration;

use acnslab_tests::{
    acnslab_binary, free_base_port, http_get, podman, run_with_timeout, ssh_exec_at, wait_for,
    Finished, PASSWORD,
};

const LAB_PASSWORD: &str = "Container-Pass-7";

fn run(command: &mut Command, timeout: Duration) -> Finished {
    run_with_timeout(command, None, timeout)
}

/// Removes the container when the test ends, whatever happened.
struct Container(String);

impl Drop for Container {
    fn drop(&mut self) {
        let _ = podman().args(["rm", "--force", &self.0]).output();
    }
}

#[test]
fn the_image_serves_the_default_lab_through_mapped_ports() {
    let image = format!("localhost/acnslab-test:{}", std::process::id());
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("../deploy/image/build.sh");
    // build.sh runs podman with the same options and configuration as the tests
    let mut build = Command::new(&script);
    build
        .arg(acnslab_binary())
        .arg(&image)
        .envs(podman().get_envs().filter_map(|(k, v)| Some((k, v?))))
        .env(
            "PODMAN",
            "podman --runtime /usr/sbin/runc --cgroup-manager cgroupfs",
        );
    let built = run(&mut build, Duration::from_secs(600));
    assert_eq!(built.code(), 0, "{}", built.describe());

    let temp = tempfile::tempdir().unwrap();
    let secret = temp.path().join("acnslab-password");
    std::fs::write(&secret, format!("{LAB_PASSWORD}\n")).unwrap();
    let host = free_base_port(2);
    let (ssh, health) = (host, host + 1);
    let name = format!("acnslab-test-{}", std::process::id());
    let started = run(
        podman().args(["run", "--detach", "--name", &name]).args([
            "--publish",
            &format!("127.0.0.1:{ssh}:2203"),
            "--publish",
            &format!("127.0.0.1:{health}:2501"),
            "--volume",
            &format!("{}:/run/secrets/acnslab-password:ro", secret.display()),
            &image,
        ]),
        Duration::from_secs(120),
    );
    let _container = Container(name.clone());
    assert_eq!(started.code(), 0, "{}", started.describe());

    let healthz = SocketAddr::from(([127, 0, 0, 1], health));
    let mut last = String::new();
    let up = wait_for(Duration::from_secs(120), || {
        match http_get(healthz, &format!("127.0.0.1:{health}"), "/healthz", None) {
            Ok((200, _)) => true,
            Ok((status, body)) => {
                last = format!("{status} {body}");
                false
            }
            Err(e) => {
                last = e.to_string();
                false
            }
        }
    });
    let logs = || {
        let logs = run(podman().args(["logs", &name]), Duration::from_secs(30));
        format!("{}{}", logs.stdout, logs.stderr)
    };
    assert!(up, "/healthz never answered 200 ({last})\n{}", logs());

    let run_ssh = ssh_exec_at("127.0.0.1", ssh, LAB_PASSWORD, "show version");
    assert_eq!(run_ssh.code(), 0, "{}\n{}", run_ssh.describe(), logs());
    assert!(
        run_ssh.stdout.contains("Version: ce565"),
        "{}",
        run_ssh.describe()
    );
    let run_ssh = ssh_exec_at("127.0.0.1", ssh, PASSWORD, "show version");
    assert_ne!(
        run_ssh.code(),
        0,
        "admin/default logs in\n{}",
        run_ssh.describe()
    );

    let check = run(
        podman().args(["healthcheck", "run", &name]),
        Duration::from_secs(60),
    );
    assert_eq!(check.code(), 0, "{}\n{}", check.describe(), logs());
    assert!(!logs().contains(LAB_PASSWORD), "the password is in the log");

    let stopped = run(
        podman().args(["stop", "--time", "20", &name]),
        Duration::from_secs(60),
    );
    assert_eq!(stopped.code(), 0, "{}", stopped.describe());
    assert!(logs().contains("lab stopped"), "{}", logs());
    drop(_container);
    let _ = podman().args(["rmi", "--force", &image]).output();
}
