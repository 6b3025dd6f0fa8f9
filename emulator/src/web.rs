//! The CDM's web GUI, laid out as the guide walks through it (ACNS-BEHAVIOUR.md §9, §10; the seed's
//! GUI procedures): log in as the administrator; Devices > Content Distribution Managers / Content
//! Engines / Content Routers / Device Groups, each a window with the Software Version column (the
//! status messages of table 7-2 while an upgrade runs) and an Edit link; a device's or group's
//! page has a Contents pane: Status (Device Information), CDN Settings > Software Upgrade/Downgrade
//! (the Update Software window: a meta file URL from a drop-down list and Submit; a file's radio
//! button and Delete), Show/Clear Commands > Show Commands (e.g. `version`); System > Software
//! Update is the Software Update File Registration window (Add Software Update File, Edit >
//! Modifying Software Update File > Trash). Plain server-rendered HTML with forms, on each CDM's API
//! port; every action goes through the same functions as the JSON API (`api::register_file`,
//! `api::start_upgrade`, `upgrade::*`). A form answers with a redirect carrying a note or an error
//! (`?note=` / `?error=`), so reloading never repeats an action. Texts are in `text::gui`.

use std::collections::HashSet;
use std::fmt::Write as _;
use std::sync::Mutex;

use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Form, Router};
use serde::Deserialize;

use crate::api::Shared;
use crate::config::DeviceKind;
use crate::text::gui as text;
use crate::upgrade::{self, Target, UpgradeError};

/// The page routes (state: the lab access of the API).
pub fn routes() -> Router<Shared> {
    Router::new()
        .route("/", get(|| async { Redirect::to("/devices/ce") }))
        .route("/login", get(login_page).post(login))
        .route("/logout", get(logout))
        .route("/devices/{kind}", get(devices_page))
        .route("/device/{name}", get(device_page))
        .route("/device/{name}/upgrade", post(upgrade_device))
        .route("/groups", get(groups_page))
        .route("/group/{name}", get(group_page))
        .route("/group/{name}/upgrade", post(upgrade_group))
        .route("/software", get(software_page))
        .route("/software/new", get(new_file_page).post(register))
        .route("/software/{id}", get(file_page))
        .route("/software/delete", post(unregister))
        .route("/jobs", get(jobs_page))
}

// ------------------------------------------------------------------------------------------------
// sessions

/// The session cookie of one CDM: browsers share cookies between ports of one host, so each CDM of
/// a lab on 127.0.0.1 has a cookie of its own name (a login on cdm1 is not one on cdm2).
fn cookie_name(lab: &Shared) -> String {
    let name: String = lab
        .cdm()
        .spec()
        .name
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
        .collect();
    format!("acnslab_{name}")
}

/// Logged-in browser sessions: (cookie name, random token), for every CDM of this process.
static SESSIONS: Mutex<Option<HashSet<(String, String)>>> = Mutex::new(None);

fn sessions() -> std::sync::MutexGuard<'static, Option<HashSet<(String, String)>>> {
    SESSIONS.lock().unwrap_or_else(|p| p.into_inner())
}

/// This CDM's (cookie name, token) sent by the browser, if any.
fn session_of(lab: &Shared, headers: &HeaderMap) -> Option<(String, String)> {
    let cookie = cookie_name(lab);
    let token = headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|c| {
            c.trim()
                .strip_prefix(&format!("{cookie}="))
                .map(String::from)
        })
        .next()?;
    Some((cookie, token))
}

fn logged_in(lab: &Shared, headers: &HeaderMap) -> bool {
    session_of(lab, headers)
        .is_some_and(|session| sessions().as_ref().is_some_and(|s| s.contains(&session)))
}

/// Runs `page` for a logged-in browser; others go to the login window.
fn guarded(lab: &Shared, headers: &HeaderMap, page: impl FnOnce() -> Response) -> Response {
    if logged_in(lab, headers) {
        page()
    } else {
        Redirect::to("/login").into_response()
    }
}

async fn login_page(State(lab): State<Shared>, Query(flash): Query<Flash>) -> Response {
    let body = format!(
        "<form id=\"login\" method=\"post\" action=\"/login\">\
         <p><label>{} <input name=\"username\" autocomplete=\"username\"></label></p>\
         <p><label>{} <input name=\"password\" type=\"password\"></label></p>\
         <p><button type=\"submit\">{}</button></p></form>\n",
        escape(text::USERNAME),
        escape(text::PASSWORD),
        escape(text::LOGIN)
    );
    page(&lab, text::LOGIN_TITLE, &flash, &body, false, false).into_response()
}

#[derive(Deserialize)]
struct LoginForm {
    username: String,
    password: String,
}

/// The administrator of the CDM's own configuration (`username admin password ... privilege 15`).
async fn login(State(lab): State<Shared>, Form(f): Form<LoginForm>) -> Response {
    let cdm = lab.cdm();
    match cdm.device().authenticate(&f.username, &f.password) {
        Some(15) => {
            let token = format!("{:032x}", rand::random::<u128>());
            let cookie = cookie_name(&lab);
            sessions()
                .get_or_insert_with(HashSet::new)
                .insert((cookie.clone(), token.clone()));
            (
                [(
                    header::SET_COOKIE,
                    format!("{cookie}={token}; Path=/; HttpOnly; SameSite=Strict"),
                )],
                Redirect::to("/devices/ce"),
            )
                .into_response()
        }
        _ => Redirect::to(&format!("/login?error={}", encode(text::LOGIN_FAILED))).into_response(),
    }
}

async fn logout(State(lab): State<Shared>, headers: HeaderMap) -> Response {
    if let (Some(session), Some(all)) = (session_of(&lab, &headers), sessions().as_mut()) {
        all.remove(&session);
    }
    let cookie = cookie_name(&lab);
    (
        [(header::SET_COOKIE, format!("{cookie}=; Path=/; Max-Age=0"))],
        Redirect::to("/login"),
    )
        .into_response()
}

// ------------------------------------------------------------------------------------------------
// rendering

/// `?note=...` / `?error=...` after a form.
#[derive(Deserialize, Default)]
struct Flash {
    #[serde(default)]
    note: Option<String>,
    #[serde(default)]
    error: Option<String>,
}

/// Escapes text for HTML content and attribute values.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// Percent-encodes a query value.
fn encode(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

fn back(page: &str, result: Result<String, UpgradeError>) -> Response {
    let sep = if page.contains('?') { '&' } else { '?' };
    match result {
        Ok(note) => Redirect::to(&format!("{page}{sep}note={}", encode(&note))),
        Err(e) => Redirect::to(&format!("{page}{sep}error={}", encode(&e.to_string()))),
    }
    .into_response()
}

/// A whole window: header naming the CDM, the menu (when logged in), the flash message, `body`.
fn page(
    lab: &Shared,
    title: &str,
    flash: &Flash,
    body: &str,
    refresh: bool,
    menu: bool,
) -> Html<String> {
    let cdm = lab.cdm();
    let spec = cdm.spec();
    let mut out = String::new();
    let _ = write!(
        out,
        "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">{}<title>{} - {} {}</title>\
         <style>{STYLE}</style></head>\n<body>\n<header><b>{}</b> {} ({})",
        if refresh {
            "<meta http-equiv=\"refresh\" content=\"3\">"
        } else {
            ""
        },
        escape(title),
        text::PRODUCT,
        escape(&spec.name),
        text::PRODUCT,
        escape(&spec.name),
        spec.ip,
    );
    if menu {
        let _ = write!(
            out,
            " <a class=\"logout\" href=\"/logout\">{}</a>",
            text::LOGOUT
        );
        out.push_str("</header>\n<nav>");
        for (href, label) in MENU {
            let _ = write!(out, "<a href=\"{href}\">{}</a> ", escape(label));
        }
        out.push_str("</nav>");
    } else {
        out.push_str("</header>");
    }
    let _ = write!(out, "\n<main>\n<h1>{}</h1>\n", escape(title));
    if let Some(n) = &flash.note {
        let _ = writeln!(out, "<p class=\"note\" id=\"note\">{}</p>", escape(n));
    }
    if let Some(e) = &flash.error {
        let _ = writeln!(out, "<p class=\"error\" id=\"error\">{}</p>", escape(e));
    }
    out.push_str(body);
    out.push_str("</main>\n</body></html>\n");
    Html(out)
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

/// A logged-in page whose data comes from the primary's database; a standby or a stopped CMS says
/// why (503).
fn data_page(
    lab: &Shared,
    headers: &HeaderMap,
    title: &str,
    flash: &Flash,
    refresh: bool,
    body: impl FnOnce(&mut crate::cms::Cms) -> Result<String, UpgradeError>,
) -> Response {
    guarded(lab, headers, || {
        match upgrade::with_primary(lab.cdm().device(), body) {
            Ok(body) => page(lab, title, flash, &body, refresh, true).into_response(),
            Err(e) => {
                let code = match e {
                    UpgradeError::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
                    UpgradeError::NotFound(_) => StatusCode::NOT_FOUND,
                    _ => StatusCode::INTERNAL_SERVER_ERROR,
                };
                let body = format!(
                    "<p class=\"error\" id=\"error\">{}</p>\n",
                    escape(&e.to_string())
                );
                (code, page(lab, title, flash, &body, false, true)).into_response()
            }
        }
    })
}

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
fn kind_of(d: &upgrade::DeviceView) -> Option<DeviceKind> {
    DeviceKind::ALL.into_iter().find(|k| k.label() == d.kind)
}

fn kind_name(kind: Option<DeviceKind>) -> &'static str {
    match kind {
        Some(DeviceKind::Cdm) => text::KIND_CDM,
        Some(DeviceKind::Cr) => text::KIND_CR,
        _ => text::KIND_CE,
    }
}

/// The rows of a device list window: Name (with Edit), IP Address, Software Version, Status.
fn device_rows(devices: &[&upgrade::DeviceView]) -> String {
    let mut out = String::from(
        "<table id=\"devices\"><tr><th></th><th>Name</th><th>IP Address</th>\
         <th>Software Version</th><th>Status</th></tr>\n",
    );
    for d in devices {
        let _ = writeln!(
            out,
            "<tr id=\"device-{}\"><td><a class=\"edit\" href=\"/device/{0}\">{}</a></td>\
             <td class=\"name\">{0}</td><td>{}</td><td class=\"version\">{}</td>\
             <td class=\"status\">{}</td></tr>",
            escape(&d.name),
            escape(text::EDIT),
            escape(&d.ip),
            escape(&d.software_version),
            escape(&d.status)
        );
    }
    out.push_str("</table>\n");
    out
}

// ------------------------------------------------------------------------------------------------
// Devices

async fn devices_page(
    State(lab): State<Shared>,
    headers: HeaderMap,
    Path(kind): Path<String>,
    Query(flash): Query<Flash>,
) -> Response {
    let Some((kind, title)) = list_of(&kind) else {
        return StatusCode::NOT_FOUND.into_response();
    };
    data_page(&lab, &headers, title, &flash, false, |cms| {
        let all = upgrade::devices(cms)?;
        let these: Vec<&upgrade::DeviceView> =
            all.iter().filter(|d| kind_of(d) == Some(kind)).collect();
        Ok(device_rows(&these))
    })
}

#[derive(Deserialize, Default)]
struct PaneQuery {
    #[serde(default)]
    pane: Option<String>,
    #[serde(default)]
    command: Option<String>,
    #[serde(default)]
    note: Option<String>,
    #[serde(default)]
    error: Option<String>,
}

/// The commands of Show/Clear Commands > Show Commands, as the CLI command they run.
const SHOW_COMMANDS: [(&str, &str); 6] = [
    ("version", "show version"),
    ("running-config", "show running-config"),
    ("startup-config", "show startup-config"),
    ("cms info", "show cms info"),
    ("clock", "show clock"),
    ("disks details", "show disks details"),
];

/// The Contents pane of a device (`upgrade`: CEs and CRs only) or a group.
fn contents_pane(base: &str, upgrade: bool, show: bool) -> String {
    let mut out = format!(
        "<div class=\"pane\" id=\"contents\"><b>{}</b>\
         <a href=\"{base}?pane=status\">{}</a>",
        escape(text::CONTENTS),
        escape(text::PANE_STATUS)
    );
    if upgrade {
        let _ = write!(
            out,
            "<a href=\"{base}?pane=upgrade\">{}</a>",
            escape(text::PANE_UPGRADE)
        );
    }
    if show {
        let _ = write!(
            out,
            "<a href=\"{base}?pane=show\">{}</a>",
            escape(text::PANE_SHOW)
        );
    }
    out.push_str("</div>\n<div class=\"window\">\n");
    out
}

/// The Update Software window: a meta file URL from the drop-down list and Submit (to `action`),
/// and each registered file with a radio button and Delete (asks to confirm).
fn update_software(action: &str, title: &str, files: &[upgrade::FileView]) -> String {
    let mut out = format!("<h2 id=\"window\">{}</h2>\n", escape(title));
    if files.is_empty() {
        let _ = writeln!(out, "<p id=\"no-files\">{}</p>", escape(text::NO_FILES));
        return out;
    }
    let _ = write!(
        out,
        "<form id=\"update\" method=\"post\" action=\"{action}\"><label>{} <select name=\"file\">",
        escape(text::META_URL)
    );
    for f in files {
        let _ = write!(
            out,
            "<option value=\"{}\">{}</option>",
            f.id,
            escape(&f.url)
        );
    }
    let _ = writeln!(
        out,
        "</select></label> <button type=\"submit\">{}</button></form>",
        escape(text::SUBMIT)
    );
    let _ = write!(
        out,
        "<form id=\"delete-file\" method=\"post\" action=\"/software/delete\" \
         onsubmit=\"return confirm('{}');\"><table>",
        escape(text::CONFIRM_DELETE)
    );
    for (i, f) in files.iter().enumerate() {
        let _ = write!(
            out,
            "<tr><td><input type=\"radio\" name=\"id\" value=\"{}\"{}></td><td>{}</td>\
             <td>{}</td></tr>",
            f.id,
            if i == 0 { " checked" } else { "" },
            escape(&f.url),
            escape(&f.version)
        );
    }
    let _ = writeln!(
        out,
        "</table><button type=\"submit\">{}</button></form>",
        escape(text::DELETE)
    );
    out
}

async fn device_page(
    State(lab): State<Shared>,
    headers: HeaderMap,
    Path(name): Path<String>,
    Query(q): Query<PaneQuery>,
) -> Response {
    let flash = Flash {
        note: q.note.clone(),
        error: q.error.clone(),
    };
    let node = lab.node(&name);
    let kind = node.as_ref().map(|n| n.spec().kind);
    let title = match kind {
        Some(DeviceKind::Cdm) => text::MODIFYING_CDM,
        Some(DeviceKind::Cr) => text::MODIFYING_CR,
        _ => text::MODIFYING_CE,
    };
    let title = format!("{title} {name}");
    data_page(&lab, &headers, &title, &flash, false, |cms| {
        let devices = upgrade::devices(cms)?;
        let d = devices
            .iter()
            .find(|d| d.name == name)
            .ok_or_else(|| UpgradeError::NotFound(format!("no device {name}")))?;
        let base = format!("/device/{}", encode(&name));
        let upgradable = kind_of(d) != Some(DeviceKind::Cdm);
        let mut out = contents_pane(&base, upgradable, true);
        match q.pane.as_deref() {
            Some("upgrade") if upgradable => {
                let files = upgrade::files(cms)?;
                let title = format!("{} {}", text::UPDATE_SOFTWARE_FOR, kind_name(kind_of(d)));
                out.push_str(&update_software(&format!("{base}/upgrade"), &title, &files));
            }
            Some("show") => {
                let _ = write!(
                    out,
                    "<h2 id=\"window\">{}</h2><form id=\"show\" method=\"get\" action=\"{base}\">\
                     <input type=\"hidden\" name=\"pane\" value=\"show\"><select name=\"command\">",
                    escape(text::PANE_SHOW)
                );
                for (word, _) in SHOW_COMMANDS {
                    let _ = write!(out, "<option>{word}</option>");
                }
                let _ = writeln!(
                    out,
                    "</select> <button type=\"submit\">{}</button></form>",
                    escape(text::SUBMIT)
                );
                if let Some((_, line)) = SHOW_COMMANDS
                    .iter()
                    .find(|(w, _)| Some(*w) == q.command.as_deref())
                {
                    let output = node
                        .as_ref()
                        .map(|n| run_show(n.device(), line))
                        .unwrap_or_default();
                    let _ = writeln!(
                        out,
                        "<h3>{}</h3><pre id=\"output\">{}</pre>",
                        escape(line),
                        escape(&output)
                    );
                }
            }
            _ => {
                let _ = writeln!(
                    out,
                    "<h2 id=\"window\">{}</h2><table id=\"device-information\">\
                     <tr><th>Name</th><td>{}</td></tr><tr><th>Type</th><td>{}</td></tr>\
                     <tr><th>IP Address</th><td>{}</td></tr>\
                     <tr><th>Software Version</th><td class=\"version\">{}</td></tr>\
                     <tr><th>Status</th><td class=\"status\">{}</td></tr></table>",
                    escape(text::DEVICE_INFORMATION),
                    escape(&d.name),
                    escape(kind_name(kind_of(d))),
                    escape(&d.ip),
                    escape(&d.version),
                    escape(&d.status)
                );
            }
        }
        out.push_str("</div>\n");
        Ok(out)
    })
}

/// What the device prints for a show command, through a session of its own (as the GUI's
/// Show Commands window does), or why it cannot answer.
fn run_show(device: &std::sync::Arc<crate::device::Device>, line: &str) -> String {
    if device.state().power != crate::device::Power::Running {
        return text::DEVICE_DOWN.to_string();
    }
    let mut session = crate::session::Session::new(device.clone(), "admin", 15, "cdm-gui");
    session.execute(line).text
}

#[derive(Deserialize)]
struct UpgradeForm {
    file: i64,
}

async fn upgrade_device(
    State(lab): State<Shared>,
    headers: HeaderMap,
    Path(name): Path<String>,
    Form(f): Form<UpgradeForm>,
) -> Response {
    if !logged_in(&lab, &headers) {
        return Redirect::to("/login").into_response();
    }
    let list = match lab.node(&name).map(|n| n.spec().kind) {
        Some(DeviceKind::Cr) => "/devices/cr",
        _ => "/devices/ce",
    };
    let result = crate::api::start_upgrade(&lab, f.file, &Target::Device(name)).map(started);
    back(list, result)
}

fn started(ids: Vec<i64>) -> String {
    let ids: Vec<String> = ids.iter().map(i64::to_string).collect();
    format!("{} {}", text::STARTED, ids.join(", "))
}

// ------------------------------------------------------------------------------------------------
// Device Groups

async fn groups_page(
    State(lab): State<Shared>,
    headers: HeaderMap,
    Query(flash): Query<Flash>,
) -> Response {
    data_page(&lab, &headers, text::WINDOW_GROUPS, &flash, false, |cms| {
        let groups = upgrade::groups(cms)?;
        let devices = upgrade::devices(cms)?;
        let mut out = String::from(
            "<table id=\"groups\"><tr><th></th><th>Device Group</th><th>Devices</th>\
             <th>Software Version</th></tr>\n",
        );
        for g in &groups {
            let versions: Vec<String> = g
                .devices
                .iter()
                .map(|m| {
                    let v = devices
                        .iter()
                        .find(|d| &d.name == m)
                        .map(|d| d.software_version.as_str())
                        .unwrap_or("-");
                    format!("{m}: {v}")
                })
                .collect();
            let _ = writeln!(
                out,
                "<tr id=\"group-{}\"><td><a class=\"edit\" href=\"/group/{0}\">{}</a></td>\
                 <td>{0}</td><td class=\"members\">{}</td><td class=\"version\">{}</td></tr>",
                escape(&g.name),
                escape(text::EDIT),
                escape(&g.devices.join(", ")),
                escape(&versions.join("; "))
            );
        }
        out.push_str("</table>\n");
        Ok(out)
    })
}

async fn group_page(
    State(lab): State<Shared>,
    headers: HeaderMap,
    Path(name): Path<String>,
    Query(q): Query<PaneQuery>,
) -> Response {
    let flash = Flash {
        note: q.note.clone(),
        error: q.error.clone(),
    };
    let title = format!("{} {name}", text::MODIFYING_GROUP);
    data_page(&lab, &headers, &title, &flash, false, |cms| {
        let groups = upgrade::groups(cms)?;
        let g = groups
            .iter()
            .find(|g| g.name == name)
            .ok_or_else(|| UpgradeError::NotFound(format!("no device group {name}")))?;
        let base = format!("/group/{}", encode(&name));
        let mut out = contents_pane(&base, true, false);
        if q.pane.as_deref() == Some("upgrade") {
            let files = upgrade::files(cms)?;
            out.push_str(&update_software(
                &format!("{base}/upgrade"),
                text::UPDATE_SOFTWARE,
                &files,
            ));
        } else {
            let devices = upgrade::devices(cms)?;
            let members: Vec<&upgrade::DeviceView> = devices
                .iter()
                .filter(|d| g.devices.contains(&d.name))
                .collect();
            let _ = writeln!(out, "<h2 id=\"window\">{}</h2>", escape(text::PANE_STATUS));
            out.push_str(&device_rows(&members));
        }
        out.push_str("</div>\n");
        Ok(out)
    })
}

async fn upgrade_group(
    State(lab): State<Shared>,
    headers: HeaderMap,
    Path(name): Path<String>,
    Form(f): Form<UpgradeForm>,
) -> Response {
    if !logged_in(&lab, &headers) {
        return Redirect::to("/login").into_response();
    }
    let result = crate::api::start_upgrade(&lab, f.file, &Target::Group(name)).map(started);
    back("/groups", result)
}

// ------------------------------------------------------------------------------------------------
// System > Software Update

async fn software_page(
    State(lab): State<Shared>,
    headers: HeaderMap,
    Query(flash): Query<Flash>,
) -> Response {
    data_page(
        &lab,
        &headers,
        text::WINDOW_SOFTWARE,
        &flash,
        false,
        |cms| {
            let files = upgrade::files(cms)?;
            let mut out = format!(
                "<p><a id=\"add\" href=\"/software/new\">{}</a></p>\n",
                escape(text::ADD_FILE)
            );
            if files.is_empty() {
                let _ = writeln!(out, "<p id=\"no-files\">{}</p>", escape(text::NO_FILES));
                return Ok(out);
            }
            out.push_str(
                "<table id=\"files\"><tr><th></th><th>Software Update Meta File URL</th>\
             <th>Version</th><th>Size</th><th>Registered</th></tr>\n",
            );
            for f in &files {
                let _ = writeln!(
                    out,
                    "<tr id=\"file-{}\"><td><a class=\"edit\" href=\"/software/{0}\">{}</a></td>\
                 <td class=\"url\">{}</td><td class=\"version\">{}</td><td>{}</td><td>{}</td></tr>",
                    f.id,
                    escape(text::EDIT),
                    escape(&f.url),
                    escape(&f.version),
                    f.size,
                    escape(&f.registered_at)
                );
            }
            out.push_str("</table>\n");
            Ok(out)
        },
    )
}

async fn new_file_page(
    State(lab): State<Shared>,
    headers: HeaderMap,
    Query(flash): Query<Flash>,
) -> Response {
    guarded(&lab, &headers, || {
        let body = format!(
            "<form id=\"register\" method=\"post\" action=\"/software/new\">\
             <p><label>{} <input name=\"url\" size=\"70\" required></label></p>\
             <p><label>User <input name=\"user\" size=\"12\"></label> \
             <label>Password <input name=\"password\" type=\"password\" size=\"12\"></label></p>\
             <p><button type=\"submit\">{}</button></p></form>\n",
            escape(text::META_URL),
            escape(text::SUBMIT)
        );
        page(&lab, text::WINDOW_NEW_FILE, &flash, &body, false, true).into_response()
    })
}

#[derive(Deserialize)]
struct RegisterForm {
    url: String,
    #[serde(default)]
    user: String,
    #[serde(default)]
    password: String,
}

async fn register(
    State(lab): State<Shared>,
    headers: HeaderMap,
    Form(f): Form<RegisterForm>,
) -> Response {
    if !logged_in(&lab, &headers) {
        return Redirect::to("/login").into_response();
    }
    let some = |s: &str| (!s.trim().is_empty()).then(|| s.trim().to_string());
    let (user, password) = (some(&f.user), some(&f.password));
    let result =
        crate::api::register_file(&lab, f.url.trim(), user.as_deref(), password.as_deref()).await;
    match result {
        Ok(file) => back(
            "/software",
            Ok(format!(
                "{} {} (version {})",
                text::REGISTERED,
                file.url,
                file.version
            )),
        ),
        // the registration window again, with the reason
        Err(e) => back("/software/new", Err(e)),
    }
}

async fn file_page(
    State(lab): State<Shared>,
    headers: HeaderMap,
    Path(id): Path<i64>,
    Query(flash): Query<Flash>,
) -> Response {
    data_page(
        &lab,
        &headers,
        text::WINDOW_MODIFY_FILE,
        &flash,
        false,
        |cms| {
            let files = upgrade::files(cms)?;
            let f = files
                .iter()
                .find(|f| f.id == id)
                .ok_or_else(|| UpgradeError::NotFound(format!("no software update file {id}")))?;
            Ok(format!(
                "<table id=\"file\"><tr><th>{}</th><td class=\"url\">{}</td></tr>\
             <tr><th>Version</th><td>{}</td></tr><tr><th>Size</th><td>{}</td></tr>\
             <tr><th>Description</th><td>{}</td></tr></table>\n\
             <form id=\"trash\" method=\"post\" action=\"/software/delete\" \
             onsubmit=\"return confirm('{}');\"><input type=\"hidden\" name=\"id\" value=\"{}\">\
             <button type=\"submit\" title=\"{}\">{}</button></form>\n",
                escape(text::META_URL),
                escape(&f.url),
                escape(&f.version),
                f.size,
                escape(&f.description),
                escape(text::CONFIRM_DELETE),
                f.id,
                escape(text::TRASH),
                escape(text::TRASH)
            ))
        },
    )
}

#[derive(Deserialize)]
struct DeleteForm {
    id: i64,
}

async fn unregister(
    State(lab): State<Shared>,
    headers: HeaderMap,
    Form(f): Form<DeleteForm>,
) -> Response {
    if !logged_in(&lab, &headers) {
        return Redirect::to("/login").into_response();
    }
    let result = upgrade::with_primary(lab.cdm().device(), |cms| upgrade::unregister(cms, f.id))
        .map(|()| format!("{} {}", text::DELETED, f.id));
    back("/software", result)
}

// ------------------------------------------------------------------------------------------------
// jobs

async fn jobs_page(
    State(lab): State<Shared>,
    headers: HeaderMap,
    Query(flash): Query<Flash>,
) -> Response {
    data_page(&lab, &headers, text::WINDOW_JOBS, &flash, true, |cms| {
        let jobs = upgrade::jobs(cms)?;
        if jobs.is_empty() {
            return Ok(format!("<p id=\"no-jobs\">{}</p>\n", escape(text::NO_JOBS)));
        }
        let mut out = String::from(
            "<table id=\"jobs\"><tr><th>Job</th><th>Device</th><th>File</th><th>Status</th>\
             <th>History</th></tr>\n",
        );
        for j in &jobs {
            let mut history = String::new();
            for (at, message) in &j.history {
                let _ = write!(history, "{} {}<br>", escape(at), escape(message));
            }
            let _ = writeln!(
                out,
                "<tr id=\"job-{}\"><td>{0}</td><td class=\"device\">{}</td><td>{}</td>\
                 <td class=\"status\">{}</td><td class=\"history\">{history}</td></tr>",
                j.id,
                escape(&j.device),
                j.file,
                escape(&j.status)
            );
        }
        out.push_str("</table>\n");
        Ok(out)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_is_escaped_and_queries_encoded() {
        assert_eq!(
            escape("<a href=\"x\">&'"),
            "&lt;a href=&quot;x&quot;&gt;&amp;&#39;"
        );
        assert_eq!(encode("a b/é&"), "a%20b%2F%C3%A9%26");
    }
}
