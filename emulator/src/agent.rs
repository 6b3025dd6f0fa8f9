//! The device side of CMS, run by the lab's scheduler on each poll and when a device is kicked:
//! a CE or CR registers with its CDM (and refreshes the registration each poll), says it goes
//! offline, deregisters; a primary CDM lists itself; a standby CDM pulls the primary's updates under
//! the version rule. Synchronous: messages go through [`Network::deliver`]; no lock on this device is
//! held while a message is delivered.

use crate::cms::replication::UpdateReply;
use crate::config::{CdmRole, DeviceKind};
use crate::device::{CmsService, Device, Power, Registration};
use crate::network::{Answer, Message, NetError, Network};
use crate::standby::{LastPoll, StandbyState};

/// One poll of a device's CMS agent.
pub fn poll(device: &Device, network: &Network) {
    match device.identity.kind {
        DeviceKind::Cdm => poll_cdm(device, network),
        DeviceKind::Ce | DeviceKind::Cr => poll_edge(device, network),
    }
}

fn poll_edge(device: &Device, network: &Network) {
    let (power, service, cdm_ip, version, registered_online) = {
        let s = device.state();
        (
            s.power,
            s.cms_service(),
            s.running.cdm_ip,
            s.version,
            s.registration.is_some(),
        )
    };
    let Some(cdm_ip) = cdm_ip else { return };
    if power != Power::Running || service != CmsService::Running {
        if registered_online {
            going_offline(device, network);
        }
        return;
    }
    let message = Message::Register {
        name: device.identity.name.clone(),
        kind: device.identity.kind,
        ip: device.identity.ip,
        version,
    };
    let known: Vec<_> = device.state().known_cdms.clone();
    let candidates = std::iter::once(cdm_ip).chain(known.into_iter().filter(|ip| *ip != cdm_ip));
    // The configured CDM first; if it does not answer as primary, the other CDMs it told us about
    // (a standby that took over after a failover).
    let mut answer = Err(NetError::NoAnswer(cdm_ip));
    let mut cdm_ip = cdm_ip;
    for candidate in candidates {
        answer = network.deliver(device.identity.ip, candidate, message.clone());
        cdm_ip = candidate;
        if matches!(answer, Ok(Answer::Registered { .. })) {
            break;
        }
    }
    let mut state = device.state();
    match answer {
        Ok(Answer::Registered { device_id, cdms }) => {
            state.known_cdms = cdms;
            let now = device.clock().now();
            match state.registration.as_mut() {
                Some(r) if r.cdm == cdm_ip && r.device_id == device_id => {
                    r.synced = now;
                    r.unanswered_since = None;
                }
                _ => {
                    state.registration = Some(Registration {
                        cdm: cdm_ip,
                        device_id,
                        synced: now,
                        unanswered_since: None,
                    });
                }
            }
            state.refused = None;
        }
        Ok(Answer::Refused(why)) => {
            tracing::info!(device = %device.identity.name, %why, "registration refused");
            state.registration = None;
            let refusal = Some((cdm_ip, why.clone()));
            if state.refused != refusal {
                let now = device.clock().now();
                let line = crate::text::log::REGISTRATION_REFUSED
                    .replace("{cdm}", &cdm_ip.to_string())
                    .replace("{why}", &why);
                state.log(now, line);
                state.refused = refusal;
            }
        }
        Ok(_) | Err(_) => {
            let now = device.clock().now();
            if let Some(r) = state.registration.as_mut() {
                r.unanswered_since.get_or_insert(now);
            }
        }
    }
}

/// Tells the CDM this device goes offline (reload, CMS disabled); best effort.
pub fn going_offline(device: &Device, network: &Network) {
    let (registration, from) = {
        let mut s = device.state();
        (s.registration.take(), device.identity.ip)
    };
    if let Some(r) = registration {
        let _ = network.deliver(
            from,
            r.cdm,
            Message::Offline {
                name: device.identity.name.clone(),
            },
        );
    }
}

/// `cms deregister [force]`: removes the registration at the CDM. Without `force` a CDM that cannot
/// be reached is an error and nothing changes.
pub fn deregister(device: &Device, network: &Network, force: bool) -> Result<(), NetError> {
    let cdm = {
        let s = device.state();
        s.registration.as_ref().map(|r| r.cdm).or(s.running.cdm_ip)
    };
    if let Some(cdm) = cdm {
        let result = network.deliver(
            device.identity.ip,
            cdm,
            Message::Deregister {
                name: device.identity.name.clone(),
            },
        );
        if let Err(e) = result {
            if !force {
                return Err(e);
            }
        }
    }
    let mut s = device.state();
    s.registration = None;
    s.running.cms_enabled = false;
    Ok(())
}

fn poll_cdm(device: &Device, network: &Network) {
    let (power, service, role, cdm_ip, version, full) = {
        let s = device.state();
        (
            s.power,
            s.cms_service(),
            s.running.cdm_role.unwrap_or(CdmRole::Primary),
            s.running.cdm_ip,
            s.version,
            s.standby.wants_full_update(),
        )
    };
    if power != Power::Running {
        return;
    }
    if service != CmsService::Running {
        if role == CdmRole::Standby {
            if let Some(primary) = cdm_ip {
                report_standby_state(device, network, primary);
            }
        }
        return;
    }
    match role {
        CdmRole::Primary => {
            // The primary lists itself in its own device table.
            let me = device.identity.ip;
            let _ = crate::network::handle(
                device,
                Message::Register {
                    name: device.identity.name.clone(),
                    kind: DeviceKind::Cdm,
                    ip: me,
                    version,
                },
            );
        }
        CdmRole::Standby => {
            let Some(primary) = cdm_ip else { return };
            pull_updates(device, network, primary, version, full);
        }
    }
}

fn pull_updates(
    device: &Device,
    network: &Network,
    primary: std::net::Ipv4Addr,
    version: crate::release::Version,
    full: bool,
) {
    let request = {
        let s = device.state();
        let Some(cms) = s.cms.as_ref() else { return };
        let Ok((epoch, applied)) = crate::cms::replication::position(cms) else {
            return;
        };
        crate::cms::replication::UpdateRequest {
            epoch,
            applied,
            full,
        }
    };
    let me = device.identity.ip;
    let _ = network.deliver(
        me,
        primary,
        Message::Register {
            name: device.identity.name.clone(),
            kind: DeviceKind::Cdm,
            ip: me,
            version,
        },
    );
    let answer = network.deliver(
        me,
        primary,
        Message::GetUpdates {
            name: device.identity.name.clone(),
            request,
            version,
        },
    );
    let now = device.clock().now();
    {
        let mut s = device.state();
        let before = s.standby_state();
        let (outcome, was_full) = match answer {
            Ok(Answer::Updates(reply)) => {
                let Some(cms) = s.cms.as_mut() else { return };
                let was_full = matches!(reply, UpdateReply::Full(_));
                match crate::cms::replication::apply_reply(cms, &reply) {
                    Ok(rows) => {
                        let applied = crate::cms::replication::position(cms)
                            .map(|p| p.1)
                            .unwrap_or(0);
                        if was_full {
                            let line = crate::text::log::FULL_UPDATE_APPLIED
                                .replace("{primary}", &primary.to_string())
                                .replace("{rows}", &rows.to_string());
                            s.log(now, line);
                        }
                        (LastPoll::Applied { at: now, applied }, was_full)
                    }
                    Err(e) => {
                        tracing::error!(device = %device.identity.name, error = %e, "replication batch not applied");
                        return;
                    }
                }
            }
            Ok(Answer::VersionMismatch { primary }) => (
                LastPoll::VersionMismatch {
                    at: now,
                    primary,
                    standby: version,
                },
                false,
            ),
            Ok(_) | Err(_) => (LastPoll::Unreachable { at: now }, false),
        };
        s.standby.polled(outcome, was_full);
        log_standby_change(&mut s, before, now);
    }
    report_standby_state(device, network, primary);
}

/// Logs a standby's new state when it differs from `before`.
fn log_standby_change(
    state: &mut crate::device::DeviceState,
    before: Option<StandbyState>,
    now: chrono::DateTime<chrono::Utc>,
) {
    let after = state.standby_state();
    if let Some(after) = after {
        if before.as_ref().map(StandbyState::word) != Some(after.word()) {
            state.log(
                now,
                format!("{} {}", crate::text::log::STANDBY_STATE, after.line()),
            );
        }
    }
}

/// Tells the primary at `primary` how this standby stands (best effort). While the standby's CMS
/// service is stopped it says so once.
fn report_standby_state(device: &Device, network: &Network, primary: std::net::Ipv4Addr) {
    let report = {
        let mut s = device.state();
        let Some(state) = s.standby_state() else {
            return;
        };
        let word = state.word();
        if matches!(state, StandbyState::CmsDisabled { .. }) {
            if s.standby.reported == Some(word) {
                return;
            }
            let now = device.clock().now();
            s.log(
                now,
                format!("{} {}", crate::text::log::STANDBY_STATE, state.line()),
            );
        }
        s.standby.reported = Some(word);
        Message::StandbyStatus {
            name: device.identity.name.clone(),
            word: word.to_string(),
            line: state.line(),
        }
    };
    let _ = network.deliver(device.identity.ip, primary, report);
}
