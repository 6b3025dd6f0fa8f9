//! The `acnslab` binary: stopping and restarting a lab on the same state directory keeps the
//! configuration and the SSH host keys; a bad topology file is refused before anything starts.

use std::time::Duration;

use acnslab_tests::{
    free_base_port, host_key, is_listening, run_acnslab, ssh_exec, LabProcess, LabSetup, TestLab,
};

const CE1: u16 = 2;

#[test]
fn restart_keeps_saved_config_and_host_keys() {
    let state = tempfile::tempdir().unwrap();
    let dir = state.path().join("state");
    let base = free_base_port(5);

    let lab = LabProcess::start(&dir, base, 5, &[]);
    let keys: Vec<String> = (0..5).map(|i| host_key(lab.port(i))).collect();
    assert!(keys[0].starts_with("ssh-ed25519 "), "{keys:?}");
    let distinct: std::collections::HashSet<_> = keys.iter().collect();
    assert_eq!(
        distinct.len(),
        5,
        "each device has its own host key: {keys:?}"
    );
    let run = ssh_exec(
        lab.port(CE1),
        "configure terminal\nhostname kept-ce1\nend\nwrite memory",
    );
    assert_eq!(run.code(), 0, "{}", run.describe());
    // A change that is not saved does not survive.
    let run = ssh_exec(lab.port(CE1 + 1), "configure terminal\nhostname lost-ce2");
    assert_eq!(run.code(), 0, "{}", run.describe());
    let (status, stdout, stderr) = lab.stop();
    assert!(
        status.success(),
        "acnslab up after SIGTERM: {status}\n{stderr}"
    );
    assert!(stdout.contains("lab stopped"), "{stdout}");
    assert!(
        wait_for_closed(base, 5),
        "ports still open after the lab stopped"
    );

    // Resume: no --topology, the state directory has it.
    let lab = LabProcess::start(&dir, base, 5, &[]);
    let again: Vec<String> = (0..5).map(|i| host_key(lab.port(i))).collect();
    assert_eq!(keys, again, "host keys changed across a restart");
    let run = ssh_exec(lab.port(CE1), "show running-config");
    assert!(
        run.stdout.contains("hostname kept-ce1"),
        "{}",
        run.describe()
    );
    let run = ssh_exec(lab.port(CE1 + 1), "show running-config");
    assert!(run.stdout.contains("hostname ce2"), "{}", run.describe());
    assert!(!run.stdout.contains("lost-ce2"), "{}", run.describe());
    let (status, _, stderr) = lab.stop();
    assert!(status.success(), "{stderr}");
    // what the first start created was private already: nothing to tighten at the second
    assert!(
        !stderr.contains("readable by others"),
        "the second start tightened what the first made:\n{stderr}"
    );
    assert!(!stderr.contains("not in the topology"), "{stderr}");

    // A smaller topology on the same state directory: the devices it leaves out are named at
    // start (their folders kept, unused), not silently ignored.
    let smaller = state.path().join("smaller.yaml");
    std::fs::write(
        &smaller,
        "devices:\n  - {name: cdm1, kind: cdm, ip: 10.1.1.5}\n  - {name: cdm2, kind: cdm, role: standby, ip: 10.1.1.6}\n  - {name: ce1, kind: ce, ip: 10.1.1.10, groups: [edge]}\n",
    )
    .unwrap();
    let lab = LabProcess::start(&dir, base, 3, &["--topology", smaller.to_str().unwrap()]);
    let (status, _, stderr) = lab.stop();
    assert!(status.success(), "{stderr}");
    assert!(
        stderr.contains("devices of this state directory are not in the topology")
            && stderr.contains("ce2, cr1"),
        "{stderr}"
    );
    assert!(dir.join("devices/ce2").is_dir(), "ce2's folder is kept");
}

#[test]
fn restart_in_process_keeps_config_and_host_key() {
    let lab = TestLab::start();
    let port = lab.port("cr1");
    let key = host_key(port);
    let run = ssh_exec(
        port,
        "configure terminal\nhostname cr-kept\nend\nwrite memory",
    );
    assert_eq!(run.code(), 0, "{}", run.describe());
    let (dir, guard) = lab.stop();
    assert!(!is_listening(port), "the port is closed after shutdown");

    let lab = TestLab::start_with(LabSetup {
        state_dir: Some(dir),
        ..LabSetup::default()
    });
    let port = lab.port("cr1");
    assert_eq!(host_key(port), key, "host key changed across a restart");
    let run = ssh_exec(port, "show running-config");
    assert!(
        run.stdout.contains("hostname cr-kept"),
        "{}",
        run.describe()
    );
    drop(lab);
    drop(guard);
}

fn wait_for_closed(base: u16, count: u16) -> bool {
    acnslab_tests::wait_for(Duration::from_secs(10), || {
        (0..count).all(|i| !is_listening(base + i))
    })
}

#[test]
fn bad_topology_names_file_and_line_and_starts_nothing() {
    let temp = tempfile::tempdir().unwrap();
    let cases = [
        // An unknown key (found by the parser) on line 7.
        (
            "lab:\n  boot_seconds: 1\ndevices:\n  - name: a\n    kind: ce\n    ip: 10.0.0.1\n    colour: red\n",
            7,
            "colour",
        ),
        // Two devices with one address (found by the checks): the second, on line 5.
        (
            "devices:\n  - name: a\n    kind: ce\n    ip: 10.0.0.1\n  - name: b\n    kind: ce\n    ip: 10.0.0.1\n",
            5,
            "10.0.0.1",
        ),
        // Not YAML: a mapping value where none is allowed, on line 4.
        (
            "devices:\n  - name: a\n    kind: ce\n    ip: 10.0.0.1: 24\n",
            4,
            "mapping values",
        ),
    ];
    for (i, (text, line, word)) in cases.into_iter().enumerate() {
        let file = temp.path().join("bad.yaml");
        std::fs::write(&file, text).unwrap();
        let state = temp.path().join(format!("state{i}"));
        let base = free_base_port(5);
        let run = run_acnslab(
            &[
                "up",
                "--topology",
                file.to_str().unwrap(),
                "--state-dir",
                state.to_str().unwrap(),
                "--base-port",
                &base.to_string(),
            ],
            Duration::from_secs(30),
        );
        let code = run.code();
        assert_ne!(
            code,
            0,
            "case {i}: a bad topology must fail\n{}",
            run.describe()
        );
        let located = format!("bad.yaml:{line}:");
        assert!(
            run.stderr.contains(&located),
            "case {i}: stderr must name {located:?}\n{}",
            run.describe()
        );
        assert!(
            run.stderr.contains(word),
            "case {i}: stderr must name {word:?}\n{}",
            run.describe()
        );
        assert!(
            (0..5).all(|p| !is_listening(base + p)),
            "case {i}: nothing may listen"
        );
        assert!(!state.exists(), "case {i}: no state directory is created");
    }
}

/// Two labs on one state directory (issue 11, item 1): a second `acnslab up` started a second lab
/// on the same device files, overwrote `lab.json` and removed the first lab's control socket. Now
/// it is refused at once, naming the running lab, and the first stays fully reachable; after the
/// first stops (or is killed) the tools say so in words instead of `Connection refused`.
#[test]
fn a_second_lab_on_the_same_state_directory_is_refused_and_the_first_keeps_serving() {
    let state = tempfile::tempdir().unwrap();
    let dir = state.path().join("state");
    let base = free_base_port(5);
    let lab = LabProcess::start(&dir, base, 5, &[]);
    let info_before = std::fs::read_to_string(dir.join("lab.json")).unwrap();
    let other = free_base_port(5);
    let second = run_acnslab(
        &[
            "up",
            "--state-dir",
            dir.to_str().unwrap(),
            "--base-port",
            &other.to_string(),
        ],
        Duration::from_secs(30),
    );
    assert_ne!(second.code(), 0, "{}", second.describe());
    assert!(
        second
            .stderr
            .contains("a lab is already running in this state directory")
            && second.stderr.contains(&format!("pid {}", lab.pid()))
            && second
                .stderr
                .contains(&format!("SSH ports {base}-{}", base + 4)),
        "{}",
        second.describe()
    );
    assert!(!is_listening(other), "the second lab listened");
    assert_eq!(
        std::fs::read_to_string(dir.join("lab.json")).unwrap(),
        info_before,
        "lab.json changed"
    );
    // the first lab: SSH, console (control socket) and cdm (API) all answer
    let run = ssh_exec(lab.port(CE1), "show version");
    assert_eq!(run.code(), 0, "{}", run.describe());
    let console = acnslab_tests::run_with_timeout(
        std::process::Command::new(acnslab_tests::acnslab_binary()).args([
            "console",
            "ce1",
            "--state-dir",
            dir.to_str().unwrap(),
        ]),
        Some(b"show clock\nexit\n".as_slice()),
        Duration::from_secs(20),
    );
    assert!(
        console.stdout.contains("Local time"),
        "console: {}",
        console.describe()
    );
    let cdm = run_acnslab(
        &["cdm", "--state-dir", dir.to_str().unwrap(), "devices"],
        Duration::from_secs(20),
    );
    assert_eq!(cdm.code(), 0, "{}", cdm.describe());
    let pid = lab.pid();
    let (status, _, stderr) = lab.stop();
    assert!(status.success(), "{stderr}");
    let info: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("lab.json")).unwrap()).unwrap();
    assert_eq!(info["running"], false, "{info}");
    let cdm = run_acnslab(
        &["cdm", "--state-dir", dir.to_str().unwrap(), "devices"],
        Duration::from_secs(20),
    );
    assert_ne!(cdm.code(), 0);
    assert!(
        cdm.stderr.contains(&format!(
            "no lab is running in {} (pid {pid} was stopped)",
            dir.display()
        )) && cdm.stderr.contains("acnslab up --state-dir"),
        "{}",
        cdm.describe()
    );
    // killed: lab.json still says running, the tools know better
    let lab = LabProcess::start(&dir, base, 5, &[]);
    let pid = lab.pid();
    let _ = std::process::Command::new("kill")
        .args(["-KILL", &pid.to_string()])
        .status();
    assert!(wait_for_closed(base, 5), "ports still open after kill -9");
    let console = acnslab_tests::run_with_timeout(
        std::process::Command::new(acnslab_tests::acnslab_binary()).args([
            "console",
            "ce1",
            "--state-dir",
            dir.to_str().unwrap(),
        ]),
        Some(b"exit\n".as_slice()),
        Duration::from_secs(20),
    );
    assert!(
        console.stderr.contains(&format!(
            "no lab is running in {} (pid {pid} ended without stopping: killed or crashed)",
            dir.display()
        )),
        "{}",
        console.describe()
    );
    drop(lab);
}

/// `up --detach`, `status`, `inspect`, `list` and `down` (issue 11, item 2), over real processes
/// as a CI job would use them: `up --detach` returns once every device serves, with the table;
/// `status --json` says running with each device; `down` stops the lab and waits; `status` then
/// says why nothing runs, with exit status 1.
#[test]
fn up_detach_status_inspect_list_and_down_round_trip() {
    let state = tempfile::tempdir().unwrap();
    let dir = state.path().join("state");
    let registry = state.path().join("registry");
    let base = free_base_port(5);
    let dir_arg = dir.to_str().unwrap();
    let acnslab = |args: &[&str]| {
        acnslab_tests::run_with_timeout(
            std::process::Command::new(acnslab_tests::acnslab_binary())
                .args(args)
                .env("ACNSLAB_REGISTRY", &registry),
            None,
            Duration::from_secs(150),
        )
    };
    let up = acnslab(&[
        "up",
        "--detach",
        "--state-dir",
        dir_arg,
        "--base-port",
        &base.to_string(),
        "--boot-seconds",
        "1",
    ]);
    assert_eq!(up.code(), 0, "{}", up.describe());
    assert!(
        up.stdout.contains("lab running in the background") && up.stdout.contains("ce1 "),
        "{}",
        up.describe()
    );
    // it serves at once, and is not a child of the command that started it
    let run = ssh_exec(base + CE1, "show version");
    assert_eq!(run.code(), 0, "{}", run.describe());
    let status = acnslab(&["status", "--json", "--state-dir", dir_arg]);
    assert_eq!(status.code(), 0, "{}", status.describe());
    let json: serde_json::Value = serde_json::from_str(&status.stdout).unwrap();
    assert_eq!(json["running"], true, "{json}");
    let names: Vec<&str> = json["devices"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["cdm1", "cdm2", "ce1", "ce2", "cr1"]);
    let ce1 = &json["devices"][2];
    assert_eq!(ce1["ssh"], format!("127.0.0.1:{}", base + CE1));
    assert_eq!(ce1["version"], "5.1.3");
    let inspect = acnslab(&["inspect", "ce1", "--state-dir", dir_arg]);
    assert!(
        inspect.stdout.contains("hostname") && inspect.stdout.contains("CE-565"),
        "{}",
        inspect.describe()
    );
    let list = acnslab(&["list", "--json"]);
    let listed: serde_json::Value = serde_json::from_str(&list.stdout).unwrap();
    assert_eq!(listed[0]["running"], true, "{listed}");
    assert_eq!(
        listed[0]["state_dir"].as_str().unwrap(),
        dir.canonicalize().unwrap().to_str().unwrap()
    );
    // a second lab on the same ports, in another directory: the running lab is named
    let other_dir = state.path().join("other");
    let clash = acnslab(&[
        "up",
        "--state-dir",
        other_dir.to_str().unwrap(),
        "--base-port",
        &base.to_string(),
    ]);
    assert_ne!(clash.code(), 0, "{}", clash.describe());
    assert!(
        clash.stderr.contains(&format!(
            "cannot listen on 127.0.0.1:{base}: the lab running in {}",
            dir.canonicalize().unwrap().display()
        )) && clash.stderr.contains("is clear of every running lab"),
        "{}",
        clash.describe()
    );
    let down = acnslab(&["down", "--state-dir", dir_arg]);
    assert_eq!(down.code(), 0, "{}", down.describe());
    assert!(down.stdout.contains("lab stopped"), "{}", down.describe());
    assert!(!is_listening(base + CE1), "still listening after down");
    // `list` of a stopped lab: no pid, the listen address it last had (its lab.json)
    let info: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("lab.json")).unwrap()).unwrap();
    let listen = info["listen"]
        .as_str()
        .expect("lab.json names the listen address");
    let list = acnslab(&["list", "--json"]);
    let listed: serde_json::Value = serde_json::from_str(&list.stdout).unwrap();
    assert_eq!(listed[0]["running"], false, "{listed}");
    assert!(listed[0].get("pid").is_none(), "{listed}");
    assert_eq!(listed[0]["listen"], listen, "{listed}");
    let table = acnslab(&["list"]);
    let row: Vec<&str> = table
        .stdout
        .lines()
        .nth(1)
        .unwrap_or_default()
        .split_whitespace()
        .collect();
    assert_eq!(
        row.get(1..4),
        Some(&["stopped", "-", listen][..]),
        "{}",
        table.describe()
    );
    let status = acnslab(&["status", "--state-dir", dir_arg]);
    assert_eq!(status.code(), 1, "{}", status.describe());
    assert!(
        status.stdout.contains("no lab is running in") && status.stdout.contains("was stopped"),
        "{}",
        status.describe()
    );
    // a second down is not an error: the lab is down either way
    let again = acnslab(&["down", "--state-dir", dir_arg]);
    assert_eq!(again.code(), 0, "{}", again.describe());
    // a lab that fails to start: its own error, from the detached process's log
    let taken = std::net::TcpListener::bind(("127.0.0.1", base)).unwrap();
    let bad = acnslab(&[
        "up",
        "--detach",
        "--state-dir",
        dir_arg,
        "--base-port",
        &base.to_string(),
    ]);
    drop(taken);
    assert!(
        bad.stderr.contains("the lab did not start")
            && bad
                .stderr
                .contains(&format!("cannot listen on 127.0.0.1:{base}")),
        "{}",
        bad.describe()
    );
    assert_ne!(bad.code(), 0, "{}", bad.describe());
}

/// Ports (issue 11, item 3): every listener derives from `--base-port` (the image servers took
/// random ports whatever it said), and a layout in the kernel's ephemeral range is refused before
/// anything is written (item 4: flags and topology checked before writing).
#[test]
fn every_port_derives_from_the_base_and_the_ephemeral_range_is_refused_before_writing() {
    let state = tempfile::tempdir().unwrap();
    let dir = state.path().join("state");
    let base = free_base_port(5);
    let lab = LabProcess::start(&dir, base, 5, &[]);
    let info: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("lab.json")).unwrap()).unwrap();
    let at = |offset: u16| format!("127.0.0.1:{}", base + offset);
    assert_eq!(info["devices"][0]["ssh"], at(0), "{info}");
    assert_eq!(info["devices"][0]["api"], at(100), "{info}");
    assert_eq!(info["devices"][1]["api"], at(101), "{info}");
    assert_eq!(info["servers"][0]["ftp"], at(200), "{info}");
    assert_eq!(info["servers"][0]["http"], at(201), "{info}");
    drop(lab);

    let fresh = state.path().join("fresh");
    let refused = run_acnslab(
        &[
            "up",
            "--state-dir",
            fresh.to_str().unwrap(),
            "--base-port",
            "40000",
        ],
        Duration::from_secs(30),
    );
    assert_ne!(refused.code(), 0, "{}", refused.describe());
    assert!(
        refused.stderr.contains("in the kernel's ephemeral range")
            && refused.stderr.contains("first: cdm1 SSH on 40000"),
        "{}",
        refused.describe()
    );
    assert!(
        !fresh.exists(),
        "a refused start made its state directory: {:?}",
        std::fs::read_dir(&fresh).map(|d| d.flatten().map(|e| e.file_name()).collect::<Vec<_>>())
    );
    // in the background: the lab's own error, and no directory left for its log alone
    let refused = run_acnslab(
        &[
            "up",
            "--detach",
            "--state-dir",
            fresh.to_str().unwrap(),
            "--base-port",
            "40000",
        ],
        Duration::from_secs(60),
    );
    assert_ne!(refused.code(), 0, "{}", refused.describe());
    assert!(
        refused.stderr.contains("in the kernel's ephemeral range"),
        "{}",
        refused.describe()
    );
    assert!(!fresh.exists(), "{}", refused.describe());
}

/// Feedback (issue 11, item 6): at `RUST_LOG=acnslab=info` the lab logs logins, failed logins
/// (user and peer), closed sessions, failed commands (secrets masked) and reloads, without colour
/// codes when stderr is not a terminal.
#[test]
fn the_log_says_who_logged_in_what_failed_and_what_reloaded_without_colour() {
    let state = tempfile::tempdir().unwrap();
    let dir = state.path().join("state");
    let base = free_base_port(5);
    let lab = LabProcess::start_logging(&dir, base, 5, "acnslab=info");
    let run = ssh_exec(lab.port(CE1), "shw version");
    assert_ne!(run.code(), 0, "{}", run.describe());
    let run = ssh_exec(
        lab.port(CE1),
        "configure terminal\nusername admin password hidden-word privilege 99\nend",
    );
    assert_eq!(run.code(), 1, "{}", run.describe());
    let wrong =
        acnslab_tests::run_client("guesses.py", &[lab.port(CE1 + 1).to_string(), "1".into()]);
    assert_eq!(wrong["right"], "accepted", "{wrong:#}");
    let run = ssh_exec(lab.port(CE1 + 2), "reload\nno");
    assert!(run.code() == 0 || run.code() == 1, "{}", run.describe());
    // a misspelt keyword before a secret: the failed line is logged without the secret
    let run = ssh_exec(
        lab.port(CE1),
        "configure terminal\nsnmp-server communty topsecret-word\nend",
    );
    assert_eq!(run.code(), 1, "{}", run.describe());
    // a wrong password at the CDM's API: logged with the CDM and the client's address
    let api = std::net::SocketAddr::from(([127, 0, 0, 1], base + 100));
    let (status, _) = acnslab_tests::http_get(
        api,
        &api.to_string(),
        "/api/devices",
        Some(("admin", "not-the-password")),
    )
    .unwrap();
    assert_eq!(status, 401);
    let (_, _, log) = lab.stop();
    assert!(
        !log.contains("readable by others"),
        "a fresh state directory was 'tightened':\n{log}"
    );
    for needle in [
        "login",
        "login failed",
        "session closed",
        "command failed",
        "shw version",
        "peer=127.0.0.1",
    ] {
        assert!(log.contains(needle), "no {needle:?} in the log:\n{log}");
    }
    // every login line says on which device and from where
    let logins: Vec<&str> = log
        .lines()
        .filter(|l| l.contains(" login") && l.contains("user="))
        .collect();
    assert!(logins.iter().any(|l| l.contains("login failed")), "{log}");
    for line in &logins {
        let ssh = line.contains("ssh{device=");
        let http = line.contains("http{peer=") && line.contains("cdm=cdm1");
        assert!(
            (ssh || http) && line.contains("peer=127.0.0.1"),
            "a login line without its device and peer: {line}"
        );
    }
    assert!(
        logins.iter().any(|l| l.contains("login failed")
            && l.contains("door=Api")
            && l.contains("http{peer=127.0.0.1")),
        "no API login failure with its peer:\n{log}"
    );
    assert!(!log.contains("hidden-word"), "a secret in the log:\n{log}");
    assert!(
        !log.contains("topsecret-word"),
        "a secret in the log:\n{log}"
    );
    assert!(!log.contains('\u{1b}'), "colour codes in a redirected log");
}

/// `acnslab down` while the CDM upgrades a group: the lab stops (as asked), and `down` says that
/// the jobs under way will be marked failed at the next start, instead of leaving it to be found.
#[test]
fn down_warns_of_upgrade_jobs_under_way() {
    let state = tempfile::tempdir().unwrap();
    let dir = state.path().join("state");
    let base = free_base_port(5);
    // a slow link: the group's downloads are still under way when the lab is stopped
    let lab = LabProcess::start(&dir, base, 5, &["--rate-kbps", "8"]);
    let dir_text = dir.to_str().unwrap();
    let cdm = |args: &[&str]| {
        let mut all = vec!["cdm", "--state-dir", dir_text];
        all.extend_from_slice(args);
        run_acnslab(&all, Duration::from_secs(60))
    };
    let registered = cdm(&["register", "http://10.1.1.100/meta/ACNS-5.2.1-K9-http.meta"]);
    assert_eq!(registered.code(), 0, "{}", registered.describe());
    let files: serde_json::Value = serde_json::from_str(&cdm(&["--json", "files"]).stdout).unwrap();
    let id = files[0]["id"].as_i64().expect("a file id").to_string();
    let started = cdm(&["upgrade", "--file", &id, "--group", "edge"]);
    assert_eq!(started.code(), 0, "{}", started.describe());
    let down = run_acnslab(&["down", "--state-dir", dir_text], Duration::from_secs(60));
    assert_eq!(down.code(), 0, "{}", down.describe());
    assert!(
        down.stdout.contains("lab stopped")
            && down
                .stdout
                .contains("2 upgrade job(s) were under way; the next start marks them failed"),
        "{}",
        down.describe()
    );
    let (status, _, stderr) = lab.stop();
    assert!(status.success(), "{stderr}");
}
