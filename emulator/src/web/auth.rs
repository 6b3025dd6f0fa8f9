//! Administrator login and logout, and the login sessions of one CDM. The sessions live in the
//! router's state ([`Gui`]), one set per CDM's router; the cookie goes through axum-extra's
//! `CookieJar`. [`Admin`] is the extractor of every window but the login window: a browser that
//! has not logged in is sent there. Must not touch the lab beyond checking the administrator's
//! password on the CDM. A login session ends after [`IDLE`] without a request or [`LIFETIME`] in
//! all; failed logins go through the CDM's `lockout`.

use std::collections::HashMap;
use std::sync::{Mutex, MutexGuard};
use std::time::{Duration, Instant};

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

/// A login session ends after this long without a request.
pub const IDLE: Duration = Duration::from_secs(30 * 60);
/// A login session ends this long after the login, used or not.
pub const LIFETIME: Duration = Duration::from_secs(12 * 3600);
/// The most login sessions a CDM keeps; a new login beyond ends the oldest.
pub const MAX_SESSIONS: usize = 256;

/// When a session began and when it was last used (real time, not the lab clock).
#[derive(Clone, Copy)]
struct Times {
    began: Instant,
    used: Instant,
}

/// The logged-in browsers of one CDM: the random tokens their session cookie carries.
pub(super) struct Logins {
    /// The session cookie's name. Browsers share cookies between ports of one host, so each CDM of
    /// a lab on 127.0.0.1 has a cookie of its own name (a login on cdm1 is not one on cdm2).
    cookie: String,
    tokens: Mutex<HashMap<String, Times>>,
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
            tokens: Mutex::new(HashMap::new()),
        }
    }

    /// The live sessions at `now` (the expired ones are dropped).
    fn tokens(&self, now: Instant) -> MutexGuard<'_, HashMap<String, Times>> {
        let mut tokens = self.tokens.lock().unwrap_or_else(|p| p.into_inner());
        tokens.retain(|_, t| {
            now.saturating_duration_since(t.used) < IDLE
                && now.saturating_duration_since(t.began) < LIFETIME
        });
        tokens
    }

    /// A new login at `now`: its session cookie.
    fn start(&self, now: Instant) -> Cookie<'static> {
        let token = format!("{:032x}", rand::random::<u128>());
        let mut tokens = self.tokens(now);
        if tokens.len() >= MAX_SESSIONS {
            let oldest = tokens
                .iter()
                .min_by_key(|(_, t)| t.began)
                .map(|(k, _)| k.clone());
            if let Some(oldest) = oldest {
                tokens.remove(&oldest);
            }
        }
        tokens.insert(
            token.clone(),
            Times {
                began: now,
                used: now,
            },
        );
        Cookie::build((self.cookie.clone(), token))
            .path("/")
            .http_only(true)
            .same_site(SameSite::Strict)
            .build()
    }

    /// Whether the browser's cookies hold a live login of this CDM at `now` (which uses it).
    fn holds(&self, jar: &CookieJar, now: Instant) -> bool {
        let Some(cookie) = jar.get(&self.cookie) else {
            return false;
        };
        match self.tokens(now).get_mut(cookie.value()) {
            Some(times) => {
                times.used = now;
                true
            }
            None => false,
        }
    }

    /// Forgets the browser's login (if any) and tells the browser to drop the cookie.
    fn end(&self, jar: CookieJar) -> CookieJar {
        if let Some(c) = jar.get(&self.cookie) {
            self.tokens(Instant::now()).remove(c.value());
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
    let Gui {
        lab,
        logins,
        lockout,
    } = &*gui;
    let now = Instant::now();
    if let Some(wait) = lockout.wait(now) {
        let message = text::LOGIN_LOCKED.replace("{seconds}", &wait.as_secs().max(1).to_string());
        return Redirect::to(&format!("/login?error={}", encode(&message))).into_response();
    }
    match lab.cdm().device().authenticate(&f.username, &f.password) {
        Some(15) => (jar.add(logins.start(now)), Redirect::to("/devices/ce")).into_response(),
        _ => {
            lockout.failed(now);
            tracing::warn!(user = %f.username, "web login failed");
            Redirect::to(&format!("/login?error={}", encode(text::LOGIN_FAILED))).into_response()
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

    #[test]
    fn a_login_expires_when_idle_and_after_its_lifetime() {
        let logins = Logins::new("cdm1");
        let t0 = Instant::now();
        let idle = CookieJar::new().add(logins.start(t0));
        assert!(logins.holds(&idle, t0 + IDLE - Duration::from_secs(1)));
        assert!(!logins.holds(&idle, t0 + IDLE * 2), "idle too long");
        // used every 10 minutes, it still ends after its lifetime
        let busy = CookieJar::new().add(logins.start(t0));
        let mut t = t0;
        while t < t0 + LIFETIME - Duration::from_secs(600) {
            t += Duration::from_secs(600);
            assert!(logins.holds(&busy, t));
        }
        assert!(!logins.holds(&busy, t0 + LIFETIME));
    }

    #[test]
    fn sessions_are_bounded() {
        let logins = Logins::new("cdm1");
        let t0 = Instant::now();
        let first = CookieJar::new().add(logins.start(t0));
        for i in 1..=MAX_SESSIONS as u64 {
            logins.start(t0 + Duration::from_millis(i));
        }
        assert_eq!(logins.tokens(t0).len(), MAX_SESSIONS);
        assert!(!logins.holds(&first, t0), "the oldest made room");
    }
}
