//! Devices > CDM / Content Engines / Content Routers (the list windows: Name with Edit, IP Address,
//! Software Version, Status) and a device's window (Modifying ...: Status with its Device
//! Information, CDN Settings > Software Upgrade/Downgrade for CEs and CRs, Show Commands), and
//! the device's Update Software Submit. Reads through `upgrade`, acts through `api`.

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Form;
use maud::{html, Markup};

use super::contents::{with_contents, PaneQuery, Panes};
use super::show::{show_output, show_pane};
use super::to_second;
use super::update_software::{started, update_software, UpgradeForm};
use crate::config::DeviceKind;
use crate::text::gui as text;
use crate::upgrade::{self, DeviceView, Target};
use crate::web::auth::Admin;
use crate::web::flash::{back, encode, Flash};
use crate::web::frame::data_window;
use crate::web::GuiState;

/// The device list window of a menu word (`/devices/ce`): its kind and title.
fn list_of(word: &str) -> Option<(DeviceKind, &'static str)> {
    match word {
        "cdm" => Some((DeviceKind::Cdm, text::WINDOW_CDMS)),
        "ce" => Some((DeviceKind::Ce, text::WINDOW_CES)),
        "cr" => Some((DeviceKind::Cr, text::WINDOW_CRS)),
        _ => None,
    }
}

/// The kind of a device row (its `kind` is the kind's label, `CE`).
fn kind_of(d: &DeviceView) -> Option<DeviceKind> {
    DeviceKind::ALL.into_iter().find(|k| k.label() == d.kind)
}

fn kind_name(kind: Option<DeviceKind>) -> &'static str {
    match kind {
        Some(DeviceKind::Cdm) => text::KIND_CDM,
        Some(DeviceKind::Cr) => text::KIND_CR,
        _ => text::KIND_CE,
    }
}

/// The table of a device list window (and of a group's Status): Name (with Edit), IP Address,
/// Software Version, Status; the CDM list also Standby Status.
pub(super) fn device_table(devices: &[&DeviceView], standby_column: bool) -> Markup {
    html! {
        table #devices {
            tr {
                th {} th { "Name" } th { "IP Address" } th { "Software Version" } th { "Status" }
                @if standby_column { th { (text::STANDBY_STATUS) } }
            }
            @for d in devices {
                tr id={ "device-" (d.name) } {
                    td { a.edit href={ "/device/" (d.name) } { (text::EDIT) } }
                    td.name { (d.name) }
                    td { (d.ip) }
                    td.version {
                        (d.software_version)
                        @if let Some(reason) = &d.reason {
                            br;
                            small.reason { (text::REASON_PREFIX) (reason) }
                        }
                    }
                    td.status { (d.status) }
                    @if standby_column {
                        td.standby { (d.standby_status.as_deref().unwrap_or("-")) }
                    }
                }
            }
        }
    }
}

pub(in crate::web) async fn list_page(
    State(gui): State<GuiState>,
    _: Admin,
    Path(word): Path<String>,
    Query(flash): Query<Flash>,
) -> Response {
    let Some((kind, title)) = list_of(&word) else {
        return StatusCode::NOT_FOUND.into_response();
    };
    let reports = upgrade::standby_reports(gui.lab.cdm().device());
    data_window(&gui.lab, title, &flash, false, |cms| {
        let all = upgrade::with_standby_status(upgrade::devices(cms)?, &reports);
        let these: Vec<&DeviceView> = all.iter().filter(|d| kind_of(d) == Some(kind)).collect();
        Ok(device_table(&these, kind == DeviceKind::Cdm))
    })
}

/// The Device Information of the Status pane.
fn device_information(d: &DeviceView) -> Markup {
    html! {
        h2 #window { (text::DEVICE_INFORMATION) }
        table #device-information {
            tr { th { "Name" } td { (d.name) } }
            tr { th { "Type" } td { (kind_name(kind_of(d))) } }
            tr { th { "IP Address" } td { (d.ip) } }
            tr { th { "Software Version" } td.version { (d.version) } }
            @if let Some(reason) = &d.reason {
                tr { th { (text::LAST_UPGRADE) } td.reason { (d.software_version) ": " (reason) } }
            }
            tr { th { "Status" } td.status { (d.status) } }
            @if let Some(standby) = &d.standby_status {
                tr {
                    th { (text::STANDBY_STATUS) }
                    td.standby { (standby) " (" (text::REPORTED) " " (d.standby_reported_at.as_deref().map(to_second).unwrap_or_default()) ")" }
                }
            }
        }
    }
}

pub(in crate::web) async fn device_page(
    State(gui): State<GuiState>,
    _: Admin,
    Path(name): Path<String>,
    Query(q): Query<PaneQuery>,
) -> Response {
    let node = gui.lab.node(&name);
    let title = match node.as_ref().map(|n| n.spec().kind) {
        Some(DeviceKind::Cdm) => text::MODIFYING_CDM,
        Some(DeviceKind::Cr) => text::MODIFYING_CR,
        _ => text::MODIFYING_CE,
    };
    let title = format!("{title} {name}");
    let shown = match q.pane.as_deref() {
        Some("show") => show_output(node.as_ref(), q.command.as_deref()).await,
        _ => None,
    };
    let reports = upgrade::standby_reports(gui.lab.cdm().device());
    data_window(&gui.lab, &title, &q.flash, false, |cms| {
        let d = &upgrade::device(cms, &name, &reports)?;
        let base = format!("/device/{}", encode(&name));
        let upgradable = kind_of(d) != Some(DeviceKind::Cdm);
        let pane = match q.pane.as_deref() {
            Some("upgrade") if upgradable => {
                let files = upgrade::files(cms)?;
                let title = format!("{} {}", text::UPDATE_SOFTWARE_FOR, kind_name(kind_of(d)));
                update_software(&format!("{base}/upgrade"), &title, &files)
            }
            Some("show") => show_pane(&base, shown),
            _ => device_information(d),
        };
        let panes = Panes {
            cdn_status: upgradable,
            upgrade: upgradable,
            show: true,
        };
        Ok(with_contents(&base, panes, pane))
    })
}

/// The device's Update Software Submit: back to its list window with the jobs started.
pub(in crate::web) async fn upgrade_device(
    State(gui): State<GuiState>,
    _: Admin,
    Path(name): Path<String>,
    Form(f): Form<UpgradeForm>,
) -> Response {
    let list = match gui.lab.node(&name).map(|n| n.spec().kind) {
        Some(DeviceKind::Cr) => "/devices/cr",
        _ => "/devices/ce",
    };
    let result = crate::lab::start_upgrade(&gui.lab, f.file, &Target::Device(name)).map(started);
    back(list, result)
}
