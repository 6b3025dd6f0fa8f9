//! Administrator login and logout in the web GUI: the login window, the session cookie (through
//! axum-extra's `CookieJar`, one cookie name per CDM) and the [`Admin`] extractor of every window
//! but the login window, which sends a browser that has not logged in there. The check of the
//! password, the lockout and the sessions' expiry are `crate::cdm_login`'s, shared with the API.
//! Must not touch the lab beyond checking the administrator's password on the CDM.

use std::time::Instant;

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
use crate::cdm_login::{Door, Sessions};
use crate::text::gui as text;

/// The logged-in browsers of one CDM: the session cookie's name and the logins it carries.
pub(super) struct Logins {
    /// The session cookie's name. Browsers share cookies between ports of one host, so each CDM of
    /// a lab on 127.0.0.1 has a cookie of its own name (a login on cdm1 is not one on cdm2).
    cookie: String,
    sessions: Sessions,
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
            sessions: Sessions::default(),
        }
    }

    /// A new login at `now`: its session cookie.
    fn start(&self, now: Instant) -> Cookie<'static> {
        Cookie::build((self.cookie.clone(), self.sessions.start(now)))
            .path("/")
            .http_only(true)
            .same_site(SameSite::Strict)
            .build()
    }

    /// Whether the browser's cookies hold a live login of this CDM at `now` (which uses it).
    pub(super) fn holds(&self, jar: &CookieJar, now: Instant) -> bool {
        jar.get(&self.cookie)
            .is_some_and(|cookie| self.sessions.holds(cookie.value(), now))
    }

    /// Forgets the browser's login (if any) and tells the browser to drop the cookie.
    fn end(&self, jar: CookieJar) -> CookieJar {
        if let Some(c) = jar.get(&self.cookie) {
            self.sessions.end(c.value());
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
        if gui.logins.holds(&jar, Instant::now()) {
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
    let Gui { lab, logins, check } = &*gui;
    let now = Instant::now();
    match check.check(lab.cdm().device(), Door::Web, &f.username, &f.password, now) {
        Ok(()) => (jar.add(logins.start(now)), Redirect::to("/devices/ce")).into_response(),
        Err(refused) => {
            Redirect::to(&format!("/login?error={}", encode(&refused.to_string()))).into_response()
        }
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
        let now = Instant::now();
        let cookie = cdm1.start(now);
        assert_eq!(cookie.name(), "acnslab_cdm_1");
        let jar = CookieJar::new().add(cookie);
        assert!(cdm1.holds(&jar, now));
        assert!(!cdm2.holds(&jar, now), "a login on cdm1 is not one on cdm2");
        let stale = jar.clone();
        let after = cdm1.end(jar);
        assert!(!cdm1.holds(&after, now));
        assert!(
            !cdm1.holds(&stale, now),
            "the token is forgotten on the CDM"
        );
    }
}
