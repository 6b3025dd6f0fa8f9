//! The Python clients real users automate with, from the venv under the target directory: netmiko
//! (`cisco_ios`), scrapli classic (`IOSXEDriver` over OpenSSH) and paramiko's `invoke_shell`.

use acnslab_tests::{field, run_client, TestLab, CE1_VERSION_LINE};

#[test]
fn netmiko_configures_and_saves() {
    let lab = TestLab::start();
    let port = lab.port("ce1");
    let result = run_client(
        "netmiko_client.py",
        &[port.to_string(), "edge-ce1-new".into()],
    );

    assert_eq!(field(&result, "prompt"), "ce1#");
    assert!(
        field(&result, "show_version").contains(CE1_VERSION_LINE),
        "{result:#}"
    );
    assert!(
        field(&result, "config").contains("edge-ce1-new(config)#"),
        "{result:#}"
    );
    assert_eq!(field(&result, "prompt_after"), "edge-ce1-new#");
    assert!(field(&result, "save").contains("[OK]"), "{result:#}");
    assert!(
        field(&result, "running").contains("hostname edge-ce1-new"),
        "{result:#}"
    );
    assert!(
        field(&result, "startup").contains("hostname edge-ce1-new"),
        "{result:#}"
    );
    // The lab agrees: the device's saved configuration has the new name.
    let run = acnslab_tests::ssh_exec(port, "show startup-config");
    assert!(
        run.stdout.contains("hostname edge-ce1-new"),
        "{}",
        run.describe()
    );
}

#[test]
fn scrapli_classic_iosxe_driver() {
    let lab = TestLab::start();
    let result = run_client("scrapli_client.py", &[lab.port("ce1").to_string()]);
    assert_eq!(field(&result, "prompt"), "ce1#");
    assert!(
        field(&result, "show_version").contains(CE1_VERSION_LINE),
        "{result:#}"
    );
    assert_eq!(result["show_version_failed"], false, "{result:#}");
    // scrapli recognises the IOS error text as a failure.
    assert!(
        field(&result, "bad").contains("% Invalid input detected"),
        "{result:#}"
    );
    assert_eq!(result["bad_failed"], true, "{result:#}");
}

#[test]
fn paramiko_invoke_shell() {
    let lab = TestLab::start();
    let result = run_client("paramiko_shell.py", &[lab.port("cdm1").to_string()]);
    assert_eq!(
        field(&result, "banner"),
        "cdm1#",
        "the prompt and nothing else"
    );
    assert_eq!(field(&result, "prompt"), "cdm1#");
    assert_eq!(field(&result, "term_len"), "terminal length 0\r\ncdm1#");
    let version = field(&result, "show_version");
    assert!(version.starts_with("show version\r\n"), "{version:?}");
    assert!(version.contains("Version: "), "{version:?}");
    assert_eq!(result["exit_status"], 0, "{result:#}");
}

/// scrapli's 2026 rewrite (its own venv), over OpenSSH and over libssh2.
#[test]
fn scrapli_2026_over_openssh_and_libssh2() {
    let lab = TestLab::start();
    let python = acnslab_tests::scrapli_2026_python();
    for (kind, name) in [("bin", "s26-bin"), ("ssh2", "s26-ssh2")] {
        let result = acnslab_tests::run_client_in(
            &python,
            "scrapli2026_client.py",
            &[lab.port("ce2").to_string(), kind.into(), name.into()],
        );
        assert!(
            field(&result, "show_version").contains("Version: ce565-5.1.3"),
            "{kind}: {result:#}"
        );
        assert_eq!(field(&result, "prompt_config"), format!("{name}(config)#"));
        assert!(
            field(&result, "save").contains("[OK]"),
            "{kind}: {result:#}"
        );
        assert_eq!(field(&result, "prompt_after"), format!("{name}#"));
        assert!(
            field(&result, "startup").contains(&format!("hostname {name}")),
            "{kind}: {result:#}"
        );
    }
    let device = lab.lab().node("ce2").expect("ce2").device().clone();
    assert_eq!(device.state().startup.hostname, "s26-ssh2");
}

/// A wrong password is reported as one at once: paramiko raises `AuthenticationException` (not
/// `BadAuthenticationType` after its auth timeout, which its fall-back to keyboard-interactive met
/// when the device stopped offering `password` after a failure), netmiko its authentication error.
#[test]
fn a_wrong_password_is_reported_at_once_to_paramiko_and_netmiko() {
    let lab = TestLab::start();
    let result = run_client("wrong_password.py", &[lab.port("ce1").to_string()]);
    assert_eq!(
        result["paramiko"]["error"], "AuthenticationException",
        "{result:#}"
    );
    assert_eq!(
        result["netmiko"]["error"], "NetmikoAuthenticationException",
        "{result:#}"
    );
    // the figures, for the record (the limit that matters is the one above: no auth timeout)
    eprintln!("wrong password reported after: {result}");
}
