//! What an unknown address shows: a window that says the page does not exist and leads back to the
//! Devices window (not the browser's bare 404). Addresses under `/api/` are the API's (its own
//! JSON 404), never this.

use axum::extract::State;
use axum::http::{StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use maud::html;

use crate::text::gui as text;
use crate::web::flash::Flash;
use crate::web::frame::{window, Menu};
use crate::web::GuiState;

pub(in crate::web) async fn not_found(State(gui): State<GuiState>, uri: Uri) -> Response {
    let path = uri.path();
    let body = html! {
        p #not-found { (text::NO_SUCH_PAGE) " " code { (path) } }
        p { a #back href="/" { (text::BACK_TO_DEVICES) } }
    };
    let page = window(
        &gui.lab,
        text::WINDOW_NOT_FOUND,
        &Flash::default(),
        body,
        false,
        Menu::Shown,
    );
    (StatusCode::NOT_FOUND, page).into_response()
}
