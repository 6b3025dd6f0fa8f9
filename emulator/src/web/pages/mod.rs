//! The windows of the GUI, one file per group of windows: `devices` (Devices > CDM / Content
//! Engines / Content Routers and a device's window), `groups` (Devices > Device Groups and a
//! group's window), `software` (System > Software Update), `jobs` (Software Update Jobs), and the
//! parts the device and group windows share: `contents` (the Contents pane), `update_software`
//! (CDN Settings > Software Upgrade/Downgrade), `show` (Show/Clear Commands > Show Commands), and
//! `not_found` (an unknown address).
//! Pages read through `upgrade` and act through `api`; they hold no state.

mod contents;
pub(super) mod devices;
pub(super) mod groups;
pub(super) mod jobs;
pub(super) mod not_found;
mod show;
pub(super) mod software;
mod update_software;

/// A time of the views (RFC 3339) as every GUI window shows it: to the second.
fn to_second(at: &str) -> String {
    chrono::DateTime::parse_from_rfc3339(at)
        .map(|t| t.format("%Y-%m-%d %H:%M:%S").to_string())
        .unwrap_or_else(|_| at.to_string())
}
