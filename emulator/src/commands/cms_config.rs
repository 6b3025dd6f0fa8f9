//! The CMS settings of the configuration: `cms enable` (with the checks it must pass on a CDM),
//! `cdm ip`, `cdm role` (a standby taking over is refused while its primary is active).

use super::configure::H_NO;
use super::context::Applied;
use super::unit::{ConfigCommand, CDM_ONLY};
use crate::config::{CdmRole, DeviceKind};
use crate::device::Device;
use crate::network::Network;
use crate::release::release;
use crate::text::{cms as text, msg};

pub(super) static CONFIG: &[&ConfigCommand] =
    &[&CMS_ENABLE, &NO_CMS_ENABLE, &CDM_IP, &NO_CDM_IP, &CDM_ROLE];

const H_CMS: &str = "Configure the Centralized Management System";
const H_ENABLE_CMS: &str = "Enable the CMS service";
const H_CDM: &str = "Configure the Content Distribution Manager";
const H_CDM_IP: &str = "Address of the primary Content Distribution Manager";

static CMS_ENABLE: ConfigCommand =
    ConfigCommand::new("cms enable", &[H_CMS, H_ENABLE_CMS], |_, config, _| {
        config.cms_enabled = true;
        Ok(Applied::default())
    })
    .checked(|_, device, _| {
        let was_enabled = device.state().running.cms_enabled;
        let checked = check_enable(device)?;
        if was_enabled {
            return Ok(checked);
        }
        device.log(crate::text::log::CMS_ENABLED);
        let mut notice = checked.unwrap_or_default();
        for line in enable_messages(device) {
            notice.push_str(&line);
            notice.push('\n');
        }
        Ok(Some(notice))
    });

/// What `cms enable` says when it starts the services [recalled: the WAAS 4.x wording, ACNS's
/// descendant, with the lab's device names]: a CE or CR sends its registration, a standby asks
/// for the full update, and every device reminds to save the configuration.
fn enable_messages(device: &Device) -> Vec<String> {
    let state = device.state();
    let cdm = state.running.cdm_ip.map(|ip| ip.to_string());
    let mut lines = Vec::new();
    match (device.identity.kind, state.running.cdm_role) {
        (DeviceKind::Cdm, Some(CdmRole::Standby)) => {
            if let Some(cdm) = &cdm {
                lines.push(format!("{} {cdm}", text::REQUESTING_FULL_UPDATE));
            }
        }
        (DeviceKind::Cdm, _) => {}
        (kind, _) => {
            let name = match kind {
                DeviceKind::Cr => "Content Router",
                _ => "Content Engine",
            };
            lines.push(format!("Registering {name}..."));
            if let Some(cdm) = &cdm {
                lines.push(format!("{} {cdm}", text::SENDING_REGISTRATION));
            }
        }
    }
    lines.push(text::PRESERVE_CONFIG.into());
    lines.push(text::SERVICES_ENABLED.into());
    lines
}

static NO_CMS_ENABLE: ConfigCommand = ConfigCommand::new(
    "no cms enable",
    &[H_NO, H_CMS, H_ENABLE_CMS],
    |_, config, _| {
        config.cms_enabled = false;
        Ok(Applied::default())
    },
)
.checked(|_, device, _| {
    if device.state().running.cms_enabled {
        device.log(crate::text::log::CMS_DISABLED);
        return Ok(Some(format!("{}\n", text::SERVICES_DISABLED)));
    }
    Ok(None)
});

static CDM_IP: ConfigCommand = ConfigCommand::new(
    "cdm ip A.B.C.D$address",
    &[H_CDM, H_CDM_IP, "IP address"],
    |args, config, place| {
        if place.kind == DeviceKind::Cdm && config.cdm_role == Some(CdmRole::Primary) {
            return Err(msg::NOT_ON_THIS_DEVICE.into());
        }
        config.cdm_ip = Some(args.ipv4("address"));
        Ok(Applied::default())
    },
);

static NO_CDM_IP: ConfigCommand = ConfigCommand::new(
    "no cdm ip [A.B.C.D$address]",
    &[H_NO, H_CDM, H_CDM_IP, "IP address"],
    |_, config, _| {
        config.cdm_ip = None;
        Ok(Applied::default())
    },
);

static CDM_ROLE: ConfigCommand = ConfigCommand::new(
    "cdm role {primary | standby}",
    &[
        H_CDM,
        "Role of this Content Distribution Manager",
        "Primary Content Distribution Manager",
        "Standby Content Distribution Manager",
    ],
    |args, config, _| {
        if args.has("standby") {
            config.cdm_role = Some(CdmRole::Standby);
        } else {
            config.cdm_role = Some(CdmRole::Primary);
            config.cdm_ip = None;
        }
        Ok(Applied::default())
    },
)
.only(CDM_ONLY)
.checked(|args, device, network| {
    if args.has("primary") {
        check_takeover(device, network)?;
    }
    Ok(None)
});

/// Checks `cms enable` on a CDM; creates the database when there is none (first enable). `Err` is
/// the message to print, and the configuration is then left unchanged.
fn check_enable(device: &Device) -> Result<Option<String>, String> {
    let now = device.clock().now();
    let mut state = device.state();
    let software = state.version;
    let wanted = release(software).schema;
    let standby = state.running.cdm_role == Some(CdmRole::Standby);
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
            text::WAY_OUT_NEWER
        } else {
            text::WAY_OUT_OLDER
        };
        return Err(format!(
            "{} {schema}, the software {software} needs schema {wanted}. {way_out}",
            msg::SCHEMA_MISMATCH
        ));
    }
    if standby {
        state.standby.request_full_update(now);
        let primary = state
            .running
            .cdm_ip
            .map(|ip| ip.to_string())
            .unwrap_or_else(|| "(not set)".into());
        let line = crate::text::log::FULL_UPDATE_REQUESTED.replace("{primary}", &primary);
        state.log(now, line);
    }
    Ok(notice)
}

/// `cdm role primary` on a standby: refused while the primary it follows is still active (the guide:
/// first set the old primary to standby, or take it down).
fn check_takeover(device: &Device, network: Option<&Network>) -> Result<(), String> {
    let (standby, primary) = {
        let s = device.state();
        (
            s.running.cdm_role == Some(CdmRole::Standby),
            s.running.cdm_ip,
        )
    };
    let (Some(primary), Some(network)) = (primary.filter(|_| standby), network) else {
        return Ok(());
    };
    let probe = network.deliver(device.identity.ip, primary, crate::network::Message::Probe);
    match probe {
        Ok(crate::network::Answer::Done) => Err(format!(
            "{}{primary}{}",
            text::PRIMARY_ACTIVE,
            text::PRIMARY_ACTIVE_HOW
        )),
        _ => Ok(()),
    }
}
