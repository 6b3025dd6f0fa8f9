//! The Contents pane of a device's or a group's window: the links to its panes (Status, CDN
//! Settings > Status, CDN Settings > Software Upgrade/Downgrade, Show/Clear Commands > Show Commands), and the query that
//! picks one. Template only.

use maud::{html, Markup};
use serde::Deserialize;

use crate::text::gui as text;
use crate::web::flash::Flash;

/// The query of a device's or group's window: which pane, the chosen show command, a flash.
#[derive(Deserialize, Default)]
pub(in crate::web) struct PaneQuery {
    #[serde(default)]
    pub pane: Option<String>,
    #[serde(default)]
    pub command: Option<String>,
    #[serde(flatten)]
    pub flash: Flash,
}

/// The panes a window offers besides Status.
pub(super) struct Panes {
    /// CDN Settings > Status, the guide's way to a CE's or CR's Device Information (procedure 1),
    /// besides Status.
    pub cdn_status: bool,
    /// CDN Settings > Software Upgrade/Downgrade (CEs, CRs and groups; a CDM is upgraded by CLI).
    pub upgrade: bool,
    /// Show/Clear Commands > Show Commands (devices).
    pub show: bool,
}

/// The Contents pane of the window at `base`, then the window area with `pane` in it.
pub(super) fn with_contents(base: &str, panes: Panes, pane: Markup) -> Markup {
    html! {
        div.pane #contents {
            b { (text::CONTENTS) }
            a href={ (base) "?pane=status" } { (text::PANE_STATUS) }
            @if panes.cdn_status { a href={ (base) "?pane=status" } { (text::PANE_CDN_STATUS) } }
            @if panes.upgrade { a href={ (base) "?pane=upgrade" } { (text::PANE_UPGRADE) } }
            @if panes.show { a href={ (base) "?pane=show" } { (text::PANE_SHOW) } }
        }
        div.window { (pane) }
    }
}
