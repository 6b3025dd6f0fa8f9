//! `show cms info | database | devices`: the CMS views of a device, a CDM's database and the
//! devices registered with it.

use std::fmt::Write as _;

use super::outcome::Outcome;
use super::show::H_SHOW;
use super::unit::{ExecCommand, CDM_ONLY};
use crate::clock::ctime;
use crate::device::{CmsService, Device, DeviceState};
use crate::release::release;
use crate::standby::StandbyState;
use crate::text::cms as text;

pub(super) static EXEC: &[&ExecCommand] = &[&SHOW_CMS_INFO, &SHOW_CMS_DATABASE, &SHOW_CMS_DEVICES];

const H_CMS_SHOW: &str = "Display Centralized Management System information";

static SHOW_CMS_INFO: ExecCommand = ExecCommand::new(
    "show cms info",
    &[
        H_SHOW,
        H_CMS_SHOW,
        "CMS role, registration and service state",
    ],
    |_, ctx| Outcome::Print(info(ctx.device)),
)
.privileged();

static SHOW_CMS_DATABASE: ExecCommand = ExecCommand::new(
    "show cms database",
    &[H_SHOW, H_CMS_SHOW, "CMS database state, schema and tables"],
    |_, ctx| Outcome::Print(database(ctx.device)),
)
.privileged()
.only(CDM_ONLY);

static SHOW_CMS_DEVICES: ExecCommand = ExecCommand::new(
    "show cms devices",
    &[H_SHOW, H_CMS_SHOW, "Devices registered with this CDM"],
    |_, ctx| Outcome::Print(devices(ctx.device)),
)
.privileged()
.only(CDM_ONLY);

/// `show cms info`, in the layout ACNS (and WAAS after it) prints [recalled, contract §12]: a
/// "Device registration information :" block of `Name = value` rows, then "CMS services
/// information :" with a line per service. Rows marked [ours] carry the lab's extra state (a CDM's
/// database, a standby's replication, why a registration was refused or a service is held).
fn info(device: &Device) -> String {
    let state = device.state();
    let mut out = String::new();
    let row = |out: &mut String, k: &str, v: &str| {
        let _ = writeln!(out, "{k:<37}= {v}");
    };
    let kind = device.identity.kind;
    // the number the CDM knows the device by; a CDM's own, from its database [ours where none]
    let own_row = || {
        let cms = state.cms.as_ref()?;
        cms.device_id(&device.identity.name).ok()?
    };
    let id = match (&state.registration, own_row()) {
        (Some(r), _) => r.device_id.clone(),
        (None, Some(id)) => id.to_string(),
        (None, None) => "none".into(),
    };
    let cdm_ip = state
        .running
        .cdm_ip
        .map(|ip| ip.to_string())
        .unwrap_or_else(|| "none".into());
    out.push_str(text::INFO_REGISTRATION);
    out.push('\n');
    row(&mut out, "Device Id", &id);
    row(&mut out, "Device registered as", kind_name(kind));
    let services: &[&str] = match (kind, state.running.cdm_role) {
        (crate::config::DeviceKind::Cdm, role) => {
            let role = role.unwrap_or(crate::config::CdmRole::Primary);
            let role = match role {
                crate::config::CdmRole::Primary => "Primary",
                crate::config::CdmRole::Standby => "Standby",
            };
            row(&mut out, "Current CDM role", role);
            if role == "Standby" {
                row(&mut out, "Current CDM address", &cdm_ip);
            }
            row(&mut out, "CMS database", &database_line(&state));
            for (k, v) in sync_lines(&state) {
                row(&mut out, k, &v);
            }
            &["cms_httpd", "cms_cdm"]
        }
        (crate::config::DeviceKind::Ce, _) | (crate::config::DeviceKind::Cr, _) => {
            row(&mut out, "Current CDM address", &cdm_ip);
            match (&state.registration, &state.refused) {
                (Some(r), _) => {
                    row(&mut out, "Registered with CDM", &r.cdm.to_string());
                    match r.unanswered_since {
                        None => row(&mut out, "Status", "Online"),
                        Some(since) => {
                            row(&mut out, "Status", "Offline");
                            // [ours] why, in the lab's words
                            row(&mut out, "CDM not answering since", &ctime(since));
                        }
                    }
                    row(&mut out, "Time of last config-sync", &ctime(r.synced));
                }
                (None, refused) => {
                    row(&mut out, "Registered with CDM", "none");
                    row(&mut out, "Status", "Offline");
                    if let Some((cdm, why)) = refused {
                        row(
                            &mut out,
                            "Registration refused",
                            &format!("by {cdm}: {why}"),
                        );
                    }
                }
            }
            if kind == crate::config::DeviceKind::Cr {
                &["cms_cr"]
            } else {
                &["cms_ce"]
            }
        }
    };
    out.push('\n');
    out.push_str(text::INFO_SERVICES);
    out.push('\n');
    for service in services {
        let line = match state.cms_service() {
            CmsService::Running => format!("Service {service} is running"),
            CmsService::Disabled => format!("Service {service} is not running"),
            CmsService::Held(why) => format!("Service {service} is not running ({why})"),
        };
        out.push_str(&line);
        out.push('\n');
    }
    out
}

/// The words `Device registered as` uses for a kind.
fn kind_name(kind: crate::config::DeviceKind) -> &'static str {
    match kind {
        crate::config::DeviceKind::Cdm => "Content Distribution Manager",
        crate::config::DeviceKind::Ce => "Content Engine",
        crate::config::DeviceKind::Cr => "Content Router",
    }
}

fn database_line(state: &DeviceState) -> String {
    match state.cms.as_ref() {
        Some(cms) if cms.exists() => match cms.schema() {
            Ok(schema) => format!("present, schema {schema}"),
            Err(e) => format!("damaged ({e})"),
        },
        _ => "none".into(),
    }
}

fn sync_lines(state: &DeviceState) -> Vec<(&'static str, String)> {
    let Some(standby) = state.standby_state() else {
        return Vec::new();
    };
    let mut lines = vec![("Standby sync status", standby.line())];
    match standby {
        StandbyState::InSync { at, applied } => {
            lines.push(("Last sync", ctime(at)));
            lines.push(("Last change applied", applied.to_string()));
        }
        StandbyState::VersionMismatch { at, .. } | StandbyState::PrimaryUnreachable { at } => {
            lines.push(("Last poll", ctime(at)))
        }
        StandbyState::Updating { .. }
        | StandbyState::CmsDisabled { .. }
        | StandbyState::NotYetPolled => {}
    }
    if let Some(requested) = state.standby.full_update_requested {
        lines.push(("Full update requested", ctime(requested)));
    }
    lines
}

/// `show cms database`.
fn database(device: &Device) -> String {
    let state = device.state();
    let Some(cms) = state.cms.as_ref().filter(|c| c.exists()) else {
        return "CMS database: none\n".into();
    };
    let mut out = format!("CMS database: {}\n", database_line(&state));
    let _ = writeln!(
        out,
        "Software version: {} (schema {})",
        state.version,
        release(state.version).schema
    );
    let _ = writeln!(out, "Size: {} bytes", cms.file_size());
    let _ = writeln!(out, "Last change: {}", cms.last_seq().unwrap_or(0));
    let _ = writeln!(out, "{:<16}{:>8}", "Table", "Rows");
    for (table, _) in crate::cms::schema::REPLICATED {
        let _ = writeln!(out, "{table:<16}{:>8}", cms.count(table).unwrap_or(0));
    }
    out
}

/// `show cms devices`: the device table as the CDM GUI's Devices page shows it.
fn devices(device: &Device) -> String {
    let state = device.state();
    let Some(cms) = state.cms.as_ref().filter(|c| c.exists()) else {
        return format!("{}\n", text::NO_DATABASE);
    };
    let rows = cms.devices().unwrap_or_default();
    let mut out = format!(
        "{:<16}{:<6}{:<16}{:<20}{}\n",
        "Device", "Type", "IP Address", "Software Version", "Status"
    );
    for r in rows {
        let _ = writeln!(
            out,
            "{:<16}{:<6}{:<16}{:<20}{}",
            r.name, r.kind, r.ip, r.version, r.status
        );
    }
    out
}
