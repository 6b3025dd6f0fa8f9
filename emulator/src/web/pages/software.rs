//! System > Software Update: the Software Update File Registration window (the registered meta
//! file URLs, Add Software Update File), Registering New Software Update File (URL, user,
//! password, Submit), Modifying Software Update File (Trash), and the forms they post. Reads and
//! acts through `api` and `upgrade`.

use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Response};
use axum::Form;
use maud::html;
use serde::Deserialize;

use super::to_second;
use crate::text::gui as text;
use crate::upgrade;
use crate::web::auth::Admin;
use crate::web::flash::{back, encode, Flash};
use crate::web::frame::{data_window, window, Menu};
use crate::web::GuiState;

pub(in crate::web) async fn list_page(
    State(gui): State<GuiState>,
    _: Admin,
    Query(flash): Query<Flash>,
) -> Response {
    data_window(&gui.lab, text::WINDOW_SOFTWARE, &flash, false, |cms| {
        let files = upgrade::files(cms)?;
        Ok(html! {
            p { a #add href="/software/new" { (text::ADD_FILE) } }
            @if files.is_empty() {
                p #no-files { (text::NO_FILES) }
            } @else {
                table #files {
                    tr {
                        th {} th { "Software Update Meta File URL" } th { "Version" } th { "Size" }
                        th { "Registered" }
                    }
                    @for f in &files {
                        tr id={ "file-" (f.id) } {
                            td { a.edit href={ "/software/" (f.id) } { (text::EDIT) } }
                            td.url { (f.url) }
                            td.version { (f.version) }
                            td { (f.size) }
                            td.registered { (to_second(&f.registered_at)) }
                        }
                    }
                }
            }
        })
    })
}

/// What the user typed in the registration form, carried back with a refusal so nothing typed is
/// lost (the password is not carried).
#[derive(Deserialize, Default)]
pub(in crate::web) struct Typed {
    #[serde(default)]
    url: String,
    #[serde(default)]
    user: String,
}

pub(in crate::web) async fn new_file_page(
    State(gui): State<GuiState>,
    _: Admin,
    Query(flash): Query<Flash>,
    Query(typed): Query<Typed>,
) -> Response {
    let body = html! {
        form #register method="post" action="/software/new" {
            p { label { (text::META_URL) " " input name="url" size="70" required value=(typed.url); } }
            p {
                label { "User " input name="user" size="12" value=(typed.user); }
                " "
                label { "Password " input name="password" type="password" size="12"; }
            }
            p { button type="submit" { (text::SUBMIT) } }
        }
    };
    window(
        &gui.lab,
        text::WINDOW_NEW_FILE,
        &flash,
        body,
        false,
        Menu::Shown,
    )
    .into_response()
}

#[derive(Deserialize)]
pub(in crate::web) struct RegisterForm {
    url: String,
    #[serde(default)]
    user: String,
    #[serde(default)]
    password: String,
}

/// Add Software Update File > Submit: back to the registration window with the file, or to the
/// new file window with the reason.
pub(in crate::web) async fn register(
    State(gui): State<GuiState>,
    _: Admin,
    Form(f): Form<RegisterForm>,
) -> Response {
    let some = |s: &str| (!s.trim().is_empty()).then(|| s.trim().to_string());
    let (user, password) = (some(&f.user), some(&f.password));
    let result =
        crate::lab::register_file(&gui.lab, f.url.trim(), user.as_deref(), password.as_deref())
            .await;
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
        Err(e) => back(
            &format!(
                "/software/new?url={}&user={}",
                encode(f.url.trim()),
                encode(f.user.trim())
            ),
            Err(e),
        ),
    }
}

pub(in crate::web) async fn file_page(
    State(gui): State<GuiState>,
    _: Admin,
    Path(id): Path<i64>,
    Query(flash): Query<Flash>,
) -> Response {
    data_window(&gui.lab, text::WINDOW_MODIFY_FILE, &flash, false, |cms| {
        let f = &upgrade::file(cms, id)?;
        Ok(html! {
            table #file {
                tr { th { (text::META_URL) } td.url { (f.url) } }
                tr { th { "Version" } td { (f.version) } }
                tr { th { "Size" } td { (f.size) } }
                tr { th { "Description" } td { (f.description) } }
            }
            form #trash method="post" action="/software/delete"
                onsubmit={ "return confirm('" (text::CONFIRM_DELETE) "');" } {
                input type="hidden" name="id" value=(f.id);
                button type="submit" title=(text::TRASH) { (text::TRASH) }
            }
        })
    })
}

#[derive(Deserialize)]
pub(in crate::web) struct DeleteForm {
    id: i64,
}

/// Delete (Update Software window) or Trash (Modifying Software Update File), after OK.
pub(in crate::web) async fn unregister(
    State(gui): State<GuiState>,
    _: Admin,
    Form(f): Form<DeleteForm>,
) -> Response {
    let result =
        upgrade::with_primary(gui.lab.cdm().device(), |cms| upgrade::unregister(cms, f.id))
            .map(|()| format!("{} {}", text::DELETED, f.id));
    back("/software", result)
}
