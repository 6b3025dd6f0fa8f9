//! Stopping a lab from outside: SIGINT (Ctrl-C) and SIGTERM, registered before a lab starts so
//! that a signal during start-up also stops it cleanly. Used by `acnslab up` and
//! `acnslab exercise start`.

/// SIGINT and SIGTERM, registered before the lab starts so that a signal during start-up also
/// stops the lab cleanly.
pub struct StopSignals {
    interrupt: Option<tokio::signal::unix::Signal>,
    terminate: Option<tokio::signal::unix::Signal>,
}

impl StopSignals {
    pub fn register() -> Self {
        use tokio::signal::unix::{signal, SignalKind};
        StopSignals {
            interrupt: signal(SignalKind::interrupt()).ok(),
            terminate: signal(SignalKind::terminate()).ok(),
        }
    }

    pub async fn wait(&mut self) {
        async fn recv(s: &mut Option<tokio::signal::unix::Signal>) {
            match s.as_mut() {
                Some(s) => {
                    s.recv().await;
                }
                None => std::future::pending().await,
            }
        }
        tokio::select! {
            _ = recv(&mut self.interrupt) => {}
            _ = recv(&mut self.terminate) => {}
        }
    }
}
