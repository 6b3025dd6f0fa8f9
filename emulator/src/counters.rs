//! What happens on one device, counted since the lab process started, for the lab's metrics
//! (`/metrics`): SSH sessions opened (logins that succeeded), command lines run, and failed logins
//! by door (SSH, or the CDM's web GUI and API). Plain atomic counters: whoever sees the event adds
//! one (the SSH edge, the session, the CDM's login check); whoever reports reads a [`Counts`].
//! Knows nothing of HTTP or of the metrics' format.

use std::sync::atomic::{AtomicU64, Ordering};

/// Which way a failed login came.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LoginDoor {
    /// A device's SSH server (password or keyboard-interactive).
    Ssh,
    /// A CDM's web GUI or HTTP API.
    Web,
}

impl LoginDoor {
    /// The door's name (the `door` label of the metrics).
    pub fn word(self) -> &'static str {
        match self {
            LoginDoor::Ssh => "ssh",
            LoginDoor::Web => "web",
        }
    }
}

/// A device's counters.
#[derive(Debug, Default)]
pub struct DeviceCounters {
    sessions: AtomicU64,
    commands: AtomicU64,
    ssh_login_failures: AtomicU64,
    web_login_failures: AtomicU64,
}

/// The counters at one moment.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Counts {
    /// SSH logins that succeeded (sessions opened).
    pub sessions: u64,
    /// Command lines run (answers to a command's questions are not counted).
    pub commands: u64,
    /// Failed SSH logins (a wrong password, or any login while they are locked out).
    pub ssh_login_failures: u64,
    /// Failed logins of a CDM's web GUI and API.
    pub web_login_failures: u64,
}

impl DeviceCounters {
    pub fn session_opened(&self) {
        self.sessions.fetch_add(1, Ordering::Relaxed);
    }

    pub fn command_run(&self) {
        self.commands.fetch_add(1, Ordering::Relaxed);
    }

    pub fn login_failed(&self, door: LoginDoor) {
        match door {
            LoginDoor::Ssh => &self.ssh_login_failures,
            LoginDoor::Web => &self.web_login_failures,
        }
        .fetch_add(1, Ordering::Relaxed);
    }

    pub fn now(&self) -> Counts {
        Counts {
            sessions: self.sessions.load(Ordering::Relaxed),
            commands: self.commands.load(Ordering::Relaxed),
            ssh_login_failures: self.ssh_login_failures.load(Ordering::Relaxed),
            web_login_failures: self.web_login_failures.load(Ordering::Relaxed),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_event_counts_in_its_own_counter() {
        let c = DeviceCounters::default();
        c.session_opened();
        c.command_run();
        c.command_run();
        c.login_failed(LoginDoor::Ssh);
        c.login_failed(LoginDoor::Web);
        c.login_failed(LoginDoor::Web);
        assert_eq!(
            c.now(),
            Counts {
                sessions: 1,
                commands: 2,
                ssh_login_failures: 1,
                web_login_failures: 2,
            }
        );
    }
}
