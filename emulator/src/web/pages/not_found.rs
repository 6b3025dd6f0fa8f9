//! What an unknown address shows: a window that says the page does not exist and leads back to the
//! Devices window (not the browser's bare 404), with the menu only for a logged-in administrator
//! (the windows it leads to would send anyone else to the login window). Addresses under `/api/`
//! are the API's (its own JSON 404), never this.

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use maud::html;

use crate::text::gui as text;
use crate::web::flash::Flash;
use crate::web::frame::{window, Menu};
use crate::web::GuiState;

pub(in crate::web) async fn not_found(
    State(gui): State<GuiState>,
    headers: HeaderMap,
    uri: Uri,
) -> Response {
    let path = uri.path();
    let jar = axum_extra::extract::CookieJar::from_headers(&headers);
    let menu = if gui.logins.holds(&jar, std::time::Instant::now()) {
        Menu::Shown
    } else {
        Menu::Hidden
    };
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
        menu,
    );
    (StatusCode::NOT_FOUND, page).into_response()
}
