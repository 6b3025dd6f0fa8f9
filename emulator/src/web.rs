//! The CDM's web pages: the GUI functions the guide uses (ACNS-BEHAVIOUR.md §9), served as plain
//! HTML with forms on the same loopback port as the JSON API (docs/api.md): Devices (the Software
//! Version column with the status messages of table 7-2, upgrade one CE/CR), Device Groups (upgrade a
//! group), System > Software Update (register and delete meta file URLs), and the jobs with their
//! status history. Every action goes through the same functions as the API (`api::register_file`,
//! `api::start_upgrade`, `upgrade::*`), so both always agree. A form answers with a redirect to its
//! page carrying a note or an error (`?note=` / `?error=`), so reloading never repeats an action.

use std::fmt::Write as _;

use axum::extract::{Path, Query, State};
use axum::http::{header, StatusCode};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Form, Router};
use serde::Deserialize;

use crate::api::Shared;
use crate::text::gui as text;
use crate::upgrade::{self, Target, UpgradeError};

/// The page routes (state: the lab access of the API).
pub fn routes() -> Router<Shared> {
    Router::new()
        .route("/", get(|| async { Redirect::to("/devices") }))
        .route("/devices", get(devices_page))
        .route("/groups", get(groups_page))
        .route("/software", get(software_page))
        .route("/software/register", post(register))
        .route("/software/{id}/delete", post(unregister))
        .route("/upgrade", post(upgrade_form))
        .route("/jobs", get(jobs_page))
}

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

fn back(page: &str, result: Result<String, UpgradeError>) -> Redirect {
    match result {
        Ok(note) => Redirect::to(&format!("{page}?note={}", encode(&note))),
        Err(e) => Redirect::to(&format!("{page}?error={}", encode(&e.to_string()))),
    }
}

/// A whole page: header naming the CDM, the menu, the flash message, `body`.
fn page(lab: &Shared, title: &str, flash: &Flash, body: &str, refresh: bool) -> Html<String> {
    let cdm = lab.cdm();
    let spec = cdm.spec();
    let mut out = String::new();
    let _ = write!(
        out,
        "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">{}<title>{} - {} {}</title>\
         <style>{STYLE}</style></head>\n<body>\n<header><b>{}</b> {} ({})</header>\n<nav>",
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
    for (href, label) in [
        ("/devices", text::DEVICES),
        ("/groups", text::GROUPS),
        ("/software", text::SOFTWARE),
        ("/jobs", text::JOBS),
    ] {
        let _ = write!(out, "<a href=\"{href}\">{}</a> ", escape(label));
    }
    let _ = write!(out, "</nav>\n<main>\n<h1>{}</h1>\n", escape(title));
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

const STYLE: &str = "body{font-family:sans-serif;margin:0}header{background:#1f4e79;color:#fff;\
padding:8px}nav{background:#dde6ee;padding:6px}nav a{margin-right:14px}main{padding:10px}\
table{border-collapse:collapse}td,th{border:1px solid #aab;padding:3px 8px;text-align:left}\
.note{color:#075}.error{color:#b00}form.inline{display:inline}";

/// A page whose data comes from the primary's database; a standby or a stopped CMS says why.
fn data_page(
    lab: &Shared,
    title: &str,
    flash: &Flash,
    refresh: bool,
    body: impl FnOnce(&mut crate::cms::Cms) -> Result<String, UpgradeError>,
) -> Response {
    match upgrade::with_primary(lab.cdm().device(), body) {
        Ok(body) => page(lab, title, flash, &body, refresh).into_response(),
        Err(e) => {
            let code = match e {
                UpgradeError::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
                _ => StatusCode::INTERNAL_SERVER_ERROR,
            };
            let body = format!(
                "<p class=\"error\" id=\"error\">{}</p>\n",
                escape(&e.to_string())
            );
            (code, page(lab, title, flash, &body, false)).into_response()
        }
    }
}

/// `<select name="file">` of the registered files (none: a disabled hint).
fn file_choice(files: &[upgrade::FileView]) -> String {
    if files.is_empty() {
        return format!("<em>{}</em>", escape(text::NO_FILES));
    }
    let mut out = format!(
        "<label>{} <select name=\"file\">",
        escape(text::CHOOSE_FILE)
    );
    for f in files {
        let _ = write!(
            out,
            "<option value=\"{}\">{} ({})</option>",
            f.id,
            escape(&f.version),
            escape(&f.url)
        );
    }
    out.push_str("</select></label>");
    out
}

/// The form that upgrades one device or group (`field` = `device` or `group`) to a chosen file;
/// nothing while no file is registered.
fn upgrade_button(field: &str, name: &str, files: &[upgrade::FileView], label: &str) -> String {
    if files.is_empty() {
        return String::new();
    }
    format!(
        "<form class=\"inline\" method=\"post\" action=\"/upgrade\">\
         <input type=\"hidden\" name=\"{field}\" value=\"{}\">{} \
         <button type=\"submit\">{}</button></form>",
        escape(name),
        file_choice(files),
        escape(label)
    )
}

async fn devices_page(State(lab): State<Shared>, Query(flash): Query<Flash>) -> Response {
    data_page(&lab, text::DEVICES, &flash, false, |cms| {
        let devices = upgrade::devices(cms)?;
        let files = upgrade::files(cms)?;
        let mut out = String::from(
            "<table id=\"devices\"><tr><th>Device</th><th>Type</th><th>IP Address</th>\
             <th>Software Version</th><th>Status</th><th></th></tr>\n",
        );
        for d in &devices {
            let action = if d.kind == "CDM" {
                escape(text::CLI_ONLY)
            } else {
                upgrade_button("device", &d.name, &files, text::UPGRADE)
            };
            let _ = writeln!(
                out,
                "<tr id=\"device-{}\"><td>{}</td><td>{}</td><td>{}</td><td class=\"version\">{}</td>\
                 <td class=\"status\">{}</td><td>{action}</td></tr>",
                escape(&d.name),
                escape(&d.name),
                escape(&d.kind),
                escape(&d.ip),
                escape(&d.software_version),
                escape(&d.status)
            );
        }
        out.push_str("</table>\n");
        Ok(out)
    })
}

async fn groups_page(State(lab): State<Shared>, Query(flash): Query<Flash>) -> Response {
    data_page(&lab, text::GROUPS, &flash, false, |cms| {
        let groups = upgrade::groups(cms)?;
        let files = upgrade::files(cms)?;
        let mut out = String::from(
            "<table id=\"groups\"><tr><th>Device Group</th><th>Devices</th><th></th></tr>\n",
        );
        for g in &groups {
            let action = upgrade_button("group", &g.name, &files, text::UPGRADE_GROUP);
            let _ = writeln!(
                out,
                "<tr id=\"group-{}\"><td>{}</td><td>{}</td><td>{action}</td></tr>",
                escape(&g.name),
                escape(&g.name),
                escape(&g.devices.join(", "))
            );
        }
        out.push_str("</table>\n");
        Ok(out)
    })
}

async fn software_page(State(lab): State<Shared>, Query(flash): Query<Flash>) -> Response {
    data_page(&lab, text::SOFTWARE, &flash, false, |cms| {
        let files = upgrade::files(cms)?;
        let mut out = format!(
            "<form id=\"register\" method=\"post\" action=\"/software/register\">\
             <label>Meta file URL <input name=\"url\" size=\"60\" required></label> \
             <label>User <input name=\"user\" size=\"10\"></label> \
             <label>Password <input name=\"password\" type=\"password\" size=\"10\"></label> \
             <button type=\"submit\">{}</button></form>\n",
            escape(text::REGISTER)
        );
        if files.is_empty() {
            let _ = writeln!(out, "<p id=\"no-files\">{}</p>", escape(text::NO_FILES));
            return Ok(out);
        }
        out.push_str(
            "<table id=\"files\"><tr><th>ID</th><th>URL</th><th>Version</th><th>Size</th>\
             <th>Registered</th><th></th></tr>\n",
        );
        for f in &files {
            let _ = writeln!(
                out,
                "<tr id=\"file-{}\"><td>{0}</td><td class=\"url\">{}</td><td class=\"version\">{}</td>\
                 <td>{}</td><td>{}</td><td><form class=\"inline\" method=\"post\" \
                 action=\"/software/{0}/delete\"><button type=\"submit\">{}</button></form></td></tr>",
                f.id,
                escape(&f.url),
                escape(&f.version),
                f.size,
                escape(&f.registered_at),
                escape(text::DELETE)
            );
        }
        out.push_str("</table>\n");
        Ok(out)
    })
}

async fn jobs_page(State(lab): State<Shared>, Query(flash): Query<Flash>) -> Response {
    data_page(&lab, text::JOBS, &flash, true, |cms| {
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
                 <td class=\"status\">{}</td><td>{history}</td></tr>",
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

#[derive(Deserialize)]
struct RegisterForm {
    url: String,
    #[serde(default)]
    user: String,
    #[serde(default)]
    password: String,
}

async fn register(State(lab): State<Shared>, Form(f): Form<RegisterForm>) -> Redirect {
    let some = |s: &str| (!s.trim().is_empty()).then(|| s.trim().to_string());
    let (user, password) = (some(&f.user), some(&f.password));
    let result =
        crate::api::register_file(&lab, f.url.trim(), user.as_deref(), password.as_deref())
            .await
            .map(|file| {
                format!(
                    "{} {} (version {}, id {})",
                    text::REGISTERED,
                    file.url,
                    file.version,
                    file.id
                )
            });
    back("/software", result)
}

async fn unregister(State(lab): State<Shared>, Path(id): Path<i64>) -> Redirect {
    let result = upgrade::with_primary(lab.cdm().device(), |cms| upgrade::unregister(cms, id))
        .map(|()| format!("{} {id}", text::DELETED));
    back("/software", result)
}

#[derive(Deserialize)]
struct UpgradeForm {
    file: i64,
    #[serde(default)]
    device: Option<String>,
    #[serde(default)]
    group: Option<String>,
}

async fn upgrade_form(State(lab): State<Shared>, Form(f): Form<UpgradeForm>) -> Response {
    let (target, page) = match (f.device, f.group) {
        (Some(d), None) => (Target::Device(d), "/devices"),
        (None, Some(g)) => (Target::Group(g), "/groups"),
        _ => {
            return (
                StatusCode::BAD_REQUEST,
                [(header::CONTENT_TYPE, "text/plain")],
                "give either a device or a group",
            )
                .into_response()
        }
    };
    let result = crate::api::start_upgrade(&lab, f.file, &target).map(|ids| {
        let ids: Vec<String> = ids.iter().map(i64::to_string).collect();
        format!("{} {}", text::STARTED, ids.join(", "))
    });
    back(page, result).into_response()
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
