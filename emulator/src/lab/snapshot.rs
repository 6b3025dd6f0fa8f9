//! The running lab described as a topology a new lab starts the same from: the topology it runs,
//! with each device's software versions as they are now (`version`, `pending_version`) and its
//! configurations where they are not what a new device of that topology gets (`startup_config`
//! when it was changed and saved, `running_config` when changes are not saved). `acnslab record`
//! writes it as the lab its recording replays on (through the control socket,
//! `{"snapshot": null}`). What it leaves out: the devices' disks and the CDMs' database rows
//! (registrations come back by themselves, groups from the topology).

use super::start::initial_of;
use super::Lab;
use crate::device::Power;
use crate::topology::Topology;

impl Lab {
    /// The lab as it is now, as a topology (see the module's doc).
    pub fn snapshot(&self) -> Topology {
        let made_from = &self.inner.topology;
        let mut topology = made_from.clone();
        for (index, (spec, node)) in topology
            .devices
            .iter_mut()
            .zip(&self.inner.nodes)
            .enumerate()
        {
            let state = node.device().state();
            // a device on its way up boots as a new one would: into its pending version, on its
            // startup configuration
            let up = state.power == Power::Running;
            let (version, pending) = if up {
                (state.version, state.pending_version)
            } else {
                (state.pending_version.unwrap_or(state.version), None)
            };
            if version != made_from.version_of(index) {
                spec.version = Some(version);
            }
            spec.pending_version = pending;
            // what a new device of this topology would get (the lab started with it)
            let initial = initial_of(made_from, &made_from.devices[index]).ok();
            if initial.as_ref().map(|i| &i.startup) != Some(&state.startup) {
                spec.startup_config = Some(state.startup.render(version));
            }
            spec.running_config =
                (up && state.running != state.startup).then(|| state.running.render(version));
        }
        topology
    }
}
