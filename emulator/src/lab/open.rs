//! Opening the devices of a lab being started, on every core: for each device its folder made
//! private (files an older version left readable by others), the device opened or created with
//! its initial configuration, its SSH host key read or made, and its first boot. Blocking work
//! (files, key decoding), which the caller runs off the async workers; the devices come back in
//! the topology's order, whatever thread opened them. Knows nothing of listeners or the network.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use super::listen::LabPassword;
use super::{io_error, LabError};
use crate::clock::LabClock;
use crate::device::{Device, Identity, Initial, PowerEvent};
use crate::persist::write_new;
use crate::topology::Topology;

pub(super) const HOST_KEY_FILE: &str = "ssh_host_ed25519_key";

/// A device opened and booted, with its host key.
pub(super) struct Opened {
    pub device: Arc<Device>,
    pub key: russh::keys::PrivateKey,
    /// Whether its files were made now (they are synced at once at the end of the start).
    pub created: bool,
    /// Files and folders of its folder that were readable by others.
    pub tightened: usize,
}

/// Opens (or creates) every device of `topology` in `dir/devices/`, `initials[i]` what device
/// `i` gets when it is new, each admin account given `password` when there is one; the first error in the topology's order.
pub(super) fn open_devices(
    dir: &Path,
    topology: &Topology,
    initials: &[Initial],
    clock: &LabClock,
    password: Option<&LabPassword>,
) -> Result<Vec<Opened>, LabError> {
    on_every_core(topology.devices.len(), |index| {
        let spec = &topology.devices[index];
        let device_dir = dir.join("devices").join(&spec.name);
        let tightened = if device_dir.exists() {
            crate::persist::tighten_tree(&device_dir).map_err(io_error(&device_dir))?
        } else {
            0
        };
        let key_path = device_dir.join(HOST_KEY_FILE);
        let created = !key_path.exists();
        let identity = Identity {
            name: spec.name.clone(),
            kind: spec.kind,
            model: spec
                .model
                .clone()
                .unwrap_or_else(|| spec.kind.default_model().to_string()),
            ip: spec.ip,
            disk_mb: spec.disk_mb,
        };
        let device = Device::open(
            identity,
            &device_dir,
            clock.clone(),
            || initials[index].clone(),
            topology.version_of(index),
            crate::commands::load_config_text,
        )?;
        if let Some(password) = password {
            // a device made before keeps its folder; its admin account takes the password
            device.set_admin_password(password.reveal())?;
        }
        let key = load_or_create_host_key(&key_path)?;
        // No kick: the lab's first round polls every device.
        device.power_event(PowerEvent::BootComplete);
        Ok(Opened {
            device: Arc::new(device),
            key,
            created,
            tightened,
        })
    })
    .into_iter()
    .collect()
}

/// `work(i)` for each `i` in `0..count` on as many threads as the machine has cores (each takes
/// the next index, so slow items do not hold the others up); the results in the order of `i`.
fn on_every_core<R: Send>(count: usize, work: impl Fn(usize) -> R + Sync) -> Vec<R> {
    let threads = std::thread::available_parallelism()
        .map_or(1, |n| n.get())
        .clamp(1, count.max(1));
    let next = AtomicUsize::new(0);
    let take = || {
        let mut done = Vec::new();
        loop {
            let i = next.fetch_add(1, Ordering::Relaxed);
            if i >= count {
                return done;
            }
            done.push((i, work(i)));
        }
    };
    let mut results: Vec<(usize, R)> = std::thread::scope(|scope| {
        let helpers: Vec<_> = (1..threads).map(|_| scope.spawn(take)).collect();
        let mut results = take();
        for helper in helpers {
            match helper.join() {
                Ok(done) => results.extend(done),
                Err(panic) => std::panic::resume_unwind(panic),
            }
        }
        results
    });
    results.sort_unstable_by_key(|(i, _)| *i);
    results.into_iter().map(|(_, r)| r).collect()
}

fn load_or_create_host_key(path: &Path) -> Result<russh::keys::PrivateKey, LabError> {
    use russh::keys::ssh_key::private::Ed25519Keypair;
    use russh::keys::ssh_key::LineEnding;
    let bad = |message: String| LabError::HostKey {
        path: path.to_path_buf(),
        message,
    };
    match std::fs::read_to_string(path) {
        Ok(text) => {
            let key =
                russh::keys::PrivateKey::from_openssh(text).map_err(|e| bad(e.to_string()))?;
            if key.is_encrypted() {
                return Err(bad(
                    "it is protected by a passphrase, which the lab cannot give".into(),
                ));
            }
            Ok(key)
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            let seed: [u8; 32] = rand::random();
            let key = russh::keys::PrivateKey::from(Ed25519Keypair::from_seed(&seed));
            let text = key
                .to_openssh(LineEnding::LF)
                .map_err(|e| bad(e.to_string()))?;
            write_new(path, text.as_bytes()).map_err(io_error(path))?;
            Ok(key)
        }
        Err(e) => Err(io_error(path)(e)),
    }
}

/// The folders of `dir/devices/` that are no device of `topology` (devices taken out of the
/// topology keep their folders, which are made private too).
pub(super) fn other_device_folders(dir: &Path, topology: &Topology) -> Vec<PathBuf> {
    let names: std::collections::HashSet<&str> =
        topology.devices.iter().map(|d| d.name.as_str()).collect();
    let Ok(entries) = std::fs::read_dir(dir.join("devices")) else {
        return Vec::new();
    };
    entries
        .filter_map(Result::ok)
        .filter(|e| !names.contains(e.file_name().to_string_lossy().as_ref()))
        .map(|e| e.path())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_item_is_done_once_and_comes_back_in_order() {
        let done = on_every_core(1000, |i| (i, std::thread::current().id()));
        assert_eq!(done.len(), 1000);
        assert!(done.iter().enumerate().all(|(n, (i, _))| n == *i));
        assert!(on_every_core(0, |i| i).is_empty());
        assert_eq!(on_every_core(1, |i| i + 1), [1]);
    }
}
