//! CMS commands (spec §7): `cms database ...` on a CDM, `cms deregister` on a CE/CR, `show cms info`,
//! `show cms database`, `show cms devices`, and the checks `cms enable` must pass on a CDM. Each
//! precondition gives one `% Error:` that says what to do instead, and changes nothing.

use std::fmt::Write as _;

use cli_grammar::Match;

use super::exec::Outcome;
use super::Cmd;
use crate::clock::ctime;
use crate::device::{CmsService, Device, DeviceState, SyncState};
use crate::release::release;
use crate::text::cms as text;

/// Runs a `cms database ...` or `cms deregister` command.
pub fn run(m: &Match<Cmd>, device: &Device) -> Outcome {
    let now = device.clock().now();
    let mut state = device.state();
    let software = state.version;
    let cms_enabled = state.running.cms_enabled;
    let Some(cms) = state.cms.as_mut() else {
        return Outcome::Fail(crate::text::msg::NOT_ON_THIS_DEVICE.into());
    };
    let need_disabled = matches!(m.id, Cmd::CmsDelete | Cmd::CmsRestore | Cmd::CmsDowngrade);
    if need_disabled && cms_enabled {
        return Outcome::Fail(text::NEED_DISABLED.into());
    }
    let needs_db = matches!(
        m.id,
        Cmd::CmsBackup | Cmd::CmsDelete | Cmd::CmsValidate | Cmd::CmsDowngrade
    );
    if needs_db && !cms.exists() {
        return Outcome::Fail(text::NO_DATABASE.into());
    }
    let fail = |e: crate::cms::CmsError| Outcome::Fail(format!("% Error: {e}"));
    match m.id {
        Cmd::CmsBackup => {
            let name = now.format("acns-db-%-m-%-d-%Y-%H-%M.dump").to_string();
            let path = device.disk_dir().join(&name);
            match cms.backup(&path, software, &now.to_rfc3339()) {
                Ok(_) => {
                    device.stamp(&path);
                    Outcome::Print(format!(
                        "{} {name}\nBackup file local1/{name} {}\n",
                        text::BACKUP_CREATING,
                        text::BACKUP_READY
                    ))
                }
                Err(e) => fail(e),
            }
        }
        Cmd::CmsCreate if cms.exists() => Outcome::Fail(text::DATABASE_EXISTS.into()),
        Cmd::CmsCreate => {
            let schema = release(software).schema;
            match cms.create(schema, &now.to_rfc3339()) {
                Ok(()) => Outcome::Print(format!("{} {schema}.\n", text::CREATED)),
                Err(e) => fail(e),
            }
        }
        Cmd::CmsDelete => Outcome::AskDeleteCms,
        Cmd::CmsRestore if cms.exists() => Outcome::Fail(text::DATABASE_EXISTS.into()),
        Cmd::CmsRestore => {
            let name = m.arg("FILE").unwrap_or_default();
            let Some(path) = disk_file(device, name) else {
                return Outcome::Fail(format!("{}{name}", crate::text::msg::BAD_FILE_NAME));
            };
            if !path.is_file() {
                return Outcome::Fail(format!("{}{name}", text::NO_FILE));
            }
            match cms.restore(&path) {
                Ok(h) => Outcome::Print(format!(
                    "{} {name} (schema {}, software {}).\n",
                    text::RESTORED,
                    h.schema,
                    h.software
                )),
                Err(e) => fail(e),
            }
        }
        Cmd::CmsValidate => match cms.validate() {
            Ok(schema) => {
                Outcome::Print(format!("{} {schema}, software {software}.\n", text::VALID))
            }
            Err(e) => fail(e),
        },
        Cmd::CmsDowngrade => {
            let target = release(software).schema;
            match cms.schema() {
                Ok(s) if s == target => Outcome::Fail(format!("{} ({target}).", text::SAME_SCHEMA)),
                Ok(s) if s < target => {
                    Outcome::Fail(format!("{} ({s} < {target}).", text::NOT_NEWER))
                }
                Ok(_) => match cms.downgrade(target) {
                    Ok(from) => {
                        Outcome::Print(format!("{} {from} to {target}.\n", text::DOWNGRADED))
                    }
                    Err(e) => fail(e),
                },
                Err(e) => fail(e),
            }
        }
        other => Outcome::Fail(format!("% Error: {other:?} is not a CMS command")),
    }
}

/// `cms deregister [force]` on a CE or CR.
pub fn deregister(m: &Match<Cmd>, device: &Device) -> Outcome {
    let registered = {
        let s = device.state();
        s.registration.is_some() || s.running.cdm_ip.is_some()
    };
    if !registered {
        return Outcome::Fail(text::NOT_REGISTERED.into());
    }
    let force = m.has("force");
    let result = match device.link() {
        Some((link, _)) => crate::agent::deregister(device, &link.network, force),
        None if force => {
            let mut s = device.state();
            s.registration = None;
            s.running.cms_enabled = false;
            Ok(())
        }
        None => Err(crate::network::NetError::NoAnswer(
            std::net::Ipv4Addr::UNSPECIFIED,
        )),
    };
    match result {
        Ok(()) => Outcome::Print(format!("{}\n", text::DEREGISTERED)),
        Err(_) => Outcome::Fail(text::CDM_UNREACHABLE.into()),
    }
}

/// `cms database delete` after the confirmation.
pub fn delete(device: &Device) -> Outcome {
    let mut state = device.state();
    if state.running.cms_enabled {
        return Outcome::Fail(text::NEED_DISABLED.into());
    }
    match state.cms.as_mut().map(|c| c.delete()) {
        Some(Ok(())) => Outcome::Print(format!("{}\n", text::DELETED)),
        Some(Err(e)) => Outcome::Fail(format!("% Error: {e}")),
        None => Outcome::Fail(crate::text::msg::NOT_ON_THIS_DEVICE.into()),
    }
}

/// Checks `cms enable` on a CDM; creates the database when there is none (first enable). `Err` is
/// the message to print, and the configuration is then left unchanged.
pub fn check_enable(device: &Device) -> Result<Option<String>, String> {
    let now = device.clock().now();
    let mut state = device.state();
    let software = state.version;
    let wanted = release(software).schema;
    let standby = state.running.cdm_role == Some(crate::config::CdmRole::Standby);
    let Some(cms) = state.cms.as_mut() else {
        return Ok(None);
    };
    let mut notice = None;
    if !cms.exists() {
        cms.create(wanted, &now.to_rfc3339())
            .map_err(|e| format!("% Error: {e}"))?;
        notice = Some(format!("{}\n", text::NEW_DATABASE));
    }
    let schema = cms.schema().map_err(|e| format!("% Error: {e}"))?;
    if schema != wanted {
        let way_out = if schema > wanted {
            "Use 'cms database downgrade', or on a standby 'cms database delete' then 'cms database create', or restore a backup of this version."
        } else {
            "Reload to migrate it, or restore a backup of this version."
        };
        return Err(format!(
            "{} {schema}, the software {software} needs schema {wanted}. {way_out}",
            crate::text::msg::SCHEMA_MISMATCH
        ));
    }
    if standby {
        state.sync = SyncState::FullUpdatePending;
    }
    Ok(notice)
}

/// `cdm role primary` on a standby: refused while the primary it follows is still active (the guide:
/// first set the old primary to standby, or take it down).
pub fn check_takeover(device: &Device) -> Result<(), String> {
    let (standby, primary) = {
        let s = device.state();
        (
            s.running.cdm_role == Some(crate::config::CdmRole::Standby),
            s.running.cdm_ip,
        )
    };
    let (Some(primary), Some((link, _))) = (primary.filter(|_| standby), device.link()) else {
        return Ok(());
    };
    let probe = link
        .network
        .deliver(device.identity.ip, primary, crate::network::Message::Probe);
    match probe {
        Ok(crate::network::Answer::Done) => Err(format!(
            "{}{primary}{}",
            text::PRIMARY_ACTIVE,
            text::PRIMARY_ACTIVE_HOW
        )),
        _ => Ok(()),
    }
}

/// A plain file name under `/local/local1` (no `/`, no `..`); the host path.
pub fn disk_file(device: &Device, name: &str) -> Option<std::path::PathBuf> {
    let name = name
        .strip_prefix("/local/local1/")
        .or_else(|| name.strip_prefix("local1/"))
        .unwrap_or(name);
    let plain = !name.is_empty() && !name.contains('/') && name != "." && name != "..";
    plain.then(|| device.disk_dir().join(name))
}

/// `show cms info`.
pub fn info(device: &Device) -> String {
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
            let registration = match &state.registration {
                Some(r) => format!("registered with {} since {}", r.cdm, ctime(r.since)),
                None => "not registered".into(),
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
    match &state.sync {
        SyncState::Never => vec![("Sync status:", "never synchronised".into())],
        SyncState::InSync { at, applied } => vec![
            ("Sync status:", "in sync".into()),
            ("Last sync:", ctime(*at)),
            ("Updates applied:", applied.to_string()),
        ],
        SyncState::VersionMismatch { at, primary } => vec![
            (
                "Sync status:",
                format!(
                    "version mismatch: primary runs {primary}, this standby runs {}; updates from the primary are not processed",
                    state.version
                ),
            ),
            ("Last poll:", ctime(*at)),
        ],
        SyncState::Unreachable { at } => {
            vec![("Sync status:", "primary unreachable".into()), ("Last poll:", ctime(*at))]
        }
        SyncState::FullUpdatePending => vec![("Sync status:", "full update requested".into())],
    }
}

/// `show cms database`.
pub fn database(device: &Device) -> String {
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
pub fn devices(device: &Device) -> String {
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
