//! The CDM's web GUI, laid out as the guide walks through it (ACNS-BEHAVIOUR.md §9, §10; the seed's
//! GUI procedures): log in as the administrator; Devices > Content Distribution Managers / Content
//! Engines / Content Routers / Device Groups, each a window with the Software Version column (the
//! status messages of table 7-2 while an upgrade runs) and an Edit link; a device's or group's
//! page has a Contents pane: Status (Device Information), CDN Settings > Software Upgrade/Downgrade
//! (the Update Software window: a meta file URL from a drop-down list and Submit; a file's radio
//! button and Delete), Show/Clear Commands > Show Commands (e.g. `version`); System > Software
//! Update is the Software Update File Registration window (Add Software Update File, Edit >
//! Modifying Software Update File > Trash). Plain server-rendered HTML (maud) with forms, on each
//! CDM's API port; every action goes through the same functions as the JSON API
//! (`lab::register_file`, `lab::start_upgrade`, `upgrade::*`). A form answers with a redirect
//! carrying a note or an error (`?note=` / `?error=`), so reloading never repeats an action. Texts
//! are in `text::gui`. This file holds only the router and the state the pages share; it reads no
//! device state itself.
//!
//! The folder:
//! - `auth`: administrator login and logout, the session cookie of this CDM (its logins in
//!   [`Gui`]), the [`auth::Admin`] extractor that sends everyone else to the login window; the
//!   password check, the lockout (five failed logins within a minute, shared with the API) and the
//!   sessions' expiry (idle 30 minutes, 12 hours in all) are `crate::cdm_login`'s;
//! - `frame`: the frame of every window (header, menu, note or error) and `data_window`, a window
//!   whose data comes from the primary's database;
//! - `flash`: the note or error a form's redirect carries (`?note=` / `?error=`);
//! - `pages/`: one file per group of windows: `devices` (device lists, a device's Status),
//!   `groups`, `software` (System > Software Update), `jobs`, `show` (Show Commands),
//!   `contents` (the Contents pane), `update_software` (the Update Software window);
//! - `run_show`: a show command run on a device through a session of its own.

mod auth;
mod flash;
mod frame;
mod pages;
mod run_show;

use std::sync::Arc;

use axum::response::Redirect;
use axum::routing::{get, post};
use axum::Router;

use crate::cdm_login::LoginCheck;
use crate::lab::CdmShared as Shared;
use pages::{devices, groups, jobs, software};

/// What every page handler gets: the lab access of the API, this CDM's GUI logins and its login
/// check (shared with the API, so failures at either count toward one lockout).
pub(crate) struct Gui {
    lab: Shared,
    logins: auth::Logins,
    check: Arc<LoginCheck>,
}

/// The router's state.
type GuiState = Arc<Gui>;

/// The page routes of the CDM that `lab` serves, with their state (its login sessions); `check`
/// is the CDM's login check, the API's too.
pub fn routes(lab: Shared, check: Arc<LoginCheck>) -> Router {
    let logins = auth::Logins::new(&lab.cdm().spec().name);
    let state: GuiState = Arc::new(Gui { lab, logins, check });
    Router::new()
        .route("/", get(|| async { Redirect::to("/devices/ce") }))
        .route("/login", get(auth::login_page).post(auth::login))
        .route("/logout", get(auth::logout))
        .route("/devices/{kind}", get(devices::list_page))
        .route("/device/{name}", get(devices::device_page))
        .route("/device/{name}/upgrade", post(devices::upgrade_device))
        .route("/groups", get(groups::list_page))
        .route("/group/{name}", get(groups::group_page))
        .route("/group/{name}/upgrade", post(groups::upgrade_group))
        .route("/software", get(software::list_page))
        .route(
            "/software/new",
            get(software::new_file_page).post(software::register),
        )
        .route("/software/{id}", get(software::file_page))
        .route("/software/delete", post(software::unregister))
        .route("/jobs", get(jobs::jobs_page))
        .route("/jobs/{id}", get(jobs::job_page))
        .fallback(pages::not_found::not_found)
        .with_state(state)
}
