//! The frame of every window: a header naming the CDM (with Logout), the menu, the note or error
//! a form left, the window's title and body; and [`data_window`], a window whose data comes from
//! the primary's database (a standby or a stopped CMS says why, 503). Templates only: no routes,
//! no login checks (the [`super::auth::Admin`] extractor does them).

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use maud::{html, Markup, PreEscaped, DOCTYPE};

use super::flash::Flash;
use crate::cms::Cms;
use crate::lab::CdmShared as Shared;
use crate::text::gui as text;
use crate::upgrade::{self, UpgradeError};

/// Whether a window shows the menu and Logout (every window but the login window).
#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) enum Menu {
    Shown,
    Hidden,
}

const MENU: [(&str, &str); 6] = [
    ("/devices/cdm", text::MENU_CDMS),
    ("/devices/ce", text::MENU_CES),
    ("/devices/cr", text::MENU_CRS),
    ("/groups", text::MENU_GROUPS),
    ("/software", text::MENU_SOFTWARE),
    ("/jobs", text::MENU_JOBS),
];

const STYLE: &str = "body{font-family:sans-serif;margin:0}header{background:#1f4e79;color:#fff;\
padding:8px}header a{color:#fff;float:right}nav{background:#dde6ee;padding:6px}nav a{margin-right:14px}\
main{padding:10px}table{border-collapse:collapse}td,th{border:1px solid #aab;padding:3px 8px;\
text-align:left}.note{color:#075}.error{color:#b00}.pane{float:left;width:260px}\
.pane a{display:block;margin:4px 0}.window{margin-left:280px}pre{background:#f4f4f4;padding:6px}";

/// A whole window: header naming the CDM, the menu, the flash message, `body`; with `refresh`, the
/// browser reloads it every 3 seconds.
pub(super) fn window(
    lab: &Shared,
    title: &str,
    flash: &Flash,
    body: Markup,
    refresh: bool,
    menu: Menu,
) -> Markup {
    let cdm = lab.cdm();
    let spec = cdm.spec();
    html! {
        (DOCTYPE)
        html lang="en" {
            head {
                meta charset="utf-8";
                @if refresh { meta http-equiv="refresh" content="3"; }
                title { (title) " - " (text::PRODUCT) " " (spec.name) }
                style { (PreEscaped(STYLE)) }
            }
            body {
                header {
                    b { (text::PRODUCT) } " " (spec.name) " (" (spec.ip) ")"
                    @if menu == Menu::Shown {
                        " " a.logout href="/logout" { (text::LOGOUT) }
                    }
                }
                @if menu == Menu::Shown {
                    nav { @for (href, label) in MENU { a href=(href) { (label) } " " } }
                }
                main {
                    h1 { (title) }
                    @if let Some(note) = &flash.note { p.note #note { (note) } }
                    @if let Some(error) = &flash.error { p.error #error { (error) } }
                    (body)
                }
            }
        }
    }
}

/// A logged-in window whose data comes from the primary's database; a standby or a stopped CMS
/// says why (503), a missing device, group or file is a 404.
pub(super) fn data_window(
    lab: &Shared,
    title: &str,
    flash: &Flash,
    refresh: bool,
    body: impl FnOnce(&mut Cms) -> Result<Markup, UpgradeError>,
) -> Response {
    match upgrade::with_primary(lab.cdm().device(), body) {
        Ok(body) => window(lab, title, flash, body, refresh, Menu::Shown).into_response(),
        Err(e) => {
            let code = match e {
                UpgradeError::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
                UpgradeError::NotFound(_) => StatusCode::NOT_FOUND,
                _ => StatusCode::INTERNAL_SERVER_ERROR,
            };
            let body = html! { p.error #error { (e.to_string()) } };
            (code, window(lab, title, flash, body, false, Menu::Shown)).into_response()
        }
    }
}
