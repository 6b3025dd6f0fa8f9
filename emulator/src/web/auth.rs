//! Administrator login and logout, and the login sessions of one CDM. The sessions live in the
//! router's state ([`Gui`]), one set per CDM's router; the cookie goes through axum-extra's
//! `CookieJar`. [`Admin`] is the extractor of every window but the login window: a browser that
//! has not logged in is sent there. Must not touch the lab beyond checking the administrator's
//! password on the CDM.

use std::collections::HashSet;
use std::sync::{Mutex, MutexGuard};

use axum::extract::{FromRequestParts, Query, State};
use axum::http::request::Parts;
use axum::response::{IntoResponse, Redirect, Response};
use axum::Form;
use axum_extra::extract::cookie::{Cookie, CookieJar, SameSite};
use maud::html;
use serde::Deserialize;

use super::flash::{encode, Flash};
use super::frame::{window, Menu};
use super::{Gui, GuiState};
use crate::text::gui as text;

/// The logged-in browsers of one CDM: the random tokens their session cookie carries.
pub(super) struct Logins {
    /// The session cookie's name. Browsers share cookies between ports of one host, so each CDM of
    /// a lab on 127.0.0.1 has a cookie of its own name (a login on cdm1 is not one on cdm2).
    cookie: String,
    tokens: Mutex<HashSet<String>>,
}

impl Logins {
    /// No one logged in yet on the CDM named `cdm`.
    pub(super) fn new(cdm: &str) -> Logins {
        let name: String = cdm
            .chars()
            .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
            .collect();
        Logins {
            cookie: format!("acnslab_{name}"),
            tokens: Mutex::new(HashSet::new()),
        }
    }

    fn tokens(&self) -> MutexGuard<'_, HashSet<String>> {
        self.tokens.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// A new login: its session cookie.
    fn start(&self) -> Cookie<'static> {
        let token = format!("{:032x}", rand::random::<u128>());
        self.tokens().insert(token.clone());
        Cookie::build((self.cookie.clone(), token))
            .path("/")
            .http_only(true)
            .same_site(SameSite::Strict)
            .build()
    }

    /// Whether the browser's cookies hold a login of this CDM.
    fn holds(&self, jar: &CookieJar) -> bool {
        jar.get(&self.cookie)
            .is_some_and(|c| self.tokens().contains(c.value()))
    }

    /// Forgets the browser's login (if any) and tells the browser to drop the cookie.
    fn end(&self, jar: CookieJar) -> CookieJar {
        if let Some(c) = jar.get(&self.cookie) {
            self.tokens().remove(c.value());
        }
        jar.remove(Cookie::build(self.cookie.clone()).path("/"))
    }
}

/// A request from a logged-in administrator; anyone else is sent to the login window.
pub(super) struct Admin;

impl FromRequestParts<GuiState> for Admin {
    type Rejection = Redirect;

    async fn from_request_parts(parts: &mut Parts, gui: &GuiState) -> Result<Admin, Redirect> {
        let jar = CookieJar::from_headers(&parts.headers);
        if gui.logins.holds(&jar) {
            Ok(Admin)
        } else {
            Err(Redirect::to("/login"))
        }
    }
}

pub(super) async fn login_page(
    State(gui): State<GuiState>,
    Query(flash): Query<Flash>,
) -> Response {
    let body = html! {
        form #login method="post" action="/login" {
            p { label { (text::USERNAME) " " input name="username" autocomplete="username"; } }
            p { label { (text::PASSWORD) " " input name="password" type="password"; } }
            p { button type="submit" { (text::LOGIN) } }
        }
    };
    window(
        &gui.lab,
        text::LOGIN_TITLE,
        &flash,
        body,
        false,
        Menu::Hidden,
    )
    .into_response()
}

#[derive(Deserialize)]
pub(super) struct LoginForm {
    username: String,
    password: String,
}

/// The administrator of the CDM's own configuration (`username admin password ... privilege 15`).
pub(super) async fn login(
    State(gui): State<GuiState>,
    jar: CookieJar,
    Form(f): Form<LoginForm>,
) -> Response {
    let Gui { lab, logins } = &*gui;
    match lab.cdm().device().authenticate(&f.username, &f.password) {
        Some(15) => (jar.add(logins.start()), Redirect::to("/devices/ce")).into_response(),
        _ => Redirect::to(&format!("/login?error={}", encode(text::LOGIN_FAILED))).into_response(),
    }
}

/// Ends the browser's login on this CDM.
pub(super) async fn logout(State(gui): State<GuiState>, jar: CookieJar) -> Response {
    (gui.logins.end(jar), Redirect::to("/login")).into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_login_is_held_until_it_ends_and_only_on_its_cdm() {
        let cdm1 = Logins::new("cdm-1");
        let cdm2 = Logins::new("cdm2");
        let cookie = cdm1.start();
        assert_eq!(cookie.name(), "acnslab_cdm_1");
        let jar = CookieJar::new().add(cookie);
        assert!(cdm1.holds(&jar));
        assert!(!cdm2.holds(&jar), "a login on cdm1 is not one on cdm2");
        let stale = jar.clone();
        let after = cdm1.end(jar);
        assert!(!cdm1.holds(&after));
        assert!(!cdm1.holds(&stale), "the token is forgotten on the CDM");
    }
}
