//! Test support for command tests: a booted device of any kind in a temporary folder, on a
//! virtual clock, and a way to type lines into a privileged session on it.

use std::sync::Arc;

use crate::clock::LabClock;
use crate::config::{Config, DeviceKind};
use crate::device::{Device, Identity, PowerEvent};
use crate::session::Session;

/// A running device named `dev1` (10.1.1.10) of `kind`, its files under `dir`.
pub fn device(kind: DeviceKind, dir: &std::path::Path) -> Arc<Device> {
    let identity = Identity {
        name: "dev1".into(),
        kind,
        model: kind.default_model().into(),
        ip: "10.1.1.10".parse().unwrap(),
        disk_mb: 65_536,
    };
    let clock = LabClock::virtual_at(chrono::DateTime::from_timestamp(1_790_000_000, 0).unwrap());
    let device = Device::open(
        identity,
        dir,
        clock,
        move || Config::factory("dev1", kind),
        crate::release::DEFAULT_VERSION,
        crate::commands::load_config_text,
    )
    .unwrap();
    device.power_event(PowerEvent::BootComplete);
    Arc::new(device)
}

/// Types `lines` into a new privilege-15 session on a fresh device of `kind`; returns what each
/// line printed.
pub fn run(kind: DeviceKind, lines: &[&str]) -> Vec<String> {
    let dir = tempfile::tempdir().unwrap();
    let mut session = Session::new(device(kind, dir.path()), None, "admin", 15, "test");
    lines
        .iter()
        .map(|line| session.execute(line).text)
        .collect()
}
