//! The administrator logins of one CDM, whichever door they come by (the web GUI's login window,
//! the API's HTTP Basic credentials and `POST /api/login`): [`LoginCheck`] checks a user name and
//! password against the CDM's own configuration (`username admin password ... privilege 15`)
//! under the CDM's one login lockout (`crate::lockout`: five failures within a minute, counted
//! over every door, so no door is a way round it); [`Sessions`] holds the logins that go on
//! (random tokens: the GUI's session cookie, the API's bearer tokens), each ending after
//! [`IDLE`] without use or [`LIFETIME`] in all. Knows no HTTP: the front ends carry the tokens and
//! say what a refusal looks like. Real time (`Instant`), passed in by the caller.

use std::collections::HashMap;
use std::sync::{Mutex, MutexGuard};
use std::time::{Duration, Instant};

use crate::counters::LoginDoor;
use crate::device::Device;
use crate::lockout::Lockout;

/// A login ends after this long without a request.
pub const IDLE: Duration = Duration::from_secs(30 * 60);
/// A login ends this long after it began, used or not.
pub const LIFETIME: Duration = Duration::from_secs(12 * 3600);
/// The most logins one [`Sessions`] keeps; a new one beyond ends the oldest.
pub const MAX_SESSIONS: usize = 256;

/// Why a user name and password were not let in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum Refused {
    /// Not an account of privilege 15 with this password (the attempt counts toward the lockout).
    #[error("{}", crate::text::gui::LOGIN_FAILED)]
    Wrong,
    /// Too many failures lately: no login, right or wrong, until this has passed.
    #[error("{}", crate::text::gui::LOGIN_LOCKED.replace("{seconds}", &.0.as_secs().max(1).to_string()))]
    Locked(Duration),
}

/// Which way a login came (for the log).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Door {
    /// The web GUI's login window.
    Web,
    /// The JSON API (HTTP Basic or `POST /api/login`).
    Api,
}

/// The check of a CDM's administrator credentials, with the CDM's login lockout.
#[derive(Default)]
pub struct LoginCheck {
    lockout: Lockout,
}

impl LoginCheck {
    /// Whether `user` with `password` is an administrator (privilege 15) of `cdm` at `now`; a
    /// wrong one is counted (and logged, without the password), and while locked nobody gets in.
    pub fn check(
        &self,
        cdm: &Device,
        door: Door,
        user: &str,
        password: &str,
        now: Instant,
    ) -> Result<(), Refused> {
        if let Some(wait) = self.lockout.wait(now) {
            cdm.counters().login_failed(LoginDoor::Web);
            tracing::warn!(cdm = %cdm.identity.name, ?door, user, "login refused: locked after failed logins");
            return Err(Refused::Locked(wait));
        }
        match cdm.authenticate(user, password) {
            Some(15) => Ok(()),
            _ => {
                self.lockout.failed(now);
                cdm.counters().login_failed(LoginDoor::Web);
                tracing::warn!(cdm = %cdm.identity.name, ?door, user, "login failed");
                Err(Refused::Wrong)
            }
        }
    }
}

/// When a login began and when it was last used.
#[derive(Clone, Copy)]
struct Times {
    began: Instant,
    used: Instant,
}

/// The logins that go on at one door of one CDM: random tokens with their times.
#[derive(Default)]
pub struct Sessions {
    tokens: Mutex<HashMap<String, Times>>,
}

impl Sessions {
    /// The live logins at `now` (the expired ones are dropped).
    fn live(&self, now: Instant) -> MutexGuard<'_, HashMap<String, Times>> {
        let mut tokens = self.tokens.lock().unwrap_or_else(|p| p.into_inner());
        tokens.retain(|_, t| {
            now.saturating_duration_since(t.used) < IDLE
                && now.saturating_duration_since(t.began) < LIFETIME
        });
        tokens
    }

    /// A new login at `now`: its token (the oldest login ends when [`MAX_SESSIONS`] are held).
    pub fn start(&self, now: Instant) -> String {
        let token = format!("{:032x}", rand::random::<u128>());
        let mut tokens = self.live(now);
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
        token
    }

    /// Whether `token` is a live login at `now` (which uses it).
    pub fn holds(&self, token: &str, now: Instant) -> bool {
        match self.live(now).get_mut(token) {
            Some(times) => {
                times.used = now;
                true
            }
            None => false,
        }
    }

    /// Ends the login of `token`, if it is one.
    pub fn end(&self, token: &str) {
        self.live(Instant::now()).remove(token);
    }

    /// How many logins are live at `now`.
    pub fn count(&self, now: Instant) -> usize {
        self.live(now).len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_login_is_held_until_it_ends() {
        let sessions = Sessions::default();
        let now = Instant::now();
        let token = sessions.start(now);
        assert_eq!(token.len(), 32);
        assert!(sessions.holds(&token, now));
        assert!(!sessions.holds("0123", now));
        sessions.end(&token);
        assert!(!sessions.holds(&token, now), "the token is forgotten");
    }

    #[test]
    fn a_login_expires_when_idle_and_after_its_lifetime() {
        let sessions = Sessions::default();
        let t0 = Instant::now();
        let idle = sessions.start(t0);
        assert!(sessions.holds(&idle, t0 + IDLE - Duration::from_secs(1)));
        assert!(!sessions.holds(&idle, t0 + IDLE * 2), "idle too long");
        // used every 10 minutes, it still ends after its lifetime
        let busy = sessions.start(t0);
        let mut t = t0;
        while t < t0 + LIFETIME - Duration::from_secs(600) {
            t += Duration::from_secs(600);
            assert!(sessions.holds(&busy, t));
        }
        assert!(!sessions.holds(&busy, t0 + LIFETIME));
    }

    #[test]
    fn sessions_are_bounded() {
        let sessions = Sessions::default();
        let t0 = Instant::now();
        let first = sessions.start(t0);
        for i in 1..=MAX_SESSIONS as u64 {
            sessions.start(t0 + Duration::from_millis(i));
        }
        assert_eq!(sessions.count(t0), MAX_SESSIONS);
        assert!(!sessions.holds(&first, t0), "the oldest made room");
    }

    #[test]
    fn a_refusal_says_how_long_the_lock_lasts() {
        assert_eq!(
            Refused::Locked(Duration::from_millis(300)).to_string(),
            "Too many failed logins: try again in 1 seconds."
        );
        assert_eq!(Refused::Wrong.to_string(), crate::text::gui::LOGIN_FAILED);
    }
}
