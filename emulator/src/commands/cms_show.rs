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

/// `show cms info`.
fn info(device: &Device) -> String {
    let state = device.state();
    let mut out = String::new();
    let row = |out: &mut String, k: &str, v: &str| {
        let _ = writeln!(out, "{k:<28}{v}");
    };
    let service = match state.cms_service() {
        CmsService::Running => "running".to_string(),
        CmsService::Disabled => "disabled".to_string(),
        CmsService::Held(why) => format!("not running ({why})"),
    };
    let id = format!("{}-{}", device.identity.kind.label(), device.identity.name);
    match state.running.cdm_role {
        Some(role) if device.identity.kind == crate::config::DeviceKind::Cdm => {
            row(&mut out, "Device role:", &format!("CDM {}", role.as_str()));
            row(&mut out, "Device ID:", &id);
            row(&mut out, "CMS services:", &service);
            row(&mut out, "CMS database:", &database_line(&state));
            if role == crate::config::CdmRole::Standby {
                let primary = state
                    .running
                    .cdm_ip
                    .map(|ip| ip.to_string())
                    .unwrap_or_else(|| "not set".into());
                row(&mut out, "Primary CDM:", &primary);
                for (k, v) in sync_lines(&state) {
                    row(&mut out, k, &v);
                }
            }
        }
        _ => {
            row(&mut out, "Device role:", device.identity.kind.label());
            row(&mut out, "Device ID:", &id);
            row(&mut out, "CMS services:", &service);
            let cdm = state
                .running
                .cdm_ip
                .map(|ip| ip.to_string())
                .unwrap_or_else(|| "not set".into());
            row(&mut out, "CDM address:", &cdm);
            let registration = match (&state.registration, &state.refused) {
                (Some(r), _) => format!("registered with {} since {}", r.cdm, ctime(r.since)),
                (None, Some((cdm, why))) => format!("not registered (refused by {cdm}: {why})"),
                (None, None) => "not registered".into(),
            };
            row(&mut out, "Registration:", &registration);
        }
    }
    out
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
    let mut lines = vec![("Sync status:", standby.line())];
    match standby {
        StandbyState::InSync { at, applied } => {
            lines.push(("Last sync:", ctime(at)));
            lines.push(("Last change applied:", applied.to_string()));
        }
        StandbyState::VersionMismatch { at, .. } | StandbyState::PrimaryUnreachable { at } => {
            lines.push(("Last poll:", ctime(at)))
        }
        StandbyState::Updating { .. }
        | StandbyState::CmsDisabled { .. }
        | StandbyState::NotYetPolled => {}
    }
    if let Some(requested) = state.standby.full_update_requested {
        lines.push(("Full update requested:", ctime(requested)));
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
