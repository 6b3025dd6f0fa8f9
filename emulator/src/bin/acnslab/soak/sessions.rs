//! The soak's sessions. Each logs in (at most [`LOGINS_IN_FLIGHT`] logins at a time over all
//! devices, half a device's limit of connections waiting to log in), waits a random part of the
//! think time so that the sessions' commands spread out, then types the command, times it from
//! Enter to the next prompt, pauses for the think time, and again, until the soak stops it; then it
//! logs out. What happens is sent as [`Event`]s; the counting is the caller's.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use acnslab::ssh_client::{login, CliShell, ClientError};
use rand::Rng;
use tokio::sync::{mpsc, Semaphore};
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;

use super::tally::{Event, FailureKind};
use crate::measure::cli::{run_line, PASSWORD, USERNAME};

/// Logins under way at once, over all devices: half of a device's default limit of connections
/// waiting to log in (`lab.limits.unauthenticated_per_device`, 32), so that a soak never meets it.
pub const LOGINS_IN_FLIGHT: usize = 16;
/// Each wait of a session: connect and log in, the first prompt, a reply.
pub const OP_TIMEOUT: Duration = Duration::from_secs(20);

/// What every session shares.
#[derive(Clone)]
pub struct Pace {
    pub command: Arc<str>,
    pub think: Duration,
    pub logins: Arc<Semaphore>,
    pub events: mpsc::UnboundedSender<Event>,
    pub stop: CancellationToken,
}

/// Starts `sessions` sessions, spread over `targets` in turn (none without targets).
pub fn spawn_all(tasks: &mut JoinSet<()>, targets: &[SocketAddr], sessions: usize, pace: &Pace) {
    for addr in targets.iter().cycle().take(sessions) {
        tasks.spawn(hold_one(*addr, pace.clone()));
    }
}

/// The kind of a failure, and a line that describes it.
fn failure(addr: SocketAddr, e: &ClientError) -> (FailureKind, String) {
    let kind = FailureKind::of(e);
    (kind, format!("{addr} {}: {e}", kind.name()))
}

async fn open(addr: SocketAddr, pace: &Pace) -> Result<CliShell, ClientError> {
    // A closed semaphore never happens (it is never closed); go ahead without a permit if it did.
    let _permit = pace.logins.acquire().await.ok();
    let handle = login(addr, USERNAME, PASSWORD, OP_TIMEOUT).await?;
    CliShell::start(handle, addr, OP_TIMEOUT).await
}

/// One session, from its login to its logout (or its failure).
async fn hold_one(addr: SocketAddr, pace: Pace) {
    let opened = tokio::select! {
        _ = pace.stop.cancelled() => return,
        opened = open(addr, &pace) => opened,
    };
    let mut cli = match opened {
        Ok(cli) => cli,
        Err(e) => {
            let (kind, detail) = failure(addr, &e);
            let _ = pace.events.send(Event::OpenFailed { kind, detail });
            return;
        }
    };
    let _ = pace.events.send(Event::Opened);
    let first_wait = if pace.think.is_zero() {
        Duration::ZERO
    } else {
        pace.think.mul_f64(rand::thread_rng().gen_range(0.0..1.0))
    };
    let mut wait = first_wait;
    loop {
        tokio::select! {
            _ = pace.stop.cancelled() => break,
            _ = tokio::time::sleep(wait) => {}
        }
        let sent = Instant::now();
        match run_line(&mut cli, &pace.command, addr).await {
            Ok(()) => {
                let seconds = sent.elapsed().as_secs_f64();
                let _ = pace.events.send(Event::Reply { seconds });
            }
            Err(e) => {
                let (kind, detail) = failure(addr, &e);
                let _ = pace.events.send(Event::Dropped { kind, detail });
                cli.close().await;
                return;
            }
        }
        wait = pace.think;
    }
    cli.close().await;
    let _ = pace.events.send(Event::Closed);
}

#[cfg(test)]
mod tests {
    #[test]
    fn logins_in_flight_stay_under_a_devices_limit() {
        let limit = acnslab::topology::Limits::default().unauthenticated_per_device as usize;
        assert!(super::LOGINS_IN_FLIGHT * 2 <= limit);
    }
}
