//! Devices > Device Groups (the list window: Device Group with Edit, Devices, each member's
//! Software Version) and a group's window (Modifying Device Group: Status with its members, CDN
//! Settings > Software Upgrade/Downgrade), and the group's Update Software Submit. Reads through
//! `upgrade`, acts through `api`.

use axum::extract::{Path, Query, State};
use axum::response::Response;
use axum::Form;
use maud::html;

use super::contents::{with_contents, PaneQuery, Panes};
use super::devices::device_table;
use super::update_software::{started, update_software, UpgradeForm};
use crate::text::gui as text;
use crate::upgrade::{self, DeviceView, Target};
use crate::web::auth::Admin;
use crate::web::flash::{back, encode, Flash};
use crate::web::frame::data_window;
use crate::web::GuiState;

pub(in crate::web) async fn list_page(
    State(gui): State<GuiState>,
    _: Admin,
    Query(flash): Query<Flash>,
) -> Response {
    data_window(&gui.lab, text::WINDOW_GROUPS, &flash, false, |cms| {
        let groups = upgrade::groups(cms)?;
        let devices = upgrade::devices(cms)?;
        let version_of = |member: &str| {
            devices
                .iter()
                .find(|d| d.name == member)
                .map(|d| d.software_version.as_str())
                .unwrap_or("-")
        };
        Ok(html! {
            table #groups {
                tr { th {} th { "Device Group" } th { "Devices" } th { "Software Version" } }
                @for g in &groups {
                    @let versions: Vec<String> = g
                        .devices
                        .iter()
                        .map(|m| format!("{m}: {}", version_of(m)))
                        .collect();
                    tr id={ "group-" (g.name) } {
                        td { a.edit href={ "/group/" (g.name) } { (text::EDIT) } }
                        td { (g.name) }
                        td.members { (g.devices.join(", ")) }
                        td.version { (versions.join("; ")) }
                    }
                }
            }
        })
    })
}

pub(in crate::web) async fn group_page(
    State(gui): State<GuiState>,
    _: Admin,
    Path(name): Path<String>,
    Query(q): Query<PaneQuery>,
) -> Response {
    let title = format!("{} {name}", text::MODIFYING_GROUP);
    data_window(&gui.lab, &title, &q.flash, false, |cms| {
        let g = &upgrade::group(cms, &name)?;
        let base = format!("/group/{}", encode(&name));
        let pane = if q.pane.as_deref() == Some("upgrade") {
            let files = upgrade::files(cms)?;
            update_software(&format!("{base}/upgrade"), text::UPDATE_SOFTWARE, &files)
        } else {
            let devices = upgrade::devices(cms)?;
            let members: Vec<&DeviceView> = devices
                .iter()
                .filter(|d| g.devices.contains(&d.name))
                .collect();
            html! { h2 #window { (text::PANE_STATUS) } (device_table(&members, false)) }
        };
        let panes = Panes {
            cdn_status: false,
            upgrade: true,
            show: false,
        };
        Ok(with_contents(&base, panes, pane))
    })
}

/// The group's Update Software Submit: back to Device Groups with the jobs started.
pub(in crate::web) async fn upgrade_group(
    State(gui): State<GuiState>,
    _: Admin,
    Path(name): Path<String>,
    Form(f): Form<UpgradeForm>,
) -> Response {
    let result = crate::lab::start_upgrade(&gui.lab, f.file, &Target::Group(name)).map(started);
    back("/groups", result)
}
