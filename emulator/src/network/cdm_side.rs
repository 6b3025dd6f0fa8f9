//! The CDM's side of the CMS messages of [`super::Message`]: registration, status, replication
//! requests and standby reports, handled synchronously against the CDM's device state and CMS
//! database; and the sweep that marks devices the CDM has not heard from as Offline.

use crate::cms::replication::{self, UpdateReply};
use crate::cms::{Cms, CmsError, DeviceRow};
use crate::config::{CdmRole, DeviceKind};
use crate::device::{CmsService, Device, Power, StandbyReport};
use crate::release::cdm_accepts;
use crate::standby::StandbyState;

use super::{Answer, Message};

/// The CDM's side of a message; `None` when the CDM does not answer (down, not a CDM, CMS not
/// running).
pub fn handle(cdm: &Device, message: Message) -> Option<Answer> {
    if cdm.identity.kind != DeviceKind::Cdm {
        return None;
    }
    let now = cdm.clock().now();
    let mut state = cdm.state();
    if state.power != Power::Running || state.cms_service() != CmsService::Running {
        return None;
    }
    let role = state.running.cdm_role.unwrap_or(CdmRole::Primary);
    let cdm_version = state.version;
    if role != CdmRole::Primary {
        return Some(Answer::Refused("not the primary CDM".into()));
    }
    if let Message::StandbyStatus { name, word, line } = &message {
        let report = StandbyReport {
            word: word.clone(),
            line: line.clone(),
            at: now,
        };
        state.standby_reports.insert(name.clone(), report);
    }
    let mut log = None;
    let mut heard = None;
    let cms = state.cms.as_mut()?;
    let answer = match message {
        Message::Register {
            name,
            kind,
            ip,
            version,
        } => {
            if !cdm_accepts(cdm_version, version) {
                // A device this CDM knew is Offline here now, on the version it runs (a CE
                // downgraded to 4.2.9, a CE left behind by a CDM upgraded first).
                if let Ok(Some(row)) = cms.device(&name) {
                    let offline = DeviceRow {
                        version: version.to_string(),
                        status: "Offline".into(),
                        last_seen: now.to_rfc3339(),
                        ..row
                    };
                    write_device(cms, &offline).ok()?;
                }
                return Some(Answer::Refused(format!(
                    "the CDM runs {cdm_version} and does not manage devices on {version}"
                )));
            }
            let row = DeviceRow {
                name: name.clone(),
                kind: kind.label().into(),
                ip: ip.to_string(),
                version: version.to_string(),
                status: "Online".into(),
                last_seen: now.to_rfc3339(),
            };
            // The time of a refresh that changes nothing else is kept in memory, for the sweep.
            write_device(cms, &row).ok()?;
            heard = Some(name.clone());
            let cdms = cms
                .cdm_addresses()
                .unwrap_or_default()
                .iter()
                .filter_map(|ip| ip.parse().ok())
                .collect();
            let device_id = cms.device_id(&name).ok()??;
            Answer::Registered {
                device_id: device_id.to_string(),
                cdms,
            }
        }
        Message::Offline { name } => {
            mark_offline(cms, &name).ok()?;
            Answer::Done
        }
        Message::Probe => Answer::Done,
        Message::Deregister { name } => {
            cms.forget_device(&name).ok()?;
            Answer::Done
        }
        Message::GetUpdates {
            name,
            request,
            version,
        } => {
            if version != cdm_version {
                Answer::VersionMismatch {
                    primary: cdm_version,
                }
            } else {
                let reply = replication::serve(cms, &request).ok()?;
                if let UpdateReply::Full(snapshot) = &reply {
                    let rows: usize = snapshot.tables.iter().map(|(_, rows)| rows.len()).sum();
                    log = Some(
                        crate::text::log::FULL_UPDATE_SENT
                            .replace("{name}", &name)
                            .replace("{rows}", &rows.to_string()),
                    );
                }
                Answer::Updates(reply)
            }
        }
        Message::StandbyStatus { name, word, .. } => {
            // A standby whose CMS stopped is offline for the primary, as a device is.
            if word == StandbyState::CMS_DISABLED {
                mark_offline(cms, &name).ok()?;
            }
            Answer::Done
        }
    };
    if let Some(line) = log {
        state.log(now, line);
    }
    if let Some(name) = heard {
        state.heard_from.insert(name, now);
    }
    Some(answer)
}

/// Writes a device's row, unless the stored one differs from it only in `last_seen`: a refresh
/// that changes nothing else is not worth a replicated change.
fn write_device(cms: &mut Cms, row: &DeviceRow) -> Result<(), CmsError> {
    let only_time = cms.device(&row.name)?.is_some_and(|old| {
        DeviceRow {
            last_seen: row.last_seen.clone(),
            ..old
        } == *row
    });
    if !only_time {
        cms.upsert_device(row)?;
    }
    Ok(())
}

/// Marks a known device Offline on this CDM (nothing if it has no row).
fn mark_offline(cms: &mut Cms, name: &str) -> Result<(), CmsError> {
    match cms.device(name)? {
        Some(row) => write_device(
            cms,
            &DeviceRow {
                status: "Offline".into(),
                ..row
            },
        ),
        None => Ok(()),
    }
}

/// The primary's sweep: devices not heard from since `stale_before` are marked Offline.
pub fn sweep(cdm: &Device, stale_before: chrono::DateTime<chrono::Utc>) -> usize {
    let mut state = cdm.state();
    if state.power != Power::Running || state.cms_service() != CmsService::Running {
        return 0;
    }
    if state.running.cdm_role.unwrap_or(CdmRole::Primary) != CdmRole::Primary {
        return 0;
    }
    let own = cdm.identity.name.clone();
    // A device counts as heard from at the latest of: its row's time, the last message this CDM
    // had from it (refreshes that change nothing else are not written), this CDM's boot (a CDM
    // just started gives every device its full interval).
    let booted_at = state.booted_at;
    let heard_from = state.heard_from.clone();
    let Some(cms) = state.cms.as_mut() else {
        return 0;
    };
    let stale: Vec<DeviceRow> = cms
        .devices()
        .unwrap_or_default()
        .into_iter()
        .filter(|r| r.name != own && r.status == "Online")
        .filter(|r| {
            let row_time = chrono::DateTime::parse_from_rfc3339(&r.last_seen)
                .map(|t| t.with_timezone(&chrono::Utc))
                .ok();
            let heard = [row_time, heard_from.get(&r.name).copied(), Some(booted_at)]
                .into_iter()
                .flatten()
                .max()
                .unwrap_or(booted_at);
            heard < stale_before
        })
        .collect();
    let mut marked = 0;
    for row in stale {
        if cms
            .upsert_device(&DeviceRow {
                status: "Offline".into(),
                ..row
            })
            .is_ok()
        {
            marked += 1;
        }
    }
    marked
}

#[cfg(test)]
mod tests {
    use std::net::Ipv4Addr;
    use std::sync::atomic::{AtomicU64, Ordering};
    use std::sync::Arc;

    use super::*;
    use crate::clock::LabClock;
    use crate::config::Config;
    use crate::device::{Identity, PowerEvent};
    use crate::network::Message;

    /// A running primary CDM with its CMS database, on a virtual clock.
    fn primary_cdm(dir: &std::path::Path) -> Device {
        let identity = Identity {
            name: "cdm1".into(),
            kind: DeviceKind::Cdm,
            model: DeviceKind::Cdm.default_model().into(),
            ip: Ipv4Addr::new(10, 1, 0, 2),
            disk_mb: 65_536,
        };
        let mut config = Config::factory("cdm1", DeviceKind::Cdm);
        config.cms_enabled = true;
        config.cdm_role = Some(CdmRole::Primary);
        let clock =
            LabClock::virtual_at(chrono::DateTime::from_timestamp(1_790_000_000, 0).unwrap());
        let device = Device::open(
            identity,
            dir,
            clock,
            move || config,
            crate::release::DEFAULT_VERSION,
            crate::commands::load_config_text,
        )
        .unwrap();
        device.power_event(PowerEvent::BootComplete);
        device
    }

    fn register(cdm: &Device, n: u32) -> Answer {
        let message = Message::Register {
            name: format!("ce{n}"),
            kind: DeviceKind::Ce,
            ip: Ipv4Addr::from(u32::from(Ipv4Addr::new(10, 1, 1, 0)) + n),
            version: crate::release::DEFAULT_VERSION,
        };
        handle(cdm, message).unwrap()
    }

    /// SQLite virtual-machine steps the CDM's database runs for `work` (a whole-table scan is a
    /// step per row; a lookup through an index a few).
    fn sqlite_steps(cdm: &Device, work: impl FnOnce()) -> u64 {
        let steps = Arc::new(AtomicU64::new(0));
        let counter = steps.clone();
        let count = move || {
            counter.fetch_add(1, Ordering::Relaxed);
            false
        };
        let set = |handler: Option<Box<dyn FnMut() -> bool + Send>>| {
            let state = cdm.state();
            let conn = state.cms.as_ref().unwrap().connection().unwrap();
            conn.progress_handler(1, handler);
        };
        set(Some(Box::new(count)));
        work();
        set(None);
        steps.load(Ordering::Relaxed)
    }

    #[test]
    fn a_registration_costs_the_same_with_a_hundred_devices_as_with_thousands() {
        let dir = tempfile::tempdir().unwrap();
        let cdm = primary_cdm(dir.path());
        // the CDM lists itself, as its agent does
        let me = Message::Register {
            name: "cdm1".into(),
            kind: DeviceKind::Cdm,
            ip: cdm.identity.ip,
            version: crate::release::DEFAULT_VERSION,
        };
        assert!(matches!(handle(&cdm, me), Some(Answer::Registered { .. })));
        // 50 new devices and 50 refreshes, with `known` devices registered before
        let batch = |known: u32| {
            sqlite_steps(&cdm, || {
                for n in known..known + 50 {
                    register(&cdm, n);
                }
                for n in 0..50 {
                    register(&cdm, n);
                }
            })
        };
        for n in 0..100 {
            register(&cdm, n);
        }
        let small = batch(100);
        for n in 150..3_000 {
            register(&cdm, n);
        }
        let large = batch(3_000);
        assert!(small > 0);
        // an index lookup's cost grows with the tree's depth, a scan with the table
        assert!(
            large * 2 < small * 3,
            "{small} SQLite steps for 100 registrations among 100 devices, {large} among 3,000"
        );
        let Answer::Registered { cdms, .. } = register(&cdm, 1) else {
            panic!("not registered");
        };
        assert_eq!(cdms, [cdm.identity.ip]);
    }
}
